// Package conformance runs the Gateway API conformance suite
// (sigs.k8s.io/gateway-api/conformance, at the version this module
// requires) against the controller on a real etcd and kube-apiserver
// (internal/apiservertest), as far as the scenarios do not need a kubelet:
// see TestConformance and its plan, which says, for every HTTPRoute,
// Gateway and BackendTLSPolicy scenario left out, why.
//
// The cluster-less API server has no Deployment controller, kubelet or
// EndpointSlice controller: [Kubelet] stands in for them with echo servers
// on loopback that answer as the suite's echo-basic does. The controller
// serves every Gateway on an address of its own from a random /24 of
// 127.0.0.0/8 (controller.Config.AddressPool), and the suite's requests go
// to the addresses the Gateways' status reports.
package conformance
