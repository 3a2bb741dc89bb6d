package sftest

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Exact strings of the authorize step (salesforce-oauth.md §2.3).
const (
	invalidClientIDBody = "error=invalid_client_id&error_description=client%20identifier%20invalid"
	redirectMissingBody = "error=redirect_uri_missing&error_description=redirect_uri%20not%20provided"
	redirectMismatchPre = "<pre>error=redirect_uri_mismatch&error_description=redirect_uri%20must%20match%20configuration</pre>"
	badLoginMessage     = "Please check your username and password. If you still can't log in, contact your Salesforce administrator."
	authorizePath       = "/services/oauth2/authorize"
	errorPagePath       = "/setup/secur/RemoteAccessErrorPage.apexp"
	consentPath         = "/setup/secur/RemoteAccessAuthorizationPage.apexp"
	pendingTTL          = 15 * time.Minute
)

// salesforceScopes are the scope names Salesforce knows (besides cdp_*).
var salesforceScopes = []string{
	"api", "web", "full", "refresh_token", "offline_access", "openid", "id",
	"profile", "email", "address", "phone", "chatter_api", "visualforce",
	"custom_permissions", "wave_api", "eclair_api", "pardot_api", "lightning",
	"content", "sfap_api", "interaction_api", "einstein_gpt_api",
	"pwdless_login_api", "user_registration_api", "forgot_password",
}

// knownScope reports whether Salesforce knows the scope name.
func knownScope(name string) bool {
	return slices.Contains(salesforceScopes, name) || strings.HasPrefix(name, "cdp_")
}

// grantScopes returns the scopes granted to app for a request of requested
// (space-separated): all of the app's scopes when nothing is requested,
// otherwise the requested ones the app allows ("full" allows all).
// offline_access and refresh_token are synonyms.
func grantScopes(app *App, requested string) []string {
	want := strings.Fields(requested)
	if len(want) == 0 {
		return slices.Clone(app.Scopes)
	}
	allowed := func(sc string) bool {
		if hasScope(app.Scopes, "full") || hasScope(app.Scopes, sc) {
			return true
		}
		if sc == "refresh_token" || sc == "offline_access" {
			return hasScope(app.Scopes, "refresh_token") || hasScope(app.Scopes, "offline_access")
		}
		return false
	}
	var out []string
	for _, sc := range want {
		if allowed(sc) && !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out
}

// grantsRefresh reports whether scopes include refresh_token or offline_access.
func grantsRefresh(scopes []string) bool {
	return hasScope(scopes, "refresh_token") || hasScope(scopes, "offline_access")
}

// withQuery returns base with the parameters added to its query, spaces
// encoded as %20.
func withQuery(base string, params url.Values) string {
	enc := strings.ReplaceAll(params.Encode(), "+", "%20")
	if strings.Contains(base, "?") {
		return base + "&" + enc
	}
	return base + "?" + enc
}

// errorParams returns error, error_description and (if not empty) state.
func errorParams(code, desc, state string) url.Values {
	v := url.Values{"error": {code}, "error_description": {desc}}
	if state != "" {
		v.Set("state", state)
	}
	return v
}

// serveAuthorize is GET /services/oauth2/authorize.
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request, h *Host) {
	if !allow(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	r.ParseForm()
	q := r.Form
	s.mu.Lock()
	defer s.mu.Unlock()

	// 1-2: client and callback problems are shown, never redirected.
	app := s.appByID(q.Get("client_id"))
	if app == nil {
		writeBody(w, http.StatusBadRequest, "text/html; charset=UTF-8", invalidClientIDBody)
		return
	}
	ru := q.Get("redirect_uri")
	if ru == "" {
		writeBody(w, http.StatusBadRequest, "text/html; charset=UTF-8", redirectMissingBody)
		return
	}
	if !slices.Contains(app.CallbackURLs, ru) {
		writeBody(w, http.StatusBadRequest, "text/html; charset=UTF-8", redirectMismatchPre)
		return
	}
	params := authParams{redirectURI: ru, state: q.Get("state"), challenge: q.Get("code_challenge")}
	fail := func(code, desc string) {
		http.Redirect(w, r, withQuery(ru, errorParams(code, desc, params.state)), http.StatusFound)
	}

	// 3: request checks, before sign-in.
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", "response type not supported")
		return
	}
	if app.RequirePKCE && params.challenge == "" {
		fail("invalid_request", "missing required code challenge")
		return
	}
	if m := q.Get("code_challenge_method"); params.challenge != "" && m != "" && m != "S256" {
		// Only S256 is supported; a plain challenge counts as missing.
		fail("invalid_request", "missing required code challenge")
		return
	}
	for _, sc := range strings.Fields(q.Get("scope")) {
		if !knownScope(sc) {
			fail("invalid_scope", "requested scope is invalid, unknown, or malformed")
			return
		}
	}
	prompt := strings.Fields(q.Get("prompt"))
	immediate := q.Get("immediate") == "true"

	// 4: sign-in.
	sess := s.sessionFor(r, h)
	if sess == nil || (slices.Contains(prompt, "login") && !sess.fresh) {
		if immediate {
			fail("immediate_unsuccessful", "immediate unsuccessful")
			return
		}
		startURL := authorizePath + "?" + q.Encode()
		writeLoginPage(w, http.StatusOK, loginPage{Username: q.Get("login_hint"), StartURL: startURL})
		return
	}
	sess.fresh = false
	user := sess.user

	// 5: app policy.
	if fe := s.failNext; fe != nil {
		s.failNext = nil
		if fe.page {
			http.Redirect(w, r, h.URL+errorPagePath+"?"+errorParams(fe.code, fe.desc, params.state).Encode(), http.StatusFound)
			return
		}
		fail(fe.code, fe.desc)
		return
	}
	if code, desc := s.policy(app, user); code != "" {
		if s.errorPages {
			http.Redirect(w, r, h.URL+errorPagePath+"?"+errorParams(code, desc, params.state).Encode(), http.StatusFound)
			return
		}
		fail(code, desc)
		return
	}

	// 6: approval.
	scopes := grantScopes(app, q.Get("scope"))
	preApproved := app.AdminApprovedOnly && slices.Contains(app.ApprovedUsers, user)
	if slices.Contains(prompt, "consent") || (!preApproved && !s.approved[approval{user, app}]) {
		if immediate {
			fail("immediate_unsuccessful", "immediate unsuccessful")
			return
		}
		id := randString(alnum, 32)
		s.pending[id] = &pendingAuth{host: h, user: user, app: app, params: params, scopes: scopes, expiresAt: time.Now().Add(pendingTTL)}
		writeConsentPage(w, consentPage{ID: id, App: app.Name, Username: user.Username, Scopes: scopes})
		return
	}
	http.Redirect(w, r, s.issueCode(h, app, user, params, scopes), http.StatusFound)
}

