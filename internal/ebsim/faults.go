package ebsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// Fault makes the next Count calls of Function fail. The failed call gets
// status Code (0xF012, processor failure, when 0) with HTTP status
// HTTPStatus (200 when 0). EchoRequest puts the raw request body into the
// error and statusdetail fields, as a careless server might.
type Fault struct {
	// Function is the EB function to fail; "" fails any function.
	Function string `json:"function"`
	// Count is how many calls fail; 0 means 1.
	Count       int  `json:"count"`
	Code        int  `json:"code,omitempty"`
	HTTPStatus  int  `json:"httpStatus,omitempty"`
	EchoRequest bool `json:"echoRequest,omitempty"`
}

func (f Fault) code() int {
	if f.Code == 0 {
		return codeProcessorFailure
	}
	return f.Code
}

func (f Fault) httpStatus() int {
	if f.HTTPStatus == 0 {
		return http.StatusOK
	}
	return f.HTTPStatus
}

// faultQueue holds pending faults in the order they were added.
type faultQueue struct {
	mu      sync.Mutex
	pending []Fault // Count is the number of calls still to fail
}

// take consumes one call of the first fault matching function. Calls that
// reach no served function never match.
func (q *faultQueue) take(function string, served bool) (Fault, bool) {
	if !served {
		return Fault{}, false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	for i, f := range q.pending {
		if f.Function != "" && f.Function != function {
			continue
		}
		q.pending[i].Count--
		if q.pending[i].Count <= 0 {
			q.pending = append(q.pending[:i], q.pending[i+1:]...)
		}
		return f, true
	}
	return Fault{}, false
}

// FailNext queues a fault. Faults for the same function apply in order.
func (s *Simulator) FailNext(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.pending = append(s.faults.pending, f)
}

// SetLatency delays every later EB call by d; 0 removes the delay.
func (s *Simulator) SetLatency(d time.Duration) {
	s.latency.Store(int64(d))
}

// SetNotReady makes every EB call return 0xF019 (server not ready) until it
// is called with false.
func (s *Simulator) SetNotReady(notReady bool) {
	s.notReady.Store(notReady)
}

// ResetFaults removes queued faults, latency and the not-ready state. It
// keeps registered clients, keys and call counters.
func (s *Simulator) ResetFaults() {
	s.faults.mu.Lock()
	s.faults.pending = nil
	s.faults.mu.Unlock()
	s.latency.Store(0)
	s.notReady.Store(false)
}

// adminHandler serves the fault-injection and counter endpoints.
func (s *Simulator) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/latency", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Latency string `json:"latency"`
		}
		if !decodeAdmin(w, r, &body) {
			return
		}
		d, err := time.ParseDuration(body.Latency)
		if err != nil || d < 0 {
			http.Error(w, fmt.Sprintf("invalid latency %q; use a Go duration such as \"250ms\"",
				body.Latency), http.StatusBadRequest)
			return
		}
		s.SetLatency(d)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /admin/fail", func(w http.ResponseWriter, r *http.Request) {
		var f Fault
		if !decodeAdmin(w, r, &f) {
			return
		}
		if _, known := functionPaths[f.Function]; f.Function != "" && !known {
			http.Error(w, fmt.Sprintf("unknown function %q", f.Function), http.StatusBadRequest)
			return
		}
		if f.Count < 0 || f.HTTPStatus != 0 && (f.HTTPStatus < 100 || f.HTTPStatus > 599) {
			http.Error(w, "count must not be negative and httpStatus must be 100-599",
				http.StatusBadRequest)
			return
		}
		s.FailNext(f)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /admin/notready", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			NotReady bool `json:"notReady"`
		}
		if !decodeAdmin(w, r, &body) {
			return
		}
		s.SetNotReady(body.NotReady)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /admin/reset", func(w http.ResponseWriter, r *http.Request) {
		s.ResetFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /admin/calls", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Calls())
	})
	return mux
}

// decodeAdmin decodes a JSON admin body into v and writes a 400 response
// when it is invalid.
func decodeAdmin(w http.ResponseWriter, r *http.Request, v any) bool {
	decoder := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(v); err != nil {
		http.Error(w, "invalid admin request body: "+err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}
