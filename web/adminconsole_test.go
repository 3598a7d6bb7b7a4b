package web_test

// The admin console over HTTP: a cookie-jar client that follows the
// console's forms as a browser without JavaScript would.

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web"
)

// console is one browser on the admin console.
type console struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string // the session's CSRF token, read from the last page
}

// cpage is an answer with its body read.
type cpage struct {
	status   int
	location string
	header   http.Header
	body     string
}

func (p cpage) has(s string) bool { return strings.Contains(p.body, s) }

func (e *env) console(t *testing.T) *console {
	jar, _ := cookiejar.New(nil)
	return &console{t: t, base: e.url, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *console) do(req *http.Request) cpage {
	c.t.Helper()
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	p := cpage{status: res.StatusCode, location: res.Header.Get("Location"), header: res.Header, body: string(b)}
	if m := csrfField.FindStringSubmatch(p.body); m != nil {
		c.csrf = m[1]
	}
	return p
}

func (c *console) get(path string) cpage {
	c.t.Helper()
	req, _ := http.NewRequestWithContext(c.t.Context(), "GET", c.base+path, nil)
	return c.do(req)
}

// post submits a form with the session's CSRF token (unless the form sets
// csrf itself) and headers (e.g. Sec-Fetch-Site).
func (c *console) post(path string, form url.Values, hdr ...string) cpage {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", c.csrf)
	}
	req, _ := http.NewRequestWithContext(c.t.Context(), "POST", c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return c.do(req)
}

// ok submits a form that must succeed (303) and returns the page it leads to.
func (c *console) ok(path string, form url.Values) cpage {
	c.t.Helper()
	p := c.post(path, form)
	if p.status != http.StatusSeeOther {
		c.t.Fatalf("POST %s: status %d, want 303; page: %s", path, p.status, errorsOf(p))
	}
	return c.get(p.location)
}

// refused submits a form that must fail with status and show want.
func (c *console) refused(path string, form url.Values, status int, want string) cpage {
	c.t.Helper()
	p := c.post(path, form)
	if p.status != status || !p.has(html.EscapeString(want)) {
		c.t.Fatalf("POST %s: status %d, want %d with %q; errors shown: %s", path, p.status, status, want, errorsOf(p))
	}
	return p
}

var errorText = regexp.MustCompile(`(?s)<p class="error"[^>]*>(.*?)</p>`)

func errorsOf(p cpage) string {
	var out []string
	for _, m := range errorText.FindAllStringSubmatch(p.body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	if out == nil && len(p.body) < 400 {
		return p.body
	}
	return strings.Join(out, " | ")
}

func (c *console) signIn(email, password string) {
	c.t.Helper()
	c.get("/admin/signin")
	p := c.post("/admin/signin", url.Values{"email": {email}, "password": {password}, "next": {"/admin/services"}})
	if p.status != http.StatusSeeOther || p.location != "/admin/services" {
		c.t.Fatalf("sign in: %d %q; %s", p.status, p.location, errorsOf(p))
	}
	if p = c.get("/admin/services"); p.status != 200 || c.csrf == "" {
		c.t.Fatalf("services after sign-in: %d, csrf %q", p.status, c.csrf)
	}
}

var idIn = regexp.MustCompile(`/admin/(?:services|users|templates)/([A-Za-z0-9_-]+)$`)

// created returns the id at the end of the URL a create redirected to.
func created(t *testing.T, p cpage, loc string) string {
	t.Helper()
	m := idIn.FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("create led to %q", loc)
	}
	return m[1]
}

func (c *console) create(path string, form url.Values) string {
	c.t.Helper()
	p := c.post(path, form)
	if p.status != http.StatusSeeOther {
		c.t.Fatalf("POST %s: status %d, want 303; %s", path, p.status, errorsOf(p))
	}
	return created(c.t, p, p.location)
}

func TestAdminConsoleSignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	c := e.console(t)

	p := c.get("/admin/services")
	if p.status != http.StatusSeeOther || p.location != "/admin/signin?next=%2Fadmin%2Fservices" {
		t.Fatalf("signed out: %d %q, want a redirect to the sign-in page", p.status, p.location)
	}
	p = c.get("/admin/signin")
	if p.status != 200 || !p.has(`<label for="email">`) || !p.has(`<label for="password">`) {
		t.Fatalf("sign-in page: %d", p.status)
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("sign-in page CSP %q", csp)
	}
	p = c.post("/admin/signin", url.Values{"email": {adminEmail}, "password": {"wrong password"}})
	if p.status != 401 || !strings.Contains(errorsOf(p), "") || !p.has(`role="alert"`) || !p.has(`value="`+adminEmail+`"`) {
		t.Fatalf("wrong password: %d; %s", p.status, errorsOf(p))
	}
	// A sign-in form posted from another site is refused.
	p = c.post("/admin/signin", url.Values{"email": {adminEmail}, "password": {adminPassword}}, "Sec-Fetch-Site", "cross-site")
	if p.status != 403 || !strings.Contains(errorsOf(p), "Cross-site request refused.") {
		t.Fatalf("cross-site sign-in: %d %s", p.status, errorsOf(p))
	}
	// The next target stays inside the console.
	p = c.post("/admin/signin", url.Values{"email": {adminEmail}, "password": {adminPassword}, "next": {"//evil.test/x"}})
	if p.status != http.StatusSeeOther || p.location != "/admin/services" {
		t.Fatalf("sign in: %d %q", p.status, p.location)
	}
	// The console's cookie is the API's session.
	var who struct {
		User interact.User `json:"user"`
	}
	cl := &client{base: e.url, hc: &http.Client{Jar: c.hc.Jar}}
	cl.ok(t, "GET", "/api/v1/session", nil, 200, &who)
	if who.User.Email != adminEmail {
		t.Errorf("API session user %q", who.User.Email)
	}
	p = c.get("/admin/tenant")
	if p.status != 200 || !p.has("Tenant A") || !p.has(`id="interact-state">off`) {
		t.Fatalf("tenant page: %d", p.status)
	}
	// Sign out needs the token too.
	if p = c.post("/admin/signout", url.Values{"csrf": {"nope"}}); p.status != 403 {
		t.Fatalf("sign out without the token: %d", p.status)
	}
	if p = c.post("/admin/signout", nil); p.status != http.StatusSeeOther || p.location != "/admin/signin" {
		t.Fatalf("sign out: %d %q", p.status, p.location)
	}
	if p = c.get("/admin/tenant"); p.status != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d", p.status)
	}
	cl.fail(t, "GET", "/api/v1/session", nil, 401, interact.EUNAUTHORIZED)
}

func TestAdminConsoleCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	c := e.console(t)
	c.signIn(adminEmail, adminPassword)
	on := url.Values{"interactEnabled": {"on"}, "imEnabled": {"on"}, "maxIm": {"7"}}

	for _, tc := range []struct {
		name string
		form url.Values
		hdr  []string
		want string
	}{
		{"no token", url.Values{"csrf": {""}}, nil, "The form has expired or did not come from this console."},
		{"wrong token", url.Values{"csrf": {"forged"}}, nil, "The form has expired or did not come from this console."},
		{"cross-site with the token", url.Values{}, []string{"Sec-Fetch-Site", "cross-site"}, "Cross-site request refused."},
		{"other origin with the token", url.Values{}, []string{"Origin", "http://evil.test"}, "Cross-site request refused."},
	} {
		f := url.Values{}
		for k, v := range on {
			f[k] = v
		}
		for k, v := range tc.form {
			f[k] = v
		}
		p := c.post("/admin/tenant", f, tc.hdr...)
		if p.status != 403 || !p.has(html.EscapeString(tc.want)) {
			t.Errorf("%s: %d, want 403 with %q; %s", tc.name, p.status, tc.want, errorsOf(p))
		}
	}
	tn, _ := e.db.Tenant(t.Context(), interact.System, e.tenant.ID)
	if tn != nil && (tn.InteractEnabled || tn.MaxConcurrentIMTasksPerService == 7) {
		t.Fatalf("a refused form changed the tenant: %+v", tn)
	}
	// The same form with the token works, and redirects (POST-redirect-GET).
	p := c.ok("/admin/tenant", on)
	if !p.has("Tenant settings saved.") || !p.has(`id="interact-state">on`) || !p.has(`value="7"`) {
		t.Fatalf("tenant saved page: %s", errorsOf(p))
	}
	// Bad input shows the store's message and changes nothing.
	c.refused("/admin/tenant", url.Values{"maxIm": {"99"}}, 400, "maxConcurrentImTasksPerService must be between 1 and 50 (got 99).")
	c.refused("/admin/tenant", url.Values{"maxIm": {"many"}}, 400, `Max concurrent IM tasks per service must be a whole number (got "many").`)
	if p = c.get("/admin/tenant"); !p.has(`id="interact-state">on`) || !p.has(`value="7"`) {
		t.Fatalf("refused input changed the tenant")
	}
	// The live origin validation endpoint wants the CSRF header, like the API.
	cl := &client{base: e.url, hc: &http.Client{Jar: c.hc.Jar}}
	cl.fail(t, "POST", "/admin/api/validate-origins", map[string]any{"origins": []string{"a.test"}}, 403, interact.ECSRF)
}

