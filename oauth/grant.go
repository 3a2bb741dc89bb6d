package oauth

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Org says who a connection is and where: nothing in it is secret.
type Org struct {
	Username         string
	UserID           string
	OrgID            string
	OrgName          string
	InstanceURL      string    // the org's My Domain, where the API lives
	LoginURL         string    // the host that issued the tokens: refresh here
	InstanceName     string    // e.g. NA224, CS42
	OrganizationType string    // e.g. Developer Edition
	TrialExpires     time.Time // TrialExpirationDate: scratch and trial orgs; zero for others
	IsSandbox        bool
	Environment      Environment
	Method           Method
	ClientID         string
	Scopes           []string // as granted
}

// Grant is the result of a login: the org, and the tokens Salesforce
// issued. Salesforce sends no expiry: Token.Expiry is always zero, so do
// not trust Token.Valid; refresh on a 401 INVALID_SESSION_ID instead.
type Grant struct {
	Org      Org
	Token    *oauth2.Token
	IssuedAt time.Time
	// SharedWithSF says that the Salesforce CLI holds the same refresh
	// token (Quick Connect, ImportSF): revoking it would sign sf out.
	SharedWithSF bool
}

// tokenInfo reads Salesforce's extra token response fields.
type tokenInfo struct {
	instanceURL string
	idURL       string
	scopes      []string
	issuedAt    time.Time
}

func readTokenInfo(tok *oauth2.Token) tokenInfo {
	str := func(k string) string { s, _ := tok.Extra(k).(string); return s }
	ti := tokenInfo{
		instanceURL: strings.TrimRight(str("instance_url"), "/"),
		idURL:       str("id"),
		scopes:      strings.Fields(str("scope")),
		issuedAt:    time.Now(),
	}
	if ms, err := strconv.ParseInt(str("issued_at"), 10, 64); err == nil {
		ti.issuedAt = time.UnixMilli(ms)
	}
	return ti
}

// idParts returns the org and user ids at the end of an identity URL
// (https://login.salesforce.com/id/<orgId>/<userId>).
func idParts(idURL string) (orgID, userID string) {
	parts := strings.Split(strings.TrimRight(idURL, "/"), "/")
	if len(parts) < 2 {
		return "", ""
	}
	return parts[len(parts)-2], parts[len(parts)-1]
}

// missingScopes returns what a web-server login must have been granted
// but was not: a refresh token, and the api, refresh_token and web scopes.
// An empty granted list (a response without scope) checks only the token.
func missingScopes(tok *oauth2.Token, granted []string) []string {
	var missing []string
	if len(granted) > 0 {
		missing = MissingScopes(granted)
	}
	if tok.RefreshToken == "" && !slices.Contains(missing, "refresh_token") {
		missing = append(missing, "refresh_token")
	}
	return missing
}

// MissingScopes returns what a scope list lacks for MeshMesh to work: the
// API, a refresh token and web sessions (for opening an org in the
// browser). "full" covers api and web but not the refresh token. It is the
// rule for the scopes asked for (command line, Connections page) and for
// those granted.
func MissingScopes(scopes []string) []string {
	has := func(s string) bool { return slices.Contains(scopes, s) }
	var missing []string
	if !has("api") && !has("full") {
		missing = append(missing, "api")
	}
	if !has("refresh_token") && !has("offline_access") {
		missing = append(missing, "refresh_token")
	}
	if !has("web") && !has("full") {
		missing = append(missing, "web")
	}
	return missing
}

// scopeDiagnosis is the authorization_failed diagnosis naming what is missing.
func scopeDiagnosis(sit Situation, missing []string, granted []string) *Diagnosis {
	d := newDiagnosis(AuthorizationFailed, sit)
	got := `"` + strings.Join(granted, " ") + `"`
	if len(granted) == 0 {
		got = "no scopes"
	}
	d.Advice = strings.Replace(d.Advice, "Salesforce did not grant the scopes MeshMesh needs.",
		fmt.Sprintf("Salesforce granted %s, but MeshMesh also needs %s.", got, strings.Join(missing, ", ")), 1)
	return d
}
