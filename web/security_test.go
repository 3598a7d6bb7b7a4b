package web_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web"
	"github.com/interact-oss/interact/web/endpoint"
)

func TestCSRF(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	a := e.adminClient(t)
	watched := []string{"/api/v1/tenant", "/api/v1/audit?limit=500"}
	before := a.snapshot(t, watched...)
	patch := map[string]any{"interactEnabled": true, "name": "Forged"}

	for _, tc := range []struct {
		name string
		hdr  map[string]string // "" deletes the header
	}{
		{"no token", map[string]string{"X-CSRF-Token": ""}},
		{"wrong token", map[string]string{"X-CSRF-Token": "not-the-token"}},
		{"token of another session", map[string]string{"X-CSRF-Token": e.adminClient(t).csrf}},
		{"cross-site fetch metadata", map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}},
		{"cross-site fetch metadata without origin", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{"foreign origin without fetch metadata", map[string]string{"Origin": "https://evil.example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := a.request(t, "PATCH", "/api/v1/tenant", patch)
			for k, v := range tc.hdr {
				if v == "" {
					req.Header.Del(k)
				} else {
					req.Header.Set(k, v)
				}
			}
			a.send(t, req).wantError(t, tc.name, 403, interact.ECSRF)
			diffSnapshot(t, tc.name, before, a.snapshot(t, watched...))
		})
	}

	t.Run("login from another site", func(t *testing.T) {
		c := e.newClient()
		req := c.request(t, "POST", "/api/v1/session", map[string]string{"email": adminEmail, "password": adminPassword})
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		r := c.send(t, req)
		r.wantError(t, "cross-site login", 403, interact.ECSRF)
		if len(r.header.Values("Set-Cookie")) != 0 {
			t.Errorf("refused login set cookies: %v", r.header.Values("Set-Cookie"))
		}
	})

	t.Run("sign-out needs the token too", func(t *testing.T) {
		c := e.adminClient(t)
		req := c.request(t, "DELETE", "/api/v1/session", nil)
		req.Header.Del("X-CSRF-Token")
		c.send(t, req).wantError(t, "forged sign-out", 403, interact.ECSRF)
		c.ok(t, "GET", "/api/v1/session", nil, 200, nil)
	})

	t.Run("same-origin requests pass", func(t *testing.T) {
		req := a.request(t, "PATCH", "/api/v1/tenant", map[string]any{"imEnabled": true})
		req.Header.Set("Origin", e.url)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		if r := a.send(t, req); r.status != 200 {
			t.Fatalf("same-origin PATCH with token: %d %s", r.status, r.body)
		}
	})

	t.Run("reads need no token", func(t *testing.T) {
		for _, p := range []string{"/api/v1/tenant", "/api/v1/ous", "/api/v1/session", "/api/v1/audit"} {
			req := a.request(t, "GET", p, nil)
			req.Header.Del("X-CSRF-Token")
			if r := a.send(t, req); r.status != 200 {
				t.Errorf("GET %s without token: %d %s", p, r.status, r.body)
			}
		}
	})

	t.Run("bearer tokens need no CSRF header", func(t *testing.T) {
		var tok struct{ Secret string }
		a.ok(t, "POST", "/api/v1/users/"+a.user.ID+"/tokens", map[string]string{"name": "script"}, 201, &tok)
		s := e.withToken(tok.Secret)
		var tn interact.Tenant
		s.ok(t, "PATCH", "/api/v1/tenant", map[string]any{"maxConcurrentImTasksPerService": 7}, 200, &tn)
		if tn.MaxConcurrentIMTasksPerService != 7 {
			t.Errorf("bearer PATCH answered %+v", tn)
		}
	})
}

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	c := e.newClient()
	r := c.call(t, "POST", "/api/v1/session", map[string]string{"email": "ADMIN@a.test ", "password": adminPassword})
	if r.status != 200 {
		t.Fatalf("sign-in with a differently cased e-mail: %d %s", r.status, r.body)
	}
	cookie := r.header.Get("Set-Cookie")
	for _, want := range []string{"interact_session=is_", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %q", cookie, want)
		}
	}
	c.fail(t, "POST", "/api/v1/session", map[string]string{"email": adminEmail, "password": "wrong password"}, 401, interact.EUNAUTHORIZED)
	c.fail(t, "POST", "/api/v1/session", map[string]string{"email": "nobody@a.test", "password": adminPassword}, 401, interact.EUNAUTHORIZED)

	a := e.adminClient(t)
	var info struct {
		User      interact.User `json:"user"`
		CSRFToken string        `json:"csrfToken"`
	}
	a.ok(t, "GET", "/api/v1/session", nil, 200, &info)
	if info.User.ID != e.admin.ID || info.CSRFToken != a.csrf {
		t.Errorf("GET /session: %+v, want the admin and the sign-in CSRF token", info)
	}
	a.ok(t, "DELETE", "/api/v1/session", nil, 204, nil)
	a.fail(t, "GET", "/api/v1/session", nil, 401, interact.EUNAUTHORIZED)
	a.fail(t, "GET", "/api/v1/tenant", nil, 401, interact.EUNAUTHORIZED)
}

func TestAPITokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	a := e.adminClient(t)
	var created struct {
		Token struct {
			ID     string `json:"id"`
			UserID string `json:"userId"`
			Name   string `json:"name"`
		} `json:"token"`
		Secret string `json:"secret"`
	}
	a.ok(t, "POST", "/api/v1/users/"+a.user.ID+"/tokens", map[string]string{"name": "deploy"}, 201, &created)
	if created.Token.ID == "" || created.Token.UserID != a.user.ID || created.Token.Name != "deploy" || !strings.HasPrefix(created.Secret, "it_") {
		t.Fatalf("created token: %+v", created)
	}
	for _, p := range []string{"/api/v1/users/" + a.user.ID + "/tokens", "/api/v1/audit?limit=500"} {
		if r := a.call(t, "GET", p, nil); r.status != 200 || strings.Contains(string(r.body), created.Secret) || !strings.Contains(string(r.body), created.Token.ID) {
			t.Errorf("GET %s: %d; must list the token but never its secret: %s", p, r.status, r.body)
		}
	}

	s := e.withToken(created.Secret)
	var info struct {
		User      interact.User `json:"user"`
		CSRFToken string        `json:"csrfToken"`
	}
	s.ok(t, "GET", "/api/v1/session", nil, 200, &info)
	if info.User.ID != a.user.ID || info.CSRFToken != "" {
		t.Errorf("GET /session by token: %+v, want the admin and no CSRF token", info)
	}
	var tn interact.Tenant
	s.ok(t, "GET", "/api/v1/tenant", nil, 200, &tn)
	if tn.ID != e.tenant.ID {
		t.Errorf("token's tenant %s, want %s", tn.ID, e.tenant.ID)
	}
	s.ok(t, "POST", "/api/v1/ous", map[string]string{"name": "By script", "parentId": a.rootOU(t).ID}, 201, nil)

	for _, h := range []string{"Bearer it_nosuchtoken", "Bearer " + a.csrf, "Basic YWRtaW46cGFzcw==", "Bearer"} {
		c := e.newClient()
		req := c.request(t, "GET", "/api/v1/tenant", nil)
		req.Header.Set("Authorization", h)
		c.send(t, req).wantError(t, "Authorization: "+h, 401, interact.EUNAUTHORIZED)
	}

	a.ok(t, "DELETE", "/api/v1/users/"+a.user.ID+"/tokens/"+created.Token.ID, nil, 204, nil)
	s.fail(t, "GET", "/api/v1/tenant", nil, 401, interact.EUNAUTHORIZED)
	s.fail(t, "PATCH", "/api/v1/tenant", map[string]any{"name": "Revoked"}, 401, interact.EUNAUTHORIZED)
	a.fail(t, "DELETE", "/api/v1/users/"+a.user.ID+"/tokens/"+created.Token.ID, nil, 404, interact.ENOTFOUND)
	if got := getList[struct{ ID string }](t, a, "/api/v1/users/"+a.user.ID+"/tokens"); len(got) != 0 {
		t.Errorf("tokens after revocation: %v", got)
	}
}

