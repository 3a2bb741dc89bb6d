package oauth_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/oauth/sftest"
)

// TestMain lets this test binary act as the browser the engine launches
// through BROWSER (see world.browse).
func TestMain(m *testing.M) {
	sftest.RunBrowserFromEnv()
	os.Exit(m.Run())
}

// world is a fake Salesforce with a production org and a sandbox org, and an
// engine pointed at it whose browser is this test binary.
type world struct {
	t      testing.TB
	sf     *sftest.Server
	engine *oauth.Engine
	prod   *sftest.Org
	uat    *sftest.Org
	admin  *sftest.User // production, System Administrator
	dev    *sftest.User // production, standard user
	tester *sftest.User // sandbox
	app    *sftest.App  // a custom connected app installed in both orgs
	eca    *sftest.App  // the MeshMesh package, installed and enabled in prod
}

func newWorld(t testing.TB, opts ...sftest.Option) *world {
	t.Helper()
	w := &world{t: t, sf: sftest.New(t, opts...)}
	w.prod = w.sf.AddOrg(sftest.Org{Name: "Acme Corp"})
	w.uat = w.sf.AddOrg(sftest.Org{Name: "Acme UAT", Sandbox: true})
	w.admin = w.sf.AddUser(sftest.User{Org: w.prod, Username: "admin@acme.example", Admin: true})
	w.dev = w.sf.AddUser(sftest.User{Org: w.prod, Username: "dev@acme.example"})
	w.tester = w.sf.AddUser(sftest.User{Org: w.uat, Username: "admin@acme.example.uat", Admin: true})

	port := sftest.CallbackPort(t)
	redirect := "http://localhost:" + strconv.Itoa(port) + "/OauthRedirect"
	w.app = w.sf.AddApp(sftest.App{
		Kind: sftest.ConnectedApp, OwnerOrg: w.prod, CallbackURLs: []string{redirect},
		Scopes: []string{"api", "refresh_token", "offline_access", "web"}, RequireSecret: true,
		InstalledIn: []*sftest.Org{w.prod, w.uat},
	})
	w.eca = w.sf.AddApp(sftest.App{
		Kind: sftest.PackagedECA, CallbackURLs: []string{redirect},
		Scopes:      []string{"api", "refresh_token", "offline_access", "web"},
		InstalledIn: []*sftest.Org{w.prod}, EnabledIn: []*sftest.Org{w.prod},
	})
	w.engine = &oauth.Engine{
		Settings: oauth.Settings{
			ProductionURL: w.sf.Production.URL,
			SandboxURL:    w.sf.Sandbox.URL,
			CallbackPort:  port,
			ECAClientID:   w.eca.ClientID,
			Browser:       os.Args[0],
		},
		HTTPClient: w.sf.Client(),
	}
	if pem := w.sf.CertPEM(); pem != nil {
		ca := filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(ca, pem, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("SFTEST_CA", ca)
	}
	t.Setenv("SFTEST_BROWSER", "1")
	t.Setenv("GORACE", "atexit_sleep_ms=0") // a race-built browser otherwise sleeps 1 s at exit
	t.Setenv("SFTEST_USER", w.admin.Username)
	t.Setenv("SFTEST_DENY", "")
	return w
}

// signInAs makes the browser sign in as u.
func (w *world) signInAs(u *sftest.User) { w.t.Setenv("SFTEST_USER", u.Username) }

// custom is a login with the custom connected app.
func (w *world) custom(env oauth.Environment) oauth.LoginRequest {
	return oauth.LoginRequest{
		Method:  oauth.CustomApp,
		Target:  oauth.Target{Environment: env},
		App:     oauth.App{ClientID: w.app.ClientID, ClientSecret: w.app.ClientSecret},
		Timeout: 20 * time.Second,
	}
}

func (w *world) login(req oauth.LoginRequest) (*oauth.Grant, error) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return w.engine.Login(ctx, req)
}

