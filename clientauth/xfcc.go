package clientauth

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// XFCCHeader is the name of Envoy's X-Forwarded-Client-Cert header.
const XFCCHeader = "X-Forwarded-Client-Cert"

// XFCCMode is Envoy's forward_client_cert_details: what the gateway does
// with the X-Forwarded-Client-Cert header of a request.
type XFCCMode int

// XFCC modes, named as Envoy names them. The zero value is XFCCSanitize,
// Envoy's default.
const (
	// XFCCSanitize (SANITIZE) removes the header: a client cannot forge
	// it, and nothing is added.
	XFCCSanitize XFCCMode = iota
	// XFCCForwardOnly (FORWARD_ONLY) forwards the header unchanged when
	// the client connection is mutual TLS (a verified certificate), and
	// removes it otherwise: for a gateway behind a proxy that it
	// authenticates by certificate and that sets the header.
	XFCCForwardOnly
	// XFCCAppendForward (APPEND_FORWARD) appends an element describing the
	// client certificate to the header when the connection is mutual TLS,
	// and removes the header otherwise.
	XFCCAppendForward
	// XFCCSanitizeSet (SANITIZE_SET) replaces the header with an element
	// describing the client certificate when the connection is mutual
	// TLS, and removes it otherwise: the choice for a gateway at the edge.
	XFCCSanitizeSet
	// XFCCAlwaysForwardOnly (ALWAYS_FORWARD_ONLY) forwards the header
	// unchanged, whatever the connection: whatever the client wrote
	// reaches the backend. Only for a gateway whose every client is
	// trusted to set the header.
	XFCCAlwaysForwardOnly
)

var xfccModeNames = [...]string{
	XFCCSanitize:          "SANITIZE",
	XFCCForwardOnly:       "FORWARD_ONLY",
	XFCCAppendForward:     "APPEND_FORWARD",
	XFCCSanitizeSet:       "SANITIZE_SET",
	XFCCAlwaysForwardOnly: "ALWAYS_FORWARD_ONLY",
}

// String returns Envoy's name of the mode, such as "SANITIZE_SET".
func (m XFCCMode) String() string {
	if m >= 0 && int(m) < len(xfccModeNames) {
		return xfccModeNames[m]
	}
	return "XFCCMode(" + strconv.Itoa(int(m)) + ")"
}

// ParseXFCCMode reads Envoy's name of a mode, such as "APPEND_FORWARD"
// (any case).
func ParseXFCCMode(s string) (XFCCMode, error) {
	for m, n := range xfccModeNames {
		if strings.EqualFold(s, n) {
			return XFCCMode(m), nil
		}
	}
	return 0, fmt.Errorf("clientauth: unknown X-Forwarded-Client-Cert mode %q: want SANITIZE, FORWARD_ONLY, APPEND_FORWARD, SANITIZE_SET or ALWAYS_FORWARD_ONLY", s)
}

// XFCCDetails is Envoy's set_current_client_cert_details: which facts of
// the client certificate an element carries besides By and Hash, which it
// always carries.
type XFCCDetails struct {
	// Subject adds Subject="..." (RFC 2253), even when empty.
	Subject bool
	// Cert adds Cert="..." (the certificate, URL-encoded PEM).
	Cert bool
	// Chain adds Chain="..." (every certificate the client sent, its own
	// first, URL-encoded PEM).
	Chain bool
	// URI adds URI=... for each URI SAN, or a bare "URI=" if it has none.
	URI bool
	// DNS adds DNS=... for each DNS SAN.
	DNS bool
}

// XFCC computes Envoy's X-Forwarded-Client-Cert header. The zero value
// sanitizes (removes) the header. Its methods are pure functions.
//
// An element is a ';'-separated list of Key=Value pairs in Envoy's order:
// By (once per URI SAN of the gateway's own certificate), Hash (SHA-256 of
// the client certificate, lowercase hex), then Cert, Chain, Subject, URI
// and DNS as Details asks. As Envoy's documentation says, a value that
// contains ',', ';', '=' or '"' is double-quoted, with '"' written \";
// Subject, Cert and Chain are always quoted. Elements of successive
// proxies are separated by ','.
type XFCC struct {
	// Mode is what to do with the header. The zero value is XFCCSanitize.
	Mode XFCCMode
	// Details selects what an element carries besides By and Hash. The
	// zero value adds nothing else.
	Details XFCCDetails
	// By are the URI SANs of the gateway's own certificate for the
	// listener (Envoy's By; [URISANs] extracts them). If empty, elements
	// have no By.
	By []string
}