func TestAdminConsoleInteractTab(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	c := e.console(t)
	c.signIn(adminEmail, adminPassword)
	api := e.adminClient(t)
	root := api.rootOU(t)

	// OU tree: create, rename, move.
	p := c.ok("/admin/ous", url.Values{"name": {"EMEA"}, "parent": {root.ID}})
	if !p.has(`OU &#34;EMEA&#34; created.`) {
		t.Fatalf("OU create: %s", errorsOf(p))
	}
	var emea, ch interact.OU
	c.ok("/admin/ous", url.Values{"name": {"Switzerland"}, "parent": {root.ID}})
	for _, o := range getList[interact.OU](t, api, "/api/v1/ous") {
		switch o.Name {
		case "EMEA":
			emea = o
		case "Switzerland":
			ch = o
		}
	}
	c.ok("/admin/ous/"+ch.ID, url.Values{"name": {"Schweiz"}, "parent": {emea.ID}})
	c.refused("/admin/ous/"+emea.ID, url.Values{"name": {"EMEA"}, "parent": {ch.ID}}, 400, "An OU cannot be moved below itself or one of its descendants.")
	var got interact.OU
	api.ok(t, "GET", "/api/v1/ous/"+ch.ID, nil, 200, &got)
	if got.Name != "Schweiz" || got.ParentID == nil || *got.ParentID != emea.ID {
		t.Fatalf("renamed and moved OU: %+v", got)
	}

	// A new service: the Interact tab is absent, and the page says why.
	c.refused("/admin/services", url.Values{"name": {"  "}, "ou": {emea.ID}}, 400, "service name")
	svc := c.create("/admin/services", url.Values{"name": {"Support <b>EMEA</b>"}, "ou": {emea.ID}})
	base := "/admin/services/" + svc
	p = c.get(base)
	if !p.has("Support &lt;b&gt;EMEA&lt;/b&gt;") || p.has("<b>EMEA</b>") {
		t.Fatalf("service name not escaped")
	}
	wantGate := func(msg string) {
		t.Helper()
		p := c.get(base)
		if p.has(`id="interact-tab-link"`) || !p.has(html.EscapeString(msg)) {
			t.Fatalf("service page: want no Interact tab and %q; got tab=%v, notice %v", msg, p.has(`id="interact-tab-link"`), p.has("interact-unavailable"))
		}
		if p = c.get(base + "/interact"); p.status != 403 || !p.has(html.EscapeString(msg)) || p.has(`id="snippet"`) {
			t.Fatalf("Interact tab while unavailable: %d", p.status)
		}
	}
	wantGate("Assign the Contact Center licence under General → Licenses.")
	c.ok(base, url.Values{"name": {"Support EMEA"}, "ou": {emea.ID}, "license": {"contactCenter"}})
	wantGate("Grant the Interact add-on under General → Licenses.")
	c.ok(base, url.Values{"name": {"Support EMEA"}, "ou": {emea.ID}, "license": {"contactCenter"}, "interactLicense": {"on"}})
	wantGate("Interact is switched off for this tenant.")
	c.ok("/admin/tenant", url.Values{"interactEnabled": {"on"}, "imEnabled": {"on"}, "maxIm": {"20"}})
	p = c.get(base)
	if !p.has(`id="interact-tab-link"`) || p.has("interact-unavailable") {
		t.Fatalf("the Interact tab should be there now")
	}

	// The tab: toggles, snippet with Copy, key rotation.
	p = c.get(base + "/interact")
	st := api.interact(t, svc)
	if p.status != 200 || !p.has(html.EscapeString(snippet(e.url, st.ContactID, st.WidgetKey))) || !p.has(`id="copy-snippet"`) || !p.has(`>Beta<`) {
		t.Fatalf("Interact tab: %d; snippet or Copy missing", p.status)
	}
	for _, label := range []string{"Audio &amp; Video", "Instant Message", "Restrict Access", "Domain Template List", "Service Snippet"} {
		if !p.has(label) {
			t.Errorf("Interact tab lacks %q", label)
		}
	}
	if !p.has("Restrict Access can be switched on only once at least one Domain Template is selected") {
		t.Errorf("the tab does not say why Restrict Access needs a template")
	}
	// Restrict Access without a template is refused, and the page says why.
	p = c.refused(base+"/interact", url.Values{"form": {"interact"}, "instantMessage": {"on"}, "restrictAccess": {"on"}}, 400,
		"Select at least one domain template before switching Restrict Access on.")
	if st2 := api.interact(t, svc); st2.RestrictAccess || st2.InstantMessage {
		t.Fatalf("a refused change was saved: %+v", st2)
	}

	// Domain templates: the editor names bad entries; nothing is created.
	c.refused("/admin/templates", url.Values{"form": {"template-create"}, "name": {"Shop"}, "ou": {emea.ID},
		"origins": {"https://shop.example.test\nhttps://shop.example.test/cart"}}, 400,
		`entry 2: "https://shop.example.test/cart" is not a valid origin: a path is not allowed`)
	c.refused("/admin/templates", url.Values{"form": {"template-create"}, "name": {"Shop"}, "ou": {emea.ID}, "origins": {"*.com"}}, 400, `"*.com" is not a valid origin`)
	if n := len(getList[interact.DomainTemplate](t, api, "/api/v1/domain-templates")); n != 0 {
		t.Fatalf("refused templates were created: %d", n)
	}
	tpl := c.create("/admin/templates", url.Values{"form": {"template-create"}, "name": {"Shop"}, "ou": {emea.ID}, "origins": {"https://shop.example.test\n\n*.shop.example.test"}})
	p = c.get("/admin/templates/" + tpl)
	if !p.has("https://shop.example.test\n*.shop.example.test") {
		t.Fatalf("template editor does not show the entries")
	}
	// A template in a sibling OU is not selectable; one in the root is.
	other := c.create("/admin/templates", url.Values{"form": {"template-create"}, "name": {"Elsewhere"}, "ou": {ch.ID}, "origins": {"other.test"}})
	p = c.get(base + "/interact")
	if !p.has(`value="`+tpl+`"`) || p.has(`value="`+other+`"`) {
		t.Fatalf("selectable templates: shop %v, elsewhere (not selectable) %v", p.has(`value="`+tpl+`"`), p.has(`value="`+other+`"`))
	}
	c.refused(base+"/interact", url.Values{"form": {"interact"}, "restrictAccess": {"on"}, "template": {other}}, 400, "is not available in this OU or any OU above it.")
	p = c.ok(base+"/interact", url.Values{"form": {"interact"}, "instantMessage": {"on"}, "restrictAccess": {"on"}, "template": {tpl}})
	if !p.has("Interact settings saved.") {
		t.Fatalf("save: %s", errorsOf(p))
	}
	if st2 := api.interact(t, svc); !st2.RestrictAccess || !st2.InstantMessage || st2.AudioVideo || len(st2.DomainTemplateIDs) != 1 {
		t.Fatalf("saved settings: %+v", st2)
	}

	// The origin tester (without script: a GET form).
	p = c.get(base + "/interact?origin=" + url.QueryEscape("https://a.shop.example.test"))
	if !p.has("Allowed by entry <code>*.shop.example.test</code> of template “Shop”") {
		t.Fatalf("origin tester: %s", p.body[strings.Index(p.body, "tester-result"):][:300])
	}
	p = c.get(base + "/interact?origin=" + url.QueryEscape("https://evil.test"))
	if !p.has("Refused: Web pages at https://evil.test may not contact this service.") {
		t.Fatalf("origin tester refusal missing")
	}
	p = c.get("/admin/templates?contactId=" + st.ContactID + "&origin=" + url.QueryEscape("http://shop.example.test"))
	if !p.has("Refused: Web pages at http://shop.example.test may not contact this service.") {
		t.Fatalf("templates page tester")
	}

	// Key rotation shows the grace period.
	p = c.ok(base+"/interact/rotate", url.Values{"form": {"rotate"}, "graceSeconds": {"3600"}})
	st3 := api.interact(t, svc)
	if st3.WidgetKey == st.WidgetKey || st3.PreviousKeyValidUntil == nil || !p.has("the previous key keeps working until") ||
		!p.has(`id="grace-shown"`) || !p.has(html.EscapeString(snippet(e.url, st.ContactID, st3.WidgetKey))) {
		t.Fatalf("rotation: %s", errorsOf(p))
	}
	c.refused(base+"/interact/rotate", url.Values{"form": {"rotate"}, "graceSeconds": {"-1"}}, 400, "The grace period must be between 0 and")

	// Every change went through the store with the console's actor.
	var n int
	for _, a := range api.audit(t) {
		if a.ActorEmail == adminEmail && (a.Action == "interact.update" || a.Action == "interact.rotate_key" || a.Action == "ou.update") {
			n++
		}
	}
	if n != 3 {
		t.Errorf("audit entries of the console's changes: %d, want 3", n)
	}
	p = c.get("/admin/audit?entityKind=service&action=interact.update")
	if p.status != 200 || strings.Count(p.body, "<code>interact.update</code>") != 1 || p.has("<code>ou.update</code>") {
		t.Fatalf("audit filter: %d", p.status)
	}
	p = c.get("/admin/audit?limit=1")
	if !p.has(`rel="next"`) {
		t.Errorf("audit paging: no next link")
	}
	if p = c.get("/admin/audit?since=yesterday"); p.status != 400 || !p.has("From must be a date and time") {
		t.Errorf("audit bad filter: %d %s", p.status, errorsOf(p))
	}
	if p = c.get("/admin/sessions?outcome=handled"); p.status != 200 || !p.has("No sessions match.") {
		t.Errorf("sessions page: %d", p.status)
	}
	// An ended session links to its transcript; an open one not yet.
	now := time.Now().UTC()
	ended := &interact.Task{ID: interact.NewID(), TenantID: e.tenant.ID, ServiceID: svc, ContactID: st.ContactID, Modality: interact.ModalityChat,
		State: interact.TaskEnded, Outcome: interact.OutcomeHangupInQueue, QueueSeq: 1, CreatedAt: now, QueuedAt: now, EndedAt: &now,
		Visitor: interact.Visitor{Name: "Vera"}}
	open := &interact.Task{ID: interact.NewID(), TenantID: e.tenant.ID, ServiceID: svc, ContactID: st.ContactID, Modality: interact.ModalityChat,
		State: interact.TaskWaiting, QueueSeq: 2, CreatedAt: now, QueuedAt: now}
	for _, task := range []*interact.Task{ended, open} {
		if err := e.db.CreateTask(t.Context(), task, ""); err != nil {
			t.Fatal(err)
		}
	}
	p = c.get("/admin/sessions")
	if link := `href="/api/v1/sessions/` + ended.ID + `/transcript?format=html"`; p.status != 200 || !p.has(link) ||
		p.has(`/api/v1/sessions/`+open.ID+`/transcript`) || !p.has(`aria-label="Transcript of the session with Vera, `) {
		t.Errorf("sessions page: %d, want a transcript link for the ended session only:\n%s", p.status, p.body)
	}
}

