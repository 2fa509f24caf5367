package gateway

import (
	"crypto/tls"
	"strings"
	"time"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/internal/dataplane"
	"github.com/e2etls/e2etls/internal/upstream"
	"github.com/e2etls/e2etls/policy"
	"github.com/e2etls/e2etls/probe"
	"golang.org/x/net/http/httpguts"
)

// compileSetting validates a backend setting and resolves it for the data
// plane; it reports whether the setting had no problem.
func compileSetting(errs *problems, path string, bs BackendHTTPSetting, gwPolicy policy.Policy, roots, auths, probes map[string]int, cfg Config) (*dataplane.Setting, bool) {
	n := len(*errs)
	st := &dataplane.Setting{Name: bs.Name, Port: bs.Port, HTTP2: bs.HTTP2, Timeout: bs.RequestTimeout, Probe: probe.Default()}
	switch bs.Protocol {
	case HTTPS:
		st.HTTPS = true
	case HTTP:
	default:
		errs.add(path, "protocol %q: want %q or %q", bs.Protocol, HTTP, HTTPS)
	}
	if bs.Port != 0 && !validPort(bs.Port) {
		errs.add(path, "port %d out of range 1-65535 (0 means each member's own port)", bs.Port)
	}
	if st.Timeout == 0 {
		st.Timeout = defaultRequestTimeout
	} else if st.Timeout < time.Millisecond || st.Timeout > maxRequestTimeout {
		errs.add(path, "requestTimeout %v out of range 1ms-24h", bs.RequestTimeout)
	}
	st.Drain = defaultDrainTimeout
	if bs.ConnectionDraining.Enabled && bs.ConnectionDraining.DrainTimeout != 0 {
		st.Drain = bs.ConnectionDraining.DrainTimeout
		if st.Drain < time.Second || st.Drain > maxDrainTimeout {
			errs.add(path, "connectionDraining.drainTimeout %v out of range 1s-3600s", st.Drain)
		}
	}
	if bs.CookieBasedAffinity {
		st.Cookie = bs.AffinityCookieName
		if st.Cookie == "" {
			st.Cookie = defaultAffinityCookie
		}
		if !httpguts.ValidHeaderFieldName(st.Cookie) { // a cookie name is a token (RFC 6265)
			errs.add(path, "affinityCookieName %q is not a valid cookie name", st.Cookie)
		}
		st.CORSCookie = st.Cookie + "CORS"
	} else if bs.AffinityCookieName != "" {
		errs.add(path, "affinityCookieName %q set but cookieBasedAffinity is off", bs.AffinityCookieName)
	}
	if bs.Path != "" && !strings.HasPrefix(bs.Path, "/") {
		errs.add(path, "path %q must start with /", bs.Path)
	}
	switch {
	case bs.HostName != "" && bs.PickHostNameFromBackendAddress:
		errs.add(path, "hostName %q and pickHostNameFromBackendAddress are exclusive", bs.HostName)
	case bs.HostName != "":
		st.HostMode = dataplane.HostFixed
		h := strings.TrimSuffix(bs.HostName, ".")
		st.HostName = h
		if !upstream.IsIP(h) && !upstream.ValidFQDN(h) {
			errs.add(path, "hostName %q is neither a DNS name nor an IP address", bs.HostName)
		}
	case bs.PickHostNameFromBackendAddress:
		st.HostMode = dataplane.HostPick
	default:
		st.HostMode = dataplane.HostClient
	}

	// The probe.
	if bs.DisableProbe {
		st.ProbeOff, st.PassiveHold = true, passiveHold
		if bs.Probe != "" {
			errs.add(path, "probe %q and disableProbe are exclusive: a setting with probes off has no probe", bs.Probe)
		}
	}
	if bs.Probe != "" {
		pi, ok := probes[bs.Probe]
		if !ok {
			errs.add(path, "unknown probe %q", bs.Probe)
		} else {
			p := cfg.Probes[pi]
			if p.Protocol != bs.Protocol && (p.Protocol == HTTP || p.Protocol == HTTPS) {
				errs.add(path, "probe %q speaks %s but the setting speaks %s: they must match", p.Name, p.Protocol, bs.Protocol)
			}
			if spec, err := probeSpec(p); err == nil {
				st.Probe = spec
			}
			st.ProbeHost = p.Host
			st.ProbeName = p.Name
		}
	} else if bs.Protocol == HTTP {
		st.Probe.Scheme = "http"
	}

	// Backend trust.
	if !st.HTTPS {
		tlsFields := []struct {
			set  bool
			name string
		}{
			{len(bs.TrustedRootCertificates) > 0, "trustedRootCertificates"},
			{len(bs.AuthenticationCertificates) > 0, "authenticationCertificates"},
			{len(bs.PinnedPublicKeys) > 0, "pinnedPublicKeys"},
			{bs.Identity != "", "identity"},
			{bs.ServerName != "", "serverName"},
			{len(bs.SubjectAltNames) > 0, "subjectAltNames"},
			{bs.Verifier != nil, "verifier"},
			{bs.ClientCertificate != nil, "clientCertificate"},
			{!bs.SSLPolicy.IsZero(), "sslPolicy"},
			{bs.HTTP2, "http2 (HTTP/2 to backends needs TLS)"},
			{bs.InsecureSkipVerify, "insecureSkipVerify"},
		}
		for _, f := range tlsFields {
			if f.set {
				errs.add(path, "%s applies to HTTPS settings only", f.name)
			}
		}
		return st, len(*errs) == n
	}
	if len(bs.TrustedRootCertificates) > 0 && len(bs.AuthenticationCertificates) > 0 {
		errs.add(path, "trustedRootCertificates and authenticationCertificates cannot be combined: use roots (v2) or exact leaf certificates (v1)")
	}
	tc := backendtls.Config{
		Identity:           bs.Identity,
		SubjectAltNames:    bs.SubjectAltNames,
		PinnedPublicKeys:   bs.PinnedPublicKeys,
		Verifier:           bs.Verifier,
		InsecureSkipVerify: bs.InsecureSkipVerify,
		Policy:             bs.SSLPolicy,
		NextProtos:         []string{"http/1.1"},
	}
	if tc.Policy.IsZero() {
		tc.Policy = gwPolicy
	}
	if bs.HTTP2 {
		tc.NextProtos = []string{"h2", "http/1.1"}
	}
	if bs.ClientCertificate != nil {
		tc.ClientCertificates = []tls.Certificate{*bs.ClientCertificate}
	}
	for _, name := range bs.TrustedRootCertificates {
		i, ok := roots[name]
		if !ok {
			errs.add(path, "unknown trustedRootCertificate %q", name)
			continue
		}
		if c := cfg.TrustedRootCertificates[i].Certificate; c != nil {
			tc.TrustedRootCertificates = append(tc.TrustedRootCertificates, c)
		}
	}
	for _, name := range bs.AuthenticationCertificates {
		i, ok := auths[name]
		if !ok {
			errs.add(path, "unknown authenticationCertificate %q", name)
			continue
		}
		if c := cfg.AuthenticationCertificates[i].Certificate; c != nil {
			tc.AuthenticationCertificates = append(tc.AuthenticationCertificates, c)
		}
	}
	// Check the trust material once with a representative name; each
	// endpoint's config is built from this template.
	check := tc
	check.ServerName = "backend.invalid"
	if bs.HostName != "" {
		check.ServerName = strings.TrimSuffix(bs.HostName, ".")
	}
	if bs.ServerName != "" { // Azure's sniName
		check.ServerName = strings.TrimSuffix(bs.ServerName, ".")
		st.ServerName = check.ServerName
	}
	if err := check.Validate(); err != nil {
		errs.wrap(path, err)
	}
	st.Trust = tc
	return st, len(*errs) == n
}
