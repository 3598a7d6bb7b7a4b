package sqlstore_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
)

func TestOUAdminScope(t *testing.T) { eachEngine(t, testOUAdminScope) }

func testOUAdminScope(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, a := t.Context(), w.emeaAdmin

	tplRoot := w.template(t, w.adminA, "Root sites", w.root, "https://www.example.test")
	tplAPAC := w.template(t, w.adminA, "APAC sites", w.apac, "https://apac.example.test")
	svcRoot := w.service(t, w.adminA, "Reception", w.root, "", false)
	svcAPAC := w.service(t, w.adminA, "Tokyo", w.apac, "", false)
	svcCH := w.service(t, w.adminA, "Zurich desk", w.ch, interact.LicenseContactCenter, true)
	apacUser := w.user(t, w.adminA, "apac-agent", w.apac, interact.Licenses{})
	boss := w.user(t, w.adminA, "boss", w.ch, interact.Licenses{}, tenantAdmin)

	t.Run("changes inside its subtree", func(t *testing.T) {
		zurich := w.ou(t, a, "Zurich", w.ch)
		_, err := w.db.UpdateOU(ctx, a, zurich, interact.OUUpdate{Name: ptr("Zürich"), ParentID: &w.de})
		noErr(t, err)
		noErr(t, w.db.DeleteOU(ctx, a, zurich))

		u := w.user(t, a, "ch-lead", w.de, interact.Licenses{ContactCenter: true}, ouAdmin(w.ch), serviceOwner(svcCH.ID))
		_, err = w.db.UpdateUser(ctx, a, u.ID, interact.UserUpdate{Name: ptr("CH lead"), OUID: &w.ch})
		noErr(t, err)
		noErr(t, w.db.DeleteUser(ctx, a, u.ID))

		s := w.service(t, a, "Geneva desk", w.ch, "", false)
		_, err = w.db.UpdateService(ctx, a, s.ID, interact.ServiceUpdate{Name: ptr("Genève desk"), OUID: &w.de,
			Distribution: &interact.Distribution{Type: interact.DistributeBroadcast}})
		noErr(t, err)
		noErr(t, w.db.DeleteService(ctx, a, s.ID))

		d := w.template(t, a, "EMEA sites", w.emea, "https://emea.example.test")
		_, err = w.db.UpdateDomainTemplate(ctx, a, d.ID, interact.DomainTemplateUpdate{Origins: &[]string{"*.emea.example.test"}})
		noErr(t, err)
		noErr(t, w.db.DeleteDomainTemplate(ctx, a, d.ID))
	})

	t.Run("reads up to the root, not sideways", func(t *testing.T) {
		ous, err := w.db.OUs(ctx, a)
		noErr(t, err)
		wantSet(t, "OUs", ouIDs(ous), []string{w.root, w.emea, w.ch, w.de})
		_, err = w.db.OU(ctx, a, w.root)
		noErr(t, err)
		tpls, err := w.db.DomainTemplates(ctx, a)
		noErr(t, err)
		wantSet(t, "templates", templateIDs(tpls), []string{tplRoot.ID})
		_, err = w.db.DomainTemplate(ctx, a, tplRoot.ID)
		noErr(t, err)
		svcs, err := w.db.Services(ctx, a)
		noErr(t, err)
		wantSet(t, "services", serviceIDs(svcs), []string{svcRoot.ID, svcCH.ID})
		users, err := w.db.Users(ctx, a)
		noErr(t, err)
		wantSet(t, "users", userIDs(users), []string{w.adminA.UserID, w.emeaAdmin.UserID, w.agent.UserID, boss.ID})
	})

	dist := &interact.Distribution{Type: interact.DistributePickup}
	cc := interact.LicenseContactCenter
	createUser := func(ou string, roles ...interact.Role) func(context.Context) error {
		return func(ctx context.Context) error {
			return errOf(w.db.CreateUser(ctx, a, interact.User{Email: w.email("new"), Name: "New", OUID: ou, Roles: roles}, pw))
		}
	}
	updateUser := func(id string, upd interact.UserUpdate) func(context.Context) error {
		return func(ctx context.Context) error { return errOf(w.db.UpdateUser(ctx, a, id, upd)) }
	}
	createService := func(ou string, lic interact.ServiceLicense, addon bool) func(context.Context) error {
		return func(ctx context.Context) error {
			return errOf(w.db.CreateService(ctx, a, interact.Service{Name: "New", OUID: ou, License: lic, InteractLicense: addon}))
		}
	}
	updateService := func(id string, upd interact.ServiceUpdate) func(context.Context) error {
		return func(ctx context.Context) error { return errOf(w.db.UpdateService(ctx, a, id, upd)) }
	}
	createTemplate := func(ou string) func(context.Context) error {
		return func(ctx context.Context) error {
			return errOf(w.db.CreateDomainTemplate(ctx, a, interact.DomainTemplate{Name: "New", OUID: ou, Origins: []string{"new.example.test"}}))
		}
	}
	updateTemplate := func(id string) func(context.Context) error {
		return func(ctx context.Context) error {
			return errOf(w.db.UpdateDomainTemplate(ctx, a, id, interact.DomainTemplateUpdate{Name: ptr("Renamed")}))
		}
	}
	w.refuse(t, []refusal{
		{"read sibling OU", interact.ENOTFOUND, func(ctx context.Context) error { return errOf(w.db.OU(ctx, a, w.apac)) }},
		{"create OU in sibling", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.CreateOU(ctx, a, interact.OU{Name: "X", ParentID: &w.apac}))
		}},
		{"create OU in root", interact.EFORBIDDEN, func(ctx context.Context) error {
			return errOf(w.db.CreateOU(ctx, a, interact.OU{Name: "X", ParentID: &w.root}))
		}},
		{"rename root", interact.EFORBIDDEN, func(ctx context.Context) error {
			return errOf(w.db.UpdateOU(ctx, a, w.root, interact.OUUpdate{Name: ptr("Mine")}))
		}},
		{"rename sibling", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.UpdateOU(ctx, a, w.apac, interact.OUUpdate{Name: ptr("Mine")}))
		}},
		{"move into sibling", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.UpdateOU(ctx, a, w.de, interact.OUUpdate{ParentID: &w.apac}))
		}},
		{"move up to root", interact.EFORBIDDEN, func(ctx context.Context) error {
			return errOf(w.db.UpdateOU(ctx, a, w.ch, interact.OUUpdate{ParentID: &w.root}))
		}},
		{"delete sibling", interact.ENOTFOUND, func(ctx context.Context) error { return w.db.DeleteOU(ctx, a, w.apac) }},

		{"create user in sibling", interact.ENOTFOUND, createUser(w.apac)},
		{"create user in root", interact.EFORBIDDEN, createUser(w.root)},
		{"grant tenantAdmin", interact.EFORBIDDEN, createUser(w.de, tenantAdmin)},
		{"grant ouAdmin on root", interact.EFORBIDDEN, createUser(w.de, ouAdmin(w.root))},
		{"grant ouAdmin on sibling", interact.EFORBIDDEN, createUser(w.de, ouAdmin(w.apac))},
		{"grant serviceOwner outside", interact.EFORBIDDEN, createUser(w.de, serviceOwner(svcAPAC.ID))},
		{"read user in sibling", interact.ENOTFOUND, func(ctx context.Context) error { return errOf(w.db.User(ctx, a, apacUser.ID)) }},
		{"enlist a user of a sibling subtree by id", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.PutMember(ctx, a, svcCH.ID, apacUser.ID, true))
		}},
		{"change user in sibling", interact.ENOTFOUND, updateUser(apacUser.ID, interact.UserUpdate{Name: ptr("X")})},
		{"change user in root", interact.EFORBIDDEN, updateUser(w.adminA.UserID, interact.UserUpdate{Name: ptr("X")})},
		{"change a tenant admin in its subtree", interact.EFORBIDDEN, updateUser(boss.ID, interact.UserUpdate{Name: ptr("X")})},
		{"reset a tenant admin's password", interact.EFORBIDDEN, updateUser(boss.ID, interact.UserUpdate{Password: ptr("taken over, haha")})},
		{"delete a tenant admin", interact.EFORBIDDEN, func(ctx context.Context) error { return w.db.DeleteUser(ctx, a, boss.ID) }},
		{"promote to tenantAdmin", interact.EFORBIDDEN, updateUser(w.agent.UserID, interact.UserUpdate{Roles: &[]interact.Role{tenantAdmin}})},
		{"move user to sibling", interact.ENOTFOUND, updateUser(w.agent.UserID, interact.UserUpdate{OUID: &w.apac})},
		{"move user to root", interact.EFORBIDDEN, updateUser(w.agent.UserID, interact.UserUpdate{OUID: &w.root})},

		{"create service with Contact Center", interact.EFORBIDDEN, createService(w.ch, cc, false)},
		{"create service with add-on", interact.EFORBIDDEN, createService(w.ch, "", true)},
		{"create service in sibling", interact.ENOTFOUND, createService(w.apac, "", false)},
		{"create service in root", interact.EFORBIDDEN, createService(w.root, "", false)},
		{"change licence tier", interact.EFORBIDDEN, updateService(svcCH.ID, interact.ServiceUpdate{License: ptr(interact.LicenseAdvancedRouting)})},
		{"remove add-on", interact.EFORBIDDEN, updateService(svcCH.ID, interact.ServiceUpdate{InteractLicense: ptr(false)})},
		{"change service in sibling", interact.ENOTFOUND, updateService(svcAPAC.ID, interact.ServiceUpdate{Distribution: dist})},
		{"change service in root", interact.EFORBIDDEN, updateService(svcRoot.ID, interact.ServiceUpdate{Distribution: dist})},
		{"delete service in root", interact.EFORBIDDEN, func(ctx context.Context) error { return w.db.DeleteService(ctx, a, svcRoot.ID) }},
		{"move service to sibling", interact.ENOTFOUND, updateService(svcCH.ID, interact.ServiceUpdate{OUID: &w.apac})},

		{"read template in sibling", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.DomainTemplate(ctx, a, tplAPAC.ID))
		}},
		{"create template in sibling", interact.ENOTFOUND, createTemplate(w.apac)},
		{"create template in root", interact.EFORBIDDEN, createTemplate(w.root)},
		{"change template in root", interact.EFORBIDDEN, updateTemplate(tplRoot.ID)},
		{"change template in sibling", interact.ENOTFOUND, updateTemplate(tplAPAC.ID)},
		{"delete template in root", interact.EFORBIDDEN, func(ctx context.Context) error {
			return w.db.DeleteDomainTemplate(ctx, a, tplRoot.ID)
		}},
	})
}

