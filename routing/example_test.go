package routing_test

import (
	"fmt"

	"github.com/e2etls/e2etls/routing"
)

// A multi-site HTTPS port: two sites, a wildcard and a basic listener that
// catches the rest, because its rule has the largest priority.
func ExampleCompile() {
	tab, err := routing.Compile(routing.Config{
		Listeners: []routing.Listener{
			{Name: "shop", Port: 443, HTTPS: true, HostNames: []string{"shop.contoso.com"}},
			{Name: "contoso", Port: 443, HTTPS: true, HostNames: []string{"*.contoso.com"}},
			{Name: "any", Port: 443, HTTPS: true},
		},
		Rules: []routing.Rule{
			{Name: "shop", Listener: "shop", Priority: 10, Target: routing.Target{Pool: "shop", Setting: "https"}},
			{Name: "contoso", Listener: "contoso", Priority: 20, Target: routing.Target{Pool: "contoso", Setting: "https"}},
			{Name: "any", Listener: "any", Priority: 30, Target: routing.Target{Pool: "default", Setting: "https"}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, host := range []string{"SHOP.contoso.com:443", "a.b.contoso.com", "fabrikam.com"} {
		r, _ := tab.Route(443, host, "/", "")
		fmt.Printf("%-20s -> %s\n", host, r.Target.Pool)
	}
	// Output:
	// SHOP.contoso.com:443 -> shop
	// a.b.contoso.com      -> contoso
	// fabrikam.com         -> default
}

// Compile reports every problem at once, each with where it is, and none
// that only follows from another: listener "a" has no rule, but the rule
// that names an unknown listener may be meant for it.
func ExampleCompile_errors() {
	_, err := routing.Compile(routing.Config{
		Listeners: []routing.Listener{
			{Name: "a", Port: 443, HTTPS: true, HostNames: []string{"*.*.*x"}},
		},
		Rules: []routing.Rule{
			{Name: "api", Listener: "web", Target: routing.Target{Pool: "api", Setting: "https"}},
		},
	})
	fmt.Println(err)
	// Output:
	// routing: listener "a": host name "*.*.*x": more than two '*'
	// routing: rule "api": unknown listener "web"
}

// A URL path map: the first matching path rule in listed order wins, and a
// path override replaces the part of the path the pattern matched.
func ExampleTable_Route_pathMap() {
	tab, err := routing.Compile(routing.Config{
		Listeners: []routing.Listener{{Name: "web", Port: 80}},
		Rules: []routing.Rule{{Name: "web", Listener: "web", PathMap: &routing.PathMap{
			Name:    "paths",
			Default: routing.Target{Pool: "web", Setting: "http"},
			Rules: []routing.PathRule{
				{Name: "images", Paths: []string{"/images/*"}, Target: routing.Target{Pool: "images", Setting: "http", PathOverride: "/static/"}},
				{Name: "api", Paths: []string{"/api*"}, Target: routing.Target{Pool: "api", Setting: "http"}},
			},
		}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, path := range []string{"/Images/logo.png", "/api/v1/users", "/images", "/"} {
		r, _ := tab.Route(80, "example.com", path, "")
		fmt.Printf("%-17s -> pool %-6s path rule %2d, backend path %s\n", path, r.Target.Pool, r.PathRule, r.Path)
	}
	// Output:
	// /Images/logo.png  -> pool images path rule  0, backend path /static/logo.png
	// /api/v1/users     -> pool api    path rule  1, backend path /api/v1/users
	// /images           -> pool web    path rule -1, backend path /images
	// /                 -> pool web    path rule -1, backend path /
}

// HTTP to HTTPS: the HTTP listener's rule redirects to the HTTPS listener,
// keeping the path and query.
func ExampleTable_Route_redirect() {
	tab, err := routing.Compile(routing.Config{
		Listeners: []routing.Listener{
			{Name: "http", Port: 80},
			{Name: "https", Port: 8443, HTTPS: true},
		},
		Rules: []routing.Rule{
			{Name: "to-https", Listener: "http", Redirect: &routing.Redirect{
				Status: 301, TargetListener: "https", IncludePath: true, IncludeQuery: true,
			}},
			{Name: "app", Listener: "https", Target: routing.Target{Pool: "app", Setting: "https"}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := tab.Route(80, "Example.com:80", "/cart", "id=7")
	fmt.Println(r.Redirect.Status, r.Redirect.Location)
	// Output:
	// 301 https://example.com:8443/cart?id=7
}

// The certificate for a handshake: exact name, then wildcard, then the
// basic listener; with RequireSNI everywhere and no basic listener, an
// unknown SNI is refused.
func ExampleTable_CertificateFor() {
	tab, err := routing.Compile(routing.Config{
		Listeners: []routing.Listener{
			{Name: "wild", Port: 443, HTTPS: true, HostNames: []string{"*.contoso.com"}, RequireSNI: true},
			{Name: "shop", Port: 443, HTTPS: true, HostNames: []string{"shop.contoso.com"}, RequireSNI: true},
		},
		Rules: []routing.Rule{
			{Name: "wild", Listener: "wild", Target: routing.Target{Pool: "p", Setting: "s"}},
			{Name: "shop", Listener: "shop", Target: routing.Target{Pool: "p", Setting: "s"}},
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, sni := range []string{"shop.contoso.com", "www.contoso.com", "fabrikam.com", ""} {
		li, ok := tab.CertificateFor(443, sni)
		fmt.Printf("%q -> %d %v\n", sni, li, ok)
	}
	// Output:
	// "shop.contoso.com" -> 1 true
	// "www.contoso.com" -> 0 true
	// "fabrikam.com" -> -1 false
	// "" -> -1 false
}

func ExampleMatchHost() {
	fmt.Println(matchLine("*.contoso.com", "customer1.b2b.contoso.com"))
	fmt.Println(matchLine("w??.contoso.com", "WWW.Contoso.com:8080"))
	fmt.Println(matchLine("*.contoso.com", "contoso.com"))
	fmt.Println(matchLine("bücher.example", "xn--bcher-kva.example"))
	// Output:
	// *.contoso.com ~ customer1.b2b.contoso.com: true
	// w??.contoso.com ~ WWW.Contoso.com:8080: true
	// *.contoso.com ~ contoso.com: false
	// bücher.example ~ xn--bcher-kva.example: true
}

func matchLine(pattern, host string) string {
	return fmt.Sprintf("%s ~ %s: %v", pattern, host, routing.MatchHost(pattern, host))
}

func ExampleValidatePathPattern() {
	for _, p := range []string{"/images/*", "/images*", "/images/*/thumbs"} {
		fmt.Println(p, routing.ValidatePathPattern(p))
	}
	// Output:
	// /images/* <nil>
	// /images* <nil>
	// /images/*/thumbs routing: path "/images/*/thumbs": '*' is allowed only at the end
}
