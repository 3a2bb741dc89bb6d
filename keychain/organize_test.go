package keychain_test

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/oauth/sfcli"
	"github.com/meshmesh/meshmesh/oauth/sftest"
)

// rawIndex reads the index file as plain JSON.
func (f *fixture) rawIndex() map[string]any {
	f.t.Helper()
	b, err := os.ReadFile(f.store.IndexPath())
	if err != nil {
		f.t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		f.t.Fatalf("index is not JSON: %v\n%s", err, b)
	}
	return m
}

// writeIndex writes the index file by hand, as another version of
// MeshMesh would.
func (f *fixture) writeIndex(m map[string]any) {
	f.t.Helper()
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		f.t.Fatal(err)
	}
	if err := os.MkdirAll(f.opts.Dir, 0o700); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(f.store.IndexPath(), b, 0o600); err != nil {
		f.t.Fatal(err)
	}
}

// rawConnection is the index entry of username, as plain JSON.
func rawConnection(idx map[string]any, username string) map[string]any {
	conns, _ := idx["connections"].([]any)
	for _, c := range conns {
		if m, ok := c.(map[string]any); ok && strings.EqualFold(m["username"].(string), username) {
			return m
		}
	}
	return nil
}

// fromSF is an org taken over from the Salesforce CLI: a fresh login of
// u with the fixture's app, its token shared with sf.
func (f *fixture) fromSF(u *sftest.User, aliases ...string) oauth.SFImport {
	f.t.Helper()
	env := oauth.Production
	if u.Org.Sandbox {
		env = oauth.Sandbox
	}
	g := f.grant(u, env)
	g.SharedWithSF = true
	return oauth.SFImport{Org: sfcli.Org{Username: u.Username}, Aliases: aliases, Grant: g, ClientSecret: f.app.ClientSecret}
}

