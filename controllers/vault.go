package controllers

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// vault keeps, in process memory only, the last credential value that the
// operator wrote for each object. It lets the operator restore a deleted or
// edited Secret from a value it issued itself, without another EB call.
// After a restart it is empty, and the operator falls back to the trust
// rules described at each use.
type vault struct {
	mu     sync.Mutex
	values map[types.UID]string
}

func newVault() *vault {
	return &vault{values: map[types.UID]string{}}
}

func (v *vault) get(uid types.UID) (string, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	value, ok := v.values[uid]
	return value, ok
}

func (v *vault) put(uid types.UID, value string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.values[uid] = value
}

func (v *vault) forget(uid types.UID) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.values, uid)
}
