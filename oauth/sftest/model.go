package sftest

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// An Org is a Salesforce organization. Each org added with AddOrg gets its
// own My Domain listener.
type Org struct {
	ID               string    // 18-character 00D… id; generated if empty
	Name             string    // e.g. "Acme Corp"; default "Org N"
	Sandbox          bool      // sandbox orgs log in at Server.Sandbox, production orgs at Server.Production
	InstanceName     string    // default "NA224", or "CS42" for a sandbox
	OrganizationType string    // default "Developer Edition"
	TrialExpires     time.Time // TrialExpirationDate (scratch and trial orgs); zero: null
	Host             *Host     // set by AddOrg: the org's My Domain; Host.URL is the instance_url
}

// DefaultPassword is the password of a User added without one.
const DefaultPassword = "test-password"

// A User is a Salesforce user of one org. Usernames are unique across all
// orgs, as in Salesforce.
type User struct {
	ID       string // 18-character 005… id; generated if empty
	Org      *Org   // required
	Username string // e.g. admin@acme.example; generated if empty
	Password string // default DefaultPassword
	Name     string // full name; default the username
	Email    string // default the username
	// Admin means the user holds "Approve Uninstalled Connected Apps" (as a
	// System Administrator does), so the September 2025 block on uninstalled
	// connected apps does not apply.
	Admin bool
}

// AppKind is the kind of OAuth client an App is.
type AppKind int

const (
	// ConnectedApp is a classic connected app: usable from any org, but since
	// September 2025 blocked for non-admin users in orgs where it is not
	// installed, unless the user authorized it before.
	ConnectedApp AppKind = iota
	// LocalECA is an External Client App with Distribution State Local: only
	// users of its OwnerOrg can authorize it.
	LocalECA
	// PackagedECA is an External Client App in a managed package: it works in
	// orgs where the package is installed and the app is enabled.
	PackagedECA
)

// String returns the constant's name.
func (k AppKind) String() string {
	switch k {
	case ConnectedApp:
		return "ConnectedApp"
	case LocalECA:
		return "LocalECA"
	case PackagedECA:
		return "PackagedECA"
	}
	return fmt.Sprintf("AppKind(%d)", int(k))
}

// An App is an OAuth client: a connected app or an External Client App.
type App struct {
	Name          string   // shown on the "Allow Access?" page; default "Connected App"
	Kind          AppKind  //
	ClientID      string   // consumer key; generated (3MVG9…) if empty
	ClientSecret  string   // consumer secret; generated if empty
	OwnerOrg      *Org     // the org it was created in (ConnectedApp, LocalECA)
	CallbackURLs  []string // the redirect_uri must equal one exactly
	Scopes        []string // scopes the app allows; "full" allows all; default api, refresh_token, web
	RequireSecret bool     // "Require Secret for Web Server Flow"
	RequirePKCE   bool     // "Require Proof Key for Code Exchange"
	// RotateRefreshTokens makes a refresh return a new refresh token and
	// invalidate the old one.
	RotateRefreshTokens bool
	// InstalledIn lists the orgs it is installed in. For a ConnectedApp this
	// lifts the September 2025 block there; for a PackagedECA it is where the
	// package is installed.
	InstalledIn []*Org
	// EnabledIn lists, for a PackagedECA, the orgs whose External Client App
	// Manager enables it. Installed but not enabled gives the cross-org error.
	EnabledIn []*Org
	// Blocked means an admin blocked it (or API Access Control does).
	Blocked bool
	// AdminApprovedOnly is "Admin approved users are pre-authorized": only
	// ApprovedUsers may use it, and they see no approval page.
	AdminApprovedOnly bool
	ApprovedUsers     []*User
	// RunAs is the client credentials "Run As" user; nil means the client
	// credentials flow is not enabled.
	RunAs *User
}

// AddOrg adds an org, fills in missing fields and starts its My Domain
// listener. It panics if the listener cannot start.
func (s *Server) AddOrg(o Org) *Org {
	org := &o
	s.mu.Lock()
	if org.ID == "" {
		org.ID = newID("00D")
	}
	if org.Name == "" {
		org.Name = fmt.Sprintf("Org %d", len(s.orgs)+1)
	}
	if org.InstanceName == "" {
		org.InstanceName = "NA224"
		if org.Sandbox {
			org.InstanceName = "CS42"
		}
	}
	if org.OrganizationType == "" {
		org.OrganizationType = "Developer Edition"
	}
	s.orgs = append(s.orgs, org)
	s.mu.Unlock()
	h, err := s.startHost(MyDomain, org)
	if err != nil {
		panic("sftest: AddOrg: " + err.Error())
	}
	s.mu.Lock()
	org.Host = h
	s.mu.Unlock()
	return org
}

