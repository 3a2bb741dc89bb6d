package sftest

import (
	"net/http"
	"net/url"
	"time"
)

// otpTTL is how long a frontdoor link works.
const otpTTL = 60 * time.Second

// homePath is where the UI lands by default.
const homePath = "/lightning/page/home"

// frontdoorURL stores a one-time token that signs user in on h and returns
// the frontdoor link carrying it. s.mu is held.
func (s *Server) frontdoorURL(h *Host, user *User, startURL string, fresh bool) string {
	id := randString(alnum, 64)
	s.otps[id] = &otp{host: h, user: user, startURL: startURL, fresh: fresh, expiresAt: time.Now().Add(otpTTL)}
	v := url.Values{"otp": {id}}
	if startURL != "" {
		v.Set("startURL", startURL)
	}
	v.Set("cshc", randString(alnum, 12))
	return h.URL + "/secur/frontdoor.jsp?" + v.Encode()
}

// serveSingleAccess is GET /services/oauth2/singleaccess (the UI Bridge
// API): a single-use frontdoor link valid for 60 seconds. An invalid or
// expired token gets 403, not 401.
func (s *Server) serveSingleAccess(w http.ResponseWriter, r *http.Request, h *Host) {
	if !allow(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	r.ParseForm()
	start := r.Form.Get("redirect_uri")
	if !localPath(start) {
		start = ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	at := s.validAccess(r)
	if at == nil {
		writeInvalidSession(w, http.StatusForbidden)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"frontdoor_uri": s.frontdoorURL(at.user.Org.Host, at.user, start, false)})
}

// serveFrontdoor is /secur/frontdoor.jsp: ?otp= (single use) or the classic
// ?sid=<access token>; it starts a UI session and redirects to startURL,
// retURL or the home page.
func (s *Server) serveFrontdoor(w http.ResponseWriter, r *http.Request, h *Host) {
	if !allow(w, r, http.MethodGet, http.MethodPost) {
		return
	}
	r.ParseForm()
	s.mu.Lock()
	defer s.mu.Unlock()
	if id := r.Form.Get("otp"); id != "" {
		o := s.otps[id]
		delete(s.otps, id)
		if o == nil || o.host != h || time.Now().After(o.expiresAt) {
			writeExpiredPage(w)
			return
		}
		s.startSession(w, h, o.user, o.fresh)
		next := o.startURL
		if next == "" {
			next = homePath
		}
		http.Redirect(w, r, next, http.StatusFound)
		return
	}
	next := r.Form.Get("retURL")
	if !localPath(next) {
		next = homePath
	}
	at := s.access[r.Form.Get("sid")]
	if at == nil || at.revoked || !(hasScope(at.scopes, "web") || hasScope(at.scopes, "full")) {
		writeLoginPage(w, http.StatusOK, loginPage{StartURL: next})
		return
	}
	s.startSession(w, h, at.user, false)
	http.Redirect(w, r, next, http.StatusFound)
}

// serveHome serves every Lightning page (/lightning/…, such as
// /lightning/page/home): a small page naming the org and user, or the login
// page, returning there, without a session.
func (s *Server) serveHome(w http.ResponseWriter, r *http.Request, h *Host) {
	if !allow(w, r, http.MethodGet) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessionFor(r, h)
	if sess == nil {
		writeLoginPage(w, http.StatusOK, loginPage{StartURL: r.URL.RequestURI()})
		return
	}
	u := sess.user
	render(w, http.StatusOK, "home", homePage{Org: u.Org.Name, Name: u.Name, Username: u.Username})
}
