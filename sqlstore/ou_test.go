package sqlstore_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
)

// shape returns the tenant's tree as OU name → parent name ("" for the root).
func (w *world) shape(t *testing.T, a interact.Actor) map[string]string {
	t.Helper()
	ous, err := w.db.OUs(t.Context(), a)
	noErr(t, err)
	names := map[string]string{}
	for _, o := range ous {
		names[o.ID] = o.Name
	}
	out := map[string]string{}
	for _, o := range ous {
		out[o.Name] = ""
		if o.ParentID != nil {
			out[o.Name] = names[*o.ParentID]
		}
	}
	return out
}

func TestOUTree(t *testing.T) { eachEngine(t, testOUTree) }

func testOUTree(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	rootName := w.a.Name

	if diff := cmp.Diff(map[string]string{rootName: "", "EMEA": rootName, "CH": "EMEA", "DE": "EMEA", "APAC": rootName}, w.shape(t, w.adminA)); diff != "" {
		t.Fatalf("tree after creating EMEA → {CH, DE} and APAC (-want +got):\n%s", diff)
	}

	t.Run("rename", func(t *testing.T) {
		got, err := w.db.UpdateOU(ctx, w.adminA, w.ch, interact.OUUpdate{Name: ptr(" Switzerland ")})
		noErr(t, err)
		read, err := w.db.OU(ctx, w.adminA, w.ch)
		noErr(t, err)
		want := &interact.OU{ID: w.ch, TenantID: w.a.ID, Name: "Switzerland", ParentID: &w.emea}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("returned (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(want, read); diff != "" {
			t.Errorf("re-read (-want +got):\n%s", diff)
		}
	})

	t.Run("move", func(t *testing.T) {
		_, err := w.db.UpdateOU(ctx, w.adminA, w.de, interact.OUUpdate{ParentID: &w.apac})
		noErr(t, err)
		if got := w.shape(t, w.adminA)["DE"]; got != "APAC" {
			t.Errorf("DE's parent = %q, want APAC", got)
		}
		// Moving back and renaming at once.
		_, err = w.db.UpdateOU(ctx, w.adminA, w.de, interact.OUUpdate{ParentID: &w.emea, Name: ptr("Germany")})
		noErr(t, err)
		if got := w.shape(t, w.adminA)["Germany"]; got != "EMEA" {
			t.Errorf("Germany's parent = %q, want EMEA", got)
		}
	})

	t.Run("same name under another parent", func(t *testing.T) {
		id := w.ou(t, w.adminA, "EMEA", w.apac)
		noErr(t, w.db.DeleteOU(ctx, w.adminA, id))
	})

	update := func(id string, upd interact.OUUpdate) func(context.Context) error {
		return func(ctx context.Context) error { return errOf(w.db.UpdateOU(ctx, w.adminA, id, upd)) }
	}
	twin := w.ou(t, w.adminA, "Switzerland", w.apac)
	w.refuse(t, []refusal{
		{"move below a child", interact.EOUCYCLE, update(w.emea, interact.OUUpdate{ParentID: &w.ch})},
		{"move below itself", interact.EOUCYCLE, update(w.emea, interact.OUUpdate{ParentID: &w.emea})},
		{"move root", interact.EINVALID, update(w.root, interact.OUUpdate{ParentID: &w.emea})},
		{"delete root", interact.EINVALID, func(ctx context.Context) error { return w.db.DeleteOU(ctx, w.adminA, w.root) }},
		{"move to an unknown parent", interact.ENOTFOUND, update(w.ch, interact.OUUpdate{ParentID: ptr("nope")})},
		{"duplicate sibling name", interact.ECONFLICT, func(ctx context.Context) error {
			return errOf(w.db.CreateOU(ctx, w.adminA, interact.OU{Name: "APAC", ParentID: &w.root}))
		}},
		{"rename to a sibling's name", interact.ECONFLICT, update(w.de, interact.OUUpdate{Name: ptr("Switzerland")})},
		{"move next to a namesake", interact.ECONFLICT, update(twin, interact.OUUpdate{ParentID: &w.emea})},
		{"no parent", interact.EINVALID, func(ctx context.Context) error {
			return errOf(w.db.CreateOU(ctx, w.adminA, interact.OU{Name: "Second root"}))
		}},
		{"empty name", interact.EINVALID, update(w.de, interact.OUUpdate{Name: ptr(" ")})},
	})
}

func TestDeleteOU(t *testing.T) { eachEngine(t, testDeleteOU) }

func testDeleteOU(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()

	// Each case fills an empty OU with one thing and returns how to remove it.
	for _, tc := range []struct {
		name string
		fill func(t *testing.T, ou string) (remove func() error)
	}{
		{"child OU", func(t *testing.T, ou string) func() error {
			id := w.ou(t, w.adminA, "Child", ou)
			return func() error { return w.db.DeleteOU(ctx, w.adminA, id) }
		}},
		{"user", func(t *testing.T, ou string) func() error {
			u := w.user(t, w.adminA, "resident", ou, interact.Licenses{})
			return func() error { return w.db.DeleteUser(ctx, w.adminA, u.ID) }
		}},
		{"service", func(t *testing.T, ou string) func() error {
			s := w.service(t, w.adminA, "Resident service", ou, "", false)
			return func() error { return w.db.DeleteService(ctx, w.adminA, s.ID) }
		}},
		{"template", func(t *testing.T, ou string) func() error {
			d := w.template(t, w.adminA, "Resident template", ou, "https://shop.example.test")
			return func() error { return w.db.DeleteDomainTemplate(ctx, w.adminA, d.ID) }
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ou := w.ou(t, w.adminA, "Holder of a "+tc.name, w.apac)
			remove := tc.fill(t, ou)
			w.refuse(t, []refusal{{"while it holds a " + tc.name, interact.EOUNOTEMPTY,
				func(ctx context.Context) error { return w.db.DeleteOU(ctx, w.adminA, ou) }}})
			noErr(t, remove())
			noErr(t, w.db.DeleteOU(ctx, w.adminA, ou))
			wantCode(t, errOf(w.db.OU(ctx, w.adminA, ou)), interact.ENOTFOUND)
			wantCode(t, w.db.DeleteOU(ctx, w.adminA, ou), interact.ENOTFOUND)
		})
	}
}
