package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/web"
)

// End-to-end tests of the visitor WebSocket (docs/protocol.md §2.2, §4) and
// of the widget endpoints that use the visitor token.

func TestVisitorSocketRefusals(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	l.restrict(shopOrigin, blogOrigin)
	taskID, tok, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	for _, c := range []struct {
		what, origin, token string
		status              int
	}{
		{"refused origin", evilOrigin, tok, 403},
		{"suffix attack", "https://shop.example.test.evil.test", tok, 403},
		{"no origin", "", tok, 403},
		{"null origin", "null", tok, 403},
		{"token replayed from another allowed origin", blogOrigin, tok, 403},
		{"token forged for another origin", blogOrigin, tamper(tok, "o", blogOrigin), 401},
		{"token forged for another task", shopOrigin, tamper(tok, "t", "another-task"), 401},
		{"garbage token", shopOrigin, "x.y", 401},
		{"no token", shopOrigin, "", 401},
	} {
		w, resp, err := l.dialVisitor(c.origin, c.token, 0)
		if err == nil {
			w.c.Close()
			t.Fatalf("%s: upgrade accepted", c.what)
		}
		if resp == nil || resp.StatusCode != c.status {
			t.Fatalf("%s: %v %v, want HTTP %d", c.what, err, resp, c.status)
		}
	}
	hello := data(l.dialVisitorOK(shopOrigin, tok, 0).next("hello"))
	if hello["taskId"] != taskID || hello["state"] != "waiting" {
		t.Fatalf("hello %v", hello)
	}
}

func TestVisitorTokenExpires(t *testing.T) {
	l := newLiveWith(t, 1, interact.Distribution{Type: interact.DistributeDirect}, func(c *web.Config) { c.VisitorTokenTTL = time.Second })
	taskID, tok, grant := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	if exp, err := time.Parse(time.RFC3339, grant["tokenExpiresAt"].(string)); err != nil || time.Until(exp) > 2*time.Second {
		t.Fatalf("tokenExpiresAt %v (%v)", grant["tokenExpiresAt"], err)
	}
	eventually.True(t, "the token to expire", func() bool {
		w, resp, err := l.dialVisitor(shopOrigin, tok, 0)
		if err == nil {
			w.c.Close()
			return false
		}
		return resp != nil && resp.StatusCode == 401
	})
	wantRefused(t, "refresh with an expired token", l.widget("POST", "/widget/v1/token?contactId="+l.st.ContactID, shopOrigin, tok, nil), 401, interact.EUNAUTHORIZED)
	wantRefused(t, "transcript with an expired token", l.transcript(taskID, tok, 0), 401, interact.EUNAUTHORIZED)
	// The resume token outlives it.
	if r := l.start(l.st.ContactID, shopOrigin, map[string]any{"widgetKey": l.st.WidgetKey, "resumeToken": grant["resumeToken"]}); r.status != 200 || r.body["taskId"] != taskID {
		t.Fatalf("resume: %d %v", r.status, r.body)
	}
}

