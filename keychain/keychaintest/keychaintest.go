// Package keychaintest starts a private desktop session for tests, in the
// spirit of net/http/httptest: a D-Bus session bus of its own (a real
// dbus-daemon that activates no service) and, on that bus, a real
// gnome-keyring-daemon serving the Secret Service (org.freedesktop.secrets).
// Code that keeps secrets in the keychain (go-keyring, the keychain store,
// the command line) is then tested against the real thing, in each of the
// states a user can meet:
//
//	keychaintest.New(t)                                      // an unlocked login keyring
//	keychaintest.New(t, keychaintest.Locked())               // a keyring nobody unlocked
//	keychaintest.New(t, keychaintest.WithoutSecretService()) // no keyring running
//	keychaintest.New(t, keychaintest.Hanging())              // a keyring that never answers
//
// Session.Lock locks the login keyring with its items in it. Session.Lookup
// and Session.Items read the keyring from outside the program under test.
//
// The bus does not depend on the keyring: Session.Address, Session.Env,
// Session.Dial and Session.WaitForName serve any test that needs a session
// bus, with WithoutSecretService for a bus alone.
//
// # Programs
//
// A session runs dbus-daemon (Debian package dbus), gnome-keyring-daemon
// (gnome-keyring) and, for Lookup, secret-tool (libsecret-tools). Missing
// says which are not installed; New and Require then skip the test, or fail
// it when MESHMESH_TEST_STRICT=1 (as .ci/run sets).
//
// # The session bus of this process
//
// godbus, and so go-keyring, connects to the session bus once per process:
// dbus.SessionBus reads DBUS_SESSION_BUS_ADDRESS on its first call and keeps
// the connection for the life of the process. So a session per test (New)
// serves programs run as child processes, given Session.Env. A test binary
// that uses the keychain in its own process needs one session for all its
// tests, started in TestMain, whose Session.Setenv must run before anything
// calls dbus.SessionBus:
//
//	var session *keychaintest.Session // nil when a program is missing
//
//	func TestMain(m *testing.M) {
//		if keychaintest.Missing() != nil {
//			os.Exit(m.Run()) // the tests call keychaintest.Require(t), which skips
//		}
//		s, err := keychaintest.Start()
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		restore := s.Setenv()
//		session = s
//		code := m.Run()
//		restore()
//		if err := s.Close(); err != nil {
//			fmt.Fprintln(os.Stderr, err)
//		}
//		os.Exit(code)
//	}
//
// Its tests share the keyring, so each should use service names of its own.
package keychaintest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// StrictEnv is the environment variable that turns a skip for a missing
// program into a failure when it is "1". .ci/run sets it: CI must run every
// test.
const StrictEnv = "MESHMESH_TEST_STRICT"

// SecretsName is the bus name of the Secret Service.
const SecretsName = "org.freedesktop.secrets"

const (
	// startTimeout bounds the wait for a component to be ready.
	startTimeout = 10 * time.Second
	// stopTimeout bounds the wait for a component to exit after a signal.
	stopTimeout = 5 * time.Second
	// toolTimeout bounds a run of secret-tool and a query of Items.
	toolTimeout = 10 * time.Second
	// password unlocks the login keyring of an unlocked session.
	password = "keychaintest"
)

// secrets is what serves org.freedesktop.secrets in a session.
type secrets int

const (
	unlockedKeyring secrets = iota // gnome-keyring, login keyring unlocked
	lockedKeyring                  // gnome-keyring, never unlocked
	noSecrets                      // nothing
	hangingSecrets                 // a Secret Service that never answers
)

// config is what the options of Start set.
type config struct {
	secrets secrets
}

// An Option changes the session Start starts. The options that choose the
// Secret Service (WithoutSecretService, Locked, Hanging) exclude each other:
// the last one given wins.
type Option func(*config)

// WithoutSecretService starts the bus only: nothing provides
// org.freedesktop.secrets, as on a desktop with no keyring running. A client
// is told at once that the name "was not provided by any .service files".
func WithoutSecretService() Option {
	return func(c *config) { c.secrets = noSecrets }
}

