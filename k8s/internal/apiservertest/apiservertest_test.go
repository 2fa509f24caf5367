package apiservertest

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayclient "sigs.k8s.io/gateway-api/pkg/client/clientset/versioned"
)

// TestStart starts the control plane, writes and reads back a core object
// and a Gateway API object (its CRD installed), and checks that a CRD's
// validation runs (the API server, not a fake, answers).
func TestStart(t *testing.T) {
	s := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	kc := kubernetes.NewForConfigOrDie(s.Config)
	if _, err := kc.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "probe"}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	gc := gatewayclient.NewForConfigOrDie(s.Config)
	gwc := &gatewayv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Spec: gatewayv1.GatewayClassSpec{ControllerName: "example.com/x"}}
	if _, err := gc.GatewayV1().GatewayClasses().Create(ctx, gwc, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create GatewayClass: %v", err)
	}
	got, err := gc.GatewayV1().GatewayClasses().Get(ctx, "c", metav1.GetOptions{})
	if err != nil || got.Spec.ControllerName != "example.com/x" {
		t.Fatalf("get GatewayClass: %v, %+v", err, got)
	}
	// CEL validation of the CRD: a controllerName must be a domain-prefixed path.
	bad := &gatewayv1.GatewayClass{ObjectMeta: metav1.ObjectMeta{Name: "bad"}, Spec: gatewayv1.GatewayClassSpec{ControllerName: "no domain"}}
	if _, err := gc.GatewayV1().GatewayClasses().Create(ctx, bad, metav1.CreateOptions{}); err == nil {
		t.Fatal("an invalid controllerName was accepted: the CRD's validation did not run")
	}
}
