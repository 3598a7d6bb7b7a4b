package web_test

import (
	"context"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/outbox/smtptest"
)

// TestLeftMessagesAreMailed: with a notification address on the service,
// each left message (after no agent could take the contact, and out of
// hours) is mailed there with the visitor's address as Reply-To and what
// the visitor typed escaped; without one, nothing is queued.
func TestLeftMessagesAreMailed(t *testing.T) {
	t.Parallel()
	l := newLiveMail(t, 1, smtptest.Options{})
	l.clock.Advance(31 * time.Second) // past the start-up grace: no agent means no_agent at once
	path := "/api/v1/services/" + l.svc.ID
	tok := l.adminToken()
	if r := l.widget("PATCH", path, "", tok, map[string]any{"notifyEmail": "not an address"}); r.status != http.StatusBadRequest || r.code() != interact.EINVALID {
		t.Fatalf("bad notifyEmail: %d %v", r.status, r.body)
	}
	if r := l.widget("GET", path, "", tok, nil); r.body["notifyEmail"] != "" {
		t.Fatalf("a refused notifyEmail was stored: %v", r.body)
	}
	if r := l.adminAPI("PATCH", path, map[string]any{"notifyEmail": " Team@Live.test "}); r.body["notifyEmail"] != "team@live.test" {
		t.Fatalf("notifyEmail: %v", r.body)
	}

	const evilName, evilText = `<img src=x onerror=alert(1)>Mallory`, "<script>alert(2)</script>\nPlease call me back."
	req := chatReq(l.st.WidgetKey)
	req["visitor"] = map[string]any{"name": evilName, "email": "mallory@visitor.test"}
	taskID, vtok, grant := l.begin(shopOrigin, req)
	if grant["state"] != "ended" {
		t.Fatalf("grant %v: want the task ended at once (no agent)", grant)
	}
	if r := l.leaveMessage(taskID, vtok, evilText); r.status != http.StatusNoContent {
		t.Fatalf("leave message: %d %v", r.status, r.body)
	}
	m := l.smtp.Wait(t, 1, 10*time.Second)[0]
	if len(m.To) != 1 || m.To[0] != "team@live.test" || m.Header.Get("Reply-To") != "<mallory@visitor.test>" && m.Header.Get("Reply-To") != "mallory@visitor.test" {
		t.Fatalf("mail to %v, Reply-To %q", m.To, m.Header.Get("Reply-To"))
	}
	if subj := m.Header.Get("Subject"); !strings.Contains(subj, "New message for Support") {
		t.Errorf("subject %q", subj)
	}
	if text := strings.ReplaceAll(m.Text, "\r\n", "\n"); !strings.Contains(text, evilText) || !strings.Contains(m.Text, "no agent was available") {
		t.Errorf("text part lacks the message or why:\n%s", m.Text)
	}
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<img src=x") || !strings.Contains(m.HTML, "&lt;script&gt;alert(2)") {
		t.Errorf("visitor input not escaped in the HTML part:\n%s", m.HTML)
	}
	// Once per task: a second message is refused, and mails nothing.
	if r := l.leaveMessage(taskID, vtok, "again"); r.status != http.StatusConflict {
		t.Fatalf("second message: %d", r.status)
	}

	// Out of hours, in the visitor's language.
	closed := officeHours()
	closed["closedNow"] = true
	l.setHours(closed)
	r := l.widgetLang("POST", "/widget/v1/leave-message?contactId="+l.st.ContactID, "de-CH,de;q=0.9", map[string]any{
		"widgetKey": l.st.WidgetKey, "visitor": map[string]any{"name": "Heidi"}, "text": "Bitte zurückrufen."})
	if r.status != http.StatusCreated {
		t.Fatalf("leave a message out of hours: %d %v", r.status, r.body)
	}
	m = l.smtp.Wait(t, 2, 10*time.Second)[1]
	subj, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if !strings.Contains(subj, "Neue Nachricht für Support von Heidi") || !strings.Contains(m.Text, "außerhalb der Öffnungszeiten") ||
		m.Header.Get("Reply-To") != "" {
		t.Errorf("out-of-hours mail: subject %q, Reply-To %q, text:\n%s", subj, m.Header.Get("Reply-To"), m.Text)
	}

	// No address, no mail: the outbox holds the two mails only.
	l.adminAPI("PATCH", path, map[string]any{"notifyEmail": ""})
	r = l.widgetLang("POST", "/widget/v1/leave-message?contactId="+l.st.ContactID, "", map[string]any{
		"widgetKey": l.st.WidgetKey, "visitor": map[string]any{"name": "Nobody"}, "text": "Hello?"})
	if r.status != http.StatusCreated {
		t.Fatalf("leave a message: %d %v", r.status, r.body)
	}
	items, _ := l.adminAPI("GET", "/api/v1/outbox", nil).body["items"].([]any)
	if len(items) != 2 {
		t.Fatalf("outbox holds %d mails, want the 2 notifications", len(items))
	}
	for _, it := range items {
		if k := it.(map[string]any)["kind"]; k != string(interact.MailOfflineNote) {
			t.Errorf("outbox mail of kind %v", k)
		}
	}
}

// widgetLang is a widget request from the shop with an Accept-Language.
func (l *liveMail) widgetLang(method, path, lang string, body any) wresp {
	l.t.Helper()
	return l.widgetWith(method, path, shopOrigin, "", body, http.Header{"Accept-Language": {lang}})
}

// TestClosedMessageKeepsVisitor: a message left out of hours carries the
// browser's visitor id like a chat does, so it is one of the visitor's
// earlier conversations next time; a malformed id is refused.
func TestClosedMessageKeepsVisitor(t *testing.T) {
	clock := newTestClock(inZurich("2026-03-28 12:00")) // a Saturday: closed
	l := hoursLive(t, clock)
	l.setHours(officeHours())
	id := "aB3_-9zZ0aB3_-9zZ0aB3_"[:interact.VisitorIDLen]
	body := map[string]any{"widgetKey": l.st.WidgetKey, "visitor": map[string]any{"name": "Vera"}, "text": "Call me.", "visitorId": "bad id"}
	before := l.taskCount()
	wantRefused(t, "a malformed visitor id", l.leaveClosed(body), http.StatusBadRequest, interact.EINVALID)
	if l.taskCount() != before {
		t.Fatal("a refused message created a task")
	}
	body["visitorId"] = id
	r := l.leaveClosed(body)
	if r.status != http.StatusCreated {
		t.Fatalf("leave a message: %d %v", r.status, r.body)
	}
	task, err := l.db.Task(context.Background(), r.body["taskId"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if want := interact.VisitorKey(l.st.ContactID, shopOrigin, id); task.VisitorKey != want || want == "" {
		t.Fatalf("visitor key %q, want %q", task.VisitorKey, want)
	}
}
