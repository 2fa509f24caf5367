package conformance

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Labels and names the kubelet stand-in puts on what it makes.
const (
	deploymentLabel = "conformance.e2etls.test/deployment"
	managedBy       = "conformance.e2etls.test"
)

// Kubelet stands in for the parts of a cluster that the API server alone
// lacks and the conformance suite's base manifests assume: the Deployment
// controller (it creates each Deployment's Pods), the kubelet (it runs each
// Pod as echo servers on loopback that answer as the suite's echo-basic
// does, with the Pod's namespace and name, plain on its HTTP port and, with
// the TLS certificate of its Secret volume, on its HTTPS port, and then
// marks the Pod Ready) and the EndpointSlice controller (it registers each
// Service's Ready Pods by name, in EndpointSlices of address type FQDN
// under Domain, which Resolver maps to 127.0.0.1, since the API server
// refuses loopback IP addresses in EndpointSlices). Pods of other images
// (gRPC, TCP and UDP echo servers, CoreDNS) become Ready without a server.
type Kubelet struct {
	// Kube reaches the API server. Required.
	Kube kubernetes.Interface
	// Domain is the suffix of the Pods' FQDNs, such as
	// ".pods.conformance.e2etls.test". Required.
	Domain string
	// Log receives what the stand-in does. Required.
	Log *slog.Logger
	// Skip lists namespaces left alone. Nil means none.
	Skip []string

	mu   sync.Mutex
	pods map[types.NamespacedName]*podRuntime

	deployments cacheLister[*appsv1.Deployment]
	podList     cacheLister[*corev1.Pod]
	services    cacheLister[*corev1.Service]
	secrets     cacheLister[*corev1.Secret]
	slicesList  cacheLister[*discoveryv1.EndpointSlice]
	kick        chan struct{}
}

// podRuntime is a Pod the stand-in runs: its echo servers by container
// port.
type podRuntime struct {
	uid     types.UID
	servers map[int32]*echoServer
}

// cacheLister lists an informer's objects of one type.
type cacheLister[T any] struct{ inf cache.SharedIndexInformer }

func (l cacheLister[T]) list() []T {
	var out []T
	for _, o := range l.inf.GetStore().List() {
		if v, ok := o.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

// Resolver resolves the names under domain to 127.0.0.1 and no others.
type Resolver struct{ Domain string }

// LookupHost implements gateway.Resolver.
func (r Resolver) LookupHost(_ context.Context, host string) ([]string, error) {
	if strings.HasSuffix(strings.TrimSuffix(host, "."), r.Domain) {
		return []string{"127.0.0.1"}, nil
	}
	return nil, &net.DNSError{Err: "not a conformance Pod's name", Name: host, IsNotFound: true}
}

// Run runs the stand-in until ctx ends, then stops every echo server.
func (k *Kubelet) Run(ctx context.Context) error {
	k.pods = map[types.NamespacedName]*podRuntime{}
	k.kick = make(chan struct{}, 1)
	f := informers.NewSharedInformerFactory(k.Kube, 0)
	kick := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { k.poke() },
		UpdateFunc: func(any, any) { k.poke() },
		DeleteFunc: func(any) { k.poke() },
	}
	k.deployments = cacheLister[*appsv1.Deployment]{f.Apps().V1().Deployments().Informer()}
	k.podList = cacheLister[*corev1.Pod]{f.Core().V1().Pods().Informer()}
	k.services = cacheLister[*corev1.Service]{f.Core().V1().Services().Informer()}
	k.secrets = cacheLister[*corev1.Secret]{f.Core().V1().Secrets().Informer()}
	k.slicesList = cacheLister[*discoveryv1.EndpointSlice]{f.Discovery().V1().EndpointSlices().Informer()}
	for _, inf := range []cache.SharedIndexInformer{k.deployments.inf, k.podList.inf, k.services.inf, k.secrets.inf, k.slicesList.inf} {
		inf.AddEventHandler(kick)
	}
	defer f.Shutdown()
	defer k.stopAll()
	f.Start(ctx.Done())
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("conformance kubelet: informer for %v did not sync", typ)
		}
	}
	tick := time.NewTicker(2 * time.Second) // retries what waited on something (a Secret)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-k.kick:
			time.Sleep(50 * time.Millisecond) // let a burst of changes land
		case <-tick.C:
		}
		k.reconcile(ctx)
	}
}

func (k *Kubelet) poke() {
	select {
	case k.kick <- struct{}{}:
	default:
	}
}

