package controllers_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

// deleteAndWaitGone deletes obj and waits until the API server no longer
// has it, and returns how long that took.
func deleteAndWaitGone(t *testing.T, obj client.Object, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := k8s.Delete(context.Background(), obj); err != nil {
		t.Fatalf("delete %T %s: %v", obj, obj.GetName(), err)
	}
	eventually(t, timeout, func() error {
		current := obj.DeepCopyObject().(client.Object)
		err := k8s.Get(context.Background(), client2Key(obj), current)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return fmt.Errorf("%T %s still exists with finalizers %v", obj, obj.GetName(), current.GetFinalizers())
	})
	return time.Since(start)
}

func TestClientUnregisteredDeleted(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		token        string
		localhost    bool // register at https://localhost:port, which is not on the allowlist
		reason       string
		stopOperator bool
	}{
		{"WrongToken", "wrong-token", false, ebv1.ReasonRegistrationRejected, false},
		{"WrongTokenOperatorStopped", "wrong-token", false, ebv1.ReasonRegistrationRejected, true},
		{"HostNotAllowed", demoToken, true, ebv1.ReasonRegistrationHostNotAllowed, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns, sim := newNamespace(t), newSim(t)
			op := startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
			createTokenSecret(t, ns, "token", tc.token)
			c := newClient(ns, "alpha", "token")
			if tc.localhost {
				u, err := url.Parse(sim.URL)
				if err != nil {
					t.Fatal(err)
				}
				c.Spec.Registration.Endpoints = []ebv1.RegistrationEndpoint{ebv1.RegistrationEndpoint("https://localhost:" + u.Port())}
			}
			create(t, c)
			waitReason(t, c, metav1.ConditionFalse, tc.reason, 30*time.Second)

			if len(c.Finalizers) != 0 {
				t.Errorf("EBClient without an account has finalizers %v, want none", c.Finalizers)
			}
			if tc.localhost {
				if calls := sim.Sim.Calls().ByFunction; len(calls) != 0 {
					t.Errorf("EB calls = %v, want none to a host off the allowlist", calls)
				}
			}
			if tc.stopOperator {
				op.Stop()
			}
			took := deleteAndWaitGone(t, c, 5*time.Second)
			t.Logf("EBClient gone %s after the delete", took.Round(time.Millisecond))
			if ok, err := secretExists(ns, "alpha-eb-client"); ok || err != nil {
				t.Errorf("Secret alpha-eb-client exists (%v)", err)
			}
		})
	}
}

func TestClientOrphaned(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "alpha", "token")
	c.Spec.DeletionPolicy = ebv1.DeletionPolicyOrphan
	create(t, c)
	waitReady(t, c)
	before := getSecret(t, ns, "alpha-eb-client")

	deleteAndWaitGone(t, c, 5*time.Second)

	after := getSecret(t, ns, "alpha-eb-client")
	if len(after.OwnerReferences) != 0 {
		t.Errorf("orphaned Secret has ownerReferences %+v, want none", after.OwnerReferences)
	}
	if v, ok := after.Labels[ebv1.ManagedByLabel]; ok {
		t.Errorf("orphaned Secret keeps label %s=%s", ebv1.ManagedByLabel, v)
	}
	if keys := differingKeys(before.Data, after.Data); len(keys) != 0 {
		t.Errorf("orphaned Secret data changed in keys %v", keys)
	}
	if len(after.Data["password"]) == 0 {
		t.Error("orphaned Secret has no password")
	}
}

func TestDeletionWhileEBUnreachable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		unreachable func(*ebsim.Server) error
	}{
		{"NotReady", func(s *ebsim.Server) error { s.Sim.SetNotReady(true); return nil }},
		{"Closed", func(s *ebsim.Server) error { return s.Close() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns, sim := newNamespace(t), newSim(t)
			startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
			createTokenSecret(t, ns, "token", demoToken)
			c := newClient(ns, "alpha", "token")
			create(t, c)
			k := newKey(ns, "key", "alpha")
			create(t, k)
			waitReady(t, c)
			waitReady(t, k)
			for _, obj := range []client.Object{c, k} {
				if got := obj.GetFinalizers(); len(got) != 1 || got[0] != ebv1.Finalizer {
					t.Fatalf("%T %s finalizers = %v, want [%s]", obj, obj.GetName(), got, ebv1.Finalizer)
				}
			}
			if err := tc.unreachable(sim); err != nil {
				t.Fatalf("make the simulator unreachable: %v", err)
			}

			// Both deletes are sent at once, so the key's deletion runs
			// while its client is being deleted too.
			start := time.Now()
			for _, obj := range []client.Object{k, c} {
				if err := k8s.Delete(context.Background(), obj); err != nil {
					t.Fatalf("delete %s: %v", obj.GetName(), err)
				}
			}
			for _, obj := range []client.Object{k, c} {
				eventually(t, 5*time.Second, func() error {
					err := k8s.Get(context.Background(), client2Key(obj), obj.DeepCopyObject().(client.Object))
					if apierrors.IsNotFound(err) {
						return nil
					}
					return fmt.Errorf("%s still exists (%v)", obj.GetName(), err)
				})
			}
			t.Logf("EBClient and EBApiKey gone %s after the delete", time.Since(start).Round(time.Millisecond))
			for _, name := range []string{"alpha-eb-client", "key-eb-apikey"} {
				if ok, err := secretExists(ns, name); ok || err != nil {
					t.Errorf("Secret %s exists after its owner was deleted (%v)", name, err)
				}
			}
		})
	}
}
