package sqlstore_test

// E-mail addresses are unique per tenant: the same address may name users
// of several tenants, sign-in and password resets choose among them, and
// no answer tells one tenant about another's users.

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
)

func TestEmailPerTenant(t *testing.T) { eachEngine(t, testEmailPerTenant) }

func testEmailPerTenant(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()

	// B may create a user with an address A's agent holds (in any case).
	shared := w.agent.Email
	inB, err := w.db.CreateUser(ctx, w.adminB, interact.User{Email: strings.ToUpper(shared), Name: "B's agent", OUID: w.rootB}, "b's own password")
	noErr(t, err)
	if inB.Email != shared || inB.TenantID != w.b.ID {
		t.Fatalf("created %+v, want %q in tenant B", inB, shared)
	}
	// Each tenant sees its own user only.
	for _, c := range []struct {
		admin interact.Actor
		want  string
		not   string
	}{{w.adminA, w.agent.UserID, inB.ID}, {w.adminB, inB.ID, w.agent.UserID}} {
		us, err := w.db.Users(ctx, c.admin)
		noErr(t, err)
		ids := userIDs(us)
		if !strings.Contains(strings.Join(ids, " "), c.want) || strings.Contains(strings.Join(ids, " "), c.not) {
			t.Errorf("tenant %s lists %v, want %s and not %s", c.admin.TenantID, ids, c.want, c.not)
		}
	}
	// Within a tenant the address stays unique, whatever its case; the
	// refusal speaks of this tenant only.
	_, err = w.db.CreateUser(ctx, w.adminB, interact.User{Email: " " + strings.ToUpper(shared), Name: "Again", OUID: w.rootB}, pw)
	wantCode(t, err, interact.ECONFLICT)
	if msg := interact.ErrorMessage(err); msg != `Another user of this tenant has the e-mail address "`+shared+`".` {
		t.Errorf("conflict message %q", msg)
	}
	_, err = w.db.UpdateUser(ctx, w.adminB, w.adminB.UserID, interact.UserUpdate{Email: ptr(strings.ToUpper(shared))})
	wantCode(t, err, interact.ECONFLICT)
	// Changing an address to one another tenant uses is no conflict.
	moved, err := w.db.UpdateUser(ctx, w.adminB, inB.ID, interact.UserUpdate{Email: ptr(w.adminA.Email)})
	noErr(t, err)
	if moved.Email != w.adminA.Email {
		t.Errorf("updated e-mail %q", moved.Email)
	}
	_, err = w.db.UpdateUser(ctx, w.adminB, inB.ID, interact.UserUpdate{Email: &shared})
	noErr(t, err)

	// Different passwords: each signs in to its own tenant.
	for _, c := range []struct{ password, user, tenant string }{
		{pw, w.agent.UserID, w.a.ID}, {"b's own password", inB.ID, w.b.ID},
	} {
		_, _, a, err := w.db.Login(ctx, strings.ToUpper(shared), c.password, "")
		noErr(t, err)
		if a.UserID != c.user || a.TenantID != c.tenant {
			t.Errorf("password %q signed in as %+v, want user %s of %s", c.password, a, c.user, c.tenant)
		}
	}
	// A wrong password answers as an unknown address does.
	_, _, _, errWrong := w.db.Login(ctx, shared, "nobody's password", "")
	_, _, _, errUnknown := w.db.Login(ctx, w.email("nobody"), "nobody's password", "")
	wantCode(t, errWrong, interact.EUNAUTHORIZED)
	if errWrong.Error() != errUnknown.Error() || interact.ErrorTenants(errWrong) != nil {
		t.Errorf("wrong password %v, unknown address %v: want the same answer", errWrong, errUnknown)
	}
	// A chosen tenant where the password does not fit, or that has no
	// such user, answers the same.
	for _, tenant := range []string{w.b.ID, w.op.TenantID, "no-such-tenant"} {
		_, _, _, err := w.db.Login(ctx, shared, pw, tenant)
		if err == nil || err.Error() != errUnknown.Error() {
			t.Errorf("password of A's user, tenant %s chosen: %v, want %v", tenant, err, errUnknown)
		}
	}
	_, _, _, err = w.db.Login(ctx, shared, pw, strings.Repeat("x", 65))
	wantCode(t, err, interact.EINVALID)

	// The same password in both (and a third tenant where it does not
	// fit): the tenants it fits are listed, and choosing one signs in there.
	_, err = w.db.UpdateUser(ctx, w.adminB, inB.ID, interact.UserUpdate{Password: ptr(pw)})
	noErr(t, err)
	gamma, gammaAdmin := w.tenant(t, "Gamma", "admin-g")
	_, err = w.db.CreateUser(ctx, actorOf(gammaAdmin), interact.User{Email: shared, Name: "G's agent", OUID: gammaAdmin.OUID}, "gamma's password")
	noErr(t, err)
	_, _, _, err = w.db.Login(ctx, shared, pw, "")
	wantCode(t, err, interact.ETENANTREQUIRED)
	want := []interact.TenantChoice{{ID: w.a.ID, Name: w.a.Name}, {ID: w.b.ID, Name: w.b.Name}} // by name
	if diff := cmp.Diff(want, interact.ErrorTenants(err)); diff != "" {
		t.Errorf("tenants to choose from (-want +got):\n%s", diff)
	}
	for _, c := range []struct{ tenant, user string }{{w.a.ID, w.agent.UserID}, {w.b.ID, inB.ID}} {
		tok, _, a, err := w.db.Login(ctx, shared, pw, " "+c.tenant+" ")
		noErr(t, err)
		if a.UserID != c.user || a.TenantID != c.tenant {
			t.Errorf("chose %s, signed in as %+v", c.tenant, a)
		}
		s, _, err := w.db.SessionActor(ctx, tok)
		noErr(t, err)
		if s.UserID != c.user {
			t.Errorf("session of %s is %+v", c.tenant, s)
		}
	}
	_, _, a, err := w.db.Login(ctx, shared, "gamma's password", "")
	noErr(t, err)
	if a.TenantID != gamma.ID {
		t.Errorf("gamma's password signed in to %s", a.TenantID)
	}

	// A tenant that accepts no sign-ins is not offered: the other one is
	// signed in to at once; when it is the only one that fits, it says so.
	suspended, active := interact.TenantSuspended, interact.TenantActive
	_, err = w.db.UpdateTenant(ctx, w.op, w.b.ID, interact.TenantUpdate{State: &suspended})
	noErr(t, err)
	_, _, a, err = w.db.Login(ctx, shared, pw, "")
	noErr(t, err)
	if a.UserID != w.agent.UserID {
		t.Errorf("with B suspended signed in as %+v, want A's agent", a)
	}
	_, _, _, err = w.db.Login(ctx, shared, pw, w.b.ID)
	wantCode(t, err, interact.ETENANTINACTIVE)
	_, err = w.db.UpdateTenant(ctx, w.op, w.b.ID, interact.TenantUpdate{State: &active})
	noErr(t, err)
}