func (k *Kubelet) skipped(ns string) bool {
	return strings.HasPrefix(ns, "kube-") || slices.Contains(k.Skip, ns)
}

func (k *Kubelet) stopAll() {
	k.mu.Lock()
	defer k.mu.Unlock()
	for key, rt := range k.pods {
		for _, s := range rt.servers {
			s.close()
		}
		delete(k.pods, key)
	}
}

func (k *Kubelet) reconcile(ctx context.Context) {
	k.deploymentPods(ctx)
	k.runPods(ctx)
	k.endpointSlices(ctx)
}

// deploymentPods creates and deletes Pods so that each Deployment has
// spec.replicas of them.
func (k *Kubelet) deploymentPods(ctx context.Context) {
	byDeployment := map[types.NamespacedName][]*corev1.Pod{}
	for _, p := range k.podList.list() {
		if d := p.Labels[deploymentLabel]; d != "" && p.DeletionTimestamp == nil {
			key := types.NamespacedName{Namespace: p.Namespace, Name: d}
			byDeployment[key] = append(byDeployment[key], p)
		}
	}
	seen := map[types.NamespacedName]bool{}
	for _, d := range k.deployments.list() {
		if k.skipped(d.Namespace) {
			continue
		}
		key := types.NamespacedName{Namespace: d.Namespace, Name: d.Name}
		seen[key] = true
		want := 1
		if d.Spec.Replicas != nil {
			want = int(*d.Spec.Replicas)
		}
		have := byDeployment[key]
		for i := len(have); i < want; i++ {
			if err := k.createPod(ctx, d); err != nil {
				k.Log.Warn("conformance kubelet: create pod", slog.String("deployment", key.String()), slog.Any("error", err))
			}
		}
		for _, p := range have[min(want, len(have)):] {
			k.deletePod(ctx, p)
		}
	}
	for key, pods := range byDeployment {
		if !seen[key] {
			for _, p := range pods {
				k.deletePod(ctx, p)
			}
		}
	}
}

func (k *Kubelet) createPod(ctx context.Context, d *appsv1.Deployment) error {
	// The Pods run under the namespace's default ServiceAccount, which no
	// controller creates here.
	_, err := k.Kube.CoreV1().ServiceAccounts(d.Namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	h := sha256.Sum256([]byte(d.Namespace + "/" + d.Name + "/" + d.Spec.Template.String()))
	suffix := make([]byte, 3)
	rand.Read(suffix)
	lbls := maps.Clone(d.Spec.Template.Labels)
	if lbls == nil {
		lbls = map[string]string{}
	}
	lbls[deploymentLabel] = d.Name
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:      fmt.Sprintf("%s-%s-%s", d.Name, hex.EncodeToString(h[:5]), hex.EncodeToString(suffix)[:5]),
			Namespace: d.Namespace,
			Labels:    lbls,
		},
		Spec: *d.Spec.Template.Spec.DeepCopy(),
	}
	_, err = k.Kube.CoreV1().Pods(d.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	return err
}

func (k *Kubelet) deletePod(ctx context.Context, p *corev1.Pod) {
	err := k.Kube.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
	if err != nil && !apierrors.IsNotFound(err) {
		k.Log.Warn("conformance kubelet: delete pod", slog.String("pod", p.Namespace+"/"+p.Name), slog.Any("error", err))
	}
}

// runPods starts the echo servers of new Pods and marks them Ready, and
// stops those of Pods that are gone.
func (k *Kubelet) runPods(ctx context.Context) {
	live := map[types.NamespacedName]bool{}
	for _, p := range k.podList.list() {
		if p.Labels[deploymentLabel] == "" || p.DeletionTimestamp != nil {
			continue
		}
		key := types.NamespacedName{Namespace: p.Namespace, Name: p.Name}
		live[key] = true
		k.mu.Lock()
		rt := k.pods[key]
		k.mu.Unlock()
		if rt != nil && rt.uid != p.UID {
			k.stopPod(key)
			rt = nil
		}
		if rt == nil {
			var err error
			if rt, err = k.startPod(p); err != nil {
				k.Log.Info("conformance kubelet: pod not started yet", slog.String("pod", key.String()), slog.Any("why", err))
				continue
			}
			k.mu.Lock()
			k.pods[key] = rt
			k.mu.Unlock()
		}
		if !podReady(p) {
			cp := p.DeepCopy()
			now := metav1.Now()
			cp.Status.Phase = corev1.PodRunning
			cp.Status.StartTime = &now
			cp.Status.Conditions = nil
			for _, c := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
				cp.Status.Conditions = append(cp.Status.Conditions, corev1.PodCondition{Type: c, Status: corev1.ConditionTrue, LastTransitionTime: now})
			}
			if _, err := k.Kube.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, cp, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
				k.Log.Warn("conformance kubelet: pod status", slog.String("pod", key.String()), slog.Any("error", err))
			}
		}
	}
	k.mu.Lock()
	var gone []types.NamespacedName
	for key := range k.pods {
		if !live[key] {
			gone = append(gone, key)
		}
	}
	k.mu.Unlock()
	for _, key := range gone {
		k.stopPod(key)
	}
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (k *Kubelet) stopPod(key types.NamespacedName) {
	k.mu.Lock()
	rt := k.pods[key]
	delete(k.pods, key)
	k.mu.Unlock()
	if rt != nil {
		for _, s := range rt.servers {
			s.close()
		}
	}
}

