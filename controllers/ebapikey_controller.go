package controllers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

const (
	kindEBApiKey = "EBApiKey"
	// clientRefIndex indexes EBApiKeys by spec.clientRef.name.
	clientRefIndex = "spec.clientRef.name"
	// defaultRefreshInterval applies when spec.refreshInterval is empty. It
	// is applied at use and never written into the object.
	defaultRefreshInterval = time.Hour
	// newKeyGrace is how long a new EBApiKey waits for its EBClient to
	// appear before it reports the client as not found.
	newKeyGrace = 5 * time.Second
)

// EBApiKeyReconciler issues EB API keys and keeps them, with the processing
// servers, in Secrets.
type EBApiKeyReconciler struct {
	Client    client.Client
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  events.EventRecorder
	EB        *EBSettings
	// Workers is the number of objects reconciled in parallel.
	Workers int
	// Recheck is how often an object with a conflicting Secret is looked at
	// again.
	Recheck time.Duration
	Hooks   *Hooks
	// Now returns the current time; tests replace it.
	Now func() time.Time

	secrets *secrets
	claims  *secretClaims
	writes  *ownWrites
	vault   *vault
	ready   *readyTracker
	// settled holds the objects whose last addapi in this process ended
	// with a known outcome. An object with the finalizer, no key and no
	// entry here may have lost an issued key to a stop of the operator.
	settled sync.Map
	// rejected maps an object's UID to the rejectedInput that EB rejected
	// permanently.
	rejected sync.Map
}

// +kubebuilder:rbac:groups=eb.enigmabridge.com,resources=ebapikeys,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=eb.enigmabridge.com,resources=ebapikeys/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=eb.enigmabridge.com,resources=ebapikeys/finalizers,verbs=update
// +kubebuilder:rbac:groups=eb.enigmabridge.com,resources=ebclients,verbs=get;list;watch

// clientCredentials is the owning EBClient and the account credentials
// read from its Secret.
type clientCredentials struct {
	owner    *ebv1.EBClient
	username string
	password string
}

// Reconcile brings one EBApiKey's key, Secret and status in line. The
// Secret is written before status, so that a failed status write cannot
// lose a key.
func (r *EBApiKeyReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := &ebv1.EBApiKey{}
	if err := r.Client.Get(ctx, req.NamespacedName, obj); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !obj.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, r.reconcileDelete(ctx, obj)
	}
	if r.writes.behind(obj) {
		return ctrl.Result{RequeueAfter: cacheCatchUpDelay}, nil
	}

	orig := obj.DeepCopy()
	result, err := r.reconcile(ctx, obj)
	r.ready.set(obj.UID, isReady(obj.Status.Conditions))
	recordReadyChange(ctx, r.Recorder, obj, orig.Status.Conditions, obj.Status.Conditions)
	if perr := r.patchStatus(ctx, obj, orig); perr != nil {
		return ctrl.Result{}, errors.Join(err, perr)
	}
	return retryOnConflict(ctx, result, err)
}

func (r *EBApiKeyReconciler) reconcile(ctx context.Context, obj *ebv1.EBApiKey) (ctrl.Result, error) {
	creds, waiting, err := r.clientCredentials(ctx, obj)
	if err != nil {
		return ctrl.Result{}, err
	}
	if waiting != "" {
		if len(obj.Status.Conditions) == 0 && creds.owner != nil && len(creds.owner.Status.Conditions) == 0 {
			// The EBClient's first pass is still running, and its status
			// write will trigger this key again. Leaving the key's status
			// empty until then saves one write per key created together
			// with its client.
			return ctrl.Result{}, nil
		}
		if age := time.Since(obj.CreationTimestamp.Time); len(obj.Status.Conditions) == 0 &&
			creds.owner == nil && age < newKeyGrace {
			// Objects applied together reach the API server in any order,
			// so a new key may arrive just before its EBClient, whose
			// creation triggers this key again. It reports the missing
			// client only once newKeyGrace has passed.
			return ctrl.Result{RequeueAfter: newKeyGrace - age}, nil
		}
		setReady(&obj.Status.Conditions, obj.Generation, false, ebv1.ReasonWaitingForClient, waiting)
		return ctrl.Result{}, nil
	}
	obj.Status.SecretName = apiKeySecretName(obj)

	secret, err := r.secrets.get(ctx, obj, kindEBApiKey, obj.Status.SecretName)
	var conflict *secretConflictError
	if errors.As(err, &conflict) {
		setReady(&obj.Status.Conditions, obj.Generation, false, ebv1.ReasonSecretConflict, conflict.Error())
		return ctrl.Result{RequeueAfter: r.Recheck}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}

	key, reason := r.currentKey(obj, secret, creds)
	if reason.why == "" {
		return r.keepIssued(ctx, obj, creds, secret, key)
	}
	return r.issue(ctx, obj, creds, secret, reason)
}

