package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
)

func TestCreateUser(t *testing.T) { eachEngine(t, testCreateUser) }

func testCreateUser(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	svc := w.service(t, w.adminA, "Support", w.ch, "", false)

	lic := interact.Licenses{ContactCenter: true, Interact: true}
	roles := []interact.Role{ouAdmin(w.ch), serviceOwner(svc.ID)}
	u, err := w.db.CreateUser(ctx, w.adminA, interact.User{
		Email: "  Mixed.Case-" + w.sfx + "@Example.TEST ", Name: " Mixed ", OUID: w.de, Licenses: lic, Roles: roles,
	}, pw)
	noErr(t, err)
	want := &interact.User{ID: u.ID, TenantID: w.a.ID, Email: "mixed.case-" + w.sfx + "@example.test", Name: "Mixed",
		OUID: w.de, Licenses: lic, Roles: roles, CreatedAt: u.CreatedAt}
	if diff := cmp.Diff(want, u); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	read, err := w.db.User(ctx, w.adminA, u.ID)
	noErr(t, err)
	if diff := cmp.Diff(want, read); diff != "" {
		t.Errorf("re-read (-want +got):\n%s", diff)
	}
	// The normalised address signs in, whatever its case.
	_, _, a, err := w.db.Login(ctx, strings.ToUpper(u.Email), pw, "")
	noErr(t, err)
	if a.UserID != u.ID {
		t.Errorf("login as %q gave actor %+v", u.Email, a)
	}

	create := func(email, name, ou, password string, roles ...interact.Role) func(context.Context) error {
		return func(ctx context.Context) error {
			return errOf(w.db.CreateUser(ctx, w.adminA, interact.User{Email: email, Name: name, OUID: ou, Roles: roles}, password))
		}
	}
	update := func(id string, upd interact.UserUpdate) func(context.Context) error {
		return func(ctx context.Context) error { return errOf(w.db.UpdateUser(ctx, w.adminA, id, upd)) }
	}
	bSvc := w.service(t, w.adminB, "B service", w.rootB, "", false)
	w.refuse(t, []refusal{
		{"bad e-mail", interact.EINVALID, create("not-an-address", "X", w.ch, pw)},
		{"e-mail with display name", interact.EINVALID, create("X <x-"+w.sfx+"@example.test>", "X", w.ch, pw)},
		{"short password", interact.EINVALID, create(w.email("x"), "X", w.ch, "123456789")},
		{"empty name", interact.EINVALID, create(w.email("x"), "  ", w.ch, pw)},
		{"no OU", interact.EINVALID, create(w.email("x"), "X", "", pw)},
		{"unknown role", interact.EINVALID, create(w.email("x"), "X", w.ch, pw, interact.Role{Role: "superuser"})},
		{"ouAdmin without scope", interact.EINVALID, create(w.email("x"), "X", w.ch, pw, interact.Role{Role: interact.RoleOUAdmin})},
		{"ouAdmin of an unknown OU", interact.EINVALID, create(w.email("x"), "X", w.ch, pw, ouAdmin("nope"))},
		{"role listed twice", interact.EINVALID, create(w.email("x"), "X", w.ch, pw, ouAdmin(w.ch), ouAdmin(w.ch))},
		{"operator by a tenant admin", interact.EFORBIDDEN, create(w.email("x"), "X", w.ch, pw, interact.Role{Role: interact.RoleOperator})},
		{"serviceOwner of another tenant's service", interact.EINVALID, create(w.email("x"), "X", w.ch, pw, serviceOwner(bSvc.ID))},
		{"e-mail used in this tenant", interact.ECONFLICT, create(w.adminA.Email, "X", w.ch, pw)},
		{"e-mail used, other case", interact.ECONFLICT, create(strings.ToUpper(w.agent.Email), "X", w.ch, pw)},
		{"change e-mail to one in use", interact.ECONFLICT, update(w.agent.UserID, interact.UserUpdate{Email: ptr(strings.ToUpper(w.emeaAdmin.Email))})},
		{"change to a bad e-mail", interact.EINVALID, update(w.agent.UserID, interact.UserUpdate{Email: ptr("agent@")})},
		{"change to a short password", interact.EINVALID, update(w.agent.UserID, interact.UserUpdate{Password: ptr("short")})},
		{"change to an unknown role", interact.EINVALID, update(w.agent.UserID, interact.UserUpdate{Roles: &[]interact.Role{{Role: "root"}}})},
	})
}

