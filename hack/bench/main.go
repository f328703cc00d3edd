// Command bench measures the operator's main job at scale: N EBApiKeys (10
// per EBClient) from creation to Ready, against a floor measured in the
// same run, where a plain client-go program makes the same EB calls and the
// same Secret and status writes directly.
//
//	make controlplane                                  # once: builds bin/k8s
//	go run ./hack/bench --keys 1000 --out docs/benchmarks.md   # or: make bench
//
// It starts the EB simulator and a local control plane (envtest with
// bin/k8s and an audit log), builds the operator and runs it as a child
// process. Figures: time to all Ready, p50 and p99 per object, API-server
// requests per object (the operator's rest_client_requests_total and the
// audit log), EB calls per object, writes while idle, and peak RSS with and
// without 2,000 unrelated Secrets. It writes a results page and ends
// stdout with one summary line starting "bench:".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// Paths relative to the module root, which bench makes its working
// directory.
const (
	workDir       = "bin/bench"
	managerBinRel = "bin/manager"
	assetsDir     = "bin/k8s"
	crdDir        = "config/crd/bases"
	profilesDir   = "docs/profiles"
)

// keysPerClient is how many EBApiKeys share one EBClient.
const keysPerClient = 10

// config holds the command-line flags.
type config struct {
	keys           int
	out            string
	idle           time.Duration
	readyTimeout   time.Duration
	unrelated      int
	unrelatedBytes int
	profileSeconds int
	// operatorArgs are extra flags passed to the operator, to try other
	// QPS and worker values than its defaults.
	operatorArgs stringList
}

func main() {
	if err := run(); err != nil {
		say("bench failed: %v", err)
		os.Exit(1)
	}
}

// step is one named stage of the benchmark.
type step struct {
	name string
	run  func(context.Context) error
}

func run() error {
	cfg := config{}
	flag.IntVar(&cfg.keys, "keys", 1000, "Number of EBApiKeys; one EBClient per 10 keys.")
	flag.StringVar(&cfg.out, "out", "", "Markdown results page to write; empty writes none.")
	flag.DurationVar(&cfg.idle, "idle", 60*time.Second, "How long to watch the operator idle after all are Ready.")
	flag.DurationVar(&cfg.readyTimeout, "ready-timeout", 10*time.Minute, "Deadline for all objects to become Ready.")
	flag.IntVar(&cfg.unrelated, "unrelated-secrets", 2000, "Unrelated Secrets created before the second operator run.")
	flag.IntVar(&cfg.unrelatedBytes, "unrelated-secret-bytes", 100*1024, "Data size of each unrelated Secret.")
	flag.IntVar(&cfg.profileSeconds, "profile-seconds", 30, "Length of the operator CPU profile; 0 takes none.")
	flag.Var(&cfg.operatorArgs, "operator-arg", "Extra operator flag, such as --kube-api-qps=200; repeatable.")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if cfg.keys < keysPerClient || cfg.keys%keysPerClient != 0 {
		return fmt.Errorf("--keys %d: use a positive multiple of %d", cfg.keys, keysPerClient)
	}
	if err := chdirModuleRoot(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	b := &bench{cfg: cfg, results: &results{keys: cfg.keys, clients: cfg.keys / keysPerClient}}
	defer b.shutdown()

	steps := []step{
		{"start the EB simulator", b.startSimulator},
		{"start the control plane", b.startControlPlane},
		{"build the operator", b.buildOperator},
		{"measure the client-go floor", b.measureFloor},
		{"run the operator", b.runOperator},
		{"watch the operator idle", b.measureIdle},
		{"run the operator with unrelated Secrets", b.runWithUnrelatedSecrets},
		{"benchmark the hot paths", b.runGoBenchmarks},
		{"write the results page", b.writePage},
	}
	for i, s := range steps {
		say("==> step %d/%d: %s", i+1, len(steps), s.name)
		start := time.Now()
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		say("    done in %s", time.Since(start).Round(time.Millisecond))
	}
	say("%s", b.results.summaryLine())
	return nil
}

// chdirModuleRoot makes the directory holding go.mod the working
// directory, so that the relative paths above resolve from any
// subdirectory.
func chdirModuleRoot() error {
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return os.Chdir(dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return errors.New("go.mod not found in the working directory or its parents; " +
				"run bench from the eb-operator repository")
		}
		dir = parent
	}
}

// say prints one line to stdout.
func say(format string, args ...any) {
	fmt.Fprintf(os.Stdout, format+"\n", args...)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return fmt.Sprint(*l) }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}
