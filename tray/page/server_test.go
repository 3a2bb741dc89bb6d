package page

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/oauth"
)

// The URL's token is exchanged for an HttpOnly SameSite=Strict cookie and
// leaves the address bar; the page then answers the cookie.
func TestTokenBecomesCookie(t *testing.T) {
	w := newWorld(t)
	u, _ := url.Parse(w.url)
	if u.Query().Get("token") == "" || u.Path != "/" {
		t.Fatalf("URL %s has no token", w.url)
	}

	resp := w.get(w.url)
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != "/" {
		t.Fatalf("GET with the token: %d to %q, want 303 to /", resp.status, resp.header.Get("Location"))
	}
	c := resp.header.Get("Set-Cookie")
	for _, want := range []string{cookieName + "=", "HttpOnly", "SameSite=Strict", "Path=/"} {
		if !strings.Contains(c, want) {
			t.Errorf("cookie %q lacks %s", c, want)
		}
	}
	if strings.Contains(c, u.Query().Get("token")) {
		t.Error("the cookie is the URL's token: a token seen in a URL would be a session")
	}

	page := w.get("/")
	if page.status != http.StatusOK || !strings.Contains(page.body, "Connect a Salesforce org") {
		t.Fatalf("GET / with the cookie: %d\n%s", page.status, page.body)
	}

	// A second URL while serving is the same page: the tray may open it
	// twice.
	again, err := w.srv.URL(context.Background())
	if err != nil || again != w.url {
		t.Errorf("URL while serving = %q, %v; want %q", again, err, w.url)
	}
}

// Without the token or the cookie, every page says where to open it from.
func TestWrongToken(t *testing.T) {
	w := newWorld(t)
	for _, path := range []string{"/?token=wrong", "/?token=", "/", "/validate?domain=x", "/attempt/x", "/attempt/x.json"} {
		resp := w.get(path)
		if resp.status != http.StatusForbidden {
			t.Errorf("GET %s: %d, want 403", path, resp.status)
		}
		if !strings.Contains(strings.ToLower(resp.body), "open the connections page from the meshmesh menu") {
			t.Errorf("GET %s says:\n%s", path, resp.body)
		}
		if resp.header.Get("Set-Cookie") != "" {
			t.Errorf("GET %s set a cookie", path)
		}
	}

	// A cookie of the right name but not the session's is no better.
	req := w.request("GET", "/", nil)
	req.AddCookie(&http.Cookie{Name: cookieName, Value: "guessed"})
	if resp := w.do(req); resp.status != http.StatusForbidden {
		t.Errorf("GET / with a forged cookie: %d, want 403", resp.status)
	}

	// A token of an earlier serving is dead: a restart makes a new one.
	w.srv.Close()
	u2, err := w.srv.URL(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	old, _ := url.Parse(w.url)
	now, _ := url.Parse(u2)
	if old.Query().Get("token") == now.Query().Get("token") {
		t.Error("a new serving has the old token")
	}
}

// The page answers only requests addressed to its own host and port: a
// DNS-rebinding site's requests carry its own name.
func TestHostChecked(t *testing.T) {
	w := newWorld(t)
	w.open()
	port := strings.TrimPrefix(w.origin, "http://127.0.0.1:")
	otherPort := strconv.Itoa(mustAtoi(t, port) + 1)
	for _, host := range []string{"evil.example", "evil.example:" + port, "127.0.0.1:" + otherPort, "127.0.0.1", "localhost", "[::1]:" + port} {
		req := w.request("GET", "/", nil)
		req.Host = host
		resp := w.do(req)
		if resp.status != http.StatusMisdirectedRequest {
			t.Errorf("Host %s: %d, want 421", host, resp.status)
		}
		if strings.Contains(resp.body, "Connect a Salesforce org") {
			t.Errorf("Host %s got the page", host)
		}
	}
	// Its own names: 127.0.0.1 and localhost (cookies are per name, so
	// each takes the token).
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST:" + port} {
		req := w.request("GET", w.url, nil)
		req.Host = host
		if resp := w.do(req); resp.status != http.StatusSeeOther {
			t.Errorf("Host %s: %d, want 303", host, resp.status)
		}
		req = w.request("GET", "/", nil)
		req.Host = host
		if resp := w.do(req); resp.status != http.StatusOK {
			t.Errorf("Host %s: %d, want 200", host, resp.status)
		}
	}
}

func mustAtoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A POST needs the session's CSRF token, and no other site's Origin.
func TestPostsNeedCSRFAndOrigin(t *testing.T) {
	w := newWorld(t)
	w.open()
	token := w.csrf()
	for _, tt := range []struct {
		name          string
		csrf, header  string
		origin, fetch string
		want          int
	}{
		{name: "no token", origin: w.origin, want: http.StatusForbidden},
		{name: "wrong token", csrf: "wrong", origin: w.origin, want: http.StatusForbidden},
		{name: "wrong header", header: "wrong", origin: w.origin, want: http.StatusForbidden},
		{name: "other origin", csrf: token, origin: "http://evil.example", want: http.StatusForbidden},
		{name: "other port", csrf: token, origin: "http://127.0.0.1:1", want: http.StatusForbidden},
		{name: "null origin", csrf: token, origin: "null", want: http.StatusForbidden},
		{name: "cross-site fetch", csrf: token, fetch: "cross-site", want: http.StatusForbidden},
		{name: "same-site fetch", csrf: token, fetch: "same-site", want: http.StatusForbidden},
		{name: "field", csrf: token, origin: w.origin, fetch: "same-origin", want: http.StatusSeeOther},
		{name: "header", header: token, origin: w.origin, want: http.StatusSeeOther},
		{name: "no origin", csrf: token, want: http.StatusSeeOther},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := w.conn.requestCount()
			f := customForm(oauth.Sandbox)
			if tt.csrf != "" {
				f.Set("csrf", tt.csrf)
			}
			req := w.request("POST", "/connect", f)
			if tt.header != "" {
				req.Header.Set(csrfHeader, tt.header)
			}
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.fetch != "" {
				req.Header.Set("Sec-Fetch-Site", tt.fetch)
			}
			resp := w.do(req)
			if resp.status != tt.want {
				t.Fatalf("POST /connect: %d, want %d\n%s", resp.status, tt.want, resp.body)
			}
			started := w.conn.requestCount() > before
			if started != (tt.want == http.StatusSeeOther) {
				t.Errorf("connector called: %v", started)
			}
		})
	}
}

// Every response, whatever it is, carries the security headers.
func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	w := newWorld(t)
	w.open()
	attempt := w.post("/connect", customForm(oauth.Sandbox), false).header.Get("Location")
	requests := []*http.Request{
		w.request("GET", w.url, nil),
		w.request("GET", "/", nil),
		w.request("GET", "/static/page.css", nil),
		w.request("GET", "/static/page.js", nil),
		w.request("GET", "/static/icon.svg", nil),
		w.request("GET", "/static/nope.txt", nil),
		w.request("GET", "/validate?domain=acme.lightning.force.com", nil),
		w.request("GET", attempt, nil),
		w.request("GET", attempt+".json", nil),
		w.request("GET", "/attempt/unknown", nil),
		w.request("GET", "/nowhere", nil),
		w.request("DELETE", "/", nil),
		w.request("POST", "/connect", url.Values{}),
		w.request("GET", "/?token=wrong", nil),
	}
	evil := w.request("GET", "/", nil)
	evil.Host = "evil.example"
	requests = append(requests, evil)
	for _, req := range requests {
		resp := w.do(req)
		name := req.Method + " " + req.URL.RequestURI()
		for h, want := range map[string]string{
			"Content-Security-Policy": contentSecurityPolicy,
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
			"Cache-Control":           "no-store",
			"X-Frame-Options":         "DENY",
		} {
			if got := resp.header.Get(h); got != want {
				t.Errorf("%s (%d): %s %q, want %q", name, resp.status, h, got, want)
			}
		}
	}
	csp := w.get("/").header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %s", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Errorf("CSP %q allows something unsafe", csp)
	}
	// No inline script or style for the CSP to block.
	page := w.get("/").body
	for _, bad := range []string{"<style", "style=", "<script>", "onclick=", "onsubmit=", "javascript:"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page has %s", bad)
		}
	}
}

