package errorpage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/e2etls/e2etls/backendtls/tlstest"
)

const page = "<!DOCTYPE html>\n<html><body><h1>We'll be back soon</h1></body></html>\n"

// pageServer is an HTTPS server on loopback with a certificate for
// 127.0.0.1 from its own root, serving test pages.
type pageServer struct {
	*tlstest.Server
	root *tlstest.Cert
	hits atomic.Int64 // requests for /502.html
	body atomic.Value // of /502.html
	fail atomic.Bool  // /502.html answers 500
}

func newPageServer(t *testing.T) *pageServer {
	t.Helper()
	s := &pageServer{root: tlstest.NewRoot(tlstest.Options{})}
	s.body.Store(page)
	leaf := s.root.NewLeaf(tlstest.Options{DNSNames: []string{"pages.example"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}})
	mux := http.NewServeMux()
	serve := func(path, ctype, body string) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			if ctype != "" {
				w.Header().Set("Content-Type", ctype)
			}
			io.WriteString(w, body)
		})
	}
	mux.HandleFunc("/502.html", func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		if s.fail.Load() {
			http.Error(w, "storage down", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, s.body.Load().(string))
	})
	serve("/blob.html", "application/octet-stream", page)
	serve("/latin1.html", "text/html; charset=ISO-8859-1", "<html>caf\xe9</html>")
	serve("/json.html", "application/json", `{"error":1}`)
	serve("/text.html", "application/octet-stream", "Maintenance until 10:00")
	serve("/empty.html", "text/html", "")
	mux.HandleFunc("/big.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", fmt.Sprint(DefaultMaxSize))
		io.WriteString(w, "<html>")
	})
	mux.HandleFunc("/stream.html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		chunk := strings.Repeat("<p>x</p>", 1024)
		for range DefaultMaxSize/len(chunk) + 2 {
			if _, err := io.WriteString(w, chunk); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/slow.html", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("/missing.html", http.NotFound)
	mux.HandleFunc("/moved.html", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/502.html", http.StatusFound)
	})
	mux.HandleFunc("/downgrade.html", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://"+r.Host+"/502.html", http.StatusFound)
	})
	s.Server = tlstest.NewServer(tlstest.ServerOptions{Certificate: leaf.FullChain(), Handler: mux, NextProtos: []string{"h2", "http/1.1"}})
	t.Cleanup(s.Close)
	return s
}

func (s *pageServer) cfg(global map[int]string) Config {
	return Config{Global: global, RootCAs: s.root.Pool(), Timeout: 2 * time.Second}
}

func TestLoadHTTPS(t *testing.T) {
	s := newPageServer(t)
	tests := []struct {
		path     string
		wantType string
		wantErr  string
	}{
		{"/502.html", "text/html; charset=utf-8", ""},
		{"/blob.html", "text/html; charset=utf-8", ""},
		{"/latin1.html", "text/html; charset=ISO-8859-1", ""},
		{"/moved.html", "text/html; charset=utf-8", ""},
		{"/json.html", "", `content type "application/json"; a custom error page must be HTML (text/html)`},
		{"/text.html", "", "the page does not look like HTML: it must begin with <!DOCTYPE html> or an HTML tag"},
		{"/empty.html", "", "the page is empty"},
		{"/big.html", "", "1048576 bytes; a page must be smaller than 1048576 bytes"},
		{"/stream.html", "", "1048576 bytes or more; a page must be smaller than 1048576 bytes"},
		{"/missing.html", "", "the server answered 404 Not Found; the page must be served with 200 OK"},
		{"/downgrade.html", "", "which is not https"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			loc := s.URL + tt.path
			ps, err := Load(context.Background(), s.cfg(map[int]string{502: loc}), nil)
			p := ps.Lookup("any", 502)
			if tt.wantErr != "" {
				want := fmt.Sprintf("errorpage: global: status 502: %q: ", loc)
				if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Load error = %v; want %s...%s", err, want, tt.wantErr)
				}
				if p != nil {
					t.Errorf("a refused page is served: %+v", p)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p == nil || p.ContentType != tt.wantType || p.Location != loc || len(p.Body) == 0 {
				t.Fatalf("page = %+v; want type %q", p, tt.wantType)
			}
		})
	}
}

