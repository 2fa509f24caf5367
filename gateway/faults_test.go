package gateway_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/gateway/gatewaytest"
)

// Faults of issue 8 covered elsewhere:
//   - a backend that accepts TCP and never answers TLS:
//     TestBackendThatNeverAnswersTLS (the request ends with 504 within the
//     setting's timeout, and the hung connection is closed);
//   - an FQDN member whose DNS lookup starts failing:
//     TestPickHostNameFromFQDNMember (the last good address keeps serving,
//     and BackendHealth says so).

// TestBackendKilledMidResponse: a backend that dies after sending part of a
// response leaves the client with an error, never a complete-looking
// response, over HTTP/1.1 and HTTP/2, with and without Content-Length; the
// member leaves rotation with the reason.
func TestBackendKilledMidResponse(t *testing.T) {
	eachFrontend(t, testBackendKilledMidResponse)
}

func testBackendKilledMidResponse(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	part := bytes.Repeat([]byte("x"), 64<<10)
	srv := pki.StartBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			return
		}
		if r.URL.Query().Get("length") == "1" {
			w.Header().Set("Content-Length", strconv.Itoa(4*len(part)))
		}
		w.Write(part)
		http.NewResponseController(w).Flush()
		panic(http.ErrAbortHandler) // the connection is cut
	}), "api.internal")
	gw := startWith(t, fe, probedConfig(pki, srv.Member()))
	awaitFirstProbe(t, gw.Gateway)
	member := srv.Addr

	for _, h1 := range []bool{true, false} {
		for _, length := range []bool{true, false} {
			name := fmt.Sprintf("HTTP/2, Content-Length %v", length)
			if h1 {
				name = fmt.Sprintf("HTTP/1.1, Content-Length %v", length)
			}
			t.Run(name, func(t *testing.T) {
				c := newClient(t, pki)
				if h1 {
					c = newH1Client(t, pki)
				}
				url := gw.URL("web", "shop.example") + "/cut"
				if length {
					url += "?length=1"
				}
				resp, err := c.Get(url)
				require.NoError(t, err)
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				assert.Equal(t, http.StatusOK, resp.StatusCode, "the head was sent before the backend died")
				require.Error(t, err, "the client read a complete-looking body of %d bytes", len(body))
				assert.LessOrEqual(t, len(body), len(part))
				assert.Equal(t, part[:len(body)], body, "the bytes that arrived are the backend's")

				h := healthOf(t, gw.Gateway, member)
				assert.Equal(t, "Unhealthy", h.State)
				assert.Equal(t, "backend-aborted", h.ReasonCode)
				assert.Contains(t, h.Reason, "backend broke off a response")
				r := get(t, c, gw.URL("web", "shop.example")+"/next")
				assert.Equal(t, http.StatusBadGateway, r.status)
				assert.Equal(t, "no-healthy-backend", r.header.Get("X-E2etls-Error"))

				// A successful probe brings it back for the next case.
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				gw.ProbeNow(ctx)
				require.Equal(t, "Healthy", healthOf(t, gw.Gateway, member).State)
			})
		}
	}
}

// rotatingBackend is an HTTPS backend whose certificate can be replaced,
// and with it, optionally, its session ticket keys, as a backend restarted
// with a new certificate would.
type rotatingBackend struct {
	*countingBackend
	ln   net.Listener
	srv  *http.Server
	cert atomic.Pointer[tls.Certificate]
	keys atomic.Pointer[[32]byte]
	done chan struct{}
}

func startRotatingBackend(t *testing.T, cert tls.Certificate) *rotatingBackend {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	b := &rotatingBackend{countingBackend: &countingBackend{name: "b"}, ln: ln, done: make(chan struct{})}
	b.rotate(cert, true)
	b.srv = &http.Server{Handler: b.countingBackend, ErrorLog: log.New(io.Discard, "", 0), TLSConfig: &tls.Config{
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			c := &tls.Config{Certificates: []tls.Certificate{*b.cert.Load()}, NextProtos: []string{"http/1.1"}}
			c.SetSessionTicketKeys([][32]byte{*b.keys.Load()})
			return c, nil
		},
	}}
	go func() {
		defer close(b.done)
		b.srv.ServeTLS(ln, "", "")
	}()
	t.Cleanup(func() {
		b.srv.Close()
		<-b.done
	})
	return b
}

// rotate makes later handshakes present cert; with newKeys, sessions begun
// before can no longer be resumed.
func (b *rotatingBackend) rotate(cert tls.Certificate, newKeys bool) {
	b.cert.Store(&cert)
	if newKeys {
		var k [32]byte
		rand.Read(k[:])
		b.keys.Store(&k)
	}
}

func (b *rotatingBackend) member() gateway.Member {
	return gateway.Member{Address: "127.0.0.1", Port: b.ln.Addr().(*net.TCPAddr).Port}
}

