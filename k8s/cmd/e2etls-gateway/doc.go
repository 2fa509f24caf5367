// Command e2etls-gateway is the e2etls Gateway API controller and data
// plane in one process: run it as a Deployment of several replicas behind
// an L4 load balancer (see k8s/README.md). Every replica serves traffic;
// the one holding the Lease writes status.
//
//	e2etls-gateway --listen=443/https=:8443 --listen=80/http=:8080 \
//	    --address=203.0.113.10 --namespace=e2etls-system
//
// or with every Gateway on an address of its own, from addresses the
// nodes carry:
//
//	e2etls-gateway --address-pool=198.51.100.0/28 --namespace=e2etls-system
//
// Flags are listed by -help and explained in k8s/README.md.
package main
