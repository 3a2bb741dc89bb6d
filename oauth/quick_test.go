package oauth_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/oauth/sfcli"
	"github.com/meshmesh/meshmesh/oauth/sfcli/sfclitest"
	"github.com/meshmesh/meshmesh/oauth/sftest"
)

// withSF makes w's engine run the real Salesforce CLI in a private home,
// its browser this test binary signing in as user (vars: more browser
// settings, SFTEST_DENY=1). sf's own app also accepts the world's
// callback port, which sf is told through an sfdx-project.json.
func (w *world) withSF(user *sftest.User, vars ...string) *sfclitest.Env {
	w.t.Helper()
	w.sf.Change(func() {
		app := w.sf.CLIApp()
		app.CallbackURLs = append(app.CallbackURLs, w.engine.Settings.RedirectURL())
	})
	w.engine.Settings.SFCallbackPort = w.engine.Settings.CallbackPort
	env := sfclitest.New(w.t)
	w.engine.SF = env.CLI()
	w.engine.Settings.Browser = sfBrowser(user, vars...)
	return env
}

// sfBrowser is a BROWSER command for sf that signs user in.
func sfBrowser(user *sftest.User, vars ...string) string {
	return sfclitest.Browser(user.Username, vars...)
}

func TestQuickConnectEachEnvironment(t *testing.T) {
	w := newWorld(t)
	w.withSF(w.admin)
	for _, tc := range []struct {
		target oauth.Target
		user   *sftest.User
		login  string
	}{
		{oauth.Target{Environment: oauth.Production}, w.admin, w.sf.Production.URL},
		{oauth.Target{Environment: oauth.Sandbox}, w.tester, w.sf.Sandbox.URL},
		{oauth.Target{Environment: oauth.CustomDomain, Domain: w.prod.Host.URL}, w.admin, w.prod.Host.URL},
	} {
		t.Run(string(tc.target.Environment), func(t *testing.T) {
			w.engine.Settings.Browser = sfBrowser(tc.user)
			w.sf.ResetRequests()
			g, err := w.engine.QuickConnect(context.Background(), oauth.LoginRequest{Method: oauth.QuickConnect, Target: tc.target, Timeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			o := g.Org
			if o.Username != tc.user.Username || o.OrgID != tc.user.Org.ID || o.InstanceURL != tc.user.Org.Host.URL ||
				o.LoginURL != tc.login || o.Method != oauth.QuickConnect || o.ClientID != "PlatformCLI" || o.Environment != tc.target.Environment {
				t.Errorf("org = %+v; want %s of %s at %s, login %s, quick, PlatformCLI", o, tc.user.Username, tc.user.Org.ID, tc.user.Org.Host.URL, tc.login)
			}
			if g.Token.RefreshToken == "" || g.Token.AccessToken == "" {
				t.Fatal("grant without tokens")
			}
			// sf signed in (the code exchanged by sf, at the login URL),
			// then MeshMesh refreshed sf's refresh token itself there.
			var exchanged, refreshed bool
			for _, r := range w.requests("/services/oauth2/token") {
				if r.Host.URL != tc.login || r.Form.Get("client_id") != "PlatformCLI" {
					t.Errorf("token request at %s for %s; want %s, PlatformCLI", r.Host.URL, r.Form.Get("client_id"), tc.login)
				}
				switch r.Form.Get("grant_type") {
				case "authorization_code":
					exchanged = r.Form.Get("code_verifier") != ""
				case "refresh_token":
					refreshed = r.Form.Get("refresh_token") == g.Token.RefreshToken
				}
			}
			if !exchanged || !refreshed {
				t.Errorf("exchanged with PKCE %v, refreshed by MeshMesh %v; want both", exchanged, refreshed)
			}
			// And the token goes on working for MeshMesh, at its login URL.
			if _, err := w.engine.Refresh(context.Background(), o.LoginURL, oauth.App{ClientID: o.ClientID}, g.Token.RefreshToken); err != nil {
				t.Errorf("refresh: %v", err)
			}
		})
	}
}

func TestQuickConnectFailures(t *testing.T) {
	w := newWorld(t)
	w.withSF(w.admin)
	for _, tc := range []struct {
		name    string
		browser string
		timeout time.Duration
		busy    bool
		code    oauth.Code
		advice  string
	}{
		{name: "access denied", browser: sfBrowser(w.admin, "SFTEST_DENY=1"), code: oauth.AccessDenied, advice: "click Allow"},
		// September 2025: sf's own app is not installed in the org, and
		// the user may not approve uninstalled apps.
		{name: "uninstalled app", browser: sfBrowser(w.dev), code: oauth.AppNotApproved, advice: "Approve Uninstalled Connected Apps"},
		{name: "port in use", browser: sfBrowser(w.admin), busy: true, code: oauth.PortInUse, advice: "another sign-in"},
		{name: "nobody signs in", browser: "true", timeout: 2 * time.Second, code: oauth.LoginTimeout, advice: "Waited 2s"},
		{name: "browser fails", browser: "false", code: oauth.BrowserFailed, advice: "Set a default web browser"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.engine.Settings.Browser = tc.browser
			if tc.busy {
				ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(w.engine.Settings.CallbackPort))
				if err != nil {
					t.Fatal(err)
				}
				defer ln.Close()
			}
			if tc.timeout == 0 {
				tc.timeout = time.Minute
			}
			w.sf.ResetRequests()
			_, err := w.engine.QuickConnect(context.Background(), oauth.LoginRequest{Method: oauth.QuickConnect, Target: oauth.Target{Environment: oauth.Production}, Timeout: tc.timeout})
			d := wantDiagnosis(t, err, tc.code)
			if !strings.Contains(d.Advice, tc.advice) {
				t.Errorf("advice %q does not say %q", d.Advice, tc.advice)
			}
			if tc.busy && len(w.sf.Requests()) > 0 {
				t.Errorf("sf ran though the port was taken: %d requests", len(w.sf.Requests()))
			}
		})
	}
}

