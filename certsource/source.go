package certsource

import (
	"context"
	"reflect"
)

// Source provides a value that may change while the gateway runs: a
// listener's certificate and key, a CA bundle, CRLs. Implement it to feed
// certificates from anywhere (Vault, Key Vault, an API); [Watch] and its
// relatives implement it for files. Implementations must be safe for
// concurrent use.
type Source[T any] interface {
	// Current returns the current value and a channel that is closed once
	// a newer value has replaced it: the caller uses the value, waits on
	// the channel, then calls Current again. A value and its channel come
	// together, so no change can slip between reading one and waiting on
	// the other. A source that never changes returns a nil channel, on
	// which a wait blocks forever. The value must be treated as immutable:
	// the source hands the same one to every caller.
	Current() (T, <-chan struct{})
}

// Reporter is implemented by sources that keep bad versions out
// themselves, as a [Watcher] keeps out files that do not parse, so that
// whoever uses the source (the gateway) can log and count them: the
// source's Current stays the last good value and its channel stays open,
// so without Reporter a bad version would go unnoticed.
type Reporter interface {
	// Failures returns how many bad versions the source has kept out, a
	// channel closed when it keeps out another, and the error of the last
	// one (nil if none). Like Current's, the three come together.
	Failures() (n uint64, next <-chan struct{}, last error)
}

// Static returns a Source whose value never changes.
func Static[T any](v T) Source[T] { return static[T]{v} }

type static[T any] struct{ v T }

func (s static[T]) Current() (T, <-chan struct{}) { return s.v, nil }

// WaitAny blocks until one of chans is closed (it returns nil) or ctx ends
// (it returns ctx.Err()). Nil channels are ignored. A gateway that builds
// its configuration from several sources reads each one's Current, builds,
// then waits on all their channels at once with WaitAny.
func WaitAny(ctx context.Context, chans ...<-chan struct{}) error {
	cases := make([]reflect.SelectCase, 0, len(chans)+1)
	cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(ctx.Done())})
	for _, c := range chans {
		if c != nil {
			cases = append(cases, reflect.SelectCase{Dir: reflect.SelectRecv, Chan: reflect.ValueOf(c)})
		}
	}
	if i, _, _ := reflect.Select(cases); i == 0 {
		return ctx.Err()
	}
	return nil
}
