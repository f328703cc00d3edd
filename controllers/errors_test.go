package controllers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/controllers"
	"github.com/enigmabridge/eb-operator/internal/ebapi"
	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

// timedSim is an EB simulator served by the test's own HTTPS server on
// 127.0.0.1, which records the arrival time of every EB request.
type timedSim struct {
	*ebsim.Server

	mu    sync.Mutex
	calls []timedCall
}

type timedCall struct {
	function string
	at       time.Time
}

func newTimedSim(t testing.TB, opts ebsim.Options) *timedSim {
	t.Helper()
	sim, err := ebsim.New(opts)
	if err != nil {
		t.Fatalf("create EB simulator: %v", err)
	}
	ts := &timedSim{}
	handler := sim.Handler()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "failed to read request body: "+err.Error(), http.StatusBadRequest)
			return
		}
		var envelope struct {
			Function string `json:"function"`
		}
		_ = json.Unmarshal(body, &envelope) // the simulator rejects a bad body itself
		ts.mu.Lock()
		ts.calls = append(ts.calls, timedCall{function: envelope.Function, at: at})
		ts.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		handler.ServeHTTP(w, r)
	}))
	srv.StartTLS()
	t.Cleanup(srv.Close)
	ts.Server = &ebsim.Server{
		URL:   srv.URL,
		CAPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}),
		Sim:   sim,
	}
	return ts
}

// times returns the arrival times of the calls of function, or of every
// call when function is "".
func (ts *timedSim) times(function string) []time.Time {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var out []time.Time
	for _, c := range ts.calls {
		if function == "" || c.function == function {
			out = append(out, c.at)
		}
	}
	return out
}

// closedPortURL returns an https URL on 127.0.0.1 where nothing listens.
func closedPortURL(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatalf("close listener: %v", err)
	}
	return "https://" + addr
}

func TestClientUnknownTypeRejected(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "unknown", "token")
	c.Spec.ClientType = "no-such-type"
	create(t, c)
	waitReason(t, c, metav1.ConditionFalse, ebv1.ReasonRegistrationRejected, 30*time.Second)

	if msg := readyCondition(c).Message; !strings.Contains(msg, "0x8069") {
		t.Errorf("Ready message %q does not carry the EB code 0x8069", msg)
	}
	if c.Status.LastRejection == nil || c.Status.LastRejection.Code != 0x8069 {
		t.Errorf("status.lastRejection = %+v, want code 0x8069", c.Status.LastRejection)
	}
	// A permanent error is not retried while nothing changes, and this waits
	// to show that no call follows.
	time.Sleep(20 * time.Second)
	if n := sim.Sim.CallCount("getauth"); n != 1 {
		t.Errorf("getauth calls over 20 s = %d, want 1", n)
	}
	if n := sim.Sim.CallCount("create"); n != 0 {
		t.Errorf("create calls = %d, want 0", n)
	}

	// A spec edit is a new generation, which gets exactly one more call.
	rejected := c.Generation
	c.Spec.Secret.Labels = map[string]string{"edited": "yes"}
	if err := k8s.Update(context.Background(), c); err != nil {
		t.Fatalf("update EBClient: %v", err)
	}
	eventually(t, 30*time.Second, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(c), c); err != nil {
			return err
		}
		if rej := c.Status.LastRejection; rej == nil || rej.Generation == rejected {
			return fmt.Errorf("status.lastRejection = %+v, want one for generation %d", rej, c.Generation)
		}
		return nil
	})
	// This waits to show that the new generation is not retried either.
	time.Sleep(3 * time.Second)
	if n := sim.Sim.CallCount("getauth"); n != 2 {
		t.Errorf("getauth calls after the spec edit = %d, want 2", n)
	}
}

func TestKeyOverQuotaRejected(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "quota", "token")
	create(t, c)
	waitReady(t, c)

	// The demo client type allows 5 API keys per client.
	for i := range 5 {
		k := newKey(ns, fmt.Sprintf("key-%d", i), "quota")
		create(t, k)
		waitReady(t, k)
	}
	extra := newKey(ns, "key-extra", "quota")
	create(t, extra)
	waitReason(t, extra, metav1.ConditionFalse, ebv1.ReasonIssueRejected, 30*time.Second)
	if msg := readyCondition(extra).Message; !strings.Contains(msg, "0x1005") {
		t.Errorf("Ready message %q does not carry the EB code 0x1005", msg)
	}
	if extra.Status.LastRejection == nil || extra.Status.LastRejection.Code != 0x1005 {
		t.Errorf("status.lastRejection = %+v, want code 0x1005", extra.Status.LastRejection)
	}

	// This waits to show that the rejected key is not retried.
	time.Sleep(20 * time.Second)
	if n := sim.Sim.CallCount("addapi"); n != 6 {
		t.Errorf("addapi calls over 20 s = %d, want 6", n)
	}

	rejected := extra.Generation
	extra.Spec.Operations = []string{"RANDOM"}
	if err := k8s.Update(context.Background(), extra); err != nil {
		t.Fatalf("update EBApiKey: %v", err)
	}
	eventually(t, 30*time.Second, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(extra), extra); err != nil {
			return err
		}
		if rej := extra.Status.LastRejection; rej == nil || rej.Generation == rejected {
			return fmt.Errorf("status.lastRejection = %+v, want one for generation %d", rej, extra.Generation)
		}
		return nil
	})
	// This waits to show that the new generation is not retried either.
	time.Sleep(3 * time.Second)
	if n := sim.Sim.CallCount("addapi"); n != 7 {
		t.Errorf("addapi calls after the spec edit = %d, want 7", n)
	}
}

