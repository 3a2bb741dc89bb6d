package sftest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// oauthError is a token endpoint error: HTTP 400 with a JSON body.
type oauthError struct {
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

// Token endpoint errors, with the exact strings of salesforce-oauth.md §2.2.
var (
	errUnsupportedGrant  = &oauthError{"unsupported_grant_type", "grant type not supported"}
	errInvalidClientID   = &oauthError{"invalid_client_id", "client identifier invalid"}
	errInvalidClient     = &oauthError{"invalid_client", "invalid client credentials"}
	errInvalidCode       = &oauthError{"invalid_grant", "invalid authorization code"}
	errExpiredCode       = &oauthError{"invalid_grant", "expired authorization code"}
	errRedirectMismatch  = &oauthError{"redirect_uri_mismatch", "redirect_uri must match configuration"}
	errInvalidVerifier   = &oauthError{"invalid_grant", "invalid code verifier"}
	errIPRestricted      = &oauthError{"invalid_grant", "ip restricted or invalid login hours"}
	errAuthFailure       = &oauthError{"invalid_grant", "authentication failure"}
	errExpiredToken      = &oauthError{"invalid_grant", "expired access/refresh token"}
	errWrongDomain       = &oauthError{"invalid_grant", "request not supported on this domain"}
	errNoClientCredsUser = &oauthError{"invalid_grant", "no client credentials user enabled"}
)

// tokenResponse is a successful token endpoint answer. Salesforce never
// sends expires_in.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Signature    string `json:"signature"`
	Scope        string `json:"scope"`
	InstanceURL  string `json:"instance_url"`
	ID           string `json:"id"`
	TokenType    string `json:"token_type"`
	IssuedAt     string `json:"issued_at"`
}

// clientAuth is the client authentication of a token request.
type clientAuth struct {
	id, secret string
	hasSecret  bool
}

// clientFrom reads client_id and client_secret from the body, or from HTTP
// Basic authentication.
func clientFrom(r *http.Request, f url.Values) clientAuth {
	c := clientAuth{id: f.Get("client_id"), secret: f.Get("client_secret")}
	if user, pass, ok := r.BasicAuth(); ok {
		if c.id == "" {
			c.id, _ = url.QueryUnescape(user)
		}
		if c.secret == "" {
			c.secret, _ = url.QueryUnescape(pass)
		}
	}
	c.hasSecret = c.secret != ""
	return c
}

// secretOK checks the client secret: a given secret must be right, and a
// missing one is fine unless required.
func secretOK(app *App, c clientAuth, required bool) bool {
	if !c.hasSecret {
		return !required
	}
	return subtle.ConstantTimeCompare([]byte(c.secret), []byte(app.ClientSecret)) == 1
}

