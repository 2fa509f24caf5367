package translate

import (
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// refAllowed reports whether an object of group/kind in namespace from may
// reference the object group/kind/name in namespace to: always within a
// namespace, otherwise only when a ReferenceGrant in the target namespace
// allows it (by kind, and by name when the grant names one).
func (t *translator) refAllowed(fromGroup, fromKind, from, toGroup, toKind, to, toName string) bool {
	if from == to {
		return true
	}
	for _, g := range t.grants[to] {
		fromOK := false
		for _, f := range g.Spec.From {
			if string(f.Group) == fromGroup && string(f.Kind) == fromKind && string(f.Namespace) == from {
				fromOK = true
				break
			}
		}
		if !fromOK {
			continue
		}
		for _, tt := range g.Spec.To {
			if string(tt.Group) != toGroup || string(tt.Kind) != toKind {
				continue
			}
			if tt.Name == nil || *tt.Name == "" || string(*tt.Name) == toName {
				return true
			}
		}
	}
	return false
}

// The groups and kinds references are checked against.
const (
	groupGateway  = gatewayv1.GroupName
	groupCore     = ""
	kindGateway   = "Gateway"
	kindHTTPRoute = "HTTPRoute"
	kindService   = "Service"
	kindSecret    = "Secret"
	kindConfigMap = "ConfigMap"
)
