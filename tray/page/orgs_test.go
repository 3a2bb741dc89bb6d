package page

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
)

// Without the session, the Orgs view, its JSON and its actions are
// refused, and no action reaches the tray.
func TestOrgsNeedSession(t *testing.T) {
	f := newFakeOrgs(5)
	w := orgsWorld(t, f)
	for _, path := range []string{"/orgs", "/orgs?org=admin@acme.example", "/orgs.json", "/orgs.json?since=1"} {
		resp := w.get(path)
		if resp.status != http.StatusForbidden {
			t.Errorf("GET %s: %d, want 403", path, resp.status)
		}
		if strings.Contains(resp.body, "acme") {
			t.Errorf("GET %s without the session shows an org:\n%s", path, resp.body)
		}
	}
	if ct := w.get("/orgs.json").header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("/orgs.json refused as %s, want JSON for the script", ct)
	}
	req := w.request("POST", "/orgs/action", url.Values{"kind": {"remove"}, "username": {"admin@acme.example"}, "confirm": {"1"}})
	req.Header.Set("Origin", w.origin)
	if resp := w.do(req); resp.status != http.StatusForbidden {
		t.Errorf("POST /orgs/action without the session: %d, want 403", resp.status)
	}
	if n := len(f.actions()); n != 0 {
		t.Errorf("%d actions reached the tray", n)
	}
}

// An action needs the CSRF token and no other site's Origin or fetch
// site, like every POST of the page.
func TestOrgsActionNeedsCSRFAndOrigin(t *testing.T) {
	f := newFakeOrgs(5)
	w := orgsWorld(t, f)
	w.open()
	token := w.csrf()
	for _, tt := range []struct {
		name                  string
		csrf, header, origin  string
		fetchSite, wantStatus string
	}{
		{name: "no token", origin: w.origin},
		{name: "wrong token", csrf: "wrong", origin: w.origin},
		{name: "wrong header", header: "wrong", origin: w.origin},
		{name: "other origin", csrf: token, origin: "http://evil.example"},
		{name: "other port", csrf: token, origin: "http://127.0.0.1:1"},
		{name: "null origin", csrf: token, origin: "null"},
		{name: "cross-site fetch", csrf: token, fetchSite: "cross-site"},
		{name: "same-site fetch", header: token, fetchSite: "same-site"},
	} {
		form := url.Values{"kind": {"remove"}, "username": {"admin@acme.example"}, "confirm": {"1"}}
		if tt.csrf != "" {
			form.Set("csrf", tt.csrf)
		}
		req := w.request("POST", "/orgs/action", form)
		if tt.header != "" {
			req.Header.Set(csrfHeader, tt.header)
		}
		if tt.origin != "" {
			req.Header.Set("Origin", tt.origin)
		}
		if tt.fetchSite != "" {
			req.Header.Set("Sec-Fetch-Site", tt.fetchSite)
		}
		req.Header.Set("Accept", "application/json")
		if resp := w.do(req); resp.status != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", tt.name, resp.status)
		}
	}
	if n := len(f.actions()); n != 0 {
		t.Fatalf("%d refused actions reached the tray: %+v", n, f.actions())
	}

	// The script's way: the token in the header, same-origin.
	req := w.request("POST", "/orgs/action", url.Values{"kind": {"pin"}, "username": {"dev@initech.example"}})
	req.Header.Set(csrfHeader, token)
	req.Header.Set("Origin", w.origin)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Accept", "application/json")
	if resp := w.do(req); resp.status != http.StatusOK || !strings.Contains(resp.body, `"ok":true`) {
		t.Errorf("the script's POST: %d %s", resp.status, resp.body)
	}
}

