// Package h1 is the gateway's HTTP/1.x server: it serves the HTTP/1.0 and
// HTTP/1.1 connections a frontend hands it (after their TLS handshake)
// with an http.Handler.
//
// net/http's server costs a gateway more than the proxying itself on small
// keep-alive requests: it starts a goroutine per request that reads ahead
// to notice a client hanging up (one more read, and two deadline changes,
// per request), allocates a fresh request, header map, URL and context per
// request, and holds a 4 KiB reader and a 4 KiB writer for every idle
// connection. It also parses leniently where a gateway must not: it
// accepts Content-Length together with Transfer-Encoding (dropping
// Content-Length), joins obsolete line folding into one value, ignores
// Transfer-Encoding in HTTP/1.0 requests, and counts the request line
// against the header limit. This server:
//
//   - runs one goroutine per connection, the one that did the TLS
//     handshake; requests are served in it one after the other;
//   - reuses the request, its header map, URL and response header map from
//     one request of a connection to the next (the handler keeps none of
//     them past its return); a request head is one string allocation and
//     one slice of header values;
//   - holds no buffers while a connection is idle: it waits for the first
//     byte of its next request in a one-byte read, and takes a pooled
//     reader and writer only while it serves;
//   - notices a client hanging up with a read started only when a request
//     has been waiting on its handler for ClientWatchDelay, so fast
//     requests pay nothing for it;
//   - frames a response whose length the handler did not declare with a
//     Content-Length when it fits the buffer, chunked otherwise; head and
//     body leave in one write when they fit;
//   - parses strictly, in one pass: a request target over 32 KiB (414),
//     header fields over 32 KiB (431), obsolete line folding, Content-Length
//     with Transfer-Encoding, differing or malformed Content-Lengths,
//     Transfer-Encoding in HTTP/1.0 or other than one "chunked", malformed
//     request lines and fields, and a missing or repeated Host are refused
//     before the handler runs, through the server's RefuseFunc; a chunked
//     body is decoded strictly (httpwire.ChunkedReader), and a malformed one
//     ends the connection.
//
// It imports nothing of this module but httpwire.
package h1
