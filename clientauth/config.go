package clientauth

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/revocation"
)

// Mode says what happens to a client whose certificate is missing or
// fails verification. The names are Azure Application Gateway's
// verifyClientAuthMode values.
type Mode int

// Modes. The zero Mode is Strict.
const (
	// Strict refuses a request without a valid client certificate: the
	// TLS handshake completes, and the gateway answers HTTP 400 with a
	// short reason ([Verdict.Message]); nothing reaches a backend. It is
	// Azure's Strict mode and the Gateway API's AllowValidOnly.
	Strict Mode = iota
	// Passthrough lets every request through, with or without a valid
	// certificate, and tells the backend what was found
	// ([Verdict.ClientCertificateVerification], [Verdict.ServerVariable],
	// [XFCC]): the backend decides. It is Azure's Passthrough mode and
	// the Gateway API's AllowInsecureFallback.
	Passthrough
)

// String returns "Strict" or "Passthrough".
func (m Mode) String() string {
	switch m {
	case Strict:
		return "Strict"
	case Passthrough:
		return "Passthrough"
	}
	return "Mode(" + strconv.Itoa(int(m)) + ")"
}

// RevocationCheck is Azure's verifyClientRevocation: how a client
// certificate's revocation is checked online.
type RevocationCheck int

// Revocation checks. The zero value is RevocationNone.
const (
	// RevocationNone: no online check (CRLs, if given, are still used).
	RevocationNone RevocationCheck = iota
	// RevocationOCSP: ask the OCSP responder that the client certificate
	// names in its authority information access (or Config.OCSP's
	// ResponderURL), as Azure does.
	RevocationOCSP
)

// String returns "None" or "OCSP".
func (r RevocationCheck) String() string {
	switch r {
	case RevocationNone:
		return "None"
	case RevocationOCSP:
		return "OCSP"
	}
	return "RevocationCheck(" + strconv.Itoa(int(r)) + ")"
}

// Config is client authentication for one listener (one of Azure's SSL
// profiles). Set it by struct literal; [New] validates and compiles it.
// The Config is not kept: changing it after New has no effect.
type Config struct {
	// Mode is Strict or Passthrough. The zero value is Strict.
	Mode Mode

	// TrustedClientCertificates are the CA chains that client
	// certificates must chain to, one entry per chain as Azure's
	// trustedClientCertificates (one uploaded file each): a self-signed
	// root CA and, optionally, intermediate CAs under it. Every
	// certificate must be a CA; every intermediate's issuer must be in its
	// entry. Client certificates may be issued by any CA of any entry; the
	// client may send its intermediates or leave them out. Required in
	// Strict mode. In Passthrough mode, if empty, certificates are not
	// verified at all (the backend is told PASSTHROUGH), and the checks
	// below must be off.
	TrustedClientCertificates [][]*x509.Certificate

	// VerifyClientCertIssuerDN, as Azure's verifyClientCertIssuerDN,
	// also requires the client certificate's issuer (its immediate issuer
	// DN) to be the issuer Azure extracts from the entry whose root the
	// client's chain ends at: the subject of that entry's CA farthest from
	// its root (the last intermediate; the root if the entry has none; of
	// chains of equal length in one entry, the first). False means any CA
	// of the entries may have issued it.
	VerifyClientCertIssuerDN bool

	// VerifyClientRevocation checks revocation online: RevocationOCSP asks
	// the certificate's OCSP responder (see OCSP). The zero value,
	// RevocationNone, asks nothing.
	VerifyClientRevocation RevocationCheck

	// CRLs are certificate revocation lists of the trusted CAs (Azure has
	// no CRLs; NGINX's ssl_crl): the client certificate must not be listed
	// in its issuer's CRL, and with CRLs configured its issuer must have
	// one. Each CRL must be signed by a CA of TrustedClientCertificates.
	// Load them with revocation.LoadCRLs; to reload them when the files
	// change, build a new Verifier (certsource watches files). If empty,
	// no CRL is consulted.
	CRLs []*x509.RevocationList

	// AllowStaleCRLs accepts a CRL past its nextUpdate as if it were
	// current. False, the default and the recommendation, treats the
	// status of a certificate under a stale CRL as unknown (see
	// RevocationSoftFail), because a stale CRL cannot show revocations made
	// since it was issued.
	AllowStaleCRLs bool

	// OCSP configures the OCSP client of RevocationOCSP: a responder URL
	// overriding the certificates' own, the query timeout (5 s), the cache
	// (share one between successive Configs of a listener so that a
	// configuration change does not empty it). Its zero value is the
	// defaults. Ignored with RevocationNone.
	OCSP revocation.OCSPConfig

	// RevocationSoftFail accepts a certificate whose revocation status
	// could not be established (responder unreachable or answering
	// "unknown", no or a stale CRL): soft fail. False, the default, refuses
	// it with ReasonRevocationUnknown (hard fail), as Azure does when its
	// OCSP responder cannot be reached.
	RevocationSoftFail bool

	// AllowedIdentities, when set, are the client identities allowed: DNS
	// names, URIs (SPIFFE IDs) and IP addresses matched against the client
	// certificate's subject alternative names exactly as backend
	// identities are (backendtls.SAN); any one suffices. If empty, any
	// verified client is allowed.
	AllowedIdentities []backendtls.SAN

	// Time returns the current time for validity checks. If nil,
	// time.Now is used.
	Time func() time.Time

	// VerdictCacheSize bounds the number of verdicts cached (by the
	// fingerprint of the certificates a client sent), so that resumed and
	// repeated connections of a client cost a hash and a map lookup. Zero
	// means 4096; a negative value turns the cache off.
	VerdictCacheSize int
}