// TestLoadTLS: pages are fetched with verified TLS only.
func TestLoadTLS(t *testing.T) {
	s := newPageServer(t)
	loc := s.URL + "/502.html"
	for _, tt := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"system roots", Config{Global: map[int]string{502: loc}}, "certificate signed by unknown authority"},
		{"another root", Config{Global: map[int]string{502: loc}, RootCAs: tlstest.NewRoot(tlstest.Options{}).Pool()}, "certificate signed by unknown authority"},
		{"wrong name", Config{Global: map[int]string{502: strings.Replace(loc, "127.0.0.1", "localhost", 1)}, RootCAs: s.root.Pool()}, "certificate"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := Load(context.Background(), tt.cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load error = %v; want %q", err, tt.want)
			}
			if ps.Lookup("", 502) != nil {
				t.Errorf("a page from an unverified server is served")
			}
		})
	}
	if s.hits.Load() != 0 {
		t.Errorf("the page was requested %d times over unverified connections", s.hits.Load())
	}
}

func TestLoadTimeout(t *testing.T) {
	s := newPageServer(t)
	cfg := s.cfg(map[int]string{504: s.URL + "/slow.html"})
	cfg.Timeout = 200 * time.Millisecond
	start := time.Now()
	_, err := Load(context.Background(), cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Errorf("Load error = %v; want a timeout", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Load took %v", d)
	}

	// The caller's context bounds the whole load.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, s.cfg(map[int]string{502: s.URL + "/502.html"}), nil); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("Load with a canceled context = %v", err)
	}
}

func TestLoadFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("maintenance.html", page)
	plain := write("plain.htm", "Back soon")
	big := write("big.html", "<html>"+strings.Repeat("x", 100)+"</html>")
	if err := os.Mkdir(filepath.Join(dir, "dir.html"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		loc     string
		maxSize int64
		wantErr string
	}{
		{good, 0, ""},
		{"file://" + filepath.ToSlash(good), 0, ""},
		{plain, 0, "the page does not look like HTML"},
		{big, 64, "113 bytes; a page must be smaller than 64 bytes"},
		{filepath.Join(dir, "dir.html"), 0, "not a regular file"},
		{filepath.Join(dir, "absent.html"), 0, "no such file or directory"},
	}
	for _, tt := range tests {
		ps, err := Load(context.Background(), Config{Listeners: map[string]map[int]string{"web": {500: tt.loc}}, MaxSize: tt.maxSize}, nil)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.loc, err)
			} else if p := ps.Lookup("web", 500); p == nil || string(p.Body) != page || p.ContentType != "text/html; charset=utf-8" {
				t.Errorf("%s: page = %+v", tt.loc, p)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), `errorpage: listener "web": status 500: `) {
			t.Errorf("%s: error = %v; want %q", tt.loc, err, tt.wantErr)
		}
	}
}

