package page

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
)

// fakeOrgs is the tray's side of the Orgs view: it records the actions
// and applies them to its view as the tray would (a new Version each
// time), refusing a bad alias or group with keychain's diagnoses.
type fakeOrgs struct {
	mu    sync.Mutex
	view  OrgsView
	acts  []OrgAction
	calls int // OrgsView calls
	acted chan OrgAction
}

// The five orgs every Orgs test has, each findable by one field alone.
var fiveOrgs = []Org{
	{Username: "admin@acme.example", Alias: "acme-prod", OrgName: "Acme Corp", OrgID: "00D5g000004AcmeX",
		InstanceURL: "https://acme.my.salesforce.com", Category: "Production", Environment: "production",
		Group: "Acme", Favourite: 1, State: "connected", StateText: "Connected"},
	{Username: "admin@acme.example.uat", Alias: "acme-uat", OrgName: "Acme Corp", OrgID: "00D7z000001UatQQ",
		InstanceURL: "https://acme--uat.sandbox.my.salesforce.com", Category: "Sandbox", Environment: "sandbox",
		Group: "Acme", State: "needs_reconnect", StateText: "Needs reconnect"},
	{Username: "ops@globex.example", Alias: "globex", OrgName: "Globex Industries", OrgID: "00D3x000000GlbxA",
		InstanceURL: "https://globex.my.salesforce.com", Category: "Production", Environment: "production",
		Group: "Globex", Favourite: 2, State: "connected", StateText: "Connected"},
	{Username: "test-abc123@example.com", Alias: "scratch-1", OrgName: "Dreamhouse Scratch", OrgID: "00D1q000000ScrtZ",
		InstanceURL: "https://speed-dream-1234.scratch.my.salesforce.com", Category: "Scratch & Developer", Environment: "custom",
		State: "checking", StateText: "Checking…"},
	{Username: "dev@initech.example", OrgName: "Initech", OrgID: "00D9w000000InitK",
		InstanceURL: "https://initech-dev-ed.develop.my.salesforce.com", Category: "Scratch & Developer", Environment: "custom",
		State: "unknown", StateText: "Not checked: the keychain is locked"},
}

// newFakeOrgs returns a fake with n orgs: the five, then made-up clients.
func newFakeOrgs(n int) *fakeOrgs {
	orgs := slices.Clone(fiveOrgs)
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.Local)
	for i := range orgs {
		orgs[i].LastUsed = base.Add(time.Duration(i) * time.Hour)
	}
	cats := []struct{ cat, env string }{{"Production", "production"}, {"Sandbox", "sandbox"}, {"Scratch & Developer", "custom"}}
	states := []struct{ code, text string }{{"connected", "Connected"}, {"connected", "Connected"}, {"needs_reconnect", "Needs reconnect"}, {"unknown", "Not checked"}}
	for i := len(orgs); i < n; i++ {
		c := cats[i%len(cats)]
		s := states[i%len(states)]
		o := Org{
			Username:    fmt.Sprintf("user%04d@client%03d.example.com", i, i%300),
			Alias:       fmt.Sprintf("client%04d-%s", i, c.env[:4]),
			OrgName:     fmt.Sprintf("Client %03d Holdings", i%300),
			OrgID:       fmt.Sprintf("00D%012d", i),
			InstanceURL: fmt.Sprintf("https://client%04d.my.salesforce.com", i),
			Category:    c.cat, Environment: c.env,
			Group: fmt.Sprintf("Client group %d", i%12),
			State: s.code, StateText: s.text,
		}
		if i%5 != 0 {
			o.LastUsed = base.Add(-time.Duration(i) * time.Hour)
		}
		orgs = append(orgs, o)
	}
	f := &fakeOrgs{acted: make(chan OrgAction, 64)}
	f.view = OrgsView{Version: 1, Orgs: orgs, Links: []oauth.Link{{Name: "Apex Jobs", Path: "/lightning/setup/AsyncApexJobs/home"}}}
	f.view.Groups = f.groups()
	return f
}

