package ebapi

// StatusOK is the EB status code for success.
const StatusOK = 0x9000

// EB status codes that the client treats specially.
const (
	// CodeServiceShuttingDown means the server is stopping, so another
	// registration server may serve the request.
	CodeServiceShuttingDown = 0x100F
	// CodeServerNotReady means the server is not ready, so another
	// registration server may serve the request.
	CodeServerNotReady = 0xF019
)

type codeInfo struct {
	meaning   string
	transient bool
}

// codeTable lists the documented registration status codes. Codes marked
// transient may succeed when the same request is sent again later.
var codeTable = map[int]codeInfo{
	0x1005: {"object capacity reached", false},
	0x1006: {"timeout", true},
	0x100F: {"service shutting down", true},
	0x1075: {"object processing limit reached", true},
	0x10A6: {"processing queues full", true},
	0x10D0: {"no authorization tokens left", false},
	0x20AC: {"integrity error / attack detected", false},
	0x20BC: {"request not authorized", false},
	0x4078: {"object already exists", false},
	0x8001: {"unknown operation", false},
	0x8004: {"operation not available", false},
	0x8034: {"invalid handle / API key", false},
	0x8036: {"missing or invalid argument", false},
	0x8037: {"request JSON parsing failed", false},
	0x8038: {"request JSON version not supported", false},
	0x8039: {"request JSON data invalid", false},
	0x803A: {"request JSON missing nonce", false},
	0x8062: {"invalid user context", false},
	0x8068: {"invalid API key", false},
	0x8069: {"unrecognized client", false},
	0x8083: {"invalid operation type", false},
	0x80B9: {"authentication method not allowed", false},
	0x9000: {"success", false},
	0xA065: {"incorrect password", false},
	0xA063: {"too many password tries", false},
	0xA0B1: {"too many account tries", false},
	0xA0D2: {"no authorization credits left", false},
	0xF012: {"processor failure", true},
	0xF019: {"server not ready", true},
	0xF030: {"invalid authorization token", false},
	0xF031: {"input data too long", false},
	0xF035: {"invalid object", false},
}

// Meaning returns the documented meaning of an EB status code, or
// "unknown status" for a code not in the table.
func Meaning(code int) string {
	if info, ok := codeTable[code]; ok {
		return info.meaning
	}
	return "unknown status"
}

// IsTransientCode reports whether an EB status code may clear when the
// request is sent again later. Unknown codes are permanent.
func IsTransientCode(code int) bool {
	return codeTable[code].transient
}

// isFailoverCode reports whether a code means this server cannot serve the
// request now but another registration server may.
func isFailoverCode(code int) bool {
	return code == CodeServerNotReady || code == CodeServiceShuttingDown
}
