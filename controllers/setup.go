package controllers

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

// Workers sets how many objects of each kind are reconciled in parallel.
type Workers struct {
	Clients int
	Keys    int
}

// Setup registers both reconcilers with the manager. hooks is nil outside
// tests.
func Setup(ctx context.Context, mgr ctrl.Manager, eb *EBSettings, workers Workers, hooks *Hooks) error {
	recorder := mgr.GetEventRecorder("eb-operator")
	claims := newSecretClaims()
	clients := &EBClientReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Scheme:    mgr.GetScheme(),
		Recorder:  recorder,
		EB:        eb,
		Workers:   workers.Clients,
		Hooks:     hooks,
		claims:    claims,
	}
	if err := clients.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("set up EBClient controller: %w", err)
	}
	keys := &EBApiKeyReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Scheme:    mgr.GetScheme(),
		Recorder:  recorder,
		EB:        eb,
		Workers:   workers.Keys,
		Hooks:     hooks,
		claims:    claims,
	}
	if err := keys.SetupWithManager(ctx, mgr); err != nil {
		return fmt.Errorf("set up EBApiKey controller: %w", err)
	}
	return nil
}

// CacheOptions returns the manager's cache options. The cache holds only
// Secrets with the managed-by label, so memory does not grow with unrelated
// Secrets; token Secrets are read uncached. With namespaces given, the
// cache, and so the operator, watches only those namespaces.
func CacheOptions(namespaces []string) cache.Options {
	managed := labels.SelectorFromSet(labels.Set{ebv1.ManagedByLabel: ebv1.ManagedByValue})
	opts := cache.Options{
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: {Label: managed},
		},
	}
	if len(namespaces) > 0 {
		opts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range namespaces {
			opts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	return opts
}
