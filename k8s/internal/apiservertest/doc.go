// Package apiservertest runs a real Kubernetes control plane for tests: an
// etcd server and a kube-apiserver on loopback, on free ports, with their
// data in a temporary folder, and the Gateway API standard-channel CRDs of
// the gateway-api module installed. [Start] returns a client-go
// rest.Config authenticated as a member of system:masters.
//
// The binaries come from outside the Go build: etcd from Debian's
// etcd-server package (or $E2ETLS_ETCD), kube-apiserver from
// k8s/hack/build-apiserver.sh, which builds it from the Go module proxy and
// caches it (or $E2ETLS_KUBE_APISERVER). Without them a test is skipped
// with a message saying so, unless E2ETLS_K8S_REQUIRE is set, as in CI,
// where it fails instead.
package apiservertest
