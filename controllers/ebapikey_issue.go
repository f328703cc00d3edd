package controllers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/internal/ebapi"
)

// keepIssued keeps serving a trusted key: it restores the Secret if it was
// deleted or edited, refreshes servers and operations with showapi when due,
// and requeues for the next refresh.
func (r *EBApiKeyReconciler) keepIssued(ctx context.Context, obj *ebv1.EBApiKey, creds clientCredentials,
	secret *corev1.Secret, key string) (ctrl.Result, error) {
	r.vault.put(obj.UID, key)
	if obj.Status.APIKeyHash == "" && secret != nil {
		recoverKeyStatus(obj, secret)
	}
	obj.Status.APIKeyHash = hashPrefix(key)
	obj.Status.ClientUsername = creds.username
	if h := issuedRequestHash(obj, secret, key); h != "" {
		obj.Status.RequestHash = h
	} else {
		obj.Status.RequestHash = requestHash(obj.Spec)
	}

	restored, err := r.writeSecret(ctx, obj, creds, secret, key)
	if err != nil {
		return r.writeFailed(obj, err)
	}
	if restored {
		r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, "SecretRestored", "Restore",
			"Secret %q was deleted or its data edited; restored it with the issued key", obj.Status.SecretName)
	}
	r.setIssuedStatus(obj)

	now := r.Now()
	interval := refreshInterval(obj)
	if due := lastRefresh(obj).Add(interval); now.Before(due) {
		return ctrl.Result{RequeueAfter: due.Sub(now) + time.Second}, nil
	}
	changed, err := r.refresh(ctx, obj, creds, key, now)
	if err != nil {
		if ebapi.IsTransient(err) {
			// The key keeps working while EB is unreachable, so Ready
			// stays True and the refresh is retried with backoff.
			return ctrl.Result{}, fmt.Errorf("refresh EBApiKey %s/%s: %w", obj.Namespace, obj.Name, err)
		}
		return r.rejectEB(obj, "showapi", err, creds)
	}
	if changed {
		current, err := r.secrets.get(ctx, obj, kindEBApiKey, obj.Status.SecretName)
		if err != nil {
			return ctrl.Result{}, err
		}
		if _, err := r.writeSecret(ctx, obj, creds, current, key); err != nil {
			return r.writeFailed(obj, err)
		}
	}
	return ctrl.Result{RequeueAfter: interval + time.Second}, nil
}

// writeSecret renders the Secret from the key and status and writes it when
// it differs from secret. It returns true when it created a missing Secret
// or replaced data that differed; a change of labels or annotations alone
// returns false.
func (r *EBApiKeyReconciler) writeSecret(ctx context.Context, obj *ebv1.EBApiKey, creds clientCredentials,
	secret *corev1.Secret, key string) (bool, error) {
	desired, err := r.desiredSecret(obj, creds, key)
	if err != nil {
		return false, fmt.Errorf("%w: %w", errRender, err)
	}
	dataChanged := secret == nil || !maps.EqualFunc(secret.Data, desired.data, bytes.Equal)
	wrote, err := r.secrets.apply(ctx, obj, kindEBApiKey, secret, desired)
	if err != nil || !wrote {
		return false, err
	}
	if secret != nil {
		log.FromContext(ctx).Info("Rewrote API-key Secret", "secret", desired.name)
	}
	return dataChanged, nil
}

