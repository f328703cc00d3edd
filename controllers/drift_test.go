package controllers_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

// readyClientAndKey starts an operator, and a Ready EBClient "alpha" with a
// Ready EBApiKey "key" on it.
func readyClientAndKey(t *testing.T) (string, *ebsim.Server, *operator, *ebv1.EBClient, *ebv1.EBApiKey) {
	t.Helper()
	ns, sim := newNamespace(t), newSim(t)
	op := startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "alpha", "token")
	create(t, c)
	k := newKey(ns, "key", "alpha")
	create(t, k)
	waitReady(t, c)
	waitReady(t, k)
	return ns, sim, op, c, k
}

// updateSecretData changes keys of a Secret's data.
func updateSecretData(t *testing.T, ns, name string, data map[string]string) {
	t.Helper()
	s := getSecret(t, ns, name)
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	if err := k8s.Update(context.Background(), s); err != nil {
		t.Fatalf("update Secret %s: %v", name, err)
	}
}

// waitSecretData waits until the Secret exists and has the given value at
// key, and returns the Secret.
func waitSecretData(t *testing.T, ns, name, key, want string, timeout time.Duration) *corev1.Secret {
	t.Helper()
	s := &corev1.Secret{}
	eventually(t, timeout, func() error {
		if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, s); err != nil {
			return err
		}
		if got := string(s.Data[key]); got != want {
			return fmt.Errorf("Secret %s key %s = %q, want %q", name, key, got, want)
		}
		return nil
	})
	return s
}

func TestKeySecretDeleted(t *testing.T) {
	t.Parallel()
	ns, sim, _, c, k := readyClientAndKey(t)
	before := getSecret(t, ns, "key-eb-apikey")
	calls := sim.Sim.Calls().ByFunction

	if err := k8s.Delete(context.Background(), before); err != nil {
		t.Fatalf("delete Secret: %v", err)
	}
	start := time.Now()
	eventually(t, 10*time.Second, func() error {
		ok, err := secretExists(ns, "key-eb-apikey")
		if !ok {
			return fmt.Errorf("Secret key-eb-apikey not restored (%v)", err)
		}
		return nil
	})
	t.Logf("Secret restored %s after its deletion", time.Since(start).Round(time.Millisecond))

	after := getSecret(t, ns, "key-eb-apikey")
	if after.UID == before.UID {
		t.Fatal("Secret has the UID of the deleted one")
	}
	if !maps.EqualFunc(after.Data, before.Data, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Errorf("restored Secret data differs from the deleted one in keys %v", differingKeys(before.Data, after.Data))
	}
	if !metav1.IsControlledBy(after, k) {
		t.Errorf("restored Secret is not controlled by the EBApiKey: %+v", after.OwnerReferences)
	}
	if n := callsFor(sim, "addapi", defaultClientName(c)); n != 1 {
		t.Errorf("addapi calls = %d, want 1", n)
	}
	if got := sim.Sim.Calls().ByFunction; !maps.Equal(got, calls) {
		t.Errorf("EB calls changed from %v to %v", calls, got)
	}
	e := waitEvent(t, ns, "key", "SecretRestored")
	if e.Type != corev1.EventTypeWarning {
		t.Errorf("SecretRestored Event type = %q, want Warning", e.Type)
	}
	waitReady(t, k)
}

