package sqlstore_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
)

func TestCreateTenantBySystem(t *testing.T) { eachEngine(t, testCreateTenantBySystem) }

func testCreateTenantBySystem(t *testing.T) {
	t.Parallel()
	db, ctx := openStore(t), t.Context()
	sfx := interact.NewID()[18:]
	name := "Acme " + sfx
	email := "first.admin-" + sfx + "@example.test"

	tn, admin, err := db.CreateTenant(ctx, interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: name}, AdminEmail: "  First.Admin-" + sfx + "@EXAMPLE.test ", AdminPassword: pw,
	})
	noErr(t, err)

	wantTenant := interact.Tenant{ID: tn.ID, Name: name, State: interact.TenantActive,
		MaxConcurrentIMTasksPerService: interact.DefaultIMTasksPerService, CreatedAt: tn.CreatedAt}
	if diff := cmp.Diff(wantTenant, *tn); diff != "" || tn.ID == "" || tn.CreatedAt.IsZero() {
		t.Errorf("tenant (-want +got):\n%s", diff)
	}
	wantAdmin := interact.User{ID: admin.ID, TenantID: tn.ID, Email: email, Name: "Administrator", OUID: admin.OUID,
		Licenses:  interact.Licenses{ContactCenter: true, InstantMessaging: true, Interact: true},
		Roles:     []interact.Role{tenantAdmin, {Role: interact.RoleOperator}},
		CreatedAt: admin.CreatedAt}
	if diff := cmp.Diff(wantAdmin, *admin); diff != "" {
		t.Errorf("admin (-want +got):\n%s", diff)
	}

	// The admin can sign in and sees exactly the tenant, its root OU and itself.
	_, _, a, err := db.Login(ctx, email, pw, "")
	noErr(t, err)
	if diff := cmp.Diff(actorOf(admin), a); diff != "" {
		t.Errorf("login actor (-want +got):\n%s", diff)
	}
	got, err := db.Tenant(ctx, a, tn.ID)
	noErr(t, err)
	if diff := cmp.Diff(tn, got); diff != "" {
		t.Errorf("stored tenant (-created +read):\n%s", diff)
	}
	ous, err := db.OUs(ctx, a)
	noErr(t, err)
	if diff := cmp.Diff([]interact.OU{{ID: admin.OUID, TenantID: tn.ID, Name: name}}, ous); diff != "" {
		t.Errorf("OUs: want only the root named after the tenant (-want +got):\n%s", diff)
	}
	users, err := db.Users(ctx, a)
	noErr(t, err)
	if diff := cmp.Diff([]interact.User{*admin}, users); diff != "" {
		t.Errorf("users (-want +got):\n%s", diff)
	}
	entries, _, err := db.AuditEntries(ctx, a, interact.AuditFilter{})
	noErr(t, err)
	if len(entries) != 1 {
		t.Fatalf("audit: got %d entries, want 1 (tenant.create)", len(entries))
	}
	e := entries[0]
	if e.Action != "tenant.create" || e.ActorID != "system" || e.EntityKind != "tenant" || e.EntityID != tn.ID || e.Before != nil {
		t.Errorf("audit entry = %+v", e)
	}
	var after interact.Tenant
	noErr(t, json.Unmarshal(e.After, &after))
	if diff := cmp.Diff(*tn, after); diff != "" {
		t.Errorf("audit after (-want +got):\n%s", diff)
	}
}

func TestCreateTenantByOperator(t *testing.T) { eachEngine(t, testCreateTenantByOperator) }

