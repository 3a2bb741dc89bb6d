package main

// End-to-end tests of the command line: this test binary runs as the
// meshmesh program (MESHMESH_TEST_MAIN=1) and as the browser it launches
// (SFTEST_BROWSER=1), against the fake Salesforce, in a private D-Bus
// session with a real, unlocked gnome-keyring.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/keychain/keychaintest"
	"github.com/meshmesh/meshmesh/oauth/sftest"
)

func TestMain(m *testing.M) {
	sftest.RunBrowserFromEnv() // the browser the program launches
	if os.Getenv("MESHMESH_TEST_SEED") == "1" {
		os.Exit(seedKeychain()) // the keychain of many orgs (seedOrgs)
	}
	if os.Getenv("MESHMESH_TEST_MAIN") == "1" {
		main() // the program under test
	}
	os.Exit(m.Run())
}

// e2e is a fake Salesforce (a production and a sandbox org, a custom
// connected app installed in both, the MeshMesh package installed and
// enabled in production), a private desktop session, and a home folder
// for the program.
type e2e struct {
	t       testing.TB
	sf      *sftest.Server
	session *keychaintest.Session
	root    string // HOME and the XDG folders live here
	port    int    // the callback port
	prod    *sftest.Org
	uat     *sftest.Org
	admin   *sftest.User
	dev     *sftest.User
	tester  *sftest.User
	app     *sftest.App
	eca     *sftest.App
	env     map[string]string // the program's environment
	bin     string            // the program; empty: this test binary
}

func newE2E(t *testing.T, opts ...keychaintest.Option) *e2e {
	t.Helper()
	return newE2EWith(t, nil, opts...)
}

// newE2EWith is newE2E with options for the fake Salesforce.
func newE2EWith(t testing.TB, sfOpts []sftest.Option, opts ...keychaintest.Option) *e2e {
	t.Helper()
	return newE2EIn(t, keychaintest.New(t, opts...), sfOpts...)
}

// newE2EIn is newE2E in a desktop session of the test's.
func newE2EIn(t testing.TB, session *keychaintest.Session, sfOpts ...sftest.Option) *e2e {
	t.Helper()
	e := &e2e{t: t, sf: sftest.New(t, sfOpts...), session: session, root: t.TempDir(), port: sftest.CallbackPort(t)}
	e.prod = e.sf.AddOrg(sftest.Org{Name: "Acme Corp"})
	e.uat = e.sf.AddOrg(sftest.Org{Name: "Acme UAT", Sandbox: true})
	e.admin = e.sf.AddUser(sftest.User{Org: e.prod, Username: "admin@acme.example", Admin: true})
	e.dev = e.sf.AddUser(sftest.User{Org: e.prod, Username: "dev@acme.example"})
	e.tester = e.sf.AddUser(sftest.User{Org: e.uat, Username: "admin@acme.example.uat", Admin: true})
	redirect := "http://localhost:" + strconv.Itoa(e.port) + "/OauthRedirect"
	e.app = e.sf.AddApp(sftest.App{
		Kind: sftest.ConnectedApp, OwnerOrg: e.prod, CallbackURLs: []string{redirect}, RequireSecret: true,
		Scopes: []string{"api", "refresh_token", "offline_access", "web"}, InstalledIn: []*sftest.Org{e.prod, e.uat},
	})
	e.eca = e.sf.AddApp(sftest.App{
		Kind: sftest.PackagedECA, CallbackURLs: []string{redirect},
		Scopes:      []string{"api", "refresh_token", "offline_access", "web"},
		InstalledIn: []*sftest.Org{e.prod}, EnabledIn: []*sftest.Org{e.prod},
	})
	envBin, err := exec.LookPath("env")
	if err != nil {
		t.Fatal(err)
	}
	e.env = map[string]string{
		"PATH":                    os.Getenv("PATH"),
		"HOME":                    filepath.Join(e.root, "home"),
		"XDG_CONFIG_HOME":         filepath.Join(e.root, "config"),
		"XDG_STATE_HOME":          filepath.Join(e.root, "state"),
		"XDG_CACHE_HOME":          filepath.Join(e.root, "cache"),
		"MESHMESH_TEST_MAIN":      "1",
		"MESHMESH_PRODUCTION_URL": e.sf.Production.URL,
		"MESHMESH_SANDBOX_URL":    e.sf.Sandbox.URL,
		"MESHMESH_CALLBACK_PORT":  strconv.Itoa(e.port),
		"MESHMESH_ECA_CLIENT_ID":  e.eca.ClientID,
		// The browser is this binary too; it must not also be the program.
		"BROWSER":      envBin + " SFTEST_BROWSER=1 MESHMESH_TEST_MAIN=0 " + os.Args[0],
		"SFTEST_USER":  e.admin.Username,
		"GORACE":       "atexit_sleep_ms=0", // a race-built child otherwise sleeps 1 s at exit
		"GOCOVERDIR":   os.Getenv("GOCOVERDIR"),
		"LANG":         "C.UTF-8",
		"SYSTEMROOT":   os.Getenv("SYSTEMROOT"),
		"TMPDIR":       os.Getenv("TMPDIR"),
		"MESHMESH_LOG": "", // the default place, under XDG_STATE_HOME
	}
	if pem := e.sf.CertPEM(); pem != nil {
		// Salesforce over https, its CA trusted by the program (Go reads
		// SSL_CERT_FILE) and by the browser.
		ca := filepath.Join(e.root, "ca.pem")
		if err := os.WriteFile(ca, pem, 0o600); err != nil {
			t.Fatal(err)
		}
		e.env["SSL_CERT_FILE"], e.env["SFTEST_CA"] = ca, ca
	}
	for _, kv := range session.Env() {
		k, v, _ := strings.Cut(kv, "=")
		e.env[k] = v
	}
	return e
}

// result is what one run of the program did.
type result struct {
	stdout, stderr string
	status         int
}

// run runs the program with args, stdin empty.
func (e *e2e) run(args ...string) result { return e.runIn("", args...) }

func (e *e2e) runIn(stdin string, args ...string) result {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := e.command(ctx, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.status = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("meshmesh %s: %v", strings.Join(args, " "), err)
	}
	return r
}

