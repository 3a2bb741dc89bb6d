package sftest

// Tokens are what a code exchange returns: a refresh token and a first
// access token, with the org's instance URL.
type Tokens struct {
	RefreshToken string
	AccessToken  string
	InstanceURL  string
	ID           string // the identity URL: <host>/id/<org id>/<user id>
}

// Grant issues tokens as if user had approved app at login host h and the
// client had redeemed the code, without a browser: for tests that need
// many connected orgs at once (a person's 1,000 orgs). The refresh token
// is issued only when scopes grant one (refresh_token, offline_access).
// The user's approval is recorded as a sign-in would.
func (s *Server) Grant(h *Host, app *App, user *User, scopes []string) Tokens {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.approved[approval{user, app}] = true
	var rt *refreshToken
	if grantsRefresh(scopes) {
		rt = &refreshToken{value: newRefreshToken(), host: h, app: app, user: user, scopes: scopes}
		s.refresh[rt.value] = rt
	}
	resp := s.issueAccess(h, app, user, scopes, rt, rt != nil)
	return Tokens{RefreshToken: resp.RefreshToken, AccessToken: resp.AccessToken, InstanceURL: resp.InstanceURL, ID: resp.ID}
}
