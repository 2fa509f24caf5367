package backendtls

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/e2etls/e2etls/policy"
)

// Config describes how to verify one backend (or one backend setting's
// backends). Set it by struct literal; every field is optional, but a
// Config must verify some identity (see [Config.Validate]). A Config must
// not be modified while ClientConfig, Hook or Check use it. The *tls.Config
// they return share its certificates and its policy's slices, so treat those
// as immutable once a Config is in use; the Config value itself is not kept.
type Config struct {
	// ServerName is the server name sent in SNI and, unless Identity is
	// set, the identity the backend's certificate must be valid for. An
	// IP address sends no SNI (SNI never carries an IP literal) and is
	// matched against IP subject alternative names only. If empty, no SNI
	// is sent.
	ServerName string

	// Identity is the identity the backend's certificate must be valid
	// for, a DNS name or an IP address, when it differs from ServerName.
	// If empty, ServerName is the identity (unless SubjectAltNames is
	// set); if all three are empty, no identity is checked, which
	// Validate allows only with PinnedPublicKeys or
	// AuthenticationCertificates. For a URI identity, such as a SPIFFE
	// ID, use SubjectAltNames.
	Identity string

	// SubjectAltNames, when set, are the identities the backend's
	// certificate may be valid for, DNS names, URIs (SPIFFE IDs) and IP
	// addresses, any one of which suffices (see [SAN] for how each
	// matches). They replace the identity check of ServerName, as the
	// subjectAltNames of the Kubernetes Gateway API's BackendTLSPolicy do:
	// ServerName is still sent as SNI. The subject common name is never
	// consulted. Validate refuses them together with Identity. If empty,
	// Identity or ServerName is the identity.
	SubjectAltNames []SAN

	// TrustedRootCertificates are the roots the backend's chain (its leaf
	// and the intermediates it sends; nothing is fetched) must end at, as
	// in Azure Application Gateway v2. They replace the well-known CAs
	// unless UseWellKnownCAs is set. Each must be self-signed; a
	// self-signed backend certificate may be given as its own root. If
	// empty, the chain is verified against the well-known CAs, unless
	// PinnedPublicKeys or AuthenticationCertificates are set.
	TrustedRootCertificates []*x509.Certificate

	// AuthenticationCertificates, as in Azure Application Gateway v1, are
	// the leaf certificates the backend may present: its leaf must equal
	// one of them byte for byte. The chain is not consulted unless
	// TrustedRootCertificates or UseWellKnownCAs is also set. If empty,
	// any leaf may be presented.
	AuthenticationCertificates []*x509.Certificate

	// PinnedPublicKeys are the public keys the backend's leaf may have:
	// list the current and the next key so that the backend can rotate.
	// The chain is not consulted unless TrustedRootCertificates or
	// UseWellKnownCAs is also set. If empty, any key may be presented.
	PinnedPublicKeys []Pin

	// UseWellKnownCAs verifies the chain against the well-known CAs
	// (SystemRoots) as well: in addition to TrustedRootCertificates, or
	// in addition to PinnedPublicKeys and AuthenticationCertificates,
	// which otherwise replace chain verification. If false, the
	// well-known CAs are used only when no trust setting is given.
	UseWellKnownCAs bool

	// SystemRoots are the well-known CAs. If nil, x509.SystemCertPool()
	// is used, which honours SSL_CERT_FILE and SSL_CERT_DIR. It is meant
	// for tests; the pool is not modified.
	SystemRoots *x509.CertPool

	// DisableCommonNameFallback stops a DNS identity from matching the
	// subject common name. If false, the common name is consulted, per
	// RFC 6125, only when the certificate has no DNS and no IP subject
	// alternative name.
	DisableCommonNameFallback bool

	// ClientCertificates are presented to backends that request a client
	// certificate (mutual TLS). If empty, none is presented.
	ClientCertificates []tls.Certificate

	// Policy is the TLS policy applied as a client: the versions, cipher
	// suites and curves offered to the backend. The zero Policy means
	// policy.Default().
	Policy policy.Policy

	// Verifier is a custom check that runs after every built-in check has
	// passed, on every handshake, resumed ones included. An error that is
	// not a *VerificationError is reported with ReasonCustom. If nil,
	// there is no custom check.
	Verifier Verifier

	// InsecureSkipVerify turns off all verification: any backend
	// certificate, for any name, is accepted. It is for tests only and
	// makes the connection open to interception. Validate refuses it
	// together with any trust setting. If false, the backend is verified.
	InsecureSkipVerify bool

	// Time returns the current time for validity checks. If nil,
	// time.Now is used.
	Time func() time.Time

	// SessionCache caches TLS sessions for resumption. Share one cache
	// between successive Configs of the same backend to resume across
	// configuration changes; verification runs again on resumption
	// with the new Config. If nil, ClientConfig creates a new LRU cache
	// (tls.NewLRUClientSessionCache(0)) each time it is called.
	SessionCache tls.ClientSessionCache

	// NextProtos are the ALPN protocols offered, in preference order. If
	// nil, "http/1.1" only.
	NextProtos []string
}

