package errorpage

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Defaults of Config.
const (
	// DefaultMaxSize is Azure's limit: a page must be smaller than 1 MB.
	DefaultMaxSize = 1 << 20
	// DefaultTimeout bounds the fetch of one page.
	DefaultTimeout = 10 * time.Second
	// maxRedirects is how many HTTPS redirects a fetch follows.
	maxRedirects = 3
	// maxParallel is how many pages are fetched at once.
	maxParallel = 4
)

// Statuses returns the status codes that Azure allows custom error pages
// for (customErrorConfigurations, API 2022-09-01 and later), in order.
// Azure's API also names HttpStatus404 but does not support it.
func Statuses() []int { return []int{400, 403, 405, 408, 500, 502, 503, 504} }

// Allowed reports whether status is one of [Statuses].
func Allowed(status int) bool { return slices.Contains(Statuses(), status) }

// Config says which pages to load and how. The zero Config loads nothing.
type Config struct {
	// Global maps a status code to the location of its page, for every
	// listener that has no pages of its own. If nil, there are none.
	Global map[int]string

	// Listeners maps a listener's name to its own pages. A listener with
	// pages here uses only those: Azure's listener-level configuration
	// replaces the global one for that listener, status by status it does
	// not inherit. If nil, every listener uses Global.
	Listeners map[string]map[int]string

	// RootCAs verifies the servers of HTTPS locations. If nil, the system's
	// roots.
	RootCAs *x509.CertPool

	// Timeout bounds the fetch of one page (connection, TLS handshake,
	// redirects and body). If zero, DefaultTimeout.
	Timeout time.Duration

	// MaxSize is the size a page must stay below, in bytes. If zero,
	// DefaultMaxSize (Azure's "less than 1 MB").
	MaxSize int64
}

// A Page is a custom error page loaded into memory.
type Page struct {
	// Location is where the page was loaded from.
	Location string
	// Body is the page.
	Body []byte
	// ContentType is the page's media type, text/html with the charset its
	// server declared, or "text/html; charset=utf-8" for a page in UTF-8
	// that declared none.
	ContentType string
}

// Write answers with p and status: its Content-Type and Content-Length,
// "Cache-Control: no-store" and "X-Content-Type-Options: nosniff", then its
// body. Headers already set in w (the gateway's reason header, for
// example) are kept.
func (p *Page) Write(w http.ResponseWriter, status int) error {
	h := w.Header()
	h.Set("Content-Type", p.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(p.Body)))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, err := w.Write(p.Body)
	return err
}

// Pages are the loaded pages of a Config. They are immutable and safe for
// concurrent use; a nil *Pages has none.
type Pages struct {
	global    map[int]*Page
	listeners map[string]map[int]*Page
	byLoc     map[string]*Page
}

// Lookup returns the page for status on the listener named listener: the
// listener's own if it has any pages, else the global one; nil if there is
// none.
func (ps *Pages) Lookup(listener string, status int) *Page {
	if ps == nil {
		return nil
	}
	if own, ok := ps.listeners[listener]; ok {
		return own[status]
	}
	return ps.global[status]
}

// An Error is a problem with one configured page.
type Error struct {
	// Where locates the page: `global: status 502` or
	// `listener "web": status 403`.
	Where string
	// Location is the page's configured location.
	Location string
	// Err says what is wrong.
	Err error
}

// Error returns "errorpage: " followed by Where, the location and Err.
func (e *Error) Error() string {
	return fmt.Sprintf("errorpage: %s: %q: %v", e.Where, e.Location, e.Err)
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }

// Load validates cfg and loads every page it names, each distinct location
// once, a few at a time, each fetch within cfg.Timeout and all within ctx.
// It returns every problem at once, joined with [errors.Join], each an
// [*Error] with the page's place.
//
// Load also refreshes: given the Pages of an earlier Load as prev, it
// loads every location again (as Azure refreshes its cached pages on any
// configuration update), and a location that now fails keeps the page prev
// has for it. So the returned Pages are never nil, even with an error: they
// hold every page that could be loaded or kept. A gateway's New should
// refuse the error; its Update may log it and serve the Pages.
func Load(ctx context.Context, cfg Config, prev *Pages) (*Pages, error) {
	// A use is one status of one scope configured with a location.
	type use struct {
		where  string
		set    map[int]*Page
		status int
	}
	ps := &Pages{
		global:    make(map[int]*Page),
		listeners: make(map[string]map[int]*Page),
		byLoc:     make(map[string]*Page),
	}
	uses := make(map[string][]use) // location -> where it is used
	var errs []error
	collect := func(scope string, m map[int]string, set map[int]*Page) {
		for _, status := range slices.Sorted(maps.Keys(m)) {
			loc := m[status]
			where := fmt.Sprintf("%s: status %d", scope, status)
			if !Allowed(status) {
				errs = append(errs, &Error{Where: where, Location: loc,
					Err: fmt.Errorf("not a status Azure allows a custom error page for (%s)", statusList())})
				continue
			}
			if _, err := parseLocation(loc); err != nil {
				errs = append(errs, &Error{Where: where, Location: loc, Err: err})
				continue
			}
			uses[loc] = append(uses[loc], use{where, set, status})
		}
	}
	collect("global", cfg.Global, ps.global)
	for _, name := range slices.Sorted(maps.Keys(cfg.Listeners)) {
		if len(cfg.Listeners[name]) == 0 {
			continue
		}
		set := make(map[int]*Page)
		ps.listeners[name] = set
		collect(fmt.Sprintf("listener %q", name), cfg.Listeners[name], set)
	}

	f := newFetcher(cfg)
	defer f.close()
	locs := slices.Sorted(maps.Keys(uses))
	loaded := make([]*Page, len(locs))
	failed := make([]error, len(locs))
	sem := make(chan struct{}, maxParallel)
	var wg sync.WaitGroup
	for i, loc := range locs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			loaded[i], failed[i] = f.load(ctx, loc)
		}()
	}
	wg.Wait()

	for i, loc := range locs {
		p, err := loaded[i], failed[i]
		if err != nil {
			for _, u := range uses[loc] {
				errs = append(errs, &Error{Where: u.where, Location: loc, Err: err})
			}
			if prev != nil {
				p = prev.byLoc[loc]
			}
		}
		if p == nil {
			continue // the statuses it serves have no page
		}
		for _, u := range uses[loc] {
			u.set[u.status] = p
		}
		ps.byLoc[loc] = p
	}
	return ps, errors.Join(errs...)
}

func statusList() string {
	var s []string
	for _, c := range Statuses() {
		s = append(s, strconv.Itoa(c))
	}
	return strings.Join(s, ", ")
}

// CheckLocation reports whether loc is a location [Load] accepts: an https
// URL without credentials, a file URL or a file path, whose name ends in
// .htm or .html. It reads nothing: a gateway checks its configuration with
// it before loading the pages.
func CheckLocation(loc string) error {
	_, err := parseLocation(loc)
	return err
}

// A location is a page's source: an HTTPS URL or a file.
type location struct {
	url  *url.URL // https
	file string
}

// parseLocation accepts an https URL, a file URL, or a file path, whose
// name ends in .htm or .html as Azure requires.
func parseLocation(loc string) (location, error) {
	if loc == "" {
		return location{}, errors.New("no location")
	}
	var l location
	var name string
	if i := strings.Index(loc, "://"); i > 0 {
		u, err := url.Parse(loc)
		if err != nil {
			return location{}, err
		}
		switch strings.ToLower(u.Scheme) {
		case "https":
			if u.Host == "" {
				return location{}, errors.New("the URL has no host")
			}
			if u.User != nil {
				return location{}, errors.New("the URL holds credentials")
			}
			l.url, name = u, u.Path
		case "file":
			if u.Host != "" && u.Host != "localhost" {
				return location{}, fmt.Errorf("a file URL on host %q", u.Host)
			}
			l.file, name = filepath.FromSlash(u.Path), u.Path
		default:
			return location{}, fmt.Errorf("scheme %q: a page is loaded from an https URL or a file", u.Scheme)
		}
	} else {
		l.file, name = loc, filepath.ToSlash(loc)
	}
	if ext := strings.ToLower(path.Ext(name)); ext != ".htm" && ext != ".html" {
		return location{}, errors.New("the page's name must end in .htm or .html, as Azure requires")
	}
	return l, nil
}