func TestServiceOwner(t *testing.T) { eachEngine(t, testServiceOwner) }

func testServiceOwner(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	support := w.service(t, w.adminA, "Support", w.ch, interact.LicenseContactCenter, true)
	sales := w.service(t, w.adminA, "Sales", w.de, interact.LicenseContactCenter, true)
	a := actorOf(w.user(t, w.adminA, "owner", w.apac, interact.Licenses{}, serviceOwner(support.ID)))
	w.setInteract(t, w.adminA, true)

	t.Run("sees only its services", func(t *testing.T) {
		svcs, err := w.db.Services(ctx, a)
		noErr(t, err)
		wantSet(t, "services", serviceIDs(svcs), []string{support.ID})
		ous, err := w.db.OUs(ctx, a)
		noErr(t, err)
		tpls, err := w.db.DomainTemplates(ctx, a)
		noErr(t, err)
		if len(ous) != 0 || len(tpls) != 0 {
			t.Errorf("a service owner without OU roles sees OUs %v and templates %v", ous, tpls)
		}
	})

	t.Run("changes distribution, members and Interact settings", func(t *testing.T) {
		d := interact.Distribution{Type: interact.DistributeBroadcast, RingTimeoutSeconds: 20}
		_, err := w.db.UpdateService(ctx, a, support.ID, interact.ServiceUpdate{Distribution: &d})
		noErr(t, err)
		got, err := w.db.Service(ctx, a, support.ID)
		noErr(t, err)
		if got.Distribution.Type != interact.DistributeBroadcast || got.Distribution.RingTimeoutSeconds != 20 || got.Name != "Support" {
			t.Errorf("service after owner's update: %+v", got)
		}
		_, err = w.db.PutMember(ctx, a, support.ID, w.agent.UserID, true)
		noErr(t, err)
		_, err = w.db.PutMember(ctx, a, support.ID, w.agent.UserID, false)
		noErr(t, err)
		members, err := w.db.Members(ctx, a, support.ID)
		noErr(t, err)
		if len(members) != 1 || members[0].UserID != w.agent.UserID || members[0].Active {
			t.Errorf("members = %+v, want the agent, inactive", members)
		}
		noErr(t, w.db.DeleteMember(ctx, a, support.ID, w.agent.UserID))

		s, err := w.db.UpdateInteract(ctx, a, interact.OwnerService, support.ID, interact.InteractUpdate{AudioVideo: ptr(true)})
		noErr(t, err)
		r, err := w.db.RotateWidgetKey(ctx, a, interact.OwnerService, support.ID, 0)
		noErr(t, err)
		if !r.AudioVideo || r.WidgetKey == s.WidgetKey {
			t.Errorf("after update and rotation: %+v", r)
		}
	})

	dist := &interact.Distribution{Type: interact.DistributePickup}
	updateService := func(id string, upd interact.ServiceUpdate) func(context.Context) error {
		return func(ctx context.Context) error { return errOf(w.db.UpdateService(ctx, a, id, upd)) }
	}
	deAgent := w.user(t, w.adminA, "de-agent", w.de, interact.Licenses{ContactCenter: true})
	w.refuse(t, []refusal{
		{"enlist a user of another subtree by id", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.PutMember(ctx, a, support.ID, deAgent.ID, true))
		}},
		{"rename", interact.EFORBIDDEN, updateService(support.ID, interact.ServiceUpdate{Name: ptr("Mine")})},
		{"move", interact.EFORBIDDEN, updateService(support.ID, interact.ServiceUpdate{OUID: &w.de})},
		{"licence tier", interact.EFORBIDDEN, updateService(support.ID, interact.ServiceUpdate{License: ptr(interact.LicenseEnterpriseRouting)})},
		{"add-on", interact.EFORBIDDEN, updateService(support.ID, interact.ServiceUpdate{InteractLicense: ptr(false)})},
		{"delete", interact.EFORBIDDEN, func(ctx context.Context) error { return w.db.DeleteService(ctx, a, support.ID) }},
		{"read another service", interact.ENOTFOUND, func(ctx context.Context) error { return errOf(w.db.Service(ctx, a, sales.ID)) }},
		{"change another service", interact.ENOTFOUND, updateService(sales.ID, interact.ServiceUpdate{Distribution: dist})},
		{"another service's members", interact.ENOTFOUND, func(ctx context.Context) error { return errOf(w.db.Members(ctx, a, sales.ID)) }},
		{"add member elsewhere", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.PutMember(ctx, a, sales.ID, w.agent.UserID, true))
		}},
		{"another service's Interact", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.UpdateInteract(ctx, a, interact.OwnerService, sales.ID, interact.InteractUpdate{AudioVideo: ptr(true)}))
		}},
		{"list users", interact.EFORBIDDEN, func(ctx context.Context) error { return errOf(w.db.Users(ctx, a)) }},
		{"create service in own OU", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.CreateService(ctx, a, interact.Service{Name: "Mine", OUID: w.apac}))
		}},
	})
}

