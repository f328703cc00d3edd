package ebsim

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestEnvelopeValidation(t *testing.T) {
	c := newTestClient(t, StartTest(t, Options{}))
	const env = `"nonce":"n1","version":1,"environment":"dev"`
	tests := []struct {
		name        string
		path        string
		contentType string
		body        string
		want        int
	}{
		{"bad JSON", clientPath, "", `{"nonce":`, codeParseFailed},
		{"JSON array", clientPath, "", `[1,2]`, codeParseFailed},
		{"JSON null", clientPath, "", `null`, codeParseFailed},
		{"empty body", clientPath, "", ``, codeParseFailed},
		{"text content type", apikeyPath, "text/plain",
			`{"nonce":"n1","version":1,"function":"clientip"}`, codeParseFailed},
		{"missing content type", apikeyPath, "-",
			`{"nonce":"n1","version":1,"function":"clientip"}`, codeParseFailed},
		{"charset parameter", apikeyPath, "application/json; charset=utf-8",
			`{"nonce":"n1","version":1,"function":"clientip"}`, codeSuccess},
		{"missing nonce", apikeyPath, "", `{"version":1,"function":"clientip"}`,
			codeMissingNonce},
		{"empty nonce", apikeyPath, "", `{"nonce":"","version":1,"function":"clientip"}`,
			codeMissingNonce},
		{"numeric nonce", apikeyPath, "", `{"nonce":7,"version":1,"function":"clientip"}`,
			codeMissingNonce},
		{"version 2", apikeyPath, "", `{"nonce":"n1","version":2,"function":"clientip"}`,
			codeVersionUnsupported},
		{"version as string", apikeyPath, "",
			`{"nonce":"n1","version":"1","function":"clientip"}`, codeVersionUnsupported},
		{"version missing", apikeyPath, "", `{"nonce":"n1","function":"clientip"}`,
			codeVersionUnsupported},
		{"unknown function", clientPath, "", `{` + env + `,"function":"delete"}`,
			codeUnknownOperation},
		{"missing function", clientPath, "", `{` + env + `}`, codeUnknownOperation},
		{"upper-case function", apikeyPath, "", `{` + env + `,"function":"CLIENTIP"}`,
			codeUnknownOperation},
		{"create on apikey path", apikeyPath, "", `{` + env + `,"function":"create"}`,
			codeUnknownOperation},
		{"listops on client path", clientPath, "", `{` + env + `,"function":"listops"}`,
			codeUnknownOperation},
		{"clientip on client path", clientPath, "", `{` + env + `,"function":"clientip"}`,
			codeUnknownOperation},
		{"missing environment", clientPath, "",
			`{"nonce":"n1","version":1,"function":"getauth","client":{"type":"demo"}}`,
			codeInvalidArgument},
		{"unknown environment", clientPath, "",
			`{"nonce":"n1","version":1,"environment":"stage","function":"getauth",` +
				`"client":{"type":"demo"}}`, codeInvalidArgument},
		{"clientip without environment", apikeyPath, "",
			`{"nonce":"n1","version":1,"function":"clientip"}`, codeSuccess},
		{"unknown fields ignored", clientPath, "",
			`{` + env + `,"function":"getauth","extra":{"a":[1]},` +
				`"client":{"type":"demo","colour":"blue"}}`, codeSuccess},
		{"body over 1 MiB", apikeyPath, "",
			`{"nonce":"n1","version":1,"function":"clientip","pad":"` +
				strings.Repeat("x", maxBodyBytes) + `"}`, codeInputTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			contentType := tt.contentType
			switch contentType {
			case "":
				contentType = "application/json"
			case "-":
				contentType = ""
			}
			got := c.postRaw(tt.path, contentType, []byte(tt.body))
			wantStatus(t, got, tt.want)
			if got.Version != 1 {
				t.Errorf("version = %d, want 1", got.Version)
			}
			if got.Error == "" {
				t.Error("error text is empty")
			}
			if got.Status != codeSuccess && string(got.Response) != "null" {
				t.Errorf("response = %s, want null on failure", got.Response)
			}
		})
	}
}

func TestEnvelopeEchoesNonce(t *testing.T) {
	c := newTestClient(t, StartTest(t, Options{}))
	before := time.Now().UnixMilli()
	got := c.postRaw(apikeyPath, "application/json",
		[]byte(`{"nonce":"a1b2c3d4e5f60718","version":1,"function":"clientip"}`))
	after := time.Now().UnixMilli()

	wantStatus(t, got, codeSuccess)
	if got.Nonce != "a1b2c3d4e5f60718" {
		t.Errorf("nonce = %q, want a1b2c3d4e5f60718", got.Nonce)
	}
	if got.Error != "success (ok)" {
		t.Errorf("error = %q, want \"success (ok)\"", got.Error)
	}
	if got.Timestamp < before || got.Timestamp > after {
		t.Errorf("timestamp = %d, want within [%d, %d]", got.Timestamp, before, after)
	}

	// A rejected call echoes the nonce too.
	got = c.postRaw(apikeyPath, "application/json",
		[]byte(`{"nonce":"ffee","version":3,"function":"clientip"}`))
	if got.Nonce != "ffee" {
		t.Errorf("nonce of rejected call = %q, want ffee", got.Nonce)
	}
}

func TestHTTPRouting(t *testing.T) {
	srv := StartTest(t, Options{})
	client := httpsClient(t, srv.CAPEM)
	tests := []struct {
		name   string
		method string
		path   string
		want   int
	}{
		{"GET client path", http.MethodGet, clientPath, http.StatusMethodNotAllowed},
		{"PUT apikey path", http.MethodPut, apikeyPath, http.StatusMethodNotAllowed},
		{"unknown path", http.MethodPost, "/api/v1/other", http.StatusNotFound},
		{"trailing slash", http.MethodPost, clientPath + "/", http.StatusNotFound},
		{"admin without Admin", http.MethodGet, "/admin/calls", http.StatusNotFound},
		{"admin under EB path", http.MethodGet, clientPath + "/admin/calls",
			http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, srv.URL+tt.path,
				strings.NewReader(`{"nonce":"n","version":1,"function":"clientip"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s %s: %v", tt.method, tt.path, err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("HTTP status = %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}
