package revocation

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/ocsp"
)

// OCSPConfig configures an [OCSPClient]. Every field is optional.
type OCSPConfig struct {
	// ResponderURL is the OCSP responder to ask, an http or https URL,
	// overriding those that certificates name. If empty, the first http or
	// https URL in the certificate's authority information access
	// extension is asked, as Azure Application Gateway does.
	ResponderURL string

	// Timeout bounds one query: connecting, sending and reading the
	// response. Zero means 5 seconds.
	Timeout time.Duration

	// HTTPClient sends the queries. Its own Timeout, if shorter, also
	// applies. If nil, a client of the package's own is used, with a copy
	// of http.DefaultTransport (which honours the proxy environment
	// variables) that keeps no idle connection.
	HTTPClient *http.Client

	// Cache holds responses until their next update. Share one cache
	// between successive OCSPClients (one per configuration) so that a
	// configuration change does not empty it. If nil, the client makes a
	// cache of its own (NewOCSPCache(0)).
	Cache *OCSPCache

	// DefaultTTL is how long a response without a next update is cached.
	// Zero means 5 minutes.
	DefaultTTL time.Duration

	// FailureTTL is how long a failed query (the responder unreachable, or
	// its answer unusable) is remembered before the responder is asked
	// again, so that a burst of handshakes does not become a burst of
	// queries. Zero means 10 seconds.
	FailureTTL time.Duration

	// Time returns the current time. If nil, time.Now is used.
	Time func() time.Time
}

// Defaults of OCSPConfig.
const (
	defaultOCSPTimeout = 5 * time.Second
	defaultTTL         = 5 * time.Minute
	defaultFailureTTL  = 10 * time.Second
	// clockSkew is how far in the future a response's thisUpdate may lie.
	clockSkew = 5 * time.Minute
	// maxResponse bounds the size of a response read.
	maxResponse = 64 << 10
)

// OCSPClient checks certificates with their issuers' OCSP responders (RFC
// 6960), caching each answer until its next update. It is safe for
// concurrent use; concurrent checks of one certificate share one query.
type OCSPClient struct {
	responder  *url.URL
	timeout    time.Duration
	client     *http.Client
	cache      *OCSPCache
	ttl        time.Duration
	failureTTL time.Duration
	now        func() time.Time
}

// NewOCSPClient validates cfg (a ResponderURL must be an absolute http or
// https URL; durations must not be negative) and returns a client.
func NewOCSPClient(cfg OCSPConfig) (*OCSPClient, error) {
	c := &OCSPClient{
		timeout: cfg.Timeout, client: cfg.HTTPClient, cache: cfg.Cache,
		ttl: cfg.DefaultTTL, failureTTL: cfg.FailureTTL, now: cfg.Time,
	}
	var errs []error
	if cfg.ResponderURL != "" {
		u, err := responderURL(cfg.ResponderURL)
		if err != nil {
			errs = append(errs, fmt.Errorf("revocation: ResponderURL: %w", err))
		}
		c.responder = u
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Timeout", cfg.Timeout}, {"DefaultTTL", cfg.DefaultTTL}, {"FailureTTL", cfg.FailureTTL}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("revocation: %s is negative (%v)", d.name, d.v))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if c.timeout == 0 {
		c.timeout = defaultOCSPTimeout
	}
	if c.client == nil {
		// Queries are rare (answers are cached): no idle connection, and so
		// no goroutine, outlives a query.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DisableKeepAlives = true
		c.client = &http.Client{Transport: tr}
	}
	if c.cache == nil {
		c.cache = NewOCSPCache(0)
	}
	if c.ttl == 0 {
		c.ttl = defaultTTL
	}
	if c.failureTTL == 0 {
		c.failureTTL = defaultFailureTTL
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

func responderURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("%q is not an absolute http or https URL", s)
	}
	return u, nil
}

// Cache returns the client's cache.
func (c *OCSPClient) Cache() *OCSPCache { return c.cache }

