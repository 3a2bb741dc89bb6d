package keychain

import (
	"sync"

	"github.com/godbus/dbus/v5"
	ss "github.com/zalando/go-keyring/secret_service"
)

// secretReader reads items of the Secret Service in two calls: a search of
// the login collection and GetSecret, in a session opened once. go-keyring's
// Get makes seven (it looks the collection up, unlocks it, searches, opens
// a session, unlocks the item, reads it and closes the session), and
// gnome-keyring answers one call at a time: a check of a thousand
// connections waited seconds on it. Whatever the quick read cannot do (a
// locked item, a missing one, a daemon restarted) is left to go-keyring,
// which unlocks and explains.
type secretReader struct {
	mu         sync.Mutex
	svc        *ss.SecretService
	collection dbus.BusObject
	session    dbus.ObjectPath
}

func newSecretReader() *secretReader { return &secretReader{} }

// get returns the secret of service's item for user, and true; false when
// go-keyring must be asked instead.
func (r *secretReader) get(service, user string) (string, bool) {
	if r == nil {
		return "", false
	}
	svc, collection, session, ok := r.open()
	if !ok {
		return "", false
	}
	items, err := svc.SearchItems(collection, map[string]string{"username": user, "service": service})
	if err != nil {
		r.reset(session) // the daemon may be gone: open anew next time
		return "", false
	}
	if len(items) == 0 {
		return "", false
	}
	secret, err := svc.GetSecret(items[0], session)
	if err != nil {
		r.reset(session) // locked, or the session is gone: go-keyring knows
		return "", false
	}
	return string(secret.Value), true
}

// open returns the Secret Service, its login collection and the session,
// opening them the first time.
func (r *secretReader) open() (*ss.SecretService, dbus.BusObject, dbus.ObjectPath, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.session != "" {
		return r.svc, r.collection, r.session, true
	}
	svc, err := ss.NewSecretService()
	if err != nil {
		return nil, nil, "", false
	}
	session, err := svc.OpenSession()
	if err != nil {
		return nil, nil, "", false
	}
	r.svc, r.collection, r.session = svc, svc.GetLoginCollection(), session.Path()
	return r.svc, r.collection, r.session, true
}

// reset closes session, to open another next time.
func (r *secretReader) reset(session dbus.ObjectPath) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.session == session {
		_ = r.svc.Close(r.svc.Object("org.freedesktop.secrets", session)) // best effort: it may be gone
		r.session = ""
	}
}
