package page

import (
	"context"
	"time"

	"github.com/meshmesh/meshmesh/oauth"
)

// Org is one connection as the Orgs view lists it. Nothing in it is
// secret.
type Org struct {
	Username    string
	Alias       string
	OrgName     string
	OrgID       string
	InstanceURL string
	Category    string // what kind of org: "Production", "Sandbox", "Scratch & Developer"
	Environment string // where it logs in: "production", "sandbox", "custom"
	Group       string // the user's group; "" for none
	Favourite   int    // place among the favourites, 1 first; 0 for none
	LastUsed    time.Time
	State       string // "connected", "needs_reconnect", "checking", "unknown"
	StateText   string // for people: "Connected", "Needs reconnect", "Checking…", "Not checked: …"
}

// OrgsView is what the Orgs view shows.
type OrgsView struct {
	// Version changes whenever anything below does: the page asks again
	// only for a newer one.
	Version uint64
	Orgs    []Org
	Links   []oauth.Link // the user's own quick links, offered for every org
	Groups  []string     // the user's groups, sorted
	// SignIn names the browser sign-in in progress ("" for none), and
	// Queued counts the reconnects waiting for it to end.
	SignIn string
	Queued int
}

// OrgActionKind says what a person asked of the Orgs view.
type OrgActionKind string

// The actions of the Orgs view.
const (
	OrgOpen         OrgActionKind = "open"          // open Username at Path ("" for home), signed in
	OrgReconnect    OrgActionKind = "reconnect"     // log Username in again
	OrgRemove       OrgActionKind = "remove"        // revoke and forget Username (the page asked to confirm)
	OrgPin          OrgActionKind = "pin"           // make Username a favourite
	OrgUnpin        OrgActionKind = "unpin"         // no longer a favourite
	OrgAlias        OrgActionKind = "alias"         // rename Username to Value
	OrgGroup        OrgActionKind = "group"         // put Username in group Value ("" for none)
	OrgReconnectAll OrgActionKind = "reconnect-all" // reconnect, one after another, every org that needs it
	OrgAddLink      OrgActionKind = "add-link"      // a quick link of the user's own: Path, named Value
	OrgRemoveLink   OrgActionKind = "remove-link"   // remove the user's link of Path
)

// OrgAction is a person's request on the Orgs view.
type OrgAction struct {
	Kind     OrgActionKind
	Username string // the connection, for the actions on one org
	Path     string // a page of the org (OrgOpen, OrgAddLink, OrgRemoveLink)
	Value    string // the new alias (OrgAlias), the group (OrgGroup), the link's name (OrgAddLink)
}

// Orgs lists the connections for the Orgs view and runs what people ask
// of them (the tray implements it).
type Orgs interface {
	// OrgsView returns the view as it is now.
	OrgsView(ctx context.Context) (OrgsView, error)

	// OrgAction runs act. A change to the index (pin, unpin, alias,
	// group, links) returns once it is saved, or with a *oauth.Diagnosis
	// saying why it was refused. The others (open, reconnect, remove,
	// reconnect-all) start in the tray and return at once: the tray
	// notifies how they end, and the next OrgsView shows it.
	OrgAction(ctx context.Context, act OrgAction) error
}
