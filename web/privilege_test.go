package web_test

import (
	"strings"
	"testing"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web"
)

// An admin may mint API tokens for, or set the password of, users it
// administers. Either lets it act as that user, so it must not work for a
// user holding a role the admin could not grant itself.

func TestTenantAdminCannotBecomeOperator(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	op := e.adminClient(t) // tenantAdmin + operator (first-run admin)
	op.ok(t, "POST", "/api/v1/tenants", map[string]any{"name": "Tenant B", "adminEmail": "admin@b.test", "adminPassword": "tenant b password"}, 201, nil)
	root := op.rootOU(t)
	op.createUser(t, "admin2@a.test", "Second admin", root.ID, interact.Licenses{}, interact.Role{Role: interact.RoleTenantAdmin})
	ta := e.login(t, "admin2@a.test", userPassword)
	ta.fail(t, "GET", "/api/v1/tenants", nil, 403, interact.EFORBIDDEN) // not an operator itself

	t.Run("API token for the operator", func(t *testing.T) {
		r := ta.call(t, "POST", "/api/v1/users/"+e.admin.ID+"/tokens", map[string]string{"name": "mine now"})
		if r.status == 201 {
			var tok struct{ Secret string }
			r.decode(t, &tok)
			if s := e.withToken(tok.Secret).call(t, "GET", "/api/v1/tenants", nil); s.status == 200 && strings.Contains(string(s.body), "Tenant B") {
				t.Fatalf("regression: a tenant admin minted an API token for the operator and, with it, listed every tenant: %s", s.body)
			}
			t.Fatal("regression: a tenant admin may mint an API token acting as the operator")
		}
		r.wantError(t, "token for the operator", 403, interact.EFORBIDDEN)
	})

	t.Run("password of the operator", func(t *testing.T) {
		const pw = "taken over 1234"
		r := ta.call(t, "PATCH", "/api/v1/users/"+e.admin.ID, map[string]any{"password": pw})
		if r.status == 200 {
			c := e.newClient()
			if c.call(t, "POST", "/api/v1/session", map[string]string{"email": adminEmail, "password": pw}).status == 200 {
				t.Fatal("regression: a tenant admin set the operator's password and can sign in as the operator")
			}
			t.Fatal("regression: a tenant admin may change the operator's password")
		}
		r.wantError(t, "operator's password", 403, interact.EFORBIDDEN)
	})
}

func TestOUAdminCannotActAsOwnerOutsideScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	a := e.adminClient(t)
	root := a.rootOU(t)
	emea := a.createOU(t, "EMEA", root.ID)
	svc := a.createService(t, map[string]any{"name": "Head office", "ouId": root.ID})
	owner := a.createUser(t, "owner@a.test", "Owner", emea.ID, interact.Licenses{}, interact.Role{Role: interact.RoleServiceOwner, ScopeID: svc.ID})
	a.createUser(t, "ouadmin@a.test", "EMEA admin", emea.ID, interact.Licenses{}, interact.Role{Role: interact.RoleOUAdmin, ScopeID: emea.ID})
	o := e.login(t, "ouadmin@a.test", userPassword)

	// The OU admin itself may read the head-office service (up to the
	// root) but not change it …
	dist := map[string]any{"distribution": map[string]any{"type": "broadcast"}}
	o.ok(t, "GET", "/api/v1/services/"+svc.ID, nil, 200, nil)
	o.fail(t, "PATCH", "/api/v1/services/"+svc.ID, dist, 403, interact.EFORBIDDEN)

	// … nor through a token of the owner, who sits in its subtree.
	r := o.call(t, "POST", "/api/v1/users/"+owner.ID+"/tokens", map[string]string{"name": "borrowed"})
	if r.status == 201 {
		var tok struct{ Secret string }
		r.decode(t, &tok)
		if s := e.withToken(tok.Secret).call(t, "PATCH", "/api/v1/services/"+svc.ID, dist); s.status == 200 {
			t.Fatalf("regression: an EMEA OU admin minted a token for a serviceOwner of a root service and changed that service: %s", s.body)
		}
		t.Fatal("regression: an OU admin may mint a token for a user holding roles beyond the OU admin's scope")
	}
	r.wantError(t, "token for an owner outside scope", 403, interact.EFORBIDDEN)
}

// An OU admin cannot enlist, by id, a user of a subtree it cannot see: the
// answer is that of an unknown id and names nobody.
func TestOUAdminCannotEnlistUserOutsideScope(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	a := e.adminClient(t)
	root := a.rootOU(t)
	emea := a.createOU(t, "EMEA", root.ID)
	apac := a.createOU(t, "APAC", root.ID)
	svc := a.createService(t, map[string]any{"name": "EMEA desk", "ouId": emea.ID})
	hidden := a.createUser(t, "tokyo@a.test", "Hidden Tokyo Agent", apac.ID, interact.Licenses{ContactCenter: true})
	mine := a.createUser(t, "paris@a.test", "Paris Agent", emea.ID, interact.Licenses{ContactCenter: true})
	a.createUser(t, "emea-admin@a.test", "EMEA admin", emea.ID, interact.Licenses{}, interact.Role{Role: interact.RoleOUAdmin, ScopeID: emea.ID})
	ou := e.login(t, "emea-admin@a.test", userPassword)

	r := ou.call(t, "PUT", "/api/v1/services/"+svc.ID+"/members/"+hidden.ID, map[string]any{"active": true})
	r.wantError(t, "enlist a user of APAC", 404, interact.ENOTFOUND)
	if strings.Contains(string(r.body), "Hidden Tokyo") || strings.Contains(string(r.body), "tokyo@") {
		t.Fatalf("the refusal reveals the user: %s", r.body)
	}
	var members struct{ Items []interact.Member }
	a.ok(t, "GET", "/api/v1/services/"+svc.ID+"/members", nil, 200, &members)
	if len(members.Items) != 0 {
		t.Fatalf("members after the refused enlistment: %+v", members.Items)
	}
	ou.ok(t, "PUT", "/api/v1/services/"+svc.ID+"/members/"+mine.ID, map[string]any{"active": true}, 200, nil)
}
