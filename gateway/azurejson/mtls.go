package azurejson

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strconv"
	"strings"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/clientauth"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/revocation"
)

// SSL profiles and trusted client certificates: mutual TLS at the front
// door, in both shapes.

// Azure's values of clientAuthConfiguration's enumerations.
const (
	authModeStrict      = "Strict"
	authModePassthrough = "Passthrough"
	revocationNone      = "None"
	revocationOCSP      = "OCSP"
)

var sslProfileSpec = kindSpec{
	honoured: []string{"sslPolicy", "clientAuthConfiguration", "trustedClientCertificates"},
	ignored: []field{
		{name: "provisioningState", reason: whyState},
		{name: "httpListeners", reason: whyBackRef},
	},
}

var clientAuthSpec = kindSpec{
	honoured: []string{"verifyClientCertIssuerDN", "verifyClientRevocation", "verifyClientAuthMode"},
}

var trustedClientCertSpec = kindSpec{
	honoured: []string{"data"},
	ignored: []field{
		{name: "validatedCertData", reason: "read-only: the chain as Azure validated it; data is what counts"},
		{name: "clientCertIssuerDN", reason: "read-only: the issuer DN Azure extracted from the chain; the gateway extracts it the same way"},
		{name: "provisioningState", reason: whyState},
	},
}

// parseChainData parses a trusted client CA chain as Azure stores it in
// data: the base64 of a PEM file holding the chain (what Azure's portal
// uploads), or of one DER certificate (a .cer file); PEM, DER and PKCS#7
// are taken too.
func parseChainData(data string) ([]*x509.Certificate, error) {
	if trimmed := strings.TrimSpace(data); !strings.Contains(trimmed, "-----BEGIN") {
		if raw, err := decodeBase64(trimmed); err == nil && bytes.Contains(raw, []byte("-----BEGIN")) {
			return backendtls.ParseCertificates(raw)
		}
	}
	return parseCertData(data)
}

// clientAuthMode and revocationCheck map Azure's values.
func clientAuthMode(s string) clientauth.Mode {
	if s == authModePassthrough {
		return clientauth.Passthrough
	}
	return clientauth.Strict
}

func revocationCheck(s string) clientauth.RevocationCheck {
	if s == revocationOCSP {
		return clientauth.RevocationOCSP
	}
	return clientauth.RevocationNone
}

// The ARM shapes.

// trustedClientCertificates converts the gateway's
// trustedClientCertificates.
func (a *armDecoder) trustedClientCertificates(props *object) {
	for _, s := range a.subs(props, "trustedClientCertificates", &trustedClientCertSpec) {
		a.cfg.TrustedClientCertificates = append(a.cfg.TrustedClientCertificates, a.trustedClientCertificate(s))
	}
}

// trustedClientCertificate converts a trustedClientCertificates element:
// a CA chain from data, or from the local file the options map its name
// to.
func (a *armDecoder) trustedClientCertificate(s *sub) gateway.TrustedClientCertificate {
	c := gateway.TrustedClientCertificate{Name: s.name}
	o := s.p
	if file, ok := a.certFor(s.name); ok {
		if v := o.get("data"); v != nil {
			a.note(v.off, join(o.path, "data"), "data", "replaced by the local file "+quote(file)+" (Options.CertificateFiles)")
		}
		data, err := a.readLocal(file)
		if err == nil {
			c.Certificates, err = parseChainData(string(data))
		}
		if err != nil {
			o.failf("", "certificate file %s: %v", quote(file), err)
		}
		return c
	}
	if !o.has("data") {
		o.failf("", "no certificate: set data (the CA chain, base64 of a PEM file or of a DER certificate)")
		return c
	}
	certs, err := parseChainData(o.str("data"))
	if err != nil {
		o.fail("data", err)
		return c
	}
	c.Certificates = certs
	return c
}

// sslProfiles converts the gateway's sslProfiles.
func (a *armDecoder) sslProfiles(props *object) {
	for _, s := range a.subs(props, "sslProfiles", &sslProfileSpec) {
		o := s.p
		p := gateway.SSLProfile{
			Name:                      s.name,
			SSLPolicy:                 a.sslPolicy(o, "sslPolicy"),
			TrustedClientCertificates: a.refs(o, "trustedClientCertificates", "trustedClientCertificates"),
		}
		if v := o.get("clientAuthConfiguration"); v != nil && v.kind != kindNull {
			if ca := a.object(v, join(o.path, "clientAuthConfiguration"), clientAuthSpec.all()...); ca != nil {
				a.screen(ca, &clientAuthSpec)
				p.ClientAuth = gateway.ClientAuth{
					Mode:                     clientAuthMode(ca.enum("verifyClientAuthMode", authModeStrict, authModePassthrough)),
					VerifyClientCertIssuerDN: ca.boolean("verifyClientCertIssuerDN"),
					VerifyClientRevocation:   revocationCheck(ca.enum("verifyClientRevocation", revocationNone, revocationOCSP)),
				}
			}
		}
		a.cfg.SSLProfiles = append(a.cfg.SSLProfiles, p)
	}
}