// identityName returns the identity to verify, "" if none: the
// SubjectAltNames as a list, or the name.
func (c *Config) identityName() string {
	switch {
	case len(c.SubjectAltNames) > 0:
		return joinSANs(c.SubjectAltNames)
	case c.Identity != "":
		return c.Identity
	}
	return c.ServerName
}

// sni returns the server name to send: ServerName unless it is an IP.
func (c *Config) sni() string {
	if _, err := netip.ParseAddr(c.ServerName); err == nil {
		return ""
	}
	return c.ServerName
}

// chainMode reports whether the chain is verified.
func (c *Config) chainMode() bool {
	return len(c.TrustedRootCertificates) > 0 || c.UseWellKnownCAs ||
		(len(c.PinnedPublicKeys) == 0 && len(c.AuthenticationCertificates) == 0)
}

// wellKnown reports whether the chain is verified against SystemRoots.
func (c *Config) wellKnown() bool {
	return c.UseWellKnownCAs || (c.chainMode() && len(c.TrustedRootCertificates) == 0)
}

func (c *Config) now() time.Time {
	if c.Time != nil {
		return c.Time()
	}
	return time.Now()
}

// Validate reports every problem of c at once, joined with errors.Join,
// each naming the field (and index) at fault:
//   - a ServerName or Identity that is neither a DNS name nor an IP address,
//     an invalid SubjectAltNames entry, or Identity with SubjectAltNames;
//   - a configuration that verifies no identity (fail closed): no
//     ServerName, no Identity, no SubjectAltNames, no PinnedPublicKeys and
//     no AuthenticationCertificates, unless InsecureSkipVerify is set;
//   - InsecureSkipVerify together with a trust setting it would override;
//   - a trusted root that is not self-signed (an intermediate given as a
//     root: the message names its issuer, the root to trust instead), or
//     that has a weak key or signature, or has expired;
//   - an authentication certificate that is a CA, or has a weak key or
//     signature;
//   - a zero pin; a client certificate without key or certificate;
//   - an invalid Policy; an empty NextProtos entry.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("backendtls: "+format, args...))
	}

	if c.ServerName != "" {
		if err := checkName(c.ServerName); err != nil {
			add("ServerName: %w", err)
		}
	}
	if c.Identity != "" {
		if err := checkName(c.Identity); err != nil {
			add("Identity: %w", err)
		}
		if len(c.SubjectAltNames) > 0 {
			add("Identity %q and SubjectAltNames both name the expected identity: put %s in SubjectAltNames and remove Identity",
				c.Identity, sanLiteral(identitySAN(c.Identity)))
		}
	}
	for i, san := range c.SubjectAltNames {
		if err := san.validate(); err != nil {
			add("SubjectAltNames[%d] %s: %w", i, san, err)
		}
	}
	if c.InsecureSkipVerify {
		var set []string
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"Identity", c.Identity != ""},
			{"SubjectAltNames", len(c.SubjectAltNames) > 0},
			{"TrustedRootCertificates", len(c.TrustedRootCertificates) > 0},
			{"AuthenticationCertificates", len(c.AuthenticationCertificates) > 0},
			{"PinnedPublicKeys", len(c.PinnedPublicKeys) > 0},
			{"UseWellKnownCAs", c.UseWellKnownCAs},
			{"Verifier", c.Verifier != nil},
		} {
			if f.set {
				set = append(set, f.name)
			}
		}
		if len(set) > 0 {
			add("InsecureSkipVerify turns off all verification, so %s would be ignored: remove InsecureSkipVerify (it is for tests only) or those settings",
				strings.Join(set, ", "))
		}
	} else if c.identityName() == "" && len(c.PinnedPublicKeys) == 0 && len(c.AuthenticationCertificates) == 0 {
		add("no backend identity to verify: set ServerName, Identity or SubjectAltNames (or pin the backend with PinnedPublicKeys or AuthenticationCertificates); a chain alone proves only that some CA issued the certificate, to anyone")
	}

	now := c.now()
	for i, r := range c.TrustedRootCertificates {
		field := fmt.Sprintf("TrustedRootCertificates[%d]", i)
		if r == nil {
			add("%s is nil", field)
			continue
		}
		name := subjectName(r)
		switch {
		case !bytes.Equal(r.RawSubject, r.RawIssuer) && r.IsCA:
			add("%s %q is an intermediate, not a root: it is issued by %q; give the self-signed root at the top of its chain instead",
				field, name, r.Issuer.String())
		case !bytes.Equal(r.RawSubject, r.RawIssuer):
			add("%s %q is a leaf, not a root: it is issued by %q; give the self-signed root at the top of its chain instead, or pin the leaf (PinnedPublicKeys, AuthenticationCertificates)",
				field, name, r.Issuer.String())
		case !selfSigned(r):
			add("%s %q is not self-signed: its subject equals its issuer but its own key does not verify its signature; trust the real root", field, name)
		}
		if p := keyProblem(r); p != "" {
			add("%s %q has %s, below the minimum of %d-bit RSA or ECDSA P-256", field, name, p, minRSABits)
		}
		if weakSignature(r) {
			add("%s %q is signed with %v, which is insecure; reissue it with SHA-256 or stronger", field, name, r.SignatureAlgorithm)
		}
		if now.After(r.NotAfter) {
			add("%s %q expired at %s", field, name, r.NotAfter.UTC().Format(timeFormat))
		}
	}
	for i, a := range c.AuthenticationCertificates {
		field := fmt.Sprintf("AuthenticationCertificates[%d]", i)
		if a == nil {
			add("%s is nil", field)
			continue
		}
		name := subjectName(a)
		if a.BasicConstraintsValid && a.IsCA {
			add("%s %q is a CA certificate: an authentication certificate must be the backend's own (leaf) certificate; give a CA as TrustedRootCertificates", field, name)
		}
		if p := keyProblem(a); p != "" {
			add("%s %q has %s, below the minimum of %d-bit RSA or ECDSA P-256", field, name, p, minRSABits)
		}
		if weakSignature(a) {
			add("%s %q is signed with %v, which is insecure", field, name, a.SignatureAlgorithm)
		}
	}
	for i, p := range c.PinnedPublicKeys {
		if p.IsZero() {
			add("PinnedPublicKeys[%d] is the zero pin, which matches no key: use PinOf or ParsePin", i)
		}
	}
	for i, cc := range c.ClientCertificates {
		field := fmt.Sprintf("ClientCertificates[%d]", i)
		if len(cc.Certificate) == 0 {
			add("%s has no certificate", field)
			continue
		}
		if cc.PrivateKey == nil {
			add("%s has no private key", field)
		}
		if cc.Leaf == nil {
			if _, err := x509.ParseCertificate(cc.Certificate[0]); err != nil {
				add("%s: %w", field, err)
			}
		}
	}
	if err := c.Policy.Validate(); err != nil {
		add("Policy: %w", err)
	}
	for i, p := range c.NextProtos {
		if p == "" || len(p) > 255 {
			add("NextProtos[%d] %q: a protocol name must have 1 to 255 bytes", i, p)
		}
	}
	return errors.Join(errs...)
}

