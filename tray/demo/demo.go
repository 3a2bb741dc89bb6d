// Package demo sets up the tray's demo mode (meshmesh demo): a fake
// Salesforce (package sftest) in the process, with sample orgs, users and
// apps, and a keychain store of its own already holding connections to
// them, one of which needs reconnect. Anyone can then try every menu item
// and flow without a Salesforce org.
package demo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"golang.org/x/oauth2"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/oauth/sfcli"
	"github.com/meshmesh/meshmesh/oauth/sftest"
)

// Service is the keychain service of the demo's connections, apart from
// the real ones.
const Service = "meshmesh-demo"

// Options configure a demo.
type Options struct {
	Dir          string // the demo's state folder; it is emptied first
	Service      string // keychain service; empty means Service
	CallbackPort int    // 0 means oauth.DefaultCallbackPort
	Browser      string // BROWSER
	Keyring      keychain.Keyring
	Log          *slog.Logger
	// Orgs is how many client orgs to add to the three samples, to see the
	// tray of a person with many orgs (groups, favourites, recent); each
	// is connected without a browser. At most MaxOrgs.
	Orgs int
}

// MaxOrgs bounds Options.Orgs.
const MaxOrgs = 2000

// World is a running demo.
type World struct {
	SF     *sftest.Server
	Engine *oauth.Engine
	Store  *keychain.Store
	// Password signs any demo user in on the fake's login page.
	Password string
	// Users are the demo users' usernames, for people to sign in with.
	Users []string

	sfHome string // the home folder of the demo's Salesforce CLI
}

// The sample orgs' people.
const (
	acmeAdmin   = "admin@acme.com"
	uatAdmin    = "admin@acme.com.uat"
	globexAdmin = "dev@globex.com"
)

// Start starts the fake Salesforce and connects the sample orgs (through
// real logins against it, a scripted browser signing in). Close undoes it.
func Start(ctx context.Context, opts Options) (_ *World, err error) {
	if opts.Service == "" {
		opts.Service = Service
	}
	if opts.CallbackPort == 0 {
		opts.CallbackPort = oauth.DefaultCallbackPort
	}
	sf, err := sftest.Start()
	if err != nil {
		return nil, fmt.Errorf("demo: starting the fake Salesforce: %w", err)
	}
	w := &World{SF: sf, Password: sftest.DefaultPassword, Users: []string{acmeAdmin, uatAdmin, globexAdmin}}
	defer func() {
		if err != nil {
			w.Close(context.WithoutCancel(ctx))
		}
	}()
	acme := sf.AddOrg(sftest.Org{Name: "Acme Corp", OrganizationType: "Enterprise Edition"})
	uat := sf.AddOrg(sftest.Org{Name: "Acme UAT", Sandbox: true, OrganizationType: "Enterprise Edition"})
	globex := sf.AddOrg(sftest.Org{Name: "Globex"})
	sf.AddUser(sftest.User{Org: acme, Username: acmeAdmin, Admin: true})
	tester := sf.AddUser(sftest.User{Org: uat, Username: uatAdmin, Admin: true})
	sf.AddUser(sftest.User{Org: globex, Username: globexAdmin})
	redirect := "http://localhost:" + strconv.Itoa(opts.CallbackPort) + "/OauthRedirect"
	scopes := []string{"api", "refresh_token", "offline_access", "web"}
	// The MeshMesh package is installed in Acme's production org only: a
	// MeshMesh Connected App login to the sandbox shows that diagnosis.
	eca := sf.AddApp(sftest.App{Name: "MeshMesh Studio", Kind: sftest.PackagedECA, CallbackURLs: []string{redirect}, Scopes: scopes,
		InstalledIn: []*sftest.Org{acme, globex}, EnabledIn: []*sftest.Org{acme, globex}})
	custom := sf.AddApp(sftest.App{Name: "Acme Integration", Kind: sftest.ConnectedApp, OwnerOrg: acme, CallbackURLs: []string{redirect},
		Scopes: scopes, RequireSecret: true, InstalledIn: []*sftest.Org{acme, uat}})

	settings := oauth.Settings{
		ProductionURL: sf.Production.URL,
		SandboxURL:    sf.Sandbox.URL,
		CallbackPort:  opts.CallbackPort,
		// Quick Connect on the demo's port too: the fake's CLI app takes it.
		SFCallbackPort: opts.CallbackPort,
		ECAClientID:    eca.ClientID,
		Browser:        opts.Browser,
	}
	w.sfHome = filepath.Join(opts.Dir, "sf-home")
	w.Engine = &oauth.Engine{Settings: settings, Log: opts.Log, SF: demoSF(w.sfHome, opts.Log)}
	// Quick Connect signs in with the CLI's own app, on the demo's port.
	sf.Change(func() {
		app := sf.CLIApp()
		if !slices.Contains(app.CallbackURLs, redirect) {
			app.CallbackURLs = append(app.CallbackURLs, redirect)
		}
	})
	w.Store, err = keychain.Open(keychain.Options{Dir: opts.Dir, Service: opts.Service, Keyring: opts.Keyring, Engine: w.Engine, Log: opts.Log})
	if err != nil {
		return nil, err
	}
	if err := w.forgetAll(ctx); err != nil {
		return nil, err
	}
	seeds := []struct {
		user, alias string
		req         oauth.LoginRequest
		secret      string
	}{
		{acmeAdmin, "acme-prod", oauth.LoginRequest{Method: oauth.MeshMeshApp, Target: oauth.Target{Environment: oauth.Production}, App: oauth.App{Scopes: scopes}}, ""},
		{uatAdmin, "acme-uat", oauth.LoginRequest{Method: oauth.CustomApp, Target: oauth.Target{Environment: oauth.Sandbox},
			App: oauth.App{ClientID: custom.ClientID, ClientSecret: custom.ClientSecret, Scopes: scopes}}, custom.ClientSecret},
		{globexAdmin, "globex", oauth.LoginRequest{Method: oauth.MeshMeshApp, Target: oauth.Target{Environment: oauth.Production}, App: oauth.App{Scopes: scopes}}, ""},
	}
	for _, s := range seeds {
		if err := w.connect(ctx, s.user, s.req, keychain.AddOptions{Alias: s.alias, ClientSecret: s.secret, Scopes: scopes}); err != nil {
			return nil, fmt.Errorf("demo: connecting %s: %w", s.alias, err)
		}
	}
	if err := w.addClients(ctx, min(opts.Orgs, MaxOrgs), custom); err != nil {
		return nil, err
	}
	// An admin revoked the sandbox's tokens: the tray finds it dead.
	sf.RevokeRefreshTokens(tester)
	return w, nil
}

