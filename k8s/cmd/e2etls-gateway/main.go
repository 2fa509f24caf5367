package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/k8s/controller"
	"github.com/e2etls/e2etls/k8s/translate"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// listenFlag is one --listen: a Gateway listener port, its protocol, and
// where it is bound.
type listenFlag struct {
	port     translate.Port
	bindAddr string // host:port
}

// parseListen parses PORT/PROTOCOL[=ADDRESS:BINDPORT], such as "443/https"
// (bound on :443) or "443/https=:8443".
func parseListen(s string) (listenFlag, error) {
	spec, bind, hasBind := strings.Cut(s, "=")
	portStr, proto, ok := strings.Cut(spec, "/")
	if !ok {
		return listenFlag{}, fmt.Errorf("e2etls-gateway: --listen %q: want PORT/PROTOCOL[=ADDRESS:BINDPORT], such as 443/https=:8443", s)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 1 || port > 65535 {
		return listenFlag{}, fmt.Errorf("e2etls-gateway: --listen %q: port %q is not 1..65535", s, portStr)
	}
	var p gateway.Protocol
	switch strings.ToLower(proto) {
	case "http":
		p = gateway.HTTP
	case "https":
		p = gateway.HTTPS
	default:
		return listenFlag{}, fmt.Errorf("e2etls-gateway: --listen %q: protocol %q is neither http nor https", s, proto)
	}
	if !hasBind {
		bind = ":" + portStr
	}
	if _, _, err := net.SplitHostPort(bind); err != nil {
		return listenFlag{}, fmt.Errorf("e2etls-gateway: --listen %q: bind address: %w", s, err)
	}
	return listenFlag{port: translate.Port{Number: int32(port), Protocol: p}, bindAddr: bind}, nil
}

// statusAddress makes an --address a Gateway status address: an IP address
// or a host name.
func statusAddress(s string) gatewayv1.GatewayStatusAddress {
	t := gatewayv1.HostnameAddressType
	if net.ParseIP(s) != nil {
		t = gatewayv1.IPAddressType
	}
	return gatewayv1.GatewayStatusAddress{Type: &t, Value: s}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

// run serves until ctx ends (SIGINT or SIGTERM in main), then drains and
// returns.
func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("e2etls-gateway", flag.ContinueOnError)
	var listens, addresses multiFlag
	fs.Var(&listens, "listen", "a frontend port: PORT/PROTOCOL[=ADDRESS:BINDPORT], repeatable; PORT is the Gateway listener port (default 80/http and 443/https)")
	fs.Var(&addresses, "address", "an address reported in Gateways' status (the load balancer's IP or host name), repeatable")
	addressPool := fs.String("address-pool", "", "serve every Gateway apart, on an address of its own from this CIDR (addresses every replica's node can bind, such as a loopback range or its own VIPs) and on the ports its listeners declare; not with --listen or --address")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file; empty means the in-cluster service account")
	controllerName := fs.String("controller-name", string(controller.DefaultControllerName), "the GatewayClass controllerName served")
	namespace := fs.String("namespace", envOr("POD_NAMESPACE", "e2etls-system"), "namespace of the Lease and the shared Secret")
	leaseName := fs.String("lease-name", "e2etls-gateway", "name of the leader-election Lease")
	secretName := fs.String("shared-secret-name", "e2etls-gateway-shared", "name of the Secret the replicas share (affinity key, session ticket keys)")
	identity := fs.String("identity", os.Getenv("POD_NAME"), "this replica's identity in the Lease; empty means the host name and a random suffix")
	healthAddr := fs.String("health-address", ":8081", "address of /healthz and /readyz")
	shutdown := fs.Duration("shutdown-timeout", 30*time.Second, "how long in-flight requests may take to finish on SIGTERM")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	detailed := fs.Bool("detailed-errors", false, "say why in the gateway's own error responses (member, reason, advice); for debugging: clients otherwise get a generic page with a request ID")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var pool netip.Prefix
	if *addressPool != "" {
		var err error
		if pool, err = netip.ParsePrefix(*addressPool); err != nil {
			return fmt.Errorf("e2etls-gateway: --address-pool: %w", err)
		}
		if len(listens) > 0 || len(addresses) > 0 {
			return errors.New("e2etls-gateway: --address-pool serves each Gateway on its own address and ports: --listen and --address do not apply")
		}
	} else if len(listens) == 0 {
		listens = multiFlag{"80/http", "443/https"}
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("e2etls-gateway: --log-level: %w", err)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	var rc *rest.Config
	var err error
	if *kubeconfig != "" {
		rc, err = clientcmd.BuildConfigFromFlags("", *kubeconfig)
	} else {
		rc, err = rest.InClusterConfig()
	}
	if err != nil {
		return fmt.Errorf("e2etls-gateway: kubernetes client configuration: %w", err)
	}

	cfg := controller.Config{
		Kube:             rc,
		ControllerName:   gatewayv1.GatewayController(*controllerName),
		Listeners:        map[int32]net.Listener{},
		Namespace:        *namespace,
		LeaseName:        *leaseName,
		SharedSecretName: *secretName,
		Identity:         *identity,
		ShutdownTimeout:  *shutdown,
		Logger:           log,
		DetailedErrors:   *detailed,
		AddressPool:      pool,
	}
	for _, a := range addresses {
		cfg.Addresses = append(cfg.Addresses, statusAddress(a))
	}
	for _, s := range listens {
		l, err := parseListen(s)
		if err != nil {
			return err
		}
		ln, err := net.Listen("tcp", l.bindAddr)
		if err != nil {
			return fmt.Errorf("e2etls-gateway: --listen %q: %w", s, err)
		}
		cfg.Ports = append(cfg.Ports, l.port)
		cfg.Listeners[l.port.Number] = ln
	}
	ctl, err := controller.New(cfg)
	if err != nil {
		return err
	}

	ctx, stop := context.WithCancel(ctx)
	defer stop()
	health := &http.Server{Addr: *healthAddr, Handler: ctl.HealthHandler(), ReadHeaderTimeout: 5 * time.Second}
	healthErr := make(chan error, 1)
	go func() { healthErr <- health.ListenAndServe() }()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		health.Shutdown(sctx)
	}()
	runErr := make(chan error, 1)
	go func() { runErr <- ctl.Run(ctx) }()
	select {
	case err := <-runErr:
		return err
	case err := <-healthErr:
		stop()
		<-runErr
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("e2etls-gateway: health endpoint: %w", err)
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
