package controllers_test

import (
	"maps"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

// userSecret creates a Secret that belongs to a user, not to the operator.
func userSecret(t *testing.T, ns, name string, labels map[string]string) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Data:       map[string][]byte{"username": []byte("someone-else"), "password": []byte("kept-by-user")},
	}
	create(t, s)
	return s
}

// checkSecretUntouched checks that the Secret still has the data, labels
// and resourceVersion of before.
func checkSecretUntouched(t *testing.T, before *corev1.Secret) {
	t.Helper()
	after := getSecret(t, before.Namespace, before.Name)
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("Secret %s was written: resourceVersion %s, was %s", before.Name, after.ResourceVersion, before.ResourceVersion)
	}
	if !maps.EqualFunc(after.Data, before.Data, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Errorf("Secret %s data changed in keys %v", before.Name, differingKeys(before.Data, after.Data))
	}
	if !maps.Equal(after.Labels, before.Labels) {
		t.Errorf("Secret %s labels = %v, want %v", before.Name, after.Labels, before.Labels)
	}
	if len(after.OwnerReferences) != 0 {
		t.Errorf("Secret %s got ownerReferences %+v", before.Name, after.OwnerReferences)
	}
}

// ownershipCases are pre-existing Secrets that the operator must not take
// over. One carries the managed-by label, so the cache holds it too.
var ownershipCases = []struct {
	name   string
	labels map[string]string
}{
	{"Unlabeled", nil},
	{"ManagedByLabel", map[string]string{ebv1.ManagedByLabel: ebv1.ManagedByValue}},
}

func TestClientSecretConflict(t *testing.T) {
	t.Parallel()
	for _, tc := range ownershipCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns, sim := newNamespace(t), newSim(t)
			before := userSecret(t, ns, "alpha-eb-client", tc.labels)
			startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
			createTokenSecret(t, ns, "token", demoToken)
			c := newClient(ns, "alpha", "token")
			create(t, c)
			waitReason(t, c, metav1.ConditionFalse, ebv1.ReasonSecretConflict, 10*time.Second)

			if msg := readyCondition(c).Message; !strings.Contains(msg, `"alpha-eb-client"`) {
				t.Errorf("Ready message %q does not name the Secret", msg)
			}
			// Later passes, started by the status write, must not write the
			// Secret either, so the test watches it for 2 s.
			time.Sleep(2 * time.Second)
			checkSecretUntouched(t, before)
			for _, fn := range []string{"getauth", "initauth", "create"} {
				if n := sim.Sim.CallCount(fn); n != 0 {
					t.Errorf("%s calls = %d, want 0", fn, n)
				}
			}
			if n := sim.Sim.ClientCount(); n != 0 {
				t.Errorf("simulator accounts = %d, want 0", n)
			}
		})
	}
}

func TestKeySecretConflict(t *testing.T) {
	t.Parallel()
	for _, tc := range ownershipCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ns, sim := newNamespace(t), newSim(t)
			before := userSecret(t, ns, "key-eb-apikey", tc.labels)
			startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
			createTokenSecret(t, ns, "token", demoToken)
			c := newClient(ns, "alpha", "token")
			create(t, c)
			waitReady(t, c)
			k := newKey(ns, "key", "alpha")
			create(t, k)
			waitReason(t, k, metav1.ConditionFalse, ebv1.ReasonSecretConflict, 10*time.Second)

			// Later passes must not write the Secret or call addapi either,
			// so the test watches for 2 s.
			time.Sleep(2 * time.Second)
			checkSecretUntouched(t, before)
			if n := sim.Sim.CallCount("addapi"); n != 0 {
				t.Errorf("addapi calls = %d, want 0", n)
			}
			if n := sim.Sim.KeyCount(); n != 0 {
				t.Errorf("simulator keys = %d, want 0", n)
			}
		})
	}
}

func TestKeysShareSecretName(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "alpha", "token")
	create(t, c)
	first := newKey(ns, "first", "alpha")
	first.Spec.Secret.Name = "shared"
	create(t, first)
	waitReady(t, first)
	before := getSecret(t, ns, "shared")

	second := newKey(ns, "second", "alpha")
	second.Spec.Secret.Name = "shared"
	create(t, second)
	waitReason(t, second, metav1.ConditionFalse, ebv1.ReasonSecretConflict, 10*time.Second)
	msg := readyCondition(second).Message
	if !strings.Contains(msg, `EBApiKey "first"`) {
		t.Errorf("Ready message %q does not name the EBApiKey that controls the Secret", msg)
	}

	// Later passes of the second key must not write the Secret or call
	// addapi either, so the test watches for 2 s.
	time.Sleep(2 * time.Second)
	after := getSecret(t, ns, "shared")
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("Secret shared was written: resourceVersion %s, was %s", after.ResourceVersion, before.ResourceVersion)
	}
	if !metav1.IsControlledBy(after, first) {
		t.Errorf("Secret shared is not controlled by EBApiKey first: %+v", after.OwnerReferences)
	}
	if n := len(after.OwnerReferences); n != 1 {
		t.Errorf("Secret shared has %d ownerReferences, want 1", n)
	}
	if n := callsFor(sim, "addapi", defaultClientName(c)); n != 1 {
		t.Errorf("addapi calls = %d, want 1", n)
	}
	waitReady(t, first)
	if first.Status.APIKeyHash != apiKeyHash(string(after.Data["apikey"])) {
		t.Error("the Secret's apikey is not the first EBApiKey's key")
	}
}
