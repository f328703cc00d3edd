package controllers_test

import (
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/controllers"
)

// TestSlowServerTimesOut points an EBClient at registration servers that
// accept the request but answer too slowly, and checks that the 2 s
// attempt timeout turns them into a transient failure.
func TestSlowServerTimesOut(t *testing.T) {
	t.Parallel()
	handlers := map[string]func(done <-chan struct{}) http.HandlerFunc{
		// trickle sends a 200 response with one body byte per second.
		"trickle": func(done <-chan struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				flusher := w.(http.Flusher)
				ticker := time.NewTicker(time.Second)
				defer ticker.Stop()
				for {
					if _, err := w.Write([]byte(" ")); err != nil {
						return
					}
					flusher.Flush()
					select {
					case <-ticker.C:
					case <-r.Context().Done():
						return
					case <-done:
						return
					}
				}
			}
		},
		// silent reads the request and never answers.
		"silent": func(done <-chan struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-done:
				}
			}
		},
	}
	for name, handler := range handlers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ns, sim := newNamespace(t), newSim(t)
			done := make(chan struct{})
			var inFlight atomic.Int64
			serve := handler(done)
			slow := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inFlight.Add(1)
				defer inFlight.Add(-1)
				serve(w, r)
			}))
			slow.StartTLS()
			// Cleanups run last in, first out: the operator stops first,
			// then done releases the handlers, then the server closes.
			t.Cleanup(slow.Close)
			t.Cleanup(func() { close(done) })
			slowCA := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: slow.Certificate().Raw})
			op := startOperator(t, sim, operatorOptions{
				namespaces: []string{ns},
				settings: func(s *controllers.EBSettings) {
					s.Timeout = 2 * time.Second
					s.CABundle = append(append(append([]byte{}, sim.CAPEM...), '\n'), slowCA...)
				},
			})
			createTokenSecret(t, ns, "token", demoToken)
			c := newClient(ns, "slow", "token")
			c.Spec.Registration.Endpoints = []ebv1.RegistrationEndpoint{ebv1.RegistrationEndpoint(slow.URL)}
			start := time.Now()
			create(t, c)
			waitReason(t, c, metav1.ConditionFalse, ebv1.ReasonRegistrationServerUnavailable, 10*time.Second)
			t.Logf("RegistrationServerUnavailable after %s", time.Since(start))

			// The manager is stopped while a retry waits on the server.
			eventually(t, 10*time.Second, func() error {
				if inFlight.Load() == 0 {
					return errors.New("no request in flight at the slow server")
				}
				return nil
			})
			stopStart := time.Now()
			op.Stop()
			if took := time.Since(stopStart); took > 5*time.Second {
				t.Errorf("manager took %s to stop, want at most 5s", took)
			} else {
				t.Logf("manager stopped in %s", took)
			}
		})
	}
}
