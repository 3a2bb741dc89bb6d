//go:build linux

package main

// End-to-end tests of the tray: the program runs as `meshmesh` in a
// private desktop session (a D-Bus bus with a StatusNotifierWatcher, a
// recording notification server and an unlocked gnome-keyring) against the
// fake Salesforce, and is read and clicked over dbusmenu like a panel does.

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/meshmesh/meshmesh/keychain/keychaintest"
	"github.com/meshmesh/meshmesh/oauth/sfcli"
	"github.com/meshmesh/meshmesh/tray/traytest"
)

// trayRun is a running tray program.
type trayRun struct {
	e      *e2e
	cmd    *exec.Cmd
	tray   *traytest.Tray
	stderr *bytes.Buffer
	exited chan error
}

// startTray starts `meshmesh args…` and waits for its tray on the bus.
func (e *e2e) startTray(s *traytest.Session, args ...string) *trayRun {
	e.t.Helper()
	gorace, checkRaces := traytest.RaceLog(e.t)
	e.env["GORACE"] = gorace
	cmd := e.command(context.Background(), args...)
	r := &trayRun{e: e, cmd: cmd, stderr: &bytes.Buffer{}, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = r.stderr, r.stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { r.exited <- cmd.Wait() }()
	e.t.Cleanup(func() {
		select {
		case <-r.exited:
		default:
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-r.exited:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-r.exited
			}
		}
		checkRaces()
		if e.t.Failed() {
			e.t.Logf("tray output:\n%s", r.stderr)
		}
	})
	r.tray = s.Tray(e.t, cmd.Process.Pid)
	return r
}

// wait waits for the program to exit and returns its status.
func (r *trayRun) wait() int {
	r.e.t.Helper()
	select {
	case err := <-r.exited:
		r.exited <- err
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			r.e.t.Fatal(err)
		}
		return 0
	case <-time.After(20 * time.Second):
		r.e.t.Fatalf("the tray did not exit\n%s", r.stderr)
		return -1
	}
}

// browserLog is what the scripted browser opened, one JSON line a page.
type browserVisit struct {
	Opened string `json:"opened"`
	URL    string `json:"url"`
	Status int    `json:"status"`
	Error  string `json:"error"`
}

func (e *e2e) visits() []browserVisit {
	e.t.Helper()
	data, err := os.ReadFile(e.env["SFTEST_BROWSER_LOG"])
	if err != nil && !os.IsNotExist(err) {
		e.t.Fatal(err)
	}
	var out []browserVisit
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if line == "" {
			continue
		}
		var v browserVisit
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			e.t.Fatalf("browser log line %q: %v", line, err)
		}
		out = append(out, v)
	}
	return out
}

