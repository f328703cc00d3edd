package controllers_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/controllers"
	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

var errSimulatedCrash = errors.New("simulated crash")

// crashPoint makes one hook act as a crash of the operator. The first
// reconcile that reaches the hook reports it and blocks until the test has
// cancelled the manager, then fails. So the crashed pass writes nothing
// after the hook, and no later pass of that manager runs.
type crashPoint struct {
	once    sync.Once
	crashed chan struct{}
	release chan struct{}
}

func newCrashPoint() *crashPoint {
	return &crashPoint{crashed: make(chan struct{}), release: make(chan struct{})}
}

// hit is called from the hook.
func (c *crashPoint) hit() error {
	first := false
	c.once.Do(func() { first = true })
	if first {
		close(c.crashed)
		<-c.release
	}
	return errSimulatedCrash
}

// stop waits until a reconcile reached the hook, then stops op as a crash
// would: the manager's context is cancelled while the hook still blocks.
func (c *crashPoint) stop(t *testing.T, op *operator) {
	t.Helper()
	select {
	case <-c.crashed:
	case <-time.After(30 * time.Second):
		t.Fatal("no reconcile reached the crash point within 30 s")
	}
	op.cancel()
	close(c.release)
	op.Stop()
}

// apiKeyHash is the hash prefix that status.apiKeyHash carries.
func apiKeyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:8])
}

// waitEvent waits until an events.k8s.io/v1 Event with the given reason
// regards the named object, and returns it.
func waitEvent(t testing.TB, ns, regarding, reason string) eventsv1.Event {
	t.Helper()
	var found eventsv1.Event
	eventually(t, 10*time.Second, func() error {
		list := &eventsv1.EventList{}
		if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil {
			return err
		}
		var seen []string
		for _, e := range list.Items {
			if e.Regarding.Name == regarding && e.Reason == reason {
				found = e
				return nil
			}
			seen = append(seen, e.Regarding.Name+"/"+e.Reason)
		}
		return fmt.Errorf("no Event %s for %s; Events: %v", reason, regarding, seen)
	})
	return found
}

// countEvents returns how many Events with reason regard the named object.
func countEvents(t testing.TB, ns, regarding, reason string) int {
	t.Helper()
	list := &eventsv1.EventList{}
	if err := k8s.List(context.Background(), list, client.InNamespace(ns)); err != nil {
		t.Fatalf("list Events: %v", err)
	}
	n := 0
	for _, e := range list.Items {
		if e.Regarding.Name == regarding && e.Reason == reason {
			n++
		}
	}
	return n
}

func crashAfterEBCall(c *crashPoint, function string) *controllers.Hooks {
	return &controllers.Hooks{AfterEBCall: func(fn string) error {
		if fn == function {
			return c.hit()
		}
		return nil
	}}
}

func crashAfterSecretWrite(c *crashPoint, kind string) *controllers.Hooks {
	return &controllers.Hooks{AfterSecretWrite: func(k string) error {
		if k == kind {
			return c.hit()
		}
		return nil
	}}
}

func TestClientCrashAfterCreate(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	crash := newCrashPoint()
	op := startOperator(t, sim, operatorOptions{namespaces: []string{ns}, hooks: crashAfterEBCall(crash, "create")})
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "alpha", "token")
	create(t, c)
	crash.stop(t, op)

	name := defaultClientName(c)
	if n := callsFor(sim, "create", name); n != 1 {
		t.Fatalf("create calls before the crash = %d, want 1", n)
	}
	if ok, err := secretExists(ns, "alpha-eb-client"); ok || err != nil {
		t.Fatalf("Secret alpha-eb-client exists after a crash before the Secret write (%v)", err)
	}

	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	waitReady(t, c)

	// A repeated create with the same name and token returns the same
	// account with a new password, so the restart makes no second account.
	if n := callsFor(sim, "create", name); n != 2 {
		t.Errorf("create calls = %d, want 2", n)
	}
	if n := sim.Sim.ClientCount(); n != 1 {
		t.Errorf("simulator accounts = %d, want 1", n)
	}
	username, ok := sim.Sim.Username(name)
	if !ok {
		t.Fatalf("simulator has no client named %q", name)
	}
	if c.Status.Username != username {
		t.Errorf("status.username = %q, want %q", c.Status.Username, username)
	}
	if c.Status.Registrations != 1 {
		t.Errorf("status.registrations = %d, want 1", c.Status.Registrations)
	}

	// The password in the Secret is the account's current one: addapi
	// authenticates with it.
	k := newKey(ns, "key", "alpha")
	create(t, k)
	waitReady(t, k)
	if n := callsFor(sim, "addapi", name); n != 1 {
		t.Errorf("addapi calls = %d, want 1", n)
	}
}

