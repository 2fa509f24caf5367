// Package azurejson loads a [gateway.Config] from the JSON that Azure
// Application Gateway itself produces, or from a flat file written with
// its property names, and writes one back as the Azure resource or ARM
// template to deploy, so that a gateway configured and tested with e2etls
// is the Azure one, and the Azure one runs here unchanged.
//
//	doc, err := azurejson.ReadFile("agw.json", azurejson.Options{PrivateAddress: "127.0.0.1"})
//	if err != nil {
//		log.Fatal(err) // every problem of the document, one per line, each with its line and path
//	}
//	cfg := doc.Config
//	cfg.Logger = logger // what a document cannot hold: Logger, Resolver, DialContext
//	g, err := gateway.New(cfg)
//
// [Read] and [ReadFile] take three shapes of document, told apart by their
// content, with no flag:
//
//   - the gateway resource as Azure returns it: the output of az network
//     application-gateway show (and of az ... list, an array), a REST GET
//     or PUT body, a Resource Graph row (or a query's {"data": [...]}):
//     name, id, etag, type, location, tags, zones and "properties" with
//     every collection, the sub-resources referencing each other by
//     {"id": ...}; the az CLI's flattened form, without "properties"
//     wrappers and with "resourceGroup" everywhere, is read as well;
//   - an ARM template (a "resources" array, or object in languageVersion
//     2.0) holding one Microsoft.Network/applicationGateways resource, with
//     an optional parameters file ([Options.Parameters]);
//   - this package's flat format (see "The flat format" below).
//
// [Load] and [Parse] are the short forms for a document that needs no
// [Options]. Problems are reported all at once, in document order, each an
// [*Error] with its line and column and its JSON path:
//
//	azurejson: line 3, column 18: invalid character '}' looking for beginning of object key string
//	azurejson: line 9, column 7: properties: httpListeners[0] ("web"): properties: unknown field "hostname" (did you mean "hostName"?)
//	azurejson: line 12, column 30: properties: httpListeners[0] ("web"): properties: frontendPort: id: unknown frontendPorts element "port_8443"
//
// No problem is reported twice, and none that only follows from another:
// a field that is missing because it was misspelt, a reference to an
// element whose name could not be read, the uses of a template parameter
// whose value was refused.
//
// # Azure documents
//
// Property names are matched without regard to case, as Azure matches
// them (so the az CLI's older spellings, such as frontendIpConfigurations
// and privateIpAddress, are read too). Every property Azure can put in a
// gateway document (REST API 2024-05-01 to 2025-07-01) is honoured,
// accepted and ignored, or refused; the lists are below. Ignored
// properties are those with no meaning outside Azure (its state, ids and
// etags, placement, scaling, back-references) and those that have none in
// the configuration at hand (affinityCookieName while cookieBasedAffinity
// is off, as Azure writes it in every export); each is reported in
// [Document.Ignored] with its place and reason, and appgw -check prints
// them. Refused properties are features e2etls does not have yet; each is
// refused with its place and the words "not supported yet" only when it is
// used: null, "", 0, false, an empty array, a reference with an empty id
// and an object whose "enabled" is false are not uses, so the empty
// "loadDistributionPolicies": [] Azure writes everywhere is accepted.
//
// References: a sub-resource references another by its resource id,
// .../providers/Microsoft.Network/applicationGateways/<gateway>/<collection>/<name>.
// The loader checks that the collection is the one the property points
// into, that the gateway is this one and that the element exists (names
// are matched without regard to case), and reports each that is not.
//
// Frontend addresses: a listener binds the address of its
// frontendIPConfiguration and the port of its frontendPort. A
// configuration with a publicIPAddress (a reference to another Azure
// resource, whose address the document does not hold) binds
// [Options.PublicAddress], by default all addresses. A private one binds
// its privateIPAddress, or [Options.PrivateAddress] when that is set (to
// run a gateway's document on a machine without that address, such as
// 127.0.0.1 in tests); a private configuration with no address (Azure's
// dynamic allocation) needs PrivateAddress.
//
// Certificates as Azure carries them:
//
//   - sslCertificates: data, a base64 PFX (PKCS#12) file, with its
//     password. The leaf is the certificate of the PFX's private key; the
//     others are ordered from it up to the root, since PKCS#12 gives them
//     no order; a certificate outside that chain, a PFX without a private
//     key and a wrong password are errors that name the certificate. Azure
//     never returns data: a GET holds publicCertData (a base64 PKCS#7
//     bundle of the public chain) and perhaps keyVaultSecretId or hsm. Such
//     a certificate is refused with a message saying what to do, unless
//     [Options.CertificateFiles] maps its name to a local file (PEM chain,
//     leaf first, and key; or the PFX Key Vault keeps, base64 or raw,
//     without password), whose leaf must then be the one publicCertData
//     holds. A PEM chain out of order is an error naming the certificate
//     at fault.
//   - trustedRootCertificates and authenticationCertificates: data, one
//     certificate in base64 DER, PEM or a base64 PKCS#7 bundle. A trusted
//     root's keyVaultSecretId is refused unless CertificateFiles maps its
//     name to a local file.
//   - trustedClientCertificates: data, a CA chain (a root and any
//     intermediates) as Azure stores it: the base64 of a PEM file holding
//     the chain, or of one DER certificate (a .cer file); PEM and PKCS#7
//     are read too. validatedCertData and clientCertIssuerDN, Azure's
//     read-only copies, are ignored. CertificateFiles may map the name to
//     a local file instead.
//
// Mutual TLS (SSL profiles): an sslProfiles element becomes a
// [gateway.SSLProfile] with its sslPolicy, its trustedClientCertificates
// (references) and its clientAuthConfiguration: verifyClientAuthMode
// ("Strict", the default, or "Passthrough"), verifyClientCertIssuerDN and
// verifyClientRevocation ("None", the default, or "OCSP"). A listener's
// sslProfile reference gives it the profile. A profile without trusted
// client certificates only sets its listeners' TLS policy, as in Azure.
//
// Backend TLS, with Azure's meaning (REST API 2025-03-01): sniName is the
// SNI sent to every member and the name their certificates must be for,
// whatever gives the Host header ([gateway.BackendHTTPSetting.ServerName]);
// validateCertChainAndExpiry and validateSNI default to true, and false
// for either would verify no backend identity, so it is refused (fail
// closed) with a message naming the property to set to true; on an Http
// setting all three are ignored. dedicatedBackendConnection true is
// refused (the gateway pools backend connections). enableHttp2 says
// whether HTTPS listeners offer HTTP/2; Azure's default, and so an absent
// enableHttp2, is false ([gateway.Config.DisableHTTP2]). A PathBasedRouting
// rule's own pool, setting or redirect, which Azure may keep, is ignored.
//
// Rewrites and error pages, with Azure's meaning: rewriteRuleSets become
// [gateway.Config.RewriteRuleSets] (see package rewrite): each element of
// rewriteRules has a name, a ruleSequence, conditions (variable, pattern,
// ignoreCase, negate) and an actionSet of requestHeaderConfigurations and
// responseHeaderConfigurations (headerName, headerValue, an empty value
// deleting the header, and headerValueMatcher) and a urlConfiguration
// (modifiedPath, modifiedQueryString, where null leaves the query alone
// and "" removes it, and reroute). A rule's rewriteRuleSet, a URL path
// map's defaultRewriteRuleSet and a path rule's rewriteRuleSet reference
// them. Variables, patterns and what a rule may not rewrite are checked by
// [gateway.New]. customErrorConfigurations, at the top level and in a
// listener, become [gateway.CustomErrorPage] values: statusCode
// HttpStatus400, 403, 405, 408, 500, 502, 503 or 504 (HttpStatus404, which
// the API names, is refused: Azure serves no page for it) and
// customErrorPageUrl, which gateway.New reads.
//
// ARM templates: the expressions of the gateway's values are evaluated
// where they are used, with four functions: parameters (from the
// parameters file, else the declared defaultValue), variables, concat
// (strings or arrays) and resourceId (the deployment's subscription and
// resource group are placeholders: references only use what follows the
// gateway's provider), with .property and [index] after them; "[[" starts
// a literal "[". Any other expression is refused with its place and text,
// never guessed. Expressions in ignored properties (location:
// "[resourceGroup().location]") are not evaluated. A parameters file value
// must match its declared type and allowedValues; Key Vault references in
// it are refused. The template's other resources, outputs and metadata are
// ignored; it must hold exactly one application gateway.
//
// The properties, by object:
//
//   - The gateway resource (REST API, az CLI, Resource Graph).
//     Honoured: name, type, properties.
//     Ignored: id, etag, location, tags, zones, identity, resourceGroup,
//     subscriptionId, tenantId, kind, managedBy, sku, plan, extendedLocation,
//     systemData.
//   - The gateway in an ARM template's resources.
//     Honoured: name, type, properties.
//     Ignored: apiVersion, location, tags, zones, identity, dependsOn,
//     comments, metadata, id, etag.
//     Refused when used: condition, copy, scope.
//   - The gateway's properties.
//     Honoured: sslPolicy, sslCertificates, trustedRootCertificates,
//     authenticationCertificates, frontendIPConfigurations, frontendPorts,
//     httpListeners, backendAddressPools, backendHttpSettingsCollection,
//     probes, requestRoutingRules, urlPathMaps, redirectConfigurations,
//     enableHttp2, sslProfiles, trustedClientCertificates, rewriteRuleSets,
//     customErrorConfigurations.
//     Ignored: sku, autoscaleConfiguration, gatewayIPConfigurations,
//     operationalState, provisioningState, resourceGuid,
//     defaultPredefinedSslPolicy, privateEndpointConnections,
//     forceFirewallPolicyAssociation, globalConfiguration.
//     Refused when used: webApplicationFirewallConfiguration, firewallPolicy,
//     privateLinkConfigurations, backendSettingsCollection, listeners,
//     routingRules, loadDistributionPolicies, entraJWTValidationConfigs,
//     enableFips, copy.
//   - sslPolicy.
//     Honoured: policyType, policyName, minProtocolVersion, cipherSuites.
//     Refused when used: disabledSslProtocols.
//   - sslCertificates.
//     Honoured: data, password, publicCertData, keyVaultSecretId, hsm.
//     Ignored: provisioningState, httpListeners.
//   - trustedRootCertificates.
//     Honoured: data, keyVaultSecretId.
//     Ignored: provisioningState.
//   - authenticationCertificates.
//     Honoured: data.
//     Ignored: provisioningState.
//   - frontendIPConfigurations.
//     Honoured: privateIPAddress, publicIPAddress.
//     Ignored: privateIPAllocationMethod, subnet, provisioningState,
//     httpListeners.
//     Refused when used: privateLinkConfiguration.
//   - frontendPorts.
//     Honoured: port.
//     Ignored: provisioningState, httpListeners.
//   - httpListeners.
//     Honoured: frontendIPConfiguration, frontendPort, protocol, hostName,
//     hostNames, sslCertificate, requireServerNameIndication, sslProfile,
//     customErrorConfigurations.
//     Ignored: provisioningState, requestRoutingRules.
//     Refused when used: firewallPolicy.
//   - backendAddressPools.
//     Honoured: backendAddresses.
//     Ignored: provisioningState, requestRoutingRules, pathRules,
//     urlPathMaps, loadBalancerBackendAddresses.
//     Refused when used: backendIPConfigurations.
//   - backendHttpSettingsCollection.
//     Honoured: port, protocol, cookieBasedAffinity, requestTimeout, probe,
//     authenticationCertificates, trustedRootCertificates,
//     connectionDraining, hostName, pickHostNameFromBackendAddress,
//     affinityCookieName, path, validateCertChainAndExpiry, validateSNI,
//     sniName.
//     Ignored: probeEnabled, provisioningState, requestRoutingRules,
//     urlPathMaps, pathRules.
//     Refused when used: dedicatedBackendConnection.
//   - probes.
//     Honoured: protocol, host, path, interval, timeout, unhealthyThreshold,
//     pickHostNameFromBackendHttpSettings, match, port.
//     Ignored: provisioningState, backendHttpSettings.
//     Refused when used: minServers, pickHostNameFromBackendSettings,
//     enableProbeProxyProtocolHeader.
//   - requestRoutingRules.
//     Honoured: ruleType, priority, httpListener, backendAddressPool,
//     backendHttpSettings, urlPathMap, redirectConfiguration, rewriteRuleSet.
//     Ignored: provisioningState.
//     Refused when used: loadDistributionPolicy, entraJWTValidationConfig.
//   - urlPathMaps.
//     Honoured: defaultBackendAddressPool, defaultBackendHttpSettings,
//     defaultRedirectConfiguration, pathRules, defaultRewriteRuleSet.
//     Ignored: provisioningState, requestRoutingRules.
//     Refused when used: defaultLoadDistributionPolicy.
//   - pathRules of a URL path map.
//     Honoured: paths, backendAddressPool, backendHttpSettings,
//     redirectConfiguration, rewriteRuleSet.
//     Ignored: provisioningState.
//     Refused when used: loadDistributionPolicy, firewallPolicy.
//   - redirectConfigurations.
//     Honoured: redirectType, targetListener, targetUrl, includePath,
//     includeQueryString.
//     Ignored: provisioningState, requestRoutingRules, urlPathMaps,
//     pathRules.
//   - sslProfiles.
//     Honoured: sslPolicy, clientAuthConfiguration,
//     trustedClientCertificates.
//     Ignored: provisioningState, httpListeners.
//   - clientAuthConfiguration of an SSL profile.
//     Honoured: verifyClientCertIssuerDN, verifyClientRevocation,
//     verifyClientAuthMode.
//   - trustedClientCertificates.
//     Honoured: data.
//     Ignored: validatedCertData, clientCertIssuerDN, provisioningState.
//   - rewriteRuleSets.
//     Honoured: rewriteRules.
//     Ignored: provisioningState.
//   - Every element of a collection.
//     Honoured: name.
//     Ignored: id, etag, type, resourceGroup.
//
// # Writing Azure documents
//
// [WriteResource] writes a [gateway.Config] back as the Standard_v2
// gateway resource Azure accepts (the body of a REST PUT, api-version
// 2025-03-01, and the shape az network application-gateway show returns);
// [WriteTemplate] writes an ARM template that deploys it. [Read] reads
// either back into the same configuration, so a configuration tested with
// e2etls can be deployed:
//
//	doc, err := azurejson.WriteResource(cfg, azurejson.WriteOptions{
//		Name: "agw-web", SubscriptionID: sub, ResourceGroup: "rg-web",
//		SubnetID: subnetID, PublicIPAddressID: pipID, CertificatePassword: password,
//	})
//	// az rest --method put --url "https://management.azure.com<gateway id>?api-version=2025-03-01" --body @doc.json
//
// What the configuration does not hold comes from [WriteOptions], with
// documented defaults: the gateway's name ("appgw"), subscription and
// resource group (placeholders; they make the resource ids that the
// elements reference each other by, and Azure checks them), location
// ("westeurope"), the SKU's capacity (2), the subnet Azure requires
// (gatewayIPConfigurations; required for a resource document) and the
// public IP address of the public frontend. A template takes the last two,
// the name and the location as parameters (subnetId, publicIPAddressId,
// applicationGatewayName, location, defaulting to the options when set),
// writes its references as resourceId(...) expressions, and escapes
// literal strings that would read as expressions.
//
// How the configuration is written:
//
//   - Listeners: a listener that binds all addresses (or
//     WriteOptions.PublicAddress) uses the public frontend IP configuration
//     appGwPublicFrontendIp, the others the private one,
//     appGwPrivateFrontendIp, whose static address is theirs (one address:
//     Azure has one private frontend) or WriteOptions.PrivateIPAddress;
//     each port becomes a frontendPorts element port_<port>. One host name
//     without wildcards is written as hostName, others as hostNames.
//   - Certificates as Azure carries them: a listener certificate as data, a
//     base64 PFX holding its chain and key, encrypted with
//     WriteOptions.CertificatePassword and written with it (a template's
//     sslCertificatePassword parameter instead); without a password the
//     configuration is refused, and no key is ever written unprotected.
//     Trusted root certificates as data, base64 DER; trusted client
//     certificates as data, the base64 of their chain in PEM. A certificate
//     given by a source (certsource) is written as its current version.
//   - SSL profiles with their policy, trusted client certificates and
//     clientAuthConfiguration (always with all three values), and the
//     listeners' sslProfile references.
//   - Defaults Azure cannot leave open are written out as e2etls applies
//     them: requestTimeout 20, a probe's path "/", interval and timeout 30,
//     unhealthyThreshold 3, drainTimeoutInSec 30 when draining is enabled,
//     a redirect's status 301 ("Permanent"), enableHttp2 from
//     DisableHTTP2. Azure needs a priority on every rule: when no rule has
//     one, listed order decides, and the rules get 10, 20, 30, ... in that
//     order.
//   - Rewrite rule sets in Azure's shape, a delete as Azure's empty
//     headerValue and a rule without a Sequence without ruleSequence;
//     custom error pages as customErrorConfigurations, at the top level
//     and in their listeners.
//   - Everything else as the tables above name it, so that reading the
//     document gives the configuration back, field by field.
//
// Fields Azure cannot carry are refused, the error naming each, unless
// WriteOptions.OnDrop is set: then each is left out and passed to OnDrop,
// never silently. They are AffinityKey, ReadHeaderTimeout, IdleTimeout,
// Frontend, DetailedErrors; AuthenticationCertificates and their uses (Standard_v2 has
// none: a self-signed backend certificate can be its own trusted root); a
// listener's SSLPolicy (Azure needs an SSL profile for it); an SSL
// profile's OCSPResponderURL, OCSPTimeout, CRLs, CRLSource,
// AllowStaleCRLs, RevocationSoftFail, AllowedIdentities and
// ForwardClientCert (Azure checks revocation by OCSP only, fails hard, and
// tells the backend with rewrite rules); a member's
// Port; a backend setting's PinnedPublicKeys, Identity, SubjectAltNames,
// Verifier, ClientCertificate, SSLPolicy, HTTP2 and InsecureSkipVerify; a
// rewrite rule's Redirect action and a header action that adds (AddHeader),
// which are the Gateway API's; a custom error page read from a file (Azure
// reads its pages from URLs); a
// TLS policy
// Azure's custom policies cannot express; a certificate's OCSPStaple and
// SignedCertificateTimestamps. Logger, Resolver, DialContext, AccessLog,
// Observer, Tracer and ReusePort wire a gateway into its process and belong to no
// document. Names Azure does not
// allow (1 to 80 letters, digits, '_', '.' and '-'; names of one kind that
// differ only in case), listener ports above 65199 (Standard_v2's
// range), references to names the configuration lacks and durations that
// are not whole seconds are refused too. Whether the
// configuration makes sense as a whole is [gateway.New]'s to check: write
// one it accepts.
//
// # The flat format
//
// The loader checks a flat file: its syntax, field names, types, enumerated
// values, fields that exclude or need each other, the certificate files it
// names, and that every name it references is an element's of the right
// collection (a misspelt field and an unknown reference are reported
// together, each at its line). A reference into a collection with an
// element whose name could not be read is not checked, and neither is one
// whose field is refused already. Whether the configuration makes sense as
// a whole (port ranges, a listener used by two rules, trust that verifies
// no identity) is checked by [gateway.New], which likewise reports every
// problem at once.
//
// Conventions of the flat format, Azure's ARM property names flattened:
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
//   - sslCertificates, trustedRootCertificates, authenticationCertificates,
//     trustedClientCertificates (arrays): see "Certificates".
//   - sslProfiles (array of objects): see "SSL profiles".
//   - httpListeners, backendAddressPools, backendHttpSettings, probes,
//     requestRoutingRules, urlPathMaps, redirectConfigurations (arrays of
//     objects): see the sections below.
//   - rewriteRuleSets (array of objects): name (string, required) and
//     rewriteRules, as in Azure (see "Azure documents" above), which rules,
//     URL path maps and path rules reference by name.
//   - customErrorConfigurations (array of objects): the pages of every
//     listener without its own: statusCode ("HttpStatus502" and the other
//     statuses Azure allows) and customErrorPageUrl, an https URL or a
//     file (an .htm or .html file name, relative to the document's
//     directory unless absolute). See [gateway.CustomErrorPage].
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
// trustedClientCertificates are the CA chains that SSL profiles trust to
// issue client certificates ([gateway.TrustedClientCertificate]):
//
//   - name (string, required): how SSL profiles reference it.
//   - certFile (string): a file holding the chain, a root CA and any
//     intermediates, in PEM (or one certificate in DER or base64 DER).
//   - data (string): the chain as ARM's "data" holds it: the base64 of a
//     PEM file or of a DER certificate, or PEM itself.
//
// Exactly one of certFile and data is required.
//
// # SSL profiles
//
// sslProfiles give the listeners that name them a TLS policy and client
// authentication, mutual TLS ([gateway.SSLProfile]):
//
//   - name (string, required): how listeners reference it.
//   - sslPolicy (object, see "TLS policies"): the policy of its listeners.
//     Default: the top-level policy.
//   - trustedClientCertificates (array of names): the CA chains client
//     certificates must chain to. Default: none, and (in Strict mode) the
//     profile asks for no client certificate.
//   - clientAuthConfiguration (object): verifyClientAuthMode ("Strict", a
//     client without a valid certificate gets 400, or "Passthrough", every
//     request goes on and the backend is told; default Strict),
//     verifyClientCertIssuerDN (boolean: the client certificate's issuer
//     must be the issuer DN of its trusted chain; default false) and
//     verifyClientRevocation ("None" or "OCSP"; default None), as in
//     Azure; and as extensions crlFiles (array of file names: CRLs of the
//     trusted CAs, PEM or DER), allowStaleCRLs and revocationSoftFail
//     (booleans), ocspResponderUrl (string), ocspTimeout (seconds),
//     allowedIdentities (array of strings such as
//     "URI:spiffe://example.org/client", "DNS:client.example" or
//     "IP:10.0.0.1", see [backendtls.ParseSAN]) and forwardClientCert (an
//     object: mode, Envoy's "SANITIZE", "FORWARD_ONLY", "APPEND_FORWARD",
//     "SANITIZE_SET" or "ALWAYS_FORWARD_ONLY", and the booleans subject,
//     cert, chain, uri and dns, what an element carries besides Hash).
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
//   - sslProfile (string): the name of an sslProfiles entry: the
//     listener's policy and client authentication. Https only.
//   - customErrorConfigurations (array of objects): the listener's own
//     error pages, as at the top level; a listener with any uses only its
//     own.
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
//     this member. Default: the setting's port, which must then be set.
//
// # Backend settings
//
// backendHttpSettings say how to reach and verify a pool's members
// ([gateway.BackendHTTPSetting]):
//
//   - name (string, required).
//   - protocol (string, required): "Http" or "Https".
//   - port (integer): the members' port. Required unless every member of
//     the pools the setting serves has its own port (an extension).
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
//   - disableProbe (boolean): turn health probes off; traffic alone takes
//     members out of rotation, for 30 seconds each time. Not with probe.
//     Default false.
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
//   - rewriteRuleSet (string): for Basic with a pool, the rewrite rule set
//     of its requests and responses.
//
// urlPathMaps ([gateway.URLPathMap]):
//
//   - name (string, required).
//   - defaultBackendAddressPool, defaultBackendHttpSettings (strings):
//     serve paths no path rule matches.
//   - defaultRedirectConfiguration (string): the redirect that answers
//     paths no path rule matches instead. Exactly one of the two defaults
//     (the pool and settings, or the redirect) is required.
//   - pathRules (array of objects), tried in order: name (string, required),
//     paths (array of strings such as "/images/*"; "*" only at the end),
//     and either backendAddressPool and backendHttpSettings (strings) or
//     redirectConfiguration (string), whose Location carries the request's
//     whole path when the redirect includes the path, and rewriteRuleSet
//     (string) for a rule with a pool.
//   - defaultRewriteRuleSet (string): the rewrite rule set of the paths no
//     path rule matches, with the default pool.
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