// requests returns the fake's log entries for path.
func (w *world) requests(path string) []sftest.Request {
	var out []sftest.Request
	for _, r := range w.sf.Requests() {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func wantDiagnosis(t *testing.T, err error, code oauth.Code) *oauth.Diagnosis {
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

func TestLoginEachEnvironment(t *testing.T) {
	w := newWorld(t)
	for _, tt := range []struct {
		name     string
		user     *sftest.User
		target   oauth.Target
		loginURL func() string
		org      *sftest.Org
	}{
		{"production", w.admin, oauth.Target{Environment: oauth.Production}, func() string { return w.sf.Production.URL }, w.prod},
		{"sandbox", w.tester, oauth.Target{Environment: oauth.Sandbox}, func() string { return w.sf.Sandbox.URL }, w.uat},
		{"custom domain", w.tester, oauth.Target{Environment: oauth.CustomDomain, Domain: w.uat.Host.URL + "/lightning/page/home"}, func() string { return w.uat.Host.URL }, w.uat},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w.sf.ResetRequests()
			w.signInAs(tt.user)
			req := w.custom(tt.target.Environment)
			req.Target = tt.target
			g, err := w.login(req)
			if err != nil {
				t.Fatal(err)
			}
			o := g.Org
			if o.Username != tt.user.Username || o.UserID != tt.user.ID || o.OrgID != tt.org.ID || o.OrgName != tt.org.Name ||
				o.InstanceURL != tt.org.Host.URL || o.LoginURL != tt.loginURL() || o.IsSandbox != tt.org.Sandbox ||
				o.Method != oauth.CustomApp || o.ClientID != w.app.ClientID || o.InstanceName == "" || o.OrganizationType == "" {
				t.Errorf("org = %+v", o)
			}
			if g.Token.AccessToken == "" || g.Token.RefreshToken == "" || !g.Token.Expiry.IsZero() || g.IssuedAt.IsZero() {
				t.Errorf("token: access %v, refresh %v, expiry %v, issued %v", g.Token.AccessToken != "", g.Token.RefreshToken != "", g.Token.Expiry, g.IssuedAt)
			}
			// PKCE S256 on the authorize request, the verifier on the exchange,
			// redeemed at the host that issued the code.
			auth := w.requests("/services/oauth2/authorize")
			if len(auth) < 2 || auth[0].Query.Get("code_challenge_method") != "S256" || auth[0].Query.Get("code_challenge") == "" ||
				auth[0].Query.Get("prompt") != "login" || auth[0].Query.Get("scope") != "api refresh_token offline_access web" {
				t.Errorf("authorize requests: %+v", auth)
			}
			tok := w.requests("/services/oauth2/token")
			if len(tok) != 1 || tok[0].Form.Get("code_verifier") == "" || tok[0].Form.Get("grant_type") != "authorization_code" || tok[0].Host.URL != tt.loginURL() {
				t.Errorf("token requests: %+v", tok)
			}
		})
	}
}

func TestLoginMeshMeshApp(t *testing.T) {
	w := newWorld(t)
	g, err := w.login(oauth.LoginRequest{Method: oauth.MeshMeshApp, Target: oauth.Target{Environment: oauth.Production}, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if g.Org.ClientID != w.eca.ClientID || g.Org.Method != oauth.MeshMeshApp {
		t.Errorf("org = %+v", g.Org)
	}
	w.engine.Settings.ECAClientID = ""
	_, err = w.login(oauth.LoginRequest{Method: oauth.MeshMeshApp, Target: oauth.Target{Environment: oauth.Production}})
	wantDiagnosis(t, err, oauth.NotConfigured)
}

// TestLoginDiagnoses produces each diagnosis of a browser login from the
// fake's real Salesforce answers.
func TestLoginDiagnoses(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(w *world, req *oauth.LoginRequest)
		code  oauth.Code
		sfErr string // Salesforce's error, when it said one
		check func(t *testing.T, w *world, d *oauth.Diagnosis)
	}{
		{
			name: "package not installed in the org",
			setup: func(w *world, req *oauth.LoginRequest) {
				*req = oauth.LoginRequest{Method: oauth.MeshMeshApp, Target: oauth.Target{Environment: oauth.Sandbox}, Timeout: 20 * time.Second}
				w.signInAs(w.tester)
			},
			code: oauth.ECANotInstalled, sfErr: "OAUTH_EC_APP_NOT_FOUND",
			check: func(t *testing.T, w *world, d *oauth.Diagnosis) {
				if !hasFix(d, oauth.FixOpenURL, w.sf.Sandbox.URL+"/packaging/installPackage.apexp?p0=04tfj000000GGiLAAW") {
					t.Errorf("no install fix for the sandbox host: %+v", d.Fixes)
				}
			},
		},
		{
			name: "package installed but not enabled",
			setup: func(w *world, req *oauth.LoginRequest) {
				*req = oauth.LoginRequest{Method: oauth.MeshMeshApp, Target: oauth.Target{Environment: oauth.Sandbox}, Timeout: 20 * time.Second}
				w.eca.InstalledIn = append(w.eca.InstalledIn, w.uat)
				w.signInAs(w.tester)
			},
			code: oauth.CrossOrg, sfErr: "OAUTH_AUTHORIZATION_BLOCKED",
		},
		{
			name: "sandbox picked, production user signs in",
			setup: func(w *world, req *oauth.LoginRequest) {
				*req = w.custom(oauth.Sandbox)
			},
			code: oauth.GrantTypeMismatch, sfErr: "unsupported_grant_type",
			check: func(t *testing.T, w *world, d *oauth.Diagnosis) {
				if len(d.Fixes) == 0 || d.Fixes[0].Kind != oauth.FixRetryEnvironment || d.Fixes[0].Environment != oauth.Production {
					t.Errorf("first fix should retry with Production: %+v", d.Fixes)
				}
			},
		},
		{
			name: "app without the web scope",
			setup: func(w *world, req *oauth.LoginRequest) {
				w.app.Scopes = []string{"api", "refresh_token"}
				*req = w.custom(oauth.Production)
			},
			code: oauth.AuthorizationFailed,
			check: func(t *testing.T, w *world, d *oauth.Diagnosis) {
				if !strings.Contains(d.Advice, "web") {
					t.Errorf("advice does not name the missing scope: %s", d.Advice)
				}
			},
		},
		{
			name: "app without refresh_token",
			setup: func(w *world, req *oauth.LoginRequest) {
				w.app.Scopes = []string{"api", "web"}
				*req = w.custom(oauth.Production)
			},
			code: oauth.AuthorizationFailed,
			check: func(t *testing.T, w *world, d *oauth.Diagnosis) {
				if !strings.Contains(d.Advice, "refresh_token") {
					t.Errorf("advice does not name the missing scope: %s", d.Advice)
				}
			},
		},
		{
			name: "user clicks Deny",
			setup: func(w *world, req *oauth.LoginRequest) {
				w.t.Setenv("SFTEST_DENY", "1")
				*req = w.custom(oauth.Production)
			},
			code: oauth.AccessDenied, sfErr: "access_denied",
		},
		{
			name: "wrong consumer secret",
			setup: func(w *world, req *oauth.LoginRequest) {
				*req = w.custom(oauth.Production)
				req.App.ClientSecret = "wrong"
			},
			code: oauth.InvalidClientSecret, sfErr: "invalid_client",
		},
		{
			name: "connected app not installed (September 2025 block)",
			setup: func(w *world, req *oauth.LoginRequest) {
				w.app.InstalledIn = nil
				w.signInAs(w.dev)
				*req = w.custom(oauth.Production)
			},
			code: oauth.AppNotApproved, sfErr: "invalid_client",
		},
		{
			name: "admin-approved users only",
			setup: func(w *world, req *oauth.LoginRequest) {
				w.app.AdminApprovedOnly = true
				*req = w.custom(oauth.Production)
			},
			code: oauth.AppNotApproved, sfErr: "OAUTH_APP_ACCESS_DENIED",
		},
		{
			name:  "app blocked",
			setup: func(w *world, req *oauth.LoginRequest) { w.app.Blocked = true; *req = w.custom(oauth.Production) },
			code:  oauth.AppBlocked, sfErr: "OAUTH_APP_BLOCKED",
		},
		{
			name:  "API disabled",
			setup: func(w *world, req *oauth.LoginRequest) { w.sf.DisableAPI(w.prod); *req = w.custom(oauth.Production) },
			code:  oauth.APIDisabled, sfErr: "API_DISABLED_FOR_ORG",
		},
		{
			name:  "IP restricted",
			setup: func(w *world, req *oauth.LoginRequest) { w.sf.RestrictIP(w.prod); *req = w.custom(oauth.Production) },
			code:  oauth.IPRestricted, sfErr: "invalid_grant",
		},
		{
			name: "PKCE required and missing",
			setup: func(w *world, req *oauth.LoginRequest) {
				w.sf.FailNextAuthorize("invalid_request", "missing required code challenge", false)
				*req = w.custom(oauth.Production)
			},
			code: oauth.PKCEFailed, sfErr: "invalid_request",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			var req oauth.LoginRequest
			tt.setup(w, &req)
			_, err := w.login(req)
			d := wantDiagnosis(t, err, tt.code)
			if d.SalesforceError != tt.sfErr {
				t.Errorf("Salesforce error %q, want %q", d.SalesforceError, tt.sfErr)
			}
			if tt.check != nil {
				tt.check(t, w, d)
			}
		})
	}
}

func hasFix(d *oauth.Diagnosis, kind oauth.FixKind, url string) bool {
	return slices.ContainsFunc(d.Fixes, func(f oauth.Fix) bool { return f.Kind == kind && f.URL == url })
}

// The preflight reports the two errors real Salesforce shows in the
// browser without calling back, before any browser opens.
func TestPreflight(t *testing.T) {
	for _, tt := range []struct {
		name  string
		setup func(w *world, req *oauth.LoginRequest)
		code  oauth.Code
		desc  string
	}{
		{"unknown consumer key", func(w *world, req *oauth.LoginRequest) { req.App.ClientID = "3MVG9unknown" },
			oauth.InvalidClientID, "client identifier invalid"},
		{"callback URL not registered", func(w *world, req *oauth.LoginRequest) {
			w.app.CallbackURLs = []string{"http://localhost:1717/OauthRedirect"}
		},
			oauth.RedirectURIMismatch, "redirect_uri must match configuration"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.engine.Settings.Browser = "false" // a browser must not be needed
			req := w.custom(oauth.Production)
			tt.setup(w, &req)
			_, err := w.login(req)
			d := wantDiagnosis(t, err, tt.code)
			if d.SalesforceDescription != tt.desc {
				t.Errorf("description %q, want %q", d.SalesforceDescription, tt.desc)
			}
			if n := len(w.requests("/services/oauth2/authorize")); n != 1 {
				t.Errorf("%d authorize requests, want the preflight's alone", n)
			}
		})
	}
	t.Run("unreachable host", func(t *testing.T) {
		w := newWorld(t)
		w.engine.Settings.ProductionURL = "http://127.0.0.1:" + strconv.Itoa(sftest.CallbackPort(t))
		_, err := w.login(w.custom(oauth.Production))
		d := wantDiagnosis(t, err, oauth.ConnectionTimeout)
		if !strings.Contains(d.Advice, strings.TrimPrefix(w.engine.Settings.ProductionURL, "http://")) {
			t.Errorf("advice does not name the host: %s", d.Advice)
		}
	})
}