// AddUser adds a user to u.Org and fills in missing fields. It panics if
// u.Org is nil.
func (s *Server) AddUser(u User) *User {
	if u.Org == nil {
		panic("sftest: AddUser: User.Org is nil")
	}
	user := &u
	s.mu.Lock()
	defer s.mu.Unlock()
	if user.ID == "" {
		user.ID = newID("005")
	}
	if user.Username == "" {
		user.Username = fmt.Sprintf("user%d@%s.example", len(s.users)+1, strings.ToLower(user.Org.ID[:15]))
	}
	if user.Password == "" {
		user.Password = DefaultPassword
	}
	if user.Name == "" {
		user.Name = user.Username
	}
	if user.Email == "" {
		user.Email = user.Username
	}
	s.users = append(s.users, user)
	return user
}

// AddApp registers an OAuth client and fills in missing fields.
func (s *Server) AddApp(a App) *App {
	app := &a
	app.CallbackURLs = slices.Clone(a.CallbackURLs)
	app.Scopes = slices.Clone(a.Scopes)
	app.InstalledIn = slices.Clone(a.InstalledIn)
	app.EnabledIn = slices.Clone(a.EnabledIn)
	app.ApprovedUsers = slices.Clone(a.ApprovedUsers)
	if app.Name == "" {
		app.Name = "Connected App"
	}
	if app.ClientID == "" {
		app.ClientID = "3MVG9" + randString(tokenChars, 80)
	}
	if app.ClientSecret == "" && app.ClientID != "PlatformCLI" {
		app.ClientSecret = randString("0123456789ABCDEF", 64)
	}
	if app.Scopes == nil {
		app.Scopes = []string{"api", "refresh_token", "web"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps = append(s.apps, app)
	return app
}

// CLIApp returns Salesforce's own CLI app, which every Server has: ClientID
// "PlatformCLI", no secret, callback http://localhost:1717/OauthRedirect,
// scopes refresh_token api web full, PKCE required, installed in no org (so
// non-admin users meet the September 2025 block). Tests may append to its
// CallbackURLs.
func (s *Server) CLIApp() *App { return s.cliApp }

// appByID returns the app with the consumer key id, or nil. s.mu is held.
func (s *Server) appByID(id string) *App {
	if id == "" {
		return nil
	}
	for _, a := range s.apps {
		if a.ClientID == id {
			return a
		}
	}
	return nil
}

// userByName finds a user by username, ignoring case. s.mu is held.
func (s *Server) userByName(name string) *User {
	for _, u := range s.users {
		if strings.EqualFold(u.Username, name) {
			return u
		}
	}
	return nil
}

// session is a browser session on one host.
type session struct {
	host  *Host
	user  *User
	fresh bool // signed in just now: satisfies one prompt=login
}

// pendingAuth is an authorization waiting on the "Allow Access?" page.
type pendingAuth struct {
	host      *Host
	user      *User
	app       *App
	params    authParams
	scopes    []string
	expiresAt time.Time
}

// authParams are the parts of an authorize request that travel to the code.
type authParams struct {
	redirectURI string
	state       string
	challenge   string
}

// authCode is an issued authorization code.
type authCode struct {
	host      *Host
	app       *App
	user      *User
	params    authParams
	scopes    []string
	expiresAt time.Time
	used      bool
}

// refreshToken is an issued refresh token.
type refreshToken struct {
	value   string
	host    *Host // the host that issued the code
	app     *App
	user    *User
	scopes  []string
	revoked bool
}

// accessToken is an issued access token.
type accessToken struct {
	value   string
	app     *App
	user    *User
	scopes  []string
	idURL   string
	parent  *refreshToken // nil unless obtained with a refresh token or alongside one
	revoked bool
	issued  time.Time
}

// otp is a one-time frontdoor token.
type otp struct {
	host      *Host
	user      *User
	startURL  string
	fresh     bool
	expiresAt time.Time
}

// approval is a (user, app) pair the user has allowed.
type approval struct {
	user *User
	app  *App
}

// authError is an error chosen with FailNextAuthorize.
type authError struct {
	code, desc string
	page       bool
}

// revokeRefresh revokes rt and its access tokens. s.mu is held.
func (s *Server) revokeRefresh(rt *refreshToken) {
	rt.revoked = true
	for _, a := range s.access {
		if a.parent == rt {
			a.revoked = true
		}
	}
}

// hasScope reports whether list contains name.
func hasScope(list []string, name string) bool { return slices.Contains(list, name) }
