package gateway

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"sync"
	"time"

	"github.com/e2etls/e2etls/clientauth"
	"github.com/e2etls/e2etls/internal/dataplane"
	"github.com/e2etls/e2etls/policy"
	"github.com/e2etls/e2etls/revocation"
)

// ClientCertificateCode is the ErrorCode of a request refused for its
// client certificate (400): "client-certificate-" followed by the
// clientauth.Reason's name, such as "client-certificate-expired" or
// "client-certificate-no-certificate". It is the access log's reason and,
// with detailed errors, the ErrorHeader of the answer.
func ClientCertificateCode(r clientauth.Reason) ErrorCode {
	return ErrorCode(dataplane.ClientCertificateCode(r))
}

// profile is an SSL profile resolved for its listeners.
type profile struct {
	name   string
	policy policy.Policy         // zero: the gateway's
	chains [][]*x509.Certificate // the trusted client CA chains
	auth   *clientauth.Verifier  // nil: no client certificate is asked for
	xfcc   clientauth.XFCC       // By filled per listener when empty
}

// clientAuthEnv is what the client authentication of a gateway keeps
// across configuration generations.
type clientAuthEnv struct {
	// tickets encrypts the session tickets of listeners with client
	// authentication, with keys that outlive generations (crypto/tls
	// rotates them), so that a client resumes across Updates and reloads.
	tickets *tls.Config

	mu   sync.Mutex
	ocsp map[string]*revocation.OCSPCache // per SSL profile name
}

func newClientAuthEnv() *clientAuthEnv {
	return &clientAuthEnv{tickets: &tls.Config{}, ocsp: make(map[string]*revocation.OCSPCache)}
}

// ocspCache is the OCSP cache of the profile named name, shared by its
// successive Verifiers so that an Update or a reload does not empty it.
func (e *clientAuthEnv) ocspCache(name string) *revocation.OCSPCache {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.ocsp[name]
	if c == nil {
		c = revocation.NewOCSPCache(0)
		e.ocsp[name] = c
	}
	return c
}

// profiles are the SSL profiles of a configuration.
type profiles struct {
	names  map[string]int      // every named profile
	byName map[string]*profile // those without problems
}

// compileProfiles validates the trusted client certificates and the SSL
// profiles and builds each profile's Verifier. Profiles with problems are
// reported and left out.
func compileProfiles(errs *problems, cfg Config, e *clientAuthEnv) profiles {
	chains := uniqueNames(errs, "trustedClientCertificate", len(cfg.TrustedClientCertificates), func(i int) string { return cfg.TrustedClientCertificates[i].Name })
	names := uniqueNames(errs, "sslProfile", len(cfg.SSLProfiles), func(i int) string { return cfg.SSLProfiles[i].Name })
	valid := make(map[string]bool, len(chains))
	for _, tc := range cfg.TrustedClientCertificates {
		path := "trustedClientCertificate " + q(tc.Name)
		if len(tc.Certificates) == 0 {
			errs.add(path, "no certificate: give the root CA of the chain and any intermediates")
			continue
		}
		// Each chain is checked on its own, so that its problems carry its
		// name rather than an index into a profile's list.
		if err := clientauth.CheckChain(tc.Certificates, time.Now()); err != nil {
			errs.wrap(path, err)
			continue
		}
		valid[tc.Name] = true
	}

	out := make(map[string]*profile, len(cfg.SSLProfiles))
	for _, sp := range cfg.SSLProfiles {
		path := "sslProfile " + q(sp.Name)
		n := len(*errs)
		p := &profile{name: sp.Name, policy: sp.SSLPolicy}
		if !sp.SSLPolicy.IsZero() {
			if err := sp.SSLPolicy.Validate(); err != nil {
				errs.wrap(path+": sslPolicy", err)
			}
		}
		complete := true
		for _, ref := range sp.TrustedClientCertificates {
			i, ok := chains[ref]
			switch {
			case !ok:
				errs.add(path, "unknown trustedClientCertificate %q", ref)
				complete = false
			case !valid[ref]:
				complete = false // reported with the certificate
			default:
				p.chains = append(p.chains, cfg.TrustedClientCertificates[i].Certificates)
			}
		}
		ca := sp.ClientAuth
		if !validXFCCMode(ca.ForwardClientCert.Mode) {
			errs.add(path, "clientAuth: forwardClientCert mode %v: want SANITIZE, FORWARD_ONLY, APPEND_FORWARD, SANITIZE_SET or ALWAYS_FORWARD_ONLY", ca.ForwardClientCert.Mode)
		}
		if len(sp.TrustedClientCertificates) == 0 && ca.Mode == clientauth.Strict {
			// A profile without trusted client CAs in Strict mode only
			// sets a policy: a client authentication setting would be
			// silently ignored, so it is refused.
			for _, f := range []struct {
				name string
				set  bool
			}{
				{"verifyClientCertIssuerDN", ca.VerifyClientCertIssuerDN},
				{"verifyClientRevocation", ca.VerifyClientRevocation != clientauth.RevocationNone},
				{"ocspResponderURL", ca.OCSPResponderURL != ""},
				{"ocspTimeout", ca.OCSPTimeout != 0},
				{"crls", len(ca.CRLs) > 0 || ca.CRLSource != nil},
				{"allowStaleCRLs", ca.AllowStaleCRLs},
				{"revocationSoftFail", ca.RevocationSoftFail},
				{"allowedIdentities", len(ca.AllowedIdentities) > 0},
				{"forwardClientCert", ca.ForwardClientCert.Mode != clientauth.XFCCSanitize},
			} {
				if f.set {
					errs.add(path, "clientAuth: %s needs trustedClientCertificates (the CA chains that issue client certificates): without them the profile asks for no client certificate", f.name)
				}
			}
		} else if complete {
			if ca.VerifyClientRevocation != clientauth.RevocationOCSP && (ca.OCSPResponderURL != "" || ca.OCSPTimeout != 0) {
				errs.add(path, "clientAuth: ocspResponderURL and ocspTimeout apply with verifyClientRevocation OCSP only")
			}
			v, err := clientauth.New(clientauth.Config{
				Mode:                      ca.Mode,
				TrustedClientCertificates: p.chains,
				VerifyClientCertIssuerDN:  ca.VerifyClientCertIssuerDN,
				VerifyClientRevocation:    ca.VerifyClientRevocation,
				CRLs:                      ca.CRLs,
				AllowStaleCRLs:            ca.AllowStaleCRLs,
				OCSP: revocation.OCSPConfig{
					ResponderURL: ca.OCSPResponderURL,
					Timeout:      ca.OCSPTimeout,
					Cache:        e.ocspCache(sp.Name),
				},
				RevocationSoftFail: ca.RevocationSoftFail,
				AllowedIdentities:  ca.AllowedIdentities,
			})
			if err != nil {
				errs.wrap(path+": clientAuth", err)
			}
			p.auth = v
			p.xfcc = ca.ForwardClientCert
		}
		if len(*errs) == n {
			out[sp.Name] = p
		}
	}
	return profiles{names: names, byName: out}
}

