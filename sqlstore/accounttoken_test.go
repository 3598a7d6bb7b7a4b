package sqlstore_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
)

// composer records the secrets it is given and composes a mail with the
// secret as its text, as web's composer puts it in the link.
type composer struct{ secrets map[string]string } // by user id

func (c *composer) compose(u *interact.User, tenant interact.TenantChoice, secret string) (*interact.Mail, error) {
	if c.secrets == nil {
		c.secrets = map[string]string{}
	}
	c.secrets[u.ID] = secret
	return &interact.Mail{From: "noreply@example.test", Subject: "For " + tenant.Name, Text: "link " + secret}, nil
}

func outboxOf(t *testing.T, w *world, admin interact.Actor) []interact.Mail {
	t.Helper()
	m, _, err := w.db.Outbox(t.Context(), admin, interact.OutboxFilter{Limit: interact.MaxOutboxPage})
	noErr(t, err)
	return m
}

func TestPasswordResetOneMailPerAccount(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		w, ctx := newWorld(t), t.Context()
		shared := w.email("shared")
		ua := w.userWithEmail(t, w.adminA, shared, w.root)
		ub := w.userWithEmail(t, w.adminB, shared, w.rootB)
		var c composer
		n, err := w.db.RequestPasswordReset(ctx, strings.ToUpper(shared), c.compose)
		noErr(t, err)
		if n != 2 || c.secrets[ua.ID] == "" || c.secrets[ub.ID] == "" || c.secrets[ua.ID] == c.secrets[ub.ID] {
			t.Fatalf("queued %d, secrets %v: want one per account", n, c.secrets)
		}
		for _, admin := range []interact.Actor{w.adminA, w.adminB} {
			mails := outboxOf(t, w, admin)
			if len(mails) != 1 || mails[0].To != shared || mails[0].Kind != interact.MailPasswordReset || mails[0].State != interact.MailQueued {
				t.Fatalf("outbox of tenant %s: %+v", admin.TenantID, mails)
			}
		}
		// Unknown addresses queue nothing and answer alike.
		n, err = w.db.RequestPasswordReset(ctx, w.email("nobody"), c.compose)
		if n != 0 || err != nil {
			t.Fatalf("unknown address: %d %v", n, err)
		}
		// The link sets only its own account's password.
		_, err = w.db.SetPasswordWithLink(ctx, c.secrets[ua.ID], "a brand new password")
		noErr(t, err)
		_, _, _, err = w.db.Login(ctx, shared, "a brand new password", "")
		noErr(t, err) // only tenant A's account has this password: no tenant choice needed
		_, _, _, err = w.db.Login(ctx, shared, pw, w.b.ID)
		noErr(t, err)
	})
}

func TestPasswordResetIsCappedPerAccount(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		w, ctx := newWorld(t), t.Context()
		var c composer
		for i := range sqlstore.MaxResetsPerHour + 2 {
			n, err := w.db.RequestPasswordReset(ctx, w.agent.Email, c.compose)
			noErr(t, err)
			if want := min(1, max(0, sqlstore.MaxResetsPerHour-i)); n != want {
				t.Fatalf("request %d queued %d, want %d", i+1, n, want)
			}
		}
		if got := len(outboxOf(t, w, w.adminA)); got != sqlstore.MaxResetsPerHour {
			t.Fatalf("%d mails, want %d", got, sqlstore.MaxResetsPerHour)
		}
	})
}