func TestLoadConfigErrors(t *testing.T) {
	_, err := Load(context.Background(), Config{
		Global: map[int]string{
			404: "/pages/404.html",
			502: "http://pages.example/502.html",
			503: "https://pages.example/503.txt",
			504: "ftp://pages.example/504.html",
			500: "",
		},
		Listeners: map[string]map[int]string{
			"web": {403: "https://user:pw@pages.example/403.html", 200: "/ok.html"},
		},
	}, nil)
	want := []string{
		`errorpage: global: status 404: "/pages/404.html": not a status Azure allows a custom error page for (400, 403, 405, 408, 500, 502, 503, 504)`,
		`errorpage: global: status 500: "": no location`,
		`errorpage: global: status 502: "http://pages.example/502.html": scheme "http": a page is loaded from an https URL or a file`,
		`errorpage: global: status 503: "https://pages.example/503.txt": the page's name must end in .htm or .html, as Azure requires`,
		`errorpage: global: status 504: "ftp://pages.example/504.html": scheme "ftp": a page is loaded from an https URL or a file`,
		`errorpage: listener "web": status 200: "/ok.html": not a status Azure allows a custom error page for (400, 403, 405, 408, 500, 502, 503, 504)`,
		`errorpage: listener "web": status 403: "https://user:pw@pages.example/403.html": the URL holds credentials`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("Load errors:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
	var e *Error
	if !errors.As(err, &e) || e.Where != "global: status 404" {
		t.Errorf("errors.As: %+v", e)
	}
	if !Allowed(502) || Allowed(404) || len(Statuses()) != 8 {
		t.Errorf("Allowed/Statuses disagree with Azure's list")
	}
}

// TestPrecedenceAndSharing: a listener's own pages replace the global
// ones; a location used for several statuses is fetched once.
func TestPrecedenceAndSharing(t *testing.T) {
	s := newPageServer(t)
	maint, blob := s.URL+"/502.html", s.URL+"/blob.html"
	cfg := s.cfg(map[int]string{502: maint, 503: maint, 403: blob})
	cfg.Listeners = map[string]map[int]string{"web": {502: maint, 504: maint}, "api": {}}
	ps, err := Load(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := s.hits.Load(); n != 1 {
		t.Errorf("%s fetched %d times; want 1", maint, n)
	}
	for _, tt := range []struct {
		listener string
		status   int
		want     string
	}{
		{"web", 502, maint},
		{"web", 504, maint},
		{"web", 403, ""}, // the listener's configuration replaces the global one
		{"web", 503, ""},
		{"api", 403, blob}, // no pages of its own
		{"other", 503, maint},
		{"other", 504, ""},
		{"other", 500, ""},
	} {
		loc := ""
		if p := ps.Lookup(tt.listener, tt.status); p != nil {
			loc = p.Location
		}
		if loc != tt.want {
			t.Errorf("Lookup(%q, %d) = %q; want %q", tt.listener, tt.status, loc, tt.want)
		}
	}
	var none *Pages
	if none.Lookup("web", 502) != nil {
		t.Errorf("nil Pages has a page")
	}
}

// TestRefresh: loading again fetches every page anew; a page that fails
// to load keeps its previous copy, and the failure is reported.
func TestRefresh(t *testing.T) {
	s := newPageServer(t)
	cfg := s.cfg(map[int]string{502: s.URL + "/502.html"})
	v1, err := Load(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.body.Store("<html>v2</html>")
	v2, err := Load(context.Background(), cfg, v1)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(v2.Lookup("", 502).Body); got != "<html>v2</html>" {
		t.Errorf("refreshed page = %q", got)
	}
	if got := string(v1.Lookup("", 502).Body); got != page {
		t.Errorf("the earlier Pages changed: %q", got)
	}
	s.fail.Store(true)
	v3, err := Load(context.Background(), cfg, v2)
	if err == nil || !strings.Contains(err.Error(), "500 Internal Server Error") {
		t.Errorf("Load error = %v; want the failure", err)
	}
	if p := v3.Lookup("", 502); p == nil || string(p.Body) != "<html>v2</html>" {
		t.Errorf("kept page = %+v", p)
	}
	// Without earlier pages, a failure leaves the status without a page.
	if v4, _ := Load(context.Background(), cfg, nil); v4.Lookup("", 502) != nil {
		t.Errorf("a failed page is served")
	}
}

func TestWrite(t *testing.T) {
	p := &Page{Location: "x.html", Body: []byte(page), ContentType: "text/html; charset=utf-8"}
	rec := httptest.NewRecorder()
	rec.Header().Set("X-E2etls-Error", "no-healthy-backend")
	if err := p.Write(rec, http.StatusBadGateway); err != nil {
		t.Fatal(err)
	}
	res := rec.Result()
	for k, want := range map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"Content-Length":         fmt.Sprint(len(page)),
		"Cache-Control":          "no-store",
		"X-Content-Type-Options": "nosniff",
		"X-E2etls-Error":         "no-healthy-backend",
	} {
		if got := res.Header.Get(k); got != want {
			t.Errorf("%s = %q; want %q", k, got, want)
		}
	}
	if res.StatusCode != http.StatusBadGateway || rec.Body.String() != page {
		t.Errorf("response = %d %q", res.StatusCode, rec.Body.String())
	}
}

// TestNoGoroutineLeak: Load leaves nothing running.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		s := newPageServer(t)
		defer s.Close()
		cfg := s.cfg(map[int]string{502: s.URL + "/502.html", 503: s.URL + "/json.html", 504: s.URL + "/moved.html"})
		for range 3 {
			Load(context.Background(), cfg, nil)
		}
	}()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
