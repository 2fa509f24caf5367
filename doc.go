// Package e2etls is a library for end-to-end TLS application gateways.
//
// A gateway built with e2etls terminates client TLS, routes each request by
// host name and URL path, and re-encrypts it to an HTTPS backend whose
// identity it verifies strictly: pinned certificates or public keys, trusted
// root CAs per backend setting or the well-known CAs, SNI and host-name
// checks. HTTPS health probes use exactly the same trust logic as live
// traffic, and one TLS policy governs both the client side and the backend
// side. The behaviour model is Azure Application Gateway's end-to-end TLS.
//
// This package holds documentation only. The work is done by its
// subpackages, each with one job:
//
//   - [github.com/e2etls/e2etls/policy]: TLS policies (Azure's predefined
//     AppGwSslPolicy* and custom ones), applied to listeners and backends alike.
//   - [github.com/e2etls/e2etls/backendtls]: backend trust. A Config becomes a
//     *tls.Config whose VerifyConnection checks the backend's chain, identity,
//     pins and key strength; failures carry a typed Reason; Check dry-runs a
//     backend before you deploy.
//   - [github.com/e2etls/e2etls/backendtls/tlstest]: an in-memory test PKI and
//     TLS backends on loopback, for tests.
//   - [github.com/e2etls/e2etls/routing]: listeners' host matching, rules,
//     priorities and URL path maps, compiled into a lookup table. No I/O.
//   - [github.com/e2etls/e2etls/probe]: HTTPS health probes and health state.
//   - [github.com/e2etls/e2etls/rewrite]: Azure's rewrite rule sets (header and
//     URL rewrites on conditions over server variables), compiled once. No I/O.
//   - [github.com/e2etls/e2etls/clientauth]: client certificates at the
//     front door (mutual TLS): Azure's SSL profile client authentication,
//     verdicts with typed reasons, the client_certificate server variables
//     and Envoy's X-Forwarded-Client-Cert.
//   - [github.com/e2etls/e2etls/revocation]: CRLs and an OCSP client with a
//     cache, for client certificates.
//   - [github.com/e2etls/e2etls/certsource]: certificates, CA bundles and
//     CRLs that change while the gateway runs (files watched; Vault or Key
//     Vault plug in).
//   - [github.com/e2etls/e2etls/gateway]: the gateway's public face:
//     configuration and its validation, New, Serve, Update, Shutdown, Handler,
//     backend health and the dry run.
//   - [github.com/e2etls/e2etls/gateway/azurejson]: the JSON configuration
//     format, with Azure Application Gateway's ARM property names.
//   - [github.com/e2etls/e2etls/gateway/gatewaytest]: an in-process gateway for
//     users' tests, like net/http/httptest.
//
// A gateway that trusts only backends presenting a certificate for
// orders.internal that chains to the corporate root:
//
//	gw, err := gateway.New(gateway.Config{
//		SSLCertificates:         []gateway.SSLCertificate{{Name: "front", Certificate: frontCert}},
//		TrustedRootCertificates: []gateway.NamedCertificate{{Name: "corp", Certificate: corpRoot}},
//		Listeners: []gateway.Listener{{Name: "https", Protocol: gateway.HTTPS, Port: 443, SSLCertificate: "front"}},
//		Pools:     []gateway.Pool{{Name: "orders", Members: []gateway.Member{{Address: "10.0.0.4"}}}},
//		BackendHTTPSettings: []gateway.BackendHTTPSetting{{Name: "orders-tls", Protocol: gateway.HTTPS,
//			Port: 8443, HostName: "orders.internal", TrustedRootCertificates: []string{"corp"}}},
//		Rules: []gateway.Rule{{Name: "all", Listener: "https", Pool: "orders", BackendHTTPSetting: "orders-tls"}},
//	})
//	if err != nil {
//		log.Fatal(err) // every problem at once, each with its path
//	}
//	log.Fatal(gw.ListenAndServe())
//
// Run go run ./examples/quickstart for a tour that needs no files.
//
// Behind gateway, under internal/ (not importable from outside), each layer
// has one job and none imports gateway:
//
//	internal/dataplane   the snapshot a configuration compiles into: routing each
//	                     request, member selection and affinity, proxying, the
//	                     access log and error responses, member health, the
//	                     listeners' TLS and SSL profiles
//	internal/upstream    members and endpoints, the one dialer and backend-TLS
//	                     builder of data path, probes and dry run, the HTTP/1.1
//	                     client and response parser, the HTTP/2 transport
//	internal/frontend    binding, accept loops, TLS handshakes, ALPN dispatch
//	internal/h1, h2      the gateway's own HTTP/1.x and HTTP/2 servers
//	internal/httpwire    limits, refusals, response rules and helpers they share
//	internal/reload      certificate sources watched, and the configuration
//	                     rebuilt with each new version
//	internal/errorpage   custom error pages: checked, loaded, served from memory
//	internal/accesslog, logswap, healthpage
//	                     the access log writer, the logger Update can swap, the
//	                     backend health page
//
// Imports point one way only:
//
//	gateway -> internal/dataplane -> internal/upstream -> backendtls -> policy
//	        -> internal/frontend  -> internal/h1, internal/h2 -> internal/httpwire
//	        -> routing, probe, rewrite
//
// Nothing points back up.
package e2etls
