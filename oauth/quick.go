package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/meshmesh/meshmesh/oauth/sfcli"
)

// Quick Connect signs in through the Salesforce CLI (sf), with sf's own
// connected app (client id PlatformCLI, callback
// http://localhost:1717/OauthRedirect): no app to set up in the org. sf
// runs the browser login and keeps the org in its own files; MeshMesh then
// reads the refresh token back from sf and takes the connection over like
// any other, refreshing it itself at the login URL it came from.

// PlatformCLI is the client id of the Salesforce CLI's connected app.
const PlatformCLI = "PlatformCLI"

// MinSFVersion is the oldest sf Quick Connect and import work with: it
// has sf org auth show-sfdx-auth-url (secrets are redacted everywhere
// else since 2.136.8) and a time limit on its browser login.
const MinSFVersion = "2.136.8"

// MinNodeVersion is the oldest Node.js that sf runs on: it needs 22, and
// its HTTP client (undici 8, through jsforce) 22.19.0.
const MinNodeVersion = "22.19.0"

// Codes of Quick Connect's own failures.
const (
	SFCLIOutdated   Code = "sf_cli_outdated"  // sf older than MinSFVersion
	NodeUnsupported Code = "node_unsupported" // sf's Node.js is missing or too old
	SFCLIFailed     Code = "sf_cli_failed"    // sf failed in a way MeshMesh does not know, or hung
	SFOrgNotFound   Code = "sf_org_not_found" // an org to import that sf does not hold
	// SFNoRefreshToken is an org sf holds without a refresh token (an
	// access token or JWT login): MeshMesh cannot keep it.
	SFNoRefreshToken Code = "sf_no_refresh_token"
)

// sf returns the Salesforce CLI the engine runs.
func (e *Engine) sf() *sfcli.CLI {
	if e.SF != nil {
		return e.SF
	}
	// A tray started at login may have a shorter PATH than a terminal:
	// look where sf's installers put it too.
	return &sfcli.CLI{Path: e.Settings.SFPath, Log: e.Log, SearchInstallDirs: true}
}

// QuickConnect signs in through the Salesforce CLI: BeginQuickConnect,
// then Wait. Failures are diagnosed: sf missing, too old or without a
// usable Node.js, the port in use, Salesforce's refusals, time-outs.
func (e *Engine) QuickConnect(ctx context.Context, req LoginRequest) (*Grant, error) {
	q, err := e.BeginQuickConnect(ctx, req)
	if err != nil {
		return nil, err
	}
	return q.Wait(ctx)
}

// QuickFlow is a Quick Connect whose checks have passed: sf is there,
// recent enough, on a usable Node.js, and the callback port was free.
// Wait runs the sign-in.
type QuickFlow struct {
	e        *Engine
	cli      *sfcli.CLI
	target   Target
	sit      Situation
	loginURL string
	timeout  time.Duration
}

// BeginQuickConnect checks what Quick Connect needs before anyone signs
// in for nothing: the login URL of req.Target, sf (on PATH, at least
// MinSFVersion, on Node.js MinNodeVersion or later) and the callback port,
// which must be free: no MeshMesh login may hold it while sf runs.
func (e *Engine) BeginQuickConnect(ctx context.Context, req LoginRequest) (*QuickFlow, error) {
	sit := Situation{Step: StepSetup, Method: QuickConnect, Target: req.Target, Port: e.Settings.sfPort()}
	loginURL, err := e.Settings.LoginURL(req.Target)
	if err != nil {
		return nil, err
	}
	sit.LoginURL = loginURL
	cli := e.sf()
	if err := e.checkSF(ctx, cli, sit); err != nil {
		return nil, err
	}
	// sf checks the port itself, but only after it started (a second
	// or two): say so at once.
	lns, err := listenCallback(sit)
	if err != nil {
		return nil, err
	}
	for _, ln := range lns {
		ln.Close()
	}
	q := &QuickFlow{e: e, cli: cli, target: req.Target, sit: sit, loginURL: loginURL, timeout: req.Timeout}
	if q.timeout <= 0 {
		q.timeout = DefaultLoginTimeout
	}
	return q, nil
}

// LoginURL returns where the user signs in.
func (q *QuickFlow) LoginURL() string { return q.loginURL }

// Timeout returns how long sf waits for the browser.
func (q *QuickFlow) Timeout() time.Duration { return q.timeout }

