// Package adminconsole is interact's admin console: server-rendered pages under /admin (html/template,
// templates embedded from templates/admin) with one small script for the
// snippet's Copy button, live origin validation and the origin tester.
//
// Pages sign in with the same session cookie as POST /api/v1/session. Every
// form carries the session's CSRF token in a hidden field and every POST is
// also checked by http.CrossOriginProtection. A successful POST redirects
// (POST-redirect-GET) with a one-time flash message; a refused one renders
// the page again with the store's message next to the form, changing
// nothing. Every change goes through the store with the signed-in actor, so
// permissions and the audit log are the API's. Pages answer under a strict
// Content-Security-Policy (scripts and styles from 'self' only).
//
// It owns the pages, their forms and templates. It does not own the rules
// (the store's) nor the REST API (adminapi).
package adminconsole

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
	"github.com/interact-oss/interact/web/static"
)

//go:embed templates/admin
var adminFS embed.FS

// interactOff reports whether the operator switched Interact off.
func (s *Console) interactOff() bool { return s.cfg.InteractOff }

// adminCSP is the console's Content-Security-Policy.
const adminCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

const flashCookie = "interact_flash"

// adminConsoleRoutes are the admin console's pages.
func (s *Console) adminConsoleRoutes() []endpoint.Route {
	get := func(p string, view func(*adminReq) error) endpoint.Route {
		return endpoint.Route{Method: "GET", Path: p, Tag: "admin", Summary: "Admin console page.", H: s.adminView(view)}
	}
	post := func(p string, act adminAction, view func(*adminReq) error) endpoint.Route {
		return endpoint.Route{Method: "POST", Path: p, Tag: "admin", Summary: "Admin console form.", H: s.adminPost(act, view)}
	}
	return []endpoint.Route{
		{Method: "GET", Path: "/admin", Tag: "admin", Summary: "Admin console.", H: func(w http.ResponseWriter, r *http.Request) error {
			http.Redirect(w, r, "/admin/services", http.StatusSeeOther)
			return nil
		}},
		{Method: "GET", Path: "/admin/static/{file}", Tag: "admin", Summary: "Admin console assets.", H: s.adminStatic},
		{Method: "GET", Path: "/admin/signin", Tag: "admin", Summary: "Sign-in page.", H: s.signinPage},
		{Method: "POST", Path: "/admin/signin", Tag: "admin", Summary: "Sign in.", H: s.signinPost},
		{Method: "POST", Path: "/admin/signout", Tag: "admin", Summary: "Sign out.", H: s.signoutPost},
		{Method: "POST", Path: "/admin/api/validate-origins", Tag: "admin", Summary: "Validate domain template entries.", H: s.validateOrigins},
		{Method: "POST", Path: "/admin/api/validate-widget", Tag: "admin", Summary: "Validate the widget settings of a service or user as they are typed.", H: s.validateWidget},

		get("/admin/tenant", viewTenant),
		post("/admin/tenant", actTenant, viewTenant),

		get("/admin/tenants", viewTenants),
		post("/admin/tenants", actCreateTenant, viewTenants),
		post("/admin/tenants/{id}/state", actTenantState, viewTenants),

		get("/admin/ous", viewOUs),
		post("/admin/ous", actCreateOU, viewOUs),
		post("/admin/ous/{id}", actUpdateOU, viewOUs),
		get("/admin/ous/{id}/delete", confirmView(deleteOUOf)),
		post("/admin/ous/{id}/delete", confirmed(actDeleteOU), confirmView(deleteOUOf)),

		get("/admin/users", viewUsers),
		post("/admin/users", actCreateUser, viewUsers),
		get("/admin/users/{id}", viewUser),
		post("/admin/users/{id}", actUpdateUser, viewUser),
		post("/admin/users/{id}/roles", actAddRole, viewUser),
		post("/admin/users/{id}/roles/remove", actRemoveRole, viewUser),
		post("/admin/users/{id}/password", actPassword, viewUser),
		post("/admin/users/{id}/tokens", nil, viewCreateToken), // renders the secret once
		get("/admin/users/{id}/tokens/{tokenId}/delete", confirmView(revokeTokenOf)),
		post("/admin/users/{id}/tokens/{tokenId}/delete", confirmed(actDeleteToken), confirmView(revokeTokenOf)),
		get("/admin/users/{id}/delete", confirmView(deleteUserOf)),
		post("/admin/users/{id}/delete", confirmed(actDeleteUser), confirmView(deleteUserOf)),
		get("/admin/users/{id}/interact", viewUserInteract),
		post("/admin/users/{id}/interact", actInteract(interact.OwnerUser), viewUserInteract),
		post("/admin/users/{id}/interact/rotate", actRotate(interact.OwnerUser), viewUserInteract),
		get("/admin/users/{id}/widget", viewWidget(interact.OwnerUser)),
		post("/admin/users/{id}/widget", actWidget(interact.OwnerUser), viewWidget(interact.OwnerUser)),
		post("/admin/users/{id}/widget/texts", actWidgetTexts(interact.OwnerUser), viewWidget(interact.OwnerUser)),
		get("/admin/users/{id}/widget/reset", confirmView(resetWidgetOf(interact.OwnerUser))),
		post("/admin/users/{id}/widget/reset", confirmed(actResetWidget(interact.OwnerUser)), confirmView(resetWidgetOf(interact.OwnerUser))),

		get("/admin/services", viewServices),
		post("/admin/services", actCreateService, viewServices),
		get("/admin/services/{id}", viewServiceTab("general")),
		post("/admin/services/{id}", actServiceGeneral, viewServiceTab("general")),
		get("/admin/services/{id}/delete", confirmView(deleteServiceOf)),
		post("/admin/services/{id}/delete", confirmed(actDeleteService), confirmView(deleteServiceOf)),
		get("/admin/services/{id}/members", viewServiceTab("members")),
		post("/admin/services/{id}/members", actPutMember, viewServiceTab("members")),
		post("/admin/services/{id}/members/{userId}/delete", actDeleteMember, viewServiceTab("members")),
		get("/admin/services/{id}/distribution", viewServiceTab("distribution")),
		post("/admin/services/{id}/distribution", actDistribution, viewServiceTab("distribution")),
		get("/admin/services/{id}/messages", viewServiceTab("messages")),
		post("/admin/services/{id}/messages", actMessages, viewServiceTab("messages")),
		get("/admin/services/{id}/interact", viewServiceTab("interact")),
		post("/admin/services/{id}/interact", actInteract(interact.OwnerService), viewServiceTab("interact")),
		post("/admin/services/{id}/interact/rotate", actRotate(interact.OwnerService), viewServiceTab("interact")),
		get("/admin/services/{id}/hours", viewServiceTab("hours")),
		post("/admin/services/{id}/hours", actHours, viewServiceTab("hours")),
		get("/admin/services/{id}/widget", viewWidget(interact.OwnerService)),
		post("/admin/services/{id}/widget", actWidget(interact.OwnerService), viewWidget(interact.OwnerService)),
		post("/admin/services/{id}/widget/texts", actWidgetTexts(interact.OwnerService), viewWidget(interact.OwnerService)),
		get("/admin/services/{id}/widget/reset", confirmView(resetWidgetOf(interact.OwnerService))),
		post("/admin/services/{id}/widget/reset", confirmed(actResetWidget(interact.OwnerService)), confirmView(resetWidgetOf(interact.OwnerService))),

		get("/admin/templates", viewTemplates),
		post("/admin/templates", actCreateTemplate, viewTemplates),
		get("/admin/templates/{id}", viewTemplate),
		post("/admin/templates/{id}", actUpdateTemplate, viewTemplate),
		get("/admin/templates/{id}/delete", confirmView(deleteTemplateOf)),
		post("/admin/templates/{id}/delete", confirmed(actDeleteTemplate), confirmView(deleteTemplateOf)),

		get("/admin/calendars", viewCalendars),
		post("/admin/calendars", actCreateCalendar, viewCalendars),
		get("/admin/calendars/{id}", viewCalendar),
		post("/admin/calendars/{id}", actUpdateCalendar, viewCalendar),
		get("/admin/calendars/{id}/delete", confirmView(deleteCalendarOf)),
		post("/admin/calendars/{id}/delete", confirmed(actDeleteCalendar), confirmView(deleteCalendarOf)),

		get("/admin/audit", viewAudit),
		get("/admin/sessions", viewSessions),
		get("/admin/outbox", viewOutbox),
	}
}

