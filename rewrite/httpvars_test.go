package rewrite

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestHTTPVars(t *testing.T) {
	r := httptest.NewRequest("POST", "https://Shop.Contoso.COM:8443/article.aspx?id=123&title=fabrikam", nil)
	r.RemoteAddr = "[2001:db8::7]:51234"
	r.Header["X-Forwarded-For"] = []string{"198.51.100.1, 198.51.100.2", "192.0.2.9"}
	r.SetBasicAuth("alice", "secret")
	r.TLS = &tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256}
	r.Proto = "HTTP/2.0"
	h := &HTTPVars{
		Request:           r,
		ServerPort:        443,
		ClientCertificate: testVars{ClientCertificateVerification: "SUCCESS"},
		CiphersSupported:  "TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256",
		ClientTCPRTT:      1500 * time.Microsecond,
		ReceivedBytes:     512,
	}
	want := map[Variable]string{
		AddXForwardedForProxy:         "198.51.100.1, 198.51.100.2, 192.0.2.9, 2001:db8::7",
		CiphersSupported:              "TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256",
		CiphersUsed:                   "TLS_AES_128_GCM_SHA256",
		ClientIP:                      "2001:db8::7",
		ClientPort:                    "51234",
		ClientTCPRTT:                  "1500",
		ClientUser:                    "alice",
		Host:                          "shop.contoso.com",
		HTTPMethod:                    "POST",
		HTTPVersion:                   "HTTP/2.0",
		QueryString:                   "id=123&title=fabrikam",
		ReceivedBytes:                 "512",
		RequestQuery:                  "id=123&title=fabrikam",
		RequestScheme:                 "https",
		RequestURI:                    "https://Shop.Contoso.COM:8443/article.aspx?id=123&title=fabrikam",
		ServerPort:                    "443",
		SSLConnectionProtocol:         "TLSv1.3",
		SSLEnabled:                    "on",
		URIPath:                       "/article.aspx",
		ClientCertificateVerification: "SUCCESS",
	}
	for v := Variable(1); v < numVariables; v++ {
		got, ok := h.Var(v)
		w, wok := want[v]
		if got != w || ok != wok {
			t.Errorf("%v = %q, %v; want %q, %v", v, got, ok, w, wok)
		}
	}

	// A plain request, the port from the connection, no client
	// certificate, no forwarded list.
	r = httptest.NewRequest("GET", "/a", nil)
	r.RemoteAddr = "192.0.2.1:1000"
	r.Host = "[2001:db8::1]"
	r.RequestURI = "/a"
	r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 8080}))
	h = &HTTPVars{Request: r}
	want = map[Variable]string{
		AddXForwardedForProxy: "192.0.2.1",
		ClientIP:              "192.0.2.1",
		ClientPort:            "1000",
		Host:                  "2001:db8::1",
		HTTPMethod:            "GET",
		HTTPVersion:           "HTTP/1.1",
		QueryString:           "",
		RequestQuery:          "",
		RequestScheme:         "http",
		RequestURI:            "/a",
		ServerPort:            "8080",
		SSLEnabled:            "",
		URIPath:               "/a",
	}
	for v := Variable(1); v < numVariables; v++ {
		got, ok := h.Var(v)
		w, wok := want[v]
		if got != w || ok != wok {
			t.Errorf("plain: %v = %q, %v; want %q, %v", v, got, ok, w, wok)
		}
	}

	// Without a request, only the fields' variables.
	h = &HTTPVars{ServerPort: 80}
	if v, ok := h.Var(ClientIP); ok {
		t.Errorf("client_ip without a request = %q", v)
	}
	if v, ok := h.Var(ServerPort); !ok || v != "80" {
		t.Errorf("server_port = %q, %v", v, ok)
	}
}

func TestNames(t *testing.T) {
	for _, tt := range []struct {
		got, want string
	}{
		{ProtocolName(tls.VersionTLS10), "TLSv1"},
		{ProtocolName(tls.VersionTLS11), "TLSv1.1"},
		{ProtocolName(tls.VersionTLS12), "TLSv1.2"},
		{ProtocolName(tls.VersionTLS13), "TLSv1.3"},
		{ProtocolName(0x0300), "SSLv3"},
		{CipherName(tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256), "ECDHE-RSA-AES128-GCM-SHA256"},
		{CipherName(tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256), "ECDHE-ECDSA-CHACHA20-POLY1305"},
		{CipherName(tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA), "DES-CBC3-SHA"},
		{CipherName(tls.TLS_AES_256_GCM_SHA384), "TLS_AES_256_GCM_SHA384"},
		{CipherName(0x1234), "0x1234"},
		{AddXForwardedFor(nil, "10.0.0.1"), "10.0.0.1"},
		{AddXForwardedFor([]string{" ", ""}, "10.0.0.1"), "10.0.0.1"},
		{AddXForwardedFor([]string{"1.1.1.1 ", " 2.2.2.2"}, "10.0.0.1"), "1.1.1.1, 2.2.2.2, 10.0.0.1"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q; want %q", tt.got, tt.want)
		}
	}
	// Every suite Go knows has a name that is not a number.
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if n := CipherName(s.ID); n == "" || n[0] == '0' {
			t.Errorf("CipherName(%s) = %q", s.Name, n)
		}
	}
}
