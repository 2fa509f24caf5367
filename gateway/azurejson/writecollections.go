package azurejson

import (
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/e2etls/e2etls/gateway"
)

// The elements of the gateway's collections, one writer each: listener
// certificates, trust, frontends and listeners, pools, backend settings,
// probes, rules, URL path maps and redirects.

// sslCertificates writes the listener certificates as password-protected
// PFX files.
func (w *writer) sslCertificates() []armElem {
	var out []armElem
	var names []string
	for _, c := range w.cfg.SSLCertificates {
		names = append(names, strconv.Quote(c.Name))
	}
	if len(names) > 0 && w.opts.CertificatePassword == "" {
		w.failf("WriteOptions.CertificatePassword", "empty, but sslCertificates %s need one: Azure takes a listener certificate with its private key as a PFX file and its password, and the key is never written unprotected", strings.Join(names, ", "))
		return nil
	}
	for _, c := range w.cfg.SSLCertificates {
		path := "sslCertificate " + strconv.Quote(c.Name)
		if c.Source != nil && len(c.Certificate.Certificate) == 0 {
			if cur, _ := c.Source.Current(); cur != nil {
				c.Certificate = *cur // its current version
			}
		}
		if len(c.Certificate.OCSPStaple) > 0 {
			w.unsupported(path+": Certificate.OCSPStaple", "an OCSP staple given with the certificate; Azure staples its own")
		}
		if len(c.Certificate.SignedCertificateTimestamps) > 0 {
			w.unsupported(path+": Certificate.SignedCertificateTimestamps", "SCTs given with the certificate; Azure sends those the certificate holds")
		}
		pfx, err := encodePFX(c.Certificate, w.opts.CertificatePassword)
		if err != nil {
			w.failf(path, "%v", err)
			continue
		}
		out = append(out, w.elem("sslCertificates", c.Name, armCertProps{
			Data:     base64.StdEncoding.EncodeToString(pfx),
			Password: w.param(paramPassword, w.opts.CertificatePassword),
		}))
	}
	return out
}

// encodePFX encodes a listener certificate, its chain and its key as a PFX
// file protected by password.
func encodePFX(c tls.Certificate, password string) ([]byte, error) {
	if len(c.Certificate) == 0 {
		return nil, errors.New("no certificate to write")
	}
	if c.PrivateKey == nil {
		return nil, errors.New("no private key to write: Azure needs a listener certificate's key")
	}
	leaf := c.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return nil, fmt.Errorf("leaf does not parse: %w", err)
		}
	}
	var cas []*x509.Certificate
	for i, der := range c.Certificate[1:] {
		ca, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("certificate %d of the chain does not parse: %w", i+2, err)
		}
		cas = append(cas, ca)
	}
	pfx, err := pkcs12.LegacyDES.Encode(c.PrivateKey, leaf, cas, password)
	if err != nil {
		return nil, fmt.Errorf("cannot write the certificate and its key as a PFX file: %w", err)
	}
	return pfx, nil
}

// namedCertificate writes a trusted root certificate: the certificate in
// base64 DER.
func (w *writer) namedCertificate(coll, kind string, c gateway.NamedCertificate) armElem {
	if c.Source != nil && c.Certificate == nil {
		if cur, _ := c.Source.Current(); len(cur) == 1 {
			c.Certificate = cur[0] // its current version
		}
	}
	var data string
	if c.Certificate != nil {
		data = base64.StdEncoding.EncodeToString(c.Certificate.Raw)
	} else {
		w.failf(kind+" "+strconv.Quote(c.Name), "no certificate to write")
	}
	return w.elem(coll, c.Name, armCertProps{Data: data})
}

