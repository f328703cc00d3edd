package ebsim

import (
	"fmt"
	"net/url"
	"strconv"
	"testing"
)

func TestAPIKeyFunctionValidation(t *testing.T) {
	srv := StartTest(t, Options{})
	c := newTestClient(t, srv)
	owner := c.createDemo("owner")
	other := c.createDemo("other")
	key := c.addKey(owner).APIKey
	otherKey := c.addKey(other).APIKey

	addapi := func(extra map[string]any) map[string]any {
		req := map[string]any{"function": "addapi", "client": passwordClient(owner)}
		for k, v := range extra {
			req[k] = v
		}
		return req
	}
	withClient := func(function string, client map[string]any) map[string]any {
		return map[string]any{"function": function, "client": client,
			"apidata": map[string]any{"apikey": key}}
	}
	wrongPassword := passwordClient(owner)
	wrongPassword["password"] = "00000000000000000000000000000000"
	unknownUser := passwordClient(owner)
	unknownUser["username"] = "5f0c3a54-1111-4222-8333-944455556666"
	tokenAuth := passwordClient(owner)
	tokenAuth["authentication"] = "token"
	noPassword := passwordClient(owner)
	delete(noPassword, "password")
	listops := func(username, apikey string) map[string]any {
		return map[string]any{"function": "listops",
			"apidata": map[string]any{"username": username, "apikey": apikey}}
	}
	tests := []struct {
		name string
		path string
		req  map[string]any
		want int
	}{
		{"addapi wrong password", clientPath, withClient("addapi", wrongPassword),
			codeWrongPassword},
		{"addapi unknown username", clientPath, withClient("addapi", unknownUser),
			codeWrongPassword},
		{"addapi token authentication", clientPath, withClient("addapi", tokenAuth),
			codeMethodNotAllowed},
		{"addapi missing password", clientPath, withClient("addapi", noPassword),
			codeInvalidArgument},
		{"addapi missing client", clientPath, map[string]any{"function": "addapi"},
			codeInvalidArgument},
		{"addapi full endpoint", clientPath, addapi(map[string]any{"endpoint": map[string]any{
			"ipv4": "192.0.2.1", "ipv6": "2001:db8::1", "email": "ops@example.com",
			"country": "GB", "network": "192.0.2.0/24", "location": []any{51.5, -0.12},
			"datacenter": "dc1", "hostid": "i-0abc", "productcode": "p1",
			"instancetype": "t3.small", "rack": 4,
		}}), codeSuccess},
		{"addapi endpoint not object", clientPath, addapi(map[string]any{"endpoint": "GB"}),
			codeInvalidArgument},
		{"addapi endpoint hostid number", clientPath,
			addapi(map[string]any{"endpoint": map[string]any{"hostid": 5}}), codeInvalidArgument},
		{"addapi country three letters", clientPath,
			addapi(map[string]any{"endpoint": map[string]any{"country": "GBR"}}),
			codeInvalidArgument},
		{"addapi country digits", clientPath,
			addapi(map[string]any{"endpoint": map[string]any{"country": "G1"}}),
			codeInvalidArgument},
		{"addapi latitude 91", clientPath,
			addapi(map[string]any{"endpoint": map[string]any{"location": []any{91, 0}}}),
			codeInvalidArgument},
		{"addapi longitude -181", clientPath,
			addapi(map[string]any{"endpoint": map[string]any{"location": []any{0, -181}}}),
			codeInvalidArgument},
		{"addapi location three numbers", clientPath,
			addapi(map[string]any{"endpoint": map[string]any{"location": []any{1, 2, 3}}}),
			codeInvalidArgument},
		{"addapi location strings", clientPath,
			addapi(map[string]any{"endpoint": map[string]any{"location": []any{"1", "2"}}}),
			codeInvalidArgument},
		{"addapi location object", clientPath, addapi(map[string]any{"endpoint": map[string]any{
			"location": map[string]any{"lat": 1, "lon": 2}}}), codeInvalidArgument},
		{"addapi location bounds", clientPath,
			addapi(map[string]any{"endpoint": map[string]any{"location": []any{-90, 180}}}),
			codeSuccess},
		{"addapi unknown operation", clientPath,
			addapi(map[string]any{"operations": []any{"PLAINAES", "DES"}}),
			codeOperationNotAvail},
		{"addapi operations not list", clientPath,
			addapi(map[string]any{"operations": "PLAINAES"}), codeInvalidArgument},
		{"showapi own key", clientPath, withClient("showapi", passwordClient(owner)),
			codeSuccess},
		{"showapi other client's key", clientPath, map[string]any{"function": "showapi",
			"client": passwordClient(owner), "apidata": map[string]any{"apikey": otherKey}},
			codeInvalidAPIKey},
		{"showapi unknown key", clientPath, map[string]any{"function": "showapi",
			"client": passwordClient(owner), "apidata": map[string]any{"apikey": "abcd"}},
			codeInvalidAPIKey},
		{"showapi missing apidata", clientPath, map[string]any{"function": "showapi",
			"client": passwordClient(owner)}, codeInvalidArgument},
		{"showapi wrong password", clientPath, withClient("showapi", wrongPassword),
			codeWrongPassword},
		{"listops own key", apikeyPath, listops(owner.Username, key), codeSuccess},
		{"listops unknown key", apikeyPath, listops(owner.Username, "abcd"), codeInvalidAPIKey},
		{"listops other client's key", apikeyPath, listops(owner.Username, otherKey),
			codeInvalidAPIKey},
		{"listops missing username", apikeyPath, map[string]any{"function": "listops",
			"apidata": map[string]any{"apikey": key}}, codeInvalidArgument},
		{"listops missing apidata", apikeyPath, map[string]any{"function": "listops"},
			codeInvalidArgument},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			wantStatus(t, c.call(tt.path, tt.req), tt.want)
		})
	}
}

