package rewrite

import (
	"crypto/tls"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HTTPVars is the [Vars] of a request served by net/http (or by a server
// that fills an *http.Request the same way). Its fields are plain values the
// gateway has at hand; every variable is computed from them when a rule
// reads it, and most cost no allocation (see the package documentation for
// the formats). Keep it in a pooled or per-request struct that already lives
// on the heap: converting a pointer to a local HTTPVars to the Vars interface
// makes it escape.
type HTTPVars struct {
	// Request is the client's request as the gateway received it. If nil,
	// only the variables of the other fields have values.
	Request *http.Request

	// ServerPort is the port of the listener that accepted the request
	// (server_port). If zero, the port of the connection's local address
	// (http.LocalAddrContextKey), if the request's context has one.
	ServerPort int

	// ClientCertificate answers the client_certificate_* variables. If nil,
	// they have no value, as on a listener without mutual TLS.
	ClientCertificate Vars

	// CiphersSupported is ciphers_supported: the cipher suites the client
	// offered, in OpenSSL's names separated by ':' (see [CipherName]), which
	// a server learns only in its ClientHello callback. If empty, the
	// variable has no value.
	CiphersSupported string

	// ClientTCPRTT is client_tcp_rtt, the connection's smoothed round-trip
	// time (TCP_INFO), formatted in microseconds as NGINX's $tcpinfo_rtt. If
	// zero, the variable has no value.
	ClientTCPRTT time.Duration

	// ReceivedBytes is received_bytes, the bytes of the request received so
	// far (request line, header and body). If zero, the variable has no
	// value.
	ReceivedBytes int64

	// SentBytes is sent_bytes, the bytes sent to the client so far. If zero,
	// the variable has no value (before the response head, nothing has been
	// sent).
	SentBytes int64
}

// Var returns the value of v for the request (see the package
// documentation for each variable's format).
func (h *HTTPVars) Var(v Variable) (string, bool) {
	switch v {
	case ServerPort:
		if h.ServerPort > 0 {
			return strconv.Itoa(h.ServerPort), true
		}
	case ClientCertificate, ClientCertificateEndDate, ClientCertificateFingerprint, ClientCertificateIssuer,
		ClientCertificateSerial, ClientCertificateStartDate, ClientCertificateSubject, ClientCertificateVerification:
		if h.ClientCertificate == nil {
			return "", false
		}
		return h.ClientCertificate.Var(v)
	case CiphersSupported:
		return h.CiphersSupported, h.CiphersSupported != ""
	case ClientTCPRTT:
		if h.ClientTCPRTT > 0 {
			return strconv.FormatInt(h.ClientTCPRTT.Microseconds(), 10), true
		}
		return "", false
	case ReceivedBytes:
		if h.ReceivedBytes > 0 {
			return strconv.FormatInt(h.ReceivedBytes, 10), true
		}
		return "", false
	case SentBytes:
		if h.SentBytes > 0 {
			return strconv.FormatInt(h.SentBytes, 10), true
		}
		return "", false
	}
	r := h.Request
	if r == nil {
		return "", false
	}
	switch v {
	case AddXForwardedForProxy:
		ip, ok := clientIP(r.RemoteAddr)
		if !ok {
			return "", false
		}
		return AddXForwardedFor(r.Header["X-Forwarded-For"], ip), true
	case CiphersUsed:
		if r.TLS == nil {
			return "", false
		}
		return CipherName(r.TLS.CipherSuite), true
	case ClientIP:
		return clientIP(r.RemoteAddr)
	case ClientPort:
		if _, port, err := net.SplitHostPort(r.RemoteAddr); err == nil && port != "" {
			return port, true
		}
		return "", false
	case ClientUser:
		user, _, ok := r.BasicAuth()
		return user, ok
	case Host:
		return requestHost(r.Host)
	case HTTPMethod:
		return r.Method, r.Method != ""
	case HTTPVersion:
		return r.Proto, r.Proto != ""
	case RequestQuery:
		if r.URL == nil {
			return "", false
		}
		return r.URL.RawQuery, true
	case RequestScheme:
		if r.TLS != nil {
			return "https", true
		}
		return "http", true
	case RequestURI:
		if r.RequestURI != "" {
			return r.RequestURI, true
		}
		if r.URL == nil {
			return "", false
		}
		return r.URL.RequestURI(), true
	case ServerPort:
		if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			if _, port, err := net.SplitHostPort(a.String()); err == nil {
				return port, true
			}
		}
	case SSLConnectionProtocol:
		if r.TLS == nil {
			return "", false
		}
		return ProtocolName(r.TLS.Version), true
	case SSLEnabled:
		if r.TLS != nil {
			return "on", true
		}
		return "", true
	case URIPath:
		if r.URL == nil {
			return "", false
		}
		return r.URL.Path, true
	case QueryString:
		if r.URL == nil {
			return "", false
		}
		return r.URL.RawQuery, true
	}
	return "", false
}

// AddXForwardedFor returns the value of add_x_forwarded_for_proxy: the
// X-Forwarded-For values the client sent (prior), joined with ", ", then
// clientIP; or clientIP alone when the client sent none. It is NGINX's
// $proxy_add_x_forwarded_for, which Azure's variable follows: addresses
// without ports, as many X-Forwarded-For parsers need.
func AddXForwardedFor(prior []string, clientIP string) string {
	n := 0
	for _, p := range prior {
		if p = strings.TrimSpace(p); p != "" {
			n += len(p) + 2
		}
	}
	if n == 0 {
		return clientIP
	}
	var b strings.Builder
	b.Grow(n + len(clientIP))
	for _, p := range prior {
		if p = strings.TrimSpace(p); p != "" {
			b.WriteString(p)
			b.WriteString(", ")
		}
	}
	b.WriteString(clientIP)
	return b.String()
}

// clientIP returns the IP address of a remote address "ip:port" (an IPv6
// address without brackets).
func clientIP(remote string) (string, bool) {
	if host, _, err := net.SplitHostPort(remote); err == nil {
		return host, host != ""
	}
	return remote, remote != ""
}

// requestHost returns host as NGINX's $host: without its port, in lower
// case. It allocates only for a host with upper-case letters.
func requestHost(host string) (string, bool) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	for i := 0; i < len(host); i++ {
		if c := host[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(host), true
		}
	}
	return host, host != ""
}