// startPod runs a Pod's first container as echo-basic would: plain on
// HTTP_PORT (3000), and with TLS_SERVER_CERT and TLS_SERVER_PRIVKEY also
// on HTTPS_PORT (8443), the certificate read from the Secret volume the
// paths point into. A Pod of another kind of server runs nothing.
func (k *Kubelet) startPod(p *corev1.Pod) (*podRuntime, error) {
	rt := &podRuntime{uid: p.UID, servers: map[int32]*echoServer{}}
	if len(p.Spec.Containers) == 0 {
		return rt, nil
	}
	c := p.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name":
			env[e.Name] = p.Name
		case e.ValueFrom != nil && e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
			env[e.Name] = p.Namespace
		default:
			env[e.Name] = e.Value
		}
	}
	if !strings.Contains(c.Image, "echo-basic") || env["GRPC_ECHO_SERVER"] != "" || env["TCP_ECHO_SERVER"] != "" || env["UDP_ECHO_SERVER"] != "" {
		return rt, nil
	}
	ctx := echoContext{Namespace: env["NAMESPACE"], Ingress: env["INGRESS_NAME"], Service: env["SERVICE_NAME"], Pod: env["POD_NAME"]}
	httpPort := portOr(env["HTTP_PORT"], 3000)
	var cert *tls.Certificate
	if certPath, keyPath := env["TLS_SERVER_CERT"], env["TLS_SERVER_PRIVKEY"]; certPath != "" && keyPath != "" {
		certPEM, err := k.volumeFile(p, c, certPath)
		if err != nil {
			return nil, err
		}
		keyPEM, err := k.volumeFile(p, c, keyPath)
		if err != nil {
			return nil, err
		}
		kp, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("TLS certificate: %w", err)
		}
		cert = &kp
	}
	s, err := startEcho(ctx, int(httpPort), nil)
	if err != nil {
		return nil, err
	}
	rt.servers[httpPort] = s
	if cert != nil {
		httpsPort := portOr(env["HTTPS_PORT"], 8443)
		s, err := startEcho(ctx, int(httpPort), cert)
		if err != nil {
			rt.servers[httpPort].close()
			return nil, err
		}
		rt.servers[httpsPort] = s
	}
	return rt, nil
}

func portOr(s string, def int32) int32 {
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65536 {
		return int32(n)
	}
	return def
}

// volumeFile reads the file at file in container c of pod p from the
// Secret volume mounted above it.
func (k *Kubelet) volumeFile(p *corev1.Pod, c corev1.Container, file string) ([]byte, error) {
	for _, m := range c.VolumeMounts {
		rel, ok := strings.CutPrefix(file, strings.TrimSuffix(m.MountPath, "/")+"/")
		if !ok {
			continue
		}
		for _, v := range p.Spec.Volumes {
			if v.Name != m.Name || v.Secret == nil {
				continue
			}
			key := rel
			for _, it := range v.Secret.Items {
				if path.Clean(it.Path) == path.Clean(rel) {
					key = it.Key
				}
			}
			for _, s := range k.secrets.list() {
				if s.Namespace == p.Namespace && s.Name == v.Secret.SecretName {
					if b, ok := s.Data[key]; ok {
						return b, nil
					}
					return nil, fmt.Errorf("secret %s/%s has no key %q", s.Namespace, s.Name, key)
				}
			}
			return nil, fmt.Errorf("secret %s/%s not found (yet)", p.Namespace, v.Secret.SecretName)
		}
	}
	return nil, fmt.Errorf("no Secret volume holds %s", file)
}

