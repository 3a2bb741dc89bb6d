package tray

// In-process tests of the tray's logic: the event loop, the flows and the
// menu it asks for, with a fake system tray and notifier, against the demo
// world (package demo: a fake Salesforce with three orgs, one revoked) and
// a keyring in memory. tray_test.go at the module's root tests the real
// thing over D-Bus.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/meshmesh/meshmesh/icons"
	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/oauth/sftest"
	"github.com/meshmesh/meshmesh/tray/demo"
	"github.com/meshmesh/meshmesh/tray/notify"
	"github.com/meshmesh/meshmesh/tray/page"
)

func TestMain(m *testing.M) {
	sftest.RunBrowserFromEnv() // the browser the flows launch
	os.Exit(m.Run())
}

// memKeyring is a keychain in memory.
type memKeyring struct {
	mu    sync.Mutex
	items map[string]string
}

func (k *memKeyring) Get(service, user string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	v, ok := k.items[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (k *memKeyring) Set(service, user, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.items[service+"/"+user] = secret
	return nil
}

func (k *memKeyring) Delete(service, user string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.items[service+"/"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(k.items, service+"/"+user)
	return nil
}

// fakeUI records what the loop shows.
type fakeUI struct {
	mu      sync.Mutex
	menu    []item
	icon    icons.Kind
	tooltip string
	quits   int
}

func (u *fakeUI) setMenu(items []item) { u.mu.Lock(); u.menu = items; u.mu.Unlock() }
func (u *fakeUI) setIcon(k icons.Kind) { u.mu.Lock(); u.icon = k; u.mu.Unlock() }
func (u *fakeUI) setTooltip(s string)  { u.mu.Lock(); u.tooltip = s; u.mu.Unlock() }
func (u *fakeUI) quit()                { u.mu.Lock(); u.quits++; u.mu.Unlock() }

// labels returns the top menu's labels.
func (u *fakeUI) labels() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []string
	for _, it := range u.menu {
		if !it.separator {
			out = append(out, it.label)
		}
	}
	return out
}

// fakeNotifier records notifications.
type fakeNotifier struct {
	mu      sync.Mutex
	sent    []notify.Notification
	actions chan string
}

func (n *fakeNotifier) Notify(ctx context.Context, msg notify.Notification) error {
	n.mu.Lock()
	n.sent = append(n.sent, msg)
	n.mu.Unlock()
	return nil
}

func (n *fakeNotifier) Actions() <-chan string { return n.actions }

func (n *fakeNotifier) all() []notify.Notification {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.sent)
}

// fixture is a tray on the demo world.
type fixture struct {
	t     *testing.T
	world *demo.World
	ui    *fakeUI
	notes *fakeNotifier
	app   *app
	done  chan struct{}
}

// newFixture starts a tray on a new demo world; browserEnv are variables
// of the scripted browser.
func newFixture(t *testing.T, browserEnv ...string) *fixture {
	t.Helper()
	ctx := context.Background()
	envBin, err := exec.LookPath("env")
	if err != nil {
		t.Fatal(err)
	}
	w, err := demo.Start(ctx, demo.Options{
		Dir:          filepath.Join(t.TempDir(), "demo"),
		CallbackPort: sftest.CallbackPort(t),
		Browser:      strings.Join(append(append([]string{envBin, "SFTEST_BROWSER=1"}, browserEnv...), os.Args[0]), " "),
		Keyring:      &memKeyring{items: map[string]string{}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(ctx) })
	f := &fixture{t: t, world: w, ui: &fakeUI{}, notes: &fakeNotifier{actions: make(chan string, 8)}, done: make(chan struct{})}
	opts := Options{Title: "MeshMesh Test", Store: w.Store, Engine: w.Engine, Notifier: f.notes,
		Clipboard: func(context.Context, string) error { return nil }, PollEvery: 50 * time.Millisecond}
	opts.setDefaults()
	f.app = newApp(ctx, opts, f.ui)
	go func() { defer close(f.done); f.app.loop() }()
	t.Cleanup(func() {
		f.app.cancel()
		<-f.done
	})
	return f
}

// doAction is a click, sent the way the tray's own clicks are.
type doAction struct{ act action }

func (e doAction) apply(a *app) { a.do(e.act) }

func (f *fixture) click(act action) { f.app.send(doAction{act}) }

// waitFor polls cond (the loop runs concurrently) until it holds.
func (f *fixture) waitFor(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %s\nmenu: %q\nnotifications: %+v", what, f.ui.labels(), f.notes.all())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitNotification waits for a notification whose title contains title.
func (f *fixture) waitNotification(title string) notify.Notification {
	f.t.Helper()
	var got notify.Notification
	f.waitFor("a notification "+title, func() bool {
		for _, n := range f.notes.all() {
			if strings.Contains(n.Title, title) {
				got = n
				return true
			}
		}
		return false
	})
	return got
}

func (f *fixture) count(title string) int {
	n := 0
	for _, x := range f.notes.all() {
		if strings.Contains(x.Title, title) {
			n++
		}
	}
	return n
}

func TestStartChecksAndTellsDeadOnce(t *testing.T) {
	f := newFixture(t)
	f.waitFor("the check at start to end", func() bool {
		return slices.Contains(f.ui.labels(), "⚠ acme-uat — needs reconnect") && slices.Contains(f.ui.labels(), "● acme-prod — admin@acme.com")
	})
	if got := f.ui.labels()[0]; got != "MeshMesh Test — 3 orgs" {
		t.Errorf("header = %q", got)
	}
	n := f.waitNotification("acme-uat needs reconnect")
	if len(n.Actions) != 1 || n.Actions[0].Label != "Reconnect" {
		t.Errorf("actions = %+v, want Reconnect", n.Actions)
	}
	f.waitFor("the attention icon", func() bool { f.ui.mu.Lock(); defer f.ui.mu.Unlock(); return f.ui.icon == icons.Attention })

	// Checking again finds it dead again: no second notification.
	f.click(action{kind: actCheckAll})
	f.waitNotification("1 of 3 connections need reconnect")
	if c := f.count("acme-uat needs reconnect"); c != 1 {
		t.Errorf("%d notifications that acme-uat needs reconnect, want 1", c)
	}
}

func TestReconnectFromNotification(t *testing.T) {
	f := newFixture(t)
	n := f.waitNotification("acme-uat needs reconnect")
	f.notes.actions <- n.Actions[0].Key
	f.waitNotification("Connected to Acme UAT as admin@acme.com.uat")
	f.waitFor("acme-uat connected", func() bool { return slices.Contains(f.ui.labels(), "● acme-uat — admin@acme.com.uat") })
	f.waitFor("the normal icon", func() bool { f.ui.mu.Lock(); defer f.ui.mu.Unlock(); return f.ui.icon == icons.Normal })
}

func TestOneSignInAtATime(t *testing.T) {
	// A browser whose user cannot sign in leaves the first sign-in waiting.
	f := newFixture(t, "SFTEST_USER=nobody@nowhere.example")
	f.waitFor("the menu", func() bool { return len(f.ui.labels()) > 3 })
	f.click(action{kind: actReconnect, ref: "admin@acme.com"})
	f.waitFor("the Cancel item", func() bool { return slices.Contains(f.ui.labels(), "Cancel sign-in (acme-prod)") })

	f.click(action{kind: actReconnect, ref: "dev@globex.com"})
	n := f.waitNotification("A sign-in is already in progress")
	if !strings.Contains(n.Body, "acme-prod") {
		t.Errorf("body %q does not name the sign-in in progress", n.Body)
	}
	_, err := (*connector)(f.app).Connect(page.Request{Method: oauth.MeshMeshApp, Target: oauth.Target{Environment: oauth.Production}, Scopes: oauth.DefaultScopes})
	if d, ok := err.(*oauth.Diagnosis); !ok || d.Title != "A sign-in is already in progress" {
		t.Errorf("page Connect during a sign-in: %v", err)
	}

	f.click(action{kind: actCancel})
	f.waitFor("the sign-in to end", func() bool { return !slices.Contains(f.ui.labels(), "Cancel sign-in (acme-prod)") })
	if c := len(f.notes.all()); f.count("Connected") > 0 {
		t.Errorf("a cancelled sign-in notified success (%d notifications)", c)
	}
}

func TestRemoveSaysHowToAddBack(t *testing.T) {
	f := newFixture(t)
	f.waitFor("the menu", func() bool { return len(f.ui.labels()) > 3 })
	f.click(action{kind: actRemove, ref: "dev@globex.com"})
	n := f.waitNotification("Removed globex")
	if !strings.Contains(n.Body, "meshmesh connect --method meshmesh --env production --alias globex") {
		t.Errorf("body %q does not say how to add it back", n.Body)
	}
	f.waitFor("globex gone", func() bool { return f.ui.labels()[0] == "MeshMesh Test — 2 orgs" })
}

func TestPageConnectReportsProgress(t *testing.T) {
	// A new connection has no login hint: the browser is told who signs in.
	f := newFixture(t, "SFTEST_USER=admin@acme.com.uat")
	f.waitFor("the menu", func() bool { return len(f.ui.labels()) > 3 })
	c := (*connector)(f.app)
	// The MeshMesh package is not installed in the sandbox.
	id, err := c.Connect(page.Request{Method: oauth.MeshMeshApp, Target: oauth.Target{Environment: oauth.Sandbox}, Scopes: oauth.DefaultScopes})
	if err != nil {
		t.Fatal(err)
	}
	var p page.Progress
	f.waitFor("the attempt to end", func() bool { p, _ = c.Progress(id); return p.Done })
	if p.Diagnosis == nil || p.Diagnosis.Code != oauth.ECANotInstalled {
		t.Fatalf("progress = %+v, want eca_not_installed", p)
	}
	n := f.waitNotification(p.Diagnosis.Title)
	var labels []string
	for _, a := range n.Actions {
		labels = append(labels, a.Label)
	}
	if !slices.Contains(labels, "Open install page") {
		t.Errorf("actions %q lack Open install page", labels)
	}
}

func TestMenuLabels(t *testing.T) {
	conn := func(alias, user string, st keychain.Status) keychain.Connection {
		return keychain.Connection{Alias: alias, Username: user, OrgName: "Acme Corp", Status: st}
	}
	tests := []struct {
		c        keychain.Connection
		checking bool
		want     string
	}{
		{conn("acme-prod", "admin@acme.com", keychain.Connected), false, "● acme-prod — admin@acme.com"},
		{conn("acme-uat", "admin@acme.com.uat", keychain.NeedsReconnect), false, "⚠ acme-uat — needs reconnect"},
		{conn("acme-prod", "admin@acme.com", keychain.Connected), true, "◌ acme-prod — checking…"},
		{conn("", "admin@acme.com", keychain.Unknown), false, "○ Acme Corp — admin@acme.com (not checked: Salesforce unreachable)"},
	}
	for _, tt := range tests {
		if got := connectionLabel(tt.c, tt.checking); got != tt.want {
			t.Errorf("connectionLabel(%s, checking %v) = %q, want %q", tt.c.Status, tt.checking, got, tt.want)
		}
	}
	for n, want := range map[int]string{0: "MeshMesh — no orgs yet", 1: "MeshMesh — 1 org", 3: "MeshMesh — 3 orgs"} {
		if got := header("MeshMesh", n, false); got != want {
			t.Errorf("header(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestActionKeys(t *testing.T) {
	for _, a := range []action{
		{kind: actReconnect, ref: "admin@acme.com"},
		{kind: actOpenURL, ref: "https://login.salesforce.com/packaging/installPackage.apexp?p0=04t"},
		{kind: actRetry, env: oauth.Sandbox},
	} {
		got, ok := parseAction(a.key())
		if !ok || got != a {
			t.Errorf("parseAction(%q) = %+v, %v; want %+v", a.key(), got, ok, a)
		}
	}
	if _, ok := parseAction("default"); ok {
		t.Error(`parseAction("default") succeeded`)
	}
}
