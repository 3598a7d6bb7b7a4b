package routing

import (
	"context"
	"fmt"
	"time"

	"github.com/interact-oss/interact"
)

// When a save fails, memory holds a change the store never got, and the
// changes decided after it may build on it. Rather than undo them one by
// one, the engine rebuilds its state from the store, as Recover does after
// a restart, but for a live engine: operations wait meanwhile, the commits
// made on the old state are dropped (commit.go), the store is read with
// backoff for as long as it fails, and the old state's tasks, offers and
// queues are replaced in one step under the lock. What only memory knows
// is kept, since sockets are still connected: agents' connections,
// presence, memberships, after-call work and RONA, and tasks' visitor
// connections, call escalations and overflow hops.

// snapshot is the routing state as the store holds it.
type snapshot struct {
	tasks  []interact.Task
	offers []interact.Offer
	events map[string][]interact.Message // the tasks' events, for their calls
	seq    int64
}

// readSnapshot reads the open tasks and offers and caches the services the
// tasks are in (with their overflow chains). Called without e.mu.
func (e *Engine) readSnapshot(ctx context.Context) (*snapshot, error) {
	tasks, err := e.store.OpenTasks(ctx)
	if err != nil {
		return nil, fmt.Errorf("recover tasks: %w", err)
	}
	offers, err := e.store.OpenOffers(ctx)
	if err != nil {
		return nil, fmt.Errorf("recover offers: %w", err)
	}
	seq, err := e.store.MaxQueueSeq(ctx)
	if err != nil {
		return nil, fmt.Errorf("recover queue order: %w", err)
	}
	ids := make([]string, len(tasks))
	for i := range tasks {
		ids[i] = tasks[i].ID
	}
	events, err := e.store.TaskEvents(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("recover calls: %w", err)
	}
	byTenant := map[string][]string{}
	for _, t := range tasks {
		if t.DirectUserID == "" {
			byTenant[t.TenantID] = append(byTenant[t.TenantID], t.ServiceID)
		}
	}
	for tenantID, ids := range byTenant {
		if err := e.preload(ctx, tenantID, ids...); err != nil {
			return nil, fmt.Errorf("recover services: %w", err)
		}
	}
	return &snapshot{tasks: tasks, offers: offers, events: events, seq: seq}, nil
}

// restore puts the snapshot's tasks and offers into the engine, whose task,
// offer and queue maps are empty: waiting tasks into their queues,
// connected ones to their agents, other open offers end as cancelled. prev
// holds the tasks a rebuild replaces (nil after a restart). Called with
// e.mu held.
func (e *Engine) restore(snap *snapshot, prev map[string]*task, c *change) {
	now := e.clock.Now()
	byTask := map[string]*task{}
	for _, rt := range snap.tasks {
		t := &task{Task: rt, seen: true} // a restored visitor may be reconnecting: the full grace
		if p, ok := prev[t.ID]; ok {
			t.visitors, t.overflowHops, t.tried, t.addr = p.visitors, p.overflowHops, p.tried, p.addr
			t.call = p.call
			if p.escalated != "" && p.State == interact.TaskConnected && t.State == interact.TaskConnected && p.AgentID == t.AgentID {
				t.escalated = p.escalated
			} else if p.escalated != "" { // the call could not go on
				t.escalated = p.escalated
				e.endCall(t, interact.BySystem, c)
				t.escalated = ""
			}
		} else {
			e.restoreCall(t, snap.events[t.ID], c)
		}
		e.tasks[t.ID] = t
		e.countOpen(t, 1)
		byTask[t.ID] = t
		if t.DirectUserID == "" {
			if _, err := e.serviceInfo(t.TenantID, t.ServiceID); err != nil {
				e.log.Warn("recover: service of task is gone", "task", t.ID, "err", err)
			}
		}
	}
	for _, ro := range snap.offers {
		t := byTask[ro.TaskID]
		o := &offer{Offer: ro, task: t}
		if t != nil && t.State == interact.TaskConnected && ro.Outcome == interact.OfferAccepted && ro.AgentID == t.AgentID {
			o.agent = e.agent(ro.AgentID, ro.TenantID)
			t.accepted = o
			continue
		}
		o.end(now, interact.OfferCancelled)
		c.offer(o)
		if prev != nil && ro.Outcome == "" { // a connected console shows it ringing
			c.emit(interact.AgentSubject(ro.AgentID), "offer.ended", map[string]string{"offerId": ro.ID, "taskId": ro.TaskID, "outcome": interact.OfferCancelled})
		}
	}
	for _, t := range byTask {
		switch t.State {
		case interact.TaskConnected:
			a := e.agent(t.AgentID, t.TenantID)
			if callOf(t) != "" {
				a.calls[t.ID] = t
			} else {
				a.chats[t.ID] = t
			}
			if t.accepted == nil {
				t.accepted = &offer{Offer: interact.Offer{ID: interact.NewID(), TenantID: t.TenantID, TaskID: t.ID,
					ServiceID: t.ServiceID, AgentID: a.id, Modality: t.Modality, OfferedAt: now.UTC(),
					Outcome: interact.OfferAccepted}, task: t, agent: a}
				c.offer(t.accepted)
			}
			if a.conns == 0 && a.dropTimer == nil {
				id := a.id
				a.dropTimer = e.clock.AfterFunc(e.cfg.AgentGrace, func() { e.agentGone(id) })
				e.reachChanged()
			}
		default:
			e.enqueue(t, c)
		}
		if t.visitors == 0 {
			e.visitorAway(t)
		}
	}
}

