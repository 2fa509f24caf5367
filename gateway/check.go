package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/internal/dataplane"
	"github.com/e2etls/e2etls/internal/upstream"
)

// BackendCheck is the dry run of one member under one backend setting: would
// the gateway trust it, and if not, why.
type BackendCheck struct {
	Pool    string
	Setting string
	// Member is the member's address and port.
	Member string
	// ServerName is the SNI the check sent ("" for none): the setting's
	// host name, the member's FQDN, or, when the setting takes its host from
	// each request, the probe's host.
	ServerName string
	// Report is the handshake's report; nil when Err is set.
	Report *backendtls.Report
	// Err is set when no handshake could be attempted (connection refused,
	// DNS failure).
	Err error
}

// OK reports whether the member would be trusted.
func (c BackendCheck) OK() bool { return c.Err == nil && c.Report != nil && c.Report.OK() }

// CheckBackends validates cfg as New does and then dry-runs backend trust
// for every member of every HTTPS pool and setting pair that a rule uses:
// it dials the member, handshakes with exactly the trust the data path would
// use, and reports each check (see backendtls.CheckConn). It dials with
// cfg.DialContext and cfg.Resolver, as the data path and the probes do.
// Nothing is served and no request is sent. It returns an error only when
// cfg is invalid.
func CheckBackends(ctx context.Context, cfg Config) ([]BackendCheck, error) {
	e := &env{dp: dataplane.Env{
		Dialer:   upstream.NewDialer(cfg.DialContext, cfg.Resolver),
		Log:      slog.New(slog.DiscardHandler),
		Hijacked: new(dataplane.Hijacked),
	}}
	cfg = withAffinityKey(withCanonicalProtocols(cfg), []byte("check"))
	resolved, _, srcErr := resolveSources(cfg, nil)
	s, err := compile(resolved, 0, e)
	if err = errors.Join(srcErr, err); err != nil {
		return nil, err
	}
	var out []BackendCheck
	for _, t := range s.CheckTargets() {
		c := BackendCheck{Pool: t.Pool, Setting: t.Setting, Member: t.Member.HostKey, ServerName: t.ServerName}
		conn, err := e.dp.Dialer.Dial(ctx, t.Member.Address, t.Member.Port)
		if err != nil {
			c.Err = err
		} else {
			c.Report, c.Err = backendtls.CheckConn(ctx, conn, t.Trust)
		}
		out = append(out, c)
	}
	return out, nil
}

// String is a one-line summary followed by the report.
func (c BackendCheck) String() string {
	head := fmt.Sprintf("pool %q, setting %q, member %s, SNI %q: ", c.Pool, c.Setting, c.Member, c.ServerName)
	switch {
	case c.Err != nil:
		return head + "could not check: " + c.Err.Error()
	case c.Report.OK():
		return head + "trusted\n" + c.Report.String()
	default:
		return head + "REFUSED\n" + c.Report.String()
	}
}