// listeners writes the listeners, and the frontend IP configurations and
// ports they reference: the public frontend for the listeners that bind
// all addresses (or PublicAddress), the private one for the others, and
// one port element per port, named port_<port>.
func (w *writer) listeners() (fronts, ports, listeners []armElem) {
	fronts, ports, listeners = []armElem{}, []armElem{}, []armElem{}
	publicUsed := false
	var private, privateBy string // the private frontend's address, and the first listener that binds it
	seenPort := make(map[int]bool)
	for _, l := range w.cfg.Listeners {
		path := "listener " + strconv.Quote(l.Name)
		if !l.SSLPolicy.IsZero() {
			w.unsupported(path+": SSLPolicy", "a listener's own TLS policy needs an SSL profile in Azure: give the listener a profile (SSLProfiles) with that policy; without, the listener gets the gateway's policy")
		}
		if l.Port > maxV2Port {
			w.failf(path, "Port %d: Standard_v2 listens on ports 1-%d (Azure keeps the ports above for itself)", l.Port, maxV2Port)
		}
		props := armListenerProps{
			Protocol:                    string(l.Protocol),
			RequireServerNameIndication: l.RequireSNI,
		}
		if l.Address == "" || l.Address == w.opts.PublicAddress {
			publicUsed = true
			props.FrontendIPConfiguration = armRef{ID: w.id("frontendIPConfigurations", publicFrontendName)}
		} else {
			addr := cmp.Or(w.opts.PrivateIPAddress, l.Address)
			switch {
			case private == "":
				private, privateBy = addr, l.Name
			case addr != private:
				w.failf(path, "Address %q: Azure has one private frontend IP configuration, whose address is %q (listener %q); bind the same address, or set WriteOptions.PrivateIPAddress", l.Address, private, privateBy)
			}
			props.FrontendIPConfiguration = armRef{ID: w.id("frontendIPConfigurations", privateFrontendName)}
		}
		portName := "port_" + strconv.Itoa(l.Port)
		if !seenPort[l.Port] {
			seenPort[l.Port] = true
			ports = append(ports, w.elem("frontendPorts", portName, armPortProps{Port: l.Port}))
		}
		props.FrontendPort = armRef{ID: w.id("frontendPorts", portName)}
		switch {
		case len(l.HostNames) == 1 && !strings.ContainsAny(l.HostNames[0], "*?"):
			props.HostName = w.lit(l.HostNames[0]) // Azure keeps wildcards and lists to hostNames
		case len(l.HostNames) > 0:
			props.HostNames = w.lits(l.HostNames)
		}
		if strings.EqualFold(string(l.Protocol), string(gateway.HTTPS)) && l.SSLCertificate == "" {
			w.failf(path, "SSLCertificate: none (a listener served only through Gateway.Handler): an Azure HTTPS listener presents its own certificate; give it one")
		}
		props.SSLCertificate = w.ref(path, "SSLCertificate", "sslCertificate", l.SSLCertificate)
		props.SSLProfile = w.ref(path, "SSLProfile", "sslProfile", l.SSLProfile)
		props.CustomErrorConfigurations = w.customErrors(path+": CustomErrorPages", l.CustomErrorPages)
		listeners = append(listeners, w.elem("httpListeners", l.Name, props))
	}
	if publicUsed || w.opts.PublicIPAddressID != "" {
		if publicUsed && !w.template && w.opts.PublicIPAddressID == "" {
			w.failf("WriteOptions.PublicIPAddressID", "empty, but listeners bind all addresses (or WriteOptions.PublicAddress), which Azure gives a public frontend: give the resource id of its public IP address")
		}
		fronts = append(fronts, w.elem("frontendIPConfigurations", publicFrontendName,
			armFrontendIPProps{PublicIPAddress: &armRef{ID: w.param(paramPublicIP, w.opts.PublicIPAddressID)}}))
	}
	if private != "" {
		fronts = append(fronts, w.elem("frontendIPConfigurations", privateFrontendName, armFrontendIPProps{
			PrivateIPAddress:          w.lit(private),
			PrivateIPAllocationMethod: "Static",
			Subnet:                    &armRef{ID: w.param(paramSubnet, w.opts.SubnetID)},
		}))
	}
	return fronts, ports, listeners
}