func (e *e2e) command(ctx context.Context, args ...string) *exec.Cmd {
	bin := os.Args[0]
	if e.bin != "" {
		bin = e.bin
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	for k, v := range e.env {
		if v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	return cmd
}

// ok runs the program and fails the test unless it succeeds.
func (e *e2e) ok(args ...string) result {
	e.t.Helper()
	r := e.run(args...)
	if r.status != 0 {
		e.t.Fatalf("meshmesh %s: status %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.status, r.stdout, r.stderr)
	}
	return r
}

// decode parses the one JSON object of a --json run.
func decode[T any](t testing.TB, r result) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s\nstderr: %s", err, r.stdout, r.stderr)
	}
	if dec.More() {
		t.Fatalf("stdout has more than one JSON value:\n%s", r.stdout)
	}
	return v
}

type errorJSON struct {
	Error struct {
		Code                  string `json:"code"`
		Title                 string `json:"title"`
		Advice                string `json:"advice"`
		SalesforceError       string `json:"salesforce_error"`
		SalesforceDescription string `json:"salesforce_description"`
		Fixes                 []struct {
			Kind, Label, URL, Environment, Method string
		} `json:"fixes"`
	} `json:"error"`
}

type orgJSON struct {
	Alias       string `json:"alias"`
	Username    string `json:"username"`
	OrgID       string `json:"org_id"`
	UserID      string `json:"user_id"`
	OrgName     string `json:"org_name"`
	InstanceURL string `json:"instance_url"`
	LoginURL    string `json:"login_url"`
	Environment string `json:"environment"`
	Method      string `json:"method"`
	ClientID    string `json:"client_id"`
	Status      string `json:"status"`
	IsSandbox   bool   `json:"is_sandbox"`
	ConnectedAt string `json:"connected_at"`

	SharedWithSF bool `json:"shared_with_sf"`
}

type tokenJSON struct {
	AccessToken string `json:"access_token"`
	InstanceURL string `json:"instance_url"`
	Username    string `json:"username"`
	OrgID       string `json:"org_id"`
}

// connectCustom connects with the custom app, the secret on stdin.
func (e *e2e) connectCustom(extra ...string) result {
	e.t.Helper()
	args := append([]string{"connect", "--method", "custom", "--client-id", e.app.ClientID, "--client-secret-stdin", "--json"}, extra...)
	return e.runIn(e.app.ClientSecret+"\n", args...)
}

func (e *e2e) list() []orgJSON {
	e.t.Helper()
	return decode[struct {
		Orgs []orgJSON `json:"orgs"`
	}](e.t, e.ok("list", "--json")).Orgs
}

// item reads a connection's keychain item from outside the program.
func (e *e2e) item(username string) (map[string]any, bool) {
	e.t.Helper()
	raw, found, err := e.session.Lookup("meshmesh", username)
	if err != nil {
		e.t.Fatalf("secret-tool: %v", err)
	}
	if !found {
		return nil, false
	}
	var it map[string]any
	if err := json.Unmarshal([]byte(raw), &it); err != nil {
		e.t.Fatalf("keychain item of %s is not JSON: %v", username, err)
	}
	return it, true
}

// deleteItem deletes a connection's keychain item from outside the
// program, as a user might.
func (e *e2e) deleteItem(username string) {
	e.t.Helper()
	clear := exec.Command("secret-tool", "clear", "service", "meshmesh", "username", username)
	clear.Env = append(os.Environ(), e.session.Env()...)
	if out, err := clear.CombinedOutput(); err != nil {
		e.t.Fatalf("secret-tool clear: %v %s", err, out)
	}
}

func (e *e2e) requests(path string) []sftest.Request {
	var out []sftest.Request
	for _, r := range e.sf.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// TestConnectEachMethodAndEnvironment connects with each method in each
// environment it serves and checks what was stored where.
func TestConnectEachMethodAndEnvironment(t *testing.T) {
	e := newE2E(t)

	// Custom Connected App, Production.
	r := e.connectCustom("--env", "production")
	prod := decode[struct{ Org orgJSON }](t, r).Org
	if r.status != 0 || prod.Username != e.admin.Username || prod.OrgID != e.prod.ID || prod.UserID != e.admin.ID ||
		prod.OrgName != "Acme Corp" || prod.InstanceURL != e.prod.Host.URL || prod.LoginURL != e.sf.Production.URL ||
		prod.Environment != "production" || prod.Method != "custom" || prod.ClientID != e.app.ClientID ||
		prod.Status != "connected" || prod.IsSandbox || prod.Alias != "acme-corp" || prod.ConnectedAt == "" {
		t.Errorf("production connection %+v (status %d, stderr %s)", prod, r.status, r.stderr)
	}
	for _, want := range []string{"Sign in to Salesforce (Production, " + e.sf.Production.URL + ")", "/services/oauth2/authorize?", "Waiting up to 5m for the login to finish (press Ctrl-C to cancel)"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("connect's stderr lacks %q:\n%s", want, r.stderr)
		}
	}

	// Custom Connected App, Sandbox, with an alias.
	e.env["SFTEST_USER"] = e.tester.Username
	uat := decode[struct{ Org orgJSON }](t, e.connectCustom("--env", "sandbox", "--alias", "uat")).Org
	if uat.Alias != "uat" || !uat.IsSandbox || uat.LoginURL != e.sf.Sandbox.URL || uat.Environment != "sandbox" {
		t.Errorf("sandbox connection %+v", uat)
	}

	// Custom Connected App, custom domain (--domain implies --env custom);
	// the secret from MESHMESH_CLIENT_SECRET.
	e.env["SFTEST_USER"] = e.dev.Username
	e.env["MESHMESH_CLIENT_SECRET"] = e.app.ClientSecret
	r = e.ok("connect", "--client-id", e.app.ClientID, "--domain", e.prod.Host.URL)
	delete(e.env, "MESHMESH_CLIENT_SECRET")
	if !strings.Contains(r.stdout, "Connected to Acme Corp as dev@acme.example (alias acme-corp-2).") {
		t.Errorf("custom domain connect said %q", r.stdout)
	}

	// MeshMesh Connected App, Production.
	e.env["SFTEST_USER"] = e.admin.Username
	mm := decode[struct{ Org orgJSON }](t, e.ok("connect", "--method", "meshmesh", "--env", "production", "--json", "--alias", "acme-mm")).Org
	if mm.Method != "meshmesh" || mm.ClientID != e.eca.ClientID || mm.Alias != "acme-mm" {
		t.Errorf("MeshMesh app connection %+v", mm)
	}

	orgs := e.list()
	if len(orgs) != 3 { // the MeshMesh login replaced the admin's custom one
		t.Fatalf("list: %+v", orgs)
	}
	byUser := map[string]orgJSON{}
	for _, o := range orgs {
		byUser[o.Username] = o
	}
	if byUser[e.dev.Username].Environment != "custom" || byUser[e.dev.Username].LoginURL != e.prod.Host.URL {
		t.Errorf("custom domain connection %+v", byUser[e.dev.Username])
	}
	// Each has its keychain item: refresh token and access token; the
	// custom app's secret only for custom connections.
	for user, wantSecret := range map[string]bool{e.admin.Username: false, e.tester.Username: true, e.dev.Username: true} {
		it, ok := e.item(user)
		if !ok || it["refresh_token"] == "" || it["access_token"] == "" || it["issued_at"] == nil {
			t.Errorf("keychain item of %s: %v", user, ok)
		}
		if _, has := it["client_secret"]; has != wantSecret {
			t.Errorf("keychain item of %s has a client secret: %v, want %v", user, has, wantSecret)
		}
	}

	// The plain list is a table.
	table := e.ok("list").stdout
	for _, want := range []string{"ALIAS", "acme-mm", "uat", "acme-corp-2", "needs_reconnect"} {
		if want == "needs_reconnect" {
			if strings.Contains(table, want) {
				t.Errorf("list shows %s:\n%s", want, table)
			}
			continue
		}
		if !strings.Contains(table, want) {
			t.Errorf("list lacks %s:\n%s", want, table)
		}
	}
}

// TestDiagnosesThroughCLI produces each diagnosis a command can end in,
// from the fake's real Salesforce answers, and checks the JSON error.
func TestDiagnosesThroughCLI(t *testing.T) {
	var e *e2e // each case makes its own; the closures below use the current one
	custom := func(extra ...string) func() result {
		return func() result { return e.connectCustom(extra...) }
	}
	meshmesh := func(env string) func() result {
		return func() result { return e.run("connect", "--method", "meshmesh", "--env", env, "--json") }
	}
	for _, tt := range []struct {
		name  string
		setup func()
		run   func() result
		code  string
		sfErr string
	}{
		{"package not installed", func() { e.env["SFTEST_USER"] = e.tester.Username }, meshmesh("sandbox"), "eca_not_installed", "OAUTH_EC_APP_NOT_FOUND"},
		{"package not enabled", func() {
			e.sf.Change(func() { e.eca.InstalledIn = append(e.eca.InstalledIn, e.uat) })
			e.env["SFTEST_USER"] = e.tester.Username
		}, meshmesh("sandbox"), "cross_org", "OAUTH_AUTHORIZATION_BLOCKED"},
		{"sandbox picked, production user", nil, custom("--env", "sandbox"), "grant_type_mismatch", "unsupported_grant_type"},
		{"app without web scope", func() { e.sf.Change(func() { e.app.Scopes = []string{"api", "refresh_token"} }) }, custom(), "authorization_failed", ""},
		{"no sf on PATH", func() { e.env["PATH"] = e.root }, func() result { return e.run("connect", "--method", "quick", "--json") }, "sf_cli_required", ""},
		{"Salesforce unreachable", func() { e.env["MESHMESH_PRODUCTION_URL"] = "http://127.0.0.1:" + strconv.Itoa(sftest.CallbackPort(t)) }, custom(), "connection_timeout", ""},
		{"callback port busy", func() {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(e.port))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { ln.Close() })
		}, custom(), "port_in_use", ""},
		{"browser never comes back", func() { e.env["BROWSER"] = "true" }, custom("--timeout", "1s"), "login_timeout", ""},
		{"user clicks Deny", func() { e.env["SFTEST_DENY"] = "1"; e.env["SFTEST_USER"] = e.dev.Username }, custom(), "access_denied", "access_denied"},
		{"unknown consumer key", nil, func() result {
			return e.runIn("x\n", "connect", "--client-id", "3MVG9unknown", "--client-secret-stdin", "--json")
		}, "invalid_client_id", "invalid_client_id"},
		{"wrong consumer secret", nil, func() result {
			return e.runIn("wrong\n", "connect", "--client-id", e.app.ClientID, "--client-secret-stdin", "--json")
		}, "invalid_client_secret", "invalid_client"},
		{"callback URL not registered", func() { e.sf.Change(func() { e.app.CallbackURLs = []string{"http://localhost:1/OauthRedirect"} }) }, custom(), "redirect_uri_mismatch", "redirect_uri_mismatch"},
		{"connected app not installed (September 2025 block)", func() {
			e.sf.Change(func() { e.app.InstalledIn = nil })
			e.env["SFTEST_USER"] = e.dev.Username
		}, custom(), "app_not_approved", "invalid_client"},
		{"app blocked", func() { e.sf.Change(func() { e.app.Blocked = true }) }, custom(), "app_blocked", "OAUTH_APP_BLOCKED"},
		{"API disabled", func() { e.sf.DisableAPI(e.prod) }, custom(), "api_disabled", "API_DISABLED_FOR_ORG"},
		{"IP restricted", func() { e.sf.RestrictIP(e.prod) }, custom(), "ip_restricted", "invalid_grant"},
		{"PKCE refused", func() { e.sf.FailNextAuthorize("invalid_request", "missing required code challenge", false) }, custom(), "pkce_failed", "invalid_request"},
		{"lightning domain", nil, custom("--domain", "https://acme.lightning.force.com"), "lightning_domain", ""},
		{"not a domain", nil, custom("--domain", "http://acme.example.com"), "invalid_domain", ""},
		{"MeshMesh app not configured", func() { e.env["MESHMESH_ECA_CLIENT_ID"] = "" }, meshmesh("production"), "method_not_configured", ""},
		{"unknown org", nil, func() result { return e.run("token", "nope", "--json") }, "org_not_found", ""},
		{"index folder is a file", func() {
			os.WriteFile(filepath.Join(e.root, "file"), nil, 0o600)
			e.env["MESHMESH_HOME"] = filepath.Join(e.root, "file")
		}, func() result { return e.run("list", "--json") }, "index_failed", ""},
		// What Salesforce says at the token step about what the fake does
		// not model, in its exact words.
		{"inactive user", failToken(&e, "inactive_user", "user is inactive"), custom(), "user_inactive", "inactive_user"},
		{"inactive org", failToken(&e, "inactive_org", "organization is locked, closed, or suspended"), custom(), "org_inactive", "inactive_org"},
		{"login rate limit", failToken(&e, "rate_limit_exceeded", "number of logins exceeded"), custom(), "rate_limited", "rate_limit_exceeded"},
		{"outage", failToken(&e, "unknown_error", "retry your request"), custom(), "salesforce_unavailable", "unknown_error"},
		{"password changed", failToken(&e, "invalid_grant", "authentication failure"), custom(), "authentication_failed", "invalid_grant"},
		{"code expired", failToken(&e, "invalid_grant", "expired authorization code"), custom(), "code_rejected", "invalid_grant"},
		{"something new", failToken(&e, "brand_new_error", "something Salesforce never said before"), custom(), "unrecognised", "brand_new_error"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e = newE2E(t)
			if tt.setup != nil {
				tt.setup()
			}
			r := tt.run()
			got := decode[errorJSON](t, r)
			status := 1
			if tt.code == "lightning_domain" || tt.code == "invalid_domain" {
				status = 2 // a bad --domain is a usage error, diagnosed
			}
			if r.status != status || got.Error.Code != tt.code {
				t.Fatalf("status %d, code %q (%s); want %d and %s\nstderr: %s", r.status, got.Error.Code, got.Error.Title, status, tt.code, r.stderr)
			}
			if got.Error.Title == "" || got.Error.Advice == "" || got.Error.SalesforceError != tt.sfErr {
				t.Errorf("error object %+v; want a title, advice and Salesforce error %q", got.Error, tt.sfErr)
			}
			if !strings.Contains(r.stdout, `"salesforce_error":`) || !strings.Contains(r.stdout, `"salesforce_description":`) {
				t.Errorf("error object lacks Salesforce's fields: %s", r.stdout)
			}
			if tt.code == "index_failed" {
				return // no index to look at
			}
			if orgs := e.list(); len(orgs) != 0 {
				t.Errorf("a failed command left connections: %+v", orgs)
			}
		})
	}
}

