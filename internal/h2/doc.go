// Package h2 is the gateway's HTTP/2 server: it serves the HTTP/2
// connections a frontend hands it (after a TLS handshake that chose "h2" by
// ALPN) with an http.Handler.
//
// net/http's HTTP/2 server writes a response's HEADERS and DATA frames in
// two system calls (the handler waits for its HEADERS to be written, and
// the connection flushes as soon as it has nothing else queued), and starts
// a fresh goroutine, which grows its stack, for every stream. Server
// serves the HTTP/2 connections of a frontend port itself, with
// golang.org/x/net/http2's Framer and HPACK:
//
//   - the goroutine that did the TLS handshake reads the connection's
//     frames; streams run on a pool of worker goroutines that keep their
//     grown stacks;
//   - a response small enough to buffer leaves as HEADERS and DATA in one
//     write, and writes of several streams that meet at the connection
//     share one flush: the last writer flushes, and the writer of a
//     response's end yields once before it flushes, so that other streams
//     whose backends answered at the same time add theirs (under the
//     HTTP/2 benchmark load, 0.2 client writes per response instead of
//     1.0);
//   - flow control both ways: a stream's request body is buffered up to
//     its window (h2StreamWindow) and the connection's bodies up to
//     h2ConnWindow, refunded as handlers read them; responses wait for the
//     client's windows;
//   - the limits net/http enforces: at most httpwire.MaxConcurrentStreams open
//     streams (REFUSED_STREAM beyond), at most that many handlers running,
//     with streams the client has reset still counted until their handler
//     returns (rapid reset: a client that queues more than
//     4*httpwire.MaxConcurrentStreams gets GOAWAY ENHANCE_YOUR_CALM); header lists
//     bounded by SETTINGS_MAX_HEADER_LIST_SIZE, and a header block that
//     exceeds it answered 431 without keeping its fields; CONTINUATION
//     floods end at the Framer's limit or the idle timeout;
//   - an idle connection (no stream) holds no write buffer and closes at
//     the idle timeout; Shutdown sends GOAWAY and closes each connection
//     when its streams are done.
//
// A client that accepts no byte for h2WriteTimeout while data waits for it
// loses its connection (net/http has no such bound by default).
//
// A stream whose target or header fields exceed httpwire's limits, or whose
// Host disagrees with its :authority, is answered through the server's
// RefuseFunc instead of the handler. It imports nothing of this module but
// httpwire.
package h2
