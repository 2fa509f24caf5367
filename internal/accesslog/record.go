package accesslog

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// Record is one request's access-log record. Its field names in the
// output are those of Azure Application Gateway's access log, where it has
// one; durations are in seconds (with microseconds), as Azure's are.
type Record struct {
	Time         time.Time // when the request arrived ("time", RFC 3339, UTC)
	ClientIP     string    // "clientIP"
	ClientPort   string    // "clientPort"
	Method       string    // "httpMethod"
	URI          string    // "requestUri": the target as received, path and query
	Proto        string    // "httpVersion": HTTP/1.1, HTTP/2.0, ...
	Host         string    // "host": the Host sent to the backend
	OrigHost     string    // "originalHost": the client's Host
	UserAgent    string    // "userAgent"
	Status       int       // "httpStatus": the status the client got (0: none, the connection was cut)
	Received     int64     // "receivedBytes": request body bytes read from the client
	Sent         int64     // "sentBytes": response body bytes sent to the client
	TimeTaken    time.Duration
	SSLProtocol  string // "sslProtocol": the client connection's TLS version, "" for plain HTTP
	SSLCipher    string // "sslCipher"
	SSLResumed   bool   // "sslResumed": the client resumed a TLS session
	Listener     string // "listenerName"
	Rule         string // "ruleName"
	Pool         string // "backendPoolName"
	Setting      string // "backendSettingName"
	Member       string // "serverRouted": the member the request went to, address:port
	ServerStatus int    // "serverStatus": the backend's status, 0 when none came
	// ServerLatency is "serverResponseLatency": from sending the request to
	// the backend's response head.
	ServerLatency      time.Duration
	BackendSSLProtocol string // "backendSslProtocol"
	BackendSSLCipher   string // "backendSslCipher"
	BackendSSLResumed  bool   // "backendSslResumed"
	// ClientVerify is "sslClientVerify", on a listener with client
	// authentication: SUCCESS, NONE (no certificate) or FAILED:<reason>.
	// "" elsewhere, and the three client certificate fields are left out.
	ClientVerify          string
	ClientCertFingerprint string // "sslClientCertificateFingerprint": SHA-1, hex; "" without a certificate
	ClientCertIssuer      string // "sslClientCertificateIssuerName": the issuer's DN
	RequestID             string // "transactionId": the X-Request-ID
	Reason                string // "error_info": the gateway's failure code, "" when none
	Error                 string // "error": the failure's account, for operators
}

