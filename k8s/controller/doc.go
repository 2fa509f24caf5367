// Package controller runs e2etls as a Kubernetes Gateway API
// implementation: client-go informers watch GatewayClasses, Gateways,
// HTTPRoutes, BackendTLSPolicies, ReferenceGrants and the Namespaces,
// Services, EndpointSlices, Secrets and ConfigMaps they reference; every
// change, debounced, is translated (package translate) into one
// gateway.Config, applied with gateway.New the first time and
// gateway.Update after (so a changed CA applies at once and connections
// verified under the old trust are drained). An unchanged configuration is
// not applied again.
//
// Replicas: every replica serves traffic; the one holding the Lease
// (client-go leader election) writes status. The replicas share a Secret
// holding the affinity key (gateway.Config.AffinityKey), so that an
// affinity cookie made by one replica is honoured by all, and the TLS
// session ticket keys (gateway.Config.SessionTicketKeys), so that a client
// resumes its session on any replica; the first replica that finds the
// Secret missing creates it, and edits apply at once.
//
// Ports: a gateway.Gateway cannot add, remove or change the protocol of a
// frontend port once it runs, so the ports served are fixed by
// [Config.Ports]; a Gateway listener on another port is reported
// Accepted=False with reason PortUnavailable. With [Config.AddressPool],
// every Gateway is served apart instead, by a gateway.Gateway of its own
// bound to an address of its own, on the ports its listeners declare.
//
// Health: [Controller.HealthHandler] serves /healthz (alive) and /readyz
// (informers synced and a configuration serving).
package controller