// A fetcher loads pages with one client for a Load.
type fetcher struct {
	max     int64
	timeout time.Duration
	tr      *http.Transport
	client  *http.Client
}

func newFetcher(cfg Config) *fetcher {
	f := &fetcher{max: cfg.MaxSize, timeout: cfg.Timeout}
	if f.max <= 0 {
		f.max = DefaultMaxSize
	}
	if f.timeout <= 0 {
		f.timeout = DefaultTimeout
	}
	f.tr = &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2: true,
		DisableKeepAlives: true,
		// Direct connections only: a page's location is fetched as
		// configured, not through a proxy the environment names.
		Proxy: nil,
	}
	f.client = &http.Client{
		Transport: f.tr,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > maxRedirects {
				return fmt.Errorf("more than %d redirects", maxRedirects)
			}
			if req.URL.Scheme != "https" {
				return fmt.Errorf("redirected to %s, which is not https", req.URL.Redacted())
			}
			return nil
		},
	}
	return f
}

func (f *fetcher) close() { f.tr.CloseIdleConnections() }

// load reads one page.
func (f *fetcher) load(ctx context.Context, loc string) (*Page, error) {
	l, err := parseLocation(loc)
	if err != nil {
		return nil, err
	}
	var body []byte
	declared := ""
	if l.url != nil {
		body, declared, err = f.get(ctx, l.url)
	} else {
		body, err = f.read(l.file)
	}
	if err != nil {
		return nil, err
	}
	ct, err := contentType(body, declared)
	if err != nil {
		return nil, err
	}
	return &Page{Location: loc, Body: body, ContentType: ct}, nil
}

func (f *fetcher) get(ctx context.Context, u *url.URL) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", "text/html")
	resp, err := f.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, "", fmt.Errorf("no answer within %v", f.timeout)
		}
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("the server answered %s; the page must be served with 200 OK", resp.Status)
	}
	if resp.ContentLength >= f.max {
		return nil, "", fmt.Errorf("%d bytes; a page must be smaller than %d bytes", resp.ContentLength, f.max)
	}
	body, err := readLimited(resp.Body, f.max)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, "", fmt.Errorf("the body did not arrive within %v", f.timeout)
		}
		return nil, "", err
	}
	return body, resp.Header.Get("Content-Type"), nil
}

func (f *fetcher) read(name string) ([]byte, error) {
	file, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	if st.Size() >= f.max {
		return nil, fmt.Errorf("%d bytes; a page must be smaller than %d bytes", st.Size(), f.max)
	}
	return readLimited(file, f.max)
}

// readLimited reads r to its end, refusing max bytes or more.
func readLimited(r io.Reader, max int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, max))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) >= max {
		return nil, fmt.Errorf("%d bytes or more; a page must be smaller than %d bytes", max, max)
	}
	if len(body) == 0 {
		return nil, errors.New("the page is empty")
	}
	return body, nil
}

// contentType checks that a page is HTML and returns the Content-Type to
// serve it with. A declared text/html is taken as it is (with its
// charset); a page declared as something else is refused, except a generic
// application/octet-stream (what storage often declares), and a page
// declared as nothing (a file), which must look like HTML.
func contentType(body []byte, declared string) (string, error) {
	if declared != "" {
		mt, params, err := mime.ParseMediaType(declared)
		if err != nil {
			return "", fmt.Errorf("content type %q: %v", declared, err)
		}
		switch mt {
		case "text/html":
			if params["charset"] == "" && utf8.Valid(body) {
				return "text/html; charset=utf-8", nil
			}
			return mime.FormatMediaType(mt, params), nil
		case "application/octet-stream":
		default:
			return "", fmt.Errorf("content type %q; a custom error page must be HTML (text/html)", mt)
		}
	}
	if sniffed := http.DetectContentType(body); !strings.HasPrefix(sniffed, "text/html") {
		return "", errors.New("the page does not look like HTML: it must begin with <!DOCTYPE html> or an HTML tag")
	}
	if utf8.Valid(body) {
		return "text/html; charset=utf-8", nil
	}
	return "text/html", nil
}