// pool writes a backend address pool.
func (w *writer) pool(p gateway.Pool) armElem {
	path := "pool " + strconv.Quote(p.Name)
	props := armPoolProps{BackendAddresses: []armAddress{}}
	for i, m := range p.Members {
		if m.Port != 0 {
			w.unsupported(fmt.Sprintf("%s: member %d: Port", path, i), "a member's own port; Azure sends every member of a pool to its backend setting's port")
		}
		if isIPAddress(m.Address) {
			props.BackendAddresses = append(props.BackendAddresses, armAddress{IPAddress: m.Address})
		} else {
			props.BackendAddresses = append(props.BackendAddresses, armAddress{FQDN: w.lit(m.Address)})
		}
	}
	return w.elem("backendAddressPools", p.Name, props)
}

// isIPAddress reports whether s is an IP address literal.
func isIPAddress(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}

// setting writes a backend HTTP setting.
func (w *writer) setting(s gateway.BackendHTTPSetting) armElem {
	path := "backendHttpSetting " + strconv.Quote(s.Name)
	timeout := s.RequestTimeout
	if timeout == 0 {
		timeout = 20 * time.Second // the gateway's default, written out: Azure's may differ
	}
	if s.Port == 0 {
		w.failf(path, "Port: zero, each member's own port instead: Azure needs a port on every backend setting and sends every member of a pool to it; give the setting a port")
	}
	props := armSettingProps{
		Port:                           s.Port,
		Protocol:                       string(s.Protocol),
		CookieBasedAffinity:            "Disabled",
		RequestTimeout:                 w.seconds(path+": RequestTimeout", timeout),
		Path:                           w.lit(s.Path),
		HostName:                       w.lit(s.HostName),
		PickHostNameFromBackendAddress: s.PickHostNameFromBackendAddress,
		SNIName:                        w.lit(s.ServerName),
		Probe:                          w.ref(path, "Probe", "probe", s.Probe),
	}
	if s.CookieBasedAffinity {
		props.CookieBasedAffinity = "Enabled"
		props.AffinityCookieName = s.AffinityCookieName
	}
	switch d := s.ConnectionDraining; {
	case d.Enabled:
		timeout := cmp.Or(d.DrainTimeout, 30*time.Second) // the gateway's default, written out
		props.ConnectionDraining = &armDraining{Enabled: true, DrainTimeoutInSec: w.seconds(path+": ConnectionDraining.DrainTimeout", timeout)}
	case d.DrainTimeout != 0:
		// Meaningless while draining is disabled, in Azure as in e2etls
		// (Read ignores it); written as Azure keeps it.
		props.ConnectionDraining = &armDraining{DrainTimeoutInSec: w.seconds(path+": ConnectionDraining.DrainTimeout", d.DrainTimeout)}
	}
	for _, name := range s.TrustedRootCertificates {
		if r := w.ref(path, "TrustedRootCertificates", "trustedRootCertificate", name); r != nil {
			props.TrustedRootCertificates = append(props.TrustedRootCertificates, *r)
		}
	}
	for _, name := range s.AuthenticationCertificates {
		w.ref(path, "AuthenticationCertificates", "authenticationCertificate", name) // reports an unknown name
	}
	if len(s.AuthenticationCertificates) > 0 {
		w.unsupported(path+": AuthenticationCertificates", whyNoAuthCerts+"; without them the Azure gateway trusts any certificate its trusted roots (or the well-known CAs) issued for the name")
	}
	// Backend trust only e2etls has. Without it the Azure gateway verifies
	// what it always does: the chain (to the trusted roots, else the
	// well-known CAs) and the name.
	if len(s.PinnedPublicKeys) > 0 {
		w.unsupported(path+": PinnedPublicKeys", "Azure cannot pin backend public keys; without the pins the Azure gateway trusts any certificate its roots (or the well-known CAs) issued for the name")
	}
	if s.Identity != "" {
		w.unsupported(path+": Identity", "Azure expects the SNI name (sniName, hostName) of a backend certificate, never another identity")
	}
	if len(s.SubjectAltNames) > 0 {
		w.unsupported(path+": SubjectAltNames", "Azure matches a backend certificate against the SNI name (sniName, hostName) only, never a list of names, URIs or addresses")
	}
	if s.Verifier != nil {
		w.unsupported(path+": Verifier", "a custom verifier is Go code")
	}
	if s.ClientCertificate != nil {
		w.unsupported(path+": ClientCertificate", "Azure presents no client certificate to backends")
	}
	if !s.SSLPolicy.IsZero() {
		w.unsupported(path+": SSLPolicy", "Azure's TLS policy applies to its listeners only, not to backend connections")
	}
	if s.HTTP2 {
		w.unsupported(path+": HTTP2", "Azure speaks HTTP/1.1 to backends")
	}
	if s.InsecureSkipVerify {
		w.unsupported(path+": InsecureSkipVerify", "turning backend verification off is for tests; the Azure gateway verifies the backend")
	}
	if s.DisableProbe {
		w.unsupported(path+": DisableProbe", "Azure probes every backend, with the default probe when the setting names none; without this the Azure gateway probes GET / on the members")
	}
	return w.elem("backendHttpSettingsCollection", s.Name, props)
}

