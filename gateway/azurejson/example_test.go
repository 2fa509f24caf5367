package azurejson_test

import (
	"fmt"

	"github.com/e2etls/e2etls/gateway/azurejson"
)

// A gateway that terminates HTTP on port 8080 and re-encrypts to two
// backends, verifying them against pinned keys. Parse does not read files
// here because the file names none; Load would read one from disk.
func ExampleParse() {
	cfg, err := azurejson.Parse([]byte(`{
	  "sslPolicy": {"policyType": "Predefined", "policyName": "AppGwSslPolicy20220101S"},
	  "httpListeners": [{"name": "web", "protocol": "Http", "port": 8080}],
	  "backendAddressPools": [{
	    "name": "app",
	    "backendAddresses": [{"ipAddress": "10.0.1.4"}, {"fqdn": "app-2.internal.example", "port": 8443}]
	  }],
	  "backendHttpSettings": [{
	    "name": "app-https",
	    "protocol": "Https",
	    "port": 443,
	    "hostName": "app.internal.example",
	    "pinnedPublicKeys": ["sha256/dCg+IhYa/dGCcNGuku3AsdXIUPR9d/faDjMOdm77iOQ="],
	    "requestTimeout": 30,
	    "cookieBasedAffinity": "Enabled"
	  }],
	  "requestRoutingRules": [{
	    "name": "web", "ruleType": "Basic", "priority": 100,
	    "httpListener": "web", "backendAddressPool": "app", "backendHttpSettings": "app-https"
	  }]
	}`), "")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("policy:", cfg.SSLPolicy.Name)
	l := cfg.Listeners[0]
	fmt.Printf("listener %q: %s on port %d\n", l.Name, l.Protocol, l.Port)
	for _, m := range cfg.Pools[0].Members {
		fmt.Printf("member %s port %d\n", m.Address, m.Port)
	}
	s := cfg.BackendHTTPSettings[0]
	fmt.Printf("setting %q: %s:%d, host %s, %d pin, timeout %v, affinity %t\n",
		s.Name, s.Protocol, s.Port, s.HostName, len(s.PinnedPublicKeys), s.RequestTimeout, s.CookieBasedAffinity)
	r := cfg.Rules[0]
	fmt.Printf("rule %q: %s -> %s with %s\n", r.Name, r.Listener, r.Pool, r.BackendHTTPSetting)
	// Output:
	// policy: AppGwSslPolicy20220101S
	// listener "web": Http on port 8080
	// member 10.0.1.4 port 0
	// member app-2.internal.example port 8443
	// setting "app-https": Https:443, host app.internal.example, 1 pin, timeout 30s, affinity true
	// rule "web": web -> app with app-https
}

// Every problem of a file is reported at once, in file order, each with
// where it is.
func ExampleParse_errors() {
	_, err := azurejson.Parse([]byte(`{
	  "httpListeners": [{"name": "web", "protocol": "Http", "port": "80", "hostname": "www.example"}],
	  "backendHttpSettings": [
	    {"name": "web", "protocol": "Https", "port": 443},
	    {"name": "api", "protocol": "Https", "port": 443, "requestTimeout": -3}
	  ],
	  "requestRoutingRules": [{"name": "web", "ruleType": "Basic", "httpListener": "web", "urlPathMap": "paths"}]
	}`), "")
	fmt.Println(err)
	// Output:
	// azurejson: line 2, column 66: httpListeners[0] ("web"): port: want an integer, got string "80"
	// azurejson: line 2, column 72: httpListeners[0] ("web"): unknown field "hostname" (did you mean "hostName"?)
	// azurejson: line 5, column 74: backendHttpSettings[1] ("api"): requestTimeout: -3 is not a positive number of seconds
	// azurejson: line 7, column 102: requestRoutingRules[0] ("web"): urlPathMap: not allowed with ruleType "Basic"; use "PathBasedRouting"
}

// A configuration tested with e2etls, written back as the Azure resource
// to deploy (the body of a REST PUT). What Azure cannot carry, here a
// public key pin, is refused unless OnDrop says to leave it out.
func ExampleWriteResource() {
	cfg, err := azurejson.Parse([]byte(`{
	  "httpListeners": [{"name": "web", "protocol": "Http", "port": 80}],
	  "backendAddressPools": [{"name": "app", "backendAddresses": [{"fqdn": "app.internal.example"}]}],
	  "backendHttpSettings": [{"name": "app-https", "protocol": "Https", "port": 443, "pickHostNameFromBackendAddress": true,
	    "pinnedPublicKeys": ["sha256/dCg+IhYa/dGCcNGuku3AsdXIUPR9d/faDjMOdm77iOQ="]}],
	  "requestRoutingRules": [{"name": "web", "ruleType": "Basic",
	    "httpListener": "web", "backendAddressPool": "app", "backendHttpSettings": "app-https"}]
	}`), "")
	if err != nil {
		fmt.Println(err)
		return
	}
	opts := azurejson.WriteOptions{
		Name:              "agw-web",
		SubscriptionID:    "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
		ResourceGroup:     "rg-web",
		SubnetID:          "/subscriptions/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/resourceGroups/rg-web/providers/Microsoft.Network/virtualNetworks/vnet/subnets/appgw",
		PublicIPAddressID: "/subscriptions/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee/resourceGroups/rg-web/providers/Microsoft.Network/publicIPAddresses/agw-web-pip",
	}
	if _, err := azurejson.WriteResource(cfg, opts); err != nil {
		fmt.Println(err)
	}
	opts.OnDrop = func(d azurejson.Dropped) { fmt.Println("left out:", d.Path) }
	doc, err := azurejson.WriteResource(cfg, opts)
	if err != nil {
		fmt.Println(err)
		return
	}
	back, err := azurejson.Read(doc, azurejson.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := back.Config.Rules[0]
	fmt.Printf("%s document %q: rule %q, priority %d: %s -> %s with %s\n", back.Format, back.Name, r.Name, r.Priority, r.Listener, r.Pool, r.BackendHTTPSetting)
	// Output:
	// azurejson: backendHttpSetting "app-https": PinnedPublicKeys: Azure cannot pin backend public keys; without the pins the Azure gateway trusts any certificate its roots (or the well-known CAs) issued for the name: Azure cannot carry it (WriteOptions.OnDrop leaves such fields out)
	// left out: backendHttpSetting "app-https": PinnedPublicKeys
	// resource document "agw-web": rule "web", priority 10: web -> app with app-https
}
