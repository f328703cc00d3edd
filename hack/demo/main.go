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
// It then keeps running until SIGINT or SIGTERM, so a second shell can use
// kubectl with the kubeconfig it prints. When the operator exits during that
// time, the demo restarts it with the same command line and keeps the
// control plane and the simulator, so crash recovery can be tried. With
// --no-operator-restart it keeps them without the operator instead. With
// --exit-after-check it stops after the listops check.
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

// Restart policy for an operator that exits after the check. An operator
// that exits more than maxOperatorExits times within operatorExitWindow
// stops the demo, so that a crash loop ends with an error.
const (
	operatorRestartDelay = 2 * time.Second
	maxOperatorExits     = 5
	operatorExitWindow   = time.Minute
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
	noRestart := flag.Bool("no-operator-restart", false,
		"When the operator exits after the check, keep the control plane and the EB simulator "+
			"running without it instead of restarting it.")
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
	return d.runUntilSignal(ctx, !*noRestart)
}

// runUntilSignal keeps the demo running, with the operator's logs
// streamed, until ctx ends (SIGINT or SIGTERM). When the operator exits, it
// restarts the operator if restart is set, and otherwise leaves it stopped.
func (d *demo) runUntilSignal(ctx context.Context, restart bool) error {
	d.printUsage(restart)
	operatorDone := d.operator.Done()
	var exits []time.Time
	for {
		select {
		case <-ctx.Done():
			printLine("==> signal received: stopping")
			return nil
		case <-operatorDone:
		}
		status := describeExit(d.operator.Result())
		// The exit is reported here, so shutdown has no operator to stop.
		d.operator, operatorDone = nil, nil
		if !restart {
			printLine("operator exited (%s); not restarting it because --no-operator-restart is set", status)
			continue
		}

		now := time.Now()
		exits = append(exits, now)
		for len(exits) > 0 && now.Sub(exits[0]) > operatorExitWindow {
			exits = exits[1:]
		}
		if len(exits) > maxOperatorExits {
			return fmt.Errorf("operator exited %d times within %s, the last time with %s; "+
				"stopping the demo (see the operator| lines above)",
				len(exits), operatorExitWindow, status)
		}
		printLine("operator exited (%s); restarting it in %s", status, operatorRestartDelay)
		select {
		case <-ctx.Done():
			printLine("==> signal received: stopping")
			return nil
		case <-time.After(operatorRestartDelay):
		}
		if err := d.launchOperator(); err != nil {
			return fmt.Errorf("restart the operator: %w", err)
		}
		operatorDone = d.operator.Done()
	}
}

// printUsage prints the commands that a second shell can run against the
// running demo.
func (d *demo) printUsage(restart bool) {
	printLine("==> the demo keeps running; in another shell:")
	printLine("    export KUBECONFIG=%s", shellQuote(d.kubeconfigPath))
	printLine("    kubectl get ebclients,ebapikeys -n %s", d.namespace)
	printLine("    %s", d.curlCallsCommand())
	if restart {
		printLine("    the operator is restarted when it exits; to run your own with the command line")
		printLine("    above, pause this one with kill -STOP $(pgrep -f %s), or use --no-operator-restart",
			shellQuote(d.kubeconfigPath))
	} else {
		printLine("    the operator is not restarted when it exits, so you can stop it and run your")
		printLine("    own with the command line above")
	}
	printLine("    press Ctrl-C to stop")
}
