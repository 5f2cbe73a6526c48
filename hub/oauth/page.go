package oauth

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// The sign-in and consent page: one server-rendered form, no script, no external resource,
// and a policy that allows only its own inline style (by nonce) and posting to itself (and
// to the client's redirect origin, which browsers check the redirect after the post against).
var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>{{if .Error}}Sign-in error{{else}}Sign in to allow {{.ClientName}}{{end}} · mcp-gateway</title>
<style nonce="{{.Nonce}}">
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1a1a1a}
main{max-width:30rem;margin:3rem auto;background:#fff;padding:2rem;border-radius:8px;border:1px solid #d0d4da}
h1{font-size:1.35rem;margin:0 0 1rem}
dl{margin:0 0 1rem}dt{font-weight:600}dd{margin:0 0 .5rem;word-break:break-all}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;padding:.5rem;font:inherit;border:1px solid #6b7280;border-radius:4px}
.buttons{display:flex;gap:1rem;margin-top:1.5rem}
button{font:inherit;padding:.5rem 1.25rem;border-radius:4px;border:1px solid #1d4ed8;cursor:pointer}
.allow{background:#1d4ed8;color:#fff}.deny{background:#fff;color:#1d4ed8}
.error{background:#fef2f2;border:1px solid #b91c1c;color:#7f1d1d;padding:.5rem .75rem;border-radius:4px}
.note{color:#374151;font-size:.9rem}
</style></head>
<body><main>
{{if .Fatal}}
<h1>This sign-in request cannot be used</h1>
<p class="error" role="alert">{{.Fatal}}</p>
<p class="note">Go back to the application and start again. Nothing was shared.</p>
{{else}}
<h1>Allow {{.ClientName}} to use this hub?</h1>
<dl>
<dt>Application</dt><dd>{{.ClientName}}</dd>
<dt>Client ID</dt><dd>{{.ClientID}}</dd>
<dt>{{if .Document}}Identified by its metadata document at{{else}}Registered with this hub; sends you back to{{end}}</dt><dd>{{if .Document}}{{.DocumentHost}}{{else}}{{.RedirectHost}}{{end}}</dd>
<dt>It asks for</dt><dd>Calling this hub's MCP tools, resources and prompts ({{.Resource}}) as you, with your role's permissions, under the hub's policies and audit trail, for as long as you do not revoke it.</dd>
</dl>
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="/oauth/authorize">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<label for="username">User name</label>
<input type="text" id="username" name="username" autocomplete="username" value="{{.Username}}" required>
<label for="password">Password</label>
<input type="password" id="password" name="password" autocomplete="current-password">
<div class="buttons">
<button class="allow" type="submit" name="action" value="allow">Sign in and allow</button>
<button class="deny" type="submit" name="action" value="deny" formnovalidate>Deny</button>
</div>
</form>
<p class="note">Only allow applications you started yourself. You are sent back to {{.RedirectHost}}.</p>
{{end}}
</main></body></html>
`))

type field struct{ Name, Value string }

type pageData struct {
	Nonce, Fatal, Error                                        string
	ClientName, ClientID, DocumentHost, RedirectHost, Resource string
	Document                                                   bool
	Username                                                   string
	Hidden                                                     []field
}

// consentPage shows the page for a valid request, with an error line if a sign-in failed.
func (s *Server) consentPage(w http.ResponseWriter, r *http.Request, c *checked, status int, errMsg, username string) {
	d := pageData{Error: errMsg, Username: username, ClientID: c.client.ID, ClientName: c.client.Name,
		Resource: c.resource, Document: c.client.Kind == "cimd"}
	if d.ClientName == "" {
		d.ClientName = "an unnamed application"
	}
	if u, err := url.Parse(c.client.ID); err == nil && d.Document {
		d.DocumentHost = u.Host
	}
	redirect, _ := url.Parse(c.redirectURI)
	if redirect != nil {
		d.RedirectHost = redirect.Scheme + "://" + redirect.Host
	}
	v := c.req.values()
	v.Set("redirect_uri", c.redirectURI)
	v.Set("csrf", s.ensureCSRF(w, r))
	for _, name := range append(authParams, "csrf") {
		if val := v.Get(name); val != "" {
			d.Hidden = append(d.Hidden, field{name, val})
		}
	}
	s.render(w, status, d, formTarget(redirect))
}

// formTarget is the CSP source of the client's redirect: its origin, or its scheme for a
// native app's private-use scheme.
func formTarget(u *url.URL) string {
	if u == nil {
		return ""
	}
	if u.Scheme == "http" || u.Scheme == "https" {
		return u.Scheme + "://" + u.Host
	}
	return u.Scheme + ":"
}

// errorPage shows why a request cannot go on, without sending the browser anywhere.
func (s *Server) errorPage(w http.ResponseWriter, status int, msg string) {
	s.render(w, status, pageData{Fatal: msg}, "")
}

func (s *Server) render(w http.ResponseWriter, status int, d pageData, formTo string) {
	var n [16]byte
	_, _ = rand.Read(n[:])
	d.Nonce = base64.RawStdEncoding.EncodeToString(n[:])
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, d); err != nil {
		s.log.Error("oauth: render page", "err", err)
		http.Error(w, "render page", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	formAction := "'self'"
	if formTo != "" && !strings.ContainsAny(formTo, " ;,'") {
		formAction += " " + formTo
	}
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+d.Nonce+"'; form-action "+formAction+
		"; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin") // not no-referrer: with it browsers send "Origin: null" on the form post
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}