// URISANs returns c's URI subject alternative names as strings, for
// XFCC.By. nil for nil.
func URISANs(c *x509.Certificate) []string {
	if c == nil {
		return nil
	}
	out := make([]string, 0, len(c.URIs))
	for _, u := range c.URIs {
		out = append(out, u.String())
	}
	return out
}

// Value returns the X-Forwarded-Client-Cert value to send upstream, given
// the values the request carried (every header line, in order) and the
// client's certificates (Verdict.Forwardable: nil unless the certificate
// was verified, which is what makes a connection mutual TLS here). ok is
// false when the header must be removed.
func (x XFCC) Value(incoming []string, peer []*x509.Certificate) (value string, ok bool) {
	in := strings.Join(incoming, ",")
	mtls := len(peer) > 0 && peer[0] != nil
	switch {
	case x.Mode == XFCCAlwaysForwardOnly:
		return in, len(incoming) > 0
	case x.Mode == XFCCSanitize || !mtls:
		return "", false
	case x.Mode == XFCCForwardOnly:
		return in, len(incoming) > 0
	case x.Mode == XFCCAppendForward:
		el := x.Element(peer)
		if in == "" {
			return el, true
		}
		return in + "," + el, true
	case x.Mode == XFCCSanitizeSet:
		return x.Element(peer), true
	}
	return "", false // an unknown mode sanitizes
}

// Apply sets or removes the X-Forwarded-Client-Cert header of h (an
// outgoing request's) as Value says. In the forward-only modes the header
// lines are left as they are.
func (x XFCC) Apply(h http.Header, peer []*x509.Certificate) {
	mtls := len(peer) > 0 && peer[0] != nil
	if x.Mode == XFCCAlwaysForwardOnly || x.Mode == XFCCForwardOnly && mtls {
		return
	}
	v, ok := x.Value(h.Values(XFCCHeader), peer)
	if !ok {
		h.Del(XFCCHeader)
		return
	}
	h.Set(XFCCHeader, v)
}

// Element returns the element that describes the client certificate
// peer[0], sent with the chain peer. "" if peer is empty.
func (x XFCC) Element(peer []*x509.Certificate) string {
	if len(peer) == 0 || peer[0] == nil {
		return ""
	}
	c := peer[0]
	sum := sha256.Sum256(c.Raw)
	f := xfccFields{by: x.By, hash: hex.EncodeToString(sum[:])}
	if x.Details.Cert {
		f.cert = EscapedPEM(c)
	}
	if x.Details.Chain {
		f.chain = escapedChain(peer)
	}
	if x.Details.Subject {
		s := c.Subject.String()
		f.subject = &s
	}
	if x.Details.URI {
		f.uris = URISANs(c)
		if f.uris == nil {
			f.uris = []string{}
		}
	}
	if x.Details.DNS {
		f.dns = c.DNSNames
	}
	return f.String()
}

// xfccFields are the values of one element; nil or empty fields are left
// out (uris, when non-nil and empty, gives a bare "URI=", as Envoy does).
type xfccFields struct {
	by          []string
	hash        string
	cert, chain string
	subject     *string
	uris        []string
	dns         []string
}

func (f xfccFields) String() string {
	var parts []string
	for _, b := range f.by {
		parts = append(parts, "By="+xfccValue(b, false))
	}
	if f.hash != "" {
		parts = append(parts, "Hash="+xfccValue(f.hash, false))
	}
	if f.cert != "" {
		parts = append(parts, "Cert="+xfccValue(f.cert, true))
	}
	if f.chain != "" {
		parts = append(parts, "Chain="+xfccValue(f.chain, true))
	}
	if f.subject != nil {
		parts = append(parts, "Subject="+xfccValue(*f.subject, true))
	}
	if f.uris != nil {
		if len(f.uris) == 0 {
			parts = append(parts, "URI=")
		}
		for _, u := range f.uris {
			parts = append(parts, "URI="+xfccValue(u, false))
		}
	}
	for _, d := range f.dns {
		parts = append(parts, "DNS="+xfccValue(d, false))
	}
	return strings.Join(parts, ";")
}

// xfccValue quotes v if asked, or if it holds ',', ';', '=' or '"',
// escaping '"' as \".
func xfccValue(v string, quote bool) string {
	if !quote && !strings.ContainsAny(v, ",;=\"") {
		return v
	}
	return `"` + strings.ReplaceAll(v, `"`, `\"`) + `"`
}
