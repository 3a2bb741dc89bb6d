package main

// End-to-end tests of group, pin, unpin, alias, open --path and --setup,
// and list's filters, as cli_test.go runs the program: against the fake
// Salesforce, with a real keychain.

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/oauth/sftest"
)

// orgFields is a connection of list --json with the fields that organise
// it; present tells which keys the object has.
type orgFields struct {
	Alias     string  `json:"alias"`
	Username  string  `json:"username"`
	Status    string  `json:"status"`
	Group     string  `json:"group"`
	Favourite int     `json:"favourite"`
	LastUsed  *string `json:"last_used"`
	present   map[string]bool
}

// listOrgs runs list --json with args and returns its connections.
func (e *e2e) listOrgs(args ...string) []orgFields {
	e.t.Helper()
	r := e.ok(append([]string{"list", "--json"}, args...)...)
	raw := decode[struct{ Orgs []json.RawMessage }](e.t, r).Orgs
	if raw == nil {
		e.t.Fatalf("list --json %s: no \"orgs\" array: %s", strings.Join(args, " "), r.stdout)
	}
	orgs := make([]orgFields, len(raw))
	for i, b := range raw {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(b, &orgs[i]); err != nil {
			e.t.Fatal(err)
		}
		json.Unmarshal(b, &keys)
		orgs[i].present = map[string]bool{}
		for k := range keys {
			orgs[i].present[k] = true
		}
	}
	return orgs
}

