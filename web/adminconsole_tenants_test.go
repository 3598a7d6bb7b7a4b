package web_test

import (
	"net/url"
	"testing"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web"
)

// An operator manages tenants in the console: lists them, creates one with
// its first admin, and changes a tenant's state. Nobody else can, and a
// refused attempt changes nothing.
func TestAdminConsoleTenants(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	ctx := t.Context()
	operator := interact.Actor{UserID: e.admin.ID, TenantID: e.tenant.ID, Email: e.admin.Email, Roles: e.admin.Roles}
	op := e.console(t) // the first-run admin is also the operator
	op.signIn(adminEmail, adminPassword)
	p := op.get("/admin/tenants")
	if p.status != 200 || !p.has(`href="/admin/tenants" aria-current="page">All tenants</a>`) || !p.has("Tenant A") {
		t.Fatalf("operator's tenants page: %d %s", p.status, errorsOf(p))
	}

	count := func() int {
		t.Helper()
		ts, err := e.db.Tenants(ctx, operator)
		if err != nil {
			t.Fatal(err)
		}
		return len(ts)
	}
	newTenant := url.Values{"form": {"tenant-create"}, "name": {"Tenant B"}, "state": {"trial"},
		"adminEmail": {"boss@b.test"}, "adminName": {"Bea Boss"}, "adminPassword": {"short"}}
	op.refused("/admin/tenants", newTenant, 400, "The password must be at least 10 characters.")
	newTenant.Set("adminPassword", "tenant b password")
	newTenant.Set("state", "bogus")
	op.refused("/admin/tenants", newTenant, 400, `state must be one of active, trial, suspended, expired (got "bogus").`)
	if n := count(); n != 1 {
		t.Fatalf("refused creates made tenants: %d", n)
	}
	newTenant.Set("state", "trial")
	p = op.ok("/admin/tenants", newTenant)
	if !p.has(`Tenant &#34;Tenant B&#34; created; its admin boss@b.test can sign in now.`) {
		t.Fatalf("after creating: %s", errorsOf(p))
	}
	var b *interact.Tenant
	ts, _ := e.db.Tenants(ctx, operator)
	for i := range ts {
		if ts[i].Name == "Tenant B" {
			b = &ts[i]
		}
	}
	if b == nil || b.State != interact.TenantTrial || !p.has(`id="tenant-`+b.ID+`"`) {
		t.Fatalf("tenant B: %+v", b)
	}

	// State changes, with bad input refused.
	p = op.ok("/admin/tenants/"+b.ID+"/state", url.Values{"form": {"tenant-" + b.ID}, "state": {"suspended"}})
	if !p.has("Tenant &#34;Tenant B&#34; is now suspended.") {
		t.Fatalf("after suspending: %s", errorsOf(p))
	}
	op.refused("/admin/tenants/"+b.ID+"/state", url.Values{"form": {"tenant-" + b.ID}, "state": {"gone"}}, 400, `state must be one of active, trial, suspended, expired (got "gone").`)
	state := func(id string) interact.TenantState {
		t.Helper()
		tn, err := e.db.Tenant(ctx, operator, id)
		if err != nil {
			t.Fatal(err)
		}
		return tn.State
	}
	if st := state(b.ID); st != interact.TenantSuspended {
		t.Fatalf("tenant B is %s", st)
	}

	// Tenant B's admin (a tenant admin, not an operator) can sign in, and
	// can do none of it: not list, not create, not change a state, not even
	// their own tenant's.
	op.ok("/admin/tenants/"+b.ID+"/state", url.Values{"form": {"tenant-" + b.ID}, "state": {"active"}})
	bc := e.console(t)
	bc.signIn("boss@b.test", "tenant b password")
	if p = bc.get("/admin/services"); p.has(`href="/admin/tenants"`) {
		t.Fatal("a tenant admin sees the Tenants link")
	}
	if p = bc.get("/admin/tenants"); p.status != 403 || !p.has("Only operators may list tenants.") {
		t.Fatalf("tenant admin's tenants page: %d %s", p.status, errorsOf(p))
	}
	api := e.adminClient(t)
	root := api.rootOU(t)
	api.createUser(t, "ou@a.test", "Olga OU", root.ID, interact.Licenses{}, interact.Role{Role: interact.RoleOUAdmin, ScopeID: root.ID})
	oc := e.console(t)
	oc.signIn("ou@a.test", userPassword)
	before := api.snapshot(t, "/api/v1/tenants", "/api/v1/audit?limit=500")
	for _, c := range []*console{bc, oc} {
		newTenant.Set("name", "Tenant C")
		newTenant.Set("adminEmail", "c@c.test")
		if p = c.post("/admin/tenants", newTenant); p.status != 403 {
			t.Errorf("a non-operator created a tenant: %d %s", p.status, errorsOf(p))
		}
		for _, id := range []string{e.tenant.ID, b.ID} {
			if p = c.post("/admin/tenants/"+id+"/state", url.Values{"form": {"tenant-" + id}, "state": {"expired"}}); p.status != 403 && p.status != 404 {
				t.Errorf("a non-operator changed a tenant's state: %d %s", p.status, errorsOf(p))
			}
		}
		if p = c.get("/admin/tenants"); p.status != 403 {
			t.Errorf("a non-operator listed tenants: %d", p.status)
		}
	}
	diffSnapshot(t, "non-operators' attempts", before, api.snapshot(t, "/api/v1/tenants", "/api/v1/audit?limit=500"))
	if state(e.tenant.ID) != interact.TenantActive || state(b.ID) != interact.TenantActive || count() != 2 {
		t.Fatal("a non-operator changed tenants")
	}
}
