package controllers_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

// These tests run against the suite's API server without an operator, so
// the CRD's OpenAPI schema and CEL rules are what rejects each object.

// wantInvalid checks that err is an Invalid error from the API server whose
// message names field.
func wantInvalid(t *testing.T, err error, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("API server accepted the object, want a rejection naming %s", field)
	}
	if !apierrors.IsInvalid(err) {
		t.Errorf("error = %v, want an Invalid error", err)
	}
	if !strings.Contains(err.Error(), field) {
		t.Errorf("error %q does not name %s", err.Error(), field)
	}
}

func TestAdmissionRejectsInvalidCreate(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	withLocation := func(latitude, longitude string) *ebv1.EndpointSpec {
		return &ebv1.EndpointSpec{Location: &ebv1.Location{Latitude: latitude, Longitude: longitude}}
	}
	keys := []struct {
		name  string
		edit  func(*ebv1.EBApiKey)
		field string
	}{
		{"lower-case country", func(k *ebv1.EBApiKey) { k.Spec.Endpoint = &ebv1.EndpointSpec{Country: "gb"} }, "spec.endpoint.country"},
		{"three-letter country", func(k *ebv1.EBApiKey) { k.Spec.Endpoint = &ebv1.EndpointSpec{Country: "GBR"} }, "spec.endpoint.country"},
		{"latitude 91", func(k *ebv1.EBApiKey) { k.Spec.Endpoint = withLocation("91", "0") }, "spec.endpoint.location.latitude"},
		{"longitude 181", func(k *ebv1.EBApiKey) { k.Spec.Endpoint = withLocation("0", "181") }, "spec.endpoint.location.longitude"},
		{"refreshInterval 30s", func(k *ebv1.EBApiKey) { k.Spec.RefreshInterval = &metav1.Duration{Duration: 30 * time.Second} }, "spec.refreshInterval"},
		{"secret name with underscore", func(k *ebv1.EBApiKey) { k.Spec.Secret.Name = "Bad_Name" }, "spec.secret.name"},
		{"empty clientRef name", func(k *ebv1.EBApiKey) { k.Spec.ClientRef.Name = "" }, "spec.clientRef.name"},
	}
	for _, tc := range keys {
		t.Run("EBApiKey "+tc.name, func(t *testing.T) {
			t.Parallel()
			k := newKey(ns, "invalid", "client")
			tc.edit(k)
			wantInvalid(t, k8s.Create(context.Background(), k), tc.field)
		})
	}

	clients := []struct {
		name  string
		edit  func(*ebv1.EBClient)
		field string
	}{
		{"unknown environment", func(c *ebv1.EBClient) { c.Spec.Registration.Environment = "staging" }, "spec.registration.environment"},
		{"empty clientType", func(c *ebv1.EBClient) { c.Spec.ClientType = "" }, "spec.clientType"},
		{"http endpoint", func(c *ebv1.EBClient) {
			c.Spec.Registration.Endpoints = []ebv1.RegistrationEndpoint{"http://127.0.0.1:8445"}
		}, "spec.registration.endpoints[0]"},
		{"secret name with underscore", func(c *ebv1.EBClient) { c.Spec.Secret.Name = "Bad_Name" }, "spec.secret.name"},
		{"type method without tokenSecretRef", func(c *ebv1.EBClient) { c.Spec.Authentication.TokenSecretRef = nil }, "spec.authentication"},
		{"unknown method", func(c *ebv1.EBClient) { c.Spec.Authentication.Method = "hotp" }, "spec.authentication.method"},
		{"unknown deletionPolicy", func(c *ebv1.EBClient) { c.Spec.DeletionPolicy = "Keep" }, "spec.deletionPolicy"},
	}
	for _, tc := range clients {
		t.Run("EBClient "+tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(ns, "invalid", "token")
			tc.edit(c)
			wantInvalid(t, k8s.Create(context.Background(), c), tc.field)
		})
	}
}

func TestAdmissionRejectsImmutableEdit(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	clients := []struct {
		name  string
		edit  func(*ebv1.EBClient)
		field string
	}{
		{"clientType", func(c *ebv1.EBClient) { c.Spec.ClientType = "other" }, "clientType is immutable"},
		{"environment", func(c *ebv1.EBClient) { c.Spec.Registration.Environment = "prod" }, "registration.environment is immutable"},
		{"clientName", func(c *ebv1.EBClient) { c.Spec.ClientName = "other" }, "clientName is immutable"},
		{"secret name", func(c *ebv1.EBClient) { c.Spec.Secret.Name = "other" }, "secret.name is immutable"},
	}
	for _, tc := range clients {
		t.Run("EBClient "+tc.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(ns, "immutable-"+strings.ToLower(strings.ReplaceAll(tc.name, " ", "-")), "token")
			create(t, c)
			tc.edit(c)
			wantInvalid(t, k8s.Update(context.Background(), c), tc.field)
		})
	}

	keys := []struct {
		name  string
		edit  func(*ebv1.EBApiKey)
		field string
	}{
		{"clientRef name", func(k *ebv1.EBApiKey) { k.Spec.ClientRef.Name = "other" }, "clientRef.name is immutable"},
		{"secret name", func(k *ebv1.EBApiKey) { k.Spec.Secret.Name = "other" }, "secret.name is immutable"},
	}
	for _, tc := range keys {
		t.Run("EBApiKey "+tc.name, func(t *testing.T) {
			t.Parallel()
			k := newKey(ns, "immutable-"+strings.ToLower(strings.ReplaceAll(tc.name, " ", "-")), "client")
			create(t, k)
			tc.edit(k)
			wantInvalid(t, k8s.Update(context.Background(), k), tc.field)
		})
	}
}

// specJSON returns obj's spec as the API server stores it.
func specJSON(t *testing.T, obj client.Object) string {
	t.Helper()
	if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Fatalf("get %s: %v", obj.GetName(), err)
	}
	var spec any
	switch o := obj.(type) {
	case *ebv1.EBClient:
		spec = o.Spec
	case *ebv1.EBApiKey:
		spec = o.Spec
	}
	data, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestAdmissionAddsNoDefaults checks that a minimal manifest reads back
// unchanged, so that GitOps tools see no drift.
func TestAdmissionAddsNoDefaults(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	c := newClient(ns, "minimal", "token")
	sent, err := json.Marshal(c.Spec)
	if err != nil {
		t.Fatal(err)
	}
	create(t, c)
	if got := specJSON(t, c); got != string(sent) {
		t.Errorf("EBClient spec read back = %s, want %s", got, sent)
	}

	k := newKey(ns, "minimal", "minimal")
	sent, err = json.Marshal(k.Spec)
	if err != nil {
		t.Fatal(err)
	}
	create(t, k)
	if got := specJSON(t, k); got != string(sent) {
		t.Errorf("EBApiKey spec read back = %s, want %s", got, sent)
	}
}
