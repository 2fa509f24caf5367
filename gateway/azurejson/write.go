package azurejson

import (
	"bytes"
	"cmp"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/e2etls/e2etls/gateway"
	"github.com/e2etls/e2etls/policy"
)

// What the writer writes when the configuration and the options leave it
// open. The names of the elements the writer makes up are those the Azure
// portal gives them.
const (
	writeAPIVersion = "2025-03-01" // the API version a template's gateway names

	defaultGatewayName       = "appgw"
	defaultLocation          = "westeurope"
	defaultCapacity          = 2
	placeholderSubscription  = "00000000-0000-0000-0000-000000000000"
	placeholderResourceGroup = "rg"

	publicFrontendName  = "appGwPublicFrontendIp"
	privateFrontendName = "appGwPrivateFrontendIp"
	gatewayIPConfigName = "appGatewayIpConfig"

	// The template's parameters.
	paramName     = "applicationGatewayName"
	paramLocation = "location"
	paramSubnet   = "subnetId"
	paramPublicIP = "publicIPAddressId"
	paramPassword = "sslCertificatePassword"

	gatewayType = "Microsoft.Network/applicationGateways"

	maxV2Port = 65199 // the highest frontend port of a Standard_v2 gateway
)

// WriteOptions give what an Azure document needs that a [gateway.Config]
// does not hold: where the gateway is deployed, and the secrets and
// resources it uses there. With the zero value a template's deployment
// supplies them as parameters; a resource document needs SubnetID, and
// PublicIPAddressID when a listener binds all addresses; listener
// certificates need CertificatePassword in both.
type WriteOptions struct {
	// Name is the gateway's name. Empty means "appgw". In a template it is
	// the default of the applicationGatewayName parameter.
	Name string

	// SubscriptionID and ResourceGroup place a resource document's gateway
	// in Azure: its id, and the ids its sub-resources reference each other
	// by, are
	// /subscriptions/<SubscriptionID>/resourceGroups/<ResourceGroup>/providers/Microsoft.Network/applicationGateways/<Name>/...,
	// and Azure refuses references that are not the gateway's own, so give
	// the deployment's. Empty means the placeholders
	// 00000000-0000-0000-0000-000000000000 and "rg". A template ignores
	// them: its ids are resourceId(...) expressions, which Azure resolves in
	// the deployment.
	SubscriptionID string
	ResourceGroup  string

	// Location is the Azure region. Empty means "westeurope" in a resource
	// document, and in a template the default of its location parameter,
	// which is the resource group's location.
	Location string

	// Capacity is the instance count of the Standard_v2 SKU that the
	// document asks for, 1 to 125. Zero means 2.
	Capacity int

	// SubnetID is the resource id of the subnet Azure deploys the gateway
	// into (its gatewayIPConfigurations, which Azure requires), and of the
	// private frontend IP configuration's address. Required for a resource
	// document. A template takes it as its subnetId parameter, whose
	// default SubnetID is when set.
	SubnetID string

	// PublicIPAddressID is the resource id of the public IP address (a
	// Standard Microsoft.Network/publicIPAddresses resource) of the public
	// frontend IP configuration, which the listeners that bind all
	// addresses (or PublicAddress) use. A resource document with such
	// listeners requires it. A template takes it as its publicIPAddressId
	// parameter, whose default PublicIPAddressID is when set. The public
	// frontend is written when a listener uses it or PublicIPAddressID is
	// set: a Standard_v2 gateway without one needs Azure's private-only
	// deployment.
	PublicIPAddressID string

	// PublicAddress is a listener address that, like an empty one, stands
	// for the public frontend: the reverse of Options.PublicAddress. Empty
	// means only listeners that bind all addresses use the public frontend.
	PublicAddress string

	// PrivateIPAddress, when set, is written as the private frontend IP
	// configuration's address whatever address its listeners bind: the
	// reverse of Options.PrivateAddress. Empty means the listeners'
	// address, and then every listener that does not use the public
	// frontend must bind the same one (Azure has one private frontend).
	PrivateIPAddress string

	// CertificatePassword encrypts the listener certificates, written as
	// PFX (PKCS#12) files in base64 (sslCertificates' data), and is written
	// as their password; a template takes the password as its
	// sslCertificatePassword parameter instead (securestring) and writes
	// none. Required when the configuration has listener certificates: a
	// certificate's private key is never written unprotected. The PFX
	// files use 3DES and SHA-1 (go-pkcs12's LegacyDES), the encryption
	// every Azure certificate upload accepts; the password is what
	// protects the key, so make it long and random.
	CertificatePassword string

	// OnDrop, when set, makes the writer leave out each field of the
	// configuration that Azure cannot carry and call OnDrop with it, in
	// the order of the configuration, so that the caller can list what the
	// Azure gateway will not do (it is called as fields are found, also
	// when the write then fails for another problem). Nil means a
	// configuration with any such field is refused, the error naming every
	// one.
	OnDrop func(Dropped)
}

