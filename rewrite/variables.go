package rewrite

import "strconv"

// A Variable is one of Azure's server variables, named in conditions and
// values as var_<name>, such as var_client_ip. [Vars] supplies their values,
// except for uri_path, query_string and http_status, which the engine reads
// from the [Exchange], and cookie_<name>, which it reads from the request's
// Cookie header. The package documentation gives each one's format.
type Variable uint8

// The server variables, in Azure's order.
const (
	AddXForwardedForProxy Variable = iota + 1 // add_x_forwarded_for_proxy
	CiphersSupported                          // ciphers_supported
	CiphersUsed                               // ciphers_used
	ClientIP                                  // client_ip
	ClientPort                                // client_port
	ClientTCPRTT                              // client_tcp_rtt
	ClientUser                                // client_user
	Host                                      // host
	HTTPMethod                                // http_method
	HTTPStatus                                // http_status (from the Exchange)
	HTTPVersion                               // http_version
	QueryString                               // query_string (from the Exchange)
	ReceivedBytes                             // received_bytes
	RequestQuery                              // request_query
	RequestScheme                             // request_scheme
	RequestURI                                // request_uri
	SentBytes                                 // sent_bytes
	ServerPort                                // server_port
	SSLConnectionProtocol                     // ssl_connection_protocol
	SSLEnabled                                // ssl_enabled
	URIPath                                   // uri_path (from the Exchange)

	// The mutual authentication variables.
	ClientCertificate             // client_certificate
	ClientCertificateEndDate      // client_certificate_end_date
	ClientCertificateFingerprint  // client_certificate_fingerprint
	ClientCertificateIssuer       // client_certificate_issuer
	ClientCertificateSerial       // client_certificate_serial
	ClientCertificateStartDate    // client_certificate_start_date
	ClientCertificateSubject      // client_certificate_subject
	ClientCertificateVerification // client_certificate_verification

	numVariables = iota + 1 // one more than the last variable
)

// variableName returns v's Azure name, or "" for no variable.
func variableName(v Variable) string {
	switch v {
	case AddXForwardedForProxy:
		return "add_x_forwarded_for_proxy"
	case CiphersSupported:
		return "ciphers_supported"
	case CiphersUsed:
		return "ciphers_used"
	case ClientIP:
		return "client_ip"
	case ClientPort:
		return "client_port"
	case ClientTCPRTT:
		return "client_tcp_rtt"
	case ClientUser:
		return "client_user"
	case Host:
		return "host"
	case HTTPMethod:
		return "http_method"
	case HTTPStatus:
		return "http_status"
	case HTTPVersion:
		return "http_version"
	case QueryString:
		return "query_string"
	case ReceivedBytes:
		return "received_bytes"
	case RequestQuery:
		return "request_query"
	case RequestScheme:
		return "request_scheme"
	case RequestURI:
		return "request_uri"
	case SentBytes:
		return "sent_bytes"
	case ServerPort:
		return "server_port"
	case SSLConnectionProtocol:
		return "ssl_connection_protocol"
	case SSLEnabled:
		return "ssl_enabled"
	case URIPath:
		return "uri_path"
	case ClientCertificate:
		return "client_certificate"
	case ClientCertificateEndDate:
		return "client_certificate_end_date"
	case ClientCertificateFingerprint:
		return "client_certificate_fingerprint"
	case ClientCertificateIssuer:
		return "client_certificate_issuer"
	case ClientCertificateSerial:
		return "client_certificate_serial"
	case ClientCertificateStartDate:
		return "client_certificate_start_date"
	case ClientCertificateSubject:
		return "client_certificate_subject"
	case ClientCertificateVerification:
		return "client_certificate_verification"
	}
	return ""
}

// String returns the variable's Azure name, such as "client_ip".
func (v Variable) String() string {
	if n := variableName(v); n != "" {
		return n
	}
	return "Variable(" + strconv.Itoa(int(v)) + ")"
}

// LookupVariable returns the server variable with the Azure name name (such
// as "client_ip", without the "var_" prefix), and false if there is none.
// cookie_<name> is not a Variable: the engine reads cookies itself.
func LookupVariable(name string) (Variable, bool) {
	for v := Variable(1); v < numVariables; v++ {
		if variableName(v) == name {
			return v, true
		}
	}
	return 0, false
}

// variableNames lists every server variable's name, for suggestions.
func variableNames() []string {
	names := make([]string, 0, numVariables)
	for v := Variable(1); v < numVariables; v++ {
		names = append(names, variableName(v))
	}
	return names
}

// responseVariable reports whether v exists only once the backend has
// answered: a rule whose request actions read it could never run.
func responseVariable(v Variable) bool {
	return v == HTTPStatus || v == SentBytes
}
