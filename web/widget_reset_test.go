package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"testing"

	"github.com/interact-oss/interact"
)

// widgetOwnerCase is a service's or a user's Widget tab with its contact.
type widgetOwnerCase struct {
	kind, base, name string
	st               *interact.InteractSettings
}

// directUser creates a user licensed for a direct contact, switched on.
func (l *live) directUser(t *testing.T) (*interact.User, *interact.InteractSettings) {
	t.Helper()
	ctx := context.Background()
	u, err := l.db.CreateUser(ctx, l.admin, interact.User{Email: "direct@live.test", Name: "Dana Direct", OUID: l.ouID,
		Licenses: interact.Licenses{ContactCenter: true, InstantMessaging: true, Interact: true}}, "direct-password")
	if err != nil {
		t.Fatal(err)
	}
	on := true
	st, err := l.db.UpdateInteract(ctx, l.admin, interact.OwnerUser, u.ID, interact.InteractUpdate{Active: &on, InstantMessage: &on})
	if err != nil {
		t.Fatal(err)
	}
	return u, st
}

// configWidget returns the widget settings a contact's config serves.
func configWidget(t *testing.T, l *live, st *interact.InteractSettings) map[string]any {
	t.Helper()
	r := l.config(st.ContactID, st.WidgetKey, shopOrigin)
	if r.status != 200 {
		t.Fatalf("config: %d %v", r.status, r.body)
	}
	w, _ := r.body["widget"].(map[string]any)
	return w
}

