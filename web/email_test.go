package web_test

// An e-mail address is unique per tenant: over HTTP, creating a user with
// an address another tenant uses reveals nothing, and signing in with an
// address held in several tenants picks the tenant the password fits, or
// asks (tenant_required) which of those it fits.

import (
	"bytes"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web"
	"github.com/interact-oss/interact/web/endpoint"
)

const (
	sharedEmail = "pat@shared.test"
	bEmail      = "admin@b.test"
	bPassword   = "tenant b password"
	patInA      = "pat's password in A"
	patInB      = "pat's password in B"
)

// twoTenants is tenant A (newEnv's) and a tenant B, each with a user Pat
// holding sharedEmail, with different passwords.
type twoTenants struct {
	e          *env
	a, b       *client // the tenants' admins
	tenantB    *interact.Tenant
	patA, patB interact.User
}

func newTwoTenants(t *testing.T, cfg web.Config) *twoTenants {
	t.Helper()
	e := newEnv(t, cfg)
	// The admins use API tokens: the tests count sign-ins.
	tt := &twoTenants{e: e, a: e.tokenClient(t, e.admin, e.tenant.ID)}
	var created struct {
		Tenant *interact.Tenant `json:"tenant"`
		Admin  *interact.User   `json:"admin"`
	}
	tt.a.ok(t, "POST", "/api/v1/tenants", map[string]any{"name": "Tenant B", "adminEmail": bEmail, "adminPassword": bPassword}, 201, &created)
	tt.tenantB = created.Tenant
	tt.b = e.tokenClient(t, created.Admin, created.Tenant.ID)
	tt.patA = tt.a.createUserWith(t, sharedEmail, patInA, tt.a.rootOU(t).ID)
	tt.patB = tt.b.createUserWith(t, strings.ToUpper(sharedEmail), patInB, tt.b.rootOU(t).ID)
	return tt
}

