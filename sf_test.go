package main

import (
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/oauth/sfcli"
	"github.com/meshmesh/meshmesh/oauth/sfcli/sfclitest"
	"github.com/meshmesh/meshmesh/oauth/sftest"
)

// withSF gives the program the real Salesforce CLI, in a home folder of
// the test's: its browser is this binary, signing in as SFTEST_USER in the
// background (sf listens only once its BROWSER command has returned).
// sf's own app also accepts the test's callback port, which the program
// gives sf through an sfdx-project.json.
func (e *e2e) withSF() *sfclitest.Env {
	e.t.Helper()
	var extra []string
	if ca := e.env["SFTEST_CA"]; ca != "" {
		extra = append(extra, "NODE_EXTRA_CA_CERTS="+ca) // sf trusts the fake's https
	}
	sf := sfclitest.New(e.t, extra...)
	for _, kv := range sf.Env {
		k, v, _ := strings.Cut(kv, "=")
		if k == "HOME" || k == "PATH" || k == "NODE_EXTRA_CA_CERTS" || strings.HasPrefix(k, "SF_") {
			e.env[k] = v
		}
	}
	envBin, err := exec.LookPath("env")
	if err != nil {
		e.t.Fatal(err)
	}
	e.env["BROWSER"] = envBin + " SFTEST_BROWSER=1 SFTEST_BROWSER_DETACH=1 MESHMESH_TEST_MAIN=0 " + os.Args[0]
	e.env["MESHMESH_SF_CALLBACK_PORT"] = strconv.Itoa(e.port) // sf's own app takes 1717 only: not in tests
	e.sf.Change(func() {
		app := e.sf.CLIApp()
		app.CallbackURLs = append(app.CallbackURLs, "http://localhost:"+strconv.Itoa(e.port)+"/OauthRedirect")
	})
	return sf
}

// sfBrowser is a BROWSER for sf itself, signing user in (this binary
// as the browser, not as the program).
func sfBrowser(user *sftest.User) string {
	return sfclitest.Browser(user.Username, "MESHMESH_TEST_MAIN=0")
}

func TestQuickConnect(t *testing.T) {
	e := newE2E(t)
	e.withSF()
	for _, tc := range []struct {
		args  []string
		user  *sftest.User
		env   string
		login string
	}{
		{[]string{"--env", "production"}, e.admin, "production", e.sf.Production.URL},
		{[]string{"--env", "sandbox"}, e.tester, "sandbox", e.sf.Sandbox.URL},
		{[]string{"--domain", e.prod.Host.URL, "--alias", "acme-md"}, e.dev, "custom", e.prod.Host.URL},
	} {
		e.env["SFTEST_USER"] = tc.user.Username
		if tc.user == e.dev {
			// A standard user may use sf's app once an admin installed it
			// (the September 2025 block).
			e.sf.Change(func() { e.sf.CLIApp().InstalledIn = []*sftest.Org{e.prod} })
		}
		start := time.Now()
		r := e.ok(append([]string{"connect", "--method", "quick", "--json"}, tc.args...)...)
		t.Logf("Quick Connect %s: %s end to end", tc.env, time.Since(start).Round(time.Millisecond))
		o := decode[struct{ Org orgJSON }](t, r).Org
		if o.Username != tc.user.Username || o.Method != "quick" || o.ClientID != "PlatformCLI" || o.Environment != tc.env || o.LoginURL != tc.login || o.InstanceURL != tc.user.Org.Host.URL {
			t.Errorf("quick %v: %+v", tc.args, o)
		}
		if !strings.Contains(r.stderr, "Signing in through the Salesforce CLI") {
			t.Errorf("quick %v: stderr does not say sf signs in: %s", tc.args, r.stderr)
		}
		if _, ok := e.item(tc.user.Username); !ok {
			t.Errorf("quick %v: no keychain item", tc.args)
		}
	}
	// The connection is MeshMesh's now: its token is refreshed here, at
	// the login URL it came from, with sf's client id.
	e.sf.ResetRequests()
	e.ok("token", "acme-corp", "--refresh")
	var refreshed bool
	for _, r := range e.sf.Requests() {
		if r.Path == "/services/oauth2/token" && r.Host == e.sf.Production && r.Form.Get("grant_type") == "refresh_token" && r.Form.Get("client_id") == "PlatformCLI" {
			refreshed = true
		}
	}
	if !refreshed {
		t.Error("meshmesh token --refresh did not refresh at the production login host with PlatformCLI")
	}
	// Reconnect goes through sf again.
	e.env["SFTEST_USER"] = e.admin.Username
	if r := e.ok("reconnect", "acme-corp"); !strings.Contains(r.stdout, "Connected to Acme Corp as "+e.admin.Username) {
		t.Errorf("reconnect: %s", r.stdout)
	}
	// Remove leaves the token valid: sf signed in with it too.
	e.sf.ResetRequests()
	r := e.ok("remove", "acme-corp")
	if !strings.Contains(r.stderr, "the Salesforce CLI shares it") {
		t.Errorf("remove does not say sf keeps the org: %s", r.stderr)
	}
	for _, q := range e.sf.Requests() {
		if q.Path == "/services/oauth2/revoke" {
			t.Error("remove revoked a token the Salesforce CLI holds")
		}
	}
}