// Locked starts gnome-keyring-daemon without unlocking it, as after a login
// that did not unlock the keyring: there is no login keyring yet, and no
// prompter can run on the private bus, so a request to unlock (or create)
// one is dismissed. go-keyring fails with "failed to unlock correct
// collection '/org/freedesktop/secrets/aliases/default'". For a login
// keyring that holds items and is locked, see Session.Lock.
func Locked() Option {
	return func(c *config) { c.secrets = lockedKeyring }
}

// Hanging replaces gnome-keyring by a Secret Service that never answers, as
// a keyring waiting forever on an unlock prompt nobody sees: it owns
// org.freedesktop.secrets and accepts every method call, on every object
// path and interface (org.freedesktop.Secret.Service.OpenSession,
// SearchItems, Unlock, GetSecrets, org.freedesktop.DBus.Properties.Get,
// GetAll, Introspect…), but answers none until the session closes, and then
// with an error; only org.freedesktop.DBus.Peer (Ping) answers. It serves
// to test a caller's timeouts; note that go-keyring has none.
func Hanging() Option {
	return func(c *config) { c.secrets = hangingSecrets }
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		o(&c)
	}
	return c
}

// programs returns the programs a session of c runs, each with the Debian
// package that provides it.
func (c config) programs() [][2]string {
	p := [][2]string{{"dbus-daemon", "dbus"}}
	if c.secrets == unlockedKeyring || c.secrets == lockedKeyring {
		p = append(p, [2]string{"gnome-keyring-daemon", "gnome-keyring"}, [2]string{"secret-tool", "libsecret-tools"})
	}
	return p
}

// Missing reports the programs a session started with opts needs but cannot
// find on PATH, naming the Debian package that provides each, or nil when
// all are there. A session runs on Linux only.
func Missing(opts ...Option) error {
	if !supported {
		return errors.New("keychaintest: a private desktop session needs Linux (dbus-daemon, gnome-keyring)")
	}
	var missing, pkgs []string
	for _, p := range newConfig(opts).programs() {
		if _, err := exec.LookPath(p[0]); err != nil {
			missing = append(missing, p[0])
			pkgs = append(pkgs, p[1])
		}
	}
	if missing == nil {
		return nil
	}
	return fmt.Errorf("keychaintest: %s not found on PATH (install Debian packages: %s)",
		strings.Join(missing, ", "), strings.Join(pkgs, " "))
}

// Require skips t when Missing(opts...) reports a missing program, or fails
// it when the environment variable MESHMESH_TEST_STRICT is "1".
func Require(t testing.TB, opts ...Option) {
	t.Helper()
	err := Missing(opts...)
	if err == nil {
		return
	}
	if os.Getenv(StrictEnv) == "1" {
		t.Fatalf("%v (%s=1: the machine must provide it)", err, StrictEnv)
		return
	}
	t.Skipf("skipped: %v", err)
}

// A Session is a private desktop session: a D-Bus session bus and, unless an
// option says otherwise, gnome-keyring on it. Its files live in a temporary
// directory that Close removes.
type Session struct {
	dir     string // the temporary directory
	runtime string // XDG_RUNTIME_DIR, which holds the bus socket
	data    string // XDG_DATA_HOME, which holds the keyrings
	home    string // HOME of the components
	addr    string // the bus address

	bus     *process   // dbus-daemon
	conn    *dbus.Conn // the session's own connection to the bus
	keyring *process   // gnome-keyring-daemon, or nil
	hang    *hanging   // the hanging Secret Service, or nil

	closeOnce sync.Once
	closeErr  error
}

