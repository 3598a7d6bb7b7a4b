package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/outbox"
	"github.com/interact-oss/interact/outbox/smtptest"
	"github.com/interact-oss/interact/web"
	"github.com/interact-oss/interact/web/agentapi"
)

// liveMail is a live stack with e-mail on: an outbox sender delivering to
// an SMTP server in the test process.
type liveMail struct {
	*live
	smtp *smtptest.Server
}

func newLiveMail(t *testing.T, agents int, opts smtptest.Options) *liveMail {
	t.Helper()
	srv := smtptest.Start(t, opts)
	var l *live
	var sender *outbox.Sender
	l = newLiveWith(t, agents, interact.Distribution{}, func(c *web.Config) {
		c.MailFrom = "interact <noreply@live.test>"
		c.MailQueued = func() { sender.Wake() }
	})
	var err error
	sender, err = outbox.Start(outbox.Config{SMTP: outbox.SMTP{Host: "127.0.0.1", Port: srv.Port, TLS: outbox.NoTLS},
		Timeout: 2 * time.Second, Poll: 50 * time.Millisecond, Backoff: 50 * time.Millisecond}, l.db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sender.Close)
	return &liveMail{live: l, smtp: srv}
}

var linkPattern = regexp.MustCompile(`http://[^\s"<>]+/password/set\?token=([A-Za-z0-9_]+)`)

