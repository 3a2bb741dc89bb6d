package sftest

import (
	"bytes"
	"html/template"
	"net/http"
)

// The HTML pages. Form and field names are what Browser submits:
// the login form POSTs username, pw and startURL to /login; the approval
// form POSTs authz and the button oaapprove=Allow or oadeny=Deny to
// /setup/secur/RemoteAccessAuthorizationPage.apexp.
var pages = template.Must(template.New("").Parse(`
{{define "login"}}<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>Login | Salesforce</title></head>
<body><h1>Salesforce</h1>
{{if .Error}}<div id="error" class="loginError" role="alert">{{.Error}}</div>
{{end}}<form id="login_form" name="login" method="post" action="/login">
<label for="username">Username</label>
<input id="username" name="username" type="email" value="{{.Username}}">
<label for="password">Password</label>
<input id="password" name="pw" type="password" value="">
<input type="hidden" name="startURL" value="{{.StartURL}}">
<input id="Login" name="Login" type="submit" value="Log In">
</form></body></html>
{{end}}
{{define "consent"}}<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>Allow Access? | Salesforce</title></head>
<body><h1>Allow Access?</h1>
<p>{{.App}} is asking to:</p>
<ul>{{range .Scopes}}<li>{{.}}</li>{{end}}</ul>
<p>You are logged in as {{.Username}}.</p>
<form id="frm" name="frm" method="post" action="/setup/secur/RemoteAccessAuthorizationPage.apexp">
<input type="hidden" name="authz" value="{{.ID}}">
<input id="oadeny" name="oadeny" type="submit" value="Deny">
<input id="oaapprove" name="oaapprove" type="submit" value="Allow">
</form></body></html>
{{end}}
{{define "error"}}<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>Error | Salesforce</title></head>
<body><h1>OAuth Error</h1>
<p>We can't authorize you because of an OAuth error. For more information, contact your Salesforce administrator.</p>
<p>OAUTH_APPROVAL_ERROR_GENERIC : An unexpected error has occurred during authentication. Please try again.</p>
</body></html>
{{end}}
{{define "expired"}}<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>Link Expired | Salesforce</title></head>
<body><h1>This link has expired</h1>
<p>The link you used has expired or was already used. Log in again.</p>
</body></html>
{{end}}
{{define "home"}}<!DOCTYPE html>
<html><head><meta charset="UTF-8"><title>Home | Salesforce</title></head>
<body><h1>{{.Org}}</h1>
<p id="user">Logged in as {{.Name}} ({{.Username}})</p>
</body></html>
{{end}}
`))

// loginPage is the data of the login page.
type loginPage struct {
	Username, StartURL, Error string
}

// consentPage is the data of the "Allow Access?" page.
type consentPage struct {
	ID, App, Username string
	Scopes            []string
}

// homePage is the data of /lightning/page/home.
type homePage struct {
	Org, Name, Username string
}

// render writes the named page.
func render(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeBody(w, status, "text/html; charset=UTF-8", b.String())
}

func writeLoginPage(w http.ResponseWriter, status int, p loginPage) { render(w, status, "login", p) }
func writeConsentPage(w http.ResponseWriter, p consentPage)         { render(w, http.StatusOK, "consent", p) }
func writeErrorPage(w http.ResponseWriter)                          { render(w, http.StatusOK, "error", nil) }
func writeExpiredPage(w http.ResponseWriter)                        { render(w, http.StatusOK, "expired", nil) }
