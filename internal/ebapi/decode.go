package ebapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// maxResponseBytes bounds the size of a response body.
const maxResponseBytes = 1 << 20

// responseEnvelope is the part of an EB response the client reads.
type responseEnvelope struct {
	Status       json.RawMessage `json:"status"`
	Error        string          `json:"error"`
	StatusDetail string          `json:"statusdetail"`
	Nonce        string          `json:"nonce"`
	Response     json.RawMessage `json:"response"`
}

// decodeResponse parses an EB response body sent for a request with the
// given nonce. It returns the status code and the server's text for it,
// preferring statusdetail over error. When the status is 0x9000 it decodes
// the response object into out. A non-nil error means the body is not a
// valid EB response, and its text never quotes the body.
//
// A success must echo the request's nonce. An error status may come with
// no nonce or an empty one, because the server may have failed before it
// read the request, but it must not echo a different one.
func decodeResponse(body []byte, nonce string, out any) (status int, detail string, err error) {
	if len(body) > maxResponseBytes {
		return 0, "", errors.New("body over 1 MiB")
	}
	var env responseEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return 0, "", errors.New("body is not a JSON object with EB envelope fields")
	}
	status, err = parseStatus(env.Status)
	if err != nil {
		return 0, "", err
	}
	detail = env.StatusDetail
	if detail == "" {
		detail = env.Error
	}

	echoed := env.Nonce
	switch {
	case echoed != "" && echoed != nonce:
		return 0, "", errors.New("nonce does not match the request")
	case status != StatusOK:
		return status, detail, nil
	case echoed == "":
		return 0, "", errors.New("missing nonce")
	}

	if isNull(env.Response) {
		return 0, "", errors.New("missing response object")
	}
	if out != nil {
		if err := json.Unmarshal(env.Response, out); err != nil {
			return 0, "", errors.New("response object does not have the expected fields")
		}
	}
	return status, detail, nil
}

// parseStatus accepts the status as a JSON integer or as a hex string with
// or without the 0x prefix, as the vendor clients do.
func parseStatus(raw json.RawMessage) (int, error) {
	if isNull(raw) {
		return 0, errors.New("missing status")
	}
	var text string
	base := 10
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, errors.New("status is not a number")
		}
		text = strings.TrimSpace(text)
		if len(text) > 2 && (text[:2] == "0x" || text[:2] == "0X") {
			text = text[2:]
		}
		base = 16
	} else {
		text = string(raw)
	}
	code, err := strconv.ParseUint(text, base, 31)
	if err != nil {
		return 0, errors.New("status is not a non-negative integer")
	}
	return int(code), nil
}

func isNull(raw json.RawMessage) bool {
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}
