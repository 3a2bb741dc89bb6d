package page

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/meshmesh/meshmesh/oauth"
)

// cookieName names the session cookie. Cookies do not tell ports apart, so
// the name carries none: a new serving replaces the old cookie.
const cookieName = "meshmesh_page"

// csrfHeader carries the CSRF token of the page's own fetch requests.
const csrfHeader = "X-CSRF-Token"

// maxForm bounds a posted form.
const maxForm = 64 << 10

// contentSecurityPolicy allows the page its own files and nothing else: no
// inline script or style, no framing, forms posted only to itself.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// handler returns the page's HTTP handler.
func (sv *serving) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /static/{file}", serveStatic)
	mux.HandleFunc("GET /{$}", sv.index)
	mux.Handle("GET /validate", sv.authed(http.HandlerFunc(sv.validate)))
	mux.Handle("POST /connect", sv.authed(sv.posted(sv.connect)))
	mux.Handle("GET /attempt/{name}", sv.authed(http.HandlerFunc(sv.attemptPage)))
	mux.Handle("POST /attempt/{name}/cancel", sv.authed(sv.posted(sv.cancel)))
	mux.Handle("GET "+orgsPath, sv.authed(http.HandlerFunc(sv.orgsPage)))
	mux.Handle("GET "+orgsJSONPath, sv.authed(http.HandlerFunc(sv.orgsJSON)))
	mux.Handle("POST "+orgsActionPath, sv.authed(sv.posted(sv.orgsAction)))
	return sv.guard(mux)
}

// guard sets the security headers of every response and answers only
// requests addressed to the page's own host and port (DNS rebinding).
func (sv *serving) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		// same-origin, not no-referrer: with no-referrer the browser sends
		// "Origin: null" on the page's own POSTs, which the Origin check
		// could not tell from a sandboxed frame's. Nothing is sent to
		// other sites either way.
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		if !sv.ownHost(r.Host) {
			http.Error(w, "This is not the MeshMesh Connections page's address: open the Connections page from the MeshMesh menu.", http.StatusMisdirectedRequest)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (sv *serving) ownHost(host string) bool {
	for _, h := range sv.hosts {
		if strings.EqualFold(host, h) {
			return true
		}
	}
	return false
}

// signedIn reports whether r carries the session cookie.
func (sv *serving) signedIn(r *http.Request) bool {
	c, err := r.Cookie(cookieName)
	return err == nil && equal(c.Value, sv.session)
}

func equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// authed answers only requests with the session cookie, and keeps the page
// up while they are answered.
func (sv *serving) authed(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !sv.signedIn(r) {
			sv.denied(w, r)
			return
		}
		sv.begin()
		defer sv.end()
		next.ServeHTTP(w, r)
	})
}

// posted checks a POST's CSRF token, Origin and Fetch metadata, and parses
// its form.
func (sv *serving) posted(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if o := r.Header.Get("Origin"); o != "" && !strings.EqualFold(o, "http://"+r.Host) {
			sv.forbidden(w, r, "Request refused", "This request came from another site.")
			return
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
			sv.forbidden(w, r, "Request refused", "This request came from another site.")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		if err := r.ParseForm(); err != nil {
			sv.forbidden(w, r, "Request refused", "The form could not be read.")
			return
		}
		token := r.Header.Get(csrfHeader)
		if token == "" {
			token = r.PostForm.Get("csrf")
		}
		if !equal(token, sv.csrf) {
			sv.forbidden(w, r, "This form has expired", "It is not from the Connections page now open (MeshMesh opened a newer one), or not from MeshMesh at all.")
			return
		}
		next(w, r)
	})
}

// index exchanges the URL's token for the session cookie and redirects
// to ?next= (a page of its own: "/" or "/orgs?org=…"), or shows the form.
func (sv *serving) index(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Has("token") {
		if !equal(r.URL.Query().Get("token"), sv.token) {
			sv.denied(w, r)
			return
		}
		http.SetCookie(w, &http.Cookie{
			Name: cookieName, Value: sv.session, Path: "/",
			HttpOnly: true, SameSite: http.SameSiteStrictMode,
		})
		sv.begin()
		defer sv.end()
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	sv.authed(http.HandlerFunc(sv.formPage)).ServeHTTP(w, r)
}

// formPage shows the form, prefilled from the query when a fix button of
// a page without JavaScript led here.
func (sv *serving) formPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := prefill(q)
	v := sv.formView(f)
	v.SecretAgain = q.Get("again") == "1" && f.Method == string(oauth.CustomApp)
	sv.render(w, http.StatusOK, "form", v)
}

// validate checks the fields in the query as the user types, and returns
// the messages for them and the custom domain's install URL as JSON. The
// query never holds the secret.
func (sv *serving) validate(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := prefill(q)
	_, c := check(f, sv.s.opts.Settings)
	type message struct {
		Error   string `json:"error,omitempty"`
		Warning string `json:"warning,omitempty"`
	}
	out := struct {
		Fields        map[string]message `json:"fields"`
		InstallCustom string             `json:"install_custom"`
	}{Fields: map[string]message{}}
	for _, name := range []string{fieldDomain, fieldScopes, fieldAlias} {
		if q.Has(name) {
			out.Fields[name] = message{Error: c.Errors[name].Text, Warning: c.Warnings[name]}
		}
	}
	out.InstallCustom = sv.installURLs(f.Domain).Custom
	writeJSON(w, http.StatusOK, out)
}

