package tray

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/meshmesh/meshmesh/icons"
	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/tray/notify"
	"github.com/meshmesh/meshmesh/tray/page"
)

// Defaults of [Options].
const (
	DefaultHealthEvery = 30 * time.Minute // a health check of every connection
	DefaultPollEvery   = time.Second      // a look at the index for changes made by the command line
	DefaultParallel    = 24               // connections checked at once
	DefaultPerHost     = 16               // of them at one login host (login.salesforce.com)
	checkTimeout       = 45 * time.Second // one connection's health check
	actionTimeout      = 2 * time.Minute  // open, remove, copy
)

// Notifier shows desktop notifications and reports the buttons people
// press on them (package notify).
type Notifier interface {
	Notify(ctx context.Context, n notify.Notification) error
	Actions() <-chan string
}

// Autostart is the start-at-login registration (package autostart).
type Autostart interface {
	Enabled() (bool, error)
	Enable() error
	Disable() error
}

// app is a running tray. Its state belongs to the event loop (loop): every
// change, whether a click, the end of a flow or a change of the index on
// disk, arrives there as an event.
type app struct {
	opts   Options
	ui     ui
	page   *page.Server
	events chan event
	quit   bool // Quit was chosen

	ctx    context.Context // cancelled on Quit: flows give up
	cancel context.CancelFunc
	flows  sync.WaitGroup

	st       state
	version  uint64 // counts the changes of st.conns, for the Orgs page
	viewSeq  uint64 // the Orgs view's version (viewVersion)
	lastView viewKey
	attempts attempts // sign-ins started from the Connections page
	lastStat indexStat
}

// state is what the tray shows. Only the event loop reads or writes it.
type state struct {
	title        string
	conns        []keychain.Connection
	links        []oauth.Link // the user's own quick links
	listErr      error
	checking     map[string]bool // usernames being checked
	checkingAll  bool
	checkAsked   bool            // the running check was asked for: say how it went
	signIn       *signIn         // the browser sign-in holding the callback port
	queue        []string        // usernames to reconnect once it ends (Reconnect all)
	busy         int             // flows running
	autostart    bool            // start at login, as the system says
	autostartErr error           // the registration cannot be read
	notified     map[string]bool // usernames told to need reconnect
	diagnoses    map[string]*oauth.Diagnosis
	failed       map[string]signInRequest // failed sign-ins by id, for their Retry buttons
	failedSeq    int
	signInSeq    int  // numbers sign-ins, for their notification buttons
	importing    bool // an import from the Salesforce CLI runs
	// unchecked holds why the last check of a connection could not tell
	// whether it works (a locked keychain, Salesforce unreachable).
	unchecked map[string]*oauth.Diagnosis
	// toldUnchecked: a notification said that checks fail; not again
	// until a check works.
	toldUnchecked bool
}

// signIn is the browser sign-in in progress.
type signIn struct {
	id      string // names it in notification buttons
	what    string // the org or environment, for people
	url     string // its sign-in page, once known
	cancel  context.CancelFunc
	attempt string // the Connections page's attempt id, if it started there
	// reconnects is the username of the connection it logs in again, if
	// it is a reconnect.
	reconnects string
}

// ui is what the loop needs of the system tray (systray, or a fake in unit
// tests).
type ui interface {
	setMenu(items []item)
	setIcon(k icons.Kind)
	setTooltip(s string)
	heal() // called every PollEvery
	quit()
}

// event is something the event loop applies to the state.
type event interface{ apply(a *app) }

func newApp(ctx context.Context, opts Options, u ui) *app {
	a := &app{
		opts:   opts,
		ui:     u,
		events: make(chan event, 64),
		st: state{
			title:     opts.Title,
			checking:  map[string]bool{},
			notified:  map[string]bool{},
			diagnoses: map[string]*oauth.Diagnosis{},
			unchecked: map[string]*oauth.Diagnosis{},
			failed:    map[string]signInRequest{},
		},
		attempts: attempts{m: map[string]*attempt{}},
	}
	a.ctx, a.cancel = context.WithCancel(ctx)
	a.page = page.New(page.Options{
		Settings:  opts.Engine.Settings,
		Connector: (*connector)(a),
		Orgs:      (*connector)(a),
		Title:     opts.Title,
		Log:       opts.Log,
	})
	return a
}

func (a *app) log() *slog.Logger { return a.opts.Log }