// The client secret goes to the connector and nowhere else: not into any
// response, header or redirect, not into the log, whatever happens.
func TestSecretNeverLeaves(t *testing.T) {
	w := newWorld(t)
	w.conn.outcome = grantTypeMismatch
	w.open()

	// Errors in the form: it comes back without the secret.
	bad := customForm(oauth.CustomDomain)
	bad.Set("domain", "acme.lightning.force.com")
	bad.Set("alias", "not an alias")
	resp := w.post("/connect", bad, false)
	if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, "Enter the secret again") {
		t.Errorf("form with errors: %d, want 422 asking for the secret again:\n%s", resp.status, resp.body)
	}
	w.post("/connect", bad, true)

	// Started, without and with JavaScript; followed to the end, failed.
	for _, asJSON := range []bool{false, true} {
		resp := w.post("/connect", customForm(oauth.Production), asJSON)
		if resp.status >= 400 {
			t.Fatalf("POST /connect: %d\n%s", resp.status, resp.body)
		}
		id := <-w.conn.started
		if got := w.conn.lastRequest(t).ClientSecret; got != secret {
			t.Errorf("the connector got secret %q", got)
		}
		attempt := resp.header.Get("Location")
		if asJSON {
			var out struct{ ID string }
			json.Unmarshal([]byte(resp.body), &out)
			attempt = "/attempt/" + out.ID
		}
		w.get(attempt)
		w.get(attempt + ".json")
		w.conn.finish(id)
		done := w.get(attempt)
		if !strings.Contains(done.body, "Switch to Sandbox and retry") {
			t.Errorf("the failure page has no retry:\n%s", done.body)
		}
		w.get(attempt + ".json")
	}

	// Refused by the connector.
	w.conn.refuse = &oauth.Diagnosis{Code: "busy", Title: "Another sign-in is in progress", Advice: "Finish it first."}
	w.post("/connect", customForm(oauth.Sandbox), false)
	w.post("/connect", customForm(oauth.Sandbox), true)

	// A secret put in a URL by hand is not taken either.
	w.get("/?method=custom&client_secret=" + secret)

	for _, r := range w.responses {
		if strings.Contains(r, secret) {
			t.Errorf("a response holds the secret:\n%s", r)
		}
	}
	if log := w.log.String(); strings.Contains(log, secret) {
		t.Errorf("the log holds the secret:\n%s", log)
	} else if !strings.Contains(log, "method=custom") || !strings.Contains(log, "alias=acme") {
		t.Errorf("the log does not say what was asked:\n%s", log)
	}
	u, _ := url.Parse(w.url)
	if strings.Contains(w.log.String(), u.Query().Get("token")) {
		t.Error("the log holds the page's token")
	}
}

