package gateway

import (
	"crypto/x509"
	"time"

	"github.com/e2etls/e2etls/clientauth"
	"github.com/e2etls/e2etls/internal/dataplane"
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

// profiles are the SSL profiles of a configuration.
type profiles struct {
	names  map[string]int                // every named profile
	byName map[string]*dataplane.Profile // those without problems
}

// compileProfiles validates the trusted client certificates and the SSL
// profiles and builds each profile's Verifier. Profiles with problems are
// reported and left out.
func compileProfiles(errs *problems, cfg Config, e *dataplane.ClientAuthEnv) profiles {
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

	out := make(map[string]*dataplane.Profile, len(cfg.SSLProfiles))
	for _, sp := range cfg.SSLProfiles {
		path := "sslProfile " + q(sp.Name)
		n := len(*errs)
		p := &dataplane.Profile{Name: sp.Name, Policy: sp.SSLPolicy}
		var trusted [][]*x509.Certificate // the trusted client CA chains
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
				trusted = append(trusted, cfg.TrustedClientCertificates[i].Certificates)
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
				TrustedClientCertificates: trusted,
				VerifyClientCertIssuerDN:  ca.VerifyClientCertIssuerDN,
				VerifyClientRevocation:    ca.VerifyClientRevocation,
				CRLs:                      ca.CRLs,
				AllowStaleCRLs:            ca.AllowStaleCRLs,
				OCSP: revocation.OCSPConfig{
					ResponderURL: ca.OCSPResponderURL,
					Timeout:      ca.OCSPTimeout,
					Cache:        e.OCSPCache(sp.Name),
				},
				RevocationSoftFail: ca.RevocationSoftFail,
				AllowedIdentities:  ca.AllowedIdentities,
			})
			if err != nil {
				errs.wrap(path+": clientAuth", err)
			}
			p.Auth = v
			p.XFCC = ca.ForwardClientCert
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
func (ps profiles) listener(errs *problems, path string, l Listener) *dataplane.Profile {
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
	if !l.SSLPolicy.IsZero() && !p.Policy.IsZero() {
		errs.add(path, "sslPolicy is set both on the listener and on its sslProfile %q: set it in one place", l.SSLProfile)
	}
	return p
}
