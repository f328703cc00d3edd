// Command manager runs the eb-operator controllers.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/controllers"
	"github.com/enigmabridge/eb-operator/internal/ebapi"
)

// stringList is a repeatable string flag. The first use replaces the
// default; later uses append.
type stringList struct {
	values []string
	set    bool
}

func (l *stringList) String() string { return strings.Join(l.values, ",") }

func (l *stringList) Set(v string) error {
	if !l.set {
		l.values, l.set = nil, true
	}
	l.values = append(l.values, v)
	return nil
}

type options struct {
	metricsAddr, probeAddr string
	pprofAddr              string
	leaderElect            bool
	watchNamespaces        stringList
	allowedHosts           stringList
	defaultEndpoints       stringList
	caFile                 string
	ebQPS                  float64
	ebBurst                int
	ebTimeout              time.Duration
	kubeQPS                float64
	kubeBurst              int
	clientWorkers          int
	keyWorkers             int
}

func parseFlags(fs *flag.FlagSet, args []string) (*options, zap.Options, error) {
	o := &options{
		allowedHosts:     stringList{values: append([]string(nil), ebapi.DefaultAllowedHosts...)},
		defaultEndpoints: stringList{values: append([]string(nil), ebapi.DefaultEndpoints...)},
	}

	fs.StringVar(&o.metricsAddr, "metrics-bind-address", ":8080", "Address of the metrics endpoint; 0 disables it.")
	fs.StringVar(&o.probeAddr, "health-probe-bind-address", ":8081", "Address of the health and readiness probes.")
	fs.StringVar(&o.pprofAddr, "pprof-bind-address", "",
		"Address of the pprof endpoint (/debug/pprof/); empty disables it.")
	fs.BoolVar(&o.leaderElect, "leader-elect", false, "Elect a leader, for more than one replica.")

	fs.Var(&o.watchNamespaces, "watch-namespace", "Namespace to watch; repeat for several. Default: all namespaces.")
	fs.Var(&o.allowedHosts, "allowed-registration-host",
		"Registration host the operator may connect to; repeat for several. Default: the three hut hosts.")
	fs.Var(&o.defaultEndpoints, "default-registration-endpoint",
		"Registration base URL used when spec.registration.endpoints is empty; repeat for several. "+
			"Default: the three hut servers on port 8445.")
	fs.StringVar(&o.caFile, "registration-ca-file", "",
		"PEM file of CA certificates trusted for every registration server, besides the system roots.")

	fs.Float64Var(&o.ebQPS, "eb-qps", 50, "Maximum EB calls per second, shared by all objects; 0 means no limit.")
	fs.IntVar(&o.ebBurst, "eb-burst", 100, "Maximum burst of EB calls above --eb-qps.")
	fs.DurationVar(&o.ebTimeout, "eb-timeout", 30*time.Second, "Timeout of one EB call on one registration server.")
	fs.Float64Var(&o.kubeQPS, "kube-api-qps", 100, "Maximum Kubernetes API requests per second, for each resource type "+
		"(controller-runtime gives each type its own client).")
	fs.IntVar(&o.kubeBurst, "kube-api-burst", 200, "Maximum burst of Kubernetes API requests above --kube-api-qps, for each resource type.")
	fs.IntVar(&o.clientWorkers, "ebclient-workers", 8, "EBClients reconciled in parallel.")
	fs.IntVar(&o.keyWorkers, "ebapikey-workers", 16, "EBApiKeys reconciled in parallel.")

	// Transient EB failures are returned as errors for the backoff, and
	// controller-runtime logs them at error level; a stack trace adds
	// nothing to those lines. --zap-stacktrace-level still overrides this.
	zapOpts := zap.Options{StacktraceLevel: zapcore.PanicLevel}
	zapOpts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return nil, zapOpts, err
	}
	return o, zapOpts, nil
}

func main() {
	opts, zapOpts, err := parseFlags(flag.CommandLine, os.Args[1:])
	if err != nil {
		os.Exit(2)
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	if err := run(ctrl.SetupSignalHandler(), opts); err != nil {
		ctrl.Log.Error(err, "Manager stopped")
		os.Exit(1)
	}
}

func run(ctx context.Context, o *options) error {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := ebv1.AddToScheme(scheme); err != nil {
		return err
	}
	var ca []byte
	if o.caFile != "" {
		var err error
		if ca, err = os.ReadFile(o.caFile); err != nil {
			return fmt.Errorf("read --registration-ca-file: %w", err)
		}
	}

	cfg := ctrl.GetConfigOrDie()
	cfg.QPS = float32(o.kubeQPS)
	cfg.Burst = o.kubeBurst
	mgr, err := ctrl.NewManager(cfg, managerOptions(scheme, o))
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}
	eb := &controllers.EBSettings{
		DefaultEndpoints: o.defaultEndpoints.values,
		AllowedHosts:     o.allowedHosts.values,
		CABundle:         ca,
		Limiter:          ebapi.NewLimiter(o.ebQPS, o.ebBurst),
		Timeout:          o.ebTimeout,
	}
	if err := controllers.Setup(ctx, mgr, eb, controllers.Workers{Clients: o.clientWorkers, Keys: o.keyWorkers}, nil); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return err
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return err
	}
	ctrl.Log.Info("Starting manager", "watchNamespaces", o.watchNamespaces.values,
		"allowedRegistrationHosts", o.allowedHosts.values, "ebQPS", o.ebQPS)
	return mgr.Start(ctx)
}

func managerOptions(scheme *runtime.Scheme, o *options) ctrl.Options {
	return ctrl.Options{
		Scheme:                 scheme,
		Cache:                  controllers.CacheOptions(o.watchNamespaces.values),
		Metrics:                metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress: o.probeAddr,
		PprofBindAddress:       o.pprofAddr,
		LeaderElection:         o.leaderElect,
		LeaderElectionID:       "eb-operator.eb.enigmabridge.com",
	}
}