func TestLoginTimeout(t *testing.T) {
	t.Run("browser never comes back", func(t *testing.T) {
		w := newWorld(t)
		w.engine.Settings.Browser = "true" // opens nothing
		req := w.custom(oauth.Production)
		req.Timeout = 300 * time.Millisecond
		_, err := w.login(req)
		d := wantDiagnosis(t, err, oauth.LoginTimeout)
		if !strings.Contains(d.Advice, w.engine.Settings.RedirectURL()) {
			t.Errorf("advice does not name the callback URL: %s", d.Advice)
		}
	})
	t.Run("Salesforce shows its error page", func(t *testing.T) {
		w := newWorld(t)
		w.sf.ErrorPages(true)
		w.app.Blocked = true
		req := w.custom(oauth.Production)
		req.Timeout = 3 * time.Second
		_, err := w.login(req)
		wantDiagnosis(t, err, oauth.LoginTimeout)
	})
}

func TestPortInUse(t *testing.T) {
	w := newWorld(t)
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(w.engine.Settings.CallbackPort))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = w.login(w.custom(oauth.Production))
	d := wantDiagnosis(t, err, oauth.PortInUse)
	if !strings.Contains(d.Advice, strconv.Itoa(w.engine.Settings.CallbackPort)) || !strings.Contains(d.Advice, "sf org login web") {
		t.Errorf("advice does not name the port and its usual holder: %s", d.Advice)
	}
}

