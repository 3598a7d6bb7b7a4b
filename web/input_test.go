package web_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web"
)

// TestBadInputChangesNothing sends malformed, mistyped, oversize and
// dangling input to the writing endpoints: each answer is a 4xx with the
// stable code and a message saying what to fix, and a re-read of the state
// (including the audit log) shows nothing changed.
func TestBadInputChangesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	a := e.adminClient(t)
	root := a.rootOU(t)
	svc := a.interactService(t, "Support", root.ID)
	tmpl := a.createTemplate(t, "Shops", root.ID, "https://shop.example.test")
	a.createOU(t, "Dup", root.ID)

	long := strings.Repeat("n", interact.MaxNameLen+1)
	huge := `{"name":"` + strings.Repeat("x", 70<<10) + `","parentId":"` + root.ID + `"}`
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("https://s%d.example.test", i)
	}
	tooManyIDs := make([]string, interact.MaxSelectedTemplates+1)
	for i := range tooManyIDs {
		tooManyIDs[i] = tmpl.ID
	}
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	ip := "/api/v1/services/" + svc.ID + "/interact"

	type tc struct {
		name, method, path, body string
		status                   int
		code                     string
		hint                     string // the message must contain this
	}
	cases := []tc{
		// POST /ous
		{"ou: invalid JSON", "POST", "/api/v1/ous", `{"name" "X"}`, 400, interact.EINVALID, "JSON"},
		{"ou: truncated JSON", "POST", "/api/v1/ous", `{"name":"X",`, 400, interact.EINVALID, ""},
		{"ou: wrong type", "POST", "/api/v1/ous", `{"name":5,"parentId":"` + root.ID + `"}`, 400, interact.EINVALID, `"name"`},
		{"ou: unknown field", "POST", "/api/v1/ous", `{"name":"X","parentId":"` + root.ID + `","colour":"red"}`, 400, interact.EINVALID, "colour"},
		{"ou: oversize body", "POST", "/api/v1/ous", huge, 413, interact.ETOOLARGE, "65536"},
		{"ou: name too long", "POST", "/api/v1/ous", js(map[string]string{"name": long, "parentId": root.ID}), 400, interact.EINVALID, "100"},
		{"ou: empty name", "POST", "/api/v1/ous", js(map[string]string{"name": "  ", "parentId": root.ID}), 400, interact.EINVALID, "empty"},
		{"ou: control characters", "POST", "/api/v1/ous", js(map[string]string{"name": "a\nb", "parentId": root.ID}), 400, interact.EINVALID, "control"},
		{"ou: no parent", "POST", "/api/v1/ous", `{"name":"X"}`, 400, interact.EINVALID, "parentId"},
		{"ou: unknown parent", "POST", "/api/v1/ous", `{"name":"X","parentId":"no-such-ou"}`, 404, interact.ENOTFOUND, "no-such-ou"},
		{"ou: two values", "POST", "/api/v1/ous", `{"name":"X","parentId":"` + root.ID + `"} {}`, 400, interact.EINVALID, "one JSON value"},
		{"ou: empty body", "POST", "/api/v1/ous", ``, 400, interact.EINVALID, "empty"},
		{"ou: array body", "POST", "/api/v1/ous", `[]`, 400, interact.EINVALID, "object"},
		{"ou: duplicate name", "POST", "/api/v1/ous", js(map[string]string{"name": "Dup", "parentId": root.ID}), 409, interact.ECONFLICT, "Dup"},
		// PATCH /tenant
		{"tenant: number as string", "PATCH", "/api/v1/tenant", `{"maxConcurrentImTasksPerService":"20"}`, 400, interact.EINVALID, "maxConcurrentImTasksPerService"},
		{"tenant: bool as string", "PATCH", "/api/v1/tenant", `{"interactEnabled":"false"}`, 400, interact.EINVALID, "interactEnabled"},
		{"tenant: out of range", "PATCH", "/api/v1/tenant", `{"maxConcurrentImTasksPerService":51}`, 400, interact.EINVALID, "between 1 and 50"},
		{"tenant: zero", "PATCH", "/api/v1/tenant", `{"maxConcurrentImTasksPerService":0}`, 400, interact.EINVALID, "between 1 and 50"},
		{"tenant: typo", "PATCH", "/api/v1/tenant", `{"interactEnable":false}`, 400, interact.EINVALID, "interactEnable"},
		{"tenant: bad state", "PATCH", "/api/v1/tenant", `{"state":"gone"}`, 400, interact.EINVALID, "state"},
		{"tenant: name too long", "PATCH", "/api/v1/tenant", js(map[string]string{"name": long}), 400, interact.EINVALID, "100"},
		{"tenant: oversize body", "PATCH", "/api/v1/tenant", `{"name":"` + strings.Repeat("x", 70<<10) + `"}`, 413, interact.ETOOLARGE, "bytes"},
		{"tenant: not JSON", "PATCH", "/api/v1/tenant", `interactEnabled=false`, 400, interact.EINVALID, "JSON"},
		// POST /services
		{"service: bad licence", "POST", "/api/v1/services", js(map[string]string{"name": "S", "ouId": root.ID, "license": "gold"}), 400, interact.EINVALID, "contactCenter"},
		{"service: wrong type", "POST", "/api/v1/services", `{"name":"S","ouId":"` + root.ID + `","interactLicense":"yes"}`, 400, interact.EINVALID, "interactLicense"},
		{"service: unknown OU", "POST", "/api/v1/services", `{"name":"S","ouId":"no-such-ou"}`, 404, interact.ENOTFOUND, "no-such-ou"},
		{"service: no OU", "POST", "/api/v1/services", `{"name":"S"}`, 400, interact.EINVALID, "ouId"},
		{"service: name too long", "POST", "/api/v1/services", js(map[string]string{"name": long, "ouId": root.ID}), 400, interact.EINVALID, "100"},
		{"service: ring timeout", "POST", "/api/v1/services", `{"name":"S","ouId":"` + root.ID + `","distribution":{"ringTimeoutSeconds":1}}`, 400, interact.EINVALID, "ringTimeoutSeconds"},
		{"service: overflow target", "POST", "/api/v1/services", `{"name":"S","ouId":"` + root.ID + `","distribution":{"overflowAction":"transfer","overflowServiceId":"nope"}}`, 400, interact.EINVALID, "nope"},
		{"service: duplicate name", "POST", "/api/v1/services", js(map[string]string{"name": "Support", "ouId": root.ID}), 409, interact.ECONFLICT, "Support"},
		// POST /domain-templates
		{"template: 101 origins", "POST", "/api/v1/domain-templates", js(map[string]any{"name": "T", "ouId": root.ID, "origins": many}), 400, interact.EINVALIDORIGIN, "100"},
		{"template: path", "POST", "/api/v1/domain-templates", js(map[string]any{"name": "T", "ouId": root.ID, "origins": []string{"https://a.test/shop"}}), 400, interact.EINVALIDORIGIN, "path"},
		{"template: public suffix", "POST", "/api/v1/domain-templates", js(map[string]any{"name": "T", "ouId": root.ID, "origins": []string{"https://a.test", "*.co.uk"}}), 400, interact.EINVALIDORIGIN, "*.co.uk"},
		{"template: lone star", "POST", "/api/v1/domain-templates", js(map[string]any{"name": "T", "ouId": root.ID, "origins": []string{"*"}}), 400, interact.EINVALIDORIGIN, `"*"`},
		{"template: no origins", "POST", "/api/v1/domain-templates", js(map[string]any{"name": "T", "ouId": root.ID, "origins": []string{}}), 400, interact.EINVALIDORIGIN, "at least one"},
		{"template: duplicate origins", "POST", "/api/v1/domain-templates", js(map[string]any{"name": "T", "ouId": root.ID, "origins": []string{"https://a.test", "HTTPS://A.test:443"}}), 400, interact.EINVALIDORIGIN, "duplicate"},
		{"template: origins as string", "POST", "/api/v1/domain-templates", `{"name":"T","ouId":"` + root.ID + `","origins":"https://a.test"}`, 400, interact.EINVALID, "origins"},
		{"template: unknown OU", "POST", "/api/v1/domain-templates", js(map[string]any{"name": "T", "ouId": "no-such-ou", "origins": []string{"https://a.test"}}), 404, interact.ENOTFOUND, "no-such-ou"},
		{"template: long description", "POST", "/api/v1/domain-templates", js(map[string]any{"name": "T", "ouId": root.ID, "description": strings.Repeat("d", 1001), "origins": []string{"https://a.test"}}), 400, interact.EINVALID, "1000"},
		// PUT /services/{id}/interact
		{"interact: unknown service", "PUT", "/api/v1/services/no-such-service/interact", `{"audioVideo":true}`, 404, interact.ENOTFOUND, "no-such-service"},
		{"interact: unknown template", "PUT", ip, `{"domainTemplateIds":["no-such-template"]}`, 400, interact.ENOTSELECTABLE, "no-such-template"},
		{"interact: too many templates", "PUT", ip, js(map[string]any{"domainTemplateIds": tooManyIDs}), 400, interact.EINVALID, "20"},
		{"interact: template twice", "PUT", ip, js(map[string]any{"domainTemplateIds": []string{tmpl.ID, tmpl.ID}}), 400, interact.EINVALID, "twice"},
		{"interact: wrong type", "PUT", ip, `{"restrictAccess":"on"}`, 400, interact.EINVALID, "restrictAccess"},
		{"interact: read-only widget key", "PUT", ip, `{"widgetKey":"wk_chosen"}`, 400, interact.EINVALID, "widgetKey"},
		{"interact: read-only contact id", "PUT", ip, `{"contactId":"mine"}`, 400, interact.EINVALID, "contactId"},
		{"interact: restrict without template", "PUT", ip, `{"restrictAccess":true}`, 400, interact.ETEMPLATEREQ, "template"},
		{"interact: oversize body", "PUT", ip, `{"domainTemplateIds":["` + strings.Repeat("x", 70<<10) + `"]}`, 413, interact.ETOOLARGE, "bytes"},
		{"rotate: negative grace", "POST", ip + "/rotate-key", `{"graceSeconds":-1}`, 400, interact.EINVALID, "grace"},
		{"rotate: grace over 30 days", "POST", ip + "/rotate-key", `{"graceSeconds":2592001}`, 400, interact.EINVALID, "grace"},
		{"rotate: grace as string", "POST", ip + "/rotate-key", `{"graceSeconds":"60"}`, 400, interact.EINVALID, "graceSeconds"},
		// POST /users
		{"user: bad e-mail", "POST", "/api/v1/users", js(map[string]any{"email": "not-an-address", "name": "U", "ouId": root.ID, "password": userPassword}), 400, interact.EINVALID, "e-mail"},
		{"user: short password", "POST", "/api/v1/users", js(map[string]any{"email": "u@a.test", "name": "U", "ouId": root.ID, "password": "short"}), 400, interact.EINVALID, "10"},
		{"user: unknown role", "POST", "/api/v1/users", js(map[string]any{"email": "u@a.test", "name": "U", "ouId": root.ID, "password": userPassword, "roles": []map[string]string{{"role": "king"}}}), 400, interact.EINVALID, "king"},
		{"user: too many roles", "POST", "/api/v1/users", js(map[string]any{"email": "u@a.test", "name": "U", "ouId": root.ID, "password": userPassword, "roles": manyRoles(51)}), 400, interact.EINVALID, "50"},
		{"user: unknown OU", "POST", "/api/v1/users", js(map[string]any{"email": "u@a.test", "name": "U", "ouId": "no-such-ou", "password": userPassword}), 404, interact.ENOTFOUND, "no-such-ou"},
		{"user: unknown scope", "POST", "/api/v1/users", js(map[string]any{"email": "u@a.test", "name": "U", "ouId": root.ID, "password": userPassword, "roles": []map[string]string{{"role": "ouAdmin", "scopeId": "no-such-ou"}}}), 400, interact.EINVALID, "no-such-ou"},
		{"user: e-mail taken", "POST", "/api/v1/users", js(map[string]any{"email": adminEmail, "name": "U", "ouId": root.ID, "password": userPassword}), 409, interact.ECONFLICT, adminEmail},
		{"user: name too long", "POST", "/api/v1/users", js(map[string]any{"email": "u@a.test", "name": long, "ouId": root.ID, "password": userPassword}), 400, interact.EINVALID, "100"},
		{"user: licences wrong type", "POST", "/api/v1/users", `{"email":"u@a.test","name":"U","ouId":"` + root.ID + `","password":"` + userPassword + `","licenses":{"interact":1}}`, 400, interact.EINVALID, "interact"},
	}
	watched := []string{"/api/v1/tenant", "/api/v1/ous", "/api/v1/services", "/api/v1/domain-templates", "/api/v1/users", ip, "/api/v1/audit?limit=500"}
	before := a.snapshot(t, watched...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			msg := a.fail(t, c.method, c.path, c.body, c.status, c.code)
			if !strings.Contains(msg, c.hint) {
				t.Errorf("message %q does not mention %q", msg, c.hint)
			}
			diffSnapshot(t, c.name, before, a.snapshot(t, watched...))
		})
	}
}

