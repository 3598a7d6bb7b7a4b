package cluster_test

import (
	"encoding/json"
	"testing"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/eventually"
)

// Calls made on any node run on the owner, and its refusals keep their
// error codes.
func TestForwarding(t *testing.T) {
	w := newWorld(t, 1)
	a, b, c := w.node("a"), w.node("b"), w.node("c")
	own := owner(t, a, b, c)
	var others []*node
	for _, n := range []*node{a, b, c} {
		if n != own {
			others = append(others, n)
		}
	}
	agent := w.agents[0]
	if _, err := others[0].AgentConnected(w.ctx, w.admin.TenantID, agent.ID); err != nil {
		t.Fatal(err)
	}
	if err := others[0].SetPresence(w.ctx, agent.ID, interact.PresenceAvailable, ""); err != nil {
		t.Fatal(err)
	}
	if !others[1].Available(w.ctx, w.admin.TenantID, w.svc.ID, "", interact.ModalityChat) {
		t.Fatal("an agent connected on another node is not available")
	}
	task := w.start(t, others[1], "Vera")
	if task.TenantID != w.admin.TenantID {
		t.Errorf("forwarded task lost its tenant: %q", task.TenantID)
	}
	offer := w.events.wait(t, 0, interact.AgentSubject(agent.ID), "offer", offerFor(task.ID))
	got, err := others[0].Accept(w.ctx, agent.ID, offer["offerId"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != task.ID || got.State != interact.TaskConnected {
		t.Errorf("accepted %+v", got)
	}
	for _, n := range []*node{a, b, c} {
		v, ok := n.Task(task.ID)
		if !ok || v.AgentID != agent.ID || v.TenantID != w.admin.TenantID {
			t.Errorf("node %s: Task = %+v, %v", n.ID(), v, ok)
		}
		if ids := n.AgentTasks(agent.ID); len(ids) != 1 || ids[0] != task.ID {
			t.Errorf("node %s: AgentTasks = %v", n.ID(), ids)
		}
		if name := n.AgentDisplayName(task.ID); name != agent.Name {
			t.Errorf("node %s: AgentDisplayName = %q", n.ID(), name)
		}
	}
	refusals := []struct {
		name string
		err  error
		code string
	}{
		{"accept a gone offer", func() error { _, err := others[1].Accept(w.ctx, agent.ID, offer["offerId"].(string)); return err }(), interact.ECONFLICT},
		{"bad presence", others[1].SetPresence(w.ctx, agent.ID, "sleepy", ""), interact.EINVALID},
		{"bad modality", func() error {
			_, err := others[0].StartTask(w.ctx, interact.StartRequest{TenantID: w.admin.TenantID, ServiceID: w.svc.ID, Modality: "fax"})
			return err
		}(), interact.EINVALID},
		{"unknown service", func() error { _, err := others[0].Queue(w.ctx, w.admin.TenantID, "nope"); return err }(), interact.ENOTFOUND},
	}
	for _, r := range refusals {
		if got := interact.ErrorCode(r.err); got != r.code {
			t.Errorf("%s: code %q (%v), want %q", r.name, got, r.err, r.code)
		}
	}
	if err := others[1].EndTask(w.ctx, task.ID, interact.ByVisitor); err != nil {
		t.Fatal(err)
	}
	if _, ok := own.Task(task.ID); ok {
		t.Error("task still open after EndTask")
	}
}

// An owner that cannot renew its lease stops; another node takes over,
// rebuilds the queue from the store and gets every node's connections, so
// the connected task stays with its agent, the ringing one is offered again,
// and agents keep their presence.
func TestTakeOver(t *testing.T) {
	w := newWorld(t, 2)
	a, b, c := w.node("a"), w.node("b"), w.node("c")
	old := owner(t, a, b, c)
	var rest []*node
	for _, n := range []*node{a, b, c} {
		if n != old {
			rest = append(rest, n)
		}
	}
	ag0, ag1 := w.agents[0], w.agents[1]
	for i, n := range rest {
		if _, err := n.AgentConnected(w.ctx, w.admin.TenantID, w.agents[i].ID); err != nil {
			t.Fatal(err)
		}
		if err := n.SetPresence(w.ctx, w.agents[i].ID, interact.PresenceAvailable, ""); err != nil {
			t.Fatal(err)
		}
	}
	t1 := w.start(t, rest[1], "First")
	rest[1].VisitorConnected(t1.ID)
	o1 := w.events.wait(t, 0, interact.AgentSubject(ag0.ID), "offer", offerFor(t1.ID))
	if _, err := rest[0].Accept(w.ctx, ag0.ID, o1["offerId"].(string)); err != nil {
		t.Fatal(err)
	}
	t2 := w.start(t, rest[1], "Second")
	w.events.wait(t, 0, interact.AgentSubject(ag1.ID), "offer", offerFor(t2.ID))

	mark := w.events.mark()
	old.lease.fail.Store(true) // the owner's store is gone
	eventually.True(t, "the old owner to step down", func() bool { return !old.Owner() })
	next := owner(t, rest...)

	if v, ok := old.Task(t1.ID); !ok || v.AgentID != ag0.ID || v.State != interact.TaskConnected {
		t.Errorf("connected task after take-over: %+v, %v", v, ok)
	}
	// The ringing offer ended with the old owner; the task is offered anew
	// to whichever agent is back first.
	var again map[string]any
	var taker int
	eventually.True(t, "a new offer of the waiting task", func() bool {
		for i, ag := range w.agents {
			if d, ok := w.events.find(mark, interact.AgentSubject(ag.ID), "offer", offerFor(t2.ID)); ok {
				again, taker = d, i
				return true
			}
		}
		return false
	})
	eventually.True(t, "both agents back, available", func() bool {
		q, err := rest[0].Queue(w.ctx, w.admin.TenantID, w.svc.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, av := range q.Agents {
			if av.Presence != interact.PresenceAvailable {
				return false
			}
		}
		return len(q.Agents) == 2
	})
	if _, err := rest[taker].Accept(w.ctx, w.agents[taker].ID, again["offerId"].(string)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{t1.ID, t2.ID} {
		if err := next.EndTask(w.ctx, id, interact.ByVisitor); err != nil {
			t.Fatal(err)
		}
		task, err := w.db.Task(w.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if task.Outcome != interact.OutcomeHandled {
			t.Errorf("task %s outcome %q", id, task.Outcome)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	owners := 0
	for _, ch := range w.owners {
		if ch.owner {
			owners++
		} else {
			owners--
		}
		if owners > 1 {
			t.Fatalf("two owners at once: %+v", w.owners)
		}
	}
}

// The owner drops the connections of a node it stops hearing from.
func TestSilentNode(t *testing.T) {
	w := newWorld(t, 1)
	a, b := w.node("a"), w.node("b")
	own := owner(t, a, b)
	other := a
	if own == a {
		other = b
	}
	ag := w.agents[0]
	if _, err := other.AgentConnected(w.ctx, w.admin.TenantID, ag.ID); err != nil {
		t.Fatal(err)
	}
	if err := other.SetPresence(w.ctx, ag.ID, interact.PresenceAvailable, ""); err != nil {
		t.Fatal(err)
	}
	if !own.Available(w.ctx, w.admin.TenantID, w.svc.ID, "", interact.ModalityChat) {
		t.Fatal("agent not available")
	}
	other.Close() // stops heartbeats, as a dead node would
	// The closing node's own farewell may publish agent.state before the
	// owner drops its connections: ask the owner itself.
	var q interact.QueueView
	eventually.True(t, "the owner to drop the silent node's agent", func() bool {
		var err error
		if q, err = own.Queue(w.ctx, w.admin.TenantID, w.svc.ID); err != nil {
			t.Fatal(err)
		}
		return len(q.Agents) == 1 && q.Agents[0].State == interact.StateOffline
	})
}

// A call resent with the same request id (after a lost reply) runs once.
func TestResentCallRunsOnce(t *testing.T) {
	w := newWorld(t, 1)
	owner(t, w.node("a"))
	bus := w.connect(t)
	body, _ := json.Marshal(map[string]any{"id": "call-1", "op": "startTask", "node": "z", "start": interact.StartRequest{
		TenantID: w.admin.TenantID, ServiceID: w.svc.ID, Modality: interact.ModalityChat, Visitor: interact.Visitor{Name: "Once"}, ResumeHash: "r1"}})
	var ids []string
	for range 3 {
		data, err := bus.Request(w.ctx, "cluster.rpc", body)
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Code   string
			Result struct{ ID string }
		}
		if err := json.Unmarshal(data, &rep); err != nil || rep.Code != "" {
			t.Fatalf("reply %s: %v", data, err)
		}
		ids = append(ids, rep.Result.ID)
	}
	if ids[0] == "" || ids[1] != ids[0] || ids[2] != ids[0] {
		t.Fatalf("three sends of one call answered %v", ids)
	}
	open, err := w.db.OpenTasks(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 {
		t.Errorf("%d tasks after resending one StartTask", len(open))
	}
}

// An owner that shuts down releases the lease: another node takes over at
// its next try, with the agents connected on it.
func TestHandOver(t *testing.T) {
	w := newWorld(t, 1)
	a, b := w.node("a"), w.node("b")
	old := owner(t, a, b)
	next := a
	if old == a {
		next = b
	}
	ag := w.agents[0]
	if _, err := next.AgentConnected(w.ctx, w.admin.TenantID, ag.ID); err != nil {
		t.Fatal(err)
	}
	if err := next.SetPresence(w.ctx, ag.ID, interact.PresenceAvailable, ""); err != nil {
		t.Fatal(err)
	}
	old.Close()
	if owner(t, next) != next {
		t.Fatal("no new owner")
	}
	if !next.Available(w.ctx, w.admin.TenantID, w.svc.ID, "", interact.ModalityChat) {
		t.Error("the agent is not available after the hand-over")
	}
	task := w.start(t, next, "After")
	w.events.wait(t, 0, interact.AgentSubject(ag.ID), "offer", offerFor(task.ID))
}
