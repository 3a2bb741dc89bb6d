package keychain_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/keychain/keychaintest"
	"github.com/meshmesh/meshmesh/oauth"
)

// session is this test binary's private D-Bus session with a real,
// unlocked gnome-keyring, started before anything in the process connects
// to a session bus (godbus connects once per process). Nil when the
// programs it needs are missing.
var session *keychaintest.Session

func TestMain(m *testing.M) {
	if keychaintest.Missing() == nil {
		s, err := keychaintest.Start()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		session = s
		restore := s.Setenv()
		code := m.Run()
		restore()
		s.Close()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// TestStoreWithSecretService runs the store on the real Secret Service:
// what it writes is what secret-tool reads from outside.
func TestStoreWithSecretService(t *testing.T) {
	keychaintest.Require(t)
	f := newFixture(t, keychain.OSKeyring{})
	f.sf.Change(func() { f.app.RotateRefreshTokens = true })
	f.connect(f.admin, oauth.Production, "")

	raw, found, err := session.Lookup(f.opts.Service, "admin@acme.example")
	if err != nil || !found {
		t.Fatalf("secret-tool lookup: found %v, %v", found, err)
	}
	for _, key := range []string{`"refresh_token":"5Aep861`, `"access_token":"` + f.prod.ID[:15] + "!", `"issued_at":`, `"client_secret":"` + f.app.ClientSecret} {
		if !strings.Contains(raw, key) {
			t.Errorf("keychain item lacks %s", key)
		}
	}
	t.Logf("keychain item: %d bytes", len(raw))
	if len(raw) > 600 {
		t.Errorf("keychain item is %d bytes: compact JSON should be far under %d", len(raw), keychain.MaxItemSize)
	}

	tok, err := f.store.Token(ctx, "acme-corp", true)
	if err != nil {
		t.Fatal(err)
	}
	after, _, _ := session.Lookup(f.opts.Service, "admin@acme.example")
	if after == raw || !strings.Contains(after, tok.AccessToken) {
		t.Error("the rotated refresh token and new access token were not saved to the Secret Service")
	}

	if _, err := f.store.Remove(ctx, "acme-corp"); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := session.Lookup(f.opts.Service, "admin@acme.example"); found {
		t.Error("the item is still in the Secret Service after Remove")
	}
}

// The quick reads of NewOSKeyring read what go-keyring wrote, and a
// missing item is go-keyring's ErrNotFound, as OSKeyring{} says.
func TestQuickReadsWithSecretService(t *testing.T) {
	keychaintest.Require(t)
	const service = "meshmesh-quick-test"
	slow, quick := keychain.OSKeyring{}, keychain.NewOSKeyring()
	for i, secret := range []string{`{"refresh_token":"5Aep861a"}`, "ünïcödé and \"quotes\"", strings.Repeat("x", 2000)} {
		user := fmt.Sprintf("user%d@acme.example", i)
		if err := slow.Set(service, user, secret); err != nil {
			t.Fatal(err)
		}
		for name, kr := range map[string]keychain.Keyring{"OSKeyring{}": slow, "NewOSKeyring()": quick} {
			if got, err := kr.Get(service, user); err != nil || got != secret {
				t.Errorf("%s.Get(%s) = %.40q, %v; want %.40q", name, user, got, err, secret)
			}
		}
		if err := quick.Set(service, user, secret+"2"); err != nil {
			t.Fatal(err)
		}
		if got, _ := quick.Get(service, user); got != secret+"2" {
			t.Errorf("after Set, Get = %.40q", got)
		}
		if err := quick.Delete(service, user); err != nil {
			t.Fatal(err)
		}
		if _, err := quick.Get(service, user); !errors.Is(err, keyring.ErrNotFound) {
			t.Errorf("Get of a deleted item: %v, want ErrNotFound", err)
		}
	}
}
