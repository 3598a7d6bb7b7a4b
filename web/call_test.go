package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web"
)

// Call signalling over the real visitor and agent WebSockets: frames are
// relayed only between a task's visitor and its connected agent.

// newCallLive is a live stack whose ICE provider hands out task-bound
// TURN credentials.
func newCallLive(t *testing.T, agents int) *live {
	return newLiveWith(t, agents, interact.Distribution{Type: interact.DistributeDirect}, func(c *web.Config) {
		c.ICE = func(taskID string) interact.ICEConfig {
			return interact.ICEConfig{Servers: []interact.ICEServer{{URLs: []string{"turn:127.0.0.1:3478?transport=udp"},
				Username: "1893456000:" + taskID, Credential: "secret-for-" + taskID}}}
		}
	})
}

// signal sends a call frame and returns its answer.
func signal(w *wsClient, typ string, d map[string]any) map[string]any {
	w.t.Helper()
	return w.reply(w.send(typ, d))
}

func wantOK(t *testing.T, what string, f map[string]any) {
	t.Helper()
	if f["type"] == "error" {
		t.Fatalf("%s: %v", what, f)
	}
}

func TestCallSignallingRelay(t *testing.T) {
	l := newCallLive(t, 2)
	a0 := l.agentSocket(0)
	taskID, tok, _ := l.begin(shopOrigin, callReq(l.st.WidgetKey, "video"))
	v := l.dialVisitorOK(shopOrigin, tok, 0)
	if h := data(v.next("hello")); h["call"] != "video" || h["modality"] != "video" {
		t.Fatalf("visitor hello %v", h)
	}

	// The visitor may fetch the ICE configuration of its call while it
	// waits, but there is no one to signal to yet.
	cfg := v.reply(v.send("rtc.config", map[string]any{}))
	if cfg["type"] != "rtc.config" || !strings.Contains(fmt.Sprint(data(cfg)["iceServers"]), "1893456000:"+taskID) {
		t.Fatalf("visitor ICE config %v", cfg)
	}
	wantErrorFrame(t, "offer before an agent", signal(v, "rtc.offer", map[string]any{"session": "s1", "sdp": "v=0"}), interact.ECONFLICT)

	offer := data(a0.awaitWhere("offer", func(f map[string]any) bool { return field(data(f), "task")["id"] == taskID }))
	if field(offer, "task")["modality"] != "video" {
		t.Fatalf("offer %v", offer)
	}
	wantOK(t, "accept", a0.reply(a0.send("offer.accept", map[string]any{"offerId": offer["offerId"]})))
	v.awaitWhere("task.state", func(f map[string]any) bool { return data(f)["state"] == "connected" })

	// Offer, answer and candidates both ways.
	wantOK(t, "visitor offer", signal(v, "rtc.offer", map[string]any{"session": "s1", "sdp": "v=0 offer"}))
	if d := data(a0.next("rtc.offer")); d["taskId"] != taskID || d["from"] != "visitor" || d["session"] != "s1" || d["sdp"] != "v=0 offer" {
		t.Fatalf("agent got offer %v", d)
	}
	wantOK(t, "agent answer", signal(a0, "rtc.answer", map[string]any{"taskId": taskID, "session": "s1", "sdp": "v=0 answer"}))
	if d := data(v.next("rtc.answer")); d["from"] != "agent" || d["sdp"] != "v=0 answer" {
		t.Fatalf("visitor got answer %v", d)
	}
	cand := map[string]any{"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host", "sdpMid": "0", "sdpMLineIndex": 0}
	wantOK(t, "agent candidates", signal(a0, "rtc.ice", map[string]any{"taskId": taskID, "session": "s1", "candidates": []any{cand, cand}}))
	if d := data(v.next("rtc.ice")); fmt.Sprint(d["candidates"]) != fmt.Sprint([]any{cand, cand}) {
		t.Fatalf("visitor got candidates %v", d)
	}
	wantOK(t, "visitor candidate", signal(v, "rtc.ice", map[string]any{"session": "s1", "candidates": []any{cand}}))
	if d := data(a0.next("rtc.ice")); d["from"] != "visitor" || len(d["candidates"].([]any)) != 1 {
		t.Fatalf("agent got candidates %v", d)
	}
	wantOK(t, "mute", signal(a0, "call.media", map[string]any{"taskId": taskID, "audio": false, "video": true}))
	if d := data(v.next("call.media")); d["audio"] != false || d["video"] != true {
		t.Fatalf("visitor got media state %v", d)
	}
	wantOK(t, "restart", signal(a0, "rtc.restart", map[string]any{"taskId": taskID}))
	if d := data(v.next("rtc.restart")); d["from"] != "agent" || d["taskId"] != taskID {
		t.Fatalf("visitor got restart %v", d)
	}
	if d := data(signal(a0, "rtc.config", map[string]any{"taskId": taskID})); !strings.Contains(fmt.Sprint(d["iceServers"]), "secret-for-"+taskID) {
		t.Fatalf("agent ICE config %v", d)
	}

	// Bad data is refused and not relayed.
	wantErrorFrame(t, "no sdp", signal(v, "rtc.offer", map[string]any{"session": "s1"}), interact.EINVALID)
	wantErrorFrame(t, "no session", signal(v, "rtc.answer", map[string]any{"sdp": "v=0"}), interact.EINVALID)
	wantErrorFrame(t, "candidate not an object", signal(v, "rtc.ice", map[string]any{"session": "s1", "candidates": []any{"x"}}), interact.EINVALID)
	wantErrorFrame(t, "no candidates", signal(v, "rtc.ice", map[string]any{"session": "s1", "candidates": []any{}}), interact.EINVALID)
	wantErrorFrame(t, "null candidate", signal(v, "rtc.ice", map[string]any{"session": "s1", "candidates": []any{nil}}), interact.EINVALID)
	wantErrorFrame(t, "media without video", signal(v, "call.media", map[string]any{"audio": true}), interact.EINVALID)
	wantErrorFrame(t, "sdp too long", signal(v, "rtc.offer", map[string]any{"session": "s1", "sdp": strings.Repeat("a", 12001)}), interact.EINVALID)

	// Another agent is refused: no relay, no ICE credentials.
	a1 := l.agentSocket(1)
	for _, typ := range []string{"rtc.offer", "rtc.config", "call.hangup", "call.start"} {
		wantErrorFrame(t, "agent 1 "+typ, signal(a1, typ, map[string]any{"taskId": taskID, "session": "s1", "sdp": "v=0 evil", "modality": "audio"}), interact.EFORBIDDEN)
	}

	// Another task: a chat of a second visitor, connected to agent 1. Its
	// visitor cannot signal into the call, nor the call's agent into it.
	chatID, chatTok, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	v2 := l.dialVisitorOK(shopOrigin, chatTok, 0)
	v2.next("hello")
	off2 := data(a1.awaitWhere("offer", func(f map[string]any) bool { return field(data(f), "task")["id"] == chatID }))
	wantOK(t, "agent 1 accepts", a1.reply(a1.send("offer.accept", map[string]any{"offerId": off2["offerId"]})))
	wantErrorFrame(t, "visitor 2 into the call", signal(v2, "rtc.offer", map[string]any{"taskId": taskID, "session": "s1", "sdp": "v=0 evil"}), interact.EFORBIDDEN)
	wantErrorFrame(t, "visitor 2 on its chat", signal(v2, "rtc.offer", map[string]any{"session": "s1", "sdp": "v=0"}), interact.ECONFLICT)
	wantErrorFrame(t, "agent 0 into the chat", signal(a0, "rtc.answer", map[string]any{"taskId": chatID, "session": "s1", "sdp": "v=0 evil"}), interact.EFORBIDDEN)
	wantErrorFrame(t, "no task id", signal(a0, "rtc.answer", map[string]any{"session": "s1", "sdp": "v=0"}), interact.EINVALID)

	// The visitor hangs up the call task: it ends for both.
	wantOK(t, "hang up", signal(v, "call.hangup", map[string]any{}))
	v.awaitWhere("task.state", func(f map[string]any) bool {
		return data(f)["state"] == "ended" && data(f)["outcome"] == interact.OutcomeHandled
	})
	a0.awaitWhere("task.ended", func(f map[string]any) bool { return data(f)["taskId"] == taskID })

	// Nothing evil reached anyone: the only frames relayed were the ones above.
	for _, w := range []*wsClient{v, v2, a0, a1} {
		for {
			f, found, _ := w.poll(func(f map[string]any) bool {
				return strings.HasPrefix(fmt.Sprint(f["type"]), "rtc.") && strings.Contains(fmt.Sprint(f["data"]), "evil")
			})
			if !found {
				break
			}
			t.Errorf("relayed a refused frame: %v", f)
		}
	}
}

