package controllers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

func TestClientRegisters(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "alpha", "token")
	create(t, c)
	waitReady(t, c)

	username, ok := sim.Sim.Username(defaultClientName(c))
	if !ok {
		t.Fatalf("simulator has no client named %q", defaultClientName(c))
	}
	st := c.Status
	if st.Username != username {
		t.Errorf("status.username = %q, want %q", st.Username, username)
	}
	if st.AccountStatus != "ENABLED" {
		t.Errorf("status.accountStatus = %q, want ENABLED", st.AccountStatus)
	}
	if st.MaxAPIKeys != 5 {
		t.Errorf("status.maxApiKeys = %d, want 5", st.MaxAPIKeys)
	}
	if st.AuthenticationType != "PASSWORD" {
		t.Errorf("status.authenticationType = %q, want PASSWORD", st.AuthenticationType)
	}
	if st.RegistrationServer != sim.URL {
		t.Errorf("status.registrationServer = %q, want %q", st.RegistrationServer, sim.URL)
	}
	if st.RegisteredAt == nil {
		t.Error("status.registeredAt is empty")
	}
	if st.SecretName != "alpha-eb-client" {
		t.Errorf("status.secretName = %q, want alpha-eb-client", st.SecretName)
	}
	if st.ObservedGeneration != c.Generation {
		t.Errorf("status.observedGeneration = %d, want %d", st.ObservedGeneration, c.Generation)
	}

	s := getSecret(t, ns, "alpha-eb-client")
	want := map[string]string{"username": username, "environment": "test", "registration-endpoint": sim.URL}
	for k, v := range want {
		if got := string(s.Data[k]); got != v {
			t.Errorf("Secret key %s = %q, want %q", k, got, v)
		}
	}
	if len(s.Data["password"]) == 0 {
		t.Error("Secret has no password")
	}
	if len(s.Data) != 4 {
		t.Errorf("Secret has %d keys, want 4", len(s.Data))
	}
	if s.Labels[ebv1.ManagedByLabel] != ebv1.ManagedByValue {
		t.Errorf("Secret label %s = %q", ebv1.ManagedByLabel, s.Labels[ebv1.ManagedByLabel])
	}
	if !metav1.IsControlledBy(s, c) {
		t.Errorf("Secret is not controlled by the EBClient: %+v", s.OwnerReferences)
	}
	if n := callsFor(sim, "create", defaultClientName(c)); n != 1 {
		t.Errorf("create calls = %d, want 1", n)
	}
}

func TestClientWrongTokenRejected(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", "wrong-token")
	c := newClient(ns, "wrong", "token")
	create(t, c)
	waitReason(t, c, metav1.ConditionFalse, ebv1.ReasonRegistrationRejected, 30*time.Second)

	msg := readyCondition(c).Message
	if !strings.Contains(msg, "0xF030") {
		t.Errorf("Ready message %q does not carry the EB code 0xF030", msg)
	}
	if strings.Contains(msg, "wrong-token") {
		t.Errorf("Ready message %q contains the token", msg)
	}
	if c.Status.LastRejection == nil || c.Status.LastRejection.Code != 0xF030 {
		t.Errorf("status.lastRejection = %+v, want code 0xF030", c.Status.LastRejection)
	}
	// A permanent error is not retried while nothing changes.
	time.Sleep(30 * time.Second)
	if n := callsFor(sim, "create", defaultClientName(c)); n != 1 {
		t.Errorf("create calls over 30 s = %d, want 1", n)
	}
}

func TestClientRetriesAfterTokenFixed(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	token := createTokenSecret(t, ns, "token", "wrong-token")
	c := newClient(ns, "fixme", "token")
	create(t, c)
	waitReason(t, c, metav1.ConditionFalse, ebv1.ReasonRegistrationRejected, 30*time.Second)

	token.StringData = map[string]string{"token": demoToken}
	if err := k8s.Update(context.Background(), token); err != nil {
		t.Fatalf("update token Secret: %v", err)
	}
	// Token Secrets are not watched; the operator reads a rejected
	// client's token Secret again every minute, with no other trigger.
	waitReason(t, c, metav1.ConditionTrue, ebv1.ReasonRegistered, 90*time.Second)
	if n := callsFor(sim, "create", defaultClientName(c)); n != 2 {
		t.Errorf("create calls = %d, want 2 (one rejected, one after the fix)", n)
	}
}