// adminReq is one console request by a signed-in administrator.
type adminReq struct {
	s      *Console
	w      http.ResponseWriter
	r      *http.Request
	a      interact.Actor
	csrf   string
	me     *interact.User
	tenant *interact.Tenant
	// form and err: the form that failed and why (rendered next to it).
	form   string
	err    error
	status int
	flash  string
	extra  map[string]any // what an action hands to the page it renders (a token's secret)
}

// adminAction performs a POST; it returns where to go next and the flash
// message to show there.
type adminAction func(q *adminReq) (next, flash string, err error)

// adminSession authenticates a console request. ok is false when it has
// answered (a redirect to the sign-in page, or a refusal).
func (s *Console) adminSession(w http.ResponseWriter, r *http.Request) (*adminReq, bool) {
	q := &adminReq{s: s, w: w, r: r, status: http.StatusOK}
	c, err := r.Cookie(endpoint.SessionCookie)
	if err == nil {
		q.a, q.csrf, err = s.store.SessionActor(r.Context(), c.Value)
	}
	if err != nil {
		next := "/admin/signin"
		if r.Method == http.MethodGet {
			next += "?next=" + url.QueryEscape(r.URL.RequestURI())
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil, false
	}
	if q.me, err = s.store.User(r.Context(), q.a, q.a.UserID); err != nil {
		q.fail(err)
		return nil, false
	}
	q.tenant, _ = s.store.Tenant(r.Context(), q.a, q.a.TenantID)
	if !q.a.IsAdmin() && !q.a.IsOperator() {
		q.status = http.StatusForbidden
		q.render("error", "Not an administrator", map[string]any{"Message": "This console is for administrators. Your account has no administrative role."})
		return nil, false
	}
	if ck, err := r.Cookie(flashCookie); err == nil {
		q.flash, _ = url.QueryUnescape(ck.Value)
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/admin", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	return q, true
}

func (s *Console) adminView(view func(*adminReq) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, ok := s.adminSession(w, r)
		if !ok {
			return nil
		}
		if err := view(q); err != nil {
			q.fail(err)
		}
		return nil
	}
}

// maxForm bounds a console form's body.
const maxForm = 64 << 10

// checkForm applies the cross-site checks to a console POST: the browser's
// Sec-Fetch-Site/Origin (http.CrossOriginProtection) and the session's CSRF
// token in the form's "csrf" field.
func (s *Console) checkForm(w http.ResponseWriter, r *http.Request, csrf string) error {
	if err := s.csrf.Check(r); err != nil {
		return interact.Errorf(interact.ECSRF, "Cross-site request refused.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return interact.Errorf(interact.EINVALID, "The form could not be read.")
	}
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(csrf)) != 1 || csrf == "" {
		return interact.Errorf(interact.ECSRF, "The form has expired or did not come from this console. Reload the page and try again.")
	}
	return nil
}

func (s *Console) adminPost(act adminAction, view func(*adminReq) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.crossSite(w, r) {
			return nil
		}
		q, ok := s.adminSession(w, r)
		if !ok {
			return nil
		}
		if err := s.checkForm(w, r, q.csrf); err != nil {
			q.fail(err)
			return nil
		}
		q.form = r.PostFormValue("form")
		if act == nil { // the view itself acts (and renders what it made)
			if err := view(q); err != nil {
				q.fail(err)
			}
			return nil
		}
		next, flash, err := act(q)
		if err != nil {
			if interact.ErrorCode(err) == interact.EINTERNAL {
				s.log.Error("console action failed", slog.String("path", r.URL.Path), slog.Any("err", err))
			}
			q.err, q.status = err, endpoint.StatusOf(err)
			if verr := view(q); verr != nil {
				q.fail(verr)
			}
			return nil
		}
		s.changed(q.a.TenantID)
		if flash != "" {
			http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(flash), Path: "/admin", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
}

// crossSite refuses a POST from another site before anything else (a
// cross-site form carries no SameSite session cookie, and must not end on
// the sign-in page as if it were merely signed out).
func (s *Console) crossSite(w http.ResponseWriter, r *http.Request) bool {
	if s.csrf.Check(r) == nil {
		return false
	}
	s.writePage(w, http.StatusForbidden, "error", pageData{Title: "Refused", Form: "page",
		D: map[string]any{"Message": "Cross-site request refused.", "Code": interact.ECSRF}})
	return true
}

// fail renders an error page for an error no form can show.
func (q *adminReq) fail(err error) {
	if interact.ErrorCode(err) == interact.EINTERNAL {
		q.s.log.Error("console page failed", slog.String("path", q.r.URL.Path), slog.Any("err", err))
	}
	q.status = endpoint.StatusOf(err)
	title := map[int]string{http.StatusNotFound: "Not found", http.StatusForbidden: "Not allowed"}[q.status]
	if title == "" {
		title = "Something went wrong"
	}
	q.render("error", title, map[string]any{"Message": interact.ErrorMessage(err), "Code": interact.ErrorCode(err)})
}

// pageData is what every page template gets.
type pageData struct {
	Title       string
	Nav         string
	CSRF        string
	Me          *interact.User
	Actor       interact.Actor
	Tenant      *interact.Tenant
	Flash       string
	Form        string // the form that failed
	Error       string // and why
	ErrorCode   string
	Values      url.Values // what the failed form held
	OperatorOff bool
	D           any
}

// Err returns the error message for form name, or "".
func (p pageData) Err(name string) string {
	if p.Form == name {
		return p.Error
	}
	return ""
}

// Val returns the submitted value of a field of the failed form name, else def.
func (p pageData) Val(name, field, def string) string {
	if p.Form == name && p.Values != nil {
		if _, ok := p.Values[field]; ok {
			return p.Values.Get(field)
		}
	}
	return def
}

var adminFuncs = template.FuncMap{
	"time": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return ""
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		case *time.Time:
			if v == nil {
				return ""
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return ""
	},
	"ms": func(ms int64) string { return (time.Duration(ms) * time.Millisecond).Round(time.Second).String() },
	"dur": func(d time.Duration) string {
		if d%time.Hour == 0 {
			return strings.TrimSuffix(d.String(), "0m0s")
		}
		return d.String()
	},
	"pretty": func(b json.RawMessage) string {
		if len(b) == 0 || string(b) == "null" {
			return "—"
		}
		var out bytes.Buffer
		if json.Indent(&out, b, "", "  ") != nil {
			return string(b)
		}
		return out.String()
	},
	"licence": licenceName,
	"role":    roleName,
	"kind":    kindName,
	"has":     func(list []string, s string) bool { return slices.Contains(list, s) },
	"args":    func(v ...any) []any { return v },
	"lines":   func(list []string) string { return strings.Join(list, "\n") },
	"deref": func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	},
}

var adminTemplates = sync.OnceValue(func() map[string]*template.Template {
	m := map[string]*template.Template{}
	pages, err := fs.Glob(adminFS, "templates/admin/*.html")
	if err != nil {
		panic(err)
	}
	for _, p := range pages {
		name := strings.TrimSuffix(path.Base(p), ".html")
		if name == "layout" || name == "partials" {
			continue
		}
		m[name] = template.Must(template.New(name).Funcs(adminFuncs).ParseFS(adminFS,
			"templates/admin/layout.html", "templates/admin/partials.html", p))
	}
	return m
})

// render writes a page (name is its template file) with the layout.
func (q *adminReq) render(name, title string, d any) {
	p := pageData{Title: title, CSRF: q.csrf, Me: q.me, Actor: q.a, Tenant: q.tenant, Flash: q.flash, D: d,
		OperatorOff: q.s.interactOff(), Nav: navOf(q.r.URL.Path)}
	if q.err != nil {
		p.Form, p.Error, p.ErrorCode = q.form, interact.ErrorMessage(q.err), interact.ErrorCode(q.err)
		if p.Form == "" {
			p.Form = "page"
		}
		p.Values = q.r.PostForm
	}
	q.s.writePage(q.w, q.status, name, p)
}

func (s *Console) writePage(w http.ResponseWriter, status int, name string, p pageData) {
	t, ok := adminTemplates()[name]
	if !ok {
		http.Error(w, "no such page", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		s.log.Error("render console page", slog.String("page", name), slog.Any("err", err))
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", adminCSP)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func navOf(p string) string {
	parts := strings.Split(strings.TrimPrefix(p, "/admin/"), "/")
	return parts[0]
}

// adminAssets are the console's script and style sheets, compressed once.
var adminAssets = sync.OnceValue(func() *static.Set {
	sub, _ := fs.Sub(adminFS, "templates/admin/static")
	return static.NewSet(sub, "*")
})

// adminStatic serves the console's script and style sheet, gzipped when
// the browser accepts it; "no-cache" makes each page load revalidate them
// by ETag (a 304 without a body), so a new version shows at once.
func (s *Console) adminStatic(w http.ResponseWriter, r *http.Request) error {
	if err := adminAssets().Serve(w, r, r.PathValue("file"), "no-cache"); err != nil {
		http.NotFound(w, r)
	}
	return nil
}

// Sign-in.

// signinData fills the sign-in page. Tenants, after a tenant_required
// answer, are the organisations to choose from: the address and password
// fit a user in each.
type signinData struct {
	Next, Email string
	Tenants     []interact.TenantChoice
}

func (s *Console) signinPage(w http.ResponseWriter, r *http.Request) error {
	s.writePage(w, http.StatusOK, "signin", pageData{Title: "Sign in", D: signinData{Next: safeNext(r.URL.Query().Get("next"))}})
	return nil
}

// safeNext keeps a post-sign-in target inside the console.
func safeNext(n string) string {
	if !strings.HasPrefix(n, "/admin") || strings.HasPrefix(n, "//") || strings.ContainsAny(n, "\\\r\n") {
		return "/admin/services"
	}
	return n
}

func (s *Console) signinPost(w http.ResponseWriter, r *http.Request) error {
	fail := func(err error) error {
		p := pageData{Title: "Sign in", Form: "signin", Error: interact.ErrorMessage(err), ErrorCode: interact.ErrorCode(err),
			D: signinData{Next: safeNext(r.PostFormValue("next")), Email: r.PostFormValue("email"), Tenants: interact.ErrorTenants(err)}}
		s.writePage(w, endpoint.StatusOf(err), "signin", p)
		return nil
	}
	if err := s.csrf.Check(r); err != nil {
		return fail(interact.Errorf(interact.ECSRF, "Cross-site request refused."))
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return fail(interact.Errorf(interact.EINVALID, "The form could not be read."))
	}
	email, addr := r.PostFormValue("email"), endpoint.ClientAddr(r)
	if err := s.cfg.SignIn.Check(w, email, addr); err != nil {
		return fail(err)
	}
	token, _, _, err := s.store.Login(r.Context(), email, r.PostFormValue("password"), r.PostFormValue("tenantId"))
	if err != nil {
		if interact.ErrorCode(err) == interact.EUNAUTHORIZED {
			s.cfg.SignIn.Failed(email, addr)
		}
		return fail(err)
	}
	http.SetCookie(w, &http.Cookie{
		Name: endpoint.SessionCookie, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: strings.HasPrefix(s.cfg.PublicURL, "https://") || r.TLS != nil,
	})
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
	return nil
}

func (s *Console) signoutPost(w http.ResponseWriter, r *http.Request) error {
	if s.crossSite(w, r) {
		return nil
	}
	q, ok := s.adminSession(w, r)
	if !ok {
		return nil
	}
	if err := s.checkForm(w, r, q.csrf); err != nil {
		q.fail(err)
		return nil
	}
	if c, err := r.Cookie(endpoint.SessionCookie); err == nil {
		if err := s.store.Logout(r.Context(), c.Value); err != nil {
			q.fail(err)
			return nil
		}
		s.cfg.Revoked(q.a.UserID)
	}
	http.SetCookie(w, &http.Cookie{Name: endpoint.SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/admin/signin", http.StatusSeeOther)
	return nil
}

// validateOrigins answers the template editor's live validation:
// {"origins":[…]} → one result per entry, plus the whole list's verdict
// (duplicates, count). Session and X-CSRF-Token as for the JSON API.
func (s *Console) validateOrigins(w http.ResponseWriter, r *http.Request) error {
	r, err := s.authorize(r)
	if err != nil {
		return err
	}
	var req struct {
		Origins []string `json:"origins"`
	}
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	type entry struct {
		Entry     string `json:"entry"`
		Canonical string `json:"canonical,omitempty"`
		Error     string `json:"error,omitempty"`
	}
	out := struct {
		Entries []entry `json:"entries"`
		Error   string  `json:"error,omitempty"`
	}{Entries: []entry{}}
	if len(req.Origins) > 200 {
		return interact.Errorf(interact.EINVALID, "At most 200 entries can be checked at once.")
	}
	for _, e := range req.Origins {
		p, err := interact.ParseOriginPattern(e)
		if err != nil {
			out.Entries = append(out.Entries, entry{Entry: e, Error: interact.ErrorMessage(err)})
			continue
		}
		out.Entries = append(out.Entries, entry{Entry: e, Canonical: p.String()})
	}
	if _, err := interact.CanonicalOrigins(req.Origins); err != nil {
		out.Error = interact.ErrorMessage(err)
	}
	endpoint.WriteJSON(w, http.StatusOK, out)
	return nil
}