// Wait runs sf org login web, which opens the browser on the login URL and
// waits for the callback; then MeshMesh reads the org and its refresh
// token back from sf, refreshes it itself and identifies the user.
// Cancelling ctx stops sf and frees the port.
func (q *QuickFlow) Wait(ctx context.Context) (*Grant, error) {
	e, sit := q.e, q.sit
	sit.Step = StepAuthorize
	e.log().Info("quick connect: sf org login web", "environment", q.target.Environment, "login_host", hostOf(q.loginURL), "port", sit.Port)
	org, err := q.cli.LoginWeb(ctx, sfcli.LoginRequest{
		InstanceURL: q.loginURL,
		Alias:       sfAlias(q.target),
		Port:        sit.Port,
		Timeout:     q.timeout,
		Browser:     e.Settings.Browser,
	})
	if err != nil {
		return nil, sfError(err, sit, q.timeout)
	}
	sit.Step = StepExchange
	au, err := q.cli.AuthURL(ctx, org.Username)
	if err != nil {
		return nil, sfError(err, sit, q.timeout)
	}
	g, err := e.Adopt(ctx, Adoption{
		Org:          org,
		LoginURL:     q.loginURL,
		Environment:  q.target.Environment,
		Method:       QuickConnect,
		ClientID:     au.ClientID,
		ClientSecret: au.ClientSecret,
		RefreshToken: au.RefreshToken,
		FromSF:       true,
	})
	if err != nil {
		return nil, err
	}
	e.log().Info("quick connect: connected", "username", g.Org.Username, "org_id", g.Org.OrgID, "instance", hostOf(g.Org.InstanceURL))
	return g, nil
}

// SFHolds reports whether the Salesforce CLI holds refreshToken for
// username, so that revoking it would sign sf out. sf without that org,
// or with another token for it, does not; when sf cannot tell (not found,
// failing), the answer is an error: then do not revoke.
func (e *Engine) SFHolds(ctx context.Context, username, refreshToken string) (bool, error) {
	au, err := e.sf().AuthURL(ctx, username)
	var se *sfcli.Error
	switch {
	case errors.As(err, &se) && (se.Name == "NamedOrgNotFoundError" || isNoRefreshToken(se)):
		return false, nil
	case err != nil:
		return false, err
	}
	return subtle.ConstantTimeCompare([]byte(au.RefreshToken), []byte(refreshToken)) == 1, nil
}

// isNoRefreshToken reports whether sf says it holds the org without a
// refresh token (an access token or JWT login).
func isNoRefreshToken(se *sfcli.Error) bool {
	m := strings.ToLower(se.Name + " " + se.Message)
	return strings.Contains(m, "norefreshtoken") || strings.Contains(m, "no refresh token") || strings.Contains(m, "does not have a refresh token")
}

// sfAlias is the alias sf gives an org Quick Connect signed in, in sf's
// own list: it says where it came from and cannot take an alias of the
// user's.
func sfAlias(t Target) string {
	env := t.Environment
	if env == "" {
		env = Production
	}
	return SFAliasPrefix + string(env)
}

// SFAliasPrefix begins the aliases Quick Connect gives orgs in sf.
const SFAliasPrefix = "meshmesh-"

// checkSF checks that sf is there, recent enough and has a Node.js it
// runs on, before the user signs in for nothing.
func (e *Engine) checkSF(ctx context.Context, cli *sfcli.CLI, sit Situation) error {
	exe, err := cli.Executable()
	if err != nil {
		d := newDiagnosis(SFCLIRequired, sit)
		d.Err = err
		return d
	}
	// sf --version is a start of sf (~0.4 s): once for each sf file.
	var key string
	if fi, err := os.Stat(exe); err == nil {
		key = fmt.Sprintf("%s\x00%d\x00%d", exe, fi.Size(), fi.ModTime().UnixNano())
		if _, ok := e.sfChecked.Load(key); ok {
			return nil
		}
	}
	if err := e.checkVersion(ctx, cli, sit); err != nil {
		return err
	}
	if key != "" {
		e.sfChecked.Store(key, true)
	}
	return nil
}