// Each kind of action reaches the tray with its fields, trimmed, and
// only those of its kind.
func TestOrgsActionKinds(t *testing.T) {
	f := newFakeOrgs(5)
	w := orgsWorld(t, f)
	w.open()
	for _, tt := range []struct {
		form url.Values
		want OrgAction
	}{
		{url.Values{"kind": {"open"}, "username": {"admin@acme.example"}},
			OrgAction{Kind: OrgOpen, Username: "admin@acme.example"}},
		{url.Values{"kind": {"open"}, "username": {"admin@acme.example"}, "path": {" " + oauth.SetupPath + " "}, "value": {"ignored"}},
			OrgAction{Kind: OrgOpen, Username: "admin@acme.example", Path: oauth.SetupPath}},
		{url.Values{"kind": {"reconnect"}, "username": {"admin@acme.example.uat"}, "path": {"/x"}},
			OrgAction{Kind: OrgReconnect, Username: "admin@acme.example.uat"}},
		{url.Values{"kind": {"pin"}, "username": {"dev@initech.example"}},
			OrgAction{Kind: OrgPin, Username: "dev@initech.example"}},
		{url.Values{"kind": {"unpin"}, "username": {"dev@initech.example"}},
			OrgAction{Kind: OrgUnpin, Username: "dev@initech.example"}},
		{url.Values{"kind": {"alias"}, "username": {"ops@globex.example"}, "value": {" globex-prod "}},
			OrgAction{Kind: OrgAlias, Username: "ops@globex.example", Value: "globex-prod"}},
		{url.Values{"kind": {"group"}, "username": {"ops@globex.example"}, "value": {"Clients"}},
			OrgAction{Kind: OrgGroup, Username: "ops@globex.example", Value: "Clients"}},
		{url.Values{"kind": {"group"}, "username": {"ops@globex.example"}, "value": {""}},
			OrgAction{Kind: OrgGroup, Username: "ops@globex.example"}},
		{url.Values{"kind": {"reconnect-all"}, "username": {"x@y"}},
			OrgAction{Kind: OrgReconnectAll}},
		{url.Values{"kind": {"add-link"}, "value": {"Apex Classes"}, "path": {"/lightning/setup/ApexClasses/home"}},
			OrgAction{Kind: OrgAddLink, Path: "/lightning/setup/ApexClasses/home", Value: "Apex Classes"}},
		{url.Values{"kind": {"remove-link"}, "path": {"/lightning/setup/AsyncApexJobs/home"}},
			OrgAction{Kind: OrgRemoveLink, Path: "/lightning/setup/AsyncApexJobs/home"}},
		{url.Values{"kind": {"remove"}, "username": {"test-abc123@example.com"}, "confirm": {"1"}},
			OrgAction{Kind: OrgRemove, Username: "test-abc123@example.com"}},
	} {
		before := len(f.actions())
		resp := w.post("/orgs/action", tt.form, true)
		if resp.status != http.StatusOK || !strings.Contains(resp.body, `"ok":true`) {
			t.Errorf("%v: %d %s", tt.form, resp.status, resp.body)
			continue
		}
		acts := f.actions()
		if len(acts) != before+1 {
			t.Errorf("%v: %d actions reached the tray, want 1", tt.form, len(acts)-before)
			continue
		}
		if got := acts[len(acts)-1]; got != tt.want {
			t.Errorf("%v reached the tray as %+v, want %+v", tt.form, got, tt.want)
		}
	}
}

// What the page refuses itself never reaches the tray: it says why, as a
// diagnosis.
func TestOrgsActionRefusedByThePage(t *testing.T) {
	f := newFakeOrgs(5)
	w := orgsWorld(t, f)
	w.open()
	for _, tt := range []struct {
		form url.Values
		code oauth.Code
	}{
		{url.Values{"kind": {"remove"}, "username": {"admin@acme.example"}}, actionConfirm},
		{url.Values{"kind": {"remove"}, "username": {"admin@acme.example"}, "confirm": {"yes"}}, actionConfirm},
		{url.Values{"kind": {"open"}, "username": {"admin@acme.example"}, "path": {"https://evil.example/"}}, oauth.PathInvalid},
		{url.Values{"kind": {"open"}, "username": {"admin@acme.example"}, "path": {"//evil.example/x"}}, oauth.PathInvalid},
		{url.Values{"kind": {"add-link"}, "value": {"Evil"}, "path": {"javascript:alert(1)"}}, oauth.PathInvalid},
		{url.Values{"kind": {"add-link"}, "value": {" "}, "path": {"/lightning/page/home"}}, linkNameEmpty},
		{url.Values{"kind": {"remove-link"}}, oauth.PathInvalid},
		{url.Values{"kind": {"pin"}}, actionNoOrg},
		{url.Values{"kind": {"alias"}, "value": {"x"}}, actionNoOrg},
		{url.Values{"kind": {"format-disk"}, "username": {"admin@acme.example"}}, actionUnknown},
		{url.Values{}, actionUnknown},
	} {
		resp := w.post("/orgs/action", tt.form, true)
		var got actionJSON
		if err := json.Unmarshal([]byte(resp.body), &got); err != nil || resp.status != http.StatusOK {
			t.Errorf("%v: %d %s (%v)", tt.form, resp.status, resp.body, err)
			continue
		}
		if got.OK || got.Diagnosis == nil || got.Diagnosis.Code != tt.code || got.Diagnosis.Title == "" || got.Diagnosis.Advice == "" {
			t.Errorf("%v: %s, want the diagnosis %s", tt.form, resp.body, tt.code)
		}
	}
	if n := len(f.actions()); n != 0 {
		t.Errorf("%d refused actions reached the tray: %+v", n, f.actions())
	}
}

