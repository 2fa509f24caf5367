package azurejson

import "strings"

// This file lists every property an Azure Application Gateway document can
// hold (REST API 2024-05-01 to 2025-07-01, plus what the az CLI, Resource
// Graph and ARM templates add) and what the loader does with it: honour it,
// accept and ignore it (reporting a Note), or refuse it. The package
// documentation lists the same; TestDocListsEveryProperty keeps the two in
// step.

// field is a property that is ignored or refused, with the reason.
type field struct {
	name   string
	reason string
	// feature, for a refused property, names the pending feature it
	// belongs to (a key of pending): the refusal is lifted once that
	// feature has a decoder.
	feature string
}

// kindSpec says which properties an Azure object may have.
type kindSpec struct {
	honoured []string
	ignored  []field
	refused  []field // refused when used: see used
}

// all returns every property of k.
func (k *kindSpec) all() []string {
	out := append([]string(nil), k.honoured...)
	for _, f := range k.ignored {
		out = append(out, f.name)
	}
	for _, f := range k.refused {
		out = append(out, f.name)
	}
	return out
}

// Reasons shared by many properties.
const (
	whyState    = "read-only state of the Azure resource"
	whyEtag     = "Azure's version tag of the resource"
	whyID       = "the Azure resource id: objects are matched by collection and name"
	whyType     = "the Azure resource type"
	whyRG       = "the resource group, added by the az CLI"
	whyBackRef  = "a back-reference Azure fills in; the forward reference is what counts"
	whyPlace    = "where Azure deploys the gateway, which has no meaning here"
	whyWAF      = "a web application firewall (e2etls has none)"
	whyL4       = "layer-4 (TCP and TLS) proxying"
	whyLoadDist = "load distribution policies; members are used round-robin"
	whyJWT      = "Entra ID JWT validation"
)

// pending are the Azure features being added to the gateway now. Each is
// refused while its decoder is nil. To honour one, write a function that
// decodes the feature's top-level collection into the configuration and set
// it here: the properties elsewhere that reference the feature (their field
// names it) then stop being refused, and the decoders of the objects that
// hold them read them.
var pending = map[string]func(a *armDecoder, props *object, key string){}

// envelope are the members every sub-resource may have besides its
// properties.
var envelope = kindSpec{
	honoured: []string{"name"},
	ignored: []field{
		{name: "id", reason: whyID},
		{name: "etag", reason: whyEtag},
		{name: "type", reason: whyType},
		{name: "resourceGroup", reason: whyRG},
	},
}

// gatewayEnvelope are the members of the gateway resource itself, as the
// REST API, the az CLI and Resource Graph return it.
var gatewayEnvelope = kindSpec{
	honoured: []string{"name", "type", "properties"},
	ignored: []field{
		{name: "id", reason: whyID},
		{name: "etag", reason: whyEtag},
		{name: "location", reason: whyPlace},
		{name: "tags", reason: "Azure resource tags"},
		{name: "zones", reason: whyPlace},
		{name: "identity", reason: "the managed identity Azure uses to read Key Vault"},
		{name: "resourceGroup", reason: whyRG},
		{name: "subscriptionId", reason: "Resource Graph's subscription column"},
		{name: "tenantId", reason: "Resource Graph's tenant column"},
		{name: "kind", reason: "Resource Graph's kind column"},
		{name: "managedBy", reason: "Resource Graph's managedBy column"},
		{name: "sku", reason: "Resource Graph's sku column"},
		{name: "plan", reason: "Resource Graph's plan column"},
		{name: "extendedLocation", reason: whyPlace},
		{name: "systemData", reason: "Azure's record of who changed the resource"},
	},
}

// templateResource are the members of the gateway's entry in an ARM
// template's resources, besides those of gatewayEnvelope.
var templateResource = kindSpec{
	honoured: []string{"name", "type", "properties"},
	ignored: []field{
		{name: "apiVersion", reason: "the API version; every property up to 2025-07-01 is known"},
		{name: "location", reason: whyPlace},
		{name: "tags", reason: "Azure resource tags"},
		{name: "zones", reason: whyPlace},
		{name: "identity", reason: "the managed identity Azure uses to read Key Vault"},
		{name: "dependsOn", reason: "the deployment order of the template's resources"},
		{name: "comments", reason: "a template comment"},
		{name: "metadata", reason: "template metadata"},
		{name: "id", reason: whyID},
		{name: "etag", reason: whyEtag},
	},
	refused: []field{
		{name: "condition", reason: "conditional deployment (condition) is not supported: remove it from the gateway resource"},
		{name: "copy", reason: "resource loops (copy) are not supported: the template must hold one application gateway"},
		{name: "scope", reason: "an extension resource scope is not supported"},
	},
}

