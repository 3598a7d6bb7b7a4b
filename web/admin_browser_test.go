package web_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/interact-oss/interact"
)

// The seed's flow in a real browser: a tenant admin signs in to the admin
// console, switches Interact on, creates a service in an OU, sees why the
// Interact tab is missing, licenses the service, makes an agent a member,
// enables Instant Message, copies the snippet with the Copy button, pastes
// it into a web page on another origin, and a visitor's chat arrives at the
// agent. Then Restrict Access with a template that does not list that page
// refuses the widget there; and a form posted from another site is refused.
func TestAdminConsoleInBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("INTERACT_REQUIRE_BROWSER") != "" {
			t.Fatal("chromium is not installed, and INTERACT_REQUIRE_BROWSER is set")
		}
		t.Skip("chromium is not installed (apt-get install chromium); set INTERACT_REQUIRE_BROWSER=1 to fail instead")
	}
	ctx := context.Background()
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	// As after a fresh install: Interact is off for the tenant.
	off := false
	if _, err := l.db.UpdateTenant(ctx, l.admin, l.tenant.ID, interact.TenantUpdate{InteractEnabled: &off}); err != nil {
		t.Fatal(err)
	}
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
		default:
			http.NotFound(w, r)
		}
	})}}
	pages.Start()
	t.Cleanup(pages.Close)
	shop := "http://shop.example.test:" + port

	// The admin's tab lives in the default browser context, where the
	// clipboard permissions are granted.
	admin := e.browser
	addHelpers(t, admin)
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(admin, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSettingGranted, Origin: l.url}); err != nil {
			t.Logf("grant %s: %v", name, err)
		}
	}
	js := func(s string) { t.Helper(); eval[any](t, admin, s) }
	set := func(sel, v string) {
		t.Helper()
		js(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q; e.dispatchEvent(new Event('input', {bubbles: true})); })()`, sel, v))
	}
	check := func(sel string, on bool) {
		t.Helper()
		js(fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (e.checked !== %v) e.click(); })()`, sel, on))
	}
	submit := func(sel string) { t.Helper(); js(fmt.Sprintf(`document.querySelector(%q).requestSubmit()`, sel)) }
	flash := func(text string) {
		t.Helper()
		waitJS(t, admin, fmt.Sprintf(`(document.querySelector('#flash') || {textContent: ''}).textContent.includes(%q)`, text), 10*time.Second)
	}
	text := func(sel string) string {
		t.Helper()
		return eval[string](t, admin, fmt.Sprintf(`(document.querySelector(%q) || {textContent: ''}).textContent`, sel))
	}

	// Sign in, by keyboard.
	navigate(t, admin, l.url+"/admin")
	waitJS(t, admin, `location.pathname === '/admin/signin' && document.activeElement && document.activeElement.id === 'email'`, 10*time.Second)
	keys(t, admin, "admin@live.test\tadmin-password\r")
	waitJS(t, admin, `location.pathname === '/admin/services'`, 10*time.Second)

	// Switch Interact on for the tenant.
	navigate(t, admin, l.url+"/admin/tenant")
	check("#f-interact", true)
	submit(`form[action="/admin/tenant"]`)
	flash("Tenant settings saved.")
	if got := text("#interact-state"); got != "on" {
		t.Fatalf("Interact state after saving: %q", got)
	}
	e.screenshot(t, admin, "admin-tenant")

	// An OU, and a service in it: no Interact tab yet, and the page says why.
	navigate(t, admin, l.url+"/admin/ous")
	set("#ou-name", "EMEA")
	submit(`form[action="/admin/ous"]`)
	flash(`OU "EMEA" created.`)
	navigate(t, admin, l.url+"/admin/services")
	set("#s-name", "Web Support")
	js(`(() => { const s = document.querySelector('#s-ou'); s.value = [...s.options].find(o => o.textContent.includes('EMEA')).value; })()`)
	submit(`form[action="/admin/services"]`)
	flash(`Service "Web Support" created.`)
	if got := text("#interact-unavailable"); !strings.Contains(got, "Assign the Contact Center licence under General → Licenses.") ||
		eval[bool](t, admin, `!!document.querySelector('#interact-tab-link')`) {
		t.Fatalf("unlicensed service: notice %q", got)
	}
	e.screenshot(t, admin, "admin-interact-unavailable")
	svcPath := eval[string](t, admin, `location.pathname`)

	// Licence and add-on: the tab appears.
	js(`document.querySelector('#s-license').value = 'contactCenter'`)
	check("#s-addon", true)
	submit(`form[action="` + svcPath + `"]`)
	flash("Service saved.")
	waitJS(t, admin, `!!document.querySelector('#interact-tab-link') && !document.querySelector('#interact-unavailable')`, 5*time.Second)

	// The agent becomes an active member.
	navigate(t, admin, l.url+svcPath+"/members")
	js(`document.querySelector('#m-user').value = ` + fmt.Sprintf("%q", l.agents[0].ID))
	submit(`form.card[action="` + svcPath + `/members"]`)
	flash("is an active member.")

	// A domain template for partner pages, typed with live validation.
	navigate(t, admin, l.url+"/admin/templates")
	set("#t-name", "Partner pages")
	js(`document.querySelector('#t-origins').focus()`)
	keys(t, admin, "https://partner.example.test/cart")
	waitJS(t, admin, `document.querySelector('#t-origins-check').textContent.includes('a path is not allowed')`, 10*time.Second)
	e.screenshot(t, admin, "admin-template-editor")
	set("#t-origins", "https://partner.example.test")
	waitJS(t, admin, `document.querySelector('#t-origins-check').textContent.includes('All 1 entries are valid.')`, 10*time.Second)
	submit(`form[action="/admin/templates"]`)
	flash(`Domain template "Partner pages" created.`)

	// The Interact tab: Instant Message on, then Copy the snippet.
	navigate(t, admin, l.url+svcPath+"/interact")
	waitJS(t, admin, `!!document.querySelector('#snippet')`, 5*time.Second)
	check("#f-im", true)
	submit("#interact-form")
	flash("Interact settings saved.")
	e.screenshot(t, admin, "admin-interact-tab")
	js(`document.querySelector('#snippet-h').scrollIntoView()`)
	e.screenshot(t, admin, "admin-interact-snippet")
	js(`document.querySelector('#copy-snippet').focus()`)
	keys(t, admin, "\r")
	waitJS(t, admin, `document.querySelector('#copy-status').textContent !== ''`, 5*time.Second)
	copied, err := chromedp.Run(admin, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil || copied == "" {
		// Headless Chromium may keep the clipboard from the page; the page
		// still tells what it copied.
		t.Logf("reading the clipboard: %v; reading the copied text from the page", err)
		if st := text("#copy-status"); st != "Copied to the clipboard." {
			t.Fatalf("copy status %q", st)
		}
		copied = eval[string](t, admin, `document.querySelector('#snippet').value`)
	}
	st, err := l.db.Interact(ctx, l.admin, interact.OwnerService, strings.TrimPrefix(svcPath, "/admin/services/"))
	if err != nil {
		t.Fatal(err)
	}
	if want := interact.Snippet(l.url, st.ContactID, st.WidgetKey); copied != want {
		t.Fatalf("copied %q, want the snippet %q", copied, want)
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
	navigate(t, admin, l.url+"/admin/sessions")
	waitJS(t, admin, `[...document.querySelectorAll('table.sessions tbody tr')].some(r => r.textContent.includes('Web Support') && r.textContent.includes('Vera Visitor'))`, 10*time.Second)

	// Restrict Access: not without a template, and the page says why.
	navigate(t, admin, l.url+svcPath+"/interact")
	waitJS(t, admin, `!!document.querySelector('#f-ra')`, 5*time.Second)
	check("#f-ra", true)
	submit("#interact-form")
	waitJS(t, admin, `document.querySelector('#f-ra-why').textContent.includes('Select at least one Domain Template before switching Restrict Access on.')`, 5*time.Second)
	// With the partner template (which does not list the shop), the shop's widget is refused.
	js(`[...document.querySelectorAll('input[name="template"]')].find(e => e.labels[0].textContent.includes('Partner pages')).click()`)
	submit("#interact-form")
	flash("Interact settings saved.")
	// The origin tester says so, and names the entry that allows the partner.
	set("#test-origin", shop)
	submit("form.origin-tester")
	waitJS(t, admin, fmt.Sprintf(`document.querySelector('.tester-result').textContent.includes('Refused: Web pages at %s may not contact this service.')`, shop), 5*time.Second)
	set("#test-origin", "https://partner.example.test")
	submit("form.origin-tester")
	waitJS(t, admin, `document.querySelector('.tester-result').textContent.includes('Allowed by entry https://partner.example.test of template “Partner pages”.')`, 5*time.Second)
	refused := e.tab(t)
	navigate(t, refused, shop+"/")
	waitJS(t, refused, `__visible('.launcher') && __q('.launcher').classList.contains('off')`, 10*time.Second)

	// A form posted from another site is refused, and changes nothing.
	navigate(t, admin, l.url+"/admin/tenant")
	maxBefore := eval[string](t, admin, `document.querySelector('#f-maxim').value`)
	evil := sibling(t, admin)
	navigate(t, evil, "http://evil.test:"+port+"/csrf")
	waitJS(t, evil, `location.pathname === '/admin/tenant' && document.body.textContent.includes('Cross-site request refused.')`, 10*time.Second)
	tn, err := l.db.Tenant(ctx, l.admin, l.tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(tn.MaxConcurrentIMTasksPerService) != maxBefore {
		t.Fatalf("the cross-site form changed the tenant: %d (was %s)", tn.MaxConcurrentIMTasksPerService, maxBefore)
	}
}
