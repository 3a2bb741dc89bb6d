package sftest_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/oauth/sftest"
)

var (
	accessTokenRE = regexp.MustCompile(`^(00D\w{12,15})![.\w]*$`)
	// sfdxAuthUrl's refresh-token part.
	refreshTokenRE = regexp.MustCompile(`^5Aep861[a-zA-Z0-9._-]+={0,2}$`)
	codeRE         = regexp.MustCompile(`^aPrx[A-Za-z0-9+/]+==$`)
)

const invalidSession = `[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]`

// TestCodeFlowByHTTP walks the whole web-server flow with plain HTTP.
func TestCodeFlowByHTTP(t *testing.T) {
	f := newFixture(t)
	c := noFollow(f.sf.Client())
	verifier, challenge := pkce()
	authURL := authorizeURL(f.sf.Production, f.app, f.lb.URL, url.Values{"code_challenge": {challenge}, "login_hint": {"admin@acme.example"}})

	// No session: the login page, prefilled from login_hint.
	status, body, _ := get(t, c, authURL, "")
	if status != 200 || !contains(body, `action="/login"`) || !contains(body, `value="admin@acme.example"`) {
		t.Fatalf("authorize: %d %s", status, body)
	}
	start := regexp.MustCompile(`name="startURL" value="([^"]*)"`).FindStringSubmatch(body)
	if start == nil {
		t.Fatal("no startURL")
	}

	// Wrong password: the page again, with an error.
	resp, err := c.PostForm(f.sf.Production.URL+"/login", url.Values{"username": {"admin@acme.example"}, "pw": {"nope"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("bad login: %d", resp.StatusCode)
	}

	// Sign in: back to the authorize URL with a session.
	resp, err = c.PostForm(f.sf.Production.URL+"/login", url.Values{
		"username": {"admin@acme.example"}, "pw": {"test-password"},
		"startURL": {html.UnescapeString(start[1])},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "/services/oauth2/authorize?") {
		t.Fatalf("login: %d %q", resp.StatusCode, loc)
	}

	// First authorization: "Allow Access?".
	status, body, _ = get(t, c, f.sf.Production.URL+loc, "")
	authz := regexp.MustCompile(`name="authz" value="([^"]*)"`).FindStringSubmatch(body)
	if status != 200 || !contains(body, "Allow Access?") || authz == nil {
		t.Fatalf("consent: %d %s", status, body)
	}
	resp, err = c.PostForm(f.sf.Production.URL+"/setup/secur/RemoteAccessAuthorizationPage.apexp", url.Values{"authz": {authz[1]}, "oaapprove": {"Allow"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound || !strings.HasPrefix(cb.String(), f.lb.URL+"?") {
		t.Fatalf("allow: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	code := cb.Query().Get("code")
	if !codeRE.MatchString(code) || cb.Query().Get("state") != "e1cc7fe35ea1" {
		t.Fatalf("callback %v", cb)
	}

	// Token.
	status, tok := post(t, c, f.sf.Production.URL+"/services/oauth2/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "client_id": {f.app.ClientID},
		"redirect_uri": {f.lb.URL}, "code_verifier": {verifier},
	})
	if status != 200 {
		t.Fatalf("token: %d %v", status, tok)
	}
	at, rt := str(tok["access_token"]), str(tok["refresh_token"])
	wantID := f.sf.Production.URL + "/id/" + f.prod.ID + "/" + f.admin.ID
	if !accessTokenRE.MatchString(at) || !strings.HasPrefix(at, f.prod.ID[:15]+"!AQ") || !refreshTokenRE.MatchString(rt) ||
		tok["instance_url"] != f.prod.Host.URL || tok["id"] != wantID || tok["token_type"] != "Bearer" ||
		tok["scope"] != "refresh_token api web" || str(tok["signature"]) == "" || tok["expires_in"] != nil {
		t.Errorf("token response %v", tok)
	}
	if ms, ok := tok["issued_at"].(string); !ok || len(ms) != 13 {
		t.Errorf("issued_at = %v", tok["issued_at"])
	}

	// userinfo at the instance.
	inst := str(tok["instance_url"])
	status, body, _ = get(t, c, inst+"/services/oauth2/userinfo", at)
	var ui map[string]any
	json.Unmarshal([]byte(body), &ui)
	if status != 200 || ui["user_id"] != f.admin.ID || ui["organization_id"] != f.prod.ID || ui["sub"] != wantID ||
		ui["preferred_username"] != "admin@acme.example" || ui["is_salesforce_integration_user"] != false || ui["urls"] == nil {
		t.Errorf("userinfo %d %s", status, body)
	}
	// Identity URL.
	status, body, _ = get(t, c, wantID, at)
	if status != 200 || !contains(body, `"username":"admin@acme.example"`) || !contains(body, `"display_name":"Ada Admin"`) {
		t.Errorf("id: %d %s", status, body)
	}
	// User record and org query as sf does them.
	status, body, _ = get(t, c, inst+"/services/data/v51.0/sobjects/User/"+f.admin.ID, at)
	if status != 200 || !contains(body, `"Username":"admin@acme.example"`) {
		t.Errorf("User: %d %s", status, body)
	}
	status, body, _ = get(t, c, inst+"/services/data/v51.0/query?q="+url.QueryEscape("SELECT Id FROM ScratchOrgInfo limit 1"), at)
	if status != 400 || strings.TrimSpace(body) != `[{"message":"sObject type 'ScratchOrgInfo' is not supported.","errorCode":"INVALID_TYPE"}]` {
		t.Errorf("ScratchOrgInfo: %d %s", status, body)
	}
	q := "SELECT Name, InstanceName, IsSandbox, TrialExpirationDate, NamespacePrefix, OrganizationType FROM Organization"
	status, body, _ = get(t, c, inst+"/services/data/v64.0/query?q="+url.QueryEscape(q), at)
	want := `{"done":true,"records":[{"attributes":{"type":"Organization","url":"/services/data/v64.0/sobjects/Organization/` + f.prod.ID +
		`"},"Name":"Acme Corp","InstanceName":"NA224","IsSandbox":false,"TrialExpirationDate":null,"NamespacePrefix":null,"OrganizationType":"Developer Edition"}],"totalSize":1}`
	if status != 200 || strings.TrimSpace(body) != want {
		t.Errorf("Organization:\n got %d %s\nwant %s", status, body, want)
	}

	// singleaccess → frontdoor → home.
	status, body, _ = get(t, c, inst+"/services/oauth2/singleaccess?redirect_uri=%2Flightning%2Fsetup%2FSetupOneHome%2Fhome", at)
	var sa struct {
		FrontdoorURI string `json:"frontdoor_uri"`
	}
	json.Unmarshal([]byte(body), &sa)
	fd, _ := url.Parse(sa.FrontdoorURI)
	if status != 200 || fd == nil || !strings.HasPrefix(sa.FrontdoorURI, inst+"/secur/frontdoor.jsp?") || fd.Query().Get("otp") == "" ||
		fd.Query().Get("startURL") != "/lightning/setup/SetupOneHome/home" || fd.Query().Get("cshc") == "" {
		t.Fatalf("singleaccess: %d %s", status, body)
	}
	browser := noFollow(f.sf.Client())
	resp, err = browser.Get(sa.FrontdoorURI)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/lightning/setup/SetupOneHome/home" {
		t.Errorf("frontdoor: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	status, body, _ = get(t, browser, inst+"/lightning/setup/SetupOneHome/home", "")
	if status != 200 || !contains(body, "Acme Corp") || !contains(body, "Ada Admin") {
		t.Errorf("home: %d %s", status, body)
	}
	if status, body, _ := get(t, noFollow(f.sf.Client()), inst+"/lightning/page/home", ""); status != 200 || !contains(body, `action="/login"`) {
		t.Errorf("home without a session: %d %s", status, body)
	}
	// The otp is single use.
	status, body, _ = get(t, noFollow(f.sf.Client()), sa.FrontdoorURI, "")
	if status != 200 || !contains(body, "expired") {
		t.Errorf("second frontdoor: %d %s", status, body)
	}
	// Classic sid= frontdoor.
	resp, err = noFollow(f.sf.Client()).Get(inst + "/secur/frontdoor.jsp?sid=" + url.QueryEscape(at) + "&retURL=%2F001")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/001" {
		t.Errorf("sid frontdoor: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The request log saw the token request with its form.
	var sawToken bool
	for _, r := range f.sf.Requests() {
		if r.Path == "/services/oauth2/token" && r.Form.Get("code") == code && r.Host == f.sf.Production && r.Status == 200 {
			sawToken = true
		}
	}
	if !sawToken {
		t.Error("token request not logged")
	}
}

// TestAuthorizeErrors checks each authorize error: shown or redirected.
func TestAuthorizeErrors(t *testing.T) {
	type want struct {
		status   int    // final page status
		body     string // exact final page body, if set
		code     string // callback error, if any
		desc     string
		errPage  bool // ends on RemoteAccessErrorPage.apexp
		gotCode  bool // callback carries a code
		noCallbk bool
	}
	tests := []struct {
		name  string
		setup func(f *fixture) (app *sftest.App, user *sftest.User)
		extra url.Values
		want  want
	}{
		{"unknown client_id", nil, url.Values{"client_id": {"3MVG9nope"}},
			want{status: 400, body: "error=invalid_client_id&error_description=client%20identifier%20invalid", noCallbk: true}},
		{"redirect_uri mismatch", nil, url.Values{"redirect_uri": {"http://localhost:1717/OauthRedirect"}},
			want{status: 400, body: "<pre>error=redirect_uri_mismatch&error_description=redirect_uri%20must%20match%20configuration</pre>", noCallbk: true}},
		{"response_type token", nil, url.Values{"response_type": {"token"}},
			want{code: "unsupported_response_type", desc: "response type not supported"}},
		{"PKCE required", func(f *fixture) (*sftest.App, *sftest.User) { f.app.RequirePKCE = true; return f.app, f.admin }, url.Values{"code_challenge": {"-"}},
			want{code: "invalid_request", desc: "missing required code challenge"}},
		{"plain challenge", nil, url.Values{"code_challenge": {"abc"}, "code_challenge_method": {"plain"}},
			want{code: "invalid_request", desc: "missing required code challenge"}},
		{"unknown scope", nil, url.Values{"scope": {"api everything"}},
			want{code: "invalid_scope", desc: "requested scope is invalid, unknown, or malformed"}},
		{"cdp scope is known", nil, url.Values{"scope": {"api cdp_query_api"}}, want{gotCode: true}},
		{"blocked", func(f *fixture) (*sftest.App, *sftest.User) { f.app.Blocked = true; return f.app, f.admin }, nil,
			want{code: "OAUTH_APP_BLOCKED", desc: "this app is blocked by admin"}},
		{"packaged ECA not installed", func(f *fixture) (*sftest.App, *sftest.User) {
			return f.sf.AddApp(sftest.App{Kind: sftest.PackagedECA, CallbackURLs: []string{f.lb.URL}}), f.admin
		}, nil, want{code: "OAUTH_EC_APP_NOT_FOUND", desc: "External client app is not installed in this org"}},
		{"packaged ECA not enabled", func(f *fixture) (*sftest.App, *sftest.User) {
			return f.sf.AddApp(sftest.App{Kind: sftest.PackagedECA, CallbackURLs: []string{f.lb.URL}, InstalledIn: []*sftest.Org{f.prod}}), f.admin
		}, nil, want{code: "OAUTH_AUTHORIZATION_BLOCKED", desc: "Cross-org OAuth flows are not supported for this external client app"}},
		{"packaged ECA enabled", func(f *fixture) (*sftest.App, *sftest.User) {
			return f.sf.AddApp(sftest.App{Kind: sftest.PackagedECA, CallbackURLs: []string{f.lb.URL},
				InstalledIn: []*sftest.Org{f.prod}, EnabledIn: []*sftest.Org{f.prod}}), f.user
		}, nil, want{gotCode: true}},
		{"local ECA of another org", func(f *fixture) (*sftest.App, *sftest.User) {
			return f.sf.AddApp(sftest.App{Kind: sftest.LocalECA, OwnerOrg: f.other, CallbackURLs: []string{f.lb.URL}}), f.admin
		}, nil, want{code: "OAUTH_AUTHORIZATION_BLOCKED", desc: "Cross-org OAuth flows are not supported for this external client app"}},
		{"local ECA of own org", func(f *fixture) (*sftest.App, *sftest.User) {
			return f.sf.AddApp(sftest.App{Kind: sftest.LocalECA, OwnerOrg: f.prod, CallbackURLs: []string{f.lb.URL}}), f.user
		}, nil, want{gotCode: true}},
		{"uninstalled connected app, non-admin", func(f *fixture) (*sftest.App, *sftest.User) { return f.sf.CLIApp(), f.user }, nil,
			want{code: "invalid_client", desc: "app must be installed into org"}},
		{"uninstalled connected app, admin", func(f *fixture) (*sftest.App, *sftest.User) { return f.sf.CLIApp(), f.admin }, nil,
			want{gotCode: true}},
		{"installed connected app, non-admin", func(f *fixture) (*sftest.App, *sftest.User) { return f.app, f.user }, nil,
			want{gotCode: true}},
		{"admin approved only, not approved", func(f *fixture) (*sftest.App, *sftest.User) {
			f.app.AdminApprovedOnly = true
			return f.app, f.user
		}, nil, want{code: "OAUTH_APP_ACCESS_DENIED", desc: "user is not admin approved to access this app"}},
		{"admin approved only, approved", func(f *fixture) (*sftest.App, *sftest.User) {
			f.app.AdminApprovedOnly, f.app.ApprovedUsers = true, []*sftest.User{f.user}
			return f.app, f.user
		}, nil, want{gotCode: true}},
		{"fail next, redirect", func(f *fixture) (*sftest.App, *sftest.User) {
			f.sf.FailNextAuthorize("OAUTH_APP_BLOCKED", "this app is blocked by admin", false)
			return f.app, f.admin
		}, nil, want{code: "OAUTH_APP_BLOCKED", desc: "this app is blocked by admin"}},
		{"fail next, page", func(f *fixture) (*sftest.App, *sftest.User) {
			f.sf.FailNextAuthorize("invalid_client", "app must be installed into org", true)
			return f.app, f.admin
		}, nil, want{errPage: true, code: "invalid_client", desc: "app must be installed into org"}},
		{"error pages", func(f *fixture) (*sftest.App, *sftest.User) {
			f.sf.ErrorPages(true)
			return f.sf.CLIApp(), f.user
		}, nil, want{errPage: true, code: "invalid_client", desc: "app must be installed into org"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			app, user := f.app, f.admin
			if tt.setup != nil {
				app, user = tt.setup(f)
			}
			_, challenge := pkce()
			extra := url.Values{"code_challenge": {challenge}}
			for k, v := range tt.extra {
				extra[k] = v
			}
			cb, v := login(t, f, &sftest.Browser{Username: user.Username}, authorizeURL(f.sf.Production, app, f.lb.URL, extra))
			w := tt.want
			switch {
			case w.noCallbk:
				if cb != nil || v.Status != w.status || v.Body != w.body {
					t.Errorf("got callback %v, page %d %q; want no callback, page %d %q", cb, v.Status, v.Body, w.status, w.body)
				}
			case w.errPage:
				u, _ := url.Parse(v.URL)
				if cb != nil || u.Path != "/setup/secur/RemoteAccessErrorPage.apexp" || u.Query().Get("error") != w.code ||
					u.Query().Get("error_description") != w.desc || !contains(v.Body, "OAUTH_APPROVAL_ERROR_GENERIC") {
					t.Errorf("got callback %v, page %s %q", cb, v.URL, v.Body)
				}
			case w.gotCode:
				if cb.Get("code") == "" || cb.Get("state") != "e1cc7fe35ea1" || !strings.HasSuffix(v.URL, "/OauthSuccess") {
					t.Errorf("got callback %v, page %s", cb, v.URL)
				}
			default:
				if cb.Get("error") != w.code || cb.Get("error_description") != w.desc || cb.Get("state") != "e1cc7fe35ea1" || cb.Has("code") {
					t.Errorf("callback %v, want %s / %s", cb, w.code, w.desc)
				}
			}
		})
	}
}

// TestErrorRedirectEncoding checks the raw callback URL of a redirected error.
func TestErrorRedirectEncoding(t *testing.T) {
	f := newFixture(t)
	c := noFollow(f.sf.Client())
	resp, err := c.Get(authorizeURL(f.sf.Production, f.app, f.lb.URL, url.Values{"response_type": {"token"}}))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := f.lb.URL + "?error=unsupported_response_type&error_description=response%20type%20not%20supported&state=e1cc7fe35ea1"
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
		t.Errorf("got %d %q, want %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
}

// TestBrowserDeny: Deny ends at the callback with access_denied.
func TestBrowserDeny(t *testing.T) {
	f := newFixture(t)
	cb, v := login(t, f, &sftest.Browser{Username: f.admin.Username, Deny: true}, authorizeURL(f.sf.Production, f.app, f.lb.URL, nil))
	if cb.Get("error") != "access_denied" || cb.Get("error_description") != "end-user denied authorization" || cb.Get("state") != "e1cc7fe35ea1" {
		t.Errorf("callback %v", cb)
	}
	if !strings.HasSuffix(v.URL, "/OauthError") || v.Body != "Authentication Failed" {
		t.Errorf("page %s %q", v.URL, v.Body)
	}
}

// TestBrowserSignIn: bad password, login_hint default, session reuse and
// prompt=login.
func TestBrowserSignIn(t *testing.T) {
	f := newFixture(t)
	v, err := (&sftest.Browser{Username: f.admin.Username, Password: "wrong"}).Open(ctx(t), authorizeURL(f.sf.Production, f.app, f.lb.URL, nil))
	if err != sftest.ErrSignIn || v.Status != 200 || !contains(v.Body, "Please check your username and password.") {
		t.Errorf("bad password: %v %+v", err, v)
	}

	f.sf.ResetRequests()
	b := &sftest.Browser{} // username from login_hint
	cb, _ := login(t, f, b, authorizeURL(f.sf.Production, f.app, f.lb.URL, url.Values{"login_hint": {f.admin.Username}}))
	if cb.Get("code") == "" {
		t.Fatalf("first: %v", cb)
	}
	logins := func() int {
		n := 0
		for _, r := range f.sf.Requests() {
			if r.Path == "/login" && r.Method == http.MethodPost {
				n++
			}
		}
		return n
	}
	if logins() != 1 {
		t.Fatalf("logins = %d", logins())
	}
	// Signed in and approved already: straight to the callback.
	f.sf.ResetRequests()
	cb, _ = login(t, f, b, authorizeURL(f.sf.Production, f.app, f.lb.URL, nil))
	if cb.Get("code") == "" || logins() != 0 {
		t.Errorf("second: %v, %d logins", cb, logins())
	}
	for _, r := range f.sf.Requests() {
		if r.Path == "/setup/secur/RemoteAccessAuthorizationPage.apexp" {
			t.Error("approval asked again")
		}
	}
	// prompt=login forces a new sign-in; prompt=consent a new approval.
	f.sf.ResetRequests()
	cb, _ = login(t, f, b, authorizeURL(f.sf.Production, f.app, f.lb.URL, url.Values{"prompt": {"login consent"}, "login_hint": {f.admin.Username}}))
	consent := 0
	for _, r := range f.sf.Requests() {
		if r.Path == "/setup/secur/RemoteAccessAuthorizationPage.apexp" {
			consent++
		}
	}
	if cb.Get("code") == "" || logins() != 1 || consent != 1 {
		t.Errorf("prompt: %v, %d logins, %d approvals", cb, logins(), consent)
	}
}

// TestWrongEnvironment: a sandbox user signing in at Production is carried
// to the sandbox's My Domain, which issues the code; Production cannot
// redeem it.
func TestWrongEnvironment(t *testing.T) {
	f := newFixture(t)
	f.app.InstalledIn = append(f.app.InstalledIn, f.sbx)
	code, verifier := f.code(t, f.sf.Production, f.app, f.sbxUser)
	var issuer *sftest.Host
	for _, r := range f.sf.Requests() {
		if (r.Path == "/services/oauth2/authorize" || r.Path == "/setup/secur/RemoteAccessAuthorizationPage.apexp") && r.Status == http.StatusFound {
			issuer = r.Host
		}
	}
	if issuer != f.sbx.Host {
		t.Fatalf("code issued by %v, want the sandbox My Domain", issuer)
	}
	status, m := f.exchange(t, f.sf.Production, f.app, code, verifier)
	wantOAuthError(t, status, m, "unsupported_grant_type", "grant type not supported")
	status, m = f.exchange(t, f.sf.Sandbox, f.app, code, verifier)
	wantOAuthError(t, status, m, "unsupported_grant_type", "grant type not supported")
	status, m = f.exchange(t, f.sbx.Host, f.app, code, verifier)
	if status != 200 || m["id"] != f.sbx.Host.URL+"/id/"+f.sbx.ID+"/"+f.sbxUser.ID || m["instance_url"] != f.sbx.Host.URL {
		t.Errorf("My Domain: %d %v", status, m)
	}
	// The right environment: the login host itself issues the code.
	code, verifier = f.code(t, f.sf.Sandbox, f.app, f.sbxUser)
	if status, m := f.exchange(t, f.sf.Sandbox, f.app, code, verifier); status != 200 || m["id"] != f.sf.Sandbox.URL+"/id/"+f.sbx.ID+"/"+f.sbxUser.ID {
		t.Errorf("Sandbox: %d %v", status, m)
	}
	// Another org's My Domain also hands the user over to their own.
	code, verifier = f.code(t, f.other.Host, f.app, f.admin)
	if status, m := f.exchange(t, f.prod.Host, f.app, code, verifier); status != 200 {
		t.Errorf("other My Domain: %d %v", status, m)
	}
}

// TestTokenErrors checks each token error, and their order.
func TestTokenErrors(t *testing.T) {
	f := newFixture(t, sftest.WithCodeTTL(time.Hour))
	secretApp := f.sf.AddApp(sftest.App{OwnerOrg: f.prod, CallbackURLs: []string{f.lb.URL}, RequireSecret: true, InstalledIn: []*sftest.Org{f.prod}})
	tokenURL := f.sf.Production.URL + "/services/oauth2/token"
	c := f.sf.Client()
	type tc struct {
		name       string
		form       func(code, verifier string) url.Values
		code, desc string
	}
	good := func(code, verifier string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {f.app.ClientID},
			"redirect_uri": {f.lb.URL}, "code_verifier": {verifier}}
	}
	with := func(kv ...string) func(code, verifier string) url.Values {
		return func(code, verifier string) url.Values {
			v := good(code, verifier)
			for i := 0; i < len(kv); i += 2 {
				if kv[i+1] == "-" {
					v.Del(kv[i])
				} else {
					v.Set(kv[i], kv[i+1])
				}
			}
			return v
		}
	}
	tests := []tc{
		{"no grant_type", with("grant_type", "-"), "unsupported_grant_type", "grant type not supported"},
		{"password grant", with("grant_type", "password"), "unsupported_grant_type", "grant type not supported"},
		{"unknown client, bad code", with("client_id", "3MVG9nope", "code", "aPrxnope=="), "invalid_client_id", "client identifier invalid"},
		{"wrong secret, bad code", with("client_secret", "0000", "code", "aPrxnope=="), "invalid_client", "invalid client credentials"},
		{"unknown code", with("code", "aPrxnope=="), "invalid_grant", "invalid authorization code"},
		{"redirect_uri differs, bad verifier", with("redirect_uri", "http://localhost:1717/OauthRedirect", "code_verifier", "x"), "redirect_uri_mismatch", "redirect_uri must match configuration"},
		{"no verifier", with("code_verifier", "-"), "invalid_grant", "invalid code verifier"},
		{"wrong verifier", with("code_verifier", "abc"), "invalid_grant", "invalid code verifier"},
		{"other app's client id", with("client_id", secretApp.ClientID, "client_secret", secretApp.ClientSecret), "invalid_client", "invalid client credentials"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, verifier := f.code(t, f.sf.Production, f.app, f.admin)
			status, m := post(t, c, tokenURL, tt.form(code, verifier))
			wantOAuthError(t, status, m, tt.code, tt.desc)
			// A failed attempt does not use up the code.
			if status, m := post(t, c, tokenURL, good(code, verifier)); status != 200 {
				t.Errorf("good attempt after: %d %v", status, m)
			}
		})
	}

	t.Run("secret required", func(t *testing.T) {
		code, verifier := f.code(t, f.sf.Production, secretApp, f.admin)
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {secretApp.ClientID},
			"redirect_uri": {f.lb.URL}, "code_verifier": {verifier}}
		status, m := post(t, c, tokenURL, form)
		wantOAuthError(t, status, m, "invalid_client", "invalid client credentials")
		// HTTP Basic works as well as the body.
		req, _ := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(secretApp.ClientID), url.QueryEscape(secretApp.ClientSecret))
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("basic auth: %d", resp.StatusCode)
		}
	})

	t.Run("single use, host before expiry", func(t *testing.T) {
		code, verifier := f.code(t, f.sf.Production, f.app, f.admin)
		if status, m := post(t, c, tokenURL, good(code, verifier)); status != 200 {
			t.Fatalf("first: %d %v", status, m)
		}
		status, m := post(t, c, tokenURL, good(code, verifier))
		wantOAuthError(t, status, m, "invalid_grant", "expired authorization code")
		status, m = post(t, c, f.prod.Host.URL+"/services/oauth2/token", good(code, verifier))
		wantOAuthError(t, status, m, "unsupported_grant_type", "grant type not supported")
	})

	t.Run("expired before redirect_uri", func(t *testing.T) {
		f := newFixture(t, sftest.WithCodeTTL(time.Millisecond))
		code, verifier := f.code(t, f.sf.Production, f.app, f.admin)
		time.Sleep(5 * time.Millisecond)
		status, m := post(t, f.sf.Client(), f.sf.Production.URL+"/services/oauth2/token", url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "client_id": {f.app.ClientID},
			"redirect_uri": {"http://elsewhere/"}, "code_verifier": {verifier}})
		wantOAuthError(t, status, m, "invalid_grant", "expired authorization code")
	})

	t.Run("ip restricted", func(t *testing.T) {
		code, verifier := f.code(t, f.sf.Production, f.app, f.admin)
		f.sf.RestrictIP(f.prod)
		status, m := post(t, c, tokenURL, with("code_verifier", "abc")(code, verifier))
		wantOAuthError(t, status, m, "invalid_grant", "invalid code verifier")
		status, m = post(t, c, tokenURL, good(code, verifier))
		wantOAuthError(t, status, m, "invalid_grant", "ip restricted or invalid login hours")
	})

	t.Run("not a form", func(t *testing.T) {
		resp, err := c.Post(tokenURL, "application/json", strings.NewReader(`{"grant_type":"authorization_code"}`))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		wantOAuthError(t, resp.StatusCode, m, "unsupported_grant_type", "grant type not supported")
		resp, err = c.Get(tokenURL + "?grant_type=authorization_code")
		if err != nil {
			t.Fatal(err)
		}
		m = nil
		json.NewDecoder(resp.Body).Decode(&m)
		resp.Body.Close()
		wantOAuthError(t, resp.StatusCode, m, "unsupported_grant_type", "grant type not supported")
	})
}

// TestRefresh checks the refresh_token grant with and without rotation.
func TestRefresh(t *testing.T) {
	f := newFixture(t)
	c := f.sf.Client()
	refresh := func(host *sftest.Host, app *sftest.App, rt string, extra ...string) (int, map[string]any) {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {app.ClientID}}
		for i := 0; i < len(extra); i += 2 {
			form.Set(extra[i], extra[i+1])
		}
		return post(t, c, host.URL+"/services/oauth2/token", form)
	}
	tok := f.tokens(t, f.app, f.admin)
	rt := str(tok["refresh_token"])
	for _, host := range []*sftest.Host{f.sf.Production, f.prod.Host} {
		status, m := refresh(host, f.app, rt, "code_verifier", "ignored", "format", "json")
		if status != 200 || m["refresh_token"] != nil || !accessTokenRE.MatchString(str(m["access_token"])) || m["instance_url"] != f.prod.Host.URL {
			t.Errorf("refresh at %s: %d %v", host.Kind, status, m)
		}
	}
	status, m := refresh(f.sf.Sandbox, f.app, rt)
	wantOAuthError(t, status, m, "invalid_grant", "authentication failure")
	status, m = refresh(f.other.Host, f.app, rt)
	wantOAuthError(t, status, m, "invalid_grant", "authentication failure")
	status, m = refresh(f.sf.Production, f.sf.CLIApp(), rt)
	wantOAuthError(t, status, m, "invalid_client", "invalid client credentials")
	status, m = refresh(f.sf.Production, f.app, rt, "client_secret", "wrong")
	wantOAuthError(t, status, m, "invalid_client", "invalid client credentials")
	status, m = refresh(f.sf.Production, f.app, "5Aep861unknown")
	wantOAuthError(t, status, m, "invalid_grant", "expired access/refresh token")
	status, m = refresh(f.sf.Production, &sftest.App{ClientID: "nope"}, rt)
	wantOAuthError(t, status, m, "invalid_client_id", "client identifier invalid")

	t.Run("require secret", func(t *testing.T) {
		f.app.RequireSecret = true
		defer func() { f.app.RequireSecret = false }()
		status, m := refresh(f.sf.Production, f.app, rt)
		wantOAuthError(t, status, m, "invalid_client", "invalid client credentials")
		if status, m := refresh(f.sf.Production, f.app, rt, "client_secret", f.app.ClientSecret); status != 200 {
			t.Errorf("with secret: %d %v", status, m)
		}
	})

	t.Run("FailNextToken", func(t *testing.T) {
		f.sf.FailNextToken(0, "inactive_user", "user is inactive")
		status, m := refresh(f.sf.Production, f.app, rt)
		wantOAuthError(t, status, m, "inactive_user", "user is inactive")
		if status, m := refresh(f.sf.Production, f.app, rt); status != 200 {
			t.Errorf("only the next request fails; the one after: %d %v", status, m)
		}
		f.sf.FailNextToken(http.StatusServiceUnavailable, "unknown_error", "retry your request")
		status, m = refresh(f.sf.Production, f.app, rt)
		if status != http.StatusServiceUnavailable || m["error"] != "unknown_error" {
			t.Errorf("outage: %d %v", status, m)
		}
	})

	t.Run("rotation", func(t *testing.T) {
		f.app.RotateRefreshTokens = true
		old := str(f.tokens(t, f.app, f.admin)["refresh_token"])
		status, m := refresh(f.sf.Production, f.app, old)
		next := str(m["refresh_token"])
		if status != 200 || !refreshTokenRE.MatchString(next) || next == old {
			t.Fatalf("rotate: %d %v", status, m)
		}
		status, m = refresh(f.sf.Production, f.app, old)
		wantOAuthError(t, status, m, "invalid_grant", "expired access/refresh token")
		if status, m := refresh(f.sf.Production, f.app, next); status != 200 || str(m["refresh_token"]) == "" {
			t.Errorf("next: %d %v", status, m)
		}
	})

	t.Run("ip restricted", func(t *testing.T) {
		f.sf.RestrictIP(f.prod)
		status, m := refresh(f.sf.Production, f.app, rt)
		wantOAuthError(t, status, m, "invalid_grant", "ip restricted or invalid login hours")
	})
}

// TestRevocation checks revoke, ExpireAccessTokens and RevokeRefreshTokens.
func TestRevocation(t *testing.T) {
	f := newFixture(t)
	c := f.sf.Client()
	rest := f.prod.Host.URL + "/services/data/v64.0"
	refresh := func(rt string) (int, map[string]any) {
		return post(t, c, f.sf.Production.URL+"/services/oauth2/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {f.app.ClientID}})
	}

	t.Run("revoke", func(t *testing.T) {
		tok := f.tokens(t, f.app, f.admin)
		at, rt := str(tok["access_token"]), str(tok["refresh_token"])
		_, m := refresh(rt)
		at2 := str(m["access_token"])
		resp, err := c.PostForm(f.sf.Production.URL+"/services/oauth2/revoke", url.Values{"token": {at}})
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("revoke access: %v %v", resp, err)
		}
		resp.Body.Close()
		if status, body, _ := get(t, c, rest, at); status != 401 || strings.TrimSpace(body) != invalidSession {
			t.Errorf("revoked access token: %d %s", status, body)
		}
		if status, _, _ := get(t, c, rest, at2); status != 200 {
			t.Errorf("other access token: %d", status)
		}
		// GET variant, refresh token: its access tokens die too.
		if status, _, _ := get(t, c, f.prod.Host.URL+"/services/oauth2/revoke?token="+url.QueryEscape(rt), ""); status != 200 {
			t.Errorf("revoke refresh: %d", status)
		}
		if status, _, _ := get(t, c, rest, at2); status != 401 {
			t.Errorf("child access token: %d", status)
		}
		status, m := refresh(rt)
		wantOAuthError(t, status, m, "invalid_grant", "expired access/refresh token")
		// Unknown token: form-encoded error.
		resp, err = c.PostForm(f.sf.Production.URL+"/services/oauth2/revoke", url.Values{"token": {rt}})
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		buf := make([]byte, 512)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		resp.Body.Close()
		if resp.StatusCode != 400 || b.String() != "error=invalid_token&error_description=invalid%20token" ||
			resp.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("unknown token: %d %q %q", resp.StatusCode, b.String(), resp.Header.Get("Content-Type"))
		}
	})

	t.Run("expire access tokens", func(t *testing.T) {
		tok := f.tokens(t, f.app, f.admin)
		at, rt := str(tok["access_token"]), str(tok["refresh_token"])
		f.sf.ExpireAccessTokens()
		if status, body, _ := get(t, c, rest, at); status != 401 || strings.TrimSpace(body) != invalidSession {
			t.Errorf("REST: %d %s", status, body)
		}
		if status, body, _ := get(t, c, f.prod.Host.URL+"/services/oauth2/singleaccess", at); status != 403 {
			t.Errorf("singleaccess: %d %s", status, body)
		}
		if status, body, _ := get(t, c, f.prod.Host.URL+"/services/oauth2/userinfo", at); status != 403 || body != "Bad_OAuth_Token" {
			t.Errorf("userinfo: %d %s", status, body)
		}
		status, m := refresh(rt)
		if status != 200 {
			t.Fatalf("refresh: %d %v", status, m)
		}
		if status, _, _ := get(t, c, rest, str(m["access_token"])); status != 200 {
			t.Errorf("new token: %d", status)
		}
	})

	t.Run("revoke refresh tokens", func(t *testing.T) {
		tok := f.tokens(t, f.app, f.admin)
		f.sf.RevokeRefreshTokens(f.admin)
		status, m := refresh(str(tok["refresh_token"]))
		wantOAuthError(t, status, m, "invalid_grant", "expired access/refresh token")
		if status, _, _ := get(t, c, rest, str(tok["access_token"])); status != 401 {
			t.Errorf("access token: %d", status)
		}
	})
}

// TestDataAPI checks the REST API subset and its errors.
func TestDataAPI(t *testing.T) {
	f := newFixture(t, sftest.WithAPIVersion("65.0"))
	at := str(f.tokens(t, f.app, f.admin)["access_token"])
	c := f.sf.Client()
	base := f.prod.Host.URL

	status, body, _ := get(t, c, base+"/services/data", "")
	var versions []map[string]string
	json.Unmarshal([]byte(body), &versions)
	if status != 200 || len(versions) != 35 || versions[0]["version"] != "31.0" || versions[0]["label"] != "Summer '14" ||
		versions[33]["label"] != "Summer '25" || versions[34]["url"] != "/services/data/v65.0" || versions[34]["label"] != "Winter '26" {
		t.Errorf("versions: %d %s", status, body)
	}
	status, body, _ = get(t, c, base+"/services/data/v65.0", at)
	if status != 200 || !contains(body, `"sobjects":"/services/data/v65.0/sobjects"`) || !contains(body, `"query":"/services/data/v65.0/query"`) {
		t.Errorf("resources: %d %s", status, body)
	}
	if status, _, _ := get(t, c, base+"/services/data/v66.0", at); status != 404 {
		t.Errorf("v66.0: %d", status)
	}
	if status, _, _ := get(t, c, base+"/services/data/v65.0/nothing", at); status != 404 {
		t.Errorf("unknown resource: %d", status)
	}

	query := func(q string) (int, string) {
		status, body, _ := get(t, c, base+"/services/data/v65.0/query?q="+url.QueryEscape(q), at)
		return status, strings.TrimSpace(body)
	}
	tests := []struct {
		q      string
		status int
		want   string // substring
	}{
		{"SELECT Id, Username FROM User WHERE Username = 'user@acme.example'", 200, `"totalSize":1`},
		{"select id from user where id = '" + f.user.ID[:15] + "'", 200, `"Id":"` + f.user.ID + `"`},
		{"SELECT Id FROM User", 200, `"totalSize":2`},
		{"SELECT Id FROM User LIMIT 1", 200, `"totalSize":1`},
		{"SELECT Id, IsSandbox FROM Organization", 200, `"IsSandbox":false`},
		{"SELECT Foo FROM Organization", 400, `[{"message":"No such column 'Foo' on entity 'Organization'.`},
		{"SELECT Id FROM Account", 400, `[{"message":"sObject type 'Account' is not supported.","errorCode":"INVALID_TYPE"}]`},
		{"SELEC Id FROM User", 400, `"errorCode":"MALFORMED_QUERY"`},
		{"", 400, `[{"message":"A query string has to be specified","errorCode":"MALFORMED_QUERY"}]`},
	}
	for _, tt := range tests {
		status, body := query(tt.q)
		if status != tt.status || !contains(body, tt.want) {
			t.Errorf("%q: %d %s, want %d %s", tt.q, status, body, tt.status, tt.want)
		}
	}
	// A trial or scratch org's TrialExpirationDate, as the REST API writes
	// a dateTime (UTC, milliseconds, +0000); null above for one that does
	// not expire.
	f.sf.Change(func() { f.prod.TrialExpires = time.Date(2027, 1, 1, 0, 59, 59, 0, time.FixedZone("CET", 3600)) })
	if status, body := query("SELECT TrialExpirationDate FROM Organization"); status != 200 || !contains(body, `"TrialExpirationDate":"2026-12-31T23:59:59.000+0000"`) {
		t.Errorf("trial org: %d %s", status, body)
	}
	f.sf.Change(func() { f.prod.TrialExpires = time.Time{} })
	if status, body := query("SELECT TrialExpirationDate FROM Organization"); status != 200 || !contains(body, `"TrialExpirationDate":null`) {
		t.Errorf("org that does not expire: %d %s", status, body)
	}
	if status, body, _ := get(t, c, base+"/services/data/v65.0/sobjects/User/005000000000000AAA", at); status != 404 {
		t.Errorf("unknown user: %d %s", status, body)
	}
	if status, body, _ := get(t, c, base+"/services/data/v65.0", "00Dbogus!AQxyz"); status != 401 || strings.TrimSpace(body) != invalidSession {
		t.Errorf("bad token: %d %s", status, body)
	}

	f.sf.DisableAPI(f.prod)
	status, body, _ = get(t, c, base+"/services/data/v65.0/query?q=SELECT+Id+FROM+Organization", at)
	if status != 403 || strings.TrimSpace(body) != `[{"message":"The REST API is not enabled for this Organization.","errorCode":"API_DISABLED_FOR_ORG"}]` {
		t.Errorf("API disabled: %d %s", status, body)
	}
}

// TestDoubleSlash: sf calls //services/data; no redirect may answer.
func TestDoubleSlash(t *testing.T) {
	f := newFixture(t)
	at := str(f.tokens(t, f.app, f.admin)["access_token"])
	c := noFollow(f.sf.Client())
	for _, p := range []string{"//services/data", "//services/data/v64.0/query?q=SELECT+Name+FROM+Organization", "/services//oauth2/userinfo"} {
		if status, body, _ := get(t, c, f.prod.Host.URL+p, at); status != 200 {
			t.Errorf("%s: %d %s", p, status, body)
		}
	}
	if r := f.sf.Requests(); r[len(r)-1].Path != "/services/oauth2/userinfo" {
		t.Errorf("logged path %q", r[len(r)-1].Path)
	}
}

// TestClientCredentials checks the client credentials flow.
func TestClientCredentials(t *testing.T) {
	f := newFixture(t)
	c := f.sf.Client()
	form := func(app *sftest.App, secret string) url.Values {
		return url.Values{"grant_type": {"client_credentials"}, "client_id": {app.ClientID}, "client_secret": {secret}}
	}
	status, m := post(t, c, f.sf.Production.URL+"/services/oauth2/token", form(f.app, f.app.ClientSecret))
	wantOAuthError(t, status, m, "invalid_grant", "request not supported on this domain")
	status, m = post(t, c, f.prod.Host.URL+"/services/oauth2/token", form(f.app, f.app.ClientSecret))
	wantOAuthError(t, status, m, "invalid_grant", "no client credentials user enabled")
	f.app.RunAs = f.user
	status, m = post(t, c, f.prod.Host.URL+"/services/oauth2/token", form(f.app, "wrong"))
	wantOAuthError(t, status, m, "invalid_client", "invalid client credentials")
	status, m = post(t, c, f.prod.Host.URL+"/services/oauth2/token", form(f.app, f.app.ClientSecret))
	if status != 200 || m["refresh_token"] != nil || m["instance_url"] != f.prod.Host.URL || m["id"] != f.prod.Host.URL+"/id/"+f.prod.ID+"/"+f.user.ID {
		t.Errorf("success: %d %v", status, m)
	}
	if status, _, _ := get(t, c, f.prod.Host.URL+"/services/data/v64.0", str(m["access_token"])); status != 200 {
		t.Errorf("token unusable: %d", status)
	}
	// Basic authentication, no body credentials.
	req, _ := http.NewRequest(http.MethodPost, f.prod.Host.URL+"/services/oauth2/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(f.app.ClientID, f.app.ClientSecret)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("basic: %d", resp.StatusCode)
	}
}

// TestTLS runs a browser login and API calls over HTTPS.
func TestTLS(t *testing.T) {
	f := newFixture(t, sftest.WithTLS())
	if !strings.HasPrefix(f.sf.Production.URL, "https://127.0.0.1:") || !strings.HasPrefix(f.prod.Host.URL, "https://") {
		t.Fatalf("URLs %s %s", f.sf.Production.URL, f.prod.Host.URL)
	}
	if pem := f.sf.CertPEM(); !strings.HasPrefix(string(pem), "-----BEGIN CERTIFICATE-----") {
		t.Fatalf("CertPEM %q", pem)
	}
	verifier, challenge := pkce()
	cb, _ := login(t, f, &sftest.Browser{Username: f.admin.Username, Client: f.sf.Client()},
		authorizeURL(f.sf.Production, f.app, f.lb.URL, url.Values{"code_challenge": {challenge}}))
	status, m := f.exchange(t, f.sf.Production, f.app, cb.Get("code"), verifier)
	if status != 200 {
		t.Fatalf("token: %d %v", status, m)
	}
	if status, _, _ := get(t, f.sf.Client(), str(m["instance_url"])+"/services/oauth2/userinfo", str(m["access_token"])); status != 200 {
		t.Errorf("userinfo: %d", status)
	}
	if _, err := http.Get(f.sf.Production.URL + "/services/data"); err == nil {
		t.Error("untrusted client connected")
	}
	if sftest.New(t).CertPEM() != nil {
		t.Error("CertPEM without TLS")
	}
}

// TestMisc: 404, 405, latency and the CLI app.
func TestMisc(t *testing.T) {
	f := newFixture(t)
	c := f.sf.Client()
	if status, _, _ := get(t, c, f.sf.Production.URL+"/nowhere", ""); status != 404 {
		t.Errorf("unknown path: %d", status)
	}
	req, _ := http.NewRequest(http.MethodDelete, f.sf.Production.URL+"/services/oauth2/token", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Errorf("DELETE token: %d", resp.StatusCode)
	}
	f.sf.SetLatency(50 * time.Millisecond)
	start := time.Now()
	get(t, c, f.sf.Production.URL+"/services/data", "")
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("latency %v", d)
	}
	f.sf.SetLatency(0)
	cli := f.sf.CLIApp()
	if cli.ClientID != "PlatformCLI" || cli.ClientSecret != "" || !cli.RequirePKCE || cli.CallbackURLs[0] != "http://localhost:1717/OauthRedirect" {
		t.Errorf("CLI app %+v", cli)
	}
	if !regexp.MustCompile(`^3MVG9[A-Za-z0-9._]{80}$`).MatchString(f.app.ClientID) || len(f.app.ClientSecret) != 64 {
		t.Errorf("generated key %q secret %q", f.app.ClientID, f.app.ClientSecret)
	}
	if len(f.prod.ID) != 18 || !strings.HasPrefix(f.prod.ID, "00D") || len(f.user.ID) != 18 || !strings.HasPrefix(f.user.ID, "005") {
		t.Errorf("ids %s %s", f.prod.ID, f.user.ID)
	}
	// The CLI's flow: PKCE without code_challenge_method, scope refresh_token api web.
	verifier, challenge := pkce()
	cb, _ := login(t, f, &sftest.Browser{Username: f.admin.Username}, authorizeURL(f.sf.Production, cli, f.lb.URL,
		url.Values{"prompt": {"login"}, "code_challenge": {challenge}}))
	status, m := post(t, c, f.sf.Production.URL+"/services/oauth2/token", url.Values{"grant_type": {"authorization_code"},
		"code": {cb.Get("code")}, "client_id": {"PlatformCLI"}, "redirect_uri": {f.lb.URL}, "code_verifier": {verifier}})
	if status != 200 || m["scope"] != "refresh_token api web" || str(m["refresh_token"]) == "" {
		t.Errorf("CLI token: %d %v", status, m)
	}
}
