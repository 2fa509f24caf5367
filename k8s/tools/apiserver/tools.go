//go:build tools

// Package apiserver pins k8s.io/kubernetes/cmd/kube-apiserver in this tools
// module so that go mod tidy keeps what building it needs.
package apiserver

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