func TestAddAPIReturnsKeyAndServer(t *testing.T) {
	srv := StartTest(t, Options{})
	c := newTestClient(t, srv)
	key := c.addKey(c.createDemo("k"))
	base, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(base.Port())

	if !hex32Pattern.MatchString(key.APIKey) {
		t.Errorf("apikey = %q, want 32 hex characters", key.APIKey)
	}
	if key.Status != "enabled" {
		t.Errorf("status = %q, want enabled", key.Status)
	}
	if len(key.Servers) != 1 {
		t.Fatalf("servers has %d entries, want 1", len(key.Servers))
	}
	server := key.Servers[0]
	if server.Name != "sim-1" || server.Domain != "default" || server.Environment != "test" {
		t.Errorf("server name, domain, environment = %q, %q, %q, want sim-1, default, test",
			server.Name, server.Domain, server.Environment)
	}
	if server.FQDN != "127.0.0.1" {
		t.Errorf("fqdn = %q, want 127.0.0.1", server.FQDN)
	}
	wantEndpoints := fmt.Sprintf("[{tcp 11112} {https %d}] [{tcp 11110} {https %d}]", port, port)
	gotEndpoints := fmt.Sprintf("%v %v", server.EnrolEndpoints, server.UseEndpoints)
	if gotEndpoints != wantEndpoints {
		t.Errorf("enrol and use endpoints = %s, want %s", gotEndpoints, wantEndpoints)
	}
	wantOps := "[{1 PLAINAES enabled} {2 RSA2048 enabled} {3 RANDOM enabled}]"
	if got := fmt.Sprintf("%v", key.Operations); got != wantOps {
		t.Errorf("operations = %s, want %s", got, wantOps)
	}
	if n := srv.Sim.KeyCount(); n != 1 {
		t.Errorf("KeyCount = %d, want 1", n)
	}
}

func TestAddAPIServerOverride(t *testing.T) {
	srv := StartTest(t, Options{ServerFQDN: "eb.example.test", ServerPort: 9443})
	c := newTestClient(t, srv)
	key := c.addKey(c.createDemo("k"))
	server := key.Servers[0]

	if server.FQDN != "eb.example.test" {
		t.Errorf("fqdn = %q, want eb.example.test", server.FQDN)
	}
	if server.UseEndpoints[1].Port != 9443 || server.EnrolEndpoints[1].Port != 9443 {
		t.Errorf("https ports = %d, %d, want 9443", server.UseEndpoints[1].Port,
			server.EnrolEndpoints[1].Port)
	}
}

