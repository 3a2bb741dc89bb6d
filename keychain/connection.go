package keychain

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/meshmesh/meshmesh/oauth"
)

// Status is what MeshMesh last knew of a connection.
type Status string

// The states of a connection.
const (
	Connected      Status = "connected"       // the last login or refresh worked
	NeedsReconnect Status = "needs_reconnect" // the refresh token is dead: log in again
	Unknown        Status = "unknown"         // the last check could not reach Salesforce
)

// Connection is one connected org and user, as the index keeps it:
// nothing in it is secret. Its tokens live in the keychain item named by
// Username.
type Connection struct {
	Alias       string            `json:"alias"`
	Username    string            `json:"username"`
	OrgID       string            `json:"org_id"`
	UserID      string            `json:"user_id"`
	OrgName     string            `json:"org_name"`
	InstanceURL string            `json:"instance_url"`
	LoginURL    string            `json:"login_url"` // the host that issued the tokens: refresh here
	Environment oauth.Environment `json:"environment"`
	Method      oauth.Method      `json:"method"`
	ClientID    string            `json:"client_id"`
	Scopes      []string          `json:"scopes,omitempty"` // as requested
	Status      Status            `json:"status"`
	IsSandbox   bool              `json:"is_sandbox"`
	ConnectedAt time.Time         `json:"connected_at"`
	// SharedWithSF says that the Salesforce CLI holds the same refresh
	// token (Quick Connect, import-sf): MeshMesh never revokes it, which
	// would sign sf out of the org too.
	SharedWithSF bool `json:"shared_with_sf"`

	// OrgType is the org's OrganizationType ("Enterprise Edition",
	// "Developer Edition"), TrialExpires its TrialExpirationDate (scratch
	// and trial orgs): with IsSandbox they give its Category.
	OrgType      string    `json:"org_type,omitempty"`
	TrialExpires time.Time `json:"trial_expires,omitzero"`

	// Group is the user's own group of the connection ("" for none: the
	// tray groups it by its Category).
	Group string `json:"group,omitempty"`
	// Favourite is the connection's place among the user's favourites,
	// 1 first; 0 when it is not one.
	Favourite int `json:"favourite,omitempty"`
	// LastUsed is when the connection was last opened, connected or
	// reconnected through MeshMesh (not when a script took a token), to
	// the millisecond.
	LastUsed time.Time `json:"last_used,omitzero"`

	// extra holds the fields of the index entry that this version does not
	// know (written by a newer MeshMesh): they are written back unchanged.
	extra map[string]json.RawMessage
}

// Category is the kind of org a connection is, for grouping.
type Category string

// The categories of org.
const (
	CategoryProduction Category = "Production"
	CategorySandbox    Category = "Sandbox"
	CategoryDeveloper  Category = "Scratch & Developer" // Developer Edition, scratch and trial orgs
)

// Categories returns every Category, in the order the tray shows them.
func Categories() []Category {
	return []Category{CategoryProduction, CategorySandbox, CategoryDeveloper}
}

// Category says what kind of org c is, from the Organization fields read
// when it connected: a sandbox (IsSandbox), a Developer Edition, scratch
// or trial org (OrganizationType, TrialExpirationDate), else production.
// A connection made before MeshMesh read those fields is a sandbox or
// production by IsSandbox alone.
func (c Connection) Category() Category {
	switch {
	case c.IsSandbox:
		return CategorySandbox
	case !c.TrialExpires.IsZero(), strings.EqualFold(c.OrgType, "Developer Edition"):
		return CategoryDeveloper
	}
	return CategoryProduction
}

// ParseCategory reads a category as a person types it: production,
// sandbox, developer or scratch (any case), or the category's own name.
func ParseCategory(s string) (Category, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "production", "prod":
		return CategoryProduction, nil
	case "sandbox":
		return CategorySandbox, nil
	case "developer", "scratch", "dev", strings.ToLower(string(CategoryDeveloper)):
		return CategoryDeveloper, nil
	}
	return "", &oauth.Diagnosis{
		Code:   CategoryInvalid,
		Title:  fmt.Sprintf("Unknown kind of org %q", s),
		Advice: "Say production, sandbox or developer (Developer Edition, scratch and trial orgs).",
	}
}

// Name is how a person knows the connection: its alias, else the org name.
func (c Connection) Name() string {
	if c.Alias != "" {
		return c.Alias
	}
	return c.OrgName
}