// connect checks the posted form and starts the connection. A browser
// with JavaScript gets JSON, always with status 200 (the JSON says what
// happened); one without, the form again or a redirect to the attempt's
// page.
func (sv *serving) connect(w http.ResponseWriter, r *http.Request) {
	f := formFrom(r.PostForm)
	req, c := check(f, sv.s.opts.Settings)
	log := sv.s.log.With("method", string(req.Method), "environment", string(req.Target.Environment), "alias", req.Alias)
	if !c.ok() {
		log.Info("connection form has errors", "fields", strings.Join(sortedKeys(c.Errors), ","))
		if wantsJSON(r) {
			errs := map[string]string{}
			for k, p := range c.Errors {
				errs[k] = p.Text
			}
			writeJSON(w, http.StatusOK, map[string]any{"errors": errs, "warnings": c.Warnings})
			return
		}
		v := sv.formView(f.public())
		v.Checked = c
		v.SecretAgain = f.Secret != ""
		sv.render(w, http.StatusUnprocessableEntity, "form", v)
		return
	}
	id, err := sv.s.opts.Connector.Connect(req)
	if err != nil {
		d := diagnosisOf(err, "Could not start the connection")
		log.Warn("connection not started", "code", string(d.Code))
		st := sv.statusView(nil, f, Progress{Done: true, Diagnosis: d})
		if wantsJSON(r) {
			writeJSON(w, http.StatusOK, map[string]any{"html": sv.fragment(st), "done": true})
			return
		}
		v := sv.formView(f.public())
		v.Status = &st
		v.SecretAgain = f.Secret != ""
		sv.render(w, http.StatusConflict, "form", v)
		return
	}
	a := sv.track(id, f, c.warningList())
	log.Info("connection started", "attempt", a.handle)
	if !wantsJSON(r) {
		http.Redirect(w, r, "/attempt/"+a.handle, http.StatusSeeOther)
		return
	}
	p, ok := sv.s.opts.Connector.Progress(id)
	if !ok {
		p = Progress{Step: "Starting…"}
	}
	sv.writeProgress(w, a, p)
}

// attemptPage shows an attempt's progress: as a page, or as JSON for the
// page's script when the name ends in .json.
func (sv *serving) attemptPage(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	handle, asJSON := strings.CutSuffix(name, ".json")
	a, p, ok := sv.progress(handle)
	if !ok {
		if asJSON {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "This connection attempt is no longer known: start it again."})
			return
		}
		sv.render(w, http.StatusNotFound, "message", messageView{sv.s.opts.Title, "Connection attempt not found",
			"MeshMesh no longer knows this connection attempt (it restarted, or the page was closed). Start the connection again.", true})
		return
	}
	if asJSON {
		sv.writeProgress(w, a, p)
		return
	}
	st := sv.statusView(a, a.form, p)
	sv.render(w, http.StatusOK, "attempt", attemptView{Title: sv.s.opts.Title, CSRF: sv.csrf, Status: st, HasOrgs: sv.s.opts.Orgs != nil})
}

// cancel stops an attempt.
func (sv *serving) cancel(w http.ResponseWriter, r *http.Request) {
	a, ok := sv.lookup(r.PathValue("name"))
	if !ok {
		http.NotFound(w, r)
		return
	}
	sv.s.log.Info("connection cancelled", "attempt", a.handle)
	sv.s.opts.Connector.Cancel(a.id)
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
		return
	}
	http.Redirect(w, r, "/attempt/"+a.handle, http.StatusSeeOther)
}

// progress returns the attempt with handle h and where it stands.
func (sv *serving) progress(h string) (*attempt, Progress, bool) {
	a, ok := sv.lookup(h)
	if !ok {
		return nil, Progress{}, false
	}
	p, ok := sv.s.opts.Connector.Progress(a.id)
	if !ok {
		return nil, Progress{}, false
	}
	if p.Done {
		sv.finished(a)
	}
	return a, p, true
}

// writeProgress answers the page's script with where a stands: whether it
// is done, whether it connected, and the status region's HTML.
func (sv *serving) writeProgress(w http.ResponseWriter, a *attempt, p Progress) {
	if p.Done {
		sv.finished(a)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":        a.handle,
		"done":      p.Done,
		"connected": p.Connected != nil,
		"html":      sv.fragment(sv.statusView(a, a.form, p)),
	})
}

// denied answers a request without a valid token or session.
func (sv *serving) denied(w http.ResponseWriter, r *http.Request) {
	sv.forbidden(w, r, "This link has expired", "For your safety the Connections page opens only through MeshMesh, and this link is old or not from it.")
}

// forbidden answers a request the page refuses, saying why and what to do.
func (sv *serving) forbidden(w http.ResponseWriter, r *http.Request, heading, why string) {
	const what = "Open the Connections page from the MeshMesh menu."
	if wantsJSON(r) {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": why + " " + what})
		return
	}
	sv.render(w, http.StatusForbidden, "message", messageView{sv.s.opts.Title, heading, why + " " + what, false})
}

// wantsJSON reports whether r is the page's script asking for JSON.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json") || strings.HasSuffix(r.URL.Path, ".json")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// render writes the page template name with v.
func (sv *serving) render(w http.ResponseWriter, status int, name string, v any) {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name, v); err != nil {
		sv.s.log.Error("rendering the connections page", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// diagnosisOf returns err as a diagnosis a person can read, titled title
// when it is not one already.
func diagnosisOf(err error, title string) *oauth.Diagnosis {
	var d *oauth.Diagnosis
	if errors.As(err, &d) {
		return d
	}
	return &oauth.Diagnosis{Code: oauth.Unrecognised, Title: title,
		Advice: err.Error() + ". Try again; if it repeats, restart MeshMesh.", Err: err}
}
