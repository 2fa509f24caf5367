package probe_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/e2etls/e2etls/probe"
)

// verifyError stands for the gateway's verification error: it carries a
// reason and its own message.
type verifyError struct{ reason, msg string }

func (e *verifyError) Error() string     { return e.msg }
func (e *verifyError) TLSReason() string { return e.reason }

// handlers used by the tables.
func status(code int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

// block answers nothing until the request ends or the test does.
func block(t *testing.T) http.HandlerFunc {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}
}

// stallBody sends the status line and a first chunk, then stalls.
func stallBody(t *testing.T) http.HandlerFunc {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "starting")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}
}

func TestCheckTLS(t *testing.T) {
	largeBody := strings.Repeat("x", probe.MaxBodyBytes) + "ready"
	tests := []struct {
		name    string
		handler func(t *testing.T) http.Handler
		spec    probe.Spec
		// transport adjusts the trusting probe transport.
		transport   func(tr *http.Transport)
		wantHealthy bool
		wantKind    probe.Kind
		wantStatus  int
		wantMessage string // "{addr}" is replaced by the backend's address
	}{
		{
			name:        "ok",
			handler:     func(*testing.T) http.Handler { return status(200, "ok") },
			wantHealthy: true, wantKind: probe.KindOK, wantStatus: 200,
			wantMessage: "status code 200 matched the probe",
		},
		{
			name: "redirect is healthy and not followed",
			handler: func(*testing.T) http.Handler {
				mux := http.NewServeMux()
				mux.Handle("/", http.RedirectHandler("/broken", http.StatusFound))
				mux.Handle("/broken", status(500, ""))
				return mux
			},
			wantHealthy: true, wantKind: probe.KindOK, wantStatus: 302,
			wantMessage: "status code 302 matched the probe",
		},
		{
			name:       "status outside the default range",
			handler:    func(*testing.T) http.Handler { return status(503, "down") },
			wantKind:   probe.KindStatus,
			wantStatus: 503, wantMessage: "status code 503 did not match the probe: expected 200-399",
		},
		{
			name:        "status in custom ranges",
			handler:     func(*testing.T) http.Handler { return status(404, "") },
			spec:        probe.Spec{StatusCodes: []probe.StatusRange{{Min: 200, Max: 204}, {Min: 404, Max: 404}}},
			wantHealthy: true, wantKind: probe.KindOK, wantStatus: 404,
			wantMessage: "status code 404 matched the probe",
		},
		{
			name:       "status outside custom ranges",
			handler:    func(*testing.T) http.Handler { return status(200, "") },
			spec:       probe.Spec{StatusCodes: []probe.StatusRange{{Min: 201, Max: 204}, {Min: 404, Max: 404}}},
			wantKind:   probe.KindStatus,
			wantStatus: 200, wantMessage: "status code 200 did not match the probe: expected 201-204, 404",
		},
		{
			name:        "body contains the text",
			handler:     func(*testing.T) http.Handler { return status(200, "status: ready\n") },
			spec:        probe.Spec{Body: "ready"},
			wantHealthy: true, wantKind: probe.KindOK, wantStatus: 200,
			wantMessage: "status code 200 matched the probe",
		},
		{
			name:       "body lacks the text",
			handler:    func(*testing.T) http.Handler { return status(200, "status: starting") },
			spec:       probe.Spec{Body: "ready"},
			wantKind:   probe.KindBody,
			wantStatus: 200, wantMessage: `response body does not contain "ready"`,
		},
		{
			name:       "body has the text only after MaxBodyBytes",
			handler:    func(*testing.T) http.Handler { return status(200, largeBody) },
			spec:       probe.Spec{Body: "ready"},
			wantKind:   probe.KindBody,
			wantStatus: 200, wantMessage: `response body does not contain "ready"`,
		},
		{
			name:        "timeout before the headers",
			handler:     func(t *testing.T) http.Handler { return block(t) },
			spec:        probe.Spec{Timeout: 100 * time.Millisecond},
			wantKind:    probe.KindTimeout,
			wantMessage: "the backend did not answer the health probe within the 100ms timeout",
		},
		{
			name:        "timeout while reading the body",
			handler:     func(t *testing.T) http.Handler { return stallBody(t) },
			spec:        probe.Spec{Timeout: 100 * time.Millisecond, Body: "ready"},
			wantKind:    probe.KindTimeout,
			wantStatus:  200,
			wantMessage: "the backend did not answer the health probe within the 100ms timeout",
		},
		{
			name:        "server certificate not trusted",
			handler:     func(*testing.T) http.Handler { return status(200, "") },
			transport:   func(tr *http.Transport) { tr.TLSClientConfig.RootCAs = nil },
			wantKind:    probe.KindTLS,
			wantMessage: "tls: failed to verify certificate: x509: certificate signed by unknown authority",
		},
		{
			name:    "verification error with a reason",
			handler: func(*testing.T) http.Handler { return status(200, "") },
			transport: func(tr *http.Transport) {
				tr.TLSClientConfig.VerifyConnection = func(tls.ConnectionState) error {
					return fmt.Errorf("wrapped: %w", &verifyError{
						reason: "HostNameMismatch",
						msg:    `backendtls: the backend's certificate is for "example.com", not "api.contoso.com"`,
					})
				}
			},
			wantKind:    probe.KindTLS,
			wantMessage: `backendtls: the backend's certificate is for "example.com", not "api.contoso.com"`,
		},
		{
			name: "backend refuses the protocol version",
			handler: func(*testing.T) http.Handler {
				return status(200, "")
			},
			transport: func(tr *http.Transport) {
				// Offer a version range the backend (pinned below) does not speak.
				tr.TLSClientConfig.MinVersion = tls.VersionTLS10
				tr.TLSClientConfig.MaxVersion = tls.VersionTLS11
			},
			wantKind:    probe.KindTLS,
			wantMessage: "TLS handshake with the backend at {addr} failed: remote error: tls: protocol version not supported",
		},
	}
	for _, v := range tlsVersions {
		for _, tt := range tests {
			t.Run(v.name+"/"+tt.name, func(t *testing.T) {
				srv, tr := newTLSBackend(t, tt.handler(t), v.version)
				if tt.transport != nil {
					tt.transport(tr)
				}
				target := probe.Target{Name: "pool/setting/member", Address: hostPort(srv), Transport: tr}

				r := probe.Check(context.Background(), target, tt.spec)

				equal(t, "Target", r.Target, "pool/setting/member")
				equal(t, "Healthy", r.Healthy, tt.wantHealthy)
				equal(t, "Kind", r.Kind, tt.wantKind)
				equal(t, "StatusCode", r.StatusCode, tt.wantStatus)
				equal(t, "Message()", r.Message(), strings.ReplaceAll(tt.wantMessage, "{addr}", hostPort(srv)))
				if r.Time.IsZero() || r.Latency <= 0 {
					t.Errorf("Time = %v, Latency = %v; want both set", r.Time, r.Latency)
				}
				if tt.wantHealthy {
					must(t, r.Err)
					if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
						t.Fatalf("TLS = %v, want the connection state with the peer's certificates", r.TLS)
					}
					equal(t, "TLS.Version", r.TLS.Version, v.version)
					return
				}
				var pe *probe.Error
				if !errors.As(r.Err, &pe) {
					t.Fatalf("Err = %#v, want a *probe.Error", r.Err)
				}
				equal(t, "Error.Kind", pe.Kind, tt.wantKind)
				equal(t, "Error.Address", pe.Address, hostPort(srv))
				equal(t, "Err.Error()", r.Err.Error(), "probe: "+r.Message())
			})
		}
	}
}