func TestPasswordChangeEndsSessions(t *testing.T) { eachEngine(t, testPasswordChangeEndsSessions) }

func testPasswordChangeEndsSessions(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	const newPW = "a brand new passphrase"
	tok, _, _, err := w.db.Login(ctx, w.agent.Email, pw, "")
	noErr(t, err)
	a, _, err := w.db.SessionActor(ctx, tok)
	noErr(t, err)
	if diff := cmp.Diff(w.agent, a); diff != "" {
		t.Fatalf("session actor (-want +got):\n%s", diff)
	}

	_, err = w.db.UpdateUser(ctx, w.adminA, w.agent.UserID, interact.UserUpdate{Password: ptr(newPW)})
	noErr(t, err)
	_, _, err = w.db.SessionActor(ctx, tok)
	wantCode(t, err, interact.EUNAUTHORIZED)
	_, _, _, err = w.db.Login(ctx, w.agent.Email, pw, "")
	wantCode(t, err, interact.EUNAUTHORIZED)
	_, _, _, err = w.db.Login(ctx, w.agent.Email, newPW, "")
	noErr(t, err)

	// The audit log records the change but never the password.
	entries, _, err := w.db.AuditEntries(ctx, w.adminA, interact.AuditFilter{Action: "user.update_password", EntityID: w.agent.UserID})
	noErr(t, err)
	if len(entries) != 1 {
		t.Fatalf("got %d user.update_password entries, want 1", len(entries))
	}
	if e := entries[0]; strings.Contains(string(e.Before)+string(e.After), newPW) || strings.Contains(string(e.After), "argon2") {
		t.Errorf("audit entry leaks the password: %s", e.After)
	}
}

// Deleting a service or an OU leaves the serviceOwner and ouAdmin roles that
// point at it. Such a dangling role must not make its holder impossible to
// change or delete (a regression test: it once did, with invalid_input).
func TestDanglingRoleScopes(t *testing.T) { eachEngine(t, testDanglingRoleScopes) }

func testDanglingRoleScopes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	svc := w.service(t, w.adminA, "Short-lived", w.apac, "", false)
	ou := w.ou(t, w.adminA, "Short-lived", w.apac)
	roles := []interact.Role{serviceOwner(svc.ID), ouAdmin(ou)}
	kept := w.user(t, w.adminA, "holder", w.apac, interact.Licenses{}, roles...)
	gone := w.user(t, w.adminA, "leaver", w.apac, interact.Licenses{}, roles...)
	noErr(t, w.db.DeleteService(ctx, w.adminA, svc.ID))
	noErr(t, w.db.DeleteOU(ctx, w.adminA, ou))

	if _, err := w.db.UpdateUser(ctx, w.adminA, kept.ID, interact.UserUpdate{Name: ptr("Holder")}); err != nil {
		t.Errorf("change the holder of dangling roles: %v", err)
	}
	if _, err := w.db.UpdateUser(ctx, w.adminA, kept.ID, interact.UserUpdate{Roles: &[]interact.Role{}}); err != nil {
		t.Errorf("revoke dangling roles: %v", err)
	}
	if err := w.db.DeleteUser(ctx, w.adminA, gone.ID); err != nil {
		t.Errorf("delete the holder of dangling roles: %v", err)
	}
	// Granting a role on a vanished scope is still invalid input.
	w.refuse(t, []refusal{{"OU admin re-grants a vanished scope", interact.EINVALID, func(ctx context.Context) error {
		return errOf(w.db.UpdateUser(ctx, w.emeaAdmin, w.agent.UserID, interact.UserUpdate{Roles: &[]interact.Role{serviceOwner(svc.ID)}}))
	}}})
}
