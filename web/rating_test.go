package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/interact-oss/interact"
)

// xssComment is a comment that would run script if it were ever injected
// as HTML.
const xssComment = `Great help <img src=x onerror=alert(1)> thanks`

func (l *live) rate(taskID, token, origin string, body any) wresp {
	l.t.Helper()
	return l.rateAt(l.st.ContactID, taskID, token, origin, body)
}

func (l *live) rateAt(contactID, taskID, token, origin string, body any) wresp {
	l.t.Helper()
	return l.widget("POST", "/widget/v1/tasks/"+taskID+"/rating?contactId="+url.QueryEscape(contactID), origin, token, body)
}

// storedRating is the task's rating in the store (nil when none).
func (l *live) storedRating(taskID string) *interact.Rating {
	l.t.Helper()
	t, err := l.db.Task(context.Background(), taskID)
	if err != nil {
		l.t.Fatal(err)
	}
	return t.Rating
}

// endByAgent ends a connected task from the agent's socket.
func endByAgent(t *testing.T, agent *wsClient, taskID string) {
	t.Helper()
	wantOK(t, "end", agent.reply(agent.send("task.end", map[string]any{"taskId": taskID})))
	agent.awaitWhere("task.ended", func(f map[string]any) bool { return data(f)["taskId"] == taskID })
}

// TestRatingAPI: the visitor rates their ended conversation once through
// the widget endpoint; every refusal has its code and stores nothing; the
// rating reads back everywhere staff see the session, never as HTML.
func TestRatingAPI(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	agent := l.agentSocket(0)
	if cfg := l.config(l.st.ContactID, l.st.WidgetKey, shopOrigin); cfg.body["ratings"] != true {
		t.Fatalf("config of a new service: ratings %v, want true", cfg.body["ratings"])
	}
	taskID, tok, _ := l.connect(agent)
	good := map[string]any{"stars": 4, "comment": xssComment}

	wantRefused(t, "before the end", l.rate(taskID, tok, shopOrigin, good), http.StatusConflict, interact.ETASKNOTENDED)
	endByAgent(t, agent, taskID)

	// Another visitor: their own task is theirs, this one is not.
	otherID, otherTok, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	for _, c := range []struct {
		what, task, token, origin string
		body                      any
		status                    int
		code                      string
	}{
		{"no stars", taskID, tok, shopOrigin, map[string]any{"comment": "hm"}, 400, interact.EINVALID},
		{"zero stars", taskID, tok, shopOrigin, map[string]any{"stars": 0}, 400, interact.EINVALID},
		{"six stars", taskID, tok, shopOrigin, map[string]any{"stars": 6}, 400, interact.EINVALID},
		{"stars as text", taskID, tok, shopOrigin, map[string]any{"stars": "5"}, 400, interact.EINVALID},
		{"comment too long", taskID, tok, shopOrigin, map[string]any{"stars": 3, "comment": strings.Repeat("x", interact.MaxRatingCommentLen+1)}, 400, interact.EINVALID},
		{"unknown field", taskID, tok, shopOrigin, map[string]any{"stars": 3, "score": 9}, 400, interact.EINVALID},
		{"no token", taskID, "", shopOrigin, good, 401, interact.EUNAUTHORIZED},
		{"unknown task", "no-such-task", tok, shopOrigin, good, 404, interact.ENOTFOUND},
		{"another visitor's token", taskID, otherTok, shopOrigin, good, 404, interact.ENOTFOUND},
		{"another origin", taskID, tok, evilOrigin, good, 403, interact.EORIGINREFUSED},
		{"their own task, still open", otherID, otherTok, shopOrigin, good, 409, interact.ETASKNOTENDED},
	} {
		wantRefused(t, c.what, l.rate(c.task, c.token, c.origin, c.body), c.status, c.code)
		if r := l.storedRating(taskID); r != nil {
			t.Fatalf("%s: stored %+v", c.what, r)
		}
	}

	first := l.rate(taskID, tok, shopOrigin, good)
	if first.status != 200 || first.body["stars"] != 4.0 || first.body["comment"] != xssComment {
		t.Fatalf("rate: %d %v", first.status, first.body)
	}
	again := l.rate(taskID, tok, shopOrigin, good)
	if again.status != first.status || again.body["at"] != first.body["at"] || again.body["stars"] != 4.0 {
		t.Errorf("identical resend: %d %v, want %d %v", again.status, again.body, first.status, first.body)
	}
	wantRefused(t, "a different second rating", l.rate(taskID, tok, shopOrigin, map[string]any{"stars": 1}), 409, interact.ERATINGEXISTS)
	if r := l.storedRating(taskID); r == nil || r.Stars != 4 || r.Comment != xssComment {
		t.Errorf("stored rating %+v after the refusal", r)
	}

	// Staff read it on the session: the admin's list, My Sessions, the
	// transcript in its three formats and the admin console's page.
	admin := l.adminToken()
	sessions := l.widget("GET", "/api/v1/sessions?serviceId="+l.svc.ID, "", admin, nil)
	if !hasRating(sessions.body["items"], taskID, "id") {
		t.Errorf("GET /api/v1/sessions: no rating on %s: %v", taskID, sessions.body)
	}
	mine := l.widget("GET", "/api/v1/me/sessions", "", l.tokens[0], nil)
	if !hasRating(mine.body["items"], taskID, "taskId") {
		t.Errorf("GET /api/v1/me/sessions: no rating on %s: %v", taskID, mine.body)
	}
	_, _, raw := l.transcriptGet(taskID, "", admin)
	var tr interact.Transcript
	if err := json.Unmarshal([]byte(raw), &tr); err != nil || tr.Session.Rating == nil || tr.Session.Rating.Comment != xssComment {
		t.Errorf("transcript JSON rating: %v %s", err, raw)
	}
	if _, _, txt := l.transcriptGet(taskID, "?format=txt", admin); !strings.Contains(txt, "Rating: 4 of 5 stars\nRating comment: "+xssComment+"\n") {
		t.Errorf("transcript text lacks the rating:\n%s", txt)
	}
	const escaped = "Great help &lt;img src=x onerror=alert(1)&gt; thanks"
	if _, _, page := l.transcriptGet(taskID, "?format=html", admin); !strings.Contains(page, escaped) || strings.Contains(page, "<img") {
		t.Errorf("transcript page does not show the comment as text:\n%s", page)
	}
	c := (&env{url: l.url}).console(t)
	c.signIn("admin@live.test", "admin-password")
	if p := c.get("/admin/sessions"); !p.has("4 of 5") || !p.has(escaped) || strings.Contains(p.body, "<img") {
		t.Errorf("admin console sessions page does not show the rating as text:\n%s", p.body)
	}
}

