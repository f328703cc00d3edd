package v1alpha1

// DeletionPolicy selects what happens to the managed Secret when its object is
// deleted.
// +kubebuilder:validation:Enum=Delete;Orphan
type DeletionPolicy string

const (
	// DeletionPolicyDelete deletes the Secret together with the object.
	DeletionPolicyDelete DeletionPolicy = "Delete"
	// DeletionPolicyOrphan keeps the Secret and removes its ownerReference.
	DeletionPolicyOrphan DeletionPolicy = "Orphan"
)

// SecretTemplate names the Secret that the operator writes and the metadata
// it adds to it.
type SecretTemplate struct {
	// name of the Secret in the object's namespace. Defaults to
	// "<object name>-eb-client" for an EBClient and "<object name>-eb-apikey"
	// for an EBApiKey. It cannot be changed after creation.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="secret.name must be a DNS subdomain: lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
	Name string `json:"name,omitempty"`

	// labels added to the Secret. The label app.kubernetes.io/managed-by is
	// always set to eb-operator and cannot be overridden.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="!('app.kubernetes.io/managed-by' in self)",message="secret.labels must not set app.kubernetes.io/managed-by; the operator sets it"
	Labels map[string]string `json:"labels,omitempty"`

	// annotations added to the Secret. Keys under eb.enigmabridge.com/ are
	// reserved for the operator.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, !k.startsWith('eb.enigmabridge.com/'))",message="secret.annotations must not use keys under eb.enigmabridge.com/; the operator reserves them"
	Annotations map[string]string `json:"annotations,omitempty"`
}

// SecretKeyReference selects one key of a Secret in the object's namespace.
type SecretKeyReference struct {
	// name of the Secret.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="name must be the name of a Secret: lower-case letters, digits, '-' and '.'"
	Name string `json:"name"`

	// key within the Secret's data.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-._a-zA-Z0-9]+$')",message="key must be a Secret data key: letters, digits, '-', '_' and '.'"
	Key string `json:"key"`
}

// Labels and annotations that the operator sets on the Secrets it writes.
const (
	// ManagedByLabel marks a Secret as written by the operator; the manager
	// caches only Secrets that carry it.
	ManagedByLabel = "app.kubernetes.io/managed-by"
	// ManagedByValue is the value of ManagedByLabel.
	ManagedByValue = "eb-operator"

	// AnnotationPrefix starts every annotation that the operator reserves.
	AnnotationPrefix = "eb.enigmabridge.com/"

	// Finalizer lets the operator delete or orphan the Secret before the
	// object goes away. It never waits on the EB server.
	Finalizer = "eb.enigmabridge.com/secret-cleanup"
)
