package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/enigmabridge/eb-operator/hack/internal/localenv"
	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

// demo contains the processes and clients that the steps start, so that
// shutdown can stop them in reverse order.
type demo struct {
	namespace    string
	readyTimeout time.Duration

	sim *ebsim.Server
	// caFile is the absolute path of the simulator's CA certificate.
	caFile         string
	controlPlane   *localenv.ControlPlane
	kubeconfigPath string
	k8s            client.Client
	// operatorCommand is the operator's binary and flags, kept so that
	// the same command can be restarted.
	operatorCommand []string
	// operator is the running operator, or nil once an exit has been
	// reported and it has not been restarted.
	operator *localenv.Process
}

// startSimulator serves the EB simulator on a random loopback port. The
// processing server that its addapi returns is the same address, so the
// listops check reaches it too. Its admin endpoints are on, so a user can
// read its call counters and inject faults while the demo runs.
func (d *demo) startSimulator(context.Context) error {
	sim, err := localenv.StartSimulator(tlsDir, ebsim.Options{Admin: true})
	if err != nil {
		return err
	}
	d.sim = sim
	if d.caFile, err = filepath.Abs(sim.CAFile); err != nil {
		return err
	}
	printLine("EB simulator serving %s, with fault injection enabled", sim.URL)
	printLine("  CA certificate:  %s", d.caFile)
	printLine("  admin endpoints: GET /admin/calls; POST /admin/fail, /admin/notready, /admin/latency, /admin/reset")
	printLine(`  request bodies:  {"function":"addapi","count":3,"httpStatus":503} or {"function":"create","code":61465};`)
	printLine(`                   {"notReady":true}; {"latency":"5s"}`)
	printLine("  for example:     %s", d.curlCallsCommand())
	return nil
}

// curlCallsCommand returns a curl command line that reads the simulator's
// call counters.
func (d *demo) curlCallsCommand() string {
	return shellJoin([]string{"curl", "--cacert", d.caFile, d.sim.URL + "/admin/calls"})
}

// startControlPlane starts kube-apiserver and etcd from bin/k8s, installs
// the CRDs and writes a kubeconfig for a system:masters user.
func (d *demo) startControlPlane(context.Context) error {
	cp, err := localenv.StartControlPlane(localenv.ControlPlaneOptions{
		AssetsDir:      assetsDir,
		CRDDir:         crdDir,
		User:           "demo-admin",
		KubeconfigFile: kubeconfigFile,
	})
	if err != nil {
		return err
	}
	d.controlPlane = cp
	d.kubeconfigPath = cp.KubeconfigPath
	if d.k8s, err = client.New(cp.Config, client.Options{Scheme: cp.Scheme}); err != nil {
		return fmt.Errorf("create Kubernetes client: %w", err)
	}
	printLine("control plane serving %s", cp.Config.Host)
	printLine("kubeconfig written to %s; to use kubectl from another shell:", d.kubeconfigPath)
	printLine("    export KUBECONFIG=%s", shellQuote(d.kubeconfigPath))
	return nil
}

// shutdown stops the operator, the control plane and the simulator, in
// that order, and reports each failure without stopping the rest.
func (d *demo) shutdown() {
	if d.operator != nil {
		if err := stopOperator(d.operator); err != nil {
			printLine("stop operator: %v", err)
		} else {
			printLine("operator stopped")
		}
	}
	if d.controlPlane != nil {
		if err := d.controlPlane.Stop(); err != nil {
			printLine("stop control plane: %v", err)
		} else {
			printLine("control plane stopped")
		}
	}
	if d.sim != nil {
		if err := d.sim.Close(); err != nil {
			printLine("stop EB simulator: %v", err)
		} else {
			printLine("EB simulator stopped")
		}
	}
}
