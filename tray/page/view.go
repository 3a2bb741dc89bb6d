package page

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"slices"

	"github.com/meshmesh/meshmesh/oauth"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// templates are the page's HTML templates.
var templates = template.Must(template.New("page").Funcs(template.FuncMap{
	// heading gives the layout the product's title and the page's heading.
	"heading": func(title, heading string) headView { return headView{Title: title, Heading: heading} },
	// nav is heading with the navigation between the form ("connect")
	// and the Orgs view ("orgs"), when there is an Orgs view.
	"nav": func(title, heading, here string, orgs bool) headView {
		return headView{Title: title, Heading: heading, Here: here, Orgs: orgs, Wide: here == "orgs"}
	},
}).ParseFS(templateFiles, "templates/*.html"))

// staticNames are the files under /static/.
var staticNames = map[string]bool{"page.css": true, "page.js": true, "orgs.js": true, "icon.svg": true}

// serveStatic serves the page's style sheet, script and icon. They are
// not secret: the page that says "open it from the menu" uses them too.
func serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	if !staticNames[name] {
		http.NotFound(w, r)
		return
	}
	sub, _ := fs.Sub(staticFiles, "static")
	http.ServeFileFS(w, r, sub, name)
}

// formView is what the form page shows.
type formView struct {
	Title       string
	CSRF        string
	Form        form // never with the secret
	Methods     []choice
	Envs        []choice
	RedirectURL string
	Install     installURLs
	Checked     checked
	SecretAgain bool        // a secret was given but is not sent back
	Status      *statusView // a diagnosis from a connection that did not start
	HasOrgs     bool        // there is an Orgs view to link to
}

// choice is one radio button of a group.
type choice struct {
	Value, Label, Badge, Hint string
	Checked, Disabled         bool
}

// Msg returns what to show next to field: "error" or "warning" and the
// text, or nothing.
func (v formView) Msg(field string) fieldMessage {
	if p, ok := v.Checked.Errors[field]; ok {
		return fieldMessage{ID: field + "-msg", Kind: "error", Text: p.Text}
	}
	if w, ok := v.Checked.Warnings[field]; ok {
		return fieldMessage{ID: field + "-msg", Kind: "warning", Text: w}
	}
	return fieldMessage{ID: field + "-msg"}
}

// Invalid reports whether field has an error.
func (v formView) Invalid(field string) bool {
	_, ok := v.Checked.Errors[field]
	return ok
}

// Summary lists the errors in page order, for the box above the form.
func (v formView) Summary() []summaryItem {
	var out []summaryItem
	for _, f := range fieldOrder {
		if p, ok := v.Checked.Errors[f]; ok {
			out = append(out, summaryItem{Anchor: anchorOf(f, v.Form), Text: p.Title})
		}
	}
	return out
}