// step is one named built-in check.
type step struct {
	name string
	v    builtin
}

// Check names, in the order the checks run.
const (
	namePolicy    = "policy"
	nameKey       = "key"
	nameSignature = "signature"
	nameKeyUsage  = "key-usage"
	nameValidity  = "validity"
	nameChain     = "chain"
	nameIdentity  = "identity"
	namePins      = "pins"
	nameAuth      = "authentication-certificates"
	nameCustom    = "custom"
)

// compiled is a validated Config turned into its checks.
type compiled struct {
	serverName string // the SNI to send, "" for none
	identity   string
	steps      []step // only those that apply
	chain      *chainVerifier
	custom     Verifier
	insecure   bool
}

// compile builds c's checks. c must be valid.
func (c *Config) compile() (*compiled, error) {
	comp := &compiled{serverName: c.sni(), identity: c.identityName(), custom: c.Verifier, insecure: c.InsecureSkipVerify}
	if c.InsecureSkipVerify {
		return comp, nil
	}
	now := c.Time
	if now == nil {
		now = time.Now
	}
	comp.steps = []step{
		{namePolicy, policyVerifier{c.Policy}},
		{nameKey, keyVerifier{}},
		{nameSignature, signatureVerifier{}},
		{nameKeyUsage, keyUsageVerifier{}},
		{nameValidity, validityVerifier{now}},
	}
	if c.chainMode() {
		cv := &chainVerifier{now: now, wellKnown: c.wellKnown(), anchors: c.TrustedRootCertificates}
		switch {
		case cv.wellKnown && c.SystemRoots != nil:
			cv.roots = c.SystemRoots.Clone()
		case cv.wellKnown:
			pool, err := x509.SystemCertPool()
			if err != nil {
				return nil, fmt.Errorf("backendtls: loading the well-known CAs: %w", err)
			}
			cv.roots = pool
		default:
			cv.roots = x509.NewCertPool()
		}
		for _, r := range c.TrustedRootCertificates {
			cv.roots.AddCert(r)
		}
		comp.chain = cv
		comp.steps = append(comp.steps, step{nameChain, cv})
	}
	if len(c.SubjectAltNames) > 0 {
		m, err := NewSANMatcher(c.SubjectAltNames...)
		if err != nil {
			return nil, err
		}
		comp.steps = append(comp.steps, step{nameIdentity, sanVerifier{m}})
	} else if id := c.identityName(); id != "" {
		comp.steps = append(comp.steps, step{nameIdentity, identityVerifier{parseIdentity(id), !c.DisableCommonNameFallback}})
	}
	if len(c.PinnedPublicKeys) > 0 {
		comp.steps = append(comp.steps, step{namePins, pinsVerifier{append([]Pin(nil), c.PinnedPublicKeys...)}})
	}
	if len(c.AuthenticationCertificates) > 0 {
		comp.steps = append(comp.steps, step{nameAuth, authVerifier{append([]*x509.Certificate(nil), c.AuthenticationCertificates...)}})
	}
	return comp, nil
}

