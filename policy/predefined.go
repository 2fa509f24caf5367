package policy

import (
	"crypto/tls"
	"slices"
)

// Names of Azure's predefined policies, in the order Azure lists them.
const (
	name20150501  = "AppGwSslPolicy20150501"
	name20170401  = "AppGwSslPolicy20170401"
	name20170401S = "AppGwSslPolicy20170401S"
	name20220101  = "AppGwSslPolicy20220101"
	name20220101S = "AppGwSslPolicy20220101S"
)

// azure20150501 is AppGwSslPolicy20150501's list in Azure's order (PowerShell output).
var azure20150501 = []uint16{
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	0xc028, // ECDHE_RSA_WITH_AES_256_CBC_SHA384
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	0x009f, // DHE_RSA_WITH_AES_256_GCM_SHA384
	0x009e, // DHE_RSA_WITH_AES_128_GCM_SHA256
	0x0039, // DHE_RSA_WITH_AES_256_CBC_SHA
	0x0033, // DHE_RSA_WITH_AES_128_CBC_SHA
	tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	0x003d, // RSA_WITH_AES_256_CBC_SHA256
	tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
	tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	0xc024, // ECDHE_ECDSA_WITH_AES_256_CBC_SHA384
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	0x006a, // DHE_DSS_WITH_AES_256_CBC_SHA256
	0x0040, // DHE_DSS_WITH_AES_128_CBC_SHA256
	0x0038, // DHE_DSS_WITH_AES_256_CBC_SHA
	0x0032, // DHE_DSS_WITH_AES_128_CBC_SHA
	tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
	0x0013, // DHE_DSS_WITH_3DES_EDE_CBC_SHA
}

// azure20170401 is the list of AppGwSslPolicy20170401 and AppGwSslPolicy20170401S in
// Azure's order (PowerShell output).
var azure20170401 = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	0xc024, // ECDHE_ECDSA_WITH_AES_256_CBC_SHA384
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	0x003d, // RSA_WITH_AES_256_CBC_SHA256
	tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
	tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	tls.TLS_RSA_WITH_AES_128_CBC_SHA,
}

// azure20220101 is the TLS 1.2 part of AppGwSslPolicy20220101. Azure documents the set
// but not its order. The order here is Mozilla's "intermediate" order: AEAD (GCM)
// before CBC, ECDSA before RSA, AES-128 before AES-256. Since crypto/tls orders suites
// itself, the order changes nothing on the wire (see the package documentation).
var azure20220101 = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	0xc024, // ECDHE_ECDSA_WITH_AES_256_CBC_SHA384
	0xc028, // ECDHE_RSA_WITH_AES_256_CBC_SHA384
}

// azure20220101S is the TLS 1.2 part of AppGwSslPolicy20220101S, in the same
// (unconfirmed, Mozilla-like) order as azure20220101.
var azure20220101S = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
}

// predefinedPolicies holds the five predefined policies, in PredefinedNames order. It is
// built once and never modified; the exported functions hand out copies.
var predefinedPolicies = []Policy{
	fromAzure(name20150501, tls.VersionTLS10, tls.VersionTLS12, azure20150501),
	fromAzure(name20170401, tls.VersionTLS11, tls.VersionTLS12, azure20170401),
	fromAzure(name20170401S, tls.VersionTLS12, tls.VersionTLS12, azure20170401),
	fromAzure(name20220101, tls.VersionTLS12, tls.VersionTLS13, azure20220101),
	fromAzure(name20220101S, tls.VersionTLS12, tls.VersionTLS13, azure20220101S),
}

// defaultPolicy is the policy a zero Policy stands for.
var defaultPolicy = &predefinedPolicies[3]

// fromAzure builds a predefined policy from Azure's suite list: suites crypto/tls speaks
// go to CipherSuites in Azure's order, the others to Dropped with the reason.
func fromAzure(name string, lo, hi uint16, azureList []uint16) Policy {
	p := Policy{Name: name, MinVersion: lo, MaxVersion: hi, Curves: DefaultCurves(hi)}
	for _, id := range azureList {
		s := suiteByID[id]
		if s.unsupported != "" {
			p.Dropped = append(p.Dropped, DroppedSuite{Name: s.name, Reason: s.unsupported})
			continue
		}
		p.CipherSuites = append(p.CipherSuites, id)
	}
	return p
}

// Default returns the policy Azure applies when none is chosen (API version 2023-02-01
// and later): AppGwSslPolicy20220101, TLS 1.2 and 1.3 with ECDHE suites only. The zero
// [Policy] means this policy wherever a Policy is applied.
func Default() Policy { return defaultPolicy.clone() }

// Predefined returns the predefined policy with the given Azure name, for example
// "AppGwSslPolicy20170401S". Names are case-sensitive, as in Azure. An unknown name gets a
// [*NameError] listing the valid names (see [PredefinedNames]) and, for a near miss, the
// one probably meant.
//
// Suites of Azure's list that crypto/tls cannot speak are left out of CipherSuites and
// recorded in Dropped; the resulting policy accepts a subset of what Azure accepts, never
// more.
func Predefined(name string) (Policy, error) {
	if p := predefinedByName(name); p != nil {
		return p.clone(), nil
	}
	names := PredefinedNames()
	reason := "unknown; want " + orList(names) + didYouMean(name, names)
	return Policy{}, &NameError{Kind: "predefined policy", Name: name, Reason: reason, Err: ErrUnknown}
}

// PredefinedNames returns the names of Azure's predefined policies, oldest first:
// AppGwSslPolicy20150501, AppGwSslPolicy20170401, AppGwSslPolicy20170401S,
// AppGwSslPolicy20220101 and AppGwSslPolicy20220101S.
func PredefinedNames() []string {
	names := make([]string, len(predefinedPolicies))
	for i := range predefinedPolicies {
		names[i] = predefinedPolicies[i].Name
	}
	return names
}

// predefinedByName returns the predefined policy called name, or nil.
func predefinedByName(name string) *Policy {
	for i := range predefinedPolicies {
		if predefinedPolicies[i].Name == name {
			return &predefinedPolicies[i]
		}
	}
	return nil
}

// clone returns a copy of p that shares no slice with it.
func (p Policy) clone() Policy {
	p.CipherSuites = slices.Clone(p.CipherSuites)
	p.Curves = slices.Clone(p.Curves)
	p.Dropped = slices.Clone(p.Dropped)
	return p
}
