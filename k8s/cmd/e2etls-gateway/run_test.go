package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/e2etls/e2etls/k8s/internal/apiservertest"
)

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestRun runs the program against a real API server through a kubeconfig
// file: it becomes ready (/readyz), takes the Lease, creates the shared
// Secret, and returns nil once its context ends.
func TestRun(t *testing.T) {
	s := apiservertest.Start(t)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	err := clientcmd.WriteToFile(clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{"test": {Server: s.Config.Host, CertificateAuthorityData: s.Config.CAData}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{"admin": {Token: s.Config.BearerToken}},
		Contexts:       map[string]*clientcmdapi.Context{"test": {Cluster: "test", AuthInfo: "admin"}},
		CurrentContext: "test",
	}, kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	kc := kubernetes.NewForConfigOrDie(s.Config)
	if _, err := kc.CoreV1().Namespaces().Create(ctx, namespace("gw-system"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	health := "127.0.0.1:" + strconv.Itoa(freePort(t))
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, []string{
			"--kubeconfig=" + kubeconfig,
			"--listen=443/https=127.0.0.1:" + strconv.Itoa(freePort(t)),
			"--listen=80/http=127.0.0.1:" + strconv.Itoa(freePort(t)),
			"--address=127.0.0.1",
			"--namespace=gw-system",
			"--identity=only",
			"--health-address=" + health,
			"--log-level=warn",
		})
	}()
	hc := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := hc.Get("http://" + health + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("run returned before it was ready: %v", err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready within 30 s: %v", err)
		}
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		lease, err := kc.CoordinationV1().Leases("gw-system").Get(ctx, "e2etls-gateway", metav1.GetOptions{})
		if err == nil && lease.Spec.HolderIdentity != nil && *lease.Spec.HolderIdentity == "only" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Lease was not taken: %v", fmt.Sprint(err))
		}
	}
	if _, err := kc.CoreV1().Secrets("gw-system").Get(ctx, "e2etls-gateway-shared", metav1.GetOptions{}); err != nil {
		t.Fatalf("shared Secret: %v", err)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(45 * time.Second):
		t.Fatal("run did not return within 45 s of its context ending")
	}
}