func deref(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

func aliases(orgs []orgFields) []string {
	var as []string
	for _, o := range orgs {
		as = append(as, o.Alias)
	}
	return as
}

func byAlias(orgs []orgFields, alias string) orgFields {
	for _, o := range orgs {
		if o.Alias == alias {
			return o
		}
	}
	return orgFields{}
}

// TestGroupPinAlias runs group, pin, unpin and alias one after another on
// two connections: what each says and exits with, and what the index
// then holds. None of them touches Salesforce.
func TestGroupPinAlias(t *testing.T) {
	e := newE2E(t)
	if r := e.connectCustom(); r.status != 0 {
		t.Fatalf("connect: %s", r.stderr)
	}
	e.env["SFTEST_USER"] = e.tester.Username
	if r := e.connectCustom("--env", "sandbox", "--alias", "uat"); r.status != 0 {
		t.Fatalf("connect: %s", r.stderr)
	}
	e.sf.ResetRequests()

	for _, tt := range []struct {
		args   []string
		status int
		out    string // in stdout or stderr; with --json, the error code
	}{
		{[]string{"group", "acme-corp", "Acme"}, 0, "acme-corp is now in group Acme.\n"},
		// Any case, spaces trimmed: the group keeps its first spelling.
		{[]string{"group", "uat", "  ACME "}, 0, "uat is now in group Acme.\n"},
		{[]string{"group", "uat", "--none"}, 0, "uat is now in no group.\n"},
		{[]string{"group", "uat", "Client", "work"}, 2, "Quote a group name of several words: meshmesh group uat 'Client work'."},
		{[]string{"group", "uat"}, 2, "meshmesh: meshmesh group needs a group NAME, or --none\n"},
		{[]string{"group", "uat", "Acme", "--none"}, 2, "meshmesh group takes a group NAME or --none, not both"},
		{[]string{"group"}, 2, "meshmesh group takes one ORG"},
		{[]string{"group", "uat", " "}, 2, "take uat out of its group with: meshmesh group uat --none"},
		{[]string{"group", "uat", strings.Repeat("g", 41), "--json"}, 2, "group_invalid"},
		{[]string{"group", "nope", "Acme", "--json"}, 1, "org_not_found"},
		{[]string{"pin", "uat"}, 0, "Pinned uat: favourite number 1.\n"},
		{[]string{"pin", "admin@acme.example"}, 0, "Pinned acme-corp: favourite number 2.\n"},
		{[]string{"pin", "uat"}, 0, "uat is already a favourite (number 1).\n"},
		{[]string{"unpin", "uat"}, 0, "Unpinned uat: it is a favourite no more.\n"},
		{[]string{"unpin", "uat"}, 0, "uat was not a favourite.\n"},
		{[]string{"pin", "uat"}, 0, "Pinned uat: favourite number 2.\n"},             // acme-corp moved up to 1
		{[]string{"pin", "uat", "--at", "1"}, 0, "Moved uat: favourite number 1.\n"}, // acme-corp makes room
		{[]string{"pin", "acme-corp", "--at", "1"}, 0, "Moved acme-corp: favourite number 1.\n"},
		{[]string{"pin", "acme-corp", "--at", "1"}, 0, "acme-corp is already a favourite (number 1).\n"},
		{[]string{"pin", "uat", "--at", "9"}, 0, "uat is already a favourite (number 2).\n"}, // past the last: the last
		{[]string{"pin", "uat", "--at", "0"}, 2, "--at 0 is no place among the favourites"},
		{[]string{"pin", "nope", "--json"}, 1, "org_not_found"},
		{[]string{"alias", "uat", "acme-uat"}, 0, "Renamed uat to acme-uat (admin@acme.example.uat).\n"},
		{[]string{"alias", "acme-uat", "acme-uat"}, 0, "admin@acme.example.uat already has the alias acme-uat.\n"},
		{[]string{"alias", "acme-uat", "ACME-CORP"}, 1, `meshmesh: Alias "ACME-CORP" is taken` + "\n" +
			`"ACME-CORP" already names admin@acme.example (Acme Corp): pick another alias for acme-uat, or first rename that one (meshmesh alias acme-corp OTHER).`},
		{[]string{"alias", "acme-uat", "acme-corp", "--json"}, 1, "alias_taken"},
		{[]string{"alias", "acme-uat", "has space", "--json"}, 2, "alias_invalid"},
		{[]string{"alias", "acme-uat"}, 2, "meshmesh: meshmesh alias takes two arguments, ORG and NEW\nUsage: meshmesh alias ORG NEW\n"},
		{[]string{"alias", "uat", "sandbox", "--json"}, 1, "org_not_found"}, // the old alias names nothing now
	} {
		r := e.run(tt.args...)
		out := r.stdout + r.stderr
		if slices.Contains(tt.args, "--json") && tt.status != 0 {
			out = decode[errorJSON](t, r).Error.Code
		}
		if r.status != tt.status || !strings.Contains(out, tt.out) {
			t.Errorf("meshmesh %s: status %d, %q; want %d and %q", strings.Join(tt.args, " "), r.status, out, tt.status, tt.out)
		}
	}
	if n := len(e.sf.Requests()); n != 0 {
		t.Errorf("group, pin, unpin and alias made %d requests to Salesforce, want none", n)
	}

	orgs := e.listOrgs()
	acme, uat := byAlias(orgs, "acme-corp"), byAlias(orgs, "acme-uat")
	if acme.Group != "Acme" || acme.Favourite != 1 || uat.Username != e.tester.Username || uat.Group != "" || uat.Favourite != 2 {
		t.Errorf("after the commands: %+v", orgs)
	}
	// The renamed connection works under its new alias, its keychain item
	// unchanged.
	e.ok("token", "acme-uat", "--refresh")

	// --json: the connection as list --json has it.
	org := decode[struct{ Org orgFields }](t, e.ok("group", "acme-uat", "Acme", "--json")).Org
	if org.Alias != "acme-uat" || org.Group != "Acme" || org.Favourite != 2 {
		t.Errorf("group --json: %+v", org)
	}
	org = decode[struct{ Org orgFields }](t, e.ok("unpin", "acme-uat", "--json")).Org
	if raw := e.ok("unpin", "acme-uat", "--json").stdout; org.Favourite != 0 || !strings.Contains(raw, `"favourite":0`) {
		t.Errorf("unpin --json: %+v\n%s", org, raw)
	}
}

// TestOpenPath: open --path and --setup land on that page of the org,
// through the frontdoor; a bad --path, or both flags, is refused before
// any request. Opening records the connection's last use.
func TestOpenPath(t *testing.T) {
	e := newE2E(t)
	if r := e.connectCustom(); r.status != 0 {
		t.Fatalf("connect: %s", r.stderr)
	}
	if o := e.listOrgs()[0]; !o.present["last_used"] {
		t.Errorf("list --json lacks last_used: %+v", o)
	}
	// MarkUsed keeps whole seconds: wait for the next one, to tell an
	// open's mark from the connect's.
	connected := *e.listOrgs()[0].LastUsed
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))

	logFile := filepath.Join(e.root, "browser.jsonl")
	e.env["SFTEST_BROWSER_LOG"] = logFile
	for _, tt := range []struct {
		args []string
		page string
	}{
		{[]string{"--path", "/lightning/setup/ApexJobs/home"}, "/lightning/setup/ApexJobs/home"},
		{[]string{"--path", " /lightning/o/Account/list?filterName=Recent "}, "/lightning/o/Account/list?filterName=Recent"},
		{[]string{"--setup"}, "/lightning/setup/SetupOneHome/home"},
		{nil, "/lightning/page/home"},
	} {
		os.Remove(logFile)
		e.sf.ResetRequests()
		e.ok(append([]string{"open", "acme-corp"}, tt.args...)...)
		var line struct {
			Opened, URL, Error string
			Status             int
		}
		b, _ := os.ReadFile(logFile)
		json.Unmarshal(b, &line)
		if line.URL != e.prod.Host.URL+tt.page || line.Status != 200 || strings.Contains(line.Opened, "otp") {
			t.Errorf("open %v: the browser was given %q and ended at %q (%d %s), want %s", tt.args, line.Opened, line.URL, line.Status, line.Error, tt.page)
		}
		want := tt.page
		if tt.args == nil {
			want = "" // the org's own home page
		}
		if sa := e.requests("/services/oauth2/singleaccess"); len(sa) != 1 || sa[0].Query.Get("redirect_uri") != want {
			t.Errorf("open %v: singleaccess requests %+v, want one with redirect_uri %q", tt.args, sa, want)
		}
	}
	if o := e.listOrgs()[0]; o.LastUsed == nil || *o.LastUsed <= connected {
		t.Errorf("after open: last_used %s, want later than the connect's %s", deref(o.LastUsed), connected)
	}

	// --url-only --setup: the frontdoor URL carries the page.
	u := strings.TrimSpace(e.ok("open", "acme-corp", "--url-only", "--setup").stdout)
	if pu, err := url.Parse(u); err != nil || pu.Query().Get("startURL") != "/lightning/setup/SetupOneHome/home" {
		t.Errorf("open --url-only --setup printed %q", u)
	}

	for _, tt := range []struct {
		args   []string
		code   string
		advice string
	}{
		{[]string{"--path", "https://evil.example/lightning/page/home"}, "path_invalid", "Give the path of a page in the org"},
		{[]string{"--path", "lightning/setup/ApexJobs/home"}, "path_invalid", "starting with /"},
		{[]string{"--path", "//evil.example/x"}, "path_invalid", "without the host"},
		{[]string{"--path", ""}, "path_invalid", "Give the path"},
		{[]string{"--path", "/lightning/page/home", "--setup"}, "usage", "--setup opens Setup, as --path /lightning/setup/SetupOneHome/home does: give one of them."},
	} {
		e.sf.ResetRequests()
		r := e.run(append([]string{"open", "acme-corp", "--json"}, tt.args...)...)
		got := decode[errorJSON](t, r)
		if r.status != 2 || got.Error.Code != tt.code || !strings.Contains(got.Error.Advice, tt.advice) {
			t.Errorf("open %q: status %d, %+v; want 2, %s and %q", tt.args, r.status, got.Error, tt.code, tt.advice)
		}
		if n := len(e.sf.Requests()); n != 0 {
			t.Errorf("open %q made %d requests, want none", tt.args, n)
		}
	}
	r := e.run("open", "acme-corp", "--path", "/x y")
	if r.status != 2 || !strings.HasPrefix(r.stderr, `meshmesh: Not a page of the org: "/x y"`+"\n") {
		t.Errorf("open --path '/x y': status %d, %q", r.status, r.stderr)
	}
}