// policy runs the app policy checks for user and returns the error, if any.
// s.mu is held.
func (s *Server) policy(app *App, user *User) (code, desc string) {
	org := user.Org
	switch {
	case app.Blocked:
		return "OAUTH_APP_BLOCKED", "this app is blocked by admin"
	case app.Kind == PackagedECA && !slices.Contains(app.InstalledIn, org):
		return "OAUTH_EC_APP_NOT_FOUND", "External client app is not installed in this org"
	case app.Kind == PackagedECA && !slices.Contains(app.EnabledIn, org),
		app.Kind == LocalECA && app.OwnerOrg != org:
		return "OAUTH_AUTHORIZATION_BLOCKED", "Cross-org OAuth flows are not supported for this external client app"
	case app.Kind == ConnectedApp && !slices.Contains(app.InstalledIn, org) && !user.Admin && !s.approved[approval{user, app}]:
		return "invalid_client", "app must be installed into org"
	case app.AdminApprovedOnly && !slices.Contains(app.ApprovedUsers, user):
		return "OAUTH_APP_ACCESS_DENIED", "user is not admin approved to access this app"
	}
	return "", ""
}

// issueCode stores a new authorization code and returns the callback URL
// carrying it. s.mu is held.
func (s *Server) issueCode(h *Host, app *App, user *User, p authParams, scopes []string) string {
	c := newCode()
	s.codes[c] = &authCode{host: h, app: app, user: user, params: p, scopes: scopes, expiresAt: time.Now().Add(s.cfg.codeTTL)}
	v := url.Values{"code": {c}}
	if p.state != "" {
		v.Set("state", p.state)
	}
	return withQuery(p.redirectURI, v)
}

