package keychaintest

import (
	"sync"

	"github.com/zalando/go-keyring"
)

// MemoryKeyring is a keychain in memory for unit tests, safe for
// concurrent use: Get of a missing item is keyring.ErrNotFound, as
// go-keyring says. Fail makes every call fail (a locked keychain).
type MemoryKeyring struct {
	mu    sync.Mutex
	items map[string]string
	err   error
}

// Fail makes every later call fail with err; nil mends it.
func (k *MemoryKeyring) Fail(err error) { k.mu.Lock(); k.err = err; k.mu.Unlock() }

// Len returns how many items it holds.
func (k *MemoryKeyring) Len() int { k.mu.Lock(); defer k.mu.Unlock(); return len(k.items) }

// Get implements keychain.Keyring.
func (k *MemoryKeyring) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return "", k.err
	}
	v, ok := k.items[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

// Set implements keychain.Keyring.
func (k *MemoryKeyring) Set(service, user, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return k.err
	}
	if k.items == nil {
		k.items = map[string]string{}
	}
	k.items[service+"/"+user] = secret
	return nil
}

// Delete implements keychain.Keyring.
func (k *MemoryKeyring) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.err != nil {
		return k.err
	}
	if _, ok := k.items[service+"/"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.items, service+"/"+user)
	return nil
}