// checkVersion checks sf's version and its Node.js's.
func (e *Engine) checkVersion(ctx context.Context, cli *sfcli.CLI, sit Situation) error {
	v, err := cli.Version(ctx)
	if err != nil {
		return sfError(err, sit, 0)
	}
	switch {
	case v.Node != "" && v.NodeBelow(MinNodeVersion):
		d := newDiagnosis(NodeUnsupported, sit)
		d.Title = "Node.js too old for the Salesforce CLI"
		d.Advice = fmt.Sprintf("The Salesforce CLI runs on Node.js %s here; it needs %s or later. Install the current Node.js LTS (https://nodejs.org), or reinstall sf with Salesforce's installer, which brings its own Node.js; then try again.", v.Node, MinNodeVersion)
		return d
	case v.CLI == "" || v.CLIBelow(MinSFVersion):
		d := newDiagnosis(SFCLIOutdated, sit)
		if v.CLI != "" {
			d.Advice = strings.Replace(d.Advice, "This sf is older", "This sf is "+v.CLI+", older", 1)
		}
		return d
	}
	return nil
}

// Adoption is a refresh token issued to another client — the Salesforce
// CLI's — for MeshMesh to take over.
type Adoption struct {
	Org          sfcli.Org // what sf says of the org: its instance URL, username
	LoginURL     string    // where the token was issued: refresh there
	Environment  Environment
	Method       Method // QuickConnect for sf's own app, CustomApp for another
	ClientID     string
	ClientSecret string
	RefreshToken string
	// FromSF: the Salesforce CLI holds the token (and goes on holding it).
	FromSF bool
}

// Adopt takes over a refresh token: it refreshes it at its login URL with
// the client it was issued to (proving it works and getting an access
// token) and identifies the user and org, as after a browser login. A
// token from sf stays shared with it (Grant.SharedWithSF) unless the
// refresh rotated it: then sf's copy no longer works.
func (e *Engine) Adopt(ctx context.Context, a Adoption) (*Grant, error) {
	sit := Situation{Step: StepRefresh, Method: a.Method, LoginURL: a.LoginURL, Target: Target{Environment: a.Environment}}
	r, err := e.Refresh(ctx, a.LoginURL, App{ClientID: a.ClientID, ClientSecret: a.ClientSecret}, a.RefreshToken)
	if err != nil {
		var d *Diagnosis
		if errors.As(err, &d) && a.Method != "" && (d.Code == AppNotApproved || d.Code == AppBlocked || d.Code == AuthorizationFailed) {
			// Refresh knows no method: say whose app it is.
			d2 := explain(d.Code, sit, d.SalesforceError, d.SalesforceDescription)
			d2.SalesforceError, d2.SalesforceDescription, d2.Err = d.SalesforceError, d.SalesforceDescription, d.Err
			return nil, d2
		}
		return nil, err
	}
	instanceURL := a.Org.InstanceURL // sf's: the auth URL has no scheme
	if instanceURL == "" {
		instanceURL = r.InstanceURL
	}
	ti := readTokenInfo(r.Token)
	sit.Step = StepIdentity
	org, err := e.Identify(ctx, instanceURL, r.Token.AccessToken)
	if err != nil {
		return nil, Diagnose(err, sit)
	}
	if oid, uid := idParts(ti.idURL); org.OrgID == "" {
		org.OrgID, org.UserID = oid, uid
	}
	org.LoginURL = a.LoginURL
	org.Environment = a.Environment
	org.Method = a.Method
	org.ClientID = a.ClientID
	org.Scopes = ti.scopes
	if a.FromSF && r.Rotated {
		e.log().Warn("adopt: the refresh rotated sf's token: sf is signed out of the org", "username", org.Username)
	}
	return &Grant{Org: org, Token: r.Token, IssuedAt: r.IssuedAt, SharedWithSF: a.FromSF && !r.Rotated}, nil
}

// SFImport is one org of the Salesforce CLI's, imported or not.
type SFImport struct {
	Org     sfcli.Org // as sf holds it
	Aliases []string  // all sf's aliases of it, the user's before MeshMesh's
	Grant   *Grant    // nil when Err is set
	// ClientSecret is the consumer secret of the org's app when it is not
	// sf's own (from sf's auth URL): keep it for the refreshes.
	ClientSecret string
	Err          error // a *Diagnosis
}