// verify runs every check in order and returns the first failure.
func (comp *compiled) verify(cs *tls.ConnectionState) *VerificationError {
	for i := range comp.steps {
		if e := comp.steps[i].v.verify(cs); e != nil {
			return comp.named(e)
		}
	}
	if comp.custom != nil {
		if e := (customVerifier{comp.custom}).verify(cs); e != nil {
			return comp.named(e)
		}
	}
	return nil
}

// VerifyConnection has the signature of tls.Config.VerifyConnection.
func (comp *compiled) VerifyConnection(cs tls.ConnectionState) error {
	e := comp.verify(&cs)
	if e == nil {
		return nil
	}
	e.Presented = cs.PeerCertificates
	return e
}

// named returns a copy of e with the server name and identity filled in.
func (comp *compiled) named(e *VerificationError) *VerificationError {
	cp := *e
	if cp.ServerName == "" {
		cp.ServerName = comp.serverName
	}
	if cp.Identity == "" {
		cp.Identity = comp.identity
	}
	return &cp
}

// ClientConfig validates c and returns a new tls.Config for connecting to
// the backend: the policy applied (versions, suites, curves), SNI per
// ServerName, the client certificates, a session cache, and the
// verification of c in VerifyConnection, which runs on every handshake,
// resumed ones included. Go's own certificate verification is turned off
// (InsecureSkipVerify is true in the result) because VerifyConnection
// replaces it: do not set VerifyConnection, RootCAs or InsecureSkipVerify
// on the result, or use [Hook] to combine c with an existing tls.Config.
func (c *Config) ClientConfig() (*tls.Config, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	comp, err := c.compile()
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{}
	if err := c.apply(cfg, comp); err != nil {
		return nil, err
	}
	if !comp.insecure {
		cfg.VerifyConnection = comp.VerifyConnection
	}
	return cfg, nil
}

