package controllers

import (
	"context"
	"fmt"
	"maps"
	"sync"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

// secretConflictError reports a target Secret that exists, or is about to
// be written, for another object than the one that names it.
type secretConflictError struct {
	kind, owner, secret string
	// holder describes who has the Secret, e.g. `is controlled by EBApiKey "a"`.
	holder string
	// foreign is true for a Secret that no object of the operator controls.
	foreign bool
}

func (e *secretConflictError) Error() string {
	fix := fmt.Sprintf("delete this %s and create it again with another spec.secret.name", e.kind)
	if e.foreign {
		fix = "delete or rename that Secret if it is not needed, or " + fix
	}
	return fmt.Sprintf("Secret %q %s, so the operator leaves it untouched and makes no EB call; %s",
		e.secret, e.holder, fix)
}

// secrets reads and writes the Secrets that the operator manages. Reads go
// to the cache, which holds only Secrets with the managed-by label, and fall
// back to an uncached read so that an unlabeled Secret of the same name is
// found before any EB call is made.
type secrets struct {
	client client.Client
	reader client.Reader
	scheme *runtime.Scheme
	claims *secretClaims
}

// get returns the owner's Secret, nil when none exists, or a
// *secretConflictError when a Secret of that name belongs to someone else.
// When none exists, get claims the name for the owner, so that of two
// objects naming one Secret only the first makes an EB call.
func (s *secrets) get(ctx context.Context, owner client.Object, kind, name string) (*corev1.Secret, error) {
	key := types.NamespacedName{Namespace: owner.GetNamespace(), Name: name}
	secret := &corev1.Secret{}
	err := s.client.Get(ctx, key, secret)
	if apierrors.IsNotFound(err) {
		err = s.reader.Get(ctx, key, secret)
	}
	if apierrors.IsNotFound(err) {
		return nil, s.claim(ctx, key, owner, kind)
	}
	if err != nil {
		return nil, fmt.Errorf("get Secret %q: %w", name, err)
	}
	if !metav1.IsControlledBy(secret, owner) {
		conflict := &secretConflictError{kind: kind, owner: owner.GetName(), secret: name,
			holder: "exists and is not owned by the operator", foreign: true}
		if ref := metav1.GetControllerOf(secret); ref != nil && ref.APIVersion == ebv1.GroupVersion.String() {
			conflict.holder = fmt.Sprintf("is controlled by %s %q", ref.Kind, ref.Name)
			conflict.foreign = false
		}
		return nil, conflict
	}
	return secret, nil
}

// claim records that owner is about to write the Secret at key. A claim
// held by an object that no longer exists is taken over.
func (s *secrets) claim(ctx context.Context, key types.NamespacedName, owner client.Object, kind string) error {
	holder, ok := s.claims.take(key, claimant{uid: owner.GetUID(), kind: kind, name: owner.GetName()})
	if ok {
		return nil
	}
	if s.holderExists(ctx, key.Namespace, holder) {
		return &secretConflictError{kind: kind, owner: owner.GetName(), secret: key.Name,
			holder: fmt.Sprintf("is about to be written for %s %q", holder.kind, holder.name)}
	}
	s.claims.release(key, holder.uid)
	if _, ok := s.claims.take(key, claimant{uid: owner.GetUID(), kind: kind, name: owner.GetName()}); !ok {
		return &secretConflictError{kind: kind, owner: owner.GetName(), secret: key.Name,
			holder: "is about to be written for another object"}
	}
	return nil
}

func (s *secrets) holderExists(ctx context.Context, namespace string, c claimant) bool {
	var obj client.Object = &ebv1.EBApiKey{}
	if c.kind == kindEBClient {
		obj = &ebv1.EBClient{}
	}
	err := s.client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: c.name}, obj)
	return err == nil && obj.GetUID() == c.uid
}

// claimant is an object that claimed a Secret name.
type claimant struct {
	uid        types.UID
	kind, name string
}

// secretClaims maps Secret names to the object that is about to write them.
// Both reconcilers share one, in memory: the Secret itself, with its
// controller ownerReference, is the lasting record once it exists.
type secretClaims struct {
	mu     sync.Mutex
	owners map[types.NamespacedName]claimant
}

func newSecretClaims() *secretClaims {
	return &secretClaims{owners: map[types.NamespacedName]claimant{}}
}