// loop runs the tray until Quit or ctx ends: it lists the connections,
// checks them now and every HealthEvery, watches the index, and applies
// events one at a time.
func (a *app) loop() {
	defer a.shutdown()
	a.readAutostart()
	a.reload()
	a.render()
	a.checkAll(false)
	health := time.NewTicker(a.opts.HealthEvery)
	defer health.Stop()
	poll := time.NewTicker(a.opts.PollEvery)
	defer poll.Stop()
	var notes <-chan string
	if a.opts.Notifier != nil {
		notes = a.opts.Notifier.Actions()
	}
	for {
		select {
		case <-a.ctx.Done():
			return
		case key, ok := <-notes:
			if !ok {
				notes = nil
				continue
			}
			if act, ok := parseAction(key); ok {
				a.do(act)
			}
		case _, ok := <-a.opts.Show:
			if !ok {
				a.opts.Show = nil
				continue
			}
			a.log().Info("tray: a second start asks for the Connections page")
			a.do(action{kind: actPage})
		case ev := <-a.events:
			ev.apply(a)
			a.drain()
		case <-poll.C:
			changed := a.indexChanged()
			if changed {
				a.reload()
			}
			was, wasErr := a.st.autostart, errText(a.st.autostartErr)
			a.readAutostart() // the desktop's settings may have changed it
			a.ui.heal()
			if !changed && a.st.autostart == was && errText(a.st.autostartErr) == wasErr {
				continue // nothing new to show: no menu built every second
			}
		case <-health.C:
			a.checkAll(false)
		}
		if a.quit {
			return
		}
		a.render()
	}
}

// drainMax bounds the events applied before the state is shown again.
const drainMax = 256

// drain applies the events already waiting, so that a burst of them (a
// check of a thousand connections) is shown once, not once each.
func (a *app) drain() {
	for range drainMax {
		if a.quit {
			return
		}
		select {
		case ev := <-a.events:
			ev.apply(a)
		default:
			return
		}
	}
}

// quitWait bounds the wait for flows at quit: a refresh whose request was
// sent finishes saving a rotated token (keychain.RotatedSaveTimeout), and
// systray's quit closes the D-Bus connection the keychain uses.
const quitWait = keychain.RotatedSaveTimeout + 5*time.Second

// shutdown cancels what runs and waits for the flows to let go of the
// callback port and the keychain.
func (a *app) shutdown() {
	a.cancel()
	a.page.Close()
	done := make(chan struct{})
	go func() { a.flows.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(quitWait):
		a.log().Warn("tray: flows still running at quit")
	}
	a.ui.quit()
}

// render shows the state: the menu, the icon and the tooltip.
func (a *app) render() {
	a.ui.setMenu(a.st.menu())
	a.ui.setTooltip(a.st.tooltip())
	a.ui.setIcon(a.st.icon())
}

// icon is busy while a flow runs, attention while an org needs reconnect.
func (s *state) icon() icons.Kind {
	if s.busy > 0 {
		return icons.Busy
	}
	if s.listErr != nil || slices.ContainsFunc(s.conns, func(c keychain.Connection) bool { return c.Status == keychain.NeedsReconnect }) {
		return icons.Attention
	}
	return icons.Normal
}

// do runs a click or a notification's button.
func (a *app) do(act action) {
	a.log().Info("tray: action", "kind", string(act.kind), "env", string(act.env))
	switch act.kind {
	case actQuit:
		a.quit = true
	case actCancel:
		// A button of an old notification names its sign-in: it must not
		// cancel a later one. Cancelling one of Reconnect all's cancels
		// the rest.
		if si := a.st.signIn; si != nil && (act.ref == "" || act.ref == si.id) {
			a.st.queue = nil
			si.cancel()
		}
	case actReopen, actCopyLink:
		si := a.st.signIn
		if si == nil || si.id != act.ref || si.url == "" {
			a.notify(notify.Notification{Title: "That sign-in has ended", Body: "Start it again from the MeshMesh menu."})
			return
		}
		if act.kind == actReopen {
			a.openURL(si.url)
		} else {
			a.copy("sign-in link", si.url)
		}
	case actOpen:
		a.withConnection(act.ref, func(c keychain.Connection) { a.open(c, "") })
	case actLink:
		a.withConnection(act.ref, func(c keychain.Connection) { a.open(c, act.path) })
	case actPin, actUnpin:
		a.withConnection(act.ref, func(c keychain.Connection) { a.pin(c, act.kind == actPin) })
	case actGroup:
		a.withConnection(act.ref, func(c keychain.Connection) { a.openOrgs(c.Username, "group") })
	case actFind:
		a.openOrgs("", "")
	case actReconnectAll:
		a.reconnectAll()
	case actReconnect:
		a.withConnection(act.ref, a.reconnect)
	case actCopyUser:
		a.withConnection(act.ref, func(c keychain.Connection) { a.copy("username", c.Username) })
	case actCopyURL:
		a.withConnection(act.ref, func(c keychain.Connection) { a.copy("instance URL", c.InstanceURL) })
	case actRemove:
		a.withConnection(act.ref, a.remove)
	case actQuick:
		a.startSignIn(signInRequest{login: oauth.LoginRequest{Method: oauth.QuickConnect, Target: oauth.Target{Environment: act.env}}}, nil)
	case actImportSF:
		a.importSF()
	case actPage:
		a.openPage("")
	case actInstall:
		a.openInstall(act.env)
	case actOpenURL:
		a.openURL(act.ref)
	case actRetry:
		a.retry(act.ref, act.env)
	case actCheckAll:
		a.checkAll(true)
	case actAutostart:
		a.toggleAutostart()
	}
}

