package cluster_test

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/cluster"
	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/natsbus"
)

// taskCalls counts the Task calls forwarded to the owner, as NATS carries
// them.
type taskCalls struct {
	bus    *natsbus.Bus
	mu     sync.Mutex
	n      int
	marked map[string]bool
}

func newTaskCalls(t *testing.T, w *world) *taskCalls {
	c := &taskCalls{bus: w.connect(t), marked: map[string]bool{}}
	// One subscription sees the calls and the markers in the order NATS
	// received them.
	if _, err := c.bus.Subscribe("cluster.>", func(subject string, data []byte) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if subject == "cluster.test.mark" {
			c.marked[string(data)] = true
			return
		}
		var req struct{ Op string }
		if subject == "cluster.rpc" && json.Unmarshal(data, &req) == nil && req.Op == "task" {
			c.n++
		}
	}); err != nil {
		t.Fatal(err)
	}
	c.bus.Flush()
	return c
}

// count returns how many calls were sent before now.
func (c *taskCalls) count(t *testing.T) int {
	t.Helper()
	mark := interact.NewID()
	if err := c.bus.Publish("cluster.test.mark", []byte(mark)); err != nil {
		t.Fatal(err)
	}
	eventually.True(t, "the marker", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.marked[mark]
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// A node that is not the owner answers Task from its copy of the owner's
// answer until an event or a change of its own drops it; it never reports
// an ended task open once it saw the end.
func TestTaskViews(t *testing.T) {
	w := newWorld(t, 2)
	long := func(c *cluster.Config) { c.TaskViewTTL = time.Hour } // only events and changes drop a copy
	a := w.nodeWith("a", long)
	own := owner(t, a)
	b := w.nodeWith("b", long)
	calls := newTaskCalls(t, w)
	connectAgent := func(agent *interact.User) {
		if _, err := own.AgentConnected(w.ctx, w.admin.TenantID, agent.ID); err != nil {
			t.Fatal(err)
		}
		if err := own.SetPresence(w.ctx, agent.ID, interact.PresenceAvailable, ""); err != nil {
			t.Fatal(err)
		}
	}
	connected := func(agent *interact.User) *interact.Task {
		t.Helper()
		mark := w.events.mark()
		task := w.start(t, own, "Vera")
		offer := w.events.wait(t, mark, interact.AgentSubject(agent.ID), "offer", offerFor(task.ID))
		if _, err := own.Accept(w.ctx, agent.ID, offer["offerId"].(string)); err != nil {
			t.Fatal(err)
		}
		return task
	}
	connectAgent(w.agents[0])
	task := connected(w.agents[0])

	// The first check asks the owner; the next ones do not. (The accept's
	// events reach node b before the first answer does, but its handlers
	// may run after the answer was kept, and drop it: then the next check
	// asks again.)
	before := calls.count(t)
	eventually.True(t, "node b to keep the owner's answer", func() bool {
		before := calls.count(t)
		if v, open := b.Task(task.ID); !open || v.AgentID != w.agents[0].ID || v.State != interact.TaskConnected {
			t.Fatalf("Task = %+v, %v", v, open)
		}
		return calls.count(t) == before
	})
	if n := calls.count(t) - before; n < 1 {
		t.Errorf("the first check of a connected task made %d forwarded calls, want 1", n)
	}
	before = calls.count(t)
	for range 50 {
		if v, open := b.Task(task.ID); !open || v.AgentID != w.agents[0].ID || v.State != interact.TaskConnected {
			t.Fatalf("Task = %+v, %v", v, open)
		}
	}
	if n := calls.count(t) - before; n != 0 {
		t.Errorf("50 checks of a connected task with a kept answer made %d forwarded calls, want none", n)
	}

	// Ended on the owner: the task's event drops the copy (it would live
	// an hour otherwise), and the next check asks the owner again.
	if err := own.EndTask(w.ctx, task.ID, interact.ByVisitor); err != nil {
		t.Fatal(err)
	}
	eventually.True(t, "node b to see the task ended", func() bool { _, open := b.Task(task.ID); return !open })

	// Ended through node b itself: closed at once, before any event.
	task = connected(w.agents[0])
	if _, open := b.Task(task.ID); !open {
		t.Fatal("a connected task is not open")
	}
	if err := b.EndTask(w.ctx, task.ID, w.agents[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, open := b.Task(task.ID); open {
		t.Error("node b reports the task it just ended open")
	}

	// Transferred to another agent on the owner: the agent that had it is
	// no longer its party once the events arrive.
	connectAgent(w.agents[1])
	task = connected(w.agents[0])
	if v, _ := b.Task(task.ID); v.AgentID != w.agents[0].ID {
		t.Fatalf("Task = %+v", v)
	}
	mark := w.events.mark()
	if err := own.Transfer(w.ctx, w.agents[0].ID, task.ID, w.agents[1].ID, ""); err != nil {
		t.Fatal(err)
	}
	offer := w.events.wait(t, mark, interact.AgentSubject(w.agents[1].ID), "offer", offerFor(task.ID))
	eventually.True(t, "node b to see the transfer", func() bool {
		v, open := b.Task(task.ID)
		return open && (v.AgentID != w.agents[0].ID || v.State != interact.TaskConnected)
	})
	if _, err := own.Accept(w.ctx, w.agents[1].ID, offer["offerId"].(string)); err != nil {
		t.Fatal(err)
	}
	eventually.True(t, "node b to see the new agent", func() bool {
		v, open := b.Task(task.ID)
		return open && v.AgentID == w.agents[1].ID && v.State == interact.TaskConnected
	})
}
