package sftest_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/oauth/sftest"
)

func TestMain(m *testing.M) {
	sftest.RunBrowserFromEnv()
	os.Exit(m.Run())
}

// loopback is the app's redirect server, behaving like the Salesforce CLI's:
// /OauthRedirect answers 303 → /OauthSuccess (or /OauthError).
type loopback struct {
	URL string // the redirect_uri
	got chan url.Values
}

func newLoopback(t *testing.T) *loopback {
	t.Helper()
	lb := &loopback{got: make(chan url.Values, 10)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/OauthRedirect":
			lb.got <- r.URL.Query()
			if r.URL.Query().Get("error") != "" {
				http.Redirect(w, r, "/OauthError", http.StatusSeeOther)
				return
			}
			http.Redirect(w, r, "/OauthSuccess", http.StatusSeeOther)
		case "/OauthSuccess":
			io.WriteString(w, "Authentication Successful")
		case "/OauthError":
			io.WriteString(w, "Authentication Failed")
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	lb.URL = srv.URL + "/OauthRedirect"
	return lb
}

// callback returns what the loopback received, or nil if nothing came.
func (lb *loopback) callback() url.Values {
	select {
	case v := <-lb.got:
		return v
	default:
		return nil
	}
}

// fixture is a fake with two orgs, users and an app.
type fixture struct {
	sf       *sftest.Server
	prod     *sftest.Org
	sbx      *sftest.Org
	other    *sftest.Org
	admin    *sftest.User // prod, admin
	user     *sftest.User // prod, not admin
	sbxUser  *sftest.User // sandbox, admin
	otherAdm *sftest.User // other prod org, admin
	app      *sftest.App  // connected app installed in prod
	lb       *loopback
}

func newFixture(t *testing.T, opts ...sftest.Option) *fixture {
	t.Helper()
	f := &fixture{sf: sftest.New(t, opts...), lb: newLoopback(t)}
	f.prod = f.sf.AddOrg(sftest.Org{Name: "Acme Corp"})
	f.sbx = f.sf.AddOrg(sftest.Org{Name: "Acme Sandbox", Sandbox: true})
	f.other = f.sf.AddOrg(sftest.Org{Name: "Globex"})
	f.admin = f.sf.AddUser(sftest.User{Org: f.prod, Username: "admin@acme.example", Name: "Ada Admin", Admin: true})
	f.user = f.sf.AddUser(sftest.User{Org: f.prod, Username: "user@acme.example", Name: "Uma User"})
	f.sbxUser = f.sf.AddUser(sftest.User{Org: f.sbx, Username: "admin@acme.example.dev", Name: "Sandy Box", Admin: true})
	f.otherAdm = f.sf.AddUser(sftest.User{Org: f.other, Username: "admin@globex.example", Name: "Gus Globex", Admin: true})
	f.app = f.sf.AddApp(sftest.App{
		Name:         "MeshMesh",
		OwnerOrg:     f.prod,
		CallbackURLs: []string{f.lb.URL},
		Scopes:       []string{"api", "refresh_token", "web"},
		InstalledIn:  []*sftest.Org{f.prod},
	})
	f.sf.CLIApp().CallbackURLs = append(f.sf.CLIApp().CallbackURLs, f.lb.URL)
	return f
}

// pkce returns a verifier and its S256 challenge.
func pkce() (verifier, challenge string) {
	b := make([]byte, 96)
	rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// authorizeURL builds an authorize URL at host for app; extra overrides.
func authorizeURL(host *sftest.Host, app *sftest.App, redirect string, extra url.Values) string {
	v := url.Values{
		"response_type": {"code"},
		"client_id":     {app.ClientID},
		"redirect_uri":  {redirect},
		"state":         {"e1cc7fe35ea1"},
		"scope":         {"refresh_token api web"},
	}
	for k, vs := range extra {
		if len(vs) == 0 || vs[0] == "-" {
			v.Del(k)
			continue
		}
		v[k] = vs
	}
	return host.URL + "/services/oauth2/authorize?" + v.Encode()
}

// ctx returns a context for one test step.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// login runs a Browser through the authorize URL and returns the callback
// parameters (nil if the callback was not reached) and the final page.
func login(t *testing.T, f *fixture, b *sftest.Browser, rawURL string) (url.Values, *sftest.Visit) {
	t.Helper()
	v, err := b.Open(ctx(t), rawURL)
	if err != nil {
		t.Fatalf("Browser.Open: %v", err)
	}
	return f.lb.callback(), v
}

// code gets an authorization code for user at host with PKCE and returns it
// with its verifier.
func (f *fixture) code(t *testing.T, host *sftest.Host, app *sftest.App, user *sftest.User) (code, verifier string) {
	t.Helper()
	verifier, challenge := pkce()
	cb, v := login(t, f, &sftest.Browser{Username: user.Username, Password: user.Password},
		authorizeURL(host, app, f.lb.URL, url.Values{"code_challenge": {challenge}}))
	if cb.Get("code") == "" {
		t.Fatalf("no code: callback %v, page %s %d %q", cb, v.URL, v.Status, v.Body)
	}
	if cb.Get("state") != "e1cc7fe35ea1" {
		t.Fatalf("state = %q", cb.Get("state"))
	}
	return cb.Get("code"), verifier
}

// post sends a form and decodes a JSON answer.
func post(t *testing.T, c *http.Client, rawURL string, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := c.PostForm(rawURL, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	body, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("POST %s: %d %q: %v", rawURL, resp.StatusCode, body, err)
	}
	return resp.StatusCode, m
}

// get sends a GET with an optional bearer token.
func get(t *testing.T, c *http.Client, rawURL, token string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), resp.Header
}

// noFollow is a client with a cookie jar that does not follow redirects.
func noFollow(base *http.Client) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := *base
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// wantOAuthError checks a token endpoint error.
func wantOAuthError(t *testing.T, status int, m map[string]any, code, desc string) {
	t.Helper()
	if status != http.StatusBadRequest || m["error"] != code || m["error_description"] != desc || len(m) != 2 {
		t.Errorf("got %d %v, want 400 {error:%q error_description:%q}", status, m, code, desc)
	}
}

// exchange redeems a code at host.
func (f *fixture) exchange(t *testing.T, host *sftest.Host, app *sftest.App, code, verifier string) (int, map[string]any) {
	t.Helper()
	return post(t, f.sf.Client(), host.URL+"/services/oauth2/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "client_id": {app.ClientID},
		"client_secret": {app.ClientSecret}, "redirect_uri": {f.lb.URL}, "code_verifier": {verifier},
	})
}

// tokens logs in admin at Production and returns the token response.
func (f *fixture) tokens(t *testing.T, app *sftest.App, user *sftest.User) map[string]any {
	t.Helper()
	code, verifier := f.code(t, f.sf.Production, app, user)
	status, m := f.exchange(t, f.sf.Production, app, code, verifier)
	if status != 200 {
		t.Fatalf("token: %d %v", status, m)
	}
	return m
}

func str(v any) string { s, _ := v.(string); return s }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