// ProtocolName returns the name of a TLS version as OpenSSL and NGINX
// ($ssl_protocol), and so Azure's ssl_connection_protocol, write it:
// "TLSv1.2", "TLSv1.3" and so on.
func ProtocolName(version uint16) string {
	switch version {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return tls.VersionName(version)
}

// CipherName returns the name of a cipher suite as OpenSSL and NGINX
// ($ssl_cipher), and so Azure's ciphers_used, write it, such as
// "ECDHE-RSA-AES128-GCM-SHA256"; TLS 1.3 suites keep their IANA names
// ("TLS_AES_128_GCM_SHA256"), as OpenSSL does. A suite OpenSSL does not name
// gets its IANA name.
func CipherName(id uint16) string {
	switch id {
	case tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:
		return "ECDHE-ECDSA-AES128-GCM-SHA256"
	case tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:
		return "ECDHE-RSA-AES128-GCM-SHA256"
	case tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:
		return "ECDHE-ECDSA-AES256-GCM-SHA384"
	case tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:
		return "ECDHE-RSA-AES256-GCM-SHA384"
	case tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256:
		return "ECDHE-ECDSA-CHACHA20-POLY1305"
	case tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:
		return "ECDHE-RSA-CHACHA20-POLY1305"
	case tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA:
		return "ECDHE-ECDSA-AES128-SHA"
	case tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA:
		return "ECDHE-RSA-AES128-SHA"
	case tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA:
		return "ECDHE-ECDSA-AES256-SHA"
	case tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA:
		return "ECDHE-RSA-AES256-SHA"
	case tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256:
		return "ECDHE-ECDSA-AES128-SHA256"
	case tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256:
		return "ECDHE-RSA-AES128-SHA256"
	case tls.TLS_RSA_WITH_AES_128_GCM_SHA256:
		return "AES128-GCM-SHA256"
	case tls.TLS_RSA_WITH_AES_256_GCM_SHA384:
		return "AES256-GCM-SHA384"
	case tls.TLS_RSA_WITH_AES_128_CBC_SHA:
		return "AES128-SHA"
	case tls.TLS_RSA_WITH_AES_256_CBC_SHA:
		return "AES256-SHA"
	case tls.TLS_RSA_WITH_AES_128_CBC_SHA256:
		return "AES128-SHA256"
	case tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA:
		return "DES-CBC3-SHA"
	case tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA:
		return "ECDHE-RSA-DES-CBC3-SHA"
	case tls.TLS_RSA_WITH_RC4_128_SHA:
		return "RC4-SHA"
	case tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA:
		return "ECDHE-RSA-RC4-SHA"
	case tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA:
		return "ECDHE-ECDSA-RC4-SHA"
	}
	return tls.CipherSuiteName(id)
}