// readLocal reads a local file the options name, and records it in the
// document's Files.
func (d *decoder) readLocal(name string) ([]byte, error) {
	d.files = append(d.files, name)
	return readFile(name)
}

// The flat shape.

// flatTrustedClientCertificate converts a flat trustedClientCertificates
// element: a CA chain from certFile (PEM or DER) or data (as Azure's).
func (o *object) trustedClientCertificate() gateway.TrustedClientCertificate {
	c := gateway.TrustedClientCertificate{Name: o.str("name")}
	var (
		certs []*x509.Certificate
		err   error
		key   string
	)
	switch {
	case o.has("certFile") && o.has("data"):
		o.failf("", "set certFile or data, not both")
		return c
	case o.has("certFile"):
		key = "certFile"
		data, ok := o.file(key)
		if !ok {
			return c
		}
		certs, err = backendtls.ParseCertificates(data)
	case o.has("data"):
		key = "data"
		if o.get(key).kind != kindString {
			o.str(key) // reports the type
			return c
		}
		certs, err = parseChainData(o.str(key))
	default:
		o.failf("", "set certFile or data")
		return c
	}
	if err != nil {
		o.fileFail(key, err)
		return c
	}
	c.Certificates = certs
	return c
}

// flatClientAuthFields are the members of a flat clientAuthConfiguration:
// Azure's, and what only e2etls has.
var flatClientAuthFields = []string{
	"verifyClientCertIssuerDN", "verifyClientRevocation", "verifyClientAuthMode",
	"revocationSoftFail", "crlFiles", "allowStaleCRLs", "ocspResponderUrl", "ocspTimeout",
	"allowedIdentities", "forwardClientCert",
}

// sslProfile converts a flat sslProfiles element.
func (o *object) sslProfile() gateway.SSLProfile {
	p := gateway.SSLProfile{
		Name:                      o.str("name"),
		SSLPolicy:                 o.sslPolicy("sslPolicy"),
		TrustedClientCertificates: o.refs("trustedClientCertificates", "trustedClientCertificates"),
	}
	ca := o.object("clientAuthConfiguration", flatClientAuthFields...)
	if ca == nil {
		return p
	}
	p.ClientAuth = gateway.ClientAuth{
		Mode:                     clientAuthMode(ca.enum("verifyClientAuthMode", authModeStrict, authModePassthrough)),
		VerifyClientCertIssuerDN: ca.boolean("verifyClientCertIssuerDN"),
		VerifyClientRevocation:   revocationCheck(ca.enum("verifyClientRevocation", revocationNone, revocationOCSP)),
		RevocationSoftFail:       ca.boolean("revocationSoftFail"),
		AllowStaleCRLs:           ca.boolean("allowStaleCRLs"),
		OCSPResponderURL:         ca.str("ocspResponderUrl"),
		OCSPTimeout:              ca.seconds("ocspTimeout"),
	}
	if files, ok := ca.array("crlFiles", "an array of file names"); ok {
		for i, v := range files {
			path := join(ca.path, "crlFiles["+strconv.Itoa(i)+"]")
			if v.kind != kindString || v.text == "" {
				o.d.fail(v.off, path, fmt.Errorf("want a file name, got %s", describe(v)))
				continue
			}
			data, err := o.d.readFile(v.text)
			if err == nil {
				var crls []*x509.RevocationList
				if crls, err = revocation.ParseCRLs(data); err == nil {
					p.ClientAuth.CRLs = append(p.ClientAuth.CRLs, crls...)
				}
			}
			if err != nil {
				o.d.fail(v.off, path+" "+quote(v.text), err)
			}
		}
	}
	for i, s := range ca.strings("allowedIdentities") {
		san, err := backendtls.ParseSAN(s)
		if err != nil {
			ca.failf("allowedIdentities["+strconv.Itoa(i)+"]", "%v", err)
			continue
		}
		p.ClientAuth.AllowedIdentities = append(p.ClientAuth.AllowedIdentities, san)
	}
	if f := ca.object("forwardClientCert", "mode", "subject", "cert", "chain", "uri", "dns"); f != nil {
		if f.has("mode") {
			mode, err := clientauth.ParseXFCCMode(f.str("mode"))
			if err != nil {
				f.fail("mode", err)
			}
			p.ClientAuth.ForwardClientCert.Mode = mode
		}
		p.ClientAuth.ForwardClientCert.Details = clientauth.XFCCDetails{
			Subject: f.boolean("subject"), Cert: f.boolean("cert"), Chain: f.boolean("chain"),
			URI: f.boolean("uri"), DNS: f.boolean("dns"),
		}
	}
	return p
}

// Writing.

