package translate

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/e2etls/e2etls/backendtls"
)

// caKey is the key of a CA bundle in a ConfigMap or Secret, as the
// specification names it.
const caKey = "ca.crt"

// policyTarget is what a BackendTLSPolicy targets: a Service, or one port of
// it by name (sectionName).
type policyTarget struct {
	svc     types.NamespacedName
	section string // "" targets every port
}

// policyState is a BackendTLSPolicy during translation.
type policyState struct {
	obj *gatewayv1.BackendTLSPolicy
	key types.NamespacedName

	hostname string
	// sans, when set, replace the hostname as the identity to verify.
	sans  []backendtls.SAN
	roots []*x509.Certificate // nil with wellKnownCACertificates: System
	// usable is false when the policy cannot be honoured: its backends then
	// answer 500 and are never dialled.
	usable bool

	accepted                    bool
	acceptedReason, acceptedMsg string
	resolved                    bool
	resolvedReason, resolvedMsg string
	// lost lists the targets another policy won (Conflicted).
	lost []string
}

// policies validates every BackendTLSPolicy and picks the winner of each
// target: the oldest policy, then the first by namespace/name.
func (t *translator) policies() {
	ps := slices.Clone(t.in.BackendTLSPolicies)
	slices.SortFunc(ps, func(a, b *gatewayv1.BackendTLSPolicy) int {
		return olderFirst(a.CreationTimestamp, b.CreationTimestamp, nsName(a.Namespace, a.Name), nsName(b.Namespace, b.Name))
	})
	for _, p := range ps {
		st := &policyState{obj: p, key: nsName(p.Namespace, p.Name), hostname: strings.ToLower(string(p.Spec.Validation.Hostname))}
		t.policyAll = append(t.policyAll, st)
		t.validatePolicy(st)
		found := false
		for _, ref := range p.Spec.TargetRefs {
			if ref.Group != groupCore || ref.Kind != kindService {
				continue
			}
			if t.services[nsName(p.Namespace, string(ref.Name))] != nil {
				found = true
			}
			tg := policyTarget{svc: nsName(p.Namespace, string(ref.Name))}
			if ref.SectionName != nil {
				tg.section = string(*ref.SectionName)
			}
			if prev := t.policyFor[tg]; prev != nil {
				st.lost = append(st.lost, fmt.Sprintf("%s (won by the older policy %s)", targetString(tg), prev.key))
				continue
			}
			t.policyFor[tg] = st
		}
		if !found && st.accepted {
			st.accepted = false
			st.acceptedReason = string(gatewayv1.PolicyReasonTargetNotFound)
			st.acceptedMsg = "no targetRef names an existing Service (group \"\", kind Service) in the policy's namespace"
		}
	}
}

func targetString(tg policyTarget) string {
	if tg.section == "" {
		return "Service " + tg.svc.String()
	}
	return fmt.Sprintf("Service %s port %q", tg.svc, tg.section)
}

