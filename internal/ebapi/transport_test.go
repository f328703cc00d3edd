package ebapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

type capturedRequest struct {
	path    string
	headers http.Header
	body    map[string]any
}

// startCapture starts a server that records each request and responds
// with a success that echoes its nonce.
func startCapture(t *testing.T) (string, []byte, func() []capturedRequest) {
	t.Helper()
	var mu sync.Mutex
	var got []capturedRequest
	srv, caPEM := startTLS(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		mu.Lock()
		got = append(got, capturedRequest{r.URL.Path, r.Header.Clone(), body})
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{
			"status": 0x9000, "nonce": body["nonce"], "response": map[string]any{},
		})
	}))
	return srv.URL, caPEM, func() []capturedRequest {
		mu.Lock()
		defer mu.Unlock()
		return append([]capturedRequest(nil), got...)
	}
}

func TestRequestEnvelope(t *testing.T) {
	url, caPEM, captured := startCapture(t)
	c := newTestClient(t, caPEM, url)
	ctx := testContext(t)

	show := ShowAPIRequest{Username: "u", Password: "p", APIKey: "k"}
	if _, err := c.ShowAPI(ctx, show); err != nil {
		t.Fatalf("ShowAPI: %v", err)
	}
	if _, err := c.ClientIP(ctx); err != nil {
		t.Fatalf("ClientIP: %v", err)
	}
	if _, err := c.ListOps(ctx, "u", "k"); err != nil {
		t.Fatalf("ListOps: %v", err)
	}
	reqs := captured()
	if len(reqs) != 3 {
		t.Fatalf("server got %d requests, want 3", len(reqs))
	}
	showReq, clientIP, listOps := reqs[0], reqs[1], reqs[2]

	hexNonce := regexp.MustCompile(`^[0-9a-f]{16}$`)
	for i, r := range reqs {
		if got := r.headers.Get("Content-Type"); got != "application/json" {
			t.Errorf("request %d Content-Type = %q, want application/json", i, got)
		}
		if got := r.headers.Get("X-Auth-Token"); got != "public" {
			t.Errorf("request %d X-Auth-Token = %q, want public", i, got)
		}
		if nonce, _ := r.body["nonce"].(string); !hexNonce.MatchString(nonce) {
			t.Errorf("request %d nonce = %q, want 16 hex characters", i, nonce)
		}
		if r.body["version"] != float64(1) {
			t.Errorf("request %d version = %v, want 1", i, r.body["version"])
		}
	}
	if showReq.body["nonce"] == clientIP.body["nonce"] {
		t.Error("two requests sent the same nonce")
	}

	if showReq.path != "/api/v1/client" {
		t.Errorf("showapi path = %s, want /api/v1/client", showReq.path)
	}
	if showReq.body["function"] != "showapi" {
		t.Errorf("showapi function = %v, want showapi", showReq.body["function"])
	}
	if showReq.body["environment"] != "test" {
		t.Errorf("showapi environment = %v, want test", showReq.body["environment"])
	}
	wantClient := map[string]any{"authentication": "password", "username": "u", "password": "p"}
	if !jsonEqual(showReq.body["client"], wantClient) {
		t.Errorf("showapi client = %v, want %v", showReq.body["client"], wantClient)
	}
	if !jsonEqual(showReq.body["apidata"], map[string]any{"apikey": "k"}) {
		t.Errorf("showapi apidata = %v, want {apikey: k}", showReq.body["apidata"])
	}

	if clientIP.path != "/api/v1/apikey" {
		t.Errorf("clientip path = %s, want /api/v1/apikey", clientIP.path)
	}
	if clientIP.body["function"] != "clientip" {
		t.Errorf("clientip function = %v, want clientip", clientIP.body["function"])
	}
	if _, ok := clientIP.body["environment"]; ok {
		t.Error("clientip sent an environment, want none")
	}

	if listOps.path != "/api/v1/apikey" {
		t.Errorf("listops path = %s, want /api/v1/apikey", listOps.path)
	}
	if !jsonEqual(listOps.body["apidata"], map[string]any{"username": "u", "apikey": "k"}) {
		t.Errorf("listops apidata = %v, want {username: u, apikey: k}", listOps.body["apidata"])
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestResponseValidation(t *testing.T) {
	huge := strings.Repeat("x", maxResponseBytes)
	tests := []struct {
		name    string
		reply   func(nonce string) any
		wantErr bool
	}{
		{"hex string status", func(n string) any {
			return map[string]any{"status": "0x9000", "nonce": n, "response": map[string]any{}}
		}, false},
		{"hex string status without prefix", func(n string) any {
			return map[string]any{"status": "9000", "nonce": n, "response": map[string]any{}}
		}, false},
		{"nonce mismatch", func(string) any {
			return map[string]any{"status": 0x9000, "nonce": "0123456789abcdef",
				"response": map[string]any{}}
		}, true},
		{"missing status", func(n string) any {
			return map[string]any{"nonce": n, "response": map[string]any{}}
		}, true},
		{"oversized body", func(n string) any {
			return map[string]any{"status": 0x9000, "nonce": n,
				"response": map[string]any{"pad": huge}}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, caPEM := startTLS(t, ebHandler(nil, tt.reply))
			c := newTestClient(t, caPEM, srv.URL)
			_, err := c.ClientIP(testContext(t))
			if !tt.wantErr {
				if err != nil {
					t.Errorf("ClientIP: %v", err)
				}
				return
			}
			var ie *InvalidResponseError
			if !errors.As(err, &ie) {
				t.Fatalf("error %v (%T), want *InvalidResponseError", err, err)
			}
			if !IsTransient(err) {
				t.Error("IsTransient = false for an invalid response, want true")
			}
		})
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	var targetHits atomic.Int64
	target, _ := startTLS(t, ebHandler(&targetHits, func(n string) any {
		return map[string]any{"status": 0x9000, "nonce": n, "response": map[string]any{}}
	}))
	srv, caPEM := startTLS(t, http.RedirectHandler(target.URL+"/api/v1/apikey", http.StatusFound))
	c := newTestClient(t, caPEM, srv.URL)

	_, err := c.ClientIP(testContext(t))
	var he *HTTPError
	if !errors.As(err, &he) {
		t.Fatalf("error %v (%T), want *HTTPError", err, err)
	}
	if he.StatusCode != http.StatusFound {
		t.Errorf("HTTP status = %d, want 302", he.StatusCode)
	}
	if IsTransient(err) {
		t.Error("IsTransient = true for a redirect, want false")
	}
	if got := targetHits.Load(); got != 0 {
		t.Errorf("redirect target got %d requests, want 0", got)
	}
}

// stallHandler sends headers and then one body byte every 20ms, or with
// trickle false nothing at all, until the client goes away or stop closes.
func stallHandler(trickle bool, stop <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server notices a closed connection only once the body is read.
		_, _ = io.Copy(io.Discard, r.Body)
		if !trickle {
			select {
			case <-r.Context().Done():
			case <-stop:
			}
			return
		}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte("{"))
		w.(http.Flusher).Flush()
		ticker := time.NewTicker(20 * time.Millisecond)
		defer ticker.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-stop:
				return
			case <-ticker.C:
				if _, err := w.Write([]byte(" ")); err != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
		}
	})
}

