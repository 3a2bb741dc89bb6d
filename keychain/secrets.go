package keychain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/meshmesh/meshmesh/oauth"
	"github.com/zalando/go-keyring"
)

// DefaultService is the keychain service every MeshMesh item is filed
// under (MESHMESH_KEYCHAIN_SERVICE overrides it, for tests and the demo).
const DefaultService = "meshmesh"

// KeyringTimeout bounds every keychain call: a keyring waiting on an
// unlock prompt would otherwise hang the caller for ever.
const KeyringTimeout = 3 * time.Second

// MaxItemSize is the largest secret item MeshMesh writes: Windows'
// Credential Manager limit, the smallest of the three keychains.
const MaxItemSize = 2560

// Keyring is the part of an OS keychain the store uses. Get returns
// [keyring.ErrNotFound] for a missing item. [OSKeyring] is the real one.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, secret string) error
	Delete(service, user string) error
}

// OSKeyring is the operating system's keychain (Secret Service on Linux,
// Keychain on macOS, Credential Manager on Windows) through go-keyring.
// Its zero value asks go-keyring for every call; [NewOSKeyring]'s reads
// are quicker on Linux (see secretReader).
type OSKeyring struct {
	reader *secretReader
}

// NewOSKeyring returns the operating system's keychain, with the quicker
// reads of a store that reads many items (a check of every connection).
func NewOSKeyring() OSKeyring { return OSKeyring{reader: newSecretReader()} }

// Get implements Keyring.
func (k OSKeyring) Get(service, user string) (string, error) {
	if secret, ok := k.reader.get(service, user); ok {
		return secret, nil
	}
	return keyring.Get(service, user)
}

// Set implements Keyring.
func (OSKeyring) Set(service, user, secret string) error { return keyring.Set(service, user, secret) }

// Delete implements Keyring.
func (OSKeyring) Delete(service, user string) error { return keyring.Delete(service, user) }

// Diagnosis codes of the keychain and the index.
const (
	KeychainUnavailable oauth.Code = "keychain_unavailable" // no Secret Service, no session bus
	KeychainLocked      oauth.Code = "keychain_locked"      // the keyring is locked
	KeychainTimeout     oauth.Code = "keychain_timeout"     // no answer within KeyringTimeout
	KeychainFailed      oauth.Code = "keychain_failed"      // any other keychain error
	ItemTooLarge        oauth.Code = "keychain_item_too_large"
	ItemMissing         oauth.Code = "keychain_item_missing" // the index names a connection the keychain lacks
	IndexCorrupt        oauth.Code = "index_corrupt"
	IndexFailed         oauth.Code = "index_failed" // the index cannot be read or written
	OrgNotFound         oauth.Code = "org_not_found"
	OrgAmbiguous        oauth.Code = "org_ambiguous"
	AliasInvalid        oauth.Code = "alias_invalid"
	AliasTaken          oauth.Code = "alias_taken"
	WrongUser           oauth.Code = "wrong_user" // a reconnect signed in as someone else
	CategoryInvalid     oauth.Code = "category_invalid"
	GroupInvalid        oauth.Code = "group_invalid"
	LinkInvalid         oauth.Code = "link_invalid"
)

// secrets is the store's view of the keychain: items of one service,
// each call bounded by a timeout and its failures diagnosed.
type secrets struct {
	keyring Keyring
	service string
	timeout time.Duration

	// slot holds up to KeyringParallel keychain calls at a time, each
	// from its start until the keychain answers, even after the caller
	// stopped waiting.
	slot chan struct{}
	// stuck counts the calls whose callers gave up on them: while one
	// hangs, the keychain is not asked again and again (each call would
	// leave a goroutine and a D-Bus call behind), and the next caller
	// waits for it within its own timeout.
	stuck *stuckCalls
}

// stuckCalls counts the keychain calls that outlived their timeout.
type stuckCalls struct {
	mu   sync.Mutex
	n    int
	wake chan struct{} // closed when n drops to 0
}

// KeyringParallel is how many keychain calls a store makes at once: a
// health check of many connections reads their items side by side.
const KeyringParallel = 4

// newSecrets returns the view of service's items in kr.
func newSecrets(kr Keyring, service string, timeout time.Duration) secrets {
	return secrets{keyring: kr, service: service, timeout: timeout, slot: make(chan struct{}, KeyringParallel), stuck: &stuckCalls{wake: make(chan struct{})}}
}