func TestVisitorMessagesAndBadFrames(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	agent := l.agentSocket(0)
	taskID, _, v := l.connect(agent)
	stored := l.messageCount(taskID)

	ack := v.reply(v.send("message.send", map[string]any{"clientId": "c1", "text": "  Hello there  "}))
	d := data(ack)
	if ack["type"] != "message.ack" || d["clientId"] != "c1" || d["seq"] != float64(stored+1) || d["duplicate"] != false || d["at"] == nil {
		t.Fatalf("ack %v", ack)
	}
	ms, _ := l.db.Messages(context.Background(), taskID, int64(stored), 10)
	if len(ms) != 1 || ms[0].Text != "Hello there" || ms[0].From != "visitor" || ms[0].Name != "Vera Visitor" || ms[0].Seq != int64(stored+1) {
		t.Fatalf("stored %+v", ms)
	}
	if m := data(agent.awaitWhere("message", func(f map[string]any) bool { return data(f)["clientId"] == "c1" })); m["seq"] != d["seq"] || m["text"] != "Hello there" {
		t.Fatalf("agent got %v", m)
	}
	stored++

	v.sendRaw("not json")
	wantErrorFrame(t, "not JSON", v.next("error"), interact.EINVALID)
	v.sendRaw(`{"id":"no-type","data":{}}`)
	wantErrorFrame(t, "no type", v.next("error"), interact.EINVALID)
	for _, c := range []struct {
		what, typ string
		data      any
	}{
		{"unknown type", "message.bogus", map[string]any{}},
		{"no data", "message.send", nil},
		{"data not an object", "message.send", 5},
		{"empty text", "message.send", map[string]any{"clientId": "e1", "text": ""}},
		{"blank text", "message.send", map[string]any{"clientId": "e2", "text": " \n\t "}},
		{"text over 4000 characters", "message.send", map[string]any{"clientId": "e3", "text": strings.Repeat("a", 4001)}},
		{"missing clientId", "message.send", map[string]any{"text": "hi"}},
		{"clientId over 64", "message.send", map[string]any{"clientId": strings.Repeat("c", 65), "text": "hi"}},
		{"text not a string", "message.send", map[string]any{"clientId": "e4", "text": 7}},
		{"NUL in the text", "message.send", map[string]any{"clientId": "e5", "text": "a\x00b"}},
		{"escape sequence in the text", "message.send", map[string]any{"clientId": "e6", "text": "\x1b[2Jhi"}},
		{"NUL in the clientId", "message.send", map[string]any{"clientId": "e\x007", "text": "hi"}},
	} {
		wantErrorFrame(t, c.what, v.reply(v.send(c.typ, c.data)), interact.EINVALID)
	}
	if n := l.messageCount(taskID); n != stored {
		t.Fatalf("bad frames stored messages: %d, want %d", n, stored)
	}
	// The limit counts characters, not bytes.
	long := strings.Repeat("é", 4000)
	if f := v.reply(v.send("message.send", map[string]any{"clientId": "long", "text": long})); f["type"] != "message.ack" {
		t.Fatalf("4000 characters: %v", f)
	}
	if f := v.reply(v.send("ping", nil)); f["type"] != "pong" {
		t.Fatalf("ping: %v", f)
	}
	// Carriage returns become line feeds; tabs stay.
	if f := v.reply(v.send("message.send", map[string]any{"clientId": "crlf", "text": "one\r\ntwo\tthree"})); f["type"] != "message.ack" {
		t.Fatalf("CRLF: %v", f)
	}
	ms, _ = l.db.Messages(context.Background(), taskID, int64(stored+1), 10)
	if len(ms) != 1 || ms[0].Text != "one\ntwo\tthree" {
		t.Fatalf("stored %+v", ms)
	}
	// A visitor's name with a control character starts no task.
	req := chatReq(l.st.WidgetKey)
	req["visitor"] = map[string]any{"name": "Vera\x00"}
	r := l.start(l.st.ContactID, shopOrigin, req)
	wantRefused(t, "NUL in the visitor's name", r, 400, interact.EINVALID)
	if e, _ := r.body["error"].(map[string]any); !strings.Contains(fmt.Sprint(e["message"]), "control characters") {
		t.Fatalf("NUL in the visitor's name: %v", r.body)
	}
}

func TestVisitorTypingAndReadRelayed(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	agent := l.agentSocket(0)
	taskID, _, v := l.connect(agent)
	from := func(who string, more func(d map[string]any) bool) func(map[string]any) bool {
		return func(f map[string]any) bool { return data(f)["from"] == who && more(data(f)) }
	}
	v.send("typing", map[string]any{"on": true})
	agent.awaitWhere("typing", from("visitor", func(d map[string]any) bool { return d["on"] == true }))
	v.send("typing", map[string]any{"on": false})
	agent.awaitWhere("typing", from("visitor", func(d map[string]any) bool { return d["on"] == false }))
	v.send("read", map[string]any{"seq": 2})
	agent.awaitWhere("read", from("visitor", func(d map[string]any) bool { return d["seq"] == float64(2) }))

	agent.reply(agent.send("typing", map[string]any{"taskId": taskID, "on": true}))
	v.awaitWhere("typing", from("agent", func(d map[string]any) bool { return d["on"] == true }))
	agent.reply(agent.send("read", map[string]any{"taskId": taskID, "seq": 3}))
	v.awaitWhere("read", from("agent", func(d map[string]any) bool { return d["seq"] == float64(3) }))
}