func (f *fakeOrgs) groups() []string {
	var cs []keychain.Connection
	for _, o := range f.view.Orgs {
		cs = append(cs, keychain.Connection{Username: o.Username, Group: o.Group})
	}
	return keychain.Groups(cs)
}

func (f *fakeOrgs) OrgsView(ctx context.Context) (OrgsView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	v := f.view
	v.Orgs = slices.Clone(v.Orgs)
	v.Links = slices.Clone(v.Links)
	v.Groups = slices.Clone(v.Groups)
	return v, nil
}

func (f *fakeOrgs) OrgAction(ctx context.Context, act OrgAction) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acts = append(f.acts, act)
	select {
	case f.acted <- act:
	default:
	}
	i := slices.IndexFunc(f.view.Orgs, func(o Org) bool { return o.Username == act.Username })
	switch act.Kind {
	case OrgAlias:
		if err := keychain.ValidateAlias(act.Value); err != nil {
			return err
		}
		f.view.Orgs[i].Alias = act.Value
	case OrgGroup:
		g, err := keychain.CleanGroup(act.Value)
		if err != nil {
			return err
		}
		f.view.Orgs[i].Group = g
		f.view.Groups = f.groups()
	case OrgPin:
		last := 0
		for _, o := range f.view.Orgs {
			last = max(last, o.Favourite)
		}
		f.view.Orgs[i].Favourite = last + 1
	case OrgUnpin:
		f.view.Orgs[i].Favourite = 0
	case OrgRemove:
		f.view.Orgs = slices.Delete(f.view.Orgs, i, i+1)
		f.view.Groups = f.groups()
	case OrgReconnect:
		f.view.Orgs[i].State, f.view.Orgs[i].StateText = "checking", "Checking…"
		f.view.SignIn = f.view.Orgs[i].Username
	case OrgReconnectAll:
		n := 0
		for _, o := range f.view.Orgs {
			if o.State == "needs_reconnect" {
				if f.view.SignIn == "" {
					f.view.SignIn = cmpOr(o.Alias, o.Username)
				} else {
					n++
				}
			}
		}
		f.view.Queued = n
	case OrgAddLink:
		f.view.Links = append(f.view.Links, oauth.Link{Name: act.Value, Path: act.Path})
	case OrgRemoveLink:
		f.view.Links = slices.DeleteFunc(f.view.Links, func(l oauth.Link) bool { return l.Path == act.Path })
	case OrgOpen:
		f.view.Orgs[i].LastUsed = time.Date(2025, 3, 2, 10, 30, 0, 0, time.Local)
	}
	f.view.Version++
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// change edits the view as the tray would on its own (a check ending,
// a token refreshed), with a new Version.
func (f *fakeOrgs) change(edit func(v *OrgsView)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	edit(&f.view)
	f.view.Version++
}

// org returns the view's org of username.
func (f *fakeOrgs) org(t *testing.T, username string) Org {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, o := range f.view.Orgs {
		if o.Username == username {
			return o
		}
	}
	t.Fatalf("no org %s", username)
	return Org{}
}

func (f *fakeOrgs) actions() []OrgAction {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.acts)
}

// lastAction waits for the next action the page asks.
func (f *fakeOrgs) next(t *testing.T, ctx context.Context) OrgAction {
	t.Helper()
	select {
	case a := <-f.acted:
		return a
	case <-ctx.Done():
		t.Fatalf("no action came: %v", ctx.Err())
	case <-time.After(20 * time.Second):
		t.Fatal("no action came in 20 s")
	}
	return OrgAction{}
}

// orgsWorld is a world whose page has the Orgs view of f.
func orgsWorld(t *testing.T, f *fakeOrgs) *world {
	t.Helper()
	return newWorld(t, func(o *Options) { o.Orgs = f })
}

func hasAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// needing counts the orgs that need a reconnect.
func (f *fakeOrgs) needing() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, o := range f.view.Orgs {
		if o.State == "needs_reconnect" {
			n++
		}
	}
	return n
}