// gatewayProps are the members of the gateway's properties.
var gatewayProps = kindSpec{
	honoured: []string{
		"sslPolicy", "sslCertificates", "trustedRootCertificates", "authenticationCertificates",
		"frontendIPConfigurations", "frontendPorts", "httpListeners", "backendAddressPools",
		"backendHttpSettingsCollection", "probes", "requestRoutingRules", "urlPathMaps",
		"redirectConfigurations", "enableHttp2", "sslProfiles", "trustedClientCertificates",
		"rewriteRuleSets", "customErrorConfigurations",
	},
	ignored: []field{
		{name: "sku", reason: "the SKU, tier and instance count of the Azure deployment"},
		{name: "autoscaleConfiguration", reason: "how Azure scales the deployment"},
		{name: "gatewayIPConfigurations", reason: "the subnet Azure deploys the gateway into"},
		{name: "operationalState", reason: whyState},
		{name: "provisioningState", reason: whyState},
		{name: "resourceGuid", reason: whyState},
		{name: "defaultPredefinedSslPolicy", reason: "read-only: Azure's default policy, AppGwSslPolicy20220101, is the gateway's default too"},
		{name: "privateEndpointConnections", reason: "read-only: private endpoints that others connected to the Azure gateway"},
		{name: "forceFirewallPolicyAssociation", reason: "how Azure associates a WAF policy"},
		{name: "globalConfiguration", reason: "request and response buffering in Azure; the gateway streams bodies"},
	},
	refused: []field{
		{name: "webApplicationFirewallConfiguration", reason: whyWAF},
		{name: "firewallPolicy", reason: whyWAF},
		{name: "privateLinkConfigurations", reason: "Azure Private Link"},
		{name: "backendSettingsCollection", reason: whyL4},
		{name: "listeners", reason: whyL4},
		{name: "routingRules", reason: whyL4},
		{name: "loadDistributionPolicies", reason: whyLoadDist},
		{name: "entraJWTValidationConfigs", reason: whyJWT},
		{name: "enableFips", reason: "FIPS mode"},
		{name: "copy", reason: "template property loops (copy)"},
	},
}

var sslPolicySpec = kindSpec{
	honoured: []string{"policyType", "policyName", "minProtocolVersion", "cipherSuites"},
	refused: []field{
		{name: "disabledSslProtocols", reason: "the retired form of a TLS policy; set policyType and policyName, or minProtocolVersion and cipherSuites"},
	},
}

var sslCertificateSpec = kindSpec{
	honoured: []string{"data", "password", "publicCertData", "keyVaultSecretId", "hsm"},
	ignored: []field{
		{name: "provisioningState", reason: whyState},
		{name: "httpListeners", reason: whyBackRef},
	},
}

var trustedRootSpec = kindSpec{
	honoured: []string{"data", "keyVaultSecretId"},
	ignored:  []field{{name: "provisioningState", reason: whyState}},
}

var authCertSpec = kindSpec{
	honoured: []string{"data"},
	ignored:  []field{{name: "provisioningState", reason: whyState}},
}

var frontendIPSpec = kindSpec{
	honoured: []string{"privateIPAddress", "publicIPAddress"},
	ignored: []field{
		{name: "privateIPAllocationMethod", reason: "how Azure assigns the private address"},
		{name: "subnet", reason: "the subnet of the private address"},
		{name: "provisioningState", reason: whyState},
		{name: "httpListeners", reason: whyBackRef},
	},
	refused: []field{{name: "privateLinkConfiguration", reason: "Azure Private Link"}},
}

var frontendPortSpec = kindSpec{
	honoured: []string{"port"},
	ignored: []field{
		{name: "provisioningState", reason: whyState},
		{name: "httpListeners", reason: whyBackRef},
	},
}

var listenerSpec = kindSpec{
	honoured: []string{
		"frontendIPConfiguration", "frontendPort", "protocol", "hostName", "hostNames",
		"sslCertificate", "requireServerNameIndication", "sslProfile", "customErrorConfigurations",
	},
	ignored: []field{
		{name: "provisioningState", reason: whyState},
		{name: "requestRoutingRules", reason: whyBackRef},
	},
	refused: []field{
		{name: "firewallPolicy", reason: whyWAF},
	},
}