// TestListFilters: --group, --env and --status, alone and together; the
// table's group column and favourite mark; the JSON fields.
func TestListFilters(t *testing.T) {
	e := newE2E(t)
	e.sf.Change(func() { e.prod.OrganizationType = "Enterprise Edition" })
	scratch := e.sf.AddOrg(sftest.Org{Name: "Acme Scratch", TrialExpires: time.Now().Add(7 * 24 * time.Hour)})
	coder := e.sf.AddUser(sftest.User{Org: scratch, Username: "coder@acme.example.scratch", Admin: true})
	e.sf.Change(func() { e.app.InstalledIn = append(e.app.InstalledIn, scratch) })
	for _, c := range []struct {
		user *sftest.User
		args []string
	}{
		{e.admin, []string{"--alias", "prod"}},
		{e.tester, []string{"--env", "sandbox", "--alias", "uat"}},
		{coder, []string{"--alias", "scratch"}},
	} {
		e.env["SFTEST_USER"] = c.user.Username
		if r := e.connectCustom(c.args...); r.status != 0 {
			t.Fatalf("connect %s: %s", c.user.Username, r.stderr)
		}
	}
	e.ok("group", "prod", "Acme")
	e.ok("group", "uat", "acme")
	e.ok("pin", "uat")
	e.sf.RevokeRefreshTokens(coder)
	e.run("token", "scratch", "--refresh") // now needs_reconnect

	for _, tt := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"prod", "uat", "scratch"}},
		{[]string{"--group", "ACME"}, []string{"prod", "uat"}},
		{[]string{"--group", " acme  "}, []string{"prod", "uat"}},
		{[]string{"--env", "production"}, []string{"prod"}},
		{[]string{"--env", "Sandbox"}, []string{"uat"}},
		{[]string{"--env", "developer"}, []string{"scratch"}},
		{[]string{"--env", "scratch"}, []string{"scratch"}},
		{[]string{"--status", "connected"}, []string{"prod", "uat"}},
		{[]string{"--status", "needs_reconnect"}, []string{"scratch"}},
		{[]string{"--status", "unknown"}, nil},
		{[]string{"--group", "acme", "--env", "sandbox"}, []string{"uat"}},
		{[]string{"--group", "acme", "--status", "needs_reconnect"}, nil},
		{[]string{"--group", "Elsewhere"}, nil},
	} {
		orgs := e.listOrgs(tt.args...)
		if got := aliases(orgs); !slices.Equal(got, tt.want) {
			t.Errorf("list %q: %q, want %q", tt.args, got, tt.want)
		}
		for _, o := range orgs {
			for _, k := range []string{"group", "favourite", "last_used", "alias", "status"} {
				if !o.present[k] {
					t.Errorf("list --json %q: %s lacks %q", tt.args, o.Alias, k)
				}
			}
		}
	}
	if o := byAlias(e.listOrgs(), "uat"); o.Group != "Acme" || o.Favourite != 1 || o.LastUsed == nil {
		t.Errorf("uat in list --json: %+v", o)
	}

	// The table: a group column, ★ for a favourite.
	table := e.ok("list").stdout
	t.Logf("list:\n%s", table)
	lines := strings.Split(table, "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[0], "  ALIAS") || !strings.Contains(lines[0], "  GROUP  ") {
		t.Fatalf("list:\n%s", table)
	}
	for _, l := range lines[1:4] {
		fields := strings.Fields(strings.TrimPrefix(l, "★"))
		switch {
		case fields[0] == "uat" && (!strings.HasPrefix(l, "★ uat ") || !strings.Contains(l, "  Acme  ")),
			fields[0] == "prod" && (!strings.HasPrefix(l, "  prod ") || !strings.Contains(l, "  Acme  ")),
			fields[0] == "scratch" && (!strings.HasPrefix(l, "  scratch ") || !strings.Contains(l, "  -  ") || !strings.Contains(l, "needs_reconnect")):
			t.Errorf("list row %q:\n%s", l, table)
		}
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--group", "Elsewhere"}, `No connection is in group "Elsewhere". The groups are: Acme.`},
		{[]string{"--group", "acme", "--env", "developer"}, "None of the 3 connections matches: meshmesh list shows them all."},
	} {
		if r := e.ok(append([]string{"list"}, tt.args...)...); r.stdout != "" || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("list %q: %q / %q, want %q", tt.args, r.stdout, r.stderr, tt.want)
		}
	}

	// An unknown value is a usage error that names the accepted ones.
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--env", "custom"}, "meshmesh: --env \"custom\" is not a kind of org\nUse --env production, sandbox or developer (Developer Edition, scratch and trial orgs).\n"},
		{[]string{"--status", "broken"}, "meshmesh: --status \"broken\" is not a status\nUse --status connected, needs_reconnect or unknown.\n"},
		{[]string{"--group", "a\x07b"}, `meshmesh: Invalid group name "a\ab"` + "\nA group name is 1 to 40 characters, without control characters"},
	} {
		if r := e.run(append([]string{"list"}, tt.args...)...); r.status != 2 || r.stdout != "" || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("list %q: status %d, %q; want 2 and %q", tt.args, r.status, r.stderr, tt.want)
		}
	}
}