// fakeSF writes a stand-in for sf that prints out for --version.
func fakeSF(t *testing.T, script string) *sfcli.CLI {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("a shell script stands in for sf")
	}
	p := filepath.Join(t.TempDir(), "sf")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return &sfcli.CLI{Path: p}
}

// Quick Connect checks sf before anyone signs in for nothing.
func TestQuickConnectChecksSF(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		name   string
		sf     *sfcli.CLI
		code   oauth.Code
		advice string
	}{
		{"not on PATH", &sfcli.CLI{Env: []string{"PATH=" + t.TempDir()}}, oauth.SFCLIRequired, "npm install --global @salesforce/cli"},
		{"too old", fakeSF(t, `echo "@salesforce/cli/2.100.0 linux-x64 node-v22.23.5"`), oauth.SFCLIOutdated, "This sf is 2.100.0, older than 2.136.8"},
		{"node too old", fakeSF(t, `echo "@salesforce/cli/2.150.6 linux-x64 node-v20.20.2"`), oauth.NodeUnsupported, "Node.js 20.20.2 here; it needs 22.19.0"},
		{"node 22 too old for undici", fakeSF(t, `echo "@salesforce/cli/2.150.6 linux-x64 node-v22.14.0"`), oauth.NodeUnsupported, "Node.js 22.14.0 here; it needs 22.19.0"},
		{"node missing", fakeSF(t, `echo "/usr/bin/env: 'node': No such file or directory" >&2; exit 127`), oauth.NodeUnsupported, "not on PATH"},
		{"sf hangs", fakeSF(t, `sleep 30`), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w.engine.SF = tc.sf
			ctx := context.Background()
			if tc.code == "" {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 300*time.Millisecond)
				defer cancel()
			}
			_, err := w.engine.QuickConnect(ctx, oauth.LoginRequest{Method: oauth.QuickConnect, Target: oauth.Target{Environment: oauth.Production}})
			if tc.code == "" {
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("err = %v; want the caller's deadline", err)
				}
				return
			}
			d := wantDiagnosis(t, err, tc.code)
			if !strings.Contains(d.Advice, tc.advice) {
				t.Errorf("advice %q does not say %q", d.Advice, tc.advice)
			}
			if len(d.Fixes) == 0 || d.Fixes[0].Kind != oauth.FixUseMethod {
				t.Errorf("fixes = %+v; want another method", d.Fixes)
			}
		})
	}
}

