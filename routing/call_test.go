package routing_test

import (
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/routing"
)

// startCall starts an audio or video task.
func (w *world) startCall(m interact.Modality) *interact.Task {
	w.t.Helper()
	t, err := w.startWith(interact.StartRequest{ServiceID: w.svc.ID, Modality: m})
	if err != nil {
		w.t.Fatal(err)
	}
	return t
}

func (w *world) agentView(i int) interact.AgentView {
	w.t.Helper()
	v, ok := w.eng.Agent(w.id(i))
	if !ok {
		w.t.Fatalf("agent %d unknown to the engine", i)
	}
	return v
}

// callStates returns the "call" values of a task's call.state events.
func (w *world) callStates(taskID string) []string {
	var out []string
	for _, e := range w.pub.take(interact.TaskSubject(taskID), "call.state") {
		out = append(out, e.Data["call"].(string))
	}
	return out
}

// A call task rings, is declined, rings out (RONA) and is accepted like a
// chat; while it lasts it blocks further offers to its agent; its outcome
// and connected time are stored.
func TestCallTaskRouting(t *testing.T) {
	t.Parallel()
	w := newWorld(t, interact.Distribution{Type: interact.DistributeDirect, RingTimeoutSeconds: 20}, 3)
	for i := range 3 {
		w.online(i)
	}
	call := w.startCall(interact.ModalityVideo)
	ev := w.pub.take(interact.AgentSubject(w.id(0)), "offer")
	if len(ev) != 1 || ev[0].Data["task"].(map[string]any)["modality"] != "video" {
		t.Fatalf("agent 0 offers %+v, want one video offer", ev)
	}
	w.decline(0, ev[0].Data["offerId"].(string))
	w.offerFor(1, call.ID)
	w.clock.Advance(20 * time.Second) // agent 1 lets it ring out
	off := w.offerFor(2, call.ID)
	w.clock.Advance(3 * time.Second)
	w.accept(2, off)
	if v := w.agentView(2); v.Calls != 1 || v.Chats != 0 || v.State != interact.StateConnected {
		t.Fatalf("agent 2 on the call: %+v", v)
	}
	if v, _ := w.eng.Task(call.ID); v.Call != interact.ModalityVideo || v.AgentID != w.id(2) {
		t.Fatalf("task view %+v", v)
	}
	w.wantOffers(call.ID, "0:declined", "1:rona", "2:accepted")

	// Agent 2 is on a call: a new chat goes to the others only, and stays
	// away from agent 2 even with chat capacity left.
	w.clock.Advance(30 * time.Second)
	chat := w.start(w.svc.ID)
	if got := w.takeOffers(2); len(got) != 0 {
		t.Fatalf("agent 2 was offered %+v during a call", got)
	}
	w.eng.EndTask(w.ctx, chat.ID, interact.ByVisitor)

	w.clock.Advance(95 * time.Second)
	w.endBy(2, call.ID)
	done := w.wantTask(call.ID, interact.TaskEnded, interact.OutcomeHandled)
	if done.ConnectedAt == nil || done.EndedAt.Sub(*done.ConnectedAt) != 125*time.Second {
		t.Errorf("connected %v ended %v, want 125 s connected", done.ConnectedAt, done.EndedAt)
	}
	offers, _ := w.db.TaskOffers(w.ctx, call.ID)
	last := offers[len(offers)-1]
	if last.Modality != interact.ModalityVideo || last.AnsweredAt == nil || last.EndedAt.Sub(*last.AnsweredAt) != 125*time.Second {
		t.Errorf("accepted offer %+v", last)
	}
	if v := w.agentView(2); v.Calls != 0 {
		t.Errorf("agent 2 after the call: %+v", v)
	}
	if err := w.eng.SetCall(w.ctx, call.ID, interact.ByVisitor, interact.ModalityChat); code(err) != interact.ENOTFOUND {
		t.Errorf("SetCall on an ended task: %v", err)
	}
}

