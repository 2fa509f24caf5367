package conformance

import (
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/websocket"
)

// echoContext is what an echo server says about where it runs, as the
// conformance suite's echo-basic reads it from its environment.
type echoContext struct {
	Namespace string `json:"namespace"`
	Ingress   string `json:"ingress"`
	Service   string `json:"service"`
	Pod       string `json:"pod"`
}

// echoTLS is the TLS part of an echo.
type echoTLS struct {
	Version            string   `json:"version"`
	PeerCertificates   []string `json:"peerCertificates,omitempty"`
	ServerName         string   `json:"serverName"`
	NegotiatedProtocol string   `json:"negotiatedProtocol,omitempty"`
	CipherSuite        string   `json:"cipherSuite"`
}

// echo is the JSON body echo-basic answers with (the suite's roundtripper
// parses it into a CapturedRequest).
type echo struct {
	Path     string              `json:"path"`
	Host     string              `json:"host"`
	Method   string              `json:"method"`
	Proto    string              `json:"proto"`
	Headers  map[string][]string `json:"headers"`
	HTTPPort string              `json:"httpPort"`
	echoContext
	TLS *echoTLS `json:"tls,omitempty"`
}

var statusPath = regexp.MustCompile(`^/status/(\d\d\d)$`)

// echoHandler answers as the conformance suite's echo-basic does: /ws, /health,
// /status/NNN, a ?delay= before answering, X-Echo-Set-Header, and a JSON
// echo of the request with the pod's namespace and name.
func echoHandler(ctx echoContext, httpPort string) http.Handler {
	ws := websocket.Handler(func(c *websocket.Conn) { io.Copy(c, c) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.ReplaceAll(r.URL.Path, "//", "/")
		switch {
		case path == "/ws":
			ws.ServeHTTP(w, r) // echoes every frame, as echo-basic's /ws
			return
		case path == "/health":
			w.Write([]byte("OK"))
			return
		case strings.HasPrefix(path, "/status/"):
			code := http.StatusBadRequest
			if m := statusPath.FindStringSubmatch(r.RequestURI); m != nil {
				code, _ = strconv.Atoi(m[1])
			}
			w.WriteHeader(code)
			return
		}
		if d := r.URL.Query().Get("delay"); d != "" {
			dur, err := time.ParseDuration(d)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			select {
			case <-time.After(dur):
			case <-r.Context().Done():
				return
			}
		}
		e := echo{Path: r.RequestURI, Host: r.Host, Method: r.Method, Proto: r.Proto, Headers: r.Header, HTTPPort: httpPort, echoContext: ctx}
		if cs := r.TLS; cs != nil {
			t := &echoTLS{ServerName: cs.ServerName, NegotiatedProtocol: cs.NegotiatedProtocol, CipherSuite: tls.CipherSuiteName(cs.CipherSuite)}
			switch cs.Version {
			case tls.VersionTLS13:
				t.Version = "TLSv1.3"
			case tls.VersionTLS12:
				t.Version = "TLSv1.2"
			}
			for _, c := range cs.PeerCertificates {
				t.PeerCertificates = append(t.PeerCertificates, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})))
			}
			e.TLS = t
		}
		js, err := json.MarshalIndent(e, "", " ")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		for _, kvs := range r.Header["X-Echo-Set-Header"] {
			for kv := range strings.SplitSeq(kvs, ",") {
				name, value, _ := strings.Cut(strings.TrimSpace(kv), ":")
				if len(w.Header()[name]) == 0 {
					w.Header()[name] = []string{value}
				} else {
					w.Header()[name][0] += "," + strings.TrimSpace(value)
				}
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Write(js)
	})
}

// echoServer is one listening echo server of a pod.
type echoServer struct {
	srv  *http.Server
	port int
}

// startEcho serves the echo on a free loopback port, with TLS when cert is
// not nil.
func startEcho(ctx echoContext, containerPort int, cert *tls.Certificate) (*echoServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("echo server: %w", err)
	}
	srv := &http.Server{Handler: echoHandler(ctx, strconv.Itoa(containerPort)), ReadHeaderTimeout: 10 * time.Second}
	if cert != nil {
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*cert}, NextProtos: []string{"http/1.1"}})
	}
	go srv.Serve(ln)
	return &echoServer{srv: srv, port: ln.Addr().(*net.TCPAddr).Port}, nil
}

func (e *echoServer) close() { e.srv.Close() }
