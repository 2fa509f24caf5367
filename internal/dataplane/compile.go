package dataplane

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/textproto"
	"strings"

	"github.com/e2etls/e2etls/policy"
	"github.com/e2etls/e2etls/rewrite"
	"github.com/e2etls/e2etls/routing"
)

// Pieces of a Plan that the gateway builds from values it has validated.
// Their problems are returned with their place in the gateway's
// configuration but without the "gateway: " prefix, which the gateway adds.

// MaxWeight is the largest weight of a weighted backend: the Gateway
// API's largest backendRef weight.
const MaxWeight = 1000000

// SetRuleTargets sets the targets of rule i, with their rewrite sets and
// splits. ts are the rule's targets as the gateway resolved them (a basic
// rule's one, or a path map's default followed by its path rules', a zero
// target holding the place of one that redirects); rws and splits are
// their rewrite sets and weighted backends, index for index (either may
// be shorter). Only the targets and weighted backends that valid accepts
// (a known pool, a setting without problems) go in, so that a rule whose
// other parts have problems still gets them and theirs are reported too.
// A weight out of range 0-MaxWeight is left out, and a split without a
// positive weight is none (its first backend, the target, stands in).
// Rewrites and Splits stay nil when no target has one: a rule without them
// costs a request nothing.
func (p *Plan) SetRuleTargets(i int, ts []routing.Target, rws []*rewrite.Set, splits [][]Weighted, valid func(Target) bool) {
	r := &p.Rules[i]
	var sets []*rewrite.Set
	var sps [][]Weighted
	has, hasSplit := false, false
	for j, t := range ts {
		if t != (routing.Target{}) && !valid(Target{Pool: t.Pool, Setting: t.Setting}) { // not a path map's redirect
			continue
		}
		r.Targets = append(r.Targets, Target{Pool: t.Pool, Setting: t.Setting})
		var rw *rewrite.Set
		if j < len(rws) {
			rw = rws[j]
		}
		sets = append(sets, rw)
		has = has || rw != nil
		var sp []Weighted
		if j < len(splits) && splits[j] != nil {
			positive := false
			for _, w := range splits[j] {
				if valid(w.Target) && w.Weight >= 0 && w.Weight <= MaxWeight {
					sp = append(sp, w)
					positive = positive || w.Weight > 0
				}
			}
			if !positive {
				sp = nil // reported by the gateway; the first backend stands in
			}
		}
		sps = append(sps, sp)
		hasSplit = hasSplit || sp != nil
	}
	if has {
		r.Rewrites = sets
	}
	if hasSplit {
		r.Splits = sps
	}
}

// CheckKeyPair reports whether a listener certificate is usable: a leaf
// whose public key matches the private key.
func CheckKeyPair(c tls.Certificate) error {
	if len(c.Certificate) == 0 {
		return errors.New("no certificate")
	}
	if c.PrivateKey == nil {
		return errors.New("no private key")
	}
	leaf := c.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return fmt.Errorf("leaf does not parse: %w", err)
		}
	}
	signer, ok := c.PrivateKey.(crypto.Signer)
	if !ok {
		return fmt.Errorf("private key of type %T cannot sign", c.PrivateKey)
	}
	pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(leaf.PublicKey) {
		return fmt.Errorf("private key does not match the certificate %q", leaf.Subject.String())
	}
	return nil
}

// ListenerTLS is the tls.Config of an HTTPS listener: pol as a server,
// offering nextProtos, and presenting cert (nil for none: a listener
// served only through the gateway's Handler), its Leaf parsed if unset.
// The error is pol's (an invalid policy).
func ListenerTLS(pol policy.Policy, cert *tls.Certificate, nextProtos []string) (*tls.Config, error) {
	tc, err := pol.ServerConfig()
	if err != nil {
		return nil, err
	}
	if cert != nil {
		c := *cert
		if c.Leaf == nil && len(c.Certificate) > 0 {
			c.Leaf, _ = x509.ParseCertificate(c.Certificate[0]) // checked by CheckKeyPair
		}
		tc.Certificates = []tls.Certificate{c}
	}
	tc.NextProtos = nextProtos
	return tc, nil
}

// CompileRewrites compiles the rewrite rule sets of a configuration: the
// sets by name, nil when there are problems, and the problems, each with
// its place (rewriteRuleSet "x": rule "y": ...). A rule may not rewrite
// RequestIDHeader, which the gateway sets.
func CompileRewrites(sets []rewrite.RuleSet) (map[string]*rewrite.Set, []error) {
	var errs []error
	for _, rs := range sets {
		for _, rl := range rs.Rules {
			for i, h := range rl.Actions.RequestHeaders {
				name := textproto.CanonicalMIMEHeaderKey(strings.ReplaceAll(h.Name, "_", "-"))
				if name != RequestIDHeader {
					continue
				}
				where := fmt.Sprintf("rewriteRuleSet %q: rule %q: request header %q", rs.Name, rl.Name, h.Name)
				if h.Name == "" {
					where = fmt.Sprintf("rewriteRuleSet %q: rule %q: request header[%d]", rs.Name, rl.Name, i)
				}
				errs = append(errs, fmt.Errorf("%s: cannot be rewritten: the gateway sets it (the request's ID, which its log and error responses carry)", where))
			}
		}
	}
	compiled, err := rewrite.Compile(sets)
	if err != nil {
		all := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			all = j.Unwrap()
		}
		for _, e := range all {
			var re *rewrite.Error
			if errors.As(e, &re) {
				where := re.Where
				if rest, ok := strings.CutPrefix(where, "ruleSet"); ok {
					where = "rewriteRuleSet" + rest
				}
				errs = append(errs, &placedRewrite{msg: where + ": " + re.Err.Error(), err: re})
				continue
			}
			errs = append(errs, fmt.Errorf("rewriteRuleSets: %w", e))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return compiled, nil
}

// placedRewrite is a *rewrite.Error with its place in the gateway's words
// in its message.
type placedRewrite struct {
	msg string
	err *rewrite.Error
}

func (p *placedRewrite) Error() string { return p.msg }
func (p *placedRewrite) Unwrap() error { return p.err }