func TestImportSF(t *testing.T) {
	w := newWorld(t)
	env := w.withSF(w.admin)
	ctx := context.Background()
	// Two orgs the user signed in to with sf itself.
	port := w.engine.Settings.CallbackPort
	env.Login(t, sfcli.LoginRequest{InstanceURL: w.sf.Production.URL, Alias: "acme", Port: port, Timeout: time.Minute, Browser: sfBrowser(w.admin)})
	// A Quick Connect of the same user gave it MeshMesh's alias too; sf
	// org list shows only one of the two.
	env.Run(t, "", "alias", "set", "meshmesh-production="+w.admin.Username, "--json")
	env.Login(t, sfcli.LoginRequest{InstanceURL: w.sf.Sandbox.URL, Alias: "acme-uat", Port: port, Timeout: time.Minute, Browser: sfBrowser(w.tester)})

	all, err := w.engine.ImportSF(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]oauth.Org{}
	for _, im := range all {
		if im.Err != nil {
			t.Fatalf("%s: %v", im.Org.Username, im.Err)
		}
		got[im.Grant.Org.Username] = im.Grant.Org
	}
	if p, s := got[w.admin.Username], got[w.tester.Username]; len(got) != 2 ||
		p.Environment != oauth.Production || p.LoginURL != w.sf.Production.URL || p.Method != oauth.QuickConnect ||
		s.Environment != oauth.Sandbox || s.LoginURL != w.sf.Sandbox.URL || s.OrgID != w.uat.ID || s.InstanceURL != w.uat.Host.URL {
		t.Errorf("imported %+v", got)
	}

	one, err := w.engine.ImportSF(ctx, "acme-uat", w.tester.Username)
	if err != nil || len(one) != 1 || one[0].Grant == nil || one[0].Grant.Org.Username != w.tester.Username {
		t.Fatalf("ImportSF(acme-uat) = %+v, %v; want the sandbox org once", one, err)
	}
	// By each of its aliases, the user's first.
	for _, alias := range []string{"acme", "meshmesh-production"} {
		one, err = w.engine.ImportSF(ctx, alias)
		if err != nil || len(one) != 1 || one[0].Org.Username != w.admin.Username || fmt.Sprint(one[0].Aliases) != "[acme meshmesh-production]" || !one[0].Grant.SharedWithSF {
			t.Fatalf("ImportSF(%s) = %+v, %v; want the production org, aliases acme then meshmesh-production, shared", alias, one, err)
		}
	}

	// By org id; a name sf does not know is that name's failure only.
	two, err := w.engine.ImportSF(ctx, w.uat.ID[:15], "globex")
	var unknown *oauth.UnknownSFOrgError
	if err != nil || len(two) != 2 || two[0].Grant == nil || two[0].Org.Username != w.tester.Username ||
		!errors.As(two[1].Err, &unknown) || fmt.Sprint(unknown.Refs) != "[globex]" || !strings.Contains(unknown.Error(), "acme ("+w.admin.Username+")") {
		t.Fatalf("ImportSF(<uat's org id>, globex) = %+v, %v; want the sandbox imported, globex failed naming the orgs sf holds", two, err)
	}
	wantDiagnosis(t, two[1].Err, oauth.SFOrgNotFound)

	// A token revoked since sf signed in: that org fails, the other
	// imports.
	w.sf.RevokeRefreshTokens(w.tester)
	all, err = w.engine.ImportSF(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range all {
		switch im.Org.Username {
		case w.admin.Username:
			if im.Err != nil {
				t.Errorf("%s: %v", im.Org.Username, im.Err)
			}
		case w.tester.Username:
			wantDiagnosis(t, im.Err, oauth.RefreshTokenExpired)
		}
	}
}

// Cancelling a Quick Connect (Ctrl-C, the tray's Cancel sign-in) stops sf
// at once and frees the callback port.
func TestQuickConnectCancelled(t *testing.T) {
	w := newWorld(t)
	w.withSF(w.admin)
	w.engine.Settings.Browser = "true" // nobody signs in
	ctx, cancel := context.WithCancel(context.Background())
	port := strconv.Itoa(w.engine.Settings.CallbackPort)
	// Cancel once sf listens on the port.
	go func() {
		for ctx.Err() == nil {
			if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
				c.Close()
				cancel()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	_, err := w.engine.QuickConnect(ctx, oauth.LoginRequest{Method: oauth.QuickConnect, Target: oauth.Target{Environment: oauth.Production}, Timeout: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v; want context.Canceled", err)
	}
	var d *oauth.Diagnosis
	if errors.As(err, &d) {
		t.Errorf("a cancel is no failure to diagnose: %+v", d)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatalf("the callback port is still held after the cancel: %v", err)
	}
	ln.Close()
}

// A running tray checks each sf once: sf --version is a second of its
// start. Another sf file (updated) is checked again.
func TestQuickConnectChecksEachSFOnce(t *testing.T) {
	w := newWorld(t)
	count := filepath.Join(t.TempDir(), "versions")
	sf := fakeSF(t, `if [ "$1" = --version ]; then echo x >> `+count+`; echo "@salesforce/cli/2.150.6 linux-x64 node-v22.23.5"; exit 0; fi
echo '{"name":"AuthTimeoutError","message":"The authentication session timed out. Please try again.","exitCode":1,"status":1}'; exit 1`)
	w.engine.SF = sf
	req := oauth.LoginRequest{Method: oauth.QuickConnect, Target: oauth.Target{Environment: oauth.Production}}
	checks := func() int {
		b, _ := os.ReadFile(count)
		return strings.Count(string(b), "x")
	}
	for range 2 {
		_, err := w.engine.QuickConnect(context.Background(), req)
		wantDiagnosis(t, err, oauth.LoginTimeout)
	}
	if n := checks(); n != 1 {
		t.Errorf("sf --version ran %d times for two Quick Connects with the same sf, want 1", n)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(sf.Path, later, later); err != nil {
		t.Fatal(err)
	}
	_, err := w.engine.QuickConnect(context.Background(), req)
	wantDiagnosis(t, err, oauth.LoginTimeout)
	if n := checks(); n != 2 {
		t.Errorf("sf --version ran %d times after sf changed, want 2", n)
	}
}