// mailTo waits for the n-th mail (counting from 1) to address and returns
// it with the token of its link.
func (l *liveMail) mailTo(address string, n int) (smtptest.Message, string) {
	l.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var got []smtptest.Message
		for _, m := range l.smtp.Messages() {
			if len(m.To) == 1 && m.To[0] == address {
				got = append(got, m)
			}
		}
		if len(got) >= n {
			m := got[n-1]
			link := linkPattern.FindStringSubmatch(m.Text)
			if link == nil {
				l.t.Fatalf("mail to %s has no link: %s", address, m.Text)
			}
			return m, link[1]
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("%d mails to %s, want %d", len(got), address, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// post sends a JSON request as a browser on the same origin would.
func (l *live) post(path string, body any) wresp {
	l.t.Helper()
	return l.widget("POST", path, l.url, "", body)
}

func TestPasswordResetAnswersAlike(t *testing.T) {
	l := newLiveMail(t, 1, smtptest.Options{})
	known := l.post("/api/v1/password-reset", map[string]any{"email": l.agents[0].Email})
	unknown := l.post("/api/v1/password-reset", map[string]any{"email": "nobody@live.test"})
	if known.status != 202 || unknown.status != 202 || known.body["message"] != unknown.body["message"] {
		t.Fatalf("known %d %v, unknown %d %v: want the same 202", known.status, known.body, unknown.status, unknown.body)
	}
	m, _ := l.mailTo(l.agents[0].Email, 1)
	if !strings.Contains(m.Header.Get("Subject"), "Reset your interact password") || m.HTML == "" {
		t.Errorf("reset mail: %q", m.Header.Get("Subject"))
	}
	if r := l.post("/api/v1/password-reset", map[string]any{"email": "not an address"}); r.status != 400 {
		t.Errorf("bad address: %d", r.status)
	}
	for range 2 { // the per-address limit is 3 an hour, for any address
		l.post("/api/v1/password-reset", map[string]any{"email": "nobody@live.test"})
	}
	if r := l.post("/api/v1/password-reset", map[string]any{"email": "nobody@live.test"}); r.status != 429 || field(r.body, "error")["code"] != interact.ERATELIMITED {
		t.Errorf("fourth request for one address: %d %v, want 429", r.status, r.body)
	}
	for range 10 {
		l.post("/api/v1/password-reset", map[string]any{"email": "someone" + interact.NewID()[20:] + "@live.test"})
	}
	if r := l.post("/api/v1/password-reset", map[string]any{"email": "fresh@live.test"}); r.status != 429 {
		t.Errorf("requests over the per-client limit: %d, want 429", r.status)
	}
}

func TestPasswordResetWithoutMail(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{})
	if r := l.post("/api/v1/password-reset", map[string]any{"email": l.agents[0].Email}); r.status != 503 || field(r.body, "error")["code"] != interact.EMAILOFF {
		t.Fatalf("reset without e-mail: %d %v", r.status, r.body)
	}
	page := getPage(t, l.url+"/password/forgot")
	if !strings.Contains(page, `id="mail-off"`) || strings.Contains(page, `<button`) {
		t.Errorf("forgot page without e-mail offers to send:\n%s", page)
	}
	r := l.widget("POST", "/api/v1/users", "", l.adminToken(), map[string]any{"email": "new@live.test", "name": "New", "ouId": l.ouID})
	if r.status != 400 || !strings.Contains(field(r.body, "error")["message"].(string), "no e-mail") {
		t.Fatalf("user without a password and without e-mail: %d %v", r.status, r.body)
	}
}

// A reset signs the user out everywhere: REST sessions and open agent
// sockets, on session cookies; the link works once; the new password signs in.
func TestPasswordResetRevokesSessions(t *testing.T) {
	l := newLiveMail(t, 2, smtptest.Options{})
	email := l.agents[0].Email
	h, _ := l.signIn(email, "agent-password")
	gone, other := l.rawAgentSocket(h), l.rawAgentSocket(bearer(l.tokens[1]))
	l.post("/api/v1/password-reset", map[string]any{"email": email})
	_, token := l.mailTo(email, 1)
	if r := l.post("/api/v1/password-reset/confirm", map[string]any{"token": token, "password": "short"}); r.status != 400 {
		t.Fatalf("short password: %d", r.status)
	}
	if r := l.post("/api/v1/password-reset/confirm", map[string]any{"token": token, "password": "a fresh password 1"}); r.status != 204 {
		t.Fatalf("confirm: %d %v", r.status, r.body)
	}
	gone.closedWith(agentapi.CloseRevoked)
	other.alive()
	req, _ := http.NewRequest("GET", l.url+"/api/v1/session", nil)
	req.Header = h.Clone()
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("old session after the reset: %v %v", resp.StatusCode, err)
	}
	if r := l.post("/api/v1/password-reset/confirm", map[string]any{"token": token, "password": "another password 2"}); r.status != 410 || field(r.body, "error")["code"] != interact.ELINKUSED {
		t.Fatalf("second use: %d %v", r.status, r.body)
	}
	if r := l.post("/api/v1/password-reset/confirm", map[string]any{"token": "ia_nonsense", "password": "another password 2"}); r.status != 404 {
		t.Fatalf("unknown token: %d %v", r.status, r.body)
	}
	l.signIn(email, "a fresh password 1")
}

// An admin creates a user without a password; the invitation arrives, its
// link opens the set-password page, and the new user signs in.
func TestInvitationEndToEnd(t *testing.T) {
	l := newLiveMail(t, 0, smtptest.Options{})
	admin := l.adminToken()
	r := l.widget("POST", "/api/v1/users", "", admin, map[string]any{"email": "invited@live.test", "name": "<script>alert(1)</script>", "ouId": l.ouID})
	if r.status != 201 {
		t.Fatalf("invite: %d %v", r.status, r.body)
	}
	m, token := l.mailTo("invited@live.test", 1)
	if strings.Contains(m.HTML, "<script>") || !strings.Contains(m.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("the name is not escaped in the HTML part:\n%s", m.HTML)
	}
	if !strings.Contains(m.Header.Get("Subject"), "Live") || m.Header.Get("Message-Id") == "" {
		t.Errorf("headers: %v", m.Header)
	}
	page := getPage(t, l.url+"/password/set?token="+url.QueryEscape(token))
	if !strings.Contains(page, "invited@live.test") || !strings.Contains(page, "Welcome") {
		t.Fatalf("set-password page:\n%s", page)
	}
	form := url.Values{"token": {token}, "password": {"my chosen password"}, "password2": {"my chosen password"}}
	if status, body := postForm(t, l.url+"/password/set", form); status != 200 || !strings.Contains(body, `id="password-set"`) {
		t.Fatalf("set password: %d\n%s", status, body)
	}
	l.signIn("invited@live.test", "my chosen password")
	if status, body := postForm(t, l.url+"/password/set", form); status != 410 || !strings.Contains(body, "already been used") {
		t.Fatalf("second use of the link: %d\n%s", status, body)
	}
	outboxPage := l.widget("GET", "/api/v1/outbox", "", admin, nil)
	items, _ := outboxPage.body["items"].([]any)
	if outboxPage.status != 200 || len(items) != 1 || items[0].(map[string]any)["state"] != "sent" || outboxPage.body["mailOn"] != true {
		t.Fatalf("outbox: %d %v", outboxPage.status, outboxPage.body)
	}
}

func getPage(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func postForm(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
