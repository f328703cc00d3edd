package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/internal/ebapi"
)

// keepRegistered keeps an account whose credentials are in the Secret: it
// restores a password edited in the Secret from the vault, reverts edited
// derived keys, and derives status from the Secret. It makes no EB call.
func (r *EBClientReconciler) keepRegistered(ctx context.Context, obj *ebv1.EBClient, secret *corev1.Secret) error {
	username := string(secret.Data[keyUsername])
	password := string(secret.Data[keyPassword])
	if trusted, ok := r.vault.get(obj.UID); ok && trusted != password {
		// The operator wrote this account's password itself in this
		// process, so the edited value is replaced by the one EB issued.
		password = trusted
		r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, "SecretRestored", "Restore",
			"password in Secret %q differed from the one EB issued; restored it", secret.Name)
	}
	r.vault.put(obj.UID, password)

	info := r.accountInfo(obj, secret)
	wrote, err := r.secrets.apply(ctx, obj, kindEBClient, secret, r.desiredSecret(obj, username, password, info))
	if err != nil {
		return err
	}
	if wrote {
		log.FromContext(ctx).Info("Restored credentials Secret", "secret", secret.Name)
	}
	r.setRegisteredStatus(obj, username, info)
	return nil
}

// accountInfo returns the account facts from status, or from the Secret's
// annotation when status lacks them because the operator stopped between
// the Secret write and the status write.
func (r *EBClientReconciler) accountInfo(obj *ebv1.EBClient, secret *corev1.Secret) accountInfo {
	st := obj.Status
	if st.Username != "" && st.RegisteredAt != nil {
		return accountInfo{
			ClientName:         clientName(obj),
			AccountStatus:      st.AccountStatus,
			MaxAPIKeys:         st.MaxAPIKeys,
			MaxObjects:         st.MaxObjects,
			AuthenticationType: st.AuthenticationType,
			RegisteredAt:       st.RegisteredAt.UTC().Format(time.RFC3339),
			RegistrationServer: st.RegistrationServer,
		}
	}
	var info accountInfo
	if raw := secret.Annotations[annotationAccount]; raw != "" {
		_ = json.Unmarshal([]byte(raw), &info) // a damaged annotation leaves the fields empty
	}
	info.ClientName = clientName(obj)
	if info.RegistrationServer == "" {
		info.RegistrationServer = string(secret.Data[keyRegistrationEndpoint])
	}
	return info
}

func (r *EBClientReconciler) desiredSecret(obj *ebv1.EBClient, username, password string, info accountInfo) desiredSecret {
	labels, annotations := secretMetadata(obj.Spec.Secret, map[string]string{annotationAccount: mustJSON(info)})
	return desiredSecret{
		name:        clientSecretName(obj),
		data:        clientSecretData(username, password, string(obj.Spec.Registration.Environment), info.RegistrationServer),
		labels:      labels,
		annotations: annotations,
	}
}

func (r *EBClientReconciler) setRegisteredStatus(obj *ebv1.EBClient, username string, info accountInfo) {
	st := &obj.Status
	st.Username = username
	st.AccountStatus = info.AccountStatus
	st.MaxAPIKeys = info.MaxAPIKeys
	st.MaxObjects = info.MaxObjects
	st.AuthenticationType = info.AuthenticationType
	st.RegistrationServer = info.RegistrationServer
	if t, err := time.Parse(time.RFC3339, info.RegisteredAt); err == nil {
		st.RegisteredAt = &metav1.Time{Time: t}
	}
	st.LastRejection = nil
	st.ObservedGeneration = obj.Generation
	if st.Registrations == 0 {
		st.Registrations = 1
	}
	msg := fmt.Sprintf("client %q is registered as user %s; credentials are in Secret %q",
		info.ClientName, username, st.SecretName)
	setRegistered(&st.Conditions, obj.Generation, true, ebv1.ReasonRegistered, msg)
	setReady(&st.Conditions, obj.Generation, true, ebv1.ReasonRegistered, msg)
}

