package azurejson

// The JSON of the written documents, in Azure's property order.

type armTemplate struct {
	Schema         string              `json:"$schema"`
	ContentVersion string              `json:"contentVersion"`
	Parameters     map[string]armParam `json:"parameters"`
	Resources      []*armResource      `json:"resources"`
}

type armParam struct {
	Type         string       `json:"type"`
	DefaultValue any          `json:"defaultValue,omitempty"`
	Metadata     *armMetadata `json:"metadata,omitempty"`
}

type armMetadata struct {
	Description string `json:"description"`
}

type armResource struct {
	Name       string          `json:"name"`
	ID         string          `json:"id,omitempty"`
	Type       string          `json:"type"`
	APIVersion string          `json:"apiVersion,omitempty"`
	Location   string          `json:"location"`
	Properties armGatewayProps `json:"properties"`
}

type armRef struct {
	ID string `json:"id"`
}

type armElem struct {
	Name       string `json:"name"`
	ID         string `json:"id,omitempty"`
	Properties any    `json:"properties"`
}

type armSKU struct {
	Name     string `json:"name"`
	Tier     string `json:"tier"`
	Capacity int    `json:"capacity"`
}

type armGatewayProps struct {
	SKU                           armSKU           `json:"sku"`
	SSLPolicy                     *armSSLPolicy    `json:"sslPolicy,omitempty"`
	GatewayIPConfigurations       []armElem        `json:"gatewayIPConfigurations"`
	SSLCertificates               []armElem        `json:"sslCertificates,omitempty"`
	TrustedRootCertificates       []armElem        `json:"trustedRootCertificates,omitempty"`
	TrustedClientCertificates     []armElem        `json:"trustedClientCertificates,omitempty"`
	SSLProfiles                   []armElem        `json:"sslProfiles,omitempty"`
	FrontendIPConfigurations      []armElem        `json:"frontendIPConfigurations"`
	FrontendPorts                 []armElem        `json:"frontendPorts"`
	HTTPListeners                 []armElem        `json:"httpListeners"`
	BackendAddressPools           []armElem        `json:"backendAddressPools"`
	BackendHTTPSettingsCollection []armElem        `json:"backendHttpSettingsCollection"`
	Probes                        []armElem        `json:"probes,omitempty"`
	RequestRoutingRules           []armElem        `json:"requestRoutingRules"`
	URLPathMaps                   []armElem        `json:"urlPathMaps,omitempty"`
	RedirectConfigurations        []armElem        `json:"redirectConfigurations,omitempty"`
	RewriteRuleSets               []armElem        `json:"rewriteRuleSets,omitempty"`
	CustomErrorConfigurations     []armCustomError `json:"customErrorConfigurations,omitempty"`
	EnableHTTP2                   bool             `json:"enableHttp2"`
}

type armSSLPolicy struct {
	PolicyType         string   `json:"policyType"`
	PolicyName         string   `json:"policyName,omitempty"`
	MinProtocolVersion string   `json:"minProtocolVersion,omitempty"`
	CipherSuites       []string `json:"cipherSuites,omitempty"`
}

type armGatewayIPProps struct {
	Subnet armRef `json:"subnet"`
}

type armCertProps struct {
	Data     string `json:"data"`
	Password string `json:"password,omitempty"`
}

type armFrontendIPProps struct {
	PrivateIPAddress          string  `json:"privateIPAddress,omitempty"`
	PrivateIPAllocationMethod string  `json:"privateIPAllocationMethod,omitempty"`
	Subnet                    *armRef `json:"subnet,omitempty"`
	PublicIPAddress           *armRef `json:"publicIPAddress,omitempty"`
}

type armPortProps struct {
	Port int `json:"port"`
}

type armListenerProps struct {
	FrontendIPConfiguration     armRef           `json:"frontendIPConfiguration"`
	FrontendPort                armRef           `json:"frontendPort"`
	Protocol                    string           `json:"protocol"`
	HostName                    string           `json:"hostName,omitempty"`
	HostNames                   []string         `json:"hostNames,omitempty"`
	SSLCertificate              *armRef          `json:"sslCertificate,omitempty"`
	SSLProfile                  *armRef          `json:"sslProfile,omitempty"`
	RequireServerNameIndication bool             `json:"requireServerNameIndication,omitempty"`
	CustomErrorConfigurations   []armCustomError `json:"customErrorConfigurations,omitempty"`
}

type armAddress struct {
	IPAddress string `json:"ipAddress,omitempty"`
	FQDN      string `json:"fqdn,omitempty"`
}

type armPoolProps struct {
	BackendAddresses []armAddress `json:"backendAddresses"`
}

type armDraining struct {
	Enabled           bool `json:"enabled"`
	DrainTimeoutInSec int  `json:"drainTimeoutInSec"`
}

