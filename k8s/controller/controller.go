package controller

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
	gatewayinformers "sigs.k8s.io/gateway-api/pkg/client/informers/externalversions"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/k8s/translate"
)

// Controller watches the Gateway API objects and the objects they
// reference, serves them with one gateway.Gateway and, while it leads,
// writes their status. Every replica serves; one writes status.
type Controller struct {
	cfg  Config
	log  *slog.Logger
	kube kubernetes.Interface
	gwc  gatewayclient.Interface

	kubeInf kubeinformers.SharedInformerFactory
	gwInf   gatewayinformers.SharedInformerFactory
	listers listers

	trigger chan struct{} // buffered 1: a change is pending
	leader  atomic.Bool
	synced  atomic.Bool
	applied atomic.Bool // a configuration is serving
	running atomic.Bool

	mu         sync.Mutex
	gw         *gateway.Gateway // Gateways sharing Config.Ports
	lastConfig *gateway.Config
	lastErr    error
	generation uint64                          // configurations applied
	planes     map[types.NamespacedName]*plane // Gateways served apart (Config.AddressPool)
	shared     shared                          // the keys of the shared Secret in force
	// sharedVersion is the shared Secret's resourceVersion that shared
	// was read from.
	sharedVersion string
	sharedKey     []byte // shared.affinity, for tests
}

// New checks cfg and builds the clients and informers; nothing runs until
// Run.
func New(cfg Config) (*Controller, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	kc, err := kubernetes.NewForConfig(c.Kube)
	if err != nil {
		return nil, fmt.Errorf("controller: kubernetes client: %w", err)
	}
	gc, err := gatewayclient.NewForConfig(c.Kube)
	if err != nil {
		return nil, fmt.Errorf("controller: gateway-api client: %w", err)
	}
	if c.Identity == "" {
		host, _ := os.Hostname()
		b := make([]byte, 4)
		rand.Read(b)
		c.Identity = fmt.Sprintf("%s-%x", host, b)
	}
	ctl := &Controller{
		cfg:     c,
		log:     c.Logger,
		kube:    kc,
		gwc:     gc,
		kubeInf: kubeinformers.NewSharedInformerFactory(kc, 0),
		gwInf:   gatewayinformers.NewSharedInformerFactory(gc, 0),
		trigger: make(chan struct{}, 1),
	}
	ctl.listers = newListers(ctl.kubeInf, ctl.gwInf, ctl.kick)
	return ctl, nil
}

// kick asks for a reconcile; repeated kicks before it runs coalesce.
func (c *Controller) kick() {
	select {
	case c.trigger <- struct{}{}:
	default:
	}
}

