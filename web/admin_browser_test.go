package web_test

import (
	"context"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/chatlog"
	"github.com/interact-oss/interact/membus"
	"github.com/interact-oss/interact/realtime"
	"github.com/interact-oss/interact/routing"
	"github.com/interact-oss/interact/sqlstore"
	"github.com/interact-oss/interact/web"
)

// The first admin of a fresh install, as the first run creates them.
const (
	firstAdminEmail    = "admin@example.com"
	firstAdminPassword = "first admin password"
)

// freshInstall is interact right after its first start on an empty store:
// the first run's tenant "My organisation" and its first admin (a tenant
// admin and the operator), created the way cmd/interact's first run does,
// and nothing else: Interact and Instant Messaging off, no OU below the
// root, no services, no other users. The engine runs on the real clock.
func freshInstall(t *testing.T) *live {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "interact.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bus := membus.New()
	t.Cleanup(func() { bus.Close() })
	transcript := chatlog.New(db, bus, nil)
	eng := routing.New(routing.Config{Transcript: transcript}, db, bus)
	if err := eng.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	hub, err := realtime.NewHub(realtime.Config{}, bus)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	cfg := web.Config{PublicURL: url, Engine: eng, Hub: hub, Bus: bus, Transcript: transcript, TokenSecret: []byte("0123456789abcdef0123456789abcdef")}
	api := web.NewServer(cfg, db)
	t.Cleanup(api.Close)
	srv.Config.Handler = api
	srv.Start()
	t.Cleanup(srv.Close)
	if n, err := db.TenantCount(ctx); err != nil || n != 0 {
		t.Fatalf("the store is not empty: %d tenants, %v", n, err)
	}
	tn, admin, err := db.CreateTenant(ctx, interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: "My organisation"}, AdminEmail: firstAdminEmail, AdminName: "Administrator", AdminPassword: firstAdminPassword,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &live{t: t, db: db, url: url, engine: eng, tenant: tn, ouID: admin.OUID, webCfg: cfg,
		admin: interact.Actor{UserID: admin.ID, TenantID: tn.ID, Email: admin.Email, Roles: admin.Roles}}
}

// adminTab drives one browser tab on the admin console.
type adminTab struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func (a adminTab) js(s string) { a.t.Helper(); eval[any](a.t, a.ctx, s) }

// The tab marks the page it leaves (window.__left), so that waits can tell
// the next page from the last.
const (
	markPage  = `window.__left = true`
	pageReady = `!window.__left && document.readyState === 'complete' && !!document.body`
)

// open navigates to a console page and waits until it is loaded.
func (a adminTab) open(path string) {
	a.t.Helper()
	a.js(markPage)
	navigate(a.t, a.ctx, a.base+path)
	a.wait(pageReady)
}

// follow runs js that leaves the page (a click on a link) and waits for
// the next page.
func (a adminTab) follow(js string) {
	a.t.Helper()
	a.js(markPage + "; " + js)
	a.wait(pageReady)
}

func (a adminTab) wait(cond string) { a.t.Helper(); waitJS(a.t, a.ctx, cond, 10*time.Second) }

func (a adminTab) path() string { a.t.Helper(); return eval[string](a.t, a.ctx, `location.pathname`) }

// status is the HTTP status of the page shown.
func (a adminTab) status() int {
	a.t.Helper()
	return eval[int](a.t, a.ctx, `performance.getEntriesByType('navigation')[0].responseStatus`)
}

func (a adminTab) set(sel, v string) {
	a.t.Helper()
	a.js(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event('input', {bubbles: true})); })()`, sel, v))
}

func (a adminTab) check(sel string, on bool) {
	a.t.Helper()
	a.js(fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (e.checked !== %v) e.click(); })()`, sel, on))
}

