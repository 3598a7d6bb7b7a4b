package web_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/interact-oss/interact"
	"golang.org/x/net/html"
)

// submitWithRole lists the page's submit buttons that carry a role: a
// submit button has the button role and no other (a switch is toggled in
// place, a submit button sends its form).
const submitWithRole = `[...document.querySelectorAll('button')].filter(b => b.type === 'submit' && b.hasAttribute('role')).map(b => b.outerHTML)`

// The admin console shows names, not the API's identifiers: licences
// (Contact Center), roles (Tenant admin) and, in the audit log, entity
// kinds and the names of the entities that still exist (the id of those
// that do not). The REST API keeps its identifiers. A member's active
// toggle is a plain submit button, used by keyboard.
func TestAdminConsoleNamesInBrowser(t *testing.T) {
	chromium := chromiumOrSkip(t)
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	ctx := context.Background()
	l.restrictTo("https://shop.example.test")
	gone, err := l.db.CreateCode(ctx, l.admin, l.ouID, "Short-lived")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.db.DeleteCode(ctx, l.admin, gone.ID); err != nil {
		t.Fatal(err)
	}
	e := &browserEnv{l: l, browser: newBrowser(t, chromium), shots: os.Getenv("INTERACT_SCREENSHOTS")}
	a := adminTab{t: t, ctx: e.tab(t), base: l.url}
	a.signIn("admin@live.test", "admin-password")
	noRoles := func(page string) {
		t.Helper()
		if got := eval[[]string](t, a.ctx, submitWithRole); len(got) != 0 {
			t.Errorf("%s: submit buttons with a role: %q", page, got)
		}
	}
	raw := func(page string, ids ...string) {
		t.Helper()
		text := eval[string](t, a.ctx, `document.querySelector('main').innerText`)
		for _, id := range ids {
			if strings.Contains(text, id) {
				t.Errorf("%s shows the identifier %q", page, id)
			}
		}
	}

	// Services: the licence by its name.
	a.open("/admin/services")
	e.screenshot(t, a.ctx, "admin-services")
	if got := a.text(`table tbody tr td:nth-child(3)`); got != "Contact Center" {
		t.Errorf("services list: licence %q, want Contact Center", got)
	}
	raw("the services list", "contactCenter")
	a.open("/admin/services/" + l.svc.ID)
	if got := eval[string](t, a.ctx, `document.querySelector('#s-license').selectedOptions[0].textContent`); got != "Contact Center" {
		t.Errorf("service page: the licence tier shows %q", got)
	}
	raw("the service page", "contactCenter")

	// Users: roles by their names.
	a.open("/admin/users")
	e.screenshot(t, a.ctx, "admin-users")
	if got := eval[string](t, a.ctx, `[...document.querySelectorAll('table tbody tr')].find(r => r.textContent.includes('admin@live.test')).cells[4].textContent.trim()`); got != "Tenant admin, Operator" {
		t.Errorf("users list: the admin's roles %q, want Tenant admin, Operator", got)
	}
	raw("the users list", "tenantAdmin")

	// Audit log: kinds and names; a deleted entity by its id.
	a.open("/admin/audit")
	e.screenshot(t, a.ctx, "admin-audit")
	entity := func(action string) []string {
		t.Helper()
		return eval[[]string](t, a.ctx, `[...document.querySelectorAll('table.audit tbody tr')].filter(r => r.cells[2].textContent === `+jsString(action)+`).map(r => r.cells[3].innerText.trim())`)
	}
	for action, want := range map[string]string{
		"service.create":         "Service Support",
		"domain_template.create": "Domain template Allowed pages",
		"user.create":            "User Agent 0",
		"code.delete":            "Code " + gone.ID,
	} {
		if got := entity(action); len(got) == 0 || got[0] != want {
			t.Errorf("audit %s: entity %q, want %q", action, got, want)
		}
	}
	if cells := eval[string](t, a.ctx, `[...document.querySelectorAll('table.audit tbody tr')].map(r => r.cells[3].innerText).join('\n')`); strings.Contains(cells, l.svc.ID) || strings.Contains(cells, "domain_template") {
		t.Errorf("the audit log's entities show identifiers:\n%s", cells)
	}
	// The REST API keeps the identifiers.
	var page struct{ Items []interact.AuditEntry }
	getAdminJSON(t, l, "/api/v1/audit?entityKind=service", &page)
	if len(page.Items) == 0 || page.Items[len(page.Items)-1].EntityID != l.svc.ID || page.Items[len(page.Items)-1].EntityKind != "service" {
		t.Errorf("GET /api/v1/audit: %+v", page.Items)
	}

	// Members: the active toggle is a submit button without a role, and
	// works by keyboard (Enter and Space), saying what it does.
	a.open("/admin/services/" + l.svc.ID + "/members")
	e.screenshot(t, a.ctx, "admin-members")
	noRoles("the members tab")
	toggle := `form.inline button.toggle`
	if got := a.text(toggle); got != "Deactivate Agent 0" {
		t.Errorf("the toggle of an active member says %q", got)
	}
	a.js(`document.querySelector('` + toggle + `').focus()`)
	a.js(markPage)
	keys(t, a.ctx, "\r")
	a.flash("Agent 0 is an inactive member.")
	e.screenshot(t, a.ctx, "admin-members-inactive")
	if got := strings.TrimSpace(a.text(`table tbody tr td:nth-child(3)`)); !strings.HasPrefix(got, "Inactive") || a.text(toggle) != "Activate Agent 0" {
		t.Errorf("after deactivating: %q", got)
	}
	a.js(`document.querySelector('` + toggle + `').focus()`)
	a.js(markPage)
	keys(t, a.ctx, " ")
	a.flash("Agent 0 is an active member.")
	if ms, err := l.db.Members(ctx, l.admin, l.svc.ID); err != nil || len(ms) != 1 || !ms[0].Active {
		t.Errorf("members after two toggles: %+v %v", ms, err)
	}
	for _, p := range []string{"/admin/tenant", "/admin/services/" + l.svc.ID + "/interact", "/admin/users/" + l.agents[0].ID} {
		a.open(p)
		noRoles(p)
	}
}

// No template of the admin console gives a submit button a role (a
// <button> without a type submits its form).
func TestAdminTemplatesSubmitButtonsHaveNoRole(t *testing.T) {
	files, err := filepath.Glob("adminconsole/templates/admin/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		z := html.NewTokenizer(strings.NewReader(string(b)))
		for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
			if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
				continue
			}
			tok := z.Token()
			if tok.Data != "button" {
				continue
			}
			typ, role := "submit", ""
			for _, at := range tok.Attr {
				switch at.Key {
				case "type":
					typ = at.Val
				case "role":
					role = at.Val
				}
			}
			if typ == "submit" && role != "" {
				t.Errorf("%s: a submit button with role %q: %s", filepath.Base(f), role, tok.String())
			}
		}
	}
}

// getAdminJSON gets an admin API path as the tenant admin and decodes it.
func getAdminJSON(t *testing.T, l *live, path string, v any) {
	t.Helper()
	r := l.widget("GET", path, "", l.adminToken(), nil)
	if r.status != 200 {
		t.Fatalf("GET %s: %d %v", path, r.status, r.body)
	}
	b, _ := json.Marshal(r.body)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func jsString(s string) string { b, _ := json.Marshal(s); return string(b) }