// addClients adds n client orgs, connected through app without a browser
// (sftest.Server.Grant): 60 % production, 30 % sandboxes, 10 % Developer
// Edition; 40 % in five groups; the first three favourites.
func (w *World) addClients(ctx context.Context, n int, app *sftest.App) error {
	scopes := []string{"api", "refresh_token", "offline_access", "web"}
	for i := range n {
		o := sftest.Org{Name: fmt.Sprintf("Client %03d", i+1), OrganizationType: "Enterprise Edition"}
		login, env, alias := w.SF.Production, oauth.Production, fmt.Sprintf("client-%03d", i+1)
		switch i % 10 {
		case 7, 8, 9:
			o.Sandbox, o.Name, login, env, alias = true, o.Name+" UAT", w.SF.Sandbox, oauth.Sandbox, alias+"-uat"
		case 6:
			o.OrganizationType = "Developer Edition"
		}
		org := w.SF.AddOrg(o)
		w.SF.Change(func() { app.InstalledIn = append(app.InstalledIn, org) })
		user := w.SF.AddUser(sftest.User{Org: org, Username: fmt.Sprintf("admin@client%03d.example", i+1), Admin: true})
		tok := w.SF.Grant(login, app, user, scopes)
		g := &oauth.Grant{
			Org: oauth.Org{Username: user.Username, UserID: user.ID, OrgID: org.ID, OrgName: org.Name, InstanceURL: tok.InstanceURL,
				LoginURL: login.URL, InstanceName: org.InstanceName, OrganizationType: org.OrganizationType, IsSandbox: org.Sandbox,
				Environment: env, Method: oauth.CustomApp, ClientID: app.ClientID, Scopes: scopes},
			Token: &oauth2.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken},
		}
		if _, err := w.Store.Add(ctx, g, keychain.AddOptions{Alias: alias, ClientSecret: app.ClientSecret, Scopes: scopes}); err != nil {
			return fmt.Errorf("demo: connecting %s: %w", alias, err)
		}
		if i%5 == 2 || i%5 == 3 {
			groups := []string{"Acme partners", "Globex", "Initech", "Hooli", "Umbrella"}
			if _, err := w.Store.SetGroup(ctx, alias, groups[(i/5)%len(groups)]); err != nil {
				return err
			}
		}
		if i < 3 {
			if _, err := w.Store.SetFavourite(ctx, alias, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// connect logs user in with a scripted browser and stores the connection.
func (w *World) connect(ctx context.Context, user string, req oauth.LoginRequest, add keychain.AddOptions) error {
	flow, err := w.Engine.Begin(ctx, req)
	if err != nil {
		return err
	}
	defer flow.Close()
	b := &sftest.Browser{Username: user, Client: w.SF.Client()}
	if _, err := b.Open(ctx, flow.URL()); err != nil {
		return err
	}
	g, err := flow.Wait(ctx)
	if err != nil {
		return err
	}
	_, err = w.Store.Add(ctx, g, add)
	return err
}

// forgetAll removes the demo's connections (left by an earlier demo that
// did not end cleanly): their keychain items and index entries.
func (w *World) forgetAll(ctx context.Context) error {
	conns, err := w.Store.List(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, c := range conns {
		if _, err := w.Store.Remove(ctx, c.Username); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close forgets the demo's connections and stops the fake Salesforce.
func (w *World) Close(ctx context.Context) error {
	var err error
	if w.Store != nil {
		err = w.forgetAll(ctx)
	}
	if w.sfHome != "" {
		err = errors.Join(err, os.RemoveAll(w.sfHome))
	}
	w.SF.Close()
	return err
}

// demoSF is the Salesforce CLI of the demo: the user's sf, with a home of
// the demo's (so that the sample orgs never reach the user's own sf, nor
// its key the user's keychain), removed at exit.
func demoSF(home string, log *slog.Logger) *sfcli.CLI {
	env := append(os.Environ(), "HOME="+home, "USERPROFILE="+home, "SF_USE_GENERIC_UNIX_KEYCHAIN=true")
	return &sfcli.CLI{Env: env, Log: log}
}
