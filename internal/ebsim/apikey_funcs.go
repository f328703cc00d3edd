package ebsim

import (
	"encoding/json"
	"net"
	"slices"
)

type endpointView struct {
	Protocol string `json:"protocol"`
	Port     int    `json:"port"`
}

type serverView struct {
	Name           string         `json:"name"`
	Domain         string         `json:"domain"`
	Environment    string         `json:"environment"`
	FQDN           string         `json:"fqdn"`
	EnrolEndpoints []endpointView `json:"enrolEndpoints"`
	UseEndpoints   []endpointView `json:"useEndpoints"`
}

type keyOperationView struct {
	Operation     int    `json:"operation"`
	OperationName string `json:"operationname"`
	Status        string `json:"status"`
}

// apiKeyResponse is the response of addapi and showapi.
type apiKeyResponse struct {
	APIKey     string             `json:"apikey"`
	Servers    []serverView       `json:"servers"`
	Operations []keyOperationView `json:"operations"`
	Status     string             `json:"status"`
}

type listOpsEntry struct {
	ID     int    `json:"id"`
	Status string `json:"status"`
}

type listOpsResponse struct {
	Operations map[string]listOpsEntry `json:"operations"`
}

type clientIPResponse struct {
	IPv4 *string `json:"ipv4"`
	IPv6 *string `json:"ipv6"`
}

// Ports of the simulated processing server other than its https port.
const (
	enrolTCPPort = 11112
	useTCPPort   = 11110
)

// authenticate checks client.authentication, client.username and
// client.password, and returns the account and its client type.
func (s *Simulator) authenticate(req *request) (account, *ClientType, error) {
	client, err := objectField(req.raw, "client")
	if err != nil {
		return account{}, nil, err
	}
	method, err := client.requiredString("authentication")
	if err != nil {
		return account{}, nil, err
	}
	username, err := client.requiredString("username")
	if err != nil {
		return account{}, nil, err
	}
	password, err := client.requiredString("password")
	if err != nil {
		return account{}, nil, err
	}
	if method != "password" {
		return account{}, nil, errorf(codeMethodNotAllowed,
			"client.authentication must be password")
	}
	var acct account
	var found bool
	s.store.view(func(st *state, _ map[string]string) {
		if stored, ok := st.Accounts[username]; ok {
			acct, found = *stored, true
		}
	})
	// The digest is compared even for an unknown username, so both failures
	// take the same time.
	if !matchesDigest(password, acct.PasswordSHA256) || !found {
		return account{}, nil, errorf(codeWrongPassword,
			"client.username or client.password is wrong")
	}
	typ, ok := s.types[acct.Type]
	if !ok {
		return account{}, nil, errorf(codeUnknownClient,
			"the client's type %s is no longer served", acct.Type)
	}
	return acct, typ, nil
}

