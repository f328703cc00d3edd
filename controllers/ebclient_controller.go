package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

const kindEBClient = "EBClient"

// EBClientReconciler registers EB client accounts and keeps their
// credentials in Secrets.
type EBClientReconciler struct {
	// Client reads through the manager's cache and writes to the API server.
	Client client.Client
	// APIReader reads uncached; it is used for the token Secret, which the
	// cache does not hold.
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  events.EventRecorder
	EB        *EBSettings
	// Workers is the number of objects reconciled in parallel.
	Workers int
	// Recheck is how often an object that waits on something the operator
	// cannot watch (a rejected token, a conflicting Secret, a missing token
	// Secret) is looked at again. Such a look makes no EB call unless the
	// input changed.
	Recheck time.Duration
	Hooks   *Hooks

	secrets *secrets
	// claims is shared with the EBApiKey reconciler, so that an EBClient and
	// an EBApiKey that name one Secret cannot both call EB.
	claims *secretClaims
	vault  *vault
	ready  *readyTracker
	writes *ownWrites
}

// +kubebuilder:rbac:groups=eb.enigmabridge.com,resources=ebclients,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=eb.enigmabridge.com,resources=ebclients/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=eb.enigmabridge.com,resources=ebclients/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings one EBClient's account, Secret and status in line. The
// order is fixed: the Secret is written before status, so that a failed
// status write cannot lose a password that EB showed only once.
func (r *EBClientReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	obj := &ebv1.EBClient{}
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

func (r *EBClientReconciler) reconcile(ctx context.Context, obj *ebv1.EBClient) (ctrl.Result, error) {
	name := clientSecretName(obj)
	obj.Status.SecretName = name
	obj.Status.ClientName = clientName(obj)

	secret, err := r.secrets.get(ctx, obj, kindEBClient, name)
	var conflict *secretConflictError
	if errors.As(err, &conflict) {
		setReady(&obj.Status.Conditions, obj.Generation, false, ebv1.ReasonSecretConflict, conflict.Error())
		return ctrl.Result{RequeueAfter: r.Recheck}, nil
	}
	if err != nil {
		return ctrl.Result{}, err
	}

	if secret != nil && hasKeys(secret, keyUsername, keyPassword) &&
		(obj.Status.Username == "" || obj.Status.Username == string(secret.Data[keyUsername])) {
		return ctrl.Result{}, r.keepRegistered(ctx, obj, secret)
	}
	return r.register(ctx, obj, secret)
}

// reconcileDelete carries out the deletion policy on the Secret and removes
// the finalizer. It makes no EB call: EB has no call that deletes a client.
func (r *EBClientReconciler) reconcileDelete(ctx context.Context, obj *ebv1.EBClient) error {
	r.ready.set(obj.UID, false)
	r.vault.forget(obj.UID)
	r.writes.forget(obj.UID)
	return releaseSecret(ctx, r.Client, r.secrets, obj, clientSecretName(obj), obj.Spec.DeletionPolicy)
}

func (r *EBClientReconciler) patchStatus(ctx context.Context, obj, orig *ebv1.EBClient) error {
	base := obj.DeepCopy()
	base.Status = orig.Status
	return patchStatus(ctx, r.Client, r.writes, obj, base, obj.Status, orig.Status)
}

// SetupWithManager registers the controller. It watches EBClients and the
// Secrets they own.
func (r *EBClientReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.claims == nil {
		r.claims = newSecretClaims()
	}
	r.secrets = &secrets{client: r.Client, reader: r.APIReader, scheme: r.Scheme, claims: r.claims}
	r.vault = newVault()
	r.ready = newReadyTracker(kindEBClient)
	r.writes = newOwnWrites()
	if r.Recheck == 0 {
		r.Recheck = time.Minute
	}
	return ctrl.NewControllerManagedBy(mgr).
		For(&ebv1.EBClient{}, builder.WithPredicates(specOrMetadataChanged)).
		Owns(&corev1.Secret{}).
		Named("ebclient").
		WithOptions(controller.Options{
			MaxConcurrentReconciles: max(r.Workers, 1),
			RateLimiter:             newJitteredBackoff(time.Second, 5*time.Minute),
		}).
		Complete(r)
}

func clientSecretName(obj *ebv1.EBClient) string {
	if obj.Spec.Secret.Name != "" {
		return obj.Spec.Secret.Name
	}
	return obj.Name + "-eb-client"
}

// clientName is the name sent to create. The default includes the UID, so a
// recreated object or another cluster never reuses an account: a repeated
// create with the same name and token resets that account's password.
func clientName(obj *ebv1.EBClient) string {
	if obj.Spec.ClientName != "" {
		return obj.Spec.ClientName
	}
	return fmt.Sprintf("%s.%s.%s", obj.Namespace, obj.Name, obj.UID)
}

func hasKeys(secret *corev1.Secret, keys ...string) bool {
	for _, k := range keys {
		if len(secret.Data[k]) == 0 {
			return false
		}
	}
	return true
}