func TestQuickConnectFailures(t *testing.T) {
	e := newE2E(t)
	e.withSF()
	for _, tc := range []struct {
		name   string
		setup  func() func()
		args   []string
		status int
		code   string
	}{
		{"access denied", func() func() {
			e.env["SFTEST_DENY"] = "1"
			return func() { delete(e.env, "SFTEST_DENY") }
		}, nil, 1, "access_denied"},
		{"app not installed, user may not approve it", func() func() {
			e.env["SFTEST_USER"] = e.dev.Username
			return func() { e.env["SFTEST_USER"] = e.admin.Username }
		}, nil, 1, "app_not_approved"},
		{"callback port busy", func() func() {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(e.port))
			if err != nil {
				t.Fatal(err)
			}
			return func() { ln.Close() }
		}, nil, 1, "port_in_use"},
		{"nobody signs in", func() func() {
			e.env["BROWSER"] = "true"
			return func() {}
		}, []string{"--timeout", "2s"}, 1, "login_timeout"},
		{"no browser flag", nil, []string{"--no-browser"}, 2, "usage"},
		{"scopes flag", nil, []string{"--scopes", "api web"}, 2, "usage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				defer tc.setup()()
			}
			r := e.run(append([]string{"connect", "--method", "quick", "--json"}, tc.args...)...)
			got := decode[errorJSON](t, r)
			if r.status != tc.status || got.Error.Code != tc.code || got.Error.Advice == "" {
				t.Errorf("status %d, error %+v; want %d and %s", r.status, got.Error, tc.status, tc.code)
			}
		})
	}
	if conns := e.list(); len(conns) != 0 {
		t.Errorf("failed Quick Connects left %d connections", len(conns))
	}
}

type importJSON struct {
	Imported []orgJSON `json:"imported"`
	Updated  []orgJSON `json:"updated"`
	Failed   []struct {
		Username string `json:"username"`
		Error    struct {
			Code string `json:"code"`
		} `json:"error"`
	} `json:"failed"`
}

func TestImportSF(t *testing.T) {
	e := newE2E(t)
	sf := e.withSF()
	// The user signed two orgs in with sf itself.
	sf.Login(t, sfcli.LoginRequest{InstanceURL: e.sf.Production.URL, Alias: "acme", Port: e.port, Timeout: time.Minute, Browser: sfBrowser(e.admin)})
	sf.Login(t, sfcli.LoginRequest{InstanceURL: e.sf.Sandbox.URL, Alias: "acme-uat", Port: e.port, Timeout: time.Minute, Browser: sfBrowser(e.tester)})
	e.env["BROWSER"] = "false" // no browser: an import opens none

	rep := decode[importJSON](t, e.ok("import-sf", "--json"))
	if len(rep.Imported) != 2 || len(rep.Updated) != 0 || len(rep.Failed) != 0 {
		t.Fatalf("import-sf: %+v", rep)
	}
	byAlias := map[string]orgJSON{}
	for _, o := range e.list() {
		byAlias[o.Alias] = o
	}
	if p, s := byAlias["acme"], byAlias["acme-uat"]; p.Username != e.admin.Username || p.Environment != "production" || p.Method != "quick" ||
		s.Username != e.tester.Username || s.Environment != "sandbox" || s.LoginURL != e.sf.Sandbox.URL || len(byAlias) != 2 {
		t.Errorf("after import-sf, list = %+v", byAlias)
	}
	e.ok("token", "acme-uat", "--refresh")

	// Again, by name: updated, not duplicated.
	r := e.ok("import-sf", "acme-uat")
	if !strings.Contains(r.stdout, "Updated acme-uat") {
		t.Errorf("import-sf acme-uat again: %s", r.stdout)
	}
	if n := len(e.list()); n != 2 {
		t.Errorf("%d connections after importing again, want 2", n)
	}

	// A name sf does not know fails alone (exit 1); the others import.
	r = e.run("import-sf", "acme", "globex", "--json")
	rep = decode[importJSON](t, r)
	if r.status != 1 || len(rep.Updated) != 1 || len(rep.Failed) != 1 || rep.Failed[0].Username != "globex" || rep.Failed[0].Error.Code != "sf_org_not_found" {
		t.Errorf("import-sf acme globex: status %d, %+v", r.status, rep)
	}
	if r = e.run("import-sf", "globex"); !strings.Contains(r.stderr, "it holds acme ("+e.admin.Username+")") {
		t.Errorf("import-sf globex does not name the orgs sf holds: %s", r.stderr)
	}

	// A token revoked since: that org fails (exit 1), the other updates.
	e.sf.RevokeRefreshTokens(e.tester)
	r = e.run("import-sf", "--json")
	rep = decode[importJSON](t, r)
	if r.status != 1 || len(rep.Updated) != 1 || len(rep.Failed) != 1 || rep.Failed[0].Username != e.tester.Username || rep.Failed[0].Error.Code != "refresh_token_expired" {
		t.Errorf("import-sf with a revoked token: status %d, %+v", r.status, rep)
	}
}

