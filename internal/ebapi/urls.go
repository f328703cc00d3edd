package ebapi

import (
	"encoding/json"
	"math"
	"net"
	"net/url"
	"strconv"

	"golang.org/x/time/rate"
)

// ProcessingURL returns https://<fqdn>:<port> for the first server that has
// a useEndpoints entry with protocol https, as the vendor clients do.
func ProcessingURL(servers []Server) (string, bool) {
	return firstHTTPS(servers, func(s Server) []PortSpec { return s.UseEndpoints })
}

// EnrolURL returns https://<fqdn>:<port> for the first server that has an
// enrolEndpoints entry with protocol https.
func EnrolURL(servers []Server) (string, bool) {
	return firstHTTPS(servers, func(s Server) []PortSpec { return s.EnrolEndpoints })
}

func firstHTTPS(servers []Server, ports func(Server) []PortSpec) (string, bool) {
	for _, s := range servers {
		if s.FQDN == "" {
			continue
		}
		for _, p := range ports(s) {
			if p.Protocol == "https" && p.Port > 0 && p.Port <= math.MaxUint16 {
				// JoinHostPort brackets an IPv6 literal.
				return "https://" + net.JoinHostPort(s.FQDN, strconv.Itoa(p.Port)), true
			}
		}
	}
	return "", false
}

// ConfigURL returns the one-string client configuration of the vendor Java
// client: <endpoint>/?apiKey=<apiKey>.
func ConfigURL(endpoint, apiKey string) string {
	return endpoint + "/?apiKey=" + url.QueryEscape(apiKey)
}

// SettingsJSON returns the JSON client configuration of the vendor Java
// client: {"apiKey": ..., "endpoint": ...}.
func SettingsJSON(apiKey, endpoint string) ([]byte, error) {
	return json.Marshal(struct {
		APIKey   string `json:"apiKey"`
		Endpoint string `json:"endpoint"`
	}{apiKey, endpoint})
}

// NewLimiter returns a limiter of qps requests per second with the given
// burst, to share between Clients. qps <= 0 means no limit.
func NewLimiter(qps float64, burst int) *rate.Limiter {
	if qps <= 0 {
		return rate.NewLimiter(rate.Inf, burst)
	}
	if burst < 1 {
		burst = 1
	}
	return rate.NewLimiter(rate.Limit(qps), burst)
}
