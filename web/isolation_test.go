package web_test

import (
	"strings"
	"testing"

	"github.com/interact-oss/interact"
)

// tenantAItems are the ids tenant A's scenario made.
type tenantAItems struct {
	ous       []string // root first
	service   string
	templates []string
	agent     string
	contactID string
	widgetKey string
}

// checkIsolation creates tenant B through the operator API, signs its admin
// in, and proves that B can neither read nor change any of A's items, that
// B's own lists hold none of them, and that A's state is untouched.
func checkIsolation(t *testing.T, e *env, a *client, it tenantAItems) {
	t.Helper()
	const bEmail, bPassword = "admin@b.test", "tenant b password"
	var created struct {
		Tenant *interact.Tenant `json:"tenant"`
		Admin  *interact.User   `json:"admin"`
	}
	a.ok(t, "POST", "/api/v1/tenants", map[string]any{"name": "Tenant B", "adminEmail": bEmail, "adminPassword": bPassword}, 201, &created)
	if created.Tenant == nil || created.Admin == nil || created.Tenant.ID == "" || created.Admin.OUID == "" {
		t.Fatalf("POST /tenants answered %+v", created)
	}
	if created.Tenant.InteractEnabled || created.Tenant.State != interact.TenantActive {
		t.Errorf("new tenant %+v: want active with Interact off", created.Tenant)
	}
	for _, r := range created.Admin.Roles {
		if r.Role == interact.RoleOperator {
			t.Errorf("a tenant created by an operator got an operator admin: %v", created.Admin.Roles)
		}
	}

	aPaths := []string{"/api/v1/tenant", "/api/v1/ous", "/api/v1/services", "/api/v1/domain-templates", "/api/v1/users",
		"/api/v1/services/" + it.service + "/interact", "/api/v1/services/" + it.service + "/members"}
	beforeA := a.snapshot(t, aPaths...)
	auditA := len(a.audit(t))

	b := e.login(t, bEmail, bPassword)
	if b.user.ID != created.Admin.ID {
		t.Fatalf("signed in as %s, want B's admin %s", b.user.ID, created.Admin.ID)
	}
	svc, agent := it.service, it.agent
	nf := func(method, path string, body any) {
		t.Helper()
		b.fail(t, method, path, body, 404, interact.ENOTFOUND)
	}
	for _, id := range it.ous {
		nf("GET", "/api/v1/ous/"+id, nil)
		nf("PATCH", "/api/v1/ous/"+id, map[string]any{"name": "Taken"})
	}
	nf("DELETE", "/api/v1/ous/"+it.ous[len(it.ous)-1], nil)
	nf("GET", "/api/v1/services/"+svc, nil)
	nf("PATCH", "/api/v1/services/"+svc, map[string]any{"name": "Taken"})
	nf("PATCH", "/api/v1/services/"+svc, map[string]any{"license": "enterpriseRouting"})
	nf("DELETE", "/api/v1/services/"+svc, nil)
	nf("GET", "/api/v1/services/"+svc+"/interact", nil)
	nf("PUT", "/api/v1/services/"+svc+"/interact", map[string]any{"restrictAccess": false})
	nf("POST", "/api/v1/services/"+svc+"/interact/rotate-key", nil)
	nf("GET", "/api/v1/services/"+svc+"/members", nil)
	nf("PUT", "/api/v1/services/"+svc+"/members/"+agent, map[string]any{"active": false})
	nf("DELETE", "/api/v1/services/"+svc+"/members/"+agent, nil)
	for _, id := range it.templates {
		nf("GET", "/api/v1/domain-templates/"+id, nil)
		nf("PATCH", "/api/v1/domain-templates/"+id, map[string]any{"origins": []string{"https://evil.test"}})
		nf("DELETE", "/api/v1/domain-templates/"+id, nil)
	}
	for _, id := range []string{agent, e.admin.ID} {
		nf("GET", "/api/v1/users/"+id, nil)
		nf("PATCH", "/api/v1/users/"+id, map[string]any{"password": "taken over 123"})
		nf("DELETE", "/api/v1/users/"+id, nil)
		nf("GET", "/api/v1/users/"+id+"/interact", nil)
		nf("PUT", "/api/v1/users/"+id+"/interact", map[string]any{"audioVideo": true})
		nf("GET", "/api/v1/users/"+id+"/tokens", nil)
		nf("POST", "/api/v1/users/"+id+"/tokens", map[string]any{"name": "stolen"})
	}
	nf("GET", "/api/v1/tenants/"+e.tenant.ID, nil)
	nf("PATCH", "/api/v1/tenants/"+e.tenant.ID, map[string]any{"interactEnabled": false})
	b.fail(t, "POST", "/api/v1/origin-check", map[string]any{"contactId": it.contactID, "origin": "https://shop.example.test"}, 404, interact.EUNKNOWNCONTACT)
	b.fail(t, "GET", "/api/v1/tenants", nil, 403, interact.EFORBIDDEN)

	// A's ids are no better as references inside B's own requests.
	bRoot := b.rootOU(t)
	nf("POST", "/api/v1/ous", map[string]any{"name": "Inside A", "parentId": it.ous[1]})
	nf("POST", "/api/v1/services", map[string]any{"name": "Inside A", "ouId": it.ous[1]})
	nf("POST", "/api/v1/domain-templates", map[string]any{"name": "Inside A", "ouId": it.ous[1], "origins": []string{"https://b.test"}})
	nf("POST", "/api/v1/users", map[string]any{"email": "x@b.test", "name": "X", "ouId": it.ous[1], "password": userPassword})
	bSvc := b.interactService(t, "B support", bRoot.ID)
	nf("PUT", "/api/v1/services/"+bSvc.ID+"/members/"+agent, map[string]any{"active": true})
	b.fail(t, "PUT", "/api/v1/services/"+bSvc.ID+"/interact", map[string]any{"domainTemplateIds": it.templates[1:]}, 400, interact.ENOTSELECTABLE)
	b.fail(t, "POST", "/api/v1/users", map[string]any{"email": "y@b.test", "name": "Y", "ouId": bRoot.ID, "password": userPassword,
		"roles": []map[string]string{{"role": "ouAdmin", "scopeId": it.ous[1]}}}, 400, interact.EINVALID)
	b.fail(t, "POST", "/api/v1/users", map[string]any{"email": "z@b.test", "name": "Z", "ouId": bRoot.ID, "password": userPassword,
		"roles": []map[string]string{{"role": "serviceOwner", "scopeId": svc}}}, 400, interact.EINVALID)
	b.fail(t, "PATCH", "/api/v1/services/"+bSvc.ID, map[string]any{"distribution": map[string]any{"overflowAction": "transfer", "overflowServiceId": svc}}, 400, interact.EINVALID)

	// B's own lists hold none of A's items. (B's audit log opens with the
	// tenant.create entry written by the operator who created B, so the
	// operator's own id and e-mail may appear there as the actor.)
	aIDs := append(append(append([]string{e.tenant.ID, svc, agent, it.contactID, it.widgetKey}, it.ous...), it.templates...), "agent@a.test")
	for _, p := range []string{"/api/v1/ous", "/api/v1/services", "/api/v1/domain-templates", "/api/v1/users", "/api/v1/audit?limit=500", "/api/v1/tenant"} {
		r := b.call(t, "GET", p, nil)
		if r.status != 200 {
			t.Errorf("B: GET %s: %d %s", p, r.status, r.body)
			continue
		}
		body := string(r.body)
		if p != "/api/v1/audit?limit=500" && (strings.Contains(body, e.admin.ID) || strings.Contains(body, adminEmail)) {
			t.Errorf("B: GET %s shows A's admin: %s", p, body)
		}
		for _, id := range aIDs {
			if strings.Contains(body, id) {
				t.Errorf("B: GET %s contains A's %q: %s", p, id, body)
			}
		}
	}
	if n := len(getList[interact.OU](t, b, "/api/v1/ous")); n != 1 {
		t.Errorf("B sees %d OUs, want its root only", n)
	}

	// A is untouched, and A's audit log has nothing from B.
	diffSnapshot(t, "tenant B's attempts", beforeA, a.snapshot(t, aPaths...))
	entries := a.audit(t)
	if len(entries) != auditA {
		t.Errorf("A's audit log grew from %d to %d entries during B's attempts", auditA, len(entries))
	}
	for _, en := range entries {
		if en.ActorID == b.user.ID {
			t.Errorf("A's audit log holds an entry by B's admin: %+v", en)
		}
	}
}
