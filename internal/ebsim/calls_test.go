package ebsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestCallCounters(t *testing.T) {
	srv := StartTest(t, Options{})
	c := newTestClient(t, srv)
	alice := c.createDemo("alice")
	c.createDemo("bob")
	key := c.addKey(alice)
	c.call(clientPath, map[string]any{"function": "showapi", "client": passwordClient(alice),
		"apidata": map[string]any{"apikey": key.APIKey}})
	c.call(apikeyPath, map[string]any{"function": "listops",
		"apidata": map[string]any{"username": alice.Username, "apikey": key.APIKey}})
	// Rejected and fault-injected calls count too.
	wrong := passwordClient(alice)
	wrong["password"] = "x"
	wantStatus(t, c.call(clientPath, map[string]any{"function": "addapi", "client": wrong}),
		codeWrongPassword)
	srv.Sim.FailNext(Fault{Function: "create"})
	c.call(clientPath, map[string]any{"function": "create", "client": map[string]any{
		"name": "alice", "type": "demo", "authentication": "type", "token": "demo-token"}})
	wantStatus(t, c.call(clientPath, map[string]any{"function": "create", "version": 2}),
		codeVersionUnsupported)
	// Calls that reach no function are not counted.
	c.postRaw(clientPath, "application/json", []byte(`{"nonce":`))
	c.call(clientPath, map[string]any{"function": "listops"})
	c.call(clientPath, map[string]any{"function": "delete"})

	calls := srv.Sim.Calls()

	wantFunctions := map[string]int{"create": 4, "addapi": 2, "showapi": 1, "listops": 1}
	if got, want := fmt.Sprint(calls.ByFunction), fmt.Sprint(wantFunctions); got != want {
		t.Errorf("ByFunction = %s, want %s", got, want)
	}
	wantClients := map[string]map[string]int{
		"create":  {"alice": 2, "bob": 1},
		"addapi":  {"alice": 2},
		"showapi": {"alice": 1},
		"listops": {"alice": 1},
	}
	if got, want := fmt.Sprint(calls.ByClient), fmt.Sprint(wantClients); got != want {
		t.Errorf("ByClient = %s, want %s", got, want)
	}
	if n := srv.Sim.CallCount("create"); n != 4 {
		t.Errorf("CallCount(create) = %d, want 4", n)
	}
}

func TestCallsIsDeepCopy(t *testing.T) {
	srv := StartTest(t, Options{})
	c := newTestClient(t, srv)
	c.createDemo("copy")

	calls := srv.Sim.Calls()
	calls.ByFunction["create"] = 100
	calls.ByClient["create"]["copy"] = 100

	again := srv.Sim.Calls()
	if again.ByFunction["create"] != 1 || again.ByClient["create"]["copy"] != 1 {
		t.Errorf("Calls after changing a copy = %+v, want create counted once", again)
	}
}

func TestResetCalls(t *testing.T) {
	srv := StartTest(t, Options{})
	c := newTestClient(t, srv)
	c.createDemo("r")
	srv.Sim.ResetCalls()

	if n := srv.Sim.CallCount("create"); n != 0 {
		t.Errorf("CallCount(create) = %d after ResetCalls, want 0", n)
	}
	if n := srv.Sim.ClientCount(); n != 1 {
		t.Errorf("ClientCount = %d after ResetCalls, want 1", n)
	}
	c.createDemo("r")
	if n := srv.Sim.CallCount("create"); n != 1 {
		t.Errorf("CallCount(create) = %d after one more call, want 1", n)
	}
}

func TestLogHasNoSecrets(t *testing.T) {
	var logs syncBuffer
	srv := StartTest(t, Options{Logger: slog.New(slog.NewTextHandler(&logs,
		&slog.HandlerOptions{Level: slog.LevelDebug}))})
	c := newTestClient(t, srv)
	creds := c.createDemo("logged")
	key := c.addKey(creds)
	c.call(clientPath, map[string]any{"function": "showapi", "client": passwordClient(creds),
		"apidata": map[string]any{"apikey": key.APIKey}})

	text := logs.String()
	if got := strings.Count(text, "\n"); got != 3 {
		t.Errorf("log has %d lines, want 3:\n%s", got, text)
	}
	if !strings.Contains(text, "client=logged") {
		t.Errorf("log does not name the client:\n%s", text)
	}
	for name, secret := range map[string]string{
		"password": creds.Password, "API key": key.APIKey, "type token": "demo-token",
	} {
		if strings.Contains(text, secret) {
			t.Errorf("log contains the %s", name)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestConcurrentClients(t *testing.T) {
	srv := StartTest(t, Options{StateFile: t.TempDir() + "/state.json"})
	c := newTestClient(t, srv)
	const workers, rounds, names = 8, 12, 4
	bodies := make([][]byte, names)
	for i := range bodies {
		// Every worker registers the same names, so repeated creates race.
		bodies[i] = requestBody(t, map[string]any{"function": "create",
			"client": map[string]any{"name": fmt.Sprintf("c%d", i), "type": "demo",
				"authentication": "type", "token": "demo-token"}})
	}
	errs := make(chan error, workers*rounds)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				errs <- postCreate(c.http, srv.URL, bodies[r%names])
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}

	if n := srv.Sim.ClientCount(); n != names {
		t.Errorf("ClientCount = %d, want %d", n, names)
	}
	if n := srv.Sim.CallCount("create"); n != workers*rounds {
		t.Errorf("CallCount(create) = %d, want %d", n, workers*rounds)
	}
}

// postCreate sends a create body and returns an error unless it succeeds.
func postCreate(client *http.Client, baseURL string, body []byte) error {
	resp, err := client.Post(baseURL+clientPath, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env result
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return fmt.Errorf("decode create response: %w", err)
	}
	if env.Status != codeSuccess {
		return fmt.Errorf("create status = 0x%X (%s), want 0x9000", env.Status, env.StatusDetail)
	}
	return nil
}