func TestPermissions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	a := e.adminClient(t)
	root := a.rootOU(t)
	emea := a.createOU(t, "EMEA", root.ID)
	ch := a.createOU(t, "CH", emea.ID)
	apac := a.createOU(t, "APAC", root.ID)
	svcCH := a.createService(t, map[string]any{"name": "CH", "ouId": ch.ID})
	svcAPAC := a.createService(t, map[string]any{"name": "APAC", "ouId": apac.ID})
	tAPAC := a.createTemplate(t, "APAC shops", apac.ID, "https://apac.example.test")
	a.createUser(t, "agent@a.test", "Agent", ch.ID, interact.Licenses{ContactCenter: true})
	a.createUser(t, "ouadmin@a.test", "EMEA admin", emea.ID, interact.Licenses{}, interact.Role{Role: interact.RoleOUAdmin, ScopeID: emea.ID})

	t.Run("plain agent", func(t *testing.T) {
		g := e.login(t, "agent@a.test", userPassword)
		g.ok(t, "GET", "/api/v1/session", nil, 200, nil)
		for _, p := range []string{"/api/v1/ous", "/api/v1/services", "/api/v1/users", "/api/v1/domain-templates", "/api/v1/tenant", "/api/v1/audit", "/api/v1/ous/" + ch.ID} {
			g.fail(t, "GET", p, nil, 403, interact.EFORBIDDEN)
		}
		g.fail(t, "POST", "/api/v1/ous", map[string]string{"name": "Mine", "parentId": ch.ID}, 403, interact.EFORBIDDEN)
		g.fail(t, "PATCH", "/api/v1/tenant", map[string]any{"interactEnabled": true}, 403, interact.EFORBIDDEN)
		g.fail(t, "PUT", "/api/v1/services/"+svcCH.ID+"/interact", map[string]any{"audioVideo": true}, 403, interact.EFORBIDDEN)
	})

	t.Run("OU admin", func(t *testing.T) {
		o := e.login(t, "ouadmin@a.test", userPassword)
		before := a.snapshot(t, "/api/v1/services/"+svcCH.ID, "/api/v1/tenant", "/api/v1/audit?limit=500")
		for _, body := range []map[string]any{{"license": "contactCenter"}, {"interactLicense": true}, {"license": "contactCenter", "name": "Renamed"}} {
			o.fail(t, "PATCH", "/api/v1/services/"+svcCH.ID, body, 403, interact.EFORBIDDEN)
		}
		o.fail(t, "POST", "/api/v1/services", map[string]any{"name": "Licensed", "ouId": ch.ID, "license": "contactCenter"}, 403, interact.EFORBIDDEN)
		o.fail(t, "PATCH", "/api/v1/tenant", map[string]any{"interactEnabled": true}, 403, interact.EFORBIDDEN)
		o.fail(t, "GET", "/api/v1/audit", nil, 403, interact.EFORBIDDEN)
		o.fail(t, "POST", "/api/v1/users", map[string]any{"email": "boss@a.test", "name": "Boss", "ouId": ch.ID, "password": userPassword,
			"roles": []map[string]string{{"role": "tenantAdmin"}}}, 403, interact.EFORBIDDEN)
		o.fail(t, "PATCH", "/api/v1/users/"+e.admin.ID, map[string]any{"password": "taken over 123"}, 403, interact.EFORBIDDEN)
		diffSnapshot(t, "the OU admin's refused requests", before, a.snapshot(t, "/api/v1/services/"+svcCH.ID, "/api/v1/tenant", "/api/v1/audit?limit=500"))

		// Outside its subtree: not found, not forbidden.
		o.fail(t, "GET", "/api/v1/ous/"+apac.ID, nil, 404, interact.ENOTFOUND)
		o.fail(t, "POST", "/api/v1/ous", map[string]string{"name": "Sub", "parentId": apac.ID}, 404, interact.ENOTFOUND)
		o.fail(t, "GET", "/api/v1/services/"+svcAPAC.ID, nil, 404, interact.ENOTFOUND)
		o.fail(t, "GET", "/api/v1/domain-templates/"+tAPAC.ID, nil, 404, interact.ENOTFOUND)
		// Up to the root it may read, but not change.
		o.ok(t, "GET", "/api/v1/ous/"+root.ID, nil, 200, nil)
		o.fail(t, "PATCH", "/api/v1/ous/"+root.ID, map[string]string{"name": "Renamed"}, 403, interact.EFORBIDDEN)

		// Inside its subtree it administers.
		sub := o.createOU(t, "Zurich", ch.ID)
		var renamed interact.Service
		o.ok(t, "PATCH", "/api/v1/services/"+svcCH.ID, map[string]any{"name": "CH support"}, 200, &renamed)
		if renamed.Name != "CH support" || renamed.License != interact.LicenseAdvancedRouting {
			t.Errorf("OU admin's rename: %+v", renamed)
		}
		for _, ou := range getList[interact.OU](t, o, "/api/v1/ous") {
			if ou.ID == apac.ID {
				t.Errorf("OU admin's OU list shows APAC")
			}
		}
		o.ok(t, "DELETE", "/api/v1/ous/"+sub.ID, nil, 204, nil)
	})
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{LoginRate: 3})
	c := e.newClient()
	for i := 1; i <= 3; i++ {
		c.fail(t, "POST", "/api/v1/session", map[string]string{"email": adminEmail, "password": "wrong " + strconv.Itoa(i)}, 401, interact.EUNAUTHORIZED)
	}
	for _, body := range []map[string]string{
		{"email": adminEmail, "password": "wrong 4"},
		{"email": adminEmail, "password": adminPassword}, // the right password does not get through either
		{"email": "other@a.test", "password": "wrong 5"}, // nor another account from the same address
	} {
		r := c.call(t, "POST", "/api/v1/session", body)
		r.wantError(t, "attempt after the limit", http.StatusTooManyRequests, interact.ERATELIMITED)
		secs, err := strconv.Atoi(r.header.Get("Retry-After"))
		if err != nil || secs < 1 || secs > 61 {
			t.Errorf("Retry-After %q, want whole seconds within the minute", r.header.Get("Retry-After"))
		}
		if len(r.header.Values("Set-Cookie")) != 0 {
			t.Errorf("rate-limited sign-in set a cookie")
		}
	}
}