// hasRating reports whether the list items hold the rating of task id
// (under key) with the test's comment.
func hasRating(items any, id, key string) bool {
	list, _ := items.([]any)
	for _, it := range list {
		m, _ := it.(map[string]any)
		r := field(m, "rating")
		if m[key] == id && r["stars"] == 4.0 && r["comment"] == xssComment {
			return true
		}
	}
	return false
}

// TestRatingSwitch: with ratings off the widget config says so and the
// endpoint refuses with rating_disabled, storing nothing; the switch is
// in the admin API and the admin console's Interact tab.
func TestRatingSwitch(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	agent := l.agentSocket(0)
	taskID, tok, _ := l.connect(agent)
	endByAgent(t, agent, taskID)

	put := l.adminAPI("PUT", "/api/v1/services/"+l.svc.ID+"/interact", map[string]any{"ratings": false})
	if put.body["ratings"] != false {
		t.Fatalf("PUT interact ratings false: %v", put.body)
	}
	if cfg := l.config(l.st.ContactID, l.st.WidgetKey, shopOrigin); cfg.body["ratings"] != false {
		t.Errorf("config with ratings off: %v", cfg.body["ratings"])
	}
	wantRefused(t, "ratings off", l.rate(taskID, tok, shopOrigin, map[string]any{"stars": 5}), 403, interact.ERATINGDISABLED)
	if r := l.storedRating(taskID); r != nil {
		t.Fatalf("ratings off: stored %+v", r)
	}

	// The admin console's Interact tab switches it back on.
	c := (&env{url: l.url}).console(t)
	c.signIn("admin@live.test", "admin-password")
	tab := c.get("/admin/services/" + l.svc.ID + "/interact")
	if !tab.has(`name="ratings"`) || tab.has(`name="ratings" aria-describedby="f-rt-h" checked`) {
		t.Fatalf("Interact tab: no ratings switch, or it is on:\n%s", tab.body)
	}
	c.ok("/admin/services/"+l.svc.ID+"/interact", url.Values{"form": {"interact"}, "instantMessage": {"on"}, "ratings": {"on"}})
	if tab = c.get("/admin/services/" + l.svc.ID + "/interact"); !tab.has(`name="ratings" aria-describedby="f-rt-h" checked`) {
		t.Errorf("Interact tab after switching ratings on:\n%s", tab.body)
	}
	if r := l.rate(taskID, tok, shopOrigin, map[string]any{"stars": 5}); r.status != 200 {
		t.Errorf("rating after switching on: %d %v", r.status, r.body)
	}
}