// The server repeats every rule of the page: each bad field gets its
// message, on the page without JavaScript and in the JSON for the script.
func TestValidation(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change map[string]string
		field  string
		want   string // in the field's message
		warn   bool   // a warning that does not stop the connection
	}{
		{"lightning host", map[string]string{"env": "custom", "domain": "acme.lightning.force.com"}, "domain", "https://acme.my.salesforce.com", false},
		{"http", map[string]string{"env": "custom", "domain": "http://acme.my.salesforce.com"}, "domain", "use https://acme.my.salesforce.com", false},
		{"custom domain missing", map[string]string{"env": "custom", "domain": ""}, "domain", "Enter your org's My Domain URL", false},
		{"not a URL", map[string]string{"env": "custom", "domain": "ftp://acme"}, "domain", "not an https URL", false},
		{"sandbox domain on production", map[string]string{"env": "production", "domain": "acme--uat.sandbox.my.salesforce.com"}, "domain", "is a sandbox domain, but Production is picked", true},
		{"production domain on sandbox", map[string]string{"env": "sandbox", "domain": "acme.my.salesforce.com"}, "domain", "is a production domain, but Sandbox is picked", true},
		{"missing client id", map[string]string{"client_id": ""}, "client_id", "Consumer Key", false},
		{"scopes without api", map[string]string{"scopes": "refresh_token web"}, "scopes", "lack api", false},
		{"scopes without refresh", map[string]string{"scopes": "api web"}, "scopes", "lack refresh_token", false},
		{"scopes without web", map[string]string{"scopes": "api,offline_access"}, "scopes", "lack web", false},
		{"no scopes", map[string]string{"scopes": ""}, "scopes", "lack api and refresh_token and web", false},
		{"alias with a space", map[string]string{"alias": "acme prod"}, "alias", "1 to 64 letters", false},
		{"alias an org id", map[string]string{"alias": "00D000000000001AAA"}, "alias", "Salesforce id", false},
		{"no method", map[string]string{"method": ""}, "method", "Pick Quick Connect", false},
		{"MeshMesh app not configured", map[string]string{"method": "meshmesh"}, "method", "no consumer key", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.open()
			f := customForm(oauth.Production)
			for k, v := range tt.change {
				f.Set(k, v)
			}

			// Without JavaScript: the form again, the message by the field.
			resp := w.post("/connect", f, false)
			if tt.warn {
				if resp.status != http.StatusSeeOther {
					t.Fatalf("a warning stopped the connection: %d\n%s", resp.status, resp.body)
				}
				// The warning stays in sight while the sign-in runs.
				attempt := w.get(resp.header.Get("Location"))
				if !strings.Contains(unescape(attempt.body), tt.want) {
					t.Errorf("the attempt's page does not show the warning %q:\n%s", tt.want, attempt.body)
				}
			} else {
				if resp.status != http.StatusUnprocessableEntity {
					t.Fatalf("POST /connect: %d, want 422\n%s", resp.status, resp.body)
				}
				msg := fieldMsg(t, resp.body, tt.field)
				if !strings.Contains(msg, tt.want) {
					t.Errorf("%s message %q, want %q", tt.field, msg, tt.want)
				}
				if !strings.Contains(resp.body, `role="alert"`) {
					t.Error("no error summary")
				}
				if w.conn.requestCount() != 0 {
					t.Error("the connector was called with a bad form")
				}
			}

			// With JavaScript: the same message as JSON.
			resp = w.post("/connect", f, true)
			var out struct {
				Errors   map[string]string
				Warnings map[string]string
			}
			if tt.warn {
				if resp.status != http.StatusOK {
					t.Fatalf("JSON: %d\n%s", resp.status, resp.body)
				}
			} else {
				if err := json.Unmarshal([]byte(resp.body), &out); err != nil || resp.status != http.StatusOK {
					t.Fatalf("JSON: %d %v\n%s", resp.status, err, resp.body)
				}
				if !strings.Contains(out.Errors[tt.field], tt.want) {
					t.Errorf("JSON %s error %q, want %q", tt.field, out.Errors[tt.field], tt.want)
				}
			}

			// As you type (domain, scopes and alias; never the secret).
			if tt.field == "domain" || tt.field == "scopes" || tt.field == "alias" {
				q := url.Values{}
				for k := range f {
					if k != "client_secret" {
						q.Set(k, f.Get(k))
					}
				}
				resp := w.get("/validate?" + q.Encode())
				var v struct {
					Fields map[string]struct{ Error, Warning string }
				}
				if err := json.Unmarshal([]byte(resp.body), &v); err != nil {
					t.Fatalf("validate: %v\n%s", err, resp.body)
				}
				got := v.Fields[tt.field].Error
				if tt.warn {
					got = v.Fields[tt.field].Warning
				}
				if !strings.Contains(got, tt.want) {
					t.Errorf("validate %s: %+v, want %q", tt.field, v.Fields[tt.field], tt.want)
				}
			}
		})
	}
}

// fieldMsg returns the text of field's message element on a page.
func fieldMsg(t *testing.T, page, field string) string {
	t.Helper()
	mark := `id="` + field + `-msg"`
	i := strings.Index(page, mark)
	if i < 0 {
		t.Fatalf("no message element for %s", field)
	}
	rest := page[i:]
	rest = rest[strings.IndexByte(rest, '>')+1:]
	return unescape(rest[:strings.Index(rest, "</p>")])
}

func unescape(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&amp;", "&", "&lt;", "<", "&gt;", ">").Replace(s)
}