func testCreateTenantByOperator(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	// An operator's tenant admins are not operators.
	if diff := cmp.Diff([]interact.Role{tenantAdmin}, w.adminA.Roles); diff != "" {
		t.Errorf("admin of an operator-created tenant: roles (-want +got):\n%s", diff)
	}
	create := func(a interact.Actor, nt interact.NewTenant) func(context.Context) error {
		if nt.Tenant.Name != "" {
			nt.Tenant.Name += " " + w.sfx // so that the snapshot would list it
		}
		return func(ctx context.Context) error {
			_, _, err := w.db.CreateTenant(ctx, a, nt)
			return err
		}
	}
	nt := func(name, email, password string) interact.NewTenant {
		return interact.NewTenant{Tenant: interact.Tenant{Name: name}, AdminEmail: email, AdminPassword: password}
	}
	w.refuse(t, []refusal{
		{"by a tenant admin", interact.EFORBIDDEN, create(w.adminA, nt("Gamma", w.email("g1"), pw))},
		{"by an agent", interact.EFORBIDDEN, create(w.agent, nt("Gamma", w.email("g2"), pw))},
		{"empty name", interact.EINVALID, create(w.op, nt("", w.email("g3"), pw))},
		{"short password", interact.EINVALID, create(w.op, nt("Gamma", w.email("g4"), "short"))},
		{"bad admin e-mail", interact.EINVALID, create(w.op, nt("Gamma", "nobody", pw))},
		{"IM cap too high", interact.EINVALID, create(w.op, interact.NewTenant{
			Tenant: interact.Tenant{Name: "Gamma", MaxConcurrentIMTasksPerService: 51}, AdminEmail: w.email("g5"), AdminPassword: pw})},
	})
	// An address is unique per tenant: a new tenant's admin may hold one
	// that a user of another tenant holds.
	_, u, err := w.db.CreateTenant(t.Context(), w.op, nt("Delta "+w.sfx, strings.ToUpper(w.adminB.Email), "delta's own password"))
	noErr(t, err)
	if u.Email != w.adminB.Email || u.ID == w.adminB.UserID {
		t.Errorf("Delta's admin %+v, want a new user with B's admin's address", u)
	}
}

func TestUpdateTenant(t *testing.T) { eachEngine(t, testUpdateTenant) }

func testUpdateTenant(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()

	t.Run("tenant admin changes settings", func(t *testing.T) {
		upd := interact.TenantUpdate{Name: ptr("  Acme Corp " + w.sfx + " "), InteractEnabled: ptr(true), IMEnabled: ptr(true),
			MaxConcurrentIMTasksPerService: ptr(50)}
		got, err := w.db.UpdateTenant(ctx, w.adminA, w.a.ID, upd)
		noErr(t, err)
		want := *w.a
		want.Name, want.InteractEnabled, want.IMEnabled, want.MaxConcurrentIMTasksPerService = "Acme Corp "+w.sfx, true, true, 50
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("returned (-want +got):\n%s", diff)
		}
		read, err := w.db.Tenant(ctx, w.adminA, w.a.ID)
		noErr(t, err)
		if diff := cmp.Diff(&want, read); diff != "" {
			t.Errorf("re-read (-want +got):\n%s", diff)
		}
		got, err = w.db.UpdateTenant(ctx, w.adminA, w.a.ID, interact.TenantUpdate{MaxConcurrentIMTasksPerService: ptr(1)})
		noErr(t, err)
		if got.MaxConcurrentIMTasksPerService != 1 || !got.InteractEnabled {
			t.Errorf("after setting the cap to 1: %+v", got)
		}
	})

	update := func(a interact.Actor, id string, upd interact.TenantUpdate) func(context.Context) error {
		return func(ctx context.Context) error { return errOf(w.db.UpdateTenant(ctx, a, id, upd)) }
	}
	suspended, paused := interact.TenantSuspended, interact.TenantState("paused")
	w.refuse(t, []refusal{
		{"IM cap 0", interact.EINVALID, update(w.adminA, w.a.ID, interact.TenantUpdate{MaxConcurrentIMTasksPerService: ptr(0)})},
		{"IM cap 51", interact.EINVALID, update(w.adminA, w.a.ID, interact.TenantUpdate{MaxConcurrentIMTasksPerService: ptr(51)})},
		{"empty name", interact.EINVALID, update(w.adminA, w.a.ID, interact.TenantUpdate{Name: ptr("   ")})},
		{"state by tenant admin", interact.EFORBIDDEN, update(w.adminA, w.a.ID, interact.TenantUpdate{State: &suspended})},
		{"unknown state by operator", interact.EINVALID, update(w.op, w.a.ID, interact.TenantUpdate{State: &paused})},
		{"another tenant", interact.ENOTFOUND, update(w.adminA, w.b.ID, interact.TenantUpdate{InteractEnabled: ptr(true)})},
		{"another tenant's state", interact.ENOTFOUND, update(w.adminA, w.b.ID, interact.TenantUpdate{State: &suspended})},
		{"by an OU admin", interact.EFORBIDDEN, update(w.emeaAdmin, w.a.ID, interact.TenantUpdate{InteractEnabled: ptr(false)})},
		{"by an agent", interact.EFORBIDDEN, update(w.agent, w.a.ID, interact.TenantUpdate{IMEnabled: ptr(false)})},
	})

	t.Run("operator changes state", func(t *testing.T) {
		trial := interact.TenantTrial
		_, err := w.db.UpdateTenant(ctx, w.op, w.b.ID, interact.TenantUpdate{State: &trial})
		noErr(t, err)
		got, err := w.db.Tenant(ctx, w.adminB, w.b.ID)
		noErr(t, err)
		if got.State != interact.TenantTrial {
			t.Errorf("state = %q, want trial", got.State)
		}
	})

	t.Run("reads", func(t *testing.T) {
		wantCode(t, errOf(w.db.Tenant(ctx, w.adminA, w.b.ID)), interact.ENOTFOUND)
		wantCode(t, errOf(w.db.Tenants(ctx, w.adminA)), interact.EFORBIDDEN)
		all, err := w.db.Tenants(ctx, w.op)
		noErr(t, err)
		seen := map[string]bool{}
		for _, tn := range all {
			seen[tn.ID] = true
		}
		if !seen[w.a.ID] || !seen[w.b.ID] || !seen[w.op.TenantID] {
			t.Errorf("operator's tenant list misses one of the world's tenants: %v", all)
		}
	})
}

