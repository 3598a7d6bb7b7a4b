package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web"
)

// Every destructive console action has a confirmation step that works
// without JavaScript: the control is a link to a confirmation page, and a
// delete POST without confirm=yes deletes nothing.
func TestAdminConsoleDeleteConfirmation(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	c := e.console(t)
	c.signIn(adminEmail, adminPassword)
	api := e.adminClient(t)
	root := api.rootOU(t)
	empty := api.createOU(t, "Empty", root.ID)
	busy := api.createOU(t, "Busy", root.ID)
	svc := api.createService(t, map[string]any{"name": "Doomed", "ouId": busy.ID})
	tpl := api.createTemplate(t, "Old pages", root.ID, "https://old.example.test")
	u := api.createUser(t, "del@a.test", "Del User", root.ID, interact.Licenses{ContactCenter: true})
	if p := c.post("/admin/users/"+u.ID+"/tokens", url.Values{"form": {"tokens"}, "name": {"Nightly export"}}); p.status != 201 {
		t.Fatalf("token: %d %s", p.status, errorsOf(p))
	}
	m := regexp.MustCompile(`href="/admin/users/` + u.ID + `/tokens/([^/"]+)/delete"`).FindStringSubmatch(c.get("/admin/users/" + u.ID).body)
	if m == nil {
		t.Fatal("the user page has no revoke link for the token")
	}
	tokenID := m[1]

	for _, tc := range []struct {
		what, page, del, heading, cancel, done, gone string
	}{
		{"service", "/admin/services/" + svc.ID, "/admin/services/" + svc.ID + "/delete", "Delete the service “Doomed”?",
			"/admin/services/" + svc.ID, "Service deleted.", "/api/v1/services/" + svc.ID},
		{"template", "/admin/templates/" + tpl.ID, "/admin/templates/" + tpl.ID + "/delete", "Delete the domain template “Old pages”?",
			"/admin/templates/" + tpl.ID, "Domain template deleted.", "/api/v1/domain-templates/" + tpl.ID},
		{"OU", "/admin/ous", "/admin/ous/" + empty.ID + "/delete", "Delete the OU “Empty”?",
			"/admin/ous", "OU deleted.", "/api/v1/ous/" + empty.ID},
		{"token", "/admin/users/" + u.ID, "/admin/users/" + u.ID + "/tokens/" + tokenID + "/delete", "Revoke the API token “Nightly export” of Del User?",
			"/admin/users/" + u.ID, "API token revoked.", ""},
		{"user", "/admin/users/" + u.ID, "/admin/users/" + u.ID + "/delete", "Delete the user Del User (del@a.test)?",
			"/admin/users/" + u.ID, "User deleted.", "/api/v1/users/" + u.ID},
	} {
		// The page links to the confirmation; nothing on it deletes directly.
		p := c.get(tc.page)
		if !p.has(`href="`+tc.del+`"`) || p.has(`action="`+tc.del+`"`) {
			t.Fatalf("%s: the page should link to %s and hold no form posting there", tc.what, tc.del)
		}
		// The confirmation names what goes, posts confirm=yes, and Cancel leads back.
		p = c.get(tc.del)
		if p.status != 200 || !p.has(html.EscapeString(tc.heading)) || !p.has(`action="`+tc.del+`"`) ||
			!p.has(`name="confirm" value="yes"`) || !p.has(`href="`+tc.cancel+`" class="button" id="cancel" autofocus`) {
			t.Fatalf("%s: confirmation page %d: %s", tc.what, p.status, p.body)
		}
		// Unconfirmed, from another site, or with a forged token: nothing changes.
		before := api.snapshot(t, "/api/v1/audit?limit=500", "/api/v1/ous", "/api/v1/services", "/api/v1/users", "/api/v1/domain-templates", "/api/v1/users/"+u.ID+"/tokens")
		p = c.refused(tc.del, url.Values{"form": {"delete"}}, 400, "Nothing was deleted: confirm the deletion below.")
		if !p.has(html.EscapeString(tc.heading)) {
			t.Fatalf("%s: an unconfirmed delete should show the confirmation again", tc.what)
		}
		if p = c.post(tc.del, url.Values{"confirm": {"yes"}}, "Sec-Fetch-Site", "cross-site"); p.status != 403 {
			t.Fatalf("%s: cross-site delete: %d", tc.what, p.status)
		}
		if p = c.post(tc.del, url.Values{"confirm": {"yes"}, "csrf": {"forged"}}); p.status != 403 {
			t.Fatalf("%s: delete with a forged token: %d", tc.what, p.status)
		}
		diffSnapshot(t, tc.what+": refused deletes", before, api.snapshot(t, "/api/v1/audit?limit=500", "/api/v1/ous", "/api/v1/services", "/api/v1/users", "/api/v1/domain-templates", "/api/v1/users/"+u.ID+"/tokens"))
		// Confirmed, it goes.
		if p = c.ok(tc.del, url.Values{"form": {"delete"}, "confirm": {"yes"}}); !p.has(tc.done) {
			t.Fatalf("%s: after deleting: %s", tc.what, errorsOf(p))
		}
		if tc.gone != "" {
			api.fail(t, "GET", tc.gone, nil, 404, interact.ENOTFOUND)
		} else if ts := getList[map[string]any](t, api, "/api/v1/users/"+u.ID+"/tokens"); len(ts) != 0 {
			t.Fatalf("tokens after revoking: %v", ts)
		}
		if p = c.get(tc.del); p.status != 404 {
			t.Fatalf("%s: the confirmation of a deleted entity: %d", tc.what, p.status)
		}
	}

	api.createUser(t, "ou@a.test", "Olga OU", busy.ID, interact.Licenses{}, interact.Role{Role: interact.RoleOUAdmin, ScopeID: busy.ID})
	// A refused deletion (an OU that is not empty) says why on the
	// confirmation page and changes nothing.
	before := api.snapshot(t, "/api/v1/ous", "/api/v1/audit?limit=500")
	p := c.post("/admin/ous/"+busy.ID+"/delete", url.Values{"form": {"delete"}, "confirm": {"yes"}})
	if p.status < 400 || !p.has(html.EscapeString("Delete the OU “Busy”?")) || errorsOf(p) == "" {
		t.Fatalf("deleting a busy OU: %d %s", p.status, errorsOf(p))
	}
	diffSnapshot(t, "a refused OU deletion", before, api.snapshot(t, "/api/v1/ous", "/api/v1/audit?limit=500"))

	// An OU admin cannot even open the confirmation for what they cannot see.
	sib := api.createOU(t, "Sibling", root.ID)
	hidden := api.createService(t, map[string]any{"name": "Hidden", "ouId": sib.ID})
	oc := e.console(t)
	oc.signIn("ou@a.test", userPassword)
	if p = oc.get("/admin/services/" + hidden.ID + "/delete"); p.status != http.StatusNotFound || p.has("Hidden") {
		t.Fatalf("OU admin opened the deletion of a service outside the subtree: %d", p.status)
	}
	if p = oc.post("/admin/services/"+hidden.ID+"/delete", url.Values{"form": {"delete"}, "confirm": {"yes"}}); p.status != http.StatusNotFound {
		t.Fatalf("OU admin deleted a service outside the subtree: %d", p.status)
	}
	api.ok(t, "GET", "/api/v1/services/"+hidden.ID, nil, 200, nil)
	if strings.Contains(c.get("/admin/ous").body, `action="/admin/ous/`+busy.ID+`/delete"`) {
		t.Fatal("the OU page still posts deletes directly")
	}
}
