// Package ebsim simulates an Enigma Bridge registration server over HTTPS:
// the client functions getauth, initauth, create, addapi and showapi, and
// the API-key functions listops and clientip. It validates requests
// strictly, can inject faults and latency, and counts calls for tests.
package ebsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// maxBodyBytes is the largest request body accepted; a larger one is
// rejected with 0xF031 (input data too long).
const maxBodyBytes = 1 << 20

// Paths of the two EB endpoints.
const (
	clientPath = "/api/v1/client"
	apikeyPath = "/api/v1/apikey"
)

// functionPaths maps each served function to the path that serves it.
var functionPaths = map[string]string{
	"getauth":  clientPath,
	"initauth": clientPath,
	"create":   clientPath,
	"addapi":   clientPath,
	"showapi":  clientPath,
	"listops":  apikeyPath,
	"clientip": apikeyPath,
}

// environments are the accepted values of the request's environment field.
var environments = map[string]bool{"dev": true, "test": true, "prod": true}

// Options configure a Simulator.
type Options struct {
	// Types are the client types served; nil means DefaultTypes().
	Types []ClientType
	// ServerFQDN is the processing server fqdn that addapi returns; "" means
	// the listen host (or the request's Host when served without Start).
	ServerFQDN string
	// ServerPort is the processing server's https port; 0 means the listen
	// port (or the request's Host port when served without Start).
	ServerPort int
	// StateFile is a JSON file that keeps clients and keys across restarts;
	// "" keeps state in memory only.
	StateFile string
	// Admin serves the fault-injection endpoints under /admin/.
	Admin bool
	// Logger receives a Debug line per EB request and an Error line per
	// internal failure, such as a failed state file write; nil logs nothing.
	Logger *slog.Logger
}

// Simulator is an EB registration server as an http.Handler. It is safe for
// concurrent use.
type Simulator struct {
	types      map[string]*ClientType
	serverFQDN string
	serverPort int
	// listenHost and listenPort are set by Start before serving begins.
	listenHost string
	listenPort int
	logger     *slog.Logger

	store    *store
	faults   faultQueue
	latency  atomic.Int64 // time.Duration
	notReady atomic.Bool
	calls    callCounter
	handler  http.Handler
}

// New validates the options, loads the state file if one exists and
// returns a simulator.
func New(opts Options) (*Simulator, error) {
	types := opts.Types
	if types == nil {
		types = DefaultTypes()
	}
	if err := validateTypes(types); err != nil {
		return nil, err
	}
	if opts.ServerPort < 0 || opts.ServerPort > 65535 {
		return nil, errors.New("server port must be between 0 and 65535")
	}
	st, err := newStore(opts.StateFile)
	if err != nil {
		return nil, err
	}
	s := &Simulator{
		types:      map[string]*ClientType{},
		serverFQDN: opts.ServerFQDN,
		serverPort: opts.ServerPort,
		logger:     opts.Logger,
		store:      st,
	}
	for _, typ := range copyTypes(types) {
		s.types[typ.Name] = &typ
	}
	s.calls.reset()

	mux := http.NewServeMux()
	mux.HandleFunc(clientPath, s.serveEB)
	mux.HandleFunc(apikeyPath, s.serveEB)
	if opts.Admin {
		mux.Handle("/admin/", s.adminHandler())
	}
	s.handler = mux
	return s, nil
}

// Handler returns the HTTP handler serving the EB paths and, with
// Options.Admin, /admin/. Any other path gets 404.
func (s *Simulator) Handler() http.Handler {
	return s.handler
}

// request is a parsed request envelope.
type request struct {
	raw         map[string]json.RawMessage
	body        []byte
	nonce       string
	function    string
	environment string
	remoteAddr  string
	host        string
}

// serveEB runs one EB call: latency, body limits, counting, faults,
// envelope validation, then the function.
func (s *Simulator) serveEB(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed; use POST", http.StatusMethodNotAllowed)
		return
	}
	start := time.Now()
	if !s.sleepLatency(r) {
		return
	}
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	req := &request{body: body, remoteAddr: r.RemoteAddr, host: r.Host}
	envErr := parseEnvelope(req, r.URL.Path)
	if readErr != nil {
		envErr = errorf(codeParseFailed, "request body could not be read")
	}
	if len(body) > maxBodyBytes {
		envErr = errorf(codeInputTooLong, "request body exceeds %d bytes", maxBodyBytes)
	}
	if !isJSONContentType(r.Header.Get("Content-Type")) {
		envErr = errorf(codeParseFailed, "Content-Type must be application/json")
	}

	// A call counts once its function is known, even if it is rejected.
	served := req.function != "" && functionPaths[req.function] == r.URL.Path
	if served {
		s.calls.add(req.function, s.clientName(req))
	}

	env, httpStatus := s.respond(req, served, envErr)
	writeEnvelope(w, httpStatus, env)
	s.logCall(req, env.Status, httpStatus, time.Since(start))
}

