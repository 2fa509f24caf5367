package backendtls

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/e2etls/e2etls/policy"
)

// CheckStatus is the outcome of one check of a [Report].
type CheckStatus int

// Check outcomes.
const (
	// Pass: the check ran and passed.
	Pass CheckStatus = iota + 1
	// Fail: the check ran and failed.
	Fail
	// Skipped: the check does not apply to the Config, or could not run
	// because the handshake or an earlier check failed.
	Skipped
)

// String returns "pass", "fail" or "skipped".
func (s CheckStatus) String() string {
	switch s {
	case Pass:
		return "pass"
	case Fail:
		return "fail"
	case Skipped:
		return "skipped"
	}
	return "CheckStatus(" + strconv.Itoa(int(s)) + ")"
}

// CheckResult is the outcome of one check.
type CheckResult struct {
	// Name is one of "policy", "key", "signature", "key-usage",
	// "validity", "chain", "identity", "pins",
	// "authentication-certificates" and "custom", in the order the checks
	// run.
	Name string
	// Status is the outcome.
	Status CheckStatus
	// Detail says what was found, or why the check was skipped.
	Detail string
	// Fix says what to change, for a failed check.
	Fix string
}

// Report is the result of [Check]: every check of a Config against one
// backend, with what the backend presented.
type Report struct {
	// Address is the address dialled.
	Address string
	// ServerName is the SNI sent, "" if none.
	ServerName string
	// Identity is the identity expected, "" if none.
	Identity string
	// Version and CipherSuite are what the handshake negotiated, zero if
	// it failed before the backend's certificate arrived.
	Version, CipherSuite uint16
	// Chain describes the certificates the backend sent, leaf first.
	Chain []CertificateInfo
	// Checks lists every check in the order they run.
	Checks []CheckResult
	// Err is nil if the backend passed, else a *VerificationError.
	Err error
}

// OK reports whether the backend passed every check.
func (r *Report) OK() bool { return r.Err == nil }

// String returns a multi-line, human-readable report: the backend and its
// certificates, each check with its outcome and, for failures, what to fix.
func (r *Report) String() string {
	var b strings.Builder
	status := "OK"
	if !r.OK() {
		status = "FAILED"
		if reason, ok := ReasonOf(r.Err); ok {
			status += " (" + reason.String() + ")"
		}
	}
	fmt.Fprintf(&b, "backend %s: %s\n", r.Address, status)
	sni := "none"
	if r.ServerName != "" {
		sni = strconv.Quote(r.ServerName)
	}
	id := "none"
	if r.Identity != "" {
		id = strconv.Quote(r.Identity)
	}
	fmt.Fprintf(&b, "  SNI %s, identity %s\n", sni, id)
	if r.Version != 0 {
		fmt.Fprintf(&b, "  negotiated %s, %s\n", policy.VersionName(r.Version), policy.CipherSuiteName(r.CipherSuite))
	}
	for i, c := range r.Chain {
		fmt.Fprintf(&b, "  certificate %d: %s\n", i, c.Subject)
		fmt.Fprintf(&b, "    issuer %s; valid %s to %s\n", c.Issuer, c.NotBefore.UTC().Format(timeFormat), c.NotAfter.UTC().Format(timeFormat))
		var names []string
		for _, n := range c.DNSNames {
			names = append(names, "DNS:"+n)
		}
		for _, ip := range c.IPAddresses {
			names = append(names, "IP:"+ip.String())
		}
		for _, u := range c.URIs {
			names = append(names, "URI:"+u)
		}
		if len(names) > 0 {
			fmt.Fprintf(&b, "    names %s\n", strings.Join(names, ", "))
		}
		fmt.Fprintf(&b, "    key %s", c.Pin)
		if c.SelfSigned {
			b.WriteString("; self-signed")
		}
		if c.IsCA {
			b.WriteString("; CA")
		}
		b.WriteString("\n")
	}
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "  %-7s %-27s %s\n", c.Status, c.Name, c.Detail)
		if c.Fix != "" {
			fmt.Fprintf(&b, "  %-7s %-27s fix: %s\n", "", "", c.Fix)
		}
	}
	if r.Err != nil {
		fmt.Fprintf(&b, "  error: %v\n", r.Err)
	}
	return b.String()
}