// item is what the keychain holds for one connection, as compact JSON.
type item struct {
	RefreshToken string `json:"refresh_token"`
	AccessToken  string `json:"access_token,omitempty"`
	IssuedAt     int64  `json:"issued_at,omitempty"` // Unix milliseconds
	ClientSecret string `json:"client_secret,omitempty"`
}

func (it *item) issuedAt() time.Time {
	if it.IssuedAt == 0 {
		return time.Time{}
	}
	return time.UnixMilli(it.IssuedAt)
}

// errNotFound says the keychain has no item for a connection.
var errNotFound = keyring.ErrNotFound

// errUnreadable says the keychain's item for a connection is not one of
// ours: as good as none.
var errUnreadable = errors.New("keychain item is not valid JSON with a refresh token")

func (s *secrets) get(ctx context.Context, user string) (*item, error) {
	var raw string
	err := s.call(ctx, "read", s.timeout, func() (err error) { raw, err = s.keyring.Get(s.service, user); return err })
	if err != nil {
		return nil, err
	}
	var it item
	if err := json.Unmarshal([]byte(raw), &it); err != nil || it.RefreshToken == "" {
		// Never quote raw: it is a secret.
		return nil, &oauth.Diagnosis{
			Code:   KeychainFailed,
			Title:  "Unreadable keychain item",
			Advice: fmt.Sprintf("The keychain item %q of service %q is not a MeshMesh item. Run meshmesh reconnect to replace it.", user, s.service),
			Err:    errUnreadable,
		}
	}
	return &it, nil
}

func (s *secrets) set(ctx context.Context, user string, it *item) error {
	return s.setWithin(ctx, user, it, s.timeout)
}

// setWithin is set with its own timeout (0 means the secrets' timeout).
func (s *secrets) setWithin(ctx context.Context, user string, it *item, timeout time.Duration) error {
	b, err := json.Marshal(it)
	if err != nil {
		return err
	}
	if len(b) > MaxItemSize {
		return &oauth.Diagnosis{
			Code:   ItemTooLarge,
			Title:  "Keychain item too large",
			Advice: fmt.Sprintf("The tokens of this connection take %d bytes, more than the %d a keychain item may hold on every system MeshMesh supports. This should not happen with Salesforce tokens: please report it.", len(b), MaxItemSize),
		}
	}
	return s.call(ctx, "write", timeout, func() error { return s.keyring.Set(s.service, user, string(b)) })
}

func (s *secrets) delete(ctx context.Context, user string) error {
	return s.call(ctx, "delete", s.timeout, func() error { return s.keyring.Delete(s.service, user) })
}

// call runs one keychain call, giving up after timeout (0 means the
// secrets' timeout). A call that times out keeps running in its goroutine
// (go-keyring cannot be cancelled) but the caller gets its answer at once;
// until the keychain answers it, the next call waits for the slot.
func (s *secrets) call(ctx context.Context, what string, timeout time.Duration, f func() error) error {
	if timeout <= 0 {
		timeout = s.timeout
	}
	if timeout <= 0 {
		timeout = KeyringTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	notAsked := func() error {
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return ctx.Err()
		}
		// Never asked: an earlier call still waits for the keychain.
		return timeoutDiagnosis(what, timeout, errNotAsked)
	}
	for {
		s.stuck.mu.Lock()
		n, wake := s.stuck.n, s.stuck.wake
		s.stuck.mu.Unlock()
		if n == 0 {
			break
		}
		select {
		case <-wake:
		case <-ctx.Done():
			return notAsked()
		}
	}
	select {
	case s.slot <- struct{}{}:
	case <-ctx.Done():
		return notAsked()
	}
	done := make(chan error, 1)
	var finished, abandoned bool // under s.stuck.mu
	go func() {
		defer func() { <-s.slot }()
		err := f()
		s.stuck.mu.Lock()
		finished = true
		if abandoned {
			if s.stuck.n--; s.stuck.n == 0 {
				close(s.stuck.wake)
				s.stuck.wake = make(chan struct{})
			}
		}
		s.stuck.mu.Unlock()
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, errNotFound) {
			return err
		}
		return keyringDiagnosis(what, err)
	case <-ctx.Done():
		s.stuck.mu.Lock()
		answered := finished
		if !finished {
			abandoned = true
			s.stuck.n++
		}
		s.stuck.mu.Unlock()
		if answered {
			// It answered as time ran out: its answer stands (a write
			// that was made must not be taken for one that was not).
			err := <-done
			if err == nil || errors.Is(err, errNotFound) {
				return err
			}
			return keyringDiagnosis(what, err)
		}
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return ctx.Err() // cancelled: the caller knows why
		}
		return timeoutDiagnosis(what, timeout, ctx.Err())
	}
}