// Run serves until ctx ends, then drains the data plane (at most
// Config.ShutdownTimeout) and returns. It returns early with an error if
// the informers cannot sync, the shared Secret cannot be read or created,
// or a port cannot be bound. A Controller runs once.
func (c *Controller) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("controller: Run called twice")
	}
	notFound, err := newResponder(http.StatusNotFound, "e2etls: no route matches this request")
	if err != nil {
		return err
	}
	defer notFound.close()
	unavailable, err := newResponder(http.StatusInternalServerError, "e2etls: this route's backend cannot be used (see the route's and the BackendTLSPolicy's status)")
	if err != nil {
		return err
	}
	defer unavailable.close()
	fallback, err := fallbackCertificate()
	if err != nil {
		return err
	}
	topts := translate.Options{
		ControllerName:      c.cfg.ControllerName,
		Ports:               c.cfg.Ports,
		Addresses:           c.cfg.Addresses,
		NotFound:            notFound.addr(),
		Unavailable:         unavailable.addr(),
		FallbackCertificate: fallback,
		AddressPool:         c.cfg.AddressPool,
	}

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		c.kubeInf.Shutdown()
		c.gwInf.Shutdown()
		wg.Wait()
	}()
	c.kubeInf.Start(ctx.Done())
	c.gwInf.Start(ctx.Done())
	syncCtx, syncCancel := context.WithTimeout(ctx, 2*time.Minute)
	ok := c.kubeInf.WaitForCacheSync(syncCtx.Done())
	gok := c.gwInf.WaitForCacheSync(syncCtx.Done())
	syncCancel()
	for typ, synced := range ok {
		if !synced {
			return fmt.Errorf("controller: informer for %v did not sync: %w", typ, context.Cause(syncCtx))
		}
	}
	for typ, synced := range gok {
		if !synced {
			return fmt.Errorf("controller: informer for %v did not sync (are the Gateway API CRDs installed?): %w", typ, context.Cause(syncCtx))
		}
	}
	c.synced.Store(true)

	sh, err := c.sharedState(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	c.shared, c.sharedKey = sh, sh.affinity
	c.mu.Unlock()

	// The leader election runs beside serving: every replica serves.
	le, err := c.leaderElector()
	if err != nil {
		return err
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Run returns when ctx ends or the lease is lost; then try again,
		// until ctx ends.
		for ctx.Err() == nil {
			le.Run(ctx)
			select {
			case <-ctx.Done():
			case <-time.After(c.cfg.RetryPeriod):
			}
		}
	}()

	serveErr := make(chan error, len(c.cfg.Ports))
	defer c.shutdownGateway()
	defer c.shutdownPlanes()
	// A change waits Debounce for others to join it, and no longer: a
	// steady stream of changes (EndpointSlices of a rolling update) does
	// not postpone the reconcile.
	timer := time.NewTimer(0) // the first reconcile at once
	defer timer.Stop()
	pending := true
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-serveErr:
			return err
		case <-c.trigger:
			if !pending {
				pending = true
				timer.Reset(c.cfg.Debounce)
			}
			continue
		case <-timer.C:
			pending = false
		}
		if err := c.reconcile(ctx, topts, &wg, serveErr); err != nil {
			return err
		}
	}
}

// complete sets what a translated configuration leaves to the controller.
func (c *Controller) complete(cfg gateway.Config, sh shared) gateway.Config {
	cfg.Logger = c.log
	cfg.AffinityKey = sh.affinity
	cfg.SessionTicketKeys = sh.tickets
	cfg.Resolver = c.cfg.Resolver
	cfg.DetailedErrors = c.cfg.DetailedErrors
	return cfg
}

// reconcile translates the cached objects, applies the configuration and,
// on the leader, writes status. It returns an error only when serving is
// impossible (a port of Config.Ports cannot be bound).
func (c *Controller) reconcile(ctx context.Context, topts translate.Options, wg *sync.WaitGroup, serveErr chan<- error) error {
	in, err := c.listers.input()
	if err != nil {
		c.log.Error("controller: listing objects", slog.Any("error", err))
		return nil
	}
	res, err := translate.Translate(in, topts)
	if err != nil {
		return err // invalid options: a programming error
	}
	sh := c.currentShared()
	if c.cfg.AddressPool.IsValid() {
		problems := c.reconcilePlanes(res, sh, wg)
		for key, err := range problems {
			c.log.Error("controller: a Gateway's data plane could not be applied; its previous one, if any, keeps serving", slog.String("gateway", key.String()), slog.Any("error", err))
		}
		if len(problems) > 0 {
			c.retryLater(10 * time.Second)
		}
		c.mu.Lock()
		c.generation++
		c.mu.Unlock()
		c.applied.Store(true)
		if c.leader.Load() {
			if err := c.writeStatus(ctx, res, nil, problems); err != nil {
				c.log.Warn("controller: writing status (will retry)", slog.Any("error", err))
				c.retryLater(time.Second)
			}
		}
		return nil
	}
	cfg := c.complete(res.Config, sh)

	c.mu.Lock()
	unchanged := c.lastConfig != nil && reflect.DeepEqual(*c.lastConfig, cfg)
	g := c.gw
	c.mu.Unlock()
	var applyErr error
	switch {
	case unchanged:
		// Nothing to apply: an Update would only drain idle connections.
	case g == nil:
		g, applyErr = gateway.New(cfg)
		if applyErr == nil {
			if err := c.serve(g, wg, serveErr); err != nil {
				g.Close()
				return err
			}
		}
	default:
		applyErr = g.Update(cfg)
	}
	c.mu.Lock()
	if applyErr == nil && !unchanged {
		c.gw = g
		c.lastConfig = &cfg
		c.generation++
		c.log.Info("controller: configuration applied", slog.Uint64("generation", c.generation),
			slog.Int("listeners", len(cfg.Listeners)), slog.Int("pools", len(cfg.Pools)))
	}
	if applyErr != nil {
		c.log.Error("controller: the data plane refused the configuration; the previous one keeps serving", slog.Any("error", applyErr))
		// Objects may change to something valid; until then, try again
		// now and then.
		time.AfterFunc(10*time.Second, c.kick)
	}
	c.lastErr = applyErr
	serving := c.gw != nil
	c.mu.Unlock()
	if serving {
		c.applied.Store(true)
	}
	if c.leader.Load() {
		if err := c.writeStatus(ctx, res, applyErr, nil); err != nil {
			c.log.Warn("controller: writing status (will retry)", slog.Any("error", err))
			time.AfterFunc(time.Second, c.kick)
		}
	}
	return nil
}

