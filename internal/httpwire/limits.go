package httpwire

import (
	"sync/atomic"
	"time"
)

// The limits of a request head, Azure v2's: each has a status of its own.
const (
	// MaxURIBytes bounds the request target: 414 beyond.
	MaxURIBytes = 32 << 10
	// MaxHeaderBytes bounds the header fields ("Name: value\r\n" each, Host
	// included): 431 beyond.
	MaxHeaderBytes = 32 << 10
	// ServerHeaderBytes bounds a whole request head: a request line and a
	// header section both at their limit, and room for the method and
	// version. It is also HTTP/2's advertised header list size.
	ServerHeaderBytes = MaxURIBytes + MaxHeaderBytes + 1<<10
)

// Limits of a chunked request body, net/http's.
const (
	MaxChunkLine    = 4096     // a chunk-size line with its CRLF
	MaxChunkExcess  = 16 << 10 // chunk framing beyond 16 bytes a chunk plus twice its data
	MaxTrailerBytes = 4096     // a trailer section with its final CRLF
)

// MaxConcurrentStreams bounds the streams of one HTTP/2 client connection,
// and so the handlers it runs at once, as net/http does.
const MaxConcurrentStreams = 250

// RefusalLinger bounds how long a refused or failing connection is drained
// after its last answer, so that the client reads the answer before the
// connection resets.
const RefusalLinger = 500 * time.Millisecond

// Timeouts are a server's connection timeouts. They may change while the
// server runs (the gateway's Update): each connection reads them when it
// waits. The zero value has no timeouts; servers are given one made by
// NewTimeouts.
type Timeouts struct {
	readHeader atomic.Int64
	idle       atomic.Int64
}

// NewTimeouts returns Timeouts with the given values.
func NewTimeouts(readHeader, idle time.Duration) *Timeouts {
	t := new(Timeouts)
	t.Set(readHeader, idle)
	return t
}

// Set changes both timeouts.
func (t *Timeouts) Set(readHeader, idle time.Duration) {
	t.readHeader.Store(int64(readHeader))
	t.idle.Store(int64(idle))
}

// ReadHeader bounds how long a client may take to send a request head, and
// a TLS handshake.
func (t *Timeouts) ReadHeader() time.Duration { return time.Duration(t.readHeader.Load()) }

// Idle bounds how long a keep-alive connection may wait for its next
// request.
func (t *Timeouts) Idle() time.Duration { return time.Duration(t.idle.Load()) }
