package ebsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// EB status codes returned in the response envelope's status field.
const (
	codeCapacityReached    = 0x1005
	codeObjectExists       = 0x4078
	codeUnknownOperation   = 0x8001
	codeOperationNotAvail  = 0x8004
	codeInvalidArgument    = 0x8036
	codeParseFailed        = 0x8037
	codeVersionUnsupported = 0x8038
	codeMissingNonce       = 0x803A
	codeInvalidAPIKey      = 0x8068
	codeUnknownClient      = 0x8069
	codeMethodNotAllowed   = 0x80B9
	codeSuccess            = 0x9000
	codeWrongPassword      = 0xA065
	codeProcessorFailure   = 0xF012
	codeNotReady           = 0xF019
	codeInvalidToken       = 0xF030
	codeInputTooLong       = 0xF031
)

// statusTexts are the short texts sent in the error field for each code.
var statusTexts = map[int]string{
	0x1005: "object capacity reached",
	0x1006: "timeout",
	0x100F: "service shutting down",
	0x1075: "object processing limit reached",
	0x10A6: "processing queues full",
	0x10D0: "no authorization tokens left",
	0x20AC: "integrity error",
	0x20BC: "request not authorized",
	0x4078: "object already exists",
	0x8001: "unknown operation",
	0x8004: "operation not available",
	0x8034: "invalid handle",
	0x8036: "missing or invalid argument",
	0x8037: "request JSON parsing failed",
	0x8038: "request JSON version not supported",
	0x8039: "request JSON data invalid",
	0x803A: "request JSON missing nonce",
	0x8062: "invalid user context",
	0x8068: "invalid API key",
	0x8069: "unrecognized client",
	0x8083: "invalid operation type",
	0x80B9: "authentication method not allowed",
	0x9000: "success (ok)",
	0xA065: "incorrect password",
	0xA063: "too many password tries",
	0xA0B1: "too many account tries",
	0xA0D2: "no authorization credits left",
	0xF012: "processor failure",
	0xF019: "server not ready",
	0xF030: "invalid authorization token",
	0xF031: "input data too long",
	0xF035: "invalid object",
}

// statusText returns the short text for code, or a generic text for codes
// the table lacks.
func statusText(code int) string {
	if text, ok := statusTexts[code]; ok {
		return text
	}
	return fmt.Sprintf("error 0x%04X", code)
}

// ebError is the outcome of a failed EB call: its status code and an
// optional detail for the statusdetail field. The detail names the fields
// at fault and never contains a password, token or API key.
type ebError struct {
	code   int
	detail string
}

func (e *ebError) Error() string {
	if e.detail == "" {
		return fmt.Sprintf("0x%04X %s", e.code, statusText(e.code))
	}
	return fmt.Sprintf("0x%04X %s: %s", e.code, statusText(e.code), e.detail)
}

func errorf(code int, format string, args ...any) *ebError {
	return &ebError{code: code, detail: fmt.Sprintf(format, args...)}
}

// envelope is the response envelope of every EB call.
type envelope struct {
	Version      int    `json:"version"`
	Status       int    `json:"status"`
	Error        string `json:"error"`
	StatusDetail string `json:"statusdetail,omitempty"`
	Nonce        string `json:"nonce"`
	Timestamp    int64  `json:"timestamp"`
	Response     any    `json:"response"`
}

// writeEnvelope sends env as JSON with the given HTTP status.
func writeEnvelope(w http.ResponseWriter, httpStatus int, env envelope) {
	env.Version = 1
	env.Timestamp = time.Now().UnixMilli()
	if env.Error == "" {
		env.Error = statusText(env.Status)
	}
	body, err := json.Marshal(env)
	if err != nil {
		http.Error(w, "response encoding failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpStatus)
	_, _ = w.Write(body)
}

// fields is one JSON object of a request, such as client or apidata, kept
// raw so that each function reads only the fields it needs and unknown
// fields are ignored.
type fields struct {
	path string
	raw  map[string]json.RawMessage
}

// objectField decodes the member key of a request object. A missing or
// null member gives an empty fields value; any other non-object is invalid.
func objectField(raw map[string]json.RawMessage, key string) (fields, error) {
	out := fields{path: key}
	value, ok := raw[key]
	if !ok || isNull(value) {
		return out, nil
	}
	if err := json.Unmarshal(value, &out.raw); err != nil {
		return out, errorf(codeInvalidArgument, "%s must be an object", key)
	}
	return out, nil
}

// present reports whether the member exists and is not null.
func (f fields) present(key string) bool {
	value, ok := f.raw[key]
	return ok && !isNull(value)
}

// optionalString returns the member as a string, "" when it is missing or
// null. A member of another type is invalid.
func (f fields) optionalString(key string) (string, error) {
	if !f.present(key) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(f.raw[key], &s); err != nil {
		return "", errorf(codeInvalidArgument, "%s.%s must be a string", f.path, key)
	}
	return s, nil
}

// requiredString returns the member as a non-empty string.
func (f fields) requiredString(key string) (string, error) {
	s, err := f.optionalString(key)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", errorf(codeInvalidArgument, "%s.%s is missing", f.path, key)
	}
	return s, nil
}

func isNull(value json.RawMessage) bool {
	return string(value) == "null"
}