// register calls create and writes the Secret. It runs when the Secret has
// no usable credentials: on first registration, and to recover an account
// whose Secret was deleted or whose user name was edited. A repeated create
// with the same name and token returns the same account with a new
// password, so recovery never creates a second account.
func (r *EBClientReconciler) register(ctx context.Context, obj *ebv1.EBClient, secret *corev1.Secret) (ctrl.Result, error) {
	token, tokenVersion, problem := r.readSecretValue(ctx, obj, obj.Spec.Authentication.TokenSecretRef,
		"spec.authentication.tokenSecretRef")
	if problem != "" {
		setRegistered(&obj.Status.Conditions, obj.Generation, false, ebv1.ReasonTokenSecretNotFound, problem)
		setReady(&obj.Status.Conditions, obj.Generation, false, ebv1.ReasonTokenSecretNotFound, problem)
		return ctrl.Result{RequeueAfter: r.Recheck}, nil
	}
	if rej := obj.Status.LastRejection; rej != nil && rej.Generation == obj.Generation &&
		rej.TokenSecretVersion == tokenVersion {
		// A permanent error is not retried until the spec or the token
		// Secret changes. The token Secret is not watched, so it is read
		// again every Recheck.
		restoreRejection(&obj.Status.Conditions, obj.Generation, rej, true)
		return ctrl.Result{RequeueAfter: r.Recheck}, nil
	}

	eb, err := r.EB.clientFor(obj.Spec.Registration)
	if err != nil {
		return r.rejectConfig(obj, err)
	}
	clientID, result, err := r.prepareAuth(ctx, obj, eb, tokenVersion)
	if err != nil || clientID == nil {
		return result, err
	}
	if obj.Spec.Authentication.Method == "challenge" {
		challenge, _, problem := r.readSecretValue(ctx, obj, obj.Spec.Authentication.ChallengeSecretRef,
			"spec.authentication.challengeSecretRef")
		if problem != "" {
			setReady(&obj.Status.Conditions, obj.Generation, false, ebv1.ReasonTokenSecretNotFound, problem)
			return ctrl.Result{RequeueAfter: r.Recheck}, nil
		}
		token = challenge
	}

	resp, err := eb.Create(ctx, ebapi.CreateRequest{
		Name:           clientName(obj),
		Type:           obj.Spec.ClientType,
		Authentication: string(obj.Spec.Authentication.Method),
		Token:          token,
		ClientID:       *clientID,
	})
	if err != nil {
		return r.rejectEB(obj, "create", err, tokenVersion)
	}
	if err := r.Hooks.afterEBCall("create"); err != nil {
		return ctrl.Result{}, err
	}
	// The finalizer goes on only once an account exists, so a client that
	// was never registered is deleted at once. A stop before this patch
	// loses nothing: the next create with the same name and token returns
	// the same account.
	if err := ensureFinalizer(ctx, r.Client, obj); err != nil {
		return ctrl.Result{}, err
	}
	r.vault.put(obj.UID, resp.Password)

	recovering := obj.Status.Username != ""
	info := accountInfo{
		ClientName:         clientName(obj),
		AccountStatus:      resp.Status,
		MaxAPIKeys:         int32(resp.MaxAPIKeys),
		MaxObjects:         int32(resp.MaxObjects),
		AuthenticationType: resp.AuthenticationType,
		RegisteredAt:       time.Now().UTC().Format(time.RFC3339),
		RegistrationServer: resp.Server,
	}
	desired := r.desiredSecret(obj, resp.Username, resp.Password, info)
	if _, err := r.secrets.apply(ctx, obj, kindEBClient, secret, desired); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.Hooks.afterSecretWrite(kindEBClient); err != nil {
		return ctrl.Result{}, err
	}

	log.FromContext(ctx).Info("Registered EB client", "clientName", info.ClientName,
		"username", resp.Username, "server", resp.Server, "recovered", recovering)
	r.setRegisteredStatus(obj, resp.Username, info)
	if recovering {
		obj.Status.Registrations++
		r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, ebv1.ReasonCredentialsLost, "Register",
			"credentials Secret %q was missing or edited; registered again as the same client %q "+
				"(user %s) with a new password; dependent EBApiKeys are re-issued where the key quota allows",
			desired.name, info.ClientName, resp.Username)
	}
	return ctrl.Result{}, nil
}

// prepareAuth checks with getauth that the client type allows the method,
// and runs initauth when the method needs it. It returns the client id for
// create ("" when initauth did not run), or nil when the object must wait.
func (r *EBClientReconciler) prepareAuth(ctx context.Context, obj *ebv1.EBClient, eb *ebapi.Client,
	tokenVersion string) (*string, ctrl.Result, error) {
	method := string(obj.Spec.Authentication.Method)
	auth, err := eb.GetAuth(ctx, obj.Spec.ClientType)
	if err != nil {
		result, err := r.rejectEB(obj, "getauth", err, tokenVersion)
		return nil, result, err
	}
	idx := slices.IndexFunc(auth.Authentication, func(m ebapi.AuthMethod) bool { return m.Method == method })
	if idx < 0 {
		var allowed []string
		for _, m := range auth.Authentication {
			allowed = append(allowed, m.Method)
		}
		msg := fmt.Sprintf("client type %q does not allow spec.authentication.method %q; allowed: %s; "+
			"change spec.authentication.method", obj.Spec.ClientType, method, strings.Join(allowed, ", "))
		r.reject(obj, ebv1.ReasonAuthMethodNotAllowed, msg, 0x80B9, tokenVersion)
		return nil, ctrl.Result{RequeueAfter: r.Recheck}, nil
	}
	clientID := ""
	m := auth.Authentication[idx]
	if !m.Init {
		return &clientID, ctrl.Result{}, nil
	}
	req := ebapi.InitAuthRequest{Type: obj.Spec.ClientType, Method: method}
	contact := obj.Spec.Authentication.Contact
	for _, item := range m.InitData {
		switch {
		case item == "email" && contact != nil && contact.Email != "":
			req.Email = contact.Email
		case item == "mobile" && contact != nil && contact.Mobile != "":
			req.Mobile = contact.Mobile
		default:
			msg := fmt.Sprintf("method %q of client type %q needs %s for initauth; set "+
				"spec.authentication.contact.%s or choose another method", method, obj.Spec.ClientType, item, item)
			r.reject(obj, ebv1.ReasonAuthMethodNotAllowed, msg, 0x80B9, tokenVersion)
			return nil, ctrl.Result{RequeueAfter: r.Recheck}, nil
		}
	}
	init, err := eb.InitAuth(ctx, req)
	if err != nil {
		result, err := r.rejectEB(obj, "initauth", err, tokenVersion)
		return nil, result, err
	}
	return &init.ClientID, ctrl.Result{}, nil
}
