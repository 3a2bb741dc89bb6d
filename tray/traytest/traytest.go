// Package traytest starts a private desktop session for the tray's tests,
// in the spirit of net/http/httptest: the session of keychaintest (a
// private dbus-daemon and, unless told otherwise, gnome-keyring on it) and,
// on its bus, what a desktop adds for a tray:
//
//   - a StatusNotifierWatcher (org.kde.StatusNotifierWatcher), with which
//     fyne.io/systray registers its StatusNotifierItem;
//   - a notification server (org.freedesktop.Notifications) that records
//     every notification (Session.Notifications, Session.WaitNotification)
//     and lets a test pick an action (Session.Invoke);
//   - a client of com.canonical.dbusmenu that reads a running tray's icon
//     and menu and clicks its items, as a tray host does (Session.Tray).
//
// A tray runs fyne.io/systray, which runs once per process, so the program
// under test is a child process given Session.Env:
//
//	s := traytest.New(t)
//	cmd := exec.Command(bin)
//	cmd.Env = append(os.Environ(), s.Env()...)
//	// start cmd …
//	tr := s.Tray(t, cmd.Process.Pid)
//	tr.Click(t, "Connect", "Sandbox")
//	n := s.WaitNotification(t, func(n traytest.Notification) bool { return n.Summary == "Connected" })
//	s.Invoke(t, n, "open")
//
// The session's programs are those of keychaintest: New skips the test, or
// fails it under MESHMESH_TEST_STRICT=1, when one is missing.
//
// # What a tray host knows about fyne.io/systray v1.12.2
//
// Its bus name is org.kde.StatusNotifierItem-<pid>-1, its item
// /StatusNotifierItem and its menu /StatusNotifierItem/menu. The first
// GetLayout of a process answers one level only (submenus come back empty),
// so Tray.Menu asks again for an empty submenu. systray drops a click that
// arrives while the program is still busy with the previous one: a test
// waits for the effect of a click (Tray.WaitMenu, Session.WaitNotification)
// before the next. A disabled item still fires when clicked anyway, which
// Tray.ClickDisabled does and Tray.Click refuses.
package traytest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/meshmesh/meshmesh/keychain/keychaintest"
)

const (
	// callTimeout bounds each D-Bus call of the session.
	callTimeout = 5 * time.Second
	// waitTimeout bounds each wait of a test: for a tray, a menu, a
	// notification.
	waitTimeout = 20 * time.Second
	// settleTimeout bounds the wait for a menu being rebuilt to show an
	// item a click wants.
	settleTimeout = 3 * time.Second
	// pollInterval is how often a wait looks again.
	pollInterval = 50 * time.Millisecond
)

// config is what the options of Start set.
type config struct {
	notifications bool // a notification server runs
	actions       bool // it lists the "actions" capability
	keychain      []keychaintest.Option
}

// An Option changes the session Start starts.
type Option func(*config)

// WithoutActions starts a notification server that does not list the
// "actions" capability, as on desktops that show no buttons.
func WithoutActions() Option {
	return func(c *config) { c.actions = false }
}

// WithoutNotifications starts no notification server: nothing owns
// org.freedesktop.Notifications, and a call to it fails at once, as on a
// desktop with no notification daemon.
func WithoutNotifications() Option {
	return func(c *config) { c.notifications = false }
}

// Keychain passes opts to keychaintest, which starts the bus and the
// Secret Service: by default gnome-keyring with an unlocked login keyring;
// Keychain(keychaintest.WithoutSecretService()) for a bus alone.
func Keychain(opts ...keychaintest.Option) Option {
	return func(c *config) { c.keychain = append(c.keychain, opts...) }
}

func newConfig(opts []Option) config {
	c := config{notifications: true, actions: true}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Missing reports the programs a session started with opts needs but
// cannot find, as keychaintest.Missing does, or nil.
func Missing(opts ...Option) error {
	return keychaintest.Missing(newConfig(opts).keychain...)
}

// Require skips t when a program the session needs is missing, or fails it
// under MESHMESH_TEST_STRICT=1, as keychaintest.Require does.
func Require(t testing.TB, opts ...Option) {
	t.Helper()
	keychaintest.Require(t, newConfig(opts).keychain...)
}

// A Session is a private desktop session: the keychaintest session, whose
// methods it has (Address, Env, Dial…), and on its bus a
// StatusNotifierWatcher, a recording notification server and a client
// that reads trays.
type Session struct {
	*keychaintest.Session

	server  *dbus.Conn // owns the watcher's and the notification server's names
	client  *dbus.Conn // reads and clicks trays
	watcher *watcher
	notes   *recorder // nil under WithoutNotifications

	closeOnce sync.Once
	closeErr  error
}

// Start starts a session: keychaintest's, then the watcher and the
// notification server, each owning its name when Start returns. The caller
// must Close the session.
func Start(opts ...Option) (*Session, error) {
	c := newConfig(opts)
	kc, err := keychaintest.Start(c.keychain...)
	if err != nil {
		return nil, err
	}
	s := &Session{Session: kc}
	if err := s.start(c); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// New starts a session for t with Start and closes it when t ends. It
// skips t (or fails it under MESHMESH_TEST_STRICT=1) when a program is
// missing, and fails t when the session does not start.
func New(t testing.TB, opts ...Option) *Session {
	t.Helper()
	Require(t, opts...)
	s, err := Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func (s *Session) start(c config) error {
	var err error
	if s.client, err = s.Dial(); err != nil {
		return err
	}
	if s.server, err = s.Dial(); err != nil {
		return err
	}
	if s.watcher, err = startWatcher(s.server); err != nil {
		return err
	}
	if c.notifications {
		if s.notes, err = startRecorder(s.server, c.actions); err != nil {
			return err
		}
	}
	return nil
}

// Close stops the watcher and the notification server, then the
// keychaintest session. Close may be called more than once.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		for _, conn := range []*dbus.Conn{s.client, s.server} {
			if conn != nil {
				conn.Close()
			}
		}
		s.closeErr = s.Session.Close()
	})
	return s.closeErr
}

// requestName has conn own name, alone.
func requestName(conn *dbus.Conn, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var reply dbus.RequestNameReply
	err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.RequestName", 0,
		name, uint32(dbus.NameFlagDoNotQueue)).Store(&reply)
	if err != nil {
		return fmt.Errorf("traytest: request %s: %w", name, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("traytest: %s not owned (reply %v)", name, reply)
	}
	return nil
}
