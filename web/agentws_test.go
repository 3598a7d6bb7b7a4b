package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/eventually"
)

// End-to-end tests of the agent console's WebSocket (docs/protocol.md §3).

// agentDial opens agent i's socket without waiting for anything.
func (l *live) agentDial(i int) *wsClient {
	l.t.Helper()
	w, _, err := dialWS(l.t, strings.Replace(l.url, "http", "ws", 1)+"/agent/v1/ws", http.Header{"Authorization": {"Bearer " + l.tokens[i]}})
	if err != nil {
		l.t.Fatal(err)
	}
	return w
}

// awaitOffer returns which of the agents is offered taskID next, and the offer.
func awaitOffer(t *testing.T, taskID string, agents ...*wsClient) (int, map[string]any) {
	t.Helper()
	isOffer := func(f map[string]any) bool { return f["type"] == "offer" && field(data(f), "task")["id"] == taskID }
	who, offer := -1, map[string]any(nil)
	eventually.True(t, "an offer of "+taskID, func() bool {
		for i, a := range agents {
			if f, found, _ := a.poll(isOffer); found {
				who, offer = i, data(f)
				return true
			}
		}
		return false
	})
	return who, offer
}

func TestAgentSocketOrigin(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	b, _ := json.Marshal(map[string]string{"email": "agent0@live.test", "password": "agent-password"})
	resp, err := http.Post(l.url+"/api/v1/session", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == "interact_session" {
			cookie = c.Name + "=" + c.Value
		}
	}
	if resp.StatusCode != 200 || cookie == "" {
		t.Fatalf("sign in: %d %v", resp.StatusCode, resp.Cookies())
	}
	ws := strings.Replace(l.url, "http", "ws", 1) + "/agent/v1/ws"
	host := strings.TrimPrefix(l.url, "http://")
	for _, c := range []struct {
		what   string
		h      http.Header
		status int
	}{
		{"cross-site page with the cookie", http.Header{"Cookie": {cookie}, "Origin": {evilOrigin}}, 403},
		{"null origin with the cookie", http.Header{"Cookie": {cookie}, "Origin": {"null"}}, 403},
		{"look-alike host with the cookie", http.Header{"Cookie": {cookie}, "Origin": {"http://" + host + ".evil.test"}}, 403},
		{"cross-site page with an API token", http.Header{"Authorization": {"Bearer " + l.tokens[0]}, "Origin": {evilOrigin}}, 403},
		{"no credentials", http.Header{"Origin": {l.url}}, 401},
		{"a bad cookie", http.Header{"Cookie": {"interact_session=nope"}, "Origin": {l.url}}, 401},
	} {
		w, resp, err := dialWS(t, ws, c.h)
		if err == nil {
			w.c.Close()
			t.Fatalf("%s: upgrade accepted", c.what)
		}
		if resp == nil || resp.StatusCode != c.status {
			t.Fatalf("%s: %v %v, want HTTP %d", c.what, err, resp, c.status)
		}
	}
	w, resp, err := dialWS(t, ws, http.Header{"Cookie": {cookie}, "Origin": {l.url}})
	if err != nil {
		t.Fatalf("console origin: %v %v", err, resp)
	}
	if h := data(w.next("hello")); field(h, "agent")["id"] != l.agents[0].ID {
		t.Fatalf("hello %v", h)
	}
}

