// Command demo runs the operator end to end on this machine: the EB
// simulator, a local control plane (kube-apiserver and etcd from bin/k8s),
// the CRDs, the operator as a child process and the samples from
// config/samples. It waits until the samples are Ready, prints their status
// and Secrets with values redacted, and checks one issued API key with
// listops against the simulator.
//
//	make controlplane   # once: builds bin/k8s
//	go run ./hack/demo  # or: make demo
//
// It then keeps the operator running until SIGINT or SIGTERM, so a second
// shell can use kubectl with the kubeconfig it prints. With
// --exit-after-check it stops after the listops check instead.
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

// Paths relative to the module root, which the demo makes its working
// directory.
const (
	workDir        = "bin/demo"
	tlsDir         = "bin/demo/tls"
	kubeconfigFile = "bin/demo/kubeconfig"
	managerBinary  = "bin/manager"
	assetsDir      = "bin/k8s"
	crdDir         = "config/crd/bases"
	samplesDir     = "config/samples"
)

// Names of the objects in config/samples.
const (
	sampleClient  = "demo"
	sampleKeyA    = "demo-key-a"
	sampleKeyB    = "demo-key-b"
	sampleEnv     = "test"
	checkedAPIKey = sampleKeyA
)

func main() {
	if err := run(); err != nil {
		printLine("demo failed: %v", err)
		os.Exit(1)
	}
}

// step is one named stage of the demo.
type step struct {
	name string
	run  func(context.Context) error
}

func run() error {
	namespace := flag.String("namespace", "eb-demo", "Namespace the samples are applied into.")
	readyTimeout := flag.Duration("ready-timeout", 2*time.Minute,
		"How long to wait for the EBClient and both EBApiKeys to become Ready.")
	exitAfterCheck := flag.Bool("exit-after-check", false,
		"Stop and exit 0 after the listops check instead of running until SIGINT or SIGTERM.")
	flag.Parse()
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", flag.Args())
	}

	if err := chdirModuleRoot(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	d := &demo{namespace: *namespace, readyTimeout: *readyTimeout}
	defer d.shutdown()

	steps := []step{
		{"start the EB simulator", d.startSimulator},
		{"start the control plane", d.startControlPlane},
		{"build and start the operator", d.startOperator},
		{"apply the samples", d.applySamples},
		{"wait until the samples are Ready", d.waitReady},
		{"print status and Secrets", d.printSummary},
		{"check the API key with listops", d.checkAPIKey},
	}
	for i, s := range steps {
		printLine("==> step %d/%d: %s", i+1, len(steps), s.name)
		if err := s.run(ctx); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: interrupted by a signal", s.name)
			}
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if *exitAfterCheck {
		printLine("==> --exit-after-check is set: stopping")
		return nil
	}
	return d.runUntilSignal(ctx)
}

// runUntilSignal keeps the operator running, with its logs streamed, until
// ctx ends (SIGINT or SIGTERM) or the operator exits by itself.
func (d *demo) runUntilSignal(ctx context.Context) error {
	printLine("==> the demo keeps running; in another shell:")
	printLine("    export KUBECONFIG=%s", d.kubeconfigPath)
	printLine("    kubectl get ebclients,ebapikeys -n %s", d.namespace)
	printLine("    press Ctrl-C to stop")
	select {
	case <-ctx.Done():
		printLine("==> signal received: stopping")
		return nil
	case <-d.operator.done:
		if err := exitError(d.operator.result); err != nil {
			return fmt.Errorf("operator exited: %w", err)
		}
		return errors.New("operator exited with status 0 before the demo was stopped")
	}
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
				"run the demo from the eb-operator repository")
		}
		dir = parent
	}
}
