package ebapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Request paths of the two EB API families.
const (
	clientPath = "/api/v1/client"
	apikeyPath = "/api/v1/apikey"
)

// requestEnvelope is an EB request. The nonce is set per attempt.
type requestEnvelope struct {
	Nonce       string    `json:"nonce"`
	Version     int       `json:"version"`
	Function    string    `json:"function"`
	Environment string    `json:"environment,omitempty"`
	Client      any       `json:"client,omitempty"`
	Endpoint    *Endpoint `json:"endpoint,omitempty"`
	APIData     any       `json:"apidata,omitempty"`
	Operations  []string  `json:"operations,omitempty"`
}

// call sends one function to the registration servers in order until one
// returns a success or an error rules out failover. It returns the base URL
// of the server that succeeded. secrets are the request's secret values, removed
// from the server's text before it goes into a *StatusError.
func (c *Client) call(ctx context.Context, path string, env requestEnvelope,
	secrets []string, out any) (string, error) {
	env.Version = 1
	if env.Function == "clientip" {
		env.Environment = ""
	} else {
		env.Environment = c.environment
	}

	var tried []string
	var last error
	for _, base := range c.endpoints {
		if err := ctx.Err(); err != nil {
			last = fmt.Errorf("EB %s: %w", env.Function, err)
			break
		}
		tried = append(tried, base)
		last = c.attempt(ctx, base, path, env, secrets, out)
		if last == nil {
			return base, nil
		}
		if ctx.Err() != nil || !shouldFailover(last) {
			break
		}
	}
	if len(tried) > 1 {
		return "", &FailoverError{Function: env.Function, Tried: tried, Err: last}
	}
	return "", last
}

// shouldFailover reports whether err means this server cannot serve the
// request now, so the next server should get it. A permanent EB error or an
// HTTP 4xx would fail the same way on every server.
func shouldFailover(err error) bool {
	var te *transportError
	if errors.As(err, &te) {
		return true
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.StatusCode >= 500
	}
	var se *StatusError
	if errors.As(err, &se) {
		return isFailoverCode(se.Code)
	}
	return false
}

// attempt sends the request once to one server, with a fresh nonce.
func (c *Client) attempt(ctx context.Context, base, path string, env requestEnvelope,
	secrets []string, out any) error {
	fn := env.Function
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("EB %s: waiting for the rate limiter: %w", fn, ctx.Err())
			}
			// The limiter rejects a wait that would pass the deadline.
			return fmt.Errorf("EB %s: waiting for the rate limiter: %w",
				fn, context.DeadlineExceeded)
		}
	}

	nonce, err := newNonce()
	if err != nil {
		return fmt.Errorf("EB %s: generating nonce: %w", fn, err)
	}
	env.Nonce = nonce
	body, err := json.Marshal(env)
	if err != nil {
		// The marshal error names the type or value that failed, never
		// the body.
		return fmt.Errorf("EB %s: encoding request: %w", fn, err)
	}

	attemptCtx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(attemptCtx, http.MethodPost, base+path,
		bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("EB %s at %s: building request: %w", fn, base, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", "public")

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		observe(fn, outcomeError, start)
		return &transportError{function: fn, server: base, err: err}
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		observe(fn, httpLabel(resp.StatusCode), start)
		return &HTTPError{Function: fn, Server: base, StatusCode: resp.StatusCode}
	}

	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		observe(fn, outcomeError, start)
		return &transportError{function: fn, server: base,
			err: fmt.Errorf("reading response: %w", err)}
	}
	status, detail, err := decodeResponse(data, nonce, out)
	if err != nil {
		observe(fn, outcomeError, start)
		return &InvalidResponseError{Function: fn, Server: base, Reason: err.Error()}
	}
	observe(fn, statusLabel(status), start)
	if status != StatusOK {
		return &StatusError{Function: fn, Code: status, Server: base,
			Detail: redact(detail, secrets)}
	}
	return nil
}

func newNonce() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// redactedText is the placeholder for secret values in server text.
const redactedText = "[redacted]"

// redact replaces every secret in text, in its raw form and in the escaped
// forms a JSON encoder would give it, because servers may echo the request
// body inside their text.
func redact(text string, secrets []string) string {
	for _, s := range secrets {
		if s == "" {
			continue
		}
		for _, form := range secretForms(s) {
			text = strings.ReplaceAll(text, form, redactedText)
		}
	}
	return text
}

func secretForms(s string) []string {
	forms := []string{s}
	var buf bytes.Buffer
	for _, escapeHTML := range []bool{true, false} {
		buf.Reset()
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(escapeHTML)
		if enc.Encode(s) != nil {
			continue
		}
		quoted := strings.TrimSuffix(buf.String(), "\n")
		forms = append(forms, quoted[1:len(quoted)-1])
	}
	return forms
}