// failToken makes the next token request of the current fake fail.
func failToken(e **e2e, err, desc string) func() {
	return func() { (*e).sf.FailNextToken(0, err, desc) }
}

// TestRefreshFailureStatus: what a failed refresh says, and what it makes
// of the connection's status; a good refresh mends it.
func TestRefreshFailureStatus(t *testing.T) {
	for _, tt := range []struct {
		err, desc, code, status string
	}{
		{"invalid_grant", "expired access/refresh token", "refresh_token_expired", "needs_reconnect"},
		{"invalid_grant", "authentication failure", "authentication_failed", "needs_reconnect"},
		{"inactive_user", "user is inactive", "user_inactive", "needs_reconnect"},
		{"invalid_client", "invalid client credentials", "invalid_client_secret", "needs_reconnect"},
		{"unknown_error", "retry your request", "salesforce_unavailable", "unknown"},
		{"rate_limit_exceeded", "number of logins exceeded", "rate_limited", "unknown"},
	} {
		t.Run(tt.desc, func(t *testing.T) {
			e := newE2E(t)
			e.connectCustom()
			e.sf.FailNextToken(0, tt.err, tt.desc)
			r := e.run("token", "acme-corp", "--refresh", "--json")
			got := decode[errorJSON](t, r)
			if r.status != 1 || got.Error.Code != tt.code || got.Error.SalesforceError != tt.err || got.Error.SalesforceDescription != tt.desc {
				t.Errorf("status %d, error %+v; want %s", r.status, got.Error, tt.code)
			}
			if s := e.list()[0].Status; s != tt.status {
				t.Errorf("status %s, want %s", s, tt.status)
			}
			e.ok("token", "acme-corp", "--refresh")
			if s := e.list()[0].Status; s != "connected" {
				t.Errorf("after a good refresh: status %s, want connected", s)
			}
		})
	}
}