// Dropped is a field of a [gateway.Config] that Azure cannot carry, left
// out of a written document because [WriteOptions].OnDrop was set.
type Dropped struct {
	// Path names the field, for example
	//
	//	backendHttpSetting "api": PinnedPublicKeys
	Path string
	// Reason says why Azure cannot carry it and what the Azure gateway
	// does without it.
	Reason string
}

// String returns "<path>: <reason>".
func (d Dropped) String() string { return d.Path + ": " + d.Reason }

// WriteResource writes cfg as the Azure Application Gateway resource that
// Azure accepts and returns: the body of the REST API's PUT (Application
// Gateways - Create Or Update, api-version 2025-03-01) and the shape of az
// network application-gateway show, a Standard_v2 gateway named
// opts.Name. [Read] reads it back into the same configuration; the
// package documentation ("Writing Azure documents") lists how each field
// is written and what cannot be.
//
// Every problem is reported at once, joined with errors.Join: a field
// Azure cannot carry (unless opts.OnDrop is set), a name Azure does not
// allow, a reference to a name cfg does not have, a missing option.
// Checks of the configuration as a whole are [gateway.New]'s: write a
// configuration it accepts.
func WriteResource(cfg gateway.Config, opts WriteOptions) ([]byte, error) {
	return write(cfg, opts, false)
}

// WriteTemplate writes cfg as an ARM template that deploys the gateway
// [WriteResource] writes, with the secrets and the Azure resources it uses
// as parameters: applicationGatewayName, location, subnetId,
// publicIPAddressId (when the public frontend is written) and
// sslCertificatePassword (securestring, when cfg has listener
// certificates). References between the gateway's elements are
// resourceId(...) expressions. [Read] reads it back, given a parameters
// file with the values the template has no default for.
func WriteTemplate(cfg gateway.Config, opts WriteOptions) ([]byte, error) {
	return write(cfg, opts, true)
}

// writer turns a gateway.Config into an Azure document, collecting every
// problem.
type writer struct {
	cfg      gateway.Config
	opts     WriteOptions
	template bool
	gwID     string
	errs     []error

	// names[kind] are the names of the configuration's elements of a kind
	// ("pool"), for checking references.
	names map[string]map[string]bool
}

// The collections of the Azure document, by the configuration kind whose
// elements they hold.
var collectionOf = map[string]string{
	"sslCertificate":            "sslCertificates",
	"trustedRootCertificate":    "trustedRootCertificates",
	"authenticationCertificate": "authenticationCertificates",
	"trustedClientCertificate":  "trustedClientCertificates",
	"sslProfile":                "sslProfiles",
	"listener":                  "httpListeners",
	"pool":                      "backendAddressPools",
	"backendHttpSetting":        "backendHttpSettingsCollection",
	"probe":                     "probes",
	"urlPathMap":                "urlPathMaps",
	"redirect":                  "redirectConfigurations",
	"rewriteRuleSet":            "rewriteRuleSets",
}

