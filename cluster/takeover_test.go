package cluster_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/cluster"
	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/routing"
)

// gatedStore holds a node that takes over in Recover (at OpenTasks) while
// its gate is shut: a take-over under way that does not end.
type gatedStore struct {
	routing.Store
	mu      sync.Mutex
	open    chan struct{} // closed while the gate is open
	entered chan struct{} // gets a value when Recover waits at the gate
}

func newGatedStore(s routing.Store) *gatedStore {
	g := &gatedStore{Store: s, open: make(chan struct{}), entered: make(chan struct{}, 1)}
	close(g.open)
	return g
}

func (g *gatedStore) OpenTasks(ctx context.Context) ([]interact.Task, error) {
	g.mu.Lock()
	open := g.open
	g.mu.Unlock()
	select {
	case <-open:
	default:
		select {
		case g.entered <- struct{}{}:
		default:
		}
		select {
		case <-open:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return g.Store.OpenTasks(ctx)
}

func (g *gatedStore) shut() {
	g.mu.Lock()
	g.open = make(chan struct{})
	g.mu.Unlock()
}

func (g *gatedStore) release() {
	g.mu.Lock()
	close(g.open)
	g.mu.Unlock()
}

// While no node can answer routing calls — the owner is gone and no node
// can take the lease, then a node has taken it and is still rebuilding its
// engine — the message check of a connected chat (Node.Task) answers at
// once on the agent's node (the one taking over) and on the visitor's,
// from the task's last view, without a forwarded call. Once the task has
// ended, the store refuses the parties' messages to it.
func TestMessagesDuringTakeOver(t *testing.T) {
	w := newWorld(t, 1)
	a := w.node("a")
	owner(t, a)
	var gate *gatedStore
	// Fresh copies are never used here: every answer of x and y comes
	// from the owner, over a forwarded call that calls counts, or from
	// the task's last view.
	x := w.nodeWith("x", func(c *cluster.Config) {
		c.TaskViewTTL = time.Nanosecond
		gate = newGatedStore(c.Store)
		c.Store = gate
	})
	y := w.nodeWith("y", func(c *cluster.Config) { c.TaskViewTTL = time.Nanosecond })
	y.lease.fail.Store(true) // only x may take over, and only when the test says so
	x.lease.fail.Store(true)
	calls := newTaskCalls(t, w)

	// A chat: the visitor on y, the agent on x.
	agent := w.agents[0]
	if _, err := x.AgentConnected(w.ctx, w.admin.TenantID, agent.ID); err != nil {
		t.Fatal(err)
	}
	if err := x.SetPresence(w.ctx, agent.ID, interact.PresenceAvailable, ""); err != nil {
		t.Fatal(err)
	}
	mark := w.events.mark()
	task := w.start(t, y, "Vera")
	y.VisitorConnected(task.ID)
	offer := w.events.wait(t, mark, interact.AgentSubject(agent.ID), "offer", offerFor(task.ID))
	if _, err := x.Accept(w.ctx, agent.ID, offer["offerId"].(string)); err != nil {
		t.Fatal(err)
	}
	w.events.wait(t, mark, interact.TaskSubject(task.ID), "task.state", func(d map[string]any) bool { return d["state"] == string(interact.TaskConnected) })
	w.events.wait(t, mark, interact.AgentSubject(agent.ID), "task.assigned", offerFor(task.ID))
	check := func(n *node) {
		t.Helper()
		if v, open := n.Task(task.ID); !open || v.State != interact.TaskConnected || v.AgentID != agent.ID {
			t.Fatalf("node %s: Task = %+v, %v; want the task connected to %s", n.ID(), v, open, agent.ID)
		}
	}
	// Messages flow: each check asks the owner, and the nodes keep the
	// task's last view.
	before := calls.count(t)
	for range 3 {
		check(x)
		check(y)
	}
	if n := calls.count(t) - before; n != 6 {
		t.Fatalf("6 checks with an owner made %d forwarded calls, want 6", n)
	}

	// checksWithoutOwner checks the chat 20 times on each node, after a
	// first check that may make one attempt that finds no owner: no check
	// waits for an owner, and none makes a forwarded call.
	checksWithoutOwner := func(phase string, nodes ...*node) {
		t.Helper()
		for _, n := range nodes {
			check(n)
		}
		before := calls.count(t)
		for range 20 {
			for _, n := range nodes {
				check(n)
			}
		}
		if n := calls.count(t) - before; n != 0 {
			t.Errorf("%s: %d checks made %d forwarded calls, want none", phase, 20*len(nodes), n)
		}
		for _, n := range []*node{a, x, y} {
			if n.Owner() {
				t.Fatalf("%s: node %s owns routing", phase, n.ID())
			}
		}
	}

	// The owner goes, and no node can take the lease: there is no owner.
	a.Close()
	checksWithoutOwner("no owner", x, y)

	// x takes the lease and announces itself, but its rebuild is held.
	gate.shut()
	x.lease.fail.Store(false)
	select {
	case <-gate.entered:
	case <-time.After(eventually.Timeout):
		t.Fatal("timed out waiting: node x to rebuild")
	}
	checksWithoutOwner("x rebuilding", x, y)

	// x is the owner: the checks ask it again.
	gate.release()
	if owner(t, a, x, y) != x {
		t.Fatal("x is not the owner")
	}
	eventually.True(t, "node y to ask the new owner", func() bool {
		before := calls.count(t)
		check(y)
		return calls.count(t) > before
	})
	check(x)

	// The task ends on the owner; the nodes see it. A message sent before
	// the end and resent is acknowledged as stored; a new one is refused,
	// while the engine's own message of the end went in.
	sent, _, err := w.db.AppendMessage(w.ctx, interact.Message{TaskID: task.ID, ClientID: "before-end", From: interact.FromVisitor, Name: "Vera", Text: "hello", At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.EndTask(w.ctx, task.ID, interact.ByVisitor); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*node{x, y} {
		eventually.True(t, "node "+n.ID()+" to see the task ended", func() bool { _, open := n.Task(task.ID); return !open })
	}
	again, dup, err := w.db.AppendMessage(w.ctx, interact.Message{TaskID: task.ID, ClientID: "before-end", From: interact.FromVisitor, Name: "Vera", Text: "hello", At: time.Now()})
	if err != nil || !dup || again.Seq != sent.Seq {
		t.Errorf("resend after the end: %+v, dup %v, %v; want seq %d as a duplicate", again, dup, err, sent.Seq)
	}
	for _, from := range []string{interact.FromVisitor, interact.FromAgent} {
		if m, _, err := w.db.AppendMessage(w.ctx, interact.Message{TaskID: task.ID, ClientID: "after-end-" + from, From: from, Text: "late", At: time.Now()}); interact.ErrorCode(err) != interact.ECONFLICT {
			t.Errorf("a message from the %s after the end: stored %+v, err %v; want a conflict", from, m, err)
		}
	}
	msgs, err := w.db.Messages(w.ctx, task.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if last := msgs[len(msgs)-1]; last.From != interact.FromSystem || last.Seq <= sent.Seq {
		t.Errorf("last message %+v, want the system's message of the end", last)
	}
}
