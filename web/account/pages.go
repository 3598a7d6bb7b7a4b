package account

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
)

// pagesCSP: the pages load the admin console's style sheet and nothing else.
const pagesCSP = "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// maxForm bounds a page form's body.
const maxForm = 16 << 10

// pageData fills a page. Step is "forgot", "sent", "set", "done" or
// "broken" (a link that cannot be used); Error the refusal of the form.
type pageData struct {
	Title, Step, Error, Code, Email, Token string
	MailOn                                 bool
	Link                                   *interact.AccountLink
	MinPassword                            int
}

var pages = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · interact</title><link rel="stylesheet" href="/admin/static/admin.css"></head>
<body><header class="top"><span class="brand">interact</span></header>
<main id="main"><h1>{{.Title}}</h1>
{{with .Error}}<p class="error" role="alert" id="account-error" data-code="{{$.Code}}">{{.}}</p>{{end}}
{{if eq .Step "forgot"}}
  {{if .MailOn}}
  <form method="post" action="/password/forgot" class="card narrow">
    <p class="hint">Enter the e-mail address you sign in with. If it has an account, you get a mail with a link to choose a new password.</p>
    <p><label for="email">E-mail</label><input id="email" name="email" type="email" autocomplete="username" required autofocus value="{{.Email}}"></p>
    <button type="submit">Send the link</button>
  </form>
  {{else}}
  <p class="card narrow" id="mail-off">This installation sends no e-mail, so passwords cannot be reset by mail. Ask an administrator of your organisation to set a new password for you.</p>
  {{end}}
{{else if eq .Step "sent"}}
  <p class="card narrow" id="reset-sent" role="status">If an account has the address <strong>{{.Email}}</strong>, a mail with a link to choose a new password is on its way. The link is valid for one hour and can be used once.</p>
{{else if eq .Step "set"}}
  <form method="post" action="/password/set" class="card narrow">
    <input type="hidden" name="token" value="{{.Token}}">
    <p class="hint">{{if eq .Link.Purpose "invitation"}}Welcome!{{end}} Choose the password of <strong>{{.Link.User.Email}}</strong> at <strong>{{.Link.Tenant.Name}}</strong>.</p>
    <p><label for="password">New password (at least {{.MinPassword}} characters)</label><input id="password" name="password" type="password" autocomplete="new-password" required minlength="{{.MinPassword}}" autofocus></p>
    <p><label for="password2">The same again</label><input id="password2" name="password2" type="password" autocomplete="new-password" required minlength="{{.MinPassword}}"></p>
    <button type="submit">Set password</button>
  </form>
{{else if eq .Step "done"}}
  <p class="card narrow" id="password-set" role="status">Your password is set; you were signed out everywhere else. Sign in to the <a href="/agent">agent console</a> or the <a href="/admin/signin">admin console</a>.</p>
{{else}}
  <p class="card narrow">Ask for a new link on the <a href="/password/forgot">Forgot password?</a> page, or sign in to the <a href="/agent">agent console</a> or the <a href="/admin/signin">admin console</a>.</p>
{{end}}
</main></body></html>
`))

func (s *API) render(w http.ResponseWriter, status int, p pageData) error {
	p.MailOn, p.MinPassword = s.MailOn(), interact.MinPasswordLen
	var buf bytes.Buffer
	if err := pages.Execute(&buf, p); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pagesCSP)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	return nil
}

// fail renders the page of step again with the refusal.
func (s *API) fail(w http.ResponseWriter, p pageData, err error) error {
	p.Error, p.Code = interact.ErrorMessage(err), interact.ErrorCode(err)
	if p.Code == interact.EINTERNAL {
		s.cfg.Logger.Error("account page", "err", err)
	}
	return s.render(w, endpoint.StatusOf(err), p)
}

// readForm applies the cross-site check and parses a page's form.
func (s *API) readForm(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.CSRF.Check(r); err != nil {
		return interact.Errorf(interact.ECSRF, "Cross-site request refused.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return interact.Errorf(interact.EINVALID, "The form could not be read.")
	}
	return nil
}

func (s *API) forgotPage(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, http.StatusOK, pageData{Title: "Forgot password?", Step: "forgot"})
}

func (s *API) forgotPost(w http.ResponseWriter, r *http.Request) error {
	p := pageData{Title: "Forgot password?", Step: "forgot"}
	if err := s.readForm(w, r); err != nil {
		return s.fail(w, p, err)
	}
	p.Email = r.PostFormValue("email")
	if err := s.reset(r, p.Email); err != nil {
		return s.fail(w, p, err)
	}
	p.Step = "sent"
	return s.render(w, http.StatusOK, p)
}

func (s *API) setPage(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	l, err := s.store.AccountLink(r.Context(), token)
	if err != nil {
		return s.fail(w, pageData{Title: "This link cannot be used", Step: "broken"}, err)
	}
	return s.render(w, http.StatusOK, pageData{Title: titleOf(l), Step: "set", Token: token, Link: l})
}

func (s *API) setPost(w http.ResponseWriter, r *http.Request) error {
	if err := s.readForm(w, r); err != nil {
		return s.fail(w, pageData{Title: "Set password", Step: "broken"}, err)
	}
	token := r.PostFormValue("token")
	l, err := s.store.AccountLink(r.Context(), token)
	if err != nil {
		return s.fail(w, pageData{Title: "This link cannot be used", Step: "broken"}, err)
	}
	p := pageData{Title: titleOf(l), Step: "set", Token: token, Link: l}
	if r.PostFormValue("password") != r.PostFormValue("password2") {
		return s.fail(w, p, interact.Errorf(interact.EINVALID, "The two passwords differ."))
	}
	if _, err := s.setPassword(r.Context(), token, r.PostFormValue("password")); err != nil {
		return s.fail(w, p, err)
	}
	return s.render(w, http.StatusOK, pageData{Title: "Password set", Step: "done"})
}

func titleOf(l *interact.AccountLink) string {
	if l.Purpose == interact.MailInvitation {
		return "Welcome: choose your password"
	}
	return "Choose a new password"
}