// ImportSF reads the orgs the Salesforce CLI holds — all of them, or
// those refs name (an alias or a username) — and takes each over: its
// refresh token read back from sf, refreshed and identified here. No
// browser opens. A ref sf does not know is an error before anything is
// read; an org that fails (a revoked token, say) has its own Err.
func (e *Engine) ImportSF(ctx context.Context, refs ...string) ([]SFImport, error) {
	sit := Situation{Step: StepSetup, Method: QuickConnect}
	cli := e.sf()
	if err := e.checkSF(ctx, cli, sit); err != nil {
		var d *Diagnosis
		if errors.As(err, &d) && d.Code == SFCLIRequired {
			d.Advice = "Importing reads the orgs of the Salesforce CLI (sf), which is not installed or not on PATH (MESHMESH_SF can name it). Install it (npm install --global @salesforce/cli) and sign your orgs in with it, or connect them with MeshMesh directly (meshmesh connect)."
			d.Fixes = nil
		}
		return nil, err
	}
	// Two sf commands, at once: sf takes a second to start.
	var (
		aliases  map[string]string
		aliasErr error
		wg       sync.WaitGroup
	)
	wg.Go(func() { aliases, aliasErr = cli.Aliases(ctx) })
	all, err := cli.List(ctx)
	wg.Wait()
	if err == nil {
		err = aliasErr
	}
	if err != nil {
		return nil, sfError(err, sit, 0)
	}
	byUser := map[string][]string{} // sf's org list shows one alias an org
	for alias, user := range aliases {
		byUser[strings.ToLower(user)] = append(byUser[strings.ToLower(user)], alias)
	}
	for _, as := range byUser {
		slices.SortFunc(as, func(a, b string) int {
			// The user's own aliases first, then MeshMesh's.
			if ma, mb := strings.HasPrefix(a, SFAliasPrefix), strings.HasPrefix(b, SFAliasPrefix); ma != mb {
				if ma {
					return 1
				}
				return -1
			}
			return strings.Compare(a, b)
		})
	}
	for i := range all {
		if as := byUser[strings.ToLower(all[i].Username)]; len(as) > 0 {
			all[i].Alias = as[0] // the user's own, where sf's list shows MeshMesh's
		}
	}
	var out []SFImport
	if len(refs) == 0 {
		for _, org := range all {
			out = append(out, SFImport{Org: org})
		}
	}
	for _, ref := range refs {
		name := ref
		if user, ok := aliases[ref]; ok {
			name = user
		}
		matches := matchOrgs(all, name)
		if len(matches) == 0 {
			// Its own failure: the others are imported all the same.
			u := &UnknownSFOrgError{Refs: []string{ref}, Known: all}
			out = append(out, SFImport{Org: sfcli.Org{Username: ref}, Err: &Diagnosis{Code: SFOrgNotFound,
				Title: "Not in the Salesforce CLI: " + ref, Advice: capitalize(u.Error()) + ".", Err: u}})
			continue
		}
		for _, o := range matches {
			if !slices.ContainsFunc(out, func(im SFImport) bool { return im.Err == nil && strings.EqualFold(im.Org.Username, o.Username) }) {
				out = append(out, SFImport{Org: o})
			}
		}
	}
	// Two orgs at a time: each is a second of sf starting, then a refresh.
	sem := make(chan struct{}, importParallel)
	for i := range out {
		if out[i].Err != nil {
			continue
		}
		out[i].Aliases = byUser[strings.ToLower(out[i].Org.Username)]
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i].Grant, out[i].ClientSecret, out[i].Err = e.importSF(ctx, cli, out[i].Org)
		})
	}
	wg.Wait()
	if err := ctx.Err(); errors.Is(err, context.Canceled) {
		return nil, err
	}
	return out, nil
}

// importParallel is how many orgs ImportSF takes over at once.
const importParallel = 2