// refresh reads the key's servers and operations again with showapi.
func (r *EBApiKeyReconciler) refresh(ctx context.Context, obj *ebv1.EBApiKey, creds clientCredentials,
	key string, now time.Time) (changed bool, err error) {
	eb, err := r.EB.clientFor(creds.owner.Spec.Registration)
	if err != nil {
		return false, err
	}
	resp, err := eb.ShowAPI(ctx, ebapi.ShowAPIRequest{Username: creds.username, Password: creds.password, APIKey: key})
	if err != nil {
		return false, err
	}
	servers := serversFromWire(resp.Servers)
	ops := operationsFromWire(resp.Operations)
	changed = !equality.Semantic.DeepEqual(servers, obj.Status.Servers) ||
		!equality.Semantic.DeepEqual(ops, obj.Status.Operations) || resp.Status != obj.Status.KeyStatus
	if changed {
		log.FromContext(ctx).Info("Processing servers or operations changed", "servers", len(servers),
			"operations", len(ops))
	}
	obj.Status.Servers = servers
	obj.Status.Operations = ops
	obj.Status.KeyStatus = resp.Status
	obj.Status.LastRefreshTime = &metav1.Time{Time: now.UTC().Truncate(time.Second)}
	return changed, nil
}

// issue calls addapi and writes the new key to the Secret, then status. EB
// has no call that lists a client's keys, so a key whose addapi response was
// lost to a stop of the operator cannot be found again. The finalizer added
// before the call marks that window: an object found after a restart with
// the finalizer and no key may have left one unused key at EB, which is
// counted in status.possiblyUnusedKeys and reported by an Event.
func (r *EBApiKeyReconciler) issue(ctx context.Context, obj *ebv1.EBApiKey, creds clientCredentials,
	secret *corev1.Secret, reason issueReason) (ctrl.Result, error) {
	// A permanent rejection is not retried until the spec changes, or, for
	// a rejection of the client's credentials, until they change.
	fingerprint := credentialsFingerprint(creds.username, creds.password)
	if rej := obj.Status.LastRejection; rej != nil && rej.Generation == obj.Generation &&
		(rej.ClientCredentials == "" || rej.ClientCredentials == fingerprint) {
		restoreRejection(&obj.Status.Conditions, obj.Generation, rej, false)
		return ctrl.Result{}, nil
	}
	// The cache may not hold the status write of a rejection yet when
	// another event triggers a pass, so the rejection is also kept in
	// memory.
	if held, ok := r.rejected.Load(obj.UID); ok {
		in := held.(rejectedInput)
		if in.generation == obj.Generation && (in.credentials == "" || in.credentials == fingerprint) {
			return ctrl.Result{}, nil
		}
	}
	eb, err := r.EB.clientFor(creds.owner.Spec.Registration)
	if err != nil {
		reason, msg := configProblem(err)
		setReady(&obj.Status.Conditions, obj.Generation, false, reason,
			fmt.Sprintf("EBClient %q: %s", creds.owner.Name, msg))
		return ctrl.Result{}, nil
	}
	endpoint, err := endpointRequest(obj.Spec.Endpoint)
	if err != nil {
		setReady(&obj.Status.Conditions, obj.Generation, false, ebv1.ReasonInvalidSpec, err.Error())
		return ctrl.Result{}, nil
	}
	r.notePossiblyUnusedKey(obj, secret)
	if err := ensureFinalizer(ctx, r.Client, obj); err != nil {
		return ctrl.Result{}, err
	}

	resp, err := eb.AddAPI(ctx, ebapi.AddAPIRequest{
		Username:   creds.username,
		Password:   creds.password,
		Endpoint:   endpoint,
		Operations: obj.Spec.Operations,
	})
	if err != nil {
		if !outcomeUnknown(err) {
			r.settled.Store(obj.UID, true)
		}
		if code, _ := ebapi.StatusCode(err); code == codeCapacityReached && reason.keepOnQuota {
			return r.keepPrevious(ctx, obj, creds, secret, reason, err)
		}
		if reason.previous == "" && !ebapi.IsTransient(err) {
			// No Secret holds the key that status names any more, so
			// status stops naming it.
			obj.Status.APIKeyHash = ""
		}
		return r.rejectEB(obj, "addapi", err, creds)
	}
	r.settled.Store(obj.UID, true)
	if err := r.Hooks.afterEBCall("addapi"); err != nil {
		return ctrl.Result{}, err
	}
	r.vault.put(obj.UID, resp.APIKey)

	now := r.Now().UTC().Truncate(time.Second)
	reissue := obj.Status.APIKeyHash != "" || obj.Status.Issues > 0
	st := &obj.Status
	st.APIKeyHash = hashPrefix(resp.APIKey)
	st.ClientUsername = creds.username
	st.KeyStatus = resp.Status
	st.Servers = serversFromWire(resp.Servers)
	st.Operations = operationsFromWire(resp.Operations)
	st.RequestHash = requestHash(obj.Spec)
	st.IssuedAt = &metav1.Time{Time: now}
	st.LastRefreshTime = &metav1.Time{Time: now}
	st.Issues++

	if _, err := r.writeSecret(ctx, obj, creds, secret, resp.APIKey); err != nil {
		return r.writeFailed(obj, err)
	}
	if err := r.Hooks.afterSecretWrite(kindEBApiKey); err != nil {
		return ctrl.Result{}, err
	}
	log.FromContext(ctx).Info("Issued EB API key", "apiKeyHash", st.APIKeyHash,
		"client", creds.owner.Name, "server", resp.Server, "reissue", reissue)
	if reissue {
		r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, "APIKeyReissued", "Issue",
			"issued a new key (hash %s) because %s", st.APIKeyHash, reason.why)
	}
	r.setIssuedStatus(obj)
	return ctrl.Result{RequeueAfter: refreshInterval(obj) + time.Second}, nil
}