func validXFCCMode(m clientauth.XFCCMode) bool {
	return m >= clientauth.XFCCSanitize && m <= clientauth.XFCCAlwaysForwardOnly
}

// listenerProfile returns the SSL profile of listener l (nil for none),
// reporting a reference it cannot honour.
func (ps profiles) listener(errs *problems, path string, l Listener) *profile {
	if l.SSLProfile == "" {
		return nil
	}
	if l.Protocol != HTTPS {
		errs.add(path, "sslProfile %q applies to HTTPS listeners only", l.SSLProfile)
		return nil
	}
	if _, ok := ps.names[l.SSLProfile]; !ok {
		errs.add(path, "unknown sslProfile %q", l.SSLProfile)
		return nil
	}
	p := ps.byName[l.SSLProfile]
	if p == nil {
		return nil // the profile's problems are reported
	}
	if !l.SSLPolicy.IsZero() && !p.policy.IsZero() {
		errs.add(path, "sslPolicy is set both on the listener and on its sslProfile %q: set it in one place", l.SSLProfile)
	}
	return p
}

// policyOr is the profile's policy, or def.
func (p *profile) policyOr(def policy.Policy) policy.Policy {
	if p == nil || p.policy.IsZero() {
		return def
	}
	return p.policy
}

// apply configures an HTTPS listener of the profile: its name, and with
// client authentication its tls.Config (the handshake asks for a client
// certificate; tickets bound to the profile) and the data plane's
// verification.
func (p *profile) apply(pl *dataplane.Listener, tc *tls.Config, e *clientAuthEnv) {
	if p == nil {
		return
	}
	pl.Profile = p.name
	if p.auth == nil {
		return
	}
	p.auth.ConfigureServer(tc)
	if e != nil {
		bindTickets(tc, e.tickets, p.name)
	}
	xfcc := p.xfcc
	if len(xfcc.By) == 0 && len(tc.Certificates) > 0 {
		xfcc.By = clientauth.URISANs(tc.Certificates[0].Leaf)
	}
	pl.ClientAuth = &dataplane.ClientAuth{Verifier: p.auth, XFCC: xfcc}
}

// bindTickets makes tc's session tickets resumable only on listeners of
// the same SSL profile, and only if the session has a client certificate:
// a session of a listener that asked for none, or of another profile,
// gets a full handshake, in which the client is asked for its
// certificate. Without this, a client that resumes a session made before
// an Update turned client authentication on would resume it without a
// certificate and be refused on every connection until the ticket
// expired. Verification runs on resumed sessions either way (the
// certificate is restored from the ticket).
func bindTickets(tc *tls.Config, tickets *tls.Config, profile string) {
	tag := []byte("e2etls/client-auth/" + profile)
	tc.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		if len(cs.PeerCertificates) > 0 {
			ss.Extra = append(ss.Extra, tag)
		}
		return tickets.EncryptTicket(cs, ss)
	}
	tc.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		ss, err := tickets.DecryptTicket(identity, cs)
		if err != nil || ss == nil {
			return nil, nil // not ours, or expired: a full handshake
		}
		for _, x := range ss.Extra {
			if bytes.Equal(x, tag) {
				return ss, nil
			}
		}
		return nil, nil
	}
}