// TestRatingAndHistoryOfDirectContact: a user's direct contact asks for
// ratings and shows the previous conversation under its own switches, as a
// service does.
func TestRatingAndHistoryOfDirectContact(t *testing.T) {
	l := newLive(t, 0, interact.Distribution{Type: interact.DistributeDirect})
	dana, st := l.directUser(t)
	_, secret, err := l.db.CreateAPIToken(context.Background(), interact.Actor{UserID: dana.ID, TenantID: dana.TenantID}, dana.ID, "console")
	if err != nil {
		t.Fatal(err)
	}
	agent, _, err := dialWS(t, strings.Replace(l.url, "http", "ws", 1)+"/agent/v1/ws", http.Header{"Authorization": {"Bearer " + secret}})
	if err != nil {
		t.Fatal(err)
	}
	agent.await("hello")
	agent.send("presence.set", map[string]any{"presence": "available"})
	agent.await("ok")
	visit := func() (string, string) {
		t.Helper()
		r := l.start(st.ContactID, shopOrigin, chatAs(st.WidgetKey, visitorA, ""))
		if r.status != http.StatusCreated {
			t.Fatalf("start: %d %v", r.status, r.body)
		}
		id, tok := r.body["taskId"].(string), r.body["token"].(string)
		v := l.visitorSocket(shopOrigin, r.body["wsUrl"].(string), 0)
		v.next("hello")
		offer := data(agent.awaitWhere("offer", func(f map[string]any) bool { return field(data(f), "task")["id"] == id }))
		agent.reply(agent.send("offer.accept", map[string]any{"offerId": offer["offerId"]}))
		v.awaitWhere("task.state", func(f map[string]any) bool { return data(f)["state"] == "connected" })
		endByAgent(t, agent, id)
		return id, tok
	}
	first, firstTok := visit()
	if r := l.rateAt(st.ContactID, first, firstTok, shopOrigin, map[string]any{"stars": 3}); r.status != 200 || r.body["stars"] != 3.0 {
		t.Fatalf("rating a direct contact: %d %v", r.status, r.body)
	}
	l.adminAPI("PUT", "/api/v1/users/"+dana.ID+"/interact", map[string]any{"ratings": false, "visitorHistory": true})
	second, secondTok := visit()
	wantRefused(t, "ratings off for the user", l.rateAt(st.ContactID, second, secondTok, shopOrigin, map[string]any{"stars": 5}), 403, interact.ERATINGDISABLED)
	if prev := l.previous(st.ContactID, second, secondTok, shopOrigin); prev.status != 200 || prev.body["taskId"] != first {
		t.Errorf("the direct contact's previous conversation: %d %v", prev.status, prev.body)
	}
	visits := l.widget("GET", "/api/v1/me/tasks/"+second+"/visits", "", secret, nil)
	if list, _ := visits.body["items"].([]any); visits.status != 200 || len(list) != 1 || list[0].(map[string]any)["serviceName"] != "Dana Direct" {
		t.Errorf("the user's side panel: %d %v", visits.status, visits.body)
	}
}
