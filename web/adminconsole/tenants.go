package adminconsole

// Operator tenant management in the console: every tenant with its state,
// a new tenant with its first admin, and a tenant's state. The store
// refuses all of it to anyone but an operator.

import (
	"fmt"

	"github.com/interact-oss/interact"
)

// tenantStates are the states an operator can choose, in menu order.
var tenantStates = []interact.TenantState{interact.TenantActive, interact.TenantTrial, interact.TenantSuspended, interact.TenantExpired}

func viewTenants(q *adminReq) error {
	ts, err := q.s.store.Tenants(q.ctx(), q.a)
	if err != nil {
		return err
	}
	q.render("tenants", "Tenants", map[string]any{"Tenants": ts, "States": tenantStates, "MinPassword": interact.MinPasswordLen})
	return nil
}

func actCreateTenant(q *adminReq) (string, string, error) {
	t, u, err := q.s.store.CreateTenant(q.ctx(), q.a, interact.NewTenant{
		Tenant:     interact.Tenant{Name: q.val("name"), State: interact.TenantState(q.val("state"))},
		AdminEmail: q.val("adminEmail"), AdminName: q.val("adminName"), AdminPassword: q.r.PostFormValue("adminPassword"),
	})
	if err != nil {
		return "", "", err
	}
	return "/admin/tenants", fmt.Sprintf("Tenant %q created; its admin %s can sign in now.", t.Name, u.Email), nil
}

func actTenantState(q *adminReq) (string, string, error) {
	st := interact.TenantState(q.val("state"))
	t, err := q.s.store.UpdateTenant(q.ctx(), q.a, q.id(), interact.TenantUpdate{State: &st})
	if err != nil {
		return "", "", err
	}
	return "/admin/tenants", fmt.Sprintf("Tenant %q is now %s.", t.Name, t.State), nil
}

// Tenant settings.

func viewTenant(q *adminReq) error {
	if q.tenant == nil {
		return interact.Errorf(interact.ENOTFOUND, "Your tenant could not be read.")
	}
	q.render("tenant", "Tenant settings", map[string]any{"Tenant": q.tenant, "Min": interact.MinIMTasksPerService, "Max": interact.MaxIMTasksPerService})
	return nil
}

func actTenant(q *adminReq) (string, string, error) {
	n, err := q.num("maxIm", "Max concurrent IM tasks per service")
	if err != nil {
		return "", "", err
	}
	ie, im := q.on("interactEnabled"), q.on("imEnabled")
	_, err = q.s.store.UpdateTenant(q.ctx(), q.a, q.a.TenantID, interact.TenantUpdate{InteractEnabled: &ie, IMEnabled: &im, MaxConcurrentIMTasksPerService: &n})
	return "/admin/tenant", "Tenant settings saved.", err
}
