package azurejson

import (
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/e2etls/e2etls/backendtls"
	"github.com/e2etls/e2etls/backendtls/tlstest"
	"github.com/e2etls/e2etls/policy"
)

// jsonString encodes s as a JSON string.
func jsonString(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	require.NoError(t, err)
	return string(b)
}

// errText is the message of the error that f returns, which must fail.
func errText[T any](t *testing.T, f func() (T, error)) string {
	t.Helper()
	_, err := f()
	require.Error(t, err)
	return err.Error()
}

// TestParseErrors runs a table of bad files and checks the exact message of
// every problem, in file order. Messages that come from policy, backendtls
// and crypto/tls are taken from those packages, so that only this
// package's part of each message is pinned here.
func TestParseErrors(t *testing.T) {
	root := tlstest.NewRoot(tlstest.Options{CommonName: "Errors Root"})
	leaf := root.NewLeaf(tlstest.Options{DNSNames: []string{"www.example"}})
	other := root.NewLeaf(tlstest.Options{DNSNames: []string{"other.example"}, KeyType: tlstest.ECDSAP256})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "root.pem"), root.CertPEM())
	writeFile(t, filepath.Join(dir, "leaf.pem"), leaf.CertPEM())
	writeFile(t, filepath.Join(dir, "leaf.key"), leaf.KeyPEM())
	writeFile(t, filepath.Join(dir, "other.key"), other.KeyPEM())
	writeFile(t, filepath.Join(dir, "two.pem"), concat(leaf.CertPEM(), root.CertPEM()))
	writeFile(t, filepath.Join(dir, "big.pem"), make([]byte, maxFileSize+1))

	twoCerts := jsonString(t, string(concat(leaf.CertPEM(), root.CertPEM())))
	keyAsData := jsonString(t, string(leaf.KeyPEM()))
	_, keyErr := backendtls.ParseCertificates(leaf.KeyPEM())
	require.Error(t, keyErr)
	_, garbageErr := backendtls.ParseCertificates([]byte("garbage"))
	require.Error(t, garbageErr)
	mismatch := errText(t, func() (tls.Certificate, error) { return tls.X509KeyPair(leaf.CertPEM(), other.KeyPEM()) })
	unknownPolicy := errText(t, func() (policy.Policy, error) { return policy.Predefined("AppGwSslPolicy2022") })
	badSuite := errText(t, func() (policy.Policy, error) {
		return policy.Custom("TLSv1_2", []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "RC4"})
	})
	badVersion := errText(t, func() (policy.Policy, error) { return policy.Custom("TLS1.2", nil) })
	badPin := errText(t, func() (backendtls.Pin, error) { return backendtls.ParsePin("sha256/abc") })
	notExist := "open " + filepath.Join(dir, "missing.pem") + ": no such file or directory"

	tests := []struct {
		name string
		json string
		want string // every line of the joined error
	}{
		// Syntax.
		{"empty", ``, `azurejson: line 1, column 1: unexpected end of JSON input`},
		{"truncated", "{\n  \"probes\": [\n", `azurejson: line 3, column 1: unexpected end of JSON input`},
		{
			"trailing comma",
			"{\n  \"httpListeners\": [\n    {\"name\": \"a\",}\n  ]\n}",
			`azurejson: line 3, column 18: invalid character '}' looking for beginning of object key string`,
		},
		{"trailing data", `{} x`, `azurejson: line 1, column 4: invalid character 'x' after top-level value`},
		{
			"column counts characters",
			`{"httpListeners": "é€" ]}`,
			`azurejson: line 1, column 24: invalid character ']' after object key:value pair`,
		},
		{"not an object", `[]`, `azurejson: line 1, column 1: want an application gateway (an object), or a list holding one; found none`},
		{"not an object or array", `"gw"`, `azurejson: line 1, column 1: want an object, got string "gw"`},

		// Unknown and repeated fields.
		{
			"unknown top-level field",
			`{"httpListener": []}`,
			`azurejson: line 1, column 2: unknown top-level field "httpListener" (did you mean "httpListeners"?)`,
		},
		{
			"unknown field",
			`{"httpListeners": [{"name": "web", "hostname": "x"}]}`,
			`azurejson: httpListeners[0] ("web"): unknown field "hostname" (did you mean "hostName"?)`,
		},
		{
			"unknown field far from any",
			`{"probes": [{"name": "p", "minServers": 0}]}`,
			`azurejson: probes[0] ("p"): unknown field "minServers"`,
		},
		{
			"ARM properties wrapper",
			`{"httpListeners": [{"name": "web", "properties": {"port": 80}}]}`,
			`azurejson: httpListeners[0] ("web"): unknown field "properties" (this format is flat: move the members of "properties" into the object itself)`,
		},
		{
			"ARM frontend port",
			`{"httpListeners": [{"name": "web", "frontendPort": {"id": "x"}}]}`,
			`azurejson: httpListeners[0] ("web"): unknown field "frontendPort" (a listener gives its port number in "port")`,
		},
		{
			"unknown field in nested object",
			`{"probes": [{"name": "p", "match": {"statusCode": ["200"]}}]}`,
			`azurejson: probes[0] ("p"): match: unknown field "statusCode" (did you mean "statusCodes"?)`,
		},
		{
			"duplicate field",
			`{"probes": [{"name": "p", "path": "/a", "path": "/b"}]}`,
			`azurejson: probes[0] ("p"): field "path" appears twice`,
		},

		// Wrong types.
		{
			"string port",
			`{"httpListeners": [{"name": "web", "port": "443"}]}`,
			`azurejson: httpListeners[0] ("web"): port: want an integer, got string "443"`,
		},
		{
			"fractional port",
			`{"httpListeners": [{"name": "web", "port": 1.5}]}`,
			`azurejson: httpListeners[0] ("web"): port: want an integer, got number 1.5`,
		},
		{
			"huge port",
			`{"httpListeners": [{"name": "web", "port": 1e30}]}`,
			`azurejson: httpListeners[0] ("web"): port: 1e30 is out of range`,
		},
		{
			"string boolean",
			`{"httpListeners": [{"name": "web", "requireServerNameIndication": "true"}]}`,
			`azurejson: httpListeners[0] ("web"): requireServerNameIndication: want true or false, got string "true"`,
		},
		{
			"string for list",
			`{"httpListeners": [{"name": "web", "hostNames": "a.example"}]}`,
			`azurejson: httpListeners[0] ("web"): hostNames: want an array of strings, got string "a.example"`,
		},
		{
			"number in list",
			`{"httpListeners": [{"name": "web", "hostNames": ["a.example", 7]}]}`,
			`azurejson: httpListeners[0] ("web"): hostNames[1]: want a string, got number 7`,
		},
		{
			"object for array",
			`{"httpListeners": {"name": "web"}}`,
			`azurejson: httpListeners: want an array of objects, got an object`,
		},
		{
			"element not an object",
			`{"httpListeners": [{"name": "web"}, "api"]}`,
			`azurejson: httpListeners[1]: want an object, got string "api"`,
		},
		{
			"name not a string",
			`{"httpListeners": [{"name": 3}]}`,
			`azurejson: httpListeners[0]: name: want a string, got number 3`,
		},
		{
			"long value shortened",
			`{"httpListeners": [{"name": "web", "port": "` + strings.Repeat("8", 100) + `"}]}`,
			`azurejson: httpListeners[0] ("web"): port: want an integer, got string "` + strings.Repeat("8", 64) + `..."`,
		},
		{
			"long value shortened between characters",
			`{"httpListeners": [{"name": "web", "port": "a` + strings.Repeat("é", 50) + `"}]}`,
			`azurejson: httpListeners[0] ("web"): port: want an integer, got string "a` + strings.Repeat("é", 31) + `..."`,
		},
		{
			"ARM id reference",
			`{"requestRoutingRules": [{"name": "r", "ruleType": "Basic", "backendAddressPool": {"id": "/subscriptions/x"}}]}`,
			`azurejson: requestRoutingRules[0] ("r"): backendAddressPool: want a name, got an object (this format references objects by name, not by ARM resource id)`,
		},
		{
			"ARM id references",
			`{"backendHttpSettings": [{"name": "s", "trustedRootCertificates": [{"id": "x"}]}]}`,
			`azurejson: backendHttpSettings[0] ("s"): trustedRootCertificates: want an array of names, got an array of objects (this format references objects by name, not by ARM resource id)`,
		},

		// Enumerations and durations.
		{
			"protocol",
			`{"httpListeners": [{"name": "web", "protocol": "Tcp"}]}`,
			`azurejson: httpListeners[0] ("web"): protocol: want "Http" or "Https", got string "Tcp"`,
		},
		{
			"cookieBasedAffinity",
			`{"backendHttpSettings": [{"name": "s", "cookieBasedAffinity": "On"}]}`,
			`azurejson: backendHttpSettings[0] ("s"): cookieBasedAffinity: want "Enabled" or "Disabled", got string "On"`,
		},
		{
			"negative timeout",
			`{"backendHttpSettings": [{"name": "web"}, {"name": "api", "requestTimeout": -3}]}`,
			`azurejson: backendHttpSettings[1] ("api"): requestTimeout: -3 is not a positive number of seconds`,
		},
		{
			"zero interval",
			`{"probes": [{"name": "p", "interval": 0}]}`,
			`azurejson: probes[0] ("p"): interval: 0 is not a positive number of seconds`,
		},
		{
			"string timeout",
			`{"probes": [{"name": "p", "timeout": "30s"}]}`,
			`azurejson: probes[0] ("p"): timeout: want a whole number of seconds, got string "30s"`,
		},
		{
			"timeout too long",
			`{"idleTimeout": 10000000000}`,
			`azurejson: idleTimeout: 10000000000 seconds is too long`,
		},
		{
			"drain timeout",
			`{"backendHttpSettings": [{"name": "s", "connectionDraining": {"enabled": true, "drainTimeoutInSec": 1.5}}]}`,
			`azurejson: backendHttpSettings[0] ("s"): connectionDraining: drainTimeoutInSec: want a whole number of seconds, got number 1.5`,
		},

		// Fields that exclude or need each other.
		{
			"hostName and hostNames",
			`{"httpListeners": [{"name": "web", "hostName": "a.example", "hostNames": ["b.example"]}]}`,
			`azurejson: httpListeners[0] ("web"): hostNames: not allowed together with hostName; list every host name in hostNames`,
		},
		{
			"listener address",
			`{"httpListeners": [{"name": "web", "address": "localhost"}]}`,
			`azurejson: httpListeners[0] ("web"): address: "localhost" is not an IP address`,
		},
		{
			"ipAddress and fqdn",
			`{"backendAddressPools": [{"name": "p", "backendAddresses": [{"ipAddress": "10.0.0.1", "fqdn": "a.example"}]}]}`,
			`azurejson: backendAddressPools[0] ("p"): backendAddresses[0]: set ipAddress or fqdn, not both`,
		},
		{
			"neither ipAddress nor fqdn",
			`{"backendAddressPools": [{"name": "p", "backendAddresses": [{"ipAddress": "10.0.0.1"}, {"port": 80}]}]}`,
			`azurejson: backendAddressPools[0] ("p"): backendAddresses[1]: set ipAddress or fqdn`,
		},
		{
			"ipAddress not an IP",
			`{"backendAddressPools": [{"name": "p", "backendAddresses": [{"ipAddress": "10.0.0.300"}]}]}`,
			`azurejson: backendAddressPools[0] ("p"): backendAddresses[0]: ipAddress: "10.0.0.300" is not an IP address`,
		},
		{
			"Basic rule with a URL path map",
			`{"requestRoutingRules": [{"name": "r", "ruleType": "Basic", "urlPathMap": "m"}]}`,
			`azurejson: requestRoutingRules[0] ("r"): urlPathMap: not allowed with ruleType "Basic"; use "PathBasedRouting"`,
		},
		{
			"PathBasedRouting rule without a URL path map",
			`{"requestRoutingRules": [{"name": "r", "ruleType": "PathBasedRouting", "backendAddressPool": "p"}]}`,
			`azurejson: requestRoutingRules[0] ("r"): urlPathMap: missing: ruleType "PathBasedRouting" needs one` + "\n" +
				`azurejson: requestRoutingRules[0] ("r"): backendAddressPool: not allowed with ruleType "PathBasedRouting" (the URL path map says where requests go)`,
		},
		{
			"rule without ruleType",
			`{"requestRoutingRules": [{"name": "r", "httpListener": "l"}], "httpListeners": [{"name": "l"}]}`,
			`azurejson: requestRoutingRules[0] ("r"): ruleType: missing: want "Basic" or "PathBasedRouting"`,
		},
		{
			"wrong ruleType",
			`{"requestRoutingRules": [{"name": "r", "ruleType": "PathBased", "urlPathMap": "m"}], "urlPathMaps": [{"name": "m"}]}`,
			`azurejson: requestRoutingRules[0] ("r"): ruleType: want "Basic" or "PathBasedRouting", got string "PathBased"`,
		},
		{
			"redirectType",
			`{"redirectConfigurations": [{"name": "r", "redirectType": "Moved", "targetUrl": "https://a.example/"}]}`,
			`azurejson: redirectConfigurations[0] ("r"): redirectType: want "Permanent", "Found", "SeeOther" or "Temporary", got string "Moved"`,
		},
		{
			"redirect without type or target",
			`{"redirectConfigurations": [{"name": "r"}]}`,
			`azurejson: redirectConfigurations[0] ("r"): redirectType: missing: want "Permanent", "Found", "SeeOther" or "Temporary"` + "\n" +
				`azurejson: redirectConfigurations[0] ("r"): set targetListener or targetUrl`,
		},
		{
			"redirect with both targets",
			`{"redirectConfigurations": [{"name": "r", "redirectType": "Found", "targetListener": "l", "targetUrl": "https://a.example/"}]}`,
			`azurejson: redirectConfigurations[0] ("r"): set targetListener or targetUrl, not both` + "\n" +
				`azurejson: redirectConfigurations[0] ("r"): targetListener: unknown httpListeners element "l"`,
		},

		// TLS policies.
		{
			"unknown predefined policy",
			`{"sslPolicy": {"policyType": "Predefined", "policyName": "AppGwSslPolicy2022"}}`,
			`azurejson: sslPolicy: policyName: ` + unknownPolicy,
		},
		{
			"bad custom suite",
			`{"httpListeners": [{"name": "web", "sslPolicy": {"minProtocolVersion": "TLSv1_2", "cipherSuites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "RC4"]}}]}`,
			`azurejson: httpListeners[0] ("web"): sslPolicy: ` + badSuite,
		},
		{
			"bad version",
			`{"sslPolicy": {"policyType": "CustomV2", "minProtocolVersion": "TLS1.2"}}`,
			`azurejson: sslPolicy: ` + badVersion,
		},
		{
			"cipherSuites not strings",
			`{"sslPolicy": {"minProtocolVersion": "TLSv1_2", "cipherSuites": ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", 5]}}`,
			`azurejson: sslPolicy: cipherSuites[1]: want a string, got number 5`,
		},
		{
			"predefined with suites",
			`{"sslPolicy": {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101", "cipherSuites": []}}`,
			`azurejson: sslPolicy: cipherSuites: not allowed with policyType "Predefined" (the predefined policy fixes it)`,
		},
		{
			"predefined without name",
			`{"sslPolicy": {"policyType": "Predefined"}}`,
			`azurejson: sslPolicy: policyName: missing: policyType "Predefined" needs a policy name`,
		},
		{
			"custom with name",
			`{"sslPolicy": {"policyType": "Custom", "policyName": "AppGwSslPolicy20220101"}}`,
			`azurejson: sslPolicy: minProtocolVersion: missing: policyType "Custom" needs one` + "\n" +
				`azurejson: sslPolicy: policyName: not allowed with policyType "Custom"`,
		},
		{
			"name and version without type",
			`{"sslPolicy": {"policyName": "AppGwSslPolicy20220101", "minProtocolVersion": "TLSv1_2"}}`,
			`azurejson: sslPolicy: policyName and minProtocolVersion or cipherSuites exclude each other; set policyType`,
		},
		{
			"empty policy",
			`{"backendHttpSettings": [{"name": "s", "sslPolicy": {}}]}`,
			`azurejson: backendHttpSettings[0] ("s"): sslPolicy: empty: set policyName, or minProtocolVersion and cipherSuites`,
		},
		{
			"wrong policyType",
			`{"sslPolicy": {"policyType": "Strict", "policyName": "AppGwSslPolicy20220101"}}`,
			`azurejson: sslPolicy: policyType: want "Predefined", "Custom" or "CustomV2", got string "Strict"`,
		},

		// Certificates and keys.
		{
			"missing certificate file",
			`{"sslCertificates": [{"name": "web", "certFile": "missing.pem", "keyFile": "leaf.key"}]}`,
			`azurejson: sslCertificates[0] ("web"): certFile "missing.pem": ` + notExist,
		},
		{
			"missing certFile",
			`{"sslCertificates": [{"name": "web", "keyFile": "leaf.key"}]}`,
			`azurejson: sslCertificates[0] ("web"): certFile: missing`,
		},
		{
			"empty keyFile",
			`{"sslCertificates": [{"name": "web", "certFile": "leaf.pem", "keyFile": ""}]}`,
			`azurejson: sslCertificates[0] ("web"): keyFile: empty file name`,
		},
		{
			"key of another certificate",
			`{"sslCertificates": [{"name": "web", "certFile": "leaf.pem", "keyFile": "other.key"}]}`,
			`azurejson: sslCertificates[0] ("web"): ` + mismatch,
		},
		{
			"trusted root from a missing file",
			`{"trustedRootCertificates": [{"name": "root", "certFile": "missing.pem"}]}`,
			`azurejson: trustedRootCertificates[0] ("root"): certFile "missing.pem": ` + notExist,
		},
		{
			"file too large",
			`{"trustedRootCertificates": [{"name": "root", "certFile": "big.pem"}]}`,
			`azurejson: trustedRootCertificates[0] ("root"): certFile "big.pem": ` + filepath.Join(dir, "big.pem") + `: larger than 1048576 bytes`,
		},
		{
			"trusted root with file and data",
			`{"trustedRootCertificates": [{"name": "root", "certFile": "root.pem", "data": "x"}]}`,
			`azurejson: trustedRootCertificates[0] ("root"): set certFile or data, not both`,
		},
		{
			"authentication certificate without file or data",
			`{"authenticationCertificates": [{"name": "leaf"}]}`,
			`azurejson: authenticationCertificates[0] ("leaf"): set certFile or data`,
		},
		{
			"two certificates in a file",
			`{"trustedRootCertificates": [{"name": "root", "certFile": "two.pem"}]}`,
			`azurejson: trustedRootCertificates[0] ("root"): certFile "two.pem": holds 2 certificates, want exactly one`,
		},
		{
			"two certificates in data",
			`{"authenticationCertificates": [{"name": "leaf", "data": ` + twoCerts + `}]}`,
			`azurejson: authenticationCertificates[0] ("leaf"): data: holds 2 certificates, want exactly one`,
		},
		{
			"garbage data",
			`{"authenticationCertificates": [{"name": "leaf", "data": "garbage"}]}`,
			`azurejson: authenticationCertificates[0] ("leaf"): data: ` + garbageErr.Error(),
		},
		{
			"private key as trusted root",
			`{"trustedRootCertificates": [{"name": "root", "data": ` + keyAsData + `}]}`,
			`azurejson: trustedRootCertificates[0] ("root"): data: ` + keyErr.Error(),
		},
		{
			"data not a string",
			`{"trustedRootCertificates": [{"name": "root", "data": 5}]}`,
			`azurejson: trustedRootCertificates[0] ("root"): data: want a string, got number 5`,
		},
		{
			"certFile not a string",
			`{"trustedRootCertificates": [{"name": "root", "certFile": ["root.pem"]}]}`,
			`azurejson: trustedRootCertificates[0] ("root"): certFile: want a file name, got an array`,
		},
		{
			"bad pin",
			`{"backendHttpSettings": [{"name": "s", "pinnedPublicKeys": ["sha256/abc", true]}]}`,
			`azurejson: backendHttpSettings[0] ("s"): pinnedPublicKeys[0]: ` + badPin + "\n" +
				`azurejson: backendHttpSettings[0] ("s"): pinnedPublicKeys[1]: want a string, got true`,
		},
		{
			"unknown client certificate",
			`{"backendHttpSettings": [{"name": "s", "clientCertificate": "client"}]}`,
			`azurejson: backendHttpSettings[0] ("s"): clientCertificate: unknown sslCertificates element "client"`,
		},
		{
			"client certificate that failed to load is reported once",
			`{"sslCertificates": [{"name": "client", "certFile": "missing.pem"}],
			  "backendHttpSettings": [{"name": "s", "clientCertificate": "client"}]}`,
			`azurejson: sslCertificates[0] ("client"): certFile "missing.pem": ` + notExist,
		},
		{
			"affinity key",
			`{"affinityKey": "not base64!"}`,
			`azurejson: affinityKey: not base64: illegal base64 data at input byte 3`,
		},

		// References by name, checked with the rest.
		{
			"misspelt field and unknown references, all at once",
			`{
			  "httpListeners": [{"name": "web", "protocl": "Http", "port": 80}],
			  "requestRoutingRules": [{"name": "r", "ruleType": "Basic", "httpListener": "web", "backendAddressPool": "app", "backendHttpSettings": "s"}],
			  "backendAddressPools": [{"name": "apps"}]
			}`,
			`azurejson: httpListeners[0] ("web"): unknown field "protocl" (did you mean "protocol"?)` + "\n" +
				`azurejson: requestRoutingRules[0] ("r"): backendAddressPool: unknown backendAddressPools element "app" (did you mean "apps"?)` + "\n" +
				`azurejson: requestRoutingRules[0] ("r"): backendHttpSettings: unknown backendHttpSettings element "s"`,
		},
		{
			"every kind of reference",
			`{
			  "sslCertificates": [{"name": "front", "certFile": "leaf.pem", "keyFile": "leaf.key"}],
			  "trustedRootCertificates": [{"name": "root", "certFile": "root.pem"}],
			  "httpListeners": [{"name": "web", "protocol": "Https", "port": 443, "sslCertificate": "Front"}, {"name": "plain", "protocol": "Http", "port": 80}],
			  "backendAddressPools": [{"name": "app"}],
			  "backendHttpSettings": [{"name": "s", "protocol": "Https", "port": 443, "probe": "p", "trustedRootCertificates": ["root", "roots"],
			    "authenticationCertificates": ["leaf"], "clientCertificate": "client"}],
			  "requestRoutingRules": [
			    {"name": "a", "ruleType": "PathBasedRouting", "httpListener": "web", "urlPathMap": "paths"},
			    {"name": "b", "ruleType": "Basic", "httpListener": "plain", "redirectConfiguration": "to-http"}],
			  "urlPathMaps": [{"name": "map", "defaultBackendAddressPool": "pool", "defaultBackendHttpSettings": "s",
			    "pathRules": [{"name": "x", "paths": ["/x"], "redirectConfiguration": "away"}, {"name": "y", "paths": ["/y"], "backendAddressPool": "app", "backendHttpSettings": "t"}]},
			    {"name": "m2", "defaultRedirectConfiguration": "gone"}],
			  "redirectConfigurations": [{"name": "to-https", "redirectType": "Permanent", "targetListener": "tls"}]
			}`,
			`azurejson: httpListeners[0] ("web"): sslCertificate: unknown sslCertificates element "Front" (did you mean "front"?)` + "\n" +
				`azurejson: backendHttpSettings[0] ("s"): probe: unknown probes element "p"` + "\n" +
				`azurejson: backendHttpSettings[0] ("s"): trustedRootCertificates[1]: unknown trustedRootCertificates element "roots" (did you mean "root"?)` + "\n" +
				`azurejson: backendHttpSettings[0] ("s"): authenticationCertificates[0]: unknown authenticationCertificates element "leaf"` + "\n" +
				`azurejson: backendHttpSettings[0] ("s"): clientCertificate: unknown sslCertificates element "client"` + "\n" +
				`azurejson: requestRoutingRules[0] ("a"): urlPathMap: unknown urlPathMaps element "paths"` + "\n" +
				`azurejson: requestRoutingRules[1] ("b"): redirectConfiguration: unknown redirectConfigurations element "to-http" (did you mean "to-https"?)` + "\n" +
				`azurejson: urlPathMaps[0] ("map"): defaultBackendAddressPool: unknown backendAddressPools element "pool"` + "\n" +
				`azurejson: urlPathMaps[0] ("map"): pathRules[0] ("x"): redirectConfiguration: unknown redirectConfigurations element "away"` + "\n" +
				`azurejson: urlPathMaps[0] ("map"): pathRules[1] ("y"): backendHttpSettings: unknown backendHttpSettings element "t" (did you mean "s"?)` + "\n" +
				`azurejson: urlPathMaps[1] ("m2"): defaultRedirectConfiguration: unknown redirectConfigurations element "gone"` + "\n" +
				`azurejson: redirectConfigurations[0] ("to-https"): targetListener: unknown httpListeners element "tls"`,
		},
		{
			"references to elements whose names could not be read are not checked",
			`{
			  "httpListeners": [{"nmae": "web", "protocol": "Http", "port": 80}],
			  "backendAddressPools": [{"name": 7}],
			  "backendHttpSettings": {"name": "s"},
			  "requestRoutingRules": [{"name": "r", "ruleType": "Basic", "httpListener": "web", "backendAddressPool": "app", "backendHttpSettings": "s"}]
			}`,
			`azurejson: httpListeners[0]: unknown field "nmae" (did you mean "name"?)` + "\n" +
				`azurejson: backendAddressPools[0]: name: want a string, got number 7` + "\n" +
				`azurejson: backendHttpSettings: want an array of objects, got an object`,
		},
		{
			"a reference refused for its place is not checked too",
			`{"requestRoutingRules": [{"name": "r", "ruleType": "PathBasedRouting", "urlPathMap": "m", "redirectConfiguration": "nope"}], "urlPathMaps": [{"name": "m"}]}`,
			`azurejson: requestRoutingRules[0] ("r"): redirectConfiguration: not allowed with ruleType "PathBasedRouting" (the URL path map says where requests go)`,
		},

		// Every problem at once, in file order.
		{
			"several problems",
			`{
			  "backendHttpSettings": [{"name": "api", "requestTimeout": -3, "protocl": "Https"}],
			  "httpListeners": [{"name": "web", "port": "80"}],
			  "sslCertificates": [{"name": "web", "certFile": "missing.pem"}]
			}`,
			`azurejson: backendHttpSettings[0] ("api"): requestTimeout: -3 is not a positive number of seconds` + "\n" +
				`azurejson: backendHttpSettings[0] ("api"): unknown field "protocl" (did you mean "protocol"?)` + "\n" +
				`azurejson: httpListeners[0] ("web"): port: want an integer, got string "80"` + "\n" +
				`azurejson: sslCertificates[0] ("web"): certFile "missing.pem": ` + notExist,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte(tt.json), dir)
			require.Error(t, err)
			require.Equal(t, tt.want, withoutPositions(err.Error(), tt.want))
			assert.Zero(t, cfg, "config returned with an error")
		})
	}
}