// apply sets everything but VerifyConnection. Its only error is an
// invalid policy, which Validate has already refused.
func (c *Config) apply(cfg *tls.Config, comp *compiled) error {
	if err := c.Policy.Apply(cfg); err != nil {
		return err
	}
	cfg.ServerName = comp.serverName
	cfg.InsecureSkipVerify = true // VerifyConnection verifies instead
	cfg.RootCAs = nil
	if len(c.ClientCertificates) > 0 {
		cfg.Certificates = append([]tls.Certificate(nil), c.ClientCertificates...)
	}
	switch {
	case c.SessionCache != nil:
		cfg.ClientSessionCache = c.SessionCache
	case cfg.ClientSessionCache == nil:
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(0)
	}
	switch {
	case c.NextProtos != nil:
		cfg.NextProtos = append([]string(nil), c.NextProtos...)
	case cfg.NextProtos == nil:
		cfg.NextProtos = []string{"http/1.1"}
	}
	return nil
}

// Hook validates c and applies it to an existing tls.Config, for callers
// that build their own (clone a shared one first): it applies the policy,
// sets ServerName, replaces Go's verification by c's (InsecureSkipVerify
// true, RootCAs nil) and wraps cfg.VerifyConnection, if any, so that it
// runs after c's checks have passed. It sets Certificates if
// ClientCertificates is non-empty, ClientSessionCache if SessionCache is
// set or cfg has none, and NextProtos if c.NextProtos is set or cfg has
// none. An existing VerifyPeerCertificate still runs but, as verification
// is off, receives no verified chains. With InsecureSkipVerify, only the
// existing VerifyConnection runs.
func Hook(cfg *tls.Config, c *Config) error {
	if cfg == nil {
		return errors.New("backendtls: Hook: nil *tls.Config")
	}
	if err := c.Validate(); err != nil {
		return err
	}
	comp, err := c.compile()
	if err != nil {
		return err
	}
	prev := cfg.VerifyConnection
	if err := c.apply(cfg, comp); err != nil {
		return err
	}
	switch {
	case comp.insecure:
		cfg.VerifyConnection = prev
	case prev == nil:
		cfg.VerifyConnection = comp.VerifyConnection
	default:
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if e := comp.verify(&cs); e != nil {
				return e
			}
			return prev(cs)
		}
	}
	return nil
}
