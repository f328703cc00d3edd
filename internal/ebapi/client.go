package ebapi

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// DefaultTimeout bounds one attempt on one registration server when
// Options.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Options configures a Client.
type Options struct {
	// Endpoints are the base URLs of the registration servers, tried in
	// order. Empty means DefaultEndpoints.
	Endpoints []string
	// Environment is "dev", "test" or "prod". It is sent with every function
	// except clientip.
	Environment string
	// CABundle is an optional PEM bundle of CA certificates, trusted besides
	// the system roots.
	CABundle []byte
	// AllowedHosts are the host names and IP literals that Endpoints may
	// name, compared case-insensitively and without the port. Nil means no
	// restriction, while an empty non-nil slice allows no host.
	AllowedHosts []string
	// Limiter is waited on before every attempt and may be shared by many
	// Clients. Nil means unlimited.
	Limiter *rate.Limiter
	// Timeout bounds one attempt on one server, including reading the
	// response. Zero means DefaultTimeout. The call's context deadline also
	// applies.
	Timeout time.Duration
}

// Client sends EB registration requests. It is safe for concurrent use.
// Requests go through the proxy named by HTTPS_PROXY unless NO_PROXY
// exempts the host. Loopback addresses and localhost never use a proxy.
type Client struct {
	endpoints   []string
	environment string
	limiter     *rate.Limiter
	timeout     time.Duration
	http        *http.Client
}

// New validates opts and returns a Client. It makes no network connection.
// Every problem with opts is a *ConfigError.
func New(opts Options) (*Client, error) {
	endpoints := opts.Endpoints
	if len(endpoints) == 0 {
		endpoints = DefaultEndpoints
	}
	bases := make([]string, 0, len(endpoints))
	for i, raw := range endpoints {
		base, err := validateEndpoint(raw, opts.AllowedHosts)
		if err != nil {
			err.Field = fmt.Sprintf("registration.endpoints[%d]", i)
			return nil, err
		}
		bases = append(bases, base)
	}

	switch opts.Environment {
	case "dev", "test", "prod":
	default:
		return nil, &ConfigError{
			Field:  "registration.environment",
			Value:  opts.Environment,
			Reason: `must be "dev", "test" or "prod"`,
		}
	}

	timeout := opts.Timeout
	if timeout < 0 {
		return nil, &ConfigError{
			Field:  "registration.timeout",
			Value:  timeout.String(),
			Reason: "must not be negative; use 0 for the default of 30s",
		}
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}

	transport, err := sharedTransport(opts.CABundle)
	if err != nil {
		return nil, err
	}

	return &Client{
		endpoints:   bases,
		environment: opts.Environment,
		limiter:     opts.Limiter,
		timeout:     timeout,
		http: &http.Client{
			Transport: transport,
			// A redirect is returned as the response, which then fails
			// as an *HTTPError, so a request body never goes to a host
			// that was not configured.
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
	}, nil
}

// Endpoints returns the validated base URLs, in the order they are tried.
func (c *Client) Endpoints() []string {
	return append([]string(nil), c.endpoints...)
}

// validateEndpoint checks one base URL and returns it without a trailing
// slash. The caller sets Field on the returned error.
func validateEndpoint(raw string, allowed []string) (string, *ConfigError) {
	fail := func(reason string) (string, *ConfigError) {
		return "", &ConfigError{Value: raw, Reason: reason}
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fail("not a valid URL; use https://host:port")
	}
	if u.Scheme != "https" {
		return fail("scheme must be https; use https://host:port")
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return fail("missing host; use https://host:port")
	}
	if u.User != nil {
		return fail("must not contain user information; remove the part before @")
	}
	if u.RawQuery != "" || u.ForceQuery {
		return fail("must not contain a query; remove the part after ?")
	}
	if u.Fragment != "" || u.RawFragment != "" || strings.Contains(raw, "#") {
		return fail("must not contain a fragment; remove the part after #")
	}
	if allowed != nil && !hostAllowed(u.Hostname(), allowed) {
		_, cfgErr := fail(fmt.Sprintf("host %q is not on the allowed hosts list (%s); "+
			"add it there or use an allowed host", u.Hostname(), strings.Join(allowed, ", ")))
		cfgErr.HostNotAllowed = true
		return "", cfgErr
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

func hostAllowed(host string, allowed []string) bool {
	for _, a := range allowed {
		a = strings.TrimSuffix(strings.TrimPrefix(a, "["), "]")
		if strings.EqualFold(host, a) {
			return true
		}
	}
	return false
}