func TestBeginRefusesBadInput(t *testing.T) {
	w := newWorld(t)
	for _, tt := range []struct {
		req  oauth.LoginRequest
		code oauth.Code
	}{
		{oauth.LoginRequest{Method: oauth.CustomApp, Target: oauth.Target{Environment: oauth.CustomDomain, Domain: "acme.lightning.force.com"}, App: oauth.App{ClientID: "x"}}, oauth.LightningDomain},
		{oauth.LoginRequest{Method: oauth.CustomApp, Target: oauth.Target{Environment: oauth.CustomDomain, Domain: "http://acme.my.salesforce.com"}, App: oauth.App{ClientID: "x"}}, oauth.InvalidDomain},
		{oauth.LoginRequest{Method: oauth.CustomApp, Target: oauth.Target{Environment: oauth.Production}}, oauth.InvalidClientID},
	} {
		_, err := w.engine.Begin(context.Background(), tt.req)
		wantDiagnosis(t, err, tt.code)
	}
}

// The loopback server: state checked, forged callbacks refused while the
// login keeps waiting, Private Network Access preflight answered, Host
// checked, IPv4 and IPv6, one good callback and then gone.
func TestCallbackServer(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	f, err := w.engine.Begin(ctx, w.custom(oauth.Production))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	port := strconv.Itoa(w.engine.Settings.CallbackPort)
	get := func(method, addr, host, path string, hdr http.Header) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+addr+path, nil)
		req.Host = host
		for k, v := range hdr {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		resp.Body.Close()
		return resp
	}
	for _, tt := range []struct {
		name, method, addr, host, path string
		hdr                            http.Header
		status                         int
	}{
		{"forged state", "GET", "127.0.0.1:" + port, "localhost:" + port, "/OauthRedirect?code=aPrxforged&state=forged", nil, 400},
		{"forged state over IPv6", "GET", "[::1]:" + port, "[::1]:" + port, "/OauthRedirect?code=aPrxforged&state=forged", nil, 400},
		{"forged error", "GET", "127.0.0.1:" + port, "127.0.0.1:" + port, "/OauthRedirect?error=access_denied&state=forged", nil, 400},
		{"private network preflight", "OPTIONS", "127.0.0.1:" + port, "localhost:" + port, "/OauthRedirect",
			http.Header{"Access-Control-Request-Private-Network": {"true"}, "Origin": {"https://login.salesforce.com"}}, 204},
		{"rebound host", "GET", "127.0.0.1:" + port, "evil.example:" + port, "/OauthRedirect?state=x", nil, 403},
		{"other path", "GET", "127.0.0.1:" + port, "localhost:" + port, "/favicon.ico", nil, 404},
		{"post", "POST", "127.0.0.1:" + port, "localhost:" + port, "/OauthRedirect", nil, 405},
	} {
		if tt.name == "forged state over IPv6" && !hasIPv6Loopback() {
			need(t, "an IPv6 loopback address (::1)", errors.New("no ::1 on this machine"))
			continue
		}
		if resp := get(tt.method, tt.addr, tt.host, tt.path, tt.hdr); resp.StatusCode != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, resp.StatusCode, tt.status)
		} else if tt.status == 204 && resp.Header.Get("Access-Control-Allow-Private-Network") != "true" {
			t.Errorf("%s: no Access-Control-Allow-Private-Network", tt.name)
		}
	}
	// The real browser still completes the login after the forgeries.
	if err := oauth.OpenURL(ctx, os.Args[0], f.URL()); err != nil {
		t.Fatal(err)
	}
	g, err := f.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if g.Org.Username != w.admin.Username {
		t.Errorf("username %s", g.Org.Username)
	}
	// One callback, then the port is released.
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second); err == nil {
		c.Close()
		t.Error("callback port still open after the login")
	}
}

