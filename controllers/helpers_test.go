package controllers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

const demoToken = "demo-token"

// newNamespace creates a namespace for one test.
func newNamespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "eb-test-"}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	return ns.Name
}

// newSim starts an EB simulator with the built-in demo client type.
func newSim(t testing.TB) *ebsim.Server {
	t.Helper()
	return ebsim.StartTest(t, ebsim.Options{Admin: true})
}

func createTokenSecret(t testing.TB, ns, name, token string) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		StringData: map[string]string{"token": token},
	}
	create(t, s)
	return s
}

func newClient(ns, name, tokenSecret string) *ebv1.EBClient {
	return &ebv1.EBClient{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: ebv1.EBClientSpec{
			Registration: ebv1.RegistrationSpec{Environment: "test"},
			ClientType:   "demo",
			Authentication: ebv1.AuthenticationSpec{
				Method:         "type",
				TokenSecretRef: &ebv1.SecretKeyReference{Name: tokenSecret, Key: "token"},
			},
		},
	}
}

func newKey(ns, name, clientName string) *ebv1.EBApiKey {
	return &ebv1.EBApiKey{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       ebv1.EBApiKeySpec{ClientRef: ebv1.ClientReference{Name: clientName}},
	}
}

func create(t testing.TB, obj client.Object) {
	t.Helper()
	if err := k8s.Create(context.Background(), obj); err != nil {
		t.Fatalf("create %T %s: %v", obj, obj.GetName(), err)
	}
}

// eventually polls check every 100 ms until it returns nil or the timeout
// passes, then fails the test with the last error.
func eventually(t testing.TB, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func readyCondition(obj client.Object) *metav1.Condition {
	switch o := obj.(type) {
	case *ebv1.EBClient:
		return meta.FindStatusCondition(o.Status.Conditions, ebv1.ConditionReady)
	case *ebv1.EBApiKey:
		return meta.FindStatusCondition(o.Status.Conditions, ebv1.ConditionReady)
	}
	panic(fmt.Sprintf("no conditions on %T", obj))
}

// waitReason waits until obj's Ready condition has the given status and
// reason, and leaves the last read in obj.
func waitReason(t testing.TB, obj client.Object, status metav1.ConditionStatus, reason string, timeout time.Duration) {
	t.Helper()
	key := client.ObjectKeyFromObject(obj)
	eventually(t, timeout, func() error {
		if err := k8s.Get(context.Background(), key, obj); err != nil {
			return err
		}
		c := readyCondition(obj)
		if c == nil {
			return fmt.Errorf("%s has no Ready condition", key)
		}
		if c.Status != status || c.Reason != reason {
			return fmt.Errorf("%s Ready=%s reason %s (%s), want %s/%s", key, c.Status, c.Reason, c.Message, status, reason)
		}
		return nil
	})
}

func waitReady(t testing.TB, obj client.Object) {
	t.Helper()
	reason := ebv1.ReasonIssued
	if _, ok := obj.(*ebv1.EBClient); ok {
		reason = ebv1.ReasonRegistered
	}
	waitReason(t, obj, metav1.ConditionTrue, reason, 30*time.Second)
}

func getSecret(t testing.TB, ns, name string) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, s); err != nil {
		t.Fatalf("get Secret %s/%s: %v", ns, name, err)
	}
	return s
}

func secretExists(ns, name string) (bool, error) {
	err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, &corev1.Secret{})
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// defaultClientName is the name the operator sends to create when
// spec.clientName is empty.
func defaultClientName(c *ebv1.EBClient) string {
	return fmt.Sprintf("%s.%s.%s", c.Namespace, c.Name, c.UID)
}

// callsFor returns how many calls of function the simulator received for
// one client name.
func callsFor(sim *ebsim.Server, function, clientName string) int {
	return sim.Sim.Calls().ByClient[function][clientName]
}

func client2Key(obj client.Object) types.NamespacedName { return client.ObjectKeyFromObject(obj) }
