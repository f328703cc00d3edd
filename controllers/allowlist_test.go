package controllers_test

import (
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/controllers"
)

// countingListener accepts TCP connections on 127.0.0.1, counts them and
// closes them at once.
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func newCountingListener(t *testing.T) *countingListener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	cl := &countingListener{Listener: l}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			cl.accepted.Add(1)
			_ = conn.Close()
		}
	}()
	t.Cleanup(func() { _ = l.Close() })
	return cl
}

func (l *countingListener) port() string {
	return strings.TrimPrefix(l.Addr().String(), "127.0.0.1:")
}

func TestAllowlistRejectsOtherHost(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)
	listener := newCountingListener(t)
	c := newClient(ns, "ssrf", "token")
	// localhost resolves to this listener, but only 127.0.0.1 is allowed.
	c.Spec.Registration.Endpoints = []ebv1.RegistrationEndpoint{ebv1.RegistrationEndpoint("https://localhost:" + listener.port())}
	create(t, c)
	waitReason(t, c, metav1.ConditionFalse, ebv1.ReasonRegistrationHostNotAllowed, 30*time.Second)

	msg := readyCondition(c).Message
	if !strings.Contains(msg, "spec.registration.endpoints[0]") {
		t.Errorf("Ready message %q does not name spec.registration.endpoints[0]", msg)
	}
	if !strings.Contains(msg, `"localhost"`) {
		t.Errorf("Ready message %q does not name the host", msg)
	}
	if n := listener.accepted.Load(); n != 0 {
		t.Errorf("connections accepted on the listener = %d, want 0", n)
	}
	for function, n := range sim.Sim.Calls().ByFunction {
		if n != 0 {
			t.Errorf("simulator %s calls = %d, want 0", function, n)
		}
	}
	if ok, err := secretExists(ns, "ssrf-eb-client"); ok || err != nil {
		t.Errorf("Secret ssrf-eb-client exists = %v (%v), want false", ok, err)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	ns, sim := newNamespace(t), newSim(t)
	var requests atomic.Int64
	redirector := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Redirect(w, r, sim.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	redirector.StartTLS()
	t.Cleanup(redirector.Close)
	redirectorCA := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: redirector.Certificate().Raw})
	startOperator(t, sim, operatorOptions{
		namespaces: []string{ns},
		settings: func(s *controllers.EBSettings) {
			s.CABundle = append(append(append([]byte{}, sim.CAPEM...), '\n'), redirectorCA...)
		},
	})
	createTokenSecret(t, ns, "token", demoToken)
	c := newClient(ns, "redirected", "token")
	c.Spec.Registration.Endpoints = []ebv1.RegistrationEndpoint{ebv1.RegistrationEndpoint(redirector.URL)}
	create(t, c)
	// A 307 is neither a 5xx nor an EB code, so it is a permanent failure.
	waitReason(t, c, metav1.ConditionFalse, ebv1.ReasonRegistrationRejected, 30*time.Second)

	if msg := readyCondition(c).Message; !strings.Contains(msg, "HTTP status 307") {
		t.Errorf("Ready message %q does not carry HTTP status 307", msg)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("requests to the redirecting server = %d, want 1 (getauth)", n)
	}
	for function, n := range sim.Sim.Calls().ByFunction {
		if n != 0 {
			t.Errorf("simulator %s calls = %d, want 0", function, n)
		}
	}
}
