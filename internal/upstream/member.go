package upstream

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/e2etls/e2etls/backendtls"
)

// Member is one pool member reached under one backend setting: where it
// is, how its connections are verified, and its endpoints.
type Member struct {
	// Address is the member's IP address or FQDN, without a trailing dot.
	Address string
	// Port is the port it is dialled on.
	Port int
	// HostKey is Address and Port joined: the member's identity.
	HostKey string
	// IP is set when Address is an IP address.
	IP bool
	// Trust is the setting's backend trust, whose ServerName each endpoint
	// sets; nil for an HTTP setting.
	Trust *backendtls.Config
	// Timeout bounds a dial and handshake made on behalf of a request (the
	// setting's request timeout).
	Timeout time.Duration
	// HTTP2 sends the member's requests through the transport that
	// negotiates HTTP/2 by ALPN.
	HTTP2 bool
	// Pool and Setting name the member's pool and setting in events.
	Pool, Setting string
	// SeenLeaf, if not nil, is given the leaf certificate the member
	// presents in each TLS handshake, and whether it was trusted.
	SeenLeaf func(leaf *x509.Certificate, trusted bool)

	drain    context.Context // ends when a removed member's drain time is over
	endDrain context.CancelFunc

	fixed *Endpoint // the endpoint when the SNI does not depend on the request
	dynMu sync.Mutex
	dyn   map[string]*Endpoint // client-Host mode: host -> endpoint
}

// NewMember returns a member at address and port.
func NewMember(address string, port int, trust *backendtls.Config, timeout time.Duration, http2 bool) *Member {
	m := &Member{Address: address, Port: port, IP: IsIP(address), Trust: trust, Timeout: timeout, HTTP2: http2}
	m.HostKey = net.JoinHostPort(address, strconv.Itoa(port))
	m.drain, m.endDrain = context.WithCancel(context.Background())
	return m
}

// Drain is a context that ends when EndDrain is called: the member was
// removed and its drain time is over.
func (m *Member) Drain() context.Context { return m.drain }

// EndDrain ends what the member still serves: its exchanges are cut and
// its connections closed.
func (m *Member) EndDrain() { m.endDrain() }

// Endpoint is a member with one SNI and expected identity: a connection
// pool of its own.
type Endpoint struct {
	// ID is the URL host the HTTP/2 transport pools by.
	ID     string
	Member *Member
	// SNI is the server name sent ("" for none: an IP identity).
	SNI string
	// TLS is nil for an HTTP setting.
	TLS *tls.Config
	// FromClient marks an endpoint whose SNI is a client's Host (the
	// setting has no host name): its failures say nothing about the
	// member as other clients reach it.
	FromClient bool
	lastUsed   atomic.Int64 // unix nanoseconds, for evicting client-Host endpoints
	idle       atomic.Pointer[idlePool]
}
