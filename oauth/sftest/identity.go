package sftest

import (
	"net/http"
	"strings"
	"time"
)

// badOAuthToken is the body of a 403 from userinfo and the identity URL.
const badOAuthToken = "Bad_OAuth_Token"

// bearer returns the token of an "Authorization: Bearer …" (or "OAuth …")
// header, or "".
func bearer(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(auth, " ")
	if !ok || !(strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "OAuth")) {
		return ""
	}
	return strings.TrimSpace(tok)
}

// validAccess returns the live access token r carries, or nil. s.mu is held.
func (s *Server) validAccess(r *http.Request) *accessToken {
	at := s.access[bearer(r)]
	if at == nil || at.revoked {
		return nil
	}
	return at
}

// oauthAccess returns the live access token of r, or answers 403
// Bad_OAuth_Token as userinfo and the identity URL do and returns nil.
// s.mu is held.
func (s *Server) oauthAccess(w http.ResponseWriter, r *http.Request) *accessToken {
	at := s.validAccess(r)
	if at == nil {
		writeBody(w, http.StatusForbidden, "text/plain;charset=UTF-8", badOAuthToken)
	}
	return at
}

// splitName splits a full name into first and last names.
func splitName(full string) (first, last string) {
	if i := strings.LastIndexByte(full, ' '); i >= 0 {
		return full[:i], full[i+1:]
	}
	return "", full
}

// identityURLs is the urls object of the identity and userinfo responses;
// REST URLs contain the literal {version}.
func identityURLs(u *User) map[string]string {
	base := u.Org.Host.URL
	org15 := u.Org.ID[:15]
	rest := base + "/services/data/v{version}/"
	return map[string]string{
		"enterprise":    base + "/services/Soap/c/{version}/" + org15,
		"metadata":      base + "/services/Soap/m/{version}/" + org15,
		"partner":       base + "/services/Soap/u/{version}/" + org15,
		"rest":          rest,
		"sobjects":      rest + "sobjects/",
		"search":        rest + "search/",
		"query":         rest + "query/",
		"recent":        rest + "recent/",
		"tooling_soap":  base + "/services/Soap/T/{version}/" + org15,
		"tooling_rest":  rest + "tooling/",
		"profile":       base + "/" + u.ID,
		"feeds":         rest + "chatter/feeds",
		"groups":        rest + "chatter/groups",
		"users":         rest + "chatter/users",
		"feed_items":    rest + "chatter/feed-items",
		"feed_elements": rest + "chatter/feed-elements",
		"custom_domain": base,
	}
}

// photos is the photos object of the identity and userinfo responses.
func photos(u *User) map[string]string {
	base := u.Org.Host.URL + "/profilephoto/005/"
	return map[string]string{"picture": base + "F", "thumbnail": base + "T"}
}

// lastModified is a fixed timestamp for the identity responses.
const lastModified = "2025-01-01T00:00:00Z"

// serveUserinfo is GET /services/oauth2/userinfo (OpenID Connect names).
func (s *Server) serveUserinfo(w http.ResponseWriter, r *http.Request, h *Host) {
	if !allow(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.oauthAccess(w, r)
	if at == nil {
		return
	}
	u := at.user
	first, last := splitName(u.Name)
	writeJSON(w, http.StatusOK, map[string]any{
		"sub":                            at.idURL,
		"user_id":                        u.ID,
		"organization_id":                u.Org.ID,
		"preferred_username":             u.Username,
		"nickname":                       nickname(u),
		"name":                           u.Name,
		"email":                          u.Email,
		"email_verified":                 true,
		"given_name":                     first,
		"family_name":                    last,
		"zoneinfo":                       "America/Los_Angeles",
		"photos":                         photos(u),
		"profile":                        u.Org.Host.URL + "/" + u.ID,
		"picture":                        photos(u)["picture"],
		"address":                        map[string]any{"country": "US"},
		"phone_number":                   nil,
		"phone_number_verified":          false,
		"is_salesforce_integration_user": false,
		"urls":                           identityURLs(u),
		"active":                         true,
		"user_type":                      "STANDARD",
		"language":                       "en_US",
		"locale":                         "en_US",
		"utcOffset":                      -28800000,
		"updated_at":                     lastModified,
		"is_app_installed":               true,
	})
}

// nickname is the user's community nickname: the username's local part.
func nickname(u *User) string {
	n, _, _ := strings.Cut(u.Username, "@")
	return n
}

// serveIdentity is GET /id/<orgId>/<userId>, the identity URL.
func (s *Server) serveIdentity(w http.ResponseWriter, r *http.Request, h *Host) {
	if !allow(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/id/"), "/"), "/")
	if len(parts) != 2 {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.oauthAccess(w, r)
	if at == nil {
		return
	}
	var u *User
	for _, cand := range s.users {
		if cand.Org == at.user.Org && sameID(cand.ID, parts[1]) {
			u = cand
		}
	}
	if !sameID(parts[0], at.user.Org.ID) || u == nil {
		writeBody(w, http.StatusForbidden, "text/plain;charset=UTF-8", "Bad_Id")
		return
	}
	first, last := splitName(u.Name)
	writeJSON(w, http.StatusOK, map[string]any{
		"id":                      h.URL + "/id/" + u.Org.ID + "/" + u.ID,
		"asserted_user":           u == at.user,
		"user_id":                 u.ID,
		"organization_id":         u.Org.ID,
		"username":                u.Username,
		"nick_name":               nickname(u),
		"display_name":            u.Name,
		"email":                   u.Email,
		"email_verified":          true,
		"first_name":              first,
		"last_name":               last,
		"timezone":                "America/Los_Angeles",
		"photos":                  photos(u),
		"addr_street":             nil,
		"addr_city":               nil,
		"addr_state":              nil,
		"addr_country":            "US",
		"addr_zip":                nil,
		"mobile_phone":            nil,
		"mobile_phone_verified":   false,
		"is_lightning_login_user": false,
		"status":                  map[string]any{"created_date": nil, "body": nil},
		"urls":                    identityURLs(u),
		"active":                  true,
		"user_type":               "STANDARD",
		"language":                "en_US",
		"locale":                  "en_US",
		"utcOffset":               -28800000,
		"last_modified_date":      time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02T15:04:05.000-0700"),
		"is_app_installed":        true,
	})
}