// anchorOf is the id of the element the summary links to for field.
func anchorOf(field string, f form) string {
	switch field {
	case fieldMethod:
		return "method-" + firstNonEmpty(f.Method, string(oauth.QuickConnect))
	case fieldEnv:
		return "env-" + string(oauth.Production)
	}
	return field
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

type fieldMessage struct{ ID, Kind, Text string }

type summaryItem struct{ Anchor, Text string }

// installURLs are the MeshMesh package's install URLs of the three
// environments; Custom is empty until a usable domain is typed.
type installURLs struct{ Production, Sandbox, Custom string }

func (sv *serving) installURLs(domain string) installURLs {
	s := sv.s.opts.Settings
	var u installURLs
	u.Production, _ = s.InstallURL(oauth.Target{Environment: oauth.Production})
	u.Sandbox, _ = s.InstallURL(oauth.Target{Environment: oauth.Sandbox})
	if domain != "" {
		u.Custom, _ = s.InstallURL(oauth.Target{Environment: oauth.CustomDomain, Domain: domain})
	}
	return u
}

// formView returns the form page for f, which must hold no secret.
func (sv *serving) formView(f form) formView {
	s := sv.s.opts.Settings
	eca := s.ECAClientID != ""
	methods := []choice{
		{Value: string(oauth.QuickConnect), Label: oauth.QuickConnect.String(), Badge: "Preferred",
			Hint: "Signs in through the Salesforce CLI on this computer. No admin setup or package needed."},
		{Value: string(oauth.CustomApp), Label: oauth.CustomApp.String(),
			Hint: "Your org's own connected app, for orgs that block third-party apps or need specific scopes."},
		{Value: string(oauth.MeshMeshApp), Label: oauth.MeshMeshApp.String(), Badge: "Pre-release",
			Hint: "The MeshMesh Studio package, installed once by an admin for everyone in the org.", Disabled: !eca},
	}
	if !eca {
		methods[2].Hint = "Not available in this build: it has no consumer key for the MeshMesh Connected App. Use Quick Connect or a Custom Connected App."
		if f.Method == string(oauth.MeshMeshApp) {
			f.Method = string(oauth.QuickConnect)
		}
	}
	for i := range methods {
		methods[i].Checked = methods[i].Value == f.Method
	}
	prod, _ := s.LoginURL(oauth.Target{Environment: oauth.Production})
	sandbox, _ := s.LoginURL(oauth.Target{Environment: oauth.Sandbox})
	envs := []choice{
		{Value: string(oauth.Production), Label: oauth.Production.String(), Hint: hostOf(prod)},
		{Value: string(oauth.Sandbox), Label: oauth.Sandbox.String(), Hint: hostOf(sandbox)},
		{Value: string(oauth.CustomDomain), Label: oauth.CustomDomain.String(), Hint: "Your org's My Domain"},
	}
	for i := range envs {
		envs[i].Checked = envs[i].Value == f.Env
	}
	return formView{
		Title:       sv.s.opts.Title,
		CSRF:        sv.csrf,
		Form:        f.public(),
		Methods:     methods,
		Envs:        envs,
		RedirectURL: s.RedirectURL(),
		Install:     sv.installURLs(f.Domain),
		HasOrgs:     sv.s.opts.Orgs != nil,
	}
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}

// statusView is the status region: an attempt's progress, or its result.
type statusView struct {
	Handle    string // the attempt's, empty for a connection that did not start
	CSRF      string
	Progress  Progress
	Fixes     []fixView
	Warnings  []string // about the request: shown while it runs and if it fails
	Connected *Connected
	Diagnosis *oauth.Diagnosis
}

// fixView is a diagnosis's fix as the page offers it: a link (URL) or a
// form that goes back to the connection form (Params, which never hold the
// secret) and that the page's script runs in place.
type fixView struct {
	Kind   oauth.FixKind
	Label  string
	URL    string
	Env    string
	Method string
	Params []param
}

type param struct{ Name, Value string }

// statusView returns the status region for p of attempt a (nil when the
// connection did not start) from form f.
func (sv *serving) statusView(a *attempt, f form, p Progress) statusView {
	st := statusView{CSRF: sv.csrf, Progress: p, Connected: p.Connected, Diagnosis: p.Diagnosis}
	if a != nil {
		st.Handle = a.handle
		st.Warnings = a.warnings
	}
	if p.Diagnosis == nil {
		return st
	}
	for _, fx := range p.Diagnosis.Fixes {
		next := f.public()
		switch fx.Kind {
		case oauth.FixOpenURL:
			st.Fixes = append(st.Fixes, fixView{Kind: fx.Kind, Label: fx.Label, URL: fx.URL})
			continue
		case oauth.FixRetryEnvironment:
			next.Env = string(fx.Environment)
		case oauth.FixUseMethod:
			next.Method = string(fx.Method)
		case oauth.FixReconnect:
		default:
			continue
		}
		v := next.values()
		v.Set("again", "1")
		fv := fixView{Kind: fx.Kind, Label: fx.Label, Env: string(fx.Environment), Method: string(fx.Method)}
		for _, k := range slices.Sorted(maps.Keys(v)) {
			fv.Params = append(fv.Params, param{k, v.Get(k)})
		}
		st.Fixes = append(st.Fixes, fv)
	}
	return st
}

// fragment renders the status region's HTML.
func (sv *serving) fragment(st statusView) string {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, "status", st); err != nil {
		sv.s.log.Error("rendering the status", "err", err)
		return ""
	}
	return b.String()
}

// attemptView is the page of one attempt, for a browser without
// JavaScript (and a reload).
type attemptView struct {
	Title   string
	CSRF    string
	Status  statusView
	HasOrgs bool
}

// headView is what the layout's head shows: the window title, and the
// navigation.
type headView struct {
	Title   string
	Heading string
	Here    string // "connect" or "orgs"; "" shows no navigation
	Orgs    bool   // there is an Orgs view
	Wide    bool   // the page is a wide table
}

// messageView is a page with a heading and a sentence: access denied, an
// attempt not found.
type messageView struct {
	Title   string
	Heading string
	Text    string
	Back    bool // link back to the form
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
