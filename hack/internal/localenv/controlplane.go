package localenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

// StartSimulator serves the EB simulator on a random loopback port, with
// its TLS certificates in tlsDir.
func StartSimulator(tlsDir string, opts ebsim.Options) (*ebsim.Server, error) {
	sim, err := ebsim.Start("127.0.0.1:0", tlsDir, opts)
	if err != nil {
		return nil, fmt.Errorf("start EB simulator: %w", err)
	}
	return sim, nil
}

// ControlPlaneOptions configures StartControlPlane.
type ControlPlaneOptions struct {
	// AssetsDir contains the kube-apiserver and etcd binaries.
	AssetsDir string
	// CRDDir contains the CRD manifests to install.
	CRDDir string
	// User is the name of the system:masters user that the kubeconfig
	// authenticates as.
	User string
	// KubeconfigFile is the output path of the kubeconfig. Its directory
	// is created with mode 0700 if missing.
	KubeconfigFile string
	// APIServerFlags are kube-apiserver flags set before it starts, keyed
	// by flag name without dashes.
	APIServerFlags map[string]string
}

// ControlPlane is kube-apiserver and etcd started by envtest, with the CRDs
// installed.
type ControlPlane struct {
	Env *envtest.Environment
	// Config is the admin configuration that envtest returns.
	Config *rest.Config
	// Scheme contains the client-go types and the EB types.
	Scheme *runtime.Scheme
	// KubeconfigPath is the absolute path of the written kubeconfig.
	KubeconfigPath string
}

// StartControlPlane starts kube-apiserver and etcd from opts.AssetsDir,
// installs the CRDs and writes a kubeconfig for a system:masters user. On
// failure it stops whatever it started.
func StartControlPlane(opts ControlPlaneOptions) (*ControlPlane, error) {
	if _, err := os.Stat(filepath.Join(opts.AssetsDir, "kube-apiserver")); err != nil {
		return nil, fmt.Errorf("kube-apiserver not found in %s; run `make controlplane` first", opts.AssetsDir)
	}
	cp := &ControlPlane{Env: &envtest.Environment{
		BinaryAssetsDirectory: opts.AssetsDir,
		CRDDirectoryPaths:     []string{opts.CRDDir},
		ErrorIfCRDPathMissing: true,
	}}
	args := cp.Env.ControlPlane.GetAPIServer().Configure()
	for name, value := range opts.APIServerFlags {
		args.Set(name, value)
	}
	if err := cp.start(opts); err != nil {
		// Environment.Start can fail after kube-apiserver and etcd are up,
		// while it installs the CRDs, so they are stopped here.
		if stopErr := cp.Env.Stop(); stopErr != nil {
			err = errors.Join(err, fmt.Errorf("stop control plane: %w", stopErr))
		}
		return nil, err
	}
	return cp, nil
}

func (cp *ControlPlane) start(opts ControlPlaneOptions) error {
	var err error
	if cp.Config, err = cp.Env.Start(); err != nil {
		return fmt.Errorf("start kube-apiserver and etcd: %w", err)
	}

	cp.Scheme = runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(cp.Scheme); err != nil {
		return err
	}
	if err := ebv1.AddToScheme(cp.Scheme); err != nil {
		return err
	}

	user, err := cp.Env.AddUser(envtest.User{Name: opts.User, Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return fmt.Errorf("add user %s: %w", opts.User, err)
	}
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return fmt.Errorf("render kubeconfig: %w", err)
	}
	// The kubeconfig contains the user's client key, so only the owner may
	// read it.
	if err := os.MkdirAll(filepath.Dir(opts.KubeconfigFile), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(opts.KubeconfigFile, kubeconfig, 0o600); err != nil {
		return fmt.Errorf("write kubeconfig: %w", err)
	}
	if cp.KubeconfigPath, err = filepath.Abs(opts.KubeconfigFile); err != nil {
		return err
	}
	return nil
}

// Stop stops kube-apiserver and etcd.
func (cp *ControlPlane) Stop() error {
	return cp.Env.Stop()
}
