package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/e2etls/e2etls/certsource"
)

// Kinds of certificate sources, as the log names them.
const (
	reloadSSLCertificate            = "sslCertificate"
	reloadTrustedRootCertificate    = "trustedRootCertificate"
	reloadAuthenticationCertificate = "authenticationCertificate"
	reloadTrustedClientCertificate  = "trustedClientCertificate"
	reloadCRL                       = "crl"
)

// ReloadStats counts what the gateway did with new versions of its
// certificate sources (see Gateway.CertificateReloads).
type ReloadStats struct {
	// Reloads counts the configurations rebuilt from new versions and
	// swapped in.
	Reloads uint64
	// Failures counts the new versions refused: by their source (a file
	// that does not parse: certsource.Reporter) or by validation (the
	// configuration rebuilt with them is invalid: a key that does not
	// match its certificate, a CRL of an untrusted CA). The previous
	// version stays in force each time.
	Failures uint64
	// LastError is the last refusal's error, nil if none.
	LastError error
	// LastReload is when the last reload was swapped in; zero if none.
	LastReload time.Time
}

// watched is a certificate source of a configuration, with the channels
// its reload loop waits on: read together with the value the
// configuration was built from, so that no change slips in between.
type watched struct {
	kind, name string
	value      any // the value the configuration was built with
	changed    <-chan struct{}
	reporter   certsource.Reporter // nil if the source reports nothing
	failures   uint64              // the reporter's count when read
	failed     <-chan struct{}     // closed at the reporter's next failure
}

func (w *watched) key() string { return w.kind + "\x00" + w.name }

// resolver reads the sources of a configuration.
type resolver struct {
	// pinned are values to use instead of their sources' current ones (by
	// watched.key): the last accepted versions of sources whose newest
	// version was refused, so that a bad file does not hold back the good
	// new files of other sources.
	pinned map[string]any
	ws     []watched
	errs   problems
}

// current reads src, records it and returns the value to build with.
func current[T any](r *resolver, kind, name string, src certsource.Source[T]) T {
	v, changed := src.Current()
	w := watched{kind: kind, name: name, value: v, changed: changed}
	if rep, ok := src.(certsource.Reporter); ok {
		w.reporter = rep
		w.failures, w.failed, _ = rep.Failures()
	}
	if p, ok := r.pinned[w.key()]; ok {
		v, w.value = p.(T), p
	}
	r.ws = append(r.ws, w)
	return v
}