func TestCheckTLSReasonReachable(t *testing.T) {
	want := &verifyError{reason: "UntrustedRoot", msg: "backendtls: untrusted root"}
	srv, tr := newTLSBackend(t, status(200, ""), tls.VersionTLS13)
	tr.TLSClientConfig.VerifyConnection = func(tls.ConnectionState) error { return want }

	r := probe.Check(context.Background(), probe.Target{Address: hostPort(srv), Transport: tr}, probe.Spec{})

	var got *verifyError
	if !errors.As(r.Err, &got) || got != want {
		t.Fatalf("Err = %#v, want one that wraps the verifier's error", r.Err)
	}
	equal(t, "Kind", r.Kind, probe.KindTLS)
}

func TestCheckHTTPAndRequest(t *testing.T) {
	type seen struct {
		host, uri, userAgent string
		close                bool
	}
	requests := make(chan seen, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests <- seen{r.Host, r.RequestURI, r.UserAgent(), r.Close}
	}))
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(hostPort(srv))
	must(t, err)
	wrongPort := "127.0.0.1:1"

	tests := []struct {
		name     string
		target   probe.Target
		spec     probe.Spec
		wantHost string
		wantURI  string
	}{
		{
			name:     "defaults: the address as Host, path /",
			target:   probe.Target{Address: hostPort(srv)},
			spec:     probe.Spec{Scheme: "http"},
			wantHost: hostPort(srv), wantURI: "/",
		},
		{
			name:     "the target's Host",
			target:   probe.Target{Address: hostPort(srv), Host: "www.contoso.com"},
			spec:     probe.Spec{Scheme: "http", Path: "/healthz?deep=1"},
			wantHost: "www.contoso.com", wantURI: "/healthz?deep=1",
		},
		{
			name:     "the spec's Host wins and its Port replaces the address's",
			target:   probe.Target{Address: wrongPort, Host: "www.contoso.com"},
			spec:     probe.Spec{Scheme: "http", Host: "127.0.0.1", Port: atoi(t, port)},
			wantHost: "127.0.0.1", wantURI: "/",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &http.Transport{DisableKeepAlives: true}
			t.Cleanup(tr.CloseIdleConnections)
			tt.target.Transport = tr

			r := probe.Check(context.Background(), tt.target, tt.spec)

			if !r.Healthy {
				t.Fatalf("unhealthy: %s", r.Message())
			}
			if r.TLS != nil {
				t.Errorf("TLS = %v, want nil over HTTP", r.TLS)
			}
			got := <-requests
			equal(t, "Host", got.host, tt.wantHost)
			equal(t, "RequestURI", got.uri, tt.wantURI)
			equal(t, "Close (Connection: close)", got.close, true)
			equal(t, "User-Agent", got.userAgent, probe.UserAgent())
		})
	}
	// The probe announces itself, with the module's version; a test
	// binary records none.
	equal(t, "UserAgent()", probe.UserAgent(), "e2etls-probe/devel")
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	must(t, err)
	return n
}

