package keychain_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/oauth/sfcli"
	"github.com/meshmesh/meshmesh/oauth/sftest"
	"github.com/zalando/go-keyring"
	"golang.org/x/oauth2"
)

// memKeyring is an in-memory keychain for unit tests (go-keyring's own
// mock has no mutex). The real Secret Service is tested in
// secretservice_test.go and through the command line.
type memKeyring struct {
	mu    sync.Mutex
	items map[string]string
	block chan struct{} // when set, every call waits for it
	err   error         // when set, every call fails with it
	onSet func()        // when set, called after each Set
	// deleteErr, when set, is what Delete fails with.
	deleteErr error
	calls     atomic.Int32 // calls made
	sets      atomic.Int32 // Set calls made
}

func newMemKeyring() *memKeyring { return &memKeyring{items: map[string]string{}} }

func (k *memKeyring) wait() error {
	k.calls.Add(1)
	k.mu.Lock()
	block, err := k.block, k.err
	k.mu.Unlock()
	if block != nil {
		<-block
	}
	return err
}

func (k *memKeyring) Get(service, user string) (string, error) {
	if err := k.wait(); err != nil {
		return "", err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.items[service+"\x00"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (k *memKeyring) Set(service, user, secret string) error {
	k.sets.Add(1)
	if err := k.wait(); err != nil {
		return err
	}
	k.mu.Lock()
	k.items[service+"\x00"+user] = secret
	onSet := k.onSet
	k.mu.Unlock()
	if onSet != nil {
		onSet()
	}
	return nil
}

func (k *memKeyring) Delete(service, user string) error {
	if err := k.wait(); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.deleteErr != nil {
		return k.deleteErr
	}
	if _, ok := k.items[service+"\x00"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.items, service+"\x00"+user)
	return nil
}

// fixture is a fake Salesforce with a production and a sandbox org, an
// engine pointed at it and a store in a temporary folder.
type fixture struct {
	t      testing.TB
	sf     *sftest.Server
	prod   *sftest.Org
	uat    *sftest.Org
	admin  *sftest.User
	dev    *sftest.User
	tester *sftest.User
	app    *sftest.App // custom connected app, installed in both orgs
	engine *oauth.Engine
	kr     keychain.Keyring
	opts   keychain.Options
	store  *keychain.Store
}

func newFixture(t testing.TB, kr keychain.Keyring) *fixture {
	t.Helper()
	f := &fixture{t: t, sf: sftest.New(t), kr: kr}
	f.prod = f.sf.AddOrg(sftest.Org{Name: "Acme Corp"})
	f.uat = f.sf.AddOrg(sftest.Org{Name: "Acme UAT", Sandbox: true})
	f.admin = f.sf.AddUser(sftest.User{Org: f.prod, Username: "admin@acme.example", Admin: true})
	f.dev = f.sf.AddUser(sftest.User{Org: f.prod, Username: "dev@acme.example"})
	f.tester = f.sf.AddUser(sftest.User{Org: f.uat, Username: "admin@acme.example.uat", Admin: true})
	port := sftest.CallbackPort(t)
	f.app = f.sf.AddApp(sftest.App{
		Kind: sftest.ConnectedApp, OwnerOrg: f.prod, RequireSecret: true,
		CallbackURLs: []string{"http://localhost:" + strconv.Itoa(port) + "/OauthRedirect"},
		Scopes:       []string{"api", "refresh_token", "offline_access", "web"},
		InstalledIn:  []*sftest.Org{f.prod, f.uat},
	})
	f.engine = &oauth.Engine{
		Settings:   oauth.Settings{ProductionURL: f.sf.Production.URL, SandboxURL: f.sf.Sandbox.URL, CallbackPort: port},
		HTTPClient: f.sf.Client(),
		// A Salesforce CLI that cannot tell which orgs it holds.
		SF: &sfcli.CLI{Env: []string{"PATH=" + t.TempDir()}},
	}
	f.opts = keychain.Options{
		Dir:         filepath.Join(t.TempDir(), "meshmesh"),
		Service:     "meshmesh-test-" + strconv.Itoa(port),
		Keyring:     kr,
		TokenMaxAge: keychain.DefaultTokenMaxAge,
		Engine:      f.engine,
	}
	f.store = f.open(f.opts)
	return f
}

func (f *fixture) open(opts keychain.Options) *keychain.Store {
	f.t.Helper()
	s, err := keychain.Open(opts)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// grant logs u in with the custom app in env, the scripted browser playing
// the user.
func (f *fixture) grant(u *sftest.User, env oauth.Environment) *oauth.Grant {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	flow, err := f.engine.Begin(ctx, oauth.LoginRequest{
		Method: oauth.CustomApp, Target: oauth.Target{Environment: env},
		App: oauth.App{ClientID: f.app.ClientID, ClientSecret: f.app.ClientSecret},
	})
	if err != nil {
		f.t.Fatal(err)
	}
	defer flow.Close()
	go (&sftest.Browser{Username: u.Username, Client: f.sf.Client()}).Open(ctx, flow.URL())
	g, err := flow.Wait(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return g
}

// connect logs u in and stores the grant.
func (f *fixture) connect(u *sftest.User, env oauth.Environment, alias string) keychain.Connection {
	f.t.Helper()
	conn, err := f.store.Add(context.Background(), f.grant(u, env), keychain.AddOptions{Alias: alias, ClientSecret: f.app.ClientSecret})
	if err != nil {
		f.t.Fatal(err)
	}
	return conn
}

func (f *fixture) requests(path string) int {
	n := 0
	for _, r := range f.sf.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

func wantCode(t *testing.T, err error, code oauth.Code) *oauth.Diagnosis {
	t.Helper()
	var d *oauth.Diagnosis
	if !errors.As(err, &d) {
		t.Fatalf("error %v (%T) is not a diagnosis; want %s", err, err, code)
	}
	if d.Code != code {
		t.Fatalf("diagnosis %s (%s: %s), want %s", d.Code, d.Title, d.Advice, code)
	}
	return d
}

var ctx = context.Background()

func TestAddListFind(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	prod := f.connect(f.admin, oauth.Production, "")
	uat := f.connect(f.tester, oauth.Sandbox, "")
	dev := f.connect(f.dev, oauth.Production, "acme-dev")

	if prod.Alias != "acme-corp" || uat.Alias != "acme-uat" || dev.Alias != "acme-dev" {
		t.Errorf("aliases %q %q %q, want acme-corp, acme-uat, acme-dev", prod.Alias, uat.Alias, dev.Alias)
	}
	if prod.Status != keychain.Connected || prod.Environment != oauth.Production || prod.Method != oauth.CustomApp ||
		prod.OrgID != f.prod.ID || prod.InstanceURL != f.prod.Host.URL || prod.LoginURL != f.sf.Production.URL || prod.IsSandbox {
		t.Errorf("production connection %+v", prod)
	}
	if !uat.IsSandbox || uat.LoginURL != f.sf.Sandbox.URL {
		t.Errorf("sandbox connection %+v", uat)
	}

	conns, err := f.store.List(ctx)
	if err != nil || len(conns) != 3 {
		t.Fatalf("List = %d connections, %v; want 3", len(conns), err)
	}
	for _, ref := range []string{"acme-corp", "ACME-CORP", "admin@acme.example", "Admin@Acme.Example", f.admin.ID, f.admin.ID[:15]} {
		if c, err := f.store.Find(ctx, ref); err != nil || c.Username != "admin@acme.example" {
			t.Errorf("Find(%q) = %s, %v; want admin@acme.example", ref, c.Username, err)
		}
	}
	if c, err := f.store.Find(ctx, f.uat.ID); err != nil || c.Username != f.tester.Username {
		t.Errorf("Find(sandbox org id) = %s, %v", c.Username, err)
	}
	_, err = f.store.Find(ctx, f.prod.ID)
	d := wantCode(t, err, keychain.OrgAmbiguous)
	if !strings.Contains(d.Advice, "acme-corp (admin@acme.example)") || !strings.Contains(d.Advice, "acme-dev (dev@acme.example)") {
		t.Errorf("ambiguous advice %q does not name both connections", d.Advice)
	}
	_, err = f.store.Find(ctx, "nope")
	wantCode(t, err, keychain.OrgNotFound)

	// The same user again replaces the connection and keeps its alias; the
	// replaced refresh token is revoked.
	f.sf.ResetRequests()
	again := f.connect(f.admin, oauth.Production, "")
	if n := f.requests("/services/oauth2/revoke"); n != 1 {
		t.Errorf("%d revoke requests after a replacing login, want 1 (the old refresh token)", n)
	}
	if _, err := f.store.Token(ctx, "acme-corp", true); err != nil {
		t.Errorf("the new refresh token does not work after the replacement: %v", err)
	}
	if again.Alias != "acme-corp" {
		t.Errorf("reconnected alias %q, want acme-corp", again.Alias)
	}
	if conns, _ := f.store.List(ctx); len(conns) != 3 {
		t.Errorf("after connecting the same user again: %d connections, want 3", len(conns))
	}
	// An alias of another connection is refused, before and after a login.
	wantCode(t, f.store.CheckAlias(ctx, "acme-dev"), keychain.AliasTaken)
	_, err = f.store.Add(ctx, f.grant(f.admin, oauth.Production), keychain.AddOptions{Alias: "acme-dev"})
	wantCode(t, err, keychain.AliasTaken)
}

func TestIndexFile(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.connect(f.admin, oauth.Production, "")
	st, err := os.Stat(f.opts.Dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, %v; want 0700", st.Mode().Perm(), err)
	}
	st, err = os.Stat(f.store.IndexPath())
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("index mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	b, _ := os.ReadFile(f.store.IndexPath())
	for _, want := range []string{`"version": 1`, `"alias": "acme-corp"`, `"username": "admin@acme.example"`, `"org_id": "` + f.prod.ID, `"status": "connected"`, `"connected_at": "`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("index lacks %s:\n%s", want, b)
		}
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(f.opts.Dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

func TestCorruptIndex(t *testing.T) {
	for _, tt := range []struct{ name, content, detail string }{
		{"truncated", `{"version":1,"connections":[{"alias":"acme"`, "unexpected EOF"},
		{"not JSON", "hello", "invalid character 'h'"},
		{"no version", `{"connections":[]}`, "no version"},
		{"two objects", `{"version":1,"connections":[]}{}`, "data after the JSON object"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, newMemKeyring())
			if err := os.MkdirAll(f.opts.Dir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(f.store.IndexPath(), []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := f.store.List(ctx)
			d := wantCode(t, err, keychain.IndexCorrupt)
			if !strings.Contains(d.Advice, f.store.IndexPath()) || !strings.Contains(d.Advice, ".corrupt-") || !strings.Contains(d.Advice, tt.detail) {
				t.Errorf("advice %q does not name the index, where it was kept and what is wrong (%s)", d.Advice, tt.detail)
			}
			kept, _ := filepath.Glob(f.store.IndexPath() + ".corrupt-*")
			if len(kept) != 1 {
				t.Fatalf("kept aside: %v, want one file", kept)
			}
			if b, _ := os.ReadFile(kept[0]); string(b) != tt.content {
				t.Errorf("kept file holds %q, want the corrupt content", b)
			}
			// A new index begins; the corrupt one is never overwritten.
			f.connect(f.admin, oauth.Production, "")
			if conns, err := f.store.List(ctx); err != nil || len(conns) != 1 {
				t.Errorf("after a new connect: %d connections, %v", len(conns), err)
			}
			if b, _ := os.ReadFile(kept[0]); string(b) != tt.content {
				t.Errorf("kept file changed to %q", b)
			}
			// Corrupt again (within the same second): both are kept.
			os.WriteFile(f.store.IndexPath(), []byte("again"), 0o600)
			f.store.List(ctx)
			if kept, _ := filepath.Glob(f.store.IndexPath() + ".corrupt-*"); len(kept) != 2 {
				t.Errorf("after a second corruption, kept: %v", kept)
			}
		})
	}
}

func TestNewerIndexIsNotTouched(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	os.MkdirAll(f.opts.Dir, 0o700)
	os.WriteFile(f.store.IndexPath(), []byte(`{"version":2,"connections":[]}`), 0o600)
	_, err := f.store.List(ctx)
	d := wantCode(t, err, keychain.IndexFailed)
	if !strings.Contains(d.Advice, "Update MeshMesh") {
		t.Errorf("advice %q", d.Advice)
	}
	if b, _ := os.ReadFile(f.store.IndexPath()); string(b) != `{"version":2,"connections":[]}` {
		t.Errorf("newer index changed: %s", b)
	}
}

func TestToken(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	conn := f.connect(f.admin, oauth.Production, "")
	f.sf.ResetRequests()

	// Young enough: the cached token, no network.
	tok, err := f.store.Token(ctx, "acme-corp", false)
	if err != nil || tok.Refreshed || !strings.HasPrefix(tok.AccessToken, f.prod.ID[:15]+"!") || tok.InstanceURL != conn.InstanceURL || tok.OrgID != f.prod.ID {
		t.Fatalf("cached Token = %+v, %v", tok, err)
	}
	if n := len(f.sf.Requests()); n != 0 {
		t.Errorf("a cached token made %d requests", n)
	}

	// --refresh: a new token, saved for the next caller.
	fresh, err := f.store.Token(ctx, "acme-corp", true)
	if err != nil || !fresh.Refreshed || fresh.AccessToken == tok.AccessToken {
		t.Fatalf("forced Token = %+v, %v", fresh, err)
	}
	if n := f.requests("/services/oauth2/token"); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
	again, _ := f.store.Token(ctx, "acme-corp", false)
	if again.AccessToken != fresh.AccessToken || again.Refreshed {
		t.Errorf("after a refresh the cached token is %+v, want the new one", again)
	}

	// TokenMaxAge 0: always refresh.
	always := f.open(func(o keychain.Options) keychain.Options { o.TokenMaxAge = 0; return o }(f.opts))
	for range 2 {
		if tok, err := always.Token(ctx, "acme-corp", false); err != nil || !tok.Refreshed {
			t.Errorf("max age 0: Token = %+v, %v; want a refresh", tok, err)
		}
	}
}

func TestTokenRotation(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	f.app.RotateRefreshTokens = true
	f.connect(f.admin, oauth.Production, "")
	before := kr.items[f.opts.Service+"\x00admin@acme.example"]

	tok, err := f.store.Token(ctx, "acme-corp", true)
	if err != nil {
		t.Fatal(err)
	}
	after := kr.items[f.opts.Service+"\x00admin@acme.example"]
	if before == after || !strings.Contains(after, tok.AccessToken) {
		t.Fatal("the rotated refresh token was not saved with the new access token")
	}
	// The saved (rotated) token works; the old one died with the rotation.
	for range 2 {
		if _, err := f.store.Token(ctx, "acme-corp", true); err != nil {
			t.Fatalf("refresh with the rotated token: %v", err)
		}
	}
}

// Two processes (here: two stores) refreshing one connection with
// rotation at once must not kill its refresh token.
func TestConcurrentRefreshWithRotation(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	f.app.RotateRefreshTokens = true
	f.connect(f.admin, oauth.Production, "")
	other := f.open(f.opts)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		s := f.store
		if i%2 == 1 {
			s = other
		}
		wg.Go(func() {
			_, err := s.Token(ctx, "acme-corp", true)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent refresh: %v", err)
		}
	}
	if c, _ := f.store.Find(ctx, "acme-corp"); c.Status != keychain.Connected {
		t.Errorf("status %s after concurrent refreshes, want connected", c.Status)
	}
}

func TestDeadRefreshToken(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.connect(f.admin, oauth.Production, "")
	f.sf.RevokeRefreshTokens(f.admin)

	_, err := f.store.Token(ctx, "acme-corp", true)
	d := wantCode(t, err, oauth.RefreshTokenExpired)
	if d.SalesforceError != "invalid_grant" || d.SalesforceDescription != "expired access/refresh token" {
		t.Errorf("Salesforce's words %q / %q", d.SalesforceError, d.SalesforceDescription)
	}
	if c, _ := f.store.Find(ctx, "acme-corp"); c.Status != keychain.NeedsReconnect {
		t.Errorf("status %s, want needs_reconnect", c.Status)
	}
	// A new login mends it.
	if c := f.connect(f.admin, oauth.Production, ""); c.Status != keychain.Connected {
		t.Errorf("status after a new login %s", c.Status)
	}
}

func TestUnreachableMarksUnknown(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.connect(f.admin, oauth.Production, "")
	f.sf.Close()
	_, err := f.store.Token(ctx, "acme-corp", true)
	wantCode(t, err, oauth.ConnectionTimeout)
	if c, _ := f.store.Find(ctx, "acme-corp"); c.Status != keychain.Unknown {
		t.Errorf("status %s, want unknown", c.Status)
	}
}

func TestUseRetriesOnInvalidSession(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.connect(f.admin, oauth.Production, "")
	f.sf.ExpireAccessTokens() // the cached token is young but dead
	f.sf.ResetRequests()

	var got []string
	err := f.store.Use(ctx, "acme-corp", func(ctx context.Context, tok *keychain.Token) error {
		got = append(got, tok.AccessToken)
		_, err := f.engine.FrontdoorURL(ctx, tok.InstanceURL, tok.AccessToken, "")
		return err
	})
	if err != nil {
		t.Fatalf("Use: %v", err)
	}
	if len(got) != 2 || got[0] == got[1] {
		t.Errorf("Use called f with %d tokens, want the cached one then a fresh one", len(got))
	}
	if n := f.requests("/services/oauth2/token"); n != 1 {
		t.Errorf("%d refreshes, want exactly 1", n)
	}

	// A second failure is not retried again.
	calls := 0
	err = f.store.Use(ctx, "acme-corp", func(context.Context, *keychain.Token) error {
		calls++
		return &oauth.SalesforceError{Status: 401, Code: "INVALID_SESSION_ID", Description: "Session expired or invalid"}
	})
	if calls != 2 || !errors.Is(err, oauth.ErrInvalidSession) {
		t.Errorf("Use with a dead session: %d calls, %v; want 2 calls and the error", calls, err)
	}
}

func TestRemove(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	f.connect(f.admin, oauth.Production, "")
	f.connect(f.dev, oauth.Production, "")
	tok, _ := f.store.Token(ctx, "admin@acme.example", false)

	r, err := f.store.Remove(ctx, "acme-corp")
	if err != nil || !r.Revoked || r.Connection.Username != "admin@acme.example" {
		t.Fatalf("Remove = %+v, %v", r, err)
	}
	if n := f.requests("/services/oauth2/revoke"); n != 1 {
		t.Errorf("%d revoke requests, want 1", n)
	}
	if _, err := kr.Get(f.opts.Service, "admin@acme.example"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("keychain item still there: %v", err)
	}
	conns, _ := f.store.List(ctx)
	if len(conns) != 1 || conns[0].Username != "dev@acme.example" {
		t.Errorf("left: %+v", conns)
	}
	// Revoked at Salesforce: the access token no longer works.
	if _, err := f.engine.Identify(ctx, tok.InstanceURL, tok.AccessToken); !errors.Is(err, oauth.ErrInvalidSession) {
		t.Errorf("access token after remove: %v, want invalid session", err)
	}

	// Salesforce out of reach: forgotten all the same, and said so.
	f.sf.Close()
	r, err = f.store.Remove(ctx, "dev@acme.example")
	if err != nil || r.Revoked || r.RevokeErr == nil {
		t.Fatalf("Remove offline = %+v, %v; want removed, not revoked", r, err)
	}
	if conns, _ := f.store.List(ctx); len(conns) != 0 {
		t.Errorf("left: %+v", conns)
	}
}

func TestMissingKeychainItem(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	f.connect(f.admin, oauth.Production, "")
	kr.Delete(f.opts.Service, "admin@acme.example")
	_, err := f.store.Token(ctx, "acme-corp", false)
	d := wantCode(t, err, keychain.ItemMissing)
	if !strings.Contains(d.Advice, "meshmesh reconnect acme-corp") {
		t.Errorf("advice %q", d.Advice)
	}
	if c, _ := f.store.Find(ctx, "acme-corp"); c.Status != keychain.NeedsReconnect {
		t.Errorf("status %s, want needs_reconnect", c.Status)
	}
	// Remove still forgets it.
	if r, err := f.store.Remove(ctx, "acme-corp"); err != nil || r.Revoked {
		t.Errorf("Remove = %+v, %v", r, err)
	}
}

func TestKeyringTimeout(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	f.connect(f.admin, oauth.Production, "")
	block := make(chan struct{})
	kr.mu.Lock()
	kr.block = block
	kr.mu.Unlock()
	kr.calls.Store(0)
	s := f.open(func(o keychain.Options) keychain.Options { o.KeyringTimeout = 100 * time.Millisecond; return o }(f.opts))
	start := time.Now()
	_, err := s.Token(ctx, "acme-corp", false)
	d := wantCode(t, err, keychain.KeychainTimeout)
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("took %s with a 100ms keyring timeout", el)
	}
	if !strings.Contains(d.Advice, "unlock") {
		t.Errorf("advice %q does not mention unlocking", d.Advice)
	}
	// While that call hangs, the keychain is not asked again: the next
	// caller waits its own timeout for it, then gives up.
	_, err = s.Token(ctx, "acme-corp", false)
	wantCode(t, err, keychain.KeychainTimeout)
	if n := kr.calls.Load(); n != 1 {
		t.Errorf("%d keychain calls made while one hangs, want 1", n)
	}
	// Once it answers, the keychain is used again.
	kr.mu.Lock()
	kr.block = nil
	kr.mu.Unlock()
	close(block)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err = s.Token(ctx, "acme-corp", false); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Errorf("after the keychain answered: %v", err)
	}
}

// The keychain's own words, as go-keyring reports them on each failure
// (checked against gnome-keyring 42 and godbus 5.2).
func TestKeyringErrors(t *testing.T) {
	for _, tt := range []struct {
		err  string
		code oauth.Code
	}{
		{"The name org.freedesktop.secrets was not provided by any .service files", keychain.KeychainUnavailable},
		{"failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'", keychain.KeychainLocked},
		{"failed to unlock correct collection '/org/freedesktop/secrets/collection/login'", keychain.KeychainLocked},
		{`exec: "dbus-launch": executable file not found in $PATH`, keychain.KeychainUnavailable},
		{"dial unix /run/user/0/bus: connect: no such file or directory", keychain.KeychainUnavailable},
		{"data passed to Set was too big", keychain.ItemTooLarge},
		{"something else", keychain.KeychainFailed},
	} {
		kr := newMemKeyring()
		if tt.err == keyring.ErrSetDataTooBig.Error() {
			kr.err = keyring.ErrSetDataTooBig
		} else {
			kr.err = errors.New(tt.err)
		}
		s, _ := keychain.Open(keychain.Options{Dir: t.TempDir(), Keyring: kr})
		_, _, err := s.Reconnect(ctx, "x") // not found: no keychain call
		wantCode(t, err, keychain.OrgNotFound)
		_, err = s.Add(ctx, &oauth.Grant{Org: oauth.Org{Username: "u@x.example", OrgName: "X"}, Token: tokenWith("5Aep861")}, keychain.AddOptions{})
		wantCode(t, err, tt.code)
		if conns, _ := s.List(ctx); len(conns) != 0 {
			t.Errorf("%s: a connection was saved without its keychain item", tt.err)
		}
	}
}

func TestItemTooLarge(t *testing.T) {
	kr := newMemKeyring()
	s, _ := keychain.Open(keychain.Options{Dir: t.TempDir(), Keyring: kr})
	_, err := s.Add(ctx, &oauth.Grant{Org: oauth.Org{Username: "u@x.example"}, Token: tokenWith(strings.Repeat("x", keychain.MaxItemSize))}, keychain.AddOptions{})
	wantCode(t, err, keychain.ItemTooLarge)
	if len(kr.items) != 0 {
		t.Error("an oversized item was written")
	}
}

func TestHasItem(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	f.connect(f.tester, oauth.Sandbox, "uat")
	if has, err := f.store.HasItem(ctx, "uat"); !has || err != nil {
		t.Fatalf("HasItem = %v, %v; want true", has, err)
	}
	if err := kr.Delete(f.opts.Service, f.tester.Username); err != nil {
		t.Fatal(err)
	}
	if has, err := f.store.HasItem(ctx, "uat"); has || err != nil {
		t.Errorf("HasItem after the item went = %v, %v; want false", has, err)
	}
	if _, err := f.store.HasItem(ctx, "nobody"); err == nil {
		t.Error("HasItem of no connection succeeded")
	}
}

func TestReconnectRequest(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.connect(f.tester, oauth.Sandbox, "uat")
	conn, req, err := f.store.Reconnect(ctx, "uat")
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != oauth.CustomApp || req.Target != (oauth.Target{Environment: oauth.Sandbox}) || req.LoginHint != f.tester.Username ||
		req.App.ClientID != f.app.ClientID || req.App.ClientSecret != f.app.ClientSecret || conn.Alias != "uat" {
		t.Errorf("reconnect request %+v for %+v", req, conn)
	}
	// Signing in as someone else is refused.
	_, err = f.store.Add(ctx, f.grant(f.admin, oauth.Production), keychain.AddOptions{Expect: f.tester.Username})
	wantCode(t, err, keychain.WrongUser)
}

func TestValidateAlias(t *testing.T) {
	for alias, ok := range map[string]bool{
		"acme": true, "acme-prod": true, "Acme.UAT_2": true, "9lives": true,
		"": false, "-x": false, "has space": false, "a@b": false, "00D5g000004abcd": false, "00D5g000004abcdEAA": false,
		strings.Repeat("a", 64): true, strings.Repeat("a", 65): false,
	} {
		if err := keychain.ValidateAlias(alias); (err == nil) != ok {
			t.Errorf("ValidateAlias(%q) = %v, want ok=%v", alias, err, ok)
		}
	}
}

func TestOptionsFromEnv(t *testing.T) {
	env := map[string]string{"MESHMESH_HOME": "/tmp/mm", "MESHMESH_TOKEN_MAX_AGE": "90s", "MESHMESH_KEYCHAIN_SERVICE": "svc"}
	o, err := keychain.OptionsFromEnv(func(k string) string { return env[k] })
	if err != nil || o.Dir != "/tmp/mm" || o.TokenMaxAge != 90*time.Second || o.Service != "svc" {
		t.Errorf("OptionsFromEnv = %+v, %v", o, err)
	}
	env["MESHMESH_TOKEN_MAX_AGE"] = "0"
	if o, err := keychain.OptionsFromEnv(func(k string) string { return env[k] }); err != nil || o.TokenMaxAge != 0 {
		t.Errorf("0: %v, %v", o.TokenMaxAge, err)
	}
	for _, bad := range []string{"ten minutes", "-1m", "10"} {
		env["MESHMESH_TOKEN_MAX_AGE"] = bad
		if _, err := keychain.OptionsFromEnv(func(k string) string { return env[k] }); err == nil || !strings.Contains(err.Error(), "MESHMESH_TOKEN_MAX_AGE") {
			t.Errorf("%q: %v, want an error naming the variable", bad, err)
		}
	}
	delete(env, "MESHMESH_TOKEN_MAX_AGE")
	delete(env, "MESHMESH_HOME")
	if o, _ := keychain.OptionsFromEnv(func(k string) string { return env[k] }); o.TokenMaxAge != keychain.DefaultTokenMaxAge || !slices.Contains(strings.Split(o.Dir, string(filepath.Separator)), "meshmesh") {
		t.Errorf("defaults %+v", o)
	}
}

func tokenWith(refresh string) *oauth2.Token {
	return &oauth2.Token{AccessToken: "00Dxx0000000001!AQ", RefreshToken: refresh}
}

// A new login of a user whose connection is being refreshed (rotation on)
// must win: no refresh may write the old grant back over it.
func TestAddDuringRefreshes(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.sf.Change(func() { f.app.RotateRefreshTokens = true })
	f.connect(f.admin, oauth.Production, "")
	fresh := f.grant(f.admin, oauth.Production)
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for range 5 {
				f.store.Token(ctx, "acme-corp", true)
			}
		})
	}
	wg.Go(func() {
		if _, err := f.open(f.opts).Add(ctx, fresh, keychain.AddOptions{ClientSecret: f.app.ClientSecret}); err != nil {
			t.Error(err)
		}
	})
	wg.Wait()
	if _, err := f.store.Token(ctx, "acme-corp", true); err != nil {
		t.Fatalf("after a login during refreshes the connection is broken: %v", err)
	}
}

// roundTripper lets a test act while a request to the fake is in flight.
type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// onRefresh makes the fixture's engine call before while the next
// refresh request is on its way to the fake, and after once its answer is
// in (each may be nil). Later refreshes run plain.
func (f *fixture) onRefresh(before, after func()) {
	var once sync.Once
	c := *f.sf.Client()
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	c.Transport = roundTripper(func(r *http.Request) (*http.Response, error) {
		isRefresh := false
		if r.URL.Path == "/services/oauth2/token" && r.Body != nil && strings.Contains(peekForm(r), "grant_type=refresh_token") {
			once.Do(func() { isRefresh = true })
		}
		if isRefresh && before != nil {
			before()
		}
		resp, err := base.RoundTrip(r)
		if isRefresh && after != nil {
			after()
		}
		return resp, err
	})
	f.engine.HTTPClient = &c
}

// peekForm reads a request's body and puts it back.
func peekForm(r *http.Request) string {
	b, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(b))
	return string(b)
}

// A login while a refresh is in flight: the refresh must not write the
// old grant back over the new one.
func TestAddWhileRefreshing(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	f.connect(f.admin, oauth.Production, "")
	fresh := f.grant(f.admin, oauth.Production)
	other := f.open(f.opts) // another process
	added := make(chan error, 1)
	f.onRefresh(func() {
		go func() {
			_, err := other.Add(ctx, fresh, keychain.AddOptions{ClientSecret: f.app.ClientSecret})
			added <- err
		}()
		time.Sleep(100 * time.Millisecond) // without the connection lock, Add would be done by now
	}, nil)
	if _, err := f.store.Token(ctx, "acme-corp", true); err != nil {
		t.Fatal(err)
	}
	if err := <-added; err != nil {
		t.Fatal(err)
	}
	raw, _ := kr.Get(f.opts.Service, "admin@acme.example")
	if !strings.Contains(raw, `"refresh_token":"`+fresh.Token.RefreshToken+`"`) {
		t.Error("the keychain does not hold the new login's refresh token")
	}
	if _, err := other.Token(ctx, "acme-corp", true); err != nil {
		t.Errorf("the connection does not work after the login: %v", err)
	}
}

// Remove while a refresh is in flight: the refresh must not put the item
// back.
func TestRemoveWhileRefreshing(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	f.sf.Change(func() { f.app.RotateRefreshTokens = true })
	f.connect(f.admin, oauth.Production, "")
	other := f.open(f.opts)
	removed := make(chan error, 1)
	f.onRefresh(nil, func() { // the rotated token is in, not yet saved
		go func() { _, err := other.Remove(ctx, "acme-corp"); removed <- err }()
		time.Sleep(100 * time.Millisecond)
	})
	f.store.Token(ctx, "acme-corp", true)
	if err := <-removed; err != nil {
		t.Fatal(err)
	}
	if _, err := kr.Get(f.opts.Service, "admin@acme.example"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("the keychain item came back after Remove: %v", err)
	}
}

// Ctrl-C just after Salesforce rotated the refresh token: the new one is
// saved all the same.
func TestCancelAfterRotation(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.sf.Change(func() { f.app.RotateRefreshTokens = true })
	f.connect(f.admin, oauth.Production, "")
	cctx, cancel := context.WithCancel(ctx)
	f.onRefresh(nil, cancel)
	f.store.Token(cctx, "acme-corp", true)
	f.engine.HTTPClient = f.sf.Client()
	if _, err := f.store.Token(ctx, "acme-corp", true); err != nil {
		t.Errorf("the connection died with a cancelled refresh: %v", err)
	}
}

// The index cannot be written while a login replaces a connection: the
// old connection is left working and the new grant is revoked.
func TestFailedReplaceKeepsOldConnection(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	f.connect(f.admin, oauth.Production, "")
	before, _ := kr.Get(f.opts.Service, "admin@acme.example")
	fresh := f.grant(f.admin, oauth.Production)
	moved := f.opts.Dir + ".moved"
	var once sync.Once
	kr.onSet = func() {
		once.Do(func() { // the folder vanishes between the keychain write and the index write
			if err := os.Rename(f.opts.Dir, moved); err != nil {
				t.Error(err)
			}
		})
	}
	f.sf.ResetRequests()
	_, err := f.store.Add(ctx, fresh, keychain.AddOptions{Alias: "renamed", ClientSecret: f.app.ClientSecret})
	wantCode(t, err, keychain.IndexFailed)
	if err := os.Rename(moved, f.opts.Dir); err != nil {
		t.Fatal(err)
	}
	if after, _ := kr.Get(f.opts.Service, "admin@acme.example"); after != before {
		t.Error("the keychain item was not restored")
	}
	if n := f.requests("/services/oauth2/revoke"); n != 1 {
		t.Errorf("%d revocations, want 1 (the grant that could not be kept)", n)
	}
	if _, err := f.engine.Refresh(ctx, f.sf.Production.URL, oauth.App{ClientID: f.app.ClientID, ClientSecret: f.app.ClientSecret}, fresh.Token.RefreshToken); err == nil {
		t.Error("the grant that could not be kept still works at Salesforce")
	}
	if _, err := f.store.Token(ctx, "acme-corp", true); err != nil {
		t.Errorf("the old connection no longer works: %v", err)
	}
}

// Revoked, but the keychain would not delete the item: the connection
// stays, marked needs_reconnect, and the error says why.
func TestRemoveRevokedButNotDeleted(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	f.connect(f.admin, oauth.Production, "")
	kr.deleteErr = errors.New("failed to unlock correct collection '/org/freedesktop/secrets/collection/login'")
	_, err := f.store.Remove(ctx, "acme-corp")
	wantCode(t, err, keychain.KeychainLocked)
	if c, err := f.store.Find(ctx, "acme-corp"); err != nil || c.Status != keychain.NeedsReconnect {
		t.Errorf("after a revoke without delete: %+v, %v; want needs_reconnect", c, err)
	}
}

// A rotated token's save waits for a keychain call that hung (another
// goroutine's) to end, rather than losing the token.
func TestRotatedSaveWaitsForTheKeychain(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	f.sf.Change(func() { f.app.RotateRefreshTokens = true })
	f.connect(f.admin, oauth.Production, "")
	f.connect(f.dev, oauth.Production, "")
	s := f.open(func(o keychain.Options) keychain.Options { o.KeyringTimeout = 100 * time.Millisecond; return o }(f.opts))
	f.onRefresh(nil, func() { // the rotated token is in: now another call hangs the keychain for 300 ms
		block := make(chan struct{})
		kr.mu.Lock()
		kr.block = block
		kr.mu.Unlock()
		go s.Token(ctx, "dev@acme.example", false)
		time.Sleep(20 * time.Millisecond)
		kr.mu.Lock()
		kr.block = nil
		kr.mu.Unlock()
		time.AfterFunc(300*time.Millisecond, func() { close(block) })
	})
	if _, err := s.Token(ctx, "acme-corp", true); err != nil {
		t.Fatalf("refresh with a keychain busy for 300 ms: %v", err)
	}
	if _, err := s.Token(ctx, "acme-corp", true); err != nil {
		t.Errorf("the rotated refresh token was lost: %v", err)
	}
}

// A new user's grant that the keychain would not take is revoked.
func TestNewGrantNotKeptIsRevoked(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	fresh := f.grant(f.admin, oauth.Production)
	block := make(chan struct{})
	defer close(block)
	kr.block = block
	s := f.open(func(o keychain.Options) keychain.Options { o.KeyringTimeout = 100 * time.Millisecond; return o }(f.opts))
	f.sf.ResetRequests()
	_, err := s.Add(ctx, fresh, keychain.AddOptions{ClientSecret: f.app.ClientSecret})
	wantCode(t, err, keychain.KeychainTimeout)
	if n := f.requests("/services/oauth2/revoke"); n != 1 {
		t.Errorf("%d revocations of a grant kept nowhere, want 1", n)
	}
}

// Ctrl-C while Add waits for another process: it gives up at once, and
// revokes the grant it did not keep.
func TestAddCancelledWhileWaiting(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.connect(f.admin, oauth.Production, "")
	fresh := f.grant(f.admin, oauth.Production)
	other := f.open(f.opts)
	cctx, cancel := context.WithCancel(ctx)
	result := make(chan error, 1)
	f.onRefresh(func() { // the connection's lock is held by this refresh
		go func() { _, err := other.Add(cctx, fresh, keychain.AddOptions{}); result <- err }()
		time.Sleep(50 * time.Millisecond)
		cancel()
		select {
		case err := <-result:
			result <- err
		case <-time.After(2 * time.Second):
			t.Error("Add did not give up when cancelled while waiting for the lock")
		}
	}, nil)
	f.sf.ResetRequests()
	f.store.Token(ctx, "acme-corp", true)
	if err := <-result; !errors.Is(err, context.Canceled) {
		t.Errorf("Add cancelled while waiting: %v, want context.Canceled", err)
	}
	if n := f.requests("/services/oauth2/revoke"); n != 1 {
		t.Errorf("%d revocations, want 1 (the grant not kept)", n)
	}
}

// An item with no index entry (the index was set aside as corrupt) is put
// back when a new login for that user cannot be saved.
func TestFailedAddKeepsAnItemWithoutEntry(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	kr.Set(f.opts.Service, "admin@acme.example", `{"refresh_token":"5Aep861orphan"}`)
	fresh := f.grant(f.admin, oauth.Production)
	moved := f.opts.Dir + ".moved"
	os.MkdirAll(f.opts.Dir, 0o700)
	var once sync.Once
	kr.onSet = func() {
		once.Do(func() { os.Rename(f.opts.Dir, moved) })
	}
	_, err := f.store.Add(ctx, fresh, keychain.AddOptions{})
	wantCode(t, err, keychain.IndexFailed)
	if got, _ := kr.Get(f.opts.Service, "admin@acme.example"); got != `{"refresh_token":"5Aep861orphan"}` {
		t.Errorf("the earlier item became %q", got)
	}
}

// An unreadable keychain item: the connection needs a reconnect, and
// Remove still forgets it.
func TestUnreadableItem(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	f.connect(f.admin, oauth.Production, "")
	kr.Set(f.opts.Service, "admin@acme.example", "not ours")
	_, err := f.store.Token(ctx, "acme-corp", false)
	wantCode(t, err, keychain.KeychainFailed)
	if c, _ := f.store.Find(ctx, "acme-corp"); c.Status != keychain.NeedsReconnect {
		t.Errorf("status %s, want needs_reconnect", c.Status)
	}
	if r, err := f.store.Remove(ctx, "acme-corp"); err != nil || r.Revoked {
		t.Fatalf("Remove = %+v, %v", r, err)
	}
	if _, err := kr.Get(f.opts.Service, "admin@acme.example"); !errors.Is(err, keyring.ErrNotFound) {
		t.Errorf("unreadable item still there: %v", err)
	}
}

// A lock file that cannot be opened is not "another MeshMesh is busy".
func TestLockFileUnusable(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	os.MkdirAll(filepath.Join(f.opts.Dir, "connections.lock"), 0o700) // a folder where the lock file goes
	_, err := f.store.Add(ctx, f.grant(f.admin, oauth.Production), keychain.AddOptions{})
	d := wantCode(t, err, keychain.IndexFailed)
	if strings.Contains(d.Title, "busy") {
		t.Errorf("diagnosed as %q", d.Title)
	}
}

// A token the Salesforce CLI shares (an org imported from sf, a Quick
// Connect) is not revoked while sf may hold it: not when removed, not when
// a login of MeshMesh's own replaces it, not when it cannot be kept. A new
// token from sf replaces sf's copy too: the old one, held by no one now,
// is revoked.
func TestSharedWithSF(t *testing.T) {
	kr := newMemKeyring()
	f := newFixture(t, kr)
	shared := func() *oauth.Grant {
		g := f.grant(f.admin, oauth.Production)
		g.SharedWithSF = true
		return g
	}
	secret := keychain.AddOptions{ClientSecret: f.app.ClientSecret}
	conn, err := f.store.Add(ctx, shared(), secret)
	if err != nil || !conn.SharedWithSF {
		t.Fatalf("Add = %+v, %v; want a connection shared with sf", conn, err)
	}
	if got, _ := f.store.Find(ctx, conn.Alias); !got.SharedWithSF {
		t.Error("the index lost shared_with_sf")
	}

	f.sf.ResetRequests()
	if _, err := f.store.Add(ctx, shared(), secret); err != nil {
		t.Fatal(err)
	}
	if n := f.requests("/services/oauth2/revoke"); n != 1 {
		t.Errorf("%d revocations of a shared token sf no longer holds (a new one from sf replaced it), want 1", n)
	}

	f.sf.ResetRequests()
	if _, err := f.store.Add(ctx, f.grant(f.admin, oauth.Production), secret); err != nil {
		t.Fatal(err)
	}
	if n := f.requests("/services/oauth2/revoke"); n != 0 {
		t.Errorf("%d revocations of a shared token replaced by MeshMesh's own login, want 0", n)
	}

	// Remove asks sf whether it holds the token still.
	for _, tc := range []struct {
		name    string
		sf      func(token string) string // what sf org auth show-sfdx-auth-url --json prints
		revoked bool
	}{
		{"sf cannot tell", nil, false},
		{"sf holds it", func(tok string) string {
			return `{"status":0,"result":{"sfdxAuthUrl":"force://PlatformCLI::` + tok + `@acme.my.salesforce.com"}}`
		}, false},
		{"sf holds another", func(string) string {
			return `{"status":0,"result":{"sfdxAuthUrl":"force://PlatformCLI::5Aep861other@acme.my.salesforce.com"}}`
		}, true},
		{"sf signed out of it", func(string) string {
			return `{"name":"NamedOrgNotFoundError","message":"No authorization information found for admin@acme.example.","exitCode":2,"status":2}`
		}, true},
	} {
		conn, err = f.store.Add(ctx, f.grant(f.admin, oauth.Production), keychain.AddOptions{ClientSecret: f.app.ClientSecret, SharedWithSF: true})
		if err != nil || !conn.SharedWithSF {
			t.Fatalf("Add(SharedWithSF) = %+v, %v", conn, err)
		}
		if tc.sf != nil {
			var tok string
			f.store.ShareWithSF(ctx, conn.Alias, func(_ keychain.Connection, c keychain.Credentials) error { tok = c.RefreshToken; return nil })
			f.engine.SF = fakeSF(t, tc.sf(tok))
		}
		f.sf.ResetRequests()
		r, err := f.store.Remove(ctx, conn.Alias)
		if err != nil || r.Revoked != tc.revoked || r.SharedWithSF == tc.revoked || r.RevokeErr != nil {
			t.Fatalf("%s: Remove = %+v, %v; want revoked %v", tc.name, r, err, tc.revoked)
		}
		if n := f.requests("/services/oauth2/revoke"); (n == 1) != tc.revoked {
			t.Errorf("%s: %d revocations, want revoked %v", tc.name, n, tc.revoked)
		}
	}
	f.engine.SF = &sfcli.CLI{Env: []string{"PATH=" + t.TempDir()}}

	// A shared grant the keychain would not take stays valid for sf.
	g := shared()
	block := make(chan struct{})
	defer close(block)
	kr.block = block
	s := f.open(func(o keychain.Options) keychain.Options { o.KeyringTimeout = 100 * time.Millisecond; return o }(f.opts))
	f.sf.ResetRequests()
	_, err = s.Add(ctx, g, keychain.AddOptions{})
	wantCode(t, err, keychain.KeychainTimeout)
	if n := f.requests("/services/oauth2/revoke"); n != 0 {
		t.Errorf("%d revocations of a shared grant kept nowhere, want 0", n)
	}
}

// A refresh that rotates a shared token signs sf out: the token is
// MeshMesh's alone from then on.
func TestRotationEndsSharing(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.app.RotateRefreshTokens = true
	g := f.grant(f.admin, oauth.Production)
	g.SharedWithSF = true
	if _, err := f.store.Add(ctx, g, keychain.AddOptions{ClientSecret: f.app.ClientSecret}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.Token(ctx, "acme-corp", true); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.store.Find(ctx, "acme-corp"); c.SharedWithSF {
		t.Error("still shared with sf after a rotation killed sf's copy")
	}
}

func TestShareWithSF(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	conn := f.connect(f.admin, oauth.Production, "acme")
	var cred keychain.Credentials
	got, err := f.store.ShareWithSF(ctx, "acme", func(c keychain.Connection, cr keychain.Credentials) error {
		if c.Username != conn.Username {
			t.Errorf("give got %s", c.Username)
		}
		cred = cr
		return nil
	})
	if err != nil || !got.SharedWithSF || cred.RefreshToken == "" || cred.ClientSecret != f.app.ClientSecret {
		t.Fatalf("ShareWithSF = %+v, %v (credentials given: %v)", got, err, cred != (keychain.Credentials{}))
	}
	if c, _ := f.store.Find(ctx, "acme"); !c.SharedWithSF {
		t.Error("the index does not say the token is shared")
	}
	if _, err := f.engine.Refresh(ctx, conn.LoginURL, oauth.App{ClientID: conn.ClientID, ClientSecret: cred.ClientSecret}, cred.RefreshToken); err != nil {
		t.Errorf("the shared refresh token does not work: %v", err)
	}

	// Nothing given, nothing marked.
	f.connect(f.dev, oauth.Production, "dev")
	refused := errors.New("not now")
	if _, err := f.store.ShareWithSF(ctx, "dev", func(keychain.Connection, keychain.Credentials) error { return refused }); !errors.Is(err, refused) {
		t.Errorf("ShareWithSF with a failing give = %v", err)
	}
	if c, _ := f.store.Find(ctx, "dev"); c.SharedWithSF {
		t.Error("marked shared though nothing was given")
	}
	_, err = f.store.ShareWithSF(ctx, "globex", func(keychain.Connection, keychain.Credentials) error { return nil })
	wantCode(t, err, keychain.OrgNotFound)
}

func TestAddFromSF(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	fromSF := func(u *sftest.User, aliases ...string) oauth.SFImport {
		env := oauth.Production
		if u.Org.Sandbox {
			env = oauth.Sandbox
		}
		g := f.grant(u, env)
		g.SharedWithSF = true
		return oauth.SFImport{Org: sfcli.Org{Username: u.Username, Alias: "meshmesh-production"}, Aliases: aliases, Grant: g, ClientSecret: f.app.ClientSecret}
	}
	// sf's alias of the user's, not Quick Connect's; the app's secret kept
	// for the refreshes.
	conn, outcome, err := f.store.AddFromSF(ctx, fromSF(f.admin, "prod", "meshmesh-production"))
	if err != nil || outcome != keychain.SFImported || conn.Alias != "prod" || !conn.SharedWithSF {
		t.Fatalf("AddFromSF = %+v, %s, %v; want imported as prod, shared", conn, outcome, err)
	}
	if _, err := f.store.Token(ctx, "prod", true); err != nil {
		t.Errorf("refresh after the import: %v", err)
	}
	// Again: updated, alias kept.
	if conn, outcome, err = f.store.AddFromSF(ctx, fromSF(f.admin, "other")); err != nil || outcome != keychain.SFUpdated || conn.Alias != "prod" {
		t.Errorf("AddFromSF again = %+v, %s, %v; want prod updated", conn, outcome, err)
	}
	// Only Quick Connect's alias, or one taken: made from the org name.
	if conn, _, err = f.store.AddFromSF(ctx, fromSF(f.dev, "prod", "meshmesh-production")); err != nil || conn.Alias == "prod" || strings.HasPrefix(conn.Alias, "meshmesh-") {
		t.Errorf("AddFromSF(dev) = %+v, %v; want an alias of its own", conn, err)
	}
	// A connection of MeshMesh's own with another app is left alone.
	f.connect(f.tester, oauth.Sandbox, "uat")
	im := fromSF(f.tester)
	im.Grant.Org.ClientID = "PlatformCLI"
	if conn, outcome, err = f.store.AddFromSF(ctx, im); err != nil || outcome != keychain.SFKept || conn.Alias != "uat" || conn.SharedWithSF {
		t.Errorf("AddFromSF over a custom app's connection = %+v, %s, %v; want it kept", conn, outcome, err)
	}
	// A token the adoption's refresh rotated is sf's no longer.
	rotated := fromSF(f.dev)
	rotated.Grant.SharedWithSF = false
	if conn, _, err = f.store.AddFromSF(ctx, rotated); err != nil || conn.SharedWithSF {
		t.Errorf("AddFromSF of a rotated token = %+v, %v; want it not shared", conn, err)
	}
	// A failed import is its error.
	failed := oauth.SFImport{Err: errors.New("boom")}
	if _, _, err := f.store.AddFromSF(ctx, failed); err == nil {
		t.Error("AddFromSF of a failed import: no error")
	}
}

// fakeSF is a Salesforce CLI that prints out for any command (JSON on
// stdout, its status from "status").
func fakeSF(t *testing.T, out string) *sfcli.CLI {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("a shell script stands in for sf")
	}
	var v struct{ Status int }
	json.Unmarshal([]byte(out), &v)
	p := filepath.Join(t.TempDir(), "sf")
	script := fmt.Sprintf("#!/bin/sh\ncat <<'EOF'\n%s\nEOF\nexit %d\n", out, v.Status)
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return &sfcli.CLI{Path: p}
}
