package tray

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/oauth/sfcli"
	"github.com/meshmesh/meshmesh/tray/notify"
	"github.com/meshmesh/meshmesh/tray/page"
)

// signInRequest is a browser sign-in to run: a new connection, or a
// reconnect of an existing one.
type signInRequest struct {
	login oauth.LoginRequest
	add   keychain.AddOptions
	what  string // for people: the connection's name, else the environment
	// reconnect, when set, is the connection to log in again: its request
	// is read from the store (and the keychain) in the flow, not in the
	// event loop.
	reconnect *keychain.Connection
	// fromPage: it was asked for on the Connections page, which shows
	// how it ends; its notification offers no way back to the page.
	fromPage bool
}

func (r signInRequest) situation() oauth.Situation {
	return oauth.Situation{Step: oauth.StepSetup, Method: r.login.Method, Target: r.login.Target}
}

// startSignIn runs req in the background, unless a sign-in already holds
// the callback port: then it says so. progress, when not nil, hears each
// step (the Connections page). It returns whether the sign-in started.
func (a *app) startSignIn(req signInRequest, progress func(page.Progress)) bool {
	if req.what == "" {
		req.what = req.login.Target.Environment.String()
		if req.login.Target.Domain != "" {
			req.what = req.login.Target.Domain
		}
	}
	if a.st.signIn != nil {
		d := signInBusy(a.st.signIn.what)
		if progress != nil {
			progress(page.Progress{Done: true, Diagnosis: d})
		}
		a.notify(notify.Notification{Title: d.Title, Body: d.Advice, Urgent: true,
			Actions: []notify.Action{{Key: action{kind: actCancel, ref: a.st.signIn.id}.key(), Label: "Cancel sign-in"}}})
		return false
	}
	if progress == nil {
		progress = func(page.Progress) {}
	}
	ctx, cancel := context.WithCancel(a.ctx)
	a.st.signInSeq++
	id := strconv.Itoa(a.st.signInSeq)
	a.st.signIn = &signIn{id: id, what: req.what, cancel: cancel}
	if req.reconnect != nil {
		a.st.signIn.reconnects = req.reconnect.Username
	}
	a.goFlow(func(context.Context) event {
		defer cancel()
		var conn keychain.Connection
		err := a.prepare(ctx, &req)
		if err == nil {
			conn, err = a.runSignIn(ctx, id, req, progress)
		}
		switch {
		case errors.Is(err, context.Canceled):
			progress(page.Progress{Done: true, Diagnosis: &oauth.Diagnosis{Code: "cancelled", Title: "Sign-in cancelled",
				Advice: "Nothing was saved. Connect again when you are ready."}})
		case err != nil:
			d := oauth.Diagnose(err, req.situation())
			progress(page.Progress{Done: true, Diagnosis: d})
		default:
			progress(page.Progress{Done: true, Connected: &page.Connected{OrgName: conn.OrgName, Username: conn.Username, Alias: conn.Alias}})
		}
		return signedIn{req: req, conn: conn, err: err}
	})
	return true
}

