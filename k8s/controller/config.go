package controller

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"k8s.io/client-go/rest"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/k8s/translate"
)

// DefaultControllerName is the GatewayClass spec.controllerName this
// controller serves unless told otherwise.
const DefaultControllerName gatewayv1.GatewayController = "e2etls.dev/gateway-controller"

// Keys of the shared Secret.
const (
	// AffinityKeyField holds the key of the affinity cookies' keyed hash
	// (gateway.Config.AffinityKey), 32 random bytes made by the first
	// replica that finds the Secret missing.
	AffinityKeyField = "affinity-key"
	// SessionTicketKeysField holds the TLS session ticket keys of every
	// listener (gateway.Config.SessionTicketKeys): one or more keys of 32
	// bytes, concatenated, the first encrypting new tickets and all
	// decrypting. The first replica that finds the Secret, or this field,
	// missing adds one random key. Edits apply at once: rotate by adding
	// the new key last, then, once every replica has it, moving it first,
	// and dropping the old key 7 days later (a ticket's lifetime).
	SessionTicketKeysField = "session-ticket-keys"
)

// Config configures a Controller.
type Config struct {
	// Kube reaches the API server. Required.
	Kube *rest.Config
	// ControllerName is the GatewayClass controllerName served. Empty means
	// DefaultControllerName.
	ControllerName gatewayv1.GatewayController
	// Ports are the frontend ports served, each HTTP or HTTPS. Required
	// (at least one). A gateway.Gateway cannot add ports once it runs, so
	// Gateway listeners on other ports are reported PortUnavailable.
	Ports []translate.Port
	// Listeners are pre-bound listeners by port number (tests bind
	// 127.0.0.1:0). A port without one is bound on ListenAddress. Nil
	// means every port is bound.
	Listeners map[int32]net.Listener
	// ListenAddress is the IP address ports are bound on when Listeners
	// has none for them. Empty means all addresses.
	ListenAddress string
	// Addresses are reported in the served Gateways' status.addresses
	// (the load balancer's address in front of the replicas). Nil means
	// none.
	Addresses []gatewayv1.GatewayStatusAddress

	// AddressPool, when valid, serves every Gateway apart, with a
	// gateway.Gateway of its own bound to an address of its own from the
	// pool, on the ports its listeners declare (see
	// translate.Options.AddressPool); Ports, Listeners, ListenAddress and
	// Addresses are then not used. The addresses must be bindable on
	// every replica (a loopback range, or addresses the node has). The
	// zero Prefix means every Gateway shares Ports.
	AddressPool netip.Prefix
	// BindPort maps a Gateway listener port to the port bound on the
	// Gateway's address, with AddressPool (tests that may not bind
	// privileged ports move them). Nil means the listener's port.
	BindPort func(port int32) int

	// Namespace holds the Lease and the shared Secret. Required.
	Namespace string
	// LeaseName names the Lease of the leader election; the leader writes
	// status. Empty means "e2etls-gateway".
	LeaseName string
	// SharedSecretName names the Secret the replicas share (the affinity
	// key and the session ticket keys). It is created when missing. Empty
	// means "e2etls-gateway-shared".
	SharedSecretName string
	// Identity is this replica's name in the Lease. Empty means the host
	// name and a random suffix.
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod tune the leader
	// election. Zero means 15 s, 10 s and 2 s.
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration

	// Debounce is how long a change waits for more before the
	// configuration is rebuilt. Zero means 100 ms.
	Debounce time.Duration
	// ShutdownTimeout bounds the data plane's drain when Run's context
	// ends. Zero means 30 s.
	ShutdownTimeout time.Duration
	// Logger receives the controller's and the gateway's records. Nil
	// means slog.Default().
	Logger *slog.Logger
	// Resolver resolves the members of EndpointSlices of address type FQDN
	// (gateway.Config.Resolver). Nil means net.DefaultResolver.
	Resolver gateway.Resolver
	// DetailedErrors turns on gateway.Config.DetailedErrors: the gateway's
	// own error responses say why (member, reason, advice). For tests and
	// debugging; false, clients get a generic page with a request ID.
	DetailedErrors bool
}

func (c *Config) withDefaults() (Config, error) {
	out := *c
	var errs []error
	if out.Kube == nil {
		errs = append(errs, errors.New("controller: Config.Kube is nil"))
	}
	if len(out.Ports) == 0 && !out.AddressPool.IsValid() {
		errs = append(errs, errors.New("controller: Config.Ports is empty: serve at least one port"))
	}
	if out.Namespace == "" {
		errs = append(errs, errors.New("controller: Config.Namespace is empty: it holds the Lease and the shared Secret"))
	}
	for port := range out.Listeners {
		found := false
		for _, p := range out.Ports {
			found = found || p.Number == port
		}
		if !found {
			errs = append(errs, fmt.Errorf("controller: Config.Listeners has port %d, which Config.Ports does not list", port))
		}
	}
	if len(errs) > 0 {
		return out, errors.Join(errs...)
	}
	if out.ControllerName == "" {
		out.ControllerName = DefaultControllerName
	}
	if out.LeaseName == "" {
		out.LeaseName = "e2etls-gateway"
	}
	if out.SharedSecretName == "" {
		out.SharedSecretName = "e2etls-gateway-shared"
	}
	if out.LeaseDuration == 0 {
		out.LeaseDuration = 15 * time.Second
	}
	if out.RenewDeadline == 0 {
		out.RenewDeadline = 10 * time.Second
	}
	if out.RetryPeriod == 0 {
		out.RetryPeriod = 2 * time.Second
	}
	if out.Debounce == 0 {
		out.Debounce = 100 * time.Millisecond
	}
	if out.ShutdownTimeout == 0 {
		out.ShutdownTimeout = 30 * time.Second
	}
	if out.Logger == nil {
		out.Logger = slog.Default()
	}
	return out, nil
}