// positionRE matches the position a message starts with.
var positionRE = regexp.MustCompile(`^azurejson: (?:[^:]+: )?line \d+, column \d+: `)

// withoutPositions removes from each line of got the position that the
// same line of want does not show, so that tables can leave positions out
// (TestErrorType and TestPositions check them). Every line of got must have
// one.
func withoutPositions(got, want string) string {
	gotLines, wantLines := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i, g := range gotLines {
		loc := positionRE.FindStringIndex(g)
		if loc == nil {
			return got + "\n(a line without its position)"
		}
		if i < len(wantLines) && positionRE.MatchString(wantLines[i]) {
			continue
		}
		gotLines[i] = "azurejson: " + g[loc[1]:]
	}
	return strings.Join(gotLines, "\n")
}

// TestErrorType checks that every problem is an *Error with its location,
// and that the underlying errors stay reachable with errors.Is.
func TestErrorType(t *testing.T) {
	data := "{\n" +
		`  "sslPolicy": {"policyName": "AppGwSslPolicy2022"},` + "\n" +
		`  "sslCertificates": [{"name": "web", "certFile": "missing.pem"}]` + "\n" +
		"}"
	_, err := Parse([]byte(data), t.TempDir())
	require.Error(t, err)
	assert.ErrorIs(t, err, policy.ErrUnknown)
	assert.ErrorIs(t, err, fs.ErrNotExist)

	joined, ok := err.(interface{ Unwrap() []error })
	require.True(t, ok, "error is not a join: %T", err)
	var got []Error
	for _, e := range joined.Unwrap() {
		var ae *Error
		require.True(t, errors.As(e, &ae), "%T is not an *Error", e)
		got = append(got, Error{Path: ae.Path, Line: ae.Line, Column: ae.Column})
	}
	assert.Equal(t, []Error{
		{Path: "sslPolicy: policyName", Line: 2, Column: 31},
		{Path: `sslCertificates[0] ("web"): certFile "missing.pem"`, Line: 3, Column: 51},
	}, got)

	_, err = Load(filepath.Join(t.TempDir(), "missing.json"))
	assert.ErrorIs(t, err, fs.ErrNotExist)
	assert.ErrorContains(t, err, "azurejson: open ")

	_, err = Parse([]byte("{\n  x"), "")
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, Error{Line: 2, Column: 3, Err: se.Err}, *se)
}

