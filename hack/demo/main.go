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
	"syscall"
	"time"

	"github.com/enigmabridge/eb-operator/hack/internal/localenv"
)

// Paths relative to the module root, which the demo makes its working
// directory.
const (
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

	if err := localenv.ChdirModuleRoot("the demo"); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	d := &demo{namespace: *namespace, readyTimeout: *readyTimeout}
	defer d.shutdown()

	steps := []localenv.Step{
		{Name: "start the EB simulator", Run: d.startSimulator},
		{Name: "start the control plane", Run: d.startControlPlane},
		{Name: "build and start the operator", Run: d.startOperator},
		{Name: "apply the samples", Run: d.applySamples},
		{Name: "wait until the samples are Ready", Run: d.waitReady},
		{Name: "print status and Secrets", Run: d.printSummary},
		{Name: "check the API key with listops", Run: d.checkAPIKey},
	}
	if err := localenv.RunSteps(ctx, steps, nil); err != nil {
		return err
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
	case <-d.operator.Done():
		if err := exitError(d.operator.Result()); err != nil {
			return fmt.Errorf("operator exited: %w", err)
		}
		return errors.New("operator exited with status 0 before the demo was stopped")
	}
}