// validatePolicy resolves a policy's CA references and refuses what cannot
// be honoured. It sets accepted, resolved and usable.
func (t *translator) validatePolicy(st *policyState) {
	p := st.obj
	v := p.Spec.Validation
	st.accepted, st.resolved, st.usable = true, true, true
	refuse := func(reason, msg string) {
		st.accepted, st.usable = false, false
		st.acceptedReason, st.acceptedMsg = reason, msg
	}
	for i, san := range v.SubjectAltNames {
		var s backendtls.SAN
		switch san.Type {
		case gatewayv1.HostnameSubjectAltNameType:
			s = backendtls.SAN{Type: backendtls.SANDNS, Value: strings.ToLower(string(san.Hostname))}
		case gatewayv1.URISubjectAltNameType:
			s = backendtls.SAN{Type: backendtls.SANURI, Value: string(san.URI)}
		default:
			refuse(string(gatewayv1.PolicyReasonInvalid), fmt.Sprintf("validation.subjectAltNames[%d]: type %q is not supported: Hostname or URI", i, san.Type))
			return
		}
		if err := s.Validate(); err != nil {
			refuse(string(gatewayv1.PolicyReasonInvalid), fmt.Sprintf("validation.subjectAltNames[%d]: %v", i, err))
			return
		}
		st.sans = append(st.sans, s)
	}
	if len(p.Spec.Options) > 0 {
		keys := make([]string, 0, len(p.Spec.Options))
		for k := range p.Spec.Options {
			keys = append(keys, string(k))
		}
		slices.Sort(keys)
		refuse(string(gatewayv1.PolicyReasonInvalid), fmt.Sprintf("options %s are not supported: the TLS policy to backends is the controller's", strings.Join(keys, ", ")))
		return
	}
	if st.hostname == "" {
		refuse(string(gatewayv1.PolicyReasonInvalid), "validation.hostname is empty")
		return
	}
	if v.WellKnownCACertificates != nil && *v.WellKnownCACertificates != "" {
		if *v.WellKnownCACertificates != gatewayv1.WellKnownCACertificatesSystem {
			refuse(string(gatewayv1.PolicyReasonInvalid), fmt.Sprintf("wellKnownCACertificates %q is not supported: only %q", *v.WellKnownCACertificates, gatewayv1.WellKnownCACertificatesSystem))
			return
		}
		if len(v.CACertificateRefs) > 0 {
			refuse(string(gatewayv1.PolicyReasonInvalid), "caCertificateRefs and wellKnownCACertificates are both set: only one may be")
			return
		}
		if err := (&backendtls.Config{ServerName: st.hostname, SubjectAltNames: st.sans, UseWellKnownCAs: true}).Validate(); err != nil {
			refuse(string(gatewayv1.PolicyReasonInvalid), fmt.Sprintf("validation.hostname: %v", err))
		}
		return
	}
	if len(v.CACertificateRefs) == 0 {
		refuse(string(gatewayv1.PolicyReasonInvalid), "neither caCertificateRefs nor wellKnownCACertificates is set")
		return
	}
	var problems []string
	badKind := false
	valid := 0
	for _, ref := range v.CACertificateRefs {
		certs, kindOK, err := t.caRef(p.Namespace, ref)
		if err != nil {
			problems = append(problems, err.Error())
			badKind = badKind || !kindOK
			continue
		}
		if err := (&backendtls.Config{ServerName: st.hostname, SubjectAltNames: st.sans, TrustedRootCertificates: certs}).Validate(); err != nil {
			problems = append(problems, fmt.Sprintf("%s %s/%s: %v", ref.Kind, p.Namespace, ref.Name, strings.ReplaceAll(err.Error(), "\n", "; ")))
			continue
		}
		valid++
		st.roots = append(st.roots, certs...)
	}
	if len(problems) == 0 {
		return
	}
	// Any invalid reference fails the policy closed: the specification says
	// connections using an invalid CACertificateRef must fail, and with
	// several references there is no telling which one a backend relies on.
	st.usable = false
	st.resolved = false
	st.resolvedReason = string(gatewayv1.BackendTLSPolicyReasonInvalidCACertificateRef)
	if badKind {
		st.resolvedReason = string(gatewayv1.BackendTLSPolicyReasonInvalidKind)
	}
	st.resolvedMsg = strings.Join(problems, "; ") + "; requests to the policy's backends answer 500"
	if valid == 0 {
		st.accepted = false
		st.acceptedReason = string(gatewayv1.BackendTLSPolicyReasonNoValidCACertificate)
		st.acceptedMsg = "no caCertificateRef is valid: " + strings.Join(problems, "; ")
	}
}

