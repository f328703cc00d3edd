package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

func TestKeyReissuedOnSpecChange(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)
	create(t, newClient(ns, "alpha", "token"))
	k := newKey(ns, "key", "alpha")
	k.Spec.Operations = []string{"PLAINAES", "RANDOM"}
	create(t, k)
	waitReady(t, k)
	oldKey := string(getSecret(t, ns, "key-eb-apikey").Data["apikey"])

	patch := client.MergeFrom(k.DeepCopy())
	k.Spec.Operations = []string{"RANDOM"}
	if err := k8s.Patch(context.Background(), k, patch); err != nil {
		t.Fatalf("patch spec.operations: %v", err)
	}
	eventually(t, 15*time.Second, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(k), k); err != nil {
			return err
		}
		if k.Status.ObservedGeneration != k.Generation || len(k.Status.Operations) != 1 {
			return fmt.Errorf("status.operations = %+v at observedGeneration %d, want RANDOM only at %d",
				k.Status.Operations, k.Status.ObservedGeneration, k.Generation)
		}
		return nil
	})
	// A pass that read the key's status from a cache that had not caught up
	// once issued a second key. The wait gives such a pass time to happen.
	time.Sleep(2 * time.Second)
	if k.Status.Operations[0].Name != "RANDOM" {
		t.Errorf("status.operations = %+v, want RANDOM", k.Status.Operations)
	}
	if got := string(getSecret(t, ns, "key-eb-apikey").Data["apikey"]); got == oldKey {
		t.Error("Secret still holds the key issued for the old operations")
	}
	if n := sim.Sim.CallCount("addapi"); n != 2 {
		t.Errorf("addapi calls = %d, want 2", n)
	}
	if n := countEvents(t, ns, "key", "APIKeyReissued"); n != 1 {
		t.Errorf("APIKeyReissued Events = %d, want 1", n)
	}
}

func TestKeysCreatedTogetherShareSecret(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "alpha", "token")
	create(t, c)
	waitReady(t, c)

	// Both keys exist before either is reconciled, so only the in-memory
	// claim on the Secret name keeps the second from calling addapi.
	keys := []*ebv1.EBApiKey{newKey(ns, "one", "alpha"), newKey(ns, "two", "alpha")}
	for _, k := range keys {
		k.Spec.Secret.Name = "shared"
		create(t, k)
	}
	eventually(t, 20*time.Second, func() error {
		reasons := map[string]int{}
		for _, k := range keys {
			if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(k), k); err != nil {
				return err
			}
			if c := readyCondition(k); c != nil {
				reasons[c.Reason]++
			}
		}
		if reasons[ebv1.ReasonIssued] != 1 || reasons[ebv1.ReasonSecretConflict] != 1 {
			return fmt.Errorf("Ready reasons %v, want one Issued and one SecretConflict", reasons)
		}
		return nil
	})
	// Later passes of the loser must not call EB either.
	time.Sleep(2 * time.Second)
	if n := sim.Sim.CallCount("addapi"); n != 1 {
		t.Errorf("addapi calls = %d, want 1", n)
	}
	if n := sim.Sim.KeyCount(); n != 1 {
		t.Errorf("keys at EB = %d, want 1", n)
	}
}

// clientWithFullQuota creates an EBClient "alpha" and five Ready
// EBApiKeys, all the keys that the demo client type allows.
func clientWithFullQuota(t *testing.T, ns string) (*ebv1.EBClient, []*ebv1.EBApiKey) {
	t.Helper()
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "alpha", "token")
	create(t, c)
	var keys []*ebv1.EBApiKey
	for i := range 5 {
		k := newKey(ns, fmt.Sprintf("key-%d", i), "alpha")
		create(t, k)
		keys = append(keys, k)
	}
	for _, k := range keys {
		waitReady(t, k)
	}
	return c, keys
}

func TestKeysKeptAtQuotaAfterClientLost(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	c, keys := clientWithFullQuota(t, ns)
	before := map[string]string{}
	for _, k := range keys {
		before[k.Name] = string(getSecret(t, ns, k.Name+"-eb-apikey").Data["apikey"])
	}

	if err := k8s.Delete(context.Background(), getSecret(t, ns, "alpha-eb-client")); err != nil {
		t.Fatalf("delete client Secret: %v", err)
	}
	eventually(t, 30*time.Second, func() error {
		if n := callsFor(sim, "create", defaultClientName(c)); n != 2 {
			return fmt.Errorf("create calls = %d, want 2", n)
		}
		for _, k := range keys {
			if n := countEvents(t, ns, k.Name, "APIKeyKept"); n != 1 {
				return fmt.Errorf("%s: APIKeyKept Events = %d, want 1", k.Name, n)
			}
		}
		return nil
	})
	for _, k := range keys {
		waitReason(t, k, metav1.ConditionTrue, ebv1.ReasonIssued, 10*time.Second)
		if got := string(getSecret(t, ns, k.Name+"-eb-apikey").Data["apikey"]); got != before[k.Name] {
			t.Errorf("%s: Secret key changed although no new key could be issued", k.Name)
		}
	}
	if n := sim.Sim.CallCount("addapi"); n != 10 {
		t.Errorf("addapi calls = %d, want 10 (five issues, five rejected at the quota)", n)
	}
	if n := sim.Sim.KeyCount(); n != 5 {
		t.Errorf("keys at EB = %d, want 5", n)
	}
}

