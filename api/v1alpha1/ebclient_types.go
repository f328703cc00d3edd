package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Environment is an EB environment.
// +kubebuilder:validation:Enum=dev;test;prod
type Environment string

// RegistrationEndpoint is the base URL of an EB registration server.
// +kubebuilder:validation:MaxLength=512
// +kubebuilder:validation:XValidation:rule="self.matches('^https://[^/?#@ ]+/?$')",message="a registration endpoint must be an https URL with a host and an optional port, such as https://hut3.enigmabridge.com:8445"
type RegistrationEndpoint string

// AuthMethod is an EB authentication method that the operator can use for
// create.
// +kubebuilder:validation:Enum=type;name;token;password;challenge
type AuthMethod string

// RegistrationSpec says where and how to reach the EB registration servers.
type RegistrationSpec struct {
	// endpoints are registration server base URLs such as
	// https://hut3.enigmabridge.com:8445, tried in order on connection
	// errors, HTTP 5xx, "server not ready" and "service shutting down".
	// When empty, the operator uses its configured default list (the three
	// hut servers unless the administrator changed it). Each host must be on
	// the operator's allowlist.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	Endpoints []RegistrationEndpoint `json:"endpoints,omitempty"`

	// environment is the EB environment: dev, test or prod.
	// +required
	Environment Environment `json:"environment"`

	// caBundle is a PEM bundle of CA certificates trusted for the
	// registration servers besides the system roots. There is no option that
	// disables TLS verification.
	// +optional
	// +kubebuilder:validation:MaxLength=65536
	CABundle string `json:"caBundle,omitempty"`
}

// ContactSpec is the contact data that initauth sends for methods that need
// it.
type ContactSpec struct {
	// email for methods whose initdata includes email.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:XValidation:rule="self.matches('^[^@ ]+@[^@ ]+$')",message="email must be an e-mail address such as ops@example.com"
	Email string `json:"email,omitempty"`

	// mobile is a phone number with country code, digits and spaces only.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^[+]?[0-9 ]+$')",message="mobile must be digits and spaces with an optional leading +, such as +44 20 7946 0000"
	Mobile string `json:"mobile,omitempty"`
}

// AuthenticationSpec says how the operator authenticates create.
// +kubebuilder:validation:XValidation:rule="!(self.method in ['type', 'token', 'password']) || has(self.tokenSecretRef)",message="authentication.tokenSecretRef is required for methods type, token and password"
// +kubebuilder:validation:XValidation:rule="self.method != 'challenge' || has(self.challengeSecretRef)",message="authentication.challengeSecretRef is required for method challenge"
type AuthenticationSpec struct {
	// method is the EB authentication method: type, name, token, password or
	// challenge.
	// +required
	Method AuthMethod `json:"method"`

	// tokenSecretRef selects the Secret key that holds the registration
	// token or password. Credentials never appear in spec.
	// +optional
	TokenSecretRef *SecretKeyReference `json:"tokenSecretRef,omitempty"`

	// challengeSecretRef selects the Secret key that holds the one-time
	// value that the EB server sent out of band, for method challenge.
	// +optional
	ChallengeSecretRef *SecretKeyReference `json:"challengeSecretRef,omitempty"`

	// contact holds the e-mail address or mobile number for methods that
	// need initauth.
	// +optional
	Contact *ContactSpec `json:"contact,omitempty"`
}

// EBClientSpec is the desired EB client account.
// +kubebuilder:validation:XValidation:rule="self.clientType == oldSelf.clientType",message="clientType is immutable; create a new EBClient to change it"
// +kubebuilder:validation:XValidation:rule="self.registration.environment == oldSelf.registration.environment",message="registration.environment is immutable; the account belongs to one environment"
// +kubebuilder:validation:XValidation:rule="has(self.clientName) == has(oldSelf.clientName) && (!has(self.clientName) || self.clientName == oldSelf.clientName)",message="clientName is immutable; create a new EBClient to change it"
// +kubebuilder:validation:XValidation:rule="(has(self.secret) && has(self.secret.name)) == (has(oldSelf.secret) && has(oldSelf.secret.name)) && (!(has(self.secret) && has(self.secret.name)) || self.secret.name == oldSelf.secret.name)",message="secret.name is immutable; create a new EBClient to change it"
type EBClientSpec struct {
	// registration sets where and how the operator reaches the EB registration servers.
	// +required
	Registration RegistrationSpec `json:"registration"`

	// clientType is the EB client type, for example "demo". Immutable.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	ClientType string `json:"clientType"`

	// clientName is the name sent to create. When empty, the operator uses
	// "<namespace>.<name>.<uid>", so that a recreated object or another
	// cluster never lands on the same EB account. Immutable.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ClientName string `json:"clientName,omitempty"`

	// authentication sets how create is authenticated.
	// +required
	Authentication AuthenticationSpec `json:"authentication"`

	// secret names the credentials Secret and the metadata added to it.
	// +optional
	Secret SecretTemplate `json:"secret,omitempty"`

	// deletionPolicy is Delete (the default: the Secret is deleted with the
	// object) or Orphan (the Secret is kept without an ownerReference).
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
}

