package main

import (
	"context"
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

// creators is how many objects are created in parallel.
const creators = 32

const (
	tokenSecretName = "bench-token"
	tokenSecretKey  = "token"
)

// workload is the set of objects of one run in one namespace.
type workload struct {
	namespace string
	clients   []*ebv1.EBClient
	keys      []*ebv1.EBApiKey
}

func newWorkload(namespace string, clients int) *workload {
	w := &workload{namespace: namespace}
	for i := range clients {
		c := &ebv1.EBClient{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: fmt.Sprintf("client-%04d", i)},
			Spec: ebv1.EBClientSpec{
				Registration: ebv1.RegistrationSpec{Environment: "test"},
				ClientType:   clientTypeName,
				Authentication: ebv1.AuthenticationSpec{
					Method:         "type",
					TokenSecretRef: &ebv1.SecretKeyReference{Name: tokenSecretName, Key: tokenSecretKey},
				},
			},
		}
		w.clients = append(w.clients, c)
		for j := range keysPerClient {
			w.keys = append(w.keys, &ebv1.EBApiKey{
				ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: fmt.Sprintf("%s-key-%02d", c.Name, j)},
				Spec: ebv1.EBApiKeySpec{
					ClientRef:  ebv1.ClientReference{Name: c.Name},
					Operations: []string{"PLAINAES", "RANDOM"},
				},
			})
		}
	}
	return w
}

// objects returns the number of EBClients and EBApiKeys.
func (w *workload) objects() int { return len(w.clients) + len(w.keys) }

// tokenSecret is the Secret that holds the client type's token for every
// EBClient of the workload. It carries no managed-by label, so the operator
// reads it uncached.
func (w *workload) tokenSecret() *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: w.namespace, Name: tokenSecretName},
		StringData: map[string]string{tokenSecretKey: clientToken},
	}
}

// createAll creates the token Secret, then every EBClient and EBApiKey with
// creators requests in flight. Each EBClient comes just before its keys.
// onCreated, when not nil, runs after each successful create.
func (w *workload) createAll(ctx context.Context, c client.Client, onCreated func(client.Object)) error {
	if err := c.Create(ctx, w.tokenSecret()); err != nil {
		return fmt.Errorf("create token Secret: %w", err)
	}
	objs := make(chan client.Object)
	go func() {
		defer close(objs)
		for i, cl := range w.clients {
			for _, o := range append([]client.Object{cl}, keysOf(w.keys, i)...) {
				select {
				case objs <- o.DeepCopyObject().(client.Object):
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, creators)
	for range creators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range objs {
				if err := c.Create(ctx, o); err != nil {
					errs <- fmt.Errorf("create %s: %w", o.GetName(), err)
					return
				}
				if onCreated != nil {
					onCreated(o)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func keysOf(keys []*ebv1.EBApiKey, owner int) []client.Object {
	out := make([]client.Object, 0, keysPerClient)
	for _, k := range keys[owner*keysPerClient : (owner+1)*keysPerClient] {
		out = append(out, k)
	}
	return out
}

// readyWatcher records when each object of a namespace is first seen with
// Ready=True.
type readyWatcher struct {
	mu      sync.Mutex
	readyAt map[string]time.Time
	changed chan struct{}
}

// watchReady watches EBClients and EBApiKeys in namespace until ctx ends.
// Start it before the objects are created.
func watchReady(ctx context.Context, c client.WithWatch, namespace string) *readyWatcher {
	rw := &readyWatcher{readyAt: map[string]time.Time{}, changed: make(chan struct{}, 1)}
	go rw.watch(ctx, c, namespace, &ebv1.EBClientList{})
	go rw.watch(ctx, c, namespace, &ebv1.EBApiKeyList{})
	return rw
}

// watch restarts the watch when the API server ends it. A watch without a
// resourceVersion starts with the objects that exist, so nothing is missed.
func (rw *readyWatcher) watch(ctx context.Context, c client.WithWatch, namespace string, list client.ObjectList) {
	for ctx.Err() == nil {
		w, err := c.Watch(ctx, list, client.InNamespace(namespace))
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
			continue
		}
		for ev := range w.ResultChan() {
			if ev.Type != watch.Added && ev.Type != watch.Modified {
				continue
			}
			rw.observe(ev.Object)
		}
		w.Stop()
	}
}

func (rw *readyWatcher) observe(o any) {
	var kind, name string
	var conds []metav1.Condition
	switch obj := o.(type) {
	case *ebv1.EBClient:
		kind, name, conds = "EBClient", obj.Name, obj.Status.Conditions
	case *ebv1.EBApiKey:
		kind, name, conds = "EBApiKey", obj.Name, obj.Status.Conditions
	default:
		return
	}
	if !meta.IsStatusConditionTrue(conds, ebv1.ConditionReady) {
		return
	}
	now := time.Now()
	rw.mu.Lock()
	defer rw.mu.Unlock()
	key := kind + "/" + name
	if _, seen := rw.readyAt[key]; seen {
		return
	}
	rw.readyAt[key] = now
	select {
	case rw.changed <- struct{}{}:
	default:
	}
}

func (rw *readyWatcher) count() int {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	return len(rw.readyAt)
}

// waitAll waits until total objects are Ready, printing progress every ten
// seconds, and fails at the deadline.
func (rw *readyWatcher) waitAll(ctx context.Context, total int, deadline time.Duration) error {
	timeout := time.After(deadline)
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	for rw.count() < total {
		select {
		case <-rw.changed:
		case <-tick.C:
			say("    %d/%d Ready", rw.count(), total)
		case <-timeout:
			return fmt.Errorf("only %d of %d objects Ready after %s", rw.count(), total, deadline)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// latencies returns each object's time to Ready from start, sorted.
func (rw *readyWatcher) latencies(start time.Time) []time.Duration {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	out := make([]time.Duration, 0, len(rw.readyAt))
	for _, t := range rw.readyAt {
		out = append(out, t.Sub(start))
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// lastReady returns the time the last object became Ready.
func (rw *readyWatcher) lastReady() time.Time {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	var last time.Time
	for _, t := range rw.readyAt {
		if t.After(last) {
			last = t
		}
	}
	return last
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted values,
// by the nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(float64(len(sorted))*p/100)) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}