// choose selects the option of a select whose text contains text.
func (a adminTab) choose(sel, text string) {
	a.t.Helper()
	a.js(fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = [...s.options].find(o => o.textContent.includes(%q)).value; })()`, sel, text))
}

func (a adminTab) submit(sel string) {
	a.t.Helper()
	a.js(fmt.Sprintf(markPage+`; document.querySelector(%q).requestSubmit()`, sel))
}

// flash waits for the page after a submitted form to show text.
func (a adminTab) flash(text string) {
	a.t.Helper()
	a.wait(fmt.Sprintf(pageReady+` && (document.querySelector('#flash') || {textContent: ''}).textContent.includes(%q)`, text))
}

func (a adminTab) text(sel string) string {
	a.t.Helper()
	return eval[string](a.t, a.ctx, fmt.Sprintf(`(document.querySelector(%q) || {textContent: ''}).textContent`, sel))
}

func (a adminTab) has(text string) bool {
	a.t.Helper()
	return eval[bool](a.t, a.ctx, fmt.Sprintf(`document.body.textContent.includes(%q)`, text))
}

// focused is the id of the focused element.
func (a adminTab) focused() string {
	a.t.Helper()
	return eval[string](a.t, a.ctx, `document.activeElement ? document.activeElement.id : ''`)
}

// signIn signs in on the sign-in page by keyboard alone.
func (a adminTab) signIn(email, password string) {
	a.t.Helper()
	a.open("/admin")
	a.wait(`location.pathname === '/admin/signin' && document.activeElement && document.activeElement.id === 'email'`)
	keys(a.t, a.ctx, email+"\t"+password+"\r")
	a.wait(`location.pathname === '/admin/services'`)
}

// The seed's flow in a real browser, from a fresh install: the first admin
// signs in, switches Interact on, creates a service in an OU, sees why the
// Interact tab is missing, licenses the service, adds an agent, enables
// Instant Message, copies the snippet with the Copy button, pastes it into
// a web page on another origin, and a visitor's chat arrives at the agent.
// Restrict Access with a template that does not list that page refuses the
// widget there. Then: a form posted from another site is refused; an OU
// admin sees nothing outside their subtree, by the menus or by typed URLs;
// deletes are confirmed by keyboard; the operator manages tenants; and the
// pages fit a tablet.
func TestAdminConsoleInBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("INTERACT_REQUIRE_BROWSER") != "" {
			t.Fatal("chromium is not installed, and INTERACT_REQUIRE_BROWSER is set")
		}
		t.Skip("chromium is not installed (apt-get install chromium); set INTERACT_REQUIRE_BROWSER=1 to fail instead")
	}
	ctx := context.Background()
	l := freshInstall(t)
	e := &browserEnv{l: l, browser: newBrowser(t, chromium), shots: os.Getenv("INTERACT_SCREENSHOTS")}

	// The host pages: "/" holds whatever snippet the admin pasted; "/csrf"
	// is another site's form aimed at the console.
	var mu sync.Mutex
	pasted := ""
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	pages := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/":
			mu.Lock()
			s := pasted
			mu.Unlock()
			fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head><body><h1>Shop</h1>%s</body></html>`, s)
		case "/csrf":
			fmt.Fprintf(w, `<!doctype html><html><body><form id="f" method="post" action="%s/admin/tenant">
<input name="interactEnabled" value="on"><input name="maxIm" value="3"><input name="csrf" value="guess"></form>
<script>document.getElementById('f').submit()</script></body></html>`, l.url)
		case "/csrf-delete": // a confirmed delete, forged
			fmt.Fprintf(w, `<!doctype html><html><body><form id="f" method="post" action="%s%s/delete">
<input name="form" value="delete"><input name="confirm" value="yes"></form>
<script>document.getElementById('f').submit()</script></body></html>`, l.url, html.EscapeString(r.URL.Query().Get("service")))
		default:
			http.NotFound(w, r)
		}
	})}}
	pages.Start()
	t.Cleanup(pages.Close)
	shop := "http://shop.example.test:" + port

	// The admin's tab lives in the default browser context, where the
	// clipboard permissions are granted.
	addHelpers(t, e.browser)
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(e.browser, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSettingGranted, Origin: l.url}); err != nil {
			t.Logf("grant %s: %v", name, err)
		}
	}
	admin := adminTab{t: t, ctx: e.browser, base: l.url}

	// Sign in as the first admin, by keyboard.
	admin.signIn(firstAdminEmail, firstAdminPassword)

	// Switch Interact and Instant Messaging on for the tenant.
	admin.open("/admin/tenant")
	if got := admin.text("#interact-state"); got != "off" {
		t.Fatalf("a fresh install has Interact %q", got)
	}
	admin.check("#f-interact", true)
	admin.check("#f-im", true)
	admin.submit(`form[action="/admin/tenant"]`)
	admin.flash("Tenant settings saved.")
	if got := admin.text("#interact-state"); got != "on" {
		t.Fatalf("Interact state after saving: %q", got)
	}
	e.screenshot(t, admin.ctx, "admin-tenant")

	// OUs, and a service in one: no Interact tab yet, and the page says why.
	for _, ou := range []string{"EMEA", "APAC"} {
		admin.open("/admin/ous")
		admin.set("#ou-name", ou)
		admin.choose("#ou-parent", "My organisation")
		admin.submit(`form[action="/admin/ous"]`)
		admin.flash(fmt.Sprintf(`OU %q created.`, ou))
	}
	admin.open("/admin/services")
	admin.set("#s-name", "Web Support")
	admin.choose("#s-ou", "EMEA")
	admin.submit(`form[action="/admin/services"]`)
	admin.flash(`Service "Web Support" created.`)
	if got := admin.text("#interact-unavailable"); !strings.Contains(got, "Assign the Contact Center licence under General → Licenses.") ||
		eval[bool](t, admin.ctx, `!!document.querySelector('#interact-tab-link')`) {
		t.Fatalf("unlicensed service: notice %q", got)
	}
	e.screenshot(t, admin.ctx, "admin-interact-unavailable")
	svcPath := admin.path()
	svcID := strings.TrimPrefix(svcPath, "/admin/services/")

	// Licence and add-on: the tab appears.
	admin.js(`document.querySelector('#s-license').value = 'contactCenter'`)
	admin.check("#s-addon", true)
	admin.submit(`form[action="` + svcPath + `"]`)
	admin.flash("Service saved.")
	admin.wait(`!!document.querySelector('#interact-tab-link') && !document.querySelector('#interact-unavailable')`)

	// An agent: a user with the licences, an API token for their desk, and
	// an active member of the service.
	agentID := createUser(admin, "Alex Agent", "agent@example.com", "EMEA", "#u-cc", "#u-im")
	admin.set("#t-name", "Agent desk")
	admin.submit(`form[action="/admin/users/` + agentID + `/tokens"]`)
	admin.wait(`!!document.querySelector('#token-secret')`)
	l.tokens = []string{eval[string](t, admin.ctx, `document.querySelector('#token-secret').value`)}
	admin.open(svcPath + "/members")
	admin.js(fmt.Sprintf(`document.querySelector('#m-user').value = %q`, agentID))
	admin.submit(`form.card[action="` + svcPath + `/members"]`)
	admin.flash("Alex Agent is an active member.")

	// A domain template for partner pages, typed with live validation.
	admin.open("/admin/templates")
	admin.set("#t-name", "Partner pages")
	admin.choose("#t-ou", "My organisation")
	admin.js(`document.querySelector('#t-origins').focus()`)
	keys(t, admin.ctx, "https://partner.example.test/cart")
	admin.wait(`document.querySelector('#t-origins-check').textContent.includes('a path is not allowed')`)
	e.screenshot(t, admin.ctx, "admin-template-editor")
	admin.set("#t-origins", "https://partner.example.test")
	admin.wait(`document.querySelector('#t-origins-check').textContent.includes('All 1 entries are valid.')`)
	admin.submit(`form[action="/admin/templates"]`)
	admin.flash(`Domain template "Partner pages" created.`)

	// The Interact tab: Instant Message on, then Copy the snippet by keyboard.
	admin.open(svcPath + "/interact")
	admin.wait(`!!document.querySelector('#snippet')`)
	admin.check("#f-im", true)
	admin.submit("#interact-form")
	admin.flash("Interact settings saved.")
	e.screenshot(t, admin.ctx, "admin-interact-tab")
	admin.js(`document.querySelector('#snippet-h').scrollIntoView()`)
	e.screenshot(t, admin.ctx, "admin-interact-snippet")
	admin.js(`document.querySelector('#copy-snippet').focus()`)
	keys(t, admin.ctx, "\r")
	admin.wait(`document.querySelector('#copy-status').textContent !== ''`)
	if st := admin.text("#copy-status"); st != "Copied to the clipboard." {
		t.Fatalf("copy status %q", st)
	}
	copied, err := chromedp.Run(admin.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("reading the clipboard: %v", err)
	}
	st, err := l.db.Interact(ctx, l.admin, interact.OwnerService, svcID)
	if err != nil {
		t.Fatal(err)
	}
	if want := interact.Snippet(l.url, st.ContactID, st.WidgetKey); copied != want {
		t.Fatalf("the clipboard holds %q, want the snippet %q", copied, want)
	}

	// Pasted into a web page on another origin, the widget works there.
	mu.Lock()
	pasted = copied
	mu.Unlock()
	ag := e.agent(t)
	visitor := e.tab(t)
	navigate(t, visitor, shop+"/")
	startChat(t, visitor, "Vera Visitor")
	task := ag.accept()
	if task["serviceName"] != "Web Support" || task["origin"] != shop {
		t.Fatalf("the offered task is for %v from %v, want Web Support from %s", task["serviceName"], task["origin"], shop)
	}
	send(t, visitor, "Hello from the shop")
	if m := ag.heard("Hello from the shop"); m == nil {
		t.Fatal("the agent did not hear the visitor")
	}

	// The sessions list shows the chat.
	admin.open("/admin/sessions")
	admin.wait(`[...document.querySelectorAll('table.sessions tbody tr')].some(r => r.textContent.includes('Web Support') && r.textContent.includes('Vera Visitor'))`)

	// Restrict Access: not without a template, and the page says why.
	admin.open(svcPath + "/interact")
	admin.wait(`!!document.querySelector('#f-ra')`)
	admin.check("#f-ra", true)
	admin.submit("#interact-form")
	admin.wait(`document.querySelector('#f-ra-why').textContent.includes('Select at least one Domain Template before switching Restrict Access on.')`)
	// With the partner template (which does not list the shop), the shop's widget is refused.
	admin.js(`[...document.querySelectorAll('input[name="template"]')].find(e => e.labels[0].textContent.includes('Partner pages')).click()`)
	admin.submit("#interact-form")
	admin.flash("Interact settings saved.")
	// The origin tester says so, and names the entry that allows the partner.
	admin.set("#test-origin", shop)
	admin.submit("form.origin-tester")
	admin.wait(fmt.Sprintf(`document.querySelector('.tester-result').textContent.includes('Refused: Web pages at %s may not contact this service.')`, shop))
	admin.set("#test-origin", "https://partner.example.test")
	admin.submit("form.origin-tester")
	admin.wait(`document.querySelector('.tester-result').textContent.includes('Allowed by entry https://partner.example.test of template “Partner pages”.')`)
	refused := e.tab(t)
	navigate(t, refused, shop+"/")
	waitJS(t, refused, `__visible('.launcher') && __q('.launcher').classList.contains('off')`, 10*time.Second)

	// A form posted from another site is refused, and changes nothing.
	admin.open("/admin/tenant")
	maxBefore := eval[string](t, admin.ctx, `document.querySelector('#f-maxim').value`)
	evil := sibling(t, admin.ctx)
	navigate(t, evil, "http://evil.test:"+port+"/csrf")
	waitJS(t, evil, `location.pathname === '/admin/tenant' && document.body.textContent.includes('Cross-site request refused.')`, 10*time.Second)
	tn, err := l.db.Tenant(ctx, l.admin, l.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(tn.MaxConcurrentIMTasksPerService) != maxBefore {
		t.Fatalf("the cross-site form changed the tenant: %d (was %s)", tn.MaxConcurrentIMTasksPerService, maxBefore)
	}
	// So is a forged, confirmed delete of the service.
	navigate(t, evil, "http://evil.test:"+port+"/csrf-delete?service="+svcPath)
	waitJS(t, evil, `location.pathname.endsWith('/delete') && document.body.textContent.includes('Cross-site request refused.')`, 10*time.Second)
	if _, err := l.db.Service(ctx, l.admin, svcID); err != nil {
		t.Fatalf("the cross-site form deleted the service: %v", err)
	}

	testOUAdminInBrowser(t, e, admin, svcID)
	testDeleteByKeyboard(t, admin)
	testTenantsInBrowser(t, e, admin)
	testTablet(t, e, admin, svcPath, agentID)
}

