// Command ebsim serves the EB registration server simulator over HTTPS for
// local demos and manual tests.
//
//	go run ./hack/ebsim --addr 127.0.0.1:8445 --tls-dir /tmp/ebsim
//
// Once it serves, it prints the base URL and the CA certificate path on
// stdout. It stops on SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ebsim:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("addr", "127.0.0.1:8445", "host:port to listen on")
	tlsDir := flag.String("tls-dir", "",
		"directory for ca.crt and ca.key; an existing CA there is reused (required)")
	typesFile := flag.String("types", "", "YAML file of client types; default: the demo type")
	stateFile := flag.String("state", "",
		"JSON file that keeps clients and API keys across restarts; default: memory only")
	admin := flag.Bool("admin", false, "serve the fault-injection endpoints under /admin/")
	serverFQDN := flag.String("server-fqdn", "",
		"processing server host name returned by addapi; default: the listen host")
	serverPort := flag.Int("server-port", 0,
		"processing server https port returned by addapi; default: the listen port")
	verbose := flag.Bool("v", false, "log one line per EB call on stderr")
	flag.Parse()

	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if *tlsDir == "" {
		return errors.New("--tls-dir is required: the CA certificate is written there")
	}
	opts := ebsim.Options{
		ServerFQDN: *serverFQDN,
		ServerPort: *serverPort,
		StateFile:  *stateFile,
		Admin:      *admin,
	}
	if *typesFile != "" {
		types, err := ebsim.LoadTypes(*typesFile)
		if err != nil {
			return err
		}
		opts.Types = types
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv, err := ebsim.Start(*addr, *tlsDir, opts)
	if err != nil {
		return err
	}
	fmt.Printf("ebsim: serving %s\n", srv.URL)
	fmt.Printf("ebsim: CA certificate %s\n", srv.CAFile)

	<-ctx.Done()
	if err := srv.Close(); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}
