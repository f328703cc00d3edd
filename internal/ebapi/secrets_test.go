package ebapi

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

// Secret values with characters that a JSON encoder escapes, so that an
// echoed request body carries them in escaped form.
const (
	knownPassword = `pw-Secret"<&>-1`
	knownToken    = `tok-Secret<T>-2`
	knownAPIKey   = `key-Secret&K-3`
)

func TestErrorsCarryNoSecrets(t *testing.T) {
	sims, bundle := startSims(t, 2)
	ctx := testContext(t)
	single := newTestClient(t, bundle, sims[0].URL)
	pair := newTestClient(t, bundle, sims[0].URL, sims[1].URL)
	refused := newTestClient(t, bundle, closedAddress(t))

	create := CreateRequest{Name: "n", Type: demoType, Authentication: "type", Token: knownToken}
	addAPI := AddAPIRequest{Username: "u", Password: knownPassword}
	showAPI := ShowAPIRequest{Username: "u", Password: knownPassword, APIKey: knownAPIKey}

	tests := []struct {
		name  string
		fault *ebsim.Fault // queued once on each server the call reaches
		call  func() error
	}{
		{"create with wrong token", nil, func() error {
			_, err := single.Create(ctx, create)
			return err
		}},
		{"create echoed", &ebsim.Fault{Function: "create", EchoRequest: true}, func() error {
			_, err := single.Create(ctx, create)
			return err
		}},
		{"addapi echoed", &ebsim.Fault{Function: "addapi", EchoRequest: true}, func() error {
			_, err := single.AddAPI(ctx, addAPI)
			return err
		}},
		{"showapi echoed", &ebsim.Fault{Function: "showapi", EchoRequest: true}, func() error {
			_, err := single.ShowAPI(ctx, showAPI)
			return err
		}},
		{"listops echoed", &ebsim.Fault{Function: "listops", EchoRequest: true}, func() error {
			_, err := single.ListOps(ctx, "u", knownAPIKey)
			return err
		}},
		{"echoed with HTTP 500", &ebsim.Fault{Function: "showapi", EchoRequest: true,
			HTTPStatus: 500}, func() error {
			_, err := single.ShowAPI(ctx, showAPI)
			return err
		}},
		{"failover of echoed errors", &ebsim.Fault{Function: "showapi", EchoRequest: true,
			Code: 0xF019}, func() error {
			_, err := pair.ShowAPI(ctx, showAPI)
			return err
		}},
		{"refused connection", nil, func() error {
			_, err := refused.ShowAPI(ctx, showAPI)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.fault != nil {
				for _, srv := range sims {
					srv.Sim.ResetFaults()
					srv.Sim.FailNext(*tt.fault)
				}
			}
			err := tt.call()
			if err == nil {
				t.Fatal("call succeeded, want an error")
			}
			texts := map[string]string{
				"Error()": err.Error(),
				"%+v":     fmt.Sprintf("%+v", err),
				"%v":      fmt.Sprintf("%v", err),
			}
			if se := asStatusError(err); se != nil {
				texts["Detail"] = se.Detail
				if tt.fault != nil && tt.fault.EchoRequest &&
					!strings.Contains(se.Detail, redactedText) {
					t.Errorf("Detail %q lacks %s", se.Detail, redactedText)
				}
			}
			for where, text := range texts {
				for _, secret := range []string{knownPassword, knownToken, knownAPIKey} {
					for _, form := range secretForms(secret) {
						if strings.Contains(text, form) {
							t.Errorf("%s contains secret %q: %s", where, form, text)
						}
					}
				}
			}
		})
	}
}

func asStatusError(err error) *StatusError {
	var se *StatusError
	if errors.As(err, &se) {
		return se
	}
	return nil
}

func TestRedactEscapedForms(t *testing.T) {
	tests := []struct {
		name string
		text string
	}{
		{"raw", `password ` + knownPassword},
		{"json escaped", `{"password":"pw-Secret\"\u003c\u0026\u003e-1"}`},
		{"json escaped without html escaping", `{"password":"pw-Secret\"<&>-1"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redact(tt.text, []string{knownPassword, ""})
			if strings.Contains(got, "pw-Secret") {
				t.Errorf("redact(%q) = %q, still contains the secret", tt.text, got)
			}
			if !strings.Contains(got, redactedText) {
				t.Errorf("redact(%q) = %q, want %s in it", tt.text, got, redactedText)
			}
		})
	}
}