// TestFlatReferencesAllAtOnce: a flat file with a misspelt field and an
// unknown reference reports both, each at its line, in file order, before
// gateway.New would see the file.
func TestFlatReferencesAllAtOnce(t *testing.T) {
	data := "{\n" +
		`  "requestRoutingRules": [{"name": "r", "ruleType": "Basic", "httpListener": "web",` + "\n" +
		`    "backendAddressPool": "app", "backendHttpSettings": "tls"}],` + "\n" +
		`  "httpListeners": [{"name": "web", "protocol": "Http", "prot": 80}],` + "\n" +
		`  "backendAddressPools": [{"name": "app"}]` + "\n" +
		"}"
	_, err := Parse([]byte(data), "")
	require.Error(t, err)
	assert.Equal(t, "azurejson: line 3, column 57: requestRoutingRules[0] (\"r\"): backendHttpSettings: unknown backendHttpSettings element \"tls\"\n"+
		"azurejson: line 4, column 57: httpListeners[0] (\"web\"): unknown field \"prot\" (did you mean \"port\"?)", err.Error())
	var first *Error
	require.ErrorAs(t, err, &first)
	assert.Equal(t, 3, first.Line)
}

// TestParseAccepts covers accepted spellings that the sample does not use:
// enumerations in any case, null for absent, exponent-form integers, inline
// certificate data in PEM and base64 DER, and a certificate file that holds
// its key.
func TestParseAccepts(t *testing.T) {
	root := tlstest.NewRoot(tlstest.Options{CommonName: "Accepts Root"})
	leaf := root.NewLeaf(tlstest.Options{DNSNames: []string{"www.example"}})
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "both.pem"), concat(leaf.KeyPEM(), leaf.CertPEM()))

	data := `{
	  "sslPolicy": {"minProtocolVersion": "TLSv1_3"},
	  "sslCertificates": [{"name": "web", "certFile": "both.pem", "keyFile": null}],
	  "trustedRootCertificates": [{"name": "pem", "data": ` + jsonString(t, string(root.CertPEM())) + `}],
	  "authenticationCertificates": [{"name": "der", "data": "` + base64.StdEncoding.EncodeToString(leaf.Certificate.Raw) + `"}],
	  "httpListeners": [{"name": "web", "protocol": "hTTPs", "port": 4.43e2, "hostName": null, "address": "::1"}],
	  "backendHttpSettings": [{"name": "s", "protocol": "http", "cookieBasedAffinity": "ENABLED", "clientCertificate": "web", "disableProbe": true}],
	  "requestRoutingRules": [{"name": "r", "ruleType": "basic"}],
	  "redirectConfigurations": [{"name": "r", "redirectType": "seeother", "targetUrl": "https://a.example/"},
	                             {"name": "t", "redirectType": "Temporary", "targetUrl": "https://a.example/"},
	                             {"name": "f", "redirectType": "Found", "targetUrl": "https://a.example/"}]
	}`
	cfg, err := Parse([]byte(data), dir)
	require.NoError(t, err)

	want, err := policy.Custom("TLSv1_3", nil)
	require.NoError(t, err)
	assert.Equal(t, want, cfg.SSLPolicy)
	require.Len(t, cfg.SSLCertificates, 1)
	assertKeyPair(t, leaf.TLSCertificate(), cfg.SSLCertificates[0].Certificate)
	require.Len(t, cfg.TrustedRootCertificates, 1)
	assert.True(t, root.Certificate.Equal(cfg.TrustedRootCertificates[0].Certificate))
	require.Len(t, cfg.AuthenticationCertificates, 1)
	assert.True(t, leaf.Certificate.Equal(cfg.AuthenticationCertificates[0].Certificate))

	require.Len(t, cfg.Listeners, 1)
	assert.Equal(t, "Https", string(cfg.Listeners[0].Protocol))
	assert.Equal(t, 443, cfg.Listeners[0].Port)
	assert.Nil(t, cfg.Listeners[0].HostNames)
	assert.Equal(t, "::1", cfg.Listeners[0].Address)

	require.Len(t, cfg.BackendHTTPSettings, 1)
	s := cfg.BackendHTTPSettings[0]
	assert.Equal(t, "Http", string(s.Protocol))
	assert.True(t, s.CookieBasedAffinity)
	assert.True(t, s.DisableProbe)
	require.NotNil(t, s.ClientCertificate)
	assertKeyPair(t, leaf.TLSCertificate(), *s.ClientCertificate)

	require.Len(t, cfg.Redirects, 3)
	assert.Equal(t, []int{303, 307, 302}, []int{cfg.Redirects[0].Status, cfg.Redirects[1].Status, cfg.Redirects[2].Status})
}