// A good form reaches the connector as the request the user meant.
func TestRequestFromForm(t *testing.T) {
	for _, tt := range []struct {
		name string
		form url.Values
		want Request
	}{
		{"custom app on a sandbox", customForm(oauth.Sandbox), Request{
			Method: oauth.CustomApp, Target: oauth.Target{Environment: oauth.Sandbox},
			ClientID: "3MVG9-client-id", ClientSecret: secret, Scopes: oauth.DefaultScopes, Alias: "acme"}},
		{"custom domain", url.Values{"method": {"custom"}, "env": {"custom"}, "domain": {" https://Acme--UAT.sandbox.my.salesforce.com/ "},
			"client_id": {"id"}, "scopes": {"api, refresh_token, web"}}, Request{
			Method: oauth.CustomApp, Target: oauth.Target{Environment: oauth.CustomDomain, Domain: "https://Acme--UAT.sandbox.my.salesforce.com/"},
			ClientID: "id", Scopes: []string{"api", "refresh_token", "web"}}},
		{"quick connect ignores the app's fields", url.Values{"method": {"quick"}, "env": {"production"},
			"client_id": {"id"}, "client_secret": {secret}, "scopes": {"nonsense"}, "alias": {"acme"}}, Request{
			Method: oauth.QuickConnect, Target: oauth.Target{Environment: oauth.Production}, Alias: "acme"}},
		{"MeshMesh app takes scopes, not credentials", url.Values{"method": {"meshmesh"}, "env": {"sandbox"},
			"client_id": {"id"}, "client_secret": {secret}, "scopes": {"full refresh_token"}}, Request{
			Method: oauth.MeshMeshApp, Target: oauth.Target{Environment: oauth.Sandbox}, Scopes: []string{"full", "refresh_token"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, func(o *Options) { o.Settings.ECAClientID = "3MVG9-meshmesh" })
			w.open()
			if resp := w.post("/connect", tt.form, false); resp.status != http.StatusSeeOther {
				t.Fatalf("POST /connect: %d\n%s", resp.status, resp.body)
			}
			got := w.conn.lastRequest(t)
			if got.Method != tt.want.Method || got.Target != tt.want.Target || got.ClientID != tt.want.ClientID ||
				got.ClientSecret != tt.want.ClientSecret || got.Alias != tt.want.Alias ||
				strings.Join(got.Scopes, " ") != strings.Join(tt.want.Scopes, " ") {
				t.Errorf("request\n%+v, want\n%+v", got, tt.want)
			}
		})
	}
}

// The MeshMesh Connected App is marked pre-release, and disabled with a
// reason when the build has no consumer key for it.
func TestMeshMeshMethod(t *testing.T) {
	w := newWorld(t)
	w.open()
	page := w.get("/").body
	radio := tag(t, page, `id="method-meshmesh"`)
	if !strings.Contains(radio, "disabled") {
		t.Errorf("the unconfigured method is enabled: %s", radio)
	}
	if !strings.Contains(page, "Pre-release") || !strings.Contains(page, "no consumer key for the MeshMesh Connected App") {
		t.Error("the page does not say the method is pre-release and why it is off")
	}

	w = newWorld(t, func(o *Options) { o.Settings.ECAClientID = "3MVG9-meshmesh" })
	w.open()
	if radio := tag(t, w.get("/").body, `id="method-meshmesh"`); strings.Contains(radio, "disabled") {
		t.Errorf("the configured method is disabled: %s", radio)
	}
}

// tag returns the HTML tag holding attr.
func tag(t *testing.T, page, attr string) string {
	t.Helper()
	i := strings.Index(page, attr)
	if i < 0 {
		t.Fatalf("no %s on the page", attr)
	}
	start := strings.LastIndexByte(page[:i], '<')
	return page[start : i+strings.IndexByte(page[i:], '>')+1]
}

// Progress, then the result; a diagnosis's fixes are buttons, and none
// carries the secret.
func TestAttemptPage(t *testing.T) {
	w := newWorld(t)
	w.conn.outcome = grantTypeMismatch
	w.open()
	resp := w.post("/connect", customForm(oauth.Production), false)
	attempt := resp.header.Get("Location")
	id := <-w.conn.started
	if !strings.HasPrefix(attempt, "/attempt/") || strings.Contains(attempt, id) {
		t.Fatalf("redirect to %q: want the page's own handle, not the connector's id %q", attempt, id)
	}

	running := w.get(attempt).body
	for _, want := range []string{"Waiting for you to sign in in your browser…", "Open the Salesforce sign-in page", `rel="noopener noreferrer"`, ">Refresh<", "Cancel"} {
		if !strings.Contains(running, want) {
			t.Errorf("the running attempt's page lacks %q:\n%s", want, running)
		}
	}
	var p struct {
		Done, Connected bool
		HTML            string
	}
	json.Unmarshal([]byte(w.get(attempt+".json").body), &p)
	if p.Done || !strings.Contains(p.HTML, "Waiting for you to sign in") {
		t.Errorf("JSON of the running attempt: %+v", p)
	}

	w.conn.finish(id)
	done := w.get(attempt).body
	for _, want := range []string{"Grant type not supported", "unsupported_grant_type",
		`href="https://login.salesforce.com/packaging/installPackage.apexp?p0=` + oauth.PackageID + `" target="_blank" rel="noopener noreferrer"`,
		"Switch to Sandbox and retry", `data-fix="retry_environment"`, `name="env" value="sandbox"`, `name="client_id" value="3MVG9-client-id"`} {
		if !strings.Contains(done, want) {
			t.Errorf("the failed attempt's page lacks %q:\n%s", want, done)
		}
	}
	if strings.Contains(done, "client_secret") {
		t.Error("a fix carries a secret field")
	}

	// Without JavaScript, the retry leads to the form with the sandbox
	// picked, asking for the secret again.
	retry := w.get("/?again=1&client_id=3MVG9-client-id&env=sandbox&method=custom&scopes=api+refresh_token+offline_access+web")
	if !strings.Contains(tag(t, retry.body, `id="env-sandbox"`), "checked") || !strings.Contains(retry.body, "Enter the secret again") {
		t.Errorf("the retry's form:\n%s", retry.body)
	}

	// The unknown attempt.
	if resp := w.get("/attempt/nope.json"); resp.status != http.StatusNotFound {
		t.Errorf("unknown attempt: %d", resp.status)
	}
}