func TestPlainAgent(t *testing.T) { eachEngine(t, testPlainAgent) }

func testPlainAgent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, a := t.Context(), w.agent
	support := w.service(t, w.adminA, "Support", w.ch, interact.LicenseContactCenter, true)
	w.template(t, w.adminA, "Sites", w.ch, "https://shop.example.test")

	t.Run("reads itself and nothing else", func(t *testing.T) {
		me, err := w.db.User(ctx, a, a.UserID)
		noErr(t, err)
		if me.Email != a.Email {
			t.Errorf("own record: %+v", me)
		}
		ous, err := w.db.OUs(ctx, a)
		noErr(t, err)
		svcs, err := w.db.Services(ctx, a)
		noErr(t, err)
		tpls, err := w.db.DomainTemplates(ctx, a)
		noErr(t, err)
		if len(ous)+len(svcs)+len(tpls) != 0 {
			t.Errorf("a plain agent sees OUs %v, services %v, templates %v", ous, svcs, tpls)
		}
	})

	w.refuse(t, []refusal{
		{"list users", interact.EFORBIDDEN, func(ctx context.Context) error { return errOf(w.db.Users(ctx, a)) }},
		{"read the audit log", interact.EFORBIDDEN, func(ctx context.Context) error {
			_, _, err := w.db.AuditEntries(ctx, a, interact.AuditFilter{})
			return err
		}},
		{"read another user", interact.ENOTFOUND, func(ctx context.Context) error { return errOf(w.db.User(ctx, a, w.adminA.UserID)) }},
		{"create OU in own OU", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.CreateOU(ctx, a, interact.OU{Name: "Mine", ParentID: &w.ch}))
		}},
		{"create user", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.CreateUser(ctx, a, interact.User{Email: w.email("x"), Name: "X", OUID: w.ch}, pw))
		}},
		{"grant itself tenantAdmin", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.UpdateUser(ctx, a, a.UserID, interact.UserUpdate{Roles: &[]interact.Role{tenantAdmin}}))
		}},
		{"create service", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.CreateService(ctx, a, interact.Service{Name: "Mine", OUID: w.ch}))
		}},
		{"change service", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.UpdateService(ctx, a, support.ID, interact.ServiceUpdate{Name: ptr("Mine")}))
		}},
		{"join a service", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.PutMember(ctx, a, support.ID, a.UserID, true))
		}},
		{"create template", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.CreateDomainTemplate(ctx, a, interact.DomainTemplate{Name: "Mine", OUID: w.ch, Origins: []string{"a.example.test"}}))
		}},
		{"service Interact settings", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.Interact(ctx, a, interact.OwnerService, support.ID))
		}},
	})
}

