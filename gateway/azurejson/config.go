package azurejson

import (
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/policy"
	"github.com/e2etls/e2etls/rewrite"
)

// The values of the enumerated fields, spelled as Azure spells them. They
// are matched without regard to case.
const (
	ruleBasic     = "Basic"
	rulePathBased = "PathBasedRouting"

	policyPredefined = "Predefined"
	policyCustom     = "Custom"
	policyCustomV2   = "CustomV2"
)

// config converts the top-level object.
func (d *decoder) config(root *value) gateway.Config {
	top := d.object(root, "",
		"sslPolicy", "sslCertificates", "trustedRootCertificates", "authenticationCertificates",
		"httpListeners", "backendAddressPools", "backendHttpSettings", "probes",
		"requestRoutingRules", "urlPathMaps", "redirectConfigurations",
		"trustedClientCertificates", "sslProfiles", "rewriteRuleSets", "customErrorConfigurations",
		"affinityKey", "readHeaderTimeout", "idleTimeout")
	if top == nil {
		return gateway.Config{}
	}
	d.collectFlatNames(top)
	defer d.checkRefs()
	var cfg gateway.Config
	cfg.SSLPolicy = top.sslPolicy("sslPolicy")

	// Listener certificates by name, for backend settings' clientCertificate;
	// nil for one that failed to load, so that it is reported only once.
	certs := make(map[string]*tls.Certificate)
	for _, o := range top.objects("sslCertificates", "name", "certFile", "keyFile") {
		c := o.sslCertificate()
		cfg.SSLCertificates = append(cfg.SSLCertificates, c)
		if _, dup := certs[c.Name]; !dup && len(c.Certificate.Certificate) > 0 {
			certs[c.Name] = &c.Certificate
		}
	}
	for _, o := range top.objects("trustedRootCertificates", "name", "certFile", "data") {
		cfg.TrustedRootCertificates = append(cfg.TrustedRootCertificates, o.namedCertificate())
	}
	for _, o := range top.objects("authenticationCertificates", "name", "certFile", "data") {
		cfg.AuthenticationCertificates = append(cfg.AuthenticationCertificates, o.namedCertificate())
	}

	for _, o := range top.objects("trustedClientCertificates", "name", "certFile", "data") {
		cfg.TrustedClientCertificates = append(cfg.TrustedClientCertificates, o.trustedClientCertificate())
	}
	for _, o := range top.objects("sslProfiles", "name", "sslPolicy", "trustedClientCertificates", "clientAuthConfiguration") {
		cfg.SSLProfiles = append(cfg.SSLProfiles, o.sslProfile())
	}

	for _, o := range top.objects("httpListeners",
		"name", "protocol", "address", "port", "hostName", "hostNames",
		"sslCertificate", "requireServerNameIndication", "sslPolicy", "sslProfile", "customErrorConfigurations") {
		cfg.Listeners = append(cfg.Listeners, o.listener())
	}
	for _, o := range top.objects("backendAddressPools", "name", "backendAddresses") {
		cfg.Pools = append(cfg.Pools, o.pool())
	}
	for _, o := range top.objects("backendHttpSettings",
		"name", "protocol", "port", "hostName", "pickHostNameFromBackendAddress",
		"trustedRootCertificates", "authenticationCertificates",
		"cookieBasedAffinity", "affinityCookieName", "requestTimeout", "connectionDraining",
		"path", "probe", "pinnedPublicKeys", "identity", "http2", "sslPolicy",
		"clientCertificate", "insecureSkipVerify", "disableProbe") {
		cfg.BackendHTTPSettings = append(cfg.BackendHTTPSettings, o.backendHTTPSetting(certs))
	}
	for _, o := range top.objects("probes",
		"name", "protocol", "host", "pickHostNameFromBackendHttpSettings", "path", "port",
		"interval", "timeout", "unhealthyThreshold", "match") {
		cfg.Probes = append(cfg.Probes, o.probe())
	}
	for _, o := range top.objects("requestRoutingRules",
		"name", "ruleType", "priority", "httpListener", "backendAddressPool",
		"backendHttpSettings", "urlPathMap", "redirectConfiguration", "rewriteRuleSet") {
		cfg.Rules = append(cfg.Rules, o.rule())
	}
	for _, o := range top.objects("urlPathMaps",
		"name", "defaultBackendAddressPool", "defaultBackendHttpSettings", "defaultRedirectConfiguration", "defaultRewriteRuleSet", "pathRules") {
		cfg.URLPathMaps = append(cfg.URLPathMaps, o.urlPathMap())
	}
	for _, o := range top.objects("redirectConfigurations",
		"name", "redirectType", "targetListener", "targetUrl", "includePath", "includeQueryString") {
		cfg.Redirects = append(cfg.Redirects, o.redirect())
	}
	for _, o := range top.objects("rewriteRuleSets", "name", "rewriteRules") {
		cfg.RewriteRuleSets = append(cfg.RewriteRuleSets, rewrite.RuleSet{Name: o.str("name"), Rules: o.rewriteRules("rewriteRules")})
	}
	cfg.CustomErrorPages = top.customErrorPages("customErrorConfigurations", true)

	if k := top.str("affinityKey"); k != "" {
		key, err := base64.StdEncoding.DecodeString(k)
		if err != nil {
			top.failf("affinityKey", "not base64: %w", err)
		}
		cfg.AffinityKey = key
	}
	cfg.ReadHeaderTimeout = top.seconds("readHeaderTimeout")
	cfg.IdleTimeout = top.seconds("idleTimeout")
	return cfg
}

