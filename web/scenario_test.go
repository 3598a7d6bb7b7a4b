package web_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web"
)

// TestAcceptanceScenario walks the acceptance scenario step by step
// against the real server, then proves tenant isolation on every id it made.
func TestAcceptanceScenario(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	a := e.adminClient(t)
	if !slices.Contains(a.user.Roles, interact.Role{Role: interact.RoleTenantAdmin}) {
		t.Fatalf("bootstrap admin roles %v lack tenantAdmin", a.user.Roles)
	}

	// OU tree root → EMEA → {CH, DE}.
	root := a.rootOU(t)
	emea := a.createOU(t, "EMEA", root.ID)
	ch := a.createOU(t, "CH", emea.ID)
	de := a.createOU(t, "DE", emea.ID)
	parents := map[string]string{}
	for _, o := range getList[interact.OU](t, a, "/api/v1/ous") {
		p := ""
		if o.ParentID != nil {
			p = *o.ParentID
		}
		parents[o.Name] = p
	}
	if d := cmp.Diff(map[string]string{"Tenant A": "", "EMEA": root.ID, "CH": emea.ID, "DE": emea.ID}, parents); d != "" {
		t.Fatalf("OU tree (-want +got):\n%s", d)
	}

	// A service in CH without the Contact Center licence.
	svc := a.createService(t, map[string]any{"name": "Support CH", "ouId": ch.ID})
	if svc.License != interact.LicenseAdvancedRouting || svc.InteractLicense {
		t.Fatalf("new service licences %q/%v, want advancedRouting without add-on", svc.License, svc.InteractLicense)
	}
	ip := "/api/v1/services/" + svc.ID + "/interact"
	a.fail(t, "GET", ip, nil, 403, interact.ENOTLICENSED)
	a.fail(t, "PUT", ip, map[string]any{"audioVideo": true}, 403, interact.ENOTLICENSED)

	// Licensed, but the tenant switch is off.
	var licensed interact.Service
	a.ok(t, "PATCH", "/api/v1/services/"+svc.ID, map[string]any{"license": "contactCenter", "interactLicense": true}, 200, &licensed)
	if licensed.License != interact.LicenseContactCenter || !licensed.InteractLicense {
		t.Fatalf("after licensing: %+v", licensed)
	}
	a.fail(t, "GET", ip, nil, 403, interact.EINTERACTOFF)

	// Tenant switch on: the tab is readable.
	if tn := a.setTenant(t, map[string]any{"interactEnabled": true}); !tn.InteractEnabled {
		t.Fatalf("PATCH /tenant interactEnabled=true answered %+v", tn)
	}
	st := a.interact(t, svc.ID)
	if st.ContactID == "" || !strings.HasPrefix(st.WidgetKey, "wk_") || st.Snippet == "" {
		t.Fatalf("settings lack contactId, widgetKey or snippet: %+v", st)
	}
	if st.RestrictAccess || st.AudioVideo || st.InstantMessage || len(st.DomainTemplateIDs) != 0 {
		t.Errorf("new settings are not all off: %+v", st)
	}
	contactID, key1 := st.ContactID, st.WidgetKey

	// Restrict Access without a template: refused, nothing changes.
	msg := a.fail(t, "PUT", ip, map[string]any{"restrictAccess": true}, 400, interact.ETEMPLATEREQ)
	if !strings.Contains(msg, "template") {
		t.Errorf("template_required message %q does not say what to do", msg)
	}
	if d := cmp.Diff(st, a.interact(t, svc.ID)); d != "" {
		t.Errorf("refused PUT changed the settings (-before +after):\n%s", d)
	}

	// Templates: DE (sibling) is not selectable, EMEA (parent) is.
	tDE := a.createTemplate(t, "DE shops", de.ID, "https://shop.example.de")
	tEMEA := a.createTemplate(t, "EMEA shops", emea.ID, "https://shop.example.test", "*.emea.example.test")
	msg = a.fail(t, "POST", "/api/v1/domain-templates", map[string]any{"name": "Too wide", "ouId": emea.ID, "origins": []string{"*.com"}}, 400, interact.EINVALIDORIGIN)
	if !strings.Contains(msg, "*.com") {
		t.Errorf("invalid_origin message %q does not name *.com", msg)
	}
	st = a.interact(t, svc.ID)
	var selectable []string
	for _, d := range st.SelectableDomainTemplates {
		selectable = append(selectable, d.ID)
	}
	if d := cmp.Diff([]string{tEMEA.ID}, selectable); d != "" {
		t.Errorf("selectableDomainTemplates (-want +got):\n%s", d)
	}
	a.fail(t, "PUT", ip, map[string]any{"domainTemplateIds": []string{tDE.ID}}, 400, interact.ENOTSELECTABLE)
	if d := cmp.Diff(st, a.interact(t, svc.ID)); d != "" {
		t.Errorf("refused selection changed the settings (-before +after):\n%s", d)
	}
	st = a.putInteract(t, svc.ID, map[string]any{"domainTemplateIds": []string{tEMEA.ID}})
	if d := cmp.Diff([]string{tEMEA.ID}, st.DomainTemplateIDs); d != "" {
		t.Errorf("selected templates (-want +got):\n%s", d)
	}
	st = a.putInteract(t, svc.ID, map[string]any{"restrictAccess": true, "audioVideo": true, "instantMessage": true})
	if !st.RestrictAccess || !st.AudioVideo || !st.InstantMessage {
		t.Errorf("toggles not on after PUT: %+v", st)
	}
	if got := a.interact(t, svc.ID); !got.RestrictAccess || !slices.Equal(got.DomainTemplateIDs, []string{tEMEA.ID}) {
		t.Errorf("re-read settings: %+v", got)
	}

	// The snippet, exactly.
	if want := snippet(e.url, contactID, key1); st.Snippet != want {
		t.Errorf("snippet\n got %s\nwant %s", st.Snippet, want)
	}

	// Key rotation: a new key, the same contact ID, the snippet follows.
	var rot interact.InteractSettings
	a.ok(t, "POST", ip+"/rotate-key", nil, 200, &rot)
	if rot.WidgetKey == key1 || !strings.HasPrefix(rot.WidgetKey, "wk_") || rot.ContactID != contactID {
		t.Fatalf("after rotation key %q (was %q), contact %q (was %q)", rot.WidgetKey, key1, rot.ContactID, contactID)
	}
	if want := snippet(e.url, contactID, rot.WidgetKey); rot.Snippet != want {
		t.Errorf("snippet after rotation\n got %s\nwant %s", rot.Snippet, want)
	}
	kept := a.interact(t, svc.ID)
	if kept.WidgetKey != rot.WidgetKey || kept.Snippet != rot.Snippet {
		t.Errorf("re-read after rotation: key %q snippet %q", kept.WidgetKey, kept.Snippet)
	}

	// Interact off and on again keeps everything.
	a.setTenant(t, map[string]any{"interactEnabled": false})
	a.fail(t, "GET", ip, nil, 403, interact.EINTERACTOFF)
	a.setTenant(t, map[string]any{"interactEnabled": true})
	if d := cmp.Diff(kept, a.interact(t, svc.ID)); d != "" {
		t.Errorf("settings after Interact off and on (-before +after):\n%s", d)
	}

	// A user and a membership, for the isolation checks below.
	agent := a.createUser(t, "agent@a.test", "Agent A", ch.ID, interact.Licenses{ContactCenter: true, InstantMessaging: true, Interact: true})
	a.ok(t, "PUT", "/api/v1/services/"+svc.ID+"/members/"+agent.ID, map[string]any{"active": true}, 200, nil)

	checkScenarioAudit(t, a, auditWant{
		tenantID: e.tenant.ID, adminID: e.admin.ID, ous: []string{emea.ID, ch.ID, de.ID},
		service: svc.ID, templates: []string{tDE.ID, tEMEA.ID}, oldKey: key1, newKey: rot.WidgetKey,
	})

	checkIsolation(t, e, a, tenantAItems{
		ous: []string{root.ID, emea.ID, ch.ID, de.ID}, service: svc.ID, templates: []string{tDE.ID, tEMEA.ID},
		agent: agent.ID, contactID: contactID, widgetKey: rot.WidgetKey,
	})
}