// createUser creates a user in the console with the licence boxes ticked
// and returns their id (the user page it leads to).
func createUser(a adminTab, name, email, ou string, licences ...string) string {
	a.t.Helper()
	a.open("/admin/users")
	a.set("#u-name", name)
	a.set("#u-email", email)
	a.choose("#u-ou", ou)
	a.set("#u-pw", "a user password")
	for _, sel := range licences {
		a.check(sel, true)
	}
	a.submit(`form[action="/admin/users"]`)
	a.flash("User " + email + " created.")
	return strings.TrimPrefix(a.path(), "/admin/users/")
}

// An OU admin of EMEA, in their own browser, finds nothing of APAC (a
// sibling subtree): not in the menus and lists, and not by typing the URL
// of an APAC service, user or OU.
func testOUAdminInBrowser(t *testing.T, e *browserEnv, admin adminTab, emeaService string) {
	admin.open("/admin/services")
	admin.set("#s-name", "Asia Desk")
	admin.choose("#s-ou", "APAC")
	admin.submit(`form[action="/admin/services"]`)
	admin.flash(`Service "Asia Desk" created.`)
	asia := strings.TrimPrefix(admin.path(), "/admin/services/")
	pat := createUser(admin, "Pat Pacific", "pat@example.com", "APAC", "#u-cc")
	olga := createUser(admin, "Olga Ops", "olga@example.com", "EMEA")
	admin.js(`document.querySelector('#r-role').value = 'ouAdmin'`)
	admin.choose("#r-ou", "EMEA")
	admin.submit(`form[action="/admin/users/` + olga + `/roles"]`)
	admin.flash("Role added.")
	admin.open("/admin/ous")
	apac := eval[string](t, admin.ctx, `[...document.querySelectorAll('.ou-name')].find(e => e.textContent === 'APAC').id.slice(3)`)

	o := adminTab{t: t, ctx: e.tab(t), base: admin.base}
	o.signIn("olga@example.com", "a user password")
	// By the menus: every list holds EMEA's, and nothing of APAC's.
	for _, p := range []struct{ nav, mine, theirs string }{
		{"Services", "Web Support", "Asia Desk"},
		{"Users", "Olga Ops", "Pat Pacific"},
		{"OUs", "EMEA", "APAC"},
		{"Domain templates", "Partner pages", "APAC"},
	} {
		o.follow(fmt.Sprintf(`[...document.querySelectorAll('nav[aria-label="Main"] a')].find(a => a.textContent === %q).click()`, p.nav))
		if cur := o.text(`nav[aria-label="Main"] a[aria-current="page"]`); cur != p.nav {
			t.Fatalf("the %s link led to the %s page", p.nav, cur)
		}
		if !o.has(p.mine) || o.has(p.theirs) {
			t.Fatalf("the OU admin's %s page: want %q and not %q", p.nav, p.mine, p.theirs)
		}
	}
	if eval[bool](t, o.ctx, `!![...document.querySelectorAll('nav a')].find(a => a.textContent === 'All tenants')`) {
		t.Fatal("an OU admin sees the operator's All tenants link")
	}
	o.open("/admin/services/" + emeaService)
	if o.status() != 200 || !o.has("Web Support") {
		t.Fatalf("the OU admin cannot open their own service: %d", o.status())
	}
	// By typing URLs: not found, and nothing of it shown.
	for _, p := range []string{"/admin/services/" + asia, "/admin/services/" + asia + "/interact", "/admin/services/" + asia + "/members",
		"/admin/services/" + asia + "/delete", "/admin/users/" + pat, "/admin/users/" + pat + "/interact", "/admin/ous/" + apac + "/delete"} {
		o.open(p)
		if o.status() != http.StatusNotFound || o.text("h1") != "Not found" || !strings.HasPrefix(o.text("#page-error"), "No ") ||
			o.has("Asia Desk") || o.has("Pat Pacific") || o.has("APAC") {
			t.Fatalf("the OU admin typed %s: status %d, %q", p, o.status(), o.text("main"))
		}
		if p == "/admin/services/"+asia {
			e.screenshot(t, o.ctx, "admin-ou-admin-not-found")
		}
	}
	o.open("/admin/tenants")
	if o.status() != http.StatusForbidden || !o.has("Only operators may list tenants.") {
		t.Fatalf("the OU admin's tenants page: %d", o.status())
	}
}

