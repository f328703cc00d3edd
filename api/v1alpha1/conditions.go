package v1alpha1

// Condition types.
const (
	// ConditionReady summarises the object: True when its Secret holds
	// working credentials. Argo CD and `kubectl wait --for=condition=Ready`
	// read it.
	ConditionReady = "Ready"
	// ConditionRegistered is True on an EBClient once the EB registration
	// server has created its account.
	ConditionRegistered = "Registered"
)

// Reasons of the Ready and Registered conditions. Each is a CamelCase
// constant so that tools can match on it.
const (
	// ReasonRegistered: the EBClient's account exists and its Secret is current.
	ReasonRegistered = "Registered"
	// ReasonIssued: the EBApiKey's key exists and its Secret is current.
	ReasonIssued = "Issued"
	// ReasonRegistering: an EBClient has no account yet and registration is
	// in progress.
	ReasonRegistering = "Registering"
	// ReasonIssuing: an EBApiKey has no key yet and addapi is in progress.
	ReasonIssuing = "Issuing"
	// ReasonWaitingForClient: the referenced EBClient does not exist or is
	// not Ready yet.
	ReasonWaitingForClient = "WaitingForClient"
	// ReasonTokenSecretNotFound: authentication.tokenSecretRef names a
	// Secret or key that does not exist.
	ReasonTokenSecretNotFound = "TokenSecretNotFound"
	// ReasonInvalidSpec: the spec passed admission but cannot be used, for
	// example a CA bundle that is not PEM.
	ReasonInvalidSpec = "InvalidSpec"
	// ReasonRegistrationHostNotAllowed: a registration endpoint's host is
	// not on the operator's allowlist, so no connection was made.
	ReasonRegistrationHostNotAllowed = "RegistrationHostNotAllowed"
	// ReasonAuthMethodNotAllowed: the client type does not offer
	// authentication.method, or the method needs contact data that the spec
	// lacks.
	ReasonAuthMethodNotAllowed = "AuthMethodNotAllowed"
	// ReasonRegistrationRejected: the EB server returned a permanent
	// error code. The message carries the code and its meaning. There is no
	// retry until the spec or the token Secret changes.
	ReasonRegistrationRejected = "RegistrationRejected"
	// ReasonIssueRejected: addapi or showapi returned a permanent error
	// code. There is no retry until the spec changes.
	ReasonIssueRejected = "IssueRejected"
	// ReasonRegistrationServerUnavailable: every registration server failed
	// with a transient error. The operator retries with exponential backoff.
	ReasonRegistrationServerUnavailable = "RegistrationServerUnavailable"
	// ReasonSecretConflict: the target Secret exists and is not owned by this
	// object. The operator leaves it untouched and makes no EB call.
	ReasonSecretConflict = "SecretConflict"
	// ReasonCredentialsLost: the credentials Secret was deleted or changed
	// and is being recovered.
	ReasonCredentialsLost = "CredentialsLost"
)