// Failed sign-ins lock an e-mail address out only from the address that
// failed; from everywhere only after a much slower ceiling.
func TestSignInLockoutIsPerAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{LoginRate: 3, TrustedProxies: endpoint.Proxies{netip.MustParsePrefix("127.0.0.0/8")}})
	from := func(addr string, password string) *resp {
		t.Helper()
		c := e.newClient()
		req := c.request(t, "POST", "/api/v1/session", map[string]string{"email": adminEmail, "password": password})
		req.Header.Set("X-Forwarded-For", addr)
		return c.send(t, req)
	}
	for i := range 3 {
		from("203.0.113.1", "wrong "+strconv.Itoa(i)).wantError(t, "wrong password", 401, interact.EUNAUTHORIZED)
	}
	from("203.0.113.1", adminPassword).wantError(t, "the failing address", 429, interact.ERATELIMITED)
	if r := from("198.51.100.2", adminPassword); r.status != 200 {
		t.Fatalf("the user from another address: %d %s, want signed in (a stranger must not lock them out)", r.status, r.body)
	}
	// Ten times the rate, from many addresses: then the e-mail address is
	// held for everyone.
	for i := 3; i < 30; i++ {
		from(fmt.Sprintf("192.0.2.%d", i/3), "wrong "+strconv.Itoa(i)).wantError(t, "guess", 401, interact.EUNAUTHORIZED)
	}
	from("198.51.100.3", adminPassword).wantError(t, "after the ceiling", 429, interact.ERATELIMITED)
}
