package ebapi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

func TestFailoverOnRefusedConnection(t *testing.T) {
	sims, bundle := startSims(t, 1)
	refused := closedAddress(t)
	c := newTestClient(t, bundle, refused, sims[0].URL)
	errorsSent := counterDelta(t, "getauth", "error")

	resp, err := c.GetAuth(testContext(t), demoType)
	if err != nil {
		t.Fatalf("GetAuth: %v", err)
	}
	if resp.Server != sims[0].URL {
		t.Errorf("server = %q, want the second endpoint %q", resp.Server, sims[0].URL)
	}
	if got := errorsSent(); got != 1 {
		t.Errorf("eb_api_requests_total{getauth,error} grew by %v, want 1", got)
	}
}

func TestFailoverOnAttemptTimeout(t *testing.T) {
	stop := make(chan struct{})
	stalled, stalledCA := startTLS(t, stallHandler(false, stop))
	t.Cleanup(func() { close(stop) })
	sims, bundle := startSims(t, 1)
	c, err := New(Options{
		Endpoints:   []string{stalled.URL, sims[0].URL},
		Environment: "test",
		CABundle:    append(append([]byte(nil), stalledCA...), bundle...),
		Timeout:     300 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.http.CloseIdleConnections)

	resp, err := c.GetAuth(testContext(t), demoType)
	if err != nil {
		t.Fatalf("GetAuth: %v", err)
	}
	if resp.Server != sims[0].URL {
		t.Errorf("server = %q, want the second endpoint %q", resp.Server, sims[0].URL)
	}
}

func TestFailoverOnServerErrors(t *testing.T) {
	tests := []struct {
		name  string
		fault ebsim.Fault
		label string
	}{
		{"http 503", ebsim.Fault{Function: "create", HTTPStatus: 503}, "http_503"},
		{"server not ready", ebsim.Fault{Function: "create", Code: 0xF019}, "0xF019"},
		{"shutting down", ebsim.Fault{Function: "create", Code: 0x100F}, "0x100F"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sims, bundle := startSims(t, 2)
			c := newTestClient(t, bundle, sims[0].URL, sims[1].URL)
			sims[0].Sim.FailNext(tt.fault)
			failed := counterDelta(t, "create", tt.label)
			succeeded := counterDelta(t, "create", "0x9000")

			resp := createDemo(t, c, "client-f")
			if resp.Server != sims[1].URL {
				t.Errorf("server = %q, want %q", resp.Server, sims[1].URL)
			}
			if got := sims[0].Sim.CallCount("create"); got != 1 {
				t.Errorf("first server create calls = %d, want 1", got)
			}
			if got := sims[1].Sim.CallCount("create"); got != 1 {
				t.Errorf("second server create calls = %d, want 1", got)
			}
			if got := failed(); got != 1 {
				t.Errorf("eb_api_requests_total{create,%s} grew by %v, want 1", tt.label, got)
			}
			if got := succeeded(); got != 1 {
				t.Errorf("eb_api_requests_total{create,0x9000} grew by %v, want 1", got)
			}
		})
	}
}

func TestNoFailoverOnPermanentErrors(t *testing.T) {
	tests := []struct {
		name  string
		fault ebsim.Fault
	}{
		{"incorrect password", ebsim.Fault{Function: "getauth", Code: 0xA065}},
		{"transient but local code", ebsim.Fault{Function: "getauth", Code: 0xF012}},
		{"http 400", ebsim.Fault{Function: "getauth", HTTPStatus: 400}},
		{"http 429", ebsim.Fault{Function: "getauth", HTTPStatus: 429}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sims, bundle := startSims(t, 2)
			c := newTestClient(t, bundle, sims[0].URL, sims[1].URL)
			sims[0].Sim.FailNext(tt.fault)

			_, err := c.GetAuth(testContext(t), demoType)
			if err == nil {
				t.Fatal("GetAuth succeeded, want the first server's error")
			}
			var fe *FailoverError
			if errors.As(err, &fe) {
				t.Errorf("error is a *FailoverError (%v), want the first server's error", err)
			}
			if got := sims[1].Sim.CallCount("getauth"); got != 0 {
				t.Errorf("second server getauth calls = %d, want 0", got)
			}
		})
	}
}

func TestFailoverErrorListsServers(t *testing.T) {
	sims, bundle := startSims(t, 2)
	refused := closedAddress(t)
	c := newTestClient(t, bundle, sims[0].URL, refused, sims[1].URL)
	sims[0].Sim.SetNotReady(true)
	sims[1].Sim.SetNotReady(true)

	_, err := c.ClientIP(testContext(t))
	var fe *FailoverError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want *FailoverError", err, err)
	}
	want := []string{sims[0].URL, refused, sims[1].URL}
	if strings.Join(fe.Tried, " ") != strings.Join(want, " ") {
		t.Errorf("Tried = %v, want %v", fe.Tried, want)
	}
	for _, server := range want {
		if !strings.Contains(err.Error(), server) {
			t.Errorf("Error() %q does not name %s", err.Error(), server)
		}
	}
	if code, ok := StatusCode(err); !ok || code != 0xF019 {
		t.Errorf("StatusCode = 0x%04X, %v; want the last error's 0xF019", code, ok)
	}
	if !IsTransient(err) {
		t.Error("IsTransient = false, want true for servers that are not ready")
	}
}

func TestSingleServerReturnsPlainError(t *testing.T) {
	sims, bundle := startSims(t, 1)
	c := newTestClient(t, bundle, sims[0].URL)
	sims[0].Sim.SetNotReady(true)

	_, err := c.ClientIP(testContext(t))
	var se *StatusError
	if !errors.As(err, &se) {
		t.Fatalf("error %v (%T), want *StatusError", err, err)
	}
	var fe *FailoverError
	if errors.As(err, &fe) {
		t.Errorf("error is a *FailoverError, want the plain *StatusError")
	}
}

func TestCanceledContextStopsCall(t *testing.T) {
	sims, bundle := startSims(t, 2)
	c := newTestClient(t, bundle, sims[0].URL, sims[1].URL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	_, err := c.ClientIP(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
	if IsTransient(err) {
		t.Error("IsTransient = true for a canceled call, want false")
	}
	for i, srv := range sims {
		if got := srv.Sim.CallCount("clientip"); got != 0 {
			t.Errorf("server %d clientip calls = %d, want 0", i, got)
		}
	}
}
