package ebapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

func TestMeaning(t *testing.T) {
	tests := []struct {
		code int
		want string
	}{
		{0x9000, "success"},
		{0xF019, "server not ready"},
		{0xA065, "incorrect password"},
		{0x1234, "unknown status"},
	}
	for _, tt := range tests {
		if got := Meaning(tt.code); got != tt.want {
			t.Errorf("Meaning(0x%04X) = %q, want %q", tt.code, got, tt.want)
		}
	}
}

func TestIsTransientCode(t *testing.T) {
	transient := []int{0x1006, 0x100F, 0x1075, 0x10A6, 0xF012, 0xF019}
	permanent := []int{0x1005, 0x10D0, 0x4078, 0x8068, 0xA065, 0xF030, 0x9000, 0x1234}
	for _, code := range transient {
		if !IsTransientCode(code) {
			t.Errorf("IsTransientCode(0x%04X) = false, want true", code)
		}
	}
	for _, code := range permanent {
		if IsTransientCode(code) {
			t.Errorf("IsTransientCode(0x%04X) = true, want false", code)
		}
	}
}

func TestIsTransient(t *testing.T) {
	server := "https://h:8445"
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"transient code", &StatusError{Code: 0xF012}, true},
		{"permanent code", &StatusError{Code: 0xA065}, false},
		{"wrapped permanent code", fmt.Errorf("ctx: %w", &StatusError{Code: 0x8068}), false},
		{"http 503", &HTTPError{StatusCode: 503}, true},
		{"http 429", &HTTPError{StatusCode: 429}, true},
		{"http 404", &HTTPError{StatusCode: 404}, false},
		{"http 302", &HTTPError{StatusCode: 302}, false},
		{"invalid response", &InvalidResponseError{Reason: "nonce"}, true},
		{"config", &ConfigError{Field: "f"}, false},
		{"canceled", fmt.Errorf("EB create: %w", context.Canceled), false},
		{"deadline", fmt.Errorf("EB create: %w", context.DeadlineExceeded), true},
		{"connection refused", &transportError{"create", server,
			&net.OpError{Op: "dial", Err: errors.New("connection refused")}}, true},
		{"failover of transient", &FailoverError{Tried: []string{"a", "b"},
			Err: &StatusError{Code: 0xF019}}, true},
		{"failover ending permanent", &FailoverError{Tried: []string{"a", "b"},
			Err: &StatusError{Code: 0xA065}}, false},
		{"other error", errors.New("json: unsupported value: NaN"), false},
	}
	for _, tt := range tests {
		if got := IsTransient(tt.err); got != tt.want {
			t.Errorf("%s: IsTransient(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

func TestErrorStrings(t *testing.T) {
	server := "https://h:8445"
	tests := []struct {
		err  error
		want string
	}{
		{&StatusError{Function: "create", Code: 0xF030, Server: server, Detail: "detail-text"},
			"EB create at https://h:8445: status 0xF030 (invalid authorization token)"},
		{&HTTPError{Function: "addapi", Server: server, StatusCode: 503},
			"EB addapi at https://h:8445: HTTP status 503"},
		{&InvalidResponseError{Function: "showapi", Server: server, Reason: "missing status"},
			"EB showapi at https://h:8445: invalid response: missing status"},
		{&FailoverError{Function: "create", Tried: []string{"https://a", "https://b"},
			Err: &HTTPError{Function: "create", Server: "https://b", StatusCode: 502}},
			"EB create failed on all 2 servers tried (https://a, https://b); " +
				"last error: EB create at https://b: HTTP status 502"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
	se := &StatusError{Function: "create", Code: 0xF030, Server: server, Detail: "detail-text"}
	if strings.Contains(se.Error(), se.Detail) {
		t.Errorf("StatusError.Error() %q contains Detail", se.Error())
	}
	ce := &ConfigError{Field: "registration.endpoints[1]", Value: "http://x",
		Reason: "scheme must be https; use https://host:port"}
	for _, part := range []string{ce.Field, ce.Value, "use https://"} {
		if !strings.Contains(ce.Error(), part) {
			t.Errorf("ConfigError.Error() %q lacks %q", ce.Error(), part)
		}
	}
}