// take claims key for c. It returns the current holder and false when
// another object holds it.
func (sc *secretClaims) take(key types.NamespacedName, c claimant) (claimant, bool) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if held, ok := sc.owners[key]; ok && held.uid != c.uid {
		return held, false
	}
	sc.owners[key] = c
	return c, true
}

// release drops the claim on key if uid holds it.
func (sc *secretClaims) release(key types.NamespacedName, uid types.UID) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if held, ok := sc.owners[key]; ok && held.uid == uid {
		delete(sc.owners, key)
	}
}

// desiredSecret is the content the operator wants at a Secret name.
type desiredSecret struct {
	name        string
	data        map[string][]byte
	labels      map[string]string
	annotations map[string]string
}

// secretUpToDate reports whether existing already carries everything in
// desired. Labels and annotations that others added are left alone.
func secretUpToDate(existing *corev1.Secret, desired desiredSecret) bool {
	if existing.Type != corev1.SecretTypeOpaque || len(existing.Data) != len(desired.data) {
		return false
	}
	for k, v := range desired.data {
		if got, ok := existing.Data[k]; !ok || string(got) != string(v) {
			return false
		}
	}
	return containsAll(existing.Labels, desired.labels) &&
		containsAll(existing.Annotations, desired.annotations)
}

func containsAll(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// apply creates the Secret when existing is nil, or updates it when it
// differs from desired. It returns true when it wrote.
func (s *secrets) apply(ctx context.Context, owner client.Object, kind string,
	existing *corev1.Secret, desired desiredSecret) (bool, error) {
	if existing != nil && secretUpToDate(existing, desired) {
		return false, nil
	}
	if existing == nil {
		secret := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{
				Namespace:   owner.GetNamespace(),
				Name:        desired.name,
				Labels:      desired.labels,
				Annotations: desired.annotations,
			},
			Type: corev1.SecretTypeOpaque,
			Data: desired.data,
		}
		if err := controllerutil.SetControllerReference(owner, secret, s.scheme); err != nil {
			return false, fmt.Errorf("set ownerReference on Secret %q: %w", desired.name, err)
		}
		err := s.client.Create(ctx, secret)
		if apierrors.IsAlreadyExists(err) {
			return false, &secretConflictError{
				kind: kind, owner: owner.GetName(), secret: desired.name,
				holder: "was created by another writer at the same time", foreign: true,
			}
		}
		if err != nil {
			return false, fmt.Errorf("create Secret %q: %w", desired.name, err)
		}
		return true, nil
	}
	secret := existing.DeepCopy()
	secret.Type = corev1.SecretTypeOpaque
	secret.Data = desired.data
	secret.StringData = nil
	if secret.Labels == nil {
		secret.Labels = map[string]string{}
	}
	maps.Copy(secret.Labels, desired.labels)
	if secret.Annotations == nil {
		secret.Annotations = map[string]string{}
	}
	maps.Copy(secret.Annotations, desired.annotations)
	if err := s.client.Update(ctx, secret); err != nil {
		return false, fmt.Errorf("update Secret %q: %w", desired.name, err)
	}
	return true, nil
}

// release carries out the deletion policy for the owner's Secret: Delete
// removes it, Orphan removes the ownerReference and the managed-by label
// and keeps the data. It never calls EB, so it cannot be held up by an
// unreachable registration server.
func (s *secrets) release(ctx context.Context, owner client.Object, name string,
	policy ebv1.DeletionPolicy) error {
	secret := &corev1.Secret{}
	key := types.NamespacedName{Namespace: owner.GetNamespace(), Name: name}
	s.claims.release(key, owner.GetUID())
	if err := s.reader.Get(ctx, key, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("get Secret %q: %w", name, err)
	}
	if !metav1.IsControlledBy(secret, owner) {
		return nil
	}
	if policy == ebv1.DeletionPolicyOrphan {
		patch := client.MergeFromWithOptions(secret.DeepCopy(), client.MergeFromWithOptimisticLock{})
		refs := secret.OwnerReferences[:0]
		for _, ref := range secret.OwnerReferences {
			if ref.UID != owner.GetUID() {
				refs = append(refs, ref)
			}
		}
		secret.OwnerReferences = refs
		delete(secret.Labels, ebv1.ManagedByLabel)
		if err := s.client.Patch(ctx, secret, patch); err != nil {
			return fmt.Errorf("orphan Secret %q: %w", name, err)
		}
		return nil
	}
	uid := secret.UID
	err := s.client.Delete(ctx, secret, client.Preconditions{UID: &uid})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete Secret %q: %w", name, err)
	}
	return nil
}