// TestGroupKeepsUnknownFields: a field of a newer MeshMesh, in the index
// file and in a connection, survives meshmesh group.
func TestGroupKeepsUnknownFields(t *testing.T) {
	e := newE2E(t)
	if r := e.connectCustom(); r.status != 0 {
		t.Fatalf("connect: %s", r.stderr)
	}
	index := filepath.Join(e.env["XDG_CONFIG_HOME"], "meshmesh", "connections.json")
	var f map[string]any
	b, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	f["future_setting"] = "kept"
	f["connections"].([]any)[0].(map[string]any)["colour"] = map[string]any{"hue": 210.0}
	if b, err = json.Marshal(f); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(index, b, 0o600); err != nil {
		t.Fatal(err)
	}

	e.ok("group", "acme-corp", "Client work")

	b, _ = os.ReadFile(index)
	var after struct {
		FutureSetting string `json:"future_setting"`
		Connections   []struct {
			Alias  string
			Group  string
			Colour struct{ Hue float64 }
		}
	}
	if err := json.Unmarshal(b, &after); err != nil || after.FutureSetting != "kept" || len(after.Connections) != 1 ||
		after.Connections[0].Group != "Client work" || after.Connections[0].Colour.Hue != 210 {
		t.Errorf("the index after group (%v):\n%s", err, b)
	}
}