func TestVisitorEndsWhileWaiting(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	agent := l.agentSocket(0)
	taskID, tok, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	v := l.dialVisitorOK(shopOrigin, tok, 0)
	if h := data(v.next("hello")); h["state"] != "waiting" {
		t.Fatalf("hello %v", h)
	}
	offer := data(agent.next("offer"))
	v.send("task.end", map[string]any{})
	st := data(v.awaitWhere("task.state", func(f map[string]any) bool { return data(f)["state"] == "ended" }))
	if st["outcome"] != interact.OutcomeHangupInQueue || st["leaveMessage"] != false {
		t.Fatalf("task.state %v", st)
	}
	if e := data(agent.next("offer.ended")); e["offerId"] != offer["offerId"] || e["outcome"] != "cancelled" {
		t.Fatalf("offer.ended %v", e)
	}
	if task, err := l.db.Task(context.Background(), taskID); err != nil || task.Outcome != interact.OutcomeHangupInQueue {
		t.Fatalf("stored task %+v %v", task, err)
	}
	wantErrorFrame(t, "message after the end", v.reply(v.send("message.send", map[string]any{"clientId": "late", "text": "hi"})), interact.ECONFLICT)
	if f := data(agent.reply(agent.send("offer.accept", map[string]any{"offerId": offer["offerId"]}))); f["code"] != interact.ECONFLICT {
		t.Fatalf("accepting a withdrawn offer: %v", f)
	}
}

func TestVisitorResumesAfterLastSeq(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	agent := l.agentSocket(0)
	taskID, tok, v := l.connect(agent)
	if f := v.reply(v.send("message.send", map[string]any{"clientId": "v1", "text": "first"})); f["type"] != "message.ack" {
		t.Fatal(f)
	}
	n := l.messageCount(taskID)
	v.c.Close()
	for i := range 6 { // while the visitor is away
		agent.reply(agent.send("message.send", map[string]any{"taskId": taskID, "clientId": fmt.Sprint("a", i), "text": fmt.Sprint("answer ", i)}))
	}
	last := l.messageCount(taskID)
	if last != n+6 {
		t.Fatalf("%d messages, want %d", last, n+6)
	}
	seqs := func(frames []map[string]any) []int {
		var out []int
		for _, f := range frames {
			if f["type"] == "message" {
				out = append(out, int(data(f)["seq"].(float64)))
			}
		}
		return out
	}
	for _, from := range []int{n, 0, last} {
		v2 := l.dialVisitorOK(shopOrigin, tok, from)
		if h := data(v2.next("hello")); h["lastSeq"] != float64(last) || h["state"] != "connected" {
			t.Fatalf("hello %v", h)
		}
		v2.send("ping", nil)
		got := seqs(v2.until("pong"))
		if len(got) != last-from {
			t.Fatalf("lastSeq=%d: replayed %v, want %d..%d", from, got, from+1, last)
		}
		for i, s := range got {
			if s != from+1+i {
				t.Fatalf("lastSeq=%d: replayed %v, want %d..%d in order", from, got, from+1, last)
			}
		}
		// Live messages follow, once.
		id := fmt.Sprint("live", from)
		agent.reply(agent.send("message.send", map[string]any{"taskId": taskID, "clientId": id, "text": "still there?"}))
		last++
		m := data(v2.next("message"))
		v2.send("ping", nil)
		if rest := seqs(v2.until("pong")); m["clientId"] != id || m["seq"] != float64(last) || len(rest) != 0 {
			t.Fatalf("live message %v, then %v", m, rest)
		}
		v2.c.Close()
	}
}

func TestVisitorFrameRateLimit(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	_, tok, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	v := l.dialVisitorOK(shopOrigin, tok, 0)
	v.next("hello")
	const sent = 130
	for range sent {
		v.send("ping", nil)
	}
	pongs, limited := 0, 0
	for pongs+limited < sent {
		f := v.awaitWhere("", func(f map[string]any) bool { return f["type"] == "pong" || f["type"] == "error" })
		if f["type"] == "pong" {
			pongs++
		} else {
			wantErrorFrame(t, "frame over the limit", f, interact.ERATELIMITED)
			limited++
		}
	}
	if pongs > 120 || limited < sent-120 {
		t.Fatalf("%d pongs, %d rate_limited errors for %d frames", pongs, limited, sent)
	}
	// Frames that are not JSON are frames too.
	v.sendRaw("not json")
	if f := v.next("error"); data(f)["code"] != interact.ERATELIMITED {
		t.Fatalf("regression: realtime/conn.go readLoop answers malformed frames itself, before the handler's frame budget: got %v over the limit", data(f))
	}
}