// Deleting a service by keyboard: the Delete link leads to a confirmation
// whose Cancel has the focus; Enter there keeps the service, and Tab, Enter
// deletes it.
func testDeleteByKeyboard(t *testing.T, a adminTab) {
	a.open("/admin/services")
	a.follow(`[...document.querySelectorAll('main a')].find(x => x.textContent === 'Asia Desk').click()`)
	svc := a.path()
	a.js(`document.querySelector('#delete-service').focus()`)
	a.enter()
	if a.path() != svc+"/delete" || a.focused() != "cancel" || a.text("#confirm-h") != "Delete the service “Asia Desk”?" {
		t.Fatalf("confirmation page %s, focus on %q, heading %q", a.path(), a.focused(), a.text("#confirm-h"))
	}
	a.enter()
	if a.path() != svc {
		t.Fatalf("Cancel led to %s", a.path())
	}
	a.js(`document.querySelector('#delete-service').focus()`)
	a.enter()
	keys(t, a.ctx, "\t")
	if f := a.focused(); f != "confirm-delete" {
		t.Fatalf("Tab from Cancel focused %q, want the Delete button", f)
	}
	a.js(markPage)
	keys(t, a.ctx, "\r")
	a.flash("Service deleted.")
	if a.path() != "/admin/services" || a.has("Asia Desk") {
		t.Fatal("the service is still listed")
	}
}

