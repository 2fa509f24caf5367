package rewrite

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/http/httpguts"
)

// serialize writes tokens back as a value.
func serialize(toks []token) string {
	var b strings.Builder
	for _, tk := range toks {
		if tk.ref {
			b.WriteString("{" + tk.text + "}")
		} else {
			b.WriteString(Literal(tk.text))
		}
	}
	return b.String()
}

// FuzzTemplate checks the value parser: it never panics, Literal makes any
// text a value that renders to that text, what it accepts serializes back to
// an equivalent value, and a compiled value, whatever the headers it reads,
// renders to a valid header field value.
func FuzzTemplate(f *testing.F) {
	f.Add("{http_resp_Location_1}://contoso.com{http_resp_Location_2}", "https://a.azurewebsites.net/x")
	f.Add("category={var_uri_path_1}&product={var_uri_path_2}", "v")
	f.Add("{{literal}} }", "")
	f.Add("a{b", "x\r\ny")
	f.Add("{}", "\x00")
	f.Add("{http_req_X-In} and {http_req_X-In_1}", " padded\t")
	f.Fuzz(func(t *testing.T, value, header string) {
		toks, err := tokenize(value)
		if err == nil {
			again, err := tokenize(serialize(toks))
			if err != nil || len(again) != len(toks) {
				t.Fatalf("serialized %q: %v, %d tokens; want %d", serialize(toks), err, len(again), len(toks))
			}
			for i := range toks {
				if toks[i] != again[i] {
					t.Fatalf("token %d: %+v, then %+v", i, toks[i], again[i])
				}
			}
		}
		lit, err := tokenize(Literal(value))
		if len(value) <= maxTemplateLen && (err != nil || value != "" && (len(lit) != 1 || lit[0].ref || lit[0].text != value)) {
			t.Fatalf("Literal(%q) tokenizes to %+v, %v", value, lit, err)
		}

		sets, err := Compile([]RuleSet{{Name: "f", Rules: []Rule{{
			Name:       "r",
			Conditions: []Condition{{Variable: "http_req_X-In", Pattern: "(.*)"}},
			Actions: ActionSet{
				RequestHeaders:  []HeaderAction{{Name: "X-Out", Value: value}},
				ResponseHeaders: []HeaderAction{{Name: "X-Resp", Op: AddHeader, Value: value}},
			},
		}}}})
		if err != nil {
			return
		}
		x := exchange(testVars{ClientIP: header, Host: header}, header, "/", "", http.Header{"X-In": {header}})
		sets["f"].Request(x)
		respond(x, 200, http.Header{"X-In": {header}})
		sets["f"].Response(x)
		// The headers the rules wrote (X-In is the client's, passed on).
		for _, vv := range [][]string{x.RequestOut["X-Out"], x.ResponseOut["X-Resp"]} {
			for _, v := range vv {
				if !httpguts.ValidHeaderFieldValue(v) || v != strings.Trim(v, " \t") || v == "" {
					t.Fatalf("%q is not a valid field value", v)
				}
			}
		}
	})
}

// FuzzURL checks the URL rewriting helpers: a rewritten query holds only
// bytes allowed in a query and decodes to what was rendered, and a
// rewritten path is absolute and free of dot segments.
func FuzzURL(f *testing.F) {
	f.Add("category=shoes&x=a b#c")
	f.Add("%zz%2")
	f.Add("é=ü")
	f.Add("../../etc/passwd")
	f.Add("/a/./b/../c/")
	f.Fuzz(func(t *testing.T, s string) {
		q := escapeQuery(s)
		for i := 0; i < len(q); i++ {
			c := q[i]
			if c <= ' ' || c >= 0x7f || strings.IndexByte(`"#<>\^`+"`{|}", c) >= 0 {
				t.Fatalf("escapeQuery(%q) = %q: byte %q", s, q, c)
			}
			if c == '%' && (i+2 >= len(q) || !ishex(q[i+1]) || !ishex(q[i+2])) {
				t.Fatalf("escapeQuery(%q) = %q: stray %%", s, q)
			}
		}
		// Unescaping each escape the function added gives s back: decode
		// q, and compare with s decoded where s had valid escapes.
		if dq, err := url.PathUnescape(q); err != nil {
			t.Fatalf("escapeQuery(%q) = %q does not decode: %v", s, q, err)
		} else if ds, err := url.PathUnescape(s); err == nil && dq != ds {
			t.Fatalf("escapeQuery(%q) = %q decodes to %q; want %q", s, q, dq, ds)
		}
		if escapeQuery(q) != q {
			t.Fatalf("escapeQuery is not idempotent on %q", q)
		}

		p := cleanPath(s)
		if !strings.HasPrefix(p, "/") {
			t.Fatalf("cleanPath(%q) = %q", s, p)
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("cleanPath(%q) = %q has a dot segment", s, p)
			}
		}
		if cleanPath(p) != p {
			t.Fatalf("cleanPath is not idempotent on %q", p)
		}
	})
}
