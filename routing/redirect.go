package routing

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

// A RedirectResponse is the answer to a request that a rule redirects.
type RedirectResponse struct {
	// Status is the redirect's status code: 301, 302, 303 or 307.
	Status int

	// Location is the absolute URL to redirect to.
	Location string
}

// A redirectEntry is a compiled Redirect.
type redirectEntry struct {
	status       int
	includePath  bool
	includeQuery bool

	// To a listener: Location is scheme + host + port + path + query.
	toListener bool
	scheme     string // "http://" or "https://"
	port       string // ":8443", or "" for the scheme's default port
	host       string // the target listener's first host name without wildcards, for requests whose Host it does not accept; "" if none
	target     int    // the target listener's index

	// To a URL: Location is url + query + fragment.
	url      string // without the fragment
	urlQuery bool   // url has a query already
	fragment string // "#..." or ""
}

// compileRedirect validates r, the Redirect of the rule for listener self,
// and compiles it; listeners are the Config's, and byName indexes them.
func compileRedirect(r *Redirect, self int, listeners []Listener, patterns [][]string, byName map[string]int) (*redirectEntry, []error) {
	var errs []error
	e := &redirectEntry{status: r.Status, includePath: r.IncludePath, includeQuery: r.IncludeQuery}
	switch r.Status {
	case 301, 302, 303, 307:
	default:
		errs = append(errs, fmt.Errorf("redirect status %d is not 301, 302, 303 or 307", r.Status))
	}
	switch {
	case r.TargetListener != "" && r.TargetURL != "":
		errs = append(errs, errors.New("redirect sets both TargetListener and TargetURL"))
	case r.TargetListener != "":
		i, ok := byName[r.TargetListener]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("redirect to unknown listener %q", r.TargetListener))
		case i == self:
			errs = append(errs, fmt.Errorf("redirect to listener %q, the rule's own listener", r.TargetListener))
		default:
			l := &listeners[i]
			e.toListener = true
			e.target = i
			e.scheme, e.port = "http://", ":"+strconv.Itoa(l.Port)
			if l.HTTPS {
				e.scheme = "https://"
			}
			if (l.HTTPS && l.Port == 443) || (!l.HTTPS && l.Port == 80) {
				e.port = ""
			}
			for _, p := range patterns[i] {
				if !isWildcard(p) {
					e.host = p
					break
				}
			}
		}
	case r.TargetURL != "":
		if r.IncludePath {
			errs = append(errs, errors.New("redirect to a URL cannot include the path (only the query)"))
		}
		if err := checkRedirectURL(r.TargetURL); err != nil {
			errs = append(errs, fmt.Errorf("redirect URL %q: %w", r.TargetURL, err))
			break
		}
		e.url = r.TargetURL
		if i := strings.IndexByte(e.url, '#'); i >= 0 {
			e.url, e.fragment = e.url[:i], e.url[i:]
		}
		e.urlQuery = strings.Contains(e.url, "?")
	default:
		errs = append(errs, errors.New("redirect needs a TargetListener or a TargetURL"))
	}
	return e, errs
}

func checkRedirectURL(s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return fmt.Errorf("character %q not allowed", s[i])
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("scheme is not http or https")
	}
	if u.Host == "" {
		return errors.New("no host")
	}
	return nil
}

// location returns the Location for a request with this Host, path and
// query. To a listener, the Location keeps the request's host when the
// target listener accepts it (accepts reports that), else names the
// listener's first plain host name, else keeps the request's host (a
// listener with only wildcard names); it returns false when the request has
// no usable host and the listener names none.
func (e *redirectEntry) location(host, path, rawQuery string, accepts func(listener int, host string) bool) (string, bool) {
	query := ""
	if e.includeQuery && rawQuery != "" {
		query = rawQuery
	}
	if !e.toListener {
		switch {
		case query == "":
			return e.url + e.fragment, true
		case !e.urlQuery:
			return e.url + "?" + query + e.fragment, true
		case strings.HasSuffix(e.url, "?") || strings.HasSuffix(e.url, "&"):
			return e.url + query + e.fragment, true
		default:
			return e.url + "&" + query + e.fragment, true
		}
	}
	h, ok := redirectHost(host)
	switch {
	case ok && accepts(e.target, host):
	case e.host != "":
		h = e.host
	case !ok:
		return "", false
	}
	p := "/"
	if e.includePath && path != "" {
		p = (&url.URL{Path: path}).EscapedPath()
		if !strings.HasPrefix(p, "/") {
			p = "/" + p
		}
	}
	if query != "" {
		query = "?" + query
	}
	return e.scheme + h + e.port + p + query, true
}

// redirectHost returns the host of a Host header, without its port, as it
// may appear in a Location, and false if it has none fit for one.
func redirectHost(host string) (string, bool) {
	h := hostOnly(host)
	if strings.HasPrefix(h, "[") {
		a, err := netip.ParseAddr(strings.TrimSuffix(h[1:], "]"))
		if err != nil || !a.Is6() || a.Zone() != "" || !strings.HasSuffix(h, "]") {
			return "", false
		}
		return "[" + a.String() + "]", true
	}
	b, ok := appendHost(nil, h)
	if !ok || len(b) == 0 {
		return "", false
	}
	for _, c := range b {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_') {
			return "", false
		}
	}
	return string(b), true
}
