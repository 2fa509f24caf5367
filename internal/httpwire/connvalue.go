package httpwire

import "context"

// connValueKey is the context key of a connection's value.
type connValueKey struct{}

// WithConnValue returns a copy of ctx that carries v, the value the
// frontend attached to a connection after its TLS handshake (the verdict
// on its client certificate): the servers derive every request's context
// on the connection from it, so each request carries v.
func WithConnValue(ctx context.Context, v any) context.Context {
	return context.WithValue(ctx, connValueKey{}, v)
}

// ConnValue returns the value attached to the connection a request's
// context belongs to, nil if none.
func ConnValue(ctx context.Context) any { return ctx.Value(connValueKey{}) }