// sslPolicy converts member key, an sslPolicy object; the zero Policy when
// absent.
func (o *object) sslPolicy(key string) policy.Policy {
	p := o.object(key, "policyType", "policyName", "minProtocolVersion", "cipherSuites")
	if p == nil {
		return policy.Policy{}
	}
	typ := p.enum("policyType", policyPredefined, policyCustom, policyCustomV2)
	custom := p.has("minProtocolVersion") || p.has("cipherSuites")
	if !p.has("policyType") {
		switch {
		case p.has("policyName") && custom:
			p.failf("", "policyName and minProtocolVersion or cipherSuites exclude each other; set policyType")
			return policy.Policy{}
		case p.has("policyName"):
			typ = policyPredefined
		case custom:
			typ = policyCustom
		default:
			p.failf("", "empty: set policyName, or minProtocolVersion and cipherSuites")
			return policy.Policy{}
		}
	}
	switch typ {
	case policyPredefined:
		for _, k := range []string{"minProtocolVersion", "cipherSuites"} {
			if p.has(k) {
				p.failf(k, "not allowed with policyType %q (the predefined policy fixes it)", policyPredefined)
			}
		}
		if !p.has("policyName") {
			p.failf("policyName", "missing: policyType %q needs a policy name", policyPredefined)
			return policy.Policy{}
		}
		name := p.str("policyName")
		if p.get("policyName").kind != kindString {
			return policy.Policy{}
		}
		pol, err := policy.Predefined(name)
		if err != nil {
			p.fail("policyName", err)
		}
		return pol
	case policyCustom, policyCustomV2:
		if p.has("policyName") {
			p.failf("policyName", "not allowed with policyType %q", typ)
		}
		if !p.has("minProtocolVersion") {
			p.failf("minProtocolVersion", "missing: policyType %q needs one", typ)
			return policy.Policy{}
		}
		before := len(p.d.problems)
		minVersion, suites := p.str("minProtocolVersion"), p.strings("cipherSuites")
		if len(p.d.problems) > before {
			return policy.Policy{} // wrong types, reported; policy.Custom would misreport indexes
		}
		pol, err := policy.Custom(minVersion, suites)
		if err != nil {
			p.fail("", err)
		}
		return pol
	}
	return policy.Policy{} // policyType was wrong, and has been reported
}

