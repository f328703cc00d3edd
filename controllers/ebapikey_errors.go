package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/internal/ebapi"
)

// rejectEB turns a failed addapi or showapi into conditions. A transient
// failure returns the error, so the object is retried with jittered
// exponential backoff; a permanent one is not retried until the generation
// changes.
func (r *EBApiKeyReconciler) rejectEB(obj *ebv1.EBApiKey, function string, err error,
	creds clientCredentials) (ctrl.Result, error) {
	if errors.Is(err, context.Canceled) {
		return ctrl.Result{}, err
	}
	var cfg *ebapi.ConfigError
	if errors.As(err, &cfg) {
		reason, msg := configProblem(err)
		setReady(&obj.Status.Conditions, obj.Generation, false, reason,
			fmt.Sprintf("EBClient %q: %s", obj.Spec.ClientRef.Name, msg))
		return ctrl.Result{}, nil
	}
	if ebapi.IsTransient(err) {
		setReady(&obj.Status.Conditions, obj.Generation, false, ebv1.ReasonRegistrationServerUnavailable,
			fmt.Sprintf("%s failed with a transient error, retrying with backoff: %v", function, err))
		return ctrl.Result{}, fmt.Errorf("EBApiKey %s/%s: %w", obj.Namespace, obj.Name, err)
	}
	code, _ := ebapi.StatusCode(err)
	msg := fmt.Sprintf("%v; %s", err, issueAdvice(obj, code))
	setReady(&obj.Status.Conditions, obj.Generation, false, ebv1.ReasonIssueRejected, msg)
	fingerprint := ""
	if rejectsCredentials(code) {
		fingerprint = credentialsFingerprint(creds.username, creds.password)
	}
	r.rejected.Store(obj.UID, rejectedInput{obj.Generation, fingerprint})
	obj.Status.LastRejection = &ebv1.Rejection{
		Code:              int32(code),
		Generation:        obj.Generation,
		ClientCredentials: fingerprint,
		Time:              metav1.NewTime(time.Now().UTC().Truncate(time.Second)),
		Reason:            ebv1.ReasonIssueRejected,
		Message:           msg,
	}
	return ctrl.Result{}, nil
}

// EB status codes that reject the client's credentials rather than the key
// request.
const (
	codeIncorrectPassword    = 0xA065
	codeTooManyPasswordTries = 0xA063
	codeTooManyAccountTries  = 0xA0B1
)

func rejectsCredentials(code int) bool {
	return code == codeIncorrectPassword || code == codeTooManyPasswordTries || code == codeTooManyAccountTries
}

// rejectedInput is the input of a permanent addapi rejection: the object's
// generation and, for a rejection of the credentials, their fingerprint. A change of either leads to a retry.
type rejectedInput struct {
	generation  int64
	credentials string
}

// codeCapacityReached is the EB status "object capacity reached", which
// addapi returns when the client's key quota is used up.
const codeCapacityReached = 0x1005

// issueAdvice returns how to fix a permanent addapi or showapi error.
func issueAdvice(obj *ebv1.EBApiKey, code int) string {
	switch code {
	case codeCapacityReached:
		return fmt.Sprintf("the key quota of EBClient %q (its status.maxApiKeys) is used up and EB "+
			"cannot free keys; point spec.clientRef at another EBClient in a new EBApiKey", obj.Spec.ClientRef.Name)
	case 0x8004:
		return "spec.operations names an operation that the client type does not offer; " +
			"fix spec.operations and the operator tries again"
	case 0x8034, 0x8068:
		return "EB no longer accepts the key; delete and recreate the EBApiKey to get a new one"
	case codeIncorrectPassword, codeTooManyPasswordTries, codeTooManyAccountTries:
		return fmt.Sprintf("EB does not accept the credentials in the Secret of EBClient %q; delete "+
			"that Secret and the operator registers the client again, then retries", obj.Spec.ClientRef.Name)
	}
	return "fix spec.endpoint or spec.operations; the operator tries again when the spec changes"
}

// errRender marks a Secret that cannot be rendered from the EB response,
// such as one without an https processing server.
var errRender = errors.New("cannot render Secret from the EB response")

// writeFailed turns a failed Secret write into conditions. API errors are
// returned for a retry with backoff.
func (r *EBApiKeyReconciler) writeFailed(obj *ebv1.EBApiKey, err error) (ctrl.Result, error) {
	var conflict *secretConflictError
	switch {
	case errors.Is(err, errRender):
		setReady(&obj.Status.Conditions, obj.Generation, false, ebv1.ReasonIssueRejected,
			fmt.Sprintf("Secret %q: %v", obj.Status.SecretName, err))
		return ctrl.Result{RequeueAfter: r.Recheck}, nil
	case errors.As(err, &conflict):
		setReady(&obj.Status.Conditions, obj.Generation, false, ebv1.ReasonSecretConflict, conflict.Error())
		return ctrl.Result{RequeueAfter: r.Recheck}, nil
	}
	return ctrl.Result{}, err
}