// The tray's diagnosis comes back as JSON for the script; without
// JavaScript, the view again with it, or a redirect back to the org.
func TestOrgsActionDiagnosis(t *testing.T) {
	f := newFakeOrgs(5)
	w := orgsWorld(t, f)
	w.open()
	form := url.Values{"kind": {"alias"}, "username": {"ops@globex.example"}, "value": {"bad alias!"}}
	resp := w.post("/orgs/action", form, true)
	var got struct {
		OK        bool `json:"ok"`
		Diagnosis struct {
			Code, Title, Advice string
		} `json:"diagnosis"`
	}
	if err := json.Unmarshal([]byte(resp.body), &got); err != nil {
		t.Fatalf("%s: %v", resp.body, err)
	}
	want := keychain.ValidateAlias("bad alias!").(*oauth.Diagnosis)
	if got.OK || got.Diagnosis.Code != string(keychain.AliasInvalid) || got.Diagnosis.Title != want.Title || got.Diagnosis.Advice != want.Advice {
		t.Errorf("the diagnosis came back as %s", resp.body)
	}

	// Without JavaScript.
	page := w.post("/orgs/action", form, false)
	if page.status != http.StatusUnprocessableEntity || !hasAll(unescape(page.body), want.Title, want.Advice) {
		t.Errorf("without JavaScript: %d\n%s", page.status, page.body)
	}
	if strings.Count(page.body, `id="panel-row"`) != 2 {
		t.Error("the page without JavaScript does not show the org's actions again")
	}
	ok := w.post("/orgs/action", url.Values{"kind": {"alias"}, "username": {"ops@globex.example"}, "value": {"globex-prod"}}, false)
	if ok.status != http.StatusSeeOther || ok.header.Get("Location") != "/orgs?org=ops%40globex.example" {
		t.Errorf("without JavaScript, a rename: %d to %q", ok.status, ok.header.Get("Location"))
	}
	gone := w.post("/orgs/action", url.Values{"kind": {"remove"}, "username": {"ops@globex.example"}, "confirm": {"1"}}, false)
	if gone.status != http.StatusSeeOther || gone.header.Get("Location") != "/orgs" {
		t.Errorf("without JavaScript, a removal: %d to %q", gone.status, gone.header.Get("Location"))
	}
}