// sslCertificate converts an sslCertificates element.
func (o *object) sslCertificate() gateway.SSLCertificate {
	c := gateway.SSLCertificate{Name: o.str("name")}
	certPEM, ok := o.file("certFile")
	if !ok {
		return c
	}
	keyPEM := certPEM
	if o.has("keyFile") {
		if keyPEM, ok = o.file("keyFile"); !ok {
			return c
		}
	}
	pair, err := parsePEMKeyPair(certPEM, keyPEM)
	if err != nil {
		o.fail("", err)
		return c
	}
	c.Certificate = pair
	return c
}

// namedCertificate converts a trustedRootCertificates or
// authenticationCertificates element: one certificate from certFile or data.
func (o *object) namedCertificate() gateway.NamedCertificate {
	c := gateway.NamedCertificate{Name: o.str("name")}
	var (
		data []byte
		ok   bool
		key  string
	)
	switch {
	case o.has("certFile") && o.has("data"):
		o.failf("", "set certFile or data, not both")
		return c
	case o.has("certFile"):
		key = "certFile"
		data, ok = o.file(key)
	case o.has("data"):
		key = "data"
		data, ok = []byte(o.str(key)), o.get(key).kind == kindString
	default:
		o.failf("", "set certFile or data")
		return c
	}
	if !ok {
		return c
	}
	certs, err := backendtls.ParseCertificates(data)
	switch {
	case err != nil:
		o.fileFail(key, err)
	case len(certs) != 1:
		o.fileFail(key, fmt.Errorf("holds %d certificates, want exactly one", len(certs)))
	default:
		c.Certificate = certs[0]
	}
	return c
}

// listener converts an httpListeners element.
func (o *object) listener() gateway.Listener {
	l := gateway.Listener{
		Name:           o.str("name"),
		Protocol:       o.protocol("protocol"),
		Address:        o.str("address"),
		Port:           o.integer("port"),
		SSLCertificate: o.ref("sslCertificate", "sslCertificates"),
		RequireSNI:     o.boolean("requireServerNameIndication"),
		SSLProfile:     o.ref("sslProfile", "sslProfiles"),
	}
	if o.has("address") {
		if _, err := netip.ParseAddr(l.Address); err != nil && l.Address != "" {
			o.failf("address", "%s is not an IP address", quote(l.Address))
		}
	}
	switch {
	case o.has("hostName") && o.has("hostNames"):
		o.failf("hostNames", "not allowed together with hostName; list every host name in hostNames")
	case o.has("hostName"):
		if h := o.str("hostName"); h != "" {
			l.HostNames = []string{h}
		}
	default:
		l.HostNames = o.strings("hostNames")
	}
	l.SSLPolicy = o.sslPolicy("sslPolicy")
	l.CustomErrorPages = o.customErrorPages("customErrorConfigurations", true)
	return l
}

// protocol converts member key, "Http" or "Https".
func (o *object) protocol(key string) gateway.Protocol {
	return gateway.Protocol(o.enum(key, string(gateway.HTTP), string(gateway.HTTPS)))
}

// pool converts a backendAddressPools element.
func (o *object) pool() gateway.Pool {
	p := gateway.Pool{Name: o.str("name")}
	for _, a := range o.objects("backendAddresses", "ipAddress", "fqdn", "port") {
		m := gateway.Member{Port: a.integer("port")}
		ip, fqdn := a.str("ipAddress"), a.str("fqdn")
		switch {
		case a.has("ipAddress") && a.has("fqdn"):
			a.failf("", "set ipAddress or fqdn, not both")
		case a.has("ipAddress"):
			m.Address = ip
			if _, err := netip.ParseAddr(ip); err != nil && a.get("ipAddress").kind == kindString {
				a.failf("ipAddress", "%s is not an IP address", quote(ip))
			}
		case a.has("fqdn"):
			m.Address = fqdn
		default:
			a.failf("", "set ipAddress or fqdn")
		}
		p.Members = append(p.Members, m)
	}
	return p
}