func TestAdminConsoleServiceTabs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	c := e.console(t)
	c.signIn(adminEmail, adminPassword)
	api := e.adminClient(t)
	root := api.rootOU(t)
	svc := c.create("/admin/services", url.Values{"name": {"Sales"}, "ou": {root.ID}})
	other := c.create("/admin/services", url.Values{"name": {"Backup"}, "ou": {root.ID}})
	base := "/admin/services/" + svc

	// Users: create, licences, roles, password, API tokens.
	uid := c.create("/admin/users", url.Values{"form": {"user-create"}, "name": {"Ann Agent"}, "email": {"ann@a.test"}, "ou": {root.ID},
		"password": {userPassword}, "contactCenter": {"on"}, "instantMessaging": {"on"}})
	c.refused("/admin/users", url.Values{"form": {"user-create"}, "name": {"Bad"}, "email": {"not-an-email"}, "ou": {root.ID}, "password": {userPassword}}, 400, "is not a valid e-mail address")
	c.ok("/admin/users/"+uid+"/roles", url.Values{"form": {"roles"}, "role": {"serviceOwner"}, "service": {svc}})
	c.ok("/admin/users/"+uid+"/roles", url.Values{"form": {"roles"}, "role": {"ouAdmin"}, "ou": {root.ID}})
	p := c.get("/admin/users/" + uid)
	if !p.has("Service owner of Sales") || !p.has("OU admin of Tenant A") {
		t.Fatalf("roles not shown: %s", errorsOf(p))
	}
	c.ok("/admin/users/"+uid+"/roles/remove", url.Values{"form": {"roles"}, "role": {"ouAdmin"}, "scope": {root.ID}})
	c.refused("/admin/users/"+uid+"/password", url.Values{"form": {"password"}, "password": {"short"}}, 400, "The password must be at least 10 characters.")
	c.ok("/admin/users/"+uid+"/password", url.Values{"form": {"password"}, "password": {"a brand new password"}})
	e.login(t, "ann@a.test", "a brand new password")
	p = c.post("/admin/users/"+uid+"/tokens", url.Values{"form": {"tokens"}, "name": {"CI"}})
	m := regexp.MustCompile(`id="token-secret" readonly value="([^"]+)"`).FindStringSubmatch(p.body)
	if p.status != 201 || m == nil {
		t.Fatalf("token create: %d %s", p.status, errorsOf(p))
	}
	var who struct {
		User interact.User `json:"user"`
	}
	e.withToken(m[1]).ok(t, "GET", "/api/v1/session", nil, 200, &who)
	if who.User.ID != uid {
		t.Fatalf("the token is not Ann's")
	}
	if p = c.get("/admin/users/" + uid); p.has(m[1]) || !p.has("CI") {
		t.Fatalf("the secret must be shown once; the token listed")
	}

	// Members with the active toggle.
	c.ok(base+"/members", url.Values{"form": {"members"}, "user": {uid}, "active": {"true"}})
	p = c.ok(base+"/members", url.Values{"form": {"members"}, "user": {uid}, "active": {"false"}})
	if !p.has(`<span class="member-state">Inactive</span>`) || !p.has(`Activate<span class="sr"> Ann Agent</span>`) || !p.has("Ann Agent is an inactive member.") {
		t.Fatalf("member toggle: %s", errorsOf(p))
	}
	ms := getList[interact.Member](t, api, "/api/v1/services/"+svc+"/members")
	if len(ms) != 1 || ms[0].Active {
		t.Fatalf("members: %+v", ms)
	}

	// Distribution and system messages.
	dist := url.Values{"form": {"distribution"}, "type": {"broadcast"}, "ringTimeoutSeconds": {"20"}, "ronaResetSeconds": {"600"}, "acwEnabled": {"on"},
		"acwSeconds": {"15"}, "acwExtensionSeconds": {"30"}, "defaultPriority": {"3"}, "strictPriority": {"on"}, "maxWaitSeconds": {"120"},
		"overflowAction": {"transfer"}, "overflowServiceId": {other}}
	c.ok(base+"/distribution", dist)
	dist.Set("ringTimeoutSeconds", "1")
	c.refused(base+"/distribution", dist, 400, "distribution.ringTimeoutSeconds must be between 5 and 300 (got 1).")
	var s interact.Service
	api.ok(t, "GET", "/api/v1/services/"+svc, nil, 200, &s)
	d := s.Distribution
	if d.Type != "broadcast" || d.RingTimeoutSeconds != 20 || !d.ACWEnabled || d.ACWSeconds != 15 || d.DefaultPriority != 3 || !d.StrictPriority ||
		d.MaxWaitSeconds != 120 || d.OverflowAction != "transfer" || d.OverflowServiceID != other {
		t.Fatalf("distribution: %+v", d)
	}
	c.ok(base+"/messages", url.Values{"form": {"messages"}, "welcome": {"Hi <there>"}, "agentNameMode": {"custom"}, "agentNameTemplate": {"$(Agent.FirstName) from Sales"}})
	c.refused(base+"/messages", url.Values{"form": {"messages"}, "agentNameMode": {"custom"}}, 400, "messages.agentNameTemplate is required when agentNameMode is custom.")
	if p = c.get(base + "/messages"); !p.has("Hi &lt;there&gt;") {
		t.Fatalf("messages not shown escaped")
	}

	// The user's Interact tab (direct contact) is gated by the user's licences.
	p = c.get("/admin/users/" + uid + "/interact")
	if !p.has("Assign the Interact licence to this user.") {
		t.Fatalf("user Interact tab gate: %s", errorsOf(p))
	}
	c.ok("/admin/users/"+uid, url.Values{"form": {"user"}, "name": {"Ann Agent"}, "email": {"ann@a.test"}, "ou": {root.ID}, "contactCenter": {"on"}, "interact": {"on"}})
	c.ok("/admin/tenant", url.Values{"interactEnabled": {"on"}, "maxIm": {"20"}})
	p = c.ok("/admin/users/"+uid+"/interact", url.Values{"form": {"interact"}, "active": {"on"}, "instantMessage": {"on"}})
	if !p.has(`id="snippet"`) || !p.has("Direct contact active") {
		t.Fatalf("user Interact tab: %s", errorsOf(p))
	}

	// An OU admin sees only their subtree.
	sub := api.createOU(t, "Sub", root.ID)
	sib := api.createOU(t, "Sibling", root.ID)
	api.createService(t, map[string]any{"name": "Hidden", "ouId": sib.ID})
	mine := api.createService(t, map[string]any{"name": "Mine", "ouId": sub.ID})
	api.createUser(t, "ou@a.test", "Olga OU", sub.ID, interact.Licenses{}, interact.Role{Role: interact.RoleOUAdmin, ScopeID: sub.ID})
	oc := e.console(t)
	oc.signIn("ou@a.test", userPassword)
	p = oc.get("/admin/services")
	if !p.has("Mine") || p.has("Hidden") {
		t.Fatalf("OU admin's services list: want Mine, not Hidden (a sibling OU's)")
	}
	hidden := ""
	for _, x := range getList[interact.Service](t, api, "/api/v1/services") {
		if x.Name == "Hidden" {
			hidden = x.ID
		}
	}
	if p = oc.get("/admin/services/" + hidden); p.status != 404 || p.has("Hidden") {
		t.Fatalf("OU admin opened a service outside the subtree: %d", p.status)
	}
	// Licences are for tenant admins: the OU admin's General tab has no licence fields.
	if p = oc.get("/admin/services/" + mine.ID); p.has(`name="license"`) || !p.has("Only tenant admins change service licences.") {
		t.Fatalf("OU admin sees licence fields")
	}
	if !p.has("Licence: Advanced Routing. Only tenant admins") { // the licence by its name, not its code
		t.Errorf("OU admin's service page does not name the licence: %s", p.body)
	}
	oc.ok("/admin/services/"+mine.ID, url.Values{"form": {"general"}, "name": {"Mine 2"}, "ou": {sub.ID}})
	if p = oc.get("/admin/audit"); p.status != 403 || !p.has("Only tenant admins may read the audit log.") {
		t.Fatalf("OU admin audit: %d", p.status)
	}

	// An agent (no admin role) is turned away.
	api.createUser(t, "agent@a.test", "Al Agent", root.ID, interact.Licenses{ContactCenter: true})
	ac := e.console(t)
	ac.signIn2("agent@a.test", userPassword)
	if p = ac.get("/admin/services"); p.status != 403 || !p.has("This console is for administrators.") {
		t.Fatalf("agent in the console: %d", p.status)
	}
}