// allChecks lists every check name in order.
var allChecks = [...]string{namePolicy, nameKey, nameSignature, nameKeyUsage, nameValidity, nameChain, nameIdentity, namePins, nameAuth, nameCustom}

// Check connects to address (host:port) with a net.Dialer and runs
// CheckConn on the connection. It returns an error, and no Report, when
// the connection cannot be made.
func Check(ctx context.Context, address string, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		return nil, fmt.Errorf("backendtls: connecting to %s: %w", address, err)
	}
	return CheckConn(ctx, conn, cfg)
}

// CheckConn performs a full TLS handshake (no session is resumed) on conn,
// a connection to a backend however it was dialled, as cfg would, runs
// every check that cfg configures, even after one has failed, and reports
// each. The backend sees the same failure as with cfg's ClientConfig: a
// handshake aborted with an alert. The custom Verifier runs only if every
// built-in check passed. The handshake is driven as Handshake drives it.
// conn is closed when CheckConn returns.
//
// CheckConn returns an error, and no Report, only when cfg is invalid or
// no TLS handshake could be attempted (ctx ended); a backend that fails
// verification or whose handshake fails is reported in Report.Err.
func CheckConn(ctx context.Context, conn net.Conn, cfg Config) (*Report, error) {
	defer conn.Close()
	address := conn.RemoteAddr().String()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	comp, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	r := &Report{Address: address, ServerName: comp.serverName, Identity: comp.identity}
	if comp.insecure {
		r.Identity = ""
	}
	results := map[string]CheckResult{}
	verified := false
	tlsCfg := &tls.Config{}
	if err := cfg.apply(tlsCfg, comp); err != nil {
		return nil, err
	}
	tlsCfg.ClientSessionCache = nil // always a full handshake
	tlsCfg.VerifyConnection = func(cs tls.ConnectionState) error {
		verified = true
		r.Version, r.CipherSuite = cs.Version, cs.CipherSuite
		for _, pc := range cs.PeerCertificates {
			r.Chain = append(r.Chain, DescribeCertificate(pc))
		}
		return asError(comp.explain(&cs, results))
	}

	tc, certRequested, herr := clientHandshake(ctx, conn, tlsCfg)
	if herr == nil && certRequested && tc.ConnectionState().Version == tls.VersionTLS13 {
		herr = awaitClientCertVerdict(ctx, tc)
	}
	tc.Close()
	if herr != nil {
		classified := ClassifyHandshakeError(herr)
		var ve *VerificationError
		if !errors.As(classified, &ve) {
			return nil, fmt.Errorf("backendtls: TLS handshake with %s: %w", address, herr)
		}
		if code, isAlert := alertCode(herr); isAlert && code == alertHandshakeFailure && certRequested {
			// The backend asked for a client certificate after it had
			// agreed on version and suite: at TLS 1.2 this alert is its
			// refusal of our certificate, or of our lack of one.
			ve = &VerificationError{Reason: ReasonHandshake, Err: herr, detail: clientCertDetail(herr), fix: clientCertFix}
		}
		if !verified {
			ve = comp.named(ve)
		}
		r.Err = ve
		if !verified && ve.Reason == ReasonPolicy {
			results[namePolicy] = CheckResult{Name: namePolicy, Status: Fail, Detail: ve.detail, Fix: ve.fix}
		}
	}
	for _, name := range allChecks {
		res, ok := results[name]
		if !ok {
			res = CheckResult{Name: name, Status: Skipped, Detail: skipReason(name, &cfg, comp, verified)}
		}
		r.Checks = append(r.Checks, res)
	}
	return r, nil
}

// clientCertGrace is how long Check waits for a TLS 1.3 backend to refuse
// the client certificate it asked for.
const clientCertGrace = 500 * time.Millisecond

// awaitClientCertVerdict returns the alert of a TLS 1.3 backend that
// refuses the client certificate. In TLS 1.3 the server verifies the
// client's certificate after the client has finished its handshake, so a
// refusal arrives only as an alert on the first read. Silence until the
// deadline means the certificate was accepted.
func awaitClientCertVerdict(ctx context.Context, tc *tls.Conn) error {
	deadline := time.Now().Add(clientCertGrace)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := tc.SetReadDeadline(deadline); err != nil {
		return err
	}
	var buf [1]byte
	_, err := tc.Read(buf[:])
	if _, isAlert := alertCode(err); isAlert {
		return err
	}
	return nil
}