// enter presses Enter on the focused link or button and waits for the
// page it leads to.
func (a adminTab) enter() {
	a.t.Helper()
	a.js(markPage)
	keys(a.t, a.ctx, "\r")
	a.wait(pageReady)
}

// The first admin is the operator: they create a tenant with its first
// admin and suspend it, in the console.
func testTenantsInBrowser(t *testing.T, e *browserEnv, a adminTab) {
	a.follow(`[...document.querySelectorAll('nav[aria-label="Main"] a')].find(x => x.textContent === 'All tenants').click()`)
	a.set("#nt-name", "Second Org")
	a.choose("#nt-state", "trial")
	a.set("#nt-email", "boss@second.test")
	a.set("#nt-admin", "Bea Boss")
	a.set("#nt-pw", "second org password")
	a.submit(`form[action="/admin/tenants"]`)
	a.flash(`Tenant "Second Org" created; its admin boss@second.test can sign in now.`)
	var second *interact.Tenant
	ts, err := e.l.db.Tenants(context.Background(), e.l.admin)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ts {
		if ts[i].Name == "Second Org" {
			second = &ts[i]
		}
	}
	if second == nil || second.State != interact.TenantTrial {
		t.Fatalf("the new tenant: %+v", second)
	}
	a.js(fmt.Sprintf(`document.querySelector('#st-%s').value = 'suspended'`, second.ID))
	a.submit(fmt.Sprintf(`form[action="/admin/tenants/%s/state"]`, second.ID))
	a.flash(`Tenant "Second Org" is now suspended.`)
	if tn, err := e.l.db.Tenant(context.Background(), e.l.admin, second.ID); err != nil || tn.State != interact.TenantSuspended {
		t.Fatalf("after suspending: %+v %v", tn, err)
	}
	e.screenshot(t, a.ctx, "admin-tenants")
}

