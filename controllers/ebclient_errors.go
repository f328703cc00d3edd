package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/internal/ebapi"
)

// readSecretValue reads one key of a Secret named by the spec, uncached,
// because the cache holds only the operator's own Secrets. It returns the
// value and the Secret's resourceVersion, or a problem message that names
// the field and the fix. A nil reference returns nothing and no problem.
func (r *EBClientReconciler) readSecretValue(ctx context.Context, obj *ebv1.EBClient,
	ref *ebv1.SecretKeyReference, field string) (value, version, problem string) {
	if ref == nil {
		return "", "", ""
	}
	secret := &corev1.Secret{}
	err := r.APIReader.Get(ctx, types.NamespacedName{Namespace: obj.Namespace, Name: ref.Name}, secret)
	switch {
	case apierrors.IsNotFound(err):
		return "", "", fmt.Sprintf("Secret %q named by %s.name not found; create it with key %q "+
			"or fix the reference", ref.Name, field, ref.Key)
	case err != nil:
		return "", "", fmt.Sprintf("cannot read Secret %q named by %s: %v", ref.Name, field, err)
	}
	v, ok := secret.Data[ref.Key]
	if !ok || len(v) == 0 {
		return "", "", fmt.Sprintf("Secret %q has no key %q named by %s.key; add the key "+
			"or fix the reference", ref.Name, ref.Key, field)
	}
	return strings.TrimSpace(string(v)), secret.ResourceVersion, ""
}

// rejectConfig reports an EB client configuration error. The operator made
// no connection, and the object waits for a spec change.
func (r *EBClientReconciler) rejectConfig(obj *ebv1.EBClient, err error) (ctrl.Result, error) {
	reason, msg := configProblem(err)
	setRegistered(&obj.Status.Conditions, obj.Generation, false, reason, msg)
	setReady(&obj.Status.Conditions, obj.Generation, false, reason, msg)
	return ctrl.Result{}, nil
}

// configProblem turns an *ebapi.ConfigError into a condition reason and a
// message that names the spec field.
func configProblem(err error) (reason, message string) {
	var cfg *ebapi.ConfigError
	if !errors.As(err, &cfg) {
		return ebv1.ReasonInvalidSpec, err.Error()
	}
	field := cfg.Field
	if !strings.HasPrefix(field, "spec.") {
		field = "spec." + field
	}
	msg := fmt.Sprintf("invalid %s %q: %s", field, cfg.Value, cfg.Reason)
	if cfg.HostNotAllowed {
		return ebv1.ReasonRegistrationHostNotAllowed, msg +
			"; no connection was made (the operator's --allowed-registration-host flag sets the list)"
	}
	return ebv1.ReasonInvalidSpec, msg
}

// rejectEB turns a failed EB call into conditions. A transient failure
// returns the error, so the object is retried with jittered exponential
// backoff. A permanent one is recorded in status.lastRejection and not
// retried until the generation or the token Secret changes.
func (r *EBClientReconciler) rejectEB(obj *ebv1.EBClient, function string, err error,
	tokenVersion string) (ctrl.Result, error) {
	if errors.Is(err, context.Canceled) {
		return ctrl.Result{}, err
	}
	if ebapi.IsTransient(err) {
		msg := fmt.Sprintf("registration servers unavailable, retrying with backoff: %v", err)
		setRegistered(&obj.Status.Conditions, obj.Generation, false, ebv1.ReasonRegistrationServerUnavailable, msg)
		setReady(&obj.Status.Conditions, obj.Generation, false, ebv1.ReasonRegistrationServerUnavailable, msg)
		return ctrl.Result{}, fmt.Errorf("EBClient %s/%s: %w", obj.Namespace, obj.Name, err)
	}
	var cfg *ebapi.ConfigError
	if errors.As(err, &cfg) {
		return r.rejectConfig(obj, err)
	}
	code, _ := ebapi.StatusCode(err)
	msg := fmt.Sprintf("%v; %s", err, registrationAdvice(obj, code))
	r.reject(obj, ebv1.ReasonRegistrationRejected, msg, code, tokenVersion)
	return ctrl.Result{RequeueAfter: r.Recheck}, nil
}

// registrationAdvice returns how to fix a permanent registration error.
func registrationAdvice(obj *ebv1.EBClient, code int) string {
	retry := "the operator tries again when the spec or the token Secret changes"
	switch code {
	case 0xF030, 0xA065:
		if ref := obj.Spec.Authentication.TokenSecretRef; ref != nil {
			return fmt.Sprintf("check the token in Secret %q key %q (spec.authentication.tokenSecretRef); %s",
				ref.Name, ref.Key, retry)
		}
	case 0x8069:
		return fmt.Sprintf("spec.clientType %q is not a client type of this EB server; "+
			"create a new EBClient with a valid clientType", obj.Spec.ClientType)
	}
	return "fix spec.authentication or the token Secret; " + retry
}

// reject records a permanent failure.
func (r *EBClientReconciler) reject(obj *ebv1.EBClient, reason, msg string, code int, tokenVersion string) {
	setRegistered(&obj.Status.Conditions, obj.Generation, false, reason, msg)
	setReady(&obj.Status.Conditions, obj.Generation, false, reason, msg)
	obj.Status.LastRejection = &ebv1.Rejection{
		Code:               int32(code),
		Generation:         obj.Generation,
		TokenSecretVersion: tokenVersion,
		Time:               metav1.NewTime(time.Now().UTC().Truncate(time.Second)),
		Reason:             reason,
		Message:            msg,
	}
}