// serveToken is POST /services/oauth2/token.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request, h *Host) {
	if r.Method == http.MethodGet {
		// A POST turned into a GET by a redirect loses its body.
		writeJSON(w, http.StatusBadRequest, errUnsupportedGrant)
		return
	}
	if !allow(w, r, http.MethodPost) {
		return
	}
	if !isForm(r) {
		writeJSON(w, http.StatusBadRequest, errUnsupportedGrant)
		return
	}
	r.ParseForm()
	f := r.PostForm
	c := clientFrom(r, f)
	s.mu.Lock()
	defer s.mu.Unlock()
	if tf := s.failToken; tf != nil {
		s.failToken = nil
		writeJSON(w, tf.status, &tf.err)
		return
	}
	var (
		resp *tokenResponse
		oe   *oauthError
	)
	switch f.Get("grant_type") {
	case "authorization_code":
		resp, oe = s.grantCode(h, f, c)
	case "refresh_token":
		resp, oe = s.grantRefresh(h, f, c)
	case "client_credentials":
		resp, oe = s.grantClientCredentials(h, c)
	default:
		oe = errUnsupportedGrant
	}
	if oe != nil {
		writeJSON(w, http.StatusBadRequest, oe)
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// grantCode redeems an authorization code. s.mu is held.
func (s *Server) grantCode(h *Host, f url.Values, c clientAuth) (*tokenResponse, *oauthError) {
	app := s.appByID(c.id)
	if app == nil {
		return nil, errInvalidClientID
	}
	if !secretOK(app, c, app.RequireSecret) {
		return nil, errInvalidClient
	}
	code := s.codes[f.Get("code")]
	switch {
	case code == nil:
		return nil, errInvalidCode
	case code.host != h:
		// Product rule: a code redeemed at another host.
		return nil, errUnsupportedGrant
	case code.used || time.Now().After(code.expiresAt):
		return nil, errExpiredCode
	case code.app != app:
		return nil, errInvalidClient
	case f.Get("redirect_uri") != code.params.redirectURI:
		return nil, errRedirectMismatch
	}
	if code.params.challenge != "" {
		v := f.Get("code_verifier")
		sum := sha256.Sum256([]byte(v))
		if v == "" || base64.RawURLEncoding.EncodeToString(sum[:]) != strings.TrimRight(code.params.challenge, "=") {
			return nil, errInvalidVerifier
		}
	}
	if s.restricted[code.user.Org] {
		return nil, errIPRestricted
	}
	code.used = true
	var rt *refreshToken
	if grantsRefresh(code.scopes) {
		rt = &refreshToken{value: newRefreshToken(), host: h, app: app, user: code.user, scopes: code.scopes}
		s.refresh[rt.value] = rt
	}
	return s.issueAccess(h, app, code.user, code.scopes, rt, rt != nil), nil
}

// grantRefresh uses a refresh token. s.mu is held.
func (s *Server) grantRefresh(h *Host, f url.Values, c clientAuth) (*tokenResponse, *oauthError) {
	app := s.appByID(c.id)
	if app == nil {
		return nil, errInvalidClientID
	}
	if !secretOK(app, c, false) {
		return nil, errInvalidClient
	}
	rt := s.refresh[f.Get("refresh_token")]
	switch {
	case rt == nil || rt.revoked:
		return nil, errExpiredToken
	case h != rt.host && h != rt.user.Org.Host:
		return nil, errAuthFailure
	case rt.app != app, !secretOK(app, c, app.RequireSecret):
		return nil, errInvalidClient
	case s.restricted[rt.user.Org]:
		return nil, errIPRestricted
	}
	// code_verifier, which jsforce sends on refresh too, is ignored.
	if app.RotateRefreshTokens {
		s.revokeRefresh(rt)
		next := &refreshToken{value: newRefreshToken(), host: rt.host, app: app, user: rt.user, scopes: rt.scopes}
		s.refresh[next.value] = next
		return s.issueAccess(h, app, rt.user, rt.scopes, next, true), nil
	}
	return s.issueAccess(h, app, rt.user, rt.scopes, rt, false), nil
}

// grantClientCredentials runs the client credentials flow. s.mu is held.
func (s *Server) grantClientCredentials(h *Host, c clientAuth) (*tokenResponse, *oauthError) {
	if h.Kind != MyDomain {
		return nil, errWrongDomain
	}
	app := s.appByID(c.id)
	if app == nil {
		return nil, errInvalidClientID
	}
	if !secretOK(app, c, true) {
		return nil, errInvalidClient
	}
	if app.RunAs == nil {
		return nil, errNoClientCredsUser
	}
	if app.RunAs.Org != h.Org {
		// The app's consumer key is unknown in this org.
		return nil, errInvalidClientID
	}
	if s.restricted[h.Org] {
		return nil, errIPRestricted
	}
	return s.issueAccess(h, app, app.RunAs, app.Scopes, nil, false), nil
}

// issueAccess stores a new access token and builds the token response; the
// refresh token is included when withRefresh is set. s.mu is held.
func (s *Server) issueAccess(h *Host, app *App, user *User, scopes []string, rt *refreshToken, withRefresh bool) *tokenResponse {
	now := time.Now()
	idURL := h.URL + "/id/" + user.Org.ID + "/" + user.ID
	at := &accessToken{value: newAccessToken(user.Org.ID), app: app, user: user, scopes: scopes, idURL: idURL, parent: rt, issued: now}
	s.access[at.value] = at
	issuedAt := strconv.FormatInt(now.UnixMilli(), 10)
	mac := hmac.New(sha256.New, []byte(app.ClientSecret))
	mac.Write([]byte(idURL + issuedAt))
	resp := &tokenResponse{
		AccessToken: at.value,
		Signature:   base64.StdEncoding.EncodeToString(mac.Sum(nil)),
		Scope:       strings.Join(scopes, " "),
		InstanceURL: user.Org.Host.URL,
		ID:          idURL,
		TokenType:   "Bearer",
		IssuedAt:    issuedAt,
	}
	if withRefresh && rt != nil {
		resp.RefreshToken = rt.value
	}
	return resp
}

// serveRevoke is /services/oauth2/revoke: POST form token=… or GET ?token=….
// Revoking a refresh token revokes its access tokens too. Errors are
// form-encoded, as jsforce expects.
func (s *Server) serveRevoke(w http.ResponseWriter, r *http.Request, h *Host) {
	if !allow(w, r, http.MethodPost, http.MethodGet) {
		return
	}
	r.ParseForm()
	tok := r.Form.Get("token")
	s.mu.Lock()
	defer s.mu.Unlock()
	if at := s.access[tok]; at != nil && !at.revoked {
		at.revoked = true
		w.WriteHeader(http.StatusOK)
		return
	}
	if rt := s.refresh[tok]; rt != nil && !rt.revoked {
		s.revokeRefresh(rt)
		w.WriteHeader(http.StatusOK)
		return
	}
	writeBody(w, http.StatusBadRequest, "application/x-www-form-urlencoded", "error=invalid_token&error_description=invalid%20token")
}

// serveIntrospect is POST /services/oauth2/introspect.
func (s *Server) serveIntrospect(w http.ResponseWriter, r *http.Request, h *Host) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	r.ParseForm()
	c := clientFrom(r, r.PostForm)
	tok := r.PostForm.Get("token")
	s.mu.Lock()
	defer s.mu.Unlock()
	app := s.appByID(c.id)
	if app == nil {
		writeJSON(w, http.StatusBadRequest, errInvalidClientID)
		return
	}
	if !secretOK(app, c, true) {
		writeJSON(w, http.StatusBadRequest, errInvalidClient)
		return
	}
	if at := s.access[tok]; at != nil && !at.revoked && at.app == app {
		writeJSON(w, http.StatusOK, map[string]any{
			"active": true, "scope": strings.Join(at.scopes, " "), "client_id": app.ClientID,
			"username": at.user.Username, "sub": at.idURL, "token_type": "access_token",
			"exp": at.issued.Add(2 * time.Hour).Unix(), "iat": at.issued.Unix(), "nbf": at.issued.Unix(),
		})
		return
	}
	if rt := s.refresh[tok]; rt != nil && !rt.revoked && rt.app == app {
		writeJSON(w, http.StatusOK, map[string]any{
			"active": true, "scope": strings.Join(rt.scopes, " "), "client_id": app.ClientID,
			"username": rt.user.Username, "token_type": "refresh_token",
		})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"active": false})
}

// writeJSON writes v as JSON without HTML escaping.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("Cache-Control", "no-cache,must-revalidate,max-age=0,no-store,private")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}