func TestAgentHelloAfterReconnect(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	a := l.agentSocket(0)
	taskID, _, v := l.connect(a)
	v.reply(v.send("message.send", map[string]any{"clientId": "v1", "text": "hello"}))
	a.c.Close()
	a2 := l.agentDial(0)
	h := data(a2.next("hello"))
	tasks, _ := h["tasks"].([]any)
	if len(tasks) != 1 || field(tasks[0].(map[string]any), "task")["id"] != taskID || field(h, "agent")["chats"] != float64(1) {
		t.Fatalf("hello after reconnect: %v", h)
	}
	// The reconnected console is on the task again.
	v.reply(v.send("message.send", map[string]any{"clientId": "v2", "text": "still there?"}))
	a2.awaitWhere("message", func(f map[string]any) bool { return data(f)["clientId"] == "v2" })
	if f := a2.reply(a2.send("message.send", map[string]any{"taskId": taskID, "clientId": "a1", "text": "yes"})); f["type"] != "message.ack" {
		t.Fatalf("reply after reconnect: %v", f)
	}
	if got, want := tasks[0].(map[string]any)["lastSeq"], float64(l.messageCount(taskID)-2); got != want {
		t.Fatalf("regression: web/agentws.go agentSocket: hello lastSeq is %v, the task has %v messages (routing keeps Task.LastSeq at its creation value)", got, want)
	}
}

func TestAgentOfferDeclineAndAccept(t *testing.T) {
	l := newLive(t, 2, interact.Distribution{Type: interact.DistributeDirect})
	agents := []*wsClient{l.agentSocket(0), l.agentSocket(1)}
	taskID, tok, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	v := l.dialVisitorOK(shopOrigin, tok, 0)
	v.next("hello")

	i, first := awaitOffer(t, taskID, agents...)
	decliner, taker := agents[i], agents[1-i]
	if first["ringSeconds"] != float64(30) || first["expiresAt"] == nil || field(first, "task")["serviceName"] != "Support" ||
		field(field(first, "task"), "visitor")["name"] != "Vera Visitor" || field(first, "task")["origin"] != shopOrigin {
		t.Fatalf("offer %v", first)
	}
	if f := decliner.reply(decliner.send("offer.decline", map[string]any{"offerId": first["offerId"]})); f["type"] != "ok" {
		t.Fatalf("decline: %v", f)
	}
	if e := data(decliner.next("offer.ended")); e["offerId"] != first["offerId"] || e["outcome"] != "declined" {
		t.Fatalf("offer.ended %v", e)
	}
	j, second := awaitOffer(t, taskID, taker)
	if j != 0 || second["offerId"] == first["offerId"] {
		t.Fatalf("second offer %v", second)
	}
	wantErrorFrame(t, "accepting a declined offer", decliner.reply(decliner.send("offer.accept", map[string]any{"offerId": first["offerId"]})), interact.ECONFLICT)
	wantErrorFrame(t, "accepting another agent's offer", decliner.reply(decliner.send("offer.accept", map[string]any{"offerId": second["offerId"]})), interact.ECONFLICT)

	ok := taker.reply(taker.send("offer.accept", map[string]any{"offerId": second["offerId"]}))
	if ok["type"] != "ok" || field(data(ok), "task")["id"] != taskID || field(data(ok), "task")["state"] != "connected" {
		t.Fatalf("accept: %v", ok)
	}
	if a := data(taker.next("task.assigned")); a["offerId"] != second["offerId"] || field(a, "task")["id"] != taskID {
		t.Fatalf("task.assigned %v", a)
	}
	wantErrorFrame(t, "second accept", taker.reply(taker.send("offer.accept", map[string]any{"offerId": second["offerId"]})), interact.ECONFLICT)
	name := l.agents[1-i].Name
	if st := data(v.awaitWhere("task.state", func(f map[string]any) bool { return data(f)["state"] == "connected" })); st["agentName"] != name {
		t.Fatalf("visitor task.state %v, want agent %s", st, name)
	}
	// One user session per offer.
	ss, _, err := l.db.Sessions(context.Background(), l.admin, interact.SessionFilter{})
	if err != nil || len(ss) != 1 || len(ss[0].Offers) != 2 {
		t.Fatalf("sessions %+v %v", ss, err)
	}
	outcomes := map[string]string{}
	for _, o := range ss[0].Offers {
		outcomes[o.AgentID] = o.Outcome
	}
	if outcomes[l.agents[i].ID] != interact.OfferDeclined || outcomes[l.agents[1-i].ID] != interact.OfferAccepted {
		t.Fatalf("offer outcomes %v", outcomes)
	}
}

