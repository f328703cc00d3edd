package ebapi

import "context"

// passwordClient is the client object of functions that authenticate with
// the client's user name and password.
type passwordClient struct {
	Authentication string `json:"authentication"`
	Username       string `json:"username"`
	Password       string `json:"password"`
}

// GetAuth returns the authentication methods that clientType accepts.
func (c *Client) GetAuth(ctx context.Context, clientType string) (*GetAuthResponse, error) {
	env := requestEnvelope{
		Function: "getauth",
		Client: struct {
			Type string `json:"type"`
		}{clientType},
	}
	var out GetAuthResponse
	server, err := c.call(ctx, clientPath, env, nil, &out)
	if err != nil {
		return nil, err
	}
	out.Server = server
	return &out, nil
}

// InitAuth starts an authentication method that needs initauth and returns
// the client id to pass to Create.
func (c *Client) InitAuth(ctx context.Context, req InitAuthRequest) (*InitAuthResponse, error) {
	env := requestEnvelope{
		Function: "initauth",
		Client: struct {
			Type   string `json:"type"`
			Method string `json:"method"`
			Email  string `json:"email,omitempty"`
			Mobile string `json:"mobile,omitempty"`
			RSA    string `json:"rsa,omitempty"`
		}{req.Type, req.Method, req.Email, req.Mobile, req.RSA},
	}
	var out InitAuthResponse
	server, err := c.call(ctx, clientPath, env, nil, &out)
	if err != nil {
		return nil, err
	}
	out.Server = server
	return &out, nil
}

// Create registers a client and returns its user name and password.
// Repeating a create with the same name, type and token returns the same
// user name with a new password.
func (c *Client) Create(ctx context.Context, req CreateRequest) (*CreateResponse, error) {
	env := requestEnvelope{
		Function: "create",
		Client: struct {
			Name           string `json:"name"`
			Type           string `json:"type"`
			Authentication string `json:"authentication"`
			Token          string `json:"token,omitempty"`
			ClientID       string `json:"clientid,omitempty"`
		}{req.Name, req.Type, req.Authentication, req.Token, req.ClientID},
	}
	var out CreateResponse
	server, err := c.call(ctx, clientPath, env, []string{req.Token}, &out)
	if err != nil {
		return nil, err
	}
	out.Server = server
	return &out, nil
}

// AddAPI creates an API key for the client and returns it with its
// processing servers and operations.
func (c *Client) AddAPI(ctx context.Context, req AddAPIRequest) (*APIKeyResponse, error) {
	endpoint := req.Endpoint
	env := requestEnvelope{
		Function:   "addapi",
		Client:     passwordClient{"password", req.Username, req.Password},
		Endpoint:   &endpoint,
		Operations: req.Operations,
	}
	var out APIKeyResponse
	server, err := c.call(ctx, clientPath, env, []string{req.Password}, &out)
	if err != nil {
		return nil, err
	}
	out.Server = server
	return &out, nil
}

// ShowAPI reads an existing API key again, with its current processing
// servers and operations.
func (c *Client) ShowAPI(ctx context.Context, req ShowAPIRequest) (*APIKeyResponse, error) {
	env := requestEnvelope{
		Function: "showapi",
		Client:   passwordClient{"password", req.Username, req.Password},
		APIData: struct {
			APIKey string `json:"apikey"`
		}{req.APIKey},
	}
	var out APIKeyResponse
	secrets := []string{req.Password, req.APIKey}
	server, err := c.call(ctx, clientPath, env, secrets, &out)
	if err != nil {
		return nil, err
	}
	out.Server = server
	return &out, nil
}

// ListOps returns the definitions of the operations the API key may use.
func (c *Client) ListOps(ctx context.Context, username, apiKey string) (*ListOpsResponse, error) {
	env := requestEnvelope{
		Function: "listops",
		APIData: struct {
			Username string `json:"username"`
			APIKey   string `json:"apikey"`
		}{username, apiKey},
	}
	var out ListOpsResponse
	if _, err := c.call(ctx, apikeyPath, env, []string{apiKey}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ClientIP returns the caller's addresses as observed by the registration
// server.
func (c *Client) ClientIP(ctx context.Context) (*ClientIPResponse, error) {
	env := requestEnvelope{Function: "clientip"}
	var out ClientIPResponse
	if _, err := c.call(ctx, apikeyPath, env, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
