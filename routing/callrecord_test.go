package routing_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/routing"
)

// callLog returns a task's call events as stored, one line each:
// "type modality[<-from] by [connected duration]", and the call id of each.
func (w *world) callLog(taskID string) (lines, calls []string) {
	w.t.Helper()
	msgs, err := w.db.Messages(w.ctx, taskID, 0, 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			w.t.Fatalf("task %s: message %d has seq %d", taskID, i, m.Seq)
		}
		e := m.Event
		if e == nil {
			continue
		}
		if m.From != interact.FromSystem || m.Text != "" {
			w.t.Errorf("event %+v stored as a %s message with text %q", e, m.From, m.Text)
		}
		by := e.By
		if j := w.index(by); j >= 0 {
			by = fmt.Sprint("agent", j)
		}
		line := e.Type + " " + string(e.Modality)
		if e.From != "" {
			line += "<-" + string(e.From)
		}
		line += " " + by
		if e.Type == interact.EventCallEnded {
			line += fmt.Sprintf(" %v %s", e.Connected, time.Duration(e.DurationMS)*time.Millisecond)
		}
		lines = append(lines, line)
		calls = append(calls, e.CallID)
	}
	return lines, calls
}

func (w *world) wantCallLog(taskID string, want ...string) []string {
	w.t.Helper()
	got, calls := w.callLog(taskID)
	if diff := cmp.Diff(want, got); diff != "" {
		w.t.Fatalf("call events of %s (-want +got):\n%s", taskID, diff)
	}
	return calls
}

func (w *world) setCall(taskID, by string, m interact.Modality) {
	w.t.Helper()
	if err := w.eng.SetCall(w.ctx, taskID, by, m); err != nil {
		w.t.Fatalf("SetCall %s by %s: %v", m, by, err)
	}
}

func (w *world) connected(taskID string, i int) {
	w.t.Helper()
	if err := w.eng.CallConnected(w.ctx, taskID, w.id(i)); err != nil {
		w.t.Fatal(err)
	}
}

// A chat escalated to audio, switched to video and back to chat leaves
// its call on the record: started, connected (once, however often the
// agent answers), the switch, and the end with how long it was connected;
// a second call has an id of its own, and ends with the task.
func TestCallsOnTheRecord(t *testing.T) {
	t.Parallel()
	w := newWorld(t, interact.Distribution{Type: interact.DistributeDirect}, 2)
	w.online(0)
	chat := w.take(0, w.svc.ID)

	w.connected(chat.ID, 0) // no call: nothing to connect
	w.setCall(chat.ID, interact.ByVisitor, interact.ModalityAudio)
	w.clock.Advance(2 * time.Second)
	if err := w.eng.CallConnected(w.ctx, chat.ID, w.id(1)); err != nil { // not its agent: nothing
		t.Fatal(err)
	}
	w.connected(chat.ID, 0)
	w.clock.Advance(30 * time.Second)
	w.connected(chat.ID, 0) // an ICE restart answers again
	w.setCall(chat.ID, w.id(0), interact.ModalityVideo)
	w.setCall(chat.ID, w.id(0), interact.ModalityVideo) // no change
	w.clock.Advance(60 * time.Second)
	w.setCall(chat.ID, interact.ByVisitor, interact.ModalityChat)

	w.setCall(chat.ID, w.id(0), interact.ModalityVideo) // a second call, never connected
	w.clock.Advance(10 * time.Second)
	w.endBy(0, chat.ID)
	calls := w.wantCallLog(chat.ID,
		"call.started audio visitor",
		"call.connected audio agent0",
		"call.modality video<-audio agent0",
		"call.ended video visitor true 1m30s",
		"call.started video agent0",
		"call.ended video agent0 false 0s",
	)
	if calls[0] != calls[3] || calls[3] == calls[4] || calls[4] != calls[5] {
		t.Errorf("call ids %v: want one per call", calls)
	}
	// The events sit between the conversation's other system messages.
	if texts := w.texts(chat.ID); texts[len(texts)-1] == "" || texts[len(texts)-2] != "" {
		t.Errorf("messages %q: want the ended message after the call's end", texts)
	}
}