// probe writes a custom probe, with the gateway's defaults written out.
func (w *writer) probe(p gateway.Probe) armElem {
	path := "probe " + strconv.Quote(p.Name)
	props := armProbeProps{
		Protocol:                            string(p.Protocol),
		Host:                                w.lit(p.Host),
		Path:                                w.lit(cmp.Or(p.Path, "/")),
		Interval:                            w.seconds(path+": Interval", cmp.Or(p.Interval, 30*time.Second)),
		Timeout:                             w.seconds(path+": Timeout", cmp.Or(p.Timeout, 30*time.Second)),
		UnhealthyThreshold:                  p.UnhealthyThreshold,
		PickHostNameFromBackendHTTPSettings: p.PickHostNameFromBackendHTTPSettings,
		Port:                                p.Port,
	}
	if props.UnhealthyThreshold == 0 {
		props.UnhealthyThreshold = 3
	}
	if len(p.StatusCodes) > 0 || p.Body != "" {
		props.Match = &armMatch{StatusCodes: w.lits(p.StatusCodes), Body: w.lit(p.Body)}
	}
	return w.elem("probes", p.Name, props)
}

// rules writes the request routing rules. Azure needs every rule to have
// a priority (API 2021-08-01 and later): when none has one, listed order
// decides, and the rules get 10, 20, 30, ... in that order, which keeps it.
func (w *writer) rules() []armElem {
	out := []armElem{}
	rules := w.cfg.Rules
	withPriority := slices.IndexFunc(rules, func(r gateway.Rule) bool { return r.Priority != 0 })
	step := 10
	if len(rules)*step > 20000 {
		step = 1
	}
	for i, r := range rules {
		path := "rule " + strconv.Quote(r.Name)
		props := armRuleProps{
			RuleType:     ruleBasic,
			Priority:     r.Priority,
			HTTPListener: w.ref(path, "Listener", "listener", r.Listener),
		}
		switch {
		case withPriority < 0:
			props.Priority = (i + 1) * step
		case r.Priority == 0:
			w.failf(path, "Priority: zero, but rule %q has one: Azure needs a priority on every rule", rules[withPriority].Name)
		}
		if r.Listener == "" {
			w.failf(path, "Listener: empty: a rule serves a listener")
		}
		switch {
		case r.URLPathMap != "":
			props.RuleType = rulePathBased
			props.URLPathMap = w.ref(path, "URLPathMap", "urlPathMap", r.URLPathMap)
		case r.Redirect != "":
			props.RedirectConfiguration = w.ref(path, "Redirect", "redirect", r.Redirect)
		}
		props.BackendAddressPool = w.ref(path, "Pool", "pool", r.Pool)
		props.BackendHTTPSettings = w.ref(path, "BackendHTTPSetting", "backendHttpSetting", r.BackendHTTPSetting)
		props.RewriteRuleSet = w.ref(path, "RewriteRuleSet", "rewriteRuleSet", r.RewriteRuleSet)
		out = append(out, w.elem("requestRoutingRules", r.Name, props))
	}
	return out
}

