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
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/enigmabridge/eb-operator/hack/internal/localenv"
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
	if err := localenv.ChdirModuleRoot("bench"); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	b := &bench{cfg: cfg, results: &results{keys: cfg.keys, clients: cfg.keys / keysPerClient}}
	defer b.shutdown()

	steps := []localenv.Step{
		{Name: "start the EB simulator", Run: b.startSimulator},
		{Name: "start the control plane", Run: b.startControlPlane},
		{Name: "build the operator", Run: b.buildOperator},
		{Name: "measure the client-go floor", Run: b.measureFloor},
		{Name: "run the operator", Run: b.runOperator},
		{Name: "watch the operator idle", Run: b.measureIdle},
		{Name: "run the operator with unrelated Secrets", Run: b.runWithUnrelatedSecrets},
		{Name: "benchmark the hot paths", Run: b.runGoBenchmarks},
		{Name: "write the results page", Run: b.writePage},
	}
	stepDone := func(elapsed time.Duration) {
		say("    done in %s", elapsed.Round(time.Millisecond))
	}
	if err := localenv.RunSteps(ctx, steps, stepDone); err != nil {
		return err
	}
	say("%s", b.results.summaryLine())
	return nil
}

// say formats one line and writes it to stdout, whole even when it is
// printed from several goroutines.
func say(format string, args ...any) {
	localenv.Printf(format, args...)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return fmt.Sprint(*l) }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}