func TestLoginInactiveTenant(t *testing.T) { eachEngine(t, testLoginInactiveTenant) }

func testLoginInactiveTenant(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	session, _, _, err := w.db.Login(ctx, w.agent.Email, pw, "")
	noErr(t, err)
	_, apiToken, err := w.db.CreateAPIToken(ctx, w.agent, w.agent.UserID, "ci")
	noErr(t, err)

	for _, tc := range []struct {
		state interact.TenantState
		code  string // "" when sign-in works
	}{
		{interact.TenantSuspended, interact.ETENANTINACTIVE},
		{interact.TenantExpired, interact.ETENANTINACTIVE},
		{interact.TenantTrial, ""},
		{interact.TenantActive, ""},
	} {
		t.Run(string(tc.state), func(t *testing.T) {
			_, err := w.db.UpdateTenant(ctx, w.op, w.a.ID, interact.TenantUpdate{State: &tc.state})
			noErr(t, err)
			_, _, _, err = w.db.Login(ctx, w.adminA.Email, pw, "")
			wantCode(t, err, tc.code)
			_, _, err = w.db.SessionActor(ctx, session)
			wantCode(t, err, tc.code)
			_, err = w.db.TokenActor(ctx, apiToken)
			wantCode(t, err, tc.code)
		})
	}

	t.Run("operators still sign in", func(t *testing.T) {
		suspended := interact.TenantSuspended
		_, err := w.db.UpdateTenant(ctx, w.op, w.op.TenantID, interact.TenantUpdate{State: &suspended})
		noErr(t, err)
		tok, _, a, err := w.db.Login(ctx, w.op.Email, pw, "")
		noErr(t, err)
		if !a.IsOperator() {
			t.Errorf("actor %+v is not an operator", a)
		}
		_, _, err = w.db.SessionActor(ctx, tok)
		noErr(t, err)
	})
}

// Names are stored trimmed everywhere (OUs, users, services, templates, and
// tenants on update); a new tenant and its root OU must be no exception.
func TestCreateTenantTrimsName(t *testing.T) { eachEngine(t, testCreateTenantTrimsName) }

func testCreateTenantTrimsName(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	tn, admin, err := w.db.CreateTenant(ctx, w.op, interact.NewTenant{
		Tenant: interact.Tenant{Name: "  Gamma " + w.sfx + "  "}, AdminEmail: w.email("admin-g"), AdminPassword: pw,
	})
	noErr(t, err)
	want := "Gamma " + w.sfx
	read, err := w.db.Tenant(ctx, w.op, tn.ID)
	noErr(t, err)
	root, err := w.db.OU(ctx, actorOf(admin), admin.OUID)
	noErr(t, err)
	if tn.Name != want || read.Name != want || root.Name != want {
		t.Errorf("names: returned %q, stored %q, root OU %q; want %q", tn.Name, read.Name, root.Name, want)
	}
}

// A zero Actor (a caller that forgot to set one) has no rights: only
// interact.System and operators create tenants.
func TestCreateTenantZeroActorRefused(t *testing.T) { eachEngine(t, testCreateTenantZeroActorRefused) }

func testCreateTenantZeroActorRefused(t *testing.T) {
	t.Parallel()
	db := openStore(t)
	_, _, err := db.CreateTenant(t.Context(), interact.Actor{}, interact.NewTenant{
		Tenant: interact.Tenant{Name: "Nobody"}, AdminEmail: "nobody-" + interact.NewID() + "@example.test", AdminPassword: "long enough password",
	})
	if code := interact.ErrorCode(err); code != interact.EFORBIDDEN {
		t.Fatalf("zero actor: %v (code %q), want forbidden", err, code)
	}
}
