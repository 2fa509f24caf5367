// Package probe sends HTTP and HTTPS health probes to backends and keeps
// their health state, as Azure Application Gateway's health probes do.
//
// The package knows nothing of certificates: trust arrives as the
// [http.RoundTripper] of each [Target]. The gateway builds it from the same
// backend TLS configuration as its proxy, so probes and traffic verify a
// backend with one verifier, but not through one connection pool: the probe
// transport has keep-alives off, so every probe handshakes afresh and
// verifies the backend again.
//
// # Spec: what to send, what is healthy
//
// A [Spec] is set by struct literal, and every zero field takes Azure's
// default, so Spec{} is the default probe: GET https://<member>/ every 30 s,
// a 30 s timeout, out of rotation after 3 failures, status 200-399 healthy.
// [Default] returns the same values spelt out. A custom probe sets what it
// needs:
//
//	spec := probe.Spec{
//		Host:        "api.contoso.com",
//		Path:        "/healthz",
//		Interval:    10 * time.Second,
//		StatusCodes: []probe.StatusRange{{Min: 200, Max: 204}},
//		Body:        "ready",
//	}
//	if err := spec.Validate(); err != nil { ... } // every problem, each naming its field
//
// [ParseStatusRanges] reads status codes as Azure writes them ("200-399",
// "404").
//
// # Check: one probe
//
// [Check] sends one probe and returns a [Result]; it never logs and never
// returns an error of its own. The Result says whether the target is healthy,
// classifies a failure by [Kind] (timeout, DNS, connect, TLS, status, body),
// keeps the error (an [*Error] that unwraps to the transport's), and gives a
// one-line [Result.Message] for backend-health reports:
//
//	r := probe.Check(ctx, probe.Target{Name: "web/10.0.0.4", Address: "10.0.0.4:443", Host: "www.contoso.com", Transport: tr}, spec)
//	if !r.Healthy {
//		logger.Warn("probe failed", "target", r.Target, "kind", r.Kind, "reason", r.Message())
//	}
//
// A failed certificate verification is [KindTLS], and its message is the
// verification error's own: an error with a TLSReason() string method (the
// gateway's typed verification errors) or crypto/tls's and crypto/x509's.
//
// Every probe announces itself with the User-Agent [UserAgent] returns,
// "e2etls-probe/" and the module's version, so that a backend can tell
// probes from traffic. The Host header comes from Spec.Host, else
// Target.Host, else the dial address. The TLS server name (SNI) is not the probe's business but the
// transport's, whose TLSClientConfig.ServerName the gateway sets to the
// identity it expects; crypto/tls never sends an IP address as SNI.
//
// # Health: in or out of rotation
//
// A [Health] holds one target's state. [Health.Healthy], on the request path,
// is one atomic load. A target starts in rotation, in [StateUnknown]; it
// leaves rotation after Spec.UnhealthyThreshold consecutive failed probes
// ([Health.Record]) or at once when the data path reports a failure
// ([Health.MarkUnhealthy], for instance a backend that failed verification),
// and one successful probe brings it back ([Health.Reinstate] brings back a
// target that no probe checks). [Health.Snapshot] gives the state,
// the reason of the last failure, the number of failures in a row, and the
// certificate the backend presented.
//
// # Monitor: probes on a schedule
//
// A [Monitor] probes a fixed set of entries, each every Spec.Interval, until
// [Monitor.Close]:
//
//	m := probe.NewMonitor(entries) // each with a Target, a Spec and a Health
//	m.CheckAll(ctx)                // one round now, before serving
//	m.Start()                      // then on schedule
//	defer m.Close()                // cancels probes in flight and waits
//
// Start spreads the first probes evenly over the interval, so that many
// targets are not probed at the same instant; a probe slower than the
// interval delays its target's next probe rather than overlapping it; at most
// [MaxInFlight] probes run at once.
package probe
