package ebsim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Server is a Simulator served over HTTPS with a certificate from a CA that
// Start generates, or loads from its TLS directory.
type Server struct {
	// URL is the base URL, such as https://127.0.0.1:8445.
	URL string
	// CAPEM is the CA certificate in PEM form.
	CAPEM []byte
	// CAFile is the path of the written CA certificate; "" without a TLS
	// directory.
	CAFile string
	// Sim is the served simulator.
	Sim *Simulator

	httpServer *http.Server
	done       chan error
	conns      connTracker
	closeOnce  sync.Once
	closeErr   error
}

// Start listens on addr (such as "127.0.0.1:0") and serves a new Simulator
// over HTTPS. The server certificate is valid for 127.0.0.1, ::1,
// localhost and Options.ServerFQDN. When tlsDir is not "", Start reuses
// tlsDir/ca.crt and tlsDir/ca.key if both exist and writes them otherwise,
// so a restarted server keeps the CA its clients trust. The processing
// server that addapi reports defaults to the bound host and port.
func Start(addr, tlsDir string, opts Options) (*Server, error) {
	sim, err := New(opts)
	if err != nil {
		return nil, err
	}
	ca, err := loadOrCreateCA(tlsDir)
	if err != nil {
		return nil, err
	}
	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	bound := listener.Addr().(*net.TCPAddr)
	host := bound.IP.String()
	if bound.IP.IsUnspecified() {
		host = "localhost"
	}
	sim.listenHost = host
	sim.listenPort = bound.Port

	cert, err := ca.issueServerCert(opts.ServerFQDN)
	if err != nil {
		_ = listener.Close()
		return nil, err
	}
	urlHost := host
	if bound.IP.IsUnspecified() {
		urlHost = "127.0.0.1"
	}
	srv := &Server{
		URL:   "https://" + net.JoinHostPort(urlHost, strconv.Itoa(bound.Port)),
		CAPEM: ca.certPEM,
		Sim:   sim,
		httpServer: &http.Server{
			Handler:           sim.Handler(),
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
			TLSConfig: &tls.Config{
				MinVersion:   tls.VersionTLS12,
				Certificates: []tls.Certificate{cert},
			},
		},
		done: make(chan error, 1),
	}
	srv.httpServer.ConnState = srv.conns.track
	if tlsDir != "" {
		srv.CAFile = filepath.Join(tlsDir, caCertFile)
	}
	go func() {
		err := srv.httpServer.ServeTLS(listener, "", "")
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		srv.done <- err
	}()
	return srv, nil
}

// Close stops the server, waiting up to five seconds for calls in progress
// (including those in an injected latency) before it closes connections.
// Later calls return the first call's result.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		err := s.shutdown()
		if err != nil {
			err = errors.Join(err, s.httpServer.Close())
		}
		s.closeErr = errors.Join(err, <-s.done)
	})
	return s.closeErr
}

// shutdown runs http.Server.Shutdown with a five-second limit. Shutdown
// waits for connections that have not sent a request yet, such as a
// client's spare connection, so shutdown closes those itself meanwhile.
func (s *Server) shutdown() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.httpServer.Shutdown(ctx) }()
	ticker := time.NewTicker(20 * time.Millisecond)
	defer ticker.Stop()
	for {
		s.conns.closeNew()
		select {
		case err := <-done:
			return err
		case <-ticker.C:
		}
	}
}

// connTracker records the state of each server connection.
type connTracker struct {
	mu    sync.Mutex
	conns map[net.Conn]http.ConnState
}

func (t *connTracker) track(conn net.Conn, state http.ConnState) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.conns == nil {
		t.conns = map[net.Conn]http.ConnState{}
	}
	switch state {
	case http.StateHijacked, http.StateClosed:
		delete(t.conns, conn)
	default:
		t.conns[conn] = state
	}
}

// closeNew closes the connections that have not started a request.
func (t *connTracker) closeNew() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for conn, state := range t.conns {
		if state == http.StateNew {
			_ = conn.Close()
			delete(t.conns, conn)
		}
	}
}

// StartTest starts a server on 127.0.0.1 with a random port and a TLS
// directory from t.TempDir, and closes it when the test ends.
func StartTest(t testing.TB, opts Options) *Server {
	t.Helper()
	srv, err := Start("127.0.0.1:0", t.TempDir(), opts)
	if err != nil {
		t.Fatalf("start EB simulator: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close EB simulator: %v", err)
		}
	})
	return srv
}