func write(cfg gateway.Config, opts WriteOptions, template bool) ([]byte, error) {
	w := &writer{cfg: cfg, opts: opts, template: template, names: make(map[string]map[string]bool)}
	if w.opts.Name == "" {
		w.opts.Name = defaultGatewayName
	}
	if !validAzureName(w.opts.Name) {
		w.failf("WriteOptions.Name", "%s: %s", quote(w.opts.Name), azureNameRule)
	}
	if w.opts.Capacity == 0 {
		w.opts.Capacity = defaultCapacity
	} else if w.opts.Capacity < 1 || w.opts.Capacity > 125 {
		w.failf("WriteOptions.Capacity", "%d is out of range 1-125", w.opts.Capacity)
	}
	w.gwID = "/subscriptions/" + cmp.Or(opts.SubscriptionID, placeholderSubscription) +
		"/resourceGroups/" + cmp.Or(opts.ResourceGroup, placeholderResourceGroup) +
		"/providers/" + gatewayType + "/" + w.opts.Name

	props := w.gateway()
	res := armResource{Name: w.opts.Name, Type: gatewayType, Properties: props}
	var doc any = &res
	if template {
		res.Name = "[parameters('" + paramName + "')]"
		res.APIVersion = writeAPIVersion
		res.Location = "[parameters('" + paramLocation + "')]"
		doc = &armTemplate{
			Schema:         "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
			ContentVersion: "1.0.0.0",
			Parameters:     w.parameters(props),
			Resources:      []*armResource{&res},
		}
	} else {
		res.ID = w.gwID
		res.Location = cmp.Or(opts.Location, defaultLocation)
		if opts.SubnetID == "" {
			w.failf("WriteOptions.SubnetID", "empty: Azure deploys a gateway into a subnet (gatewayIPConfigurations); give the subnet's resource id")
		}
	}
	if len(w.errs) > 0 {
		return nil, errors.Join(w.errs...)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("azurejson: %w", err) // unreachable: every value is JSON
	}
	return b.Bytes(), nil
}

// failf records a problem at path, a place in the configuration.
func (w *writer) failf(path, format string, args ...any) {
	w.errs = append(w.errs, fmt.Errorf("azurejson: %s: %s", path, fmt.Sprintf(format, args...)))
}

// unsupported handles the field at path, which Azure cannot carry: dropped
// and reported to OnDrop when set, else refused.
func (w *writer) unsupported(path, reason string) {
	if w.opts.OnDrop != nil {
		w.opts.OnDrop(Dropped{Path: path, Reason: reason})
		return
	}
	w.failf(path, "%s: Azure cannot carry it (WriteOptions.OnDrop leaves such fields out)", reason)
}

// whyNoAuthCerts says why authentication certificates are not written.
const whyNoAuthCerts = "Standard_v2 has no authentication certificates (v1's exact backend certificates): trust the backend with a trusted root certificate instead (a self-signed backend certificate can be its own root)"

// azureNameRule is Azure's rule for the names of a gateway and its
// elements.
const azureNameRule = "Azure allows 1 to 80 letters, digits, '_', '.' and '-', beginning with a letter or digit and ending with a letter, digit or '_'"

