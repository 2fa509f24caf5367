package apiservertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"
)

// Environment variables the harness reads.
const (
	// EnvRequire, when set to anything, makes a missing binary fail the
	// test instead of skipping it. CI sets it.
	EnvRequire = "E2ETLS_K8S_REQUIRE"
	// EnvAPIServer overrides the path of the kube-apiserver binary.
	EnvAPIServer = "E2ETLS_KUBE_APISERVER"
	// EnvEtcd overrides the path of the etcd binary.
	EnvEtcd = "E2ETLS_ETCD"
	// EnvCRDs overrides the folder of the Gateway API standard-channel CRD
	// manifests.
	EnvCRDs = "E2ETLS_GATEWAY_API_CRDS"
)

// APIServerVersion is the kube-apiserver release the harness expects, the
// one hack/build-apiserver.sh builds.
const APIServerVersion = "v1.37.2"

// gatewayAPIModule is the module whose standard-channel CRDs are installed.
const gatewayAPIModule = "sigs.k8s.io/gateway-api"

// Server is a running etcd and kube-apiserver on loopback.
type Server struct {
	// Config reaches the API server as a member of system:masters, over
	// TLS verified against the server's own certificate.
	Config *rest.Config
	// Dir holds the servers' data, certificates and logs.
	Dir string

	etcd, apiserver *process
}

// process is a child process with its log file.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// APIServerPath returns where the kube-apiserver binary is looked for:
// $E2ETLS_KUBE_APISERVER, else the cache of hack/build-apiserver.sh.
func APIServerPath() string {
	if p := os.Getenv(EnvAPIServer); p != "" {
		return p
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "e2etls", "kube-apiserver-"+APIServerVersion)
}

// EtcdPath returns the etcd binary: $E2ETLS_ETCD, else etcd on PATH.
func EtcdPath() (string, error) {
	if p := os.Getenv(EnvEtcd); p != "" {
		return p, nil
	}
	return exec.LookPath("etcd")
}

// Start starts etcd and kube-apiserver on loopback with fresh data, waits
// until the API server is ready, installs the Gateway API standard CRDs
// and returns. Everything stops, and its files are removed, when the test
// ends. Without the binaries the test is skipped, or fails when
// E2ETLS_K8S_REQUIRE is set; the message says how to get them.
func Start(tb testing.TB) *Server {
	tb.Helper()
	return StartWith(tb, Options{})
}

// Options tune StartWith.
type Options struct {
	// Channel is the Gateway API release channel whose CRDs are installed:
	// "standard" or "experimental" (which keeps fields such as
	// HTTPRoute sessionPersistence). Empty means "standard".
	Channel string
}

// StartWith is Start with options.
func StartWith(tb testing.TB, o Options) *Server {
	tb.Helper()
	if o.Channel == "" {
		o.Channel = "standard"
	}
	if o.Channel != "standard" && o.Channel != "experimental" {
		tb.Fatalf("apiservertest: channel %q is neither standard nor experimental", o.Channel)
	}
	etcdBin, err := EtcdPath()
	apiBin := APIServerPath()
	var missing []string
	if err != nil {
		missing = append(missing, "etcd (apt-get install -y etcd-server, or set "+EnvEtcd+")")
	}
	if _, err := os.Stat(apiBin); err != nil {
		missing = append(missing, fmt.Sprintf("kube-apiserver at %s (run k8s/hack/build-apiserver.sh, or set %s)", apiBin, EnvAPIServer))
	}
	if len(missing) > 0 {
		msg := "apiservertest: missing " + strings.Join(missing, " and ")
		if os.Getenv(EnvRequire) != "" {
			tb.Fatal(msg + "; " + EnvRequire + " is set, so this fails instead of skipping")
		}
		tb.Skip(msg + "; skipping (set " + EnvRequire + "=1 to fail instead)")
	}
	crds, err := crdFiles(o.Channel)
	if err != nil {
		tb.Fatal(err)
	}

	s := &Server{Dir: tb.TempDir()}
	tb.Cleanup(func() { s.stop(tb) })
	if err := s.startEtcd(etcdBin); err != nil {
		tb.Fatal(err)
	}
	if err := s.startAPIServer(apiBin); err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := s.installCRDs(ctx, crds); err != nil {
		tb.Fatal(err)
	}
	return s
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("apiservertest: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) startEtcd(bin string) error {
	client, err := freePort()
	if err != nil {
		return err
	}
	peer, err := freePort()
	if err != nil {
		return err
	}
	clientURL := "http://127.0.0.1:" + strconv.Itoa(client)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(peer)
	s.etcd, err = s.spawn("etcd", bin,
		"--name=default",
		"--data-dir="+filepath.Join(s.Dir, "etcd"),
		"--listen-client-urls="+clientURL,
		"--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=default="+peerURL,
		"--unsafe-no-fsync", // test data only: no fsync, much faster on shared disks
	)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s.waitHTTP(ctx, s.etcd, &http.Client{Timeout: 2 * time.Second}, clientURL+"/health")
}

func (s *Server) startAPIServer(bin string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	certDir := filepath.Join(s.Dir, "certs")
	if err := os.MkdirAll(certDir, 0o700); err != nil {
		return fmt.Errorf("apiservertest: %w", err)
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("apiservertest: service account key: %w", err)
	}
	keyFile := filepath.Join(s.Dir, "sa.key")
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return fmt.Errorf("apiservertest: %w", err)
	}
	tokenBytes := make([]byte, 16)
	rand.Read(tokenBytes)
	token := hex.EncodeToString(tokenBytes)
	tokenFile := filepath.Join(s.Dir, "tokens.csv")
	if err := os.WriteFile(tokenFile, []byte(token+",admin,admin,system:masters\n"), 0o600); err != nil {
		return fmt.Errorf("apiservertest: %w", err)
	}
	etcdURL := ""
	for _, a := range s.etcd.cmd.Args {
		if v, ok := strings.CutPrefix(a, "--listen-client-urls="); ok {
			etcdURL = v
		}
	}
	s.apiserver, err = s.spawn("kube-apiserver", bin,
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(port),
		"--cert-dir="+certDir,
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+keyFile,
		"--service-account-signing-key-file="+keyFile,
		"--token-auth-file="+tokenFile,
		"--authorization-mode=RBAC",
		"--service-cluster-ip-range=10.96.0.0/16",
		"--enable-priority-and-fairness=false",
	)
	if err != nil {
		return err
	}
	host := "https://127.0.0.1:" + strconv.Itoa(port)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The server writes its self-signed serving certificate first.
	certFile := filepath.Join(certDir, "apiserver.crt")
	var caPEM []byte
	for caPEM == nil {
		if b, err := os.ReadFile(certFile); err == nil && bytes.Contains(b, []byte("END CERTIFICATE")) {
			caPEM = b
			break
		}
		if err := s.pause(ctx, s.apiserver); err != nil {
			return fmt.Errorf("apiservertest: waiting for %s: %w", certFile, err)
		}
	}
	s.Config = &rest.Config{
		Host:            host,
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: caPEM},
		QPS:             200,
		Burst:           400,
	}
	hc, err := rest.HTTPClientFor(s.Config)
	if err != nil {
		return fmt.Errorf("apiservertest: client: %w", err)
	}
	hc.Timeout = 5 * time.Second
	return s.waitHTTP(ctx, s.apiserver, hc, host+"/readyz")
}