func TestAgentRequestsOutsideItsTasks(t *testing.T) {
	l := newLive(t, 2, interact.Distribution{Type: interact.DistributeDirect, ACWEnabled: true, ACWSeconds: 60, PersistentRONA: true, RingTimeoutSeconds: 10})
	a0 := l.agentSocket(0)
	taskID, _, v := l.connect(a0)
	v.reply(v.send("message.send", map[string]any{"clientId": "v1", "text": "hello"}))
	a1 := l.agentSocket(1)
	before := l.messageCount(taskID)
	for _, c := range []struct {
		typ  string
		data map[string]any
		code string
	}{
		{"message.send", map[string]any{"taskId": taskID, "clientId": "x1", "text": "intruder"}, interact.ENOTFOUND},
		{"message.send", map[string]any{"taskId": "no-such-task", "clientId": "x2", "text": "hi"}, interact.ENOTFOUND},
		{"typing", map[string]any{"taskId": taskID, "on": true}, interact.ENOTFOUND},
		{"read", map[string]any{"taskId": taskID, "seq": 1}, interact.ENOTFOUND},
		{"task.history", map[string]any{"taskId": taskID}, interact.ENOTFOUND},
		{"task.end", map[string]any{"taskId": taskID}, interact.ENOTFOUND},
		{"task.transfer", map[string]any{"taskId": taskID, "toAgentId": l.agents[1].ID}, interact.ENOTFOUND},
		{"acw.end", map[string]any{}, interact.EINVALID},
		{"acw.extend", map[string]any{"seconds": 30}, interact.EINVALID},
		{"rona.reset", map[string]any{}, interact.EINVALID},
		{"presence.set", map[string]any{"presence": "dancing"}, interact.EINVALID},
		{"no.such.frame", map[string]any{}, interact.EINVALID},
	} {
		wantErrorFrame(t, "agent 1 "+c.typ, a1.reply(a1.send(c.typ, c.data)), c.code)
	}
	if n := l.messageCount(taskID); n != before {
		t.Fatalf("refused requests stored messages: %d, want %d", n, before)
	}
	if task, ok := l.engine.Task(taskID); !ok || task.AgentID != l.agents[0].ID || task.State != interact.TaskConnected {
		t.Fatalf("task after refused requests: %+v %v", task, ok)
	}

	// The agent's own task: history, in order.
	want, _ := l.db.Messages(context.Background(), taskID, 0, 100)
	h := data(a0.reply(a0.send("task.history", map[string]any{"taskId": taskID, "afterSeq": 0})))
	msgs, _ := h["messages"].([]any)
	if h["taskId"] != taskID || len(msgs) != len(want) {
		t.Fatalf("history %v, want %d messages", h, len(want))
	}
	for k, m := range msgs {
		if m.(map[string]any)["seq"] != float64(want[k].Seq) || m.(map[string]any)["text"] != want[k].Text {
			t.Fatalf("history item %d: %v, want %+v", k, m, want[k])
		}
	}
	if h := data(a0.reply(a0.send("task.history", map[string]any{"taskId": taskID, "afterSeq": len(want) - 1}))); len(h["messages"].([]any)) != 1 {
		t.Fatalf("history after %d: %v", len(want)-1, h)
	}

	// Ending the task puts agent 0 into ACW, which it can end once.
	if f := a0.reply(a0.send("task.end", map[string]any{"taskId": taskID})); f["type"] != "ok" {
		t.Fatalf("task.end: %v", f)
	}
	a0.awaitWhere("task.ended", func(f map[string]any) bool { return data(f)["taskId"] == taskID })
	if f := a0.reply(a0.send("acw.extend", map[string]any{"seconds": 30})); f["type"] != "ok" {
		t.Fatalf("acw.extend in ACW: %v", f)
	}
	if f := a0.reply(a0.send("acw.end", map[string]any{})); f["type"] != "ok" {
		t.Fatalf("acw.end in ACW: %v", f)
	}
	wantErrorFrame(t, "acw.end after ACW", a0.reply(a0.send("acw.end", map[string]any{})), interact.EINVALID)

	// A ring timeout flags persistent RONA, which can be reset once.
	a1.reply(a1.send("presence.set", map[string]any{"presence": "away"}))
	task2, _, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	a0.awaitWhere("offer", func(f map[string]any) bool { return field(data(f), "task")["id"] == task2 })
	l.clock.Advance(11 * time.Second)
	a0.next("rona")
	if f := a0.reply(a0.send("rona.reset", map[string]any{})); f["type"] != "ok" {
		t.Fatalf("rona.reset in RONA: %v", f)
	}
	wantErrorFrame(t, "rona.reset after reset", a0.reply(a0.send("rona.reset", map[string]any{})), interact.EINVALID)
}