func TestLastTenantAdmin(t *testing.T) { eachEngine(t, testLastTenantAdmin) }

func testLastTenantAdmin(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	second := w.user(t, w.adminA, "second-admin", w.root, interact.Licenses{}, tenantAdmin)
	stale := actorOf(second) // an actor loaded before its roles were revoked

	_, err := w.db.UpdateUser(ctx, w.adminA, second.ID, interact.UserUpdate{Roles: &[]interact.Role{}})
	noErr(t, err) // adminA remains, so demoting the second admin is fine

	w.refuse(t, []refusal{
		{"demote the last one", interact.ECONFLICT, func(ctx context.Context) error {
			return errOf(w.db.UpdateUser(ctx, w.adminA, w.adminA.UserID, interact.UserUpdate{Roles: &[]interact.Role{ouAdmin(w.root)}}))
		}},
		{"delete the last one", interact.ECONFLICT, func(ctx context.Context) error {
			return w.db.DeleteUser(ctx, stale, w.adminA.UserID)
		}},
		{"delete oneself", interact.EINVALID, func(ctx context.Context) error { return w.db.DeleteUser(ctx, w.adminA, w.adminA.UserID) }},
	})

	me, err := w.db.User(ctx, w.adminA, w.adminA.UserID)
	noErr(t, err)
	if diff := cmp.Diff([]interact.Role{tenantAdmin}, me.Roles); diff != "" {
		t.Errorf("last admin's roles (-want +got):\n%s", diff)
	}
	noErr(t, w.db.DeleteUser(ctx, w.adminA, second.ID))
}

