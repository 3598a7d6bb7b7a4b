package web_test

import (
	"html"
	"net/url"
	"regexp"
	"testing"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web"
)

var codeRow = regexp.MustCompile(`data-code="([^"]+)"`)

// The codes page of an OU: linked from the OU tree and the service page;
// create, rename and delete (with confirmation) with the store's
// permission checks and audit entries; codes from above shown read-only.
func TestAdminConsoleCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	c := e.console(t)
	c.signIn(adminEmail, adminPassword)
	api := e.adminClient(t)
	root := api.rootOU(t)
	sub := api.createOU(t, "Sub", root.ID)
	svc := api.createService(t, map[string]any{"name": "Desk", "ouId": sub.ID})
	rootCodes, subCodes := "/admin/ous/"+root.ID+"/codes", "/admin/ous/"+sub.ID+"/codes"

	if !c.get("/admin/ous").has(`href="` + subCodes + `"`) {
		t.Fatal("the OU tree does not link to the codes page")
	}
	if !c.get("/admin/services/" + svc.ID).has(`href="` + subCodes + `"`) {
		t.Fatal("the service page does not link to its OU's codes")
	}
	if p := c.get(subCodes); p.status != 200 || !p.has(`id="no-codes"`) {
		t.Fatalf("empty codes page: %d %s", p.status, errorsOf(p))
	}
	p := c.ok(rootCodes, url.Values{"form": {"code-create"}, "name": {"  Billing "}})
	if !p.has(html.EscapeString(`Code "Billing" created.`)) {
		t.Fatalf("after creating: %s", errorsOf(p))
	}
	m := codeRow.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatal("no code row")
	}
	billing := m[1]
	c.ok(subCodes, url.Values{"form": {"code-create"}, "name": {"Desk only"}})
	c.refused(rootCodes, url.Values{"form": {"code-create"}, "name": {"Billing"}}, 409, `A code named "Billing" already exists on this OU.`)
	c.refused(rootCodes, url.Values{"form": {"code-create"}, "name": {" "}}, 400, "The code's name must not be empty.")
	for _, page := range []string{rootCodes, subCodes} {
		for _, problem := range labelProblems(t, c.get(page).body) {
			t.Errorf("%s: %s", page, problem)
		}
	}
	if p := c.get(subCodes); !p.has("Tenant A: Billing") || !p.has("Desk only") {
		t.Fatalf("the sub OU's page should show its code and the inherited one: %s", p.body)
	}
	// A code is renamed on its own OU's page only.
	if p := c.post(subCodes+"/"+billing, url.Values{"form": {"code-" + billing}, "name": {"Other"}}); p.status != 404 {
		t.Fatalf("renaming another OU's code: %d", p.status)
	}
	c.ok(rootCodes+"/"+billing, url.Values{"form": {"code-" + billing}, "name": {"Invoices"}})

	// An OU admin of Sub manages Sub's codes, not the root's.
	api.createUser(t, "ou@a.test", "Ou Admin", sub.ID, interact.Licenses{}, interact.Role{Role: interact.RoleOUAdmin, ScopeID: sub.ID})
	oc := e.console(t)
	oc.signIn("ou@a.test", userPassword)
	oc.refused(rootCodes, url.Values{"form": {"code-create"}, "name": {"Mine"}}, 403, "You may not change OU")
	oc.ok(subCodes, url.Values{"form": {"code-create"}, "name": {"Mine"}})

	// Delete: a confirmation page, nothing without confirm=yes.
	del := rootCodes + "/" + billing + "/delete"
	if p := c.get(rootCodes); !p.has(`href="`+del+`"`) || p.has(`action="`+del+`"`) {
		t.Fatal("the codes page should link to the delete confirmation")
	}
	if p := c.get(del); p.status != 200 || !p.has(html.EscapeString("Delete the code “Invoices”?")) || !p.has(`name="confirm" value="yes"`) {
		t.Fatalf("confirmation: %d %s", p.status, p.body)
	}
	c.refused(del, url.Values{"form": {"delete"}}, 400, "Nothing was deleted: confirm the deletion below.")
	if p := c.ok(del, url.Values{"form": {"delete"}, "confirm": {"yes"}}); !p.has(html.EscapeString(`Code "Invoices" deleted.`)) || p.has(`data-code="`+billing+`"`) {
		t.Fatalf("after deleting: %s", errorsOf(p))
	}
	var audit struct{ Items []struct{ Action string } }
	api.ok(t, "GET", "/api/v1/audit?entityKind=code&limit=50", nil, 200, &audit)
	seen := map[string]int{}
	for _, a := range audit.Items {
		seen[a.Action]++
	}
	if seen["code.create"] != 3 || seen["code.rename"] != 1 || seen["code.delete"] != 1 {
		t.Errorf("audit entries %v", seen)
	}
}
