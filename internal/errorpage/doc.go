// Package errorpage loads the custom error pages of Azure Application
// Gateway's customErrorConfigurations: for the statuses Azure allows
// ([Statuses]: 400, 403, 405, 408, 500, 502, 503 and 504), a page read at
// load time from a file or an HTTPS URL, globally or per listener, and
// served from memory.
//
// [Load] checks every page as Azure does: a name ending in .htm or .html, a
// 200 OK answer, HTML content (a declared text/html, or content that looks
// like HTML), less than 1 MB ([DefaultMaxSize]). HTTPS locations are
// fetched with verified TLS (the system's roots or [Config].RootCAs, TLS 1.2
// or later, https-only redirects), each within a bounded time
// ([DefaultTimeout]); nothing is fetched after Load returns. Like Azure,
// which "doesn't periodically check the source file's location", the pages
// change only when the gateway loads them again, which it does on every
// configuration update; a page that fails to load then keeps its previous
// copy.
//
// [Check] reports what is wrong with a configuration's pages before
// anything is read, and [Placed] names the pages Load could not read; both
// in the words of the gateway's configuration ("customErrorPage 502").
//
// [Pages.Lookup] applies Azure's precedence: a listener with pages of its
// own uses only those; the others use the global pages. [Page.Write] serves
// a page with the status of the error it replaces. The gateway serves custom
// pages only for the errors it makes itself (no backend, backend failed
// verification, timeout, ...); a backend's own error responses pass through
// unchanged, as in Azure.
package errorpage