func TestCheckNetworkFailures(t *testing.T) {
	refused := closedPort(t)
	plain := httptest.NewServer(status(200, ""))
	t.Cleanup(plain.Close)

	tests := []struct {
		name       string
		address    string
		spec       probe.Spec
		wantKind   probe.Kind
		wantPrefix string
		wantSuffix string
	}{
		{
			name:       "connection refused",
			address:    refused,
			wantKind:   probe.KindConnect,
			wantPrefix: "could not connect to the backend at " + refused + ": connection refused; check that it listens on the probe's port and nothing blocks it",
		},
		{
			name:       "name does not resolve",
			address:    "probe-test.invalid:443",
			wantKind:   probe.KindDNS,
			wantPrefix: `could not resolve the backend's host name "probe-test.invalid": `,
			wantSuffix: "; check that the name is right and resolvable from the gateway",
		},
		{
			name:       "HTTPS probe of an HTTP backend",
			address:    hostPort(plain),
			wantKind:   probe.KindTLS,
			wantPrefix: "TLS handshake with the backend at " + hostPort(plain) + " failed: tls: first record does not look like a TLS handshake; check that it serves HTTPS on the probe's port",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr := &http.Transport{DisableKeepAlives: true}
			spec := tt.spec
			spec.Timeout = 5 * time.Second

			r := probe.Check(context.Background(), probe.Target{Address: tt.address, Transport: tr}, spec)

			equal(t, "Healthy", r.Healthy, false)
			equal(t, "Kind", r.Kind, tt.wantKind)
			equal(t, "StatusCode", r.StatusCode, 0)
			msg := r.Message()
			if !strings.HasPrefix(msg, tt.wantPrefix) || !strings.HasSuffix(msg, tt.wantSuffix) || strings.Contains(msg, "\n") {
				t.Errorf("Message() = %q, want one line %q...%q", msg, tt.wantPrefix, tt.wantSuffix)
			}
			var pe *probe.Error
			if !errors.As(r.Err, &pe) {
				t.Fatalf("Err = %#v, want a *probe.Error", r.Err)
			}
			equal(t, "Error.Address", pe.Address, tt.address)
		})
	}
}

