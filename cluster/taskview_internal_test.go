package cluster

import (
	"testing"
	"time"

	"github.com/interact-oss/interact"
)

// The races of the copy: an answer overtaken by a drop is not kept, nor one
// read before a reconnect of the bus, nor one older than the TTL.
func TestTaskViewRaces(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newTaskViews(time.Second)
	c.now = func() time.Time { return now }
	open := interact.TaskView{Task: interact.Task{ID: "t1", State: interact.TaskConnected, AgentID: "u1"}}
	const keep = 20 * time.Second

	start := c.begin()
	c.taskEvent("task.t1", []byte(`{"type":"task.state","data":{"state":"ended"}}`)) // arrives while the call is under way
	c.put("t1", open, true, start, 0, keep)
	if _, _, ok := c.get("t1", 0); ok {
		t.Error("an answer overtaken by the task's event was kept")
	}

	start = c.begin()
	c.agentEvent("agent.u1", []byte(`{"type":"task.released","data":{"taskId":"t1","reason":"rona"}}`))
	c.put("t1", open, true, start, 0, keep)
	if _, _, ok := c.get("t1", 0); ok {
		t.Error("an answer overtaken by an agent's event naming the task was kept")
	}

	start = c.begin()
	c.flush() // a new owner
	c.put("t1", open, true, start, 0, keep)
	if _, _, ok := c.get("t1", 0); ok {
		t.Error("an answer overtaken by a new owner was kept")
	}

	start = c.begin()
	c.drop("t2") // another task's change does not matter
	c.taskEvent("task.t1", []byte(`{"type":"message","data":{"text":"\"type\":\"task.state\""}}`))
	c.put("t1", open, true, start, 0, keep)
	if v, ok, hit := c.get("t1", 0); !hit || !ok || v.AgentID != "u1" {
		t.Fatalf("get = %+v %v %v, want the kept answer", v, ok, hit)
	}
	if _, _, ok := c.get("t1", 1); ok {
		t.Error("an answer read before the bus reconnected was used")
	}
	now = now.Add(time.Second)
	if _, _, ok := c.get("t1", 0); ok {
		t.Error("an answer older than the TTL was used")
	}

	start = c.begin()
	c.agentEvent("agent.u1", []byte(`{"type":"task.assigned","data":garbled`))
	c.put("t1", open, true, start, 0, keep)
	if _, _, ok := c.get("t1", 0); ok {
		t.Error("an unreadable agent event did not drop everything")
	}

	off := newTaskViews(-1)
	off.put("t1", open, true, off.begin(), 0, keep)
	if _, _, ok := off.get("t1", 0); ok {
		t.Error("a negative TTL keeps answers")
	}
}

// A task's last view outlives its fresh answer and a new owner, and goes
// with the task's changes: its state events (an end among them), an
// agent's event naming it, an answer that it is not open. It is not used
// across a reconnect of the bus nor past keep, and at most maxLast are
// kept.
func TestTaskViewLast(t *testing.T) {
	now := time.Unix(1000, 0)
	c := newTaskViews(time.Second)
	c.now = func() time.Time { return now }
	open := func(id string) interact.TaskView {
		return interact.TaskView{Task: interact.Task{ID: id, State: interact.TaskConnected, AgentID: "u1"}}
	}
	const keep = 20 * time.Second
	put := func(id string) { c.put(id, open(id), true, c.begin(), 0, keep) }
	has := func(id string) bool { _, ok := c.lastOpen(id, 0); return ok }

	put("t1")
	now = now.Add(time.Second)
	c.flush() // a new owner
	c.taskEvent("task.t1", []byte(`{"type":"task.queue","data":{"position":1}}`))
	c.dropFresh("t1") // a visitor connecting through this node
	if _, _, ok := c.get("t1", 0); ok {
		t.Error("a fresh answer survived a new owner")
	}
	if v, ok := c.lastOpen("t1", 0); !ok || v.AgentID != "u1" {
		t.Fatalf("last view = %+v, %v; want it kept", v, ok)
	}
	if _, ok := c.lastOpen("t1", 1); ok {
		t.Error("a last view read before the bus reconnected was used")
	}

	c.taskEvent("task.t1", []byte(`{"type":"task.state","data":{"state":"ended","outcome":"handled"}}`))
	if has("t1") {
		t.Error("the task's end left its last view")
	}
	put("t1")
	c.agentEvent("agent.u1", []byte(`{"type":"task.released","data":{"taskId":"t1","reason":"transfer"}}`))
	if has("t1") {
		t.Error("the agent's release left the task's last view")
	}
	put("t1")
	c.put("t1", interact.TaskView{}, false, c.begin(), 0, keep)
	if has("t1") {
		t.Error("an answer that the task is not open left its last view")
	}
	put("t1")
	c.drop("t1") // this node's own change of the task
	if has("t1") {
		t.Error("a change of the task by this node left its last view")
	}

	put("t1")
	start := c.begin()
	c.taskEvent("task.t1", []byte(`{"type":"task.state","data":{"state":"waiting","transferring":true}}`))
	c.put("t1", open("t1"), true, start, 0, keep) // overtaken by the event
	if has("t1") {
		t.Error("an answer overtaken by the task's event was kept as its last view")
	}

	put("t1")
	now = now.Add(c.keep)
	if has("t1") {
		t.Error("a last view older than keep was used")
	}

	c = newTaskViews(time.Second)
	c.now = func() time.Time { return now }
	c.swept, c.lastSwept = now, now
	c.maxLast = 2
	put("t1")
	put("t2")
	put("t3")
	if !has("t1") || !has("t2") || has("t3") {
		t.Errorf("past maxLast: t1 %v t2 %v t3 %v; want the first two only", has("t1"), has("t2"), has("t3"))
	}
	now = now.Add(c.keep)
	put("t3") // the others are past keep: swept
	if has("t1") || !has("t3") {
		t.Errorf("after keep: t1 %v t3 %v; want t3 only", has("t1"), has("t3"))
	}
	c.reset()
	if has("t3") {
		t.Error("reset left a last view")
	}
}