// signIn2 signs in without expecting the console to open.
func (c *console) signIn2(email, password string) {
	c.t.Helper()
	p := c.post("/admin/signin", url.Values{"email": {email}, "password": {password}, "csrf": {""}})
	if p.status != http.StatusSeeOther {
		c.t.Fatalf("sign in: %d; %s", p.status, errorsOf(p))
	}
}

func TestAdminConsoleValidateOrigins(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	a := e.adminClient(t)
	var res struct {
		Entries []struct {
			Entry, Canonical, Error string
		} `json:"entries"`
		Error string `json:"error"`
	}
	a.ok(t, "POST", "/admin/api/validate-origins", map[string]any{"origins": []string{"HTTPS://Shop.Example.test:443", "shop.example.test/x", "*.co.uk", "https://shop.example.test"}}, 200, &res)
	if len(res.Entries) != 4 || res.Entries[0].Canonical != "https://shop.example.test" || res.Entries[0].Error != "" ||
		!strings.Contains(res.Entries[1].Error, `"shop.example.test/x" is not a valid origin: a path is not allowed`) ||
		!strings.Contains(res.Entries[2].Error, `"*.co.uk"`) || res.Entries[3].Error != "" || !strings.Contains(res.Error, "entry 2") {
		t.Fatalf("validate-origins: %+v", res)
	}
	res.Entries, res.Error = nil, ""
	a.ok(t, "POST", "/admin/api/validate-origins", map[string]any{"origins": []string{"a.test", "A.test"}}, 200, &res)
	if res.Entries[1].Error != "" || !strings.Contains(res.Error, "duplicate") {
		t.Fatalf("duplicates: %+v", res)
	}
	e.newClient().fail(t, "POST", "/admin/api/validate-origins", map[string]any{"origins": []string{}}, 401, interact.EUNAUTHORIZED)
}

