package sqlstore_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
)

func TestServices(t *testing.T) { eachEngine(t, testServices) }

func testServices(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()

	support := w.service(t, w.adminA, " Support ", w.ch, "", false)
	// Fields not under test (added later) are taken as created.
	want := *support
	want.TenantID, want.Name, want.OUID, want.License, want.InteractLicense = w.a.ID, "Support", w.ch, interact.LicenseAdvancedRouting, false
	want.Distribution = interact.Distribution{Type: interact.DistributeDirect, RingTimeoutSeconds: 30, RONAResetSeconds: 600,
		ACWSeconds: 20, ACWExtensionSeconds: 30, OverflowAction: interact.OverflowMessage}
	if diff := cmp.Diff(&want, support); diff != "" || support.ID == "" || support.CreatedAt.IsZero() {
		t.Errorf("created with defaults (-want +got):\n%s", diff)
	}
	read, err := w.db.Service(ctx, w.adminA, support.ID)
	noErr(t, err)
	if diff := cmp.Diff(support, read); diff != "" {
		t.Errorf("re-read (-created +read):\n%s", diff)
	}

	sales := w.service(t, w.adminA, "Sales", w.de, interact.LicenseEnterpriseRouting, false)
	bSvc := w.service(t, w.adminB, "B service", w.rootB, "", false)

	t.Run("licences by tenant admin", func(t *testing.T) {
		got, err := w.db.UpdateService(ctx, w.adminA, support.ID, interact.ServiceUpdate{
			License: ptr(interact.LicenseContactCenter), InteractLicense: ptr(true)})
		noErr(t, err)
		read, err := w.db.Service(ctx, w.adminA, support.ID)
		noErr(t, err)
		if diff := cmp.Diff(got, read); diff != "" || read.License != interact.LicenseContactCenter || !read.InteractLicense {
			t.Errorf("after licensing: %+v (-returned +read):\n%s", read, diff)
		}
	})

	t.Run("overflow to another service", func(t *testing.T) {
		d := interact.Distribution{Type: interact.DistributeBroadcast, MaxWaitSeconds: 120,
			OverflowAction: interact.OverflowTransfer, OverflowServiceID: sales.ID}
		got, err := w.db.UpdateService(ctx, w.adminA, support.ID, interact.ServiceUpdate{Distribution: &d})
		noErr(t, err)
		if got.Distribution.OverflowServiceID != sales.ID || got.Distribution.RingTimeoutSeconds != 30 {
			t.Errorf("distribution = %+v", got.Distribution)
		}
		w.refuse(t, []refusal{{"delete the overflow target", interact.ECONFLICT, func(ctx context.Context) error {
			return w.db.DeleteService(ctx, w.adminA, sales.ID)
		}}})
	})

	dist := func(mod func(*interact.Distribution)) *interact.Distribution {
		d := interact.Distribution{}
		mod(&d)
		return &d
	}
	update := func(id string, upd interact.ServiceUpdate) func(context.Context) error {
		return func(ctx context.Context) error { return errOf(w.db.UpdateService(ctx, w.adminA, id, upd)) }
	}
	create := func(s interact.Service) func(context.Context) error {
		return func(ctx context.Context) error { return errOf(w.db.CreateService(ctx, w.adminA, s)) }
	}
	w.refuse(t, []refusal{
		{"unknown licence tier", interact.EINVALID, create(interact.Service{Name: "X", OUID: w.ch, License: "gold"})},
		{"change to unknown tier", interact.EINVALID, update(sales.ID, interact.ServiceUpdate{License: ptr(interact.ServiceLicense("platinum"))})},
		{"empty name", interact.EINVALID, create(interact.Service{Name: " ", OUID: w.ch})},
		{"duplicate name", interact.ECONFLICT, create(interact.Service{Name: "Sales", OUID: w.ch})},
		{"rename to a taken name", interact.ECONFLICT, update(sales.ID, interact.ServiceUpdate{Name: ptr("Support")})},
		{"unknown OU", interact.ENOTFOUND, create(interact.Service{Name: "X", OUID: "nope"})},
		{"ring timeout 1", interact.EINVALID, update(sales.ID, interact.ServiceUpdate{Distribution: dist(func(d *interact.Distribution) { d.RingTimeoutSeconds = 1 })})},
		{"ring timeout 301", interact.EINVALID, update(sales.ID, interact.ServiceUpdate{Distribution: dist(func(d *interact.Distribution) { d.RingTimeoutSeconds = 301 })})},
		{"unknown type", interact.EINVALID, update(sales.ID, interact.ServiceUpdate{Distribution: dist(func(d *interact.Distribution) { d.Type = "roundRobin" })})},
		{"priority 11", interact.EINVALID, update(sales.ID, interact.ServiceUpdate{Distribution: dist(func(d *interact.Distribution) { d.DefaultPriority = 11 })})},
		{"RONA reset 9s", interact.EINVALID, update(sales.ID, interact.ServiceUpdate{Distribution: dist(func(d *interact.Distribution) { d.RONAResetSeconds = 9 })})},
		{"negative max wait", interact.EINVALID, update(sales.ID, interact.ServiceUpdate{Distribution: dist(func(d *interact.Distribution) { d.MaxWaitSeconds = -1 })})},
		{"transfer without target", interact.EINVALID, update(sales.ID, interact.ServiceUpdate{Distribution: dist(func(d *interact.Distribution) {
			d.OverflowAction = interact.OverflowTransfer
		})})},
		{"transfer to itself", interact.EINVALID, update(sales.ID, interact.ServiceUpdate{Distribution: dist(func(d *interact.Distribution) {
			d.OverflowAction, d.OverflowServiceID = interact.OverflowTransfer, sales.ID
		})})},
		{"transfer to an unknown service", interact.EINVALID, update(sales.ID, interact.ServiceUpdate{Distribution: dist(func(d *interact.Distribution) {
			d.OverflowAction, d.OverflowServiceID = interact.OverflowTransfer, "nope"
		})})},
		{"transfer to another tenant's service", interact.EINVALID, update(sales.ID, interact.ServiceUpdate{Distribution: dist(func(d *interact.Distribution) {
			d.OverflowAction, d.OverflowServiceID = interact.OverflowTransfer, bSvc.ID
		})})},
		{"create with transfer to another tenant", interact.EINVALID, create(interact.Service{Name: "X", OUID: w.ch,
			Distribution: interact.Distribution{OverflowAction: interact.OverflowTransfer, OverflowServiceID: bSvc.ID}})},
		{"unknown overflow action", interact.EINVALID, update(sales.ID, interact.ServiceUpdate{Distribution: dist(func(d *interact.Distribution) { d.OverflowAction = "hangup" })})},
	})

	t.Run("delete", func(t *testing.T) {
		_, err := w.db.PutMember(ctx, w.adminA, support.ID, w.agent.UserID, true)
		noErr(t, err)
		noErr(t, w.db.DeleteService(ctx, w.adminA, support.ID))
		wantCode(t, errOf(w.db.Service(ctx, w.adminA, support.ID)), interact.ENOTFOUND)
		wantCode(t, errOf(w.db.Members(ctx, w.adminA, support.ID)), interact.ENOTFOUND)
		noErr(t, w.db.DeleteService(ctx, w.adminA, sales.ID)) // no longer an overflow target
	})
}

