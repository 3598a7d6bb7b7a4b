package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
)

// owner is a service or a user in CH whose Interact tab a test exercises,
// with switches for its two licences: Contact Center (service tier or user
// licence) and the add-on (service add-on or user Interact licence).
type owner struct {
	kind, id string
	setBase  func(t *testing.T, on bool)
	setAddon func(t *testing.T, on bool)
}

// forEachOwner runs f once for a service and once for a user, each in a
// fresh world, both unlicensed in OU CH.
func forEachOwner(t *testing.T, f func(t *testing.T, w *world, o owner)) {
	for _, kind := range []string{interact.OwnerService, interact.OwnerUser} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			f(t, w, w.owner(t, kind))
		})
	}
}

func (w *world) owner(t *testing.T, kind string) owner {
	t.Helper()
	if kind == interact.OwnerService {
		s := w.service(t, w.adminA, "Desk", w.ch, "", false)
		upd := func(t *testing.T, u interact.ServiceUpdate) {
			t.Helper()
			_, err := w.db.UpdateService(t.Context(), w.adminA, s.ID, u)
			noErr(t, err)
		}
		return owner{kind: kind, id: s.ID,
			setBase: func(t *testing.T, on bool) {
				lic := interact.LicenseAdvancedRouting
				if on {
					lic = interact.LicenseContactCenter
				}
				upd(t, interact.ServiceUpdate{License: &lic})
			},
			setAddon: func(t *testing.T, on bool) { upd(t, interact.ServiceUpdate{InteractLicense: &on}) },
		}
	}
	u := w.user(t, w.adminA, "direct", w.ch, interact.Licenses{})
	lic := func(t *testing.T, set func(*interact.Licenses)) {
		t.Helper()
		cur, err := w.db.User(t.Context(), w.adminA, u.ID)
		noErr(t, err)
		set(&cur.Licenses)
		_, err = w.db.UpdateUser(t.Context(), w.adminA, u.ID, interact.UserUpdate{Licenses: &cur.Licenses})
		noErr(t, err)
	}
	return owner{kind: kind, id: u.ID,
		setBase:  func(t *testing.T, on bool) { lic(t, func(l *interact.Licenses) { l.ContactCenter = on }) },
		setAddon: func(t *testing.T, on bool) { lic(t, func(l *interact.Licenses) { l.Interact = on }) },
	}
}

// enable licenses o fully and switches its tenant's Interact on.
func (w *world) enable(t *testing.T, o owner) {
	t.Helper()
	o.setBase(t, true)
	o.setAddon(t, true)
	w.setInteract(t, w.adminA, true)
}

func (w *world) settings(t *testing.T, o owner) *interact.InteractSettings {
	t.Helper()
	s, err := w.db.Interact(t.Context(), w.adminA, o.kind, o.id)
	noErr(t, err)
	return s
}

func (w *world) updateInteract(o owner, upd interact.InteractUpdate) func(context.Context) error {
	return func(ctx context.Context) error { return errOf(w.db.UpdateInteract(ctx, w.adminA, o.kind, o.id, upd)) }
}

func TestInteractGate(t *testing.T) { eachEngine(t, testInteractGate) }

func testInteractGate(t *testing.T) {
	t.Parallel()
	forEachOwner(t, func(t *testing.T, w *world, o owner) {
		for _, step := range []struct {
			name                  string
			base, addon, switched bool
			code                  string
		}{
			{"nothing", false, false, false, interact.ENOTLICENSED},
			{"add-on and switch without licence", false, true, true, interact.ENOTLICENSED},
			{"licence only", true, false, false, interact.EADDONMISSING},
			{"licence and switch", true, false, true, interact.EADDONMISSING},
			{"licence and add-on", true, true, false, interact.EINTERACTOFF},
			{"everything", true, true, true, ""},
		} {
			t.Run(step.name, func(t *testing.T) {
				o.setBase(t, step.base)
				o.setAddon(t, step.addon)
				w.setInteract(t, w.adminA, step.switched)
				_, err := w.db.Interact(t.Context(), w.adminA, o.kind, o.id)
				wantCode(t, err, step.code)
				if step.code == "" {
					return
				}
				w.refuse(t, []refusal{
					{"update", step.code, w.updateInteract(o, interact.InteractUpdate{AudioVideo: ptr(true)})},
					{"rotate key", step.code, func(ctx context.Context) error {
						return errOf(w.db.RotateWidgetKey(ctx, w.adminA, o.kind, o.id, 0))
					}},
				})
			})
		}
	})
}