type armSSLProfileProps struct {
	SSLPolicy                 *armSSLPolicy        `json:"sslPolicy,omitempty"`
	ClientAuthConfiguration   *armClientAuthConfig `json:"clientAuthConfiguration,omitempty"`
	TrustedClientCertificates []armRef             `json:"trustedClientCertificates,omitempty"`
}

type armClientAuthConfig struct {
	VerifyClientCertIssuerDN bool   `json:"verifyClientCertIssuerDN"`
	VerifyClientRevocation   string `json:"verifyClientRevocation"`
	VerifyClientAuthMode     string `json:"verifyClientAuthMode"`
}

// trustedClientCertificates writes the trusted client CA chains: data is
// the base64 of the chain in PEM, as Azure's portal uploads it.
func (w *writer) trustedClientCertificates() []armElem {
	var out []armElem
	for _, c := range w.cfg.TrustedClientCertificates {
		certs := c.Certificates
		if c.Source != nil && len(certs) == 0 {
			certs, _ = c.Source.Current() // its current version
		}
		if len(certs) == 0 {
			w.failf("trustedClientCertificate "+strconv.Quote(c.Name), "no certificate to write")
		}
		var chain bytes.Buffer
		for _, cert := range certs {
			chain.Write(pemCertificate(cert))
		}
		out = append(out, w.elem("trustedClientCertificates", c.Name, armCertProps{Data: base64.StdEncoding.EncodeToString(chain.Bytes())}))
	}
	return out
}

// sslProfiles writes the SSL profiles: Azure's policy, trusted client
// certificates and clientAuthConfiguration; what only e2etls has is
// refused (or left out with OnDrop).
func (w *writer) sslProfiles() []armElem {
	var out []armElem
	for _, p := range w.cfg.SSLProfiles {
		path := "sslProfile " + strconv.Quote(p.Name)
		props := armSSLProfileProps{SSLPolicy: w.sslPolicy(path+": SSLPolicy", p.SSLPolicy)}
		for _, name := range p.TrustedClientCertificates {
			if r := w.ref(path, "TrustedClientCertificates", "trustedClientCertificate", name); r != nil {
				props.TrustedClientCertificates = append(props.TrustedClientCertificates, *r)
			}
		}
		ca := p.ClientAuth
		for _, f := range []struct {
			name, reason string
			set          bool
		}{
			{"OCSPResponderURL", "an OCSP responder of one's own; Azure asks the one the certificate names", ca.OCSPResponderURL != ""},
			{"OCSPTimeout", "the OCSP query timeout; Azure's is its own", ca.OCSPTimeout != 0},
			{"CRLs", "CRLs (Azure checks revocation by OCSP only)", len(ca.CRLs) > 0},
			{"CRLSource", "CRLs (Azure checks revocation by OCSP only)", ca.CRLSource != nil},
			{"AllowStaleCRLs", "CRLs (Azure checks revocation by OCSP only)", ca.AllowStaleCRLs},
			{"RevocationSoftFail", "soft-fail revocation checking (Azure fails hard)", ca.RevocationSoftFail},
			{"AllowedIdentities", "allowed client identities (Azure verifies the chain and the issuer DN only)", len(ca.AllowedIdentities) > 0},
			{"ForwardClientCert", "X-Forwarded-Client-Cert (Azure tells the backend with rewrite rules and server variables)", ca.ForwardClientCert.Mode != clientauth.XFCCSanitize || ca.ForwardClientCert.Details != (clientauth.XFCCDetails{}) || len(ca.ForwardClientCert.By) > 0},
		} {
			if f.set {
				w.unsupported(path+": ClientAuth."+f.name, f.reason)
			}
		}
		if len(p.TrustedClientCertificates) > 0 || ca.Mode != clientauth.Strict || ca.VerifyClientCertIssuerDN || ca.VerifyClientRevocation != clientauth.RevocationNone {
			c := &armClientAuthConfig{
				VerifyClientCertIssuerDN: ca.VerifyClientCertIssuerDN,
				VerifyClientRevocation:   revocationNone,
				VerifyClientAuthMode:     authModeStrict,
			}
			switch ca.VerifyClientRevocation {
			case clientauth.RevocationNone:
			case clientauth.RevocationOCSP:
				c.VerifyClientRevocation = revocationOCSP
			default:
				w.failf(path, "ClientAuth.VerifyClientRevocation %v: want None or OCSP", ca.VerifyClientRevocation)
			}
			switch ca.Mode {
			case clientauth.Strict:
			case clientauth.Passthrough:
				c.VerifyClientAuthMode = authModePassthrough
			default:
				w.failf(path, "ClientAuth.Mode %v: want Strict or Passthrough", ca.Mode)
			}
			props.ClientAuthConfiguration = c
		}
		out = append(out, w.elem("sslProfiles", p.Name, props))
	}
	return out
}

// pemCertificate is c as one PEM block.
func pemCertificate(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}
