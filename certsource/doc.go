// Package certsource provides certificates, CA bundles and CRLs that
// change while a gateway runs, and tells it when they do.
//
// # Sources
//
// A [Source] has one method, Current, which returns the value and a channel
// closed when a newer value replaces it. The value and its channel come
// together, so a change cannot slip between reading one and waiting on the
// other. [Static] wraps a fixed value. To plug in Vault, Azure Key Vault or
// any other store, implement Source: keep the value and a channel under a
// mutex, and on a new value swap both and close the old channel.
//
// # Files
//
// [WatchKeyPair] (a listener's or a client's certificate and key),
// [WatchCertificates] (a CA bundle: trusted roots, authentication
// certificates, one of Azure's trusted client CA chains) and [WatchCRLs]
// read PEM or DER files and return a [Watcher]; [Watch] does the same with
// a parse function of the caller's. Guarantees:
//
//   - Polling, every Options.Interval (5 s by default), of each file's stat
//     (followed through symbolic links) and, when the stat changed or is
//     too recent to trust, the SHA-256 of its contents: no dependency, and
//     it survives Kubernetes' updates of mounted Secrets and ConfigMaps
//     (the ..data link swapped to a new directory), rename-over writes and
//     in-place rewrites alike. A rewrite that keeps the size and forges an
//     old modification time on an in-place write is not seen until the
//     next change; no writer does that.
//   - Atomic: the files of a value are read and parsed together, and the
//     value is replaced only if every file parses (a certificate and its
//     key must also match); readers see the old value or the new, never a
//     mix.
//   - Bad files are kept out and reported once: a version that fails is
//     read again at the next poll (a writer that writes the certificate,
//     then the key, has one interval to finish) and, if still the same and
//     still bad, reported to Options.OnError and counted in
//     [Watcher.Stats]; the previous value stays in force.
//   - Clean stop: [Watcher.Close] stops the polling goroutine and waits for
//     it (tests check that no goroutine is left). With a negative Interval
//     there is no goroutine; [Watcher.Poll] checks on demand (on SIGHUP).
//
// Parsing is not validation: a CA bundle that parses may still be refused
// by the configuration that uses it (a CRL of an untrusted CA, an expired
// root). The gateway validates when it rebuilds.
//
// # Reloading a gateway
//
// Give a source to the gateway's configuration (gateway.SSLCertificate's
// Source, and the like), and it takes every new version itself. A source
// that also implements [Reporter] (a Watcher does) tells the gateway about
// the versions it kept out, which the gateway logs and counts with those
// its validation refuses. The gateway runs one loop per configuration (a
// goroutine it owns and stops on Update and Shutdown), which the tests of
// this package run with a CRL file:
//
//	for {
//		cert, certChanged := certs.Current()
//		crls, crlsChanged := crlFiles.Current()
//		cfg, err := build(cert, crls) // the same validation as New and Update
//		if err != nil {
//			// Keep the running configuration; log err and count it in
//			// the reload metric.
//		} else {
//			swap(cfg) // atomically, as Update does; drain connections
//			          // verified under the old trust
//		}
//		if certsource.WaitAny(ctx, certChanged, crlsChanged) != nil {
//			return
//		}
//	}
package certsource
