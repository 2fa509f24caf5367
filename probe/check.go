package probe

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Target is one backend to probe.
type Target struct {
	// Name identifies the target in Results and Snapshots, for instance
	// "pool/setting/10.0.0.4:443". It may be empty.
	Name string

	// Address is the host:port to dial, an IP address or a host name. A
	// non-zero Spec.Port replaces its port. Required.
	Address string

	// Host is the Host header when Spec.Host is empty. If both are empty,
	// the host of Address.
	Host string

	// Transport sends the probe. Required. It carries the trust and the TLS
	// server name (SNI): the gateway builds it from the same backend TLS
	// configuration as the data path, so that probes verify backends exactly
	// as traffic does, but with keep-alives off, so that every probe
	// handshakes afresh and verifies again. Check never follows redirects.
	//
	// The server name is the transport's business: an http.Transport sends
	// the URL's host unless its TLSClientConfig.ServerName is set, and
	// crypto/tls never sends an IP address as SNI (it verifies the
	// certificate's IP SANs instead). A gateway probing an IP member for a
	// named site therefore sets ServerName; Spec.Host and Target.Host set
	// only the Host header.
	Transport http.RoundTripper
}

// bodyBuffers holds MaxBodyBytes buffers for body matching, so that probes
// with Spec.Body do not allocate one each.
var bodyBuffers = sync.Pool{New: func() any { return new([MaxBodyBytes]byte) }}

// Check sends one probe: GET scheme://Address/Path (with Spec.Port, if set)
// through t.Transport, with Host set as Spec and Target say and the
// User-Agent of [UserAgent], within Spec.Timeout. The probe is healthy when the status code is one of
// Spec.StatusCodes and, if Spec.Body is set, the first MaxBodyBytes of the
// body contain it. The body is read only then, and closed in every case; the
// request asks the backend to close the connection.
//
// Check never logs and never returns an error: everything is in the Result.
// An invalid Spec or Target gives an unhealthy Result of KindOther whose Err
// says what is wrong. If ctx ends before the probe does, the Result is
// KindOther too, since the backend is not at fault.
func Check(ctx context.Context, t Target, s Spec) Result {
	start := time.Now()
	r := Result{Target: t.Name, Time: start}
	fail := func(err error) Result {
		r.Kind = classify(err)
		r.Err = err
		r.Latency = time.Since(start)
		return r
	}
	if err := s.Validate(); err != nil {
		return fail(err)
	}
	s = s.withDefaults()
	addr, err := dialAddress(t, s)
	if err != nil {
		return fail(err)
	}
	if t.Transport == nil {
		return fail(fmt.Errorf("probe: target %q has no Transport", t.Name))
	}
	host := s.Host
	if host == "" {
		host = t.Host
	}
	probeErr := func(kind Kind, cause error) *Error {
		return &Error{Kind: kind, Address: addr, Timeout: s.Timeout, Err: cause}
	}

	pctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(pctx, http.MethodGet, s.Scheme+"://"+addr+s.Path, nil)
	if err != nil {
		return fail(fmt.Errorf("probe: target %q: %w", t.Name, err))
	}
	if host != "" {
		req.Host = host
	}
	req.Header.Set("User-Agent", UserAgent())
	req.Close = true

	// cause attributes a failure: to the caller when ctx ended first, to the
	// probe's timeout when it expired, else to what the transport said.
	cause := func(err error) *Error {
		switch {
		case ctx.Err() != nil:
			return probeErr(KindOther, ctx.Err())
		case pctx.Err() != nil && classify(err) != KindTLS:
			return probeErr(KindTimeout, err)
		}
		return probeErr(classify(err), err)
	}

	resp, err := t.Transport.RoundTrip(req)
	if err != nil {
		return fail(cause(err))
	}
	defer resp.Body.Close()
	// A probe is judged before its deadline. A response or a body end that
	// comes with the deadline is a timeout: a transport can deliver them
	// while it cancels (closing a TLS connection sends close_notify, which
	// can end a handler that waits for the client to go away).
	if pctx.Err() != nil {
		return fail(cause(pctx.Err()))
	}
	r.StatusCode = resp.StatusCode
	r.TLS = resp.TLS
	if !s.statusOK(resp.StatusCode) {
		e := probeErr(KindStatus, nil)
		e.StatusCode = resp.StatusCode
		e.Expected = s.expected()
		return fail(e)
	}
	if s.Body != "" {
		found, err := bodyContains(resp.Body, s.Body)
		if err != nil {
			e := cause(err)
			if e.Kind == KindOther && ctx.Err() == nil {
				e.Err = fmt.Errorf("reading the response body: %w", err)
			}
			return fail(e)
		}
		if pctx.Err() != nil {
			return fail(cause(pctx.Err()))
		}
		if !found {
			e := probeErr(KindBody, nil)
			e.Body = s.Body
			return fail(e)
		}
	}
	r.Healthy = true
	r.Kind = KindOK
	r.Latency = time.Since(start)
	return r
}

// dialAddress returns the host:port to dial for t under s.
func dialAddress(t Target, s Spec) (string, error) {
	host, port, err := net.SplitHostPort(t.Address)
	if err != nil {
		return "", fmt.Errorf("probe: target %q: Address %q is not host:port: %w", t.Name, t.Address, err)
	}
	if host == "" {
		return "", fmt.Errorf("probe: target %q: Address %q has no host", t.Name, t.Address)
	}
	if s.Port != 0 {
		return net.JoinHostPort(host, strconv.Itoa(s.Port)), nil
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("probe: target %q: Address %q has no port 1..65535", t.Name, t.Address)
	}
	return t.Address, nil
}

// bodyContains reports whether the first MaxBodyBytes of body contain want.
func bodyContains(body io.Reader, want string) (bool, error) {
	buf := bodyBuffers.Get().(*[MaxBodyBytes]byte)
	defer bodyBuffers.Put(buf)
	n := 0
	for n < len(buf) {
		m, err := body.Read(buf[n:])
		n += m
		if err == io.EOF {
			break
		}
		if err != nil { // io.ErrUnexpectedEOF too: a body cut short
			return false, err
		}
	}
	return bytes.Contains(buf[:n], []byte(want)), nil
}