func TestAgentTransfer(t *testing.T) {
	l := newLive(t, 3, interact.Distribution{Type: interact.DistributeDirect})
	a0 := l.agentSocket(0)
	taskID, _, v := l.connect(a0)
	a1 := l.agentSocket(1)
	wantErrorFrame(t, "transfer to oneself", a0.reply(a0.send("task.transfer", map[string]any{"taskId": taskID, "toAgentId": l.agents[0].ID})), interact.EINVALID)
	wantErrorFrame(t, "transfer to an offline agent", a0.reply(a0.send("task.transfer", map[string]any{"taskId": taskID, "toAgentId": l.agents[2].ID})), interact.EINVALID)
	if f := a0.reply(a0.send("task.transfer", map[string]any{"taskId": taskID, "toAgentId": l.agents[1].ID})); f["type"] != "ok" {
		t.Fatalf("transfer: %v", f)
	}
	if r := data(a0.next("task.released")); r["taskId"] != taskID || r["reason"] != "transferred" {
		t.Fatalf("task.released %v", r)
	}
	v.awaitWhere("task.state", func(f map[string]any) bool { return data(f)["state"] == "waiting" && data(f)["transferring"] == true })
	_, offer := awaitOffer(t, taskID, a1)
	if field(offer, "task")["transfers"] != float64(1) {
		t.Fatalf("offer %v", offer)
	}
	wantErrorFrame(t, "message after the transfer", a0.reply(a0.send("message.send", map[string]any{"taskId": taskID, "clientId": "late", "text": "hi"})), interact.ENOTFOUND)
	a1.reply(a1.send("offer.accept", map[string]any{"offerId": offer["offerId"]}))
	v.awaitWhere("task.state", func(f map[string]any) bool {
		return data(f)["state"] == "connected" && data(f)["agentName"] == "Agent 1"
	})
	a1.reply(a1.send("message.send", map[string]any{"taskId": taskID, "clientId": "b1", "text": "I take over"}))
	if m := data(v.awaitWhere("message", func(f map[string]any) bool { return data(f)["clientId"] == "b1" })); m["name"] != "Agent 1" {
		t.Fatalf("visitor got %v", m)
	}
}

