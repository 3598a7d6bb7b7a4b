package sqlstore_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
)

// jsonValue decodes raw JSON, or returns nil for none, so that entries can be
// compared with expected values encoded the same way.
func jsonValue(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	if raw == nil {
		return nil
	}
	var v any
	noErr(t, json.Unmarshal(raw, &v))
	return v
}

func jsonOf(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	noErr(t, err)
	return jsonValue(t, b)
}

// lastEntry returns the newest audit entry of the admin's tenant.
func (w *world) lastEntry(t *testing.T, admin interact.Actor) interact.AuditEntry {
	t.Helper()
	es, _, err := w.db.AuditEntries(t.Context(), admin, interact.AuditFilter{Limit: 1})
	noErr(t, err)
	if len(es) != 1 {
		t.Fatalf("no audit entries")
	}
	return es[0]
}

// auditedInteract is what the audit log keeps of Interact settings.
func auditedInteract(s *interact.InteractSettings) map[string]any {
	return map[string]any{
		"active": s.Active, "audioVideo": s.AudioVideo, "instantMessage": s.InstantMessage,
		"restrictAccess": s.RestrictAccess, "domainTemplateIds": s.DomainTemplateIDs, "ratings": s.Ratings, "visitorHistory": s.VisitorHistory,
		"contactId": s.ContactID, "widgetKey": s.WidgetKey, "previousKeyValidUntil": s.PreviousKeyValidUntil,
	}
}

func TestAuditEntriesPrecise(t *testing.T) { eachEngine(t, testAuditEntriesPrecise) }

func testAuditEntriesPrecise(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	check := func(t *testing.T, action, kind, id string, before, after any) {
		t.Helper()
		e := w.lastEntry(t, w.adminA)
		got := []any{e.Action, e.ActorID, e.ActorEmail, e.EntityKind, e.EntityID, jsonValue(t, e.Before), jsonValue(t, e.After)}
		want := []any{action, w.adminA.UserID, w.adminA.Email, kind, id, jsonOf(t, before), jsonOf(t, after)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("entry (-want +got):\n%s", diff)
		}
		if time.Since(e.At) > time.Minute || time.Until(e.At) > time.Second {
			t.Errorf("entry at %v, want about now", e.At)
		}
	}

	t.Run("tenant.update", func(t *testing.T) {
		after, err := w.db.UpdateTenant(ctx, w.adminA, w.a.ID, interact.TenantUpdate{InteractEnabled: ptr(true), MaxConcurrentIMTasksPerService: ptr(30)})
		noErr(t, err)
		check(t, "tenant.update", "tenant", w.a.ID, w.a, after)
	})

	svc := w.service(t, w.adminA, "Support", w.ch, "", false)
	t.Run("service.update_licenses", func(t *testing.T) {
		after, err := w.db.UpdateService(ctx, w.adminA, svc.ID, interact.ServiceUpdate{License: ptr(interact.LicenseContactCenter), InteractLicense: ptr(true)})
		noErr(t, err)
		check(t, "service.update_licenses", "service", svc.ID, svc, after)
	})

	tpl := w.template(t, w.adminA, "Shop", w.ch, "https://shop.example.test")
	t.Run("interact.update", func(t *testing.T) {
		before := w.settings(t, owner{kind: interact.OwnerService, id: svc.ID})
		after, err := w.db.UpdateInteract(ctx, w.adminA, interact.OwnerService, svc.ID, interact.InteractUpdate{
			AudioVideo: ptr(true), RestrictAccess: ptr(true), DomainTemplateIDs: &[]string{tpl.ID}})
		noErr(t, err)
		check(t, "interact.update", interact.OwnerService, svc.ID, auditedInteract(before), auditedInteract(after))
		// Spelled out once, so that a change of the recorded shape is noticed.
		e := w.lastEntry(t, w.adminA)
		want := map[string]any{"active": true, "audioVideo": true, "instantMessage": false, "restrictAccess": true, "ratings": true, "visitorHistory": false,
			"domainTemplateIds": []any{tpl.ID}, "contactId": before.ContactID, "widgetKey": before.WidgetKey, "previousKeyValidUntil": nil}
		if diff := cmp.Diff(want, jsonValue(t, e.After)); diff != "" {
			t.Errorf("interact.update after (-want +got):\n%s", diff)
		}
	})

	t.Run("interact.rotate_key", func(t *testing.T) {
		before := w.settings(t, owner{kind: interact.OwnerService, id: svc.ID})
		after, err := w.db.RotateWidgetKey(ctx, w.adminA, interact.OwnerService, svc.ID, time.Hour)
		noErr(t, err)
		check(t, "interact.rotate_key", interact.OwnerService, svc.ID, auditedInteract(before), auditedInteract(after))
		e := jsonValue(t, w.lastEntry(t, w.adminA).After).(map[string]any)
		if e["widgetKey"] != after.WidgetKey || e["widgetKey"] == before.WidgetKey || e["previousKeyValidUntil"] == nil {
			t.Errorf("rotate_key after = %v", e)
		}
	})
}

