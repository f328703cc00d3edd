package controllers

import (
	"context"
	"fmt"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/metrics"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

// setReady sets the Ready condition. Messages carry no timestamps, so an
// unchanged state produces an unchanged condition and no status write.
func setReady(conds *[]metav1.Condition, generation int64, ready bool, reason, message string) {
	status := metav1.ConditionFalse
	if ready {
		status = metav1.ConditionTrue
	}
	meta.SetStatusCondition(conds, metav1.Condition{
		Type:               ebv1.ConditionReady,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: generation,
	})
}

// setRegistered sets the Registered condition of an EBClient.
func setRegistered(conds *[]metav1.Condition, generation int64, registered bool, reason, message string) {
	status := metav1.ConditionFalse
	if registered {
		status = metav1.ConditionTrue
	}
	meta.SetStatusCondition(conds, metav1.Condition{
		Type:               ebv1.ConditionRegistered,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: generation,
	})
}

// restoreRejection sets Ready, and Registered for an EBClient, back to the
// permanent rejection recorded in status. A pass in between, for example
// one that waited for the owning EBClient, may have replaced them.
func restoreRejection(conds *[]metav1.Condition, generation int64, rej *ebv1.Rejection, registered bool) {
	if rej.Reason == "" || rej.Message == "" {
		return
	}
	setReady(conds, generation, false, rej.Reason, rej.Message)
	if registered {
		setRegistered(conds, generation, false, rej.Reason, rej.Message)
	}
}

func isReady(conds []metav1.Condition) bool {
	return meta.IsStatusConditionTrue(conds, ebv1.ConditionReady)
}

// patchStatus writes obj's status with a merge patch against base, a copy
// of obj that holds the status read at the start of the pass, and only when
// the status changed. The patch carries no resourceVersion, so a concurrent
// edit of labels or spec cannot make it fail with a conflict.
func patchStatus(ctx context.Context, c client.Client, obj, base client.Object, newStatus, oldStatus any) error {
	if equality.Semantic.DeepEqual(newStatus, oldStatus) {
		return nil
	}
	if err := c.Status().Patch(ctx, obj, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("patch status: %w", err)
	}
	return nil
}

var objectsReady = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "eb_objects_ready",
	Help: "Number of EBClient and EBApiKey objects whose Ready condition is True.",
}, []string{"kind"})

func init() {
	metrics.Registry.MustRegister(objectsReady)
}

// readyTracker counts the Ready objects of one kind for eb_objects_ready.
type readyTracker struct {
	kind  string
	mu    sync.Mutex
	ready map[types.UID]bool
}

func newReadyTracker(kind string) *readyTracker {
	return &readyTracker{kind: kind, ready: map[types.UID]bool{}}
}

func (t *readyTracker) set(uid types.UID, ready bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if ready {
		t.ready[uid] = true
	} else {
		delete(t.ready, uid)
	}
	objectsReady.WithLabelValues(t.kind).Set(float64(len(t.ready)))
}
