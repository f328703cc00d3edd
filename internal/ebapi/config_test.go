package ebapi

import (
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestNewRejectsInvalidOptions(t *testing.T) {
	valid := "https://registration.example:8445"
	tests := []struct {
		name      string
		opts      Options
		wantField string
	}{
		{"http scheme", Options{Endpoints: []string{"http://registration.example:8445"}},
			"registration.endpoints[0]"},
		{"user information", Options{Endpoints: []string{valid, "https://u:p@registration.example"}},
			"registration.endpoints[1]"},
		{"query", Options{Endpoints: []string{valid + "/?x=1"}}, "registration.endpoints[0]"},
		{"fragment", Options{Endpoints: []string{valid + "#top"}}, "registration.endpoints[0]"},
		{"no host", Options{Endpoints: []string{"https:///path"}}, "registration.endpoints[0]"},
		{"not a URL", Options{Endpoints: []string{"https://bad host:1"}}, "registration.endpoints[0]"},
		{"host not allowed", Options{Endpoints: []string{valid}, AllowedHosts: DefaultAllowedHosts},
			"registration.endpoints[0]"},
		{"empty allowed list", Options{Endpoints: []string{valid}, AllowedHosts: []string{}},
			"registration.endpoints[0]"},
		{"garbage CA bundle", Options{Endpoints: []string{valid}, CABundle: []byte("not pem")},
			"registration.caBundle"},
		{"key in CA bundle", Options{Endpoints: []string{valid},
			CABundle: []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")},
			"registration.caBundle"},
		{"negative timeout", Options{Endpoints: []string{valid}, Timeout: -time.Second},
			"registration.timeout"},
		{"unknown environment", Options{Endpoints: []string{valid}, Environment: "staging"},
			"registration.environment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.Environment == "" {
				tt.opts.Environment = "prod"
			}
			_, err := New(tt.opts)
			var ce *ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("New error = %v (%T), want *ConfigError", err, err)
			}
			if ce.Field != tt.wantField {
				t.Errorf("Field = %q, want %q", ce.Field, tt.wantField)
			}
			if !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("Error() %q does not name the field", err.Error())
			}
			if IsTransient(err) {
				t.Error("IsTransient = true for a configuration error, want false")
			}
		})
	}
}

func TestNewAcceptsValidOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"defaults", Options{AllowedHosts: DefaultAllowedHosts}, DefaultEndpoints},
		{"allowed host in other case", Options{
			Endpoints:    []string{"https://HUT6.EnigmaBridge.com:8445/"},
			AllowedHosts: DefaultAllowedHosts,
		}, []string{"https://HUT6.EnigmaBridge.com:8445"}},
		{"IPv6 literal", Options{
			Endpoints:    []string{"https://[::1]:8445"},
			AllowedHosts: []string{"[::1]"},
		}, []string{"https://[::1]:8445"}},
		{"no restriction", Options{Endpoints: []string{"https://127.0.0.1:1"}},
			[]string{"https://127.0.0.1:1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Environment = "dev"
			c, err := New(tt.opts)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := c.Endpoints(); strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("Endpoints() = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestDisallowedHostNotContacted checks that New rejects an endpoint whose
// host is not allowed before anything connects to it.
func TestDisallowedHostNotContacted(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	var accepted atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			_ = conn.Close()
		}
	}()

	endpoint := "https://" + ln.Addr().String()
	_, err = New(Options{
		Endpoints:    []string{endpoint},
		Environment:  "prod",
		AllowedHosts: []string{"localhost"},
	})
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("New error = %v (%T), want *ConfigError", err, err)
	}
	if ce.Value != endpoint {
		t.Errorf("Value = %q, want %q", ce.Value, endpoint)
	}

	// Closing the listener ends the accept loop, so every accept the
	// client could have caused is counted before the check.
	_ = ln.Close()
	<-done
	if got := accepted.Load(); got != 0 {
		t.Errorf("listener accepted %d connections, want 0", got)
	}
}
