package ebapi

import (
	"encoding/json"
	"strings"
	"testing"
)

const testNonce = "00112233aabbccdd"

func TestDecodeResponse(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantDetail string
		wantErr    string
	}{
		{"success", `{"status":36864,"nonce":"` + testNonce + `","response":{"clientid":"c1"}}`,
			0x9000, "", ""},
		{"hex status", `{"status":"0x9000","nonce":"` + testNonce + `","response":{}}`,
			0x9000, "", ""},
		{"hex status upper prefix", `{"status":"0X9000","nonce":"` + testNonce + `","response":{}}`,
			0x9000, "", ""},
		{"bare hex status", `{"status":"9000","nonce":"` + testNonce + `","response":{}}`,
			0x9000, "", ""},
		{"error prefers statusdetail", `{"status":41061,"error":"short","statusdetail":"long",` +
			`"nonce":"` + testNonce + `"}`, 0xA065, "long", ""},
		{"error text without statusdetail", `{"status":"0xF030","error":"short","nonce":""}`,
			0xF030, "short", ""},
		{"error without nonce", `{"status":32826}`, 0x803A, "", ""},
		{"error with other nonce", `{"status":32826,"nonce":"ffff"}`, 0, "", "nonce"},
		{"success with other nonce", `{"status":36864,"nonce":"ffff","response":{}}`, 0, "", "nonce"},
		{"success without nonce", `{"status":36864,"response":{}}`, 0, "", "nonce"},
		{"missing status", `{"nonce":"` + testNonce + `","response":{}}`, 0, "", "missing status"},
		{"null status", `{"status":null,"nonce":"` + testNonce + `"}`, 0, "", "missing status"},
		{"fractional status", `{"status":36864.5,"nonce":"` + testNonce + `"}`, 0, "", "status"},
		{"negative status", `{"status":-1,"nonce":"` + testNonce + `"}`, 0, "", "status"},
		{"bad hex status", `{"status":"0xZZ","nonce":"` + testNonce + `"}`, 0, "", "status"},
		{"boolean status", `{"status":true,"nonce":"` + testNonce + `"}`, 0, "", "status"},
		{"null response", `{"status":36864,"nonce":"` + testNonce + `","response":null}`,
			0, "", "response"},
		{"wrong response shape", `{"status":36864,"nonce":"` + testNonce +
			`","response":{"clientid":5}}`, 0, "", "response"},
		{"not JSON", `<html>`, 0, "", "JSON"},
		{"JSON array", `[1]`, 0, "", "JSON"},
		{"oversized", `{"status":36864,"pad":"` + strings.Repeat("x", maxResponseBytes) + `"}`,
			0, "", "1 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out InitAuthResponse
			status, detail, err := decodeResponse([]byte(tt.body), testNonce, &out)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("decodeResponse returned status 0x%04X, want an error about %s",
						status, tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q does not mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("decodeResponse: %v", err)
			}
			if status != tt.wantStatus {
				t.Errorf("status = 0x%04X, want 0x%04X", status, tt.wantStatus)
			}
			if detail != tt.wantDetail {
				t.Errorf("detail = %q, want %q", detail, tt.wantDetail)
			}
		})
	}
}

func TestDecodeResponseFillsOut(t *testing.T) {
	body := `{"status":36864,"nonce":"` + testNonce + `","response":{"apikey":"ab",` +
		`"servers":[{"fqdn":"p.example","useEndpoints":[{"protocol":"https","port":11180}]}],` +
		`"operations":[{"operation":1,"operationname":"PLAINAES","status":"enabled"}]}}`
	var out APIKeyResponse
	if _, _, err := decodeResponse([]byte(body), testNonce, &out); err != nil {
		t.Fatalf("decodeResponse: %v", err)
	}
	if out.APIKey != "ab" {
		t.Errorf("APIKey = %q, want ab", out.APIKey)
	}
	if len(out.Servers) != 1 || out.Servers[0].UseEndpoints[0].Port != 11180 {
		t.Errorf("Servers = %+v, want p.example with port 11180", out.Servers)
	}
	if len(out.Operations) != 1 || out.Operations[0].Name != "PLAINAES" {
		t.Errorf("Operations = %+v, want PLAINAES", out.Operations)
	}
}

func FuzzDecodeResponse(f *testing.F) {
	seeds := []string{
		`{"status":36864,"nonce":"` + testNonce + `","response":{}}`,
		`{"status":"0x9000","nonce":"` + testNonce + `","response":{"username":"u"}}`,
		`{"status":"9000","nonce":"` + testNonce + `","response":{"max_api_keys":"5"}}`,
		`{"status":61465,"error":"server not ready","nonce":"` + testNonce + `"}`,
		`{"status":36864,"nonce":"other","response":{}}`,
		`{"status":36864,"response":{}}`,
		`{"status":null}`,
		`{"status":"0x"}`,
		`{"status":1e400}`,
		`{"status":"-0x1"}`,
		`[]`,
		`null`,
		``,
		`{`,
	}
	for _, seed := range seeds {
		f.Add([]byte(seed), testNonce)
	}
	f.Fuzz(func(t *testing.T, body []byte, nonce string) {
		var out CreateResponse
		status, _, err := decodeResponse(body, nonce, &out)
		if err != nil {
			return
		}
		if status < 0 {
			t.Fatalf("status %d is negative", status)
		}
		if status != StatusOK {
			return
		}
		var env struct {
			Nonce string `json:"nonce"`
		}
		if json.Unmarshal(body, &env) != nil || env.Nonce != nonce || nonce == "" {
			t.Fatalf("success for a body whose nonce %q does not match %q", env.Nonce, nonce)
		}
	})
}