// serve binds (or takes) each port's listener and serves it.
func (c *Controller) serve(g *gateway.Gateway, wg *sync.WaitGroup, serveErr chan<- error) error {
	lns := map[int32]net.Listener{}
	for _, p := range c.cfg.Ports {
		ln := c.cfg.Listeners[p.Number]
		if ln == nil {
			var err error
			ln, err = net.Listen("tcp", net.JoinHostPort(c.cfg.ListenAddress, strconv.Itoa(int(p.Number))))
			if err != nil {
				for _, l := range lns {
					l.Close()
				}
				return fmt.Errorf("controller: listen on port %d: %w", p.Number, err)
			}
		}
		lns[p.Number] = ln
	}
	for port, ln := range lns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.ServePort(int(port), ln); err != nil && !errors.Is(err, gateway.ErrGatewayClosed) {
				serveErr <- fmt.Errorf("controller: serving port %d: %w", port, err)
			}
		}()
	}
	return nil
}

func (c *Controller) shutdownGateway() {
	c.mu.Lock()
	g := c.gw
	c.mu.Unlock()
	if g == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.ShutdownTimeout)
	defer cancel()
	if err := g.Shutdown(ctx); err != nil {
		c.log.Warn("controller: data plane drain cut short", slog.Any("error", err))
		g.Close()
	}
}

// Gateway returns the data plane, nil before the first configuration is
// applied (for BackendHealth and the like).
func (c *Controller) Gateway() *gateway.Gateway {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gw
}

// Leading reports whether this replica holds the Lease (and writes status).
func (c *Controller) Leading() bool { return c.leader.Load() }

// Ready reports whether the informers have synced and a configuration is
// serving.
func (c *Controller) Ready() bool { return c.synced.Load() && c.applied.Load() }

// HealthHandler serves /healthz (the process is alive and running) and
// /readyz (Ready: informers synced and the first configuration applied).
func (c *Controller) HealthHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		if !c.running.Load() {
			http.Error(w, "not running", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		switch {
		case !c.synced.Load():
			http.Error(w, "informers not synced", http.StatusServiceUnavailable)
		case !c.applied.Load():
			http.Error(w, "no configuration applied yet", http.StatusServiceUnavailable)
		default:
			fmt.Fprintln(w, "ok")
		}
	})
	return mux
}

func (c *Controller) leaderElector() (*leaderelection.LeaderElector, error) {
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: c.cfg.Namespace, Name: c.cfg.LeaseName},
		Client:     c.kube.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: c.cfg.Identity},
	}
	le, err := leaderelection.NewLeaderElector(leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   c.cfg.LeaseDuration,
		RenewDeadline:   c.cfg.RenewDeadline,
		RetryPeriod:     c.cfg.RetryPeriod,
		ReleaseOnCancel: true,
		Name:            c.cfg.LeaseName,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) {
				c.log.Info("controller: leading: this replica writes status", slog.String("identity", c.cfg.Identity))
				c.leader.Store(true)
				c.kick()
			},
			OnStoppedLeading: func() {
				c.log.Info("controller: not leading", slog.String("identity", c.cfg.Identity))
				c.leader.Store(false)
			},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("controller: leader election: %w", err)
	}
	return le, nil
}