func TestAgentQueueWatch(t *testing.T) {
	l := newLive(t, 2, interact.Distribution{Type: interact.DistributeDirect})
	a0 := l.agentSocket(0)
	a0.reply(a0.send("presence.set", map[string]any{"presence": "busy", "reason": "lunch"}))
	var ids []string
	for range 2 {
		id, _, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
		ids = append(ids, id)
	}
	q := a0.reply(a0.send("queue.watch", map[string]any{"serviceId": l.svc.ID}))
	waiting, _ := data(q)["waiting"].([]any)
	agents, _ := data(q)["agents"].([]any)
	if q["type"] != "ok" || data(q)["serviceId"] != l.svc.ID || len(waiting) != 2 || len(agents) != 2 {
		t.Fatalf("queue.watch: %v", q)
	}
	for i, w := range waiting {
		if w.(map[string]any)["id"] != ids[i] || w.(map[string]any)["position"] != float64(i+1) {
			t.Fatalf("waiting %d: %v, want %s at %d", i, w, ids[i], i+1)
		}
	}
	// Live changes follow.
	l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	a0.awaitWhere("queue.changed", func(f map[string]any) bool { return data(f)["waiting"] == float64(3) })

	// Someone who is neither member nor admin of the service may not watch it.
	ctx := context.Background()
	u, err := l.db.CreateUser(ctx, l.admin, interact.User{Email: "outsider@live.test", Name: "Outsider", OUID: l.ouID,
		Licenses: interact.Licenses{ContactCenter: true, InstantMessaging: true}}, "outsider-password")
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := l.db.CreateAPIToken(ctx, interact.Actor{UserID: u.ID, TenantID: l.tenant.ID}, u.ID, "console")
	if err != nil {
		t.Fatal(err)
	}
	l.tokens = append(l.tokens, tok)
	o := l.agentDial(len(l.tokens) - 1)
	o.next("hello")
	if f := o.reply(o.send("queue.watch", map[string]any{"serviceId": l.svc.ID})); f["type"] != "error" {
		t.Fatalf("outsider watched the queue: %v", f)
	}
}

func TestAgentGetsMarkupAsText(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	a := l.agentSocket(0)
	const markup = `<img src=x onerror=alert(1)> & <script>alert("x")</script> &lt;b&gt;`
	taskID, tok, _ := l.begin(shopOrigin, map[string]any{"widgetKey": l.st.WidgetKey, "modality": "chat",
		"visitor": map[string]any{"name": "<b>Eve</b>", "fields": map[string]any{"order": markup}}})
	v := l.dialVisitorOK(shopOrigin, tok, 0)
	v.next("hello")
	offer := data(a.awaitWhere("offer", func(f map[string]any) bool { return field(data(f), "task")["id"] == taskID }))
	if vis := field(field(offer, "task"), "visitor"); vis["name"] != "<b>Eve</b>" || field(vis, "fields")["order"] != markup {
		t.Fatalf("offer visitor %v", vis)
	}
	a.reply(a.send("offer.accept", map[string]any{"offerId": offer["offerId"]}))
	v.reply(v.send("message.send", map[string]any{"clientId": "x", "text": markup}))
	if m := data(a.awaitWhere("message", func(f map[string]any) bool { return data(f)["clientId"] == "x" })); m["text"] != markup || m["name"] != "<b>Eve</b>" {
		t.Fatalf("agent got %q from %q", m["text"], m["name"])
	}
	h := data(a.reply(a.send("task.history", map[string]any{"taskId": taskID})))
	msgs := h["messages"].([]any)
	if last := msgs[len(msgs)-1].(map[string]any); last["text"] != markup {
		t.Fatalf("history %q", last["text"])
	}
	items, _ := l.transcript(taskID, tok, 0).body["items"].([]any)
	if len(items) == 0 || items[len(items)-1].(map[string]any)["text"] != markup {
		t.Fatalf("transcript %v", items)
	}
}