// appendText appends r as one logfmt line.
func (r *Record) appendText(b []byte) []byte {
	b = append(b, "time="...)
	b = r.Time.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = textField(b, "clientIP", r.ClientIP)
	b = textField(b, "clientPort", r.ClientPort)
	b = textField(b, "httpMethod", r.Method)
	b = textField(b, "requestUri", r.URI)
	b = textField(b, "httpVersion", r.Proto)
	b = textField(b, "host", r.Host)
	b = textField(b, "originalHost", r.OrigHost)
	b = textField(b, "userAgent", r.UserAgent)
	b = append(b, " httpStatus="...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = append(b, " receivedBytes="...)
	b = strconv.AppendInt(b, r.Received, 10)
	b = append(b, " sentBytes="...)
	b = strconv.AppendInt(b, r.Sent, 10)
	b = append(b, " timeTaken="...)
	b = appendSeconds(b, r.TimeTaken)
	if r.SSLProtocol != "" {
		b = textField(b, "sslProtocol", r.SSLProtocol)
		b = textField(b, "sslCipher", r.SSLCipher)
		b = append(b, " sslResumed="...)
		b = strconv.AppendBool(b, r.SSLResumed)
	}
	b = textField(b, "listenerName", r.Listener)
	b = textField(b, "ruleName", r.Rule)
	if r.Pool != "" {
		b = textField(b, "backendPoolName", r.Pool)
		b = textField(b, "backendSettingName", r.Setting)
		b = textField(b, "serverRouted", r.Member)
		b = append(b, " serverStatus="...)
		b = strconv.AppendInt(b, int64(r.ServerStatus), 10)
		b = append(b, " serverResponseLatency="...)
		b = appendSeconds(b, r.ServerLatency)
	}
	if r.BackendSSLProtocol != "" {
		b = textField(b, "backendSslProtocol", r.BackendSSLProtocol)
		b = textField(b, "backendSslCipher", r.BackendSSLCipher)
		b = append(b, " backendSslResumed="...)
		b = strconv.AppendBool(b, r.BackendSSLResumed)
	}
	if r.ClientVerify != "" {
		b = textField(b, "sslClientVerify", r.ClientVerify)
		if r.ClientCertFingerprint != "" {
			b = textField(b, "sslClientCertificateFingerprint", r.ClientCertFingerprint)
			b = textField(b, "sslClientCertificateIssuerName", r.ClientCertIssuer)
		}
	}
	b = textField(b, "transactionId", r.RequestID)
	if r.Reason != "" {
		b = textField(b, "error_info", r.Reason)
	}
	if r.Error != "" {
		b = textField(b, "error", r.Error)
	}
	return append(b, '\n')
}

// appendJSON appends r as one JSON object on a line.
func (r *Record) appendJSON(b []byte) []byte {
	b = append(b, `{"time":"`...)
	b = r.Time.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, '"')
	b = jsonField(b, "clientIP", r.ClientIP)
	b = jsonField(b, "clientPort", r.ClientPort)
	b = jsonField(b, "httpMethod", r.Method)
	b = jsonField(b, "requestUri", r.URI)
	b = jsonField(b, "httpVersion", r.Proto)
	b = jsonField(b, "host", r.Host)
	b = jsonField(b, "originalHost", r.OrigHost)
	b = jsonField(b, "userAgent", r.UserAgent)
	b = append(b, `,"httpStatus":`...)
	b = strconv.AppendInt(b, int64(r.Status), 10)
	b = append(b, `,"receivedBytes":`...)
	b = strconv.AppendInt(b, r.Received, 10)
	b = append(b, `,"sentBytes":`...)
	b = strconv.AppendInt(b, r.Sent, 10)
	b = append(b, `,"timeTaken":`...)
	b = appendSeconds(b, r.TimeTaken)
	b = append(b, `,"sslEnabled":`...)
	b = strconv.AppendBool(b, r.SSLProtocol != "")
	if r.SSLProtocol != "" {
		b = jsonField(b, "sslProtocol", r.SSLProtocol)
		b = jsonField(b, "sslCipher", r.SSLCipher)
		b = append(b, `,"sslResumed":`...)
		b = strconv.AppendBool(b, r.SSLResumed)
	}
	b = jsonField(b, "listenerName", r.Listener)
	b = jsonField(b, "ruleName", r.Rule)
	if r.Pool != "" {
		b = jsonField(b, "backendPoolName", r.Pool)
		b = jsonField(b, "backendSettingName", r.Setting)
		b = jsonField(b, "serverRouted", r.Member)
		b = append(b, `,"serverStatus":`...)
		b = strconv.AppendInt(b, int64(r.ServerStatus), 10)
		b = append(b, `,"serverResponseLatency":`...)
		b = appendSeconds(b, r.ServerLatency)
	}
	if r.BackendSSLProtocol != "" {
		b = jsonField(b, "backendSslProtocol", r.BackendSSLProtocol)
		b = jsonField(b, "backendSslCipher", r.BackendSSLCipher)
		b = append(b, `,"backendSslResumed":`...)
		b = strconv.AppendBool(b, r.BackendSSLResumed)
	}
	if r.ClientVerify != "" {
		b = jsonField(b, "sslClientVerify", r.ClientVerify)
		if r.ClientCertFingerprint != "" {
			b = jsonField(b, "sslClientCertificateFingerprint", r.ClientCertFingerprint)
			b = jsonField(b, "sslClientCertificateIssuerName", r.ClientCertIssuer)
		}
	}
	b = jsonField(b, "transactionId", r.RequestID)
	if r.Reason != "" {
		b = jsonField(b, "error_info", r.Reason)
	}
	if r.Error != "" {
		b = jsonField(b, "error", r.Error)
	}
	return append(b, "}\n"...)
}

// appendSeconds appends d in seconds with microseconds: 0.001234.
func appendSeconds(b []byte, d time.Duration) []byte {
	us := d.Microseconds()
	if us < 0 {
		us = 0
	}
	b = strconv.AppendInt(b, us/1e6, 10)
	b = append(b, '.')
	frac := us % 1e6
	for div := int64(1e5); div > 0; div /= 10 {
		b = append(b, byte('0'+frac/div%10))
	}
	return b
}

// textField appends " key=value", quoting value when it is empty or holds
// a space, a quote, '=', or a byte that is not printable ASCII.
func textField(b []byte, key, value string) []byte {
	b = append(b, ' ')
	b = append(b, key...)
	b = append(b, '=')
	if value != "" && !needsQuote(value) {
		return append(b, value...)
	}
	return appendQuoted(b, value, false)
}

func needsQuote(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f {
			return true
		}
	}
	return false
}

// jsonField appends ,"key":"value".
func jsonField(b []byte, key, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return appendQuoted(b, value, true)
}

const hex = "0123456789abcdef"

// appendQuoted appends s as a double-quoted string with JSON's escapes
// (logfmt readers take the same): control bytes as \u00XX, invalid UTF-8
// as U+FFFD; with html set, <, > and & are escaped too, as encoding/json
// does.
func appendQuoted(b []byte, s string, html bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && !(html && (c == '<' || c == '>' || c == '&')) {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