// tokenClient is a client acting as u, of tenantID, with a new API token.
func (e *env) tokenClient(t *testing.T, u *interact.User, tenantID string) *client {
	t.Helper()
	a := interact.Actor{UserID: u.ID, TenantID: tenantID, Email: u.Email, Roles: u.Roles}
	_, secret, err := e.db.CreateAPIToken(t.Context(), a, u.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	return e.withToken(secret)
}

func (c *client) createUserWith(t *testing.T, email, password, ou string) interact.User {
	t.Helper()
	var u interact.User
	c.ok(t, "POST", "/api/v1/users", map[string]any{"email": email, "name": "Pat", "ouId": ou, "password": password}, 201, &u)
	return u
}

// signIn posts a sign-in and returns the answer.
func (e *env) signIn(t *testing.T, body map[string]string) *resp {
	t.Helper()
	return e.newClient().call(t, "POST", "/api/v1/session", body)
}

type tenantChoiceError struct {
	Error struct {
		Code    string                  `json:"code"`
		Message string                  `json:"message"`
		Tenants []interact.TenantChoice `json:"tenants"`
	} `json:"error"`
}

func TestEmailPerTenantSignIn(t *testing.T) {
	t.Parallel()
	tt := newTwoTenants(t, web.Config{})
	e := tt.e
	if tt.patA.ID == tt.patB.ID || tt.patB.Email != sharedEmail {
		t.Fatalf("Pat in A %+v, in B %+v", tt.patA, tt.patB)
	}

	// Different passwords: each signs in to its own tenant.
	for _, c := range []struct {
		password string
		want     interact.User
	}{{patInA, tt.patA}, {patInB, tt.patB}} {
		var info struct {
			User interact.User `json:"user"`
		}
		r := e.signIn(t, map[string]string{"email": " PAT@Shared.test", "password": c.password})
		if r.status != 200 {
			t.Fatalf("sign in with %q: %d %s", c.password, r.status, r.body)
		}
		r.decode(t, &info)
		if info.User.ID != c.want.ID {
			t.Errorf("password %q signed in as %s, want %s", c.password, info.User.ID, c.want.ID)
		}
	}

	// A wrong password answers exactly what an unknown address does, with
	// or without a tenant chosen.
	unknown := e.signIn(t, map[string]string{"email": "nobody@shared.test", "password": "not pat's password"})
	unknown.wantError(t, "unknown address", 401, interact.EUNAUTHORIZED)
	for _, body := range []map[string]string{
		{"email": sharedEmail, "password": "not pat's password"},
		{"email": sharedEmail, "password": "not pat's password", "tenantId": tt.tenantB.ID},
		{"email": sharedEmail, "password": patInA, "tenantId": tt.tenantB.ID}, // A's password, B chosen
		{"email": sharedEmail, "password": patInA, "tenantId": "no-such-tenant"},
		{"email": "nobody@shared.test", "password": patInA, "tenantId": e.tenant.ID},
	} {
		r := e.signIn(t, body)
		if r.status != unknown.status || !bytes.Equal(r.body, unknown.body) || len(r.header.Values("Set-Cookie")) != 0 {
			t.Errorf("%v: %d %s, want as for an unknown address: %d %s", body, r.status, r.body, unknown.status, unknown.body)
		}
	}

	// The same password in both: the answer asks which, naming both
	// tenants (and no tenant whose user the password does not fit).
	tt.b.ok(t, "PATCH", "/api/v1/users/"+tt.patB.ID, map[string]any{"password": patInA}, 200, nil)
	var gamma struct {
		Tenant *interact.Tenant `json:"tenant"`
	}
	tt.a.ok(t, "POST", "/api/v1/tenants", map[string]any{"name": "Tenant C", "adminEmail": sharedEmail, "adminPassword": "c's own password"}, 201, &gamma)
	r := e.signIn(t, map[string]string{"email": sharedEmail, "password": patInA})
	r.wantError(t, "same password in two tenants", http.StatusConflict, interact.ETENANTREQUIRED)
	if len(r.header.Values("Set-Cookie")) != 0 {
		t.Error("the tenant_required answer set a cookie")
	}
	var choice tenantChoiceError
	r.decode(t, &choice)
	want := []interact.TenantChoice{{ID: e.tenant.ID, Name: "Tenant A"}, {ID: tt.tenantB.ID, Name: "Tenant B"}}
	if diff := cmp.Diff(want, choice.Error.Tenants); diff != "" {
		t.Errorf("tenants to choose from (-want +got):\n%s", diff)
	}
	// Choosing signs in to that tenant.
	for _, c := range []struct {
		tenant string
		want   interact.User
	}{{tt.tenantB.ID, tt.patB}, {e.tenant.ID, tt.patA}} {
		cl := e.newClient()
		var info struct {
			User      interact.User `json:"user"`
			CSRFToken string        `json:"csrfToken"`
		}
		cl.ok(t, "POST", "/api/v1/session", map[string]string{"email": sharedEmail, "password": patInA, "tenantId": c.tenant}, 200, &info)
		if info.User.ID != c.want.ID {
			t.Errorf("chose %s: signed in as %s, want %s", c.tenant, info.User.ID, c.want.ID)
		}
		cl.ok(t, "GET", "/api/v1/session", nil, 200, &info)
		if info.User.ID != c.want.ID {
			t.Errorf("chose %s: the session is %s's", c.tenant, info.User.ID)
		}
	}
	// The third tenant's own password signs in there directly.
	var info struct {
		User interact.User `json:"user"`
	}
	r = e.signIn(t, map[string]string{"email": sharedEmail, "password": "c's own password"})
	if r.status != 200 {
		t.Fatalf("C's password: %d %s", r.status, r.body)
	}
	r.decode(t, &info)
	if info.User.ID == tt.patA.ID || info.User.ID == tt.patB.ID {
		t.Errorf("C's password signed in as %s", info.User.ID)
	}
}

// TestEmailPerTenantCreateUser: creating a user with an address another
// tenant uses answers as for a fresh address; within the tenant the
// address conflicts, whatever its case, and the refusal names no other
// tenant.
func TestEmailPerTenantCreateUser(t *testing.T) {
	t.Parallel()
	tt := newTwoTenants(t, web.Config{})
	root := tt.b.rootOU(t).ID
	// A's admin address, used in B, and a fresh one: the same answer.
	var used, fresh map[string]any
	tt.b.ok(t, "POST", "/api/v1/users", map[string]any{"email": adminEmail, "name": "Alice", "ouId": root, "password": "b's alice password"}, 201, &used)
	tt.b.ok(t, "POST", "/api/v1/users", map[string]any{"email": "fresh@b.test", "name": "Alice", "ouId": root, "password": "b's alice password"}, 201, &fresh)
	for _, m := range []map[string]any{used, fresh} {
		delete(m, "id")
		delete(m, "createdAt")
		delete(m, "email")
	}
	if diff := cmp.Diff(fresh, used); diff != "" {
		t.Errorf("a user with another tenant's address differs from a fresh one (-fresh +used):\n%s", diff)
	}
	// Within B: a conflict, as before.
	msg := tt.b.fail(t, "POST", "/api/v1/users", map[string]any{"email": "Pat@Shared.Test", "name": "Twin", "ouId": root, "password": "twin's password"}, 409, interact.ECONFLICT)
	if msg != `Another user of this tenant has the e-mail address "pat@shared.test".` {
		t.Errorf("conflict message %q", msg)
	}
	tt.b.fail(t, "PATCH", "/api/v1/users/"+tt.patB.ID, map[string]any{"email": strings.ToUpper(bEmail)}, 409, interact.ECONFLICT)
	// Moving an address to one another tenant uses is no conflict either.
	var moved interact.User
	tt.b.ok(t, "PATCH", "/api/v1/users/"+tt.patB.ID, map[string]any{"email": "alice@" + "a.test"}, 200, &moved)
	if moved.Email != "alice@a.test" {
		t.Errorf("moved to %q", moved.Email)
	}
	// B's lists and audit hold nothing of A.
	for _, u := range getList[interact.User](t, tt.b, "/api/v1/users") {
		if u.ID == tt.patA.ID || u.ID == tt.e.admin.ID {
			t.Errorf("B lists A's user %+v", u)
		}
	}
	for _, entry := range tt.b.audit(t) {
		if s := string(entry.Before) + string(entry.After); strings.Contains(s, tt.patA.ID) || strings.Contains(s, tt.e.tenant.ID) {
			t.Errorf("B's audit entry %+v names A", entry)
		}
	}
	// And through the admin console: the same.
	c := tt.e.console(t)
	c.signIn(bEmail, bPassword)
	c.create("/admin/users", url.Values{"email": {"Pat.Two@a.test"}, "name": {"Pat two"}, "ou": {root}, "password": {"pat two's password"}})
	tt.a.createUserWith(t, "pat.three@a.test", "pat three's password", tt.a.rootOU(t).ID)
	c.create("/admin/users", url.Values{"email": {"pat.three@a.test"}, "name": {"Pat three"}, "ou": {root}, "password": {"pat three's password"}})
	c.refused("/admin/users", url.Values{"email": {"PAT.THREE@a.test"}, "name": {"Pat three"}, "ou": {root}, "password": {"pat three's password"}},
		409, `Another user of this tenant has the e-mail address "pat.three@a.test".`)
}

// TestEmailPerTenantConsoleSignIn: the admin console's sign-in offers the
// tenants to choose from, and signs in to the chosen one.
func TestEmailPerTenantConsoleSignIn(t *testing.T) {
	t.Parallel()
	tt := newTwoTenants(t, web.Config{})
	tt.b.ok(t, "PATCH", "/api/v1/users/"+tt.patB.ID, map[string]any{"password": patInA, "roles": []interact.Role{{Role: interact.RoleTenantAdmin}}}, 200, nil)
	tt.a.ok(t, "PATCH", "/api/v1/users/"+tt.patA.ID, map[string]any{"roles": []interact.Role{{Role: interact.RoleTenantAdmin}}}, 200, nil)
	c := tt.e.console(t)
	c.get("/admin/signin")
	wrong := c.post("/admin/signin", url.Values{"email": {sharedEmail}, "password": {"not pat's password"}})
	unknown := c.post("/admin/signin", url.Values{"email": {"nobody@shared.test"}, "password": {"not pat's password"}})
	if wrong.status != 401 || errorsOf(wrong) != errorsOf(unknown) || wrong.has("tenantId") {
		t.Fatalf("wrong password: %d %q; unknown address: %d %q", wrong.status, errorsOf(wrong), unknown.status, errorsOf(unknown))
	}

	p := c.post("/admin/signin", url.Values{"email": {sharedEmail}, "password": {patInA}, "next": {"/admin/users"}})
	if p.status != http.StatusConflict || !p.has(`id="tenant-choice"`) {
		t.Fatalf("same password in two tenants: %d %s", p.status, errorsOf(p))
	}
	for _, id := range []string{tt.e.tenant.ID, tt.tenantB.ID} {
		if !p.has(`name="tenantId" value="` + id + `"`) {
			t.Errorf("the sign-in page does not offer tenant %s", id)
		}
	}
	if !p.has(">Tenant A</label>") || !p.has(">Tenant B</label>") || !p.has(`value="`+sharedEmail+`"`) || !p.has(`name="next" value="/admin/users"`) {
		t.Errorf("the choice page lacks the tenant names, the address or the next page: %s", p.body)
	}
	if p.has(patInA) {
		t.Error("the choice page holds the password")
	}
	p = c.post("/admin/signin", url.Values{"email": {sharedEmail}, "password": {patInA}, "tenantId": {tt.tenantB.ID}, "next": {"/admin/users"}})
	if p.status != http.StatusSeeOther || p.location != "/admin/users" {
		t.Fatalf("sign in to B: %d %q %s", p.status, p.location, errorsOf(p))
	}
	var who struct {
		User interact.User `json:"user"`
	}
	cl := &client{base: tt.e.url, hc: &http.Client{Jar: c.hc.Jar}}
	cl.ok(t, "GET", "/api/v1/session", nil, 200, &who)
	if who.User.ID != tt.patB.ID {
		t.Errorf("the console signed in as %s, want B's Pat %s", who.User.ID, tt.patB.ID)
	}
}

// TestEmailPerTenantSignInGuard: failed sign-ins count against the
// address as before, whichever tenant they name (here: the hourly ceiling
// per address, ten times the rate); a tenant to choose is no failure.
func TestEmailPerTenantSignInGuard(t *testing.T) {
	t.Parallel()
	tt := newTwoTenants(t, web.Config{LoginRate: 1, TrustedProxies: endpoint.Proxies{netip.MustParsePrefix("127.0.0.0/8")}})
	from := func(addr string, body map[string]string) *resp {
		t.Helper()
		c := tt.e.newClient()
		req := c.request(t, "POST", "/api/v1/session", body)
		req.Header.Set("X-Forwarded-For", addr)
		return c.send(t, req)
	}
	tt.b.ok(t, "PATCH", "/api/v1/users/"+tt.patB.ID, map[string]any{"password": patInA}, 200, nil)
	for i := range 10 {
		from("192.0.2."+strconv.Itoa(i+1), map[string]string{"email": sharedEmail, "password": patInA}).wantError(t, "a choice to make", 409, interact.ETENANTREQUIRED)
	}
	if r := from("198.51.100.1", map[string]string{"email": sharedEmail, "password": patInA, "tenantId": tt.tenantB.ID}); r.status != 200 {
		t.Fatalf("after ten choices to make: %d %s, want signed in", r.status, r.body)
	}
	tenants := []string{"", tt.e.tenant.ID, tt.tenantB.ID}
	for i := range 10 {
		from("203.0.113."+strconv.Itoa(i+1), map[string]string{"email": sharedEmail, "password": "wrong " + strconv.Itoa(i), "tenantId": tenants[i%3]}).
			wantError(t, "wrong password", 401, interact.EUNAUTHORIZED)
	}
	from("198.51.100.2", map[string]string{"email": sharedEmail, "password": patInA, "tenantId": tt.e.tenant.ID}).
		wantError(t, "after ten failures", 429, interact.ERATELIMITED)
}
