package web_test

import (
	"strings"
	"testing"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web"
)

// widgetAnswer is the JSON of GET/PUT/DELETE …/widget.
type widgetAnswer struct {
	Saved bool `json:"saved"`
	interact.WidgetSettings
}

// goodWidget is a valid PUT body: one custom field, German texts.
func goodWidget() map[string]any {
	return map[string]any{"name": "optional", "email": "required",
		"fields":  []any{map[string]any{"key": "order", "type": "text", "required": true, "maxLength": 12, "label": map[string]any{"en": "Order", "de": "Bestellung"}}},
		"consent": map[string]any{"en": "I agree."}, "texts": map[string]any{"de": map[string]any{"start": "Los"}}}
}

// patched returns goodWidget with one top-level key replaced.
func patched(k string, v any) map[string]any {
	w := goodWidget()
	w[k] = v
	return w
}

// TestWidgetSettingsAPI: GET, PUT and DELETE /api/v1/{services,users}/{id}/widget:
// defaults until saved, validation naming the field with nothing changed,
// audit, another tenant's owner not found, an OU admin kept to their OU,
// CSRF as for every admin route.
func TestWidgetSettingsAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	a := e.adminClient(t)
	root := a.rootOU(t)
	svc := a.interactService(t, "Web", root.ID)
	u := a.createUser(t, "dana@a.test", "Dana Direct", root.ID, interact.Licenses{ContactCenter: true, Interact: true})
	agent := a.createUser(t, "agent@a.test", "Agent", root.ID, interact.Licenses{ContactCenter: true})
	if _, _, err := e.db.CreateTenant(t.Context(), interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: "Tenant B", InteractEnabled: true}, AdminEmail: "admin@b.test", AdminPassword: adminPassword,
	}); err != nil {
		t.Fatal(err)
	}
	other := e.login(t, "admin@b.test", adminPassword)
	emea := a.createOU(t, "EMEA", root.ID)
	a.createUser(t, "ouadmin@a.test", "EMEA admin", emea.ID, interact.Licenses{}, interact.Role{Role: interact.RoleOUAdmin, ScopeID: emea.ID})
	ouAdmin := e.login(t, "ouadmin@a.test", userPassword)
	plain := e.login(t, agent.Email, userPassword)

	for _, o := range []struct{ path, id string }{{"/api/v1/services/" + svc.ID + "/widget", svc.ID}, {"/api/v1/users/" + u.ID + "/widget", u.ID}} {
		path := o.path
		audited := func(action string) int {
			n := 0
			for _, en := range getList[interact.AuditEntry](t, a, "/api/v1/audit?limit=500&action="+action) {
				if en.EntityID == o.id {
					n++
				}
			}
			return n
		}
		t.Run(path, func(t *testing.T) {
			watched := []string{path, "/api/v1/audit?limit=500"}
			var w widgetAnswer
			a.ok(t, "GET", path, nil, 200, &w)
			if w.Saved || w.Name != "required" || w.Email != "optional" || w.Fields == nil || len(w.Fields) != 0 || w.Consent["de"] == "" {
				t.Fatalf("defaults: %+v", w)
			}

			// Bad input: refused, the field named, nothing changed.
			before := a.snapshot(t, watched...)
			for _, bad := range []struct {
				body any
				want string
			}{
				{patched("name", "maybe"), `Name: choose required, optional or off (got "maybe").`},
				{patched("email", ""), `E-mail: choose required, optional or off (got "").`},
				{patched("fields", []any{map[string]any{"key": "1x", "type": "text", "label": map[string]any{"en": "X"}}}), `Custom field 1 ("1x"): the key must start with a letter`},
				{patched("fields", []any{map[string]any{"key": "x", "type": "date", "label": map[string]any{"en": "X"}}}), `Custom field 1 ("x"): the type must be text, email, phone, choice or checkbox (got "date").`},
				{patched("fields", []any{map[string]any{"key": "x", "type": "text"}}), `Custom field 1 ("x"): give it a label in at least one language.`},
				{patched("fields", []any{map[string]any{"key": "x", "type": "text", "maxLength": "ten", "label": map[string]any{"en": "X"}}}), `Field "fields.maxLength" must be`},
				{patched("consent", map[string]any{"xx": "Yes"}), `Unknown language "xx"`},
				{patched("texts", map[string]any{"de": map[string]any{"nope": "x"}}), `Texts (de): unknown text key "nope".`},
				{patched("colour", "red"), `Unknown field "colour".`},
				{"[]", "The request body must be a JSON object."},
			} {
				msg := a.fail(t, "PUT", path, bad.body, 400, interact.EINVALID)
				if !strings.Contains(msg, bad.want) {
					t.Errorf("PUT %v: %q, want %q", bad.body, msg, bad.want)
				}
			}
			diffSnapshot(t, "bad input", before, a.snapshot(t, watched...))

			// Another tenant's admin and a plain user: nothing seen, nothing changed.
			for _, m := range []string{"GET", "PUT", "DELETE"} {
				other.fail(t, m, path, goodWidget(), 404, interact.ENOTFOUND)
				plain.fail(t, m, path, goodWidget(), 403, interact.EFORBIDDEN)
				if m != "GET" { // an OU admin may read above their OU, not change it
					ouAdmin.fail(t, m, path, goodWidget(), 403, interact.EFORBIDDEN)
				}
			}
			// Writes need the CSRF header (or come from a bearer token); reads do not.
			for _, m := range []string{"PUT", "DELETE"} {
				req := a.request(t, m, path, goodWidget())
				req.Header.Del("X-CSRF-Token")
				a.send(t, req).wantError(t, m+" without the CSRF header", 403, interact.ECSRF)
				req = a.request(t, m, path, goodWidget())
				req.Header.Set("Sec-Fetch-Site", "cross-site")
				a.send(t, req).wantError(t, m+" cross-site", 403, interact.ECSRF)
			}
			diffSnapshot(t, "refused requests", before, a.snapshot(t, watched...))
			req := a.request(t, "GET", path, nil)
			req.Header.Del("X-CSRF-Token")
			if r := a.send(t, req); r.status != 200 {
				t.Errorf("GET without the CSRF header: %d", r.status)
			}

			// A good PUT is normalized, saved, served and audited.
			body := goodWidget()
			body["texts"] = map[string]any{"de": map[string]any{"start": "  Los  ", "send": ""}}
			a.ok(t, "PUT", path, body, 200, &w)
			var got widgetAnswer
			a.ok(t, "GET", path, nil, 200, &got)
			if !w.Saved || !got.Saved || len(got.Fields) != 1 || got.Fields[0].Label["de"] != "Bestellung" || got.Name != "optional" ||
				got.Texts["de"]["start"] != "Los" || len(got.Texts["de"]) != 1 || got.Consent["en"] != "I agree." || len(got.Consent) != 1 {
				t.Fatalf("after PUT: %+v, then GET %+v", w, got)
			}
			if n := audited("interact.widget_update"); n != 1 {
				t.Errorf("%d widget_update audit entries, want 1", n)
			}

			// DELETE resets to the defaults, audited.
			a.ok(t, "DELETE", path, nil, 200, &w)
			a.ok(t, "GET", path, nil, 200, &got)
			if w.Saved || got.Saved || len(got.Fields) != 0 || got.Name != "required" {
				t.Fatalf("after DELETE: %+v, then GET %+v", w, got)
			}
			if n := audited("interact.widget_reset"); n != 1 {
				t.Errorf("%d widget_reset audit entries, want 1", n)
			}
		})
	}
}