// spawn starts a child process logging to a file in s.Dir. The child is
// killed if the test process dies (Pdeathsig).
func (s *Server) spawn(name, bin string, args ...string) (*process, error) {
	logPath := filepath.Join(s.Dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("apiservertest: %w", err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Dir = s.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("apiservertest: start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// pause waits a little, failing if ctx ends or p exits.
func (s *Server) pause(ctx context.Context, p *process) error {
	select {
	case <-ctx.Done():
		return fmt.Errorf("%w; last lines of %s:\n%s", ctx.Err(), p.log, tail(p.log))
	case <-p.done:
		return fmt.Errorf("%s exited: %v; last lines of its log:\n%s", p.name, p.err, tail(p.log))
	case <-time.After(200 * time.Millisecond):
		return nil
	}
}

// waitHTTP polls url until it answers 200.
func (s *Server) waitHTTP(ctx context.Context, p *process, hc *http.Client, url string) error {
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := s.pause(ctx, p); err != nil {
			return fmt.Errorf("apiservertest: waiting for %s: %w", url, err)
		}
	}
}

// tail returns the last lines of a log file.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return strings.Join(lines, "\n")
}

// stop ends the API server, then etcd: SIGTERM, then SIGKILL after 15 s.
func (s *Server) stop(tb testing.TB) {
	for _, p := range []*process{s.apiserver, s.etcd} {
		if p == nil {
			continue
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(15 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
		if tb.Failed() {
			tb.Logf("last lines of %s:\n%s", p.log, tail(p.log))
		}
	}
}

// crdFiles lists the CRD manifests of a release channel of the gateway-api
// module this module requires, from the module cache (or, for the standard
// channel, from $E2ETLS_GATEWAY_API_CRDS).
func crdFiles(channel string) ([]string, error) {
	dir := os.Getenv(EnvCRDs)
	if dir == "" || channel != "standard" {
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", gatewayAPIModule).Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				err = fmt.Errorf("%w: %s", err, ee.Stderr)
			}
			return nil, fmt.Errorf("apiservertest: find module %s (set %s to its config/crd/standard folder): %w", gatewayAPIModule, EnvCRDs, err)
		}
		dir = filepath.Join(strings.TrimSpace(string(out)), "config", "crd", channel)
	}
	files, err := filepath.Glob(filepath.Join(dir, "gateway.networking.*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("apiservertest: no CRD manifests in %s", dir)
	}
	var crds []string
	for _, f := range files {
		// The ValidatingAdmissionPolicy guarding upgrades is not a CRD.
		if !strings.Contains(filepath.Base(f), "_vap_") {
			crds = append(crds, f)
		}
	}
	return crds, nil
}

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installCRDs creates the CRDs and waits until each is Established.
func (s *Server) installCRDs(ctx context.Context, files []string) error {
	dc, err := dynamic.NewForConfig(s.Config)
	if err != nil {
		return fmt.Errorf("apiservertest: %w", err)
	}
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("apiservertest: %w", err)
		}
		var obj map[string]any
		if err := yaml.Unmarshal(b, &obj); err != nil {
			return fmt.Errorf("apiservertest: %s: %w", f, err)
		}
		u := &unstructured.Unstructured{Object: obj}
		if u.GetKind() != "CustomResourceDefinition" {
			continue
		}
		if _, err := dc.Resource(crdResource).Create(ctx, u, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("apiservertest: create CRD %s: %w", u.GetName(), err)
		}
		names = append(names, u.GetName())
	}
	for _, n := range names {
		for {
			u, err := dc.Resource(crdResource).Get(ctx, n, metav1.GetOptions{})
			if err == nil && established(u) {
				break
			}
			if err := s.pause(ctx, s.apiserver); err != nil {
				return fmt.Errorf("apiservertest: waiting for CRD %s to be established: %w", n, err)
			}
		}
	}
	return nil
}

func established(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}