// resolveSources returns cfg with the current value of every certificate
// source (or its pinned value) in place of the fixed field it stands for
// (cfg's slices are not modified: those with a source are copied), the
// sources it read, and the problems of sources set together with fixed
// values or yielding unusable values.
func resolveSources(cfg Config, pinned map[string]any) (Config, []watched, error) {
	r := &resolver{pinned: pinned}
	if slices.ContainsFunc(cfg.SSLCertificates, func(c SSLCertificate) bool { return c.Source != nil }) {
		cfg.SSLCertificates = slices.Clone(cfg.SSLCertificates)
		for i := range cfg.SSLCertificates {
			c := &cfg.SSLCertificates[i]
			if c.Source == nil {
				continue
			}
			if len(c.Certificate.Certificate) > 0 || c.Certificate.PrivateKey != nil {
				r.errs.add("sslCertificate "+q(c.Name), "certificate and source are exclusive: set one")
			}
			c.Certificate = tls.Certificate{}
			if v := current(r, reloadSSLCertificate, c.Name, c.Source); v != nil {
				c.Certificate = *v
			}
		}
	}
	named := func(kind string, list []NamedCertificate) []NamedCertificate {
		if !slices.ContainsFunc(list, func(c NamedCertificate) bool { return c.Source != nil }) {
			return list
		}
		list = slices.Clone(list)
		for i := range list {
			c := &list[i]
			if c.Source == nil {
				continue
			}
			path := kind + " " + q(c.Name)
			if c.Certificate != nil {
				r.errs.add(path, "certificate and source are exclusive: set one")
			}
			v := current(r, kind, c.Name, c.Source)
			c.Certificate = nil
			switch len(v) {
			case 1:
				c.Certificate = v[0]
			case 0:
				// compile reports the missing certificate
			default:
				r.errs.add(path, "its source holds %d certificates: want exactly one", len(v))
			}
		}
		return list
	}
	cfg.TrustedRootCertificates = named(reloadTrustedRootCertificate, cfg.TrustedRootCertificates)
	cfg.AuthenticationCertificates = named(reloadAuthenticationCertificate, cfg.AuthenticationCertificates)
	if slices.ContainsFunc(cfg.TrustedClientCertificates, func(c TrustedClientCertificate) bool { return c.Source != nil }) {
		cfg.TrustedClientCertificates = slices.Clone(cfg.TrustedClientCertificates)
		for i := range cfg.TrustedClientCertificates {
			c := &cfg.TrustedClientCertificates[i]
			if c.Source == nil {
				continue
			}
			if len(c.Certificates) > 0 {
				r.errs.add("trustedClientCertificate "+q(c.Name), "certificates and source are exclusive: set one")
			}
			c.Certificates = current(r, reloadTrustedClientCertificate, c.Name, c.Source)
		}
	}
	if slices.ContainsFunc(cfg.SSLProfiles, func(p SSLProfile) bool { return p.ClientAuth.CRLSource != nil }) {
		cfg.SSLProfiles = slices.Clone(cfg.SSLProfiles)
		for i := range cfg.SSLProfiles {
			p := &cfg.SSLProfiles[i]
			if p.ClientAuth.CRLSource == nil {
				continue
			}
			if len(p.ClientAuth.CRLs) > 0 {
				r.errs.add("sslProfile "+q(p.Name), "clientAuth: crls and crlSource are exclusive: set one")
			}
			p.ClientAuth.CRLs = current(r, reloadCRL, p.Name, p.ClientAuth.CRLSource)
		}
	}
	return cfg, r.ws, r.errs.err()
}

// reloader runs the reload loop of the configuration in force: one
// goroutine, replaced by each Update, stopped by Shutdown and Close.
type reloader struct {
	mu      sync.Mutex
	stopped bool
	cancel  context.CancelFunc // of the running loop, nil if none
	wg      sync.WaitGroup
	stats   ReloadStats
}

// startReloads replaces the reload loop with one for cfg, whose sources
// were read as ws. It runs with updateMu held (New, Update) or with no
// concurrency yet (New).
func (g *Gateway) startReloads(cfg Config, ws []watched) {
	r := &g.reloads
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		// The old loop may wait for updateMu, held by our caller: it
		// returns once it has it and sees its context ended.
		r.cancel()
		r.cancel = nil
	}
	if r.stopped || len(ws) == 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		g.reloadLoop(ctx, cfg, ws)
	}()
}