// waitVisit waits for the browser to have opened a page matching match.
func (e *e2e) waitVisit(match func(browserVisit) bool) browserVisit {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, v := range e.visits() {
			if match(v) {
				return v
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the browser opened no such page; it opened %+v", e.visits())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func titled(title string) func(traytest.Notification) bool {
	return func(n traytest.Notification) bool { return strings.Contains(n.Summary, title) }
}

func hasItem(path ...string) func(traytest.Item) bool {
	return func(m traytest.Item) bool { _, ok := m.Find(path...); return ok }
}

func TestTray(t *testing.T) {
	s := traytest.New(t)
	e := newE2EIn(t, s.Session)
	e.env["SFTEST_BROWSER_LOG"] = filepath.Join(e.root, "browser.jsonl")
	decode[map[string]any](t, e.connectCustom("--alias", "acme"))
	e.env["SFTEST_USER"] = e.tester.Username
	decode[map[string]any](t, e.connectCustom("--env", "sandbox", "--alias", "uat"))
	// The browser signs in as the login hint of a reconnect from now on.
	e.env["SFTEST_USER"] = ""
	e.env["PATH"] = pathWithout(t, "sf") // Quick Connect fails, diagnosed

	r := e.startTray(s)
	tr := r.tray
	// The check at start ends with both connected.
	menu := tr.WaitMenu(t, func(m traytest.Item) bool {
		return hasItem("● uat — admin@acme.example.uat")(m) && hasItem("● acme — admin@acme.example")(m)
	})
	// The tooltip sums the state up (set again in the first seconds: see
	// systrayUI.heal).
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		p := tr.Props(t)
		if p.Title == "MeshMesh" && p.ToolTip == "MeshMesh — 2 orgs" && len(p.Icons) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("props = %+v", p)
		}
	}
	for _, path := range [][]string{
		{"MeshMesh — 2 orgs"},
		{"● acme — admin@acme.example", "Open in browser"},
		{"● acme — admin@acme.example", "Copy instance URL"},
		{"● uat — admin@acme.example.uat", "Remove"},
		{"Add connection", "Quick Connect (Production)"},
		{"Add connection", "Quick Connect (Sandbox)"},
		{"Add connection", "Import from Salesforce CLI"},
		{"Add connection", "Connections page…"},
		{"Install MeshMesh package", "Custom domain…"},
		{"Check all connections"},
		{"Start at login"},
		{"Quit"},
	} {
		if _, ok := menu.Find(path...); !ok {
			t.Errorf("no item %q in\n%s", path, menu)
		}
	}
	if h, _ := menu.Find("MeshMesh — 2 orgs"); !h.Enabled {
		t.Error("the header is disabled: it opens the Orgs page")
	}

	t.Run("Connections page opens in the browser", func(t *testing.T) {
		tr.Click(t, "Add connection", "Connections page…")
		v := e.waitVisit(func(v browserVisit) bool { return strings.HasPrefix(v.URL, "http://127.0.0.1:") && v.Status == 200 })
		if strings.Contains(v.Opened, "token=") {
			t.Errorf("the browser's argument carries the page's token: %s", v.Opened)
		}
	})

	t.Run("Reconnect ends in a success notification", func(t *testing.T) {
		tr.Click(t, "● uat", "Reconnect")
		s.WaitNotification(t, titled("Connected to Acme UAT as admin@acme.example.uat"))
	})

	t.Run("Check all marks a revoked org, whose notification reconnects", func(t *testing.T) {
		e.sf.RevokeRefreshTokens(e.admin)
		tr.Click(t, "Check all connections")
		tr.WaitMenu(t, hasItem("⚠ acme — needs reconnect"))
		n := s.WaitNotification(t, titled("acme needs reconnect"))
		if i := slices.IndexFunc(n.Actions, func(a traytest.Action) bool { return a.Label == "Reconnect" }); i < 0 {
			t.Fatalf("no Reconnect action: %v", n)
		} else {
			s.Invoke(t, n, n.Actions[i].Key)
		}
		s.WaitNotification(t, titled("Connected to Acme Corp as admin@acme.example"))
		tr.WaitMenu(t, hasItem("● acme — admin@acme.example"))
	})

	t.Run("Install MeshMesh package opens its install page", func(t *testing.T) {
		tr.Click(t, "Install MeshMesh package", "Sandbox")
		v := e.waitVisit(func(v browserVisit) bool { return strings.Contains(v.Opened, "/packaging/installPackage.apexp") })
		if !strings.HasPrefix(v.Opened, e.sf.Sandbox.URL+"/") {
			t.Errorf("opened %s, want the sandbox's install page", v.Opened)
		}
	})

	t.Run("a diagnosed failure notifies, and its action works", func(t *testing.T) {
		// No sf on PATH: Quick Connect cannot run.
		tr.Click(t, "Add connection", "Quick Connect (Production)")
		n := s.WaitNotification(t, titled("Salesforce CLI required"))
		if !strings.HasPrefix(n.Body, "Quick Connect signs in through the Salesforce CLI (sf), which is not installed or not on PATH.") {
			t.Errorf("body %q is not the diagnosis's first sentence", n.Body)
		}
		i := slices.IndexFunc(n.Actions, func(a traytest.Action) bool { return a.Label == "Open Connections page" })
		if i < 0 || len(n.Actions) != 1 {
			t.Fatalf("actions %v, want one Open Connections page", n.Actions)
		}
		before := len(e.visits())
		s.Invoke(t, n, n.Actions[i].Key)
		e.waitVisit(func(v browserVisit) bool {
			return len(e.visits()) > before && strings.HasPrefix(e.visits()[len(e.visits())-1].URL, "http://127.0.0.1:")
		})
	})

	t.Run("CLI changes show in the menu", func(t *testing.T) {
		e.env["SFTEST_USER"] = e.dev.Username
		decode[map[string]any](t, e.connectCustom("--alias", "dev"))
		e.env["SFTEST_USER"] = ""
		start := time.Now()
		tr.WaitMenu(t, hasItem("MeshMesh — 3 orgs"))
		t.Logf("an org added by the command line showed in %s", time.Since(start).Round(10*time.Millisecond))
	})

	t.Run("Remove removes and says how to add back", func(t *testing.T) {
		tr.Click(t, "● dev", "Remove")
		n := s.WaitNotification(t, titled("Removed dev (dev@acme.example)"))
		if !strings.Contains(n.Body, "meshmesh connect --method custom --env production --client-id "+e.app.ClientID+" --alias dev") {
			t.Errorf("body %q does not say how to add it back", n.Body)
		}
		tr.WaitMenu(t, hasItem("MeshMesh — 2 orgs"))
		if orgs := e.list(); len(orgs) != 2 {
			t.Errorf("list after remove: %+v", orgs)
		}
	})

	t.Run("Start at login", func(t *testing.T) {
		entry := filepath.Join(e.root, "config", "autostart", "meshmesh.desktop")
		tr.Click(t, "Start at login")
		tr.WaitMenu(t, func(m traytest.Item) bool { it, _ := m.Find("Start at login"); return it.ToggleState == 1 })
		data, err := os.ReadFile(entry)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "tray --wait 2m") {
			t.Errorf("the autostart entry does not start the tray:\n%s", data)
		}
		tr.Click(t, "Start at login")
		tr.WaitMenu(t, func(m traytest.Item) bool { it, _ := m.Find("Start at login"); return it.ToggleState == 0 })
		if _, err := os.Stat(entry); !os.IsNotExist(err) {
			t.Errorf("the autostart entry is still there: %v", err)
		}
	})

	t.Run("a second start opens the Connections page", func(t *testing.T) {
		before := len(e.visits())
		out := e.ok()
		if !strings.Contains(out.stdout, "MeshMesh is already running") {
			t.Errorf("second start said %q", out.stdout)
		}
		e.waitVisit(func(browserVisit) bool { return len(e.visits()) > before })
	})

	t.Run("Quit exits", func(t *testing.T) {
		tr.Click(t, "Quit")
		if st := r.wait(); st != 0 {
			t.Errorf("exit status %d\n%s", st, r.stderr)
		}
	})
}