// keepPrevious keeps serving the previous key when a replacement failed
// only because the client's key quota is used up, as long as EB still
// accepts the previous key with the client's current credentials.
func (r *EBApiKeyReconciler) keepPrevious(ctx context.Context, obj *ebv1.EBApiKey, creds clientCredentials,
	secret *corev1.Secret, reason issueReason, addErr error) (ctrl.Result, error) {
	eb, err := r.EB.clientFor(creds.owner.Spec.Registration)
	if err == nil {
		_, err = eb.ShowAPI(ctx, ebapi.ShowAPIRequest{
			Username: creds.username, Password: creds.password, APIKey: reason.previous,
		})
	}
	if err != nil {
		return r.rejectEB(obj, "addapi", addErr, creds)
	}
	log.FromContext(ctx).Info("Kept the previous API key", "apiKeyHash", hashPrefix(reason.previous),
		"reason", reason.why)
	r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, "APIKeyKept", "Issue",
		"%s, but EB issued no new key (%v); kept the previous key (hash %s), which EB still accepts",
		reason.why, addErr, hashPrefix(reason.previous))
	return r.keepIssued(ctx, obj, creds, secret, reason.previous)
}

// notePossiblyUnusedKey counts a key that EB may have issued in an earlier
// run of the operator whose addapi response never reached the Secret.
func (r *EBApiKeyReconciler) notePossiblyUnusedKey(obj *ebv1.EBApiKey, secret *corev1.Secret) {
	_, settled := r.settled.Load(obj.UID)
	hasFinalizer := containsString(obj.Finalizers, ebv1.Finalizer)
	hasKey := obj.Status.APIKeyHash != "" || (secret != nil && len(secret.Data[keyAPIKey]) > 0)
	if settled || !hasFinalizer || hasKey {
		return
	}
	obj.Status.PossiblyUnusedKeys++
	r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, "PossiblyUnusedKey", "Issue",
		"an earlier addapi got no answer before Secret %q was written (the operator stopped or the "+
			"call timed out); EB may hold one unused key for this client that no call can list or revoke",
		obj.Status.SecretName)
}

// outcomeUnknown reports whether EB may have acted on a request that failed:
// a timeout or a broken connection can lose a response that carried a key.
func outcomeUnknown(err error) bool {
	var se *ebapi.StatusError
	var he *ebapi.HTTPError
	var ce *ebapi.ConfigError
	return !errors.As(err, &se) && !errors.As(err, &he) && !errors.As(err, &ce)
}