// A chat escalates to video with the same task and agent, blocks new
// offers while the call lasts, and drops back to chat.
func TestChatEscalatesToCall(t *testing.T) {
	t.Parallel()
	w := newWorld(t, interact.Distribution{Type: interact.DistributeDirect}, 2)
	w.online(0)
	chat := w.take(0, w.svc.ID)
	w.online(1)

	if err := w.eng.SetCall(w.ctx, chat.ID, w.id(1), interact.ModalityVideo); code(err) != interact.ENOTFOUND {
		t.Fatalf("another agent escalates: %v", err)
	}
	if err := w.eng.SetCall(w.ctx, chat.ID, interact.ByVisitor, interact.ModalityChat); code(err) != interact.ECONFLICT {
		t.Fatalf("hang up without a call: %v", err)
	}
	if err := w.eng.SetCall(w.ctx, chat.ID, interact.ByVisitor, "fax"); code(err) != interact.EINVALID {
		t.Fatalf("unknown modality: %v", err)
	}
	if got := w.callStates(chat.ID); len(got) != 0 {
		t.Fatalf("refusals announced %v", got)
	}
	if err := w.eng.SetCall(w.ctx, chat.ID, interact.ByVisitor, interact.ModalityVideo); err != nil {
		t.Fatal(err)
	}
	v, _ := w.eng.Task(chat.ID)
	if v.ID != chat.ID || v.AgentID != w.id(0) || v.Call != interact.ModalityVideo || v.Modality != interact.ModalityChat {
		t.Fatalf("escalated task %+v", v)
	}
	if a := w.agentView(0); a.Calls != 1 || a.Chats != 0 {
		t.Fatalf("agent 0 during the call: %+v", a)
	}
	if got := w.callStates(chat.ID); len(got) != 1 || got[0] != "video" {
		t.Fatalf("call.state events %v", got)
	}
	// The agent switches the call to audio: still one call.
	if err := w.eng.SetCall(w.ctx, chat.ID, w.id(0), interact.ModalityAudio); err != nil {
		t.Fatal(err)
	}
	if a := w.agentView(0); a.Calls != 1 {
		t.Fatalf("agent 0 after switching to audio: %+v", a)
	}
	other := w.start(w.svc.ID)
	w.noOffer(0)
	w.offerFor(1, other.ID)
	w.eng.EndTask(w.ctx, other.ID, interact.ByVisitor)

	// Back to chat: the same task and agent, and offers flow again.
	if err := w.eng.SetCall(w.ctx, chat.ID, interact.ByVisitor, interact.ModalityChat); err != nil {
		t.Fatal(err)
	}
	if got := w.callStates(chat.ID); len(got) != 2 || got[0] != "audio" || got[1] != "" {
		t.Fatalf("call.state events %v", got)
	}
	if a := w.agentView(0); a.Calls != 0 || a.Chats != 1 {
		t.Fatalf("agent 0 back in chat: %+v", a)
	}
	w.presence(1, interact.PresenceBusy)
	next := w.start(w.svc.ID)
	w.offerFor(0, next.ID)
	w.wantTask(chat.ID, interact.TaskConnected, "")
}

// A second call is refused to an agent already on one, and a transfer
// ends the escalated call (the new agent was not part of it).
func TestEscalationLimits(t *testing.T) {
	t.Parallel()
	w := newWorldCfg(t, interact.Distribution{Type: interact.DistributeDirect}, 2, routing.Config{ChatCapacity: 3})
	w.online(0)
	a := w.take(0, w.svc.ID)
	b := w.take(0, w.svc.ID)
	if err := w.eng.SetCall(w.ctx, a.ID, interact.ByVisitor, interact.ModalityAudio); err != nil {
		t.Fatal(err)
	}
	if err := w.eng.SetCall(w.ctx, b.ID, interact.ByVisitor, interact.ModalityVideo); code(err) != interact.ECONFLICT {
		t.Fatalf("a second call: %v", err)
	}
	call := w.startCall(interact.ModalityAudio)
	if err := w.eng.SetCall(w.ctx, call.ID, interact.ByVisitor, interact.ModalityVideo); code(err) != interact.ENOTFOUND {
		t.Fatalf("escalating a waiting task: %v", err)
	}
	w.online(1)
	w.accept(1, w.offerFor(1, call.ID))
	if err := w.eng.SetCall(w.ctx, call.ID, interact.ByVisitor, interact.ModalityChat); code(err) != interact.ECONFLICT {
		t.Fatalf("a call task drops to chat: %v", err)
	}
	w.callStates(a.ID)
	w.presence(1, interact.PresenceAvailable)
	if err := w.eng.Transfer(w.ctx, w.id(0), a.ID, "", w.svc.ID); err != nil {
		t.Fatal(err)
	}
	if got := w.callStates(a.ID); len(got) != 1 || got[0] != "" {
		t.Fatalf("call.state after the transfer %v", got)
	}
	if v, _ := w.eng.Task(a.ID); v.Call != "" {
		t.Fatalf("transferred task still in a call: %+v", v)
	}
	if v := w.agentView(0); v.Calls != 0 || v.Chats != 1 {
		t.Fatalf("agent 0 after the transfer: %+v", v)
	}
}
