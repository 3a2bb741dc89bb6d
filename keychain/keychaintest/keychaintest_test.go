package keychaintest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/meshmesh/meshmesh/keychain/keychaintest"
	"github.com/zalando/go-keyring"
)

// The tests run go-keyring in a child process, this test binary run again
// with childOp set: go-keyring connects to the session bus once per process
// (dbus.SessionBus), and each test has a session of its own.
const (
	childOp      = "KEYCHAINTEST_CHILD_OP" // "set" or "get"
	childService = "KEYCHAINTEST_CHILD_SERVICE"
	childUser    = "KEYCHAINTEST_CHILD_USER"
	childSecret  = "KEYCHAINTEST_CHILD_SECRET"
)

func TestMain(m *testing.M) {
	if op := os.Getenv(childOp); op != "" {
		os.Exit(child(op))
	}
	os.Exit(m.Run())
}

// child runs one go-keyring operation on the session bus of its environment:
// the secret (for get) on standard output, an error on standard error.
func child(op string) int {
	service, user := os.Getenv(childService), os.Getenv(childUser)
	var err error
	switch op {
	case "set":
		err = keyring.Set(service, user, os.Getenv(childSecret))
	case "get":
		var secret string
		if secret, err = keyring.Get(service, user); err == nil {
			fmt.Print(secret)
		}
	default:
		err = fmt.Errorf("unknown operation %q", op)
	}
	if err != nil {
		fmt.Fprint(os.Stderr, err)
		return 1
	}
	return 0
}

// goKeyring runs go-keyring's op (set or get) in a child process on s and
// returns its output, or its error text as an error. The child is killed
// after timeout.
func goKeyring(t *testing.T, s *keychaintest.Session, timeout time.Duration, op, service, user, secret string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), s.Env()...)
	cmd.Env = append(cmd.Env, childOp+"="+op, childService+"="+service, childUser+"="+user, childSecret+"="+secret,
		// Under -race, a binary sleeps 1s when it exits, by default.
		"GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	cmd.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	switch {
	case ctx.Err() != nil:
		return "", fmt.Errorf("go-keyring %s: no answer within %v: %w", op, timeout, ctx.Err())
	case err != nil && stderr.Len() > 0:
		return "", errors.New(stderr.String())
	case err != nil:
		return "", fmt.Errorf("go-keyring %s: %w", op, err)
	}
	return stdout.String(), nil
}

func TestUnlocked(t *testing.T) {
	t.Parallel()
	s := keychaintest.New(t)
	const service = "meshmesh-test"
	secrets := map[string]string{
		"alice@example.com": "00Dxx0000001gPL!AQ4AQ token with spaces",
		"bob@example.com":   "second",
	}
	for user, secret := range secrets {
		if _, err := goKeyring(t, s, 10*time.Second, "set", service, user, secret); err != nil {
			t.Fatalf("go-keyring set %s: %v", user, err)
		}
	}

	for user, want := range secrets {
		got, found, err := s.Lookup(service, user)
		if err != nil || !found || got != want {
			t.Errorf("Lookup(%q, %q) = %q, %v, %v; want %q, true, nil", service, user, got, found, err, want)
		}
	}
	if got, found, err := s.Lookup(service, "nobody@example.com"); err != nil || found {
		t.Errorf("Lookup of a missing item = %q, %v, %v; want not found", got, found, err)
	}

	items, err := s.Items(service)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(items) != fmt.Sprint(secrets) {
		t.Errorf("Items(%q) = %v, want %v", service, items, secrets)
	}
	if items, err := s.Items("other-service"); err != nil || len(items) != 0 {
		t.Errorf("Items of another service = %v, %v; want none", items, err)
	}

	got, err := goKeyring(t, s, 10*time.Second, "get", service, "bob@example.com", "")
	if err != nil || got != "second" {
		t.Errorf("go-keyring get = %q, %v; want %q", got, err, "second")
	}
}

func TestWithoutSecretService(t *testing.T) {
	t.Parallel()
	s := keychaintest.New(t, keychaintest.WithoutSecretService())
	_, err := goKeyring(t, s, 10*time.Second, "set", "meshmesh-test", "alice", "secret")
	const want = "org.freedesktop.secrets was not provided"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("go-keyring set without a Secret Service: error %v, want one containing %q", err, want)
	}
}