// Success, and cancel.
func TestAttemptConnectsAndCancels(t *testing.T) {
	w := newWorld(t)
	w.open()
	resp := w.post("/connect", customForm(oauth.Sandbox), true)
	var started struct {
		ID   string
		Done bool
		HTML string
	}
	if err := json.Unmarshal([]byte(resp.body), &started); err != nil || started.ID == "" || started.Done {
		t.Fatalf("POST /connect as JSON: %v %+v", err, started)
	}
	id := <-w.conn.started
	w.conn.finish(id)
	var p struct {
		Done, Connected bool
		HTML            string
	}
	json.Unmarshal([]byte(w.get("/attempt/"+started.ID+".json").body), &p)
	if !p.Done || !p.Connected || !strings.Contains(p.HTML, "Connected to Acme Corp") || !strings.Contains(p.HTML, "admin@acme.example") {
		t.Errorf("JSON of the connected attempt: %+v", p)
	}

	resp = w.post("/connect", customForm(oauth.Sandbox), false)
	attempt := resp.header.Get("Location")
	id = <-w.conn.started
	if resp := w.post(attempt+"/cancel", url.Values{}, false); resp.status != http.StatusSeeOther {
		t.Fatalf("cancel: %d", resp.status)
	}
	w.conn.mu.Lock()
	cancelled := w.conn.attempts[id].cancelled
	w.conn.mu.Unlock()
	if !cancelled {
		t.Error("the connector's attempt was not cancelled")
	}
	if page := w.get(attempt).body; !strings.Contains(page, "Connection cancelled") {
		t.Errorf("after cancel:\n%s", page)
	}
}