func TestCallEscalation(t *testing.T) {
	l := newCallLive(t, 1)
	a0 := l.agentSocket(0)
	taskID, tok, v := l.connect(a0)

	wantErrorFrame(t, "offer without a call", signal(v, "rtc.offer", map[string]any{"session": "s1", "sdp": "v=0"}), interact.ECONFLICT)
	wantErrorFrame(t, "ICE without a call", signal(a0, "rtc.config", map[string]any{"taskId": taskID}), interact.ECONFLICT)
	wantErrorFrame(t, "start a chat call", signal(v, "call.start", map[string]any{"modality": "chat"}), interact.EINVALID)

	// The visitor escalates to video: same task and agent, and the agent's
	// load counts a call.
	wantOK(t, "escalate", signal(v, "call.start", map[string]any{"modality": "video"}))
	for _, w := range []*wsClient{v, a0} {
		if d := data(w.next("call.state")); d["call"] != "video" || d["taskId"] != taskID || d["by"] != "visitor" {
			t.Fatalf("call.state %v", d)
		}
	}
	a0.awaitWhere("agent.state", func(f map[string]any) bool { return data(f)["calls"] == 1.0 && data(f)["chats"] == 0.0 })
	if tv, _ := l.engine.Task(taskID); tv.AgentID != l.agents[0].ID || tv.Call != interact.ModalityVideo {
		t.Fatalf("escalated task %+v", tv)
	}
	wantOK(t, "offer in the call", signal(v, "rtc.offer", map[string]any{"session": "s1", "sdp": "v=0 offer"}))
	a0.next("rtc.offer")

	// A reloaded page learns the call from its hello.
	v2 := l.dialVisitorOK(shopOrigin, tok, 0)
	if h := data(v2.next("hello")); h["call"] != "video" || h["taskId"] != taskID {
		t.Fatalf("hello after reload %v", h)
	}

	// The agent drops back to chat: the same task and agent.
	wantOK(t, "de-escalate", signal(a0, "call.hangup", map[string]any{"taskId": taskID}))
	for _, w := range []*wsClient{v, a0} {
		if d := data(w.next("call.state")); d["call"] != "" || d["taskId"] != taskID {
			t.Fatalf("call.state %v", d)
		}
	}
	a0.awaitWhere("agent.state", func(f map[string]any) bool { return data(f)["calls"] == 0.0 && data(f)["chats"] == 1.0 })
	if tv, _ := l.engine.Task(taskID); tv.AgentID != l.agents[0].ID || tv.Call != "" || tv.State != interact.TaskConnected {
		t.Fatalf("task after the call %+v", tv)
	}
	wantErrorFrame(t, "hang up twice", signal(v, "call.hangup", map[string]any{}), interact.ECONFLICT)

	// With audio/video switched off, the chat cannot escalate.
	l.setAudioVideo(t, false)
	wantErrorFrame(t, "escalate while calls are off", signal(v, "call.start", map[string]any{"modality": "audio"}), interact.EMODALITYOFF)
	wantErrorFrame(t, "agent escalates while calls are off", signal(a0, "call.start", map[string]any{"taskId": taskID, "modality": "audio"}), interact.EMODALITYOFF)
}

// setAudioVideo switches the live service's audio/video toggle through the
// admin API (which clears the widget's contact cache).
func (l *live) setAudioVideo(t *testing.T, on bool) {
	t.Helper()
	r := l.widget("PUT", "/api/v1/services/"+l.svc.ID+"/interact", "", l.adminToken(), map[string]any{"audioVideo": on})
	if r.status != 200 {
		t.Fatalf("audioVideo %v: %d %v", on, r.status, r.body)
	}
}
