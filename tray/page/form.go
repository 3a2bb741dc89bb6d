package page

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
)

// The names of the form's fields, as posted and as element ids.
const (
	fieldMethod   = "method"
	fieldEnv      = "env"
	fieldDomain   = "domain"
	fieldClientID = "client_id"
	fieldSecret   = "client_secret"
	fieldScopes   = "scopes"
	fieldAlias    = "alias"
)

// fieldOrder is the order of the fields on the page, for the error summary.
var fieldOrder = []string{fieldMethod, fieldEnv, fieldDomain, fieldClientID, fieldSecret, fieldScopes, fieldAlias}

// maxSecretLen is the longest consumer secret the page takes, as the
// command line.
const maxSecretLen = 4096

// form is the connection form as the user filled it in, every field as
// typed. Only Secret is secret: it is never rendered, never put in a URL.
type form struct {
	Method   string
	Env      string
	Domain   string
	ClientID string
	Secret   string
	Scopes   string
	Alias    string
}

// defaultForm is the form as the page first shows it.
func defaultForm() form {
	return form{
		Method: string(oauth.QuickConnect),
		Env:    string(oauth.Production),
		Scopes: strings.Join(oauth.DefaultScopes, " "),
	}
}

// formFrom reads a form from posted values.
func formFrom(v url.Values) form {
	return form{
		Method:   strings.TrimSpace(v.Get(fieldMethod)),
		Env:      strings.TrimSpace(v.Get(fieldEnv)),
		Domain:   strings.TrimSpace(v.Get(fieldDomain)),
		ClientID: strings.TrimSpace(v.Get(fieldClientID)),
		Secret:   strings.TrimSpace(v.Get(fieldSecret)),
		Scopes:   strings.TrimSpace(v.Get(fieldScopes)),
		Alias:    strings.TrimSpace(v.Get(fieldAlias)),
	}
}

// prefill reads the non-secret fields of a form from a URL's query (the
// fix buttons of a page without JavaScript link there), over the defaults.
// A secret in a URL is ignored.
func prefill(q url.Values) form {
	f := defaultForm()
	for name, dst := range map[string]*string{
		fieldMethod: &f.Method, fieldEnv: &f.Env, fieldDomain: &f.Domain,
		fieldClientID: &f.ClientID, fieldScopes: &f.Scopes, fieldAlias: &f.Alias,
	} {
		if q.Has(name) {
			*dst = strings.TrimSpace(q.Get(name))
		}
	}
	return f
}

// public returns f without its secret.
func (f form) public() form {
	f.Secret = ""
	return f
}

// values returns the non-secret fields of f as a query.
func (f form) values() url.Values {
	v := url.Values{}
	for name, val := range map[string]string{
		fieldMethod: f.Method, fieldEnv: f.Env, fieldDomain: f.Domain,
		fieldClientID: f.ClientID, fieldScopes: f.Scopes, fieldAlias: f.Alias,
	} {
		if val != "" {
			v.Set(name, val)
		}
	}
	return v
}

// problem is what is wrong with one field: a title for the error summary
// and the text shown next to the field.
type problem struct {
	Title string
	Text  string
}

// checked is the outcome of checking a form: the errors that stop it, by
// field, and the warnings that do not.
type checked struct {
	Errors   map[string]problem
	Warnings map[string]string
}

func (c checked) ok() bool { return len(c.Errors) == 0 }

// warningList returns the warnings in page order.
func (c checked) warningList() []string {
	var out []string
	for _, f := range fieldOrder {
		if w, ok := c.Warnings[f]; ok {
			out = append(out, w)
		}
	}
	return out
}

// check checks f as the engine and the command line would, and returns the
// request it asks for. Fields the method does not use are not checked.
func check(f form, s oauth.Settings) (Request, checked) {
	c := checked{Errors: map[string]problem{}, Warnings: map[string]string{}}
	req := Request{Alias: f.Alias}

	m, err := oauth.ParseMethod(f.Method)
	switch {
	case err != nil:
		c.Errors[fieldMethod] = problem{"Connection method missing", "Pick Quick Connect, Custom Connected App or MeshMesh Connected App."}
	case m == oauth.MeshMeshApp && s.ECAClientID == "":
		c.Errors[fieldMethod] = problem{"MeshMesh Connected App not configured",
			"This build has no consumer key for the MeshMesh Connected App (it is pre-release). Use Quick Connect or a Custom Connected App instead."}
	}
	req.Method = m

	env, err := oauth.ParseEnvironment(f.Env)
	if err != nil {
		c.Errors[fieldEnv] = problem{"Environment missing", "Pick Production, Sandbox or Custom Domain."}
	} else {
		req.Target = oauth.Target{Environment: env, Domain: f.Domain}
		if _, err := s.LoginURL(req.Target); err != nil {
			c.Errors[fieldDomain] = problemOf(err)
		} else if w := req.Target.Warnings(); len(w) > 0 {
			c.Warnings[fieldDomain] = strings.Join(w, " ")
		}
	}

	if m == oauth.CustomApp {
		req.ClientID, req.ClientSecret = f.ClientID, f.Secret
		if f.ClientID == "" {
			c.Errors[fieldClientID] = problem{"Client ID missing",
				"Enter your connected app's Consumer Key: Setup → App Manager → your app → View → Manage Consumer Details."}
		}
		if len(f.Secret) > maxSecretLen {
			c.Errors[fieldSecret] = problem{"Client secret too long",
				fmt.Sprintf("A consumer secret has at most %d characters: copy it again from Manage Consumer Details.", maxSecretLen)}
		}
	}

	if m == oauth.CustomApp || m == oauth.MeshMeshApp {
		req.Scopes = parseScopes(f.Scopes)
		if missing := oauth.MissingScopes(req.Scopes); len(missing) > 0 {
			c.Errors[fieldScopes] = problem{"Scopes incomplete",
				fmt.Sprintf("The scopes lack %s. MeshMesh needs at least api, refresh_token (or offline_access) and web: use %q.",
					strings.Join(missing, " and "), strings.Join(oauth.DefaultScopes, " "))}
		}
	}

	if f.Alias != "" {
		if err := keychain.ValidateAlias(f.Alias); err != nil {
			c.Errors[fieldAlias] = problemOf(err)
		}
	}
	return req, c
}

// problemOf turns a diagnosis into a field's problem.
func problemOf(err error) problem {
	var d *oauth.Diagnosis
	if errors.As(err, &d) {
		return problem{d.Title, d.Advice}
	}
	return problem{"Invalid value", err.Error()}
}

// parseScopes splits scopes as the command line does: on spaces and
// commas.
func parseScopes(s string) []string {
	return strings.Fields(strings.ReplaceAll(s, ",", " "))
}
