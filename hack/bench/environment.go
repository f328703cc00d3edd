package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/enigmabridge/eb-operator/hack/internal/localenv"
	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

// The simulator's client type for the benchmark. Its token is a public
// benchmark value, never printed.
const (
	clientTypeName = "bench"
	clientToken    = "bench-token"
	maxAPIKeys     = 20
)

// operatorUser is the user the operator authenticates as. The audit log
// entries of the operator's requests carry this name.
const operatorUser = "eb-operator-bench"

// creatorQPS is the rate limit of the client that creates the objects, high
// enough that creating them is never the bottleneck.
const creatorQPS = 5000

// bench holds what the steps start and measure, so that shutdown can stop
// it in reverse order.
type bench struct {
	cfg     config
	results *results

	sim            *ebsim.Server
	controlPlane   *localenv.ControlPlane
	restConfig     *rest.Config
	k8s            client.WithWatch
	scheme         *runtime.Scheme
	kubeconfigPath string
	auditLogPath   string
	operator       *operator
	defaults       operatorDefaults
}

// startSimulator serves the EB simulator on a random loopback port with a
// client type that allows more keys per client than the benchmark issues.
func (b *bench) startSimulator(context.Context) error {
	types := []ebsim.ClientType{{
		Name:       clientTypeName,
		Token:      clientToken,
		Methods:    []ebsim.AuthMethod{{Method: "type"}},
		MaxAPIKeys: maxAPIKeys,
		MaxObjects: 1000,
		Operations: []ebsim.Operation{
			{ID: 1, Name: "PLAINAES", Status: "enabled"},
			{ID: 3, Name: "RANDOM", Status: "enabled"},
		},
	}}
	sim, err := localenv.StartSimulator(filepath.Join(workDir, "tls"), ebsim.Options{Types: types, Admin: true})
	if err != nil {
		return err
	}
	b.sim = sim
	say("    EB simulator serving %s", sim.URL)
	return nil
}

// startControlPlane starts kube-apiserver and etcd from bin/k8s with an
// audit log of every request's metadata, installs the CRDs and writes a
// kubeconfig for the operator's user.
func (b *bench) startControlPlane(context.Context) error {
	if err := os.MkdirAll(workDir, 0o700); err != nil {
		return err
	}
	policy, err := filepath.Abs(filepath.Join(workDir, "audit-policy.yaml"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		return err
	}
	if b.auditLogPath, err = filepath.Abs(filepath.Join(workDir, "audit.log")); err != nil {
		return err
	}
	_ = os.Remove(b.auditLogPath)

	cp, err := localenv.StartControlPlane(localenv.ControlPlaneOptions{
		AssetsDir:      assetsDir,
		CRDDir:         crdDir,
		User:           operatorUser,
		KubeconfigFile: filepath.Join(workDir, "kubeconfig"),
		APIServerFlags: map[string]string{
			"audit-policy-file": policy,
			"audit-log-path":    b.auditLogPath,
			"audit-log-format":  "json",
			"audit-log-mode":    "blocking",
		},
	})
	if err != nil {
		return err
	}
	b.controlPlane = cp
	b.restConfig, b.scheme, b.kubeconfigPath = cp.Config, cp.Scheme, cp.KubeconfigPath

	creator := rest.CopyConfig(b.restConfig)
	creator.QPS, creator.Burst = creatorQPS, creatorQPS
	if b.k8s, err = client.NewWithWatch(creator, client.Options{Scheme: b.scheme}); err != nil {
		return fmt.Errorf("create Kubernetes client: %w", err)
	}
	say("    control plane serving %s; audit log %s", b.restConfig.Host, b.auditLogPath)
	return nil
}

// auditPolicy records the metadata (user, verb, resource, subresource) of
// every request once, when its response is complete.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
- level: Metadata
`

// createNamespace creates a namespace for one part of the benchmark.
func (b *bench) createNamespace(ctx context.Context, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := b.k8s.Create(ctx, ns); err != nil {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	return nil
}

// shutdown stops the operator, the control plane and the simulator, in
// that order, and reports each failure without stopping the rest.
func (b *bench) shutdown() {
	if b.operator != nil {
		if err := b.operator.Stop(); err != nil {
			say("stop operator: %v", err)
		}
	}
	if b.controlPlane != nil {
		if err := b.controlPlane.Stop(); err != nil {
			say("stop control plane: %v", err)
		}
	}
	if b.sim != nil {
		if err := b.sim.Close(); err != nil {
			say("stop EB simulator: %v", err)
		}
	}
}
