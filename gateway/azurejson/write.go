package azurejson

import (
	"bytes"
	"cmp"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

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