// An index written by a newer MeshMesh keeps what this one does not know,
// at the top and in each connection, whatever this one changes.
func TestIndexKeepsUnknownFields(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.connect(f.admin, oauth.Production, "acme")
	f.connect(f.dev, oauth.Production, "dev")

	idx := f.rawIndex()
	future := map[string]any{"theme": "dark", "panes": []any{"orgs", map[string]any{"width": 320.0}}}
	notes := map[string]any{"by": "meshmesh 9", "tags": []any{"a", 1.0, nil, true}, "deep": map[string]any{"x": map[string]any{}}}
	idx["future"] = future
	admin := rawConnection(idx, f.admin.Username)
	admin["colour"] = "red"
	admin["notes"] = notes
	f.writeIndex(idx)

	for _, step := range []struct {
		name string
		do   func(t *testing.T)
		want func(c keychain.Connection) bool // the step's own change is there too
	}{
		{"SetGroup", func(t *testing.T) {
			if _, err := f.store.SetGroup(ctx, "acme", "Clients"); err != nil {
				t.Fatal(err)
			}
		}, func(c keychain.Connection) bool { return c.Group == "Clients" }},
		{"SetFavourite", func(t *testing.T) {
			if _, err := f.store.SetFavourite(ctx, "acme", true); err != nil {
				t.Fatal(err)
			}
		}, func(c keychain.Connection) bool { return c.Favourite == 1 }},
		{"Rename", func(t *testing.T) {
			if _, err := f.store.Rename(ctx, "acme", "acme-prod"); err != nil {
				t.Fatal(err)
			}
		}, func(c keychain.Connection) bool { return c.Alias == "acme-prod" }},
		{"MarkUsed", func(t *testing.T) {
			if err := f.store.MarkUsed(ctx, "acme-prod"); err != nil {
				t.Fatal(err)
			}
		}, func(c keychain.Connection) bool { return !c.LastUsed.IsZero() }},
		{"AddLink", func(t *testing.T) {
			if _, err := f.store.AddLink(ctx, keychain.Link{Path: "/lightning/setup/ApexJobs/home"}); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"Add (reconnect of the same user)", func(t *testing.T) {
			f.connect(f.admin, oauth.Production, "")
		}, func(c keychain.Connection) bool {
			return c.Alias == "acme-prod" && c.Group == "Clients" && c.Favourite == 1
		}},
		{"status after a failed refresh", func(t *testing.T) {
			f.sf.RevokeRefreshTokens(f.admin)
			_, err := f.store.Token(ctx, "acme-prod", true)
			wantCode(t, err, oauth.RefreshTokenExpired)
		}, func(c keychain.Connection) bool { return c.Status == keychain.NeedsReconnect }},
		{"Remove of another connection", func(t *testing.T) {
			if _, err := f.store.Remove(ctx, "dev"); err != nil {
				t.Fatal(err)
			}
		}, nil},
	} {
		t.Run(step.name, func(t *testing.T) {
			parent := f.t
			f.t = t // the fixture fails this step
			defer func() { f.t = parent }()
			step.do(t)
			idx := f.rawIndex()
			if !reflect.DeepEqual(idx["future"], future) {
				t.Errorf("top-level unknown field became %#v, want %#v", idx["future"], future)
			}
			admin := rawConnection(idx, f.admin.Username)
			if admin == nil {
				t.Fatal("the connection is gone from the index")
			}
			if admin["colour"] != "red" || !reflect.DeepEqual(admin["notes"], notes) {
				t.Errorf("the connection's unknown fields became colour=%#v notes=%#v", admin["colour"], admin["notes"])
			}
			if step.want != nil {
				c, err := f.store.Find(ctx, f.admin.Username)
				if err != nil || !step.want(c) {
					t.Errorf("after %s: %+v, %v", step.name, c, err)
				}
			}
		})
	}
	if conns, _ := f.store.List(ctx); len(conns) != 1 {
		t.Errorf("%d connections left, want 1", len(conns))
	}
}

// An index as MeshMesh wrote it before groups, favourites, last used, org
// types and links: it reads as it is, and a field appears only once set.
func TestOlderIndex(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	const older = `{
  "version": 1,
  "connections": [
    {
      "alias": "legacy",
      "username": "old@acme.example",
      "org_id": "00D000000000001EAA",
      "user_id": "005000000000001AAA",
      "org_name": "Legacy Corp",
      "instance_url": "https://legacy.my.salesforce.com",
      "login_url": "https://login.salesforce.com",
      "environment": "production",
      "method": "custom",
      "client_id": "3MVG9legacy",
      "status": "connected",
      "is_sandbox": false,
      "connected_at": "2025-06-01T10:00:00Z",
      "shared_with_sf": false
    },
    {
      "alias": "legacy-uat",
      "username": "old@acme.example.uat",
      "org_id": "00D000000000002EAA",
      "user_id": "005000000000002AAA",
      "org_name": "Legacy UAT",
      "instance_url": "https://legacy--uat.sandbox.my.salesforce.com",
      "login_url": "https://test.salesforce.com",
      "environment": "sandbox",
      "method": "quick",
      "client_id": "PlatformCLI",
      "status": "needs_reconnect",
      "is_sandbox": true,
      "connected_at": "2025-06-02T10:00:00Z",
      "shared_with_sf": true
    }
  ]
}
`
	os.MkdirAll(f.opts.Dir, 0o700)
	if err := os.WriteFile(f.store.IndexPath(), []byte(older), 0o600); err != nil {
		t.Fatal(err)
	}
	x, err := f.store.Read(ctx)
	if err != nil || len(x.Connections) != 2 || len(x.Links) != 0 {
		t.Fatalf("Read = %+v, %v; want 2 connections, no links", x, err)
	}
	legacy, uat := x.Connections[0], x.Connections[1]
	if legacy.Alias != "legacy" || legacy.Group != "" || legacy.Favourite != 0 || !legacy.LastUsed.IsZero() || legacy.OrgType != "" || !legacy.TrialExpires.IsZero() ||
		!legacy.ConnectedAt.Equal(time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)) || legacy.Method != oauth.CustomApp {
		t.Errorf("older connection read as %+v", legacy)
	}
	if legacy.Category() != keychain.CategoryProduction || uat.Category() != keychain.CategorySandbox {
		t.Errorf("categories %s, %s; want Production, Sandbox (by is_sandbox alone)", legacy.Category(), uat.Category())
	}
	if got := keychain.Recent(x.Connections, 5); len(got) != 0 {
		t.Errorf("Recent of connections never used by this version: %d", len(got))
	}

	newFields := []string{"group", "favourite", "last_used", "org_type", "trial_expires"}
	absent := func(t *testing.T, c map[string]any, except ...string) {
		t.Helper()
		for _, k := range newFields {
			if _, ok := c[k]; ok != slices.Contains(except, k) {
				t.Errorf("%s: %q present %v, want %v", c["alias"], k, ok, !ok)
			}
		}
	}
	if _, err := f.store.SetGroup(ctx, "legacy", "Old"); err != nil {
		t.Fatal(err)
	}
	idx := f.rawIndex()
	absent(t, rawConnection(idx, "old@acme.example"), "group")
	absent(t, rawConnection(idx, "old@acme.example.uat"))
	if _, ok := idx["links"]; ok {
		t.Error("links written though there are none")
	}
	if g := rawConnection(idx, "old@acme.example")["group"]; g != "Old" {
		t.Errorf("group %v, want Old", g)
	}
	if st := rawConnection(idx, "old@acme.example.uat")["status"]; st != "needs_reconnect" {
		t.Errorf("the other connection's status became %v", st)
	}

	if _, err := f.store.SetFavourite(ctx, "legacy-uat", true); err != nil {
		t.Fatal(err)
	}
	absent(t, rawConnection(f.rawIndex(), "old@acme.example.uat"), "favourite")
	if _, err := f.store.SetFavourite(ctx, "legacy-uat", false); err != nil {
		t.Fatal(err)
	}
	absent(t, rawConnection(f.rawIndex(), "old@acme.example.uat"))
	if _, err := f.store.SetGroup(ctx, "legacy", ""); err != nil {
		t.Fatal(err)
	}
	absent(t, rawConnection(f.rawIndex(), "old@acme.example"))

	if _, err := f.store.AddLink(ctx, keychain.Link{Path: "/lightning/setup/ApexJobs/home"}); err != nil {
		t.Fatal(err)
	}
	if err := f.store.RemoveLink(ctx, "/lightning/setup/ApexJobs/home"); err != nil {
		t.Fatal(err)
	}
	if _, ok := f.rawIndex()["links"]; ok {
		t.Error("links written once the last one went")
	}
}

