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

// Kinds of certificate sources, as Config.OnCertificateReload names them.
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
	changed    <-chan struct{}
	reporter   certsource.Reporter // nil if the source reports nothing
	failures   uint64              // the reporter's count when read
	failed     <-chan struct{}     // closed at the reporter's next failure
}

// resolveSources returns cfg with the current value of every certificate
// source in place of the fixed field it stands for (cfg's slices are not
// modified: those with a source are copied), the sources it read, and the
// problems of sources set together with fixed values or yielding unusable
// values.
func resolveSources(cfg Config) (Config, []watched, error) {
	var (
		ws   []watched
		errs problems
	)
	watch := func(kind, name string, src any, changed <-chan struct{}) {
		w := watched{kind: kind, name: name, changed: changed}
		if r, ok := src.(certsource.Reporter); ok {
			w.reporter = r
			w.failures, w.failed, _ = r.Failures()
		}
		ws = append(ws, w)
	}
	if slices.ContainsFunc(cfg.SSLCertificates, func(c SSLCertificate) bool { return c.Source != nil }) {
		cfg.SSLCertificates = slices.Clone(cfg.SSLCertificates)
		for i := range cfg.SSLCertificates {
			c := &cfg.SSLCertificates[i]
			if c.Source == nil {
				continue
			}
			path := "sslCertificate " + q(c.Name)
			if len(c.Certificate.Certificate) > 0 || c.Certificate.PrivateKey != nil {
				errs.add(path, "certificate and source are exclusive: set one")
			}
			v, changed := c.Source.Current()
			watch(reloadSSLCertificate, c.Name, c.Source, changed)
			if v == nil {
				c.Certificate = tls.Certificate{}
				continue
			}
			c.Certificate = *v
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
				errs.add(path, "certificate and source are exclusive: set one")
			}
			v, changed := c.Source.Current()
			watch(kind, c.Name, c.Source, changed)
			c.Certificate = nil
			switch len(v) {
			case 1:
				c.Certificate = v[0]
			case 0:
				// compile reports the missing certificate
			default:
				errs.add(path, "its source holds %d certificates: want exactly one", len(v))
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
				errs.add("trustedClientCertificate "+q(c.Name), "certificates and source are exclusive: set one")
			}
			v, changed := c.Source.Current()
			watch(reloadTrustedClientCertificate, c.Name, c.Source, changed)
			c.Certificates = v
		}
	}
	if slices.ContainsFunc(cfg.SSLProfiles, func(p SSLProfile) bool { return p.ClientAuth.CRLSource != nil }) {
		cfg.SSLProfiles = slices.Clone(cfg.SSLProfiles)
		for i := range cfg.SSLProfiles {
			ca := &cfg.SSLProfiles[i].ClientAuth
			if ca.CRLSource == nil {
				continue
			}
			if len(ca.CRLs) > 0 {
				errs.add("sslProfile "+q(cfg.SSLProfiles[i].Name), "clientAuth: crls and crlSource are exclusive: set one")
			}
			v, changed := ca.CRLSource.Current()
			watch(reloadCRL, cfg.SSLProfiles[i].Name, ca.CRLSource, changed)
			ca.CRLs = v
		}
	}
	return cfg, ws, errs.err()
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
// configuration from their current values with the validation of Update
// and swaps it in; a refused version (by its source or by validation)
// leaves the configuration in force, and is logged and counted.
func (g *Gateway) reloadLoop(ctx context.Context, cfg Config, ws []watched) {
	for {
		chans := make([]<-chan struct{}, 0, 2*len(ws))
		for _, w := range ws {
			chans = append(chans, w.changed, w.failed)
		}
		if certsource.WaitAny(ctx, chans...) != nil {
			return
		}
		var kinds []string
		for i := range ws {
			w := &ws[i]
			if closed(w.failed) {
				n, next, last := w.reporter.Failures()
				if n > w.failures {
					if last == nil {
						last = errors.New("a new version was refused")
					}
					g.certificateReloaded(cfg, []string{w.kind}, fmt.Errorf("gateway: %s %q: %w", w.kind, w.name, last))
				}
				w.failures, w.failed = n, next
			}
			if closed(w.changed) && !slices.Contains(kinds, w.kind) {
				kinds = append(kinds, w.kind)
			}
		}
		if len(kinds) == 0 {
			continue
		}
		g.updateMu.Lock()
		if ctx.Err() != nil {
			g.updateMu.Unlock()
			return
		}
		next, err := g.update(cfg, "file")
		g.updateMu.Unlock()
		if next == nil {
			return // closed: nothing was read
		}
		g.certificateReloaded(cfg, kinds, err)
		// Taken or refused, wait for the next versions of the sources now
		// read; failures a source reported since the last wait are still
		// to be reported.
		for i := range next {
			for _, old := range ws {
				if old.reporter != nil && next[i].reporter != nil && old.kind == next[i].kind && old.name == next[i].name {
					next[i].failures, next[i].failed = old.failures, old.failed
				}
			}
		}
		ws = next
	}
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

// certificateReloaded logs, counts and reports (Config.OnCertificateReload) the
// outcome of a reload of sources of kinds: taken if err is nil, refused
// otherwise.
func (g *Gateway) certificateReloaded(cfg Config, kinds []string, err error) {
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
			slog.Any("kinds", kinds), slog.String("error", err.Error()))
	} else {
		g.log.Info("gateway: certificates reloaded", slog.Any("kinds", kinds),
			slog.Uint64("generation", g.cur.Load().Generation()))
	}
	if cfg.OnCertificateReload != nil {
		for _, k := range kinds {
			cfg.OnCertificateReload(k, err)
		}
	}
}

// CertificateReloads returns what the gateway did with new versions of
// its certificate sources: reloads taken, versions refused and the last
// refusal, for a metric or a health check. See also
// Config.OnCertificateReload.
func (g *Gateway) CertificateReloads() ReloadStats {
	g.reloads.mu.Lock()
	defer g.reloads.mu.Unlock()
	return g.reloads.stats
}