// stopReloads ends the reload loop for good and waits for it. Shutdown
// and Close call it before they take updateMu, which the loop may be
// waiting for.
func (g *Gateway) stopReloads() {
	r := &g.reloads
	r.mu.Lock()
	r.stopped = true
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// reloadLoop waits for a new version of any of cfg's sources, rebuilds the
// configuration with it and the versions in force of the other sources,
// with the validation of Update, and swaps it in. A version refused, by
// its source (certsource.Reporter) or by validation, is logged, counted
// and reported, and the version in force stays, for that source only: a
// later good version of another source is still taken.
func (g *Gateway) reloadLoop(ctx context.Context, cfg Config, ws []watched) {
	inForce := make(map[string]any, len(ws))
	for _, w := range ws {
		inForce[w.key()] = w.value
	}
	for {
		chans := make([]<-chan struct{}, 0, 2*len(ws))
		for _, w := range ws {
			chans = append(chans, w.changed, w.failed)
		}
		if certsource.WaitAny(ctx, chans...) != nil {
			return
		}
		var changed []string // keys
		for i := range ws {
			w := &ws[i]
			if closed(w.failed) {
				n, next, last := w.reporter.Failures()
				if n > w.failures {
					if last == nil {
						last = errors.New("a new version was refused")
					}
					err := fmt.Errorf("gateway: %s %q: %w", w.kind, w.name, last)
					g.certificateReloaded(w.kind, err)
					g.reloaded(cfg.Observer, "file", g.cur.Load().Generation(), err)
				}
				w.failures, w.failed = n, next
			}
			if closed(w.changed) {
				changed = append(changed, w.key())
			}
		}
		if len(changed) == 0 {
			continue
		}
		accept := func(next []watched, err error) {
			if err == nil {
				for _, w := range next {
					inForce[w.key()] = w.value
				}
			}
		}
		// All new versions at once; if that is refused and several
		// changed, each on its own, so that one bad version does not hold
		// back the others.
		last, ok, err := g.reloadWith(ctx, cfg, inForce, changed)
		if !ok {
			return
		}
		if err != nil && len(changed) > 1 {
			for _, k := range changed {
				next, ok, err := g.reloadWith(ctx, cfg, inForce, []string{k})
				if !ok {
					return
				}
				accept(next, err)
				g.certificateReloaded(kindOf(next, k), err)
				last = next
			}
		} else {
			accept(last, err)
			for _, k := range changed {
				g.certificateReloaded(kindOf(last, k), err)
			}
		}
		// Wait for versions newer than those just read; failures a source
		// reported since the last wait are still to be reported.
		for i := range last {
			for _, old := range ws {
				if old.reporter != nil && last[i].reporter != nil && old.key() == last[i].key() {
					last[i].failures, last[i].failed = old.failures, old.failed
				}
			}
		}
		ws = last
	}
}

// reloadWith rebuilds cfg from the current versions of the sources keys
// and the versions in force of the others, and swaps it in if it is
// valid. It reports false if the gateway closed or the loop was replaced.
func (g *Gateway) reloadWith(ctx context.Context, cfg Config, inForce map[string]any, keys []string) (ws []watched, ok bool, err error) {
	pinned := make(map[string]any, len(inForce))
	for k, v := range inForce {
		if !slices.Contains(keys, k) {
			pinned[k] = v
		}
	}
	g.updateMu.Lock()
	defer g.updateMu.Unlock()
	if ctx.Err() != nil {
		return nil, false, nil
	}
	ws, err = g.update(cfg, pinned, "file")
	return ws, ws != nil, err
}

func kindOf(ws []watched, key string) string {
	for _, w := range ws {
		if w.key() == key {
			return w.kind
		}
	}
	return ""
}

func closed(c <-chan struct{}) bool {
	if c == nil {
		return false
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// certificateReloaded logs and counts the outcome of a new version of a
// source of kind: taken if err is nil, refused otherwise. (The observer is
// told by update, or, for a version its source refused, by the loop.)
func (g *Gateway) certificateReloaded(kind string, err error) {
	r := &g.reloads
	r.mu.Lock()
	if err != nil {
		r.stats.Failures++
		r.stats.LastError = err
	} else {
		r.stats.Reloads++
		r.stats.LastReload = time.Now()
	}
	r.mu.Unlock()
	if err != nil {
		g.log.Error("gateway: new certificate version refused; the previous version stays in force",
			slog.String("kind", kind), slog.String("error", err.Error()))
	} else {
		g.log.Info("gateway: certificate reloaded", slog.String("kind", kind),
			slog.Uint64("generation", g.cur.Load().Generation()))
	}
}

// CertificateReloads returns what the gateway did with new versions of
// its certificate sources: reloads taken, versions refused and the last
// refusal, for a health check. Config.Observer is told of each as well
// (observe.Reload with Source "file").
func (g *Gateway) CertificateReloads() ReloadStats {
	g.reloads.mu.Lock()
	defer g.reloads.mu.Unlock()
	return g.reloads.stats
}
