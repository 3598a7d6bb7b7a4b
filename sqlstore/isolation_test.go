package sqlstore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/interact-oss/interact"
)

// TestTenantIsolation proves that tenant A's admin can neither read nor
// change anything of tenant B: every id of B is simply not found, and B's
// data is unchanged afterwards.
func TestTenantIsolation(t *testing.T) { eachEngine(t, testTenantIsolation) }

func testTenantIsolation(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()

	// Tenant B: an OU with a licensed user, a service with that member, a
	// template selected with Restrict Access, and an API token.
	w.setInteract(t, w.adminB, true)
	bOU := w.ou(t, w.adminB, "Sales", w.rootB)
	bob := w.user(t, w.adminB, "bob", bOU, interact.Licenses{ContactCenter: true, Interact: true})
	bSvc := w.service(t, w.adminB, "B support", bOU, interact.LicenseContactCenter, true)
	_, err := w.db.PutMember(ctx, w.adminB, bSvc.ID, bob.ID, true)
	noErr(t, err)
	bTpl := w.template(t, w.adminB, "B sites", bOU, "https://b.example.test")
	_, err = w.db.UpdateInteract(ctx, w.adminB, interact.OwnerService, bSvc.ID, interact.InteractUpdate{
		RestrictAccess: ptr(true), DomainTemplateIDs: &[]string{bTpl.ID}})
	noErr(t, err)
	bTok, bSecret, err := w.db.CreateAPIToken(ctx, w.adminB, bob.ID, "ci")
	noErr(t, err)

	// Tenant A's own, for requests that mix A's and B's ids.
	w.setInteract(t, w.adminA, true)
	aSvc := w.service(t, w.adminA, "A support", w.ch, interact.LicenseContactCenter, true)
	aTpl := w.template(t, w.adminA, "A sites", w.ch, "https://a.example.test")

	t.Run("lists", func(t *testing.T) {
		ous, err := w.db.OUs(ctx, w.adminA)
		noErr(t, err)
		users, err := w.db.Users(ctx, w.adminA)
		noErr(t, err)
		svcs, err := w.db.Services(ctx, w.adminA)
		noErr(t, err)
		tpls, err := w.db.DomainTemplates(ctx, w.adminA)
		noErr(t, err)
		seen := slices.Concat(ouIDs(ous), userIDs(users), serviceIDs(svcs), templateIDs(tpls))
		for _, id := range []string{w.rootB, bOU, w.adminB.UserID, bob.ID, bSvc.ID, bTpl.ID} {
			if slices.Contains(seen, id) {
				t.Errorf("tenant A's admin lists B's %s", id)
			}
		}
	})

	a := w.adminA
	sel := &[]string{bTpl.ID}
	nf := interact.ENOTFOUND
	w.refuse(t, []refusal{
		{"read tenant", nf, func(ctx context.Context) error { return errOf(w.db.Tenant(ctx, a, w.b.ID)) }},
		{"update tenant", nf, func(ctx context.Context) error {
			return errOf(w.db.UpdateTenant(ctx, a, w.b.ID, interact.TenantUpdate{InteractEnabled: ptr(false)}))
		}},

		{"read OU", nf, func(ctx context.Context) error { return errOf(w.db.OU(ctx, a, bOU)) }},
		{"rename OU", nf, func(ctx context.Context) error {
			return errOf(w.db.UpdateOU(ctx, a, bOU, interact.OUUpdate{Name: ptr("Mine")}))
		}},
		{"rename B's root", nf, func(ctx context.Context) error {
			return errOf(w.db.UpdateOU(ctx, a, w.rootB, interact.OUUpdate{Name: ptr("Mine")}))
		}},
		{"delete OU", nf, func(ctx context.Context) error { return w.db.DeleteOU(ctx, a, bOU) }},
		{"create OU below B's", nf, func(ctx context.Context) error {
			return errOf(w.db.CreateOU(ctx, a, interact.OU{Name: "Mine", ParentID: &bOU}))
		}},
		{"move own OU below B's", nf, func(ctx context.Context) error {
			return errOf(w.db.UpdateOU(ctx, a, w.apac, interact.OUUpdate{ParentID: &bOU}))
		}},

		{"read user", nf, func(ctx context.Context) error { return errOf(w.db.User(ctx, a, bob.ID)) }},
		{"update user", nf, func(ctx context.Context) error {
			return errOf(w.db.UpdateUser(ctx, a, bob.ID, interact.UserUpdate{Name: ptr("Mine")}))
		}},
		{"reset password", nf, func(ctx context.Context) error {
			return errOf(w.db.UpdateUser(ctx, a, bob.ID, interact.UserUpdate{Password: ptr("now this is mine")}))
		}},
		{"delete user", nf, func(ctx context.Context) error { return w.db.DeleteUser(ctx, a, bob.ID) }},
		{"delete B's admin", nf, func(ctx context.Context) error { return w.db.DeleteUser(ctx, a, w.adminB.UserID) }},
		{"create user in B's OU", nf, func(ctx context.Context) error {
			return errOf(w.db.CreateUser(ctx, a, interact.User{Email: w.email("mole"), Name: "Mole", OUID: bOU}, pw))
		}},
		{"move own user to B's OU", nf, func(ctx context.Context) error {
			return errOf(w.db.UpdateUser(ctx, a, w.agent.UserID, interact.UserUpdate{OUID: &bOU}))
		}},
		{"grant ouAdmin of B's OU", interact.EINVALID, func(ctx context.Context) error {
			return errOf(w.db.UpdateUser(ctx, a, w.agent.UserID, interact.UserUpdate{Roles: &[]interact.Role{ouAdmin(bOU)}}))
		}},
		{"grant serviceOwner of B's service", interact.EINVALID, func(ctx context.Context) error {
			return errOf(w.db.UpdateUser(ctx, a, w.agent.UserID, interact.UserUpdate{Roles: &[]interact.Role{serviceOwner(bSvc.ID)}}))
		}},

		{"read service", nf, func(ctx context.Context) error { return errOf(w.db.Service(ctx, a, bSvc.ID)) }},
		{"update service", nf, func(ctx context.Context) error {
			return errOf(w.db.UpdateService(ctx, a, bSvc.ID, interact.ServiceUpdate{Name: ptr("Mine")}))
		}},
		{"update service licences", nf, func(ctx context.Context) error {
			return errOf(w.db.UpdateService(ctx, a, bSvc.ID, interact.ServiceUpdate{InteractLicense: ptr(false)}))
		}},
		{"delete service", nf, func(ctx context.Context) error { return w.db.DeleteService(ctx, a, bSvc.ID) }},
		{"create service in B's OU", nf, func(ctx context.Context) error {
			return errOf(w.db.CreateService(ctx, a, interact.Service{Name: "Mine", OUID: bOU}))
		}},
		{"move own service to B's OU", nf, func(ctx context.Context) error {
			return errOf(w.db.UpdateService(ctx, a, aSvc.ID, interact.ServiceUpdate{OUID: &bOU}))
		}},
		{"overflow to B's service", interact.EINVALID, func(ctx context.Context) error {
			return errOf(w.db.UpdateService(ctx, a, aSvc.ID, interact.ServiceUpdate{Distribution: &interact.Distribution{
				OverflowAction: interact.OverflowTransfer, OverflowServiceID: bSvc.ID}}))
		}},

		{"list members", nf, func(ctx context.Context) error { return errOf(w.db.Members(ctx, a, bSvc.ID)) }},
		{"deactivate member", nf, func(ctx context.Context) error { return errOf(w.db.PutMember(ctx, a, bSvc.ID, bob.ID, false)) }},
		{"join B's service", nf, func(ctx context.Context) error { return errOf(w.db.PutMember(ctx, a, bSvc.ID, w.agent.UserID, true)) }},
		{"add B's user to own service", nf, func(ctx context.Context) error { return errOf(w.db.PutMember(ctx, a, aSvc.ID, bob.ID, true)) }},
		{"remove member", nf, func(ctx context.Context) error { return w.db.DeleteMember(ctx, a, bSvc.ID, bob.ID) }},

		{"read template", nf, func(ctx context.Context) error { return errOf(w.db.DomainTemplate(ctx, a, bTpl.ID)) }},
		{"update template", nf, func(ctx context.Context) error {
			return errOf(w.db.UpdateDomainTemplate(ctx, a, bTpl.ID, interact.DomainTemplateUpdate{Origins: &[]string{"evil.example.test"}}))
		}},
		{"delete template", nf, func(ctx context.Context) error { return w.db.DeleteDomainTemplate(ctx, a, bTpl.ID) }},
		{"create template in B's OU", nf, func(ctx context.Context) error {
			return errOf(w.db.CreateDomainTemplate(ctx, a, interact.DomainTemplate{Name: "Mine", OUID: bOU, Origins: []string{"a.example.test"}}))
		}},
		{"move own template to B's OU", nf, func(ctx context.Context) error {
			return errOf(w.db.UpdateDomainTemplate(ctx, a, aTpl.ID, interact.DomainTemplateUpdate{OUID: &bOU}))
		}},
		{"select B's template", interact.ENOTSELECTABLE, func(ctx context.Context) error {
			return errOf(w.db.UpdateInteract(ctx, a, interact.OwnerService, aSvc.ID, interact.InteractUpdate{DomainTemplateIDs: sel}))
		}},

		{"read service Interact", nf, func(ctx context.Context) error { return errOf(w.db.Interact(ctx, a, interact.OwnerService, bSvc.ID)) }},
		{"update service Interact", nf, func(ctx context.Context) error {
			return errOf(w.db.UpdateInteract(ctx, a, interact.OwnerService, bSvc.ID, interact.InteractUpdate{RestrictAccess: ptr(false)}))
		}},
		{"rotate service key", nf, func(ctx context.Context) error {
			return errOf(w.db.RotateWidgetKey(ctx, a, interact.OwnerService, bSvc.ID, time.Hour))
		}},
		{"read user Interact", nf, func(ctx context.Context) error { return errOf(w.db.Interact(ctx, a, interact.OwnerUser, bob.ID)) }},
		{"update user Interact", nf, func(ctx context.Context) error {
			return errOf(w.db.UpdateInteract(ctx, a, interact.OwnerUser, bob.ID, interact.InteractUpdate{AudioVideo: ptr(true)}))
		}},
		{"rotate user key", nf, func(ctx context.Context) error {
			return errOf(w.db.RotateWidgetKey(ctx, a, interact.OwnerUser, bob.ID, 0))
		}},

		{"list tokens", nf, func(ctx context.Context) error { return errOf(w.db.APITokens(ctx, a, bob.ID)) }},
		{"create token", nf, func(ctx context.Context) error {
			_, _, err := w.db.CreateAPIToken(ctx, a, bob.ID, "mine")
			return err
		}},
		{"delete token", nf, func(ctx context.Context) error { return w.db.DeleteAPIToken(ctx, a, bob.ID, bTok.ID) }},
		{"delete B's token as one's own", nf, func(ctx context.Context) error { return w.db.DeleteAPIToken(ctx, a, a.UserID, bTok.ID) }},

		// Operators manage tenants, not the data inside them.
		{"operator reads B's user", nf, func(ctx context.Context) error { return errOf(w.db.User(ctx, w.op, bob.ID)) }},
		{"operator reads B's service", nf, func(ctx context.Context) error { return errOf(w.db.Service(ctx, w.op, bSvc.ID)) }},
		{"operator reads B's OU", nf, func(ctx context.Context) error { return errOf(w.db.OU(ctx, w.op, bOU)) }},
	})

	// B's things still work for B.
	if a, err := w.db.TokenActor(ctx, bSecret); err != nil || a.UserID != bob.ID {
		t.Errorf("B's token after the attempts: %+v, %v", a, err)
	}
	members, err := w.db.Members(ctx, w.adminB, bSvc.ID)
	noErr(t, err)
	if len(members) != 1 || members[0].UserID != bob.ID || !members[0].Active {
		t.Errorf("B's members after the attempts: %+v", members)
	}
}
