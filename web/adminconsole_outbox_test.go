package web_test

import (
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/outbox/smtptest"
)

// A mail the server refuses for good is failed, with the server's answer,
// in the outbox API and on the Outbox page; the Users page invites.
func TestAdminConsoleOutbox(t *testing.T) {
	l := newLiveMail(t, 0, smtptest.Options{Answer: func(_ int, m *smtptest.Message) error {
		if m.To[0] == "refused@live.test" {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "Mailbox <refused> unknown"}
		}
		return nil
	}})
	c := (&env{url: l.url}).console(t)
	c.signIn("admin@live.test", "admin-password")
	users := c.get("/admin/users")
	if !users.has("Leave empty to e-mail the user an invitation") || strings.Contains(users.body, `name="password" type="password" autocomplete="new-password" required`) {
		t.Fatalf("users page with e-mail on:\n%s", users.body)
	}
	page := c.ok("/admin/users", url.Values{"form": {"user-create"}, "name": {"Refused"}, "email": {"refused@live.test"}, "ou": {l.ouID}})
	if !page.has("an invitation to set their password is queued") {
		t.Fatalf("flash after inviting: %s", errorsOf(page))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := l.widget("GET", "/api/v1/outbox?state=failed", "", l.adminToken(), nil)
		items, _ := r.body["items"].([]any)
		if len(items) == 1 {
			m := items[0].(map[string]any)
			if !strings.Contains(m["lastError"].(string), "550") || m["to"] != "refused@live.test" || m["attempts"] != 1.0 {
				t.Fatalf("failed mail: %v", m)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failed mail: %v", r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	box := c.get("/admin/outbox")
	if box.status != 200 || !box.has("E-mail is on") || !box.has(html.EscapeString("Mailbox <refused> unknown")) || !box.has(`data-state="failed"`) {
		t.Fatalf("outbox page:\n%s", box.body)
	}
	if box.has("/password/set?token=") {
		t.Fatal("the outbox page shows a link's secret")
	}
	if r := l.widget("GET", "/api/v1/outbox?state=lost", "", l.adminToken(), nil); r.status != 400 {
		t.Errorf("bad state: %d", r.status)
	}
}

func TestAdminConsoleSaysMailIsOff(t *testing.T) {
	l := newLive(t, 0, interact.Distribution{})
	c := (&env{url: l.url}).console(t)
	if p := c.get("/admin/signin"); !p.has(`href="/password/forgot"`) {
		t.Fatal("no Forgot password? link on the sign-in page")
	}
	c.signIn("admin@live.test", "admin-password")
	box := c.get("/admin/outbox")
	if !box.has("E-mail is off") || !box.has("no invitations") || !box.has("no password reset") {
		t.Fatalf("outbox page without e-mail:\n%s", box.body)
	}
	users := c.get("/admin/users")
	if !users.has("E-mail is off on this installation") || users.has("invitation to set their own password") {
		t.Fatalf("users page without e-mail:\n%s", users.body)
	}
	c.refused("/admin/users", url.Values{"form": {"user-create"}, "name": {"N"}, "email": {"n@live.test"}, "ou": {l.ouID}}, 400, "no e-mail")
}