// TestWidgetTabs: the Widget tab of a service and of a user's direct
// contact: saved forms are served and enforced; "Reset to defaults" goes
// through a confirmation page (no JavaScript needed), is audited, and
// brings the built-in form back. Other tenants and plain users get nothing.
func TestWidgetTabs(t *testing.T) {
	t.Parallel()
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	u, ust := l.directUser(t)
	e := &env{url: l.url}
	c := e.console(t)
	c.signIn("admin@live.test", "admin-password")
	api := e.login(t, "admin@live.test", "admin-password")

	if p := c.get("/admin/users/" + u.ID); !p.has(`href="/admin/users/` + u.ID + `/widget" id="user-widget-tab-link"`) {
		t.Fatal("the user page does not link the Widget tab")
	}
	for _, o := range []widgetOwnerCase{
		{interact.OwnerService, "/admin/services/" + l.svc.ID, "Support", l.st},
		{interact.OwnerUser, "/admin/users/" + u.ID, "Dana Direct", ust},
	} {
		t.Run(o.kind, func(t *testing.T) {
			tab := o.base + "/widget"
			p := c.get(tab)
			if p.status != 200 || !p.has(`action="`+tab+`"`) || !p.has(`action="`+tab+`/texts"`) || p.has(`id="widget-reset"`) {
				t.Fatalf("%s widget tab with defaults: %d %s", o.kind, p.status, errorsOf(p))
			}
			// A bad form is refused naming the field; a good one is saved and enforced.
			c.refused(tab, with(preChatForm(), "f0.key", "1order"), 400, `Custom field 1 ("1order"): the key must start with a letter`)
			if w := configWidget(t, l, o.st); len(w["fields"].([]any)) != 0 {
				t.Fatalf("a refused form changed the config: %v", w)
			}
			c.ok(tab, preChatForm())
			c.ok(tab+"/texts", url.Values{"form": {"texts"}, "lang": {"de"}, "t.start": {"Los"}})
			if w := configWidget(t, l, o.st); len(w["fields"].([]any)) != 4 || w["texts"].(map[string]any)["de"] == nil {
				t.Fatalf("saved widget config: %v", w)
			}
			r := l.start(o.st.ContactID, shopOrigin, map[string]any{"widgetKey": o.st.WidgetKey, "modality": "chat",
				"visitor": map[string]any{"name": "Vera", "fields": map[string]any{"consent": "accepted"}}})
			wantRefused(t, "a visitor without the required field", r, 400, interact.EINVALID)

			// The reset: a link to a confirmation page naming what goes.
			p = c.get(tab)
			if !p.has(`href="`+tab+`/reset" class="button danger" id="widget-reset"`) || p.has(`action="`+tab+`/reset"`) {
				t.Fatalf("the tab should link to the reset confirmation and hold no form posting there")
			}
			p = c.get(tab + "/reset")
			heading := "Reset the widget of “" + o.name + "” to the defaults?"
			if p.status != 200 || !p.has(html.EscapeString(heading)) || !p.has(`action="`+tab+`/reset"`) || !p.has(`name="confirm" value="yes"`) ||
				!p.has(`href="`+tab+`" class="button" id="cancel" autofocus`) {
				t.Fatalf("reset confirmation: %d %s", p.status, p.body)
			}
			// Unconfirmed, cross-site or with a forged token: nothing changes.
			before := api.snapshot(t, "/api/v1/audit?limit=500")
			c.refused(tab+"/reset", url.Values{"form": {"delete"}}, 400, "Nothing was deleted: confirm the deletion below.")
			if p = c.post(tab+"/reset", url.Values{"confirm": {"yes"}}, "Sec-Fetch-Site", "cross-site"); p.status != 403 {
				t.Fatalf("cross-site reset: %d", p.status)
			}
			if p = c.post(tab+"/reset", url.Values{"confirm": {"yes"}, "csrf": {"forged"}}); p.status != 403 {
				t.Fatalf("reset with a forged token: %d", p.status)
			}
			diffSnapshot(t, "refused resets", before, api.snapshot(t, "/api/v1/audit?limit=500"))
			if w, _ := l.db.ContactWidget(context.Background(), l.tenant.ID, o.st.OwnerID); w == nil || len(w.Fields) != 4 {
				t.Fatalf("a refused reset changed the settings: %+v", w)
			}

			// Confirmed: the defaults are back, served and enforced; audited.
			if p = c.ok(tab+"/reset", url.Values{"form": {"delete"}, "confirm": {"yes"}}); !p.has("Widget reset to the defaults.") || p.has(`id="widget-reset"`) ||
				!p.has("uses the defaults") || p.has(`value="order"`) {
				t.Fatalf("after the reset: %s", errorsOf(p))
			}
			if w, _ := l.db.ContactWidget(context.Background(), l.tenant.ID, o.st.OwnerID); w != nil {
				t.Fatalf("settings after the reset: %+v", w)
			}
			if p := c.get("/admin/audit?action=interact.widget_reset"); !p.has(o.st.OwnerID) {
				t.Errorf("the reset is not in the audit log")
			}
		})
	}

	// A user without the Interact licence has no direct contact to set up.
	if p := c.get("/admin/users/" + l.agents[0].ID + "/widget"); p.status == 200 || !p.has("Assign the Interact licence to this user.") {
		t.Errorf("the Widget tab of an unlicensed user: %d %s", p.status, errorsOf(p))
	}

	// Another tenant's admin finds neither tab; a user who is no admin gets no console.
	if _, _, err := l.db.CreateTenant(context.Background(), interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: "Other", InteractEnabled: true}, AdminEmail: "admin@other.test", AdminPassword: "other-password",
	}); err != nil {
		t.Fatal(err)
	}
	other := e.console(t)
	other.signIn("admin@other.test", "other-password")
	agent := e.console(t)
	agent.get("/admin/signin")
	agent.post("/admin/signin", url.Values{"email": {"agent0@live.test"}, "password": {"agent-password"}})
	for _, path := range []string{"/admin/users/" + u.ID + "/widget", "/admin/services/" + l.svc.ID + "/widget", "/admin/users/" + u.ID + "/widget/reset"} {
		if p := other.get(path); p.status != http.StatusNotFound {
			t.Errorf("another tenant's admin: GET %s: %d, want 404", path, p.status)
		}
		if p := agent.get(path); p.status != http.StatusForbidden {
			t.Errorf("a plain agent: GET %s: %d, want 403", path, p.status)
		}
	}
	if p := other.post("/admin/users/"+u.ID+"/widget", preChatForm()); p.status != http.StatusNotFound {
		t.Errorf("another tenant's admin saving a user's form: %d", p.status)
	}
	if p := other.post("/admin/users/"+u.ID+"/widget/reset", url.Values{"confirm": {"yes"}}); p.status != http.StatusNotFound {
		t.Errorf("another tenant's admin resetting a user's form: %d", p.status)
	}
}
