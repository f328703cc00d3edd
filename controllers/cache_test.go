package controllers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

func TestCacheHoldsOnlyManagedSecrets(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	op := startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)
	create(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "unrelated"},
		StringData: map[string]string{"key": "value"},
	})
	create(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "labeled",
			Labels: map[string]string{ebv1.ManagedByLabel: ebv1.ManagedByValue}},
		StringData: map[string]string{"key": "value"},
	})
	// The unlabeled token Secret is read uncached, so the client registers.
	c := newClient(ns, "cached", "token")
	create(t, c)
	waitReady(t, c)

	ctx := context.Background()
	get := func(name string) error {
		return op.cache.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &corev1.Secret{})
	}
	eventually(t, 10*time.Second, func() error { return get("labeled") })
	if err := get("alpha"); !apierrors.IsNotFound(err) {
		t.Errorf("cache Get of a missing Secret = %v, want NotFound", err)
	}
	for _, name := range []string{"unrelated", "token"} {
		if err := get(name); !apierrors.IsNotFound(err) {
			t.Errorf("cache Get of unlabeled Secret %q = %v, want NotFound", name, err)
		}
		if err := k8s.Get(ctx, types.NamespacedName{Namespace: ns, Name: name}, &corev1.Secret{}); err != nil {
			t.Errorf("uncached Get of Secret %q: %v", name, err)
		}
	}
	if err := get("cached-eb-client"); err != nil {
		t.Errorf("cache Get of the operator's Secret: %v", err)
	}
	secrets := &corev1.SecretList{}
	if err := op.cache.List(ctx, secrets, client.InNamespace(ns)); err != nil {
		t.Fatalf("list Secrets from the cache: %v", err)
	}
	var names []string
	for _, s := range secrets.Items {
		names = append(names, s.Name)
	}
	if len(names) != 2 {
		t.Errorf("cached Secrets = %q, want only labeled and cached-eb-client", names)
	}
}

// TestNamespacedModeIgnoresOthers runs a manager that watches one namespace
// and checks that an EBClient in another namespace is left alone.
func TestNamespacedModeIgnoresOthers(t *testing.T) {
	t.Parallel()
	watched, other, sim := newNamespace(t), newNamespace(t), newSim(t)
	op := startOperator(t, sim, operatorOptions{namespaces: []string{watched}})
	for _, ns := range []string{watched, other} {
		createTokenSecret(t, ns, "token", demoToken)
	}
	outside := newClient(other, "outside", "token")
	create(t, outside)
	inside := newClient(watched, "inside", "token")
	create(t, inside)
	waitReady(t, inside)

	// This waits to show that nothing happens to the object outside.
	time.Sleep(10 * time.Second)
	ctx := context.Background()
	if err := k8s.Get(ctx, client.ObjectKeyFromObject(outside), outside); err != nil {
		t.Fatalf("get EBClient: %v", err)
	}
	if len(outside.Status.Conditions) != 0 || outside.Status.SecretName != "" {
		t.Errorf("status of the EBClient outside = %+v, want empty", outside.Status)
	}
	if len(outside.Finalizers) != 0 {
		t.Errorf("finalizers of the EBClient outside = %q, want none", outside.Finalizers)
	}
	if ok, err := secretExists(other, "outside-eb-client"); ok || err != nil {
		t.Errorf("Secret outside-eb-client exists = %v (%v), want false", ok, err)
	}
	if n := callsFor(sim, "create", defaultClientName(outside)); n != 0 {
		t.Errorf("create calls for the EBClient outside = %d, want 0", n)
	}
	if n := sim.Sim.CallCount("create"); n != 1 {
		t.Errorf("create calls = %d, want 1 (the EBClient inside)", n)
	}
	for _, w := range op.requests.Writes() {
		if strings.Contains(w, "/namespaces/"+other+"/") {
			t.Errorf("operator wrote to the other namespace: %s", w)
		}
	}
	err := op.cache.Get(ctx, client.ObjectKeyFromObject(outside), &ebv1.EBClient{})
	if err == nil {
		t.Error("cache Get of the EBClient outside succeeded, want an error")
	}
}