func TestCheckNotSent(t *testing.T) {
	tr := &http.Transport{DisableKeepAlives: true}
	tests := []struct {
		name    string
		target  probe.Target
		spec    probe.Spec
		wantErr string
	}{
		{
			name:    "invalid spec",
			target:  probe.Target{Name: "a", Address: "127.0.0.1:443", Transport: tr},
			spec:    probe.Spec{Scheme: "ftp", Port: -1},
			wantErr: "probe: Scheme \"ftp\" is not \"http\" or \"https\"\nprobe: Port -1 is out of range 1..65535 (0 means the target's port)",
		},
		{
			name:    "no transport",
			target:  probe.Target{Name: "a", Address: "127.0.0.1:443"},
			wantErr: `probe: target "a" has no Transport`,
		},
		{
			name:    "address without a port",
			target:  probe.Target{Name: "a", Address: "10.0.0.4", Transport: tr},
			wantErr: `probe: target "a": Address "10.0.0.4" is not host:port: address 10.0.0.4: missing port in address`,
		},
		{
			name:    "address without a host",
			target:  probe.Target{Name: "a", Address: ":443", Transport: tr},
			wantErr: `probe: target "a": Address ":443" has no host`,
		},
		{
			name:    "address with port 0",
			target:  probe.Target{Name: "a", Address: "10.0.0.4:0", Transport: tr},
			wantErr: `probe: target "a": Address "10.0.0.4:0" has no port 1..65535`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := probe.Check(context.Background(), tt.target, tt.spec)
			equal(t, "Healthy", r.Healthy, false)
			equal(t, "Kind", r.Kind, probe.KindOther)
			if r.Err == nil {
				t.Fatal("Err = nil")
			}
			equal(t, "Err.Error()", r.Err.Error(), tt.wantErr)
			equal(t, "Message()", r.Message(), strings.ReplaceAll(tt.wantErr, "\n", "; "))
		})
	}
}

func TestCheckCancelled(t *testing.T) {
	entered := make(chan struct{}, 1)
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	srv, tr := newTLSBackend(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}), tls.VersionTLS13)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-entered
		cancel()
	}()

	r := probe.Check(ctx, probe.Target{Address: hostPort(srv), Transport: tr}, probe.Spec{})

	equal(t, "Healthy", r.Healthy, false)
	equal(t, "Kind", r.Kind, probe.KindOther)
	if !errors.Is(r.Err, context.Canceled) {
		t.Errorf("Err = %v, want context.Canceled", r.Err)
	}
	equal(t, "Message()", r.Message(), "the health probe to "+hostPort(srv)+" was cancelled before the backend answered")
}