func TestTrayWithoutDesktop(t *testing.T) {
	t.Run("no session bus", func(t *testing.T) {
		e := newE2E(t, keychaintest.WithoutSecretService())
		e.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + filepath.Join(e.root, "no-bus")
		r := e.run()
		if r.status != 1 || !strings.Contains(r.stderr, "No desktop session") || !strings.Contains(r.stderr, "meshmesh help") {
			t.Errorf("status %d, stderr %q", r.status, r.stderr)
		}
	})
	t.Run("no tray host", func(t *testing.T) {
		e := newE2E(t, keychaintest.WithoutSecretService()) // a bus with no watcher
		r := e.run("tray", "--wait", "0s")
		if r.status != 1 || !strings.Contains(r.stderr, "No system tray") || !strings.Contains(r.stderr, "meshmesh help") {
			t.Errorf("status %d, stderr %q", r.status, r.stderr)
		}
	})
}

func TestDemo(t *testing.T) {
	s := traytest.New(t)
	e := newE2EIn(t, s.Session)
	e.env["SFTEST_USER"] = "" // the demo's users sign in by the login hint
	r := e.startTray(s, "demo")
	tr := r.tray
	tr.WaitMenu(t, hasItem("⚠ acme-uat — needs reconnect"))
	menu := tr.WaitMenu(t, hasItem("● globex — dev@globex.com"))
	if _, ok := menu.Find("MeshMesh Demo — 3 orgs"); !ok {
		t.Errorf("no Demo header in\n%s", menu)
	}
	s.WaitNotification(t, titled("acme-uat needs reconnect"))
	tr.Click(t, "⚠ acme-uat", "Reconnect")
	s.WaitNotification(t, titled("Connected to Acme UAT as admin@acme.com.uat"))
	tr.WaitMenu(t, hasItem("● acme-uat — admin@acme.com.uat"))

	// A second demo hands over to the first and leaves its orgs alone (a
	// fresh demo would show acme-uat revoked again).
	if out := e.ok("demo"); !strings.Contains(out.stdout, "MeshMesh is already running") {
		t.Errorf("second demo said %q", out.stdout)
	}
	if items, err := s.Items("meshmesh-demo"); err != nil || len(items) != 3 {
		t.Errorf("demo keychain items after a second start: %d, %v", len(items), err)
	}
	tr.Click(t, "Check all connections")
	s.WaitNotification(t, titled("All 3 connections work"))
	tr.Click(t, "Quit")
	if st := r.wait(); st != 0 {
		t.Errorf("exit status %d\n%s", st, r.stderr)
	}
	// The demo leaves nothing in the keychain.
	if items, err := s.Items("meshmesh-demo"); err != nil || len(items) != 0 {
		t.Errorf("demo keychain items after quit: %v, %v", items, err)
	}
}

