package tray

import (
	"fmt"
	"strings"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
)

// item is one entry of the menu as the state says it should look: the tray
// renders a tree of items, and shows it again whenever the state changes.
type item struct {
	// key tells the item from its siblings across renders (see
	// dbusmenu.Item.Key); empty means its action, else its label.
	key       string
	label     string
	tooltip   string
	disabled  bool
	hidden    bool
	checkbox  bool // a checkbox; checked says its state
	checked   bool
	separator bool
	do        action // what a click does; the zero action does nothing
	children  []item
	// lazy, when set, gives the items of the submenu when it is opened
	// (an org's actions: a thousand submenus nobody opens cost nothing).
	// It reads only what it captured: it may run on another goroutine.
	lazy func() []item
}

// submenu returns the items of its submenu, made now if lazy.
func (it item) submenu() []item {
	if it.lazy != nil {
		return it.lazy()
	}
	return it.children
}

// id is the item's identity among its siblings.
func (it item) id() string {
	switch {
	case it.key != "":
		return it.key
	case it.do.kind != actNone:
		return "do:" + it.do.key()
	}
	return "label:" + it.label
}

// actionKind says what a menu click or a notification button asks for.
type actionKind string

// The actions of the menu and of notifications.
const (
	actNone         actionKind = ""
	actOpen         actionKind = "open"      // open ref in the browser, signed in
	actReconnect    actionKind = "reconnect" // log ref in again
	actCopyUser     actionKind = "copy-username"
	actCopyURL      actionKind = "copy-instance-url"
	actRemove       actionKind = "remove"
	actLink         actionKind = "link"          // open ref at path, signed in (a quick link)
	actPin          actionKind = "pin"           // make ref a favourite
	actUnpin        actionKind = "unpin"         // no longer a favourite
	actGroup        actionKind = "group"         // the Orgs page at ref's row, to set its group
	actFind         actionKind = "find"          // the Orgs page, to find an org
	actReconnectAll actionKind = "reconnect-all" // reconnect every org that needs it, one after another
	actQuick        actionKind = "quick"         // Quick Connect to env
	actImportSF     actionKind = "import-sf"
	actPage         actionKind = "page"    // open the Connections page
	actInstall      actionKind = "install" // open the package install page of env (custom: the page)
	actOpenURL      actionKind = "url"     // open ref, a URL that holds no secret
	actRetry        actionKind = "retry"   // run failed sign-in ref again in env
	actCheckAll     actionKind = "check"
	actCancel       actionKind = "cancel" // cancel the sign-in in progress (ref: only if it is sign-in ref)
	actReopen       actionKind = "reopen" // open sign-in ref's page in the browser again
	actCopyLink     actionKind = "copy-sign-in-link"
	actAutostart    actionKind = "autostart"
	actQuit         actionKind = "quit"
)

// action is a click's meaning: a kind and what it applies to.
type action struct {
	kind actionKind
	ref  string            // a connection's username; a URL for actOpenURL; a failed sign-in's id for actRetry; a sign-in's for actCancel, actReopen, actCopyLink
	env  oauth.Environment // for actQuick, actInstall and actRetry
	path string            // a page of the org, for actLink
}

// key encodes a for a menu item's click or a notification button;
// parseAction reads it back.
func (a action) key() string {
	return string(a.kind) + "\x1f" + string(a.env) + "\x1f" + a.ref + "\x1f" + a.path
}

func parseAction(key string) (action, bool) {
	parts := strings.SplitN(key, "\x1f", 4)
	if len(parts) != 4 {
		return action{}, false
	}
	return action{kind: actionKind(parts[0]), env: oauth.Environment(parts[1]), ref: parts[2], path: parts[3]}, true
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

// menu returns the menu the state asks for: the header, the orgs (see
// orgsMenu), then what adds and checks connections.
func (s *state) menu() []item {
	m := []item{{label: header(s.title, len(s.conns), s.listErr != nil), tooltip: s.tooltip(), do: action{kind: actFind},
		disabled: len(s.conns) == 0 || s.listErr != nil}}
	// Always there, hidden when no sign-in runs: the menu keeps its shape.
	cancel := item{label: "Cancel sign-in", hidden: true, do: action{kind: actCancel}, key: "cancel"}
	if s.signIn != nil {
		// It names its sign-in: a click meant for one that just ended
		// does not cancel the next (of Reconnect all).
		cancel.do.ref = s.signIn.id
		cancel.label, cancel.hidden = "Cancel sign-in ("+s.signIn.what+")", false
		if n := len(s.queue); n > 0 {
			cancel.label += fmt.Sprintf(", %d more queued", n)
		}
	}
	m = append(m, cancel)
	m = append(m, item{separator: true, key: "sep:orgs"})
	if orgs := s.orgsMenu(); len(orgs) > 0 {
		m = append(m, orgs...)
		m = append(m, item{separator: true, key: "sep:add"})
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
		item{separator: true, key: "sep:quit"},
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
