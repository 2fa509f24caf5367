package azurejson

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/policy"
)

// armDecoder converts an Azure Application Gateway resource: the document
// the REST API, the az CLI and Resource Graph return, or the gateway of an
// ARM template once its expressions are evaluated.
type armDecoder struct {
	*decoder
	opts   Options
	gwName string // the gateway's name, "" when unknown

	// names[collection] maps each element's name, lower-cased, to the name
	// as written; broken[collection] is set when an element's name could
	// not be read, so that references into the collection are not checked
	// (their failure would only follow from that one).
	names  map[string]map[string]string
	broken map[string]bool

	fronts map[string]front // frontendIPConfigurations by name
	ports  map[string]int   // frontendPorts by name; 0 when invalid (reported)
	certs  map[string]bool  // sslCertificates that loaded

	cfg gateway.Config
}

// front is a frontend IP configuration: the address its listeners bind,
// or why it has none.
type front struct {
	address string
	problem string // set when no address could be chosen
}

// sub is an element of one of the gateway's collections: a name, id, etag
// and type around its properties, which the az CLI writes flattened into
// the object itself.
type sub struct {
	name string
	env  *object // the element
	p    *object // its properties: env itself when flattened
}

// collections are the gateway's collections whose elements other elements
// reference, in ARM's spelling.
var collections = []string{
	"sslCertificates", "trustedRootCertificates", "authenticationCertificates",
	"frontendIPConfigurations", "frontendPorts", "httpListeners", "backendAddressPools",
	"backendHttpSettingsCollection", "probes", "requestRoutingRules", "urlPathMaps",
	"redirectConfigurations", "sslProfiles", "trustedClientCertificates", "rewriteRuleSets",
}

// gateway converts the gateway resource v (path is where it is in the
// document: "" for a resource document, resources[i] in a template).
// envSpec lists the members it may have besides properties.
func (a *armDecoder) gateway(v *value, path string, envSpec *kindSpec) gateway.Config {
	if v.kind != kindObject {
		a.fail(v.off, path, fmt.Errorf("want an object, got %s", describe(v)))
		return gateway.Config{}
	}
	var propsV *value
	for _, m := range v.members {
		if strings.EqualFold(m.key, "properties") {
			propsV = a.resolve(m.val, join(path, "properties"))
		}
	}
	var env, props *object
	if propsV != nil && propsV.kind != kindNull {
		env = a.object(v, path, envSpec.all()...)
		props = a.object(propsV, join(path, "properties"), gatewayProps.all()...)
	} else { // the az CLI's flattened form
		env = a.object(v, path, append(envSpec.all(), gatewayProps.all()...)...)
		props = env
	}
	if env == nil {
		return gateway.Config{}
	}
	a.screen(env, envSpec)
	if t := env.str("type"); t != "" && !strings.EqualFold(t, "Microsoft.Network/applicationGateways") {
		env.failf("type", "%s is not an application gateway (Microsoft.Network/applicationGateways)", quote(t))
	}
	a.gwName = env.str("name")
	if props == nil {
		return gateway.Config{}
	}
	a.screen(props, &gatewayProps)
	a.collectNames(props)

	cfg := &a.cfg
	cfg.SSLPolicy = a.sslPolicy(props, "sslPolicy")
	if props.has("enableHttp2") {
		cfg.DisableHTTP2 = !props.boolean("enableHttp2")
	} else {
		cfg.DisableHTTP2 = true // Azure's default: HTTP/2 off
	}
	for _, s := range a.subs(props, "sslCertificates", &sslCertificateSpec) {
		c := a.sslCertificate(s)
		if len(c.Certificate.Certificate) > 0 {
			a.certs[strings.ToLower(c.Name)] = true
		}
		cfg.SSLCertificates = append(cfg.SSLCertificates, c)
	}
	for _, s := range a.subs(props, "trustedRootCertificates", &trustedRootSpec) {
		cfg.TrustedRootCertificates = append(cfg.TrustedRootCertificates, a.namedCertificate(s, true))
	}
	for _, s := range a.subs(props, "authenticationCertificates", &authCertSpec) {
		cfg.AuthenticationCertificates = append(cfg.AuthenticationCertificates, a.namedCertificate(s, false))
	}
	for _, s := range a.subs(props, "frontendIPConfigurations", &frontendIPSpec) {
		a.fronts[strings.ToLower(s.name)] = a.frontendIP(s)
	}
	for _, s := range a.subs(props, "frontendPorts", &frontendPortSpec) {
		a.ports[strings.ToLower(s.name)] = a.port(s.p, "port", true)
	}
	for _, s := range a.subs(props, "httpListeners", &listenerSpec) {
		cfg.Listeners = append(cfg.Listeners, a.listener(s))
	}
	for _, s := range a.subs(props, "backendAddressPools", &poolSpec) {
		cfg.Pools = append(cfg.Pools, a.pool(s))
	}
	for _, s := range a.subs(props, "backendHttpSettingsCollection", &settingSpec) {
		cfg.BackendHTTPSettings = append(cfg.BackendHTTPSettings, a.setting(s))
	}
	for _, s := range a.subs(props, "probes", &probeSpec) {
		cfg.Probes = append(cfg.Probes, a.probe(s))
	}
	for _, s := range a.subs(props, "requestRoutingRules", &ruleSpec) {
		cfg.Rules = append(cfg.Rules, a.rule(s))
	}
	for _, s := range a.subs(props, "urlPathMaps", &urlPathMapSpec) {
		cfg.URLPathMaps = append(cfg.URLPathMaps, a.urlPathMap(s))
	}
	for _, s := range a.subs(props, "redirectConfigurations", &redirectSpec) {
		cfg.Redirects = append(cfg.Redirects, a.redirect(s))
	}
	a.trustedClientCertificates(props)
	a.sslProfiles(props)
	cfg.RewriteRuleSets = a.rewriteRuleSets(props)
	cfg.CustomErrorPages = props.customErrorPages("customErrorConfigurations", false)
	for name, decode := range pending {
		if decode != nil && props.has(name) {
			decode(a, props, name)
		}
	}
	return *cfg
}