// A call task is a call from its start: started by the visitor when it
// is created, connected when its agent answers, ended with the task — also
// when the visitor hangs up in the queue; a transfer of an escalated chat
// ends its call, and a call task's next agent connects it again.
func TestCallTaskOnTheRecord(t *testing.T) {
	t.Parallel()
	w := newWorld(t, interact.Distribution{Type: interact.DistributeDirect}, 2)
	w.online(0)
	call := w.startCall(interact.ModalityVideo)
	w.accept(0, w.offerFor(0, call.ID))
	w.connected(call.ID, 0)
	w.clock.Advance(45 * time.Second)
	if err := w.eng.EndTask(w.ctx, call.ID, interact.ByVisitor); err != nil {
		t.Fatal(err)
	}
	w.wantCallLog(call.ID, "call.started video visitor", "call.connected video agent0", "call.ended video visitor true 45s")

	w.eng.EndACW(w.ctx, w.id(0))
	hung := w.startCall(interact.ModalityAudio)
	w.offerFor(0, hung.ID)
	if err := w.eng.EndTask(w.ctx, hung.ID, interact.ByVisitor); err != nil { // while it rings
		t.Fatal(err)
	}
	w.wantTask(hung.ID, interact.TaskEnded, interact.OutcomeHangupInQueue)
	w.wantCallLog(hung.ID, "call.started audio visitor", "call.ended audio visitor false 0s")

	// Agent 0's chat, escalated, is transferred to agent 1: the call ends.
	w.takeOffers(0)
	chat := w.take(0, w.svc.ID)
	w.setCall(chat.ID, w.id(0), interact.ModalityAudio)
	w.connected(chat.ID, 0)
	since := w.clock.Now()
	w.clock.Advance(5 * time.Second)
	w.online(1)
	if err := w.eng.Transfer(w.ctx, w.id(0), chat.ID, w.id(1), ""); err != nil {
		t.Fatal(err)
	}
	w.wantCallLog(chat.ID, "call.started audio agent0", "call.connected audio agent0", "call.ended audio system true "+w.clock.Now().Sub(since).String())

	w.accept(1, w.offerFor(1, chat.ID))
	w.endBy(1, chat.ID)
	w.eng.EndACW(w.ctx, w.id(1))

	// A call task whose agent drops goes back to the queue, still a call;
	// the next agent's answer connects it again.
	w.eng.EndACW(w.ctx, w.id(0))
	w.presence(1, interact.PresenceBusy)
	again := w.startCall(interact.ModalityAudio)
	w.accept(0, w.offerFor(0, again.ID))
	w.connected(again.ID, 0)
	w.presence(1, interact.PresenceAvailable)
	w.eng.AgentDisconnected(w.ctx, w.id(0))
	w.pastGrace()
	w.accept(1, w.offerFor(1, again.ID))
	w.connected(again.ID, 1)
	w.clock.Advance(20 * time.Second)
	w.endBy(1, again.ID)
	w.wantCallLog(again.ID, "call.started audio visitor", "call.connected audio agent0", "call.connected audio agent1",
		fmt.Sprintf("call.ended audio agent1 true %s", grace+time.Second+20*time.Second))
}

// After a restart on the same database an escalated chat comes back
// knowing its call: still on video, held by its agent as a call, with its
// id and connected time, so that its end is recorded as one call; an
// answer after the restart does not connect it again.
func TestCallSurvivesRestart(t *testing.T) {
	t.Parallel()
	cfg := routing.Config{ChatCapacity: 3}
	w := newWorldCfg(t, interact.Distribution{Type: interact.DistributeDirect}, 2, cfg)
	w.online(0)
	chat := w.take(0, w.svc.ID)
	other := w.take(0, w.svc.ID) // its call ends before the restart
	w.setCall(other.ID, interact.ByVisitor, interact.ModalityAudio)
	w.setCall(other.ID, interact.ByVisitor, interact.ModalityChat)
	w.setCall(chat.ID, interact.ByVisitor, interact.ModalityAudio)
	w.connected(chat.ID, 0)
	w.clock.Advance(20 * time.Second)
	w.setCall(chat.ID, w.id(0), interact.ModalityVideo)

	w.eng.Close()
	w.clock.Advance(3 * time.Second)
	w.eng = w.engineWith(cfg)
	if v, ok := w.eng.Task(chat.ID); !ok || v.Call != interact.ModalityVideo || v.AgentID != w.id(0) {
		t.Fatalf("escalated chat after the restart: %+v", v)
	}
	if v, _ := w.eng.Task(other.ID); v.Call != "" {
		t.Fatalf("the other chat after the restart: %+v", v)
	}
	if _, err := w.eng.AgentConnected(w.ctx, w.svc.TenantID, w.id(0)); err != nil {
		t.Fatal(err)
	}
	if v := w.agentView(0); v.Calls != 1 || v.Chats != 1 {
		t.Fatalf("agent 0 after the restart: %+v", v)
	}
	w.connected(chat.ID, 0) // the console rejoins and answers anew
	w.clock.Advance(7 * time.Second)
	w.setCall(chat.ID, w.id(0), interact.ModalityChat)
	calls := w.wantCallLog(chat.ID,
		"call.started audio visitor",
		"call.connected audio agent0",
		"call.modality video<-audio agent0",
		"call.ended video agent0 true 30s",
	)
	if calls[0] != calls[3] {
		t.Errorf("call ids %v: the restart made a new call", calls)
	}
	if v := w.agentView(0); v.Calls != 0 || v.Chats != 2 {
		t.Fatalf("agent 0 after the call: %+v", v)
	}

	// An escalated chat whose agent does not come back within the grace
	// goes back to the queue (and, with no agent left, overflows); its
	// call ends, by the system.
	w.setCall(chat.ID, interact.ByVisitor, interact.ModalityAudio)
	w.eng.Close()
	w.eng = w.engineWith(cfg)
	w.pastGrace()
	if v, ok := w.eng.Task(chat.ID); ok && (v.AgentID != "" || v.Call != "") {
		t.Errorf("the chat after its agent's grace: %+v", v)
	}
	got, _ := w.callLog(chat.ID)
	if want := "call.ended audio system false 0s"; got[len(got)-1] != want {
		t.Errorf("last call event %q, want %q", got[len(got)-1], want)
	}
}
