package main

import (
	"flag"
	"io"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	"github.com/enigmabridge/eb-operator/internal/ebapi"
)

func parseTestFlags(t *testing.T, args ...string) *options {
	t.Helper()
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	opts, _, err := parseFlags(fs, args)
	if err != nil {
		t.Fatalf("parseFlags(%q): %v", args, err)
	}
	return opts
}

func TestWatchNamespacesInCache(t *testing.T) {
	t.Parallel()
	opts := parseTestFlags(t, "--watch-namespace", "a", "--watch-namespace", "b")
	got := managerOptions(runtime.NewScheme(), opts).Cache.DefaultNamespaces
	if len(got) != 2 {
		t.Fatalf("Cache.DefaultNamespaces = %v, want exactly a and b", got)
	}
	for _, ns := range []string{"a", "b"} {
		if _, ok := got[ns]; !ok {
			t.Errorf("Cache.DefaultNamespaces = %v, want it to contain %q", got, ns)
		}
	}
}

func TestWatchNamespacesDefaultAll(t *testing.T) {
	t.Parallel()
	opts := parseTestFlags(t)
	if got := managerOptions(runtime.NewScheme(), opts).Cache.DefaultNamespaces; len(got) != 0 {
		t.Errorf("Cache.DefaultNamespaces = %v, want none (all namespaces)", got)
	}
}

func TestAllowedHostsFlagReplacesDefault(t *testing.T) {
	t.Parallel()
	opts := parseTestFlags(t, "--allowed-registration-host", "eb.example.com",
		"--allowed-registration-host", "10.0.0.5")
	want := []string{"eb.example.com", "10.0.0.5"}
	if !slices.Equal(opts.allowedHosts.values, want) {
		t.Errorf("allowed hosts = %q, want %q", opts.allowedHosts.values, want)
	}
}

func TestAllowedHostsDefault(t *testing.T) {
	t.Parallel()
	opts := parseTestFlags(t)
	if !slices.Equal(opts.allowedHosts.values, ebapi.DefaultAllowedHosts) {
		t.Errorf("allowed hosts = %q, want the default %q", opts.allowedHosts.values, ebapi.DefaultAllowedHosts)
	}
	if len(opts.allowedHosts.values) != 3 {
		t.Errorf("default allowed hosts = %q, want the three hut hosts", opts.allowedHosts.values)
	}
}