// respond builds the envelope for a call: 0xF019 while not ready, else an
// injected fault, else the envelope error, else the function's result.
func (s *Simulator) respond(req *request, served bool, envErr error) (envelope, int) {
	env := envelope{Nonce: req.nonce}
	if s.notReady.Load() {
		env.Status = codeNotReady
		return env, http.StatusOK
	}
	if fault, ok := s.faults.take(req.function, served); ok {
		env.Status = fault.code()
		if fault.EchoRequest {
			env.Error = string(req.body)
			env.StatusDetail = string(req.body)
		}
		return env, fault.httpStatus()
	}
	if envErr != nil {
		setError(&env, envErr)
		return env, http.StatusOK
	}
	response, err := s.dispatch(req)
	if err != nil {
		if !setError(&env, err) && s.logger != nil {
			s.logger.Error("EB call failed", "function", req.function, "error", err)
		}
		return env, http.StatusOK
	}
	env.Status = codeSuccess
	env.Response = response
	return env, http.StatusOK
}

// sleepLatency waits for the configured latency and reports false when the
// request was cancelled meanwhile.
func (s *Simulator) sleepLatency(r *http.Request) bool {
	latency := time.Duration(s.latency.Load())
	if latency <= 0 {
		return true
	}
	timer := time.NewTimer(latency)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func isJSONContentType(value string) bool {
	mediaType, _, err := mime.ParseMediaType(value)
	return err == nil && mediaType == "application/json"
}

// parseEnvelope fills req from its body and returns the first envelope
// error: bad JSON, missing nonce, unsupported version, unknown function
// or a function sent to the other path, then a missing environment.
func parseEnvelope(req *request, path string) error {
	if err := json.Unmarshal(req.body, &req.raw); err != nil || req.raw == nil {
		return errorf(codeParseFailed, "request body must be a JSON object")
	}
	// Read the nonce and function first so that they are echoed and counted
	// even when an earlier check fails.
	if err := json.Unmarshal(req.raw["nonce"], &req.nonce); err != nil {
		req.nonce = ""
	}
	var function string
	if err := json.Unmarshal(req.raw["function"], &function); err == nil {
		if _, known := functionPaths[function]; known {
			req.function = function
		}
	}
	if req.nonce == "" {
		return errorf(codeMissingNonce, "nonce must be a non-empty string")
	}
	// Decoding into any keeps a quoted "1" a string, which is rejected.
	var version any
	decoder := json.NewDecoder(bytes.NewReader(req.raw["version"]))
	decoder.UseNumber()
	if err := decoder.Decode(&version); err != nil || version != json.Number("1") {
		return errorf(codeVersionUnsupported, "version must be the integer 1")
	}
	if req.function == "" || functionPaths[req.function] != path {
		return errorf(codeUnknownOperation, "function is unknown at %s", path)
	}
	if req.function == "clientip" {
		return nil
	}
	if err := json.Unmarshal(req.raw["environment"], &req.environment); err != nil ||
		!environments[req.environment] {
		return errorf(codeInvalidArgument, "environment must be dev, test or prod")
	}
	return nil
}

// dispatch runs the request's function.
func (s *Simulator) dispatch(req *request) (any, error) {
	switch req.function {
	case "getauth":
		return s.getAuth(req)
	case "initauth":
		return s.initAuth(req)
	case "create":
		return s.create(req)
	case "addapi":
		return s.addAPI(req)
	case "showapi":
		return s.showAPI(req)
	case "listops":
		return s.listOps(req)
	case "clientip":
		return clientIP(req), nil
	}
	return nil, errorf(codeUnknownOperation, "function is unknown")
}

// setError copies err into env and reports whether it was an EB error. Any
// other error becomes 0xF012 (processor failure) without its text, which
// may name a file.
func setError(env *envelope, err error) bool {
	var ebErr *ebError
	if errors.As(err, &ebErr) {
		env.Status = ebErr.code
		env.StatusDetail = ebErr.detail
		return true
	}
	env.Status = codeProcessorFailure
	return false
}

// processingServer returns the fqdn and https port addapi reports.
func (s *Simulator) processingServer(req *request) (string, int) {
	fqdn, port := s.serverFQDN, s.serverPort
	host, portText, err := net.SplitHostPort(req.host)
	if err != nil {
		host = req.host
	}
	if fqdn == "" {
		fqdn = s.listenHost
		if fqdn == "" {
			fqdn = host
		}
	}
	if port == 0 {
		port = s.listenPort
		if port == 0 {
			port, _ = strconv.Atoi(portText)
		}
	}
	return fqdn, port
}

// logCall writes one Debug line per call with the function, client name
// and outcome, never a secret or the request body.
func (s *Simulator) logCall(req *request, status, httpStatus int, took time.Duration) {
	if s.logger == nil {
		return
	}
	s.logger.Debug("EB call",
		"function", req.function,
		"client", s.clientName(req),
		"status", "0x"+strconv.FormatInt(int64(status), 16),
		"httpStatus", httpStatus,
		"duration", took.Round(time.Microsecond),
	)
}