// Messages that the bus relays while a visitor reconnects must not reach
// the new socket twice or out of order. The traffic is made as web's
// sendMessage makes it (store, then publish): agents may send only 120
// frames per 10 s.
func TestVisitorReconnectUnderTraffic(t *testing.T) {
	l := newLiveWith(t, 1, interact.Distribution{Type: interact.DistributeDirect}, func(c *web.Config) { c.WidgetRate = 1 << 20 })
	taskID, tok, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	var stop atomic.Bool
	var last atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; !stop.Load(); i++ {
			m, _, err := l.db.AppendMessage(context.Background(), interact.Message{TaskID: taskID, ClientID: fmt.Sprint("a", i), From: "agent", Name: "Agent 0", Text: "busy agent", At: time.Now()})
			if err != nil {
				return
			}
			last.Store(m.Seq)
			b, _ := interact.EncodeFrame("message", "", m)
			l.webCfg.Bus.Publish(interact.TaskSubject(taskID), b)
		}
	}()
	defer func() { stop.Store(true); <-done }()
	bad := ""
	for n := 0; n < 300 && bad == ""; n++ {
		from := max(int(last.Load())-5, 0)
		v := l.dialVisitorOK(shopOrigin, tok, from)
		v.send("ping", nil)
		prev := from
		for _, f := range v.until("pong") {
			if s := data(f)["seq"]; f["type"] == "message" {
				if int(s.(float64)) <= prev {
					bad = fmt.Sprintf("after lastSeq=%d, seq %v came after seq %d", from, s, prev)
				}
				prev = int(s.(float64))
			}
		}
		v.c.Close()
	}
	if bad != "" {
		t.Fatal("regression: web/visitorws.go visitorSocket: " + bad + " (bus events for replayed messages that arrive after Release are not filtered)")
	}
}

