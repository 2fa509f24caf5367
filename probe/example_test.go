package probe_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/e2etls/e2etls/probe"
)

func ExampleCheck() {
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			_, _ = io.WriteString(w, "ready")
		case "/starting":
			_, _ = io.WriteString(w, "starting")
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	backend.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusting probe's handshake fails
	backend.StartTLS()
	defer backend.Close()

	// The gateway builds the probe transport from the backend's TLS
	// configuration, with keep-alives off; here it trusts the test server.
	trusting := backend.Client().Transport.(*http.Transport).Clone()
	trusting.DisableKeepAlives = true
	untrusting := &http.Transport{DisableKeepAlives: true}

	target := probe.Target{Name: "web/10.0.0.4", Address: backend.Listener.Addr().String(), Transport: trusting}
	spec := probe.Default()
	spec.Timeout = 5 * time.Second
	spec.Body = "ready"

	for _, path := range []string{"/healthz", "/down", "/starting"} {
		spec.Path = path
		r := probe.Check(context.Background(), target, spec)
		fmt.Printf("%s healthy=%t kind=%s: %s\n", path, r.Healthy, r.Kind, r.Message())
	}
	target.Transport = untrusting
	spec.Path = "/healthz"
	r := probe.Check(context.Background(), target, spec)
	fmt.Printf("untrusted healthy=%t kind=%s: %s\n", r.Healthy, r.Kind, r.Message())
	// Output:
	// /healthz healthy=true kind=ok: status code 200 matched the probe
	// /down healthy=false kind=status: status code 503 did not match the probe: expected 200-399
	// /starting healthy=false kind=body: response body does not contain "ready"
	// untrusted healthy=false kind=tls: tls: failed to verify certificate: x509: certificate signed by unknown authority
}

func ExampleHealth() {
	h := probe.NewHealth(2) // out of rotation after two failures in a row
	timeout := probe.Result{Kind: probe.KindTimeout, Err: &probe.Error{Kind: probe.KindTimeout, Timeout: 30 * time.Second}}
	show := func(event string) {
		s := h.Snapshot()
		fmt.Printf("%-9s in rotation=%-5t %-9s %q\n", event, h.Healthy(), s.State, s.Reason)
	}
	show("new")
	h.Record(probe.Result{Healthy: true, StatusCode: 200})
	show("success")
	h.Record(timeout)
	show("failure")
	h.Record(timeout)
	show("failure")
	h.Record(probe.Result{Healthy: true, StatusCode: 200})
	show("success")
	h.MarkUnhealthy(errors.New("proxy: backend reset the connection"))
	show("passive")
	// Output:
	// new       in rotation=true  Unknown   ""
	// success   in rotation=true  Healthy   ""
	// failure   in rotation=true  Healthy   "the backend did not answer the health probe within the 30s timeout"
	// failure   in rotation=false Unhealthy "the backend did not answer the health probe within the 30s timeout"
	// success   in rotation=true  Healthy   ""
	// passive   in rotation=false Unhealthy "proxy: backend reset the connection"
}

func ExampleMonitor() {
	backend := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host == "broken.contoso.com" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer backend.Close()
	tr := backend.Client().Transport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true

	var entries []probe.Entry
	for _, host := range []string{"www.contoso.com", "broken.contoso.com"} {
		spec := probe.Spec{Interval: 10 * time.Second, Timeout: 5 * time.Second, UnhealthyThreshold: 1}
		entries = append(entries, probe.Entry{
			Target: probe.Target{Name: host, Address: backend.Listener.Addr().String(), Host: host, Transport: tr},
			Spec:   spec,
			Health: probe.NewHealth(spec.UnhealthyThreshold),
		})
	}
	m := probe.NewMonitor(entries)
	defer m.Close()
	m.CheckAll(context.Background()) // health is known before traffic starts
	m.Start()                        // then every Interval, spread over it

	for _, e := range entries {
		s := e.Health.Snapshot()
		fmt.Printf("%s: %s", s.Target, s.State)
		if s.Reason != "" {
			fmt.Printf(" (%s)", s.Reason)
		}
		fmt.Println()
	}
	// Output:
	// www.contoso.com: Healthy
	// broken.contoso.com: Unhealthy (status code 500 did not match the probe: expected 200-399)
}