// endpointSlices registers every Service's Ready Pods that run a server on
// one of its ports: one EndpointSlice of address type FQDN per Pod (a
// slice's ports are its endpoints', and each Pod's servers have ports of
// their own).
func (k *Kubelet) endpointSlices(ctx context.Context) {
	pods := k.podList.list()
	want := map[types.NamespacedName]*discoveryv1.EndpointSlice{}
	for _, svc := range k.services.list() {
		if k.skipped(svc.Namespace) || len(svc.Spec.Selector) == 0 {
			continue
		}
		sel := labels.SelectorFromSet(svc.Spec.Selector)
		for _, p := range pods {
			if p.Namespace != svc.Namespace || p.DeletionTimestamp != nil || !podReady(p) || !sel.Matches(labels.Set(p.Labels)) {
				continue
			}
			k.mu.Lock()
			rt := k.pods[types.NamespacedName{Namespace: p.Namespace, Name: p.Name}]
			k.mu.Unlock()
			if rt == nil {
				continue
			}
			var ports []discoveryv1.EndpointPort
			for _, sp := range svc.Spec.Ports {
				if sp.Protocol != "" && sp.Protocol != corev1.ProtocolTCP {
					continue
				}
				cp := containerPort(p, sp)
				s := rt.servers[cp]
				if s == nil {
					continue
				}
				ports = append(ports, discoveryv1.EndpointPort{Name: new(sp.Name), Port: new(int32(s.port)), Protocol: new(corev1.ProtocolTCP), AppProtocol: sp.AppProtocol})
			}
			if len(ports) == 0 {
				continue
			}
			h := sha256.Sum256([]byte(p.Name))
			name := svc.Name + "-" + hex.EncodeToString(h[:4])
			want[types.NamespacedName{Namespace: svc.Namespace, Name: name}] = &discoveryv1.EndpointSlice{
				ObjectMeta: metav1.ObjectMeta{Namespace: svc.Namespace, Name: name, Labels: map[string]string{
					discoveryv1.LabelServiceName: svc.Name, discoveryv1.LabelManagedBy: managedBy}},
				AddressType: discoveryv1.AddressTypeFQDN,
				Ports:       ports,
				Endpoints: []discoveryv1.Endpoint{{
					Addresses:  []string{p.Name + "." + p.Namespace + k.Domain},
					Conditions: discoveryv1.EndpointConditions{Ready: new(true)},
					TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: p.Namespace, Name: p.Name, UID: p.UID},
				}},
			}
		}
	}
	api := k.Kube.DiscoveryV1()
	for _, es := range k.slicesList.list() {
		if es.Labels[discoveryv1.LabelManagedBy] != managedBy {
			continue
		}
		key := types.NamespacedName{Namespace: es.Namespace, Name: es.Name}
		w := want[key]
		delete(want, key)
		switch {
		case w == nil:
			if err := api.EndpointSlices(es.Namespace).Delete(ctx, es.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				k.Log.Warn("conformance kubelet: delete EndpointSlice", slog.String("slice", key.String()), slog.Any("error", err))
			}
		case !equality.Semantic.DeepEqual(w.Ports, es.Ports) || !equality.Semantic.DeepEqual(w.Endpoints, es.Endpoints):
			cp := es.DeepCopy()
			cp.Ports, cp.Endpoints = w.Ports, w.Endpoints
			if _, err := api.EndpointSlices(es.Namespace).Update(ctx, cp, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
				k.Log.Warn("conformance kubelet: update EndpointSlice", slog.String("slice", key.String()), slog.Any("error", err))
			}
		}
	}
	for key, w := range want {
		if _, err := api.EndpointSlices(w.Namespace).Create(ctx, w, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			k.Log.Warn("conformance kubelet: create EndpointSlice", slog.String("slice", key.String()), slog.Any("error", err))
		}
	}
}

// containerPort is the container port a Service port targets on pod p.
func containerPort(p *corev1.Pod, sp corev1.ServicePort) int32 {
	switch {
	case sp.TargetPort.IntVal > 0:
		return sp.TargetPort.IntVal
	case sp.TargetPort.StrVal != "":
		for _, c := range p.Spec.Containers {
			for _, cp := range c.Ports {
				if cp.Name == sp.TargetPort.StrVal {
					return cp.ContainerPort
				}
			}
		}
		return 0
	default:
		return sp.Port
	}
}
