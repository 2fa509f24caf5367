// Package accesslog writes the gateway's access log off the request path:
// a request's record is formatted into a byte slice (text in logfmt, or
// one JSON object per line, with the field names of Azure Application
// Gateway's access log) and appended to a batch under a short lock; a
// goroutine of the Writer writes the batch every FlushInterval, as soon as
// it reaches BatchSize, and on Close. Memory is bounded: when the sink
// cannot keep up and MaxPending bytes wait, records are dropped and
// counted, never blocking a request and never lost silently (Stats, and a
// warning at most once a minute).
package accesslog