// Without --json an error is its title, then its advice, on stderr.
func TestErrorWithoutJSON(t *testing.T) {
	e := newE2E(t)
	e.env["SFTEST_USER"] = e.tester.Username
	r := e.run("connect", "--method", "meshmesh", "--env", "sandbox")
	lines := strings.Split(r.stderr, "\n")
	at := -1
	for i, l := range lines {
		if l == "meshmesh: External client app not installed" {
			at = i
		}
	}
	if r.status != 1 || r.stdout != "" || at < 0 || !strings.HasPrefix(lines[at+1], "Install the MeshMesh Studio package") ||
		!strings.Contains(r.stderr, "Salesforce said: OAUTH_EC_APP_NOT_FOUND: External client app is not installed in this org") {
		t.Errorf("status %d, stdout %q, stderr:\n%s", r.status, r.stdout, r.stderr)
	}
}

func TestTokenRefresh(t *testing.T) {
	for _, rotate := range []bool{false, true} {
		t.Run("rotation="+strconv.FormatBool(rotate), func(t *testing.T) {
			e := newE2E(t)
			e.sf.Change(func() { e.app.RotateRefreshTokens = rotate })
			e.connectCustom()
			before, _ := e.item(e.admin.Username)
			e.sf.ResetRequests()

			// Cached: the token from the login, no network.
			cached := strings.TrimSpace(e.ok("token", "acme-corp").stdout)
			if cached != before["access_token"] {
				t.Errorf("token printed %q, want the cached access token", cached)
			}
			if n := len(e.sf.Requests()); n != 0 {
				t.Errorf("a cached token made %d requests", n)
			}
			// --refresh: a new one, and a rotated refresh token saved.
			tok := decode[tokenJSON](t, e.ok("token", "admin@acme.example", "--refresh", "--json"))
			if tok.AccessToken == cached || tok.InstanceURL != e.prod.Host.URL || tok.Username != e.admin.Username || tok.OrgID != e.prod.ID {
				t.Errorf("refreshed token %+v", tok)
			}
			after, _ := e.item(e.admin.Username)
			if after["access_token"] != tok.AccessToken {
				t.Error("the refreshed access token was not cached in the keychain")
			}
			if rotated := after["refresh_token"] != before["refresh_token"]; rotated != rotate {
				t.Errorf("refresh token changed: %v, want %v", rotated, rotate)
			}
			// The saved refresh token keeps working.
			e.ok("token", "acme-corp", "--refresh")
			// MESHMESH_TOKEN_MAX_AGE=0 always refreshes.
			e.sf.ResetRequests()
			e.env["MESHMESH_TOKEN_MAX_AGE"] = "0"
			e.ok("token", "acme-corp")
			if n := len(e.requests("/services/oauth2/token")); n != 1 {
				t.Errorf("MESHMESH_TOKEN_MAX_AGE=0: %d refreshes, want 1", n)
			}
			e.env["MESHMESH_TOKEN_MAX_AGE"] = "soon"
			if r := e.run("token", "acme-corp"); r.status != 2 || !strings.Contains(r.stderr, "MESHMESH_TOKEN_MAX_AGE") {
				t.Errorf("bad MESHMESH_TOKEN_MAX_AGE: %d %s", r.status, r.stderr)
			}
		})
	}
}

