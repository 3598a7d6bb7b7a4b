package routing

import (
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact"
)

// await receives from ch; the deadline only turns a deadlock into a
// failure, it measures nothing.
func await[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("stuck: %s", what)
		panic("unreachable")
	}
}

// While one tenant's store calls hang, another tenant's routing goes on:
// the engine reads services and agents before it takes its lock.
func TestSlowTenantDoesNotStallOthers(t *testing.T) {
	watchLocks(t)
	w := newFaultWorld(t, 2, 1)
	a, b := w.tenants[0], w.tenants[1]
	hold := make(chan struct{})
	w.store.mu.Lock()
	w.store.holdTenant, w.store.hold = a.svc.TenantID, hold
	w.store.mu.Unlock()
	var once sync.Once
	release := func() {
		once.Do(func() {
			w.store.mu.Lock()
			w.store.hold = nil
			w.store.mu.Unlock()
			close(hold)
		})
	}
	t.Cleanup(release) // before the engine closes

	// Tenant A: a task for a service not cached yet, an agent's first
	// connection, a supervisor's queue view. Each waits in the store.
	var aCalls sync.WaitGroup
	var aTask *interact.Task
	var aErrs [3]error
	aCalls.Go(func() { aTask, aErrs[0] = w.start(a.svc.TenantID, a.svc.ID, "") })
	aCalls.Go(func() { _, aErrs[1] = w.eng.AgentConnected(w.ctx, a.svc.TenantID, a.agents[0].ID) })
	aCalls.Go(func() { _, aErrs[2] = w.eng.Queue(w.ctx, a.svc.TenantID, a.svc.ID) })
	aDone := make(chan struct{})
	go func() { aCalls.Wait(); close(aDone) }()
	await(t, w.store.entered, "tenant A's first call to reach the store")

	// Tenant B: connect, start, offer, accept, end.
	bDone := make(chan string, 1)
	go func() {
		ag := b.agents[0].ID
		if _, err := w.eng.AgentConnected(w.ctx, b.svc.TenantID, ag); err != nil {
			bDone <- "connect: " + err.Error()
			return
		}
		if err := w.eng.SetPresence(w.ctx, ag, interact.PresenceAvailable, ""); err != nil {
			bDone <- "presence: " + err.Error()
			return
		}
		task, err := w.start(b.svc.TenantID, b.svc.ID, "")
		if err != nil {
			bDone <- "start: " + err.Error()
			return
		}
		off := w.pub.offerFor(ag, task.ID)
		if off == "" {
			bDone <- "no offer"
			return
		}
		if _, err := w.eng.Accept(w.ctx, ag, off); err != nil {
			bDone <- "accept: " + err.Error()
			return
		}
		if err := w.eng.EndTask(w.ctx, task.ID, ag); err != nil {
			bDone <- "end: " + err.Error()
			return
		}
		if st, err := w.db.Task(w.ctx, task.ID); err != nil || st.Outcome != interact.OutcomeHandled {
			bDone <- "stored outcome: " + st.Outcome
			return
		}
		bDone <- ""
	}()
	if msg := await(t, bDone, "tenant B's routing while tenant A's store calls hang"); msg != "" {
		t.Fatal(msg)
	}
	for range 2 {
		await(t, w.store.entered, "tenant A's other calls to reach the store")
	}
	select {
	case <-aDone:
		t.Fatal("tenant A's calls returned while their store calls were held")
	default:
	}

	release()
	await(t, aDone, "tenant A's calls after the store answered")
	for i, err := range aErrs {
		if err != nil {
			t.Fatalf("tenant A call %d: %v", i, err)
		}
	}
	if st, err := w.db.Task(w.ctx, aTask.ID); err != nil || st.State != interact.TaskWaiting {
		t.Fatalf("tenant A's task: %+v, %v", st, err)
	}
	w.noCallUnderLock()
}

// No path of the engine calls the store while it holds its lock: recover,
// connect, start (service, overflow chain, direct contact), queue views,
// transfer to a service not cached, overflow by max wait, ring timeout,
// invalidation, and the rebuild after a failed save.
func TestNoStoreCallUnderLock(t *testing.T) {
	watchLocks(t)
	w := newFaultWorld(t, 1, 3)
	ft := w.tenants[0]
	ag := func(i int) string { return ft.agents[i].ID }
	tenant := ft.svc.TenantID
	last := w.service(ft, "Last", interact.Distribution{Type: interact.DistributeDirect})
	second := w.service(ft, "Second", interact.Distribution{Type: interact.DistributeDirect,
		OverflowAction: interact.OverflowTransfer, OverflowServiceID: last.ID})
	first := w.service(ft, "First", interact.Distribution{Type: interact.DistributeDirect, MaxWaitSeconds: 60,
		OverflowAction: interact.OverflowTransfer, OverflowServiceID: second.ID})
	if _, err := w.db.PutMember(w.ctx, ft.admin, first.ID, ag(0), true); err != nil {
		t.Fatal(err)
	}
	other := w.service(ft, "Other", interact.Distribution{Type: interact.DistributeDirect})
	target := w.service(ft, "Target", interact.Distribution{Type: interact.DistributeDirect})

	// Open tasks for the restart: one connected, one waiting.
	w.clock.Advance(11 * time.Second)
	w.online(ag(0), tenant)
	held, err := w.start(tenant, ft.svc.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.eng.Accept(w.ctx, ag(0), w.pub.offerFor(ag(0), held.ID)); err != nil {
		t.Fatal(err)
	}
	if err := w.eng.SetPresence(w.ctx, ag(0), interact.PresenceBusy, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := w.start(tenant, ft.svc.ID, ""); err != nil {
		t.Fatal(err)
	}
	w.eng.Close()
	w.eng = w.engine() // Recover
	w.eng.VisitorConnected(held.ID)
	w.online(ag(0), tenant)
	w.clock.Advance(11 * time.Second) // past the restart grace

	// A task whose overflow chain is not cached: it rings agent 0 out,
	// then max wait moves it on twice (nobody serves Second or Last) and
	// it ends.
	chained, err := w.start(tenant, first.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Minute)
	if st, _ := w.db.Task(w.ctx, chained.ID); st.State != interact.TaskEnded || st.ServiceID != last.ID {
		t.Fatalf("overflowed task: %+v", st)
	}
	// A direct contact of an agent who is not connected.
	if _, err := w.start(tenant, "", ag(2)); err != nil {
		t.Fatal(err)
	}
	// Views of a service not cached.
	if _, err := w.eng.Queue(w.ctx, tenant, other.ID); err != nil {
		t.Fatal(err)
	}
	w.eng.Available(w.ctx, tenant, target.ID, "", interact.ModalityChat)
	// Transfer to a service not cached.
	fresh := w.service(ft, "Fresh", interact.Distribution{Type: interact.DistributeDirect})
	if err := w.eng.Transfer(w.ctx, ag(0), held.ID, "", fresh.ID); err != nil {
		t.Fatal(err)
	}
	// More ring timeouts, with agent 1 too.
	w.online(ag(1), tenant)
	w.clock.Advance(31 * time.Second)
	// An admin change.
	w.eng.Invalidate(w.ctx, tenant)
	// A failed save and the rebuild after it.
	w.failSaves(1)
	if _, err := w.start(tenant, ft.svc.ID, ""); err == nil {
		t.Fatal("a task started despite the failing store")
	}
	w.consistent()
	w.noCallUnderLock()
}
