package ebapi

import (
	"errors"
	"strings"
	"testing"

	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

const (
	demoType  = "demo"
	demoToken = "demo-token"
)

func createDemo(t *testing.T, c *Client, name string) *CreateResponse {
	t.Helper()
	resp, err := c.Create(testContext(t), CreateRequest{
		Name: name, Type: demoType, Authentication: "type", Token: demoToken,
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return resp
}

func TestFunctionsAgainstSimulator(t *testing.T) {
	srv := ebsim.StartTest(t, ebsim.Options{})
	c := newTestClient(t, srv.CAPEM, srv.URL)
	ctx := testContext(t)

	auth, err := c.GetAuth(ctx, demoType)
	if err != nil {
		t.Fatalf("GetAuth: %v", err)
	}
	if auth.Type != demoType {
		t.Errorf("GetAuth type = %q, want %q", auth.Type, demoType)
	}
	if len(auth.Authentication) != 1 {
		t.Fatalf("GetAuth methods = %+v, want one", auth.Authentication)
	}
	if got := auth.Authentication[0]; got.Method != "type" {
		t.Errorf("GetAuth method = %q, want type", got.Method)
	}
	if auth.Authentication[0].Init {
		t.Error("GetAuth method type needs init, want no init")
	}
	if auth.Server != srv.URL {
		t.Errorf("GetAuth server = %q, want %q", auth.Server, srv.URL)
	}

	created := createDemo(t, c, "client-a")
	if created.Username == "" || created.Password == "" {
		t.Fatalf("Create returned an empty username or password")
	}
	if created.MaxAPIKeys != 5 {
		t.Errorf("Create max_api_keys = %d, want 5", created.MaxAPIKeys)
	}
	if created.Status != "ENABLED" {
		t.Errorf("Create status = %q, want ENABLED", created.Status)
	}
	if created.AuthenticationType != "PASSWORD" {
		t.Errorf("Create authenticationType = %q, want PASSWORD", created.AuthenticationType)
	}
	if created.Server != srv.URL {
		t.Errorf("Create server = %q, want %q", created.Server, srv.URL)
	}

	added, err := c.AddAPI(ctx, AddAPIRequest{
		Username:   created.Username,
		Password:   created.Password,
		Endpoint:   Endpoint{IPv4: "192.0.2.1", Country: "GB", Location: []float64{51.5, -0.1}},
		Operations: []string{"PLAINAES", "RANDOM"},
	})
	if err != nil {
		t.Fatalf("AddAPI: %v", err)
	}
	if added.APIKey == "" {
		t.Fatal("AddAPI returned an empty API key")
	}
	if len(added.Operations) != 2 {
		t.Errorf("AddAPI operations = %+v, want PLAINAES and RANDOM", added.Operations)
	}
	processing, ok := ProcessingURL(added.Servers)
	if !ok || !strings.HasPrefix(processing, "https://") {
		t.Errorf("ProcessingURL(%+v) = %q, %v; want an https URL", added.Servers, processing, ok)
	}

	shown, err := c.ShowAPI(ctx, ShowAPIRequest{
		Username: created.Username, Password: created.Password, APIKey: added.APIKey,
	})
	if err != nil {
		t.Fatalf("ShowAPI: %v", err)
	}
	if shown.APIKey != added.APIKey {
		t.Errorf("ShowAPI key = %q, want %q", shown.APIKey, added.APIKey)
	}
	if !jsonEqual(shown.Servers, added.Servers) {
		t.Errorf("ShowAPI servers = %+v, want %+v", shown.Servers, added.Servers)
	}

	ops, err := c.ListOps(ctx, created.Username, added.APIKey)
	if err != nil {
		t.Fatalf("ListOps: %v", err)
	}
	for _, name := range []string{"PLAINAES", "RANDOM"} {
		if _, ok := ops.Operations[name]; !ok {
			t.Errorf("ListOps operations %v lack %s", ops.Operations, name)
		}
	}

	ip, err := c.ClientIP(ctx)
	if err != nil {
		t.Fatalf("ClientIP: %v", err)
	}
	if ip.IPv4 == nil || *ip.IPv4 != "127.0.0.1" {
		t.Errorf("ClientIP ipv4 = %v, want 127.0.0.1", ip.IPv4)
	}
}

func TestInitAuthThenCreate(t *testing.T) {
	types := []ebsim.ClientType{{
		Name:       "mailed",
		Methods:    []ebsim.AuthMethod{{Method: "challenge", Init: true, InitData: []string{"email"}}},
		MaxAPIKeys: 1,
	}}
	srv := ebsim.StartTest(t, ebsim.Options{Types: types})
	c := newTestClient(t, srv.CAPEM, srv.URL)
	ctx := testContext(t)

	started, err := c.InitAuth(ctx, InitAuthRequest{
		Type: "mailed", Method: "challenge", Email: "ops@example.com",
	})
	if err != nil {
		t.Fatalf("InitAuth: %v", err)
	}
	if started.ClientID == "" {
		t.Fatal("InitAuth returned an empty client id")
	}
	created, err := c.Create(ctx, CreateRequest{
		Name: "client-b", Type: "mailed", Authentication: "challenge", ClientID: started.ClientID,
	})
	if err != nil {
		t.Fatalf("Create with client id: %v", err)
	}
	if created.Username == "" {
		t.Error("Create returned an empty username")
	}
}

func TestSimulatorErrorsMapToStatusError(t *testing.T) {
	srv := ebsim.StartTest(t, ebsim.Options{Types: append(ebsim.DefaultTypes(), ebsim.ClientType{
		Name:       "tokened",
		Methods:    []ebsim.AuthMethod{{Method: "token"}},
		MaxAPIKeys: 1,
	})})
	c := newTestClient(t, srv.CAPEM, srv.URL)
	ctx := testContext(t)
	acct := createDemo(t, c, "client-c")
	login := AddAPIRequest{Username: acct.Username, Password: acct.Password}
	for range 5 {
		if _, err := c.AddAPI(ctx, login); err != nil {
			t.Fatalf("AddAPI within quota: %v", err)
		}
	}
	if _, err := c.Create(ctx, CreateRequest{
		Name: "client-d", Type: "tokened", Authentication: "token", Token: "first",
	}); err != nil {
		t.Fatalf("Create tokened: %v", err)
	}

	tests := []struct {
		name string
		call func() error
		code int
	}{
		{"capacity reached", func() error { _, err := c.AddAPI(ctx, login); return err }, 0x1005},
		{"name taken", func() error {
			_, err := c.Create(ctx, CreateRequest{
				Name: "client-d", Type: "tokened", Authentication: "token", Token: "second",
			})
			return err
		}, 0x4078},
		{"unknown operation name", func() error {
			req := login
			req.Operations = []string{"NO-SUCH-OP"}
			_, err := c.AddAPI(ctx, req)
			return err
		}, 0x8004},
		{"invalid country", func() error {
			req := login
			req.Endpoint = Endpoint{Country: "GBR"}
			_, err := c.AddAPI(ctx, req)
			return err
		}, 0x8036},
		{"unknown API key", func() error {
			_, err := c.ShowAPI(ctx, ShowAPIRequest{
				Username: acct.Username, Password: acct.Password, APIKey: "00",
			})
			return err
		}, 0x8068},
		{"unknown client type", func() error { _, err := c.GetAuth(ctx, "nope"); return err }, 0x8069},
		{"method not allowed", func() error {
			_, err := c.Create(ctx, CreateRequest{Name: "x", Type: demoType, Authentication: "hotp"})
			return err
		}, 0x80B9},
		{"wrong password", func() error {
			req := login
			req.Password = "wrong"
			_, err := c.AddAPI(ctx, req)
			return err
		}, 0xA065},
		{"invalid token", func() error {
			_, err := c.Create(ctx, CreateRequest{
				Name: "y", Type: demoType, Authentication: "type", Token: "bad",
			})
			return err
		}, 0xF030},
		{"input too long", func() error {
			_, err := c.GetAuth(ctx, strings.Repeat("a", 1<<20))
			return err
		}, 0xF031},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkStatusError(t, tt.call(), tt.code, srv.URL)
		})
	}
}

// TestEveryCodeMapsToStatusError injects each documented error code.
func TestEveryCodeMapsToStatusError(t *testing.T) {
	srv := ebsim.StartTest(t, ebsim.Options{Admin: true})
	c := newTestClient(t, srv.CAPEM, srv.URL)
	ctx := testContext(t)
	for code := range codeTable {
		if code == StatusOK {
			continue
		}
		srv.Sim.FailNext(ebsim.Fault{Function: "getauth", Code: code})
		_, err := c.GetAuth(ctx, demoType)
		checkStatusError(t, err, code, srv.URL)
	}
}

func checkStatusError(t *testing.T, err error, code int, server string) {
	t.Helper()
	var se *StatusError
	if !errors.As(err, &se) {
		t.Errorf("code 0x%04X: error %v (%T), want *StatusError", code, err, err)
		return
	}
	if se.Code != code {
		t.Errorf("code = 0x%04X, want 0x%04X", se.Code, code)
	}
	if se.Server != server {
		t.Errorf("code 0x%04X: server = %q, want %q", code, se.Server, server)
	}
	if got, want := se.Transient(), codeTable[code].transient; got != want {
		t.Errorf("code 0x%04X: Transient() = %v, want %v", code, got, want)
	}
	if got, want := IsTransient(err), codeTable[code].transient; got != want {
		t.Errorf("code 0x%04X: IsTransient = %v, want %v", code, got, want)
	}
	if got, ok := StatusCode(err); !ok || got != code {
		t.Errorf("StatusCode = 0x%04X, %v; want 0x%04X, true", got, ok, code)
	}
	if !strings.Contains(se.Error(), se.Meaning()) {
		t.Errorf("Error() %q lacks the meaning %q", se.Error(), se.Meaning())
	}
}
