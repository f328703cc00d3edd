package controllers

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

// The benchmarks cover what every reconcile of a Ready object runs: the
// Secret data is rendered again, compared with the Secret in the cache, and
// the new status is compared with the old one. None of them may allocate
// in proportion to the number of objects.

// Values shaped like the simulator's, not real credentials.
const (
	benchAPIKey   = "TEST_API_KEY_0123456789abcdef0123456789abcdef"
	benchUsername = "bench-user-000123"
	benchPassword = "bench-password-0123456789abcdef"
)

func benchServers() []ebv1.ServerStatus {
	return []ebv1.ServerStatus{{
		Name: "site1", FQDN: "site1.enigmabridge.com", Environment: "test", Domain: "default",
		UseEndpoints:   []ebv1.PortSpec{{Protocol: "tcp", Port: 11110}, {Protocol: "https", Port: 11180}},
		EnrolEndpoints: []ebv1.PortSpec{{Protocol: "tcp", Port: 11112}, {Protocol: "https", Port: 11182}},
	}}
}

func benchKeyStatus() ebv1.EBApiKeyStatus {
	now := metav1.NewTime(time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC))
	return ebv1.EBApiKeyStatus{
		Conditions: []metav1.Condition{{
			Type: ebv1.ConditionReady, Status: metav1.ConditionTrue, Reason: ebv1.ReasonIssued,
			Message:            `API key 0123456789abcdef for user bench-user-000123 is in Secret "k-eb-apikey"`,
			ObservedGeneration: 1, LastTransitionTime: now,
		}},
		ObservedGeneration: 1,
		ClientUsername:     benchUsername,
		APIKeyHash:         "0123456789abcdef",
		KeyStatus:          "enabled",
		Servers:            benchServers(),
		Operations: []ebv1.OperationStatus{
			{Name: "PLAINAES", ID: 1, Status: "enabled"},
			{Name: "RANDOM", ID: 3, Status: "enabled"},
		},
		IssuedAt:        &now,
		LastRefreshTime: &now,
		SecretName:      "k-eb-apikey",
		Issues:          1,
	}
}

func BenchmarkAPIKeySecretData(b *testing.B) {
	servers := benchServers()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := apiKeySecretData(benchAPIKey, benchUsername, "test", servers); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClientSecretData(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = clientSecretData(benchUsername, benchPassword, "test", "https://127.0.0.1:8445")
	}
}

// BenchmarkSecretUpToDate compares an unchanged API-key Secret, the common
// case of a reconcile that writes nothing.
func BenchmarkSecretUpToDate(b *testing.B) {
	data, err := apiKeySecretData(benchAPIKey, benchUsername, "test", benchServers())
	if err != nil {
		b.Fatal(err)
	}
	labels, annotations := secretMetadata(ebv1.SecretTemplate{}, map[string]string{
		annotationAPIKeyHash:        hashPrefix(benchAPIKey),
		annotationClientCredentials: credentialsFingerprint(benchUsername, benchPassword),
		annotationKeyInfo:           mustJSON(keyInfo{KeyStatus: "enabled"}),
	})
	desired := desiredSecret{name: "k-eb-apikey", data: data, labels: labels, annotations: annotations}
	existing := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: desired.name, Labels: labels, Annotations: annotations},
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
	}
	b.ReportAllocs()
	for b.Loop() {
		if !secretUpToDate(existing, desired) {
			b.Fatal("unchanged Secret reported as changed")
		}
	}
}

// BenchmarkKeyStatusUnchanged is the check patchStatus makes before it
// writes: two equal, fully populated EBApiKey statuses.
func BenchmarkKeyStatusUnchanged(b *testing.B) {
	oldStatus, newStatus := benchKeyStatus(), benchKeyStatus()
	b.ReportAllocs()
	for b.Loop() {
		if !equality.Semantic.DeepEqual(newStatus, oldStatus) {
			b.Fatal("equal statuses reported as different")
		}
	}
}
