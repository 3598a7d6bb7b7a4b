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