// withConnection runs f with the connection of username, or says it is
// gone (removed by the command line since the menu was built).
func (a *app) withConnection(username string, f func(keychain.Connection)) {
	i := slices.IndexFunc(a.st.conns, func(c keychain.Connection) bool { return c.Username == username })
	if i < 0 {
		a.notify(notify.Notification{Title: "No such connection", Body: username + " is no longer connected: it was removed."})
		return
	}
	f(a.st.conns[i])
}

// goFlow runs f in a goroutine counted as busy; f's result comes back to
// the loop as an event.
func (a *app) goFlow(f func(ctx context.Context) event) {
	a.st.busy++
	a.flows.Add(1)
	go func() {
		defer a.flows.Done()
		ev := f(a.ctx)
		a.send(flowDone{then: ev})
	}()
}

// send hands ev to the loop, unless the tray is quitting.
func (a *app) send(ev event) {
	select {
	case a.events <- ev:
	case <-a.ctx.Done():
	}
}

// flowDone ends a flow: one less busy, then its own event.
type flowDone struct{ then event }

func (e flowDone) apply(a *app) {
	a.st.busy--
	if e.then != nil {
		e.then.apply(a)
	}
}

// notify shows n; a failure to notify is logged, never fatal. It does not
// wait for the desktop.
func (a *app) notify(n notify.Notification) {
	if a.opts.Notifier == nil {
		return
	}
	a.flows.Add(1)
	go func() {
		defer a.flows.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(a.ctx), 5*time.Second)
		defer cancel()
		if err := a.opts.Notifier.Notify(ctx, n); err != nil {
			a.log().Warn("tray: notification not shown", "title", n.Title, "err", err)
		}
	}()
}

// notifyFailure tells what went wrong and offers its fixes as buttons.
// failedID names the failed sign-in a Retry button runs again ("" for
// none); onPage says the person is on the Connections page already.
func (a *app) notifyFailure(err error, sit oauth.Situation, conn *keychain.Connection, failedID string, onPage bool) {
	if errors.Is(err, context.Canceled) {
		return
	}
	d := oauth.Diagnose(err, sit)
	a.log().Warn("tray: failed", "code", d.Code, "err", err, "cause", d.Err)
	body := d.FirstSentence()
	switch d.Code {
	case keychain.IndexCorrupt, keychain.IndexFailed, SecretMissing:
		body = d.Advice // where the old file went; the command that takes a secret
	}
	actions := a.fixActions(d, conn, failedID)
	if onPage {
		actions = slices.DeleteFunc(actions, func(x notify.Action) bool { return x.Key == action{kind: actPage}.key() })
	}
	a.notify(notify.Notification{Title: d.Title, Body: body, Actions: actions, Urgent: true})
}

// fixActions turns a diagnosis's fixes into notification buttons.
func (a *app) fixActions(d *oauth.Diagnosis, conn *keychain.Connection, failedID string) []notify.Action {
	var out []notify.Action
	for _, f := range d.Fixes {
		var act action
		label := f.Label
		switch f.Kind {
		case oauth.FixOpenURL:
			act = action{kind: actOpenURL, ref: f.URL}
		case oauth.FixRetryEnvironment:
			if failedID == "" {
				continue
			}
			act = action{kind: actRetry, env: f.Environment, ref: failedID}
			label = "Retry with " + f.Environment.String()
		case oauth.FixReconnect:
			if conn == nil {
				continue
			}
			act = action{kind: actReconnect, ref: conn.Username}
			label = "Reconnect"
		case oauth.FixUseMethod:
			act = action{kind: actPage}
			label = "Open Connections page"
		default:
			continue
		}
		if !slices.ContainsFunc(out, func(x notify.Action) bool { return x.Key == act.key() }) {
			out = append(out, notify.Action{Key: act.key(), Label: label})
		}
	}
	if conn != nil && d.Code != "" && needsLogin(d.Code) && !slices.ContainsFunc(out, func(x notify.Action) bool { return x.Label == "Reconnect" }) {
		out = append(out, notify.Action{Key: action{kind: actReconnect, ref: conn.Username}.key(), Label: "Reconnect"})
	}
	return out
}

// needsLogin reports whether a failure of a connection is cured by
// logging in again.
func needsLogin(c oauth.Code) bool {
	switch c {
	case oauth.RefreshTokenExpired, oauth.AuthenticationFailed, oauth.SessionExpired, keychain.ItemMissing:
		return true
	}
	return false
}

