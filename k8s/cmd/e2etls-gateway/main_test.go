package main

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/e2etls/e2etls/gateway"
)

func TestParseListen(t *testing.T) {
	for _, tc := range []struct {
		in       string
		port     int32
		protocol gateway.Protocol
		bind     string
		problem  string
	}{
		{in: "443/https", port: 443, protocol: gateway.HTTPS, bind: ":443"},
		{in: "80/HTTP=127.0.0.1:8080", port: 80, protocol: gateway.HTTP, bind: "127.0.0.1:8080"},
		{in: "443/https=[::1]:8443", port: 443, protocol: gateway.HTTPS, bind: "[::1]:8443"},
		{in: "443", problem: "want PORT/PROTOCOL"},
		{in: "0/http", problem: "not 1..65535"},
		{in: "443/tls", problem: "neither http nor https"},
		{in: "443/https=8443", problem: "bind address"},
	} {
		got, err := parseListen(tc.in)
		if tc.problem != "" {
			if err == nil || !strings.Contains(err.Error(), tc.problem) {
				t.Errorf("parseListen(%q) error %v, want one containing %q", tc.in, err, tc.problem)
			}
			continue
		}
		if err != nil || got.port.Number != tc.port || got.port.Protocol != tc.protocol || got.bindAddr != tc.bind {
			t.Errorf("parseListen(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

func TestStatusAddress(t *testing.T) {
	if a := statusAddress("203.0.113.10"); *a.Type != gatewayv1.IPAddressType {
		t.Errorf("IP address typed %s", *a.Type)
	}
	if a := statusAddress("lb.example.com"); *a.Type != gatewayv1.HostnameAddressType {
		t.Errorf("host name typed %s", *a.Type)
	}
}

// TestRunRefusesBadFlags: flag errors come back before anything runs.
func TestRunRefusesBadFlags(t *testing.T) {
	err := run(context.Background(), []string{"--kubeconfig=/nonexistent/kubeconfig", "--listen=1/tcp"})
	if err == nil || !strings.Contains(err.Error(), "kubernetes client configuration") {
		t.Fatalf("run: %v, want the kubeconfig error first", err)
	}
	err = run(context.Background(), []string{"--log-level=loud"})
	if err == nil || !strings.Contains(err.Error(), "--log-level") {
		t.Fatalf("run: %v", err)
	}
	err = run(context.Background(), []string{"--address-pool=127.77.0.0"})
	if err == nil || !strings.Contains(err.Error(), "--address-pool") {
		t.Fatalf("run: %v", err)
	}
	err = run(context.Background(), []string{"--address-pool=127.77.0.0/24", "--listen=80/http"})
	if err == nil || !strings.Contains(err.Error(), "do not apply") {
		t.Fatalf("run: %v", err)
	}
}

func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}
