package controllers_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/controllers"
	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

// The suite runs one real kube-apiserver and etcd (envtest) for all tests.
// Each test gets its own namespace, its own EB simulator over HTTPS and its
// own manager restricted to that namespace, so tests run in parallel and
// counters belong to one test.
var (
	restConfig *rest.Config
	k8s        client.Client
	scheme     = runtime.NewScheme()
	logs       = &logBuffer{}
)

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		panic(err)
	}
	if err := ebv1.AddToScheme(scheme); err != nil {
		panic(err)
	}
	logf.SetLogger(zap.New(zap.WriteTo(logs), zap.UseDevMode(true)))

	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join("..", "bin", "k8s")
	}
	if _, err := os.Stat(filepath.Join(assets, "kube-apiserver")); err != nil {
		fmt.Fprintf(os.Stderr, "kube-apiserver not found in %s; run `make controlplane` first\n", assets)
		return 1
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	var err error
	if restConfig, err = env.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "start envtest: %v\n", err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop envtest: %v\n", err)
		}
	}()
	restConfig.QPS, restConfig.Burst = 500, 1000
	if k8s, err = client.New(restConfig, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintf(os.Stderr, "create client: %v\n", err)
		return 1
	}
	return m.Run()
}

// logBuffer collects the operator's log output, so that tests can assert
// that no secret value was ever logged.
type logBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	return len(p), nil
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf)
}

// requestCounter counts the API requests that one manager sends, by verb.
type requestCounter struct {
	mu     sync.Mutex
	counts map[string]int
	writes []string
}

func (c *requestCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(req *http.Request) (*http.Response, error) {
		c.mu.Lock()
		c.counts[req.Method]++
		if req.Method != http.MethodGet {
			c.writes = append(c.writes, req.Method+" "+req.URL.Path)
		}
		c.mu.Unlock()
		return rt.RoundTrip(req)
	})
}

// Writes returns every non-GET request sent so far.
func (c *requestCounter) Writes() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.writes...)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// operator is one running manager.
type operator struct {
	requests *requestCounter
	// cache is the manager's cache, as the reconcilers read it.
	cache    cache.Cache
	cancel   context.CancelFunc
	done     chan error
	stopOnce sync.Once
}

// Stop stops the manager and waits for it, as a crash or a rollout would.
func (o *operator) Stop() {
	o.stopOnce.Do(func() {
		o.cancel()
		<-o.done
	})
}

type operatorOptions struct {
	namespaces []string
	hooks      *controllers.Hooks
	// settings changes the EB settings before the manager starts.
	settings func(*controllers.EBSettings)
	workers  controllers.Workers
}

// startOperator runs a manager against the suite's API server, with the
// cache set up as the operator's command does: only managed Secrets, only
// the given namespaces. It is stopped when the test ends.
func startOperator(t testing.TB, sim *ebsim.Server, opts operatorOptions) *operator {
	t.Helper()
	counter := &requestCounter{counts: map[string]int{}}
	cfg := rest.CopyConfig(restConfig)
	cfg.WrapTransport = counter.wrap
	skip := true
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 scheme,
		Cache:                  controllers.CacheOptions(opts.namespaces),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: &skip},
	})
	if err != nil {
		t.Fatalf("create manager: %v", err)
	}
	settings := &controllers.EBSettings{
		DefaultEndpoints: []string{sim.URL},
		AllowedHosts:     []string{"127.0.0.1"},
		CABundle:         sim.CAPEM,
		Timeout:          5 * time.Second,
	}
	if opts.settings != nil {
		opts.settings(settings)
	}
	workers := opts.workers
	if workers.Clients == 0 {
		workers = controllers.Workers{Clients: 4, Keys: 8}
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := controllers.Setup(ctx, mgr, settings, workers, opts.hooks); err != nil {
		cancel()
		t.Fatalf("set up controllers: %v", err)
	}
	op := &operator{requests: counter, cache: mgr.GetCache(), cancel: cancel, done: make(chan error, 1)}
	go func() { op.done <- mgr.Start(ctx) }()
	t.Cleanup(op.Stop)
	return op
}