func skipReason(name string, cfg *Config, comp *compiled, verified bool) string {
	switch {
	case comp.insecure:
		return "not checked: InsecureSkipVerify is set"
	case !verified:
		return "not checked: the TLS handshake failed"
	}
	switch name {
	case nameChain:
		return "not checked: PinnedPublicKeys or AuthenticationCertificates replace chain verification (set UseWellKnownCAs or TrustedRootCertificates to check it too)"
	case nameIdentity:
		return "not checked: no ServerName, Identity or SubjectAltNames"
	case namePins:
		return "not checked: no PinnedPublicKeys"
	case nameAuth:
		return "not checked: no AuthenticationCertificates"
	case nameCustom:
		if cfg.Verifier == nil {
			return "not checked: no custom Verifier"
		}
		return "not run: the custom Verifier runs only after every built-in check has passed"
	}
	return "not checked"
}

// explain runs every check, records each outcome in results, and returns
// the first failure, named.
func (comp *compiled) explain(cs *tls.ConnectionState, results map[string]CheckResult) *VerificationError {
	var first *VerificationError
	for _, s := range comp.steps {
		res := CheckResult{Name: s.name}
		var e *VerificationError
		if s.name == nameChain {
			var chain []*x509.Certificate
			chain, e = comp.chain.verifiedChain(cs)
			if e == nil {
				res.Detail = describeChain(chain, comp.chain)
			}
		} else if e = s.v.verify(cs); e == nil {
			res.Detail = passDetail(s.name, cs, comp)
		}
		if e != nil {
			e = comp.named(e)
			res.Status, res.Detail, res.Fix = Fail, e.detail, e.fix
			if res.Detail == "" {
				res.Detail, res.Fix = genericMessage(e.Reason)
			}
			if first == nil {
				first = e
			}
		} else {
			res.Status = Pass
		}
		results[s.name] = res
	}
	if comp.custom != nil && first == nil {
		res := CheckResult{Name: nameCustom, Status: Pass, Detail: "the custom Verifier accepted the backend"}
		if e := (customVerifier{comp.custom}).verify(cs); e != nil {
			first = comp.named(e)
			res.Status, res.Detail, res.Fix = Fail, strings.TrimPrefix(first.Error(), "backendtls: "), first.fix
		}
		results[nameCustom] = res
	}
	return first
}

func passDetail(name string, cs *tls.ConnectionState, comp *compiled) string {
	leaf := cs.PeerCertificates[0]
	switch name {
	case namePolicy:
		return fmt.Sprintf("%s with %s is allowed by the policy", policy.VersionName(cs.Version), policy.CipherSuiteName(cs.CipherSuite))
	case nameKey:
		return keyDescription(leaf)
	case nameSignature:
		return "signed with " + leaf.SignatureAlgorithm.String()
	case nameKeyUsage:
		if len(leaf.ExtKeyUsage) == 0 && len(leaf.UnknownExtKeyUsage) == 0 {
			return "no extended key usage restriction"
		}
		return "extended key usages " + ekuNames(leaf) + " allow server authentication"
	case nameValidity:
		return fmt.Sprintf("valid from %s to %s", leaf.NotBefore.UTC().Format(timeFormat), leaf.NotAfter.UTC().Format(timeFormat))
	case nameIdentity:
		return fmt.Sprintf("valid for %q (certificate names: %s)", comp.identity, certNames(leaf, true))
	case namePins:
		return "public key " + PinOf(leaf).String() + " is pinned"
	case nameAuth:
		return "the backend certificate is one of the authentication certificates"
	}
	return ""
}

func keyDescription(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("%d-bit RSA key", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA key on " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519 key"
	}
	return c.PublicKeyAlgorithm.String() + " key"
}

func describeChain(chain []*x509.Certificate, v *chainVerifier) string {
	names := make([]string, len(chain))
	for i, c := range chain {
		names[i] = strconv.Quote(subjectName(c))
	}
	anchor := chain[len(chain)-1]
	kind := "a well-known CA"
	for _, a := range v.anchors {
		if a.Equal(anchor) {
			kind = "a trusted root"
			break
		}
	}
	if len(chain) == 1 {
		return fmt.Sprintf("the self-signed backend certificate %s is itself %s", names[0], kind)
	}
	return fmt.Sprintf("%s ends at %s", strings.Join(names, " <- "), kind)
}