// TestBackendCertificateRotatedToUntrusted: a backend whose certificate is
// replaced by one the gateway does not trust, while a connection to it is
// pooled and busy. The request on that connection finishes (it was
// verified); a new connection is refused with the reason and nothing is
// sent on it; the member leaves rotation, so its pooled connection is not
// used again, until an Update trusts the new root.
func TestBackendCertificateRotatedToUntrusted(t *testing.T) {
	eachFrontend(t, testBackendCertificateRotatedToUntrusted)
}

func testBackendCertificateRotatedToUntrusted(t *testing.T, fe gateway.Frontend) {
	pki := gatewaytest.NewPKI()
	other := tlstest.NewRoot(tlstest.Options{CommonName: "someone else's root", KeyType: tlstest.ECDSAP256})
	untrusted := other.NewLeaf(tlstest.Options{DNSNames: []string{"api.internal"}, KeyType: tlstest.ECDSAP256}).TLSCertificate(other)
	for _, tt := range []struct {
		name string
		// restarted: the backend came back with new session ticket keys,
		// so the gateway's next connection is a full handshake. Else it
		// can resume a session begun under the old certificate (which
		// authenticates the backend it verified then), and the next
		// probe, always a full handshake, finds the new certificate.
		restarted bool
	}{{"backend restarted", true}, {"session tickets still valid", false}} {
		t.Run(tt.name, func(t *testing.T) {
			checkLeaks(t)
			g := newGate(t)
			srv := startRotatingBackend(t, pki.Leaf("api.internal").FullChain())
			srv.gate.Store(g)
			gw := startWith(t, fe, probedConfig(pki, srv.member()))
			awaitFirstProbe(t, gw.Gateway)
			c := newH1Client(t, pki)
			url := gw.URL("web", "shop.example")
			member := srv.ln.Addr().String()

			require.Equal(t, http.StatusOK, get(t, c, url+"/warm").status)
			inflight := goGet(c, url+"/block")
			waitFor(t, "the request at the backend", func() bool { return srv.inflight.Load() == 1 })
			srv.rotate(untrusted, tt.restarted)
			hits := srv.hits.Load()

			if tt.restarted {
				// The pooled connection is busy: this request needs a new one.
				r := get(t, c, url+"/new")
				assert.Equal(t, http.StatusBadGateway, r.status)
				assert.Equal(t, "untrusted-root", r.header.Get("X-E2etls-Error"))
				assert.Contains(t, r.body, "someone else's root")
				assert.Equal(t, hits, srv.hits.Load(), "a request went over an unverified connection")
			} else {
				// The probe's threshold is 3 failures.
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				for i := 0; i < 3; i++ {
					gw.ProbeNow(ctx)
				}
			}
			h := healthOf(t, gw.Gateway, member)
			assert.Equal(t, "Unhealthy", h.State)
			assert.Equal(t, "untrusted-root", h.ReasonCode)
			assert.Contains(t, h.Reason, "someone else's root")

			g.open()
			rp := <-inflight
			require.NoError(t, rp.err)
			assert.Equal(t, http.StatusOK, rp.r.status, "the request on the verified connection finished")

			// Out of rotation: the pooled connection is not used either.
			hits = srv.hits.Load()
			r := get(t, c, url+"/after")
			assert.Equal(t, http.StatusBadGateway, r.status)
			assert.Equal(t, "no-healthy-backend", r.header.Get("X-E2etls-Error"))
			assert.Equal(t, hits, srv.hits.Load())

			// Trusting the new root (Update) brings it back.
			next := gw.Config
			next.TrustedRootCertificates = append(next.TrustedRootCertificates, gateway.NamedCertificate{Name: "other", Certificate: other.Certificate})
			next.BackendHTTPSettings = append([]gateway.BackendHTTPSetting(nil), next.BackendHTTPSettings...)
			next.BackendHTTPSettings[0].TrustedRootCertificates = []string{"root", "other"}
			require.NoError(t, gw.Update(next))
			r = get(t, c, url+"/trusted")
			assert.Equal(t, http.StatusOK, r.status, r.body)
		})
	}
}

// TestProbeOfHTTP2Setting: a setting that offers HTTP/2 to its members is
// probed over HTTP/1.1, and its members are healthy.
func TestProbeOfHTTP2Setting(t *testing.T) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	h2 := tlstest.NewServer(tlstest.ServerOptions{Name: "h2", Certificate: pki.Leaf("api.internal").FullChain(), NextProtos: []string{"h2", "http/1.1"}})
	t.Cleanup(h2.Close)
	cfg := probedConfig(pki, gateway.Member{Address: "127.0.0.1", Port: h2.Port()})
	cfg.BackendHTTPSettings[0].HTTP2 = true
	gw := gatewaytest.Start(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	gw.ProbeNow(ctx)
	h := healthOf(t, gw.Gateway, h2.Addr)
	assert.Equal(t, "Healthy", h.State, h.Reason)
	r := get(t, newClient(t, pki), gw.URL("web", "shop.example")+"/")
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Equal(t, "HTTP/2.0", r.echo.Proto)
}