func TestClientCrashAfterSecretWrite(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	crash := newCrashPoint()
	op := startOperator(t, sim, operatorOptions{namespaces: []string{ns}, hooks: crashAfterSecretWrite(crash, "EBClient")})
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "alpha", "token")
	create(t, c)
	crash.stop(t, op)

	if err := k8s.Get(context.Background(), client2Key(c), c); err != nil {
		t.Fatal(err)
	}
	if c.Status.Username != "" {
		t.Fatalf("status.username = %q after a crash before the status write, want empty", c.Status.Username)
	}
	before := getSecret(t, ns, "alpha-eb-client")

	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	waitReady(t, c)

	name := defaultClientName(c)
	if n := callsFor(sim, "create", name); n != 1 {
		t.Errorf("create calls = %d, want 1", n)
	}
	username, _ := sim.Sim.Username(name)
	st := c.Status
	if st.Username != username || username == "" {
		t.Errorf("status.username = %q, want %q", st.Username, username)
	}
	if st.AccountStatus != "ENABLED" {
		t.Errorf("status.accountStatus = %q, want ENABLED", st.AccountStatus)
	}
	if st.MaxAPIKeys != 5 {
		t.Errorf("status.maxApiKeys = %d, want 5", st.MaxAPIKeys)
	}
	if st.RegisteredAt == nil {
		t.Error("status.registeredAt is empty")
	}
	if st.RegistrationServer != sim.URL {
		t.Errorf("status.registrationServer = %q, want %q", st.RegistrationServer, sim.URL)
	}
	if st.Registrations != 1 {
		t.Errorf("status.registrations = %d, want 1", st.Registrations)
	}
	after := getSecret(t, ns, "alpha-eb-client")
	if string(after.Data["password"]) != string(before.Data["password"]) {
		t.Error("password in the Secret changed after the restart")
	}
	if after.ResourceVersion != before.ResourceVersion {
		t.Errorf("Secret was written after the restart: resourceVersion %s, was %s",
			after.ResourceVersion, before.ResourceVersion)
	}
}

// startKeyCrash starts an operator with hooks, a Ready EBClient "alpha" and
// an EBApiKey "key" on it, and stops the operator at the crash point.
func startKeyCrash(t *testing.T, sim *ebsim.Server, ns string, crash *crashPoint,
	hooks *controllers.Hooks) (*ebv1.EBClient, *ebv1.EBApiKey) {
	t.Helper()
	op := startOperator(t, sim, operatorOptions{namespaces: []string{ns}, hooks: hooks})
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "alpha", "token")
	create(t, c)
	waitReady(t, c)
	k := newKey(ns, "key", "alpha")
	create(t, k)
	crash.stop(t, op)
	if n := callsFor(sim, "addapi", defaultClientName(c)); n != 1 {
		t.Fatalf("addapi calls before the crash = %d, want 1", n)
	}
	return c, k
}

func TestKeyCrashAfterSecretWrite(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	crash := newCrashPoint()
	c, k := startKeyCrash(t, sim, ns, crash, crashAfterSecretWrite(crash, "EBApiKey"))

	if err := k8s.Get(context.Background(), client2Key(k), k); err != nil {
		t.Fatal(err)
	}
	if k.Status.APIKeyHash != "" {
		t.Fatalf("status.apiKeyHash = %q after a crash before the status write, want empty", k.Status.APIKeyHash)
	}
	key := string(getSecret(t, ns, "key-eb-apikey").Data["apikey"])
	if key == "" {
		t.Fatal("Secret key-eb-apikey has no apikey after the crash")
	}

	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	waitReady(t, k)

	if n := callsFor(sim, "addapi", defaultClientName(c)); n != 1 {
		t.Errorf("addapi calls = %d, want 1", n)
	}
	if n := sim.Sim.KeyCount(); n != 1 {
		t.Errorf("simulator keys = %d, want 1", n)
	}
	if got := string(getSecret(t, ns, "key-eb-apikey").Data["apikey"]); got != key {
		t.Error("apikey in the Secret changed after the restart")
	}
	st := k.Status
	if st.APIKeyHash != apiKeyHash(key) {
		t.Errorf("status.apiKeyHash = %q, want %q", st.APIKeyHash, apiKeyHash(key))
	}
	if len(st.Servers) != 1 {
		t.Errorf("status.servers = %+v, want one server", st.Servers)
	}
	if st.IssuedAt == nil || st.KeyStatus != "enabled" {
		t.Errorf("status.issuedAt = %v, keyStatus = %q, want both from the Secret", st.IssuedAt, st.KeyStatus)
	}
	if st.Issues != 1 {
		t.Errorf("status.issues = %d, want 1", st.Issues)
	}
	if st.PossiblyUnusedKeys != 0 {
		t.Errorf("status.possiblyUnusedKeys = %d, want 0", st.PossiblyUnusedKeys)
	}
}

func TestKeyCrashAfterAddapi(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	crash := newCrashPoint()
	c, k := startKeyCrash(t, sim, ns, crash, crashAfterEBCall(crash, "addapi"))

	if ok, err := secretExists(ns, "key-eb-apikey"); ok || err != nil {
		t.Fatalf("Secret key-eb-apikey exists after a crash before the Secret write (%v)", err)
	}

	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	waitReady(t, k)

	// EB has no call that lists keys, so the key lost in the crash cannot
	// be found again: the operator issues another one and counts the lost
	// one.
	if n := callsFor(sim, "addapi", defaultClientName(c)); n != 2 {
		t.Errorf("addapi calls = %d, want 2", n)
	}
	if n := k.Status.PossiblyUnusedKeys; n != 1 {
		t.Errorf("status.possiblyUnusedKeys = %d, want 1", n)
	}
	key := string(getSecret(t, ns, "key-eb-apikey").Data["apikey"])
	if k.Status.APIKeyHash != apiKeyHash(key) {
		t.Errorf("status.apiKeyHash = %q, want the hash of the Secret's apikey %q", k.Status.APIKeyHash, apiKeyHash(key))
	}
	e := waitEvent(t, ns, "key", "PossiblyUnusedKey")
	if e.Type != corev1.EventTypeWarning {
		t.Errorf("PossiblyUnusedKey Event type = %q, want Warning", e.Type)
	}
	if strings.Contains(e.Note, key) {
		t.Error("PossiblyUnusedKey Event note contains the API key")
	}
	if n := countEvents(t, ns, "key", "PossiblyUnusedKey"); n != 1 {
		t.Errorf("PossiblyUnusedKey Events = %d, want 1", n)
	}
}
