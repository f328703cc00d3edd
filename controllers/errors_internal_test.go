package controllers

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

func TestBackoffDelayDoubles(t *testing.T) {
	t.Parallel()
	base, limit := time.Second, 5*time.Minute
	want := time.Second
	for n := 0; n < 12; n++ {
		got := backoffDelay(base, limit, n)
		if got != want {
			t.Errorf("backoffDelay(1s, 5m, %d) = %s, want %s", n, got, want)
		}
		want = min(want*2, limit)
	}
}

func TestBackoffDelayCapped(t *testing.T) {
	t.Parallel()
	for _, n := range []int{9, 10, 63, 64, 1000} {
		if got := backoffDelay(time.Second, 5*time.Minute, n); got != 5*time.Minute {
			t.Errorf("backoffDelay(1s, 5m, %d) = %s, want 5m0s", n, got)
		}
	}
}

func TestJitterRange(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{2 * time.Nanosecond, time.Second, 5 * time.Minute} {
		lowest, highest := d, time.Duration(0)
		for i := 0; i < 2000; i++ {
			got := jitter(d)
			if got < d/2 || got >= d {
				t.Fatalf("jitter(%s) = %s, want a value in [%s, %s)", d, got, d/2, d)
			}
			lowest, highest = min(lowest, got), max(highest, got)
		}
		// 2000 uniform draws land in the lowest and the highest quarter of
		// the range, except with a probability below 1e-200.
		if d >= time.Second && (lowest >= d/2+d/8 || highest < d-d/8) {
			t.Errorf("jitter(%s) drew only from [%s, %s]; want spread over [%s, %s)",
				d, lowest, highest, d/2, d)
		}
	}
}

func TestJitterZero(t *testing.T) {
	t.Parallel()
	if got := jitter(0); got != 0 {
		t.Errorf("jitter(0) = %s, want 0", got)
	}
}

func TestJitteredBackoffSequence(t *testing.T) {
	t.Parallel()
	b := newJitteredBackoff(time.Second, 5*time.Minute)
	item := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "a"}}
	other := reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "b"}}

	d := time.Second
	for n := 0; n < 15; n++ {
		got := b.When(item)
		if got < d/2 || got >= d {
			t.Errorf("failure %d: When = %s, want a value in [%s, %s)", n+1, got, d/2, d)
		}
		if got > 5*time.Minute {
			t.Errorf("failure %d: When = %s exceeds the 5m cap", n+1, got)
		}
		d = min(d*2, 5*time.Minute)
	}
	if got := b.NumRequeues(item); got != 15 {
		t.Errorf("NumRequeues = %d, want 15", got)
	}
	if got := b.NumRequeues(other); got != 0 {
		t.Errorf("NumRequeues of another object = %d, want 0", got)
	}
	if got := b.When(other); got < 500*time.Millisecond || got >= time.Second {
		t.Errorf("first When of another object = %s, want a value in [500ms, 1s)", got)
	}

	b.Forget(item)
	if got := b.NumRequeues(item); got != 0 {
		t.Errorf("NumRequeues after Forget = %d, want 0", got)
	}
	if got := b.When(item); got < 500*time.Millisecond || got >= time.Second {
		t.Errorf("When after Forget = %s, want a value in [500ms, 1s)", got)
	}
}