func TestDeadRefreshTokenNeedsReconnect(t *testing.T) {
	e := newE2E(t)
	e.connectCustom()
	e.sf.RevokeRefreshTokens(e.admin)
	r := e.run("token", "acme-corp", "--refresh", "--json")
	got := decode[errorJSON](t, r)
	if r.status != 1 || got.Error.Code != "refresh_token_expired" || got.Error.SalesforceDescription != "expired access/refresh token" {
		t.Fatalf("status %d, error %+v", r.status, got.Error)
	}
	if orgs := e.list(); orgs[0].Status != "needs_reconnect" {
		t.Errorf("status %s, want needs_reconnect", orgs[0].Status)
	}
	// reconnect logs the same user in again with login_hint, same app.
	r = e.ok("reconnect", "acme-corp", "--json")
	if o := decode[struct{ Org orgJSON }](t, r).Org; o.Status != "connected" || o.Alias != "acme-corp" {
		t.Errorf("reconnected %+v", o)
	}
	auth := e.requests("/services/oauth2/authorize")
	if len(auth) == 0 || auth[len(auth)-1].Query.Get("login_hint") != e.admin.Username || auth[len(auth)-1].Query.Get("client_id") != e.app.ClientID {
		t.Errorf("reconnect's authorize request: %+v", auth)
	}
	e.ok("token", "acme-corp", "--refresh")

	// Signing in as someone else is refused, and nothing changes.
	e.env["SFTEST_USER"] = e.dev.Username
	r = e.run("reconnect", "acme-corp", "--json")
	if got := decode[errorJSON](t, r); got.Error.Code != "wrong_user" {
		t.Errorf("reconnect as another user: %+v", got.Error)
	}
	if orgs := e.list(); len(orgs) != 1 || orgs[0].Username != e.admin.Username {
		t.Errorf("after a wrong-user reconnect: %+v", orgs)
	}
}

// TestReconnectWithSecret: reconnect mends a custom-app connection whose
// consumer secret changed or whose keychain item is gone, given the secret
// as connect takes it; the new secret is kept for refreshes.
func TestReconnectWithSecret(t *testing.T) {
	for _, tt := range []struct {
		name   string
		breaks func(e *e2e) // what goes wrong
		code   string       // what token --refresh says then
		stdin  bool         // the secret on stdin, else in MESHMESH_CLIENT_SECRET
	}{
		{"keychain item deleted", func(e *e2e) { e.deleteItem(e.admin.Username) }, "keychain_item_missing", true},
		{"keychain item deleted, secret in the environment", func(e *e2e) { e.deleteItem(e.admin.Username) }, "keychain_item_missing", false},
		{"secret changed", func(e *e2e) { e.sf.Change(func() { e.app.ClientSecret = "new" }) }, "invalid_client_secret", false},
		{"secret changed, secret on stdin", func(e *e2e) { e.sf.Change(func() { e.app.ClientSecret = "new" }) }, "invalid_client_secret", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t)
			if r := e.connectCustom(); r.status != 0 {
				t.Fatalf("connect: %s", r.stderr)
			}
			tt.breaks(e)
			r := e.run("token", "acme-corp", "--refresh", "--json")
			if got := decode[errorJSON](t, r); r.status != 1 || got.Error.Code != tt.code {
				t.Fatalf("token --refresh: status %d, error %+v; want %s", r.status, got.Error, tt.code)
			}
			r = e.run("reconnect", "acme-corp", "--json")
			if got := decode[errorJSON](t, r); r.status != 1 || got.Error.Code != "invalid_client_secret" {
				t.Fatalf("reconnect without the secret: status %d, error %+v; want invalid_client_secret", r.status, got.Error)
			}
			secret := e.app.ClientSecret
			if tt.stdin {
				r = e.runIn(secret+"\n", "reconnect", "acme-corp", "--client-secret-stdin", "--json")
			} else {
				e.env["MESHMESH_CLIENT_SECRET"] = secret
				r = e.run("reconnect", "acme-corp", "--json")
				delete(e.env, "MESHMESH_CLIENT_SECRET")
			}
			if o := decode[struct{ Org orgJSON }](t, r).Org; r.status != 0 || o.Status != "connected" || o.Alias != "acme-corp" {
				t.Fatalf("reconnect: status %d, %+v\nstderr: %s", r.status, o, r.stderr)
			}
			if it, _ := e.item(e.admin.Username); it["client_secret"] != secret {
				t.Error("the keychain item does not hold the secret given to reconnect")
			}
			e.ok("token", "acme-corp", "--refresh")
		})
	}
}