func TestInteractTemplateSelection(t *testing.T) { eachEngine(t, testInteractTemplateSelection) }

func testInteractTemplateSelection(t *testing.T) {
	t.Parallel()
	forEachOwner(t, func(t *testing.T, w *world, o owner) {
		ctx := t.Context()
		w.enable(t, o)
		tRoot := w.template(t, w.adminA, "Root", w.root, "https://www.example.test")
		tEMEA := w.template(t, w.adminA, "EMEA", w.emea, "https://emea.example.test")
		tCH := w.template(t, w.adminA, "CH", w.ch, "https://ch.example.test")
		tDE := w.template(t, w.adminA, "DE", w.de, "https://de.example.test")
		tAPAC := w.template(t, w.adminA, "APAC", w.apac, "https://apac.example.test")
		tB := w.template(t, w.adminB, "B", w.rootB, "https://b.example.test")

		s := w.settings(t, o)
		wantSet(t, "selectable templates", templateIDs(s.SelectableDomainTemplates), []string{tRoot.ID, tEMEA.ID, tCH.ID})
		if s.AudioVideo || s.InstantMessage || s.RestrictAccess || len(s.DomainTemplateIDs) != 0 || s.ContactID == "" ||
			!strings.HasPrefix(s.WidgetKey, "wk_") || !s.Active {
			t.Errorf("new settings are not all off with fresh identifiers: %+v", s)
		}

		many := []string{}
		for range interact.MaxSelectedTemplates + 1 {
			many = append(many, interact.NewID())
		}
		sel := func(ids ...string) *[]string { return &ids }
		w.refuse(t, []refusal{
			{"restrict without template", interact.ETEMPLATEREQ, w.updateInteract(o, interact.InteractUpdate{RestrictAccess: ptr(true)})},
			{"sibling OU's template", interact.ENOTSELECTABLE, w.updateInteract(o, interact.InteractUpdate{DomainTemplateIDs: sel(tDE.ID)})},
			{"other branch's template", interact.ENOTSELECTABLE, w.updateInteract(o, interact.InteractUpdate{DomainTemplateIDs: sel(tCH.ID, tAPAC.ID)})},
			{"other tenant's template", interact.ENOTSELECTABLE, w.updateInteract(o, interact.InteractUpdate{DomainTemplateIDs: sel(tB.ID)})},
			{"unknown template", interact.ENOTSELECTABLE, w.updateInteract(o, interact.InteractUpdate{DomainTemplateIDs: sel("nope")})},
			{"selected twice", interact.EINVALID, w.updateInteract(o, interact.InteractUpdate{DomainTemplateIDs: sel(tCH.ID, tCH.ID)})},
			{"too many", interact.EINVALID, w.updateInteract(o, interact.InteractUpdate{DomainTemplateIDs: &many})},
		})

		got, err := w.db.UpdateInteract(ctx, w.adminA, o.kind, o.id, interact.InteractUpdate{
			AudioVideo: ptr(true), InstantMessage: ptr(true), RestrictAccess: ptr(true), DomainTemplateIDs: sel(tEMEA.ID, tRoot.ID)})
		noErr(t, err)
		want := *s
		want.AudioVideo, want.InstantMessage, want.RestrictAccess, want.DomainTemplateIDs = true, true, true, []string{tEMEA.ID, tRoot.ID}
		if diff := cmp.Diff(&want, w.settings(t, o)); diff != "" {
			t.Errorf("re-read after selecting the parent's and the root's templates (-want +got):\n%s", diff)
		}
		if got.ContactID != s.ContactID || got.WidgetKey != s.WidgetKey {
			t.Errorf("an update changed the identifiers: %+v", got)
		}
		w.refuse(t, []refusal{{"deselect all while restricted", interact.ETEMPLATEREQ,
			w.updateInteract(o, interact.InteractUpdate{DomainTemplateIDs: sel()})}})

		// A selected template that moves out of reach keeps working where it
		// is selected, but cannot be selected again once removed.
		_, err = w.db.UpdateDomainTemplate(ctx, w.adminA, tEMEA.ID, interact.DomainTemplateUpdate{OUID: &w.de})
		noErr(t, err)
		s = w.settings(t, o)
		wantSet(t, "selectable after the move", templateIDs(s.SelectableDomainTemplates), []string{tRoot.ID, tCH.ID})
		if diff := cmp.Diff([]string{tEMEA.ID, tRoot.ID}, s.DomainTemplateIDs); diff != "" {
			t.Errorf("selection after the move (-want +got):\n%s", diff)
		}
		c, err := w.db.ContactByID(ctx, "", s.ContactID)
		noErr(t, err)
		wantSet(t, "contact's templates", templateIDs(c.Templates), []string{tEMEA.ID, tRoot.ID})

		noErr(t, w.updateInteract(o, interact.InteractUpdate{AudioVideo: ptr(false)})(ctx))
		noErr(t, w.updateInteract(o, interact.InteractUpdate{DomainTemplateIDs: sel(tEMEA.ID)})(ctx))
		if got := w.settings(t, o).DomainTemplateIDs; !cmp.Equal(got, []string{tEMEA.ID}) {
			t.Errorf("moved template no longer kept: selection %v", got)
		}
		noErr(t, w.updateInteract(o, interact.InteractUpdate{DomainTemplateIDs: sel(tRoot.ID)})(ctx))
		w.refuse(t, []refusal{{"re-select the moved template", interact.ENOTSELECTABLE,
			w.updateInteract(o, interact.InteractUpdate{DomainTemplateIDs: sel(tRoot.ID, tEMEA.ID)})}})
	})
}

