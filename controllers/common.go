package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

// ensureFinalizer adds the finalizer before the Secret is first written, so
// that the Secret is always released on deletion. It patches a copy, so the
// status that obj holds in memory stays as it is.
func ensureFinalizer(ctx context.Context, c client.Client, obj client.Object) error {
	if controllerutil.ContainsFinalizer(obj, ebv1.Finalizer) {
		return nil
	}
	patched := obj.DeepCopyObject().(client.Object)
	controllerutil.AddFinalizer(patched, ebv1.Finalizer)
	if err := c.Patch(ctx, patched, client.MergeFrom(obj)); err != nil {
		return fmt.Errorf("add finalizer: %w", err)
	}
	obj.SetFinalizers(patched.GetFinalizers())
	return nil
}

// releaseSecret carries out the deletion policy on the object's Secret and
// then removes the finalizer. An object without the finalizer never wrote
// a Secret and needs neither.
func releaseSecret(ctx context.Context, c client.Client, s *secrets, obj client.Object,
	secretName string, policy ebv1.DeletionPolicy) error {
	if !controllerutil.ContainsFinalizer(obj, ebv1.Finalizer) {
		return nil
	}
	if err := s.release(ctx, obj, secretName, policy); err != nil {
		return err
	}
	return removeFinalizer(ctx, c, obj)
}

func removeFinalizer(ctx context.Context, c client.Client, obj client.Object) error {
	patch := client.MergeFrom(obj.DeepCopyObject().(client.Object))
	controllerutil.RemoveFinalizer(obj, ebv1.Finalizer)
	if err := c.Patch(ctx, obj, patch); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("remove finalizer: %w", err))
	}
	return nil
}

// retryOnConflict turns a write conflict, which only means that the cache
// was behind, into a quiet retry after a short delay instead of an error
// log with a stack trace.
func retryOnConflict(ctx context.Context, result ctrl.Result, err error) (ctrl.Result, error) {
	if err == nil || !apierrors.IsConflict(err) {
		return result, err
	}
	log.FromContext(ctx).V(1).Info("Write conflict, retrying", "error", err.Error())
	return ctrl.Result{RequeueAfter: conflictRetryDelay}, nil
}

// conflictRetryDelay is how long a pass that hit a write conflict waits for
// the cache to catch up.
const conflictRetryDelay = 500 * time.Millisecond

// recordReadyChange emits a Warning Event when Ready changed to False with a
// new reason or message. A pass that leaves the condition as it was emits
// nothing, so a waiting object does not flood the Event stream.
// The same change is logged, so a rejection shows in the operator's log too.
func recordReadyChange(ctx context.Context, rec events.EventRecorder, obj runtime.Object,
	before, after []metav1.Condition) {
	now := meta.FindStatusCondition(after, ebv1.ConditionReady)
	if now == nil || now.Status == metav1.ConditionTrue {
		return
	}
	if was := meta.FindStatusCondition(before, ebv1.ConditionReady); was != nil &&
		was.Status == now.Status && was.Reason == now.Reason && was.Message == now.Message {
		return
	}
	switch now.Reason {
	case ebv1.ReasonWaitingForClient, ebv1.ReasonRegistering, ebv1.ReasonIssuing:
		return
	}
	rec.Eventf(obj, nil, corev1.EventTypeWarning, now.Reason, "Reconcile", "%s", now.Message)
	log.FromContext(ctx).Info("Not Ready", "reason", now.Reason, "message", now.Message)
}

// specOrMetadataChanged passes an object's update events that change its
// generation (spec edits and deletion), labels or annotations. It drops the
// events of the reconciler's own status writes, which would requeue a failed
// object at once and skip the backoff of its first retry.
var specOrMetadataChanged = predicate.Or[client.Object](predicate.GenerationChangedPredicate{},
	predicate.LabelChangedPredicate{}, predicate.AnnotationChangedPredicate{})