func TestRemove(t *testing.T) {
	e := newE2E(t)
	e.connectCustom()
	tok := decode[tokenJSON](t, e.ok("token", "acme-corp", "--json"))
	if _, ok := e.item(e.admin.Username); !ok {
		t.Fatal("no keychain item after connect")
	}
	r := e.ok("remove", "acme-corp")
	addBack := "meshmesh connect --method custom --env production --client-id " + e.app.ClientID + " --alias acme-corp"
	if !strings.Contains(r.stdout, "Removed acme-corp (admin@acme.example).") || !strings.Contains(r.stderr, "revoked at Salesforce") ||
		!strings.Contains(r.stderr, "To add it back: "+addBack+"\n") {
		t.Errorf("remove said %q / %q", r.stdout, r.stderr)
	}
	if n := len(e.requests("/services/oauth2/revoke")); n != 1 {
		t.Errorf("%d revoke requests, want 1", n)
	}
	if _, ok := e.item(e.admin.Username); ok {
		t.Error("keychain item still there after remove (secret-tool found it)")
	}
	if orgs := e.list(); len(orgs) != 0 {
		t.Errorf("still listed: %+v", orgs)
	}
	// Revoked: Salesforce no longer takes the access token.
	req, _ := http.NewRequest("GET", tok.InstanceURL+"/services/oauth2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if resp, err := e.sf.Client().Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("userinfo after remove: %v %v, want 403", resp, err)
	}
	// Following the hint (with the app's secret) adds it back.
	e.env["MESHMESH_CLIENT_SECRET"] = e.app.ClientSecret
	r = e.ok(strings.Fields(addBack)[1:]...)
	delete(e.env, "MESHMESH_CLIENT_SECRET")
	if orgs := e.list(); !strings.Contains(r.stdout, "Connected to Acme Corp as admin@acme.example (alias acme-corp)") || len(orgs) != 1 || orgs[0].ClientID != e.app.ClientID {
		t.Errorf("following the hint: %q, %+v", r.stdout, orgs)
	}

	// Salesforce out of reach: forgotten all the same, and said so.
	e.connectCustom()
	e.sf.Close()
	r = e.ok("remove", "admin@acme.example", "--json")
	out := decode[struct {
		Revoked     bool   `json:"revoked"`
		RevokeError string `json:"revoke_error"`
	}](t, r)
	if out.Revoked || out.RevokeError == "" || !strings.Contains(r.stderr, "could not be revoked") {
		t.Errorf("offline remove: %+v, stderr %s", out, r.stderr)
	}
	if _, ok := e.item(e.admin.Username); ok {
		t.Error("keychain item still there after an offline remove")
	}
}

func TestOpen(t *testing.T) {
	e := newE2E(t)
	e.connectCustom()
	logFile := filepath.Join(e.root, "browser.jsonl")
	e.env["SFTEST_BROWSER_LOG"] = logFile

	// The cached access token is dead: one refresh, one retry.
	e.sf.ExpireAccessTokens()
	e.sf.ResetRequests()
	u := strings.TrimSpace(e.ok("open", "acme-corp", "--url-only").stdout)
	if !strings.HasPrefix(u, e.prod.Host.URL+"/secur/frontdoor.jsp?") || !strings.Contains(u, "otp=") {
		t.Errorf("open --url-only printed %q", u)
	}
	if n := len(e.requests("/services/oauth2/token")); n != 1 {
		t.Errorf("%d refreshes, want 1", n)
	}

	e.ok("open", "acme-corp")
	b, _ := os.ReadFile(logFile)
	var line struct{ Opened, URL string }
	json.Unmarshal(b, &line)
	if !strings.HasPrefix(line.Opened, "http://127.0.0.1:") || strings.Contains(line.Opened, "otp") || !strings.HasPrefix(line.URL, e.prod.Host.URL) {
		t.Errorf("the browser was given %q and ended at %q", line.Opened, line.URL)
	}
}

// Ctrl-C while waiting for the browser: the port is released and nothing
// is saved.
func TestConnectCancelled(t *testing.T) {
	e := newE2E(t)
	e.env["BROWSER"] = "true" // opens nothing: the login waits
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := e.command(ctx, "connect", "--client-id", e.app.ClientID, "--json")
	stderr, _ := cmd.StderrPipe()
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.HasPrefix(sc.Text(), "Waiting up to") {
	}
	cmd.Process.Signal(syscall.SIGINT)
	go io.Copy(io.Discard, stderr)
	err := cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("after Ctrl-C: %v, want exit status 130", err)
	}
	if got := decode[errorJSON](t, result{stdout: stdout.String()}); got.Error.Code != "cancelled" {
		t.Errorf("error %+v", got.Error)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(e.port))
	if err != nil {
		t.Fatalf("callback port not released: %v", err)
	}
	ln.Close()
	if orgs := e.list(); len(orgs) != 0 {
		t.Errorf("saved after Ctrl-C: %+v", orgs)
	}
	if items, _ := e.session.Items("meshmesh"); len(items) != 0 {
		t.Errorf("keychain items after Ctrl-C: %d", len(items))
	}
}

// A forged callback is refused and the login keeps waiting; at the end the
// diagnosis says what happened.
func TestForgedCallback(t *testing.T) {
	e := newE2E(t)
	e.env["BROWSER"] = "true"
	r := make(chan result, 1)
	go func() { r <- e.run("connect", "--client-id", e.app.ClientID, "--timeout", "3s", "--json") }()
	cb := "http://127.0.0.1:" + strconv.Itoa(e.port) + "/OauthRedirect?code=aPrxforged&state=forged"
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(cb)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("forged callback answered %d, want 400", resp.StatusCode)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the callback server never came up")
		}
		time.Sleep(50 * time.Millisecond)
	}
	res := <-r
	if got := decode[errorJSON](t, res); res.status != 1 || got.Error.Code != "state_mismatch" {
		t.Errorf("status %d, error %+v", res.status, got.Error)
	}
}