// A reconnect with lastSeq=0 replays the whole transcript, however long.
func TestVisitorReplaysLongTranscript(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	taskID, tok, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	for i := range 1000 {
		if _, _, err := l.db.AppendMessage(context.Background(), interact.Message{TaskID: taskID, ClientID: fmt.Sprint("a", i), From: "agent", Text: "x", At: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	total := l.messageCount(taskID)
	v := l.dialVisitorOK(shopOrigin, tok, 0)
	isMsg := func(f map[string]any) bool { return f["type"] == "message" }
	got := 0
	defer func() {
		if got < total {
			t.Logf("%d of %d messages replayed", got, total)
		}
	}()
	eventually.True(t, fmt.Sprintf("all %d messages to be replayed", total), func() bool {
		for got < total {
			f, found, open := v.poll(isMsg)
			switch {
			case found:
				if got++; data(f)["seq"] != float64(got) {
					t.Fatalf("replayed seq %v as message %d", data(f)["seq"], got)
				}
			case !open:
				t.Fatalf("regression: web/visitorws.go replay queues up to 500 frames at once; the hub closes the socket as too slow (256 queued) after %d of %d messages", got, total)
			default:
				return false
			}
		}
		return true
	})
}

func (l *live) leaveMessage(taskID, token, text string) wresp {
	l.t.Helper()
	return l.widget("POST", "/widget/v1/tasks/"+taskID+"/leave-message?contactId="+l.st.ContactID, shopOrigin, token, map[string]any{"text": text})
}

func TestVisitorLeavesMessage(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	ctx := context.Background()
	l.clock.Advance(31 * time.Second) // past the start-up grace in which the engine waits for agents to reconnect

	// No agent online: the chat ends at once.
	taskID, tok, grant := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	if grant["state"] != "ended" {
		t.Fatalf("grant %v", grant)
	}
	v := l.dialVisitorOK(shopOrigin, tok, 0)
	if h := data(v.next("hello")); h["state"] != "ended" || h["outcome"] != interact.OutcomeNoAgent {
		t.Fatalf("hello %v", h)
	}
	if m := data(v.awaitWhere("message", func(f map[string]any) bool {
		return data(f)["from"] == "system" && strings.Contains(data(f)["text"].(string), "leave")
	})); m == nil {
		t.Fatal("no leave-a-message system message")
	}
	wantRefused(t, "empty message", l.leaveMessage(taskID, tok, "  "), 400, interact.EINVALID)
	wantRefused(t, "too long", l.leaveMessage(taskID, tok, strings.Repeat("x", 4001)), 400, interact.EINVALID)
	wantRefused(t, "from another origin", l.widget("POST", "/widget/v1/tasks/"+taskID+"/leave-message?contactId="+l.st.ContactID, evilOrigin, tok, map[string]any{"text": "x"}), 403, interact.EORIGINREFUSED)
	if r := l.leaveMessage(taskID, tok, "Please call me back: <b>+1 555</b>"); r.status != http.StatusNoContent {
		t.Fatalf("leave message: %d %v", r.status, r.body)
	}
	wantRefused(t, "second message", l.leaveMessage(taskID, tok, "And again"), 409, interact.ECONFLICT)
	if task, err := l.db.Task(ctx, taskID); err != nil || task.LeftMessage != "Please call me back: <b>+1 555</b>" {
		t.Fatalf("stored %+v %v", task, err)
	}

	// The only agent goes away while a visitor waits: ended live, with leaveMessage.
	agent := l.agentSocket(0)
	task2, tok2, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	v2 := l.dialVisitorOK(shopOrigin, tok2, 0)
	if h := data(v2.next("hello")); h["state"] != "waiting" {
		t.Fatalf("hello %v", h)
	}
	agent.next("offer")
	wantRefused(t, "before the end", l.leaveMessage(task2, tok2, "hello?"), 409, interact.ECONFLICT)
	wantRefused(t, "another task's id", l.leaveMessage(task2, tok, "hello?"), 404, interact.ENOTFOUND)
	agent.reply(agent.send("presence.set", map[string]any{"presence": "away"}))
	st := data(v2.awaitWhere("task.state", func(f map[string]any) bool { return data(f)["state"] == "ended" }))
	if st["outcome"] != interact.OutcomeNoAgent || st["leaveMessage"] != true {
		t.Fatalf("task.state %v", st)
	}
	if r := l.leaveMessage(task2, tok2, "call me"); r.status != http.StatusNoContent {
		t.Fatalf("leave message: %d %v", r.status, r.body)
	}
}

// A visitor whose chat ended before its socket opened learns of the ending
// only from hello: it should say whether to offer leave-a-message.
func TestVisitorHelloOffersLeaveMessage(t *testing.T) {
	l := newLive(t, 0, interact.Distribution{Type: interact.DistributeDirect})
	l.clock.Advance(31 * time.Second)
	_, tok, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	h := data(l.dialVisitorOK(shopOrigin, tok, 0).next("hello"))
	if h["outcome"] != interact.OutcomeNoAgent {
		t.Fatalf("hello %v", h)
	}
	if h["leaveMessage"] != true {
		t.Fatal("regression: web/visitorws.go visitorSocket: hello of an ended task has no leaveMessage; the task.state that had it was published before the socket existed")
	}
}

func TestWidgetTokenRefreshAndResume(t *testing.T) {
	t.Parallel() // waits for the contact cache twice
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	ctx := context.Background()
	k0 := l.st.WidgetKey
	taskID, tok, grant := l.begin(shopOrigin, chatReq(k0))
	resume, _ := grant["resumeToken"].(string)
	if !strings.HasPrefix(resume, "rt_") || grant["state"] != "waiting" || grant["tokenExpiresAt"] == nil {
		t.Fatalf("grant %v", grant)
	}
	refresh := func(origin, tok string) wresp {
		t.Helper()
		return l.widget("POST", "/widget/v1/token?contactId="+l.st.ContactID, origin, tok, nil)
	}
	r := refresh(shopOrigin, tok)
	if r.status != 200 || r.body["taskId"] != taskID || r.body["token"] == "" {
		t.Fatalf("refresh: %d %v", r.status, r.body)
	}
	if hello := data(l.dialVisitorOK(shopOrigin, r.body["token"].(string), 0).next("hello")); hello["taskId"] != taskID {
		t.Fatalf("socket with the refreshed token: hello %v", hello)
	}
	wantRefused(t, "refresh from another origin", refresh(evilOrigin, tok), 403, interact.EORIGINREFUSED)
	wantRefused(t, "refresh without origin", refresh("", tok), 403, interact.EORIGINREFUSED)
	wantRefused(t, "refresh without token", refresh(shopOrigin, ""), 401, interact.EUNAUTHORIZED)
	wantRefused(t, "refresh, tampered token", refresh(shopOrigin, tamper(tok, "t", "another-task")), 401, interact.EUNAUTHORIZED)

	// Resume: the same task, a fresh grant, no new task; same origin only.
	n := l.taskCount()
	resumeReq := func(key string) map[string]any { return map[string]any{"widgetKey": key, "resumeToken": resume} }
	r = l.start(l.st.ContactID, shopOrigin, resumeReq(k0))
	if r.status != 200 || r.body["taskId"] != taskID || refresh(shopOrigin, r.body["token"].(string)).status != 200 {
		t.Fatalf("resume: %d %v", r.status, r.body)
	}
	wantRefused(t, "resume from another origin", l.start(l.st.ContactID, evilOrigin, resumeReq(k0)), 404, interact.ENOTFOUND)
	wantRefused(t, "resume, unknown token", l.start(l.st.ContactID, shopOrigin, map[string]any{"widgetKey": k0, "resumeToken": "rt_nope"}), 404, interact.ENOTFOUND)
	if l.taskCount() != n {
		t.Fatalf("resuming created tasks: %d, want %d", l.taskCount(), n)
	}

	// A rotation with grace: the old key and its tokens keep working.
	st1, err := l.db.RotateWidgetKey(ctx, l.admin, interact.OwnerService, l.svc.ID, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	k1 := st1.WidgetKey
	eventually.True(t, "the new key to reach the widget", func() bool { return l.config(l.st.ContactID, k1, shopOrigin).status == 200 })
	if r := l.config(l.st.ContactID, k0, shopOrigin); r.status != 200 {
		t.Fatalf("old key within grace: %d %v", r.status, r.body)
	}
	if r := refresh(shopOrigin, tok); r.status != 200 {
		t.Fatalf("old token within grace: %d %v", r.status, r.body)
	}
	l.dialVisitorOK(shopOrigin, tok, 0).next("hello")
	r = l.start(l.st.ContactID, shopOrigin, resumeReq(k1))
	if r.status != 200 || r.body["taskId"] != taskID {
		t.Fatalf("resume with the new key: %d %v", r.status, r.body)
	}
	tok1 := r.body["token"].(string)

	// A rotation without grace cuts off every earlier key and token.
	st2, err := l.db.RotateWidgetKey(ctx, l.admin, interact.OwnerService, l.svc.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	eventually.True(t, "the rotation to reach the widget", func() bool { return refresh(shopOrigin, tok).code() == interact.EINVALIDKEY })
	wantRefused(t, "refresh, token of the previous key", refresh(shopOrigin, tok1), 401, interact.EINVALIDKEY)
	wantRefused(t, "config, first key", l.config(l.st.ContactID, k0, shopOrigin), 401, interact.EINVALIDKEY)
	wantRefused(t, "config, previous key", l.config(l.st.ContactID, k1, shopOrigin), 401, interact.EINVALIDKEY)
	wantRefused(t, "resume, previous key", l.start(l.st.ContactID, shopOrigin, resumeReq(k1)), 401, interact.EINVALIDKEY)
	if _, resp, err := l.dialVisitor(shopOrigin, tok, 0); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("socket with a cut-off token: err %v, resp %v", err, resp)
	}
	r = l.start(l.st.ContactID, shopOrigin, resumeReq(st2.WidgetKey))
	if r.status != 200 || r.body["taskId"] != taskID {
		t.Fatalf("resume with the current key: %d %v", r.status, r.body)
	}
	l.dialVisitorOK(shopOrigin, r.body["token"].(string), 0).next("hello")
}

// tamper changes one claim of a visitor token and keeps its signature.
func tamper(tok, claim, value string) string {
	p, sig, _ := strings.Cut(tok, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(p)
	var c map[string]any
	json.Unmarshal(raw, &c)
	c[claim] = value
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b) + "." + sig
}