// TestClientTransientBackoff checks that create failures with a transient EB
// code or HTTP 503 are retried with growing gaps until they succeed.
func TestClientTransientBackoff(t *testing.T) {
	t.Parallel()
	faults := map[string]ebsim.Fault{
		"processor failure": {Function: "create", Count: 4, Code: 0xF012},
		"HTTP 503":          {Function: "create", Count: 4, HTTPStatus: http.StatusServiceUnavailable},
	}
	for name, fault := range faults {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ns, sim := newNamespace(t), newTimedSim(t, ebsim.Options{Admin: true})
			startOperator(t, sim.Server, operatorOptions{namespaces: []string{ns}})
			createTokenSecret(t, ns, "token", demoToken)
			sim.Sim.FailNext(fault)
			c := newClient(ns, "flaky", "token")
			create(t, c)
			waitReason(t, c, metav1.ConditionFalse, ebv1.ReasonRegistrationServerUnavailable, 30*time.Second)
			waitReady(t, c)

			if n := callsFor(sim.Server, "create", defaultClientName(c)); n != 5 {
				t.Errorf("create calls = %d, want 5 (4 failed, 1 succeeded)", n)
			}
			times := sim.times("create")
			if len(times) != 5 {
				t.Fatalf("timed create calls = %d, want 5", len(times))
			}
			var gaps []time.Duration
			for i := 1; i < len(times); i++ {
				gaps = append(gaps, times[i].Sub(times[i-1]))
			}
			t.Logf("gaps between create calls: %v", gaps)
			// The n-th retry waits a random time in [d/2, d) with
			// d = 1s * 2^n. Each retry also makes a getauth call and reads
			// the token Secret before create, which takes up to about
			// 750 ms with the race detector on 2 busy cores, so the upper
			// bound has 1 s of slack.
			d := time.Second
			for i, gap := range gaps {
				if gap < d/2 || gap >= d+time.Second {
					t.Errorf("gap %d = %s, want a value in [%s, %s)", i+1, gap, d/2, d+time.Second)
				}
				d *= 2
			}
		})
	}
}

func TestClientFailsOverToNextServer(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "failover", "token")
	c.Spec.Registration.Endpoints = []ebv1.RegistrationEndpoint{ebv1.RegistrationEndpoint(closedPortURL(t)), ebv1.RegistrationEndpoint(sim.URL)}
	create(t, c)
	waitReady(t, c)

	if c.Status.RegistrationServer != sim.URL {
		t.Errorf("status.registrationServer = %q, want %q", c.Status.RegistrationServer, sim.URL)
	}
	if n := callsFor(sim, "create", defaultClientName(c)); n != 1 {
		t.Errorf("create calls = %d, want 1", n)
	}
	s := getSecret(t, ns, "failover-eb-client")
	if got := string(s.Data["registration-endpoint"]); got != sim.URL {
		t.Errorf("Secret registration-endpoint = %q, want %q", got, sim.URL)
	}
}

// TestRateLimitHolds creates 500 EBClients at once under a shared limit of
// 50 EB calls per second with a burst of 10. Each registration is getauth
// and create, so 1000 calls need at least (1000-10)/50 = 19.8 s.
func TestRateLimitHolds(t *testing.T) {
	t.Parallel()
	const (
		objects = 500
		qps     = 50
		burst   = 10
	)
	ns, sim := newNamespace(t), newTimedSim(t, ebsim.Options{Admin: true})
	startOperator(t, sim.Server, operatorOptions{
		namespaces: []string{ns},
		settings:   func(s *controllers.EBSettings) { s.Limiter = ebapi.NewLimiter(qps, burst) },
		workers:    controllers.Workers{Clients: 32, Keys: 1},
	})
	createTokenSecret(t, ns, "token", demoToken)
	for i := range objects {
		create(t, newClient(ns, fmt.Sprintf("c-%03d", i), "token"))
	}
	eventually(t, 60*time.Second, func() error {
		if n := sim.Sim.ClientCount(); n != objects {
			return fmt.Errorf("%d of %d clients registered", n, objects)
		}
		return nil
	})

	times := sim.times("")
	if len(times) != 2*objects {
		t.Fatalf("EB calls = %d, want %d (getauth and create per client)", len(times), 2*objects)
	}
	busiest := 0
	for i := range times {
		n := 0
		for j := i; j < len(times) && times[j].Sub(times[i]) < time.Second; j++ {
			n++
		}
		busiest = max(busiest, n)
	}
	elapsed := times[len(times)-1].Sub(times[0])
	floor := time.Duration(float64(len(times)-burst) / qps * float64(time.Second))
	// The limiter releases calls at the operator, but they are timed at
	// arrival. Under the load of the parallel suite, connection setup
	// delays some calls more than others, which bunches arrivals, so the
	// window may hold up to 0.5 s of extra calls.
	limit := qps + burst + qps/2
	t.Logf("%d EB calls in %s (floor %s); busiest 1 s window: %d calls (limit %d, %d with jitter)",
		len(times), elapsed, floor, busiest, qps+burst, limit)
	if busiest > limit {
		t.Errorf("busiest 1 s window has %d calls, want at most %d", busiest, limit)
	}
	if elapsed < floor-100*time.Millisecond {
		t.Errorf("%d calls took %s, want at least %s", len(times), elapsed, floor)
	}
}
