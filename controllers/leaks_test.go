package controllers_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

// TestNoSecretLeaks runs registrations and key issues through transient
// failures, rejections and a Secret conflict, with EB error responses that
// echo the request, and then searches logs, Events and status for the
// token, the client password and the API key.
func TestNoSecretLeaks(t *testing.T) {
	t.Parallel()
	random := make([]byte, 8)
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	token := "tok-SECRET-" + hex.EncodeToString(random)
	types := ebsim.DefaultTypes()
	types[0].Token = token
	ns := newNamespace(t)
	sim := ebsim.StartTest(t, ebsim.Options{Admin: true, Types: types})
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", token)

	// Transient failures whose text echoes the token, then success.
	sim.Sim.FailNext(ebsim.Fault{Function: "create", Count: 2, Code: 0xF012, EchoRequest: true})
	good := newClient(ns, "good", "token")
	create(t, good)
	waitReady(t, good)

	// A permanent failure whose text echoes the token.
	sim.Sim.FailNext(ebsim.Fault{Function: "create", Code: 0xA065, EchoRequest: true})
	rejected := newClient(ns, "rejected", "token")
	create(t, rejected)
	waitReason(t, rejected, metav1.ConditionFalse, ebv1.ReasonRegistrationRejected, 30*time.Second)

	// A Secret that the operator does not own.
	create(t, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "taken"},
		StringData: map[string]string{"password": "user-owned"},
	})
	conflicting := newClient(ns, "conflicting", "token")
	conflicting.Spec.Secret.Name = "taken"
	create(t, conflicting)
	waitReason(t, conflicting, metav1.ConditionFalse, ebv1.ReasonSecretConflict, 30*time.Second)

	// addapi sends the client password: a transient failure that echoes
	// it, then success, and a permanent failure that echoes it.
	sim.Sim.FailNext(ebsim.Fault{Function: "addapi", Code: 0xF012, EchoRequest: true})
	key := newKey(ns, "key", "good")
	create(t, key)
	waitReady(t, key)
	sim.Sim.FailNext(ebsim.Fault{Function: "addapi", Code: 0x8039, EchoRequest: true})
	rejectedKey := newKey(ns, "rejected-key", "good")
	create(t, rejectedKey)
	waitReason(t, rejectedKey, metav1.ConditionFalse, ebv1.ReasonIssueRejected, 30*time.Second)

	if n := sim.Sim.CallCount("create"); n != 4 {
		t.Errorf("create calls = %d, want 4 (2 transient failures, 1 success, 1 rejection)", n)
	}
	if n := sim.Sim.CallCount("addapi"); n != 3 {
		t.Errorf("addapi calls = %d, want 3 (1 transient failure, 1 success, 1 rejection)", n)
	}

	secretValues := map[string]string{
		"token":    token,
		"password": string(getSecret(t, ns, "good-eb-client").Data["password"]),
		"API key":  string(getSecret(t, ns, "key-eb-apikey").Data["apikey"]),
	}
	for name, value := range secretValues {
		if len(value) < 8 {
			t.Fatalf("%s %q is too short to search for", name, value)
		}
	}

	// Events are sent asynchronously, so this waits for the last ones.
	time.Sleep(2 * time.Second)
	ctx := context.Background()
	places := map[string]string{"operator logs": logs.String()}

	events := &eventsv1.EventList{}
	if err := k8s.List(ctx, events, client.InNamespace(ns)); err != nil {
		t.Fatalf("list events.k8s.io/v1 Events: %v", err)
	}
	coreEvents := &corev1.EventList{}
	if err := k8s.List(ctx, coreEvents, client.InNamespace(ns)); err != nil {
		t.Fatalf("list core/v1 Events: %v", err)
	}
	if len(events.Items) == 0 || len(coreEvents.Items) == 0 {
		t.Errorf("Events: %d events.k8s.io/v1 and %d core/v1, want some of each",
			len(events.Items), len(coreEvents.Items))
	}
	places["events.k8s.io/v1 Events"] = mustMarshal(t, events)
	places["core/v1 Events"] = mustMarshal(t, coreEvents)

	clients := &ebv1.EBClientList{}
	if err := k8s.List(ctx, clients, client.InNamespace(ns)); err != nil {
		t.Fatalf("list EBClients: %v", err)
	}
	for _, c := range clients.Items {
		places["status of EBClient "+c.Name] = mustMarshal(t, c.Status)
		places["metadata of EBClient "+c.Name] = mustMarshal(t, c.ObjectMeta)
	}
	keys := &ebv1.EBApiKeyList{}
	if err := k8s.List(ctx, keys, client.InNamespace(ns)); err != nil {
		t.Fatalf("list EBApiKeys: %v", err)
	}
	for _, k := range keys.Items {
		places["status of EBApiKey "+k.Name] = mustMarshal(t, k.Status)
		places["metadata of EBApiKey "+k.Name] = mustMarshal(t, k.ObjectMeta)
	}

	for place, text := range places {
		for name, value := range secretValues {
			if strings.Contains(text, value) {
				t.Errorf("%s contains the %s", place, name)
			}
		}
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return string(data)
}