// TestKeychainFailures: the program says what is wrong with the keychain
// and does not hang, and list never needs the keychain.
func TestKeychainFailures(t *testing.T) {
	for _, tt := range []struct {
		name  string
		opt   keychaintest.Option
		code  string
		words string
	}{
		{"no Secret Service", keychaintest.WithoutSecretService(), "keychain_unavailable", "No keychain (Secret Service) is running"},
		{"locked keyring", keychaintest.Locked(), "keychain_locked", "Your keyring is locked"},
		{"keyring never answers", keychaintest.Hanging(), "keychain_timeout", "did not answer within 3s"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t, tt.opt)
			start := time.Now()
			r := e.connectCustom()
			got := decode[errorJSON](t, r)
			if r.status != 1 || got.Error.Code != tt.code || !strings.Contains(got.Error.Title+" "+got.Error.Advice, tt.words) {
				t.Errorf("status %d, error %+v; want %s (%s)", r.status, got.Error, tt.code, tt.words)
			}
			if el := time.Since(start); el > 20*time.Second {
				t.Errorf("took %s", el)
			}
			// Nothing half-saved, and the new grant, which no index entry
			// will ever name, is revoked.
			if orgs := e.list(); len(orgs) != 0 {
				t.Errorf("listed without a keychain item: %+v", orgs)
			}
			if n := len(e.requests("/services/oauth2/revoke")); n != 1 {
				t.Errorf("%d revoke requests for the grant that could not be kept, want 1", n)
			}
		})
	}
	// No session bus at all.
	e := newE2E(t, keychaintest.WithoutSecretService())
	e.env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=" + filepath.Join(e.root, "no-bus")
	r := e.connectCustom()
	if got := decode[errorJSON](t, r); got.Error.Code != "keychain_unavailable" || !strings.Contains(got.Error.Title, "No D-Bus session bus") {
		t.Errorf("no bus: %+v", got.Error)
	}
}

func TestListNeedsNoKeychainAndNoNetwork(t *testing.T) {
	e := newE2E(t)
	e.connectCustom()
	e.sf.Close()
	hanging := keychaintest.New(t, keychaintest.Hanging())
	e.env["DBUS_SESSION_BUS_ADDRESS"] = hanging.Address()
	start := time.Now()
	if orgs := e.list(); len(orgs) != 1 || orgs[0].Status != "connected" {
		t.Errorf("list: %+v", orgs)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("list took %s with a keychain that never answers: it must not read it", el)
	}
}

func TestCorruptIndexThroughCLI(t *testing.T) {
	e := newE2E(t)
	e.connectCustom()
	index := filepath.Join(e.env["XDG_CONFIG_HOME"], "meshmesh", "connections.json")
	if err := os.WriteFile(index, []byte(`{"version":1,"connections":[{"alias":`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.run("list", "--json")
	got := decode[errorJSON](t, r)
	if r.status != 1 || got.Error.Code != "index_corrupt" || !strings.Contains(got.Error.Advice, index) || !strings.Contains(got.Error.Advice, index+".corrupt-") {
		t.Errorf("status %d, error %+v", r.status, got.Error)
	}
	kept, _ := filepath.Glob(index + ".corrupt-*")
	if len(kept) != 1 {
		t.Errorf("kept aside: %v", kept)
	}
	if orgs := e.list(); len(orgs) != 0 {
		t.Errorf("after the corrupt index was set aside: %+v", orgs)
	}

	// connect finds a corrupt index before anyone signs in for nothing.
	if err := os.WriteFile(index, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	e.sf.ResetRequests()
	r = e.connectCustom()
	if got := decode[errorJSON](t, r); r.status != 1 || got.Error.Code != "index_corrupt" {
		t.Errorf("connect with a corrupt index: status %d, %+v", r.status, got.Error)
	}
	if n := len(e.requests("/services/oauth2/authorize")); n != 0 {
		t.Errorf("the login went ahead (%d authorize requests) with a corrupt index", n)
	}
}

// TestNoSecretInFiles scans every file the program wrote (index, locks,
// log) for every token, code and secret the fake issued or saw.
func TestNoSecretInFiles(t *testing.T) {
	e := newE2E(t)
	e.sf.Change(func() { e.app.RotateRefreshTokens = true })
	e.connectCustom("--alias", "acme")
	e.env["SFTEST_USER"] = e.tester.Username
	e.connectCustom("--env", "sandbox")
	e.ok("token", "acme", "--refresh")
	e.ok("open", "acme", "--url-only")
	e.ok("open", "acme")
	e.ok("list")
	e.ok("remove", "acme")
	e.run("token", "nope")

	secrets := map[string]string{"client secret": e.app.ClientSecret, "password": sftest.DefaultPassword}
	for i, r := range e.sf.Requests() {
		for _, k := range []string{"code", "refresh_token", "client_secret", "code_verifier", "token"} {
			if v := r.Form.Get(k); v != "" {
				secrets[r.Path+" "+k+" #"+strconv.Itoa(i)] = v
			}
		}
		if v := r.Query.Get("otp"); v != "" {
			secrets["frontdoor otp"] = v
		}
		if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") {
			secrets["access token #"+strconv.Itoa(i)] = strings.TrimPrefix(a, "Bearer ")
		}
	}
	if len(secrets) < 8 {
		t.Fatalf("only %d secrets collected: the scan would prove little", len(secrets))
	}
	files := 0
	filepath.WalkDir(e.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(path)
		if err != nil {
			t.Error(err)
			return nil
		}
		for what, s := range secrets {
			if len(s) >= 6 && bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds the %s", path, what)
			}
		}
		return nil
	})
	logFile := filepath.Join(e.env["XDG_STATE_HOME"], "meshmesh", "meshmesh.log")
	if b, err := os.ReadFile(logFile); err != nil || !bytes.Contains(b, []byte("connection saved")) {
		t.Errorf("the log %s was not written: %v", logFile, err)
	}
	t.Logf("scanned %d files for %d secrets", files, len(secrets))
}