// /orgs.json is the view, favourites first, and 204 while the view is at
// the version the page has.
func TestOrgsJSONAndPolling(t *testing.T) {
	f := newFakeOrgs(5)
	w := orgsWorld(t, f)
	w.open()
	resp := w.get("/orgs.json")
	if resp.status != http.StatusOK {
		t.Fatalf("GET /orgs.json: %d %s", resp.status, resp.body)
	}
	var got orgsJSON
	if err := json.Unmarshal([]byte(resp.body), &got); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, o := range got.Orgs {
		order = append(order, o.Username)
	}
	wantOrder := []string{"admin@acme.example", "ops@globex.example", "admin@acme.example.uat", "dev@initech.example", "test-abc123@example.com"}
	if strings.Join(order, " ") != strings.Join(wantOrder, " ") {
		t.Errorf("order %v, want favourites first then by name: %v", order, wantOrder)
	}
	uat := got.Orgs[2]
	if uat.Host != "acme--uat.sandbox.my.salesforce.com" || uat.OrgID != "00D7z000001UatQQ" || uat.Category != "Sandbox" ||
		uat.State != "needs_reconnect" || uat.Group != "Acme" || uat.LastUsedText == "" || uat.Key != "00d7z000001uatqq acme--uat.sandbox.my.salesforce.com" {
		t.Errorf("org %+v", uat)
	}
	if got.Version != 1 || got.NeedReconnect != 1 || len(got.StandardLinks) != 4 || len(got.Links) != 1 ||
		strings.Join(got.Groups, ",") != "Acme,Globex" || strings.Join(got.Categories, ",") != "Production,Sandbox,Scratch & Developer" {
		t.Errorf("view %+v", got)
	}
	for _, field := range []string{`"version":`, `"orgs":`, `"links":`, `"standard_links":`, `"groups":`, `"sign_in":`, `"queued":`, `"need_reconnect":`,
		`"username":`, `"alias":`, `"org_name":`, `"org_id":`, `"instance_url":`, `"host":`, `"category":`, `"environment":`, `"group":`,
		`"favourite":`, `"last_used":`, `"last_used_text":`, `"state":`, `"state_text":`, `"key":`} {
		if !strings.Contains(resp.body, field) {
			t.Errorf("/orgs.json lacks %s", field)
		}
	}

	if r := w.get("/orgs.json?since=1"); r.status != http.StatusNoContent || r.body != "" {
		t.Errorf("unchanged: %d %q, want 204", r.status, r.body)
	}
	f.change(func(v *OrgsView) { v.Orgs[0].State = "needs_reconnect" })
	r := w.get("/orgs.json?since=1")
	if r.status != http.StatusOK || !strings.Contains(r.body, `"version":2`) || !strings.Contains(r.body, `"need_reconnect":2`) {
		t.Errorf("changed: %d %s", r.status, r.body)
	}
	if r := w.get("/orgs.json?since=2"); r.status != http.StatusNoContent {
		t.Errorf("unchanged again: %d", r.status)
	}
	if r := w.get("/orgs.json?since=junk"); r.status != http.StatusOK {
		t.Errorf("since=junk: %d, want the view", r.status)
	}

	// An empty view is [], not null, for the script.
	e := &fakeOrgs{acted: make(chan OrgAction, 1)}
	we := orgsWorld(t, e)
	we.open()
	if body := we.get("/orgs.json").body; !hasAll(body, `"orgs":[]`, `"links":[]`, `"groups":[]`) {
		t.Errorf("empty view: %s", body)
	}
	if body := we.get("/orgs").body; !strings.Contains(body, "No connections yet") {
		t.Errorf("empty page:\n%s", body)
	}
}

