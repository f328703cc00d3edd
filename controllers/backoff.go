package controllers

import (
	"math/rand/v2"
	"sync"
	"time"

	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// jitteredBackoff is a per-object exponential backoff with full jitter in
// the upper half: the n-th failure waits a random time in
// [d/2, d), where d = base * 2^n capped at max. Jitter spreads retries of
// many objects that failed together, e.g. when a registration server was
// down.
type jitteredBackoff struct {
	base, max time.Duration

	mu       sync.Mutex
	failures map[reconcile.Request]int
}

var _ workqueue.TypedRateLimiter[reconcile.Request] = (*jitteredBackoff)(nil)

func newJitteredBackoff(base, max time.Duration) *jitteredBackoff {
	return &jitteredBackoff{base: base, max: max, failures: map[reconcile.Request]int{}}
}

func (b *jitteredBackoff) When(item reconcile.Request) time.Duration {
	b.mu.Lock()
	n := b.failures[item]
	b.failures[item] = n + 1
	b.mu.Unlock()
	return jitter(backoffDelay(b.base, b.max, n))
}

func (b *jitteredBackoff) Forget(item reconcile.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.failures, item)
}

func (b *jitteredBackoff) NumRequeues(item reconcile.Request) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.failures[item]
}

// backoffDelay returns base * 2^n, capped at max.
func backoffDelay(base, max time.Duration, n int) time.Duration {
	d := base
	for i := 0; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// jitter returns a random duration in [d/2, d).
func jitter(d time.Duration) time.Duration {
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half)
}