// The Connections page of a running tray, in headless Chromium: a person
// picks the MeshMesh Connected App, names the connection and connects; the
// tray signs in through the browser and the page, the menu and a
// notification say it worked.
func TestConnectionsPageInChromium(t *testing.T) {
	s := traytest.New(t)
	e := newE2EIn(t, s.Session)
	e.withSF() // the page's Quick Connect runs the real sf
	// The browser the tray (or sf) launches: Chromium gets the Connections
	// page (through the file), the scripted browser signs in to Salesforce
	// in the background (sf listens only once its browser command exits):
	// the sandbox's admin at the sandbox, else a standard user.
	opened := filepath.Join(e.root, "opened.txt")
	script := filepath.Join(e.root, "browser.sh")
	if err := os.WriteFile(script, []byte(`#!/bin/sh
printf '%s\n' "$1" >> '`+opened+`'
case "$1" in
'`+e.sf.Sandbox.URL+`'/services/oauth2/authorize*) exec env SFTEST_BROWSER=1 SFTEST_BROWSER_DETACH=1 MESHMESH_TEST_MAIN=0 SFTEST_USER=`+e.tester.Username+` '`+os.Args[0]+`' "$1" ;;
*/services/oauth2/authorize*) exec env SFTEST_BROWSER=1 SFTEST_BROWSER_DETACH=1 MESHMESH_TEST_MAIN=0 SFTEST_USER=`+e.dev.Username+` '`+os.Args[0]+`' "$1" ;;
esac
`), 0o700); err != nil {
		t.Fatal(err)
	}
	e.env["BROWSER"] = script
	r := e.startTray(s)
	r.tray.WaitMenu(t, hasItem("MeshMesh — no orgs yet"))
	r.tray.Click(t, "Add connection", "Connections page…")
	var pageURL string
	for deadline := time.Now().Add(20 * time.Second); pageURL == ""; time.Sleep(50 * time.Millisecond) {
		data, _ := os.ReadFile(opened)
		pageURL, _, _ = strings.Cut(string(data), "\n")
		if time.Now().After(deadline) {
			t.Fatal("the tray opened no page")
		}
	}

	ctx := traytest.Chromium(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(pageURL),
		chromedp.WaitVisible(chromedp.ID("connect")),
		chromedp.Click(chromedp.ID("method-meshmesh")),
		chromedp.Click(chromedp.ID("env-production")),
		chromedp.SendKeys(chromedp.ID("alias"), "acme-dev"),
		chromedp.Click(chromedp.ID("connect-button")),
	)
	if err != nil {
		t.Fatal(err)
	}
	if result := pageStatus(t, ctx, "Connected to Acme Corp"); !strings.Contains(result, e.dev.Username) {
		t.Errorf("the result %q does not name the user", result)
	}
	s.WaitNotification(t, titled("Connected to Acme Corp as "+e.dev.Username))
	r.tray.WaitMenu(t, hasItem("● acme-dev — "+e.dev.Username))
	if orgs := e.list(); len(orgs) != 1 || orgs[0].Method != "meshmesh" || orgs[0].Alias != "acme-dev" {
		t.Errorf("list: %+v", orgs)
	}

	// Quick Connect from the page, opened again (its cookie lets it in):
	// sf signs in, the page follows.
	origin, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.origin`))
	if err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(origin+"/"),
		chromedp.WaitVisible(chromedp.ID("connect")),
		chromedp.Click(chromedp.ID("method-quick")),
		chromedp.Click(chromedp.ID("env-sandbox")),
		chromedp.SendKeys(chromedp.ID("alias"), "uat"),
		chromedp.Click(chromedp.ID("connect-button")),
	)
	if err != nil {
		t.Fatal(err)
	}
	pageStatus(t, ctx, "Connected to Acme UAT")
	r.tray.WaitMenu(t, hasItem("● uat — "+e.tester.Username))
	if orgs := e.list(); len(orgs) != 2 || orgs[1].Alias != "uat" || orgs[1].Method != "quick" {
		t.Errorf("list: %+v; want uat, a Quick Connect, second", orgs)
	}
}

// pageStatus waits for the Connections page's status to say want, and
// returns all it says.
func pageStatus(t *testing.T, ctx context.Context, want string) string {
	t.Helper()
	var status string
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(status, want); time.Sleep(100 * time.Millisecond) {
		var err error
		if status, err = chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("status").innerText`)); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the page says %q, not %q", status, want)
		}
	}
	return status
}