// prepare completes a reconnect's request from the store: its method,
// environment, app, scopes and, for a custom app, the consumer secret in
// the keychain.
func (a *app) prepare(ctx context.Context, req *signInRequest) error {
	c := req.reconnect
	if c == nil {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, login, err := a.opts.Store.Reconnect(rctx, c.Username)
	if err != nil {
		return err
	}
	req.login = login
	req.add = keychain.AddOptions{Alias: c.Alias, ClientSecret: login.App.ClientSecret, Scopes: c.Scopes, Expect: c.Username}
	if login.Method == oauth.CustomApp && login.App.ClientSecret == "" {
		// An app may need no secret; a lost item certainly had one.
		has, err := a.opts.Store.HasItem(rctx, c.Username)
		if err != nil {
			return err
		}
		if !has {
			return secretMissing(*c)
		}
	}
	return nil
}

// SecretMissing is the code of a reconnect the tray cannot run: a custom
// app's connection whose consumer secret is not in the keychain.
const SecretMissing oauth.Code = "client_secret_missing"

// secretMissing is the answer to a reconnect of a custom app's connection
// whose consumer secret the keychain no longer holds: the tray cannot ask
// for one, the Connections page and the command line can.
func secretMissing(c keychain.Connection) *oauth.Diagnosis {
	return &oauth.Diagnosis{
		Code:  SecretMissing,
		Title: "Consumer secret needed",
		Advice: fmt.Sprintf("The keychain no longer holds the consumer secret of %s's connected app, so the tray cannot reconnect it. Connect it again on the Connections page (Custom Connected App, client id %s), or run: meshmesh reconnect %s --client-secret-stdin.",
			c.Name(), c.ClientID, c.Name()),
		Fixes: []oauth.Fix{{Kind: oauth.FixUseMethod, Label: "Open Connections page", Method: oauth.CustomApp}},
	}
}

// signInBusy is the answer to a second sign-in while one holds the port.
func signInBusy(what string) *oauth.Diagnosis {
	return &oauth.Diagnosis{
		Code:   "sign_in_in_progress",
		Title:  "A sign-in is already in progress",
		Advice: fmt.Sprintf("Finish signing in to %s in your browser, or choose Cancel sign-in in the MeshMesh menu, then try again.", what),
	}
}

// runSignIn runs one browser sign-in to its end and stores the connection.
func (a *app) runSignIn(ctx context.Context, id string, req signInRequest, progress func(page.Progress)) (keychain.Connection, error) {
	if req.login.Method == oauth.QuickConnect {
		return a.runQuickConnect(ctx, req, progress)
	}
	e := a.opts.Engine
	progress(page.Progress{Step: "Preparing the sign-in…"})
	flow, err := e.Begin(ctx, req.login)
	if err != nil {
		return keychain.Connection{}, err
	}
	defer flow.Close()
	progress(page.Progress{Step: "Opening your browser…", SignInURL: flow.URL()})
	a.send(signInURL{id: id, url: flow.URL()})
	if err := oauth.OpenURL(ctx, e.Settings.Browser, flow.URL()); err != nil {
		// The sign-in still waits: the page shows its URL, and the
		// notification offers to try again or to copy the link.
		a.log().Warn("tray: browser did not open", "err", err)
		a.send(browserFailed{id: id, what: req.what, err: err, page: req.fromPage})
	}
	progress(page.Progress{Step: fmt.Sprintf("Waiting for you to sign in to Salesforce in your browser (up to %s)…", humanDuration(flow.Timeout())), SignInURL: flow.URL()})
	grant, err := flow.Wait(ctx)
	if err != nil {
		return keychain.Connection{}, err
	}
	progress(page.Progress{Step: "Saving the connection in your keychain…"})
	return a.opts.Store.Add(ctx, grant, req.add)
}

// runQuickConnect signs in through the Salesforce CLI, which opens the
// browser itself (its sign-in link is never known here), and stores the
// connection. Cancelling ctx stops sf and frees the callback port.
func (a *app) runQuickConnect(ctx context.Context, req signInRequest, progress func(page.Progress)) (keychain.Connection, error) {
	progress(page.Progress{Step: "Checking the Salesforce CLI…"})
	q, err := a.opts.Engine.BeginQuickConnect(ctx, req.login)
	if err != nil {
		return keychain.Connection{}, err
	}
	progress(page.Progress{Step: fmt.Sprintf("The Salesforce CLI is opening your browser: sign in to Salesforce there (up to %s)…", humanDuration(q.Timeout()))})
	grant, err := q.Wait(ctx)
	if err != nil {
		return keychain.Connection{}, err
	}
	progress(page.Progress{Step: "Saving the connection in your keychain…"})
	return a.opts.Store.Add(ctx, grant, req.add)
}

// importTimeout bounds an import from the Salesforce CLI: a few sf
// commands and a refresh per org.
const importTimeout = 5 * time.Minute

// importSF imports the orgs the Salesforce CLI holds, in the background:
// no browser, no callback port.
func (a *app) importSF() {
	if a.st.importing {
		a.notify(notify.Notification{Title: "Already importing", Body: "MeshMesh is reading the orgs of the Salesforce CLI; it says when it is done."})
		return
	}
	a.st.importing = true
	a.goFlow(func(ctx context.Context) event {
		ctx, cancel := context.WithTimeout(ctx, importTimeout)
		defer cancel()
		res, err := a.opts.Engine.ImportSF(ctx)
		if err != nil {
			return importedSF{err: err}
		}
		var ev importedSF
		for _, im := range res {
			conn, outcome, err := a.opts.Store.AddFromSF(ctx, im)
			switch {
			case err != nil:
				ev.failed = append(ev.failed, fmt.Sprintf("%s (%s)", sfName(im.Org), oauth.Diagnose(err, oauth.Situation{Method: oauth.QuickConnect}).Title))
			case outcome == keychain.SFKept:
				ev.kept = append(ev.kept, conn.Name())
			case outcome == keychain.SFUpdated:
				ev.updated = append(ev.updated, conn.Name())
			default:
				ev.added = append(ev.added, conn.Name())
			}
		}
		return ev
	})
}

// sfName is how sf names an org: its alias, else its username.
func sfName(o sfcli.Org) string {
	if o.Alias != "" {
		return o.Alias
	}
	return o.Username
}

// importedSF is the end of an import from the Salesforce CLI: the names
// of the connections added, updated and kept (MeshMesh's own, with another
// app), and of the orgs that failed (with why).
type importedSF struct {
	added, updated, kept, failed []string
	err                          error
}

func (e importedSF) apply(a *app) {
	a.st.importing = false
	if e.err != nil {
		a.notifyFailure(e.err, oauth.Situation{Step: oauth.StepSetup, Method: oauth.QuickConnect}, nil, "", false)
		return
	}
	n := len(e.added) + len(e.updated)
	if n == 0 && len(e.failed) == 0 && len(e.kept) == 0 {
		a.notify(notify.Notification{Title: "Nothing to import", Body: "The Salesforce CLI holds no org. Sign one in with Add connection → Quick Connect."})
		return
	}
	var body []string
	if len(e.added) > 0 {
		body = append(body, "New: "+strings.Join(e.added, ", ")+".")
	}
	if len(e.updated) > 0 {
		body = append(body, "Updated: "+strings.Join(e.updated, ", ")+".")
	}
	if len(e.kept) > 0 {
		body = append(body, "Kept MeshMesh's own connection of "+strings.Join(e.kept, ", ")+".")
	}
	if len(e.failed) > 0 {
		body = append(body, "Not imported: "+strings.Join(e.failed, ", ")+". meshmesh import-sf in a terminal says what to do.")
	}
	a.notify(notify.Notification{Title: fmt.Sprintf("Imported %s from the Salesforce CLI", countOf(n, "org")), Body: strings.Join(body, " "), Urgent: len(e.failed) > 0})
	a.reload()
}

// signInURL is the sign-in page of sign-in id, for the buttons that open
// or copy it again.
type signInURL struct{ id, url string }

func (e signInURL) apply(a *app) {
	if si := a.st.signIn; si != nil && si.id == e.id {
		si.url = e.url
	}
}

// browserFailed says that the browser did not open a sign-in's page.
type browserFailed struct {
	id, what string
	err      error
	page     bool // the Connections page shows the link
}

func (e browserFailed) apply(a *app) {
	if si := a.st.signIn; e.page || si == nil || si.id != e.id {
		return // the page shows it; or the sign-in ended meanwhile (cancelled)
	}
	a.log().Info("tray: browser failed", "err", e.err)
	a.notify(notify.Notification{
		Title: "The browser did not open",
		Body:  fmt.Sprintf("Signing in to %s needs your browser. Try again, or copy the sign-in link and open it in a browser on this computer.", e.what),
		Actions: []notify.Action{
			{Key: action{kind: actReopen, ref: e.id}.key(), Label: "Try again"},
			{Key: action{kind: actCopyLink, ref: e.id}.key(), Label: "Copy sign-in link"},
			{Key: action{kind: actCancel, ref: e.id}.key(), Label: "Cancel sign-in"},
		},
		Urgent: true,
	})
}

// humanDuration says d in words: "5 minutes", "90 seconds".
func humanDuration(d time.Duration) string {
	switch {
	case d >= time.Minute && d%time.Minute == 0:
		return countOf(int(d/time.Minute), "minute")
	case d >= time.Second:
		return countOf(int(d.Round(time.Second)/time.Second), "second")
	}
	return d.String()
}

// signedIn is the end of a sign-in.
type signedIn struct {
	req  signInRequest
	conn keychain.Connection
	err  error
}

func (e signedIn) apply(a *app) {
	a.st.signIn = nil
	defer a.nextInQueue()
	if e.err != nil {
		var conn *keychain.Connection
		if e.req.reconnect != nil {
			conn = e.req.reconnect
		}
		a.notifyFailure(e.err, e.req.situation(), conn, a.keepFailed(e.req, e.err), e.req.fromPage)
		return
	}
	delete(a.st.unchecked, e.conn.Username) // it works
	body := fmt.Sprintf("%s is in the MeshMesh menu; scripts get its token with: meshmesh token %s", e.conn.Name(), e.conn.Name())
	if a.opts.Demo {
		body = e.conn.Name() + " is in the menu."
	}
	a.notify(notify.Notification{Title: fmt.Sprintf("Connected to %s as %s", e.conn.OrgName, e.conn.Username), Body: body})
	a.reload()
}

// maxFailed is how many failed sign-ins the tray keeps for a Retry button.
const maxFailed = 8

// keepFailed keeps a failed sign-in (its secret only in memory) for the
// Retry button of its notification, and returns its id: only when its
// diagnosis offers a retry.
func (a *app) keepFailed(req signInRequest, err error) string {
	d := oauth.Diagnose(err, req.situation())
	if req.login.Method == oauth.QuickConnect || !slices.ContainsFunc(d.Fixes, func(f oauth.Fix) bool { return f.Kind == oauth.FixRetryEnvironment }) {
		return ""
	}
	a.st.failedSeq++
	id := strconv.Itoa(a.st.failedSeq)
	a.st.failed[id] = req
	delete(a.st.failed, strconv.Itoa(a.st.failedSeq-maxFailed))
	return id
}

// reconnect logs conn in again: same method, environment, app and user.
func (a *app) reconnect(conn keychain.Connection) {
	a.startSignIn(signInRequest{reconnect: &conn, what: conn.Name(), login: oauth.LoginRequest{Method: conn.Method}}, nil)
}

// retry runs failed sign-in id again in env (Retry with Sandbox).
func (a *app) retry(id string, env oauth.Environment) {
	req, ok := a.st.failed[id]
	if !ok {
		a.notify(notify.Notification{Title: "Nothing to retry", Body: "That sign-in is too old to retry: start it again from Add connection in the MeshMesh menu."})
		return
	}
	req.login.Target = oauth.Target{Environment: env}
	req.what = ""
	req.fromPage = false // no page follows it""
	if req.reconnect != nil {
		// A retry elsewhere is a new sign-in of the same request.
		c := *req.reconnect
		req.reconnect = nil
		req.add = keychain.AddOptions{Alias: c.Alias, ClientSecret: req.login.App.ClientSecret, Scopes: c.Scopes}
	}
	if a.startSignIn(req, nil) {
		delete(a.st.failed, id) // kept while another sign-in refuses it
	}
}

// open opens conn in the browser, signed in, at path ("" for its home),
// through a single-use frontdoor URL that never reaches a process
// argument; the org becomes the most recent.
func (a *app) open(conn keychain.Connection, path string) {
	a.goFlow(func(ctx context.Context) event {
		ctx, cancel := context.WithTimeout(ctx, actionTimeout)
		defer cancel()
		err := a.opts.Store.Use(ctx, conn.Username, func(ctx context.Context, tok *keychain.Token) error {
			u, err := a.opts.Engine.FrontdoorURL(ctx, tok.InstanceURL, tok.AccessToken, path)
			if err != nil {
				return err
			}
			return oauth.OpenSecretURL(ctx, a.opts.Engine.Settings.Browser, u)
		})
		if err == nil {
			if merr := a.opts.Store.MarkUsed(ctx, conn.Username); merr != nil {
				a.log().Warn("tray: last use not recorded", "connection", conn.Name(), "err", merr)
			}
		}
		return failed{err: err, conn: conn, sit: oauth.Situation{Step: oauth.StepRefresh, Method: conn.Method}, reload: true}
	})
}

// pin makes conn a favourite, or no longer one.
func (a *app) pin(conn keychain.Connection, pinned bool) {
	a.goFlow(func(ctx context.Context) event {
		ctx, cancel := context.WithTimeout(ctx, actionTimeout)
		defer cancel()
		_, err := a.opts.Store.SetFavourite(ctx, conn.Username, pinned)
		return failed{err: err, sit: oauth.Situation{Step: oauth.StepSetup}, reload: true}
	})
}

// reconnectAll reconnects every connection that needs it, one browser
// sign-in after another: the rest wait in the queue while one holds the
// callback port.
func (a *app) reconnectAll() {
	for _, c := range a.st.conns {
		if c.Status == keychain.NeedsReconnect && !slices.Contains(a.st.queue, c.Username) &&
			(a.st.signIn == nil || a.st.signIn.reconnects != c.Username) {
			a.st.queue = append(a.st.queue, c.Username)
		}
	}
	if len(a.st.queue) == 0 {
		a.notify(notify.Notification{Title: "Nothing to reconnect", Body: "Every connection works."})
		return
	}
	if a.st.signIn == nil {
		a.nextInQueue()
	}
}

// nextInQueue starts the next reconnect of Reconnect all, if any: the
// first queued connection that still needs it.
func (a *app) nextInQueue() {
	for len(a.st.queue) > 0 && a.st.signIn == nil {
		u := a.st.queue[0]
		a.st.queue = a.st.queue[1:]
		i := slices.IndexFunc(a.st.conns, func(c keychain.Connection) bool { return c.Username == u })
		if i < 0 || a.st.conns[i].Status != keychain.NeedsReconnect {
			continue // removed, or reconnected meanwhile
		}
		a.reconnect(a.st.conns[i])
	}
}

// remove revokes conn's token and forgets it; the notification says how to
// add it back.
func (a *app) remove(conn keychain.Connection) {
	a.goFlow(func(ctx context.Context) event {
		ctx, cancel := context.WithTimeout(ctx, actionTimeout)
		defer cancel()
		r, err := a.opts.Store.Remove(ctx, conn.Username)
		if err != nil {
			return failed{err: err, sit: oauth.Situation{Step: oauth.StepSetup}}
		}
		return removed{r}
	})
}

// removed is the end of a Remove.
type removed struct{ r keychain.Removed }

func (e removed) apply(a *app) {
	k := e.r.Connection
	body := "Its token was revoked at Salesforce. "
	switch {
	case e.r.SharedWithSF:
		body = "Its token stays valid: the Salesforce CLI shares it and keeps the org. "
	case !e.r.Revoked:
		body = "Its token could not be revoked at Salesforce: it stays valid until it expires. "
	}
	body += "To add it back, choose Add connection in the MeshMesh menu"
	if a.opts.Demo {
		body += "."
	} else {
		body += ", or run: " + k.ConnectCommand()
	}
	a.notify(notify.Notification{Title: "Removed " + describe(k), Body: body})
	a.reload()
}

// failed reports the end of a flow that shows nothing on success.
type failed struct {
	err    error
	conn   keychain.Connection
	sit    oauth.Situation
	reload bool // the flow may have changed the connection's status
}

func (e failed) apply(a *app) {
	if e.err == nil && e.conn.Username != "" {
		delete(a.st.unchecked, e.conn.Username) // it works
	}
	if e.err != nil {
		var conn *keychain.Connection
		if e.conn.Username != "" {
			conn = &e.conn
		}
		a.notifyFailure(e.err, e.sit, conn, "", false)
	}
	if e.reload {
		a.reload()
	}
}

// copy puts text on the clipboard.
func (a *app) copy(what, text string) {
	a.goFlow(func(ctx context.Context) event {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		return copied{what: what, text: text, err: a.opts.Clipboard(ctx, text)}
	})
}

// copied is the end of a copy to the clipboard.
type copied struct {
	what, text string
	err        error
}

func (e copied) apply(a *app) {
	if e.err != nil {
		a.notify(notify.Notification{Title: "Could not copy the " + e.what, Body: fmt.Sprintf("The %s is %s (%v).", e.what, e.text, e.err), Urgent: true})
		return
	}
	a.notify(notify.Notification{Title: "Copied the " + e.what, Body: e.text})
}

// openPage opens the Connections page (at fragment, when not empty).
func (a *app) openPage(fragment string) {
	a.showPage(func(ctx context.Context) (string, error) {
		u, err := a.page.URL(ctx)
		if err == nil && fragment != "" {
			u += "#" + fragment
		}
		return u, err
	})
}

// openOrgs opens the Orgs view of the Connections page: at the row of
// connection username when not empty, the cursor in its field ("group",
// "alias") when not empty.
func (a *app) openOrgs(username, field string) {
	a.showPage(func(ctx context.Context) (string, error) { return a.page.OrgsURL(ctx, username, field) })
}

// showPage opens the page's URL that pageURL returns.
func (a *app) showPage(pageURL func(context.Context) (string, error)) {
	a.goFlow(func(ctx context.Context) event {
		ctx, cancel := context.WithTimeout(ctx, actionTimeout)
		defer cancel()
		u, err := pageURL(ctx)
		if err == nil {
			// The URL carries the page's token: through a one-shot
			// redirect, never in the browser's arguments.
			err = oauth.OpenSecretURL(ctx, a.opts.Engine.Settings.Browser, u)
		}
		return failed{err: err, sit: oauth.Situation{Step: oauth.StepSetup}}
	})
}

// openInstall opens the MeshMesh package's install page of env; a custom
// domain needs the domain, which the Connections page asks for.
func (a *app) openInstall(env oauth.Environment) {
	if env == oauth.CustomDomain {
		a.openPage("install-heading")
		return
	}
	u, err := a.opts.Engine.Settings.InstallURL(oauth.Target{Environment: env})
	if err != nil {
		a.notifyFailure(err, oauth.Situation{}, nil, "", false)
		return
	}
	a.openURL(u)
}

// openURL opens a URL that holds no secret (an install page).
func (a *app) openURL(u string) {
	a.goFlow(func(ctx context.Context) event {
		ctx, cancel := context.WithTimeout(ctx, actionTimeout)
		defer cancel()
		return failed{err: oauth.OpenURL(ctx, a.opts.Engine.Settings.Browser, u), sit: oauth.Situation{Step: oauth.StepSetup}}
	})
}

// ---- health ----

// checkAll refreshes every connection, a few at a time, to learn which
// still work. asked says a person asked: they hear how it went.
//
// At most Options.Parallel connections are checked at once, and at most
// PerHost of them at one login host (most orgs refresh at
// login.salesforce.com). A check writes the keychain only for a rotated
// token (keychain.Store.Check), and its result changes the state in
// memory: the index is read again once, at the end.
func (a *app) checkAll(asked bool) {
	if a.st.checkingAll || len(a.st.conns) == 0 {
		return
	}
	a.st.checkingAll, a.st.checkAsked = true, asked
	conns := slices.Clone(a.st.conns)
	for _, c := range conns {
		a.st.checking[c.Username] = true
	}
	a.goFlow(func(ctx context.Context) event {
		todo := make(chan keychain.Connection)
		hosts := map[string]chan struct{}{}
		var mu sync.Mutex
		slot := func(c keychain.Connection) chan struct{} {
			mu.Lock()
			defer mu.Unlock()
			h := hostOf(c.LoginURL)
			if hosts[h] == nil {
				hosts[h] = make(chan struct{}, a.opts.PerHost)
			}
			return hosts[h]
		}
		var wg sync.WaitGroup
		for range min(a.opts.Parallel, len(conns)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for c := range todo {
					sem := slot(c)
					select {
					case sem <- struct{}{}:
					case <-ctx.Done():
						continue
					}
					cctx, cancel := context.WithTimeout(ctx, checkTimeout)
					status, err := a.opts.Store.Check(cctx, c)
					cancel()
					<-sem
					a.send(checked{conn: c, status: status, err: err})
				}
			}()
		}
	feed:
		for _, c := range conns {
			select {
			case todo <- c:
			case <-ctx.Done():
				break feed
			}
		}
		close(todo)
		wg.Wait()
		return checkedAll{}
	})
}