// urlPathMap writes a URL path map and its path rules.
func (w *writer) urlPathMap(m gateway.URLPathMap) armElem {
	path := "urlPathMap " + strconv.Quote(m.Name)
	props := armPathMapProps{
		DefaultBackendAddressPool:    w.ref(path, "DefaultPool", "pool", m.DefaultPool),
		DefaultBackendHTTPSettings:   w.ref(path, "DefaultBackendHTTPSetting", "backendHttpSetting", m.DefaultBackendHTTPSetting),
		DefaultRedirectConfiguration: w.ref(path, "DefaultRedirect", "redirect", m.DefaultRedirect),
		DefaultRewriteRuleSet:        w.ref(path, "DefaultRewriteRuleSet", "rewriteRuleSet", m.DefaultRewriteRuleSet),
		PathRules:                    []armElem{},
	}
	if m.CaseSensitive {
		w.unsupported(path+": CaseSensitive", "Azure's path rules match without regard to case")
	}
	names := make(map[string]string)
	for _, pr := range m.PathRules {
		prPath := path + ": pathRule " + strconv.Quote(pr.Name)
		if pr.Name != "" && !validAzureName(pr.Name) {
			w.failf(prPath, "name: %s", azureNameRule)
		}
		if prev, ok := names[strings.ToLower(pr.Name)]; ok && prev != pr.Name {
			w.failf(prPath, "name: Azure matches names without regard to case, and %q is another path rule's", prev)
		}
		names[strings.ToLower(pr.Name)] = pr.Name
		if !pr.Match.IsZero() {
			w.unsupported(prPath+": Match", "Azure's path rules match the path only, never the method, header fields or query")
		}
		pool, setting := pr.Pool, pr.BackendHTTPSetting
		if len(pr.WeightedBackends) > 0 {
			w.unsupported(prPath+": WeightedBackends", "Azure sends a path rule's requests to one backend pool with one setting, never split by weight; left out, the rule sends them all to its first backend of positive weight")
			for _, wb := range pr.WeightedBackends {
				if wb.Weight > 0 {
					pool, setting = wb.Pool, wb.BackendHTTPSetting
					break
				}
			}
		}
		e := armElem{Name: pr.Name, Properties: armPathRuleProps{
			Paths:                 w.lits(pr.Paths),
			BackendAddressPool:    w.ref(prPath, "Pool", "pool", pool),
			BackendHTTPSettings:   w.ref(prPath, "BackendHTTPSetting", "backendHttpSetting", setting),
			RedirectConfiguration: w.ref(prPath, "Redirect", "redirect", pr.Redirect),
			RewriteRuleSet:        w.ref(prPath, "RewriteRuleSet", "rewriteRuleSet", pr.RewriteRuleSet),
		}}
		if !w.template {
			e.ID = w.gwID + "/urlPathMaps/" + m.Name + "/pathRules/" + pr.Name
		}
		props.PathRules = append(props.PathRules, e)
	}
	return w.elem("urlPathMaps", m.Name, props)
}

// redirectTypes are Azure's redirect types by status code.
var redirectTypes = map[int]string{0: "Permanent", 301: "Permanent", 302: "Found", 303: "SeeOther", 307: "Temporary"}

// redirect writes a redirect configuration.
func (w *writer) redirect(r gateway.Redirect) armElem {
	path := "redirect " + strconv.Quote(r.Name)
	typ, ok := redirectTypes[r.Status]
	if !ok {
		w.failf(path, "Status %d: Azure redirects with 301, 302, 303 or 307", r.Status)
	}
	return w.elem("redirectConfigurations", r.Name, armRedirectProps{
		RedirectType:       typ,
		TargetListener:     w.ref(path, "TargetListener", "listener", r.TargetListener),
		TargetURL:          w.lit(r.TargetURL),
		IncludePath:        r.IncludePath,
		IncludeQueryString: r.IncludeQuery,
	})
}