// Rejection records a permanent EB error, so that the operator does not call
// again until the generation or the token Secret changes.
type Rejection struct {
	// code is the EB status code.
	Code int32 `json:"code"`
	// generation is the object's generation that was rejected.
	Generation int64 `json:"generation"`
	// tokenSecretVersion is the resourceVersion of the token Secret at the
	// time of the rejection.
	// +optional
	TokenSecretVersion string `json:"tokenSecretVersion,omitempty"`
	// clientCredentials identifies, by a hash prefix, the EBClient
	// credentials that EB rejected for an EBApiKey. New credentials lead to
	// a retry. It is empty when EB rejected the key request itself.
	// +optional
	ClientCredentials string `json:"clientCredentials,omitempty"`
	// time of the rejection.
	Time metav1.Time `json:"time"`
	// reason is the Ready condition's reason at the rejection.
	// +optional
	Reason string `json:"reason,omitempty"`
	// message is the Ready condition's message at the rejection. The
	// operator restores the condition from it while the rejection holds.
	// +optional
	Message string `json:"message,omitempty"`
}

// EBClientStatus is the observed state of an EBClient.
type EBClientStatus struct {
	// conditions: Ready and Registered.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation that the last successful pass
	// handled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// clientName is the name sent to create.
	// +optional
	ClientName string `json:"clientName,omitempty"`

	// username is the EB client's user name.
	// +optional
	Username string `json:"username,omitempty"`

	// accountStatus is the account status that create returned, e.g. ENABLED.
	// +optional
	AccountStatus string `json:"accountStatus,omitempty"`

	// maxApiKeys is how many API keys the account may create.
	// +optional
	MaxAPIKeys int32 `json:"maxApiKeys,omitempty"`

	// maxObjects is how many user objects the account may create.
	// +optional
	MaxObjects int32 `json:"maxObjects,omitempty"`

	// authenticationType is how the account authenticates later, e.g.
	// PASSWORD.
	// +optional
	AuthenticationType string `json:"authenticationType,omitempty"`

	// registeredAt is when create last succeeded.
	// +optional
	RegisteredAt *metav1.Time `json:"registeredAt,omitempty"`

	// registrationServer is the base URL of the server that returned the create response.
	// +optional
	RegistrationServer string `json:"registrationServer,omitempty"`

	// secretName is the credentials Secret.
	// +optional
	SecretName string `json:"secretName,omitempty"`

	// registrations counts successful create calls for this object. A value
	// above 1 means the credentials were lost and recovered by registering
	// again under the same name and token.
	// +optional
	Registrations int32 `json:"registrations,omitempty"`

	// lastRejection is the last permanent EB error, cleared on success.
	// +optional
	LastRejection *Rejection `json:"lastRejection,omitempty"`
}

// EBClient registers an EB client account and keeps its credentials in a
// Secret.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ebc,categories=eb
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Username",type=string,JSONPath=`.status.username`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.clientType`,priority=1
// +kubebuilder:printcolumn:name="Environment",type=string,JSONPath=`.spec.registration.environment`,priority=1
// +kubebuilder:printcolumn:name="Secret",type=string,JSONPath=`.status.secretName`,priority=1
type EBClient struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec   EBClientSpec   `json:"spec"`
	Status EBClientStatus `json:"status,omitempty"`
}

// EBClientList is a list of EBClient.
// +kubebuilder:object:root=true
type EBClientList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []EBClient `json:"items"`
}

func init() {
	SchemeBuilder.Register(&EBClient{}, &EBClientList{})
}
