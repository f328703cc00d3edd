package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/internal/ebapi"
)

// Keys of the credentials Secret of an EBClient.
const (
	keyUsername             = "username"
	keyPassword             = "password"
	keyEnvironment          = "environment"
	keyRegistrationEndpoint = "registration-endpoint"
)

// Keys of the API-key Secret of an EBApiKey.
const (
	keyAPIKey        = "apikey"
	keyEndpoint      = "endpoint"
	keyEnrolEndpoint = "enrol-endpoint"
	keyConfigURL     = "config-url"
	keySettingsJSON  = "settings.json"
	keyServersJSON   = "servers.json"
)

// Annotations that the operator writes on its Secrets. They let it rebuild
// status from the Secret when it stopped between the Secret write and the
// status write.
const (
	// annotationAccount holds the EBClient's account facts as JSON.
	annotationAccount = ebv1.AnnotationPrefix + "account"
	// annotationKeyInfo holds the EBApiKey's issue facts as JSON.
	annotationKeyInfo = ebv1.AnnotationPrefix + "key-info"
	// annotationAPIKeyHash is hashPrefix of the key in the Secret.
	annotationAPIKeyHash = ebv1.AnnotationPrefix + "apikey-sha256"
	// annotationClientCredentials is credentialsFingerprint of the client
	// credentials that issued the key, so that a re-registered client
	// leads to a re-issued key.
	annotationClientCredentials = ebv1.AnnotationPrefix + "client-credentials"
)

// hashPrefix returns the first 16 hex characters of the SHA-256 of value.
// The prefix identifies a random key without revealing it.
func hashPrefix(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:8])
}

// credentialsFingerprint identifies one password of one account.
func credentialsFingerprint(username, password string) string {
	return hashPrefix(username + "\x00" + password)
}

// accountInfo is the JSON of annotationAccount.
type accountInfo struct {
	ClientName         string `json:"clientName"`
	AccountStatus      string `json:"accountStatus,omitempty"`
	MaxAPIKeys         int32  `json:"maxApiKeys,omitempty"`
	MaxObjects         int32  `json:"maxObjects,omitempty"`
	AuthenticationType string `json:"authenticationType,omitempty"`
	RegisteredAt       string `json:"registeredAt,omitempty"`
	RegistrationServer string `json:"registrationServer,omitempty"`
}

// keyInfo is the JSON of annotationKeyInfo.
type keyInfo struct {
	IssuedAt   string                 `json:"issuedAt,omitempty"`
	KeyStatus  string                 `json:"keyStatus,omitempty"`
	Operations []ebv1.OperationStatus `json:"operations,omitempty"`
	// RequestHash is status.requestHash of the key.
	RequestHash string `json:"requestHash,omitempty"`
}

// clientSecretData renders the data of an EBClient's credentials Secret.
func clientSecretData(username, password, environment, server string) map[string][]byte {
	return map[string][]byte{
		keyUsername:             []byte(username),
		keyPassword:             []byte(password),
		keyEnvironment:          []byte(environment),
		keyRegistrationEndpoint: []byte(server),
	}
}

// apiKeySecretData renders the data of an EBApiKey's Secret from the key,
// the owning client's user name and the processing servers. It never
// includes the client password.
func apiKeySecretData(apiKey, username, environment string,
	servers []ebv1.ServerStatus) (map[string][]byte, error) {
	wire := serversToWire(servers)
	processing, ok := ebapi.ProcessingURL(wire)
	if !ok {
		return nil, fmt.Errorf("no processing server with an https use endpoint among %d servers", len(wire))
	}
	enrol, _ := ebapi.EnrolURL(wire)
	settings, err := ebapi.SettingsJSON(apiKey, processing)
	if err != nil {
		return nil, fmt.Errorf("render settings.json: %w", err)
	}
	serversJSON, err := json.Marshal(wire)
	if err != nil {
		return nil, fmt.Errorf("render servers.json: %w", err)
	}
	return map[string][]byte{
		keyAPIKey:        []byte(apiKey),
		keyUsername:      []byte(username),
		keyEndpoint:      []byte(processing),
		keyEnrolEndpoint: []byte(enrol),
		keyConfigURL:     []byte(ebapi.ConfigURL(processing, apiKey)),
		keySettingsJSON:  settings,
		keyServersJSON:   serversJSON,
		keyEnvironment:   []byte(environment),
	}, nil
}

// secretMetadata merges the user's labels and annotations from the template
// with the ones the operator reserves. Reserved keys win.
func secretMetadata(tmpl ebv1.SecretTemplate, own map[string]string) (labels, annotations map[string]string) {
	labels = maps.Clone(tmpl.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[ebv1.ManagedByLabel] = ebv1.ManagedByValue
	annotations = map[string]string{}
	for k, v := range tmpl.Annotations {
		if len(k) >= len(ebv1.AnnotationPrefix) && k[:len(ebv1.AnnotationPrefix)] == ebv1.AnnotationPrefix {
			continue
		}
		annotations[k] = v
	}
	maps.Copy(annotations, own)
	return labels, annotations
}

// mustJSON marshals values that cannot fail to marshal (plain structs of
// strings and numbers).
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal %T: %v", v, err))
	}
	return string(b)
}

func serversToWire(servers []ebv1.ServerStatus) []ebapi.Server {
	out := make([]ebapi.Server, 0, len(servers))
	for _, s := range servers {
		out = append(out, ebapi.Server{
			Name:           s.Name,
			Domain:         s.Domain,
			Environment:    s.Environment,
			FQDN:           s.FQDN,
			UseEndpoints:   portsToWire(s.UseEndpoints),
			EnrolEndpoints: portsToWire(s.EnrolEndpoints),
		})
	}
	return out
}

func serversFromWire(servers []ebapi.Server) []ebv1.ServerStatus {
	out := make([]ebv1.ServerStatus, 0, len(servers))
	for _, s := range servers {
		out = append(out, ebv1.ServerStatus{
			Name:           s.Name,
			Domain:         s.Domain,
			Environment:    s.Environment,
			FQDN:           s.FQDN,
			UseEndpoints:   portsFromWire(s.UseEndpoints),
			EnrolEndpoints: portsFromWire(s.EnrolEndpoints),
		})
	}
	return out
}

func portsToWire(ports []ebv1.PortSpec) []ebapi.PortSpec {
	out := make([]ebapi.PortSpec, 0, len(ports))
	for _, p := range ports {
		out = append(out, ebapi.PortSpec{Protocol: p.Protocol, Port: int(p.Port)})
	}
	return out
}

func portsFromWire(ports []ebapi.PortSpec) []ebv1.PortSpec {
	out := make([]ebv1.PortSpec, 0, len(ports))
	for _, p := range ports {
		out = append(out, ebv1.PortSpec{Protocol: p.Protocol, Port: int32(p.Port)})
	}
	return out
}

func operationsFromWire(ops []ebapi.Operation) []ebv1.OperationStatus {
	out := make([]ebv1.OperationStatus, 0, len(ops))
	for _, op := range ops {
		out = append(out, ebv1.OperationStatus{Name: op.Name, ID: int32(op.ID), Status: op.Status})
	}
	return out
}