// screen reports the ignored members of o as notes and its refused ones,
// when used, as problems.
func (a *armDecoder) screen(o *object, k *kindSpec) {
	for _, m := range o.v.members {
		if f, ok := lookupField(k.ignored, m.key); ok {
			if m.val.kind != kindNull {
				a.note(m.off, join(o.path, m.key), f.name, f.reason)
			}
			continue
		}
		f, ok := lookupField(k.refused, m.key)
		if !ok || (f.feature != "" && pending[f.feature] != nil) {
			continue
		}
		v := o.member(m.key)
		switch {
		case v == nil || v.kind == kindBad:
		case used(v):
			o.failf(m.key, "not supported yet: %s; remove %s, or leave it empty or disabled", f.reason, f.name)
		case v.kind != kindNull:
			a.note(m.off, join(o.path, m.key), f.name, "accepted empty or disabled: "+f.reason+" is not supported yet")
		}
	}
}

// used reports whether v, the value of a refused property, uses the
// feature: null, "", 0, false, an empty array, a reference with an empty
// id and an object whose "enabled" is false do not.
func used(v *value) bool {
	switch v.kind {
	case kindNull, kindBad:
		return false
	case kindBool:
		return v.boolean
	case kindString:
		return v.text != ""
	case kindNumber:
		f, err := strconv.ParseFloat(v.text, 64)
		return err != nil || f != 0
	case kindArray:
		return len(v.elems) > 0
	}
	for _, m := range v.members {
		switch {
		case strings.EqualFold(m.key, "enabled") && m.val.kind == kindBool:
			return m.val.boolean
		case strings.EqualFold(m.key, "id") && m.val.kind == kindString && len(v.members) == 1:
			return m.val.text != ""
		}
	}
	return len(v.members) > 0
}

// collectNames records the names of every collection's elements, so that
// references can be checked whatever order the collections come in.
func (a *armDecoder) collectNames(props *object) {
	for _, coll := range collections {
		names := make(map[string]string)
		a.names[coll] = names
		v := props.get(coll)
		if v == nil || v.kind != kindArray {
			continue
		}
		for i, e := range v.elems {
			e = a.resolve(e, join(props.path, coll+"["+strconv.Itoa(i)+"]"))
			v.elems[i] = e
			name, ok := memberName(a.decoder, e, props.path)
			if !ok {
				a.broken[coll] = true
				continue
			}
			names[strings.ToLower(name)] = name
		}
	}
}

