package tray

// In-process tests of the tray's logic: the event loop, the flows and the
// menu it asks for, with a fake system tray and notifier, against the demo
// world (package demo: a fake Salesforce with three orgs, one revoked) and
// a keyring in memory. tray_test.go at the module's root tests the real
// thing over D-Bus.

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/icons"
	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/keychain/keychaintest"
	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/oauth/sfcli"
	"github.com/meshmesh/meshmesh/oauth/sfcli/sfclitest"
	"github.com/meshmesh/meshmesh/oauth/sftest"
	"github.com/meshmesh/meshmesh/tray/demo"
	"github.com/meshmesh/meshmesh/tray/notify"
	"github.com/meshmesh/meshmesh/tray/page"
)

func TestMain(m *testing.M) {
	sftest.RunBrowserFromEnv() // the browser the flows launch
	os.Exit(m.Run())
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
func (u *fakeUI) heal()                {}

// labels returns the top menu's labels.
func (u *fakeUI) labels() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []string
	for _, it := range u.menu {
		if !it.separator && !it.hidden {
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
	kr    *keychaintest.MemoryKeyring
	ui    *fakeUI
	notes *fakeNotifier
	app   *app
	done  chan struct{}
}

// newFixture starts a tray on a new demo world; browserEnv are variables
// of the scripted browser.
func newFixture(t *testing.T, browserEnv ...string) *fixture {
	t.Helper()
	return startFixture(t, nil, browserEnv...)
}

// startFixture is newFixture with before, which changes the world before
// the tray starts.
func startFixture(t *testing.T, before func(*fixture), browserEnv ...string) *fixture {
	t.Helper()
	ctx := context.Background()
	envBin, err := exec.LookPath("env")
	if err != nil {
		t.Fatal(err)
	}
	kr := &keychaintest.MemoryKeyring{}
	w, err := demo.Start(ctx, demo.Options{
		Dir:          filepath.Join(t.TempDir(), "demo"),
		CallbackPort: sftest.CallbackPort(t),
		Browser:      strings.Join(append(append([]string{envBin, "SFTEST_BROWSER=1"}, browserEnv...), os.Args[0]), " "),
		Keyring:      kr,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(ctx) })
	f := &fixture{t: t, world: w, kr: kr, ui: &fakeUI{}, notes: &fakeNotifier{actions: make(chan string, 8)}, done: make(chan struct{})}
	if before != nil {
		before(f)
	}
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

	// Checking again (twice, so that a late notification of the first
	// would be in) finds it dead again: no second notification.
	f.click(action{kind: actCheckAll})
	f.waitFor("a first summary", func() bool { return f.count("1 of 3 connections need reconnect") == 1 })
	f.click(action{kind: actCheckAll})
	f.waitFor("a second summary", func() bool { return f.count("1 of 3 connections need reconnect") == 2 })
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

	before := len(f.notes.all())
	f.click(action{kind: actCancel})
	f.waitFor("the sign-in to end", func() bool { return !slices.Contains(f.ui.labels(), "Cancel sign-in (acme-prod)") })
	// The callback port is free again, and a cancel is no failure to tell.
	port := f.world.Engine.Settings.CallbackPort
	f.waitFor("the callback port to be free", func() bool {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			ln.Close()
		}
		return err == nil
	})
	f.click(action{kind: actCheckAll}) // a barrier: its summary comes after anything the cancel said
	f.waitNotification("connections need reconnect")
	if got := f.notes.all()[before:]; len(got) != 1 {
		t.Errorf("notifications after the cancel: %+v, want only the check's summary", got)
	}
}

func TestLockedKeychainIsNoHealth(t *testing.T) {
	f := startFixture(t, func(f *fixture) {
		f.kr.Fail(errors.New("failed to unlock correct collection '/org/freedesktop/secrets/aliases/default'"))
	})
	n := f.waitNotification("Could not check 3 connections")
	if !strings.HasPrefix(n.Body, "Your keyring is locked. ") {
		t.Errorf("body %q does not say the keyring is locked", n.Body)
	}
	f.waitFor("unchecked marks", func() bool {
		return slices.Contains(f.ui.labels(), "○ acme-prod — admin@acme.com (not checked: Your keyring is locked)")
	})
	f.click(action{kind: actCheckAll})
	f.waitNotification("3 of 3 connections could not be checked")
	if f.count("work") > 0 || f.count("Could not check") != 1 {
		t.Errorf("notifications: %+v", f.notes.all())
	}

	// Unlocked, a reconnect that works shows the org as connected again.
	f.kr.Fail(nil)
	f.click(action{kind: actReconnect, ref: "admin@acme.com"})
	f.waitNotification("Connected to Acme Corp as admin@acme.com")
	f.waitFor("acme-prod checked", func() bool { return slices.Contains(f.ui.labels(), "● acme-prod — admin@acme.com") })
}

func TestReconnectWithoutSecret(t *testing.T) {
	f := startFixture(t, func(f *fixture) {
		// Someone deleted acme-uat's keychain item, its secret with it.
		if err := f.kr.Delete(demo.Service, "admin@acme.com.uat"); err != nil {
			t.Fatal(err)
		}
	})
	f.waitNotification("acme-uat needs reconnect")
	f.click(action{kind: actReconnect, ref: "admin@acme.com.uat"})
	n := f.waitNotification("Consumer secret needed")
	if !strings.Contains(n.Body, "meshmesh reconnect acme-uat --client-secret-stdin") || len(n.Actions) != 1 || n.Actions[0].Label != "Open Connections page" {
		t.Errorf("notification %+v", n)
	}
}

func TestRetryWithSandbox(t *testing.T) {
	// A sandbox user signs in at Production with the MeshMesh app, which
	// is not installed in their org.
	f := newFixture(t, "SFTEST_USER=admin@acme.com.uat")
	f.waitFor("the menu", func() bool { return len(f.ui.labels()) > 3 })
	_, err := (*connector)(f.app).Connect(page.Request{Method: oauth.MeshMeshApp, Target: oauth.Target{Environment: oauth.Production}, Scopes: oauth.DefaultScopes})
	if err != nil {
		t.Fatal(err)
	}
	n := f.waitNotification("External client app not installed")
	i := slices.IndexFunc(n.Actions, func(a notify.Action) bool { return a.Label == "Retry with Sandbox" })
	if i < 0 {
		t.Fatalf("actions %+v lack Retry with Sandbox", n.Actions)
	}
	f.notes.actions <- n.Actions[i].Key
	// The retry signs in at the sandbox, whose install page the next
	// diagnosis offers.
	f.waitFor("the retry's diagnosis", func() bool { return f.count("External client app not installed") == 2 })
	last := f.notes.all()[len(f.notes.all())-1]
	if !slices.ContainsFunc(last.Actions, func(a notify.Action) bool {
		return a.Label == "Open install page" && strings.Contains(a.Key, f.world.SF.Sandbox.URL+"/packaging/")
	}) {
		t.Errorf("the retry's notification %+v does not offer the sandbox's install page", last)
	}
	if slices.ContainsFunc(last.Actions, func(a notify.Action) bool { return a.Label == "Retry with Sandbox" }) {
		t.Errorf("the retry in the sandbox offers to retry in the sandbox: %+v", last.Actions)
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
		{conn("acme-prod", "admin@acme.com", keychain.Connected), true, "◌ acme-prod — admin@acme.com (checking…)"},
		{conn("", "admin@acme.com", keychain.Unknown), false, "○ Acme Corp — admin@acme.com (not checked: Salesforce unreachable)"},
	}
	for _, tt := range tests {
		if got := connectionLabel(tt.c, tt.checking, nil); got != tt.want {
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
		{kind: actRetry, env: oauth.Sandbox, ref: "3"},
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

func TestBrowserThatDoesNotOpen(t *testing.T) {
	f := startFixture(t, func(f *fixture) { f.world.Engine.Settings.Browser = "false" })
	f.waitFor("the menu", func() bool { return len(f.ui.labels()) > 3 })
	f.click(action{kind: actReconnect, ref: "admin@acme.com"})
	n := f.waitNotification("The browser did not open")
	if !strings.Contains(n.Body, "acme-prod") || strings.Contains(n.Body, "http") {
		t.Errorf("body %q", n.Body)
	}
	var labels []string
	for _, a := range n.Actions {
		labels = append(labels, a.Label)
	}
	if !slices.Equal(labels, []string{"Try again", "Copy sign-in link", "Cancel sign-in"}) {
		t.Fatalf("actions %q", labels)
	}
	oldCancel := n.Actions[2].Key
	f.notes.actions <- oldCancel
	f.waitFor("the sign-in to end", func() bool { return !slices.Contains(f.ui.labels(), "Cancel sign-in (acme-prod)") })

	// The old notification's Cancel does not cancel a later sign-in.
	f.click(action{kind: actReconnect, ref: "dev@globex.com"})
	f.waitFor("the second sign-in", func() bool { return slices.Contains(f.ui.labels(), "Cancel sign-in (globex)") })
	f.waitFor("its notification", func() bool { return f.count("The browser did not open") == 2 })
	f.notes.actions <- oldCancel
	f.click(action{kind: actCheckAll}) // a barrier: applied after the old Cancel
	f.waitNotification("connections need reconnect")
	if !slices.Contains(f.ui.labels(), "Cancel sign-in (globex)") {
		t.Error("an old notification's Cancel cancelled a later sign-in")
	}
	// Its own Copy sign-in link copies the sign-in page.
	last := f.notes.all()
	for _, x := range last {
		if x.Title == "The browser did not open" && strings.Contains(x.Body, "globex") {
			f.notes.actions <- x.Actions[1].Key
		}
	}
	c := f.waitNotification("Copied the sign-in link")
	if !strings.HasPrefix(c.Body, f.world.SF.Production.URL+"/services/oauth2/authorize?") {
		t.Errorf("copied %q", c.Body)
	}
}

// probe is an event that says when the loop reached it.
type probe chan struct{}

func (p probe) apply(*app) { close(p) }

// Hidden and disabled items still fire when a host sends their click:
// the tray ignores them.
func TestHiddenAndDisabledItemsDoNothing(t *testing.T) {
	f := newFixture(t)
	f.waitFor("the menu", func() bool { return len(f.ui.labels()) > 3 })
	f.app.send(clicked{&shownItem{it: item{label: "Quit", hidden: true, do: action{kind: actQuit}}}})
	f.app.send(clicked{&shownItem{it: item{label: "Quit", disabled: true, do: action{kind: actQuit}}}})
	p := make(probe)
	f.app.send(p)
	select {
	case <-p:
	case <-f.done:
		t.Fatal("a hidden or disabled Quit quit the tray")
	}
	f.app.send(clicked{&shownItem{it: item{label: "Quit", do: action{kind: actQuit}}}})
	<-f.done // the shown one does
}

// A menu is updated in place only when every item does what it did:
// else a click could take another org's meaning.
func TestSameShape(t *testing.T) {
	var show func(items []item) []*shownItem
	show = func(items []item) []*shownItem {
		var out []*shownItem
		for _, it := range items {
			s := &shownItem{it: it}
			s.children = show(it.submenu())
			out = append(out, s)
		}
		return out
	}
	conn := func(u string, st keychain.Status) keychain.Connection {
		return keychain.Connection{Alias: u, Username: u + "@x.example", Status: st}
	}
	a := &state{title: "M", checking: map[string]bool{}, conns: []keychain.Connection{conn("a", keychain.Connected), conn("b", keychain.Connected)}}
	shown := show(a.menu())
	relabelled := &state{title: "M", checking: map[string]bool{}, conns: []keychain.Connection{conn("a", keychain.NeedsReconnect), conn("b", keychain.Connected)}}
	if !sameShape(shown, relabelled.menu()) {
		t.Error("a new status rebuilds the menu")
	}
	other := &state{title: "M", checking: map[string]bool{}, conns: []keychain.Connection{conn("a", keychain.Connected), conn("c", keychain.Connected)}}
	if sameShape(shown, other.menu()) {
		t.Error("another org in b's place updates the menu in place")
	}
	signingIn := &state{title: "M", checking: map[string]bool{}, conns: a.conns, signIn: &signIn{what: "a"}}
	if !sameShape(shown, signingIn.menu()) {
		t.Error("a sign-in rebuilds the menu")
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{5 * time.Minute: "5 minutes", time.Minute: "1 minute", 90 * time.Second: "90 seconds"} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%s) = %q, want %q", d, got, want)
		}
	}
}

// Import from Salesforce CLI: diagnosed without sf, told when sf holds
// nothing, refused while one runs.
func TestImportFromSF(t *testing.T) {
	f := startFixture(t, func(f *fixture) {
		f.world.Engine.SF = &sfcli.CLI{Env: []string{"PATH=" + t.TempDir()}}
	})
	f.waitFor("the menu", func() bool { return slices.Contains(f.ui.labels(), "Add connection") })
	f.click(action{kind: actImportSF})
	n := f.waitNotification("Salesforce CLI required")
	if !strings.HasPrefix(n.Body, "Importing reads the orgs of the Salesforce CLI (sf)") || len(n.Actions) != 0 {
		t.Errorf("notification %+v; want what importing needs, and no other method to offer", n)
	}

	f.app.send(setSF{sfclitest.New(t).CLI()})
	f.click(action{kind: actImportSF})
	f.click(action{kind: actImportSF})
	f.waitNotification("Already importing")
	f.waitNotification("Nothing to import")
}

// setSF changes the engine's sf in the loop, between flows.
type setSF struct{ cli *sfcli.CLI }

func (e setSF) apply(a *app) { a.opts.Engine.SF = e.cli }
