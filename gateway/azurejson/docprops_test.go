package azurejson

import (
	"os"
	"strings"
	"testing"
)

// specsForDoc are the kinds the package documentation lists, with the
// heading it gives each.
var specsForDoc = []struct {
	title string
	spec  *kindSpec
}{
	{"The gateway resource (REST API, az CLI, Resource Graph)", &gatewayEnvelope},
	{"The gateway in an ARM template's resources", &templateResource},
	{"The gateway's properties", &gatewayProps},
	{"sslPolicy", &sslPolicySpec},
	{"sslCertificates", &sslCertificateSpec},
	{"trustedRootCertificates", &trustedRootSpec},
	{"authenticationCertificates", &authCertSpec},
	{"frontendIPConfigurations", &frontendIPSpec},
	{"frontendPorts", &frontendPortSpec},
	{"httpListeners", &listenerSpec},
	{"backendAddressPools", &poolSpec},
	{"backendHttpSettingsCollection", &settingSpec},
	{"probes", &probeSpec},
	{"requestRoutingRules", &ruleSpec},
	{"urlPathMaps", &urlPathMapSpec},
	{"pathRules of a URL path map", &pathRuleSpec},
	{"redirectConfigurations", &redirectSpec},
	{"sslProfiles", &sslProfileSpec},
	{"clientAuthConfiguration of an SSL profile", &clientAuthSpec},
	{"trustedClientCertificates", &trustedClientCertSpec},
	{"rewriteRuleSets", &rewriteRuleSetSpec},
	{"Every element of a collection", &envelope},
}

// TestDocListsEveryProperty checks that doc.go lists every property of
// the tables in armspec.go where it says it does, honoured, ignored or
// refused. AZUREJSON_PRINT_DOC=1 prints the lists to paste.
func TestDocListsEveryProperty(t *testing.T) {
	var b strings.Builder
	for _, s := range specsForDoc {
		b.WriteString("//   - " + s.title + ".\n")
		wrap := func(head string, items []string) {
			if len(items) == 0 {
				return
			}
			line := "//     " + head + ":"
			for i, it := range items {
				sep := ","
				if i == len(items)-1 {
					sep = "."
				}
				word := " " + it + sep
				if len(line)+len(word) > 78 {
					b.WriteString(line + "\n")
					line = "//    "
				}
				line += word
			}
			b.WriteString(line + "\n")
		}
		wrap("Honoured", s.spec.honoured)
		var ign, ref []string
		for _, f := range s.spec.ignored {
			ign = append(ign, f.name)
		}
		for _, f := range s.spec.refused {
			ref = append(ref, f.name)
		}
		wrap("Ignored", ign)
		wrap("Refused when used", ref)
	}
	if os.Getenv("AZUREJSON_PRINT_DOC") != "" {
		os.Stdout.WriteString(b.String())
	}
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), b.String()) {
		t.Errorf("doc.go does not list the properties of armspec.go as they are; run with AZUREJSON_PRINT_DOC=1 and paste:\n%s", b.String())
	}
}
