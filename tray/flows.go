package tray

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/tray/notify"
	"github.com/meshmesh/meshmesh/tray/page"
)

// signInRequest is a browser sign-in to run: a new connection, or a
// reconnect of an existing one.
type signInRequest struct {
	login oauth.LoginRequest
	add   keychain.AddOptions
	what  string // for people: the connection's name, else the environment
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
		a.notify(notify.Notification{Title: d.Title, Body: d.Advice})
		return false
	}
	if progress == nil {
		progress = func(page.Progress) {}
	}
	ctx, cancel := context.WithCancel(a.ctx)
	a.st.signIn = &signIn{what: req.what, cancel: cancel}
	a.goFlow(func(context.Context) event {
		defer cancel()
		conn, err := a.signIn(ctx, req, progress)
		if err != nil {
			d := oauth.Diagnose(err, req.situation())
			progress(page.Progress{Done: true, Diagnosis: d})
		} else {
			progress(page.Progress{Done: true, Connected: &page.Connected{OrgName: conn.OrgName, Username: conn.Username, Alias: conn.Alias}})
		}
		return signedIn{req: req, conn: conn, err: err}
	})
	return true
}

// signInBusy is the answer to a second sign-in while one holds the port.
func signInBusy(what string) *oauth.Diagnosis {
	return &oauth.Diagnosis{
		Code:   "sign_in_in_progress",
		Title:  "A sign-in is already in progress",
		Advice: fmt.Sprintf("Finish signing in to %s in your browser, or choose Cancel sign-in in the MeshMesh menu, then try again.", what),
	}
}

// signIn runs one browser sign-in to its end and stores the connection.
func (a *app) signIn(ctx context.Context, req signInRequest, progress func(page.Progress)) (keychain.Connection, error) {
	e := a.opts.Engine
	progress(page.Progress{Step: "Preparing the sign-in…"})
	flow, err := e.Begin(ctx, req.login)
	if err != nil {
		return keychain.Connection{}, err
	}
	defer flow.Close()
	progress(page.Progress{Step: "Opening your browser…", SignInURL: flow.URL()})
	if err := oauth.OpenURL(ctx, e.Settings.Browser, flow.URL()); err != nil {
		a.log().Warn("tray: browser did not open", "err", err)
	}
	progress(page.Progress{Step: fmt.Sprintf("Waiting for you to sign in to Salesforce in your browser (up to %s)…", flow.Timeout().Round(time.Minute)), SignInURL: flow.URL()})
	grant, err := flow.Wait(ctx)
	if err != nil {
		return keychain.Connection{}, err
	}
	progress(page.Progress{Step: "Saving the connection in your keychain…"})
	return a.opts.Store.Add(ctx, grant, req.add)
}

// signedIn is the end of a sign-in.
type signedIn struct {
	req  signInRequest
	conn keychain.Connection
	err  error
}

func (e signedIn) apply(a *app) {
	a.st.signIn = nil
	if e.err != nil {
		// A cancelled sign-in is no failure to report.
		if e.req.login.Method != oauth.QuickConnect {
			r := e.req
			a.st.lastFailed = &r
		}
		var conn *keychain.Connection
		if e.req.add.Expect != "" {
			conn = &keychain.Connection{Username: e.req.add.Expect}
		}
		a.notifyFailure(e.err, e.req.situation(), conn)
		return
	}
	a.st.lastFailed = nil
	a.notify(notify.Notification{
		Title: fmt.Sprintf("Connected to %s as %s", e.conn.OrgName, e.conn.Username),
		Body:  fmt.Sprintf("%s is in the MeshMesh menu; scripts get its token with: meshmesh token %s", e.conn.Name(), e.conn.Name()),
	})
	a.reload()
}

// reconnect logs conn in again: same method, environment, app and user.
func (a *app) reconnect(conn keychain.Connection) {
	ctx, cancel := context.WithTimeout(a.ctx, 10*time.Second)
	defer cancel()
	_, login, err := a.opts.Store.Reconnect(ctx, conn.Username)
	if err != nil {
		a.notifyFailure(err, oauth.Situation{Step: oauth.StepSetup, Method: conn.Method}, nil)
		return
	}
	a.startSignIn(signInRequest{
		login: login,
		add:   keychain.AddOptions{Alias: conn.Alias, ClientSecret: login.App.ClientSecret, Scopes: conn.Scopes, Expect: conn.Username},
		what:  conn.Name(),
	}, nil)
}

// retry runs the last failed sign-in again in env (Retry with Sandbox).
func (a *app) retry(env oauth.Environment) {
	if a.st.lastFailed == nil {
		a.notify(notify.Notification{Title: "Nothing to retry", Body: "Start the connection again from Add connection in the MeshMesh menu."})
		return
	}
	req := *a.st.lastFailed
	req.login.Target = oauth.Target{Environment: env}
	req.what = ""
	a.startSignIn(req, nil)
}

