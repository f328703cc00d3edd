package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/internal/ebapi"
)

func TestKeyIssued(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "alpha", "token")
	create(t, c)
	k := newKey(ns, "key", "alpha")
	k.Spec.Endpoint = &ebv1.EndpointSpec{
		Country:  "GB",
		Location: &ebv1.Location{Latitude: "51.5074", Longitude: "-0.1278"},
	}
	k.Spec.Operations = []string{"PLAINAES", "RANDOM"}
	create(t, k)
	waitReady(t, k)
	waitReady(t, c)

	s := getSecret(t, ns, "key-eb-apikey")
	apiKey := string(s.Data["apikey"])
	if apiKey == "" {
		t.Fatal("Secret has no apikey")
	}
	u, err := url.Parse(sim.URL)
	if err != nil {
		t.Fatal(err)
	}
	endpoint := "https://" + u.Host
	want := map[string]string{
		"username":       c.Status.Username,
		"endpoint":       endpoint,
		"enrol-endpoint": endpoint,
		"config-url":     endpoint + "/?apiKey=" + apiKey,
		"environment":    "test",
	}
	for key, v := range want {
		if got := string(s.Data[key]); got != v {
			t.Errorf("Secret key %s = %q, want %q", key, got, v)
		}
	}
	var settings struct{ APIKey, Endpoint string }
	if err := json.Unmarshal(s.Data["settings.json"], &settings); err != nil {
		t.Fatalf("settings.json does not parse: %v", err)
	}
	if settings.APIKey != apiKey || settings.Endpoint != endpoint {
		t.Errorf("settings.json = %+v, want apiKey and endpoint %s", settings, endpoint)
	}
	var servers []ebapi.Server
	if err := json.Unmarshal(s.Data["servers.json"], &servers); err != nil || len(servers) == 0 {
		t.Errorf("servers.json = %s (%v), want a list of servers", s.Data["servers.json"], err)
	}
	if _, ok := s.Data["password"]; ok {
		t.Error("API-key Secret contains the client password")
	}
	if len(s.Data) != 8 {
		t.Errorf("Secret has %d keys, want 8", len(s.Data))
	}

	st := k.Status
	if st.APIKeyHash == "" || st.APIKeyHash == apiKey || len(st.APIKeyHash) != 16 {
		t.Errorf("status.apiKeyHash = %q, want a 16-character hash prefix", st.APIKeyHash)
	}
	if st.ClientUsername != c.Status.Username {
		t.Errorf("status.clientUsername = %q, want %q", st.ClientUsername, c.Status.Username)
	}
	if len(st.Servers) != 1 || st.Servers[0].FQDN != u.Hostname() {
		t.Errorf("status.servers = %+v, want one server at %s", st.Servers, u.Hostname())
	}
	if len(st.Operations) != 2 {
		t.Errorf("status.operations = %+v, want PLAINAES and RANDOM", st.Operations)
	}
	if st.IssuedAt == nil || st.KeyStatus != "enabled" {
		t.Errorf("status.issuedAt = %v, keyStatus = %q", st.IssuedAt, st.KeyStatus)
	}

	// The issued key works for a consumer of the Secret.
	eb, err := ebapi.New(ebapi.Options{Endpoints: []string{endpoint}, Environment: "test", CABundle: sim.CAPEM})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := eb.ListOps(context.Background(), c.Status.Username, apiKey)
	if err != nil {
		t.Fatalf("listops with the issued key: %v", err)
	}
	if len(ops.Operations) == 0 {
		t.Error("listops returned no operations")
	}
	if n := callsFor(sim, "addapi", defaultClientName(c)); n != 1 {
		t.Errorf("addapi calls = %d, want 1", n)
	}
}

func TestKeyWaitsForClient(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	k := newKey(ns, "early", "late-client")
	create(t, k)
	waitReason(t, k, metav1.ConditionFalse, ebv1.ReasonWaitingForClient, 10*time.Second)

	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "late-client", "token")
	create(t, c)
	waitReady(t, k)
	if n := sim.Sim.CallCount("addapi"); n != 1 {
		t.Errorf("addapi calls = %d, want 1", n)
	}
}

func TestDeletionPolicy(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "owner", "token")
	create(t, c)
	kept := newKey(ns, "kept", "owner")
	kept.Spec.DeletionPolicy = ebv1.DeletionPolicyOrphan
	gone := newKey(ns, "gone", "owner")
	create(t, kept)
	create(t, gone)
	waitReady(t, kept)
	waitReady(t, gone)

	ctx := context.Background()
	for _, k := range []*ebv1.EBApiKey{kept, gone} {
		if err := k8s.Delete(ctx, k); err != nil {
			t.Fatalf("delete %s: %v", k.Name, err)
		}
	}
	eventually(t, 15*time.Second, func() error {
		if ok, err := secretExists(ns, "gone-eb-apikey"); ok || err != nil {
			return fmt.Errorf("Secret gone-eb-apikey still exists (%v)", err)
		}
		return nil
	})
	eventually(t, 15*time.Second, func() error {
		err := k8s.Get(ctx, client2Key(kept), &ebv1.EBApiKey{})
		if err == nil {
			return fmt.Errorf("EBApiKey kept still exists")
		}
		return nil
	})
	s := getSecret(t, ns, "kept-eb-apikey")
	if len(s.OwnerReferences) != 0 {
		t.Errorf("orphaned Secret still has ownerReferences %+v", s.OwnerReferences)
	}
	if len(s.Data["apikey"]) == 0 {
		t.Error("orphaned Secret lost its apikey")
	}
}

func TestKeyRefreshesWithShowapi(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "alpha", "token")
	create(t, c)
	k := newKey(ns, "key", "alpha")
	k.Spec.RefreshInterval = &metav1.Duration{Duration: time.Minute}
	create(t, k)
	waitReady(t, k)
	issued := k.Status.LastRefreshTime
	before := getSecret(t, ns, "key-eb-apikey")

	// The minimum refresh interval is one minute, so the test waits for
	// one refresh to fall due.
	ctx := context.Background()
	eventually(t, 90*time.Second, func() error {
		if err := k8s.Get(ctx, client2Key(k), k); err != nil {
			return err
		}
		if k.Status.LastRefreshTime == nil || !k.Status.LastRefreshTime.After(issued.Time) {
			return fmt.Errorf("status.lastRefreshTime = %v, still the issue time %v", k.Status.LastRefreshTime, issued)
		}
		return nil
	})
	if n := sim.Sim.CallCount("showapi"); n != 1 {
		t.Errorf("showapi calls = %d, want 1", n)
	}
	if n := sim.Sim.CallCount("addapi"); n != 1 {
		t.Errorf("addapi calls = %d, want 1", n)
	}
	after := getSecret(t, ns, "key-eb-apikey")
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("Secret was rewritten by a refresh that changed nothing (resourceVersion %s -> %s)",
			before.ResourceVersion, after.ResourceVersion)
	}
	if !isReadyTrue(k) {
		t.Errorf("EBApiKey not Ready after refresh: %+v", readyCondition(k))
	}
}