// saveFailed starts a rebuild after a failed save of a commit of epoch,
// unless one runs. Called by the committer, holding no lock.
func (e *Engine) saveFailed(epoch int64, cause error) {
	e.failedEpoch = epoch
	e.failures.Add(1)
	e.lock()
	defer e.unlock()
	if e.rebuilding != nil || e.closed {
		return
	}
	gate := make(chan struct{})
	e.rebuilding = gate
	e.committer.Add(1)
	go e.rebuild(gate, cause)
}

// rebuild replaces the engine's state by the store's; gate is closed when
// it is done (or the engine closes).
func (e *Engine) rebuild(gate chan struct{}, cause error) {
	defer e.committer.Done()
	defer e.endRebuild(gate)
	e.log.Error("routing: a change was not saved; rebuilding the routing state from the store", "err", cause)
	var snap *snapshot
	for attempt := 0; snap == nil; attempt++ {
		if !e.pause(e.backoff(attempt)) {
			return
		}
		ctx, cancel := context.WithTimeout(e.stopped, loadTimeout)
		s, err := e.readSnapshot(ctx)
		cancel()
		if err != nil {
			e.log.Error("routing: rebuild: read the store", "attempt", attempt+1, "err", err)
			continue
		}
		snap = s
	}
	ctx, cancel := context.WithTimeout(e.stopped, loadTimeout)
	defer cancel()
	e.run(ctx, true, func(c *change) error {
		prev, waits := e.tasks, map[string]time.Duration{}
		for k, q := range e.queues {
			waits[k] = q.wait
		}
		e.stopStateTimers()
		e.tasks, e.offers, e.queues, e.openChats, e.openByAddr = map[string]*task{}, map[string]*offer{}, map[string]*queue{}, map[string]int{}, map[string]int{}
		for _, a := range e.agents {
			clear(a.chats)
			clear(a.calls)
			clear(a.ringing)
		}
		e.queueSeq = max(e.queueSeq, snap.seq) // places reserved meanwhile stay unique
		e.restore(snap, prev, c)
		for k, q := range e.queues {
			if w, ok := waits[k]; ok {
				q.wait = w
			}
		}
		e.reachChanged()
		for _, a := range e.agents {
			e.index(a)
			if a.conns > 0 {
				e.agentChanged(a, c)
			}
		}
		for key := range e.queues {
			e.checkQueue(key, c)
			c.queues[key] = true
		}
		e.epoch++
		e.endRebuildLocked(gate)
		e.log.Info("routing: state rebuilt from the store", "tasks", len(snap.tasks), "offers", len(snap.offers))
		return nil
	})
}

// endRebuild lets operations run again, unless a newer rebuild started.
func (e *Engine) endRebuild(gate chan struct{}) {
	e.lock()
	e.endRebuildLocked(gate)
	e.unlock()
}

func (e *Engine) endRebuildLocked(gate chan struct{}) {
	if e.rebuilding == gate {
		close(gate)
		e.rebuilding = nil
	}
}

// backoff is how long a rebuild waits before reading the store: not at all
// the first time, then longer with every failed save or read in a row.
func (e *Engine) backoff(attempt int) time.Duration {
	n := int(e.failures.Load()) - 1 + attempt
	if n <= 0 {
		return 0
	}
	return min(25*time.Millisecond<<min(n, 8), 5*time.Second)
}

// pause waits d of real time (store trouble is not routing time, so not
// the engine's clock); false when the engine closed.
func (e *Engine) pause(d time.Duration) bool {
	if d <= 0 {
		return e.stopped.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-e.stopped.Done():
		return false
	}
}