// fitsJS lists what does not fit the viewport: sideways scrolling, controls
// past the right edge, buttons too small to tap, and form controls without
// a label.
// (A mobile viewport widens to its content, so the width is the device's.)
const fitsJS = `(() => {
  const w = %d, bad = [];
  const name = e => e.id || e.name || e.textContent.trim().slice(0, 30);
  if (innerWidth > w || document.documentElement.scrollWidth > w) bad.push('the page is ' + Math.max(innerWidth, document.documentElement.scrollWidth) + ' wide');
  for (const e of document.querySelectorAll('header a, header button, main a, main input:not([type=hidden]), main select, main textarea, main button')) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) continue; // in a closed <details>
    if (r.right > w + 1 && !e.closest('table')) bad.push(name(e) + ' ends at ' + Math.round(r.right));
    if ((e.tagName === 'BUTTON' || e.classList.contains('button')) && (r.height < 24 || r.width < 24)) bad.push(name(e) + ' is ' + Math.round(r.width) + 'x' + Math.round(r.height));
    if (/^(INPUT|SELECT|TEXTAREA)$/.test(e.tagName) && !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
      bad.push(name(e) + ' has no label');
  }
  for (const tb of document.querySelectorAll('main table'))
    if (tb.getBoundingClientRect().right > w + 1 || tb.scrollWidth > tb.clientWidth + 1) bad.push('a table is wider than the page');
  return bad;
})()`