func TestInteractSettingsSurviveGate(t *testing.T) { eachEngine(t, testInteractSettingsSurviveGate) }

func testInteractSettingsSurviveGate(t *testing.T) {
	t.Parallel()
	forEachOwner(t, func(t *testing.T, w *world, o owner) {
		ctx := t.Context()
		w.enable(t, o)
		tpl := w.template(t, w.adminA, "Shop", w.ch, "https://shop.example.test")
		_, err := w.db.UpdateInteract(ctx, w.adminA, o.kind, o.id, interact.InteractUpdate{
			AudioVideo: ptr(true), InstantMessage: ptr(true), RestrictAccess: ptr(true), DomainTemplateIDs: &[]string{tpl.ID}})
		noErr(t, err)
		_, err = w.db.RotateWidgetKey(ctx, w.adminA, o.kind, o.id, time.Hour)
		noErr(t, err)
		want := w.settings(t, o)

		for _, tc := range []struct {
			name   string
			code   string
			toggle func(t *testing.T, on bool)
		}{
			{"tenant switch", interact.EINTERACTOFF, func(t *testing.T, on bool) { w.setInteract(t, w.adminA, on) }},
			{"add-on", interact.EADDONMISSING, o.setAddon},
			{"licence", interact.ENOTLICENSED, o.setBase},
		} {
			t.Run(tc.name, func(t *testing.T) {
				tc.toggle(t, false)
				_, err := w.db.Interact(ctx, w.adminA, o.kind, o.id)
				wantCode(t, err, tc.code)
				c, err := w.db.ContactByID(ctx, "", want.ContactID)
				noErr(t, err)
				wantCode(t, c.Gate(), tc.code)
				if c.Settings.WidgetKey != want.WidgetKey || !c.Settings.RestrictAccess || !c.Settings.AudioVideo {
					t.Errorf("settings while unavailable: %+v", c.Settings)
				}
				tc.toggle(t, true)
				if diff := cmp.Diff(want, w.settings(t, o)); diff != "" {
					t.Errorf("settings after switching back on (-before +after):\n%s", diff)
				}
			})
		}
	})
}