// A message committed before the reconnected console's hello but published
// after it (the publish trails the commit) is covered by hello's lastSeq:
// the console fetches it with the history, and the socket does not send
// it live a second time.
func TestAgentHelloCoversLateMessages(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	a := l.agentSocket(0)
	taskID, _, v := l.connect(a)
	v.reply(v.send("message.send", map[string]any{"clientId": "v1", "text": "hello"}))
	a.c.Close()
	a2 := l.agentDial(0)
	h := data(a2.next("hello"))
	lastSeq := int64(field(h["tasks"].([]any)[0].(map[string]any), "task")["lastSeq"].(float64))
	stored, err := l.db.Messages(t.Context(), taskID, lastSeq-1, 1)
	if err != nil || len(stored) != 1 {
		t.Fatalf("the last stored message: %v %v", stored, err)
	}
	late, _ := interact.EncodeFrame("message", "", stored[0])
	l.webCfg.Bus.Publish(interact.TaskSubject(taskID), late)
	barrier, _ := interact.EncodeFrame("typing", "", map[string]any{"taskId": taskID, "from": "visitor", "on": true})
	l.webCfg.Bus.Publish(interact.TaskSubject(taskID), barrier)
	for _, f := range a2.until("typing") {
		if f["type"] == "message" {
			t.Fatalf("a message covered by hello's lastSeq %d came live: %v", lastSeq, f)
		}
	}
}

// hello is the first frame of an agent socket, even while the agent's
// subject is busy with events as the socket opens.
func TestAgentHelloComesFirst(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		state, _ := interact.EncodeFrame("agent.state", "", map[string]any{"id": l.agents[0].ID, "presence": "available"})
		for {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Microsecond): // busy, not a flood that overfills the queue
				l.webCfg.Bus.Publish(interact.AgentSubject(l.agents[0].ID), state)
			}
		}
	}()
	defer func() { close(stop); <-done }()
	for i := range 30 {
		c, _, err := websocket.DefaultDialer.Dial(strings.Replace(l.url, "http", "ws", 1)+"/agent/v1/ws", bearer(l.tokens[0]))
		if err != nil {
			t.Fatal(err)
		}
		var f map[string]any
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		err = c.ReadJSON(&f)
		c.Close()
		if err != nil || f["type"] != "hello" {
			t.Fatalf("socket %d: first frame %v (%v), want hello", i, f["type"], err)
		}
	}
}

// An administrator's change of an agent's memberships reaches the agent's
// open socket as services.changed (the console reloads its services); a
// change that leaves them as they are sends nothing; another agent of the
// tenant hears nothing of it.
func TestAgentSocketServicesChanged(t *testing.T) {
	l := newLive(t, 2, interact.Distribution{Type: interact.DistributeDirect})
	a0, a1 := l.agentSocket(0), l.agentSocket(1)
	sales, err := l.db.CreateService(t.Context(), l.admin, interact.Service{Name: "Sales", OUID: l.ouID,
		License: interact.LicenseContactCenter, InteractLicense: true})
	if err != nil {
		t.Fatal(err)
	}
	member := "/api/v1/services/" + sales.ID + "/members/" + l.agents[0].ID
	// barrier makes both sockets answer a ping: frames sent before it
	// have arrived.
	barrier := func() {
		t.Helper()
		for _, a := range []*wsClient{a0, a1} {
			a.reply(a.send("ping", nil))
		}
	}
	changed := func(a *wsClient) int {
		t.Helper()
		n := 0
		for {
			_, found, _ := a.poll(func(f map[string]any) bool { return f["type"] == "services.changed" })
			if !found {
				return n
			}
			n++
		}
	}
	for _, step := range []struct {
		what, method, body string
		status, want       int
	}{
		{"added", "PUT", `{"active": true}`, 200, 1},
		{"active toggled", "PUT", `{"active": false}`, 200, 0},
		{"removed", "DELETE", "", 204, 1},
	} {
		adminRequest(t, l, step.method, member, step.body, step.status)
		if step.want > 0 {
			a0.awaitWhere("services.changed", func(map[string]any) bool { return true })
		}
		barrier()
		if n := changed(a0); n != 0 {
			t.Errorf("%s: %d more services.changed frames", step.what, n)
		}
		if n := changed(a1); n != 0 {
			t.Errorf("%s: the other agent got %d services.changed frames", step.what, n)
		}
	}
}