// entry is one compiled trusted chain.
type entry struct {
	roots    []*x509.Certificate
	issuerDN []byte // raw subject of the CA farthest from the root
	issuer   string // the same, for messages
}

// Verifier verifies client certificates under one Config. It is safe for
// concurrent use. Build it with [New]; to change the configuration or
// reload CRLs, build a new one and swap it in atomically.
type Verifier struct {
	mode           Mode
	verify         bool // trusted CAs are configured
	roots, inters  *x509.CertPool
	hint           *x509.CertPool // every trusted CA, for the CertificateRequest
	entries        []entry
	checkIssuerDN  bool
	identities     *backendtls.SANMatcher
	crls           *revocation.CRLSet
	allowStaleCRLs bool
	ocsp           *revocation.OCSPClient
	softFail       bool
	now            func() time.Time
	cache          *verdictCache
}

// New validates cfg, reporting every problem at once (errors.Join), each
// naming the field and index at fault, and compiles it.
func New(cfg Config) (*Verifier, error) {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("clientauth: "+format, args...))
	}
	if cfg.Mode != Strict && cfg.Mode != Passthrough {
		add("Mode %v is neither Strict nor Passthrough", cfg.Mode)
	}
	if cfg.VerifyClientRevocation != RevocationNone && cfg.VerifyClientRevocation != RevocationOCSP {
		add("VerifyClientRevocation %v is neither None nor OCSP", cfg.VerifyClientRevocation)
	}
	v := &Verifier{
		mode: cfg.Mode, verify: len(cfg.TrustedClientCertificates) > 0,
		roots: x509.NewCertPool(), inters: x509.NewCertPool(), hint: x509.NewCertPool(),
		checkIssuerDN: cfg.VerifyClientCertIssuerDN, allowStaleCRLs: cfg.AllowStaleCRLs,
		softFail: cfg.RevocationSoftFail, now: cfg.Time,
	}
	if v.now == nil {
		v.now = time.Now
	}
	if !v.verify {
		if cfg.Mode == Strict {
			add("Strict mode needs TrustedClientCertificates: the CA chains that issue client certificates (or use Passthrough to let the backend decide)")
		}
		for _, f := range []struct {
			name string
			set  bool
		}{
			{"VerifyClientCertIssuerDN", cfg.VerifyClientCertIssuerDN},
			{"VerifyClientRevocation", cfg.VerifyClientRevocation != RevocationNone},
			{"CRLs", len(cfg.CRLs) > 0},
			{"AllowedIdentities", len(cfg.AllowedIdentities) > 0},
		} {
			if f.set {
				add("%s needs TrustedClientCertificates: without them client certificates are not verified", f.name)
			}
		}
	}
	now := v.now()
	var all []*x509.Certificate
	for i, chain := range cfg.TrustedClientCertificates {
		e, problems := compileEntry(chain, now)
		for _, p := range problems {
			add("TrustedClientCertificates[%d]: %s", i, p)
		}
		if len(problems) > 0 {
			continue
		}
		v.entries = append(v.entries, e)
		for _, c := range chain {
			if selfSigned(c) {
				v.roots.AddCert(c)
			} else {
				v.inters.AddCert(c)
			}
			v.hint.AddCert(c)
			all = append(all, c)
		}
	}
	if len(cfg.CRLs) > 0 {
		set, err := revocation.NewCRLSet(cfg.CRLs, all)
		if err != nil {
			add("CRLs: %w", err)
		}
		v.crls = set
	}
	if cfg.VerifyClientRevocation == RevocationOCSP {
		o := cfg.OCSP
		if o.Time == nil {
			o.Time = v.now
		}
		client, err := revocation.NewOCSPClient(o)
		if err != nil {
			add("OCSP: %w", err)
		}
		v.ocsp = client
	}
	if len(cfg.AllowedIdentities) > 0 {
		m, err := backendtls.NewSANMatcher(cfg.AllowedIdentities...)
		if err != nil {
			add("AllowedIdentities: %w", err)
		}
		v.identities = m
	}
	if cfg.VerdictCacheSize >= 0 {
		size := cfg.VerdictCacheSize
		if size == 0 {
			size = defaultVerdictCacheSize
		}
		v.cache = &verdictCache{max: size, m: map[fingerprint]cachedVerdict{}}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return v, nil
}

