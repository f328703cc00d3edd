package ebapi

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/enigmabridge/eb-operator/internal/ebsim"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

// testTimeout bounds every call a test makes, so a hung call fails the test
// instead of the test binary.
const testTimeout = 20 * time.Second

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newTestClient builds a client for endpoints that trusts caPEM.
func newTestClient(t *testing.T, caPEM []byte, endpoints ...string) *Client {
	t.Helper()
	c, err := New(Options{Endpoints: endpoints, Environment: "test", CABundle: caPEM})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	// An open HTTP/2 connection delays a server's graceful shutdown by
	// about a second, so idle connections close before the servers do.
	t.Cleanup(c.http.CloseIdleConnections)
	return c
}

// startSims starts n simulators and returns them with a CA bundle that
// trusts all of them.
func startSims(t *testing.T, n int) ([]*ebsim.Server, []byte) {
	t.Helper()
	var sims []*ebsim.Server
	var bundle []byte
	for range n {
		srv := ebsim.StartTest(t, ebsim.Options{Admin: true})
		sims = append(sims, srv)
		bundle = append(bundle, srv.CAPEM...)
	}
	return sims, bundle
}

// closedAddress returns a loopback URL on which nothing listens, so that a
// connection to it is refused.
func closedAddress(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("close listener: %v", err)
	}
	return "https://" + addr
}

// startTLS starts an HTTPS test server with handler and returns it with the
// PEM of its certificate.
func startTLS(t *testing.T, handler http.Handler) (*httptest.Server, []byte) {
	t.Helper()
	srv := httptest.NewTLSServer(handler)
	t.Cleanup(srv.Close)
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return srv, caPEM
}

// ebHandler responds to every request with an EB envelope built by reply from
// the request's nonce, and counts the requests.
func ebHandler(hits *atomic.Int64, reply func(nonce string) any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits != nil {
			hits.Add(1)
		}
		var req struct {
			Nonce string `json:"nonce"`
		}
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &req)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(reply(req.Nonce))
	})
}

// counterValue returns eb_api_requests_total for function and code from
// the controller-runtime registry, 0 when the series does not exist.
func counterValue(t *testing.T, function, code string) float64 {
	t.Helper()
	families, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatalf("gather metrics: %v", err)
	}
	for _, mf := range families {
		if mf.GetName() != "eb_api_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["function"] == function && labels["code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// counterDelta returns a function that reports how much the counter for
// function and code grew since counterDelta was called.
func counterDelta(t *testing.T, function, code string) func() float64 {
	t.Helper()
	before := counterValue(t, function, code)
	return func() float64 { return counterValue(t, function, code) - before }
}