// The operator's switch: the console shows it, and the widget refuses.
func TestAdminConsoleOperatorSwitch(t *testing.T) {
	t.Parallel()
	if _, err := web.ParseExperimental("interact, bogus"); err == nil {
		t.Errorf("ParseExperimental accepted an unknown feature")
	}
	if got, err := web.ParseExperimental(" Interact "); err != nil || len(got) != 1 || got[0] != "interact" {
		t.Errorf("ParseExperimental: %v %v", got, err)
	}
	l := newLiveWith(t, 1, interact.Distribution{}, func(c *web.Config) { c.DisableExperimental = []string{"interact"} })
	r := l.config(l.st.ContactID, l.st.WidgetKey, "https://shop.example.test")
	wantRefused(t, "widget config while switched off", r, 403, interact.EINTERACTOFF)
	if !strings.Contains(fmt.Sprint(r.body), "Interact is temporarily switched off by the operator") {
		t.Errorf("refusal message: %s", r.body)
	}
	r = l.start(l.st.ContactID, "https://shop.example.test", chatReq(l.st.WidgetKey))
	wantRefused(t, "new chat while switched off", r, 403, interact.EINTERACTOFF)

	e := &env{url: l.url}
	c := e.console(t)
	c.signIn("admin@live.test", "admin-password")
	if p := c.get("/admin/services/" + l.svc.ID + "/interact"); !p.has(`id="operator-off"`) || !p.has("Interact is temporarily switched off by the operator") {
		t.Fatalf("the console does not show the operator's switch")
	}
}