// Check returns the status of cert, issued by issuer, from the cache or
// from the responder. It waits at most the configured Timeout for a
// query, and returns early, with Unknown, if ctx ends first (the query
// then goes on, within its Timeout, for the callers that share it).
// Results of the responder are cached until their next update (DefaultTTL
// without one), failures for FailureTTL.
//
// The response must be signed by issuer, or by a delegated responder
// certificate that issuer signed and that carries the OCSPSigning extended
// key usage and is valid now; its thisUpdate must not lie in the future
// (beyond five minutes of clock skew) nor its nextUpdate in the past.
// Anything else is Unknown, with an error that says why.
func (c *OCSPClient) Check(ctx context.Context, cert, issuer *x509.Certificate) Result {
	if cert == nil || issuer == nil {
		return Result{Method: MethodOCSP, Status: Unknown, Err: errors.New("revocation: OCSP check without a certificate and its issuer")}
	}
	key := cacheKeyOf(cert, issuer)
	if r, ok := c.cache.get(key, c.now()); ok {
		return r
	}
	f, leader := c.cache.join(key)
	if leader {
		// The query belongs to every caller that joins it, not to this
		// one: it does not end with ctx, only with its own timeout.
		qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.timeout)
		go func() {
			defer cancel()
			r := c.query(qctx, cert, issuer)
			c.cache.finish(key, f, r, c.now())
		}()
	}
	select {
	case <-f.done:
		return f.res
	case <-ctx.Done():
		return Result{Method: MethodOCSP, Status: Unknown, Err: fmt.Errorf("revocation: waiting for the OCSP responder: %w", ctx.Err())}
	}
}

// query asks the responder and returns the result with its Until set.
func (c *OCSPClient) query(ctx context.Context, cert, issuer *x509.Certificate) Result {
	r := c.ask(ctx, cert, issuer)
	now := c.now()
	switch {
	case r.Err != nil:
		r.Until = now.Add(c.failureTTL)
	case r.Until.IsZero():
		r.Until = now.Add(c.ttl)
	}
	return r
}