func TestAPIKeyUsableOnProcessingServer(t *testing.T) {
	srv := StartTest(t, Options{})
	c := newTestClient(t, srv)
	creds := c.createDemo("k")
	var key keyResponse
	c.call(clientPath, map[string]any{"function": "addapi", "client": passwordClient(creds),
		"operations": []any{"RANDOM", "PLAINAES", "RANDOM"}}).decode(t, &key)
	server := key.Servers[0]
	processURL := fmt.Sprintf("https://%s:%d", server.FQDN, server.UseEndpoints[1].Port)

	var ops struct {
		Operations map[string]struct {
			ID     int    `json:"id"`
			Status string `json:"status"`
		} `json:"operations"`
	}
	body := requestBody(t, map[string]any{"function": "listops",
		"apidata": map[string]any{"username": creds.Username, "apikey": key.APIKey}})
	postTo(t, c.http, processURL+apikeyPath, "application/json", body).decode(t, &ops)

	if len(ops.Operations) != 2 {
		t.Fatalf("listops returned %d operations, want 2: %v", len(ops.Operations), ops)
	}
	if op := ops.Operations["RANDOM"]; op.ID != 3 || op.Status != "enabled" {
		t.Errorf("RANDOM = %+v, want id 3, enabled", op)
	}
	if op := ops.Operations["PLAINAES"]; op.ID != 1 || op.Status != "enabled" {
		t.Errorf("PLAINAES = %+v, want id 1, enabled", op)
	}
}

func TestShowAPIMatchesAddAPI(t *testing.T) {
	c := newTestClient(t, StartTest(t, Options{Types: testTypes()}))
	var creds credentials
	c.call(clientPath, map[string]any{"function": "create", "environment": "prod",
		"client": map[string]any{"name": "m", "type": "mail", "authentication": "type",
			"token": "mail-token"}}).decode(t, &creds)
	var added, shown keyResponse
	c.call(clientPath, map[string]any{"function": "addapi", "environment": "prod",
		"client": passwordClient(creds)}).decode(t, &added)
	c.call(clientPath, map[string]any{"function": "showapi", "client": passwordClient(creds),
		"apidata": map[string]any{"apikey": added.APIKey}}).decode(t, &shown)

	if got, want := fmt.Sprintf("%+v", shown), fmt.Sprintf("%+v", added); got != want {
		t.Errorf("showapi = %s, want the addapi response %s", got, want)
	}
	if added.Servers[0].Environment != "prod" {
		t.Errorf("environment = %q, want prod", added.Servers[0].Environment)
	}
	wantOps := "[{7 HMAC disabled}]"
	if got := fmt.Sprintf("%v", added.Operations); got != wantOps {
		t.Errorf("operations = %s, want %s", got, wantOps)
	}
}

func TestAddAPIMaxKeys(t *testing.T) {
	srv := StartTest(t, Options{Types: testTypes()})
	c := newTestClient(t, srv)
	var creds credentials
	c.call(clientPath, map[string]any{"function": "create", "client": map[string]any{
		"name": "one-key", "type": "mail", "authentication": "type", "token": "mail-token",
	}}).decode(t, &creds)
	c.addKey(creds)

	got := c.call(clientPath, map[string]any{"function": "addapi",
		"client": passwordClient(creds)})

	wantStatus(t, got, codeCapacityReached)
	if n := srv.Sim.KeyCount(); n != 1 {
		t.Errorf("KeyCount = %d, want 1", n)
	}
}

func TestClientIP(t *testing.T) {
	c := newTestClient(t, StartTest(t, Options{}))
	var got struct {
		IPv4 *string `json:"ipv4"`
		IPv6 *string `json:"ipv6"`
	}
	c.call(apikeyPath, map[string]any{"function": "clientip", "environment": nil}).
		decode(t, &got)

	if got.IPv4 == nil || *got.IPv4 != "127.0.0.1" {
		t.Errorf("ipv4 = %v, want 127.0.0.1", got.IPv4)
	}
	if got.IPv6 != nil {
		t.Errorf("ipv6 = %q, want null", *got.IPv6)
	}
}