type auditWant struct {
	tenantID, adminID string
	ous               []string
	service           string
	templates         []string
	oldKey, newKey    string
}

// checkScenarioAudit checks that each change of the scenario is in the audit
// log with who, before and after, and that refused requests left no entry.
func checkScenarioAudit(t *testing.T, a *client, w auditWant) {
	t.Helper()
	entries := a.audit(t)
	find := func(action, entity string, match func(before, after map[string]any) bool) {
		t.Helper()
		for _, en := range entries {
			if en.Action != action || en.EntityID != entity {
				continue
			}
			var before, after map[string]any
			json.Unmarshal(en.Before, &before)
			json.Unmarshal(en.After, &after)
			if match(before, after) {
				if en.ActorID != w.adminID || en.ActorEmail != adminEmail || en.At.IsZero() {
					t.Errorf("audit %s %s: actor %q <%s> at %v, want the admin", action, entity, en.ActorID, en.ActorEmail, en.At)
				}
				return
			}
		}
		t.Errorf("no audit entry %s on %s with the expected before/after", action, entity)
	}
	created := func(before, after map[string]any) bool { return before == nil && after != nil }
	find("tenant.update", w.tenantID, func(b, af map[string]any) bool {
		return b != nil && af != nil && b["interactEnabled"] == false && af["interactEnabled"] == true
	})
	find("tenant.update", w.tenantID, func(b, af map[string]any) bool {
		return b != nil && af != nil && b["interactEnabled"] == true && af["interactEnabled"] == false
	})
	for _, id := range w.ous {
		find("ou.create", id, created)
	}
	find("service.create", w.service, func(b, af map[string]any) bool {
		return b == nil && af["license"] == "advancedRouting"
	})
	find("service.update_licenses", w.service, func(b, af map[string]any) bool {
		return b["license"] == "advancedRouting" && b["interactLicense"] == false &&
			af["license"] == "contactCenter" && af["interactLicense"] == true
	})
	for _, id := range w.templates {
		find("domain_template.create", id, created)
	}
	find("interact.update", w.service, func(b, af map[string]any) bool {
		ids, _ := af["domainTemplateIds"].([]any)
		return b != nil && len(ids) == 1 && ids[0] == w.templates[1]
	})
	find("interact.update", w.service, func(b, af map[string]any) bool {
		return b["restrictAccess"] == false && af["restrictAccess"] == true
	})
	find("interact.rotate_key", w.service, func(b, af map[string]any) bool {
		return b["widgetKey"] == w.oldKey && af["widgetKey"] == w.newKey && b["contactId"] == af["contactId"]
	})

	// Refused requests wrote nothing: exactly the successful changes are there.
	count := map[string]int{}
	for _, en := range entries {
		count[en.Action]++
	}
	want := map[string]int{"interact.update": 2, "domain_template.create": 2, "interact.rotate_key": 1, "service.update_licenses": 1, "tenant.update": 3}
	for action, n := range want {
		if count[action] != n {
			t.Errorf("audit has %d %s entries, want %d (a refused request must not be logged)", count[action], action, n)
		}
	}
}