func TestLocked(t *testing.T) {
	t.Parallel()
	s := keychaintest.New(t, keychaintest.Locked())
	_, err := goKeyring(t, s, 10*time.Second, "set", "meshmesh-test", "alice", "secret")
	const want = "failed to unlock"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("go-keyring set on a locked keyring: error %v, want one containing %q", err, want)
	}
	_, err = goKeyring(t, s, 10*time.Second, "get", "meshmesh-test", "alice", "")
	t.Logf("go-keyring get on a locked keyring: %v", err)
	if err == nil {
		t.Errorf("go-keyring get on a locked keyring succeeded")
	}
}

func TestLock(t *testing.T) {
	t.Parallel()
	s := keychaintest.New(t)
	const service, user = "meshmesh-test", "alice"
	if _, err := goKeyring(t, s, 10*time.Second, "set", service, user, "secret"); err != nil {
		t.Fatal(err)
	}
	if err := s.Lock(); err != nil {
		t.Fatal(err)
	}
	const want = "failed to unlock correct collection '/org/freedesktop/secrets/collection/login'"
	for _, op := range []string{"get", "set"} {
		if _, err := goKeyring(t, s, 10*time.Second, op, service, user, "new"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("go-keyring %s on a locked login keyring: error %v, want one containing %q", op, err, want)
		}
	}
	if got, found, err := s.Lookup(service, user); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("Lookup of a locked item = %q, %v, %v; want an error saying it is locked", got, found, err)
	}
	if items, err := s.Items(service); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Errorf("Items with a locked item = %v, %v; want an error saying it is locked", items, err)
	}
}

func TestHanging(t *testing.T) {
	t.Parallel()
	s := keychaintest.New(t, keychaintest.Hanging())
	conn, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	obj := conn.Object(keychaintest.SecretsName, "/org/freedesktop/secrets")

	if err := obj.Call("org.freedesktop.DBus.Peer.Ping", 0).Err; err != nil {
		t.Errorf("Ping: %v", err)
	}

	calls := []struct {
		method string
		args   []any
	}{
		{"org.freedesktop.Secret.Service.OpenSession", []any{"plain", dbus.MakeVariant("")}},
		{"org.freedesktop.Secret.Service.SearchItems", []any{map[string]string{"service": "meshmesh-test"}}},
		{"org.freedesktop.Secret.Service.Unlock", []any{[]dbus.ObjectPath{"/org/freedesktop/secrets/aliases/default"}}},
		{"org.freedesktop.Secret.Service.GetSecrets", []any{[]dbus.ObjectPath{"/org/freedesktop/secrets/collection/login/1"}, dbus.ObjectPath("/")}},
		{"org.freedesktop.DBus.Properties.Get", []any{"org.freedesktop.Secret.Service", "Collections"}},
		{"org.freedesktop.DBus.Properties.GetAll", []any{"org.freedesktop.Secret.Service"}},
	}
	const timeout = 300 * time.Millisecond
	t.Run("timeouts", func(t *testing.T) {
		for _, c := range calls {
			t.Run(c.method, func(t *testing.T) {
				t.Parallel()
				start := time.Now() // before the deadline is set
				ctx, cancel := context.WithTimeout(context.Background(), timeout)
				defer cancel()
				err := obj.CallWithContext(ctx, c.method, 0, c.args...).Err
				if elapsed := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || elapsed < timeout {
					t.Errorf("%s = %v after %v, want %v after %v", c.method, err, elapsed, context.DeadlineExceeded, timeout)
				}
			})
		}
	})

	// A call without a timeout hangs until the session closes, and is then
	// answered with an error.
	done := make(chan error, 1)
	go func() {
		done <- obj.Call("org.freedesktop.Secret.Service.OpenSession", 0, "plain", dbus.MakeVariant("")).Err
	}()
	select {
	case err := <-done:
		t.Fatalf("OpenSession answered before Close: %v", err)
	case <-time.After(timeout):
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		t.Logf("OpenSession after Close: %v", err)
		if err == nil {
			t.Errorf("OpenSession succeeded after Close")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OpenSession still hangs 5s after Close")
	}
}

func TestHangingGoKeyring(t *testing.T) {
	t.Parallel()
	s := keychaintest.New(t, keychaintest.Hanging())
	_, err := goKeyring(t, s, time.Second, "get", "meshmesh-test", "alice", "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("go-keyring get on a hanging Secret Service = %v, want it to hang (%v)", err, context.DeadlineExceeded)
	}
}

func TestWaitForName(t *testing.T) {
	t.Parallel()
	s := keychaintest.New(t, keychaintest.WithoutSecretService())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := s.WaitForName(ctx, keychaintest.SecretsName); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitForName(%s) without a Secret Service = %v, want %v", keychaintest.SecretsName, err, context.DeadlineExceeded)
	}

	conn, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const name = "org.kde.StatusNotifierWatcher"
	var wg sync.WaitGroup
	wg.Go(func() {
		time.Sleep(50 * time.Millisecond)
		if _, err := conn.RequestName(name, dbus.NameFlagDoNotQueue); err != nil {
			t.Errorf("RequestName: %v", err)
		}
	})
	defer wg.Wait()
	ctx, cancel = context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.WaitForName(ctx, name); err != nil {
		t.Error(err)
	}
}

