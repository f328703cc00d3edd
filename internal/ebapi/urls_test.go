package ebapi

import (
	"encoding/json"
	"testing"
)

func TestServerURLs(t *testing.T) {
	https := func(port int) PortSpec { return PortSpec{Protocol: "https", Port: port} }
	tcp := func(port int) PortSpec { return PortSpec{Protocol: "tcp", Port: port} }
	tests := []struct {
		name        string
		servers     []Server
		wantProcess string
		wantEnrol   string
	}{
		{"none", nil, "", ""},
		{"first https entry", []Server{{
			FQDN:           "site1.example",
			UseEndpoints:   []PortSpec{tcp(11110), https(11180), https(11181)},
			EnrolEndpoints: []PortSpec{https(11182)},
		}}, "https://site1.example:11180", "https://site1.example:11182"},
		{"skips server without https", []Server{
			{FQDN: "tcp-only.example", UseEndpoints: []PortSpec{tcp(11110)}},
			{FQDN: "site2.example", UseEndpoints: []PortSpec{https(443)},
				EnrolEndpoints: []PortSpec{https(444)}},
		}, "https://site2.example:443", "https://site2.example:444"},
		{"IPv6 literal", []Server{{
			FQDN: "2001:db8::1", UseEndpoints: []PortSpec{https(11180)},
		}}, "https://[2001:db8::1]:11180", ""},
		{"invalid port and empty fqdn", []Server{
			{FQDN: "", UseEndpoints: []PortSpec{https(1)}},
			{FQDN: "p.example", UseEndpoints: []PortSpec{https(0), https(70000)}},
		}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ProcessingURL(tt.servers)
			if got != tt.wantProcess || ok != (tt.wantProcess != "") {
				t.Errorf("ProcessingURL = %q, %v; want %q", got, ok, tt.wantProcess)
			}
			got, ok = EnrolURL(tt.servers)
			if got != tt.wantEnrol || ok != (tt.wantEnrol != "") {
				t.Errorf("EnrolURL = %q, %v; want %q", got, ok, tt.wantEnrol)
			}
		})
	}
}

func TestConfigURL(t *testing.T) {
	tests := []struct {
		endpoint, apiKey, want string
	}{
		{"https://fqdn:11180", "abc", "https://fqdn:11180/?apiKey=abc"},
		{"https://fqdn:11180", "a+b&c=d", "https://fqdn:11180/?apiKey=a%2Bb%26c%3Dd"},
		{"https://[::1]:1", "", "https://[::1]:1/?apiKey="},
	}
	for _, tt := range tests {
		if got := ConfigURL(tt.endpoint, tt.apiKey); got != tt.want {
			t.Errorf("ConfigURL(%q, %q) = %q, want %q", tt.endpoint, tt.apiKey, got, tt.want)
		}
	}
}

func TestSettingsJSON(t *testing.T) {
	tests := []struct {
		apiKey, endpoint string
	}{
		{"abc", "https://fqdn:11180"},
		{`quo"te<`, "https://[::1]:1"},
	}
	for _, tt := range tests {
		data, err := SettingsJSON(tt.apiKey, tt.endpoint)
		if err != nil {
			t.Fatalf("SettingsJSON: %v", err)
		}
		var got map[string]string
		if err := json.Unmarshal(data, &got); err != nil {
			t.Fatalf("SettingsJSON output %s is not JSON: %v", data, err)
		}
		want := map[string]string{"apiKey": tt.apiKey, "endpoint": tt.endpoint}
		if len(got) != 2 || got["apiKey"] != want["apiKey"] || got["endpoint"] != want["endpoint"] {
			t.Errorf("SettingsJSON = %s, want %v", data, want)
		}
	}
}

func TestNewLimiter(t *testing.T) {
	tests := []struct {
		qps       float64
		burst     int
		wantLimit float64
		wantBurst int
	}{
		{20, 1, 20, 1},
		{5, 0, 5, 1},
	}
	for _, tt := range tests {
		l := NewLimiter(tt.qps, tt.burst)
		if float64(l.Limit()) != tt.wantLimit || l.Burst() != tt.wantBurst {
			t.Errorf("NewLimiter(%v, %d) = %v/s burst %d, want %v/s burst %d",
				tt.qps, tt.burst, l.Limit(), l.Burst(), tt.wantLimit, tt.wantBurst)
		}
	}
	unlimited := NewLimiter(0, 0)
	for i := range 1000 {
		if !unlimited.Allow() {
			t.Fatalf("NewLimiter(0, 0) denied request %d, want no limit", i)
		}
	}
}
