package dataplane

import (
	"fmt"
	"net/http"

	"github.com/e2etls/e2etls/internal/errorpage"
	"github.com/e2etls/e2etls/rewrite"
	"github.com/e2etls/e2etls/routing"
)

// rewriting is a request's rewrite state. It lives in the pooled exchange,
// so that the rewrite.Exchange and the variables it points to cost a
// request no allocation.
type rewriting struct {
	// active is set once the route had a rewrite set: the backend
	// request's header is then ready in the exchange's outHeader, and the
	// URL to send is x.Path (escaped anew) and x.RawQuery.
	active bool
	// set is the rewrite set whose response phase runs on the answer: the
	// one of the route the request settled on, after any reroute; nil for
	// none.
	set  *rewrite.Set
	x    rewrite.Exchange
	vars rewrite.HTTPVars
	// host is the Host header a rule set, "" for the one the backend
	// setting chooses. It never feeds the endpoint, SNI or identity.
	host string
	// urlChanged is set when a rule rewrote the path or query.
	urlChanged bool
}

// rewriteOf returns the rewrite set of the target rt routes to, nil for
// none: one slice length check for a rule without rewrites.
func (s *Snapshot) rewriteOf(rt routing.Route) *rewrite.Set {
	rws := s.plan.Rules[rt.Rule].Rewrites
	if i := rt.PathRule + 1; i < len(rws) {
		return rws[i]
	}
	return nil
}

// rewriteRequest runs the request phase of rw, the rewrite set of rt, on r,
// whose cleaned path is clean: it prepares the backend request's header
// (the client's, then the gateway's X-Forwarded-* fields, so that a rule's
// X-Forwarded-For wins) and lets the rules rewrite it and the URL. While a
// rule asks for a reroute, the path map is evaluated again with the
// rewritten path and the set of the route it then gives runs in turn, at
// most rewrite.MaxReroutes times. It returns the route the request
// settled on and the path to send, with the backend setting's path
// override applied; or ok false when it has answered the request itself: a
// rule's redirect, a reroute onto a redirect, a rewrite loop (500).
func (s *Snapshot) rewriteRequest(in Ingress, rt routing.Route, rw *rewrite.Set, clean string, w http.ResponseWriter, r *http.Request, x *exchange) (_ routing.Route, path string, ok bool) {
	if x.outHeader == nil {
		x.outHeader = make(http.Header, len(r.Header)+4)
	}
	st := &x.rewriting
	st.active = true
	st.vars = rewrite.HTTPVars{Request: r, ServerPort: s.serverPort(in, rt), ClientCertificate: ClientCertificateVars(x.client)}
	st.x = rewrite.Exchange{
		Vars:       &st.vars,
		Request:    r.Header,
		Host:       r.Host,
		RequestOut: s.backendRequestHeader(r, x, x.outHeader),
		Path:       clean,
		RawQuery:   r.URL.RawQuery,
	}
	for n := 0; ; n++ {
		st.set = rw
		res := rw.Request(&st.x)
		if res.RedirectStatus != 0 {
			s.rewriteRedirect(w, x, res)
			return rt, "", false
		}
		if res.Host != "" {
			st.host = res.Host
		}
		st.urlChanged = st.urlChanged || res.URLChanged
		if !res.Reroute {
			if res.URLChanged {
				return rt, s.plan.Table.OverridePath(rt, st.x.Path), true
			}
			return rt, rt.Path, true
		}
		if n == rewrite.MaxReroutes {
			s.fail(w, x, http.StatusInternalServerError, CodeRewriteLoop,
				fmt.Sprintf("rewrite loop: rule %q's rewrite sets asked to evaluate the URL path map again %d times (last path %q, set %q)",
					x.rule, n+1, st.x.Path, rw.Name()), nil)
			return rt, "", false
		}
		next, found := s.plan.Table.RouteRequest(in.Port, r.Host, st.x.Path, routing.Request{Method: r.Method, Header: r.Header, RawQuery: st.x.RawQuery})
		if !found {
			s.fail(w, x, http.StatusNotFound, CodeNoListener,
				fmt.Sprintf("rewritten path %q of host %q has no route on port %d", st.x.Path, r.Host, in.Port), nil)
			return rt, "", false
		}
		rt = next
		if rt.Redirect != nil {
			// The rewritten path belongs to a path rule that redirects.
			w.Header().Set("Location", rt.Redirect.Location)
			w.Header().Set("Server", ServerName)
			w.WriteHeader(rt.Redirect.Status)
			return rt, "", false
		}
		if rw = s.rewriteOf(rt); rw == nil {
			st.set = nil
			return rt, rt.Path, true
		}
	}
}

// serverPort is the port of the listener a request arrived on, for the
// server_port variable; 0 (the connection's local port) for a request
// through the Handler in a server of someone else's.
func (s *Snapshot) serverPort(in Ingress, rt routing.Route) int {
	if in.Own {
		return s.plan.Listeners[rt.Listener].Port
	}
	return 0
}

// rewriteRedirect answers a request with the redirect a rule asked for; the
// set's response header actions apply to it.
func (s *Snapshot) rewriteRedirect(w http.ResponseWriter, x *exchange, res rewrite.Result) {
	h := w.Header()
	h.Set("Location", res.Location)
	h.Set("Server", ServerName)
	rx := &x.rewriting.x
	rx.Status, rx.Response, rx.ResponseOut = res.RedirectStatus, nil, h
	x.rewriting.set.Response(rx)
	w.WriteHeader(res.RedirectStatus)
}

// errorPage returns the custom page for an error response with status on
// the request's listener (the global one for a request refused before it
// was routed), nil for none.
func (s *Snapshot) errorPage(x *exchange, status int) *errorpage.Page {
	pages := s.plan.ErrorPages
	if pages == nil {
		return nil
	}
	name := ""
	if x.listener != nil {
		name = x.listener.Name
	}
	return pages.Lookup(name, status)
}
