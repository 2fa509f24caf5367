package gateway

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/e2etls/e2etls/internal/reload"
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

// resolveSources returns cfg with the current value of every certificate
// source (or its pinned value) in place of the fixed field it stands for
// (cfg's slices are not modified: those with a source are copied), the
// sources it read, and the problems of sources set together with fixed
// values or yielding unusable values.
func resolveSources(cfg Config, pinned map[string]any) (Config, []reload.Watched, error) {
	r := &reload.Resolver{Pinned: pinned}
	var errs problems
	if slices.ContainsFunc(cfg.SSLCertificates, func(c SSLCertificate) bool { return c.Source != nil }) {
		cfg.SSLCertificates = slices.Clone(cfg.SSLCertificates)
		for i := range cfg.SSLCertificates {
			c := &cfg.SSLCertificates[i]
			if c.Source == nil {
				continue
			}
			if len(c.Certificate.Certificate) > 0 || c.Certificate.PrivateKey != nil {
				errs.add("sslCertificate "+q(c.Name), "certificate and source are exclusive: set one")
			}
			c.Certificate = tls.Certificate{}
			if v := reload.Current(r, reloadSSLCertificate, c.Name, c.Source); v != nil {
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
				errs.add(path, "certificate and source are exclusive: set one")
			}
			v := reload.Current(r, kind, c.Name, c.Source)
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
			c.Certificates = reload.Current(r, reloadTrustedClientCertificate, c.Name, c.Source)
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
				errs.add("sslProfile "+q(p.Name), "clientAuth: crls and crlSource are exclusive: set one")
			}
			p.ClientAuth.CRLs = reload.Current(r, reloadCRL, p.Name, p.ClientAuth.CRLSource)
		}
	}
	return cfg, r.Watched, errs.err()
}

// startReloads replaces the reload loop with one for cfg, whose sources
// were read as ws. It runs with updateMu held (New, Update) or with no
// concurrency yet (New). The loop rebuilds the configuration with the
// validation of Update, and logs, counts and reports each new version
// taken or refused (see reload.Loop).
func (g *Gateway) startReloads(cfg Config, ws []reload.Watched) {
	g.reloads.Start(ws, reload.Target{
		Rebuild: func(ctx context.Context, pinned map[string]any) ([]reload.Watched, bool, error) {
			g.updateMu.Lock()
			defer g.updateMu.Unlock()
			if ctx.Err() != nil {
				return nil, false, nil // the gateway closed, or the loop was replaced
			}
			ws, err := g.update(cfg, pinned, "file")
			return ws, ws != nil, err
		},
		Reloaded: g.certificateReloaded,
		SourceRefused: func(kind, name string, err error) {
			err = fmt.Errorf("gateway: %s %q: %w", kind, name, err)
			g.certificateReloaded(kind, err)
			g.reloaded(cfg.Observer, "file", g.cur.Load().Generation(), err)
		},
	})
}

// certificateReloaded logs and counts the outcome of a new version of a
// source of kind: taken if err is nil, refused otherwise. (The observer is
// told by update, or, for a version its source refused, by the loop.)
func (g *Gateway) certificateReloaded(kind string, err error) {
	g.reloads.Count(err)
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
	return ReloadStats(g.reloads.Stats())
}