func (r *EBApiKeyReconciler) desiredSecret(obj *ebv1.EBApiKey, creds clientCredentials, key string) (desiredSecret, error) {
	data, err := apiKeySecretData(key, creds.username, string(creds.owner.Spec.Registration.Environment), obj.Status.Servers)
	if err != nil {
		return desiredSecret{}, err
	}
	info := keyInfo{KeyStatus: obj.Status.KeyStatus, Operations: obj.Status.Operations,
		RequestHash: obj.Status.RequestHash}
	if obj.Status.IssuedAt != nil {
		info.IssuedAt = obj.Status.IssuedAt.UTC().Format(time.RFC3339)
	}
	labels, annotations := secretMetadata(obj.Spec.Secret, map[string]string{
		annotationAPIKeyHash:        hashPrefix(key),
		annotationClientCredentials: credentialsFingerprint(creds.username, creds.password),
		annotationKeyInfo:           mustJSON(info),
	})
	return desiredSecret{name: apiKeySecretName(obj), data: data, labels: labels, annotations: annotations}, nil
}

// recoverKeyStatus fills status from a Secret written just before the
// operator stopped, so that no second addapi is needed.
func recoverKeyStatus(obj *ebv1.EBApiKey, secret *corev1.Secret) {
	var servers []ebapi.Server
	if json.Unmarshal(secret.Data[keyServersJSON], &servers) == nil {
		obj.Status.Servers = serversFromWire(servers)
	}
	var info keyInfo
	if json.Unmarshal([]byte(secret.Annotations[annotationKeyInfo]), &info) == nil {
		obj.Status.KeyStatus = info.KeyStatus
		obj.Status.Operations = info.Operations
		obj.Status.RequestHash = info.RequestHash
		if t, err := time.Parse(time.RFC3339, info.IssuedAt); err == nil {
			obj.Status.IssuedAt = &metav1.Time{Time: t}
			obj.Status.LastRefreshTime = &metav1.Time{Time: t}
		}
	}
	if obj.Status.Issues == 0 {
		obj.Status.Issues = 1
	}
}

func (r *EBApiKeyReconciler) setIssuedStatus(obj *ebv1.EBApiKey) {
	st := &obj.Status
	st.LastRejection = nil
	st.ObservedGeneration = obj.Generation
	setReady(&st.Conditions, obj.Generation, true, ebv1.ReasonIssued,
		fmt.Sprintf("API key %s for user %s is in Secret %q", st.APIKeyHash, st.ClientUsername, st.SecretName))
}

func lastRefresh(obj *ebv1.EBApiKey) time.Time {
	if t := obj.Status.LastRefreshTime; t != nil {
		return t.Time
	}
	if t := obj.Status.IssuedAt; t != nil {
		return t.Time
	}
	return time.Time{}
}

// endpointRequest converts spec.endpoint to the addapi endpoint object.
func endpointRequest(spec *ebv1.EndpointSpec) (ebapi.Endpoint, error) {
	if spec == nil {
		return ebapi.Endpoint{}, nil
	}
	e := ebapi.Endpoint{
		IPv4: spec.IPv4, IPv6: spec.IPv6, Email: spec.Email, Country: spec.Country,
		Network: spec.Network, Datacenter: spec.Datacenter, HostID: spec.HostID,
		ProductCode: spec.ProductCode, InstanceType: spec.InstanceType,
	}
	if loc := spec.Location; loc != nil {
		lat, err := strconv.ParseFloat(loc.Latitude, 64)
		if err != nil {
			return e, fmt.Errorf("invalid spec.endpoint.location.latitude %q: use a decimal number", loc.Latitude)
		}
		lon, err := strconv.ParseFloat(loc.Longitude, 64)
		if err != nil {
			return e, fmt.Errorf("invalid spec.endpoint.location.longitude %q: use a decimal number", loc.Longitude)
		}
		e.Location = []float64{lat, lon}
	}
	return e, nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
