package page

import (
	"log/slog"
	"time"

	"github.com/meshmesh/meshmesh/oauth"
)

// Request is a connection the user asked for on the page. It is checked:
// its target has a usable login URL, a custom app has a client id, the
// scopes are enough for MeshMesh, the alias is valid.
type Request struct {
	Method oauth.Method
	Target oauth.Target

	// ClientID is the consumer key of a Custom Connected App; empty for
	// the other methods (the MeshMesh Connected App's comes from
	// oauth.Settings.ECAClientID).
	ClientID string

	// ClientSecret is a Custom Connected App's consumer secret, or empty.
	// It is never echoed, never in a URL, never logged.
	ClientSecret string

	// Scopes are the scopes to ask for; nil for Quick Connect, which uses
	// the Salesforce CLI's own.
	Scopes []string

	// Alias is the name asked for the connection; empty means one made
	// from the org's name.
	Alias string
}

// Progress is where a connection attempt stands.
type Progress struct {
	Done bool

	// Step says, for people, what is happening: "Waiting for you to sign
	// in in your browser…".
	Step string

	// SignInURL is the Salesforce authorize URL, to open again if no
	// browser opened. It may be empty.
	SignInURL string

	Connected *Connected       // on success
	Diagnosis *oauth.Diagnosis // on failure (Title, Advice, Salesforce's words, Fixes)
}

// Connected is the org an attempt connected.
type Connected struct{ OrgName, Username, Alias string }

// Connector runs connections for the page (the tray implements it). Its
// methods must not block for long: the page calls them while answering
// the browser.
type Connector interface {
	// Connect starts req in the background and returns at once with an
	// attempt id, or a *oauth.Diagnosis when it cannot start (bad input,
	// another sign-in already in progress).
	Connect(req Request) (id string, err error)

	// Progress reports where attempt id stands; false when there is no
	// such attempt.
	Progress(id string) (Progress, bool)

	// Cancel stops attempt id, if it is still running.
	Cancel(id string)
}

// DefaultIdleTimeout is how long the page is served without a request (and
// with no attempt running) before it closes.
const DefaultIdleTimeout = 10 * time.Minute

// Options configure a [Server].
type Options struct {
	// Settings give the login and install URLs, the callback port (which
	// the page never listens on) and whether the MeshMesh Connected App is
	// configured (ECAClientID).
	Settings oauth.Settings

	// Connector runs the connections the user asks for.
	Connector Connector

	// Orgs lists the connections for the Orgs view and runs its actions.
	// Nil shows no Orgs view.
	Orgs Orgs

	// Title is the product's name, "MeshMesh" or "MeshMesh (Demo)": it is
	// shown in the window title and the heading. Empty means "MeshMesh".
	Title string

	// IdleTimeout is how long the page is served without a request while
	// no attempt is running; 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration

	// Log receives what the page does: when it starts and stops, and each
	// attempt's method, environment and alias. Never a secret or a token.
	// Nil discards it.
	Log *slog.Logger
}
