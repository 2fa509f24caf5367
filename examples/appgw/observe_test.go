package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

// TestAccessLogAndMetrics: appgw writes the access log as JSON to a file
// (reopened on SIGHUP, as logrotate wants), serves Prometheus metrics and
// the health page on one address, and gives clients generic error pages.
func TestAccessLogAndMetrics(t *testing.T) {
	root := tlstest.NewRoot(tlstest.Options{KeyType: tlstest.ECDSAP256})
	backend := tlstest.NewServer(tlstest.ServerOptions{Name: "b", Certificate: root.NewLeaf(tlstest.Options{DNSNames: []string{"backend.internal"}, KeyType: tlstest.ECDSAP256}).FullChain()})
	defer backend.Close()
	port, admin := freePort(t), freePort(t)
	dir := t.TempDir()
	path := writeConfigIn(t, dir, backend, root, "", port)
	logPath := filepath.Join(dir, "access.log")

	var out, logs lockedBuffer
	sigs := make(chan os.Signal, 1)
	exited := make(chan int, 1)
	adminAddr := fmt.Sprintf("127.0.0.1:%d", admin)
	go func() {
		exited <- run([]string{"-config", path, "-access-log", logPath, "-access-log-format", "json",
			"-metrics-addr", adminAddr, "-health-addr", adminAddr}, &out, &logs, sigs)
	}()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: root.Pool(), ServerName: "www.example.test"}}}
	defer client.CloseIdleConnections()
	get := func(url string, header ...string) (int, string, http.Header) {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, err.Error(), nil
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	front := fmt.Sprintf("https://127.0.0.1:%d", port)
	waitFor(t, &logs, "serving", func() bool { code, _, _ := get(front + "/up"); return code == http.StatusOK })
	if code, _, _ := get(front+"/traced", "X-Request-ID", "trace-123"); code != http.StatusOK {
		t.Fatalf("status %d", code)
	}

	// Records reach the file within the flush interval, as JSON with
	// Azure's field names and the client's request ID.
	var rec map[string]any
	waitFor(t, &logs, "the record of /traced in the access log", func() bool {
		data, _ := os.ReadFile(logPath)
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if strings.Contains(line, "/traced") {
				return json.Unmarshal([]byte(line), &rec) == nil
			}
		}
		return false
	})
	for k, want := range map[string]any{"httpMethod": "GET", "requestUri": "/traced", "httpStatus": 200.0, "transactionId": "trace-123",
		"listenerName": "https", "backendPoolName": "app", "serverStatus": 200.0, "sslEnabled": true} {
		if rec[k] != want {
			t.Errorf("record %s = %v; want %v (%v)", k, rec[k], want, rec)
		}
	}

	// logrotate: move the file, SIGHUP, and the next records go to a new one.
	if err := os.Rename(logPath, logPath+".1"); err != nil {
		t.Fatal(err)
	}
	sigs <- syscall.SIGHUP
	waitFor(t, &logs, "the reload", func() bool { return strings.Contains(logs.String(), "appgw: reloaded") })
	get(front + "/after-rotate")
	waitFor(t, &logs, "a record in the reopened file", func() bool {
		data, _ := os.ReadFile(logPath)
		return strings.Contains(string(data), "/after-rotate")
	})

	// Metrics and the health page share the admin address.
	code, body, _ := get("http://" + adminAddr + "/metrics")
	if code != http.StatusOK || !strings.Contains(body, `e2etls_requests_total{listener="https",pool="app",rule="app",setting="app-tls",status_class="2xx"}`) {
		t.Errorf("metrics: %d\n%s", code, body)
	}
	if code, body, _ := get("http://" + adminAddr + "/"); code != http.StatusOK || !strings.Contains(body, "Backend health") {
		t.Errorf("health page: %d %s", code, body)
	}

	// A failure: the client gets a generic page and the request ID.
	backend.Close()
	waitFor(t, &logs, "a generic 502", func() bool {
		code, body, h := get(front+"/down", "X-Request-ID", "down-1")
		return code == http.StatusBadGateway && body == "502 Bad Gateway (request ID down-1)\n" && h.Get("X-E2etls-Error") == ""
	})

	sigs <- syscall.SIGTERM
	select {
	case code := <-exited:
		if code != 0 {
			t.Fatalf("exit %d; log:\n%s", code, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit within 15s of SIGTERM")
	}
	// Shutdown flushed what was queued.
	data, _ := os.ReadFile(logPath)
	if !strings.Contains(string(data), `"transactionId":"down-1"`) {
		t.Errorf("the last records were not flushed on shutdown:\n%s", data)
	}
}

func waitFor(t *testing.T, logs *lockedBuffer, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within 10s; log:\n%s", what, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