// CheckChain reports the problems of one trusted client CA chain, as New
// reports them for an entry of TrustedClientCertificates (every certificate
// a CA, none expired at now, a root, every issuer in the chain), joined,
// without the entry's index: for a configuration that names its chains.
func CheckChain(chain []*x509.Certificate, now time.Time) error {
	_, problems := compileEntry(chain, now)
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = errors.New("clientauth: " + p)
	}
	return errors.Join(errs...)
}

// compileEntry checks one trusted chain and extracts its issuer DN.
func compileEntry(chain []*x509.Certificate, now time.Time) (entry, []string) {
	var e entry
	var problems []string
	if len(chain) == 0 {
		return e, []string{"empty chain: give the root CA and any intermediates"}
	}
	for j, c := range chain {
		switch {
		case c == nil:
			problems = append(problems, fmt.Sprintf("certificate %d is nil", j))
			continue
		case !(c.BasicConstraintsValid && c.IsCA):
			problems = append(problems, fmt.Sprintf("certificate %d, %q, is not a CA: give the CA chain that issues client certificates (root and intermediates), not a client certificate", j, name(c)))
		case now.After(c.NotAfter):
			problems = append(problems, fmt.Sprintf("certificate %d, %q, expired at %s", j, name(c), c.NotAfter.UTC().Format(time.RFC3339)))
		}
		if selfSigned(c) {
			e.roots = append(e.roots, c)
		}
	}
	if len(problems) > 0 {
		return e, problems
	}
	if len(e.roots) == 0 {
		return e, []string{"the chain has no root CA (a self-signed certificate): Azure requires the root in every chain, and so does this gateway"}
	}
	// Depth of each certificate below its root, within the chain.
	depth := make([]int, len(chain))
	for j, c := range chain {
		d, cur := 1, c
		for range chain { // bounded: a chain of n certificates has depth at most n
			if selfSigned(cur) {
				break
			}
			parent := issuerIn(cur, chain)
			if parent == nil {
				problems = append(problems, fmt.Sprintf("certificate %d, %q: its issuer %q is not in the chain: add it", j, name(c), cur.Issuer.String()))
				d = 0
				break
			}
			d++
			cur = parent
		}
		depth[j] = d
	}
	if len(problems) > 0 {
		return e, problems
	}
	best := 0
	for j := range chain {
		if depth[j] > depth[best] {
			best = j
		}
	}
	e.issuerDN, e.issuer = chain[best].RawSubject, chain[best].Subject.String()
	return e, nil
}

// issuerIn returns the certificate of chain that issued c, or nil.
func issuerIn(c *x509.Certificate, chain []*x509.Certificate) *x509.Certificate {
	for _, p := range chain {
		if p != c && bytes.Equal(p.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(p) == nil {
			return p
		}
	}
	return nil
}

func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil
}

func name(c *x509.Certificate) string {
	if s := c.Subject.String(); s != "" {
		return s
	}
	return "serial " + c.SerialNumber.Text(16)
}

// Mode returns the Verifier's mode.
func (v *Verifier) Mode() Mode { return v.mode }

// IssuerDNs returns the issuer DN extracted from each trusted chain, in
// order, as RFC 2253 strings: what VerifyClientCertIssuerDN compares the
// client certificate's issuer with.
func (v *Verifier) IssuerDNs() []string {
	out := make([]string, len(v.entries))
	for i, e := range v.entries {
		out[i] = e.issuer
	}
	return out
}

// ConfigureServer prepares a listener's tls.Config for client
// authentication by this Verifier: ClientAuth becomes
// tls.RequestClientCert, so that the handshake asks for a certificate but
// completes with any certificate or none (crypto/tls still checks that the
// client holds the certificate's key), leaving the verdict to Verify and
// the refusal to an HTTP 400 the client can read; ClientCAs becomes the
// trusted CAs, whose names crypto/tls sends in the CertificateRequest to
// help clients choose a certificate (it does not verify against them with
// RequestClientCert). In Passthrough mode without trusted CAs, ClientCAs
// is nil: any certificate may be offered. cfg's other fields are left
// alone. Call Verify after every handshake, resumed or not.
func (v *Verifier) ConfigureServer(cfg *tls.Config) {
	cfg.ClientAuth = tls.RequestClientCert
	cfg.ClientCAs = nil
	if v.verify {
		cfg.ClientCAs = v.hint
	}
}