// open opens conn in the browser, signed in, through a single-use
// frontdoor URL that never reaches a process argument.
func (a *app) open(conn keychain.Connection) {
	a.goFlow(func(ctx context.Context) event {
		ctx, cancel := context.WithTimeout(ctx, actionTimeout)
		defer cancel()
		err := a.opts.Store.Use(ctx, conn.Username, func(ctx context.Context, tok *keychain.Token) error {
			u, err := a.opts.Engine.FrontdoorURL(ctx, tok.InstanceURL, tok.AccessToken, "")
			if err != nil {
				return err
			}
			return oauth.OpenSecretURL(ctx, a.opts.Engine.Settings.Browser, u)
		})
		return failed{err: err, conn: conn, sit: oauth.Situation{Step: oauth.StepRefresh, Method: conn.Method}, reload: true}
	})
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

type removed struct{ r keychain.Removed }

func (e removed) apply(a *app) {
	k := e.r.Connection
	body := "Its token was revoked at Salesforce. "
	if !e.r.Revoked {
		body = "Its token could not be revoked at Salesforce: it stays valid until it expires. "
	}
	body += "To add it back, choose Add connection in the MeshMesh menu, or run: " + k.ConnectCommand()
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
	if e.err != nil {
		var conn *keychain.Connection
		if e.conn.Username != "" {
			conn = &e.conn
		}
		a.notifyFailure(e.err, e.sit, conn)
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

type copied struct {
	what, text string
	err        error
}

func (e copied) apply(a *app) {
	if e.err != nil {
		a.notify(notify.Notification{Title: "Could not copy the " + e.what, Body: fmt.Sprintf("%v. The %s is %s", e.err, e.what, e.text)})
		return
	}
	a.notify(notify.Notification{Title: "Copied the " + e.what, Body: e.text})
}

// openPage opens the Connections page (at fragment, when not empty).
func (a *app) openPage(fragment string) {
	a.goFlow(func(ctx context.Context) event {
		ctx, cancel := context.WithTimeout(ctx, actionTimeout)
		defer cancel()
		u, err := a.page.URL(ctx)
		if err == nil {
			if fragment != "" {
				u += "#" + fragment
			}
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
		a.openPage("install")
		return
	}
	u, err := a.opts.Engine.Settings.InstallURL(oauth.Target{Environment: env})
	if err != nil {
		a.notifyFailure(err, oauth.Situation{}, nil)
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
func (a *app) checkAll(asked bool) {
	if a.st.checkingAll || len(a.st.conns) == 0 {
		return
	}
	a.st.checkingAll, a.st.checkAsked = true, asked
	conns := append([]keychain.Connection(nil), a.st.conns...)
	for _, c := range conns {
		a.st.checking[c.Username] = true
	}
	a.goFlow(func(ctx context.Context) event {
		sem := make(chan struct{}, a.opts.Parallel)
		var wg sync.WaitGroup
		for _, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					return
				}
				defer func() { <-sem }()
				cctx, cancel := context.WithTimeout(ctx, checkTimeout)
				defer cancel()
				_, err := a.opts.Store.Token(cctx, c.Username, true)
				a.send(checked{conn: c, err: err})
			}()
		}
		wg.Wait()
		return checkedAll{}
	})
}

// checked is the end of one connection's check.
type checked struct {
	conn keychain.Connection
	err  error
}

func (e checked) apply(a *app) {
	delete(a.st.checking, e.conn.Username)
	if e.err != nil {
		d := oauth.Diagnose(e.err, oauth.Situation{Step: oauth.StepRefresh, Method: e.conn.Method})
		a.st.diagnoses[e.conn.Username] = d
		a.log().Info("tray: check failed", "connection", e.conn.Name(), "code", d.Code)
	}
	a.reload()
}

type checkedAll struct{}

func (checkedAll) apply(a *app) {
	a.st.checkingAll = false
	if !a.st.checkAsked {
		return
	}
	var dead, unknown []string
	for _, c := range a.st.conns {
		switch c.Status {
		case keychain.NeedsReconnect:
			dead = append(dead, c.Name())
		case keychain.Unknown:
			unknown = append(unknown, c.Name())
		}
	}
	n := notify.Notification{Title: fmt.Sprintf("All %d connections work", len(a.st.conns))}
	switch {
	case len(dead) > 0:
		n.Title = fmt.Sprintf("%d of %d connections need reconnect", len(dead), len(a.st.conns))
		n.Body = strings.Join(dead, ", ") + ": choose Reconnect in its menu."
	case len(unknown) > 0:
		n.Title = fmt.Sprintf("%d of %d connections could not be checked", len(unknown), len(a.st.conns))
		n.Body = strings.Join(unknown, ", ") + ": Salesforce could not be reached. They are checked again every 30 minutes."
	case len(a.st.conns) == 1:
		n.Title = "Your connection works"
	}
	a.notify(n)
}
