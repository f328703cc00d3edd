package controllers

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

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
func patchStatus(ctx context.Context, c client.Client, writes *ownWrites, obj, base client.Object,
	newStatus, oldStatus any) error {
	if equality.Semantic.DeepEqual(newStatus, oldStatus) {
		return nil
	}
	read := base.GetResourceVersion()
	if err := c.Status().Patch(ctx, obj, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("patch status: %w", err)
	}
	if obj.GetResourceVersion() != read {
		writes.record(obj.GetUID(), obj.GetResourceVersion())
	}
	return nil
}

// ownWrites remembers, per object, the resourceVersion of the operator's
// last status write. A later pass that reads an older resourceVersion from
// the cache has not seen that write yet. It would compute and write the
// same status again, so it waits for the cache instead. An entry expires
// after ownWriteExpiry, so a cache that never catches up cannot stall an
// object.
//
// NOTE: The API treats resourceVersions as opaque. The comparison parses
// them as the integers that kube-apiserver with etcd issues, and treats an
// unparsable value as current.
type ownWrites struct {
	mu   sync.Mutex
	last map[types.UID]ownWrite
}

type ownWrite struct {
	resourceVersion string
	at              time.Time
}

const (
	ownWriteExpiry = 10 * time.Second
	// cacheCatchUpDelay is how long a pass that found the cache behind
	// the operator's own status write waits before it runs again.
	cacheCatchUpDelay = 250 * time.Millisecond
)

func newOwnWrites() *ownWrites {
	return &ownWrites{last: map[types.UID]ownWrite{}}
}

func (w *ownWrites) record(uid types.UID, resourceVersion string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.last[uid] = ownWrite{resourceVersion: resourceVersion, at: time.Now()}
}

// behind reports whether obj, as read from the cache, is older than the
// last status write of this process.
func (w *ownWrites) behind(obj client.Object) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	last, ok := w.last[obj.GetUID()]
	if !ok {
		return false
	}
	written, err1 := strconv.ParseUint(last.resourceVersion, 10, 64)
	seen, err2 := strconv.ParseUint(obj.GetResourceVersion(), 10, 64)
	if err1 == nil && err2 == nil && seen < written && time.Since(last.at) < ownWriteExpiry {
		return true
	}
	delete(w.last, obj.GetUID())
	return false
}

func (w *ownWrites) forget(uid types.UID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.last, uid)
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