// backendHTTPSetting converts a backendHttpSettings element. certs are the
// listener certificates by name, for clientCertificate.
func (o *object) backendHTTPSetting(certs map[string]*tls.Certificate) gateway.BackendHTTPSetting {
	s := gateway.BackendHTTPSetting{
		Name:                           o.str("name"),
		Protocol:                       o.protocol("protocol"),
		Port:                           o.integer("port"),
		RequestTimeout:                 o.seconds("requestTimeout"),
		CookieBasedAffinity:            o.enum("cookieBasedAffinity", "Enabled", "Disabled") == "Enabled",
		AffinityCookieName:             o.str("affinityCookieName"),
		Path:                           o.str("path"),
		HostName:                       o.str("hostName"),
		PickHostNameFromBackendAddress: o.boolean("pickHostNameFromBackendAddress"),
		Probe:                          o.ref("probe", "probes"),
		TrustedRootCertificates:        o.refs("trustedRootCertificates", "trustedRootCertificates"),
		AuthenticationCertificates:     o.refs("authenticationCertificates", "authenticationCertificates"),
		Identity:                       o.str("identity"),
		HTTP2:                          o.boolean("http2"),
		InsecureSkipVerify:             o.boolean("insecureSkipVerify"),
		DisableProbe:                   o.boolean("disableProbe"),
	}
	if cd := o.object("connectionDraining", "enabled", "drainTimeoutInSec"); cd != nil {
		s.ConnectionDraining = gateway.ConnectionDraining{
			Enabled:      cd.boolean("enabled"),
			DrainTimeout: cd.seconds("drainTimeoutInSec"),
		}
	}
	if pins, ok := o.array("pinnedPublicKeys", "an array of strings"); ok {
		for i, v := range pins {
			path := join(o.path, "pinnedPublicKeys["+strconv.Itoa(i)+"]")
			if v.kind != kindString {
				o.d.fail(v.off, path, fmt.Errorf("want a string, got %s", describe(v)))
				continue
			}
			pin, err := backendtls.ParsePin(v.text)
			if err != nil {
				o.d.fail(v.off, path, err)
				continue
			}
			s.PinnedPublicKeys = append(s.PinnedPublicKeys, pin)
		}
	}
	s.SSLPolicy = o.sslPolicy("sslPolicy")
	if name := o.ref("clientCertificate", "sslCertificates"); name != "" {
		// An unknown name is reported with the other references; nil is a
		// certificate that failed to load, reported already.
		if c := certs[name]; c != nil {
			s.ClientCertificate = c
		}
	}
	return s
}

// probe converts a probes element.
func (o *object) probe() gateway.Probe {
	p := gateway.Probe{
		Name:                                o.str("name"),
		Protocol:                            o.protocol("protocol"),
		Host:                                o.str("host"),
		PickHostNameFromBackendHTTPSettings: o.boolean("pickHostNameFromBackendHttpSettings"),
		Path:                                o.str("path"),
		Port:                                o.integer("port"),
		Interval:                            o.seconds("interval"),
		Timeout:                             o.seconds("timeout"),
		UnhealthyThreshold:                  o.integer("unhealthyThreshold"),
	}
	if m := o.object("match", "statusCodes", "body"); m != nil {
		p.StatusCodes = m.strings("statusCodes")
		p.Body = m.str("body")
	}
	return p
}

