package controllers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestOwnWritesBehind(t *testing.T) {
	t.Parallel()
	w := newOwnWrites()
	obj := func(rv string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{UID: "u1", ResourceVersion: rv}}
	}
	if w.behind(obj("5")) {
		t.Error("behind with no recorded write")
	}
	w.record("u1", "10")
	cases := []struct {
		rv   string
		want bool
	}{
		{"9", true},   // the cache has not seen the write
		{"10", false}, // the cache has the write, which clears the entry
		{"9", false},  // so an older read is no longer held back
	}
	for i, tc := range cases {
		if got := w.behind(obj(tc.rv)); got != tc.want {
			t.Errorf("step %d: behind(%s) = %v, want %v", i, tc.rv, got, tc.want)
		}
	}
	w.record("u1", "not-a-number")
	if w.behind(obj("1")) {
		t.Error("behind with an unparsable resourceVersion, want current")
	}
}
