package controllers

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

// currentKey returns the key that the operator can keep serving, or the
// reason why a new key must be issued. A key in the Secret is trusted only
// when its hash matches status.apiKeyHash, or, when status has no hash yet
// because the operator stopped before the status write, the hash annotation
// written with the key. A key that the operator wrote itself in this
// process is restored from memory without an EB call. Such a key is also
// trusted in the Secret while the cached status still carries the hash of
// the key it replaced, so a reissue is not repeated before the cache
// catches up.
func (r *EBApiKeyReconciler) currentKey(obj *ebv1.EBApiKey, secret *corev1.Secret,
	creds clientCredentials) (string, issueReason) {
	key, why := r.trustedKey(obj, secret)
	if key == "" {
		return "", issueReason{why: why}
	}
	if secret != nil {
		fp := secret.Annotations[annotationClientCredentials]
		if fp != "" && fp != credentialsFingerprint(creds.username, creds.password) {
			return key, issueReason{
				why: fmt.Sprintf("EBClient %q has new credentials (it registered again or was recreated)",
					creds.owner.Name),
				previous:    key,
				keepOnQuota: true,
			}
		}
	}
	if h := issuedRequestHash(obj, secret, key); h != "" && h != requestHash(obj.Spec) {
		return key, issueReason{
			why:      "spec.endpoint or spec.operations changed, and EB cannot change an issued key",
			previous: key,
		}
	}
	return key, issueReason{}
}

// issuedRequestHash returns the request hash that key was issued for. The
// Secret's annotation, written together with the key, comes first: the
// cached status may still describe the key that this one replaced.
func issuedRequestHash(obj *ebv1.EBApiKey, secret *corev1.Secret, key string) string {
	if secret != nil && string(secret.Data[keyAPIKey]) == key {
		var info keyInfo
		if json.Unmarshal([]byte(secret.Annotations[annotationKeyInfo]), &info) == nil && info.RequestHash != "" {
			return info.RequestHash
		}
	}
	return obj.Status.RequestHash
}

// issueReason is the cause of a new key and the key it replaces. An empty
// why means the current key stays.
type issueReason struct {
	why string
	// previous is the trusted key that the new one replaces, or "".
	previous string
	// keepOnQuota keeps serving previous when EB's key quota is used up,
	// because the reason to replace it is not the key itself.
	keepOnQuota bool
}

// trustedKey returns the key that the Secret or memory holds and the
// operator trusts, or "" and the reason why there is none.
func (r *EBApiKeyReconciler) trustedKey(obj *ebv1.EBApiKey, secret *corev1.Secret) (key, why string) {
	want := obj.Status.APIKeyHash
	kept, inMemory := r.vault.get(obj.UID)
	if secret != nil && len(secret.Data[keyAPIKey]) > 0 {
		key = string(secret.Data[keyAPIKey])
		if want == "" {
			want = secret.Annotations[annotationAPIKeyHash]
		}
		if hashPrefix(key) != want && (!inMemory || key != kept) {
			key = ""
		}
	}
	if key == "" && want != "" && inMemory && hashPrefix(kept) == want {
		key = kept
	}
	switch {
	case key == "" && want == "":
		return "", "no key issued yet"
	case key == "" && secret == nil:
		return "", fmt.Sprintf("Secret %q was deleted and the key it held is not in memory "+
			"(the operator restarted since it was issued)", obj.Status.SecretName)
	case key == "":
		return "", fmt.Sprintf("apikey in Secret %q is not the key the operator issued", obj.Status.SecretName)
	}
	return key, ""
}

// requestHash identifies the spec fields that addapi receives.
func requestHash(spec ebv1.EBApiKeySpec) string {
	return hashPrefix(mustJSON(struct {
		Endpoint   *ebv1.EndpointSpec `json:"endpoint"`
		Operations []string           `json:"operations"`
	}{spec.Endpoint, spec.Operations}))
}
