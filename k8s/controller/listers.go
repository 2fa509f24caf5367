package controller

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	kubeinformers "k8s.io/client-go/informers"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	gatewayinformers "sigs.k8s.io/gateway-api/pkg/client/informers/externalversions"
	gatewaylisters "sigs.k8s.io/gateway-api/pkg/client/listers/apis/v1"

	"github.com/e2etls/e2etls/k8s/translate"
)

// listers read the informers' caches.
type listers struct {
	classes    gatewaylisters.GatewayClassLister
	gateways   gatewaylisters.GatewayLister
	routes     gatewaylisters.HTTPRouteLister
	policies   gatewaylisters.BackendTLSPolicyLister
	grants     gatewaylisters.ReferenceGrantLister
	namespaces corelisters.NamespaceLister
	services   corelisters.ServiceLister
	slices     discoverylisters.EndpointSliceLister
	secrets    corelisters.SecretLister
	configMaps corelisters.ConfigMapLister
}

// newListers registers the informers with their factories; every change
// calls kick, except a Gateway API object's update that changed neither
// its generation (its spec) nor its labels: that is a status write, ours
// or another controller's, and changes no configuration.
func newListers(k kubeinformers.SharedInformerFactory, g gatewayinformers.SharedInformerFactory, kick func()) listers {
	all := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { kick() },
		UpdateFunc: func(any, any) { kick() },
		DeleteFunc: func(any) { kick() },
	}
	specOnly := cache.ResourceEventHandlerFuncs{
		AddFunc: func(any) { kick() },
		UpdateFunc: func(oldObj, newObj any) {
			o, ok1 := oldObj.(metav1.Object)
			n, ok2 := newObj.(metav1.Object)
			if ok1 && ok2 && o.GetGeneration() == n.GetGeneration() && labels.Equals(o.GetLabels(), n.GetLabels()) {
				return
			}
			kick()
		},
		DeleteFunc: func(any) { kick() },
	}
	gw := g.Gateway().V1()
	core := k.Core().V1()
	l := listers{
		classes:    gw.GatewayClasses().Lister(),
		gateways:   gw.Gateways().Lister(),
		routes:     gw.HTTPRoutes().Lister(),
		policies:   gw.BackendTLSPolicies().Lister(),
		grants:     gw.ReferenceGrants().Lister(),
		namespaces: core.Namespaces().Lister(),
		services:   core.Services().Lister(),
		slices:     k.Discovery().V1().EndpointSlices().Lister(),
		secrets:    core.Secrets().Lister(),
		configMaps: core.ConfigMaps().Lister(),
	}
	for _, inf := range []cache.SharedIndexInformer{
		gw.GatewayClasses().Informer(), gw.Gateways().Informer(), gw.HTTPRoutes().Informer(),
		gw.BackendTLSPolicies().Informer(), gw.ReferenceGrants().Informer(),
	} {
		inf.AddEventHandler(specOnly)
	}
	for _, inf := range []cache.SharedIndexInformer{
		core.Namespaces().Informer(), core.Services().Informer(), k.Discovery().V1().EndpointSlices().Informer(),
		core.Secrets().Informer(), core.ConfigMaps().Informer(),
	} {
		inf.AddEventHandler(all)
	}
	return l
}

// input lists every cached object. The objects are the caches' own: the
// translation only reads them.
func (l listers) input() (translate.Input, error) {
	var in translate.Input
	var err error
	every := labels.Everything()
	if in.GatewayClasses, err = l.classes.List(every); err != nil {
		return in, fmt.Errorf("controller: list GatewayClasses: %w", err)
	}
	if in.Gateways, err = l.gateways.List(every); err != nil {
		return in, fmt.Errorf("controller: list Gateways: %w", err)
	}
	if in.HTTPRoutes, err = l.routes.List(every); err != nil {
		return in, fmt.Errorf("controller: list HTTPRoutes: %w", err)
	}
	if in.BackendTLSPolicies, err = l.policies.List(every); err != nil {
		return in, fmt.Errorf("controller: list BackendTLSPolicies: %w", err)
	}
	if in.ReferenceGrants, err = l.grants.List(every); err != nil {
		return in, fmt.Errorf("controller: list ReferenceGrants: %w", err)
	}
	if in.Namespaces, err = l.namespaces.List(every); err != nil {
		return in, fmt.Errorf("controller: list Namespaces: %w", err)
	}
	if in.Services, err = l.services.List(every); err != nil {
		return in, fmt.Errorf("controller: list Services: %w", err)
	}
	if in.EndpointSlices, err = l.slices.List(every); err != nil {
		return in, fmt.Errorf("controller: list EndpointSlices: %w", err)
	}
	if in.Secrets, err = l.secrets.List(every); err != nil {
		return in, fmt.Errorf("controller: list Secrets: %w", err)
	}
	if in.ConfigMaps, err = l.configMaps.List(every); err != nil {
		return in, fmt.Errorf("controller: list ConfigMaps: %w", err)
	}
	return in, nil
}
