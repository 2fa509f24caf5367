package upstream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/e2etls/e2etls/backendtls"
)

var (
	// ErrRequestTimeout marks an attempt that the setting's request
	// timeout ended before the response head arrived.
	ErrRequestTimeout = errors.New("gateway: backend did not answer within the request timeout")
	// ErrDrained marks an exchange cut because its member was removed from
	// its pool and the member's drain time is over.
	ErrDrained = errors.New("gateway: member removed from its pool and its drain time is over")
)

// DialError is a failure to reach or verify a backend: nothing of the
// request was sent, so another member may be tried.
type DialError struct {
	// Member is the member's address and port.
	Member string
	// FromClient is set when the endpoint's SNI was a client's Host: its
	// failure says nothing about the member as other clients reach it.
	FromClient bool
	Err        error
}

func (e *DialError) Error() string { return e.Err.Error() }
func (e *DialError) Unwrap() error { return e.Err }

// ClassifyAlert turns a TLS alert that a backend sent after the gateway's
// side of the handshake had completed into the handshake failure it is: at
// TLS 1.3 a backend verifies the client certificate (or its absence) after
// the client has finished, so its refusal arrives as an alert on the first
// read. The data path and the probes classify alike, so both report the
// same reason.
func ClassifyAlert(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" {
		if _, ok := backendtls.ReasonOf(err); !ok {
			return backendtls.ClassifyHandshakeError(err)
		}
	}
	return err
}

// Message is err's message without net/http's url.Error wrapper.
func Message(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// timeoutCause marks err, a dial's, as a request timeout when ctx's
// deadline is what ended the dial.
func timeoutCause(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), ErrRequestTimeout) {
		return fmt.Errorf("%w (%w)", ErrRequestTimeout, err)
	}
	return err
}
