package ebsim

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStateFileSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	stateFile := filepath.Join(dir, "state.json")
	tlsDir := filepath.Join(dir, "tls")
	opts := Options{StateFile: stateFile}

	first, err := Start("127.0.0.1:0", tlsDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, first)
	creds := c.createDemo("kept")
	key := c.addKey(creds)
	if err := first.Close(); err != nil {
		t.Fatalf("close first server: %v", err)
	}

	second, err := Start("127.0.0.1:0", tlsDir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Close() })
	if string(second.CAPEM) != string(first.CAPEM) {
		t.Error("restarted server created a new CA instead of reusing the one in its TLS dir")
	}
	c = newTestClient(t, second)

	if n := second.Sim.ClientCount(); n != 1 {
		t.Errorf("ClientCount = %d after restart, want 1", n)
	}
	if n := second.Sim.KeyCount(); n != 1 {
		t.Errorf("KeyCount = %d after restart, want 1", n)
	}
	if username, ok := second.Sim.Username("kept"); !ok || username != creds.Username {
		t.Errorf("Username(kept) = %q, %v, want %q, true", username, ok, creds.Username)
	}
	wantStatus(t, c.call(clientPath, map[string]any{"function": "showapi",
		"client":  passwordClient(creds),
		"apidata": map[string]any{"apikey": key.APIKey}}), codeSuccess)
	again := c.createDemo("kept")
	if again.Username != creds.Username {
		t.Errorf("username after restart = %q, want %q", again.Username, creds.Username)
	}
}

func TestStateFileHoldsNoSecrets(t *testing.T) {
	stateFile := filepath.Join(t.TempDir(), "state.json")
	c := newTestClient(t, StartTest(t, Options{StateFile: stateFile}))
	creds := c.createDemo("secret")
	key := c.addKey(creds)

	data, err := os.ReadFile(stateFile)
	if err != nil {
		t.Fatal(err)
	}
	for name, secret := range map[string]string{
		"password": creds.Password, "API key": key.APIKey, "type token": "demo-token",
	} {
		if strings.Contains(string(data), secret) {
			t.Errorf("state file contains the %s", name)
		}
	}
	if !strings.Contains(string(data), creds.Username) {
		t.Error("state file does not contain the username")
	}
	leftovers, _ := filepath.Glob(stateFile + ".tmp*")
	if len(leftovers) != 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

func TestNewRejectsCorruptStateFile(t *testing.T) {
	stateFile := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(stateFile, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{StateFile: stateFile}); err == nil {
		t.Fatal("New accepted a corrupt state file")
	}
}

func TestLoadTypes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "types.yaml")
	yamlText := `
- name: corp
  token: corp-token
  methods:
    - method: type
    - method: token
      init: true
      initdata: [email, mobile]
  max_api_keys: 3
  maxobjects: 50
  operations:
    - {id: 10, name: AES, status: enabled}
    - {id: 11, name: HMAC, status: disabled}
`
	if err := os.WriteFile(path, []byte(yamlText), 0o600); err != nil {
		t.Fatal(err)
	}
	types, err := LoadTypes(path)
	if err != nil {
		t.Fatalf("LoadTypes: %v", err)
	}
	if len(types) != 1 {
		t.Fatalf("LoadTypes returned %d types, want 1", len(types))
	}
	corp := types[0]
	if corp.Name != "corp" || corp.Token != "corp-token" || corp.MaxAPIKeys != 3 ||
		corp.MaxObjects != 50 {
		t.Errorf("type = %+v, want corp, corp-token, 3 keys, 50 objects", corp)
	}
	if len(corp.Methods) != 2 || !corp.Methods[1].Init || len(corp.Methods[1].InitData) != 2 {
		t.Errorf("methods = %+v, want type and token with init and two initdata", corp.Methods)
	}
	if len(corp.Operations) != 2 || corp.Operations[1] != (Operation{11, "HMAC", "disabled"}) {
		t.Errorf("operations = %+v, want AES and disabled HMAC", corp.Operations)
	}
}

func TestLoadTypesRejectsInvalid(t *testing.T) {
	const method = "  methods: [{method: type}]\n"
	tests := []struct {
		name string
		yaml string
	}{
		{"empty list", "[]"},
		{"unknown key", "- name: a\n  token: t\n  maxkeys: 3\n" + method},
		{"missing name", "- token: t\n" + method},
		{"duplicate name", "- name: a\n  token: t\n" + method + "- name: a\n  token: t\n" + method},
		{"no methods", "- name: a\n  token: t\n"},
		{"unknown method", "- name: a\n  methods: [{method: magic}]\n"},
		{"type method without token", "- name: a\n" + method},
		{"unknown initdata", "- name: a\n  methods: [{method: name, initdata: [fax]}]\n"},
		{"negative max_api_keys", "- name: a\n  token: t\n  max_api_keys: -1\n" + method},
		{"operation id zero", "- name: a\n  token: t\n" + method +
			"  operations: [{id: 0, name: X, status: enabled}]\n"},
		{"duplicate operation name", "- name: a\n  token: t\n" + method +
			"  operations: [{id: 1, name: X, status: enabled}," +
			" {id: 2, name: X, status: enabled}]\n"},
		{"unknown operation status", "- name: a\n  token: t\n" + method +
			"  operations: [{id: 1, name: X, status: on}]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "types.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadTypes(path); err == nil {
				t.Error("LoadTypes accepted invalid client types")
			}
		})
	}
}

func TestNewCopiesTypes(t *testing.T) {
	types := DefaultTypes()
	srv := StartTest(t, Options{Types: types})
	types[0].Token = "changed"
	c := newTestClient(t, srv)

	c.createDemo("copy")
}

func TestStateWriteFailure(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	srv := StartTest(t, Options{
		StateFile: filepath.Join(dir, "state.json"),
		Logger:    slog.New(slog.NewTextHandler(&logs, nil)),
	})
	c := newTestClient(t, srv)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}

	got := c.call(clientPath, map[string]any{"function": "create", "client": map[string]any{
		"name": "lost", "type": "demo", "authentication": "type", "token": "demo-token",
	}})

	wantStatus(t, got, codeProcessorFailure)
	if strings.Contains(got.StatusDetail, dir) {
		t.Errorf("statusdetail %q names the state file", got.StatusDetail)
	}
	if !strings.Contains(logs.String(), "write state file") {
		t.Errorf("log has no line for the failed write:\n%s", logs.String())
	}
}
