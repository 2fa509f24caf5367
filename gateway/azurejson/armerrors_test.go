package azurejson

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// gw wraps properties into a REST-shaped gateway named gw.
func gw(props string) string {
	return `{"name": "gw", "type": "Microsoft.Network/applicationGateways", "properties": {` + props + `}}`
}

// id is the resource id of gw's element name of collection coll.
func id(coll, name string) string {
	return `{"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/gw/` + coll + `/` + name + `"}`
}

// TestAzureErrors checks the exact messages, with line and path, of bad
// Azure documents: every problem at once, none twice, none that only
// follows from another.
func TestAzureErrors(t *testing.T) {
	pfx := func(name string) string {
		data, err := os.ReadFile(filepath.Join(corpus, "rest-put-body.json"))
		require.NoError(t, err)
		s := string(data)
		i := strings.Index(s, `"data": "`) + len(`"data": "`)
		return s[i : i+strings.Index(s[i:], `"`)]
	}(corpus)
	tests := []struct {
		name, doc, want string
	}{
		{
			"misspelt field and unknown reference, both",
			gw(`"frontendPorts": [{"name": "p", "properties": {"prot": 80}}],
			    "httpListeners": [{"name": "l", "properties": {"protocol": "Http", "frontendPort": ` + id("frontendPorts", "q") + `, "frontendIPConfiguration": ` + id("frontendIPConfigurations", "f") + `}}],
			    "frontendIPConfigurations": [{"name": "f", "properties": {"privateIPAddress": "10.0.0.1"}}]`),
			"azurejson: line 1, column 127: properties: frontendPorts[0] (\"p\"): properties: unknown field \"prot\" (did you mean \"port\"?)\nazurejson: line 2, column 98: properties: httpListeners[0] (\"l\"): properties: frontendPort: id: unknown frontendPorts element \"q\"",
		},
		{
			"unsupported feature used, empty one accepted",
			gw(`"loadDistributionPolicies": [{"name": "r"}], "sslProfiles": [], "firewallPolicy": {"id": "/subscriptions/s/x"}`),
			"azurejson: line 1, column 108: properties: loadDistributionPolicies: not supported yet: load distribution policies; members are used round-robin; remove loadDistributionPolicies, or leave it empty or disabled\nazurejson: line 1, column 162: properties: firewallPolicy: not supported yet: a web application firewall (e2etls has none); remove firewallPolicy, or leave it empty or disabled",
		},
		{
			"WAF enabled",
			gw(`"webApplicationFirewallConfiguration": {"enabled": true, "firewallMode": "Prevention"}`),
			"azurejson: line 1, column 119: properties: webApplicationFirewallConfiguration: not supported yet: a web application firewall (e2etls has none); remove webApplicationFirewallConfiguration, or leave it empty or disabled",
		},
		{
			"backend TLS that verifies no identity",
			gw(`"backendHttpSettingsCollection": [{"name": "s", "properties": {"protocol": "Https", "port": 443, "validateSNI": false, "validateCertChainAndExpiry": false}}]`),
			"azurejson: line 1, column 192: properties: backendHttpSettingsCollection[0] (\"s\"): properties: validateSNI: false would accept a certificate issued for any name, so no backend identity would be verified: set validateSNI to true (sniName or hostName gives the name the certificate must be for)\nazurejson: line 1, column 229: properties: backendHttpSettingsCollection[0] (\"s\"): properties: validateCertChainAndExpiry: false would accept a certificate anyone can make for the name, so no backend identity would be verified: set validateCertChainAndExpiry to true (and name the backend's root in trustedRootCertificates unless a well-known CA issued its certificate)",
		},
		{
			"certificates Azure keeps",
			gw(`"sslCertificates": [{"name": "kv", "properties": {"keyVaultSecretId": "https://kv.vault.azure.net/secrets/www"}}, {"name": "pub", "properties": {"publicCertData": "MIIB"}}]`),
			"azurejson: line 1, column 150: properties: sslCertificates[0] (\"kv\"): properties: keyVaultSecretId: \"https://kv.vault.azure.net/secrets/www\": a certificate kept in Azure Key Vault cannot be read here: give the certificate and its key as a local file (PEM, or the PFX Key Vault holds) with Options.CertificateFiles[\"kv\"] (appgw -cert kv=FILE)\nazurejson: line 1, column 243: properties: sslCertificates[1] (\"pub\"): properties: publicCertData: Azure returns a listener certificate's public part only, never its private key: give the certificate and its key as a local file (PEM, or the PFX Key Vault holds) with Options.CertificateFiles[\"pub\"] (appgw -cert pub=FILE)",
		},
		{
			"wrong PFX password",
			gw(`"sslCertificates": [{"name": "www", "properties": {"data": "` + pfx + `", "password": "guess"}}]`),
			"azurejson: line 1, column 139: properties: sslCertificates[0] (\"www\"): properties: data: wrong password for the PFX (password)",
		},
		{
			"reference into the wrong collection and to another gateway",
			gw(`"probes": [{"name": "p", "properties": {"protocol": "Http"}}],
			    "backendHttpSettingsCollection": [{"name": "s", "properties": {"protocol": "Http", "port": 80, "probe": ` + id("backendAddressPools", "p") + `}},
			      {"name": "t", "properties": {"protocol": "Http", "port": 80, "probe": {"id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/other/probes/p"}}}]`),
			"azurejson: line 2, column 119: properties: backendHttpSettingsCollection[0] (\"s\"): properties: probe: id: \"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/gw/backendAddressPools/p\" refers to backendAddressPools, want an element of probes\nazurejson: line 3, column 87: properties: backendHttpSettingsCollection[1] (\"t\"): properties: probe: id: \"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/applicationGateways/other/probes/p\" refers to application gateway \"other\", not to this one (\"gw\")",
		},
		{
			"layer-4 protocol and port out of range",
			gw(`"frontendPorts": [{"name": "p", "properties": {"port": 70000}}], "backendHttpSettingsCollection": [{"name": "s", "properties": {"protocol": "Tcp", "port": 80}}]`),
			"azurejson: line 1, column 135: properties: frontendPorts[0] (\"p\"): properties: port: 70000 is out of range 1-65535\nazurejson: line 1, column 220: properties: backendHttpSettingsCollection[0] (\"s\"): properties: protocol: \"Tcp\" is not supported yet: layer-4 (TCP and TLS) proxying",
		},
		{
			"a bad port once, not again at each listener that uses it",
			gw(`"frontendPorts": [{"name": "p", "properties": {"port": 70000}}],
			    "frontendIPConfigurations": [{"name": "f", "properties": {"privateIPAddress": "10.0.0.1"}}],
			    "httpListeners": [{"name": "a", "properties": {"protocol": "Http", "frontendPort": ` + id("frontendPorts", "p") + `, "frontendIPConfiguration": ` + id("frontendIPConfigurations", "f") + `}},
			      {"name": "b", "properties": {"protocol": "Http", "hostName": "b.example", "frontendPort": ` + id("frontendPorts", "p") + `, "frontendIPConfiguration": ` + id("frontendIPConfigurations", "f") + `}}]`),
			"azurejson: line 1, column 135: properties: frontendPorts[0] (\"p\"): properties: port: 70000 is out of range 1-65535",
		},
		{
			"a misspelt name: the misspelling, not a missing name, nor the references to the element",
			gw(`"backendAddressPools": [{"nmae": "p"}],
			    "backendHttpSettingsCollection": [{"name": "s", "properties": {"protocol": "Http", "port": 80}}],
			    "frontendPorts": [{"name": "p", "properties": {"port": 80}}],
			    "frontendIPConfigurations": [{"name": "f", "properties": {"privateIPAddress": "10.0.0.1"}}],
			    "httpListeners": [{"name": "a", "properties": {"protocol": "Http", "frontendPort": ` + id("frontendPorts", "p") + `, "frontendIPConfiguration": ` + id("frontendIPConfigurations", "f") + `}}],
			    "requestRoutingRules": [{"name": "r", "properties": {"ruleType": "Basic", "priority": 1, "httpListener": ` + id("httpListeners", "a") + `,
			      "backendAddressPool": ` + id("backendAddressPools", "p") + `, "backendHttpSettings": ` + id("backendHttpSettingsCollection", "s") + `}}]`),
			"azurejson: line 1, column 105: properties: backendAddressPools[0]: unknown field \"nmae\" (did you mean \"name\"?)",
		},
		{
			"URL path maps: a pool and settings or a redirect, one of the two",
			gw(`"redirectConfigurations": [{"name": "r", "properties": {"redirectType": "Found", "targetUrl": "https://a.example/"}}],
			    "backendAddressPools": [{"name": "p"}],
			    "urlPathMaps": [{"name": "m", "properties": {"defaultBackendAddressPool": ` + id("backendAddressPools", "p") + `, "defaultRedirectConfiguration": ` + id("redirectConfigurations", "r") + `,
			      "pathRules": [{"name": "none", "properties": {"paths": ["/n"]}},
			        {"name": "bad", "properties": {"paths": ["/b"], "redirectConfiguration": ` + id("redirectConfigurations", "nope") + `}}]}},
			      {"name": "empty", "properties": {"pathRules": []}}]`),
			"azurejson: line 3, column 233: properties: urlPathMaps[0] (\"m\"): properties: defaultRedirectConfiguration: not allowed together with defaultBackendAddressPool and defaultBackendHttpSettings: set one or the other\n" +
				"azurejson: line 4, column 55: properties: urlPathMaps[0] (\"m\"): properties: pathRules[0] (\"none\"): properties: missing backendAddressPool and backendHttpSettings, or redirectConfiguration\n" +
				"azurejson: line 5, column 92: properties: urlPathMaps[0] (\"m\"): properties: pathRules[1] (\"bad\"): properties: redirectConfiguration: id: unknown redirectConfigurations element \"nope\"\n" +
				"azurejson: line 6, column 42: properties: urlPathMaps[1] (\"empty\"): properties: missing defaultBackendAddressPool and defaultBackendHttpSettings, or defaultRedirectConfiguration",
		},
		{
			"template expression not supported",
			`{"$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
			  "resources": [{"type": "Microsoft.Network/applicationGateways", "name": "gw", "location": "[resourceGroup().location]",
			    "properties": {"frontendPorts": [{"name": "p", "properties": {"port": "[add(80, 1)]"}}],
			      "probes": [{"name": "q", "properties": {"protocol": "Http", "host": "[parameters('missing')]", "path": "[variables('v').path]"}}]}}],
			  "variables": {"v": {"path": "[[/x"}}}`,
			"azurejson: line 3, column 78: resources[0] (\"gw\"): properties: frontendPorts[0] (\"p\"): properties: port: template expression \"[add(80, 1)]\": the function add() is not supported: e2etls evaluates parameters, variables, concat and resourceId only (write the value out, or pass it as a parameter)\nazurejson: line 4, column 78: resources[0] (\"gw\"): properties: probes[0] (\"q\"): properties: host: template expression \"[parameters('missing')]\": the template has no parameter \"missing\"",
		},
		{
			"parameters file problems",
			`{"resources": [{"type": "Microsoft.Network/applicationGateways", "name": "[parameters('name')]", "properties": {}}],
			  "parameters": {"name": {"type": "string"}, "port": {"type": "int"}}}`,
			"azurejson: parameters.json: line 1, column 35: parameters: name: value: the template declares type string, got number 5\nazurejson: parameters.json: line 1, column 39: parameters: nope: the template declares no such parameter",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{}
			if strings.HasPrefix(tt.name, "parameters file") {
				opts.Parameters = []byte(`{"parameters": {"name": {"value": 5}, "nope": {"value": 1}}}`)
				opts.ParametersName = "parameters.json"
			}
			_, err := Read([]byte(tt.doc), opts)
			require.Error(t, err)
			require.Equal(t, tt.want, err.Error())
		})
	}
}