func TestResetPasswordPerTenant(t *testing.T) { eachEngine(t, testResetPasswordPerTenant) }

func testResetPasswordPerTenant(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	const newPW = "reset by the operator"
	shared := w.agent.Email
	inB, err := w.db.CreateUser(ctx, w.adminB, interact.User{Email: shared, Name: "B's agent", OUID: w.rootB}, pw)
	noErr(t, err)
	last := w.lastEntry(t, w.adminA).ID

	// Without a tenant: refused, naming both tenants; nothing changes.
	_, _, err = w.db.ResetPassword(ctx, shared, "", newPW)
	wantCode(t, err, interact.ETENANTREQUIRED)
	want := []interact.TenantChoice{{ID: w.a.ID, Name: w.a.Name}, {ID: w.b.ID, Name: w.b.Name}}
	if diff := cmp.Diff(want, interact.ErrorTenants(err)); diff != "" {
		t.Errorf("tenants (-want +got):\n%s", diff)
	}
	_, _, err = w.db.ResetPassword(ctx, shared, w.op.TenantID, newPW)
	wantCode(t, err, interact.ENOTFOUND)
	if got := w.lastEntry(t, w.adminA).ID; got != last {
		t.Errorf("a refused reset was audited")
	}
	_, _, _, err = w.db.Login(ctx, shared, newPW, "")
	wantCode(t, err, interact.EUNAUTHORIZED)

	// With B chosen: B's user only.
	u, _, err := w.db.ResetPassword(ctx, strings.ToUpper(shared), w.b.ID, newPW)
	noErr(t, err)
	if u.ID != inB.ID {
		t.Errorf("reset %+v, want B's user %s", u, inB.ID)
	}
	for _, c := range []struct{ password, user string }{{newPW, inB.ID}, {pw, w.agent.UserID}} {
		_, _, a, err := w.db.Login(ctx, shared, c.password, "")
		noErr(t, err)
		if a.UserID != c.user {
			t.Errorf("password %q signs in as %s, want %s", c.password, a.UserID, c.user)
		}
	}
	if e := w.lastEntry(t, w.adminB); e.Action != "user.reset_password" || e.EntityID != inB.ID {
		t.Errorf("B's audit entry %+v", e)
	}
	if got := w.lastEntry(t, w.adminA).ID; got != last {
		t.Errorf("B's reset was audited in A")
	}
}