// Target is where the connection logs in again.
func (c Connection) Target(s oauth.Settings) oauth.Target {
	t := oauth.Target{Environment: c.Environment}
	if def, err := s.LoginURL(oauth.Target{Environment: c.Environment}); err != nil || !strings.EqualFold(def, c.LoginURL) {
		t.Domain = c.LoginURL
	}
	return t
}

// matches reports whether ref names c: its alias, its username (both
// case-insensitive, as Salesforce usernames are), its org id or user id
// (15 or 18 characters; the first 15 are case-sensitive).
func (c Connection) matches(ref string) bool {
	if strings.EqualFold(ref, c.Alias) || strings.EqualFold(ref, c.Username) {
		return true
	}
	return sameID(ref, c.OrgID) || sameID(ref, c.UserID)
}

func sameID(a, b string) bool {
	if (len(a) != 15 && len(a) != 18) || len(b) < 15 {
		return false
	}
	return a[:15] == b[:15]
}

var aliasPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidateAlias checks an alias a user typed: letters, digits, '.', '_'
// and '-', starting with a letter or digit, at most 64 characters, and not
// shaped like a Salesforce id (which would make ORG arguments ambiguous).
func ValidateAlias(alias string) error {
	if !aliasPattern.MatchString(alias) || looksLikeID(alias) {
		return &oauth.Diagnosis{
			Code:   AliasInvalid,
			Title:  fmt.Sprintf("Invalid alias %q", alias),
			Advice: "An alias is 1 to 64 letters, digits, '.', '_' or '-', starts with a letter or digit, and is not a 15- or 18-character Salesforce id. For example: acme-prod.",
		}
	}
	return nil
}

var idPattern = regexp.MustCompile(`^00[0-9A-Za-z]{13}([0-9A-Za-z]{3})?$`)

func looksLikeID(s string) bool { return idPattern.MatchString(s) }

// defaultAlias makes an alias from the org name ("Acme Corp" → acme-corp),
// with a sandbox's name from the username suffix (admin@acme.com.uat →
// acme-corp-uat).
func defaultAlias(org oauth.Org) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(org.OrgName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	alias := strings.Trim(b.String(), "-")
	if alias == "" {
		alias = "org"
	}
	if org.IsSandbox {
		if i := strings.LastIndexByte(org.Username, '.'); i > strings.IndexByte(org.Username, '@') && i >= 0 {
			if suffix := strings.ToLower(org.Username[i+1:]); aliasPattern.MatchString(suffix) && !strings.HasSuffix(alias, "-"+suffix) {
				alias += "-" + suffix
			}
		}
	}
	if len(alias) > 48 {
		alias = strings.TrimRight(alias[:48], "-")
	}
	if looksLikeID(alias) {
		alias = "org-" + alias
	}
	return alias
}

// uniqueAlias returns alias, or alias-2, alias-3… when another connection
// than username has it.
func uniqueAlias(conns []Connection, alias, username string) string {
	taken := func(a string) bool {
		for _, c := range conns {
			if !strings.EqualFold(c.Username, username) && (strings.EqualFold(c.Alias, a) || strings.EqualFold(c.Username, a)) {
				return true
			}
		}
		return false
	}
	if !taken(alias) {
		return alias
	}
	for n := 2; ; n++ {
		if a := alias + "-" + strconv.Itoa(n); !taken(a) {
			return a
		}
	}
}

// ConnectCommand is the meshmesh command line that connects c again: same
// method, environment, app, scopes and alias. It holds no secret: a custom
// app's consumer secret goes on stdin or in MESHMESH_CLIENT_SECRET.
func (c Connection) ConnectCommand() string {
	s := fmt.Sprintf("meshmesh connect --method %s --env %s", string(c.Method), string(c.Environment))
	if c.Environment == oauth.CustomDomain {
		s += " --domain " + c.LoginURL
	}
	if c.Method == oauth.CustomApp {
		s += " --client-id " + c.ClientID
	}
	if len(c.Scopes) > 0 && !slices.Equal(c.Scopes, oauth.DefaultScopes) {
		// Scopes are words of letters and underscores: single quotes hold them.
		s += " --scopes '" + strings.Join(c.Scopes, " ") + "'"
	}
	if c.Alias != "" {
		s += " --alias " + c.Alias // an alias needs no quoting (ValidateAlias)
	}
	return s
}
