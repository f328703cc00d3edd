package controllers_test

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

// Admission messages must read as sentences: no regular expressions and no
// CEL type-conversion errors, even for values that are not numbers or
// durations at all.
func TestAdmissionMessagesReadable(t *testing.T) {
	t.Parallel()
	ns := newNamespace(t)
	cases := []struct {
		name, kind string
		spec       map[string]any
		want       string
	}{
		{"latitude not a number", "EBApiKey", map[string]any{
			"clientRef": map[string]any{"name": "c"},
			"endpoint":  map[string]any{"location": map[string]any{"latitude": "abc", "longitude": "0"}},
		}, "latitude must be a decimal number"},
		{"refreshInterval not a duration", "EBApiKey", map[string]any{
			"clientRef":       map[string]any{"name": "c"},
			"refreshInterval": "abc",
		}, "refreshInterval must be a duration"},
		{"lower-case country", "EBApiKey", map[string]any{
			"clientRef": map[string]any{"name": "c"},
			"endpoint":  map[string]any{"country": "gb"},
		}, "country must be an ISO 3166-1 alpha-2 code"},
		{"reserved Secret label", "EBApiKey", map[string]any{
			"clientRef": map[string]any{"name": "c"},
			"secret":    map[string]any{"labels": map[string]any{"app.kubernetes.io/managed-by": "me"}},
		}, "must not set app.kubernetes.io/managed-by"},
		{"reserved Secret annotation", "EBApiKey", map[string]any{
			"clientRef": map[string]any{"name": "c"},
			"secret":    map[string]any{"annotations": map[string]any{"eb.enigmabridge.com/x": "z"}},
		}, "must not use keys under eb.enigmabridge.com/"},
		{"huge refreshInterval", "EBApiKey", map[string]any{
			"clientRef":       map[string]any{"name": "c"},
			"refreshInterval": "100000000h",
		}, "refreshInterval must be a duration"},
		{"http endpoint", "EBClient", map[string]any{
			"clientType":     "demo",
			"registration":   map[string]any{"environment": "test", "endpoints": []any{"http://127.0.0.1:8445"}},
			"authentication": map[string]any{"method": "name"},
		}, "must be an https URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			obj := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": ebv1.GroupVersion.String(),
				"kind":       tc.kind,
				"metadata":   map[string]any{"namespace": ns, "generateName": "readable-"},
				"spec":       tc.spec,
			}}
			err := k8s.Create(context.Background(), obj)
			if err == nil {
				t.Fatal("created, want an admission error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not contain %q", msg, tc.want)
			}
			for _, bad := range []string{"should match", "type conversion error"} {
				if strings.Contains(msg, bad) {
					t.Errorf("error %q contains %q", msg, bad)
				}
			}
		})
	}
}