// The three install URLs, the custom one from the typed domain.
func TestInstallURLs(t *testing.T) {
	w := newWorld(t)
	w.open()
	page := w.get("/").body
	for _, want := range []string{
		"https://login.salesforce.com/packaging/installPackage.apexp?p0=" + oauth.PackageID,
		"https://test.salesforce.com/packaging/installPackage.apexp?p0=" + oauth.PackageID,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	var v struct {
		InstallCustom string `json:"install_custom"`
	}
	json.Unmarshal([]byte(w.get("/validate?env=custom&domain=Acme.my.salesforce.com").body), &v)
	if want := "https://acme.my.salesforce.com/packaging/installPackage.apexp?p0=" + oauth.PackageID; v.InstallCustom != want {
		t.Errorf("custom install URL %q, want %q", v.InstallCustom, want)
	}
}

// Every form control has a label, radio groups a legend.
func TestLabels(t *testing.T) {
	w := newWorld(t)
	w.open()
	page := w.get("/").body
	for rest := page; ; {
		i := strings.Index(rest, "<input")
		if i < 0 {
			break
		}
		in := rest[i : i+strings.IndexByte(rest[i:], '>')+1]
		rest = rest[i+len(in):]
		if strings.Contains(in, `type="hidden"`) {
			continue
		}
		const mark = ` id="`
		j := strings.Index(in, mark)
		if j < 0 {
			t.Errorf("input without id: %s", in)
			continue
		}
		id := in[j+len(mark):]
		id = id[:strings.IndexByte(id, '"')]
		if !strings.Contains(page, `<label for="`+id+`"`) {
			t.Errorf("input %s has no label", id)
		}
	}
	if strings.Count(page, "<legend>") != 2 {
		t.Errorf("want a legend for the method and the environment")
	}
}

// The page listens on loopback only, on a port of its own: never the
// callback port, even when the system hands that one out.
func TestListensOnLoopbackNotCallbackPort(t *testing.T) {
	// A free port to play the callback port.
	probe, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	callback := probe.Addr().(*net.TCPAddr).Port
	probe.Close()

	s := New(Options{Settings: oauth.Settings{CallbackPort: callback}, Connector: newFakeConnector()})
	var first net.Listener
	var lc net.ListenConfig
	s.listen = func(ctx context.Context, network, address string) (net.Listener, error) {
		if first == nil {
			// The system hands out the callback port first.
			first, err = lc.Listen(ctx, network, "127.0.0.1:"+strconv.Itoa(callback))
			return first, err
		}
		return lc.Listen(ctx, network, address)
	}
	u, err := s.URL(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pu, _ := url.Parse(u)
	if pu.Hostname() != "127.0.0.1" {
		t.Errorf("URL %s is not on 127.0.0.1", u)
	}
	if pu.Port() == strconv.Itoa(callback) || pu.Port() == strconv.Itoa(oauth.DefaultCallbackPort) {
		t.Errorf("the page took port %s (callback %d)", pu.Port(), callback)
	}
	s.mu.Lock()
	addr := s.cur.ln.Addr().(*net.TCPAddr)
	s.mu.Unlock()
	if !addr.IP.IsLoopback() || addr.IP.IsUnspecified() {
		t.Errorf("listening on %s", addr)
	}
	// The callback port was let go again.
	ln, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(callback))
	if err != nil {
		t.Errorf("the callback port is still held: %v", err)
	} else {
		ln.Close()
	}
}

// After IdleTimeout with no request the page stops listening, by itself.
func TestIdleClose(t *testing.T) {
	s := New(Options{Connector: newFakeConnector(), IdleTimeout: time.Millisecond})
	closed := make(chan bool, 1)
	s.idleHook = func(kept bool) { closed <- !kept }
	u, err := s.URL(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !<-closed {
		t.Fatal("the idle check kept the page up")
	}
	pu, _ := url.Parse(u)
	if conn, err := net.Dial("tcp4", pu.Host); err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after the idle timeout", pu.Host)
	}

	// URL serves it again, with a new token.
	again, err := s.URL(context.Background())
	if err != nil || again == u {
		t.Errorf("URL after the idle close: %q, %v", again, err)
	}
}

// frozenClock is a clock that moves only when the test says.
type frozenClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *frozenClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *frozenClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// A running attempt keeps the page up past the idle timeout; once it ends,
// the page closes.
func TestIdleKeptByRunningAttempt(t *testing.T) {
	clock := &frozenClock{t: time.Now()}
	events := make(chan bool, 64)
	w := newWorld(t, func(o *Options) { o.IdleTimeout = 5 * time.Millisecond })
	w.srv.Close()
	w.srv.now = clock.now
	w.srv.idleHook = func(kept bool) { events <- kept }
	u, err := w.srv.URL(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w.url = u
	pu, _ := url.Parse(u)
	w.origin = "http://" + pu.Host
	w.open()
	w.post("/connect", customForm(oauth.Sandbox), false)
	id := <-w.conn.started

	// Long after the last request, the attempt still runs.
	clock.advance(time.Hour)
	if kept := <-events; !kept {
		t.Fatal("the page closed while an attempt was running")
	}
	if resp := w.get("/"); resp.status != http.StatusOK {
		t.Fatalf("the page while an attempt runs: %d", resp.status)
	}

	// Once it ends and the page is idle again, it closes.
	w.conn.finish(id)
	clock.advance(time.Hour)
	for kept := range events {
		if !kept {
			break
		}
	}
	if conn, err := net.Dial("tcp4", pu.Host); err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections", pu.Host)
	}
}

// The product's title names the window and heads the page.
func TestTitle(t *testing.T) {
	w := newWorld(t, func(o *Options) { o.Title = "MeshMesh (Demo)" })
	w.open()
	page := w.get("/").body
	if !strings.Contains(page, "<title>Connect a Salesforce org — MeshMesh (Demo)</title>") ||
		!strings.Contains(page, `<span class="brand">MeshMesh (Demo)</span>`) {
		t.Errorf("the title is not shown:\n%s", page[:min(len(page), 800)])
	}
}
