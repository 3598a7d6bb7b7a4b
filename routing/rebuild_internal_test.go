package routing

import (
	"errors"
	"testing"
	"time"

	"github.com/interact-oss/interact"
)

// ringing returns the agent and id of an offer of taskID ringing now.
func (w *faultWorld) ringing(taskID string) (string, string) {
	w.t.Helper()
	w.eng.lock()
	defer w.eng.unlock()
	if t, ok := w.eng.tasks[taskID]; ok {
		for id, o := range t.offers {
			return o.AgentID, id
		}
	}
	w.t.Fatalf("task %s rings no agent", taskID)
	return "", ""
}

// When saves fail, the engine rebuilds its state from the store: after
// each failure its tasks, queue, offers and agents' tasks are what the
// store holds, and once the store is well it routes again.
func TestSaveFailureRebuildsFromStore(t *testing.T) {
	watchLocks(t)
	w := newFaultWorld(t, 1, 2)
	ft := w.tenants[0]
	a0, a1 := ft.agents[0], ft.agents[1]
	w.clock.Advance(11 * time.Second) // past the restart grace
	w.online(a0.ID, ft.svc.TenantID)
	w.online(a1.ID, ft.svc.TenantID)

	// A failed accept: the task is still waiting, and offered again.
	t1, err := w.start(ft.svc.TenantID, ft.svc.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	by, off := w.ringing(t1.ID)
	if by != a0.ID {
		t.Fatal("t1 is not offered to the longest idle agent")
	}
	w.failSaves(1)
	if _, err := w.eng.Accept(w.ctx, a0.ID, off); !errors.Is(err, errInjected) {
		t.Fatalf("accept with a failing store: %v", err)
	}
	w.consistent()
	if st, _ := w.db.Task(w.ctx, t1.ID); st.State != interact.TaskWaiting {
		t.Fatalf("t1 stored %q", st.State)
	}
	if _, again := w.ringing(t1.ID); again == off {
		t.Fatal("t1 was not offered anew")
	}

	// A failed start: the row was written before the failed save, so the
	// rebuilt engine queues the task.
	w.failSaves(1)
	if _, err := w.start(ft.svc.TenantID, ft.svc.ID, ""); err == nil {
		t.Fatal("start saved despite the failing store")
	}
	w.consistent()

	// Failures in a row: the rebuild's own save fails too, twice.
	by, off = w.ringing(t1.ID)
	w.failSaves(3)
	if _, err := w.eng.Accept(w.ctx, by, off); err == nil {
		t.Fatal("accept saved despite the failing store")
	}
	w.consistent()

	// The store is well again: t1 is accepted; a failed end leaves it
	// connected; then it ends.
	by, off = w.ringing(t1.ID)
	if _, err := w.eng.Accept(w.ctx, by, off); err != nil {
		t.Fatal(err)
	}
	w.failSaves(1)
	if err := w.eng.EndTask(w.ctx, t1.ID, by); err == nil {
		t.Fatal("end saved despite the failing store")
	}
	w.consistent()
	if got := w.eng.AgentTasks(by); len(got) != 1 || got[0] != t1.ID {
		t.Fatalf("agent's tasks after the failed end: %v", got)
	}
	if err := w.eng.EndTask(w.ctx, t1.ID, by); err != nil {
		t.Fatal(err)
	}
	// A new task is offered and accepted.
	t3, err := w.start(ft.svc.TenantID, ft.svc.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	by, off = w.ringing(t3.ID)
	if _, err := w.eng.Accept(w.ctx, by, off); err != nil {
		t.Fatal(err)
	}
	w.consistent()
	if st, _ := w.db.Task(w.ctx, t1.ID); st.Outcome != interact.OutcomeHandled {
		t.Fatalf("t1 outcome %q", st.Outcome)
	}
	if st, _ := w.db.Task(w.ctx, t3.ID); st.State != interact.TaskConnected || st.AgentID != by {
		t.Fatalf("t3 stored %+v", st)
	}
	w.noCallUnderLock()
}

// A change decided after one whose save failed is dropped, not saved: it
// may build on the lost change. Here an agent ends a task whose accept
// was never stored; the store must not record it as handled.
func TestSaveFailureDropsLaterChanges(t *testing.T) {
	watchLocks(t)
	w := newFaultWorld(t, 1, 1)
	ft := w.tenants[0]
	ag := ft.agents[0]
	w.clock.Advance(11 * time.Second)
	w.online(ag.ID, ft.svc.TenantID)
	task, err := w.start(ft.svc.TenantID, ft.svc.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	_, off := w.ringing(task.ID)

	block, waits := make(chan struct{}), make(chan struct{}, 1)
	w.store.mu.Lock()
	w.store.blockSave, w.store.saveWaits = block, waits
	w.store.mu.Unlock()
	accepted := make(chan error, 1)
	go func() {
		_, err := w.eng.Accept(w.ctx, ag.ID, off)
		accepted <- err
	}()
	await(t, waits, "the accept's save")
	// In memory the agent is connected now: end the task, and wait until
	// that decision is queued behind the accept's save.
	decided := make(chan struct{}, 1)
	observe := func(time.Duration) {
		select {
		case decided <- struct{}{}:
		default:
		}
	}
	lockObserver.Store(&observe)
	ended := make(chan error, 1)
	go func() { ended <- w.eng.EndTask(w.ctx, task.ID, ag.ID) }()
	await(t, decided, "the end to be decided")
	lockObserver.Store(nil)
	close(block) // the accept's save fails

	acceptErr, endErr := await(t, accepted, "the accept"), await(t, ended, "the end")
	w.consistent()
	if st, _ := w.db.Task(w.ctx, task.ID); st.State != interact.TaskWaiting || st.Outcome != "" {
		t.Fatalf("task stored %q %q, want waiting", st.State, st.Outcome)
	}
	if !errors.Is(acceptErr, errInjected) {
		t.Fatalf("accept: %v", acceptErr)
	}
	if endErr != errRebuilding {
		t.Fatalf("end: %v, want the rebuilding error", endErr)
	}
	w.pub.mu.Lock()
	for _, ev := range w.pub.events {
		if ev.typ == "task.assigned" || ev.typ == "task.ended" {
			t.Errorf("published %s of a change never saved", ev.typ)
		}
	}
	w.pub.mu.Unlock()

	// Offered anew, the task is handled.
	_, off = w.ringing(task.ID)
	if _, err := w.eng.Accept(w.ctx, ag.ID, off); err != nil {
		t.Fatal(err)
	}
	if err := w.eng.EndTask(w.ctx, task.ID, ag.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := w.db.Task(w.ctx, task.ID); st.Outcome != interact.OutcomeHandled {
		t.Fatalf("outcome %q", st.Outcome)
	}
	w.consistent()
	w.noCallUnderLock()
}