// hostOf is the host of a login URL, for the per-host limit.
func hostOf(loginURL string) string {
	if u, err := url.Parse(loginURL); err == nil && u.Host != "" {
		return strings.ToLower(u.Host)
	}
	return loginURL
}

// checked is the end of one connection's check: its status now.
type checked struct {
	conn   keychain.Connection
	status keychain.Status
	err    error
}

func (e checked) apply(a *app) {
	u := e.conn.Username
	delete(a.st.checking, u)
	delete(a.st.unchecked, u)
	if i := slices.IndexFunc(a.st.conns, func(c keychain.Connection) bool { return c.Username == u }); i >= 0 && e.status != "" {
		a.st.conns[i].Status = e.status
	}
	a.version++
	if e.err == nil {
		return
	}
	d := oauth.Diagnose(e.err, oauth.Situation{Step: oauth.StepRefresh, Method: e.conn.Method})
	a.st.diagnoses[u] = d
	a.log().Info("tray: check failed", "connection", e.conn.Name(), "code", d.Code)
	// A failure that did not find the connection dead (a locked keychain,
	// Salesforce unreachable) leaves it unchecked, whatever the index
	// said before.
	if e.status != keychain.NeedsReconnect {
		a.st.unchecked[u] = d
	}
}

// checkedAll is the end of a check of every connection.
type checkedAll struct{}