func TestForgedCallbackThenTimeout(t *testing.T) {
	w := newWorld(t)
	req := w.custom(oauth.Production)
	req.Timeout = 500 * time.Millisecond
	f, err := w.engine.Begin(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(f.RedirectURL() + "?code=aPrxforged&state=forged")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	_, err = f.Wait(context.Background())
	wantDiagnosis(t, err, oauth.StateMismatch)
}

func TestCancelReleasesPort(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithCancel(context.Background())
	f, err := w.engine.Begin(ctx, w.custom(oauth.Production))
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := f.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait after cancel: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(w.engine.Settings.CallbackPort))
	if err != nil {
		t.Fatalf("port not released: %v", err)
	}
	ln.Close()
}

func hasIPv6Loopback() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// Nothing secret reaches the log: no token, client secret or code, in a
// good login and in a failed one.
func TestLogCarriesNoSecret(t *testing.T) {
	w := newWorld(t)
	var buf bytes.Buffer
	w.engine.Log = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	g := w.connect()
	w.app.RotateRefreshTokens = true
	r, err := w.engine.Refresh(context.Background(), g.Org.LoginURL, w.appCreds(), g.Token.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	bad := w.custom(oauth.Production)
	bad.App.ClientSecret = "wrong-secret-value"
	if _, err := w.login(bad); err == nil {
		t.Fatal("login with a wrong secret worked")
	}
	secrets := []string{g.Token.AccessToken, g.Token.RefreshToken, r.Token.AccessToken, r.Token.RefreshToken, w.app.ClientSecret, "wrong-secret-value"}
	for _, req := range w.requests("/services/oauth2/token") {
		if c := req.Form.Get("code"); c != "" {
			secrets = append(secrets, c, req.Form.Get("code_verifier"))
		}
	}
	if !strings.Contains(buf.String(), "login: connected") {
		t.Fatalf("nothing logged: %s", buf.String())
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(buf.String(), s) {
			t.Errorf("the log carries a secret %.8s…:\n%s", s, buf.String())
		}
	}
}

// Real Salesforce speaks https: the whole login over TLS.
func TestLoginOverTLS(t *testing.T) {
	w := newWorld(t, sftest.WithTLS())
	if !strings.HasPrefix(w.sf.Production.URL, "https://") {
		t.Fatalf("production URL %s", w.sf.Production.URL)
	}
	g := w.connect()
	if !strings.HasPrefix(g.Org.InstanceURL, "https://") || g.Org.Username != w.admin.Username {
		t.Errorf("org %+v", g.Org)
	}
}

// A Salesforce that does not answer in time is a connection_timeout
// naming the host, not a hang.
func TestSlowSalesforce(t *testing.T) {
	w := newWorld(t)
	g := w.connect()
	w.sf.SetLatency(time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := w.engine.Refresh(ctx, g.Org.LoginURL, w.appCreds(), g.Token.RefreshToken)
	d := wantDiagnosis(t, err, oauth.ConnectionTimeout)
	if !strings.Contains(d.Advice, strings.TrimPrefix(w.sf.Production.URL, "http://")) {
		t.Errorf("advice does not name the host: %s", d.Advice)
	}
}

// A browser command that cannot start, or fails at once, is a diagnosis,
// and the callback port is released.
func TestBrowserFails(t *testing.T) {
	for _, browser := range []string{"/nonexistent/browser", "false", "/nonexistent/first:false"} {
		w := newWorld(t)
		w.engine.Settings.Browser = browser
		_, err := w.login(w.custom(oauth.Production))
		wantDiagnosis(t, err, oauth.BrowserFailed)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(w.engine.Settings.CallbackPort))
		if err != nil {
			t.Fatalf("BROWSER=%s: port not released: %v", browser, err)
		}
		ln.Close()
	}
}
