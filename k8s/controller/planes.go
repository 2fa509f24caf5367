package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/k8s/translate"
)

// plane is the data plane of one Gateway served apart (Config.AddressPool):
// a gateway.Gateway bound to the Gateway's address.
type plane struct {
	key   types.NamespacedName
	addr  netip.Addr
	ports []translate.Port
	gw    *gateway.Gateway
	cfg   *gateway.Config
	lns   []net.Listener
	// retired is set once the plane is being replaced or removed: its
	// serving loops' errors are expected then.
	retired chan struct{}
}

// bindError is a plane whose ports could not be bound: the Gateway's
// address is not usable (status reason AddressNotUsable).
type bindError struct{ err error }

func (e *bindError) Error() string { return e.err.Error() }
func (e *bindError) Unwrap() error { return e.err }

// reconcilePlanes applies each Gateway's data plane: an Update when its
// address and ports are unchanged, else a new gateway.Gateway bound to them
// (the old one, if any, stops accepting at once and drains in the
// background); planes of Gateways no longer served are retired. It returns
// the problems by Gateway.
func (c *Controller) reconcilePlanes(res *translate.Result, sh shared, wg *sync.WaitGroup) map[types.NamespacedName]error {
	problems := map[types.NamespacedName]error{}
	c.mu.Lock()
	current := clonePlanes(c.planes)
	c.mu.Unlock()
	keys := make([]types.NamespacedName, 0, len(res.Planes))
	for k := range res.Planes {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b types.NamespacedName) int { return strings.Compare(a.String(), b.String()) })
	next := map[types.NamespacedName]*plane{}
	for _, key := range keys {
		pl := res.Planes[key]
		cfg := c.complete(pl.Config, sh)
		cur := current[key]
		if cur != nil && cur.addr == pl.Address && slices.Equal(cur.ports, pl.Ports) {
			next[key] = cur
			if reflect.DeepEqual(*cur.cfg, cfg) {
				continue
			}
			if err := cur.gw.Update(cfg); err != nil {
				problems[key] = err
				continue
			}
			cur.cfg = &cfg
			continue
		}
		if cur != nil {
			c.retire(cur, wg) // frees the address's ports before the new plane binds them
		}
		np, err := c.startPlane(key, pl, cfg, wg)
		if err != nil {
			problems[key] = err
			continue
		}
		next[key] = np
		c.log.Info("controller: serving a Gateway on its own address", slog.String("gateway", key.String()),
			slog.String("address", pl.Address.String()), slog.Any("ports", portList(pl.Ports)))
	}
	for key, cur := range current {
		if res.Planes[key] == nil { // replaced planes were retired above
			c.retire(cur, wg)
		}
	}
	c.mu.Lock()
	c.planes = next
	c.mu.Unlock()
	return problems
}

func clonePlanes(m map[types.NamespacedName]*plane) map[types.NamespacedName]*plane {
	out := make(map[types.NamespacedName]*plane, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func portList(ps []translate.Port) []string {
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%d/%s", p.Number, p.Protocol))
	}
	return out
}

// startPlane starts a Gateway's data plane: gateway.New, then its ports
// bound on its address (Config.BindPort moving them) and served.
func (c *Controller) startPlane(key types.NamespacedName, pl *translate.Plane, cfg gateway.Config, wg *sync.WaitGroup) (*plane, error) {
	g, err := gateway.New(cfg)
	if err != nil {
		return nil, err
	}
	p := &plane{key: key, addr: pl.Address, ports: pl.Ports, gw: g, cfg: &cfg, retired: make(chan struct{})}
	for _, port := range pl.Ports {
		bind := int(port.Number)
		if c.cfg.BindPort != nil {
			bind = c.cfg.BindPort(port.Number)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(pl.Address.String(), strconv.Itoa(bind)))
		if err != nil {
			for _, l := range p.lns {
				l.Close()
			}
			g.Close()
			return nil, &bindError{fmt.Errorf("listen on %s port %d: %w", pl.Address, port.Number, err)}
		}
		p.lns = append(p.lns, ln)
	}
	for i, port := range pl.Ports {
		ln := p.lns[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := g.ServePort(int(port.Number), ln)
			select {
			case <-p.retired:
				return
			default:
			}
			if err != nil && !errors.Is(err, gateway.ErrGatewayClosed) {
				c.log.Error("controller: serving a Gateway's port failed", slog.String("gateway", key.String()),
					slog.Int("port", int(port.Number)), slog.Any("error", err))
			}
		}()
	}
	return p, nil
}

// retire stops a plane accepting at once and drains it in the background,
// for at most Config.ShutdownTimeout.
func (c *Controller) retire(p *plane, wg *sync.WaitGroup) {
	close(p.retired)
	for _, ln := range p.lns {
		ln.Close()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.ShutdownTimeout)
		defer cancel()
		if err := p.gw.Shutdown(ctx); err != nil {
			p.gw.Close()
		}
	}()
}

// shutdownPlanes drains every plane, together, for at most
// Config.ShutdownTimeout.
func (c *Controller) shutdownPlanes() {
	c.mu.Lock()
	ps := c.planes
	c.planes = nil
	c.mu.Unlock()
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			close(p.retired)
			ctx, cancel := context.WithTimeout(context.Background(), c.cfg.ShutdownTimeout)
			defer cancel()
			if err := p.gw.Shutdown(ctx); err != nil {
				c.log.Warn("controller: data plane drain cut short", slog.String("gateway", p.key.String()), slog.Any("error", err))
				p.gw.Close()
			}
		}()
	}
	wg.Wait()
}

// GatewayFor returns the data plane of the Gateway key when Gateways are
// served apart (Config.AddressPool), nil if it has none.
func (c *Controller) GatewayFor(key types.NamespacedName) *gateway.Gateway {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p := c.planes[key]; p != nil {
		return p.gw
	}
	return nil
}

// retryLater asks for another reconcile after d.
func (c *Controller) retryLater(d time.Duration) { time.AfterFunc(d, c.kick) }