func differingKeys(a, b map[string][]byte) []string {
	var keys []string
	for k := range a {
		if string(a[k]) != string(b[k]) {
			keys = append(keys, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

func TestKeyDerivedDataEdited(t *testing.T) {
	t.Parallel()
	ns, sim, _, _, _ := readyClientAndKey(t)
	original := getSecret(t, ns, "key-eb-apikey")
	calls := sim.Sim.Calls().ByFunction

	for _, key := range []string{"endpoint", "config-url", "settings.json", "enrol-endpoint", "servers.json"} {
		updateSecretData(t, ns, "key-eb-apikey", map[string]string{key: "https://127.0.0.1:1/edited"})
		waitSecretData(t, ns, "key-eb-apikey", key, string(original.Data[key]), 10*time.Second)
	}
	if got := sim.Sim.Calls().ByFunction; !maps.Equal(got, calls) {
		t.Errorf("EB calls changed from %v to %v", calls, got)
	}
	waitEvent(t, ns, "key", "SecretRestored")
}

func TestKeyApiKeyEdited(t *testing.T) {
	t.Parallel()
	ns, sim, _, c, k := readyClientAndKey(t)
	key := string(getSecret(t, ns, "key-eb-apikey").Data["apikey"])

	// The operator still holds the key it issued in this process, so it
	// restores that key without an EB call.
	updateSecretData(t, ns, "key-eb-apikey", map[string]string{"apikey": "edited-key"})
	waitSecretData(t, ns, "key-eb-apikey", "apikey", key, 10*time.Second)

	if n := callsFor(sim, "addapi", defaultClientName(c)); n != 1 {
		t.Errorf("addapi calls = %d, want 1", n)
	}
	if err := k8s.Get(context.Background(), client2Key(k), k); err != nil {
		t.Fatal(err)
	}
	if k.Status.APIKeyHash != apiKeyHash(key) {
		t.Errorf("status.apiKeyHash = %q, want %q", k.Status.APIKeyHash, apiKeyHash(key))
	}
	if n := countEvents(t, ns, "key", "APIKeyReissued"); n != 0 {
		t.Errorf("APIKeyReissued Events = %d, want 0", n)
	}
}

func TestKeyApiKeyEditedWhileStopped(t *testing.T) {
	t.Parallel()
	ns, sim, op, c, k := readyClientAndKey(t)
	key := string(getSecret(t, ns, "key-eb-apikey").Data["apikey"])

	op.Stop()
	updateSecretData(t, ns, "key-eb-apikey", map[string]string{"apikey": "edited-key"})
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})

	// The new process has no copy of the issued key, and the edited value
	// does not match status.apiKeyHash, so the operator issues a new key.
	e := waitEvent(t, ns, "key", "APIKeyReissued")
	if e.Type != corev1.EventTypeWarning {
		t.Errorf("APIKeyReissued Event type = %q, want Warning", e.Type)
	}
	waitReady(t, k)
	s := getSecret(t, ns, "key-eb-apikey")
	got := string(s.Data["apikey"])
	if got == "edited-key" {
		t.Fatal("Secret kept the edited apikey")
	}
	if got == key || got == "" {
		t.Errorf("Secret apikey is the old key or empty, want a new key")
	}
	if k.Status.APIKeyHash != apiKeyHash(got) {
		t.Errorf("status.apiKeyHash = %q, want the hash of the Secret's apikey %q", k.Status.APIKeyHash, apiKeyHash(got))
	}
	if k.Status.Issues != 2 {
		t.Errorf("status.issues = %d, want 2", k.Status.Issues)
	}
	if n := callsFor(sim, "addapi", defaultClientName(c)); n != 2 {
		t.Errorf("addapi calls = %d, want 2", n)
	}
}

func TestClientPasswordEdited(t *testing.T) {
	t.Parallel()
	ns, sim, _, c, _ := readyClientAndKey(t)
	password := string(getSecret(t, ns, "alpha-eb-client").Data["password"])

	updateSecretData(t, ns, "alpha-eb-client", map[string]string{"password": "edited-password"})
	waitSecretData(t, ns, "alpha-eb-client", "password", password, 10*time.Second)

	if n := callsFor(sim, "create", defaultClientName(c)); n != 1 {
		t.Errorf("create calls = %d, want 1", n)
	}
	waitEvent(t, ns, "alpha", "SecretRestored")
}

func TestClientSecretDeleted(t *testing.T) {
	t.Parallel()
	ns, sim, _, c, k := readyClientAndKey(t)
	oldClient := getSecret(t, ns, "alpha-eb-client")
	oldKey := string(getSecret(t, ns, "key-eb-apikey").Data["apikey"])

	if err := k8s.Delete(context.Background(), oldClient); err != nil {
		t.Fatalf("delete Secret: %v", err)
	}
	// create with the same name and token returns the same account with a
	// new password, so the client is recovered under the same user.
	eventually(t, 15*time.Second, func() error {
		if err := k8s.Get(context.Background(), client2Key(c), c); err != nil {
			return err
		}
		if c.Status.Registrations != 2 || !isReadyTrue(c) {
			return fmt.Errorf("status.registrations = %d, Ready = %+v", c.Status.Registrations, readyCondition(c))
		}
		return nil
	})
	name := defaultClientName(c)
	if n := callsFor(sim, "create", name); n != 2 {
		t.Errorf("create calls = %d, want 2", n)
	}
	if n := sim.Sim.ClientCount(); n != 1 {
		t.Errorf("simulator accounts = %d, want 1", n)
	}
	newClientSecret := getSecret(t, ns, "alpha-eb-client")
	if got := string(newClientSecret.Data["username"]); got != string(oldClient.Data["username"]) {
		t.Errorf("username = %q, want the old %q", got, oldClient.Data["username"])
	}
	if c.Status.Username != string(oldClient.Data["username"]) {
		t.Errorf("status.username = %q, want %q", c.Status.Username, oldClient.Data["username"])
	}
	if string(newClientSecret.Data["password"]) == string(oldClient.Data["password"]) {
		t.Error("the recovered Secret has the old password, want a new one")
	}
	e := waitEvent(t, ns, "alpha", ebv1.ReasonCredentialsLost)
	if e.Type != corev1.EventTypeWarning {
		t.Errorf("CredentialsLost Event type = %q, want Warning", e.Type)
	}

	// The key was issued under the old credentials, so the EBApiKey gets a
	// new key issued with the new password.
	eventually(t, 15*time.Second, func() error {
		if err := k8s.Get(context.Background(), client2Key(k), k); err != nil {
			return err
		}
		s := getSecret(t, ns, "key-eb-apikey")
		if string(s.Data["apikey"]) == oldKey || !isReadyTrue(k) {
			return fmt.Errorf("EBApiKey still has its old key or is not Ready: %+v", readyCondition(k))
		}
		return nil
	})
	if n := callsFor(sim, "addapi", name); n != 2 {
		t.Errorf("addapi calls = %d, want 2", n)
	}
	waitEvent(t, ns, "key", "APIKeyReissued")
	checkNotDisclosed(t, ns, map[string]string{
		"old password": string(oldClient.Data["password"]),
		"new password": string(newClientSecret.Data["password"]),
		"old API key":  oldKey,
		"new API key":  string(getSecret(t, ns, "key-eb-apikey").Data["apikey"]),
	})
}

// checkNotDisclosed checks that no value appears in the operator's logs,
// in an Event note of the namespace, or in the status of an EBClient or
// EBApiKey there. The map keys describe the values in failure messages.
func checkNotDisclosed(t *testing.T, ns string, values map[string]string) {
	t.Helper()
	events := &eventsv1.EventList{}
	if err := k8s.List(context.Background(), events, client.InNamespace(ns)); err != nil {
		t.Fatalf("list Events: %v", err)
	}
	var texts []string
	for _, e := range events.Items {
		texts = append(texts, e.Note)
	}

	clients := &ebv1.EBClientList{}
	keys := &ebv1.EBApiKeyList{}
	for _, list := range []client.ObjectList{clients, keys} {
		if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil {
			t.Fatalf("list %T: %v", list, err)
		}
	}
	for _, c := range clients.Items {
		texts = append(texts, fmt.Sprintf("%+v", c.Status))
	}
	for _, k := range keys.Items {
		texts = append(texts, fmt.Sprintf("%+v", k.Status))
	}

	logged := logs.String()
	for description, v := range values {
		if v == "" {
			t.Errorf("%s is empty", description)
			continue
		}
		if strings.Contains(logged, v) {
			t.Errorf("the operator logged the %s", description)
		}
		for _, text := range texts {
			if strings.Contains(text, v) {
				t.Errorf("an Event or a status contains the %s", description)
				break
			}
		}
	}
}

func isReadyTrue(obj client.Object) bool {
	c := readyCondition(obj)
	return c != nil && c.Status == metav1.ConditionTrue
}