// rule converts a requestRoutingRules element and checks that what it
// references fits its ruleType.
func (o *object) rule() gateway.Rule {
	r := gateway.Rule{
		Name:               o.str("name"),
		Priority:           o.integer("priority"),
		Listener:           o.ref("httpListener", "httpListeners"),
		Pool:               o.ref("backendAddressPool", "backendAddressPools"),
		BackendHTTPSetting: o.ref("backendHttpSettings", "backendHttpSettings"),
		URLPathMap:         o.ref("urlPathMap", "urlPathMaps"),
		Redirect:           o.ref("redirectConfiguration", "redirectConfigurations"),
		RewriteRuleSet:     o.ref("rewriteRuleSet", "rewriteRuleSets"),
	}
	switch o.enum("ruleType", ruleBasic, rulePathBased) {
	case ruleBasic:
		if o.has("urlPathMap") {
			o.failf("urlPathMap", "not allowed with ruleType %q; use %q", ruleBasic, rulePathBased)
		}
	case rulePathBased:
		if !o.has("urlPathMap") {
			o.failf("urlPathMap", "missing: ruleType %q needs one", rulePathBased)
		}
		for _, k := range []string{"backendAddressPool", "backendHttpSettings", "redirectConfiguration"} {
			if o.has(k) {
				o.failf(k, "not allowed with ruleType %q (the URL path map says where requests go)", rulePathBased)
			}
		}
	default:
		if !o.has("ruleType") {
			o.failf("ruleType", "missing: want %q or %q", ruleBasic, rulePathBased)
		}
	}
	return r
}

// urlPathMap converts a urlPathMaps element.
func (o *object) urlPathMap() gateway.URLPathMap {
	m := gateway.URLPathMap{
		Name:                      o.str("name"),
		DefaultPool:               o.ref("defaultBackendAddressPool", "backendAddressPools"),
		DefaultBackendHTTPSetting: o.ref("defaultBackendHttpSettings", "backendHttpSettings"),
		DefaultRedirect:           o.ref("defaultRedirectConfiguration", "redirectConfigurations"),
		DefaultRewriteRuleSet:     o.ref("defaultRewriteRuleSet", "rewriteRuleSets"),
	}
	for _, pr := range o.objects("pathRules", "name", "paths", "backendAddressPool", "backendHttpSettings", "redirectConfiguration", "rewriteRuleSet") {
		m.PathRules = append(m.PathRules, gateway.PathRule{
			Name:               pr.str("name"),
			Paths:              pr.strings("paths"),
			Pool:               pr.ref("backendAddressPool", "backendAddressPools"),
			BackendHTTPSetting: pr.ref("backendHttpSettings", "backendHttpSettings"),
			Redirect:           pr.ref("redirectConfiguration", "redirectConfigurations"),
			RewriteRuleSet:     pr.ref("rewriteRuleSet", "rewriteRuleSets"),
		})
	}
	return m
}

// redirectStatus maps Azure's redirectType to an HTTP status code.
func redirectStatus(redirectType string) int {
	switch redirectType {
	case "Permanent":
		return http.StatusMovedPermanently
	case "Found":
		return http.StatusFound
	case "SeeOther":
		return http.StatusSeeOther
	case "Temporary":
		return http.StatusTemporaryRedirect
	}
	return 0
}

// redirect converts a redirectConfigurations element.
func (o *object) redirect() gateway.Redirect {
	return o.redirectWith(o.str("name"), o.ref("targetListener", "httpListeners"))
}

// redirectWith converts the redirectConfigurations element o (flat or
// Azure's properties) named name, whose targetListener reference has been
// resolved to targetListener.
func (o *object) redirectWith(name, targetListener string) gateway.Redirect {
	r := gateway.Redirect{
		Name:           name,
		Status:         redirectStatus(o.enum("redirectType", "Permanent", "Found", "SeeOther", "Temporary")),
		TargetListener: targetListener,
		TargetURL:      o.str("targetUrl"),
		IncludePath:    o.boolean("includePath"),
		IncludeQuery:   o.boolean("includeQueryString"),
	}
	if !o.has("redirectType") {
		o.failf("redirectType", `missing: want "Permanent", "Found", "SeeOther" or "Temporary"`)
	}
	switch {
	case o.has("targetListener") && o.has("targetUrl"):
		o.failf("", "set targetListener or targetUrl, not both")
	case !o.has("targetListener") && !o.has("targetUrl"):
		o.failf("", "set targetListener or targetUrl")
	}
	return r
}
