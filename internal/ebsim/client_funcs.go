package ebsim

import (
	"crypto/subtle"
	"encoding/base64"
	"strings"
)

// authMethodView is one entry of the getauth response.
type authMethodView struct {
	Method   string   `json:"method"`
	Init     bool     `json:"init"`
	InitData []string `json:"initdata"`
}

type getAuthResponse struct {
	Type           string           `json:"type"`
	Authentication []authMethodView `json:"authentication"`
}

type initAuthResponse struct {
	ClientID string         `json:"clientid"`
	AuthData map[string]any `json:"authdata"`
}

type createResponse struct {
	Username           string `json:"username"`
	Password           string `json:"password"`
	MaxAPIKeys         int    `json:"max_api_keys"`
	AuthenticationType string `json:"authenticationType"`
	Status             string `json:"status"`
	MaxObjects         int    `json:"maxobjects"`
}

// clientType returns the type named by client.type.
func (s *Simulator) clientType(client fields) (*ClientType, error) {
	name, err := client.requiredString("type")
	if err != nil {
		return nil, err
	}
	typ, ok := s.types[name]
	if !ok {
		return nil, errorf(codeUnknownClient, "client.type is not a known client type")
	}
	return typ, nil
}

// getAuth lists the authentication methods of client.type.
func (s *Simulator) getAuth(req *request) (any, error) {
	client, err := objectField(req.raw, "client")
	if err != nil {
		return nil, err
	}
	typ, err := s.clientType(client)
	if err != nil {
		return nil, err
	}
	out := getAuthResponse{Type: typ.Name}
	for _, m := range typ.Methods {
		initData := append([]string{}, m.InitData...)
		out.Authentication = append(out.Authentication,
			authMethodView{Method: m.Method, Init: m.Init, InitData: initData})
	}
	return out, nil
}

// initAuth checks the init data that client.method requires and issues a
// client id for create.
func (s *Simulator) initAuth(req *request) (any, error) {
	client, err := objectField(req.raw, "client")
	if err != nil {
		return nil, err
	}
	typ, err := s.clientType(client)
	if err != nil {
		return nil, err
	}
	methodName, err := client.requiredString("method")
	if err != nil {
		return nil, err
	}
	method, ok := typ.method(methodName)
	if !ok {
		return nil, errorf(codeMethodNotAllowed,
			"client.method is not allowed for client type %s", typ.Name)
	}
	for _, item := range method.InitData {
		value, err := client.requiredString(item)
		if err != nil {
			return nil, err
		}
		if !validInitData(item, value) {
			return nil, errorf(codeInvalidArgument, "client.%s is invalid", item)
		}
	}
	clientID := randomHex(16)
	err = s.store.update(func(st *state, _ map[string]string) error {
		st.ClientIDs[clientID] = typ.Name
		return nil
	})
	if err != nil {
		return nil, err
	}
	return initAuthResponse{ClientID: clientID, AuthData: map[string]any{}}, nil
}

// validInitData checks the form of an initauth item: an e-mail address with
// an "@", a mobile number of digits and spaces with an optional leading
// "+", or a base64 RSA public key.
func validInitData(item, value string) bool {
	switch item {
	case "email":
		at := strings.IndexByte(value, '@')
		return at > 0 && at < len(value)-1 && !strings.ContainsAny(value, " \t\r\n")
	case "mobile":
		digits := 0
		for i, r := range value {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case r == ' ', r == '+' && i == 0:
			default:
				return false
			}
		}
		return digits >= 6
	case "rsa":
		decoded, err := base64.StdEncoding.DecodeString(value)
		return err == nil && len(decoded) > 0
	}
	return false
}

// create registers a client, or re-registers it: a create with the same
// name, type and token as an existing client returns that client's
// username with a new password, and the old password stops working. A
// client name belongs to one client, so the same name with another type
// or token is rejected with 0x4078 (object already exists).
func (s *Simulator) create(req *request) (any, error) {
	client, err := objectField(req.raw, "client")
	if err != nil {
		return nil, err
	}
	name, err := client.requiredString("name")
	if err != nil {
		return nil, err
	}
	typ, err := s.clientType(client)
	if err != nil {
		return nil, err
	}
	token, err := s.checkCreateAuth(client, typ)
	if err != nil {
		return nil, err
	}

	password := randomHex(16)
	var username string
	err = s.store.update(func(st *state, byName map[string]string) error {
		if existing, ok := byName[name]; ok {
			acct := st.Accounts[existing]
			if acct.Type != typ.Name || !matchesDigest(token, acct.TokenSHA256) {
				return errorf(codeObjectExists,
					"client.name is registered with another client type or token")
			}
			acct.PasswordSHA256 = digest(password)
			username = existing
			return nil
		}
		username = newUUID()
		st.Accounts[username] = &account{
			Name:           name,
			Type:           typ.Name,
			Username:       username,
			PasswordSHA256: digest(password),
			TokenSHA256:    digest(token),
		}
		byName[name] = username
		return nil
	})
	if err != nil {
		return nil, err
	}
	return createResponse{
		Username:           username,
		Password:           password,
		MaxAPIKeys:         typ.MaxAPIKeys,
		AuthenticationType: "PASSWORD",
		Status:             "ENABLED",
		MaxObjects:         typ.MaxObjects,
	}, nil
}

// checkCreateAuth checks client.authentication against the type and
// returns the token that identifies the registration ("" for methods
// without a token).
func (s *Simulator) checkCreateAuth(client fields, typ *ClientType) (string, error) {
	methodName, err := client.requiredString("authentication")
	if err != nil {
		return "", err
	}
	method, ok := typ.method(methodName)
	if !ok {
		return "", errorf(codeMethodNotAllowed,
			"client.authentication is not allowed for client type %s", typ.Name)
	}
	var token string
	if method.Method == "type" || method.Method == "token" {
		if token, err = client.requiredString("token"); err != nil {
			return "", err
		}
	}
	if method.Method == "type" &&
		subtle.ConstantTimeCompare([]byte(token), []byte(typ.Token)) != 1 {
		return "", errorf(codeInvalidToken, "client.token does not match the client type")
	}
	if method.Init {
		clientID, err := client.requiredString("clientid")
		if err != nil {
			return "", err
		}
		var issuedFor string
		s.store.view(func(st *state, _ map[string]string) { issuedFor = st.ClientIDs[clientID] })
		if issuedFor != typ.Name {
			return "", errorf(codeInvalidArgument,
				"client.clientid was not issued by initauth for client type %s", typ.Name)
		}
	}
	return token, nil
}
