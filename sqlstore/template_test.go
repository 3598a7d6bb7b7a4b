package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
)

func TestDomainTemplates(t *testing.T) { eachEngine(t, testDomainTemplates) }

func testDomainTemplates(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()

	d, err := w.db.CreateDomainTemplate(ctx, w.adminA, interact.DomainTemplate{
		Name: " Shops ", Description: "Our shops", OUID: w.emea,
		Origins: []string{"HTTPS://Shop.Example.test/", "*.example.test", "http://localhost:*"},
	})
	noErr(t, err)
	want := &interact.DomainTemplate{ID: d.ID, TenantID: w.a.ID, Name: "Shops", Description: "Our shops", OUID: w.emea,
		Origins: []string{"https://shop.example.test", "*.example.test", "http://localhost:*"}, CreatedAt: d.CreatedAt}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("created, canonical origins (-want +got):\n%s", diff)
	}
	read, err := w.db.DomainTemplate(ctx, w.adminA, d.ID)
	noErr(t, err)
	if diff := cmp.Diff(want, read); diff != "" {
		t.Errorf("re-read (-want +got):\n%s", diff)
	}

	t.Run("update", func(t *testing.T) {
		got, err := w.db.UpdateDomainTemplate(ctx, w.adminA, d.ID, interact.DomainTemplateUpdate{
			Description: ptr("Shops and blog"), Origins: &[]string{"https://shop.example.test", "https://Blog.Example.test:8443"}})
		noErr(t, err)
		read, err := w.db.DomainTemplate(ctx, w.adminA, d.ID)
		noErr(t, err)
		if diff := cmp.Diff(got, read); diff != "" {
			t.Errorf("returned vs re-read (-returned +read):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"https://shop.example.test", "https://blog.example.test:8443"}, read.Origins); diff != "" {
			t.Errorf("origins (-want +got):\n%s", diff)
		}
	})

	// Invalid entries are refused with invalid_origin and a message naming the entry.
	for _, tc := range []struct {
		name    string
		origins []string
		naming  string
	}{
		{"public suffix wildcard", []string{"https://ok.example.test", "*.com"}, `entry 2: "*.com"`},
		{"path", []string{"https://a.example.test/path"}, `entry 1: "https://a.example.test/path"`},
		{"bare wildcard", []string{"*"}, "entry 1"},
		{"empty entry", []string{"https://ok.example.test", ""}, "entry 2"},
		{"duplicate", []string{"https://ok.example.test", "HTTPS://OK.example.test"}, "entry 2"},
		{"no entries", []string{}, "at least one origin"},
	} {
		check := func(err error) error {
			if err != nil && !strings.Contains(interact.ErrorMessage(err), tc.naming) {
				t.Errorf("%s: message %q does not name %q", tc.name, interact.ErrorMessage(err), tc.naming)
			}
			return err
		}
		w.refuse(t, []refusal{
			{"create with " + tc.name, interact.EINVALIDORIGIN, func(ctx context.Context) error {
				return check(errOf(w.db.CreateDomainTemplate(ctx, w.adminA, interact.DomainTemplate{Name: "Bad", OUID: w.emea, Origins: tc.origins})))
			}},
			{"update with " + tc.name, interact.EINVALIDORIGIN, func(ctx context.Context) error {
				return check(errOf(w.db.UpdateDomainTemplate(ctx, w.adminA, d.ID, interact.DomainTemplateUpdate{Origins: &tc.origins})))
			}},
		})
	}

	other := w.template(t, w.adminA, "Other", w.apac, "https://other.example.test")
	w.refuse(t, []refusal{
		{"duplicate name", interact.ECONFLICT, func(ctx context.Context) error {
			return errOf(w.db.CreateDomainTemplate(ctx, w.adminA, interact.DomainTemplate{Name: "Shops", OUID: w.apac, Origins: []string{"a.example.test"}}))
		}},
		{"rename to a taken name", interact.ECONFLICT, func(ctx context.Context) error {
			return errOf(w.db.UpdateDomainTemplate(ctx, w.adminA, other.ID, interact.DomainTemplateUpdate{Name: ptr("Shops")}))
		}},
		{"empty name", interact.EINVALID, func(ctx context.Context) error {
			return errOf(w.db.UpdateDomainTemplate(ctx, w.adminA, other.ID, interact.DomainTemplateUpdate{Name: ptr("")}))
		}},
		{"move to an unknown OU", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.UpdateDomainTemplate(ctx, w.adminA, other.ID, interact.DomainTemplateUpdate{OUID: ptr("nope")}))
		}},
	})

	t.Run("delete only when not selected", func(t *testing.T) {
		w.setInteract(t, w.adminA, true)
		svc := w.service(t, w.adminA, "Support", w.ch, interact.LicenseContactCenter, true)
		_, err := w.db.UpdateInteract(ctx, w.adminA, interact.OwnerService, svc.ID, interact.InteractUpdate{DomainTemplateIDs: &[]string{d.ID}})
		noErr(t, err)
		w.refuse(t, []refusal{{"while selected", interact.ECONFLICT, func(ctx context.Context) error {
			return w.db.DeleteDomainTemplate(ctx, w.adminA, d.ID)
		}}})
		_, err = w.db.UpdateInteract(ctx, w.adminA, interact.OwnerService, svc.ID, interact.InteractUpdate{DomainTemplateIDs: &[]string{}})
		noErr(t, err)
		noErr(t, w.db.DeleteDomainTemplate(ctx, w.adminA, d.ID))
		wantCode(t, errOf(w.db.DomainTemplate(ctx, w.adminA, d.ID)), interact.ENOTFOUND)
	})
}
