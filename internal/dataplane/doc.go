// Package dataplane serves requests from a compiled configuration: it
// builds a Snapshot from a Plan (the configuration the gateway has
// validated and resolved), routes each request with routing's table,
// picks a member (round-robin among the healthy ones, or the one an
// affinity cookie names), proxies the request over internal/upstream with
// one retry where that is safe, relays the response, writes the access log
// and the gateway's own error responses, and keeps each member's health:
// member.observe is the only place a member's health and reason change,
// from a probe's result or from the data path's verdict.
//
// The gateway builds a Plan with the pieces here that need none of its
// types (compile.go: rule targets, listener TLS, rewrite sets; profile.go:
// SSL profiles and what their client authentication keeps across
// generations), and the frontend asks the current snapshot which
// listener's TLS configuration a handshake uses and tells its observer of
// the outcome (frontdoor.go).
//
// A Snapshot is immutable once built, but for its members' health and its
// connection pools. The gateway swaps snapshots on Update: CarryHealth
// carries health over, Retire drains the old one.
package dataplane
