// Package azurejson loads a [gateway.Config] from a JSON file written with
// the property names of Azure Application Gateway's ARM templates, so that a
// configuration reads the same as the Azure one it models.
//
//	cfg, err := azurejson.Load("/etc/e2etls/gateway.json")
//	if err != nil {
//		log.Fatal(err) // every problem of the file, one per line
//	}
//	cfg.Logger = logger // what a file cannot hold: Logger, Resolver, DialContext
//	g, err := gateway.New(cfg)
//
// [Load] reads a file and [Parse] converts bytes. Both report every problem
// of the file at once, in file order, each as an [*Error] with its place:
//
//	azurejson: line 3, column 18: invalid character '}' looking for beginning of object key string
//	azurejson: httpListeners[0] ("web"): unknown field "hostname" (did you mean "hostName"?)
//	azurejson: backendHttpSettings[1] ("api"): requestTimeout: -3 is not a positive number of seconds
//	azurejson: sslCertificates[0] ("web"): certFile "certs/web.pem": open /etc/e2etls/certs/web.pem: no such file or directory
//
// The loader checks the file: its syntax, field names, types, enumerated
// values, fields that exclude or need each other, and the certificate files
// it names. Whether the configuration makes sense as a whole (names that
// reference nothing, port ranges, a listener used by two rules, trust that
// verifies no identity) is checked by [gateway.New], which likewise reports
// every problem at once.
//
// # Conventions
//
// The format is Azure's ARM property names, flattened:
//
//   - Objects are flat. ARM's "properties" wrapper, "id", "etag" and "type"
//     are not used; listeners carry their own address and port instead of
//     referencing frontendIPConfigurations and frontendPorts; the backend
//     settings are called "backendHttpSettings" (ARM:
//     "backendHttpSettingsCollection").
//   - Objects reference each other by name, a string, where ARM has
//     {"id": "..."}.
//   - Field names are matched exactly, in ARM's camelCase. An unknown field
//     is an error that names the field, the object it is in and, for a near
//     miss, the field probably meant. A field given twice is an error.
//   - null means the same as leaving the field out.
//   - Enumerated values ("Http", "Enabled", "PathBasedRouting", ...) are
//     matched without regard to case.
//   - Durations are whole numbers of seconds, greater than zero; leave the
//     field out for the default. Integers may be written in exponent form
//     (1e3) but must be whole.
//   - File names are relative to the directory of the configuration file
//     ([Load]) or to the baseDir given to [Parse], unless absolute. A file
//     may be at most 1 MiB.
//
// The defaults named below are those of [gateway.Config], which the loader
// leaves at their zero values when a field is absent.
//
// # Top level
//
// The file is one object with these fields, all optional:
//
//   - sslPolicy (object, see "TLS policies"): the TLS policy of every
//     listener and backend connection that does not override it. Default
//     AppGwSslPolicy20220101.
//   - sslCertificates, trustedRootCertificates, authenticationCertificates
//     (arrays): see "Certificates".
//   - httpListeners, backendAddressPools, backendHttpSettings, probes,
//     requestRoutingRules, urlPathMaps, redirectConfigurations (arrays of
//     objects): see the sections below.
//   - affinityKey (string, base64; extension): the key of the affinity
//     cookie hash ([gateway.Config.AffinityKey]), shared by replicas so that
//     sessions stick across them. Default: a random key per process.
//   - readHeaderTimeout (seconds; extension): how long a client may take to
//     send a request head. Default 10.
//   - idleTimeout (seconds; extension): how long an idle client keep-alive
//     connection stays open. Default 75.
//
// # TLS policies
//
// An sslPolicy object appears at the top level, in a listener and in a
// backend setting (where it overrides the top level's):
//
//   - policyType (string): "Predefined", or "Custom" (also "CustomV2",
//     the same here: custom policies may allow TLS 1.3). May be left out:
//     then policyName alone means Predefined, and minProtocolVersion or
//     cipherSuites mean Custom.
//   - policyName (string): for Predefined, one of AppGwSslPolicy20150501,
//     AppGwSslPolicy20170401, AppGwSslPolicy20170401S,
//     AppGwSslPolicy20220101 and AppGwSslPolicy20220101S (see
//     [policy.Predefined]). Not allowed with Custom.
//   - minProtocolVersion (string): for Custom, required: "TLSv1_0" to
//     "TLSv1_3".
//   - cipherSuites (array of strings): for Custom, the allowed suites in
//     order, such as "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" (see
//     [policy.Custom]). Not allowed with Predefined.
//
// # Certificates
//
// sslCertificates are the listeners' certificates with their keys:
//
//   - name (string, required): how listeners and backend settings'
//     clientCertificate reference it.
//   - certFile (string, required): a PEM file holding the leaf and then its
//     intermediates, and possibly the private key.
//   - keyFile (string): a PEM file holding the private key. Default: the key
//     is in certFile.
//
// trustedRootCertificates (v2: a backend's chain must end at one of those a
// setting names) and authenticationCertificates (v1: a backend's leaf must
// equal one of them) hold one certificate each:
//
//   - name (string, required): how backend settings reference it.
//   - certFile (string): a file holding exactly one certificate, in PEM,
//     base64 DER or DER (an Azure .cer file).
//   - data (string): the certificate itself, in PEM or base64 DER, as ARM's
//     "data" property holds it.
//
// Exactly one of certFile and data is required.
//
// # Listeners
//
// httpListeners are the frontends ([gateway.Listener]):
//
//   - name (string, required): how rules and redirects reference it.
//   - protocol (string, required): "Http" or "Https".
//   - address (string): the IP address to listen on. Default: all.
//   - port (integer, required): 1 to 65535. Listeners that share a port are
//     told apart by host name.
//   - hostName (string) or hostNames (array of strings, at most five): the
//     host names a multi-site listener accepts, with wildcards * and ?. Not
//     both. Default: a basic listener, which accepts any host.
//   - sslCertificate (string): for Https, required: the name of an
//     sslCertificates entry.
//   - requireServerNameIndication (boolean): refuse TLS handshakes whose SNI
//     names no listener on the port. Default false.
//   - sslPolicy (object; extension on a listener): overrides the top-level
//     policy for this listener.
//
// # Backend address pools
//
// backendAddressPools are the backends ([gateway.Pool]):
//
//   - name (string, required).
//   - backendAddresses (array of objects): the members. Default: none, and
//     the pool answers 502.
//
// A member of backendAddresses has:
//
//   - ipAddress (string) or fqdn (string): exactly one is required.
//   - port (integer; extension): overrides the backend setting's port for
//     this member. Default: the setting's port.
//
// # Backend settings
//
// backendHttpSettings say how to reach and verify a pool's members
// ([gateway.BackendHTTPSetting]):
//
//   - name (string, required).
//   - protocol (string, required): "Http" or "Https".
//   - port (integer, required): the members' port.
//   - hostName (string): the Host header and SNI sent to every member, and
//     the identity expected of their certificates.
//   - pickHostNameFromBackendAddress (boolean): use each member's FQDN
//     instead. Default false: with no hostName either, the client's Host.
//   - trustedRootCertificates (array of names): roots the members' chains
//     must end at.
//   - authenticationCertificates (array of names): certificates a member's
//     leaf must equal. Default for both, with no pinnedPublicKeys: the
//     system's well-known CAs.
//   - cookieBasedAffinity (string): "Enabled" or "Disabled". Default
//     Disabled.
//   - affinityCookieName (string): default "ApplicationGatewayAffinity".
//   - requestTimeout (seconds): per attempt, until the response head. Default
//     20.
//   - connectionDraining (object): enabled (boolean) and drainTimeoutInSec
//     (seconds, 1 to 3600; ignored when enabled is false, as in Azure).
//     Default: removed members drain for 30 seconds.
//   - path (string): overrides the path prefix sent to the backend. Default:
//     the original path.
//   - probe (string): the name of a custom probe. Default: the default probe.
//
// Extensions (not in Azure):
//
//   - pinnedPublicKeys (array of strings): SHA-256 pins of acceptable leaf
//     public keys, "sha256/<base64>" (see [backendtls.ParsePin]).
//   - identity (string): the identity expected of members' certificates.
//     Default: the SNI name.
//   - http2 (boolean): offer HTTP/2 to members. Default false.
//   - sslPolicy (object): overrides the top-level policy for this setting's
//     backend connections.
//   - clientCertificate (string): the name of an sslCertificates entry to
//     present to members (backend mutual TLS). Default: none.
//   - insecureSkipVerify (boolean): turn backend verification off. For tests
//     only; the gateway logs a warning. Default false.
//
// # Probes
//
// probes are custom health probes ([gateway.Probe]):
//
//   - name (string, required).
//   - protocol (string, required): "Http" or "Https", the same as every
//     setting that uses the probe.
//   - host (string): Host header and SNI. Default: the setting's host name,
//     else the member's FQDN, else 127.0.0.1 with no SNI.
//   - pickHostNameFromBackendHttpSettings (boolean): take the host from the
//     setting. Not with host. Default false.
//   - path (string): starts with "/". Default "/".
//   - port (integer): default the member's port.
//   - interval, timeout (seconds): default 30 each.
//   - unhealthyThreshold (integer): 1 to 20. Default 3.
//   - match (object): statusCodes (array of strings such as "200-399" or
//     "204"; default 200-399) and body (string the response body must
//     contain; default none).
//
// # Rules and URL path maps
//
// requestRoutingRules ([gateway.Rule]):
//
//   - name (string, required).
//   - ruleType (string, required): "Basic" or "PathBasedRouting".
//   - priority (integer): 1 (first) to 20000. Default: none, and then no
//     rule may have one: listed order decides.
//   - httpListener (string, required): the listener the rule serves.
//   - backendAddressPool and backendHttpSettings (strings), or
//     redirectConfiguration (string): for Basic.
//   - urlPathMap (string): for PathBasedRouting, required; not allowed with
//     Basic. A PathBasedRouting rule may not name a pool, setting or
//     redirect itself.
//
// urlPathMaps ([gateway.URLPathMap]):
//
//   - name (string, required).
//   - defaultBackendAddressPool, defaultBackendHttpSettings (strings,
//     required): serve paths no path rule matches.
//   - pathRules (array of objects), tried in order: name (string, required),
//     paths (array of strings such as "/images/*"; "*" only at the end),
//     backendAddressPool and backendHttpSettings (strings, required).
//
// # Redirects
//
// redirectConfigurations ([gateway.Redirect]):
//
//   - name (string, required).
//   - redirectType (string, required): "Permanent" (301), "Found" (302),
//     "SeeOther" (303) or "Temporary" (307).
//   - targetListener (string) or targetUrl (string, absolute): exactly one.
//   - includePath, includeQueryString (booleans): carry the request's path
//     and query over. Default false.
package azurejson