// importSF takes over one org of sf's; secret is its app's consumer
// secret, when it is not sf's own app.
func (e *Engine) importSF(ctx context.Context, cli *sfcli.CLI, org sfcli.Org) (_ *Grant, secret string, _ error) {
	target := e.Settings.TargetOf(org.LoginURL)
	method := CustomApp
	switch {
	case org.ClientID == PlatformCLI || org.ClientID == "":
		method = QuickConnect
	case org.ClientID == e.Settings.ECAClientID:
		method = MeshMeshApp
	}
	sit := Situation{Step: StepSetup, Method: method, Target: target, LoginURL: org.LoginURL}
	au, err := cli.AuthURL(ctx, org.Username)
	if err != nil {
		return nil, "", sfError(err, sit, 0)
	}
	loginURL := org.LoginURL
	if loginURL == "" {
		loginURL = "https://" + au.Host // what sf itself would use
	}
	g, err := e.Adopt(ctx, Adoption{
		Org: org, LoginURL: loginURL, Environment: target.Environment, Method: method,
		ClientID: au.ClientID, ClientSecret: au.ClientSecret, RefreshToken: au.RefreshToken, FromSF: true,
	})
	if err != nil {
		d := Diagnose(err, Situation{Step: StepRefresh, Method: method, Target: target, LoginURL: loginURL})
		switch d.Code {
		case RefreshTokenExpired, AuthenticationFailed:
			d.Advice = fmt.Sprintf("Salesforce no longer accepts the Salesforce CLI's token for this org (revoked, expired, or the org is gone). Sign it in again, with Quick Connect (%s) or sf org login web, then import it again.", quickCommand(target))
			d.Fixes = nil
		}
		return nil, "", d
	}
	return g, au.ClientSecret, nil
}

// quickCommand is the command that connects target with Quick Connect.
func quickCommand(t Target) string {
	if t.Domain != "" {
		return "meshmesh connect --method quick --domain " + t.Domain
	}
	env := t.Environment
	if env == "" {
		env = Production
	}
	return "meshmesh connect --method quick --env " + string(env)
}

// matchOrgs returns the orgs ref names: an alias, a username (any case),
// or an org id of 15 or 18 characters (all its users sf holds).
func matchOrgs(orgs []sfcli.Org, ref string) []sfcli.Org {
	var out []sfcli.Org
	for _, o := range orgs {
		if strings.EqualFold(o.Username, ref) || (o.Alias != "" && o.Alias == ref) ||
			((len(ref) == 15 || len(ref) == 18) && len(o.OrgID) >= 15 && ref[:15] == o.OrgID[:15]) {
			out = append(out, o)
		}
	}
	return out
}

// UnknownSFOrgError names orgs the Salesforce CLI does not hold.
type UnknownSFOrgError struct {
	Refs  []string
	Known []sfcli.Org
}

func (e *UnknownSFOrgError) Error() string {
	s := fmt.Sprintf("the Salesforce CLI holds no org %s", strings.Join(e.Refs, ", "))
	if len(e.Known) == 0 {
		return s + ": it holds none (sf org list); sign one in with meshmesh connect --method quick, or with sf org login web"
	}
	var names []string
	for _, o := range e.Known {
		names = append(names, o.String())
	}
	return s + "; it holds " + strings.Join(names, ", ")
}

// TargetOf returns the environment of a login URL: Production or Sandbox
// for the configured login hosts, else the custom domain itself.
func (s Settings) TargetOf(loginURL string) Target {
	u := strings.TrimRight(loginURL, "/")
	switch {
	case u == "" || strings.EqualFold(u, s.productionURL()):
		return Target{Environment: Production}
	case strings.EqualFold(u, s.sandboxURL()):
		return Target{Environment: Sandbox}
	}
	return Target{Environment: CustomDomain, Domain: u}
}

// sfError is the error of a failed sf command: the caller's cancellation
// as it is, anything else diagnosed.
func sfError(err error, sit Situation, waited time.Duration) error {
	if errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	return diagnoseSF(err, sit, waited)
}

// diagnoseSF explains a failed sf command. timeout is how long the login
// waited for the browser.
func diagnoseSF(err error, sit Situation, timeout time.Duration) *Diagnosis {
	var se *sfcli.Error
	switch {
	case errors.Is(err, sfcli.ErrNotInstalled):
		d := newDiagnosis(SFCLIRequired, sit)
		d.Err = err
		return d
	case !errors.As(err, &se):
		return Diagnose(err, sit)
	}
	d := explainSF(se, sit, timeout)
	d.Err = err
	if sit.Method == QuickConnect && !slices.ContainsFunc(d.Fixes, func(f Fix) bool { return f.Kind == FixUseMethod }) {
		switch d.Code {
		case SFCLIFailed, AppNotApproved, AppBlocked, BrowserFailed:
			// Another method does without sf and its app.
			d.Fixes = append(d.Fixes, Fix{Kind: FixUseMethod, Label: "Use a Custom Connected App", Method: CustomApp})
		}
	}
	return d
}