// clientCredentials reads the owning EBClient and its credentials Secret
// from the cache. It returns a message when the key must wait for them.
func (r *EBApiKeyReconciler) clientCredentials(ctx context.Context, obj *ebv1.EBApiKey) (clientCredentials, string, error) {
	ref := obj.Spec.ClientRef.Name
	owner := &ebv1.EBClient{}
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: obj.Namespace, Name: ref}, owner)
	if apierrors.IsNotFound(err) {
		return clientCredentials{}, fmt.Sprintf("EBClient %q not found; create it or fix spec.clientRef.name", ref), nil
	}
	if err != nil {
		return clientCredentials{}, "", fmt.Errorf("get EBClient %q: %w", ref, err)
	}
	if !owner.DeletionTimestamp.IsZero() {
		return clientCredentials{}, fmt.Sprintf("EBClient %q is being deleted", ref), nil
	}
	if !isReady(owner.Status.Conditions) {
		msg := fmt.Sprintf("waiting for EBClient %q to become Ready", ref)
		if c := meta.FindStatusCondition(owner.Status.Conditions, ebv1.ConditionReady); c != nil {
			msg += fmt.Sprintf("; it is %s: %s", c.Reason, c.Message)
		}
		return clientCredentials{owner: owner}, msg, nil
	}
	secret := &corev1.Secret{}
	err = r.Client.Get(ctx, types.NamespacedName{Namespace: obj.Namespace, Name: clientSecretName(owner)}, secret)
	if err != nil && !apierrors.IsNotFound(err) {
		return clientCredentials{}, "", fmt.Errorf("get Secret of EBClient %q: %w", ref, err)
	}
	if err != nil || !metav1.IsControlledBy(secret, owner) || !hasKeys(secret, keyUsername, keyPassword) {
		return clientCredentials{}, fmt.Sprintf("waiting for the credentials Secret of EBClient %q", ref), nil
	}
	return clientCredentials{
		owner:    owner,
		username: string(secret.Data[keyUsername]),
		password: string(secret.Data[keyPassword]),
	}, "", nil
}

// reconcileDelete carries out the deletion policy on the Secret and removes
// the finalizer. EB has no call that revokes a key, so none is made.
func (r *EBApiKeyReconciler) reconcileDelete(ctx context.Context, obj *ebv1.EBApiKey) error {
	r.ready.set(obj.UID, false)
	r.vault.forget(obj.UID)
	r.writes.forget(obj.UID)
	r.settled.Delete(obj.UID)
	r.rejected.Delete(obj.UID)
	return releaseSecret(ctx, r.Client, r.secrets, obj, apiKeySecretName(obj), obj.Spec.DeletionPolicy)
}

func (r *EBApiKeyReconciler) patchStatus(ctx context.Context, obj, orig *ebv1.EBApiKey) error {
	base := obj.DeepCopy()
	base.Status = orig.Status
	return patchStatus(ctx, r.Client, r.writes, obj, base, obj.Status, orig.Status)
}

// SetupWithManager registers the controller. Besides EBApiKeys and their
// Secrets it watches EBClients and their Secrets, so that a key waiting for
// its client starts as soon as the client is Ready, without polling.
func (r *EBApiKeyReconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if r.claims == nil {
		r.claims = newSecretClaims()
	}
	r.secrets = &secrets{client: r.Client, reader: r.APIReader, scheme: r.Scheme, claims: r.claims}
	r.vault = newVault()
	r.ready = newReadyTracker(kindEBApiKey)
	r.writes = newOwnWrites()
	if r.Recheck == 0 {
		r.Recheck = time.Minute
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	err := mgr.GetFieldIndexer().IndexField(ctx, &ebv1.EBApiKey{}, clientRefIndex, func(o client.Object) []string {
		return []string{o.(*ebv1.EBApiKey).Spec.ClientRef.Name}
	})
	if err != nil {
		return fmt.Errorf("index EBApiKeys by %s: %w", clientRefIndex, err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&ebv1.EBApiKey{}, builder.WithPredicates(specOrMetadataChanged)).
		Owns(&corev1.Secret{}).
		Watches(&ebv1.EBClient{}, handler.EnqueueRequestsFromMapFunc(r.keysOfClient)).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.keysOfClientSecret)).
		Named("ebapikey").
		WithOptions(controller.Options{
			MaxConcurrentReconciles: max(r.Workers, 1),
			RateLimiter:             newJitteredBackoff(time.Second, 5*time.Minute),
		}).
		Complete(r)
}

func (r *EBApiKeyReconciler) keysOfClient(ctx context.Context, o client.Object) []reconcile.Request {
	return r.keysReferencing(ctx, o.GetNamespace(), o.GetName())
}

func (r *EBApiKeyReconciler) keysOfClientSecret(ctx context.Context, o client.Object) []reconcile.Request {
	ref := metav1.GetControllerOf(o)
	if ref == nil || ref.Kind != kindEBClient || ref.APIVersion != ebv1.GroupVersion.String() {
		return nil
	}
	return r.keysReferencing(ctx, o.GetNamespace(), ref.Name)
}

func (r *EBApiKeyReconciler) keysReferencing(ctx context.Context, namespace, clientName string) []reconcile.Request {
	keys := &ebv1.EBApiKeyList{}
	if err := r.Client.List(ctx, keys, client.InNamespace(namespace),
		client.MatchingFields{clientRefIndex: clientName}); err != nil {
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(keys.Items))
	for _, k := range keys.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&k)})
	}
	return reqs
}

func apiKeySecretName(obj *ebv1.EBApiKey) string {
	if obj.Spec.Secret.Name != "" {
		return obj.Spec.Secret.Name
	}
	return obj.Name + "-eb-apikey"
}

func refreshInterval(obj *ebv1.EBApiKey) time.Duration {
	if obj.Spec.RefreshInterval != nil && obj.Spec.RefreshInterval.Duration >= time.Minute {
		return obj.Spec.RefreshInterval.Duration
	}
	return defaultRefreshInterval
}
