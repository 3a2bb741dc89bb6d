package oauth

import (
	"html/template"
	"net/http"
)

// page is what the browser shows when it comes back to the callback.
var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .Grant}}Connected{{else}}{{.Diag.Title}}{{end}} — MeshMesh</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;color:#1b1b1b}
h1{font-size:1.4em}.sf{color:#555;font-size:.9em}code{background:#eee;padding:0 .2em}</style></head>
<body><main>
{{if .Grant}}<h1>Connected to {{.Grant.Org.OrgName}}</h1>
<p>Signed in as <strong>{{.Grant.Org.Username}}</strong>. You can close this tab and go back to MeshMesh.</p>
{{else}}<h1>{{.Diag.Title}}</h1>
<p>{{.Diag.Advice}}</p>
{{if or .Diag.SalesforceError .Diag.SalesforceDescription}}<p class="sf">Salesforce said: <code>{{.Diag.SalesforceError}}</code> {{.Diag.SalesforceDescription}}</p>{{end}}
<p class="sf">Code: <code>{{.Diag.Code}}</code>. MeshMesh shows this in its window too; you can close this tab.</p>
{{end}}</main></body></html>
`))

// renderPage writes the success page for g, or the error page for d.
func renderPage(w http.ResponseWriter, status int, g *Grant, d *Diagnosis) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	page.Execute(w, struct {
		Grant *Grant
		Diag  *Diagnosis
	}{g, d})
}