func manyRoles(n int) []map[string]string {
	out := make([]map[string]string, n)
	for i := range out {
		out[i] = map[string]string{"role": "serviceOwner", "scopeId": "s" + strings.Repeat("x", i)}
	}
	return out
}

func TestBadContentType(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	a := e.adminClient(t)
	req := a.request(t, "PATCH", "/api/v1/tenant", `{"name":"Renamed"}`)
	req.Header.Set("Content-Type", "text/plain")
	msg := a.send(t, req).wantError(t, "text/plain body", 400, interact.EINVALID)
	if !strings.Contains(msg, "application/json") {
		t.Errorf("message %q does not name application/json", msg)
	}
	var tn interact.Tenant
	a.ok(t, "GET", "/api/v1/tenant", nil, 200, &tn)
	if tn.Name != "Tenant A" {
		t.Errorf("tenant renamed to %q by a refused request", tn.Name)
	}
}

// A grace period so large that it overflows time.Duration must be refused,
// not wrap around to some other period.
func TestRotateGraceOverflow(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	a := e.adminClient(t)
	svc := a.interactService(t, "Support", a.rootOU(t).ID)
	// 18446744074 s × 1e9 wraps modulo 2^64 to about 0.29 s.
	r := a.call(t, "POST", "/api/v1/services/"+svc.ID+"/interact/rotate-key", `{"graceSeconds":18446744074}`)
	if r.status == 200 {
		t.Fatalf("regression: graceSeconds 18446744074 (584 years) was accepted; the duration overflowed: %s", r.body)
	}
	r.wantError(t, "huge grace", 400, interact.EINVALID)
}

// A wrong type is reported under the field's JSON name, the name the caller
// sent, not under Go's names for the server's types.
func TestWrongTypeMessageNamesJSONField(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	a := e.adminClient(t)
	root := a.rootOU(t)
	body := `{"email":"u@a.test","name":"U","ouId":"` + root.ID + `","password":"` + userPassword + `","licenses":{"interact":1}}`
	msg := a.fail(t, "POST", "/api/v1/users", body, 400, interact.EINVALID)
	if strings.Contains(msg, "User.") {
		t.Fatalf("regression: POST /users wrong-type message names the embedded Go struct: %q; want the JSON path \"licenses.interact\"", msg)
	}
	if !strings.Contains(msg, `"licenses.interact"`) {
		t.Errorf("message %q does not name the field licenses.interact", msg)
	}
}
