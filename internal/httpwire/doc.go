// Package httpwire holds what the gateway's HTTP/1.x and HTTP/2 wire
// servers, and its HTTP/1.1 backend client, share: the limits of a request
// head, the refusals a server answers instead of running the handler, the
// rules of a response writer (status, length and trailers), the chunked
// decoder, header-field helpers, the set of connections a server serves,
// and the panic-catching handler runner.
//
// It imports nothing else of this module.
package httpwire
