package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/interact-oss/interact"
)

const (
	visitorA = "AbCdEfGhIjKlMnOpQrStUv" // 22 base64url characters: 128 bits
	visitorB = "ZyXwVuTsRqPoNmLkJiHgFe"
)

// chatAs is a chat request from the browser whose visitor id is id.
func chatAs(key, id, email string) map[string]any {
	body := chatReq(key)
	if id != "" {
		body["visitorId"] = id
	}
	if email != "" {
		body["visitor"] = map[string]any{"name": "Vera Visitor", "email": email}
	}
	return body
}

func (l *live) previous(contactID, taskID, token, origin string) wresp {
	l.t.Helper()
	return l.widget("GET", "/widget/v1/tasks/"+taskID+"/previous?contactId="+url.QueryEscape(contactID), origin, token, nil)
}

// TestVisitorHistoryAPI: a browser's visitor id links its tasks. The agent
// holding the new task lists the earlier one; the visitor reads their
// previous conversation through their own token where the service shows
// it — and an id carried to another origin or contact, another id, no id
// or the same e-mail address reveal nothing.
func TestVisitorHistoryAPI(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	agent := l.agentSocket(0)
	if cfg := l.config(l.st.ContactID, l.st.WidgetKey, shopOrigin); cfg.body["visitorHistory"] != false {
		t.Fatalf("config of a new service: visitorHistory %v, want false", cfg.body["visitorHistory"])
	}

	// The first visit: a chat, ended and rated.
	first, firstTok, _ := l.begin(shopOrigin, chatAs(l.st.WidgetKey, visitorA, "vera@example.test"))
	v := l.dialVisitorOK(shopOrigin, firstTok, 0)
	v.next("hello")
	offer := data(agent.awaitWhere("offer", func(f map[string]any) bool { return field(data(f), "task")["id"] == first }))
	agent.reply(agent.send("offer.accept", map[string]any{"offerId": offer["offerId"]}))
	v.awaitWhere("task.state", func(f map[string]any) bool { return data(f)["state"] == "connected" })
	v.reply(v.send("message.send", map[string]any{"clientId": "v1", "text": "Where is parcel 4711?"}))
	endByAgent(t, agent, first)
	if r := l.rate(first, firstTok, shopOrigin, map[string]any{"stars": 5, "comment": "Fast"}); r.status != 200 {
		t.Fatalf("rate: %d %v", r.status, r.body)
	}

	// Malformed visitor ids are refused before any task exists.
	before := l.taskCount()
	for _, id := range []string{"short", visitorA + "x", "AbCdEfGhIjKlMnOpQrSt!!", "AbCdEfGhIjKlMnOpQrSt=="} {
		wantRefused(t, "visitor id "+id, l.start(l.st.ContactID, shopOrigin, chatAs(l.st.WidgetKey, id, "")), 400, interact.EINVALID)
	}
	if n := l.taskCount(); n != before {
		t.Fatalf("refused starts made %d tasks", n-before)
	}

	// The second visit from the same browser.
	second, secondTok, _ := l.begin(shopOrigin, chatAs(l.st.WidgetKey, visitorA, ""))
	wantRefused(t, "history off", l.previous(l.st.ContactID, second, secondTok, shopOrigin), 403, interact.EHISTORYDISABLED)
	l.adminAPI("PUT", "/api/v1/services/"+l.svc.ID+"/interact", map[string]any{"visitorHistory": true})
	if cfg := l.config(l.st.ContactID, l.st.WidgetKey, shopOrigin); cfg.body["visitorHistory"] != true {
		t.Fatalf("config after switching on: %v", cfg.body["visitorHistory"])
	}
	prev := l.previous(l.st.ContactID, second, secondTok, shopOrigin)
	items, _ := prev.body["items"].([]any)
	if prev.status != 200 || prev.body["taskId"] != first || !containsText(items, "Where is parcel 4711?") {
		t.Fatalf("previous conversation: %d %v", prev.status, prev.body)
	}
	wantRefused(t, "another task's token", l.previous(l.st.ContactID, second, firstTok, shopOrigin), 404, interact.ENOTFOUND)
	wantRefused(t, "no token", l.previous(l.st.ContactID, second, "", shopOrigin), 401, interact.EUNAUTHORIZED)
	wantRefused(t, "the first visit has none before it", l.previous(l.st.ContactID, first, firstTok, shopOrigin), 404, interact.ENOTFOUND)

	// The same id on another origin or another contact, another id, no id,
	// or the first visit's e-mail address: nothing.
	other, err := l.db.CreateService(context.Background(), l.admin, interact.Service{Name: "Sales", OUID: l.ouID,
		License: interact.LicenseContactCenter, InteractLicense: true, Distribution: interact.Distribution{Type: interact.DistributeDirect}})
	if err != nil {
		t.Fatal(err)
	}
	on := true
	otherSt, err := l.db.UpdateInteract(context.Background(), l.admin, interact.OwnerService, other.ID, interact.InteractUpdate{InstantMessage: &on, VisitorHistory: &on})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what, contact, key, origin, id, email string
	}{
		{"the same id on another origin", l.st.ContactID, l.st.WidgetKey, blogOrigin, visitorA, ""},
		{"the same id on another contact", otherSt.ContactID, otherSt.WidgetKey, shopOrigin, visitorA, ""},
		{"another id", l.st.ContactID, l.st.WidgetKey, shopOrigin, visitorB, "vera@example.test"},
		{"no id, the same e-mail", l.st.ContactID, l.st.WidgetKey, shopOrigin, "", "vera@example.test"},
	} {
		r := l.start(c.contact, c.origin, chatAs(c.key, c.id, c.email))
		if r.status != http.StatusCreated {
			t.Fatalf("%s: start %d %v", c.what, r.status, r.body)
		}
		id, tok := r.body["taskId"].(string), r.body["token"].(string)
		wantRefused(t, c.what, l.previous(c.contact, id, tok, c.origin), 404, interact.ENOTFOUND)
		if c.contact == l.st.ContactID {
			if got, _ := l.db.EarlierSessions(context.Background(), l.admin, id); len(got) != 0 {
				t.Errorf("%s: earlier sessions %+v", c.what, got)
			}
		}
	}

	// The agent who takes the second visit sees the first in the side panel.
	offer = data(agent.awaitWhere("offer", func(f map[string]any) bool { return field(data(f), "task")["id"] == second }))
	agent.reply(agent.send("offer.accept", map[string]any{"offerId": offer["offerId"]}))
	visits := l.widget("GET", "/api/v1/me/tasks/"+second+"/visits", "", l.tokens[0], nil)
	list, _ := visits.body["items"].([]any)
	if visits.status != 200 || len(list) != 1 {
		t.Fatalf("visits: %d %v", visits.status, visits.body)
	}
	e := list[0].(map[string]any)
	if e["id"] != first || e["serviceName"] != "Support" || e["outcome"] != interact.OutcomeHandled || e["transcriptReadable"] != true ||
		field(e, "rating")["stars"] != 5.0 || field(e, "rating")["comment"] != "Fast" || e["agents"].([]any)[0] != "Agent 0" {
		t.Errorf("earlier session %v", e)
	}
	// Someone who may not read the task's transcript gets not_found.
	outsider, _ := l.tokenOf("outsider", l.ouID)
	wantRefused(t, "an agent outside the service", l.widget("GET", "/api/v1/me/tasks/"+second+"/visits", "", outsider, nil), 404, interact.ENOTFOUND)
}

// containsText reports whether messages hold one with text.
func containsText(items []any, text string) bool {
	for _, it := range items {
		if m, _ := it.(map[string]any); m["text"] == text {
			return true
		}
	}
	return false
}