var poolSpec = kindSpec{
	honoured: []string{"backendAddresses"},
	ignored: []field{
		{name: "provisioningState", reason: whyState},
		{name: "requestRoutingRules", reason: whyBackRef},
		{name: "pathRules", reason: whyBackRef},
		{name: "urlPathMaps", reason: whyBackRef},
		{name: "loadBalancerBackendAddresses", reason: whyBackRef},
	},
	refused: []field{
		{name: "backendIPConfigurations", reason: "members given as network interfaces carry no address in the document: list their addresses in backendAddresses"},
	},
}

var settingSpec = kindSpec{
	honoured: []string{
		"port", "protocol", "cookieBasedAffinity", "requestTimeout", "probe",
		"authenticationCertificates", "trustedRootCertificates", "connectionDraining",
		"hostName", "pickHostNameFromBackendAddress", "affinityCookieName", "path",
		"validateCertChainAndExpiry", "validateSNI", "sniName",
	},
	ignored: []field{
		{name: "probeEnabled", reason: "Azure's flag for a custom probe; the probe reference is what counts"},
		{name: "provisioningState", reason: whyState},
		{name: "requestRoutingRules", reason: whyBackRef},
		{name: "urlPathMaps", reason: whyBackRef},
		{name: "pathRules", reason: whyBackRef},
	},
	refused: []field{
		{name: "dedicatedBackendConnection", reason: "one backend connection per client connection; the gateway pools backend connections"},
	},
}

var probeSpec = kindSpec{
	honoured: []string{
		"protocol", "host", "path", "interval", "timeout", "unhealthyThreshold",
		"pickHostNameFromBackendHttpSettings", "match", "port",
	},
	ignored: []field{
		{name: "provisioningState", reason: whyState},
		{name: "backendHttpSettings", reason: whyBackRef},
	},
	refused: []field{
		{name: "minServers", reason: "a minimum of members always taken as healthy"},
		{name: "pickHostNameFromBackendSettings", reason: whyL4},
		{name: "enableProbeProxyProtocolHeader", reason: whyL4},
	},
}

var ruleSpec = kindSpec{
	honoured: []string{
		"ruleType", "priority", "httpListener", "backendAddressPool", "backendHttpSettings",
		"urlPathMap", "redirectConfiguration", "rewriteRuleSet",
	},
	ignored: []field{{name: "provisioningState", reason: whyState}},
	refused: []field{
		{name: "loadDistributionPolicy", reason: whyLoadDist},
		{name: "entraJWTValidationConfig", reason: whyJWT},
	},
}

var urlPathMapSpec = kindSpec{
	honoured: []string{"defaultBackendAddressPool", "defaultBackendHttpSettings", "defaultRedirectConfiguration", "pathRules", "defaultRewriteRuleSet"},
	ignored: []field{
		{name: "provisioningState", reason: whyState},
		{name: "requestRoutingRules", reason: whyBackRef},
	},
	refused: []field{
		{name: "defaultLoadDistributionPolicy", reason: whyLoadDist},
	},
}

var pathRuleSpec = kindSpec{
	honoured: []string{"paths", "backendAddressPool", "backendHttpSettings", "redirectConfiguration", "rewriteRuleSet"},
	ignored:  []field{{name: "provisioningState", reason: whyState}},
	refused: []field{
		{name: "loadDistributionPolicy", reason: whyLoadDist},
		{name: "firewallPolicy", reason: whyWAF},
	},
}

var rewriteRuleSetSpec = kindSpec{
	honoured: []string{"rewriteRules"},
	ignored:  []field{{name: "provisioningState", reason: whyState}},
}

var redirectSpec = kindSpec{
	honoured: []string{"redirectType", "targetListener", "targetUrl", "includePath", "includeQueryString"},
	ignored: []field{
		{name: "provisioningState", reason: whyState},
		{name: "requestRoutingRules", reason: whyBackRef},
		{name: "urlPathMaps", reason: whyBackRef},
		{name: "pathRules", reason: whyBackRef},
	},
}

// lookupField returns the entry of fields named name (without regard to
// case).
func lookupField(fields []field, name string) (field, bool) {
	for _, f := range fields {
		if strings.EqualFold(f.name, name) {
			return f, true
		}
	}
	return field{}, false
}