// ---- the index ----

// indexStat is what tells that the index changed on disk.
type indexStat struct {
	ok      bool
	size    int64
	modTime time.Time
}

func (a *app) indexChanged() bool {
	var s indexStat
	if fi, err := os.Stat(a.opts.Store.IndexPath()); err == nil {
		s = indexStat{ok: true, size: fi.Size(), modTime: fi.ModTime()}
	}
	changed := s != a.lastStat
	a.lastStat = s
	return changed
}

// reload reads the index (no keychain, no network: fast) and tells about
// orgs that turned dead.
func (a *app) reload() {
	a.indexChanged()
	ctx, cancel := context.WithTimeout(a.ctx, 10*time.Second)
	defer cancel()
	x, err := a.opts.Store.Read(ctx)
	if err != nil {
		if a.st.listErr == nil {
			a.notifyFailure(err, oauth.Situation{}, nil, "", false)
		}
		a.st.listErr = err
		a.log().Warn("tray: index unreadable", "err", err)
		return
	}
	a.st.listErr = nil
	a.st.conns, a.st.links = x.Connections, x.Links
	sortByName(a.st.conns)
	a.version++
	a.tellDead()
}

// deadAtOnce is how many connections found dead at once are told one by
// one; more are told in one notification.
const deadAtOnce = 3

// tellDead notifies each connection that needs reconnect, once: again only
// after it worked in between. More than deadAtOnce at once are told in one
// notification, unless a check a person asked for tells them itself
// (a.st.checkAsked). While a check runs, nothing is told: it tells at its
// end.
func (a *app) tellDead() {
	live := map[string]bool{}
	var dead []keychain.Connection
	for _, c := range a.st.conns {
		live[c.Username] = true
		switch {
		case c.Status == keychain.NeedsReconnect && !a.st.notified[c.Username] && !a.st.checkingAll:
			// (A check tells at its end, all at once.)
			a.st.notified[c.Username] = true
			dead = append(dead, c)
		case c.Status == keychain.Connected:
			delete(a.st.notified, c.Username)
			delete(a.st.diagnoses, c.Username)
		}
	}
	switch {
	case len(dead) > deadAtOnce && !a.st.checkAsked:
		names := make([]string, len(dead))
		for i, c := range dead {
			names[i] = c.Name()
		}
		a.notify(notify.Notification{
			Title:   fmt.Sprintf("%d connections need reconnect", len(dead)),
			Body:    "Their sign-ins no longer work: " + listNames(names, 5) + ". Reconnect them one after another, or from the Orgs page.",
			Actions: []notify.Action{{Key: action{kind: actReconnectAll}.key(), Label: "Reconnect all"}, {Key: action{kind: actFind}.key(), Label: "Open Orgs page"}},
			Urgent:  true,
		})
	case len(dead) <= deadAtOnce:
		for _, c := range dead {
			body := "Its sign-in no longer works: reconnect to use it again."
			if d := a.st.diagnoses[c.Username]; d != nil {
				body = d.Title + ". " + d.FirstSentence()
			}
			a.notify(notify.Notification{
				Title:   c.Name() + " needs reconnect",
				Body:    body,
				Actions: []notify.Action{{Key: action{kind: actReconnect, ref: c.Username}.key(), Label: "Reconnect"}},
				Urgent:  true,
			})
		}
	}
	for _, m := range []map[string]bool{a.st.notified, a.st.checking} {
		for u := range m {
			if !live[u] {
				delete(m, u)
			}
		}
	}
	for _, m := range []map[string]*oauth.Diagnosis{a.st.diagnoses, a.st.unchecked} {
		for u := range m {
			if !live[u] {
				delete(m, u)
			}
		}
	}
}

// ---- start at login ----

func (a *app) readAutostart() {
	if a.opts.Autostart == nil {
		a.st.autostartErr = errors.New("start at login is not available")
		return
	}
	a.st.autostart, a.st.autostartErr = a.opts.Autostart.Enabled()
}

func (a *app) toggleAutostart() {
	if a.opts.Autostart == nil || a.st.autostartErr != nil {
		return // a disabled item still fires when a host sends the click anyway
	}
	var err error
	if a.st.autostart {
		err = a.opts.Autostart.Disable()
	} else {
		err = a.opts.Autostart.Enable()
	}
	if err != nil {
		a.notify(notify.Notification{Title: "Start at login not changed", Body: err.Error()})
	}
	a.readAutostart()
}

// listNames says up to n names, then how many more: "a, b, c and 7 more".
func listNames(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}

// describe names a connection for people: "acme-uat (admin@acme.com)".
func describe(c keychain.Connection) string {
	return fmt.Sprintf("%s (%s)", c.Name(), c.Username)
}
