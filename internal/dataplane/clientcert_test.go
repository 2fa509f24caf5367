package dataplane

import (
	"context"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/clientauth"
	"github.com/e2etls/e2etls/revocation"
	"github.com/e2etls/e2etls/rewrite"
)

// TestClientCertificateVars: Azure's client certificate server variables,
// computed from a connection's verdict, as rewrite rules read them: a
// rule copies them into request headers for the backend (the way Azure
// users tell the backend who the client is), and a rule conditioned on
// client_certificate_verification sees SUCCESS, FAILED:<reason> or NONE.
// A listener without client authentication (nil verdict) has no value for
// any of them.
func TestClientCertificateVars(t *testing.T) {
	ec := func(cn string) tlstest.Options { return tlstest.Options{CommonName: cn, KeyType: tlstest.ECDSAP256} }
	root := tlstest.NewRoot(ec("Client Root"))
	u, _ := url.Parse("spiffe://example.org/alice")
	o := ec("alice")
	o.URIs = []*url.URL{u}
	alice := root.NewClientLeaf(o)
	stranger := tlstest.NewRoot(ec("Stranger")).NewClientLeaf(ec("mallory"))
	v, err := clientauth.New(clientauth.Config{Mode: clientauth.Passthrough, TrustedClientCertificates: [][]*x509.Certificate{{root.Certificate}}})
	if err != nil {
		t.Fatal(err)
	}
	verdict := func(c *tlstest.Cert) *clientauth.Verdict {
		var certs []*x509.Certificate
		if c != nil {
			certs = []*x509.Certificate{c.Certificate}
		}
		vd := v.VerifyCertificates(context.Background(), certs)
		return &vd
	}

	sets, err := rewrite.Compile([]rewrite.RuleSet{{Name: "mtls", Rules: []rewrite.Rule{
		{Name: "identity", Sequence: 100, Actions: rewrite.ActionSet{RequestHeaders: []rewrite.HeaderAction{
			{Name: "X-Client-Subject", Value: "{var_client_certificate_subject}"},
			{Name: "X-Client-Issuer", Value: "{var_client_certificate_issuer}"},
			{Name: "X-Client-Serial", Value: "{var_client_certificate_serial}"},
			{Name: "X-Client-Fingerprint", Value: "{var_client_certificate_fingerprint}"},
			{Name: "X-Client-Not-After", Value: "{var_client_certificate_end_date}"},
			{Name: "X-Client-Cert", Value: "{var_client_certificate}"},
			{Name: "X-Client-Verification", Value: "{var_client_certificate_verification}"},
		}}},
		{Name: "verified", Sequence: 200,
			Conditions: []rewrite.Condition{{Variable: "var_client_certificate_verification", Pattern: "^SUCCESS$"}},
			Actions:    rewrite.ActionSet{RequestHeaders: []rewrite.HeaderAction{{Name: "X-Verified", Value: "yes"}}}},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	apply := func(vd *clientauth.Verdict) http.Header {
		r := httptest.NewRequest("GET", "https://shop.example/", nil)
		// What the client sent in these headers never survives: the rules
		// set them (an empty value removes the header).
		r.Header.Set("X-Client-Subject", "CN=admin")
		r.Header.Set("X-Verified", "forged")
		out := r.Header.Clone()
		out.Del("X-Verified") // as the gateway would: a header the client may not set
		sets["mtls"].Request(&rewrite.Exchange{
			Vars:    &rewrite.HTTPVars{Request: r, ClientCertificate: ClientCertificateVars(vd)},
			Request: r.Header, RequestOut: out, Host: r.Host, Path: "/",
		})
		return out
	}

	h := apply(verdict(alice))
	c := alice.Certificate
	for name, want := range map[string]string{
		"X-Client-Subject":      "CN=alice",
		"X-Client-Issuer":       "CN=Client Root",
		"X-Client-Serial":       clientauth.Serial(c),
		"X-Client-Fingerprint":  clientauth.Fingerprint(c),
		"X-Client-Not-After":    c.NotAfter.UTC().Format("Jan _2 15:04:05 2006 GMT"),
		"X-Client-Cert":         clientauth.EscapedPEM(c),
		"X-Client-Verification": "SUCCESS",
		"X-Verified":            "yes",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("verified: %s = %q; want %q", name, got, want)
		}
	}
	if end, err := clientauth.ParseDate(h.Get("X-Client-Not-After")); err != nil || !end.Equal(c.NotAfter.Truncate(time.Second)) {
		t.Errorf("end date %q: %v", h.Get("X-Client-Not-After"), err)
	}

	h = apply(verdict(stranger))
	if got := h.Get("X-Client-Verification"); got != "FAILED:untrusted" {
		t.Errorf("untrusted: verification %q", got)
	}
	if h.Get("X-Client-Subject") != "CN=mallory" || h.Get("X-Verified") != "" {
		t.Errorf("untrusted: subject %q, verified %q", h.Get("X-Client-Subject"), h.Get("X-Verified"))
	}

	h = apply(verdict(nil))
	if got := h.Get("X-Client-Verification"); got != "NONE" {
		t.Errorf("no certificate: verification %q", got)
	}
	for _, name := range []string{"X-Client-Subject", "X-Client-Cert", "X-Verified"} {
		if vv, ok := h[name]; ok {
			t.Errorf("no certificate: %s = %q; want no header", name, vv)
		}
	}

	if ClientCertificateVars(nil) != nil {
		t.Error("a listener without client authentication has client certificate variables")
	}
	h = apply(nil)
	for _, name := range []string{"X-Client-Subject", "X-Client-Verification", "X-Verified"} {
		if vv, ok := h[name]; ok {
			t.Errorf("no client authentication: %s = %q; want no header", name, vv)
		}
	}
}

// TestVerdictUntil: how long a connection's verdict holds before the
// connection is verified again.
func TestVerdictUntil(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	leafEnd, caEnd, next := now.Add(48*time.Hour), now.Add(24*time.Hour), now.Add(time.Hour)
	chain := []*x509.Certificate{{NotAfter: leafEnd}, {NotAfter: caEnd}}
	for _, tt := range []struct {
		name string
		v    clientauth.Verdict
		want time.Time
	}{
		{"verified: the chain's first expiry", clientauth.Verdict{Verified: true, Chain: chain}, caEnd},
		{"verified: the revocation answer's next update", clientauth.Verdict{Verified: true, Chain: chain,
			Revocation: revocation.Result{Status: revocation.Good, Until: next}}, next},
		{"soft fail: retried soon", clientauth.Verdict{Verified: true, Chain: chain, Revocation: revocation.Result{Status: revocation.Unknown}}, now.Add(unknownRetry)},
		{"not yet valid: retried", clientauth.Verdict{Reason: clientauth.ReasonNotYetValid}, now.Add(notYetValidRetry)},
		{"revocation unknown: retried", clientauth.Verdict{Reason: clientauth.ReasonRevocationUnknown}, now.Add(unknownRetry)},
		{"untrusted: while the Verifier is in force", clientauth.Verdict{Reason: clientauth.ReasonUntrusted}, time.Time{}},
		{"no certificate: while the Verifier is in force", clientauth.Verdict{Reason: clientauth.ReasonNoCertificate}, time.Time{}},
	} {
		if got := verdictUntil(&tt.v, now); !got.Equal(tt.want) {
			t.Errorf("%s: %v; want %v", tt.name, got, tt.want)
		}
	}
}