// TestTrustSwapUnderLoad: trusted roots swapped through Update again and
// again under concurrent load (HTTP/1.1 and HTTP/2 clients): no request to
// a backend that both configurations trust fails.
func TestTrustSwapUnderLoad(t *testing.T) {
	eachFrontend(t, testTrustSwapUnderLoad)
}

func testTrustSwapUnderLoad(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	a := startEcho(t, pki, "a", "api.internal")
	b := startEcho(t, pki, "b", "api.internal")
	o1 := tlstest.NewRoot(tlstest.Options{CommonName: "old other root", KeyType: tlstest.ECDSAP256})
	o2 := tlstest.NewRoot(tlstest.Options{CommonName: "new other root", KeyType: tlstest.ECDSAP256})
	cfgs := [2]gateway.Config{}
	for i, other := range []*tlstest.Cert{o1, o2} {
		cfg := basicConfig(pki, "api.internal", a.Member(), b.Member())
		cfg.TrustedRootCertificates = append(cfg.TrustedRootCertificates, gateway.NamedCertificate{Name: "other", Certificate: other.Certificate})
		cfg.BackendHTTPSettings[0].TrustedRootCertificates = []string{"other", "root"}
		cfg.Frontend = fe
		cfgs[i] = cfg
	}
	gw := startWith(t, fe, cfgs[0])
	for i := range cfgs {
		cfgs[i].Listeners = gw.Config.Listeners
	}
	clients := []*http.Client{newClient(t, pki), newH1Client(t, pki)}
	url := gw.URL("web", "shop.example") + "/"

	const workers, perWorker = 8, 40
	var wg sync.WaitGroup
	var ok atomic.Int32
	errs := make(chan error, workers*perWorker)
	progress := make(chan struct{}, workers*perWorker)
	for w := 0; w < workers; w++ {
		c := clients[w%2]
		wg.Go(func() {
			for i := 0; i < perWorker; i++ {
				err := func() error {
					defer func() { progress <- struct{}{} }()
					resp, err := c.Get(url)
					if err != nil {
						return err
					}
					defer resp.Body.Close()
					body, err := io.ReadAll(resp.Body)
					if err != nil {
						return err
					}
					if resp.StatusCode != http.StatusOK {
						return fmt.Errorf("status %d: %s", resp.StatusCode, body)
					}
					ok.Add(1)
					return nil
				}()
				if err != nil {
					errs <- err
				}
			}
		})
	}
	updates := 0
	for n := 1; n <= workers*perWorker; n++ {
		<-progress
		if n%8 == 0 && n < workers*perWorker {
			updates++
			require.NoError(t, gw.Update(cfgs[updates%2]))
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	assert.Equal(t, int32(workers*perWorker), ok.Load())
	t.Logf("%d requests across %d trust swaps", ok.Load(), updates)
}

// TestShutdownUnderLoad: Shutdown while requests are in flight over
// HTTP/1.1 and HTTP/2, some waiting at the backend and some streaming a
// large body: every one of them completes, whole.
func TestShutdownUnderLoad(t *testing.T) {
	eachFrontend(t, testShutdownUnderLoad)
}

func testShutdownUnderLoad(t *testing.T, fe gateway.Frontend) {
	checkLeaks(t)
	pki := gatewaytest.NewPKI()
	g := newGate(t)
	var entered atomic.Int32
	big := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	srv := pki.StartBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			return
		}
		entered.Add(1)
		g.wait(r.Context())
		w.Write(big)
	}), "api.internal")
	cfg := probedConfig(pki, srv.Member())
	cfg.Frontend = fe
	gw, err := gateway.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { gw.Close() })
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ln) }()
	port := ln.Addr().(*net.TCPAddr).Port
	base := "https://shop.example:" + strconv.Itoa(port) + "/slow"

	const perClient = 8
	clients := []*http.Client{newClient(t, pki), newH1Client(t, pki)}
	type outcome struct {
		n   int
		err error
	}
	results := make(chan outcome, 2*perClient)
	for _, c := range clients {
		for i := 0; i < perClient; i++ {
			go func() {
				resp, err := c.Get(base)
				if err != nil {
					results <- outcome{err: err}
					return
				}
				defer resp.Body.Close()
				n, err := io.Copy(io.Discard, resp.Body)
				if err == nil && resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
				results <- outcome{int(n), err}
			}()
		}
	}
	waitFor(t, "every request at the backend", func() bool { return entered.Load() == 2*perClient })

	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		shutdown <- gw.Shutdown(ctx)
	}()
	waitFor(t, "the listener to close", func() bool {
		conn, err := net.DialTimeout("tcp4", ln.Addr().String(), time.Second)
		if err == nil {
			conn.Close()
		}
		return err != nil
	})
	g.open()
	for i := 0; i < 2*perClient; i++ {
		o := <-results
		require.NoError(t, o.err)
		assert.Equal(t, len(big), o.n)
	}
	require.NoError(t, <-shutdown)
	assert.ErrorIs(t, <-served, gateway.ErrGatewayClosed)
}
