package ebsim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFailNextCode(t *testing.T) {
	srv := StartTest(t, Options{})
	c := newTestClient(t, srv)
	srv.Sim.FailNext(Fault{Function: "create", Count: 2, Code: 0xF019})

	// A fault for create leaves other functions alone.
	wantStatus(t, c.call(apikeyPath, map[string]any{"function": "clientip"}), codeSuccess)
	for i := range 2 {
		got := c.call(clientPath, map[string]any{"function": "create", "client": map[string]any{
			"name": "f", "type": "demo", "authentication": "type", "token": "demo-token",
		}})
		if got.Status != 0xF019 {
			t.Fatalf("call %d: status = 0x%X, want 0xF019", i+1, got.Status)
		}
		if got.Error != "server not ready" {
			t.Errorf("call %d: error = %q, want \"server not ready\"", i+1, got.Error)
		}
	}
	c.createDemo("f")
	if n := srv.Sim.ClientCount(); n != 1 {
		t.Errorf("ClientCount = %d, want 1: failed calls must not register", n)
	}
}

func TestFailNextHTTPStatus(t *testing.T) {
	srv := StartTest(t, Options{})
	c := newTestClient(t, srv)
	creds := c.createDemo("h")
	srv.Sim.FailNext(Fault{Function: "addapi", Count: 1, HTTPStatus: 503})

	got := c.call(clientPath, map[string]any{"function": "addapi",
		"client": passwordClient(creds)})

	if got.HTTPStatus != http.StatusServiceUnavailable {
		t.Errorf("HTTP status = %d, want 503", got.HTTPStatus)
	}
	if n := srv.Sim.KeyCount(); n != 0 {
		t.Errorf("KeyCount = %d after a failed addapi, want 0", n)
	}
	c.addKey(creds)
}

func TestFailNextEchoRequest(t *testing.T) {
	srv := StartTest(t, Options{})
	c := newTestClient(t, srv)
	srv.Sim.FailNext(Fault{Function: "create", Code: 0x8036, EchoRequest: true})
	body := requestBody(t, map[string]any{"function": "create", "client": map[string]any{
		"name": "e", "type": "demo", "authentication": "type", "token": "demo-token",
	}})

	got := c.postRaw(clientPath, "application/json", body)

	wantStatus(t, got, 0x8036)
	if got.Error != string(body) {
		t.Errorf("error = %q, want the request body", got.Error)
	}
	if got.StatusDetail != string(body) {
		t.Errorf("statusdetail = %q, want the request body", got.StatusDetail)
	}
}

func TestNotReadyAndReset(t *testing.T) {
	srv := StartTest(t, Options{})
	c := newTestClient(t, srv)
	srv.Sim.SetNotReady(true)

	wantStatus(t, c.call(apikeyPath, map[string]any{"function": "clientip"}), codeNotReady)
	wantStatus(t, c.call(clientPath, map[string]any{"function": "getauth",
		"client": map[string]any{"type": "demo"}}), codeNotReady)

	srv.Sim.FailNext(Fault{Function: "clientip"})
	srv.Sim.SetLatency(time.Hour)
	srv.Sim.ResetFaults()
	wantStatus(t, c.call(apikeyPath, map[string]any{"function": "clientip"}), codeSuccess)
}

func TestLatency(t *testing.T) {
	srv := StartTest(t, Options{})
	c := newTestClient(t, srv)
	const latency = 150 * time.Millisecond
	srv.Sim.SetLatency(latency)

	start := time.Now()
	wantStatus(t, c.call(apikeyPath, map[string]any{"function": "clientip"}), codeSuccess)
	if took := time.Since(start); took < latency {
		t.Errorf("call took %v, want at least %v", took, latency)
	}
}

func TestAdminEndpoints(t *testing.T) {
	srv := StartTest(t, Options{Admin: true})
	c := newTestClient(t, srv)
	admin := func(path, body string) int {
		t.Helper()
		resp, err := c.http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	clientIP := map[string]any{"function": "clientip"}

	if got := admin("/admin/notready", `{"notReady":true}`); got != http.StatusNoContent {
		t.Fatalf("notready: HTTP %d, want 204", got)
	}
	wantStatus(t, c.call(apikeyPath, clientIP), codeNotReady)
	admin("/admin/notready", `{"notReady":false}`)
	wantStatus(t, c.call(apikeyPath, clientIP), codeSuccess)

	if got := admin("/admin/fail", `{"function":"clientip","count":1,"code":61465}`); got != 204 {
		t.Fatalf("fail: HTTP %d, want 204", got)
	}
	wantStatus(t, c.call(apikeyPath, clientIP), 61465)
	wantStatus(t, c.call(apikeyPath, clientIP), codeSuccess)

	admin("/admin/fail", `{"function":"clientip","count":1,"httpStatus":502}`)
	if got := c.call(apikeyPath, clientIP); got.HTTPStatus != http.StatusBadGateway {
		t.Errorf("HTTP status = %d after an httpStatus fault, want 502", got.HTTPStatus)
	}

	if got := admin("/admin/latency", `{"latency":"120ms"}`); got != http.StatusNoContent {
		t.Fatalf("latency: HTTP %d, want 204", got)
	}
	start := time.Now()
	c.call(apikeyPath, clientIP)
	if took := time.Since(start); took < 120*time.Millisecond {
		t.Errorf("call took %v with 120ms latency", took)
	}

	admin("/admin/fail", `{"function":"clientip","count":5}`)
	if got := admin("/admin/reset", ``); got != http.StatusNoContent {
		t.Fatalf("reset: HTTP %d, want 204", got)
	}
	start = time.Now()
	wantStatus(t, c.call(apikeyPath, clientIP), codeSuccess)
	if took := time.Since(start); took >= 120*time.Millisecond {
		t.Errorf("call took %v after reset, want no latency", took)
	}

	resp, err := c.http.Get(srv.URL + "/admin/calls")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var calls Calls
	if err := json.NewDecoder(resp.Body).Decode(&calls); err != nil {
		t.Fatalf("decode /admin/calls: %v", err)
	}
	if calls.ByFunction["clientip"] != 7 {
		t.Errorf("byFunction[clientip] = %d, want 7", calls.ByFunction["clientip"])
	}
}

func TestAdminRejectsInvalidBodies(t *testing.T) {
	srv := StartTest(t, Options{Admin: true})
	client := httpsClient(t, srv.CAPEM)
	tests := []struct {
		name string
		path string
		body string
	}{
		{"latency not a duration", "/admin/latency", `{"latency":"soon"}`},
		{"negative latency", "/admin/latency", `{"latency":"-1s"}`},
		{"unknown function", "/admin/fail", `{"function":"delete","count":1}`},
		{"negative count", "/admin/fail", `{"function":"create","count":-1}`},
		{"HTTP status 42", "/admin/fail", `{"function":"create","httpStatus":42}`},
		{"unknown field", "/admin/fail", `{"function":"create","cnt":1}`},
		{"bad JSON", "/admin/notready", `{"notReady":`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client.Post(srv.URL+tt.path, "application/json",
				strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			text, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("HTTP status = %d (%s), want 400", resp.StatusCode, text)
			}
		})
	}
}
