// Package controllers contains the EBClient and EBApiKey reconcilers.
package controllers

import (
	"time"

	"golang.org/x/time/rate"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/internal/ebapi"
)

// EBSettings are the EB connection settings that the operator's
// administrator sets with flags. One value is shared by both reconcilers.
type EBSettings struct {
	// DefaultEndpoints are used when spec.registration.endpoints is empty.
	DefaultEndpoints []string
	// AllowedHosts are the registration hosts the operator may connect to.
	AllowedHosts []string
	// CABundle is PEM trusted for every registration server, besides the
	// system roots and the object's own spec.registration.caBundle.
	CABundle []byte
	// Limiter is the rate limit shared by every outgoing EB call.
	Limiter *rate.Limiter
	// Timeout bounds one attempt on one registration server.
	Timeout time.Duration
}

// clientFor builds an EB client for an EBClient's registration settings. It
// makes no connection; a host off the allowlist or a bad CA bundle returns
// an *ebapi.ConfigError.
func (s *EBSettings) clientFor(reg ebv1.RegistrationSpec) (*ebapi.Client, error) {
	endpoints := s.DefaultEndpoints
	if len(reg.Endpoints) > 0 {
		endpoints = make([]string, len(reg.Endpoints))
		for i, e := range reg.Endpoints {
			endpoints[i] = string(e)
		}
	}
	ca := s.CABundle
	if reg.CABundle != "" {
		ca = append(append([]byte{}, s.CABundle...), '\n')
		ca = append(ca, reg.CABundle...)
	}
	return ebapi.New(ebapi.Options{
		Endpoints:    endpoints,
		Environment:  string(reg.Environment),
		CABundle:     ca,
		AllowedHosts: s.AllowedHosts,
		Limiter:      s.Limiter,
		Timeout:      s.Timeout,
	})
}

// Hooks stop a reconcile at a chosen point. Tests use them to simulate a
// crash between an EB call and the writes that follow it. Production code
// leaves them nil.
type Hooks struct {
	// AfterEBCall runs after create or addapi returned successfully, before
	// anything is written. A non-nil error aborts the reconcile.
	AfterEBCall func(function string) error
	// AfterSecretWrite runs after the Secret write and before the status
	// write. A non-nil error aborts the reconcile.
	AfterSecretWrite func(kind string) error
}

func (h *Hooks) afterEBCall(function string) error {
	if h == nil || h.AfterEBCall == nil {
		return nil
	}
	return h.AfterEBCall(function)
}

func (h *Hooks) afterSecretWrite(kind string) error {
	if h == nil || h.AfterSecretWrite == nil {
		return nil
	}
	return h.AfterSecretWrite(kind)
}