func TestStalledServerCutOff(t *testing.T) {
	const limit = 300 * time.Millisecond
	tests := []struct {
		name       string
		trickle    bool
		useTimeout bool
	}{
		{"silent server, Timeout", false, true},
		{"silent server, ctx deadline", false, false},
		{"trickling server, Timeout", true, true},
		{"trickling server, ctx deadline", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stop := make(chan struct{})
			srv, caPEM := startTLS(t, stallHandler(tt.trickle, stop))
			t.Cleanup(func() { close(stop) })
			opts := Options{Endpoints: []string{srv.URL}, Environment: "test", CABundle: caPEM}
			ctx := testContext(t)
			if tt.useTimeout {
				opts.Timeout = limit
			} else {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, limit)
				defer cancel()
			}
			c, err := New(opts)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			t.Cleanup(c.http.CloseIdleConnections)

			start := time.Now()
			_, err = c.ClientIP(ctx)
			elapsed := time.Since(start)
			if err == nil {
				t.Fatal("ClientIP succeeded against a stalled server")
			}
			if elapsed > 5*time.Second {
				t.Errorf("call took %v, want it cut off near %v", elapsed, limit)
			}
			if !IsTransient(err) {
				t.Errorf("IsTransient(%v) = false, want true for a timeout", err)
			}
		})
	}
}

func TestRateLimiterHoldsRate(t *testing.T) {
	srv := ebsim.StartTest(t, ebsim.Options{})
	c, err := New(Options{
		Endpoints:   []string{srv.URL},
		Environment: "test",
		CABundle:    srv.CAPEM,
		Limiter:     NewLimiter(20, 1),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(c.http.CloseIdleConnections)
	ctx := testContext(t)

	start := time.Now()
	for i := range 11 {
		if _, err := c.ClientIP(ctx); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	// Burst 1 at 20 per second spaces 11 calls by at least 10 intervals
	// of 50ms.
	if elapsed := time.Since(start); elapsed < 450*time.Millisecond {
		t.Errorf("11 calls took %v, want at least 450ms at 20 per second", elapsed)
	}
}

func TestClientsShareTransport(t *testing.T) {
	sims, bundle := startSims(t, 1)
	a := newTestClient(t, bundle, sims[0].URL)
	b := newTestClient(t, bundle, sims[0].URL)
	other := newTestClient(t, nil, sims[0].URL)
	if a.http.Transport != b.http.Transport {
		t.Error("clients with the same CA bundle use different transports")
	}
	if a.http.Transport == other.http.Transport {
		t.Error("clients with different CA bundles share a transport")
	}
}

func TestUntrustedCertificateRejected(t *testing.T) {
	sims, _ := startSims(t, 1)
	c := newTestClient(t, nil, sims[0].URL)
	_, err := c.ClientIP(testContext(t))
	if err == nil {
		t.Fatal("ClientIP succeeded against a server signed by an untrusted CA")
	}
	if got := sims[0].Sim.CallCount("clientip"); got != 0 {
		t.Errorf("server counted %d clientip calls, want 0", got)
	}
}