// pathWithout returns this process's PATH without the folders that hold
// an executable named name.
func pathWithout(t *testing.T, name string) string {
	t.Helper()
	var keep []string
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil && !fi.IsDir() {
			continue
		}
		keep = append(keep, dir)
	}
	return strings.Join(keep, string(filepath.ListSeparator))
}

// The tray's Quick Connect and import run the real Salesforce CLI.
func TestTrayQuickConnectAndImport(t *testing.T) {
	s := traytest.New(t)
	e := newE2EIn(t, s.Session)
	sf := e.withSF()
	e.env["SFTEST_USER"] = e.admin.Username
	r := e.startTray(s)
	tr := r.tray
	tr.WaitMenu(t, hasItem("MeshMesh — no orgs yet"))

	start := time.Now()
	tr.Click(t, "Add connection", "Quick Connect (Production)")
	s.WaitNotification(t, titled("Connected to Acme Corp as "+e.admin.Username))
	t.Logf("Quick Connect from the tray: %s from the click to the notification", time.Since(start).Round(time.Millisecond))
	tr.WaitMenu(t, hasItem("● acme-corp — "+e.admin.Username))
	if o := e.list(); len(o) != 1 || o[0].Method != "quick" || !o[0].SharedWithSF {
		t.Errorf("after Quick Connect, list = %+v", o)
	}

	// An org the user signed in to with sf itself.
	sf.Login(t, sfcli.LoginRequest{InstanceURL: e.sf.Sandbox.URL, Alias: "uat", Port: e.port, Timeout: time.Minute, Browser: sfBrowser(e.tester)})
	tr.Click(t, "Add connection", "Import from Salesforce CLI")
	n := s.WaitNotification(t, titled("Imported 2 orgs from the Salesforce CLI"))
	if !strings.Contains(n.Body, "New: uat.") || !strings.Contains(n.Body, "Updated: acme-corp.") {
		t.Errorf("import notification body %q", n.Body)
	}
	tr.WaitMenu(t, hasItem("● uat — "+e.tester.Username))
}