// export-sf hands a connection to sf: sf signs in with it (over https,
// as sf always does) and can use the org.
func TestExportSF(t *testing.T) {
	e := newE2EWith(t, []sftest.Option{sftest.WithTLS()})
	sf := e.withSF()
	if r := e.connectCustom("--alias", "acme"); r.status != 0 {
		t.Fatalf("connect: %s", r.stderr)
	}
	r := e.ok("export-sf", "acme")
	line := strings.TrimSpace(r.stdout)
	u, err := sfcli.ParseAuthURL(line)
	if err != nil || u.ClientID != e.app.ClientID || u.ClientSecret != e.app.ClientSecret || "https://"+u.Host != e.prod.Host.URL {
		t.Fatalf("export-sf printed %q (%v); want force://<app>:<secret>:<token>@%s", line, err, e.prod.Host.URL)
	}
	if strings.Contains(r.stderr, u.RefreshToken) {
		t.Error("the refresh token went to stderr")
	}

	out := sf.Run(t, line+"\n", "org", "login", "sfdx-url", "--alias", "back", "--json", "--sfdx-url-stdin")
	if !strings.Contains(out, e.admin.Username) {
		t.Fatalf("sf org login sfdx-url: %s", out)
	}
	if st := sfStatus(t, sf, "back"); st != "Connected" {
		t.Errorf("sf org display after the import: connectedStatus %q", st)
	}

	// MeshMesh now knows sf holds the token: removing leaves it valid.
	if o := e.list(); len(o) != 1 || !o[0].SharedWithSF {
		t.Errorf("after export-sf, list = %+v; want shared_with_sf", o)
	}
	e.ok("remove", "acme")
	if st := sfStatus(t, sf, "back"); st != "Connected" {
		t.Errorf("sf org display after meshmesh remove: connectedStatus %q", st)
	}

	// And back from sf: a custom app's org, with its consumer secret.
	if r := e.ok("import-sf", "back"); !strings.Contains(r.stdout, "Imported back") {
		t.Errorf("import-sf back: %s", r.stdout)
	}
	e.ok("token", "back", "--refresh")

	// Bad input: an unknown org; one whose token Salesforce refuses.
	r = e.run("export-sf", "globex", "--json")
	if got := decode[errorJSON](t, r); r.status != 1 || got.Error.Code != "org_not_found" {
		t.Errorf("export-sf globex: status %d, %+v", r.status, got.Error)
	}
	e.env["SFTEST_USER"] = e.dev.Username
	if r := e.connectCustom("--alias", "dev"); r.status != 0 {
		t.Fatalf("connect: %s", r.stderr)
	}
	e.sf.RevokeRefreshTokens(e.dev)
	e.run("token", "dev", "--refresh") // finds it dead
	r = e.run("export-sf", "dev", "--json")
	if got := decode[errorJSON](t, r); r.status != 1 || got.Error.Code != "refresh_token_expired" || strings.Contains(r.stdout, "force://") {
		t.Errorf("export-sf of a dead connection: status %d, %+v", r.status, got.Error)
	}
}

// sf reaches orgs only over https: an org at http:// (a fake) is not
// exported, and not marked shared.
func TestExportSFNeedsHTTPS(t *testing.T) {
	e := newE2E(t)
	if r := e.connectCustom("--alias", "acme"); r.status != 0 {
		t.Fatalf("connect: %s", r.stderr)
	}
	r := e.run("export-sf", "acme", "--json")
	if got := decode[errorJSON](t, r); r.status != 1 || got.Error.Code != "sf_needs_https" || strings.Contains(r.stdout, "force://") {
		t.Errorf("export-sf of an http org: status %d, %+v", r.status, got.Error)
	}
	if o := e.list(); o[0].SharedWithSF {
		t.Error("marked shared with sf though nothing was exported")
	}
}

// sfStatus is what sf org display says of org's connection.
func sfStatus(t *testing.T, sf *sfclitest.Env, org string) string {
	t.Helper()
	var out struct {
		Result struct {
			ConnectedStatus string `json:"connectedStatus"`
		} `json:"result"`
	}
	raw := sf.Run(t, "", "org", "display", "--target-org", org, "--json")
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("sf org display: %v\n%s", err, raw)
	}
	return out.Result.ConnectedStatus
}