func (checkedAll) apply(a *app) {
	a.st.checkingAll = false
	a.reload() // once, with what the checks changed; tells who died
	asked := a.st.checkAsked
	a.st.checkAsked = false
	// A check of many connections leaves memory that an idle tray does
	// not need for the next half hour: give it back now.
	debug.FreeOSMemory()
	var dead, unchecked []string
	var why *oauth.Diagnosis
	for _, c := range a.st.conns {
		switch {
		case c.Status == keychain.NeedsReconnect:
			dead = append(dead, c.Name())
		case a.st.unchecked[c.Username] != nil:
			unchecked = append(unchecked, c.Name())
			// The reason to tell: one that needs the person, if any.
			if d := a.st.unchecked[c.Username]; why == nil || offline(why.Code) && !offline(d.Code) {
				why = d
			}
		}
	}
	n := len(a.st.conns)
	if !asked {
		// Unasked, only what needs the person: not being offline, which
		// passes by itself.
		switch {
		case len(unchecked) == 0:
			a.st.toldUnchecked = false
		case !a.st.toldUnchecked && !offline(why.Code):
			a.st.toldUnchecked = true
			a.notify(notify.Notification{Title: fmt.Sprintf("Could not check %s", countOf(len(unchecked), "connection")),
				Body: why.Title + ". " + why.FirstSentence(), Urgent: true})
		}
		return
	}
	msg := notify.Notification{Title: fmt.Sprintf("All %d connections work", n)}
	if n == 1 {
		msg.Title = "Your connection works"
	}
	switch {
	case len(dead) > 0 && len(unchecked) > 0:
		msg.Title = fmt.Sprintf("%d of %d connections need reconnect; %d could not be checked", len(dead), n, len(unchecked))
		msg.Body = fmt.Sprintf("Reconnect %s from its menu. %s: %s.", listNames(dead, 5), listNames(unchecked, 5), why.Title)
	case len(dead) > 0:
		msg.Title = fmt.Sprintf("%d of %d connections need reconnect", len(dead), n)
		msg.Body = listNames(dead, 5) + ": choose Reconnect in its menu, or Reconnect all."
	case len(unchecked) > 0:
		msg.Title = fmt.Sprintf("%d of %d connections could not be checked", len(unchecked), n)
		msg.Body = fmt.Sprintf("%s: %s. %s", listNames(unchecked, 5), why.Title, why.FirstSentence())
	}
	if len(dead) > 0 {
		msg.Actions = []notify.Action{{Key: action{kind: actReconnectAll}.key(), Label: "Reconnect all"}}
		msg.Urgent = true
	}
	a.notify(msg)
}

// offline reports whether a check failed only because Salesforce could
// not be reached for now.
func offline(c oauth.Code) bool {
	switch c {
	case oauth.ConnectionTimeout, oauth.SalesforceUnavailable, oauth.RateLimited:
		return true
	}
	return false
}

// countOf says "1 connection" or "3 connections".
func countOf(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
