package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

// demo contains the processes and clients that the steps start, so that
// shutdown can stop them in reverse order.
type demo struct {
	namespace    string
	readyTimeout time.Duration

	sim            *ebsim.Server
	env            *envtest.Environment
	kubeconfigPath string
	k8s            client.Client
	operator       *operator
}

// startSimulator serves the EB simulator on a random loopback port. The
// processing server that its addapi returns is the same address, so the
// listops check reaches it too.
func (d *demo) startSimulator(context.Context) error {
	sim, err := ebsim.Start("127.0.0.1:0", tlsDir, ebsim.Options{Admin: true})
	if err != nil {
		return fmt.Errorf("start EB simulator: %w", err)
	}
	d.sim = sim
	printLine("EB simulator serving %s (CA certificate %s)", sim.URL, sim.CAFile)
	return nil
}

// startControlPlane starts kube-apiserver and etcd from bin/k8s, installs
// the CRDs and writes a kubeconfig for a system:masters user.
func (d *demo) startControlPlane(context.Context) error {
	if _, err := os.Stat(filepath.Join(assetsDir, "kube-apiserver")); err != nil {
		return fmt.Errorf("kube-apiserver not found in %s; run `make controlplane` first", assetsDir)
	}
	d.env = &envtest.Environment{
		BinaryAssetsDirectory: assetsDir,
		CRDDirectoryPaths:     []string{crdDir},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := d.env.Start()
	if err != nil {
		return fmt.Errorf("start kube-apiserver and etcd: %w", err)
	}

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := ebv1.AddToScheme(scheme); err != nil {
		return err
	}
	if d.k8s, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return fmt.Errorf("create Kubernetes client: %w", err)
	}

	user, err := d.env.AddUser(envtest.User{Name: "demo-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("add user demo-admin: %w", err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("render kubeconfig: %w", err)
	}
	// The kubeconfig contains the user's client key, so only the owner may
	// read it.
	if err := os.MkdirAll(workDir, 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(kubeconfigFile, kubeconfig, 0o600); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	if d.kubeconfigPath, err = filepath.Abs(kubeconfigFile); err != nil {
		return err
	}
	printLine("control plane serving %s", cfg.Host)
	printLine("kubeconfig written to %s; to use kubectl from another shell:", d.kubeconfigPath)
	printLine("    export KUBECONFIG=%s", d.kubeconfigPath)
	return nil
}

// shutdown stops the operator, the control plane and the simulator, in
// that order, and reports each failure without stopping the rest.
func (d *demo) shutdown() {
	if d.operator != nil {
		if err := d.operator.stop(); err != nil {
			printLine("stop operator: %v", err)
		} else {
			printLine("operator stopped")
		}
	}
	if d.env != nil {
		if err := d.env.Stop(); err != nil {
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
