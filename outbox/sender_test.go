package outbox_test

import (
	"context"
	"crypto/tls"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/outbox"
	"github.com/interact-oss/interact/outbox/smtptest"
	"github.com/interact-oss/interact/sqlstore"
)

// eachEngine runs body on SQLite, and on PostgreSQL when
// INTERACT_TEST_DATABASE_URL names a database.
func eachEngine(t *testing.T, body func(t *testing.T, url string)) {
	t.Run("sqlite", func(t *testing.T) { body(t, "sqlite:"+filepath.Join(t.TempDir(), "test.db")) })
	if base := os.Getenv("INTERACT_TEST_DATABASE_URL"); base != "" {
		t.Run("postgres", func(t *testing.T) { body(t, ownDatabase(t, base)) })
	}
}

// ownDatabase creates a PostgreSQL database for one test, so that no other
// package's tests queue or claim mail in it.
func ownDatabase(t *testing.T, base string) string {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "interact_outbox_" + strings.ToLower(strings.NewReplacer("/", "_", "-", "_").Replace(t.Name()))
	admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if a, err := sql.Open("pgx", base); err == nil {
			a.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`)
			a.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func open(t testing.TB, url string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// queue queues n test mails of a tenant unique to the test.
func queue(t testing.TB, db *sqlstore.DB, tenant string, n int) []*interact.Mail {
	t.Helper()
	var out []*interact.Mail
	for i := range n {
		m := &interact.Mail{TenantID: tenant, Kind: "test", From: "interact <noreply@example.test>", To: fmt.Sprintf("user%d@example.test", i),
			Subject: fmt.Sprintf("Mail %d", i), Text: "Hello, plain text.", HTML: "<p>Hello, <b>HTML</b>.</p>"}
		if err := db.QueueMail(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// start starts a sender to srv, fast backoff, stopped when the test ends.
func start(t testing.TB, db outbox.Store, srv *smtptest.Server, tweak ...func(*outbox.Config)) *outbox.Sender {
	t.Helper()
	cfg := outbox.Config{SMTP: outbox.SMTP{Host: "127.0.0.1", Port: srv.Port, TLS: outbox.NoTLS},
		Timeout: 2 * time.Second, Poll: 20 * time.Millisecond, Backoff: 50 * time.Millisecond, LeaseTTL: time.Second}
	for _, f := range tweak {
		f(&cfg)
	}
	s, err := outbox.Start(cfg, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// mailOf returns the tenant's outbox entry of a mail, as an admin sees it.
func mailOf(t testing.TB, db *sqlstore.DB, id string) interact.Mail {
	t.Helper()
	all, _, err := db.Outbox(context.Background(), interact.Actor{TenantID: "", Roles: []interact.Role{{Role: interact.RoleOperator}}}, interact.OutboxFilter{Limit: interact.MaxOutboxPage})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("mail %s not in the outbox", id)
	return interact.Mail{}
}

// waitState polls the outbox until the mail reaches state.
func waitState(t testing.TB, db *sqlstore.DB, id string, state interact.MailState) interact.Mail {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		m := mailOf(t, db, id)
		if m.State == state {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("mail %s is %s (%q), want %s", id, m.State, m.LastError, state)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOutboxDeliversWithItsHeaders(t *testing.T) {
	eachEngine(t, func(t *testing.T, url string) {
		db := open(t, url)
		srv := smtptest.Start(t, smtptest.Options{})
		m := queue(t, db, interact.NewID(), 1)[0]
		start(t, db, srv)
		got := srv.Wait(t, 1, 10*time.Second)[0]
		h := got.Header
		checks := map[string][2]string{
			"From":           {h.Get("From"), `"interact" <noreply@example.test>`},
			"To":             {h.Get("To"), "<user0@example.test>"},
			"Subject":        {h.Get("Subject"), "Mail 0"},
			"Message-ID":     {h.Get("Message-Id"), "<" + m.MessageID + ">"},
			"Auto-Submitted": {h.Get("Auto-Submitted"), "auto-generated"},
			"content type":   {got.ContentType, "multipart/alternative"},
			"text":           {strings.TrimSpace(got.Text), "Hello, plain text."},
			"html":           {strings.TrimSpace(got.HTML), "<p>Hello, <b>HTML</b>.</p>"},
			"envelope to":    {strings.Join(got.To, ","), "user0@example.test"},
		}
		for name, c := range checks {
			if c[0] != c[1] {
				t.Errorf("%s = %q, want %q", name, c[0], c[1])
			}
		}
		if d, err := h.Date(); err != nil || !d.Equal(m.CreatedAt.Truncate(time.Second)) {
			t.Errorf("Date = %v (%v), want the queueing time %v", d, err, m.CreatedAt)
		}
		sent := waitState(t, db, m.ID, interact.MailSent)
		if sent.Attempts != 1 || sent.SentAt == nil || sent.NextAttemptAt != nil {
			t.Errorf("sent mail: %+v", sent)
		}
	})
}

func TestOutboxRetriesTemporaryFailures(t *testing.T) {
	eachEngine(t, func(t *testing.T, url string) {
		db := open(t, url)
		srv := smtptest.Start(t, smtptest.Options{Answer: func(n int, _ *smtptest.Message) error {
			if n <= 2 {
				return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Try again later, greylisted"}
			}
			return nil
		}})
		m := queue(t, db, interact.NewID(), 1)[0]
		start(t, db, srv)
		sent := waitState(t, db, m.ID, interact.MailSent)
		if got := srv.Messages(); len(got) != 1 || got[0].Header.Get("Message-Id") != "<"+m.MessageID+">" {
			t.Fatalf("accepted %d mails, want the one mail once", len(got))
		}
		if sent.Attempts != 3 || srv.Attempts() != 3 || !strings.Contains(sent.LastError, "greylisted") {
			t.Errorf("attempts %d (server saw %d), last error %q: want 3 and the 451 answer", sent.Attempts, srv.Attempts(), sent.LastError)
		}
	})
}

func TestOutboxFailsPermanentRefusals(t *testing.T) {
	eachEngine(t, func(t *testing.T, url string) {
		db := open(t, url)
		srv := smtptest.Start(t, smtptest.Options{Answer: func(_ int, m *smtptest.Message) error {
			if m.Header.Get("Subject") == "Mail 0" {
				return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox here"}
			}
			return nil
		}})
		mails := queue(t, db, interact.NewID(), 2)
		start(t, db, srv)
		failed := waitState(t, db, mails[0].ID, interact.MailFailed)
		waitState(t, db, mails[1].ID, interact.MailSent)
		if !strings.Contains(failed.LastError, "550") || !strings.Contains(failed.LastError, "No such mailbox here") || failed.Attempts != 1 {
			t.Errorf("failed mail: attempts %d, answer %q", failed.Attempts, failed.LastError)
		}
		if srv.Attempts() != 2 {
			t.Errorf("server saw %d attempts, want 2 (no retry of a refused mail)", srv.Attempts())
		}
	})
}

func TestOutboxGivesUpAfterMaxAttempts(t *testing.T) {
	db := open(t, "sqlite:"+filepath.Join(t.TempDir(), "test.db"))
	srv := smtptest.Start(t, smtptest.Options{Answer: func(int, *smtptest.Message) error {
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "Overloaded"}
	}})
	m := queue(t, db, interact.NewID(), 1)[0]
	start(t, db, srv, func(c *outbox.Config) { c.MaxAttempts = 3 })
	failed := waitState(t, db, m.ID, interact.MailFailed)
	if failed.Attempts != 3 || !strings.Contains(failed.LastError, "gave up after 3 attempts") || !strings.Contains(failed.LastError, "Overloaded") {
		t.Errorf("failed mail: attempts %d, answer %q", failed.Attempts, failed.LastError)
	}
}

func TestOutboxUnreachableServerIsRetried(t *testing.T) {
	db := open(t, "sqlite:"+filepath.Join(t.TempDir(), "test.db"))
	srv := smtptest.Start(t, smtptest.Options{})
	m := queue(t, db, interact.NewID(), 1)[0]
	// A port nobody listens on first, then the server: the mail waits.
	dead := outbox.SMTP{Host: "127.0.0.1", Port: freePort(t), TLS: outbox.NoTLS}
	s := start(t, db, srv, func(c *outbox.Config) { c.SMTP = dead })
	deferred := waitForError(t, db, m.ID)
	if deferred.State != interact.MailQueued || !strings.Contains(deferred.LastError, "cannot reach the SMTP server") {
		t.Fatalf("mail while the server is away: %+v", deferred)
	}
	s.Close()
	start(t, db, srv)
	waitState(t, db, m.ID, interact.MailSent)
	if n := len(srv.Messages()); n != 1 {
		t.Fatalf("%d mails delivered, want 1", n)
	}
}

func waitForError(t *testing.T, db *sqlstore.DB, id string) interact.Mail {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := mailOf(t, db, id); m.LastError != "" {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("no error recorded")
	return interact.Mail{}
}

func TestOutboxStartTLSWithAuth(t *testing.T) {
	db := open(t, "sqlite:"+filepath.Join(t.TempDir(), "test.db"))
	serverTLS, roots := smtptest.NewTLS(t)
	srv := smtptest.Start(t, smtptest.Options{TLS: serverTLS, Username: "mailer", Password: "s3cret"})
	m := queue(t, db, interact.NewID(), 1)[0]
	start(t, db, srv, func(c *outbox.Config) {
		c.SMTP = outbox.SMTP{Host: "127.0.0.1", Port: srv.Port, TLS: outbox.StartTLS, Username: "mailer", Password: "s3cret"}
		c.TLSConfig = &tls.Config{RootCAs: roots}
	})
	waitState(t, db, m.ID, interact.MailSent)
}

// A claim that ran out (its sender was killed after claiming) makes the
// mail due again, and it is sent once.
func TestOutboxSendsMailOfADeadSenderOnce(t *testing.T) {
	eachEngine(t, func(t *testing.T, url string) {
		db := open(t, url)
		srv := smtptest.Start(t, smtptest.Options{})
		m := queue(t, db, interact.NewID(), 1)[0]
		ctx := context.Background()
		var claimed []interact.Mail
		for len(claimed) == 0 || claimed[len(claimed)-1].ID != m.ID { // other tests' mails may share a PostgreSQL database
			token, ok, err := db.AcquireLease(ctx, outbox.LeaseName, "dead-node", 200*time.Millisecond)
			if err != nil || !ok {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			got, err := db.ClaimMails(ctx, "dead-node", token, interact.MaxOutboxPage, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			claimed = append(claimed, got...)
			if len(got) == 0 {
				t.Fatal("nothing to claim")
			}
		}
		if mailOf(t, db, m.ID).State != interact.MailSending {
			t.Fatal("claimed mail is not sending")
		}
		start(t, db, srv)
		sent := waitState(t, db, m.ID, interact.MailSent)
		if sent.Attempts != 2 {
			t.Errorf("attempts %d, want 2 (the dead sender's and the new one's)", sent.Attempts)
		}
		n := 0
		for _, got := range srv.Messages() {
			if got.Header.Get("Message-Id") == "<"+m.MessageID+">" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("delivered %d times, want once", n)
		}
	})
}

// Two nodes on one store: one sender at a time, every mail once.
func TestOutboxOneSenderAcrossNodes(t *testing.T) {
	eachEngine(t, func(t *testing.T, url string) {
		a, b := open(t, url), open(t, url)
		srv := smtptest.Start(t, smtptest.Options{})
		mails := queue(t, a, interact.NewID(), 40)
		sa, sb := start(t, a, srv), start(t, b, srv)
		for _, m := range mails {
			waitState(t, a, m.ID, interact.MailSent)
		}
		seen := map[string]int{}
		for _, got := range srv.Messages() {
			seen[got.Header.Get("Message-Id")]++
		}
		for _, m := range mails {
			if n := seen["<"+m.MessageID+">"]; n != 1 {
				t.Errorf("mail %s delivered %d times", m.ID, n)
			}
		}
		if sa.Sent()+sb.Sent() != int64(len(mails)) || (sa.Sent() != 0 && sb.Sent() != 0) {
			t.Errorf("node A sent %d, node B %d: want all %d by one of them", sa.Sent(), sb.Sent(), len(mails))
		}
	})
}