// sessionFor returns the browser session r carries for host h, or nil.
// s.mu is held.
func (s *Server) sessionFor(r *http.Request, h *Host) *session {
	c, err := r.Cookie(h.cookie)
	if err != nil {
		return nil
	}
	if sess := s.sessions[c.Value]; sess != nil && sess.host == h {
		return sess
	}
	return nil
}

// startSession creates a session for user on h and sets its cookie.
// s.mu is held.
func (s *Server) startSession(w http.ResponseWriter, h *Host, user *User, fresh bool) {
	id := randString(alnum, 40)
	s.sessions[id] = &session{host: h, user: user, fresh: fresh}
	http.SetCookie(w, &http.Cookie{
		Name: h.cookie, Value: id, Path: "/", HttpOnly: true,
		Secure: s.cfg.tls, SameSite: http.SameSiteLaxMode,
	})
}

// serves reports whether user signs in at h itself rather than being
// carried to their org's My Domain.
func serves(h *Host, user *User) bool {
	switch h.Kind {
	case ProductionLogin:
		return !user.Org.Sandbox
	case SandboxLogin:
		return user.Org.Sandbox
	}
	return h.Org == user.Org
}

// localPath reports whether p is a path on the same host (no scheme, no
// host, not protocol-relative).
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\")
}

// serveLogin is the login page: GET / or /login shows it, POST /login signs
// in. A user of another environment or org is carried to their org's My
// Domain through a one-time frontdoor link and signed in there.
func (s *Server) serveLogin(w http.ResponseWriter, r *http.Request, h *Host) {
	if r.Method == http.MethodGet {
		start := r.URL.Query().Get("startURL")
		if !localPath(start) {
			start = ""
		}
		writeLoginPage(w, http.StatusOK, loginPage{Username: r.URL.Query().Get("un"), StartURL: start})
		return
	}
	if r.URL.Path != "/login" {
		allow(w, r, http.MethodGet)
		return
	}
	if !allow(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	r.ParseForm()
	username, pw, start := r.PostForm.Get("username"), r.PostForm.Get("pw"), r.PostForm.Get("startURL")
	if !localPath(start) {
		start = "/lightning/page/home"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user := s.userByName(username)
	if user == nil || user.Password != pw {
		writeLoginPage(w, http.StatusOK, loginPage{Username: username, StartURL: start, Error: badLoginMessage})
		return
	}
	if serves(h, user) {
		s.startSession(w, h, user, true)
		http.Redirect(w, r, start, http.StatusFound)
		return
	}
	target := user.Org.Host
	http.Redirect(w, r, s.frontdoorURL(target, user, start, true), http.StatusFound)
}

// serveConsent handles the buttons of the "Allow Access?" page.
func (s *Server) serveConsent(w http.ResponseWriter, r *http.Request, h *Host) {
	if !allow(w, r, http.MethodPost) {
		return
	}
	r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PostForm.Get("authz")
	p := s.pending[id]
	delete(s.pending, id)
	sess := s.sessionFor(r, h)
	if p == nil || p.host != h || sess == nil || sess.user != p.user || time.Now().After(p.expiresAt) {
		writeErrorPage(w)
		return
	}
	switch {
	case r.PostForm.Has("oaapprove"):
		s.approved[approval{p.user, p.app}] = true
		http.Redirect(w, r, s.issueCode(h, p.app, p.user, p.params, p.scopes), http.StatusFound)
	case r.PostForm.Has("oadeny"):
		http.Redirect(w, r, withQuery(p.params.redirectURI, errorParams("access_denied", "end-user denied authorization", p.params.state)), http.StatusFound)
	default:
		writeErrorPage(w)
	}
}

// serveErrorPage is /setup/secur/RemoteAccessErrorPage.apexp: the generic
// OAuth error page; the error itself is only in the URL.
func (s *Server) serveErrorPage(w http.ResponseWriter, r *http.Request, h *Host) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	writeErrorPage(w)
}

// writeBody writes a complete response.
func writeBody(w http.ResponseWriter, status int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-cache,must-revalidate,max-age=0,no-store,private")
	w.WriteHeader(status)
	w.Write([]byte(body))
}
