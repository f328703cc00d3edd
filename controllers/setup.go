package controllers

import (
	"context"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"
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
	clients := &EBClientReconciler{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Scheme:    mgr.GetScheme(),
		Recorder:  recorder,
		EB:        eb,
		Workers:   workers.Clients,
		Hooks:     hooks,
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
	}
	if err := keys.SetupWithManager(ctx, mgr); err != nil {
		return fmt.Errorf("set up EBApiKey controller: %w", err)
	}
	return nil
}