func TestRotateWidgetKey(t *testing.T) { eachEngine(t, testRotateWidgetKey) }

func testRotateWidgetKey(t *testing.T) {
	t.Parallel()
	forEachOwner(t, func(t *testing.T, w *world, o owner) {
		ctx := t.Context()
		w.enable(t, o)
		s0 := w.settings(t, o)
		rotate := func(grace time.Duration) func(context.Context) error {
			return func(ctx context.Context) error {
				return errOf(w.db.RotateWidgetKey(ctx, w.adminA, o.kind, o.id, grace))
			}
		}
		w.refuse(t, []refusal{
			{"grace over 30 days", interact.EINVALID, rotate(interact.MaxKeyGrace + time.Second)},
			{"negative grace", interact.EINVALID, rotate(-time.Second)},
		})
		// stored re-reads the settings as the widget endpoints see them.
		stored := func(t *testing.T) *interact.InteractSettings {
			t.Helper()
			c, err := w.db.ContactByID(ctx, "", s0.ContactID)
			noErr(t, err)
			return c.Settings
		}

		start := time.Now()
		s1, err := w.db.RotateWidgetKey(ctx, w.adminA, o.kind, o.id, time.Hour)
		noErr(t, err)
		end := time.Now()
		if s1.ContactID != s0.ContactID || s1.WidgetKey == s0.WidgetKey || !strings.HasPrefix(s1.WidgetKey, "wk_") {
			t.Fatalf("rotation: contact %q → %q, key %q → %q", s0.ContactID, s1.ContactID, s0.WidgetKey, s1.WidgetKey)
		}
		st := stored(t)
		until := st.PreviousKeyValidUntil
		if until == nil || until.Before(start.Add(time.Hour-time.Millisecond)) || until.After(end.Add(time.Hour)) {
			t.Fatalf("previous key valid until %v, want an hour after the rotation (%v)", until, start)
		}
		for _, c := range []struct {
			name string
			key  string
			at   time.Time
			want bool
		}{
			{"new key", s1.WidgetKey, time.Now(), true},
			{"old key within grace", s0.WidgetKey, time.Now(), true},
			{"old key just before the end", s0.WidgetKey, until.Add(-time.Millisecond), true},
			{"old key at the end", s0.WidgetKey, *until, false},
			{"unknown key", "wk_" + strings.Repeat("0", 32), time.Now(), false},
			{"empty key", "", time.Now(), false},
		} {
			if got := st.KeyValid(c.key, c.at); got != c.want {
				t.Errorf("after rotating with grace: %s: KeyValid = %v, want %v", c.name, got, c.want)
			}
		}
		if st.WidgetKey != s1.WidgetKey || st.ContactID != s0.ContactID {
			t.Errorf("stored %+v, want key %q", st, s1.WidgetKey)
		}

		s2, err := w.db.RotateWidgetKey(ctx, w.adminA, o.kind, o.id, 0)
		noErr(t, err)
		st = stored(t)
		if st.KeyValid(s1.WidgetKey, time.Now()) || st.KeyValid(s0.WidgetKey, time.Now()) || !st.KeyValid(s2.WidgetKey, time.Now()) {
			t.Errorf("after rotating without grace only the newest key may be valid: %+v", st)
		}
		if st.PreviousKeyValidUntil != nil || s2.ContactID != s0.ContactID {
			t.Errorf("after rotating without grace: %+v", st)
		}
		if got := w.settings(t, o).WidgetKey; got != s2.WidgetKey {
			t.Errorf("Interact shows key %q, want %q", got, s2.WidgetKey)
		}
		noErr(t, rotate(interact.MaxKeyGrace)(ctx))
	})
}

func TestContactByID(t *testing.T) { eachEngine(t, testContactByID) }