type armSettingProps struct {
	Port                           int          `json:"port"`
	Protocol                       string       `json:"protocol"`
	CookieBasedAffinity            string       `json:"cookieBasedAffinity"`
	AffinityCookieName             string       `json:"affinityCookieName,omitempty"`
	RequestTimeout                 int          `json:"requestTimeout"`
	ConnectionDraining             *armDraining `json:"connectionDraining,omitempty"`
	Path                           string       `json:"path,omitempty"`
	HostName                       string       `json:"hostName,omitempty"`
	PickHostNameFromBackendAddress bool         `json:"pickHostNameFromBackendAddress"`
	SNIName                        string       `json:"sniName,omitempty"`
	Probe                          *armRef      `json:"probe,omitempty"`
	TrustedRootCertificates        []armRef     `json:"trustedRootCertificates,omitempty"`
}

type armMatch struct {
	StatusCodes []string `json:"statusCodes,omitempty"`
	Body        string   `json:"body,omitempty"`
}

type armProbeProps struct {
	Protocol                            string    `json:"protocol"`
	Host                                string    `json:"host,omitempty"`
	Path                                string    `json:"path"`
	Interval                            int       `json:"interval"`
	Timeout                             int       `json:"timeout"`
	UnhealthyThreshold                  int       `json:"unhealthyThreshold"`
	PickHostNameFromBackendHTTPSettings bool      `json:"pickHostNameFromBackendHttpSettings"`
	Port                                int       `json:"port,omitempty"`
	Match                               *armMatch `json:"match,omitempty"`
}

type armRuleProps struct {
	RuleType              string  `json:"ruleType"`
	Priority              int     `json:"priority,omitempty"`
	HTTPListener          *armRef `json:"httpListener,omitempty"`
	BackendAddressPool    *armRef `json:"backendAddressPool,omitempty"`
	BackendHTTPSettings   *armRef `json:"backendHttpSettings,omitempty"`
	URLPathMap            *armRef `json:"urlPathMap,omitempty"`
	RedirectConfiguration *armRef `json:"redirectConfiguration,omitempty"`
	RewriteRuleSet        *armRef `json:"rewriteRuleSet,omitempty"`
}

type armPathMapProps struct {
	DefaultBackendAddressPool    *armRef   `json:"defaultBackendAddressPool,omitempty"`
	DefaultBackendHTTPSettings   *armRef   `json:"defaultBackendHttpSettings,omitempty"`
	DefaultRedirectConfiguration *armRef   `json:"defaultRedirectConfiguration,omitempty"`
	DefaultRewriteRuleSet        *armRef   `json:"defaultRewriteRuleSet,omitempty"`
	PathRules                    []armElem `json:"pathRules"`
}

type armPathRuleProps struct {
	Paths                 []string `json:"paths"`
	BackendAddressPool    *armRef  `json:"backendAddressPool,omitempty"`
	BackendHTTPSettings   *armRef  `json:"backendHttpSettings,omitempty"`
	RedirectConfiguration *armRef  `json:"redirectConfiguration,omitempty"`
	RewriteRuleSet        *armRef  `json:"rewriteRuleSet,omitempty"`
}

type armRedirectProps struct {
	RedirectType       string  `json:"redirectType"`
	TargetListener     *armRef `json:"targetListener,omitempty"`
	TargetURL          string  `json:"targetUrl,omitempty"`
	IncludePath        bool    `json:"includePath"`
	IncludeQueryString bool    `json:"includeQueryString"`
}

type armCustomError struct {
	StatusCode         string `json:"statusCode"`
	CustomErrorPageURL string `json:"customErrorPageUrl"`
}

type armRewriteRuleSetProps struct {
	RewriteRules []armRewriteRule `json:"rewriteRules"`
}

type armRewriteRule struct {
	Name         string         `json:"name"`
	RuleSequence int            `json:"ruleSequence,omitempty"`
	Conditions   []armCondition `json:"conditions,omitempty"`
	ActionSet    armActionSet   `json:"actionSet"`
}

type armCondition struct {
	Variable   string `json:"variable"`
	Pattern    string `json:"pattern"`
	IgnoreCase bool   `json:"ignoreCase"`
	Negate     bool   `json:"negate"`
}

type armActionSet struct {
	RequestHeaderConfigurations  []armHeaderConfig `json:"requestHeaderConfigurations,omitempty"`
	ResponseHeaderConfigurations []armHeaderConfig `json:"responseHeaderConfigurations,omitempty"`
	URLConfiguration             *armURLConfig     `json:"urlConfiguration,omitempty"`
}

type armHeaderConfig struct {
	HeaderName         string           `json:"headerName"`
	HeaderValue        string           `json:"headerValue"`
	HeaderValueMatcher *armValueMatcher `json:"headerValueMatcher,omitempty"`
}

type armValueMatcher struct {
	Pattern    string `json:"pattern"`
	IgnoreCase bool   `json:"ignoreCase"`
	Negate     bool   `json:"negate"`
}

type armURLConfig struct {
	ModifiedPath        string  `json:"modifiedPath,omitempty"`
	ModifiedQueryString *string `json:"modifiedQueryString,omitempty"`
	Reroute             bool    `json:"reroute"`
}