func TestMembers(t *testing.T) { eachEngine(t, testMembers) }

func testMembers(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	support := w.service(t, w.adminA, "Support", w.ch, "", false)
	other := w.service(t, w.adminA, "Other", w.ch, "", false)
	agent := interact.Member{UserID: w.agent.UserID, Name: "agent", Email: w.agent.Email}
	lead := interact.Member{UserID: w.emeaAdmin.UserID, Name: "emea-admin", Email: w.emeaAdmin.Email}
	as := func(m interact.Member, active bool) interact.Member { m.Active = active; return m }
	members := func(t *testing.T, id string) []interact.Member {
		t.Helper()
		ms, err := w.db.Members(ctx, w.adminA, id)
		noErr(t, err)
		return ms
	}

	for _, step := range []struct {
		name   string
		userID string
		active bool
		want   []interact.Member
	}{
		{"add active", agent.UserID, true, []interact.Member{as(agent, true)}},
		{"add inactive", lead.UserID, false, []interact.Member{as(agent, true), as(lead, false)}},
		{"deactivate", agent.UserID, false, []interact.Member{as(agent, false), as(lead, false)}},
		{"reactivate", lead.UserID, true, []interact.Member{as(agent, false), as(lead, true)}},
	} {
		t.Run(step.name, func(t *testing.T) {
			m, err := w.db.PutMember(ctx, w.adminA, support.ID, step.userID, step.active)
			noErr(t, err)
			if m.UserID != step.userID || m.Active != step.active {
				t.Errorf("PutMember returned %+v", m)
			}
			if diff := cmp.Diff(step.want, members(t, support.ID)); diff != "" {
				t.Errorf("members (-want +got):\n%s", diff)
			}
		})
	}
	if got := members(t, other.ID); len(got) != 0 {
		t.Errorf("another service got members %+v", got)
	}

	w.refuse(t, []refusal{
		{"unknown user", interact.ENOTFOUND, func(ctx context.Context) error { return errOf(w.db.PutMember(ctx, w.adminA, support.ID, "nope", true)) }},
		{"unknown service", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.PutMember(ctx, w.adminA, "nope", w.agent.UserID, true))
		}},
		{"remove a non-member", interact.ENOTFOUND, func(ctx context.Context) error { return w.db.DeleteMember(ctx, w.adminA, other.ID, w.agent.UserID) }},
		{"plain agent", interact.ENOTFOUND, func(ctx context.Context) error { return w.db.DeleteMember(ctx, w.agent, support.ID, w.agent.UserID) }},
	})

	noErr(t, w.db.DeleteMember(ctx, w.adminA, support.ID, w.agent.UserID))
	if diff := cmp.Diff([]interact.Member{as(lead, true)}, members(t, support.ID)); diff != "" {
		t.Errorf("after removing the agent (-want +got):\n%s", diff)
	}
	// Deleting a user ends its memberships.
	noErr(t, w.db.DeleteUser(ctx, w.adminA, w.emeaAdmin.UserID))
	if got := members(t, support.ID); len(got) != 0 {
		t.Errorf("members after deleting the last member's user: %+v", got)
	}
}