// memberName returns the "name" member of object v, evaluated.
func memberName(d *decoder, v *value, path string) (string, bool) {
	if v.kind != kindObject {
		return "", false
	}
	for i := range v.members {
		m := &v.members[i]
		if strings.EqualFold(m.key, "name") {
			m.val = d.resolve(m.val, join(path, "name"))
			return m.val.text, m.val.kind == kindString && m.val.text != ""
		}
	}
	return "", false
}

// subs opens the elements of collection key of props.
func (a *armDecoder) subs(props *object, key string, k *kindSpec) []*sub {
	elems, ok := props.array(key, "an array of objects")
	if !ok {
		return nil
	}
	seen := make(map[string]bool)
	var out []*sub
	for i, v := range elems {
		seg := key + "[" + strconv.Itoa(i) + "]"
		if name, ok := memberName(a.decoder, v, props.path); ok {
			seg += " (" + quote(name) + ")"
		}
		s := a.open(v, join(props.path, seg), k)
		if s == nil {
			continue
		}
		switch l := strings.ToLower(s.name); {
		case s.name == "":
			if !s.env.has("name") && !s.env.misspelt["name"] { // a misspelt name is reported already
				s.env.failf("", "missing name")
			}
		case seen[l]:
			s.env.failf("name", "%s is used by another element of %s (names are unique within a collection, without regard to case)", quote(s.name), key)
		default:
			seen[l] = true
		}
		out = append(out, s)
	}
	return out
}

// open opens v, an element of a collection, with the properties k lists.
func (a *armDecoder) open(v *value, path string, k *kindSpec) *sub {
	if v.kind == kindBad {
		return nil
	}
	if v.kind != kindObject {
		a.fail(v.off, path, fmt.Errorf("want an object, got %s", describe(v)))
		return nil
	}
	var propsV *value
	for i := range v.members {
		if m := &v.members[i]; strings.EqualFold(m.key, "properties") {
			m.val = a.resolve(m.val, join(path, "properties"))
			propsV = m.val
		}
	}
	s := &sub{}
	if propsV != nil && propsV.kind != kindNull {
		s.env = a.object(v, path, append(envelope.all(), "properties")...)
		s.p = a.object(propsV, join(path, "properties"), k.all()...)
	} else {
		s.env = a.object(v, path, append(envelope.all(), k.all()...)...)
		s.p = s.env
	}
	if s.env == nil || s.p == nil {
		return nil
	}
	a.screen(s.env, &envelope)
	a.screen(s.p, k)
	s.name = s.env.str("name")
	return s
}

// ref reads member key of o, a reference {"id": "..."} to an element of
// collection coll, and returns that element's name ("" when absent or
// wrong, which is reported).
func (a *armDecoder) ref(o *object, key, coll string) string {
	v := o.get(key)
	if v == nil {
		return ""
	}
	return a.refValue(v, join(o.path, key), coll)
}

// refValue is ref for the value v at path.
func (a *armDecoder) refValue(v *value, path, coll string) string {
	r := a.object(v, path, "id", "resourceGroup")
	if r == nil {
		return ""
	}
	id := r.str("id")
	if id == "" {
		if !r.has("id") {
			r.failf("", "missing id: a reference is {\"id\": \"<resource id of the %s element>\"}", coll)
		}
		return ""
	}
	gw, gotColl, name, ok := parseSubID(id)
	switch {
	case !ok:
		r.failf("id", "%s is not the resource id of an element of an application gateway's %s", strconv.Quote(id), coll)
		return ""
	case !strings.EqualFold(gotColl, coll):
		r.failf("id", "%s refers to %s, want an element of %s", strconv.Quote(id), gotColl, coll)
		return ""
	case a.gwName != "" && !strings.EqualFold(gw, a.gwName):
		r.failf("id", "%s refers to application gateway %s, not to this one (%s)", strconv.Quote(id), quote(gw), quote(a.gwName))
		return ""
	}
	if canon, ok := a.names[coll][strings.ToLower(name)]; ok {
		return canon
	}
	if !a.broken[coll] {
		r.failf("id", "unknown %s element %s", coll, quote(name))
	}
	return ""
}