// explainSF maps sf's error to a diagnosis: sf's own failures by their
// name, Salesforce's refusals (which sf passes on with Salesforce's error
// code as the name) by Salesforce's words.
func explainSF(se *sfcli.Error, sit Situation, waited time.Duration) *Diagnosis {
	said := se.Message
	if said == "" {
		said = se.Output
	}
	said = strings.TrimSuffix(strings.ReplaceAll(said, " (undefined)", ""), ".") // sf's words, for our sentences
	lower := strings.ToLower(said)
	switch {
	case se.TimedOut:
		d := newDiagnosis(SFCLIFailed, sit)
		d.Title = "The Salesforce CLI did not answer"
		d.Advice = fmt.Sprintf("sf %s ran out of time and was stopped. Try again; if it keeps hanging, run sf %s yourself to see what it waits for.", se.Command, se.Command)
		return d
	case se.Name == "" && (se.ExitCode == 127 || strings.Contains(lower, "node")) && (strings.Contains(lower, "no such file") || strings.Contains(lower, "not found")):
		d := newDiagnosis(NodeUnsupported, sit)
		d.Title = "Node.js not found"
		d.Advice = fmt.Sprintf("The Salesforce CLI (sf) runs on Node.js, which is not on PATH (sf said: %s). Install the current Node.js LTS (https://nodejs.org), or reinstall sf with Salesforce's installer, which brings its own Node.js; then try again.", firstLine(said))
		return d
	case strings.Contains(said, "createZstdDecompress") || (strings.Contains(said, "reading 'bind'") && strings.Contains(said, "undici")):
		// Node.js older than undici needs (salesforce-cli.md): sf starts,
		// then its first org command crashes.
		d := newDiagnosis(NodeUnsupported, sit)
		d.Title = "Node.js too old for the Salesforce CLI"
		return d
	case isNoRefreshToken(se):
		d := newDiagnosis(SFNoRefreshToken, sit)
		if sit.Target.Environment != "" {
			d.Advice = strings.Replace(d.Advice, "(meshmesh connect --method quick)", "("+quickCommand(sit.Target)+")", 1)
		}
		return d
	case se.Name == "PortInUseError" || se.Name == "EADDRINUSE":
		return newDiagnosis(PortInUse, sit)
	case se.Name == "AuthTimeoutError":
		d := newDiagnosis(LoginTimeout, sit)
		if waited > 0 {
			d.Advice = fmt.Sprintf("Waited %s. ", waited.Round(time.Second)) + d.Advice
		}
		return d
	case se.Name == "CannotOpenBrowserError":
		d := newDiagnosis(BrowserFailed, sit)
		d.Advice = fmt.Sprintf("The Salesforce CLI could not start a browser (sf said: %s). Set a default web browser in your system's settings and try again, or connect with a Custom Connected App, whose sign-in link MeshMesh shows.", said)
		return d
	case se.Name == "LightningDomain" || strings.Contains(lower, "lightning domain"):
		return newDiagnosis(LightningDomain, sit)
	case strings.Contains(lower, "headless environment") || strings.Contains(lower, "container mode"):
		d := newDiagnosis(SFCLIFailed, sit)
		d.Title = "The Salesforce CLI refuses browser logins here"
		d.Advice = fmt.Sprintf("sf said: %s. Unset SF_CONTAINER_MODE (and SFDX_CONTAINER_MODE) for MeshMesh, or connect with a Custom Connected App.", firstLine(said))
		return d
	}
	code, desc := se.Name, se.Message
	if c, d, ok := salesforceWordsIn(se.Message); ok {
		code, desc = c, d
	}
	if classify(code, desc) != Unrecognised {
		return diagnoseSalesforce(code, desc, 0, sit, se)
	}
	d := newDiagnosis(SFCLIFailed, sit)
	what := said
	if se.Name != "" {
		what = se.Name + ": " + said
	}
	d.Advice = fmt.Sprintf("sf %s failed: %s. Fix what it says and try again.", se.Command, strings.TrimSuffix(firstLine(what), "."))
	return d
}

// salesforceWordsIn finds Salesforce's error in a message of sf's such as
// "Error authenticating with auth code due to: invalid_app_access::user is
// not admin approved to access this app".
func salesforceWordsIn(msg string) (code, desc string, ok bool) {
	_, rest, found := strings.Cut(msg, "due to: ")
	if !found {
		return "", "", false
	}
	code, desc, ok = strings.Cut(strings.TrimSpace(rest), "::")
	if !ok {
		return "", strings.TrimSpace(rest), true
	}
	return code, desc, true
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}
