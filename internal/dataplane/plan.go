package dataplane

import (
	"crypto/tls"
	"time"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/internal/accesslog"
	"github.com/e2etls/e2etls/internal/errorpage"
	"github.com/e2etls/e2etls/observe"
	"github.com/e2etls/e2etls/probe"
	"github.com/e2etls/e2etls/rewrite"
	"github.com/e2etls/e2etls/routing"
)

// Plan is a configuration the gateway has validated and resolved: all a
// Snapshot is built from. Names refer to the gateway's configuration.
type Plan struct {
	// Generation numbers configurations, 1 for the first.
	Generation uint64
	// Table routes requests; its listener and rule indices are those of
	// Listeners and Rules.
	Table *routing.Table
	// Listeners are the frontends.
	Listeners []Listener
	// Rules are the routing rules: each basic or path-based rule's
	// targets, none for a redirect.
	Rules []Rule
	// Pools are the members of each pool, by pool name.
	Pools map[string][]PoolMember
	// Settings are the backend settings, by name.
	Settings map[string]*Setting
	// AffinityKey keys the hash that makes a member's affinity cookie.
	AffinityKey []byte
	// DetailedErrors puts the failure's code in ErrorHeader and its
	// account (member, pool, setting, advice) in the body of the gateway's
	// own error responses; off, a client gets a generic page with the
	// request's ID, and the account goes to the log only.
	DetailedErrors bool
	// AccessLog receives the access log; nil means the Logger of Env, at
	// Info.
	AccessLog *accesslog.Writer
	// Observer receives the events of this generation; nil means none.
	Observer observe.Observer
	// Tracer opens the spans of requests; nil means no tracing.
	Tracer observe.Tracer
	// ErrorPages are the custom error pages that replace the one-line
	// bodies of the gateway's own error responses; nil means none.
	ErrorPages *errorpage.Pages
}

// Listener is a frontend listener.
type Listener struct {
	Name string
	Port int
	// HTTPS is set for an HTTPS listener.
	HTTPS bool
	// TLS is an HTTPS listener's configuration: its certificate (with its
	// parsed Leaf) and policy.
	TLS *tls.Config
	// Certificate names the listener's certificate, "" for HTTP.
	Certificate string
	// Profile names the listener's SSL profile, "" for none. A request
	// whose connection was set up under another profile's configuration
	// than its Host's listener's gets 421 (see clientcert.go).
	Profile string
	// ClientAuth is the client authentication of the listener's profile;
	// nil when the listener asks for no client certificate.
	ClientAuth *ClientAuth
}

// Rule is a routing rule.
type Rule struct {
	Name string
	// Targets are a basic rule's one target, or a path map's default
	// followed by its path rules' targets, a zero Target holding the place
	// of one that redirects; none for a redirect rule.
	Targets []Target
	// Rewrites are the rewrite sets of Targets, index for index (nil where
	// a target has none); nil when no target of the rule has one, which
	// costs a request nothing.
	Rewrites []*rewrite.Set
	// Splits are the weighted backends of Targets, index for index (nil
	// where a target is one backend); nil when no target of the rule
	// splits. A split target's Target is its first backend's.
	Splits [][]Weighted
}

// Target is a pool served with a backend setting.
type Target struct{ Pool, Setting string }

// Weighted is one backend of a split target and its weight (at least
// one weight of a split is positive).
type Weighted struct {
	Target
	Weight int
}

// PoolMember is a configured pool member.
type PoolMember struct {
	// Address is an IP address or an FQDN.
	Address string
	// Port overrides the setting's port; zero means the setting's.
	Port int
}

// HostMode is where a setting takes the SNI, Host and identity of its
// requests from.
type HostMode int

const (
	// HostFixed uses the setting's host name.
	HostFixed HostMode = iota
	// HostPick uses each member's FQDN.
	HostPick
	// HostClient uses the client's Host, one its listener accepted.
	HostClient
)

// Setting is a resolved backend setting.
type Setting struct {
	Name     string
	HTTPS    bool
	Port     int
	HostMode HostMode
	// HostName is the fixed host name (HostFixed), without a trailing dot.
	HostName string
	// ServerName, when set, is the SNI and expected identity of every
	// member (Azure's sniName), whatever gives the Host header; a probe
	// without a host of its own sends it as SNI. Empty means the Host
	// header's name.
	ServerName string
	// Trust is the backend trust of an HTTPS setting (ServerName unset),
	// with its session cache.
	Trust backendtls.Config
	// Timeout bounds each attempt until the response head.
	Timeout time.Duration
	// Drain is how long a removed member keeps what it serves.
	Drain time.Duration
	// Cookie is the affinity cookie's name, "" when affinity is off;
	// CORSCookie its SameSite=None variant.
	Cookie, CORSCookie string
	// HTTP2 offers HTTP/2 to members.
	HTTP2 bool
	// Probe is the health probe's specification; ProbeHost the custom
	// probe's host ("" for none) and ProbeName its name ("" for the
	// default probe).
	Probe     probe.Spec
	ProbeHost string
	ProbeName string
	// ProbeOff turns the health probes of the setting's members off:
	// they are in rotation until the data path sees one fail (its
	// certificate refused, no connection, a response broken off), which
	// takes it out for PassiveHold, after which it returns as a member no
	// one has judged yet.
	ProbeOff    bool
	PassiveHold time.Duration
}
