package ebsim

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// result is a decoded response envelope.
type result struct {
	HTTPStatus   int             `json:"-"`
	Version      int             `json:"version"`
	Status       int             `json:"status"`
	Error        string          `json:"error"`
	StatusDetail string          `json:"statusdetail"`
	Nonce        string          `json:"nonce"`
	Timestamp    int64           `json:"timestamp"`
	Response     json.RawMessage `json:"response"`
}

// testClient calls a simulator over HTTPS, trusting only its CA.
type testClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func newTestClient(t *testing.T, srv *Server) *testClient {
	t.Helper()
	return &testClient{t: t, base: srv.URL, http: httpsClient(t, srv.CAPEM)}
}

func httpsClient(t testing.TB, caPEM []byte) *http.Client {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("CA PEM contains no certificate")
	}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
			MaxIdleConnsPerHost: 32,
		},
	}
}

// postRaw sends body to path with the given Content-Type and decodes the
// envelope when the response is JSON.
func (c *testClient) postRaw(path, contentType string, body []byte) result {
	c.t.Helper()
	return postTo(c.t, c.http, c.base+path, contentType, body)
}

func postTo(t testing.TB, client *http.Client, url, contentType string, body []byte) result {
	t.Helper()
	resp, err := client.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response of POST %s: %v", url, err)
	}
	var out result
	if resp.Header.Get("Content-Type") == "application/json" {
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("decode response of POST %s: %v; body %s", url, err, data)
		}
	}
	out.HTTPStatus = resp.StatusCode
	return out
}

// call sends an EB request built from req, filling nonce, version and
// environment when req lacks them; a nil value removes the member.
func (c *testClient) call(path string, req map[string]any) result {
	c.t.Helper()
	return c.postRaw(path, "application/json", requestBody(c.t, req))
}

func requestBody(t testing.TB, req map[string]any) []byte {
	t.Helper()
	full := map[string]any{"nonce": "0123456789abcdef", "version": 1, "environment": "test"}
	for k, v := range req {
		full[k] = v
	}
	for k, v := range full {
		if v == nil {
			delete(full, k)
		}
	}
	body, err := json.Marshal(full)
	if err != nil {
		t.Fatalf("encode request: %v", err)
	}
	return body
}

// decode decodes a successful call's response object into v.
func (r result) decode(t testing.TB, v any) {
	t.Helper()
	if r.Status != codeSuccess {
		t.Fatalf("status = 0x%X (%s: %s), want 0x9000", r.Status, r.Error, r.StatusDetail)
	}
	if err := json.Unmarshal(r.Response, v); err != nil {
		t.Fatalf("decode response %s: %v", r.Response, err)
	}
}

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// createDemo registers a client of the demo type and returns its
// credentials.
func (c *testClient) createDemo(name string) credentials {
	c.t.Helper()
	var creds credentials
	c.call(clientPath, map[string]any{
		"function": "create",
		"client": map[string]any{
			"name": name, "type": "demo", "authentication": "type", "token": "demo-token",
		},
	}).decode(c.t, &creds)
	return creds
}

// passwordClient is the client object that addapi and showapi require.
func passwordClient(creds credentials) map[string]any {
	return map[string]any{
		"authentication": "password", "username": creds.Username, "password": creds.Password,
	}
}

type keyResponse struct {
	APIKey  string `json:"apikey"`
	Servers []struct {
		Name           string `json:"name"`
		Domain         string `json:"domain"`
		Environment    string `json:"environment"`
		FQDN           string `json:"fqdn"`
		EnrolEndpoints []struct {
			Protocol string `json:"protocol"`
			Port     int    `json:"port"`
		} `json:"enrolEndpoints"`
		UseEndpoints []struct {
			Protocol string `json:"protocol"`
			Port     int    `json:"port"`
		} `json:"useEndpoints"`
	} `json:"servers"`
	Operations []struct {
		Operation     int    `json:"operation"`
		OperationName string `json:"operationname"`
		Status        string `json:"status"`
	} `json:"operations"`
	Status string `json:"status"`
}

// addKey issues an API key to the client and returns the response.
func (c *testClient) addKey(creds credentials) keyResponse {
	c.t.Helper()
	var key keyResponse
	c.call(clientPath, map[string]any{
		"function": "addapi", "client": passwordClient(creds),
	}).decode(c.t, &key)
	return key
}

// wantStatus fails the test unless the call returned code.
func wantStatus(t testing.TB, got result, code int) {
	t.Helper()
	if got.HTTPStatus != http.StatusOK {
		t.Fatalf("HTTP status = %d, want 200", got.HTTPStatus)
	}
	if got.Status != code {
		t.Fatalf("status = 0x%X (%s: %s), want 0x%X", got.Status, got.Error, got.StatusDetail,
			code)
	}
}