// refs reads member key of o, an array of references into coll.
func (a *armDecoder) refs(o *object, key, coll string) []string {
	elems, ok := o.array(key, "an array of references")
	if !ok {
		return nil
	}
	var out []string
	for i, v := range elems {
		if name := a.refValue(v, join(o.path, key+"["+strconv.Itoa(i)+"]"), coll); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// parseSubID splits the resource id of a gateway's sub-resource,
// .../providers/Microsoft.Network/applicationGateways/<gw>/<coll>/<name>.
func parseSubID(id string) (gw, coll, name string, ok bool) {
	segs := strings.Split(strings.Trim(id, "/"), "/")
	for i := 0; i+4 < len(segs)+1 && i+1 < len(segs); i++ {
		if strings.EqualFold(segs[i], "Microsoft.Network") && strings.EqualFold(segs[i+1], "applicationGateways") {
			if len(segs) != i+5 || segs[i+2] == "" || segs[i+3] == "" || segs[i+4] == "" {
				return "", "", "", false
			}
			return segs[i+2], segs[i+3], segs[i+4], true
		}
	}
	return "", "", "", false
}

// sslPolicy converts member key of o, an Azure sslPolicy, in which empty
// arrays count as absent.
func (a *armDecoder) sslPolicy(o *object, key string) (p policy.Policy) {
	v := o.get(key)
	if v == nil {
		return p
	}
	po := a.object(v, join(o.path, key), sslPolicySpec.all()...)
	if po == nil {
		return p
	}
	a.screen(po, &sslPolicySpec)
	// Azure writes "cipherSuites": [] and the like: leave empty arrays out.
	var kept []member
	for _, m := range po.v.members {
		if m.val.kind == kindArray && len(m.val.elems) == 0 || !slices.ContainsFunc(sslPolicySpec.honoured, func(f string) bool { return strings.EqualFold(f, m.key) }) {
			continue
		}
		kept = append(kept, m)
	}
	trimmed := &value{kind: kindObject, off: v.off, members: kept, lit: v.lit}
	holder := &object{d: a.decoder, path: o.path, v: &value{kind: kindObject, off: o.v.off, members: []member{{key: key, off: v.off, val: trimmed}}}}
	if len(kept) == 0 {
		return p
	}
	return holder.sslPolicy(key)
}

// port reads member key of o, a port number 1 to 65535; 0 when absent or
// wrong (reported). required reports a missing port.
func (a *armDecoder) port(o *object, key string, required bool) int {
	if !o.has(key) {
		if required {
			o.failf(key, "missing")
		}
		return 0
	}
	n, ok := o.number(key, "a port number")
	if ok && (n < 1 || n > 65535) {
		o.failf(key, "%d is out of range 1-65535", n)
		return 0
	}
	return n
}

// frontendIP converts a frontendIPConfigurations element: the address its
// listeners bind.
func (a *armDecoder) frontendIP(s *sub) front {
	if s.p.has("publicIPAddress") {
		// A public IP address is Azure's; here its listeners bind the
		// address the caller chose, by default all.
		a.note(s.p.get("publicIPAddress").off, join(s.p.path, "publicIPAddress"), "publicIPAddress",
			"bound to "+orAll(a.opts.PublicAddress)+" (Options.PublicAddress, appgw -public-address)")
		return front{address: a.opts.PublicAddress}
	}
	if a.opts.PrivateAddress != "" {
		if s.p.has("privateIPAddress") {
			a.note(s.p.get("privateIPAddress").off, join(s.p.path, "privateIPAddress"), "privateIPAddress",
				"replaced by "+a.opts.PrivateAddress+" (Options.PrivateAddress, appgw -private-address)")
		}
		return front{address: a.opts.PrivateAddress}
	}
	ip := s.p.str("privateIPAddress")
	if ip == "" {
		return front{problem: fmt.Sprintf("frontendIPConfigurations element %s has neither a publicIPAddress nor a privateIPAddress (Azure picks a dynamic private address at deployment): give the address to bind with Options.PrivateAddress (appgw -private-address)", quote(s.name))}
	}
	if _, err := netip.ParseAddr(ip); err != nil {
		s.p.failf("privateIPAddress", "%s is not an IP address", quote(ip))
		return front{}
	}
	return front{address: ip}
}

// orAll names an address to bind, "" meaning all.
func orAll(addr string) string {
	if addr == "" {
		return "all addresses"
	}
	return addr
}

// listener converts an httpListeners element.
func (a *armDecoder) listener(s *sub) gateway.Listener {
	o := s.p
	l := gateway.Listener{
		Name:             s.name,
		Protocol:         a.protocol(o, "protocol"),
		RequireSNI:       o.boolean("requireServerNameIndication"),
		CustomErrorPages: o.customErrorPages("customErrorConfigurations", false),
	}
	if name := a.ref(o, "frontendIPConfiguration", "frontendIPConfigurations"); name != "" {
		f := a.fronts[strings.ToLower(name)]
		if f.problem != "" {
			o.failf("frontendIPConfiguration", "%s", f.problem)
		}
		l.Address = f.address
	} else if !o.has("frontendIPConfiguration") {
		o.failf("frontendIPConfiguration", "missing: a listener needs a frontend IP configuration")
	}
	if name := a.ref(o, "frontendPort", "frontendPorts"); name != "" {
		l.Port = a.ports[strings.ToLower(name)]
	} else if !o.has("frontendPort") {
		o.failf("frontendPort", "missing: a listener needs a frontend port")
	}
	if name := a.ref(o, "sslCertificate", "sslCertificates"); name != "" {
		l.SSLCertificate = name
	}
	l.SSLProfile = a.ref(o, "sslProfile", "sslProfiles")
	host, hosts := o.str("hostName"), o.strings("hostNames")
	switch {
	case host != "" && len(hosts) > 0:
		o.failf("hostNames", "not allowed together with hostName; list every host name in hostNames")
	case host != "":
		l.HostNames = []string{host}
	case len(hosts) > 0:
		l.HostNames = hosts
	}
	return l
}

// protocol reads member key of o, "Http" or "Https" (Azure's "Tcp" and
// "Tls" are layer-4 protocols, which are refused).
func (a *armDecoder) protocol(o *object, key string) gateway.Protocol {
	v := o.get(key)
	if v == nil {
		if !o.has(key) {
			o.failf(key, "missing: want \"Http\" or \"Https\"")
		}
		return ""
	}
	if v.kind == kindString && (strings.EqualFold(v.text, "Tcp") || strings.EqualFold(v.text, "Tls")) {
		o.failf(key, "%s is not supported yet: %s", quote(v.text), whyL4)
		return ""
	}
	return o.protocol(key)
}

// pool converts a backendAddressPools element.
func (a *armDecoder) pool(s *sub) gateway.Pool {
	p := gateway.Pool{Name: s.name}
	for _, m := range s.p.objects("backendAddresses", "ipAddress", "fqdn") {
		ip, fqdn := m.str("ipAddress"), m.str("fqdn")
		switch {
		case ip != "" && fqdn != "":
			m.failf("", "set ipAddress or fqdn, not both")
		case ip != "":
			if _, err := netip.ParseAddr(ip); err != nil {
				m.failf("ipAddress", "%s is not an IP address", quote(ip))
			}
			p.Members = append(p.Members, gateway.Member{Address: ip})
		case fqdn != "":
			p.Members = append(p.Members, gateway.Member{Address: fqdn})
		default:
			if !m.has("ipAddress") && !m.has("fqdn") {
				m.failf("", "set ipAddress or fqdn")
			}
		}
	}
	return p
}

// setting converts a backendHttpSettingsCollection element.
func (a *armDecoder) setting(s *sub) gateway.BackendHTTPSetting {
	o := s.p
	bs := gateway.BackendHTTPSetting{
		Name:                           s.name,
		Protocol:                       a.protocol(o, "protocol"),
		Port:                           a.port(o, "port", true),
		RequestTimeout:                 o.seconds("requestTimeout"),
		HostName:                       o.str("hostName"),
		PickHostNameFromBackendAddress: o.boolean("pickHostNameFromBackendAddress"),
		Path:                           o.str("path"),
		Probe:                          a.ref(o, "probe", "probes"),
		TrustedRootCertificates:        a.refs(o, "trustedRootCertificates", "trustedRootCertificates"),
		AuthenticationCertificates:     a.refs(o, "authenticationCertificates", "authenticationCertificates"),
	}
	switch o.enum("cookieBasedAffinity", "Enabled", "Disabled") {
	case "Enabled":
		bs.CookieBasedAffinity = true
		bs.AffinityCookieName = o.str("affinityCookieName")
	default:
		if v := o.get("affinityCookieName"); v != nil {
			a.note(v.off, join(o.path, "affinityCookieName"), "affinityCookieName",
				"cookieBasedAffinity is off, so no affinity cookie is set (Azure writes the name all the same)")
		}
	}
	if cd := o.object("connectionDraining", "enabled", "drainTimeoutInSec"); cd != nil {
		bs.ConnectionDraining.Enabled = cd.boolean("enabled")
		timeout := cd.seconds("drainTimeoutInSec")
		if bs.ConnectionDraining.Enabled {
			bs.ConnectionDraining.DrainTimeout = timeout
		} else if v := cd.get("drainTimeoutInSec"); v != nil {
			a.note(v.off, join(cd.path, "drainTimeoutInSec"), "drainTimeoutInSec",
				"connection draining is disabled, so removed members drain for the default 30 s, as in Azure")
		}
	}
	sni := o.str("sniName")
	if bs.Protocol != gateway.HTTPS {
		for _, k := range []string{"validateCertChainAndExpiry", "validateSNI", "sniName"} {
			if v := o.get(k); v != nil {
				a.note(v.off, join(o.path, k), k, "applies to Https settings only")
			}
		}
		return bs
	}
	// Backend TLS. Azure verifies the chain and expiry and the name the
	// certificate is for unless told not to; the gateway always does (fail
	// closed), so a setting that turns either off is refused.
	if o.has("validateCertChainAndExpiry") && !o.boolean("validateCertChainAndExpiry") {
		o.failf("validateCertChainAndExpiry", "false would accept a certificate anyone can make for the name, so no backend identity would be verified: set validateCertChainAndExpiry to true (and name the backend's root in trustedRootCertificates unless a well-known CA issued its certificate)")
	}
	if o.has("validateSNI") && !o.boolean("validateSNI") {
		o.failf("validateSNI", "false would accept a certificate issued for any name, so no backend identity would be verified: set validateSNI to true (sniName or hostName gives the name the certificate must be for)")
	}
	bs.ServerName = sni
	return bs
}

// probe converts a probes element.
func (a *armDecoder) probe(s *sub) gateway.Probe {
	o := s.p
	p := gateway.Probe{
		Name:                                s.name,
		Protocol:                            a.protocol(o, "protocol"),
		Host:                                o.str("host"),
		PickHostNameFromBackendHTTPSettings: o.boolean("pickHostNameFromBackendHttpSettings"),
		Path:                                o.str("path"),
		Port:                                a.port(o, "port", false),
		Interval:                            o.seconds("interval"),
		Timeout:                             o.seconds("timeout"),
		UnhealthyThreshold:                  o.integer("unhealthyThreshold"),
	}
	if p.PickHostNameFromBackendHTTPSettings && p.Host != "" {
		o.failf("host", "not allowed with pickHostNameFromBackendHttpSettings true")
	}
	if m := o.object("match", "statusCodes", "body"); m != nil {
		p.StatusCodes = m.strings("statusCodes")
		p.Body = m.str("body")
	}
	return p
}

// rule converts a requestRoutingRules element.
func (a *armDecoder) rule(s *sub) gateway.Rule {
	o := s.p
	r := gateway.Rule{
		Name:               s.name,
		Priority:           o.integer("priority"),
		Listener:           a.ref(o, "httpListener", "httpListeners"),
		Pool:               a.ref(o, "backendAddressPool", "backendAddressPools"),
		BackendHTTPSetting: a.ref(o, "backendHttpSettings", "backendHttpSettingsCollection"),
		URLPathMap:         a.ref(o, "urlPathMap", "urlPathMaps"),
		Redirect:           a.ref(o, "redirectConfiguration", "redirectConfigurations"),
		RewriteRuleSet:     a.ref(o, "rewriteRuleSet", "rewriteRuleSets"),
	}
	if o.has("priority") && (r.Priority < 1 || r.Priority > 20000) {
		o.failf("priority", "%d is out of range 1-20000", r.Priority)
	}
	if !o.has("httpListener") {
		o.failf("httpListener", "missing: a rule serves a listener")
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
		// Azure keeps stale references in a path-based rule; only the
		// URL path map counts.
		for _, k := range []string{"backendAddressPool", "backendHttpSettings", "redirectConfiguration"} {
			if v := o.get(k); v != nil {
				a.note(v.off, join(o.path, k), k, "ruleType PathBasedRouting: the URL path map says where requests go")
			}
		}
		r.Pool, r.BackendHTTPSetting, r.Redirect = "", "", ""
	default:
		if !o.has("ruleType") {
			o.failf("ruleType", "missing: want %q or %q", ruleBasic, rulePathBased)
		}
	}
	return r
}

// urlPathMap converts a urlPathMaps element.
func (a *armDecoder) urlPathMap(s *sub) gateway.URLPathMap {
	o := s.p
	m := gateway.URLPathMap{
		Name:                      s.name,
		DefaultPool:               a.ref(o, "defaultBackendAddressPool", "backendAddressPools"),
		DefaultBackendHTTPSetting: a.ref(o, "defaultBackendHttpSettings", "backendHttpSettingsCollection"),
		DefaultRedirect:           a.ref(o, "defaultRedirectConfiguration", "redirectConfigurations"),
		DefaultRewriteRuleSet:     a.ref(o, "defaultRewriteRuleSet", "rewriteRuleSets"),
	}
	a.oneTarget(o, "defaultBackendAddressPool", "defaultBackendHttpSettings", "defaultRedirectConfiguration")
	elems, _ := o.array("pathRules", "an array of objects")
	for i, v := range elems {
		seg := "pathRules[" + strconv.Itoa(i) + "]"
		if name, ok := memberName(a.decoder, v, o.path); ok {
			seg += " (" + quote(name) + ")"
		}
		pr := a.open(v, join(o.path, seg), &pathRuleSpec)
		if pr == nil {
			continue
		}
		m.PathRules = append(m.PathRules, gateway.PathRule{
			Name:               pr.name,
			Paths:              pr.p.strings("paths"),
			Pool:               a.ref(pr.p, "backendAddressPool", "backendAddressPools"),
			BackendHTTPSetting: a.ref(pr.p, "backendHttpSettings", "backendHttpSettingsCollection"),
			Redirect:           a.ref(pr.p, "redirectConfiguration", "redirectConfigurations"),
			RewriteRuleSet:     a.ref(pr.p, "rewriteRuleSet", "rewriteRuleSets"),
		})
		a.oneTarget(pr.p, "backendAddressPool", "backendHttpSettings", "redirectConfiguration")
	}
	return m
}

// oneTarget checks that o, a URL path map or one of its path rules, sets
// its pool and settings, or its redirect: one of the two, not both.
func (a *armDecoder) oneTarget(o *object, pool, settings, redirect string) {
	if o.misspelt[pool] || o.misspelt[settings] || o.misspelt[redirect] {
		return // follows from a misspelling, reported already
	}
	switch {
	case o.has(redirect) && (o.has(pool) || o.has(settings)):
		o.failf(redirect, "not allowed together with %s and %s: set one or the other", pool, settings)
	case !o.has(redirect) && !o.has(pool) && !o.has(settings):
		o.failf("", "missing %s and %s, or %s", pool, settings, redirect)
	}
}

// redirect converts a redirectConfigurations element.
func (a *armDecoder) redirect(s *sub) gateway.Redirect {
	return s.p.redirectWith(s.name, a.ref(s.p, "targetListener", "httpListeners"))
}

// certFor returns the local certificate file the options give for name.
func (a *armDecoder) certFor(name string) (string, bool) {
	for k, v := range a.opts.CertificateFiles {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}