// The page shows every org's row, the user's links, the groups for the
// datalist and filters, and carries the security headers and no inline
// script or style.
func TestOrgsPage(t *testing.T) {
	f := newFakeOrgs(5)
	f.view.SignIn, f.view.Queued = "acme-uat", 2
	w := orgsWorld(t, f)
	w.open()
	resp := w.get("/orgs")
	if resp.status != http.StatusOK {
		t.Fatalf("GET /orgs: %d", resp.status)
	}
	body := unescape(resp.body)
	for _, want := range []string{"acme-prod", "admin@acme.example.uat", "Globex Industries", "Scratch & Developer", "Not checked: the keychain is locked",
		"Apex Jobs", "/lightning/setup/AsyncApexJobs/home", `<option value="Globex">`, "Reconnect all that need it (", "Signing in to acme-uat. 2 queued.",
		`href="/">Add a connection</a>`, `aria-current="page">Orgs</a>`, `name="csrf"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Count(body, `id="panel-row"`) != 1 || strings.Contains(body, "is-open") { // the script's template
		t.Error("a panel is open without ?org=")
	}
	if csp := resp.header.Get("Content-Security-Policy"); csp != contentSecurityPolicy {
		t.Errorf("CSP %q", csp)
	}
	for _, bad := range []string{"<style", "style=", "<script>", "onclick=", "onsubmit=", "javascript:"} {
		if strings.Contains(resp.body, bad) {
			t.Errorf("the page has %s", bad)
		}
	}
	// ?org= opens that org's actions, under its row.
	one := w.get("/orgs?org=" + url.QueryEscape("ops@globex.example") + "&field=group").body
	if strings.Count(one, `id="panel-row"`) != 2 || !hasAll(one, `class="is-open"`, `data-field="group"`, `name="username" value="ops@globex.example"`) {
		t.Errorf("?org= shows no panel:\n%s", one)
	}
	// The form links to the Orgs view; without an Orgs view, neither.
	if form := w.get("/").body; !strings.Contains(form, `href="/orgs"`) {
		t.Error("the form does not link to the Orgs view")
	}
	plain := newWorld(t)
	plain.open()
	if form := plain.get("/").body; strings.Contains(form, `href="/orgs"`) {
		t.Error("the form links to an Orgs view that is not there")
	}
	if r := plain.get("/orgs"); r.status != http.StatusNotFound {
		t.Errorf("GET /orgs without an Orgs view: %d", r.status)
	}
	if r := plain.get("/orgs.json"); r.status != http.StatusNotFound {
		t.Errorf("GET /orgs.json without an Orgs view: %d", r.status)
	}
}

// The token's redirect lands on ?next= when it is a page of the page's
// own, and on / otherwise; OrgsURL opens the Orgs view at an org.
func TestOrgsNext(t *testing.T) {
	f := newFakeOrgs(5)
	w := orgsWorld(t, f)
	for next, want := range map[string]string{
		"/orgs":                                "/orgs",
		"/orgs?org=ops%40globex.example":       "/orgs?org=ops%40globex.example",
		"/orgs?org=a%40b&field=group&x=y":      "/orgs?field=group&org=a%40b",
		"/orgs?token=leak":                     "/orgs",
		"/":                                    "/",
		"":                                     "/",
		"//evil.example/orgs":                  "/",
		"http://evil.example/orgs":             "/",
		"https:/evil.example":                  "/",
		"/\\evil.example":                      "/",
		"\\\\evil.example":                     "/",
		"/attempt/x":                           "/",
		"javascript:alert(1)":                  "/",
		"/orgs/../evil":                        "/",
		"/orgs\r\nSet-Cookie: x=y":             "/",
		"http://127.0.0.1:1/orgs":              "/",
		"/orgs?org=x#frag":                     "/orgs?org=x",
		"/%2F%2Fevil.example":                  "/",
		"/static/page.js":                      "/",
		"/orgs.json":                           "/",
		"/orgs?field=alias":                    "/orgs?field=alias",
		"/orgs?org=" + strings.Repeat("a", 10): "/orgs?org=" + strings.Repeat("a", 10),
	} {
		resp := w.get(w.url + "&next=" + url.QueryEscape(next))
		if resp.status != http.StatusSeeOther || resp.header.Get("Location") != want {
			t.Errorf("next=%q: %d to %q, want %q", next, resp.status, resp.header.Get("Location"), want)
		}
	}

	u, err := w.srv.OrgsURL(context.Background(), "ops@globex.example", "group")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u, w.url+"&") {
		t.Errorf("OrgsURL %s is not the page's URL %s", u, w.url)
	}
	resp := w.get(u)
	if loc := resp.header.Get("Location"); resp.status != http.StatusSeeOther || loc != "/orgs?field=group&org=ops%40globex.example" {
		t.Errorf("OrgsURL lands on %d %q", resp.status, loc)
	}
	if page := w.get(resp.header.Get("Location")); strings.Count(page.body, `id="panel-row"`) != 2 {
		t.Error("OrgsURL's page shows no panel")
	}
	if u, _ := w.srv.OrgsURL(context.Background(), "", ""); w.get(u).header.Get("Location") != "/orgs" {
		t.Errorf("OrgsURL without an org: %s", u)
	}
}

// At a thousand orgs the page stays lean: one short row each, and the
// quick links once (the panel is built when opened).
func TestOrgsPageSize(t *testing.T) {
	f := newFakeOrgs(1000)
	w := orgsWorld(t, f)
	w.open()
	page := w.get("/orgs").body
	js := w.get("/orgs.json").body
	t.Logf("1,000 orgs: HTML %d bytes (%d per row), JSON %d bytes", len(page), len(page)/1000, len(js))
	if n := strings.Count(page, oauth.SetupPath); n > 2 {
		t.Errorf("the Setup link is %d times in the page: the quick links are rendered per row", n)
	}
	if n := strings.Count(page, "<tr data-s="); n != 1001 { // and the template's
		t.Errorf("%d rows, want 1,000 and the template", n)
	}
	if len(page) > 700_000 {
		t.Errorf("the page is %d bytes at 1,000 orgs", len(page))
	}
	if n := f.calls; n != 2 {
		t.Errorf("%d OrgsView calls for two requests", n)
	}
}
