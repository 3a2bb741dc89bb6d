package tray

import (
	"fmt"
	"strings"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
)

// item is one entry of the menu as the state says it should look: the tray
// renders a tree of items, and rebuilds it whenever the state changes.
type item struct {
	label     string
	tooltip   string
	disabled  bool
	hidden    bool
	checkbox  bool // a checkbox; checked says its state
	checked   bool
	separator bool
	do        action // what a click does; the zero action does nothing
	children  []item
}

// actionKind says what a menu click or a notification button asks for.
type actionKind string

// The actions of the menu and of notifications.
const (
	actNone      actionKind = ""
	actOpen      actionKind = "open"      // open ref in the browser, signed in
	actReconnect actionKind = "reconnect" // log ref in again
	actCopyUser  actionKind = "copy-username"
	actCopyURL   actionKind = "copy-instance-url"
	actRemove    actionKind = "remove"
	actQuick     actionKind = "quick" // Quick Connect to env
	actImportSF  actionKind = "import-sf"
	actPage      actionKind = "page"    // open the Connections page
	actInstall   actionKind = "install" // open the package install page of env (custom: the page)
	actOpenURL   actionKind = "url"     // open ref, a URL that holds no secret
	actRetry     actionKind = "retry"   // run failed sign-in ref again in env
	actCheckAll  actionKind = "check"
	actCancel    actionKind = "cancel" // cancel the sign-in in progress (ref: only if it is sign-in ref)
	actReopen    actionKind = "reopen" // open sign-in ref's page in the browser again
	actCopyLink  actionKind = "copy-sign-in-link"
	actAutostart actionKind = "autostart"
	actQuit      actionKind = "quit"
)

// action is a click's meaning: a kind and what it applies to.
type action struct {
	kind actionKind
	ref  string            // a connection's username; a URL for actOpenURL; a failed sign-in's id for actRetry; a sign-in's for actCancel, actReopen, actCopyLink
	env  oauth.Environment // for actQuick, actInstall and actRetry
}

// key encodes a for a notification button; parseAction reads it back.
func (a action) key() string { return string(a.kind) + "\x1f" + string(a.env) + "\x1f" + a.ref }

func parseAction(key string) (action, bool) {
	parts := strings.SplitN(key, "\x1f", 3)
	if len(parts) != 3 {
		return action{}, false
	}
	return action{kind: actionKind(parts[0]), env: oauth.Environment(parts[1]), ref: parts[2]}, true
}

// mark is the state sign in front of a connection.
func mark(c keychain.Connection, checking bool) string {
	switch {
	case checking:
		return "◌"
	case c.Status == keychain.NeedsReconnect:
		return "⚠"
	case c.Status == keychain.Connected:
		return "●"
	}
	return "○"
}

// connectionLabel is a connection's line in the menu, e.g.
// "● acme-prod — admin@acme.com" or "⚠ acme-uat — needs reconnect".
// unchecked, when not nil, is why its last check could not tell.
func connectionLabel(c keychain.Connection, checking bool, unchecked *oauth.Diagnosis) string {
	m, what := mark(c, checking), c.Username
	switch {
	case checking:
		what += " (checking…)"
	case c.Status == keychain.NeedsReconnect:
		what = "needs reconnect"
	case unchecked != nil:
		m, what = "○", what+" (not checked: "+unchecked.Title+")"
	case c.Status == keychain.Unknown:
		what += " (not checked: Salesforce unreachable)"
	}
	return fmt.Sprintf("%s %s — %s", m, c.Name(), what)
}

// header is the menu's first line: the product and the count of orgs.
func header(title string, n int, unreadable bool) string {
	switch {
	case unreadable:
		return title + " — connections unreadable"
	case n == 0:
		return title + " — no orgs yet"
	case n == 1:
		return title + " — 1 org"
	}
	return fmt.Sprintf("%s — %d orgs", title, n)
}

// menu returns the menu the state asks for.
func (s *state) menu() []item {
	m := []item{{label: header(s.title, len(s.conns), s.listErr != nil), disabled: true, tooltip: s.tooltip()}}
	// Always there, hidden when no sign-in runs: the menu keeps its shape.
	cancel := item{label: "Cancel sign-in", hidden: true, do: action{kind: actCancel}}
	if s.signIn != nil {
		cancel.label, cancel.hidden = "Cancel sign-in ("+s.signIn.what+")", false
	}
	m = append(m, cancel)
	m = append(m, item{separator: true})
	for _, c := range s.conns {
		m = append(m, item{
			label:   connectionLabel(c, s.checking[c.Username], s.unchecked[c.Username]),
			tooltip: fmt.Sprintf("%s, %s (%s)", c.OrgName, c.InstanceURL, c.Environment),
			children: []item{
				{label: "Open in browser", do: action{kind: actOpen, ref: c.Username}},
				{label: "Reconnect", do: action{kind: actReconnect, ref: c.Username}},
				{label: "Copy username", do: action{kind: actCopyUser, ref: c.Username}},
				{label: "Copy instance URL", do: action{kind: actCopyURL, ref: c.Username}},
				{separator: true},
				{label: "Remove", tooltip: "Revoke its token at Salesforce and forget it", do: action{kind: actRemove, ref: c.Username}},
			},
		})
	}
	if len(s.conns) > 0 {
		m = append(m, item{separator: true})
	}
	m = append(m,
		item{label: "Add connection", children: []item{
			{label: "Quick Connect (Production)", do: action{kind: actQuick, env: oauth.Production}},
			{label: "Quick Connect (Sandbox)", do: action{kind: actQuick, env: oauth.Sandbox}},
			{label: "Import from Salesforce CLI", tooltip: "The orgs sf holds, without a browser", disabled: s.importing, do: action{kind: actImportSF}},
			{label: "Connections page…", tooltip: "Every method, environment and credential", do: action{kind: actPage}},
		}},
		item{label: "Install MeshMesh package", children: []item{
			{label: "Production", do: action{kind: actInstall, env: oauth.Production}},
			{label: "Sandbox", do: action{kind: actInstall, env: oauth.Sandbox}},
			{label: "Custom domain…", do: action{kind: actInstall, env: oauth.CustomDomain}},
		}},
		item{label: "Check all connections", disabled: len(s.conns) == 0 || s.checkingAll, do: action{kind: actCheckAll}},
		item{separator: true},
		item{label: "Start at login", checkbox: true, checked: s.autostart, disabled: s.autostartErr != nil, tooltip: errText(s.autostartErr), do: action{kind: actAutostart}},
		item{label: "Quit", do: action{kind: actQuit}},
	)
	return m
}

// tooltip sums the state up for the icon's tooltip.
func (s *state) tooltip() string {
	var dead int
	for _, c := range s.conns {
		if c.Status == keychain.NeedsReconnect {
			dead++
		}
	}
	t := header(s.title, len(s.conns), s.listErr != nil)
	if dead > 0 {
		t += fmt.Sprintf(", %d need%s reconnect", dead, map[bool]string{true: "s", false: ""}[dead == 1])
	}
	if s.signIn != nil {
		t += " — signing in to " + s.signIn.what
	}
	return t
}

// errText is err's words, or nothing.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