// caRef reads the CA bundle of one caCertificateRef. kindOK is false when
// the kind is not supported.
func (t *translator) caRef(ns string, ref gatewayv1.LocalObjectReference) (certs []*x509.Certificate, kindOK bool, err error) {
	where := fmt.Sprintf("%s %s/%s", ref.Kind, ns, ref.Name)
	if ref.Group != groupCore || (ref.Kind != kindConfigMap && ref.Kind != kindSecret) {
		return nil, false, fmt.Errorf("caCertificateRef kind %q of group %q is not supported: only core ConfigMap and Secret", ref.Kind, ref.Group)
	}
	var data []byte
	switch ref.Kind {
	case kindConfigMap:
		cm := t.configMaps[nsName(ns, string(ref.Name))]
		if cm == nil {
			return nil, true, fmt.Errorf("%s: not found", where)
		}
		s, ok := cm.Data[caKey]
		if !ok {
			if b, ok := cm.BinaryData[caKey]; ok {
				data = b
			} else {
				return nil, true, fmt.Errorf("%s: no key %q", where, caKey)
			}
		} else {
			data = []byte(s)
		}
	case kindSecret:
		sec := t.secrets[nsName(ns, string(ref.Name))]
		if sec == nil {
			return nil, true, fmt.Errorf("%s: not found", where)
		}
		if _, ok := sec.Data[corev1.TLSPrivateKeyKey]; ok {
			// A Secret with a private key is a leaf's, not a CA bundle:
			// trusting it would trust whatever that key signs.
			return nil, true, fmt.Errorf("%s: holds a private key (%s): a CA bundle Secret must hold only %q", where, corev1.TLSPrivateKeyKey, caKey)
		}
		b, ok := sec.Data[caKey]
		if !ok {
			return nil, true, fmt.Errorf("%s: no key %q", where, caKey)
		}
		data = b
	}
	certs, err = backendtls.ParseCertificates(data)
	if err != nil {
		return nil, true, fmt.Errorf("%s: key %q: %w", where, caKey, err)
	}
	return certs, true, nil
}

// policyForPort returns the policy governing a Service port: one that
// targets the port by name wins over one that targets the whole Service.
// Nil means none: the backend is plain HTTP.
func (t *translator) policyForPort(svc types.NamespacedName, port corev1.ServicePort) *policyState {
	if port.Name != "" {
		if p := t.policyFor[policyTarget{svc: svc, section: port.Name}]; p != nil {
			return p
		}
	}
	return t.policyFor[policyTarget{svc: svc}]
}

// policyStatuses sets the ancestor status of each policy under every served
// Gateway whose routes reach one of its targets.
func (t *translator) policyStatuses() {
	for _, st := range t.policyAll {
		gws := t.ancestors[st]
		if len(gws) == 0 {
			continue
		}
		keys := make([]types.NamespacedName, 0, len(gws))
		for k := range gws {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b types.NamespacedName) int { return strings.Compare(a.String(), b.String()) })
		gen := st.obj.Generation
		acc := condition(string(gatewayv1.PolicyConditionAccepted), true, string(gatewayv1.PolicyReasonAccepted), "", gen)
		switch {
		case !st.accepted:
			acc = condition(string(gatewayv1.PolicyConditionAccepted), false, st.acceptedReason, st.acceptedMsg, gen)
		case len(st.lost) > 0:
			acc = condition(string(gatewayv1.PolicyConditionAccepted), false, string(gatewayv1.PolicyReasonConflicted),
				"another policy takes precedence for "+strings.Join(st.lost, ", "), gen)
		}
		res := condition(string(gatewayv1.BackendTLSPolicyConditionResolvedRefs), true, string(gatewayv1.BackendTLSPolicyReasonResolvedRefs), "", gen)
		if !st.resolved {
			res = condition(string(gatewayv1.BackendTLSPolicyConditionResolvedRefs), false, st.resolvedReason, st.resolvedMsg, gen)
		}
		var out []gatewayv1.PolicyAncestorStatus
		for _, k := range keys {
			if len(out) == 16 { // the API's limit
				break
			}
			out = append(out, gatewayv1.PolicyAncestorStatus{
				AncestorRef: gatewayv1.ParentReference{
					Group:     ptr(gatewayv1.Group(groupGateway)),
					Kind:      ptr(gatewayv1.Kind(kindGateway)),
					Namespace: ptr(gatewayv1.Namespace(k.Namespace)),
					Name:      gatewayv1.ObjectName(k.Name),
				},
				ControllerName: t.opts.ControllerName,
				Conditions:     []metav1.Condition{acc, res},
			})
		}
		t.res.BackendTLSPolicies[st.key] = out
	}
}
