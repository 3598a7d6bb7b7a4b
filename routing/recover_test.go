package routing_test

import (
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/routing"
)

// A restart rebuilds the engine from the store: waiting tasks keep their
// order, a connected task stays with its agent if the agent reconnects
// within AgentGrace, ringing offers end cancelled, and every task still
// ends with exactly one outcome.
func TestRecover(t *testing.T) {
	t.Parallel()
	cfg := routing.Config{ChatCapacity: 1}
	w := newWorldCfg(t, direct, 2, cfg)
	w.online(0)
	held := w.take(0, w.svc.ID) // agent 0 at capacity
	var waiting []*interact.Task
	for range 3 {
		waiting = append(waiting, w.start(w.svc.ID))
	}
	w.online(1)
	ringing := w.offerFor(1, waiting[0].ID) // rings when the process dies

	w.eng.Close()
	if _, err := w.eng.StartTask(w.ctx, interact.StartRequest{TenantID: w.svc.TenantID, ServiceID: w.svc.ID, Modality: interact.ModalityChat}); err == nil {
		t.Fatal("a closed engine accepted work")
	}
	w.clock.Advance(2 * time.Second)
	w.eng = w.engineWith(cfg)
	all := append([]*interact.Task{held}, waiting...)
	for _, task := range all {
		w.eng.VisitorConnected(task.ID) // the widgets reconnect
	}

	w.wantOffers(waiting[0].ID, "1:cancelled")
	for _, o := range mustOffers(w, waiting[0].ID) {
		if o.ID == ringing && o.EndedAt == nil {
			t.Fatal("the ringing offer has no end time")
		}
	}
	if got := w.wantTask(held.ID, interact.TaskConnected, ""); got.AgentID != w.id(0) {
		t.Fatalf("held task on %q", got.AgentID)
	}
	for i, task := range waiting {
		w.wantTask(task.ID, interact.TaskWaiting, "")
		if v, ok := w.eng.Task(task.ID); !ok || v.Position != i+1 {
			t.Fatalf("waiting task %d at position %d", i, v.Position)
		}
	}
	// New tasks queue behind the recovered ones.
	late := w.start(w.svc.ID)
	if late.QueueSeq <= waiting[2].QueueSeq {
		t.Fatalf("queue seq %d after recovery, want > %d", late.QueueSeq, waiting[2].QueueSeq)
	}
	w.wantTask(late.ID, interact.TaskWaiting, "") // within the restart grace: no overflow
	waiting = append(waiting, late)

	// Agent 0 reconnects within the grace and keeps its chat.
	w.clock.Advance(grace - 3*time.Second)
	if _, err := w.eng.AgentConnected(w.ctx, w.svc.TenantID, w.id(0)); err != nil {
		t.Fatal(err)
	}
	w.presence(0, interact.PresenceAvailable)
	w.clock.Advance(time.Minute)
	w.wantTask(held.ID, interact.TaskConnected, "")
	w.wantOffers(held.ID, "0:accepted")
	w.noOffer(0)

	// Agent 1 comes back and gets the waiting tasks first come, first served.
	w.takeOffers(1)
	w.online(1)
	for _, task := range waiting {
		off := w.offerFor(1, task.ID)
		w.accept(1, off)
		w.endBy(1, task.ID)
	}
	w.endBy(0, held.ID)

	w.wantTask(held.ID, interact.TaskEnded, interact.OutcomeHandled)
	w.wantOffers(held.ID, "0:accepted")
	w.wantOffers(waiting[0].ID, "1:cancelled", "1:accepted")
	for _, task := range append(all, late) {
		got := w.stored(task.ID)
		if got.State != interact.TaskEnded || got.Outcome == "" || got.EndedAt == nil {
			t.Fatalf("task %+v", got)
		}
		if n := len(w.events(interact.TaskSubject(task.ID), "task.state")); n == 0 {
			t.Fatal("no task.state event")
		}
		outcomes := 0
		for _, e := range w.events(interact.TaskSubject(task.ID), "task.state") {
			if _, ok := e.Data["outcome"]; ok {
				outcomes++
			}
		}
		if outcomes != 1 {
			t.Fatalf("task %s announced %d outcomes", task.ID, outcomes)
		}
		for _, o := range mustOffers(w, task.ID) {
			if o.Outcome == "" || o.EndedAt == nil {
				t.Fatalf("offer %+v", o)
			}
		}
	}
	if open, _ := w.db.OpenOffers(w.ctx); len(open) != 0 {
		t.Fatalf("open offers left: %+v", open)
	}
}

// An agent who does not come back after a restart loses the task to the
// queue (dropped) once the grace has passed.
func TestRecoverAgentGone(t *testing.T) {
	t.Parallel()
	w := newWorld(t, direct, 2)
	w.online(0)
	w.online(1)
	task := w.take(0, w.svc.ID)
	w.eng.Close()
	w.eng = w.newEngine()
	w.eng.VisitorConnected(task.ID)
	if _, err := w.eng.AgentConnected(w.ctx, w.svc.TenantID, w.id(1)); err != nil {
		t.Fatal(err)
	}
	w.presence(1, interact.PresenceAvailable)
	w.clock.Advance(grace)
	w.wantOffers(task.ID, "0:dropped", "1:")
	w.accept(1, w.offerFor(1, task.ID))
	w.endBy(1, task.ID)
	w.wantTask(task.ID, interact.TaskEnded, interact.OutcomeHandled)
}