// A connection made now writes what it knows, and leaves out what is unset.
func TestNewConnectionOmitsUnset(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.connect(f.admin, oauth.Production, "")
	c := rawConnection(f.rawIndex(), f.admin.Username)
	for k, want := range map[string]bool{"org_type": true, "last_used": true, "group": false, "favourite": false, "trial_expires": false} {
		if _, ok := c[k]; ok != want {
			t.Errorf("%q present %v, want %v: %v", k, ok, want, c)
		}
	}
	if _, ok := f.rawIndex()["links"]; ok {
		t.Error("links written though there are none")
	}
}

func TestCleanGroup(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"Acme", "Acme", true},
		{"  Client work  ", "Client work", true},
		{"Client    work", "Client work", true},
		{"Client\twork\n", "Client work", true}, // tabs and newlines are spaces
		{"Client\u00a0work", "Client work", true},
		{"", "", true}, // no group
		{"   ", "", true},
		{"Café Münster", "Café Münster", true},
		{strings.Repeat("a", keychain.MaxGroupLen), strings.Repeat("a", keychain.MaxGroupLen), true},
		{strings.Repeat("é", keychain.MaxGroupLen), strings.Repeat("é", keychain.MaxGroupLen), true}, // characters, not bytes
		{"a" + strings.Repeat(" ", 60) + "b", "a b", true},                                           // measured once cleaned
		{strings.Repeat("a", keychain.MaxGroupLen+1), "", false},
		{"Acme\x00", "", false},
		{"Acme\x1b[31m", "", false},
		{"Acme\x7f", "", false},
		{"Acme\u009b31m", "", false}, // a C1 control
		{"Acme\xff", "", false},      // not UTF-8
	} {
		got, err := keychain.CleanGroup(tt.in)
		if !tt.ok {
			wantCode(t, err, keychain.GroupInvalid)
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CleanGroup(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestSetGroup(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.connect(f.admin, oauth.Production, "acme")
	f.connect(f.dev, oauth.Production, "dev")
	f.connect(f.tester, oauth.Sandbox, "uat")

	for _, tt := range []struct{ ref, group, want string }{
		{"acme", "  Client   work ", "Client work"},
		{"dev", "CLIENT WORK", "Client work"},  // the group's spelling, whoever joins it
		{"acme", "client Work", "Client work"}, // dev keeps the spelling
		{"uat", "zeta", "zeta"},
		{"uat", "Zeta", "Zeta"}, // alone in it: respelt
		{"dev", "", ""},         // out of its group
	} {
		c, err := f.store.SetGroup(ctx, tt.ref, tt.group)
		if err != nil || c.Group != tt.want {
			t.Errorf("SetGroup(%s, %q) = %q, %v; want %q", tt.ref, tt.group, c.Group, err, tt.want)
		}
		if got, _ := f.store.Find(ctx, tt.ref); got.Group != tt.want {
			t.Errorf("after SetGroup(%s, %q) the index says %q", tt.ref, tt.group, got.Group)
		}
	}
	_, err := f.store.SetGroup(ctx, "uat", "bad\x00group")
	wantCode(t, err, keychain.GroupInvalid)
	if c, _ := f.store.Find(ctx, "uat"); c.Group != "Zeta" {
		t.Errorf("a refused group changed it to %q", c.Group)
	}
	_, err = f.store.SetGroup(ctx, "globex", "Clients")
	wantCode(t, err, keychain.OrgNotFound)

	conns, _ := f.store.List(ctx)
	if got := keychain.Groups(conns); !slices.Equal(got, []string{"Client work", "Zeta"}) {
		t.Errorf("Groups = %q", got)
	}
}

func TestGroups(t *testing.T) {
	conns := []keychain.Connection{{Group: "zeta"}, {Group: "Acme"}, {}, {Group: "beta"}, {Group: "ACME"}, {Group: "Beta"}}
	if got := keychain.Groups(conns); !slices.Equal(got, []string{"Acme", "beta", "zeta"}) {
		t.Errorf("Groups = %q, want each group once, sorted without regard to case", got)
	}
	if got := keychain.Groups([]keychain.Connection{{}, {}}); len(got) != 0 {
		t.Errorf("Groups of connections in none = %q", got)
	}
}

// favourites lists the favourites as alias:place.
func favourites(t *testing.T, f *fixture) []string {
	t.Helper()
	conns, err := f.store.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range keychain.Favourites(conns) {
		out = append(out, c.Alias+":"+string(rune('0'+c.Favourite)))
	}
	return out
}

func TestFavourites(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.connect(f.admin, oauth.Production, "acme")
	f.connect(f.dev, oauth.Production, "dev")
	f.connect(f.tester, oauth.Sandbox, "uat")
	pin := func(ref string, pinned bool) func() error {
		return func() error { _, err := f.store.SetFavourite(ctx, ref, pinned); return err }
	}
	move := func(ref string, delta int) func() error {
		return func() error { _, err := f.store.MoveFavourite(ctx, ref, delta); return err }
	}
	for _, tt := range []struct {
		name string
		do   func() error
		want []string
	}{
		{"none yet", func() error { return nil }, nil},
		{"pin appends", pin("uat", true), []string{"uat:1"}},
		{"pin another", pin("acme", true), []string{"uat:1", "acme:2"}},
		{"pin twice is a no-op", pin("uat", true), []string{"uat:1", "acme:2"}},
		{"pin a third", pin("dev", true), []string{"uat:1", "acme:2", "dev:3"}},
		{"up one", move("dev", -1), []string{"uat:1", "dev:2", "acme:3"}},
		{"down one", move("uat", 1), []string{"dev:1", "uat:2", "acme:3"}},
		{"up past the first", move("acme", -5), []string{"acme:1", "dev:2", "uat:3"}},
		{"down past the last", move("dev", 9), []string{"acme:1", "uat:2", "dev:3"}},
		{"the first up", move("acme", -1), []string{"acme:1", "uat:2", "dev:3"}},
		{"the last down", move("dev", 1), []string{"acme:1", "uat:2", "dev:3"}},
		{"by none", move("uat", 0), []string{"acme:1", "uat:2", "dev:3"}},
		{"unpin renumbers the others", pin("acme", false), []string{"uat:1", "dev:2"}},
		{"unpin twice is a no-op", pin("acme", false), []string{"uat:1", "dev:2"}},
		{"moving one that is not a favourite", move("acme", -1), []string{"uat:1", "dev:2"}},
		{"pin again goes last", pin("acme", true), []string{"uat:1", "dev:2", "acme:3"}},
	} {
		if err := tt.do(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := favourites(t, f); !slices.Equal(got, tt.want) {
			t.Errorf("%s: favourites %q, want %q", tt.name, got, tt.want)
		}
	}
	if c, _ := f.store.Find(ctx, "acme"); c.Favourite != 3 {
		t.Errorf("Find says acme is favourite %d, want 3", c.Favourite)
	}
	_, err := f.store.SetFavourite(ctx, "globex", true)
	wantCode(t, err, keychain.OrgNotFound)
	_, err = f.store.MoveFavourite(ctx, "globex", 1)
	wantCode(t, err, keychain.OrgNotFound)
}

func TestFavouritesOrder(t *testing.T) {
	conns := []keychain.Connection{{Alias: "c", Favourite: 3}, {Alias: "x"}, {Alias: "a", Favourite: 1}, {Alias: "b", Favourite: 2}}
	var got []string
	for _, c := range keychain.Favourites(conns) {
		got = append(got, c.Alias)
	}
	if !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Errorf("Favourites = %q, want a b c", got)
	}
}

// What the user made of a connection stays when it is connected again, by
// a login of MeshMesh's or by an import from sf.
func TestReconnectKeepsGroupAndFavourite(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.connect(f.dev, oauth.Production, "dev")
	f.connect(f.admin, oauth.Production, "acme")
	f.store.SetFavourite(ctx, "dev", true)
	f.store.SetFavourite(ctx, "acme", true)
	f.store.SetGroup(ctx, "acme", "Clients")

	kept := func(how string, c keychain.Connection) {
		t.Helper()
		if c.Favourite != 2 || c.Group != "Clients" || c.Alias != "acme" {
			t.Errorf("%s returned %+v; want favourite 2 in Clients", how, c)
		}
		if c, _ := f.store.Find(ctx, "acme"); c.Favourite != 2 || c.Group != "Clients" {
			t.Errorf("after %s the index says favourite %d, group %q", how, c.Favourite, c.Group)
		}
	}
	kept("a reconnect", f.connect(f.admin, oauth.Production, ""))
	c, outcome, err := f.store.AddFromSF(ctx, f.fromSF(f.admin, "other"))
	if err != nil || outcome != keychain.SFUpdated {
		t.Fatalf("AddFromSF = %s, %v; want updated", outcome, err)
	}
	kept("an import from sf", c)
	if got := favourites(t, f); !slices.Equal(got, []string{"dev:1", "acme:2"}) {
		t.Errorf("favourites %q", got)
	}
}

func TestRename(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.connect(f.admin, oauth.Production, "acme")
	f.connect(f.dev, oauth.Production, "dev")

	c, err := f.store.Rename(ctx, "acme", "acme-prod")
	if err != nil || c.Alias != "acme-prod" {
		t.Fatalf("Rename = %+v, %v", c, err)
	}
	if c, err := f.store.Find(ctx, "acme-prod"); err != nil || c.Username != f.admin.Username {
		t.Errorf("Find(new alias) = %s, %v", c.Username, err)
	}
	_, err = f.store.Find(ctx, "acme")
	wantCode(t, err, keychain.OrgNotFound)

	// Its own alias, in any case: no conflict.
	for _, alias := range []string{"acme-prod", "ACME-Prod"} {
		if c, err := f.store.Rename(ctx, "acme-prod", alias); err != nil || c.Alias != alias {
			t.Errorf("Rename to its own alias %q = %q, %v", alias, c.Alias, err)
		}
	}
	// By username too.
	if c, err := f.store.Rename(ctx, f.admin.Username, "acme"); err != nil || c.Alias != "acme" {
		t.Errorf("Rename by username = %q, %v", c.Alias, err)
	}

	for _, bad := range []string{"", "has space", "-x", "a@b", f.prod.ID, strings.Repeat("a", 65)} {
		_, err := f.store.Rename(ctx, "acme", bad)
		d := wantCode(t, err, keychain.AliasInvalid)
		if !strings.Contains(d.Advice, "letters, digits") {
			t.Errorf("Rename(%q) advice %q", bad, d.Advice)
		}
	}
	for _, taken := range []string{"dev", "DEV"} {
		_, err := f.store.Rename(ctx, "acme", taken)
		d := wantCode(t, err, keychain.AliasTaken)
		if !strings.Contains(d.Advice, f.dev.Username) {
			t.Errorf("Rename(%q) advice %q does not name the connection that has it", taken, d.Advice)
		}
	}
	if c, _ := f.store.Find(ctx, f.admin.Username); c.Alias != "acme" {
		t.Errorf("a refused rename changed the alias to %q", c.Alias)
	}
	_, err = f.store.Rename(ctx, "globex", "globex")
	wantCode(t, err, keychain.OrgNotFound)
}

func TestRecent(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 12, 1, h, 0, 0, 0, time.UTC) }
	conns := []keychain.Connection{
		{Alias: "a", LastUsed: at(9)},
		{Alias: "never"},
		{Alias: "b", LastUsed: at(12)},
		{Alias: "c", LastUsed: at(10)},
	}
	for _, tt := range []struct {
		n    int
		want []string
	}{
		{3, []string{"b", "c", "a"}},
		{2, []string{"b", "c"}},
		{1, []string{"b"}},
		{10, []string{"b", "c", "a"}}, // never used: not among them
		{0, nil},
		{-1, nil},
	} {
		var got []string
		for _, c := range keychain.Recent(conns, tt.n) {
			got = append(got, c.Alias)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Recent(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
	if got := keychain.Recent(nil, 3); len(got) != 0 {
		t.Errorf("Recent of none = %v", got)
	}
}

// Connecting and opening an org count as using it; an import from sf
// does not.
func TestMarkUsed(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	before := time.Now().UTC().Truncate(time.Second)
	for _, c := range []keychain.Connection{
		f.connect(f.admin, oauth.Production, "acme"),
		f.connect(f.dev, oauth.Production, "dev"),
	} {
		if c.LastUsed.IsZero() || !c.LastUsed.Truncate(time.Second).Equal(c.ConnectedAt) || c.LastUsed.Before(before) {
			t.Errorf("Add: %s last used %v, connected %v; want both now", c.Alias, c.LastUsed, c.ConnectedAt)
		}
	}
	im, outcome, err := f.store.AddFromSF(ctx, f.fromSF(f.tester, "uat"))
	if err != nil || outcome != keychain.SFImported || !im.LastUsed.IsZero() {
		t.Fatalf("AddFromSF = %+v, %s, %v; want imported, never used", im, outcome, err)
	}
	if _, ok := rawConnection(f.rawIndex(), f.tester.Username)["last_used"]; ok {
		t.Error("an import wrote last_used")
	}

	// Used an hour apart, by hand: acme, then dev.
	idx := f.rawIndex()
	rawConnection(idx, f.admin.Username)["last_used"] = "2026-01-01T09:00:00Z"
	rawConnection(idx, f.dev.Username)["last_used"] = "2026-01-01T10:00:00Z"
	f.writeIndex(idx)
	recent := func() []string {
		t.Helper()
		conns, err := f.store.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range keychain.Recent(conns, 5) {
			out = append(out, c.Alias)
		}
		return out
	}
	if got := recent(); !slices.Equal(got, []string{"dev", "acme"}) {
		t.Errorf("Recent = %q, want dev acme", got)
	}

	before = time.Now().UTC().Truncate(time.Second)
	if err := f.store.MarkUsed(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	c, _ := f.store.Find(ctx, "acme")
	if c.LastUsed.Before(before) || c.LastUsed.After(time.Now()) {
		t.Errorf("MarkUsed: last used %v, want now (%v)", c.LastUsed, before)
	}
	if got := recent(); !slices.Equal(got, []string{"acme", "dev"}) {
		t.Errorf("Recent after MarkUsed(acme) = %q, want acme dev", got)
	}
	wantCode(t, f.store.MarkUsed(ctx, "globex"), keychain.OrgNotFound)

	// The import of one used already keeps when it was used.
	if _, _, err := f.store.AddFromSF(ctx, f.fromSF(f.dev)); err != nil {
		t.Fatal(err)
	}
	if c, _ := f.store.Find(ctx, "dev"); !c.LastUsed.Equal(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("after an import from sf, dev last used %v, want as before", c.LastUsed)
	}
	// A reconnect is a use.
	if c := f.connect(f.dev, oauth.Production, ""); !c.LastUsed.Truncate(time.Second).Equal(c.ConnectedAt) || c.LastUsed.Before(before) {
		t.Errorf("reconnect: last used %v, want now (connected %v)", c.LastUsed, c.ConnectedAt)
	}
}

func TestLinks(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	links := func() []string {
		t.Helper()
		x, err := f.store.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, l := range x.Links {
			out = append(out, l.Name+"="+l.Path)
		}
		return out
	}
	for _, tt := range []struct {
		in   keychain.Link
		want keychain.Link
	}{
		// The name is made from the path when none is given.
		{keychain.Link{Path: "/lightning/setup/ApexJobs/home"}, keychain.Link{Name: "ApexJobs", Path: "/lightning/setup/ApexJobs/home"}},
		{keychain.Link{Path: " /lightning/o/Account/list "}, keychain.Link{Name: "Account", Path: "/lightning/o/Account/list"}},
		{keychain.Link{Name: "  Flows   to fix ", Path: "/lightning/setup/Flows/home"}, keychain.Link{Name: "Flows to fix", Path: "/lightning/setup/Flows/home"}},
		{keychain.Link{Path: "/lightning/page/home"}, keychain.Link{Name: "/lightning/page/home", Path: "/lightning/page/home"}},
		{keychain.Link{Path: "/" + strings.Repeat("x", 50)}, keychain.Link{Name: strings.Repeat("x", keychain.MaxGroupLen), Path: "/" + strings.Repeat("x", 50)}},
	} {
		got, err := f.store.AddLink(ctx, tt.in)
		if err != nil || got != tt.want {
			t.Errorf("AddLink(%+v) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	// The same path again: renamed where it is.
	if _, err := f.store.AddLink(ctx, keychain.Link{Name: "Apex Jobs", Path: "/lightning/setup/ApexJobs/home"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"Apex Jobs=/lightning/setup/ApexJobs/home", "Account=/lightning/o/Account/list", "Flows to fix=/lightning/setup/Flows/home",
		"/lightning/page/home=/lightning/page/home", strings.Repeat("x", keychain.MaxGroupLen) + "=/" + strings.Repeat("x", 50)}
	if got := links(); !slices.Equal(got, want) {
		t.Errorf("links %q, want %q", got, want)
	}

	// Refused, and nothing changes.
	for _, bad := range []keychain.Link{{Path: ""}, {Path: "lightning/page/home"}, {Path: "https://evil.example/x"}, {Path: "//evil.example"}} {
		_, err := f.store.AddLink(ctx, bad)
		wantCode(t, err, oauth.PathInvalid)
	}
	for _, bad := range []keychain.Link{{Name: "Bell\a", Path: "/apex/A"}, {Name: strings.Repeat("n", keychain.MaxGroupLen+1), Path: "/apex/A"}} {
		_, err := f.store.AddLink(ctx, bad)
		wantCode(t, err, keychain.LinkInvalid)
	}
	if got := links(); !slices.Equal(got, want) {
		t.Errorf("after refusals: links %q", got)
	}

	// Removed; removing none is no error.
	if err := f.store.RemoveLink(ctx, "/lightning/page/home"); err != nil {
		t.Fatal(err)
	}
	if err := f.store.RemoveLink(ctx, "/nowhere"); err != nil {
		t.Errorf("RemoveLink of none: %v", err)
	}
	want = slices.Delete(want, 3, 4)
	if got := links(); !slices.Equal(got, want) {
		t.Errorf("after RemoveLink: %q, want %q", got, want)
	}

	// At most MaxLinks; renaming one is still allowed at the limit.
	for i := len(want); i < keychain.MaxLinks; i++ {
		if _, err := f.store.AddLink(ctx, keychain.Link{Path: "/apex/Page" + string(rune('A'+i))}); err != nil {
			t.Fatalf("link %d: %v", i+1, err)
		}
	}
	_, err := f.store.AddLink(ctx, keychain.Link{Path: "/apex/OneTooMany"})
	d := wantCode(t, err, keychain.LinkInvalid)
	if !strings.Contains(d.Advice, "Remove one") {
		t.Errorf("advice %q", d.Advice)
	}
	if _, err := f.store.AddLink(ctx, keychain.Link{Name: "Jobs", Path: "/lightning/setup/ApexJobs/home"}); err != nil {
		t.Errorf("renaming a link at the limit: %v", err)
	}
	if got := links(); len(got) != keychain.MaxLinks || got[0] != "Jobs=/lightning/setup/ApexJobs/home" {
		t.Errorf("%d links, first %q; want %d, Jobs first", len(got), got[0], keychain.MaxLinks)
	}
}

func TestCategory(t *testing.T) {
	expires := time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC)
	for _, tt := range []struct {
		name string
		conn keychain.Connection
		want keychain.Category
	}{
		{"sandbox", keychain.Connection{IsSandbox: true, OrgType: "Enterprise Edition"}, keychain.CategorySandbox},
		{"Developer Edition", keychain.Connection{OrgType: "Developer Edition"}, keychain.CategoryDeveloper},
		{"developer edition, any case", keychain.Connection{OrgType: "developer EDITION"}, keychain.CategoryDeveloper},
		{"scratch org (expires)", keychain.Connection{OrgType: "Enterprise Edition", TrialExpires: expires}, keychain.CategoryDeveloper},
		{"trial (expires)", keychain.Connection{OrgType: "Professional Edition", TrialExpires: expires}, keychain.CategoryDeveloper},
		{"Enterprise", keychain.Connection{OrgType: "Enterprise Edition"}, keychain.CategoryProduction},
		{"Unlimited", keychain.Connection{OrgType: "Unlimited Edition"}, keychain.CategoryProduction},
		{"a sandbox that expires", keychain.Connection{IsSandbox: true, TrialExpires: expires}, keychain.CategorySandbox},
		{"older entry, production", keychain.Connection{}, keychain.CategoryProduction},
		{"older entry, sandbox", keychain.Connection{IsSandbox: true}, keychain.CategorySandbox},
	} {
		if got := tt.conn.Category(); got != tt.want {
			t.Errorf("%s: Category = %s, want %s", tt.name, got, tt.want)
		}
	}
	if !slices.Equal(keychain.Categories(), []keychain.Category{keychain.CategoryProduction, keychain.CategorySandbox, keychain.CategoryDeveloper}) {
		t.Errorf("Categories = %q", keychain.Categories())
	}
}

// What Identify read of the org reaches the index: its type and when a
// trial or scratch org expires.
func TestAddRecordsOrgType(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	expires := time.Date(2027, 1, 31, 12, 30, 0, 0, time.UTC)
	f.sf.Change(func() { f.prod.OrganizationType, f.prod.TrialExpires = "Enterprise Edition", expires })
	c := f.connect(f.admin, oauth.Production, "")
	if c.OrgType != "Enterprise Edition" || !c.TrialExpires.Equal(expires) || c.Category() != keychain.CategoryDeveloper {
		t.Errorf("connection %q expiring %v, category %s", c.OrgType, c.TrialExpires, c.Category())
	}
	if got, _ := f.store.Find(ctx, c.Alias); got.OrgType != "Enterprise Edition" || !got.TrialExpires.Equal(expires) {
		t.Errorf("the index says %q expiring %v", got.OrgType, got.TrialExpires)
	}
	if raw := rawConnection(f.rawIndex(), f.admin.Username); raw["trial_expires"] != "2027-01-31T12:30:00Z" {
		t.Errorf("trial_expires written as %v", raw["trial_expires"])
	}

	f.sf.Change(func() { f.prod.TrialExpires = time.Time{} })
	if c := f.connect(f.admin, oauth.Production, ""); !c.TrialExpires.IsZero() || c.Category() != keychain.CategoryProduction {
		t.Errorf("once the org no longer expires: %v, %s", c.TrialExpires, c.Category())
	}
	if c := f.connect(f.tester, oauth.Sandbox, ""); c.OrgType != "Developer Edition" || c.Category() != keychain.CategorySandbox {
		t.Errorf("sandbox: %q, %s", c.OrgType, c.Category())
	}
}

func TestParseCategory(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want keychain.Category
	}{
		{"production", keychain.CategoryProduction},
		{"Production", keychain.CategoryProduction},
		{"prod", keychain.CategoryProduction},
		{" PROD ", keychain.CategoryProduction},
		{"sandbox", keychain.CategorySandbox},
		{"Sandbox", keychain.CategorySandbox},
		{"developer", keychain.CategoryDeveloper},
		{"dev", keychain.CategoryDeveloper},
		{"scratch", keychain.CategoryDeveloper},
		{"Scratch & Developer", keychain.CategoryDeveloper},
		{"scratch & developer", keychain.CategoryDeveloper},
	} {
		if got, err := keychain.ParseCategory(tt.in); err != nil || got != tt.want {
			t.Errorf("ParseCategory(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, c := range keychain.Categories() {
		if got, err := keychain.ParseCategory(string(c)); err != nil || got != c {
			t.Errorf("ParseCategory of its own name %q = %q, %v", c, got, err)
		}
	}
	for _, bad := range []string{"", "trial", "production org", "sand box"} {
		_, err := keychain.ParseCategory(bad)
		d := wantCode(t, err, keychain.CategoryInvalid)
		if !strings.Contains(d.Advice, "production, sandbox or developer") {
			t.Errorf("ParseCategory(%q) advice %q", bad, d.Advice)
		}
	}
}

// Orgs used one after the other within a second are Recent in that order.
func TestRecentWithinASecond(t *testing.T) {
	f := newFixture(t, newMemKeyring())
	f.connect(f.admin, oauth.Production, "acme")
	f.connect(f.dev, oauth.Production, "dev")
	recent := func() []string {
		t.Helper()
		conns, err := f.store.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range keychain.Recent(conns, 5) {
			out = append(out, c.Alias)
		}
		return out
	}
	if got := recent(); !slices.Equal(got, []string{"dev", "acme"}) {
		t.Errorf("Recent after connecting acme then dev = %q, want dev acme", got)
	}
	for _, tt := range []struct {
		use  func() error
		want []string
	}{
		{func() error { return f.store.MarkUsed(ctx, "acme") }, []string{"acme", "dev"}},
		{func() error { return f.store.MarkUsed(ctx, "dev") }, []string{"dev", "acme"}},
		{func() error { f.connect(f.admin, oauth.Production, ""); return nil }, []string{"acme", "dev"}},
	} {
		time.Sleep(2 * time.Millisecond)
		if err := tt.use(); err != nil {
			t.Fatal(err)
		}
		if got := recent(); !slices.Equal(got, tt.want) {
			t.Errorf("Recent = %q, want %q", got, tt.want)
		}
	}
}