var azureNameRE = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$`)

func validAzureName(name string) bool { return azureNameRE.MatchString(name) }

// collect records the names of the elements of one kind, reporting those
// Azure does not allow and those it takes as the same (it matches names
// without regard to case). Empty names are gateway.New's to report.
func (w *writer) collect(kind string, n int, name func(int) string) {
	names := make(map[string]bool, n)
	folded := make(map[string]string, n)
	for i := range n {
		nm := name(i)
		if nm == "" {
			continue
		}
		names[nm] = true
		path := kind + " " + strconv.Quote(nm)
		if !validAzureName(nm) {
			w.failf(path, "name: %s", azureNameRule)
		}
		l := strings.ToLower(nm)
		if prev, ok := folded[l]; ok && prev != nm {
			w.failf(path, "name: Azure matches names without regard to case, and %q is another %s's", prev, kind)
		}
		folded[l] = nm
	}
	w.names[kind] = names
}

// id returns the resource id of the element name of the collection coll,
// or in a template the expression that makes it.
func (w *writer) id(coll, name string) string {
	if w.template {
		return "[resourceId('" + gatewayType + "/" + coll + "', parameters('" + paramName + "'), '" + name + "')]"
	}
	return w.gwID + "/" + coll + "/" + name
}

// ref returns the reference to the element name of kind, found at path
// (field names the field); nil when name is empty, and when it names no
// element (reported).
func (w *writer) ref(path, field, kind, name string) *armRef {
	if name == "" {
		return nil
	}
	if !w.names[kind][name] {
		w.failf(path, "%s: unknown %s %q", field, kind, name)
		return nil
	}
	return &armRef{ID: w.id(collectionOf[kind], name)}
}

// lit returns s as a string literal of the document: in a template, a
// string that would read as an expression ("[...]") has its "[" doubled.
func (w *writer) lit(s string) string {
	if w.template && strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return "[" + s
	}
	return s
}

// lits applies lit to every string of ss.
func (w *writer) lits(ss []string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = w.lit(s)
	}
	return out
}

// param returns the template expression of parameter name, or in a
// resource document value.
func (w *writer) param(name, value string) string {
	if w.template {
		return "[parameters('" + name + "')]"
	}
	return value
}

// seconds converts a duration to whole seconds, reporting one that is not.
func (w *writer) seconds(path string, d time.Duration) int {
	if d%time.Second != 0 {
		w.failf(path, "%v is not a whole number of seconds, which is what Azure takes", d)
	}
	return int(d / time.Second)
}

// gateway writes the gateway's properties.
func (w *writer) gateway() armGatewayProps {
	cfg := &w.cfg
	w.collect("sslCertificate", len(cfg.SSLCertificates), func(i int) string { return cfg.SSLCertificates[i].Name })
	w.collect("trustedRootCertificate", len(cfg.TrustedRootCertificates), func(i int) string { return cfg.TrustedRootCertificates[i].Name })
	w.collect("authenticationCertificate", len(cfg.AuthenticationCertificates), func(i int) string { return cfg.AuthenticationCertificates[i].Name })
	w.collect("trustedClientCertificate", len(cfg.TrustedClientCertificates), func(i int) string { return cfg.TrustedClientCertificates[i].Name })
	w.collect("sslProfile", len(cfg.SSLProfiles), func(i int) string { return cfg.SSLProfiles[i].Name })
	w.collect("listener", len(cfg.Listeners), func(i int) string { return cfg.Listeners[i].Name })
	w.collect("pool", len(cfg.Pools), func(i int) string { return cfg.Pools[i].Name })
	w.collect("backendHttpSetting", len(cfg.BackendHTTPSettings), func(i int) string { return cfg.BackendHTTPSettings[i].Name })
	w.collect("probe", len(cfg.Probes), func(i int) string { return cfg.Probes[i].Name })
	w.collect("rule", len(cfg.Rules), func(i int) string { return cfg.Rules[i].Name })
	w.collect("urlPathMap", len(cfg.URLPathMaps), func(i int) string { return cfg.URLPathMaps[i].Name })
	w.collect("redirect", len(cfg.Redirects), func(i int) string { return cfg.Redirects[i].Name })
	w.collect("rewriteRuleSet", len(cfg.RewriteRuleSets), func(i int) string { return cfg.RewriteRuleSets[i].Name })

	// What only e2etls has. Logger, Resolver, DialContext, AccessLog,
	// Observer, Tracer and ReusePort wire the gateway into its process: no document
	// holds them (Read neither).
	if len(cfg.AffinityKey) > 0 {
		w.unsupported("AffinityKey", "Azure keys its affinity cookies itself")
	}
	if len(cfg.SessionTicketKeys) > 0 {
		w.unsupported("SessionTicketKeys", "Azure keeps the TLS session ticket keys of its instances itself")
	}
	if cfg.ReadHeaderTimeout != 0 {
		w.unsupported("ReadHeaderTimeout", "Azure's client request timeouts are its own")
	}
	if cfg.IdleTimeout != 0 {
		w.unsupported("IdleTimeout", "Azure's client keep-alive timeout is its own (75 s on v2)")
	}
	if cfg.Frontend != gateway.FrontendOwn {
		w.unsupported("Frontend", "the choice of e2etls's HTTP servers")
	}
	if cfg.DetailedErrors {
		w.unsupported("DetailedErrors", "Azure answers failures with its own error pages, never with e2etls's detailed account")
	}

	p := armGatewayProps{
		SKU:         armSKU{Name: "Standard_v2", Tier: "Standard_v2", Capacity: w.opts.Capacity},
		SSLPolicy:   w.sslPolicy("SSLPolicy", cfg.SSLPolicy),
		EnableHTTP2: !cfg.DisableHTTP2,
		GatewayIPConfigurations: []armElem{w.elem("gatewayIPConfigurations", gatewayIPConfigName,
			armGatewayIPProps{Subnet: armRef{ID: w.param(paramSubnet, w.opts.SubnetID)}})},
		FrontendIPConfigurations:      []armElem{},
		FrontendPorts:                 []armElem{},
		HTTPListeners:                 []armElem{},
		BackendAddressPools:           []armElem{},
		BackendHTTPSettingsCollection: []armElem{},
		RequestRoutingRules:           []armElem{},
	}
	p.SSLCertificates = w.sslCertificates()
	for _, c := range cfg.TrustedRootCertificates {
		p.TrustedRootCertificates = append(p.TrustedRootCertificates, w.namedCertificate("trustedRootCertificates", "trustedRootCertificate", c))
	}
	for _, c := range cfg.AuthenticationCertificates {
		w.unsupported("authenticationCertificate "+strconv.Quote(c.Name), whyNoAuthCerts)
	}
	p.TrustedClientCertificates = w.trustedClientCertificates()
	p.SSLProfiles = w.sslProfiles()
	p.FrontendIPConfigurations, p.FrontendPorts, p.HTTPListeners = w.listeners()
	for _, pool := range cfg.Pools {
		p.BackendAddressPools = append(p.BackendAddressPools, w.pool(pool))
	}
	for _, s := range cfg.BackendHTTPSettings {
		p.BackendHTTPSettingsCollection = append(p.BackendHTTPSettingsCollection, w.setting(s))
	}
	for _, pr := range cfg.Probes {
		p.Probes = append(p.Probes, w.probe(pr))
	}
	p.RequestRoutingRules = w.rules()
	for _, m := range cfg.URLPathMaps {
		p.URLPathMaps = append(p.URLPathMaps, w.urlPathMap(m))
	}
	for _, r := range cfg.Redirects {
		p.RedirectConfigurations = append(p.RedirectConfigurations, w.redirect(r))
	}
	for _, rs := range cfg.RewriteRuleSets {
		p.RewriteRuleSets = append(p.RewriteRuleSets, w.rewriteRuleSet(rs))
	}
	p.CustomErrorConfigurations = w.customErrors("CustomErrorPages", cfg.CustomErrorPages)
	return p
}

// elem makes an element of the collection coll: its name, its id in a
// resource document (a template leaves ids to Azure) and its properties.
func (w *writer) elem(coll, name string, props any) armElem {
	e := armElem{Name: name, Properties: props}
	if !w.template {
		e.ID = w.gwID + "/" + coll + "/" + name
	}
	return e
}

// sslPolicy writes a TLS policy; nil for the zero Policy, which is Azure's
// default (AppGwSslPolicy20220101) too.
func (w *writer) sslPolicy(path string, p policy.Policy) *armSSLPolicy {
	if p.IsZero() {
		return nil
	}
	if p.Name != "" {
		if want, err := policy.Predefined(p.Name); err == nil && samePolicy(p, want) {
			return &armSSLPolicy{PolicyType: policyPredefined, PolicyName: p.Name}
		}
		w.unsupported(path, fmt.Sprintf("a policy named %q that is not that predefined policy", p.Name))
		return nil
	}
	var suites []string
	for _, id := range p.CipherSuites {
		// Azure's REST API spells the suites with their IANA names
		// (ApplicationGatewaySslCipherSuite: TLS_ECDHE_RSA_WITH_...).
		name := policy.CipherSuiteName(id)
		if !strings.HasPrefix(name, "TLS_") {
			name = "TLS_" + name
		}
		suites = append(suites, name)
	}
	if p.MinVersion >= tls.VersionTLS10 && p.MinVersion <= tls.VersionTLS13 {
		lowest := policy.VersionName(p.MinVersion)
		if want, err := policy.Custom(lowest, suites); err == nil && samePolicy(p, want) {
			return &armSSLPolicy{PolicyType: policyCustomV2, MinProtocolVersion: lowest, CipherSuites: suites}
		}
	}
	w.unsupported(path, "a TLS policy Azure's custom policies cannot express (they allow up to TLS 1.3, Azure's cipher suites and the default curves)")
	return nil
}

// samePolicy reports whether p allows what want allows; nil curves mean
// the default ones.
func samePolicy(p, want policy.Policy) bool {
	curves := func(q policy.Policy) []tls.CurveID {
		if len(q.Curves) == 0 {
			return policy.DefaultCurves(q.MaxVersion)
		}
		return q.Curves
	}
	return p.Name == want.Name && p.MinVersion == want.MinVersion && p.MaxVersion == want.MaxVersion &&
		slices.Equal(p.CipherSuites, want.CipherSuites) && slices.Equal(curves(p), curves(want))
}

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

// parameters declares a template's parameters: those its gateway uses.
func (w *writer) parameters(p armGatewayProps) map[string]armParam {
	def := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	params := map[string]armParam{
		paramName:     {Type: "string", DefaultValue: w.opts.Name, Metadata: &armMetadata{"The application gateway's name."}},
		paramLocation: {Type: "string", DefaultValue: cmp.Or(w.opts.Location, "[resourceGroup().location]"), Metadata: &armMetadata{"The Azure region of the gateway."}},
		paramSubnet:   {Type: "string", DefaultValue: def(w.opts.SubnetID), Metadata: &armMetadata{"The resource id of the subnet the gateway is deployed into."}},
	}
	for _, f := range p.FrontendIPConfigurations {
		if f.Name == publicFrontendName {
			params[paramPublicIP] = armParam{Type: "string", DefaultValue: def(w.opts.PublicIPAddressID), Metadata: &armMetadata{"The resource id of the public IP address of the gateway's public frontend (Standard SKU)."}}
		}
	}
	if len(w.cfg.SSLCertificates) > 0 {
		params[paramPassword] = armParam{Type: "securestring", Metadata: &armMetadata{"The password of the listener certificates' PFX files (sslCertificates' data)."}}
	}
	return params
}

// The JSON of the written documents, in Azure's property order.

type armTemplate struct {
	Schema         string              `json:"$schema"`
	ContentVersion string              `json:"contentVersion"`
	Parameters     map[string]armParam `json:"parameters"`
	Resources      []*armResource      `json:"resources"`
}

type armParam struct {
	Type         string       `json:"type"`
	DefaultValue any          `json:"defaultValue,omitempty"`
	Metadata     *armMetadata `json:"metadata,omitempty"`
}

type armMetadata struct {
	Description string `json:"description"`
}

type armResource struct {
	Name       string          `json:"name"`
	ID         string          `json:"id,omitempty"`
	Type       string          `json:"type"`
	APIVersion string          `json:"apiVersion,omitempty"`
	Location   string          `json:"location"`
	Properties armGatewayProps `json:"properties"`
}

type armRef struct {
	ID string `json:"id"`
}

type armElem struct {
	Name       string `json:"name"`
	ID         string `json:"id,omitempty"`
	Properties any    `json:"properties"`
}

type armSKU struct {
	Name     string `json:"name"`
	Tier     string `json:"tier"`
	Capacity int    `json:"capacity"`
}

type armGatewayProps struct {
	SKU                           armSKU           `json:"sku"`
	SSLPolicy                     *armSSLPolicy    `json:"sslPolicy,omitempty"`
	GatewayIPConfigurations       []armElem        `json:"gatewayIPConfigurations"`
	SSLCertificates               []armElem        `json:"sslCertificates,omitempty"`
	TrustedRootCertificates       []armElem        `json:"trustedRootCertificates,omitempty"`
	TrustedClientCertificates     []armElem        `json:"trustedClientCertificates,omitempty"`
	SSLProfiles                   []armElem        `json:"sslProfiles,omitempty"`
	FrontendIPConfigurations      []armElem        `json:"frontendIPConfigurations"`
	FrontendPorts                 []armElem        `json:"frontendPorts"`
	HTTPListeners                 []armElem        `json:"httpListeners"`
	BackendAddressPools           []armElem        `json:"backendAddressPools"`
	BackendHTTPSettingsCollection []armElem        `json:"backendHttpSettingsCollection"`
	Probes                        []armElem        `json:"probes,omitempty"`
	RequestRoutingRules           []armElem        `json:"requestRoutingRules"`
	URLPathMaps                   []armElem        `json:"urlPathMaps,omitempty"`
	RedirectConfigurations        []armElem        `json:"redirectConfigurations,omitempty"`
	RewriteRuleSets               []armElem        `json:"rewriteRuleSets,omitempty"`
	CustomErrorConfigurations     []armCustomError `json:"customErrorConfigurations,omitempty"`
	EnableHTTP2                   bool             `json:"enableHttp2"`
}

type armSSLPolicy struct {
	PolicyType         string   `json:"policyType"`
	PolicyName         string   `json:"policyName,omitempty"`
	MinProtocolVersion string   `json:"minProtocolVersion,omitempty"`
	CipherSuites       []string `json:"cipherSuites,omitempty"`
}

type armGatewayIPProps struct {
	Subnet armRef `json:"subnet"`
}

type armCertProps struct {
	Data     string `json:"data"`
	Password string `json:"password,omitempty"`
}

type armFrontendIPProps struct {
	PrivateIPAddress          string  `json:"privateIPAddress,omitempty"`
	PrivateIPAllocationMethod string  `json:"privateIPAllocationMethod,omitempty"`
	Subnet                    *armRef `json:"subnet,omitempty"`
	PublicIPAddress           *armRef `json:"publicIPAddress,omitempty"`
}

type armPortProps struct {
	Port int `json:"port"`
}

type armListenerProps struct {
	FrontendIPConfiguration     armRef           `json:"frontendIPConfiguration"`
	FrontendPort                armRef           `json:"frontendPort"`
	Protocol                    string           `json:"protocol"`
	HostName                    string           `json:"hostName,omitempty"`
	HostNames                   []string         `json:"hostNames,omitempty"`
	SSLCertificate              *armRef          `json:"sslCertificate,omitempty"`
	SSLProfile                  *armRef          `json:"sslProfile,omitempty"`
	RequireServerNameIndication bool             `json:"requireServerNameIndication,omitempty"`
	CustomErrorConfigurations   []armCustomError `json:"customErrorConfigurations,omitempty"`
}

type armAddress struct {
	IPAddress string `json:"ipAddress,omitempty"`
	FQDN      string `json:"fqdn,omitempty"`
}

type armPoolProps struct {
	BackendAddresses []armAddress `json:"backendAddresses"`
}

type armDraining struct {
	Enabled           bool `json:"enabled"`
	DrainTimeoutInSec int  `json:"drainTimeoutInSec"`
}

type armSettingProps struct {
	Port                           int          `json:"port"`
	Protocol                       string       `json:"protocol"`
	CookieBasedAffinity            string       `json:"cookieBasedAffinity"`
	AffinityCookieName             string       `json:"affinityCookieName,omitempty"`
	RequestTimeout                 int          `json:"requestTimeout"`
	ConnectionDraining             *armDraining `json:"connectionDraining,omitempty"`
	Path                           string       `json:"path,omitempty"`
	HostName                       string       `json:"hostName,omitempty"`
	PickHostNameFromBackendAddress bool         `json:"pickHostNameFromBackendAddress"`
	SNIName                        string       `json:"sniName,omitempty"`
	Probe                          *armRef      `json:"probe,omitempty"`
	TrustedRootCertificates        []armRef     `json:"trustedRootCertificates,omitempty"`
}

type armMatch struct {
	StatusCodes []string `json:"statusCodes,omitempty"`
	Body        string   `json:"body,omitempty"`
}

type armProbeProps struct {
	Protocol                            string    `json:"protocol"`
	Host                                string    `json:"host,omitempty"`
	Path                                string    `json:"path"`
	Interval                            int       `json:"interval"`
	Timeout                             int       `json:"timeout"`
	UnhealthyThreshold                  int       `json:"unhealthyThreshold"`
	PickHostNameFromBackendHTTPSettings bool      `json:"pickHostNameFromBackendHttpSettings"`
	Port                                int       `json:"port,omitempty"`
	Match                               *armMatch `json:"match,omitempty"`
}

type armRuleProps struct {
	RuleType              string  `json:"ruleType"`
	Priority              int     `json:"priority,omitempty"`
	HTTPListener          *armRef `json:"httpListener,omitempty"`
	BackendAddressPool    *armRef `json:"backendAddressPool,omitempty"`
	BackendHTTPSettings   *armRef `json:"backendHttpSettings,omitempty"`
	URLPathMap            *armRef `json:"urlPathMap,omitempty"`
	RedirectConfiguration *armRef `json:"redirectConfiguration,omitempty"`
	RewriteRuleSet        *armRef `json:"rewriteRuleSet,omitempty"`
}

type armPathMapProps struct {
	DefaultBackendAddressPool    *armRef   `json:"defaultBackendAddressPool,omitempty"`
	DefaultBackendHTTPSettings   *armRef   `json:"defaultBackendHttpSettings,omitempty"`
	DefaultRedirectConfiguration *armRef   `json:"defaultRedirectConfiguration,omitempty"`
	DefaultRewriteRuleSet        *armRef   `json:"defaultRewriteRuleSet,omitempty"`
	PathRules                    []armElem `json:"pathRules"`
}

type armPathRuleProps struct {
	Paths                 []string `json:"paths"`
	BackendAddressPool    *armRef  `json:"backendAddressPool,omitempty"`
	BackendHTTPSettings   *armRef  `json:"backendHttpSettings,omitempty"`
	RedirectConfiguration *armRef  `json:"redirectConfiguration,omitempty"`
	RewriteRuleSet        *armRef  `json:"rewriteRuleSet,omitempty"`
}

type armRedirectProps struct {
	RedirectType       string  `json:"redirectType"`
	TargetListener     *armRef `json:"targetListener,omitempty"`
	TargetURL          string  `json:"targetUrl,omitempty"`
	IncludePath        bool    `json:"includePath"`
	IncludeQueryString bool    `json:"includeQueryString"`
}

type armCustomError struct {
	StatusCode         string `json:"statusCode"`
	CustomErrorPageURL string `json:"customErrorPageUrl"`
}

type armRewriteRuleSetProps struct {
	RewriteRules []armRewriteRule `json:"rewriteRules"`
}

type armRewriteRule struct {
	Name         string         `json:"name"`
	RuleSequence int            `json:"ruleSequence,omitempty"`
	Conditions   []armCondition `json:"conditions,omitempty"`
	ActionSet    armActionSet   `json:"actionSet"`
}

type armCondition struct {
	Variable   string `json:"variable"`
	Pattern    string `json:"pattern"`
	IgnoreCase bool   `json:"ignoreCase"`
	Negate     bool   `json:"negate"`
}

type armActionSet struct {
	RequestHeaderConfigurations  []armHeaderConfig `json:"requestHeaderConfigurations,omitempty"`
	ResponseHeaderConfigurations []armHeaderConfig `json:"responseHeaderConfigurations,omitempty"`
	URLConfiguration             *armURLConfig     `json:"urlConfiguration,omitempty"`
}

type armHeaderConfig struct {
	HeaderName         string           `json:"headerName"`
	HeaderValue        string           `json:"headerValue"`
	HeaderValueMatcher *armValueMatcher `json:"headerValueMatcher,omitempty"`
}

type armValueMatcher struct {
	Pattern    string `json:"pattern"`
	IgnoreCase bool   `json:"ignoreCase"`
	Negate     bool   `json:"negate"`
}

type armURLConfig struct {
	ModifiedPath        string  `json:"modifiedPath,omitempty"`
	ModifiedQueryString *string `json:"modifiedQueryString,omitempty"`
	Reroute             bool    `json:"reroute"`
}