// TestConnectionDiagnosesThroughCLI: what can go wrong with connections
// already made.
func TestConnectionDiagnosesThroughCLI(t *testing.T) {
	for _, tt := range []struct {
		name   string
		run    func(e *e2e) result
		status int
		code   string
	}{
		{"alias taken", func(e *e2e) result {
			e.env["SFTEST_USER"] = e.dev.Username
			return e.connectCustom("--alias", "acme-corp")
		}, 1, "alias_taken"},
		{"invalid alias", func(e *e2e) result { return e.connectCustom("--alias", "no spaces please") }, 2, "alias_invalid"},
		{"two users of one org", func(e *e2e) result {
			e.env["SFTEST_USER"] = e.dev.Username
			e.connectCustom()
			return e.run("token", e.prod.ID, "--json")
		}, 1, "org_ambiguous"},
		{"keychain item deleted behind our back", func(e *e2e) result {
			e.deleteItem(e.admin.Username)
			return e.run("token", "acme-corp", "--json")
		}, 1, "keychain_item_missing"},
		{"browser cannot start", func(e *e2e) result {
			e.env["BROWSER"] = "false"
			return e.run("open", "acme-corp", "--json")
		}, 1, "browser_failed"},
		{"sf too old for Quick Connect", func(e *e2e) result {
			bin := filepath.Join(e.root, "bin")
			os.MkdirAll(bin, 0o755)
			os.WriteFile(filepath.Join(bin, "sf"), []byte("#!/bin/sh\necho '@salesforce/cli/2.100.0 linux-x64 node-v22.23.5'\n"), 0o755)
			e.env["PATH"] = bin
			return e.run("connect", "--method", "quick", "--json")
		}, 1, "sf_cli_outdated"},
		{"a secret for a connection without one", func(e *e2e) result {
			e.ok("connect", "--method", "meshmesh", "--alias", "acme-mm")
			return e.runIn("s3cret\n", "reconnect", "acme-mm", "--client-secret-stdin", "--json")
		}, 2, "usage"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newE2E(t)
			if r := e.connectCustom(); r.status != 0 {
				t.Fatalf("connect: %s", r.stderr)
			}
			r := tt.run(e)
			got := decode[errorJSON](t, r)
			if r.status != tt.status || got.Error.Code != tt.code || got.Error.Title == "" || got.Error.Advice == "" {
				t.Errorf("status %d, error %+v; want %d and %s", r.status, got.Error, tt.status, tt.code)
			}
		})
	}
}

// TestOverTLS runs a connection's life against Salesforce over https, as
// the real one is: connect (at a My Domain), refresh, open, remove.
func TestOverTLS(t *testing.T) {
	e := newE2EWith(t, []sftest.Option{sftest.WithTLS()})
	if !strings.HasPrefix(e.prod.Host.URL, "https://") {
		t.Fatalf("the fake is not on https: %s", e.prod.Host.URL)
	}
	if r := e.connectCustom("--domain", e.prod.Host.URL, "--alias", "acme"); r.status != 0 {
		t.Fatalf("connect: %s", r.stderr)
	}
	// The same user another way: without --alias, the connection keeps its own.
	if o := decode[struct{ Org orgJSON }](t, e.ok("connect", "--method", "meshmesh", "--env", "production", "--json")).Org; o.Alias != "acme" || o.Method != "meshmesh" {
		t.Errorf("reconnected another way: %+v", o)
	}
	tok := decode[tokenJSON](t, e.ok("token", "acme", "--refresh", "--json"))
	if !strings.HasPrefix(tok.InstanceURL, "https://") {
		t.Errorf("instance URL %s", tok.InstanceURL)
	}
	logFile := filepath.Join(e.root, "browser.jsonl")
	e.env["SFTEST_BROWSER_LOG"] = logFile
	e.ok("open", "acme")
	if b, _ := os.ReadFile(logFile); !strings.Contains(string(b), `"status":200`) {
		t.Errorf("the browser did not reach the org: %s", b)
	}
	e.ok("remove", "acme")
	if n := len(e.requests("/services/oauth2/revoke")); n != 2 {
		t.Errorf("%d revocations, want 2 (the replaced grant, then the removed one)", n)
	}
}

// The MeshMesh Connected App in each environment (the package installed
// and enabled in both orgs), and Quick Connect in each environment without
// sf.
func TestEachEnvironmentMeshMeshAndQuick(t *testing.T) {
	e := newE2E(t)
	e.sf.Change(func() {
		e.eca.InstalledIn, e.eca.EnabledIn = []*sftest.Org{e.prod, e.uat}, []*sftest.Org{e.prod, e.uat}
	})
	for _, tt := range []struct {
		user    *sftest.User
		args    []string
		env     string
		loginAt string
	}{
		{e.admin, []string{"--env", "production"}, "production", e.sf.Production.URL},
		{e.tester, []string{"--env", "sandbox"}, "sandbox", e.sf.Sandbox.URL},
		{e.dev, []string{"--domain", e.prod.Host.URL}, "custom", e.prod.Host.URL},
	} {
		e.env["SFTEST_USER"] = tt.user.Username
		r := e.ok(append([]string{"connect", "--method", "meshmesh", "--json"}, tt.args...)...)
		o := decode[struct{ Org orgJSON }](t, r).Org
		if o.Username != tt.user.Username || o.Method != "meshmesh" || o.Environment != tt.env || o.LoginURL != tt.loginAt || o.ClientID != e.eca.ClientID {
			t.Errorf("meshmesh %s: %+v", tt.env, o)
		}
		if _, ok := e.item(tt.user.Username); !ok {
			t.Errorf("meshmesh %s: no keychain item", tt.env)
		}
	}
	e.env["PATH"] = e.root // no sf
	for _, args := range [][]string{{"--env", "production"}, {"--env", "sandbox"}, {"--domain", e.prod.Host.URL}} {
		r := e.run(append([]string{"connect", "--method", "quick", "--json"}, args...)...)
		got := decode[errorJSON](t, r)
		if r.status != 1 || got.Error.Code != "sf_cli_required" || len(got.Error.Fixes) == 0 {
			t.Errorf("quick %v without sf: status %d, %+v", args, r.status, got.Error)
		}
	}
}

// BenchmarkCLITokenCached measures what a script pays for
// $(meshmesh token acme): a process start, the index and one keychain read
// on a real Secret Service. (This binary is the program: under -race it is
// slower than a release build.)
func BenchmarkCLITokenCached(b *testing.B) {
	e := newE2EWith(b, nil)
	if r := e.connectCustom("--alias", "acme"); r.status != 0 {
		b.Fatal(r.stderr)
	}
	for b.Loop() {
		if r := e.run("token", "acme"); r.status != 0 {
			b.Fatal(r.stderr)
		}
	}
}