// errNotAsked says a keychain call was not made: an earlier one had not
// returned within the caller's time.
var errNotAsked = errors.New("an earlier keychain call has not returned")

func timeoutDiagnosis(what string, timeout time.Duration, err error) *oauth.Diagnosis {
	return &oauth.Diagnosis{
		Code:   KeychainTimeout,
		Title:  "The keychain did not answer",
		Advice: fmt.Sprintf("The keychain did not answer within %s. It may be waiting for you to unlock it: look for a password prompt, unlock your keyring, and try again.", timeout),
		Err:    fmt.Errorf("keychain %s: %w", what, err),
	}
}

// isTimeout reports whether err is a keychain call that was made and
// timed out: it may still complete.
func isTimeout(err error) bool {
	var d *oauth.Diagnosis
	return errors.As(err, &d) && d.Code == KeychainTimeout && !errors.Is(err, errNotAsked)
}

// keyringDiagnosis explains a keychain error by the words its platform
// uses.
func keyringDiagnosis(what string, err error) *oauth.Diagnosis {
	msg := err.Error()
	d := &oauth.Diagnosis{Err: fmt.Errorf("keychain %s: %w", what, err)}
	switch {
	case errors.Is(err, keyring.ErrSetDataTooBig):
		d.Code, d.Title = ItemTooLarge, "Keychain item too large"
		d.Advice = "The keychain refused the item as too large. This should not happen with Salesforce tokens: please report it."
	case strings.Contains(msg, "org.freedesktop.secrets was not provided"),
		strings.Contains(msg, "org.freedesktop.secrets") && strings.Contains(msg, "ServiceUnknown"):
		d.Code, d.Title = KeychainUnavailable, "No keychain (Secret Service) is running"
		d.Advice = "MeshMesh keeps tokens only in the keychain, and no Secret Service answers on your session bus. Start your desktop's keyring (gnome-keyring-daemon, KeePassXC with Secret Service integration, or KWallet's Secret Service) and try again."
	case strings.Contains(msg, "failed to unlock"), strings.Contains(msg, "is locked"), strings.Contains(msg, "dismissed"):
		d.Code, d.Title = KeychainLocked, "Your keyring is locked"
		d.Advice = "Unlock your login keyring (for example in Passwords and Keys, or by logging in to the desktop again) and try again."
	case strings.Contains(msg, "dbus-launch"), strings.Contains(msg, "dial unix"), strings.Contains(msg, "DBUS_SESSION_BUS_ADDRESS"),
		strings.Contains(msg, "connection refused"):
		d.Code, d.Title = KeychainUnavailable, "No D-Bus session bus"
		d.Advice = "The keychain is reached over the desktop's D-Bus session bus, and there is none (DBUS_SESSION_BUS_ADDRESS is unset or stale). Run MeshMesh inside your desktop session, or start one (for example with dbus-run-session) with a keyring unlocked."
	case runtime.GOOS == "darwin" && strings.Contains(msg, "exit status"):
		// go-keyring's macOS backend runs /usr/bin/security and keeps
		// only its exit status; a locked login keychain (over SSH, say)
		// is the usual cause.
		d.Code, d.Title = KeychainLocked, "The macOS keychain refused"
		d.Advice = "The login keychain did not give MeshMesh its item; it is probably locked (for example in an SSH session). Unlock it with security unlock-keychain, or run MeshMesh in your desktop session, and try again."
	case strings.Contains(msg, "logon session does not exist"):
		d.Code, d.Title = KeychainUnavailable, "No Windows Credential Manager in this session"
		d.Advice = "This Windows session has no credential store (a service, a scheduled task or an SSH session without a logon session). Run MeshMesh in your desktop session."
	default:
		d.Code, d.Title = KeychainFailed, "The keychain failed"
		d.Advice = fmt.Sprintf("The %s keychain could not %s the connection's item: %v. Check that your keychain works, then try again.", platformKeychain(), what, err)
	}
	return d
}

func platformKeychain() string {
	switch runtime.GOOS {
	case "darwin":
		return "macOS"
	case "windows":
		return "Windows Credential Manager"
	}
	return "Secret Service"
}