// Start starts a private session: a bus and, unless an option says
// otherwise, gnome-keyring with an unlocked login keyring. It returns when
// every component is ready (it owns its bus name; the login keyring is
// unlocked), within 10 seconds, or else an error that quotes the component's
// log. The caller must Close the session.
func Start(opts ...Option) (*Session, error) {
	if err := Missing(opts...); err != nil {
		return nil, err
	}
	c := newConfig(opts)
	dir, err := os.MkdirTemp(tempBase(), "kt")
	if err != nil {
		return nil, fmt.Errorf("keychaintest: %w", err)
	}
	s := &Session{
		dir:     dir,
		runtime: filepath.Join(dir, "run"),
		data:    filepath.Join(dir, "data"),
		home:    filepath.Join(dir, "home"),
	}
	if err := s.start(c); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// New starts a session for t with Start and closes it when t ends. It skips
// t (or fails it under MESHMESH_TEST_STRICT=1) when a program the session
// needs is missing, as Require does, and fails t when the session does not
// start.
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
	for _, d := range []string{s.runtime, s.data, s.home} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fmt.Errorf("keychaintest: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := s.startBus(ctx); err != nil {
		return err
	}
	switch c.secrets {
	case unlockedKeyring:
		return s.startKeyring(ctx, true)
	case lockedKeyring:
		return s.startKeyring(ctx, false)
	case hangingSecrets:
		return s.startHanging()
	}
	return nil
}

// Address returns the address of the session bus, the value for
// DBUS_SESSION_BUS_ADDRESS.
func (s *Session) Address() string { return s.addr }

// Env returns the environment that points a program at the session:
// DBUS_SESSION_BUS_ADDRESS, XDG_RUNTIME_DIR (which holds the bus socket as
// "bus") and XDG_DATA_HOME (which holds the keyrings), as "KEY=value". For a
// child process, append it to os.Environ(): os/exec keeps the last value of
// a key.
func (s *Session) Env() []string {
	return []string{
		"DBUS_SESSION_BUS_ADDRESS=" + s.addr,
		"XDG_RUNTIME_DIR=" + s.runtime,
		"XDG_DATA_HOME=" + s.data,
	}
}

// Setenv sets the variables of Env in this process, for TestMain, and
// returns a function that restores their previous values. It must run before
// anything in the process calls dbus.SessionBus, which reads
// DBUS_SESSION_BUS_ADDRESS once and caches the connection. Within a test,
// use t.Setenv with the values of Env instead.
func (s *Session) Setenv() (restore func()) {
	type saved struct {
		key, value string
		set        bool
	}
	var old []saved
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		prev, set := os.LookupEnv(k)
		old = append(old, saved{k, prev, set})
		os.Setenv(k, v)
	}
	return func() {
		for _, o := range old {
			if o.set {
				os.Setenv(o.key, o.value)
			} else {
				os.Unsetenv(o.key)
			}
		}
	}
}

// Dial opens a new connection to the session bus, authenticated and
// registered (Hello). The caller closes it.
func (s *Session) Dial(opts ...dbus.ConnOption) (*dbus.Conn, error) {
	conn, err := dbus.Connect(s.addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("keychaintest: connect to %s: %w", s.addr, err)
	}
	return conn, nil
}

// WaitForName waits until some connection owns name on the session bus, or
// ctx is done.
func (s *Session) WaitForName(ctx context.Context, name string) error {
	return s.waitForName(ctx, name, nil)
}

// waitForName polls NameHasOwner until name has an owner, ctx is done or p
// (if not nil) exits.
func (s *Session) waitForName(ctx context.Context, name string, p *process) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		var owned bool
		err := s.conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, name).Store(&owned)
		switch {
		case err == nil && owned:
			return nil
		case err != nil && ctx.Err() == nil:
			return fmt.Errorf("keychaintest: NameHasOwner %s: %w", name, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("keychaintest: nobody owns %s on the session bus: %w", name, ctx.Err())
		case <-p.exited():
			p.reported = true
			return fmt.Errorf("keychaintest: %s exited before owning %s: %v", p.name, name, p.err)
		case <-tick.C:
		}
	}
}

// Close stops what the session started, each component by its process
// group, waits for the processes to exit and removes the session's
// directory. It reports a component that had exited before Close or did not
// stop. Close may be called more than once.
func (s *Session) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.hang != nil {
			errs = append(errs, s.hang.close())
		}
		if s.keyring != nil {
			errs = append(errs, s.keyring.stop())
		}
		if s.conn != nil {
			s.conn.Close() // the bus going away would close it anyway
		}
		if s.bus != nil {
			errs = append(errs, s.bus.stop())
		}
		if err := os.RemoveAll(s.dir); err != nil {
			errs = append(errs, fmt.Errorf("keychaintest: %w", err))
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
