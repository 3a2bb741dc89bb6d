package main

// A person with many orgs: the fake Salesforce with hundreds of orgs, all
// connected, without a browser sign-in each (sftest.Server.Grant), their
// tokens in the session's real keychain and their entries in the index.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/zalando/go-keyring"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/oauth/sftest"
)

// manyOrgs describes the orgs seedOrgs makes.
type manyOrgs struct {
	n          int
	groups     int // user groups, for 40 % of the orgs
	favourites int
	recent     int // orgs with a last use
}

// seeded is an org seedOrgs made.
type seeded struct {
	org  *sftest.Org
	user *sftest.User
	conn keychain.Connection
}

// seedOrgs adds m.n orgs to the fake Salesforce, each with a user who
// approved e's custom app, and stores them as MeshMesh connections: 60 %
// production (Enterprise Edition), 30 % sandboxes, 10 % Developer
// Edition; 40 % in groups of the user's, the first m.favourites pinned,
// the last m.recent recently used. The keychain items are written by a child process in e's session.
func (e *e2e) seedOrgs(m manyOrgs) []seeded {
	e.t.Helper()
	scopes := []string{"api", "refresh_token", "offline_access", "web"}
	var (
		out   = make([]seeded, m.n)
		items = map[string]string{}
		now   = time.Now().UTC().Truncate(time.Second)
	)
	for i := range m.n {
		o := sftest.Org{Name: fmt.Sprintf("Client %03d", i), OrganizationType: "Enterprise Edition"}
		env, login := oauth.Production, e.sf.Production
		switch {
		case i%10 >= 7: // 30 %
			o.Sandbox, o.Name, env, login = true, o.Name+" UAT", oauth.Sandbox, e.sf.Sandbox
		case i%10 == 6: // 10 %
			o.OrganizationType = "Developer Edition"
		}
		org := e.sf.AddOrg(o)
		e.sf.Change(func() { e.app.InstalledIn = append(e.app.InstalledIn, org) })
		user := e.sf.AddUser(sftest.User{Org: org, Username: fmt.Sprintf("admin%03d@client%03d.example", i, i), Admin: true})
		tok := e.sf.Grant(login, e.app, user, scopes)
		conn := keychain.Connection{
			Alias: fmt.Sprintf("client-%03d", i), Username: user.Username, OrgID: org.ID, UserID: user.ID,
			OrgName: org.Name, InstanceURL: tok.InstanceURL, LoginURL: login.URL, Environment: env,
			Method: oauth.CustomApp, ClientID: e.app.ClientID, Scopes: scopes, Status: keychain.Connected,
			IsSandbox: org.Sandbox, OrgType: org.OrganizationType, ConnectedAt: now,
		}
		if org.Sandbox {
			conn.Alias += "-uat"
		}
		if m.groups > 0 && (i%5 == 2 || i%5 == 3) {
			conn.Group = fmt.Sprintf("Group %d", i%m.groups+1)
		}
		if i < m.favourites {
			conn.Favourite = i + 1
		}
		if i >= m.n-m.recent {
			conn.LastUsed = now.Add(-time.Duration(m.n-i) * time.Minute)
		}
		item, err := json.Marshal(map[string]any{"refresh_token": tok.RefreshToken, "access_token": tok.AccessToken,
			"issued_at": now.UnixMilli(), "client_secret": e.app.ClientSecret})
		if err != nil {
			e.t.Fatal(err)
		}
		items[strings.ToLower(user.Username)] = string(item)
		out[i] = seeded{org: org, user: user, conn: conn}
	}
	conns := make([]keychain.Connection, len(out))
	for i, s := range out {
		conns[i] = s.conn
	}
	index, err := json.MarshalIndent(map[string]any{"version": 1, "connections": conns}, "", "  ")
	if err != nil {
		e.t.Fatal(err)
	}
	home := filepath.Join(e.root, "config", "meshmesh")
	if err := os.MkdirAll(home, 0o700); err != nil {
		e.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, keychain.IndexFile), index, 0o600); err != nil {
		e.t.Fatal(err)
	}
	// The items go to the child on its stdin: never in a file.
	b, err := json.Marshal(items)
	if err != nil {
		e.t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	for k, v := range e.env {
		if v != "" && k != "MESHMESH_TEST_MAIN" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Env = append(cmd.Env, "MESHMESH_TEST_SEED=1")
	cmd.Stdin = strings.NewReader(string(b))
	if out, err := cmd.CombinedOutput(); err != nil {
		e.t.Fatalf("seeding the keychain: %v\n%s", err, out)
	}
	return out
}

// seedKeychain is the child of seedOrgs: it stores the items it reads on
// stdin (account → secret) as the keychain service "meshmesh", four at a
// time, and returns the exit status.
func seedKeychain() int {
	var items map[string]string
	if err := json.NewDecoder(os.Stdin).Decode(&items); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		return 1
	}
	var (
		wg   sync.WaitGroup
		sem  = make(chan struct{}, 4)
		mu   sync.Mutex
		errs []error
	)
	for acct, secret := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := keyring.Set(keychain.DefaultService, acct, secret); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", acct, err))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		fmt.Fprintln(os.Stderr, "seed:", errs[0], "and", len(errs)-1, "more")
		return 1
	}
	return 0
}

// tokenRequests counts the token requests the fake Salesforce served.
func (e *e2e) tokenRequests() int {
	n := 0
	for _, r := range e.sf.Requests() {
		if r.Path == "/services/oauth2/token" {
			n++
		}
	}
	return n
}