func TestKeyRejectionSurvivesClientWait(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "alpha", "token")
	create(t, c)
	k := newKey(ns, "badop", "alpha")
	k.Spec.Operations = []string{"NO-SUCH-OPERATION"}
	create(t, k)
	waitReason(t, k, metav1.ConditionFalse, ebv1.ReasonIssueRejected, 20*time.Second)
	rejected := readyCondition(k).Message

	// While the client registers again, the key waits for its credentials
	// Secret and then must show its rejection again, not WaitingForClient.
	if err := k8s.Delete(context.Background(), getSecret(t, ns, "alpha-eb-client")); err != nil {
		t.Fatalf("delete client Secret: %v", err)
	}
	eventually(t, 20*time.Second, func() error {
		if n := callsFor(sim, "create", defaultClientName(c)); n != 2 {
			return fmt.Errorf("create calls = %d, want 2", n)
		}
		return nil
	})
	waitReason(t, k, metav1.ConditionFalse, ebv1.ReasonIssueRejected, 10*time.Second)
	if got := readyCondition(k).Message; got != rejected {
		t.Errorf("Ready message = %q, want the rejection %q", got, rejected)
	}
	if n := sim.Sim.CallCount("addapi"); n != 1 {
		t.Errorf("addapi calls = %d, want 1", n)
	}
}

func TestKeyRetriesAfterClientCredentialsFixed(t *testing.T) {
	t.Parallel()
	ns, sim, op, c, k := readyClientAndKey(t)

	// An edited password is trusted as found after a restart, so the key
	// is re-issued with it and EB rejects the password.
	op.Stop()
	updateSecretData(t, ns, "alpha-eb-client", map[string]string{"password": "edited-password"})
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	waitReason(t, k, metav1.ConditionFalse, ebv1.ReasonIssueRejected, 20*time.Second)
	msg := readyCondition(k).Message
	if !strings.Contains(msg, "0xA065") || !strings.Contains(msg, `delete that Secret`) {
		t.Errorf("Ready message %q does not name the code and the fix", msg)
	}
	if k.Status.APIKeyHash == "" {
		t.Error("status.apiKeyHash was cleared although the Secret still holds the previous key")
	}

	// New credentials lift the rejection without a spec change.
	if err := k8s.Delete(context.Background(), getSecret(t, ns, "alpha-eb-client")); err != nil {
		t.Fatalf("delete client Secret: %v", err)
	}
	waitReason(t, k, metav1.ConditionTrue, ebv1.ReasonIssued, 20*time.Second)
	if n := callsFor(sim, "create", defaultClientName(c)); n != 2 {
		t.Errorf("create calls = %d, want 2", n)
	}
	if n := callsFor(sim, "addapi", defaultClientName(c)); n != 3 {
		t.Errorf("addapi calls = %d, want 3 (issue, rejected re-issue, re-issue)", n)
	}
	if !strings.Contains(logs.String(), "0xA065") {
		t.Error("the operator's log does not show the rejection")
	}
}

func TestKeyLostAtQuotaClearsHash(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	op := startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	_, keys := clientWithFullQuota(t, ns)

	// With the operator stopped, the key is in no Secret and not in memory,
	// and the quota leaves no room for a new one.
	op.Stop()
	if err := k8s.Delete(context.Background(), getSecret(t, ns, "key-0-eb-apikey")); err != nil {
		t.Fatalf("delete Secret: %v", err)
	}
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	k := keys[0]
	waitReason(t, k, metav1.ConditionFalse, ebv1.ReasonIssueRejected, 20*time.Second)
	if k.Status.APIKeyHash != "" {
		t.Errorf("status.apiKeyHash = %q names a key that no Secret holds", k.Status.APIKeyHash)
	}
	if n := sim.Sim.CallCount("addapi"); n != 6 {
		t.Errorf("addapi calls = %d, want 6", n)
	}
}