func TestSetenv(t *testing.T) {
	s := keychaintest.New(t, keychaintest.WithoutSecretService())
	before := map[string]string{}
	for _, kv := range s.Env() {
		k, _, _ := strings.Cut(kv, "=")
		t.Setenv(k, "before") // restored when the test ends, whatever happens
		before[k] = "before"
	}
	restore := s.Setenv()
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		if got := os.Getenv(k); got != v {
			t.Errorf("after Setenv, %s = %q, want %q", k, got, v)
		}
	}
	if got := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); got != s.Address() {
		t.Errorf("DBUS_SESSION_BUS_ADDRESS = %q, want Address() = %q", got, s.Address())
	}
	restore()
	for k, v := range before {
		if got := os.Getenv(k); got != v {
			t.Errorf("after restore, %s = %q, want %q", k, got, v)
		}
	}
}

func TestMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := keychaintest.Missing()
	if err == nil {
		t.Fatal("Missing() = nil with an empty PATH")
	}
	for _, want := range []string{"dbus-daemon", "gnome-keyring-daemon", "secret-tool", "dbus gnome-keyring libsecret-tools"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Missing() = %q, want it to name %q", err, want)
		}
	}
	for _, opt := range []keychaintest.Option{keychaintest.WithoutSecretService(), keychaintest.Hanging()} {
		err := keychaintest.Missing(opt)
		if err == nil || strings.Contains(err.Error(), "gnome-keyring") || !strings.Contains(err.Error(), "dbus-daemon") {
			t.Errorf("Missing(bus only) = %v, want dbus-daemon only", err)
		}
	}
	if _, err := keychaintest.Start(); err == nil {
		t.Error("Start succeeded with an empty PATH")
	}
}

// recorder is a testing.TB that records Skipf and Fatalf.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Skipf(format string, args ...any)  { r.skipped = fmt.Sprintf(format, args...) }
func (r *recorder) Fatalf(format string, args ...any) { r.failed = fmt.Sprintf(format, args...) }

func TestRequire(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv(keychaintest.StrictEnv, "")
	r := &recorder{TB: t}
	keychaintest.Require(r)
	if !strings.Contains(r.skipped, "dbus-daemon") || r.failed != "" {
		t.Errorf("Require: skipped %q, failed %q; want a skip naming dbus-daemon", r.skipped, r.failed)
	}

	t.Setenv(keychaintest.StrictEnv, "1")
	r = &recorder{TB: t}
	keychaintest.Require(r)
	if !strings.Contains(r.failed, "dbus-daemon") || r.skipped != "" {
		t.Errorf("Require under %s=1: skipped %q, failed %q; want a failure naming dbus-daemon", keychaintest.StrictEnv, r.skipped, r.failed)
	}
}

func BenchmarkStart(b *testing.B) {
	for _, mode := range []struct {
		name string
		opts []keychaintest.Option
	}{
		{"unlocked", nil},
		{"locked", []keychaintest.Option{keychaintest.Locked()}},
		{"bus-only", []keychaintest.Option{keychaintest.WithoutSecretService()}},
		{"hanging", []keychaintest.Option{keychaintest.Hanging()}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			keychaintest.Require(b, mode.opts...)
			var started time.Duration
			for b.Loop() {
				t0 := time.Now()
				s, err := keychaintest.Start(mode.opts...)
				if err != nil {
					b.Fatal(err)
				}
				started += time.Since(t0)
				if err := s.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(started.Seconds()*1000/float64(b.N), "ms-start/op")
		})
	}
}
