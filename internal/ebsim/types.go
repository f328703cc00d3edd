package ebsim

import (
	"errors"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// AuthMethod is one authentication method a client type allows for create.
type AuthMethod struct {
	// Method is the method name, such as "type" or "token".
	Method string `json:"method"`
	// Init is true when initauth must run before create.
	Init bool `json:"init"`
	// InitData lists the items initauth requires: "email", "mobile", "rsa".
	InitData []string `json:"initdata,omitempty"`
}

// Operation is an operation an API key of a client type may be allowed.
type Operation struct {
	ID     int    `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"` // "enabled" or "disabled"
}

// ClientType is a pre-defined client type: its shared token, the methods
// create accepts, the quotas of its clients and the operations of its keys.
type ClientType struct {
	Name       string       `json:"name"`
	Token      string       `json:"token"`
	Methods    []AuthMethod `json:"methods"`
	MaxAPIKeys int          `json:"max_api_keys"`
	MaxObjects int          `json:"maxobjects"`
	Operations []Operation  `json:"operations"`
}

// knownMethods are the authentication method names of the EB protocol.
var knownMethods = map[string]bool{
	"type": true, "name": true, "token": true, "password": true, "challenge": true,
	"hotp": true, "totp": true, "ocra": true, "signature": true,
}

// knownInitData are the items initauth can require.
var knownInitData = map[string]bool{"email": true, "mobile": true, "rsa": true}

// DefaultTypes returns the built-in client type "demo": method "type" with
// token "demo-token", 5 API keys, 1000 objects and three enabled operations.
func DefaultTypes() []ClientType {
	return []ClientType{{
		Name:       "demo",
		Token:      "demo-token",
		Methods:    []AuthMethod{{Method: "type"}},
		MaxAPIKeys: 5,
		MaxObjects: 1000,
		Operations: []Operation{
			{ID: 1, Name: "PLAINAES", Status: "enabled"},
			{ID: 2, Name: "RSA2048", Status: "enabled"},
			{ID: 3, Name: "RANDOM", Status: "enabled"},
		},
	}}
}

// LoadTypes reads a YAML list of client types from path and validates it.
// Unknown keys in the file are rejected so that a misspelt key fails early.
func LoadTypes(path string) ([]ClientType, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read client types: %w", err)
	}
	var types []ClientType
	if err := yaml.UnmarshalStrict(data, &types); err != nil {
		return nil, fmt.Errorf("parse client types %s: %w", path, err)
	}
	if err := validateTypes(types); err != nil {
		return nil, fmt.Errorf("client types %s: %w", path, err)
	}
	return types, nil
}

// validateTypes checks that the types can be served: unique names, known
// methods and init data, a token for the "type" method, and operations with
// unique positive ids, unique names and a known status.
func validateTypes(types []ClientType) error {
	if len(types) == 0 {
		return errors.New("no client types defined")
	}
	names := map[string]bool{}
	for i, typ := range types {
		if typ.Name == "" {
			return fmt.Errorf("client type %d: name is missing", i)
		}
		if names[typ.Name] {
			return fmt.Errorf("client type %q: defined twice", typ.Name)
		}
		names[typ.Name] = true
		if err := validateType(typ); err != nil {
			return fmt.Errorf("client type %q: %w", typ.Name, err)
		}
	}
	return nil
}

func validateType(typ ClientType) error {
	if len(typ.Methods) == 0 {
		return errors.New("methods is empty; list at least one authentication method")
	}
	if typ.MaxAPIKeys < 0 || typ.MaxObjects < 0 {
		return errors.New("max_api_keys and maxobjects must not be negative")
	}
	methods := map[string]bool{}
	for _, m := range typ.Methods {
		if !knownMethods[m.Method] {
			return fmt.Errorf("unknown authentication method %q", m.Method)
		}
		if methods[m.Method] {
			return fmt.Errorf("authentication method %q listed twice", m.Method)
		}
		methods[m.Method] = true
		if m.Method == "type" && typ.Token == "" {
			return errors.New("method \"type\" requires a token; set token")
		}
		for _, item := range m.InitData {
			if !knownInitData[item] {
				return fmt.Errorf("method %q: unknown initdata %q (use email, mobile or rsa)",
					m.Method, item)
			}
		}
	}
	ids := map[int]bool{}
	opNames := map[string]bool{}
	for _, op := range typ.Operations {
		if op.ID <= 0 || ids[op.ID] {
			return fmt.Errorf("operation %q: id %d must be positive and unique", op.Name, op.ID)
		}
		if op.Name == "" || opNames[op.Name] {
			return fmt.Errorf("operation %d: name %q must be set and unique", op.ID, op.Name)
		}
		if op.Status != "enabled" && op.Status != "disabled" {
			return fmt.Errorf("operation %q: status %q must be enabled or disabled",
				op.Name, op.Status)
		}
		ids[op.ID] = true
		opNames[op.Name] = true
	}
	return nil
}

// method returns the named authentication method of the type.
func (t *ClientType) method(name string) (AuthMethod, bool) {
	for _, m := range t.Methods {
		if m.Method == name {
			return m, true
		}
	}
	return AuthMethod{}, false
}

// operationByName returns the named operation of the type.
func (t *ClientType) operationByName(name string) (Operation, bool) {
	for _, op := range t.Operations {
		if op.Name == name {
			return op, true
		}
	}
	return Operation{}, false
}

// operationByID returns the operation of the type with that id.
func (t *ClientType) operationByID(id int) (Operation, bool) {
	for _, op := range t.Operations {
		if op.ID == id {
			return op, true
		}
	}
	return Operation{}, false
}

// copyTypes returns a deep copy so that callers cannot change served types.
func copyTypes(types []ClientType) []ClientType {
	out := make([]ClientType, len(types))
	for i, typ := range types {
		out[i] = typ
		out[i].Methods = make([]AuthMethod, len(typ.Methods))
		for j, m := range typ.Methods {
			out[i].Methods[j] = m
			out[i].Methods[j].InitData = append([]string(nil), m.InitData...)
		}
		out[i].Operations = append([]Operation(nil), typ.Operations...)
	}
	return out
}
