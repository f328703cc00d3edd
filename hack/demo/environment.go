package main

import (
	"context"
	"fmt"
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

	sim            *ebsim.Server
	controlPlane   *localenv.ControlPlane
	kubeconfigPath string
	k8s            client.Client
	operator       *localenv.Process
}

// startSimulator serves the EB simulator on a random loopback port. The
// processing server that its addapi returns is the same address, so the
// listops check reaches it too.
func (d *demo) startSimulator(context.Context) error {
	sim, err := localenv.StartSimulator(tlsDir, ebsim.Options{Admin: true})
	if err != nil {
		return err
	}
	d.sim = sim
	printLine("EB simulator serving %s (CA certificate %s)", sim.URL, sim.CAFile)
	return nil
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
	printLine("    export KUBECONFIG=%s", d.kubeconfigPath)
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