// addAPI issues an API key to an authenticated client.
func (s *Simulator) addAPI(req *request) (any, error) {
	acct, typ, err := s.authenticate(req)
	if err != nil {
		return nil, err
	}
	if err := validateEndpoint(req.raw); err != nil {
		return nil, err
	}
	operations, err := requestedOperations(req.raw, typ)
	if err != nil {
		return nil, err
	}
	apikey := randomHex(16)
	err = s.store.update(func(st *state, _ map[string]string) error {
		issued := 0
		for _, key := range st.Keys {
			if key.Username == acct.Username {
				issued++
			}
		}
		if issued >= typ.MaxAPIKeys {
			return errorf(codeCapacityReached,
				"the client already has max_api_keys (%d) API keys", typ.MaxAPIKeys)
		}
		st.Keys[digest(apikey)] = &apiKey{
			Username:    acct.Username,
			Environment: req.environment,
			Operations:  operations,
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.apiKeyView(req, apikey, req.environment, operations, typ), nil
}

// showAPI returns an API key of the authenticated client again.
func (s *Simulator) showAPI(req *request) (any, error) {
	acct, typ, err := s.authenticate(req)
	if err != nil {
		return nil, err
	}
	apidata, err := objectField(req.raw, "apidata")
	if err != nil {
		return nil, err
	}
	apikey, err := apidata.requiredString("apikey")
	if err != nil {
		return nil, err
	}
	key, ok := s.lookupKey(apikey)
	if !ok || key.Username != acct.Username {
		return nil, errorf(codeInvalidAPIKey, "apidata.apikey is not a key of this client")
	}
	return s.apiKeyView(req, apikey, key.Environment, key.Operations, typ), nil
}

// listOps lists the operations an API key may use.
func (s *Simulator) listOps(req *request) (any, error) {
	apidata, err := objectField(req.raw, "apidata")
	if err != nil {
		return nil, err
	}
	username, err := apidata.requiredString("username")
	if err != nil {
		return nil, err
	}
	apikey, err := apidata.requiredString("apikey")
	if err != nil {
		return nil, err
	}
	key, ok := s.lookupKey(apikey)
	if !ok || key.Username != username {
		return nil, errorf(codeInvalidAPIKey, "apidata.apikey is not a key of apidata.username")
	}
	var typeName string
	s.store.view(func(st *state, _ map[string]string) {
		if acct, ok := st.Accounts[username]; ok {
			typeName = acct.Type
		}
	})
	typ, ok := s.types[typeName]
	if !ok {
		return nil, errorf(codeUnknownClient, "the client's type is no longer served")
	}
	out := listOpsResponse{Operations: map[string]listOpsEntry{}}
	for _, id := range key.Operations {
		if op, ok := typ.operationByID(id); ok {
			out.Operations[op.Name] = listOpsEntry{ID: op.ID, Status: op.Status}
		}
	}
	return out, nil
}

// clientIP returns the remote address of the caller's connection.
func clientIP(req *request) clientIPResponse {
	host, _, err := net.SplitHostPort(req.remoteAddr)
	if err != nil {
		host = req.remoteAddr
	}
	var out clientIPResponse
	ip := net.ParseIP(host)
	switch {
	case ip == nil:
	case ip.To4() != nil:
		text := ip.To4().String()
		out.IPv4 = &text
	default:
		text := ip.String()
		out.IPv6 = &text
	}
	return out
}

// lookupKey returns a copy of the stored key.
func (s *Simulator) lookupKey(apikey string) (apiKey, bool) {
	var key apiKey
	var ok bool
	s.store.view(func(st *state, _ map[string]string) {
		if stored, found := st.Keys[digest(apikey)]; found {
			key, ok = *stored, true
			key.Operations = slices.Clone(stored.Operations)
		}
	})
	return key, ok
}

// apiKeyView builds the addapi and showapi response for a key.
func (s *Simulator) apiKeyView(req *request, apikey, environment string, operations []int,
	typ *ClientType) apiKeyResponse {
	fqdn, port := s.processingServer(req)
	out := apiKeyResponse{
		APIKey: apikey,
		Servers: []serverView{{
			Name:        "sim-1",
			Domain:      "default",
			Environment: environment,
			FQDN:        fqdn,
			EnrolEndpoints: []endpointView{
				{Protocol: "tcp", Port: enrolTCPPort},
				{Protocol: "https", Port: port},
			},
			UseEndpoints: []endpointView{
				{Protocol: "tcp", Port: useTCPPort},
				{Protocol: "https", Port: port},
			},
		}},
		Operations: []keyOperationView{},
		Status:     "enabled",
	}
	for _, id := range operations {
		if op, ok := typ.operationByID(id); ok {
			out.Operations = append(out.Operations,
				keyOperationView{Operation: op.ID, OperationName: op.Name, Status: op.Status})
		}
	}
	return out
}

// requestedOperations returns the ids of the operations listed in the
// request, or of every operation of the type when the list is missing,
// null or empty. An unknown name is rejected with 0x8004.
func requestedOperations(raw map[string]json.RawMessage, typ *ClientType) ([]int, error) {
	var names []string
	if value, ok := raw["operations"]; ok && !isNull(value) {
		if err := json.Unmarshal(value, &names); err != nil {
			return nil, errorf(codeInvalidArgument, "operations must be a list of names")
		}
	}
	var ids []int
	if len(names) == 0 {
		for _, op := range typ.Operations {
			ids = append(ids, op.ID)
		}
		return ids, nil
	}
	for _, name := range names {
		op, ok := typ.operationByName(name)
		if !ok {
			return nil, errorf(codeOperationNotAvail,
				"operation %q is not available to client type %s", name, typ.Name)
		}
		if !slices.Contains(ids, op.ID) {
			ids = append(ids, op.ID)
		}
	}
	return ids, nil
}