// On a tablet (768×1024), every page fits its width and keeps its
// controls tappable and labelled.
func testTablet(t *testing.T, e *browserEnv, a adminTab, svcPath, agentID string) {
	if _, err := chromedp.Call(a.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: 768, Height: 1024, DeviceScaleFactor: 1, Mobile: true}); err != nil {
		t.Fatal(err)
	}
	defer chromedp.Call(a.ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
	for _, p := range []struct{ path, shot string }{
		{"/admin/services", "admin-tablet-services"},
		{svcPath, ""},
		{svcPath + "/members", ""},
		{svcPath + "/distribution", ""},
		{svcPath + "/messages", ""},
		{svcPath + "/interact", "admin-tablet-interact-tab"},
		{svcPath + "/hours", "admin-tablet-hours-tab"},
		{svcPath + "/delete", "admin-tablet-confirm"},
		{"/admin/tenant", ""},
		{"/admin/tenants", ""},
		{"/admin/ous", ""},
		{"/admin/users", ""},
		{"/admin/users/" + agentID, ""},
		{"/admin/templates", "admin-tablet-templates"},
		{"/admin/calendars", ""},
		{"/admin/audit", ""},
		{"/admin/sessions", ""},
	} {
		a.open(p.path)
		if bad := eval[[]string](t, a.ctx, fmt.Sprintf(fitsJS, 768)); len(bad) > 0 {
			t.Errorf("%s on a tablet: %s", p.path, strings.Join(bad, "; "))
		}
		if p.shot != "" {
			e.screenshot(t, a.ctx, p.shot)
		}
	}
}
