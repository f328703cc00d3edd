package controllers_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

// labelWriter patches a label on a set of objects every 50 ms, as a second
// controller or a GitOps tool would. Each patch changes resourceVersion, so
// every update the operator sends with an older resourceVersion conflicts.
type labelWriter struct {
	targets []client.Object
	patches atomic.Int64
	stop    chan struct{}
	done    chan struct{}
}

func startLabelWriter(t *testing.T, targets []client.Object) *labelWriter {
	w := &labelWriter{targets: targets, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		ticker := time.NewTicker(50 * time.Millisecond)
		defer ticker.Stop()
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			case <-ticker.C:
			}
			patch := client.RawPatch(types.MergePatchType,
				fmt.Appendf(nil, `{"metadata":{"labels":{"second-writer":"%d"}}}`, i))
			for _, target := range w.targets {
				obj := target.DeepCopyObject().(client.Object)
				err := k8s.Patch(context.Background(), obj, patch)
				switch {
				case err == nil:
					w.patches.Add(1)
				case !apierrors.IsNotFound(err):
					t.Errorf("patch labels of %T %s: %v", obj, obj.GetName(), err)
				}
			}
		}
	}()
	t.Cleanup(w.Stop)
	return w
}

func (w *labelWriter) Stop() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

func TestConcurrentLabelPatches(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)
	// Slow EB calls keep every object in its first passes long enough for
	// many patches to land between its reads and its writes.
	sim.Sim.SetLatency(200 * time.Millisecond)

	const clientCount, keysPerClient = 3, 2
	var clients []*ebv1.EBClient
	var keys []*ebv1.EBApiKey
	var targets []client.Object
	for i := range clientCount {
		c := newClient(ns, fmt.Sprintf("client-%d", i), "token")
		clients = append(clients, c)
		targets = append(targets, c.DeepCopy(),
			&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: c.Name + "-eb-client"}})
		for j := range keysPerClient {
			k := newKey(ns, fmt.Sprintf("key-%d-%d", i, j), c.Name)
			keys = append(keys, k)
			targets = append(targets, k.DeepCopy(),
				&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: k.Name + "-eb-apikey"}})
		}
	}
	// The writer starts before the objects exist, so it races every write
	// from the first pass on. Patches of objects not yet created fail with
	// NotFound and are skipped.
	writer := startLabelWriter(t, targets)
	for _, c := range clients {
		create(t, c)
	}
	for _, k := range keys {
		create(t, k)
	}

	start := time.Now()
	for _, c := range clients {
		waitReady(t, c)
	}
	for _, k := range keys {
		waitReady(t, k)
	}
	t.Logf("all %d objects Ready after %s under %d label patches",
		len(clients)+len(keys), time.Since(start).Round(time.Millisecond), writer.patches.Load())
	// The writer keeps going for 2 s after all objects are Ready, to show
	// that conflicts on Ready objects cause no further EB call.
	time.Sleep(2 * time.Second)
	writer.Stop()
	if writer.patches.Load() < 100 {
		t.Fatalf("the second writer made only %d patches", writer.patches.Load())
	}

	if n := sim.Sim.ClientCount(); n != clientCount {
		t.Errorf("simulator accounts = %d, want %d", n, clientCount)
	}
	if n := sim.Sim.KeyCount(); n != clientCount*keysPerClient {
		t.Errorf("simulator keys = %d, want %d", n, clientCount*keysPerClient)
	}
	for _, c := range clients {
		checkClientComplete(t, sim.Sim.Username, c)
		name := defaultClientName(c)
		if n := callsFor(sim, "create", name); n != 1 {
			t.Errorf("EBClient %s: create calls = %d, want 1", c.Name, n)
		}
		if n := callsFor(sim, "addapi", name); n != keysPerClient {
			t.Errorf("EBClient %s: addapi calls = %d, want %d (one per EBApiKey)", c.Name, n, keysPerClient)
		}
	}
	for _, k := range keys {
		checkKeyComplete(t, k)
	}
}

// checkClientComplete rereads c and checks that it is Ready with a full
// status.
func checkClientComplete(t *testing.T, username func(string) (string, bool), c *ebv1.EBClient) {
	t.Helper()
	if err := k8s.Get(context.Background(), client2Key(c), c); err != nil {
		t.Fatal(err)
	}
	if cond := readyCondition(c); cond == nil || cond.Status != metav1.ConditionTrue {
		t.Errorf("EBClient %s is not Ready: %+v", c.Name, cond)
	}
	want, _ := username(defaultClientName(c))
	st := c.Status
	if st.Username == "" || st.Username != want {
		t.Errorf("EBClient %s: status.username = %q, want %q", c.Name, st.Username, want)
	}
	if st.RegisteredAt == nil || st.AccountStatus == "" || st.RegistrationServer == "" {
		t.Errorf("EBClient %s: status incomplete: registeredAt %v, accountStatus %q, registrationServer %q",
			c.Name, st.RegisteredAt, st.AccountStatus, st.RegistrationServer)
	}
	if st.Registrations != 1 {
		t.Errorf("EBClient %s: status.registrations = %d, want 1", c.Name, st.Registrations)
	}
	if st.ObservedGeneration != c.Generation {
		t.Errorf("EBClient %s: status.observedGeneration = %d, want %d", c.Name, st.ObservedGeneration, c.Generation)
	}
}

// checkKeyComplete rereads k and checks that it is Ready with a full status
// that matches its Secret.
func checkKeyComplete(t *testing.T, k *ebv1.EBApiKey) {
	t.Helper()
	if err := k8s.Get(context.Background(), client2Key(k), k); err != nil {
		t.Fatal(err)
	}
	if cond := readyCondition(k); cond == nil || cond.Status != metav1.ConditionTrue {
		t.Errorf("EBApiKey %s is not Ready: %+v", k.Name, cond)
	}
	key := string(getSecret(t, k.Namespace, k.Name+"-eb-apikey").Data["apikey"])
	st := k.Status
	if key == "" || st.APIKeyHash != apiKeyHash(key) {
		t.Errorf("EBApiKey %s: status.apiKeyHash = %q, want the hash of the Secret's apikey", k.Name, st.APIKeyHash)
	}
	if len(st.Servers) != 1 || st.Servers[0].FQDN == "" {
		t.Errorf("EBApiKey %s: status.servers = %+v, want one server", k.Name, st.Servers)
	}
	if st.ClientUsername == "" || st.IssuedAt == nil || st.KeyStatus == "" {
		t.Errorf("EBApiKey %s: status incomplete: clientUsername %q, issuedAt %v, keyStatus %q",
			k.Name, st.ClientUsername, st.IssuedAt, st.KeyStatus)
	}
	if st.Issues != 1 || st.PossiblyUnusedKeys != 0 {
		t.Errorf("EBApiKey %s: status.issues = %d, possiblyUnusedKeys = %d, want 1 and 0",
			k.Name, st.Issues, st.PossiblyUnusedKeys)
	}
}
