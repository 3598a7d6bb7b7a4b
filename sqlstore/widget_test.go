package sqlstore_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
)

func TestWidgetSettings(t *testing.T) { eachEngine(t, testWidgetSettings) }

func testWidgetSettings(t *testing.T) {
	forEachOwner(t, func(t *testing.T, w *world, o owner) {
		ctx := t.Context()
		ws := &interact.WidgetSettings{Name: interact.FieldOptional, Email: interact.FieldRequired,
			Fields:  []interact.PreChatField{{Key: "order", Label: map[string]string{"en": "Order", "de": "Bestellung"}, Type: interact.FieldText, MaxLength: 20}},
			Consent: map[string]string{"en": "I agree."}, Texts: map[string]map[string]string{"de": {"start": "Los"}}}

		// Before the tab is available: refused, nothing saved.
		wantCode(t, w.db.SaveWidgetSettings(ctx, w.adminA, o.kind, o.id, ws), interact.ENOTLICENSED)
		w.enable(t, o)
		got, err := w.db.WidgetSettings(ctx, w.adminA, o.kind, o.id)
		noErr(t, err)
		if got != nil {
			t.Fatalf("settings before any save: %+v, want none", got)
		}

		// Another tenant's admin sees nothing and changes nothing.
		_, err = w.db.WidgetSettings(ctx, w.adminB, o.kind, o.id)
		wantCode(t, err, interact.ENOTFOUND)
		wantCode(t, w.db.SaveWidgetSettings(ctx, w.adminB, o.kind, o.id, ws), interact.ENOTFOUND)
		if got, _ := w.db.ContactWidget(ctx, w.a.ID, o.id); got != nil {
			t.Fatalf("a refused save stored %+v", got)
		}

		noErr(t, w.db.SaveWidgetSettings(ctx, w.adminA, o.kind, o.id, ws))
		got, err = w.db.WidgetSettings(ctx, w.adminA, o.kind, o.id)
		noErr(t, err)
		if d := cmp.Diff(ws, got); d != "" {
			t.Fatalf("read back (-saved +got):\n%s", d)
		}
		pub, err := w.db.ContactWidget(ctx, w.a.ID, o.id)
		noErr(t, err)
		if d := cmp.Diff(ws, pub); d != "" {
			t.Fatalf("contact widget (-saved +got):\n%s", d)
		}
		if other, _ := w.db.ContactWidget(ctx, w.b.ID, o.id); other != nil {
			t.Fatal("another tenant's contact look-up found the settings")
		}

		// A second save replaces the first; both are audited.
		ws2 := *ws
		ws2.Fields = []interact.PreChatField{}
		noErr(t, w.db.SaveWidgetSettings(ctx, w.adminA, o.kind, o.id, &ws2))
		got, _ = w.db.WidgetSettings(ctx, w.adminA, o.kind, o.id)
		if len(got.Fields) != 0 {
			t.Fatalf("fields after the second save: %+v", got.Fields)
		}
		entries, _, err := w.db.AuditEntries(ctx, w.adminA, interact.AuditFilter{EntityID: o.id, Action: "interact.widget_update"})
		noErr(t, err)
		if len(entries) != 2 {
			t.Fatalf("%d audit entries, want 2", len(entries))
		}

		// A reset: another tenant's admin cannot; the owner's admin goes back
		// to the defaults (none saved), audited once with what was saved;
		// a second reset changes nothing.
		wantCode(t, w.db.ResetWidgetSettings(ctx, w.adminB, o.kind, o.id), interact.ENOTFOUND)
		if got, _ := w.db.ContactWidget(ctx, w.a.ID, o.id); got == nil {
			t.Fatal("a refused reset deleted the settings")
		}
		noErr(t, w.db.ResetWidgetSettings(ctx, w.adminA, o.kind, o.id))
		noErr(t, w.db.ResetWidgetSettings(ctx, w.adminA, o.kind, o.id))
		if got, err := w.db.WidgetSettings(ctx, w.adminA, o.kind, o.id); err != nil || got != nil {
			t.Fatalf("settings after a reset: %+v %v, want none", got, err)
		}
		resets, _, err := w.db.AuditEntries(ctx, w.adminA, interact.AuditFilter{EntityID: o.id, Action: "interact.widget_reset"})
		noErr(t, err)
		if len(resets) != 1 || len(resets[0].Before) == 0 || string(resets[0].After) != "" {
			t.Fatalf("reset audit entries: %+v", resets)
		}
	})
}