func TestAuditEveryChange(t *testing.T) { eachEngine(t, testAuditEveryChange) }

func testAuditEveryChange(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, a := t.Context(), w.adminA
	w.setInteract(t, a, true)
	var ou, user, svc, tpl, token string
	steps := []struct {
		action, kind  string
		before, after bool // whether the entry records them
		do            func(t *testing.T) (entityID string)
	}{
		{"ou.create", "ou", false, true, func(t *testing.T) string { ou = w.ou(t, a, "Temp", w.apac); return ou }},
		{"ou.update", "ou", true, true, func(t *testing.T) string {
			noErr(t, errOf(w.db.UpdateOU(ctx, a, ou, interact.OUUpdate{Name: ptr("Temporary")})))
			return ou
		}},
		{"user.create", "user", false, true, func(t *testing.T) string {
			user = w.user(t, a, "temp", ou, interact.Licenses{ContactCenter: true, Interact: true}).ID
			return user
		}},
		{"user.update", "user", true, true, func(t *testing.T) string {
			noErr(t, errOf(w.db.UpdateUser(ctx, a, user, interact.UserUpdate{Name: ptr("Temp")})))
			return user
		}},
		{"user.update_password", "user", true, true, func(t *testing.T) string {
			noErr(t, errOf(w.db.UpdateUser(ctx, a, user, interact.UserUpdate{Password: ptr("another long password")})))
			return user
		}},
		{"api_token.create", "user", false, true, func(t *testing.T) string {
			tok, _, err := w.db.CreateAPIToken(ctx, a, user, "ci")
			noErr(t, err)
			token = tok.ID
			return user
		}},
		{"api_token.delete", "user", true, false, func(t *testing.T) string {
			noErr(t, w.db.DeleteAPIToken(ctx, a, user, token))
			return user
		}},
		{"service.create", "service", false, true, func(t *testing.T) string {
			svc = w.service(t, a, "Temp", ou, "", false).ID
			return svc
		}},
		{"service.update", "service", true, true, func(t *testing.T) string {
			noErr(t, errOf(w.db.UpdateService(ctx, a, svc, interact.ServiceUpdate{Distribution: &interact.Distribution{Type: interact.DistributePickup}})))
			return svc
		}},
		{"service.update_licenses", "service", true, true, func(t *testing.T) string {
			noErr(t, errOf(w.db.UpdateService(ctx, a, svc, interact.ServiceUpdate{License: ptr(interact.LicenseContactCenter), InteractLicense: ptr(true)})))
			return svc
		}},
		{"service.member_put", "service", false, true, func(t *testing.T) string {
			noErr(t, errOf(w.db.PutMember(ctx, a, svc, user, true)))
			return svc
		}},
		{"service.member_put", "service", true, true, func(t *testing.T) string {
			noErr(t, errOf(w.db.PutMember(ctx, a, svc, user, false)))
			return svc
		}},
		{"service.member_delete", "service", true, false, func(t *testing.T) string {
			noErr(t, w.db.DeleteMember(ctx, a, svc, user))
			return svc
		}},
		{"domain_template.create", "domain_template", false, true, func(t *testing.T) string {
			tpl = w.template(t, a, "Temp", ou, "https://temp.example.test").ID
			return tpl
		}},
		{"domain_template.update", "domain_template", true, true, func(t *testing.T) string {
			noErr(t, errOf(w.db.UpdateDomainTemplate(ctx, a, tpl, interact.DomainTemplateUpdate{Description: ptr("for a while")})))
			return tpl
		}},
		{"tenant.update", "tenant", true, true, func(t *testing.T) string {
			noErr(t, errOf(w.db.UpdateTenant(ctx, a, w.a.ID, interact.TenantUpdate{IMEnabled: ptr(true)})))
			return w.a.ID
		}},
		{"interact.update", interact.OwnerService, true, true, func(t *testing.T) string {
			noErr(t, errOf(w.db.UpdateInteract(ctx, a, interact.OwnerService, svc, interact.InteractUpdate{InstantMessage: ptr(true)})))
			return svc
		}},
		{"interact.update", interact.OwnerUser, true, true, func(t *testing.T) string {
			noErr(t, errOf(w.db.UpdateInteract(ctx, a, interact.OwnerUser, user, interact.InteractUpdate{AudioVideo: ptr(true)})))
			return user
		}},
		{"interact.rotate_key", interact.OwnerUser, true, true, func(t *testing.T) string {
			noErr(t, errOf(w.db.RotateWidgetKey(ctx, a, interact.OwnerUser, user, 0)))
			return user
		}},
		{"domain_template.delete", "domain_template", true, false, func(t *testing.T) string {
			noErr(t, w.db.DeleteDomainTemplate(ctx, a, tpl))
			return tpl
		}},
		{"service.delete", "service", true, false, func(t *testing.T) string { noErr(t, w.db.DeleteService(ctx, a, svc)); return svc }},
		{"user.delete", "user", true, false, func(t *testing.T) string { noErr(t, w.db.DeleteUser(ctx, a, user)); return user }},
		{"ou.delete", "ou", true, false, func(t *testing.T) string { noErr(t, w.db.DeleteOU(ctx, a, ou)); return ou }},
	}
	count := func(t *testing.T) int {
		t.Helper()
		es, _, err := w.db.AuditEntries(ctx, a, interact.AuditFilter{Limit: 500})
		noErr(t, err)
		return len(es)
	}
	for _, s := range steps {
		t.Run(s.action, func(t *testing.T) {
			n := count(t)
			id := s.do(t)
			if got := count(t); got != n+1 {
				t.Errorf("%d new entries, want 1", got-n)
			}
			e := w.lastEntry(t, a)
			got := []any{e.Action, e.EntityKind, e.EntityID, e.ActorID, e.ActorEmail, jsonValue(t, e.Before) != nil, jsonValue(t, e.After) != nil}
			want := []any{s.action, s.kind, id, a.UserID, a.Email, s.before, s.after}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("entry [action kind id actor email before? after?] (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("no change, no entry", func(t *testing.T) {
		n := count(t)
		w.setInteract(t, a, true) // already on
		noErr(t, errOf(w.db.UpdateOU(ctx, a, w.apac, interact.OUUpdate{Name: ptr("APAC")})))
		if got := count(t); got != n {
			t.Errorf("updates that change nothing wrote %d entries", got-n)
		}
	})

	t.Run("paging", func(t *testing.T) {
		all, cursor, err := w.db.AuditEntries(ctx, a, interact.AuditFilter{Limit: 500})
		noErr(t, err)
		if cursor != "" || len(all) < len(steps) {
			t.Fatalf("full listing: %d entries, cursor %q", len(all), cursor)
		}
		for i := 1; i < len(all); i++ {
			if all[i].ID >= all[i-1].ID {
				t.Fatalf("entries not newest first at %d: %s after %s", i, all[i].ID, all[i-1].ID)
			}
		}
		var paged []interact.AuditEntry
		cursor = ""
		for pages := 0; ; pages++ {
			if pages > len(all) {
				t.Fatal("paging does not end")
			}
			page, next, err := w.db.AuditEntries(ctx, a, interact.AuditFilter{Limit: 4, Cursor: cursor})
			noErr(t, err)
			if len(page) > 4 || (next != "" && len(page) != 4) {
				t.Fatalf("page of %d entries with cursor %q", len(page), next)
			}
			paged = append(paged, page...)
			if next == "" {
				break
			}
			cursor = next
		}
		if diff := cmp.Diff(all, paged); diff != "" {
			t.Errorf("pages joined (-all +paged):\n%s", diff)
		}
		byUser, _, err := w.db.AuditEntries(ctx, a, interact.AuditFilter{EntityID: user, Action: "user.update"})
		noErr(t, err)
		if len(byUser) != 1 || byUser[0].EntityID != user || byUser[0].Action != "user.update" {
			t.Errorf("filtered by entity and action: %+v", byUser)
		}
	})
}

func TestAuditAccess(t *testing.T) { eachEngine(t, testAuditAccess) }

func testAuditAccess(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	w.refuse(t, []refusal{
		{"OU admin", interact.EFORBIDDEN, func(ctx context.Context) error {
			_, _, err := w.db.AuditEntries(ctx, w.emeaAdmin, interact.AuditFilter{})
			return err
		}},
		{"agent", interact.EFORBIDDEN, func(ctx context.Context) error {
			_, _, err := w.db.AuditEntries(ctx, w.agent, interact.AuditFilter{})
			return err
		}},
	})

	// An operator's change to tenant B is logged in B, and only there.
	trial := interact.TenantTrial
	_, err := w.db.UpdateTenant(ctx, w.op, w.b.ID, interact.TenantUpdate{State: &trial})
	noErr(t, err)
	bLog, _, err := w.db.AuditEntries(ctx, w.adminB, interact.AuditFilter{Limit: 500})
	noErr(t, err)
	got := [][]string{}
	for _, e := range bLog {
		got = append(got, []string{e.Action, e.EntityID, e.ActorID})
	}
	want := [][]string{{"tenant.update", w.b.ID, w.op.UserID}, {"tenant.create", w.b.ID, w.op.UserID}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tenant B's log [action entity actor] (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name  string
		admin interact.Actor
		f     interact.AuditFilter
	}{
		{"A filters for B's tenant", w.adminA, interact.AuditFilter{EntityID: w.b.ID}},
		{"A filters for B's admin", w.adminA, interact.AuditFilter{ActorID: w.op.UserID, EntityKind: "tenant", EntityID: w.b.ID}},
		{"B filters for A's OU", w.adminB, interact.AuditFilter{EntityID: w.emea}},
		{"hosting filters for B's tenant", w.op, interact.AuditFilter{EntityID: w.b.ID}},
	} {
		es, _, err := w.db.AuditEntries(ctx, tc.admin, tc.f)
		noErr(t, err)
		if len(es) != 0 {
			t.Errorf("%s: sees %+v", tc.name, es)
		}
	}
}
