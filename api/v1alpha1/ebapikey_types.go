package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ClientReference names an EBClient in the same namespace.
type ClientReference struct {
	// name of the EBClient.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// Location is a latitude and longitude in decimal degrees, written as strings
// so that GitOps tools compare them exactly. They are sent to EB as numbers.
type Location struct {
	// latitude in decimal degrees, from -90 to 90.
	// +required
	// +kubebuilder:validation:MaxLength=24
	// +kubebuilder:validation:XValidation:rule="self.matches('^-?[0-9]{1,3}([.][0-9]{1,15})?$') && double(self) >= -90.0 && double(self) <= 90.0",message="latitude must be a decimal number from -90 to 90, such as \"51.5074\""
	Latitude string `json:"latitude"`

	// longitude in decimal degrees, from -180 to 180.
	// +required
	// +kubebuilder:validation:MaxLength=24
	// +kubebuilder:validation:XValidation:rule="self.matches('^-?[0-9]{1,3}([.][0-9]{1,15})?$') && double(self) >= -180.0 && double(self) <= 180.0",message="longitude must be a decimal number from -180 to 180, such as \"-0.1278\""
	Longitude string `json:"longitude"`
}

// EndpointSpec describes the host that will use the API key. EB uses these
// facts to pick the closest processing servers. Every field is optional.
type EndpointSpec struct {
	// ipv4 address of the host.
	// +optional
	// +kubebuilder:validation:MaxLength=15
	// +kubebuilder:validation:XValidation:rule="isIP(self) && ip(self).family() == 4",message="ipv4 must be an IPv4 address such as 192.0.2.10"
	IPv4 string `json:"ipv4,omitempty"`

	// ipv6 address of the host.
	// +optional
	// +kubebuilder:validation:MaxLength=45
	// +kubebuilder:validation:XValidation:rule="isIP(self) && ip(self).family() == 6",message="ipv6 must be an IPv6 address such as 2001:db8::10"
	IPv6 string `json:"ipv6,omitempty"`

	// email of the host's operator.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:XValidation:rule="self.matches('^[^@ ]+@[^@ ]+$')",message="email must be an e-mail address such as ops@example.com"
	Email string `json:"email,omitempty"`

	// country is an ISO 3166-1 alpha-2 code in upper case, e.g. GB.
	// +optional
	// +kubebuilder:validation:MaxLength=2
	// +kubebuilder:validation:XValidation:rule="self.matches('^[A-Z]{2}$')",message="country must be an ISO 3166-1 alpha-2 code in upper case, such as GB"
	Country string `json:"country,omitempty"`

	// network is a network name or address range.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Network string `json:"network,omitempty"`

	// location of the host.
	// +optional
	Location *Location `json:"location,omitempty"`

	// datacenter name.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Datacenter string `json:"datacenter,omitempty"`

	// hostID identifies the host, e.g. a machine image id or an FQDN.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	HostID string `json:"hostID,omitempty"`

	// productCode of the host's product.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	ProductCode string `json:"productCode,omitempty"`

	// instanceType of the host, e.g. a cloud instance type.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	InstanceType string `json:"instanceType,omitempty"`
}

// EBApiKeySpec is the desired EB API key.
// +kubebuilder:validation:XValidation:rule="self.clientRef.name == oldSelf.clientRef.name",message="clientRef.name is immutable; create a new EBApiKey to change it"
// +kubebuilder:validation:XValidation:rule="(has(self.secret) && has(self.secret.name)) == (has(oldSelf.secret) && has(oldSelf.secret.name)) && (!(has(self.secret) && has(self.secret.name)) || self.secret.name == oldSelf.secret.name)",message="secret.name is immutable; create a new EBApiKey to change it"
type EBApiKeySpec struct {
	// clientRef names the EBClient, in the same namespace, whose account
	// owns the key. Immutable.
	// +required
	ClientRef ClientReference `json:"clientRef"`

	// endpoint describes the host that will use the key.
	// +optional
	Endpoint *EndpointSpec `json:"endpoint,omitempty"`

	// operations are the names of the operations that the key may use.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=128
	Operations []string `json:"operations,omitempty"`

	// refreshInterval is how often showapi refreshes the servers and
	// operations, as a Go duration such as "30m". Default 1h, minimum 1m.
	// +optional
	// +kubebuilder:validation:XValidation:rule="self.matches('^([0-9]{1,6}([.][0-9]{1,6})?(ns|us|ms|s|m|h))+$') && duration(self) >= duration('1m')",message="refreshInterval must be a duration of at least 1m, such as 30m or 1h"
	RefreshInterval *metav1.Duration `json:"refreshInterval,omitempty"`

	// secret names the API-key Secret and the metadata added to it.
	// +optional
	Secret SecretTemplate `json:"secret,omitempty"`

	// deletionPolicy is Delete (the default: the Secret is deleted with the
	// object) or Orphan (the Secret is kept without an ownerReference).
	// +optional
	DeletionPolicy DeletionPolicy `json:"deletionPolicy,omitempty"`
}

// PortSpec is one protocol and port of a processing server.
type PortSpec struct {
	Protocol string `json:"protocol"`
	Port     int32  `json:"port"`
}

// ServerStatus is a processing server that EB assigned to the key.
type ServerStatus struct {
	Name        string `json:"name"`
	FQDN        string `json:"fqdn"`
	Environment string `json:"environment,omitempty"`
	Domain      string `json:"domain,omitempty"`
	// +optional
	// +listType=atomic
	UseEndpoints []PortSpec `json:"useEndpoints,omitempty"`
	// +optional
	// +listType=atomic
	EnrolEndpoints []PortSpec `json:"enrolEndpoints,omitempty"`
}

// OperationStatus is an operation that the key may use.
type OperationStatus struct {
	Name   string `json:"name"`
	ID     int32  `json:"id"`
	Status string `json:"status,omitempty"`
}

// EBApiKeyStatus is the observed state of an EBApiKey.
type EBApiKeyStatus struct {
	// conditions: Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation that the last successful pass
	// handled.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// clientUsername is the EB user name of the owning client.
	// +optional
	ClientUsername string `json:"clientUsername,omitempty"`

	// apiKeyHash is the first 16 hex characters of the SHA-256 of the key.
	// It identifies the key without revealing it.
	// +optional
	APIKeyHash string `json:"apiKeyHash,omitempty"`

	// keyStatus is the key status that EB returned, e.g. enabled.
	// +optional
	KeyStatus string `json:"keyStatus,omitempty"`

	// servers are the processing servers assigned to the key.
	// +optional
	// +listType=atomic
	Servers []ServerStatus `json:"servers,omitempty"`

	// operations are the operations that the key may use.
	// +optional
	// +listType=atomic
	Operations []OperationStatus `json:"operations,omitempty"`

	// requestHash identifies the spec.endpoint and spec.operations that the
	// current key was issued for. When they change, the operator issues a
	// new key, because EB cannot change an issued key.
	// +optional
	RequestHash string `json:"requestHash,omitempty"`

	// issuedAt is when addapi returned the current key.
	// +optional
	IssuedAt *metav1.Time `json:"issuedAt,omitempty"`

	// lastRefreshTime is when showapi last refreshed servers and operations.
	// +optional
	LastRefreshTime *metav1.Time `json:"lastRefreshTime,omitempty"`

	// secretName is the API-key Secret.
	// +optional
	SecretName string `json:"secretName,omitempty"`

	// issues counts addapi calls that returned a key for this object. A
	// value above 1 means the key was re-issued.
	// +optional
	Issues int32 `json:"issues,omitempty"`

	// possiblyUnusedKeys counts keys that EB may have issued without the
	// operator receiving them, because the operator stopped between addapi
	// and the Secret write. EB has no call to list or revoke them.
	// +optional
	PossiblyUnusedKeys int32 `json:"possiblyUnusedKeys,omitempty"`

	// lastRejection is the last permanent EB error, cleared on success.
	// +optional
	LastRejection *Rejection `json:"lastRejection,omitempty"`
}

// EBApiKey obtains an EB API key for an EBClient's account and keeps it,
// with the processing-server endpoints, in a Secret.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=ebk,categories=eb
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Client",type=string,JSONPath=`.spec.clientRef.name`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Key",type=string,JSONPath=`.status.apiKeyHash`,priority=1
// +kubebuilder:printcolumn:name="Secret",type=string,JSONPath=`.status.secretName`,priority=1
type EBApiKey struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec   EBApiKeySpec   `json:"spec"`
	Status EBApiKeyStatus `json:"status,omitempty"`
}

// EBApiKeyList is a list of EBApiKey.
// +kubebuilder:object:root=true
type EBApiKeyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []EBApiKey `json:"items"`
}

func init() {
	SchemeBuilder.Register(&EBApiKey{}, &EBApiKeyList{})
}
