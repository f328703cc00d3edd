package ebsim

import (
	"regexp"
	"slices"
	"testing"
)

var (
	uuidV4Pattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-` +
		`[0-9a-f]{12}$`)
	hex32Pattern = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// testTypes are the demo type plus "mail" (one API key, a token method that
// needs initauth with an e-mail), "phone" (initauth with mobile and rsa)
// and "tok" (a token method without initauth).
func testTypes() []ClientType {
	types := DefaultTypes()
	return append(types,
		ClientType{
			Name: "mail", Token: "mail-token",
			Methods: []AuthMethod{
				{Method: "token", Init: true, InitData: []string{"email"}},
				{Method: "type"},
			},
			MaxAPIKeys: 1, MaxObjects: 10,
			Operations: []Operation{{ID: 7, Name: "HMAC", Status: "disabled"}},
		},
		ClientType{
			Name: "phone", Token: "phone-token",
			Methods: []AuthMethod{
				{Method: "name", Init: true, InitData: []string{"mobile", "rsa"}},
			},
			MaxAPIKeys: 2, MaxObjects: 10,
		},
		ClientType{
			Name: "tok", Methods: []AuthMethod{{Method: "token"}},
			MaxAPIKeys: 2, MaxObjects: 10,
		},
	)
}

func TestClientFunctionValidation(t *testing.T) {
	c := newTestClient(t, StartTest(t, Options{Types: testTypes()}))
	demoCreate := func(fields map[string]any) map[string]any {
		client := map[string]any{
			"name": "v1", "type": "demo", "authentication": "type", "token": "demo-token",
		}
		for k, v := range fields {
			if v == nil {
				delete(client, k)
			} else {
				client[k] = v
			}
		}
		return map[string]any{"function": "create", "client": client}
	}
	tests := []struct {
		name string
		req  map[string]any
		want int
	}{
		{"getauth without client", map[string]any{"function": "getauth"}, codeInvalidArgument},
		{"getauth client not object", map[string]any{"function": "getauth", "client": "demo"},
			codeInvalidArgument},
		{"getauth type not string", map[string]any{"function": "getauth",
			"client": map[string]any{"type": 5}}, codeInvalidArgument},
		{"getauth unknown type", map[string]any{"function": "getauth",
			"client": map[string]any{"type": "nope"}}, codeUnknownClient},
		{"initauth unknown type", map[string]any{"function": "initauth",
			"client": map[string]any{"type": "nope", "method": "token"}}, codeUnknownClient},
		{"initauth missing method", map[string]any{"function": "initauth",
			"client": map[string]any{"type": "mail"}}, codeInvalidArgument},
		{"initauth method not allowed", map[string]any{"function": "initauth",
			"client": map[string]any{"type": "mail", "method": "totp"}}, codeMethodNotAllowed},
		{"initauth missing email", map[string]any{"function": "initauth",
			"client": map[string]any{"type": "mail", "method": "token"}}, codeInvalidArgument},
		{"initauth invalid email", map[string]any{"function": "initauth",
			"client": map[string]any{"type": "mail", "method": "token", "email": "nobody"}},
			codeInvalidArgument},
		{"initauth invalid mobile", map[string]any{"function": "initauth",
			"client": map[string]any{"type": "phone", "method": "name",
				"mobile": "call me", "rsa": "AQAB"}}, codeInvalidArgument},
		{"initauth invalid rsa", map[string]any{"function": "initauth",
			"client": map[string]any{"type": "phone", "method": "name",
				"mobile": "+44 7700 900123", "rsa": "not base64!"}}, codeInvalidArgument},
		{"initauth mobile and rsa", map[string]any{"function": "initauth",
			"client": map[string]any{"type": "phone", "method": "name",
				"mobile": "+44 7700 900123", "rsa": "AQAB"}}, codeSuccess},
		{"create valid", demoCreate(nil), codeSuccess},
		{"create missing name", demoCreate(map[string]any{"name": nil}), codeInvalidArgument},
		{"create empty name", demoCreate(map[string]any{"name": ""}), codeInvalidArgument},
		{"create missing type", demoCreate(map[string]any{"type": nil}), codeInvalidArgument},
		{"create unknown type", demoCreate(map[string]any{"type": "nope"}), codeUnknownClient},
		{"create missing authentication", demoCreate(map[string]any{"authentication": nil}),
			codeInvalidArgument},
		{"create method not allowed", demoCreate(map[string]any{"authentication": "token"}),
			codeMethodNotAllowed},
		{"create unknown method", demoCreate(map[string]any{"authentication": "magic"}),
			codeMethodNotAllowed},
		{"create missing token", demoCreate(map[string]any{"token": nil}), codeInvalidArgument},
		{"create wrong token", demoCreate(map[string]any{"token": "demo-tokem"}),
			codeInvalidToken},
		{"create token of other type", demoCreate(map[string]any{"token": "mail-token"}),
			codeInvalidToken},
		{"create extra fields ignored", demoCreate(map[string]any{"name": "v2",
			"email": "ops@example.com", "host": map[string]any{"os": "linux"}}), codeSuccess},
		{"create init method without clientid", map[string]any{"function": "create",
			"client": map[string]any{"name": "m1", "type": "mail", "authentication": "token",
				"token": "t1"}}, codeInvalidArgument},
		{"create unknown clientid", map[string]any{"function": "create",
			"client": map[string]any{"name": "m1", "type": "mail", "authentication": "token",
				"token": "t1", "clientid": "00112233"}}, codeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			wantStatus(t, c.call(clientPath, tt.req), tt.want)
		})
	}
}

func TestGetAuthListsMethods(t *testing.T) {
	c := newTestClient(t, StartTest(t, Options{Types: testTypes()}))
	var got struct {
		Type           string `json:"type"`
		Authentication []struct {
			Method   string   `json:"method"`
			Init     bool     `json:"init"`
			InitData []string `json:"initdata"`
		} `json:"authentication"`
	}
	c.call(clientPath, map[string]any{"function": "getauth",
		"client": map[string]any{"type": "mail"}}).decode(t, &got)

	if got.Type != "mail" {
		t.Errorf("type = %q, want mail", got.Type)
	}
	if len(got.Authentication) != 2 {
		t.Fatalf("authentication has %d methods, want 2", len(got.Authentication))
	}
	first, second := got.Authentication[0], got.Authentication[1]
	if first.Method != "token" || !first.Init || !slices.Equal(first.InitData, []string{"email"}) {
		t.Errorf("first method = %+v, want token, init, [email]", first)
	}
	if second.Method != "type" || second.Init || second.InitData == nil {
		t.Errorf("second method = %+v, want type, no init, empty initdata", second)
	}
}

func TestCreateReturnsAccount(t *testing.T) {
	srv := StartTest(t, Options{})
	c := newTestClient(t, srv)
	var got struct {
		credentials
		MaxAPIKeys         int    `json:"max_api_keys"`
		AuthenticationType string `json:"authenticationType"`
		Status             string `json:"status"`
		MaxObjects         int    `json:"maxobjects"`
	}
	c.call(clientPath, map[string]any{"function": "create", "client": map[string]any{
		"name": "acct", "type": "demo", "authentication": "type", "token": "demo-token",
	}}).decode(t, &got)

	if !uuidV4Pattern.MatchString(got.Username) {
		t.Errorf("username = %q, want a version 4 UUID", got.Username)
	}
	if !hex32Pattern.MatchString(got.Password) {
		t.Errorf("password = %q, want 32 hex characters", got.Password)
	}
	if got.MaxAPIKeys != 5 || got.MaxObjects != 1000 {
		t.Errorf("max_api_keys, maxobjects = %d, %d, want 5, 1000", got.MaxAPIKeys, got.MaxObjects)
	}
	if got.AuthenticationType != "PASSWORD" || got.Status != "ENABLED" {
		t.Errorf("authenticationType, status = %q, %q, want PASSWORD, ENABLED",
			got.AuthenticationType, got.Status)
	}
	if username, ok := srv.Sim.Username("acct"); !ok || username != got.Username {
		t.Errorf("Username(acct) = %q, %v, want %q, true", username, ok, got.Username)
	}
	if n := srv.Sim.ClientCount(); n != 1 {
		t.Errorf("ClientCount = %d, want 1", n)
	}
}

func TestRepeatedCreateRotatesPassword(t *testing.T) {
	srv := StartTest(t, Options{})
	c := newTestClient(t, srv)
	first := c.createDemo("again")
	second := c.createDemo("again")

	if second.Username != first.Username {
		t.Errorf("username = %q after repeated create, want %q", second.Username, first.Username)
	}
	if second.Password == first.Password {
		t.Error("repeated create returned the same password")
	}
	if n := srv.Sim.ClientCount(); n != 1 {
		t.Errorf("ClientCount = %d, want 1", n)
	}
	old := c.call(clientPath, map[string]any{"function": "addapi",
		"client": passwordClient(first)})
	wantStatus(t, old, codeWrongPassword)
	c.addKey(second)
}

func TestCreateNameOwnedByOneClient(t *testing.T) {
	c := newTestClient(t, StartTest(t, Options{Types: testTypes()}))
	create := func(typ, method, token string) result {
		return c.call(clientPath, map[string]any{"function": "create", "client": map[string]any{
			"name": "shared", "type": typ, "authentication": method, "token": token,
		}})
	}
	var first, again credentials
	create("tok", "token", "t1").decode(t, &first)

	wantStatus(t, create("tok", "token", "t2"), codeObjectExists)
	wantStatus(t, create("mail", "type", "mail-token"), codeObjectExists)
	create("tok", "token", "t1").decode(t, &again)
	if again.Username != first.Username {
		t.Errorf("username = %q for the same token, want %q", again.Username, first.Username)
	}
}

func TestInitAuthThenCreate(t *testing.T) {
	c := newTestClient(t, StartTest(t, Options{Types: testTypes()}))
	initAuth := func(typ, method string, data map[string]any) string {
		client := map[string]any{"type": typ, "method": method}
		for k, v := range data {
			client[k] = v
		}
		var got struct {
			ClientID string         `json:"clientid"`
			AuthData map[string]any `json:"authdata"`
		}
		c.call(clientPath, map[string]any{"function": "initauth", "client": client}).
			decode(t, &got)
		if got.ClientID == "" || got.AuthData == nil {
			t.Fatalf("initauth response = %+v, want a clientid and authdata", got)
		}
		return got.ClientID
	}
	mailID := initAuth("mail", "token", map[string]any{"email": "ops@example.com"})
	phoneID := initAuth("phone", "name",
		map[string]any{"mobile": "+44 7700 900123", "rsa": "AQAB"})
	create := func(clientID string) result {
		return c.call(clientPath, map[string]any{"function": "create", "client": map[string]any{
			"name": "m1", "type": "mail", "authentication": "token", "token": "t1",
			"clientid": clientID,
		}})
	}

	wantStatus(t, create(phoneID), codeInvalidArgument)
	wantStatus(t, create(mailID), codeSuccess)
}
