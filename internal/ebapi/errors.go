package ebapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
)

// StatusError is an EB response whose status is not 0x9000.
type StatusError struct {
	Function string
	Code     int
	Server   string
	// Detail is the server's statusdetail or error text, with every secret
	// value of the request replaced by "[redacted]". Error() leaves it out
	// because the server's free text may still echo input.
	Detail string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("EB %s at %s: status 0x%04X (%s)",
		e.Function, e.Server, e.Code, Meaning(e.Code))
}

// Meaning returns the documented meaning of the status code.
func (e *StatusError) Meaning() string { return Meaning(e.Code) }

// Transient reports whether the same request may succeed later.
func (e *StatusError) Transient() bool { return IsTransientCode(e.Code) }

// HTTPError is a response with an HTTP status other than 200.
type HTTPError struct {
	Function   string
	Server     string
	StatusCode int
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("EB %s at %s: HTTP status %d", e.Function, e.Server, e.StatusCode)
}

// InvalidResponseError is an HTTP 200 response that is not a valid EB
// response: bad JSON, a missing status, a nonce mismatch or a body over the
// size limit.
type InvalidResponseError struct {
	Function string
	Server   string
	Reason   string
}

func (e *InvalidResponseError) Error() string {
	return fmt.Sprintf("EB %s at %s: invalid response: %s", e.Function, e.Server, e.Reason)
}

// ConfigError is an invalid client option. Value is never a secret.
type ConfigError struct {
	// Field is the setting's path, e.g. "registration.endpoints[1]".
	Field  string
	Value  string
	Reason string
	// HostNotAllowed is true when the endpoint's host is not on
	// Options.AllowedHosts. No connection was made.
	HostNotAllowed bool
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.Field, e.Value, e.Reason)
}

// FailoverError is returned when more than one registration server was
// tried and every one failed.
type FailoverError struct {
	Function string
	// Tried lists the base URLs in the order they were tried.
	Tried []string
	// Err is the error from the last server tried.
	Err error
}

func (e *FailoverError) Error() string {
	return fmt.Sprintf("EB %s failed on all %d servers tried (%s); last error: %v",
		e.Function, len(e.Tried), strings.Join(e.Tried, ", "), e.Err)
}

func (e *FailoverError) Unwrap() error { return e.Err }

// StatusCode returns the EB status code inside err, if there is one.
func StatusCode(err error) (int, bool) {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code, true
	}
	return 0, false
}

// IsTransient reports whether the operation that returned err may succeed
// when it runs again later. Connection errors, timeouts, HTTP 5xx and 429,
// invalid responses and transient EB codes are transient. Permanent EB
// codes, other HTTP statuses, configuration errors, cancellation and
// errors of other kinds, such as a request that cannot be encoded, are not.
func IsTransient(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.Canceled) {
		return false
	}

	var cfg *ConfigError
	if errors.As(err, &cfg) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Transient()
	}

	var he *HTTPError
	if errors.As(err, &he) {
		return he.StatusCode >= 500 || he.StatusCode == 429
	}

	var ie *InvalidResponseError
	if errors.As(err, &ie) {
		return true
	}
	var te *transportError
	if errors.As(err, &te) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// transportError is a failure to send a request or to read its response:
// a refused connection, a TLS failure, a reset, a timeout.
type transportError struct {
	function string
	server   string
	err      error
}

func (e *transportError) Error() string {
	return fmt.Sprintf("EB %s at %s: %v", e.function, e.server, e.err)
}

func (e *transportError) Unwrap() error { return e.err }
