// Package ebapi is a client for the Enigma Bridge (EB) registration API: it
// registers clients (create) and issues API keys (addapi) over HTTPS, with
// failover between registration servers.
package ebapi

import "encoding/json"

// DefaultEndpoints are the public EB registration servers, tried in order.
var DefaultEndpoints = []string{
	"https://hut3.enigmabridge.com:8445",
	"https://hut6.enigmabridge.com:8445",
	"https://hut8.enigmabridge.com:8445",
}

// DefaultAllowedHosts are the host names of DefaultEndpoints.
var DefaultAllowedHosts = []string{
	"hut3.enigmabridge.com",
	"hut6.enigmabridge.com",
	"hut8.enigmabridge.com",
}

// Endpoint is the set of facts about the host that will use an API key.
// The server uses them to pick the closest processing servers.
type Endpoint struct {
	IPv4    string `json:"ipv4,omitempty"`
	IPv6    string `json:"ipv6,omitempty"`
	Email   string `json:"email,omitempty"`
	Country string `json:"country,omitempty"`
	Network string `json:"network,omitempty"`
	// Location is [latitude, longitude] in degrees.
	Location     []float64 `json:"location,omitempty"`
	Datacenter   string    `json:"datacenter,omitempty"`
	HostID       string    `json:"hostid,omitempty"`
	ProductCode  string    `json:"productcode,omitempty"`
	InstanceType string    `json:"instancetype,omitempty"`
}

// AuthMethod is one authentication method a client type accepts.
type AuthMethod struct {
	Method string `json:"method"`
	// Init is true when initauth must run before create.
	Init bool `json:"init"`
	// InitData names the initauth inputs the method needs: email, mobile, rsa.
	InitData []string `json:"initdata"`
}

// GetAuthResponse is the result of getauth.
type GetAuthResponse struct {
	Type           string       `json:"type"`
	Authentication []AuthMethod `json:"authentication"`
	// Server is the base URL of the registration server that sent the
	// response.
	Server string `json:"-"`
}

// InitAuthRequest is the input of initauth. Email, Mobile and RSA are sent
// only when set.
type InitAuthRequest struct {
	Type   string
	Method string
	Email  string
	// Mobile is digits and spaces, with the country code.
	Mobile string
	// RSA is a base64 public key.
	RSA string
}

// InitAuthResponse is the result of initauth.
type InitAuthResponse struct {
	// ClientID is passed to create as CreateRequest.ClientID.
	ClientID string         `json:"clientid"`
	AuthData map[string]any `json:"authdata"`
	Server   string         `json:"-"`
}

// CreateRequest is the input of create, which registers a client.
type CreateRequest struct {
	// Name is chosen by the requester and should be unique.
	Name string
	// Type is a pre-defined client type.
	Type string
	// Authentication is the method used, e.g. "type".
	Authentication string
	// Token is the secret for the "type" and "token" methods.
	Token string
	// ClientID is the id initauth returned, when it ran.
	ClientID string
}

// CreateResponse is the result of create. Password is shown only once.
type CreateResponse struct {
	Username           string `json:"username"`
	Password           string `json:"password"`
	MaxAPIKeys         int    `json:"max_api_keys"`
	AuthenticationType string `json:"authenticationType"`
	Status             string `json:"status"`
	MaxObjects         int    `json:"maxobjects"`
	Server             string `json:"-"`
}

// PortSpec is one endpoint of a processing server.
type PortSpec struct {
	// Protocol is "tcp" or "https".
	Protocol string `json:"protocol"`
	Port     int    `json:"port"`
}

// Server is a processing server an API key may use.
type Server struct {
	Name string `json:"name"`
	// Domain is the security domain, e.g. "default".
	Domain            string     `json:"domain"`
	Environment       string     `json:"environment"`
	FQDN              string     `json:"fqdn"`
	EnrolEndpoints    []PortSpec `json:"enrolEndpoints"`
	UseEndpoints      []PortSpec `json:"useEndpoints"`
	RegisterEndpoints []PortSpec `json:"registerEndpoints,omitempty"`
}

// Operation is one operation an API key may use.
type Operation struct {
	ID   int    `json:"operation"`
	Name string `json:"operationname"`
	// Status is "enabled" or "disabled".
	Status string `json:"status"`
}

// AddAPIRequest is the input of addapi, which creates an API key.
type AddAPIRequest struct {
	Username string
	Password string
	Endpoint Endpoint
	// Operations are the operation names the key may use; empty sends none.
	Operations []string
}

// ShowAPIRequest is the input of showapi, which reads an API key again.
type ShowAPIRequest struct {
	Username string
	Password string
	APIKey   string
}

// APIKeyResponse is the result of addapi and showapi.
type APIKeyResponse struct {
	APIKey     string      `json:"apikey"`
	Servers    []Server    `json:"servers"`
	Operations []Operation `json:"operations"`
	Status     string      `json:"status"`
	// Server is the base URL of the registration server that sent the
	// response.
	Server string `json:"-"`
}

// ListOpsResponse is the result of listops: operation definitions by name.
type ListOpsResponse struct {
	Operations map[string]json.RawMessage `json:"operations"`
}

// ClientIPResponse is the caller's address as observed by the registration
// server. Either field may be nil.
type ClientIPResponse struct {
	IPv4 *string `json:"ipv4"`
	IPv6 *string `json:"ipv6"`
}