func TestResetLinkIsSingleUseAndExpires(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		w, ctx := newWorld(t), t.Context()
		var c composer
		_, err := w.db.RequestPasswordReset(ctx, w.agent.Email, c.compose)
		noErr(t, err)
		first := c.secrets[w.agent.UserID]
		_, err = w.db.RequestPasswordReset(ctx, w.agent.Email, c.compose)
		noErr(t, err)
		second := c.secrets[w.agent.UserID]
		session, _, _, err := w.db.Login(ctx, w.agent.Email, pw, "")
		noErr(t, err)

		l, err := w.db.AccountLink(ctx, first)
		noErr(t, err)
		if l.User.ID != w.agent.UserID || l.Purpose != interact.MailPasswordReset || l.Tenant.ID != w.a.ID {
			t.Fatalf("link: %+v", l)
		}
		_, err = w.db.SetPasswordWithLink(ctx, first, "short")
		wantCode(t, err, interact.EINVALID)
		_, err = w.db.SetPasswordWithLink(ctx, first, "the new password 1")
		noErr(t, err)
		_, _, err = w.db.SessionActor(ctx, session)
		wantCode(t, err, interact.EUNAUTHORIZED) // signed out everywhere

		_, err = w.db.SetPasswordWithLink(ctx, first, "the new password 2")
		wantCode(t, err, interact.ELINKUSED)
		_, err = w.db.SetPasswordWithLink(ctx, second, "the new password 2") // the user's other links are spent too
		wantCode(t, err, interact.ELINKUSED)
		_, err = w.db.SetPasswordWithLink(ctx, "ia_"+strings.Repeat("x", 40), "the new password 2")
		wantCode(t, err, interact.ELINKINVALID)
		_, _, _, err = w.db.Login(ctx, w.agent.Email, "the new password 1", "")
		noErr(t, err)

		_, err = w.db.RequestPasswordReset(ctx, w.agent.Email, c.compose)
		noErr(t, err)
		w.db.SetClock(func() time.Time { return time.Now().Add(interact.PasswordResetTTL + time.Second) })
		_, err = w.db.AccountLink(ctx, c.secrets[w.agent.UserID])
		wantCode(t, err, interact.ELINKEXPIRED)
		_, err = w.db.SetPasswordWithLink(ctx, c.secrets[w.agent.UserID], "the new password 3")
		wantCode(t, err, interact.ELINKEXPIRED)
	})
}

func TestInvitationCommitsWithItsMail(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		w, ctx := newWorld(t), t.Context()
		var c composer
		u, err := w.db.InviteUser(ctx, w.adminA, interact.User{Email: w.email("new"), Name: "New", OUID: w.ch}, c.compose)
		noErr(t, err)
		mails := outboxOf(t, w, w.adminA)
		if len(mails) != 1 || mails[0].Kind != interact.MailInvitation || mails[0].To != u.Email || !strings.Contains(mails[0].Subject, w.a.Name) {
			t.Fatalf("outbox: %+v", mails)
		}
		_, _, _, err = w.db.Login(ctx, u.Email, "", "")
		wantCode(t, err, interact.EUNAUTHORIZED) // no password until the link sets one
		l, err := w.db.AccountLink(ctx, c.secrets[u.ID])
		noErr(t, err)
		if l.Purpose != interact.MailInvitation || l.ExpiresAt.Before(time.Now().Add(interact.InvitationTTL-time.Minute)) {
			t.Fatalf("link: %+v", l)
		}
		_, err = w.db.SetPasswordWithLink(ctx, c.secrets[u.ID], "my own password")
		noErr(t, err)
		_, _, _, err = w.db.Login(ctx, u.Email, "my own password", "")
		noErr(t, err)

		// A refused invitation (address taken; composer failing) leaves
		// neither a user nor a mail behind.
		_, err = w.db.InviteUser(ctx, w.adminA, interact.User{Email: u.Email, Name: "Again", OUID: w.ch}, c.compose)
		wantCode(t, err, interact.ECONFLICT)
		_, err = w.db.InviteUser(ctx, w.adminA, interact.User{Email: w.email("other"), Name: "Other", OUID: w.ch},
			func(*interact.User, interact.TenantChoice, string) (*interact.Mail, error) {
				return nil, errors.New("template broke")
			})
		if err == nil {
			t.Fatal("a failing composer was ignored")
		}
		_, err = w.db.InviteUser(ctx, w.emeaAdmin, interact.User{Email: w.email("outside"), Name: "Outside", OUID: w.apac}, c.compose)
		wantCode(t, err, interact.ENOTFOUND) // an OU outside the admin's reach
		if got := len(outboxOf(t, w, w.adminA)); got != 1 {
			t.Fatalf("%d mails after refused invitations, want 1", got)
		}
		users, err := w.db.Users(ctx, w.adminA)
		noErr(t, err)
		for _, x := range users {
			if x.Name == "Other" || x.Name == "Again" || x.Name == "Outside" {
				t.Fatalf("a refused invitation created %+v", x)
			}
		}
	})
}

func (w *world) userWithEmail(t *testing.T, a interact.Actor, email, ou string) *interact.User {
	t.Helper()
	u, err := w.db.CreateUser(t.Context(), a, interact.User{Email: email, Name: "Shared", OUID: ou}, pw)
	noErr(t, err)
	return u
}