func (c *OCSPClient) ask(ctx context.Context, cert, issuer *x509.Certificate) Result {
	r := Result{Method: MethodOCSP, Status: Unknown}
	fail := func(format string, args ...any) Result {
		r.Err = fmt.Errorf("revocation: "+format, args...)
		return r
	}
	u := c.responder
	if u == nil {
		for _, s := range cert.OCSPServer {
			if parsed, err := responderURL(s); err == nil {
				u = parsed
				break
			}
		}
		if u == nil {
			return fail("certificate %q names no http OCSP responder (authority information access) and none is configured", cert.Subject.String())
		}
	}
	der, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		return fail("making the OCSP request for %q: %w", cert.Subject.String(), err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(der))
	if err != nil {
		return fail("OCSP responder %s: %w", u, err)
	}
	req.Header.Set("Content-Type", "application/ocsp-request")
	req.Header.Set("Accept", "application/ocsp-response")
	resp, err := c.client.Do(req)
	if err != nil {
		return fail("OCSP responder %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	switch {
	case err != nil:
		return fail("OCSP responder %s: reading the response: %w", u, err)
	case resp.StatusCode != http.StatusOK:
		return fail("OCSP responder %s answered %s", u, resp.Status)
	case len(body) > maxResponse:
		return fail("OCSP responder %s sent a response over %d bytes", u, maxResponse)
	}
	parsed, err := parseResponse(body, cert, issuer, c.now())
	if err != nil {
		return fail("OCSP responder %s: %w", u, err)
	}
	if !parsed.NextUpdate.IsZero() {
		r.Until = parsed.NextUpdate
	}
	switch parsed.Status {
	case ocsp.Good:
		r.Status = Good
	case ocsp.Revoked:
		r.Status, r.RevokedAt, r.ReasonCode = Revoked, parsed.RevokedAt, parsed.RevocationReason
	default:
		r.Err = fmt.Errorf("revocation: OCSP responder %s does not know the certificate %q (status unknown)", u, cert.Subject.String())
	}
	return r
}

// parseResponse parses and verifies an OCSP response about cert.
func parseResponse(der []byte, cert, issuer *x509.Certificate, now time.Time) (*ocsp.Response, error) {
	resp, err := ocsp.ParseResponseForCert(der, cert, issuer)
	if err != nil {
		// x/crypto/ocsp checks an embedded signer certificate against the
		// issuer; a CA that signs its responses itself and embeds its own
		// certificate fails that check unless it is self-signed. Accept
		// exactly that case: the embedded certificate is the issuer and
		// the issuer's key signed the response.
		var rerr ocsp.ResponseError
		if errors.As(err, &rerr) {
			return nil, fmt.Errorf("the responder refused the query: %s", rerr.Status)
		}
		again, err2 := ocsp.ParseResponseForCert(der, cert, nil)
		if err2 != nil || again.Certificate == nil || !again.Certificate.Equal(issuer) || again.CheckSignatureFrom(issuer) != nil {
			return nil, fmt.Errorf("invalid response: %w", err)
		}
		resp = again
	}
	if s := resp.Certificate; s != nil && !s.Equal(issuer) {
		// A delegated responder (RFC 6960 section 4.2.2.2), which
		// x/crypto/ocsp has checked the issuer signed.
		delegated := false
		for _, u := range s.ExtKeyUsage {
			if u == x509.ExtKeyUsageOCSPSigning {
				delegated = true
			}
		}
		if !delegated {
			return nil, fmt.Errorf("the response is signed by %q, which lacks the OCSPSigning extended key usage", s.Subject.String())
		}
		if now.Before(s.NotBefore) || now.After(s.NotAfter) {
			return nil, fmt.Errorf("the response is signed by %q, which is valid only from %s to %s", s.Subject.String(),
				s.NotBefore.UTC().Format(time.RFC3339), s.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	if resp.ThisUpdate.After(now.Add(clockSkew)) {
		return nil, fmt.Errorf("the response's thisUpdate, %s, is in the future", resp.ThisUpdate.UTC().Format(time.RFC3339))
	}
	if !resp.NextUpdate.IsZero() && now.After(resp.NextUpdate) {
		return nil, fmt.Errorf("the response is stale: its nextUpdate, %s, has passed", resp.NextUpdate.UTC().Format(time.RFC3339))
	}
	return resp, nil
}

// OCSPCache caches OCSP results by certificate (issuer key and serial
// number) and joins concurrent queries for one certificate. It is safe for
// concurrent use. Share one between OCSPClients with [OCSPConfig].Cache.
type OCSPCache struct {
	max int

	mu       sync.Mutex
	entries  map[cacheKey]Result
	inflight map[cacheKey]*flight

	hits, queries, failures atomic.Uint64
}

type cacheKey [sha256.Size]byte

func cacheKeyOf(cert, issuer *x509.Certificate) cacheKey {
	h := sha256.New()
	h.Write(issuer.RawSubjectPublicKeyInfo)
	h.Write([]byte{0})
	h.Write(cert.SerialNumber.Bytes())
	var k cacheKey
	h.Sum(k[:0])
	return k
}

type flight struct {
	done chan struct{}
	res  Result
}

// defaultCacheSize is NewOCSPCache's size for 0.
const defaultCacheSize = 10000

// NewOCSPCache returns a cache of at most size certificates' results (0
// means 10000). When it is full, expired results are dropped, and if
// none has expired, every result.
func NewOCSPCache(size int) *OCSPCache {
	if size <= 0 {
		size = defaultCacheSize
	}
	return &OCSPCache{max: size, entries: map[cacheKey]Result{}, inflight: map[cacheKey]*flight{}}
}

// OCSPStats counts what a cache did.
type OCSPStats struct {
	// Hits counts checks answered from the cache.
	Hits uint64
	// Queries counts queries sent to responders.
	Queries uint64
	// Failures counts queries that produced no usable answer.
	Failures uint64
	// Entries is the number of results cached now.
	Entries int
}

// Stats returns the cache's counters.
func (c *OCSPCache) Stats() OCSPStats {
	c.mu.Lock()
	n := len(c.entries)
	c.mu.Unlock()
	return OCSPStats{Hits: c.hits.Load(), Queries: c.queries.Load(), Failures: c.failures.Load(), Entries: n}
}

func (c *OCSPCache) get(k cacheKey, now time.Time) (Result, bool) {
	c.mu.Lock()
	r, ok := c.entries[k]
	c.mu.Unlock()
	if !ok || !now.Before(r.Until) {
		return Result{}, false
	}
	c.hits.Add(1)
	return r, true
}

// join returns the flight for k, starting one (leader true) if none runs.
func (c *OCSPCache) join(k cacheKey) (*flight, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f, ok := c.inflight[k]; ok {
		return f, false
	}
	f := &flight{done: make(chan struct{})}
	c.inflight[k] = f
	c.queries.Add(1)
	return f, true
}

func (c *OCSPCache) finish(k cacheKey, f *flight, r Result, now time.Time) {
	if r.Err != nil {
		c.failures.Add(1)
	}
	c.mu.Lock()
	delete(c.inflight, k)
	if len(c.entries) >= c.max {
		for key, e := range c.entries {
			if !now.Before(e.Until) {
				delete(c.entries, key)
			}
		}
		if len(c.entries) >= c.max {
			clear(c.entries)
		}
	}
	c.entries[k] = r
	c.mu.Unlock()
	f.res = r
	close(f.done)
}
