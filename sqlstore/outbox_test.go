package sqlstore_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
)

// ownStore opens a store of its own on the test's engine (a fresh
// PostgreSQL database), where no other test queues or claims mail.
func ownStore(t *testing.T) *sqlstore.DB {
	t.Helper()
	if engineOf(t) == enginePostgres {
		return openURL(t, freshPostgresDatabase(t))
	}
	return openStore(t)
}

func testMail(tenant string, i int) *interact.Mail {
	return &interact.Mail{TenantID: tenant, Kind: "test", From: "noreply@example.test", To: fmt.Sprintf("u%d@example.test", i),
		Subject: fmt.Sprintf("Mail %d", i), Text: "text", HTML: "<p>html</p>"}
}

func TestOutboxClaimIsFencedAndOnce(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		db, ctx := ownStore(t), t.Context()
		for i := range 3 {
			noErr(t, db.QueueMail(ctx, testMail("t1", i)))
		}
		token, ok, err := db.AcquireLease(ctx, sqlstore.OutboxLease, "node-a", time.Minute)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if _, err := db.ClaimMails(ctx, "node-a", token+1, 10, time.Minute); !errors.Is(err, interact.ErrFenced) {
			t.Fatalf("claim with a stale token: %v, want fenced", err)
		}
		first, err := db.ClaimMails(ctx, "node-a", token, 2, time.Minute)
		noErr(t, err)
		second, err := db.ClaimMails(ctx, "node-a", token, 10, time.Minute)
		noErr(t, err)
		if len(first) != 2 || len(second) != 1 || first[0].Subject != "Mail 0" || first[0].Text != "text" || first[0].Attempts != 1 {
			t.Fatalf("claims: %+v then %+v", first, second)
		}
		if third, _ := db.ClaimMails(ctx, "node-a", token, 10, time.Minute); len(third) != 0 {
			t.Fatalf("claimed mails were claimed again: %+v", third)
		}
		due, err := db.MailsDue(ctx)
		if err != nil || due {
			t.Fatalf("due while all are claimed: %v %v", due, err)
		}
		noErr(t, db.MailSent(ctx, first[0].ID))
		noErr(t, db.MailDeferred(ctx, first[1].ID, "451 later", time.Now().Add(time.Hour)))
		noErr(t, db.MailFailed(ctx, second[0].ID, "550 no such user"))
		list, next, err := db.Outbox(ctx, interact.Actor{TenantID: "t1", Roles: []interact.Role{{Role: interact.RoleTenantAdmin}}}, interact.OutboxFilter{})
		noErr(t, err)
		if len(list) != 3 || next != "" {
			t.Fatalf("outbox: %d mails, next %q", len(list), next)
		}
		byID := map[string]interact.Mail{}
		for _, m := range list {
			byID[m.ID] = m
		}
		if m := byID[first[0].ID]; m.State != interact.MailSent || m.SentAt == nil || m.NextAttemptAt != nil {
			t.Errorf("sent: %+v", m)
		}
		if m := byID[first[1].ID]; m.State != interact.MailQueued || m.LastError != "451 later" || m.NextAttemptAt == nil {
			t.Errorf("deferred: %+v", m)
		}
		if m := byID[second[0].ID]; m.State != interact.MailFailed || m.LastError != "550 no such user" {
			t.Errorf("failed: %+v", m)
		}
		// After its backoff, the deferred mail is due again; sent and
		// failed ones never are.
		db.SetClock(func() time.Time { return time.Now().Add(2 * time.Hour) })
		again, err := db.ClaimMails(ctx, "node-a", token, 10, time.Minute)
		noErr(t, err)
		if len(again) != 1 || again[0].ID != first[1].ID || again[0].Attempts != 2 {
			t.Fatalf("after the backoff only the deferred mail is due: %+v", again)
		}
	})
}

func TestOutboxClaimRunsOut(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		db, ctx := ownStore(t), t.Context()
		noErr(t, db.QueueMail(ctx, testMail("t1", 0)))
		token, _, err := db.AcquireLease(ctx, sqlstore.OutboxLease, "node-a", time.Minute)
		noErr(t, err)
		got, err := db.ClaimMails(ctx, "node-a", token, 10, time.Second)
		noErr(t, err)
		db.SetClock(func() time.Time { return time.Now().Add(2 * time.Second) })
		again, err := db.ClaimMails(ctx, "node-a", token, 10, time.Second)
		noErr(t, err)
		if len(got) != 1 || len(again) != 1 || again[0].MessageID != got[0].MessageID || again[0].Attempts != 2 {
			t.Fatalf("claim, then after it ran out: %+v / %+v", got, again)
		}
	})
}

func TestOutboxIsForTenantAdmins(t *testing.T) {
	eachEngine(t, func(t *testing.T) {
		w := newWorld(t)
		ctx := t.Context()
		noErr(t, w.db.QueueMail(ctx, testMail(w.a.ID, 0)))
		noErr(t, w.db.QueueMail(ctx, testMail(w.b.ID, 1)))
		a, _, err := w.db.Outbox(ctx, w.adminA, interact.OutboxFilter{})
		noErr(t, err)
		if len(a) != 1 || a[0].TenantID != w.a.ID || a[0].Text != "" {
			t.Fatalf("tenant A's outbox: %+v", a)
		}
		_, _, err = w.db.Outbox(ctx, w.emeaAdmin, interact.OutboxFilter{})
		wantCode(t, err, interact.EFORBIDDEN)
		_, _, err = w.db.Outbox(ctx, w.adminA, interact.OutboxFilter{State: "lost"})
		wantCode(t, err, interact.EINVALID)
		bad := testMail(w.a.ID, 2)
		bad.Subject = "two\r\nBcc: x@example.test"
		wantCode(t, w.db.QueueMail(ctx, bad), interact.EINVALID)
	})
}