// An OU admin may change users inside its subtree, but a user there may hold
// roles reaching beyond it (ouAdmin of the root, serviceOwner of a service in
// a sibling OU). Resetting that user's password hands those roles to the OU
// admin, so it must be refused like a change of the roles themselves (a
// regression test: resetting the password once worked).
func TestOUAdminCannotTakeOverWiderRoles(t *testing.T) {
	eachEngine(t, testOUAdminCannotTakeOverWiderRoles)
}

func testOUAdminCannotTakeOverWiderRoles(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	svcAPAC := w.service(t, w.adminA, "Tokyo", w.apac, "", false)
	wide := w.user(t, w.adminA, "regional-lead", w.ch, interact.Licenses{}, ouAdmin(w.root), serviceOwner(svcAPAC.ID))
	w.refuse(t, []refusal{
		{"reset password", interact.EFORBIDDEN, func(ctx context.Context) error {
			return errOf(w.db.UpdateUser(ctx, w.emeaAdmin, wide.ID, interact.UserUpdate{Password: ptr("now it is mine")}))
		}},
		{"change e-mail", interact.EFORBIDDEN, func(ctx context.Context) error {
			return errOf(w.db.UpdateUser(ctx, w.emeaAdmin, wide.ID, interact.UserUpdate{Email: ptr(w.email("mine"))}))
		}},
		{"mint an API token", interact.EFORBIDDEN, func(ctx context.Context) error {
			_, _, err := w.db.CreateAPIToken(ctx, w.emeaAdmin, wide.ID, "mine")
			return err
		}},
		{"delete", interact.EFORBIDDEN, func(ctx context.Context) error { return w.db.DeleteUser(ctx, w.emeaAdmin, wide.ID) }},
	})
}