func testContactByID(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	svc, usr := w.owner(t, interact.OwnerService), w.owner(t, interact.OwnerUser)
	w.enable(t, svc)
	w.enable(t, usr)
	tpl := w.template(t, w.adminA, "Shop", w.emea, "https://shop.example.test")
	_, err := w.db.UpdateInteract(ctx, w.adminA, svc.kind, svc.id, interact.InteractUpdate{DomainTemplateIDs: &[]string{tpl.ID}})
	noErr(t, err)
	svcContact, usrContact := w.settings(t, svc).ContactID, w.settings(t, usr).ContactID
	if svcContact == usrContact {
		t.Fatalf("service and user share Contact ID %q", svcContact)
	}

	c, err := w.db.ContactByID(ctx, "", svcContact)
	noErr(t, err)
	if c.Service == nil || c.Service.ID != svc.id || c.User != nil || c.Tenant.ID != w.a.ID ||
		c.Settings.OwnerKind != interact.OwnerService || c.Settings.OwnerID != svc.id || !c.Settings.Active {
		t.Errorf("service contact = %+v", c)
	}
	wantSet(t, "service contact's templates", templateIDs(c.Templates), []string{tpl.ID})
	c, err = w.db.ContactByID(ctx, w.a.ID, usrContact)
	noErr(t, err)
	if c.User == nil || c.User.ID != usr.id || c.Service != nil || c.Settings.OwnerKind != interact.OwnerUser {
		t.Errorf("user contact = %+v", c)
	}
	for _, tc := range []struct{ name, tenant, contact string }{
		{"other tenant's filter", w.b.ID, svcContact},
		{"other tenant's filter, user", w.b.ID, usrContact},
		{"unknown id", "", "nope"},
		{"widget key as id", "", w.settings(t, svc).WidgetKey},
	} {
		_, err := w.db.ContactByID(ctx, tc.tenant, tc.contact)
		if got := interact.ErrorCode(err); got != interact.EUNKNOWNCONTACT {
			t.Errorf("%s: code %q, want unknown_contact", tc.name, got)
		}
	}

	gates := func(t *testing.T, want string) {
		t.Helper()
		for _, id := range []string{svcContact, usrContact} {
			c, err := w.db.ContactByID(ctx, "", id)
			noErr(t, err)
			if got := interact.ErrorCode(c.Gate()); got != want {
				t.Errorf("%s contact: Gate() = %q, want %q", c.Settings.OwnerKind, got, want)
			}
		}
	}
	for _, tc := range []struct {
		state interact.TenantState
		want  string
	}{
		{interact.TenantSuspended, interact.ETENANTINACTIVE},
		{interact.TenantExpired, interact.ETENANTINACTIVE},
		{interact.TenantTrial, ""},
		{interact.TenantActive, ""},
	} {
		t.Run(string(tc.state), func(t *testing.T) {
			_, err := w.db.UpdateTenant(ctx, w.op, w.a.ID, interact.TenantUpdate{State: &tc.state})
			noErr(t, err)
			gates(t, tc.want)
		})
	}
	t.Run("tenant switch off", func(t *testing.T) {
		w.setInteract(t, w.adminA, false)
		gates(t, interact.EINTERACTOFF)
		w.setInteract(t, w.adminA, true)
		gates(t, "")
	})
	t.Run("user tab switched off", func(t *testing.T) {
		noErr(t, w.updateInteract(usr, interact.InteractUpdate{Active: ptr(false)})(ctx))
		c, err := w.db.ContactByID(ctx, "", usrContact)
		noErr(t, err)
		wantCode(t, c.Gate(), interact.EINTERACTOFF)
		// A service's tab has no switch of its own.
		noErr(t, w.updateInteract(svc, interact.InteractUpdate{Active: ptr(false)})(ctx))
		c, err = w.db.ContactByID(ctx, "", svcContact)
		noErr(t, err)
		if err := c.Gate(); err != nil || !c.Settings.Active {
			t.Errorf("service contact after Active=false: gate %v, settings %+v", err, c.Settings)
		}
	})
}
