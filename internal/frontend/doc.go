// Package frontend runs the gateway's frontend ports: it accepts client
// connections, does each TLS handshake itself (bounded by the read-header
// timeout), and hands every connection to the HTTP server its ALPN
// protocol chose: HTTP/2 connections to one server, HTTP/1.x and plain
// HTTP connections to the other. The servers are given as ConnServers:
// the gateway's own (internal/h1 and internal/h2, see Own) or net/http's
// (NetHTTP). A client that speaks plain HTTP to a TLS port gets a short
// 400 answer. After each handshake, and before the connection is handed
// over, Port.AfterHandshake (the gateway's client certificate check)
// computes a value that every request of the connection carries in its
// context (httpwire.ConnValue), whichever server serves it. Listen binds
// a port's socket, with SO_REUSEPORT when asked, so that several processes
// can share the port.
//
// It imports nothing of this module but the wire servers it can build and
// httpwire.
package frontend
