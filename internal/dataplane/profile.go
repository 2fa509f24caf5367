package dataplane

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"sync"

	"github.com/e2etls/e2etls/clientauth"
	"github.com/e2etls/e2etls/policy"
	"github.com/e2etls/e2etls/revocation"
)

// Profile is an SSL profile, validated and resolved for its listeners.
type Profile struct {
	Name string
	// Policy is the TLS policy of its listeners; zero means the gateway's.
	Policy policy.Policy
	// Auth verifies client certificates; nil means none is asked for.
	Auth *clientauth.Verifier
	// XFCC says what becomes of X-Forwarded-Client-Cert; its By is filled
	// per listener when empty.
	XFCC clientauth.XFCC
}

// ClientAuthEnv is what the client authentication of a gateway keeps
// across configuration generations.
type ClientAuthEnv struct {
	// tickets encrypts the session tickets of listeners with client
	// authentication, with keys that outlive generations (crypto/tls
	// rotates them), so that a client resumes across Updates and reloads.
	tickets *tls.Config

	mu   sync.Mutex
	ocsp map[string]*revocation.OCSPCache // per SSL profile name
}

// NewClientAuthEnv returns an environment with no OCSP answer cached and
// crypto/tls's own rotating ticket keys.
func NewClientAuthEnv() *ClientAuthEnv {
	return &ClientAuthEnv{tickets: &tls.Config{}, ocsp: make(map[string]*revocation.OCSPCache)}
}

// OCSPCache is the OCSP cache of the profile named name, shared by its
// successive Verifiers so that an Update or a reload does not empty it.
// It is nil for a nil environment (a dry run).
func (e *ClientAuthEnv) OCSPCache(name string) *revocation.OCSPCache {
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

// clientAuthTicketLabel derives, from each shared key, the key of the
// tickets of listeners with client authentication, so that those tickets
// stay apart from the others as they do with the gateway's own keys (see
// bindTickets).
const clientAuthTicketLabel = "e2etls session tickets of listeners with client authentication"

// SetTicketKeys puts keys derived from the gateway's shared session ticket
// keys in force on the tickets of listeners with client authentication:
// the first encrypts, all decrypt.
func (e *ClientAuthEnv) SetTicketKeys(keys [][32]byte) {
	derived := make([][32]byte, len(keys))
	for i, k := range keys {
		m := hmac.New(sha256.New, k[:])
		m.Write([]byte(clientAuthTicketLabel))
		copy(derived[i][:], m.Sum(nil))
	}
	e.tickets.SetSessionTicketKeys(derived)
}

// PolicyOr is the profile's policy, or def.
func (p *Profile) PolicyOr(def policy.Policy) policy.Policy {
	if p == nil || p.Policy.IsZero() {
		return def
	}
	return p.Policy
}

// Apply configures an HTTPS listener of the profile: its name, and with
// client authentication its tls.Config (the handshake asks for a client
// certificate; tickets bound to the profile) and the data plane's
// verification. A nil profile leaves the listener alone; a nil e (a dry
// run) binds no tickets.
func (p *Profile) Apply(pl *Listener, tc *tls.Config, e *ClientAuthEnv) {
	if p == nil {
		return
	}
	pl.Profile = p.Name
	if p.Auth == nil {
		return
	}
	p.Auth.ConfigureServer(tc)
	if e != nil {
		bindTickets(tc, e.tickets, p.Name)
	}
	xfcc := p.XFCC
	if len(xfcc.By) == 0 && len(tc.Certificates) > 0 {
		xfcc.By = clientauth.URISANs(tc.Certificates[0].Leaf)
	}
	pl.ClientAuth = &ClientAuth{Verifier: p.Auth, XFCC: xfcc}
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
