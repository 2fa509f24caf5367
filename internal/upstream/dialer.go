package upstream

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/observe"
)

// DialFunc dials a network address, as net.Dialer.DialContext does.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// HostResolver looks up the addresses of a host name. *net.Resolver
// implements it.
type HostResolver interface {
	LookupHost(ctx context.Context, host string) (addrs []string, err error)
}

// Dialer opens every connection to a backend: the data path's, the health
// probes' and the dry run's. The zero value is not ready: use NewDialer.
type Dialer struct {
	dial     atomic.Pointer[DialFunc]
	resolver *Resolver
	observer atomic.Pointer[observe.Observer]
}

// NewDialer returns a Dialer that dials with dial (nil means a net.Dialer
// with a 10 s timeout and TCP keep-alives) and resolves FQDN members with r
// (nil means net.DefaultResolver).
func NewDialer(dial DialFunc, r HostResolver) *Dialer {
	d := &Dialer{resolver: newResolver(r)}
	d.SetDial(dial)
	return d
}

// SetDial replaces the dial function (nil: the default) for the
// connections opened from now on.
func (d *Dialer) SetDial(dial DialFunc) {
	if dial == nil {
		nd := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		dial = nd.DialContext
	}
	d.dial.Store(&dial)
}

// SetObserver sets the observer told of every TLS handshake (nil: none).
func (d *Dialer) SetObserver(o observe.Observer) {
	if o == nil {
		d.observer.Store(nil)
		return
	}
	d.observer.Store(&o)
}

// SetResolver replaces the host resolver (nil: net.DefaultResolver); the
// last good addresses are kept.
func (d *Dialer) SetResolver(r HostResolver) { d.resolver.set(r) }

// Resolver is the Dialer's resolver.
func (d *Dialer) Resolver() *Resolver { return d.resolver }

// Dial opens a TCP connection to host (an IP address or an FQDN, resolved
// with the last good address kept when a lookup fails) on port.
func (d *Dialer) Dial(ctx context.Context, host string, port int) (net.Conn, error) {
	ip, err := d.resolver.Resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	return (*d.dial.Load())(ctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
}

// Handshake dials m on port and runs the client side of the TLS
// handshake with tc, whose VerifyConnection does the backend verification
// (see backendtls.Handshake). The observer, if any, is told of it; the
// member's SeenLeaf, if any, is given the leaf the member presented,
// whether it was then trusted or refused.
func (d *Dialer) Handshake(ctx context.Context, m *Member, port int, tc *tls.Config, use Use) (*tls.Conn, error) {
	conn, err := d.Dial(ctx, m.Address, port)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	tconn, err := backendtls.Handshake(ctx, conn, tc)
	leaf := presentedLeaf(tconn, err)
	if leaf != nil && m.SeenLeaf != nil {
		m.SeenLeaf(leaf, err == nil)
	}
	if op := d.observer.Load(); op != nil {
		ev := observe.BackendHandshake{Pool: m.Pool, Setting: m.Setting, Member: m.HostKey, Use: use.String(),
			Duration: time.Since(start)}
		if leaf != nil {
			ev.NotAfter = leaf.NotAfter
		}
		if err != nil {
			ev.Reason = "handshake"
			if r, ok := backendtls.ReasonOf(err); ok {
				ev.Reason = r.String()
			}
		} else {
			cs := tconn.ConnectionState()
			ev.TLS = observe.TLS{Version: cs.Version, CipherSuite: cs.CipherSuite, Resumed: cs.DidResume}
		}
		(*op).BackendHandshake(ev)
	}
	return tconn, err
}

// Resolver resolves FQDN members and keeps the last good answer when a
// later lookup fails, as Azure does.
type Resolver struct {
	r   atomic.Pointer[HostResolver]
	ttl atomic.Int64

	mu    sync.Mutex
	cache map[string]*resolved
}

type resolved struct {
	addr    string
	at      time.Time
	lastErr error // the latest lookup failure while serving the last good address
}

func newResolver(r HostResolver) *Resolver {
	res := &Resolver{cache: make(map[string]*resolved)}
	res.ttl.Store(int64(30 * time.Second))
	res.set(r)
	return res
}

func (r *Resolver) set(hr HostResolver) {
	if hr == nil {
		hr = net.DefaultResolver
	}
	r.r.Store(&hr)
}

// SetTTL sets how long a resolved address is trusted before the name is
// looked up again (30 s unless set).
func (r *Resolver) SetTTL(ttl time.Duration) { r.ttl.Store(int64(ttl)) }

// Resolve returns an address of host: host itself if it is an IP address.
func (r *Resolver) Resolve(ctx context.Context, host string) (string, error) {
	if IsIP(host) {
		return host, nil
	}
	r.mu.Lock()
	c := r.cache[host]
	if c != nil && time.Since(c.at) < time.Duration(r.ttl.Load()) {
		r.mu.Unlock()
		return c.addr, nil
	}
	r.mu.Unlock()

	addrs, err := (*r.r.Load()).LookupHost(ctx, host)
	if err == nil && len(addrs) == 0 {
		err = errors.New("no addresses")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		if c != nil {
			c.lastErr = err
			return c.addr, nil
		}
		return "", fmt.Errorf("could not resolve backend %s: %w", host, err)
	}
	r.cache[host] = &resolved{addr: addrs[0], at: time.Now()}
	return addrs[0], nil
}

// StaleReason reports a failing lookup for host that is being bridged by
// the last good address, or "" when there is none.
func (r *Resolver) StaleReason(host string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.cache[host]; c != nil && c.lastErr != nil {
		return fmt.Sprintf("DNS lookup of %s fails (%v); using the last good address %s", host, c.lastErr, c.addr)
	}
	return ""
}

// IsIP reports whether host is an IP literal.
func IsIP(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}

// ValidFQDN reports whether name is a syntactically valid DNS name (a
// trailing dot allowed; labels of letters, digits, '-' and '_').
func ValidFQDN(name string) bool {
	name = strings.TrimSuffix(name, ".")
	if name == "" || len(name) > 253 {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
