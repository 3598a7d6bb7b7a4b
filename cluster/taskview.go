package cluster

import (
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/interact-oss/interact"
)

// taskViews is a non-owner node's short-lived copy of the owner's answers
// to Task, so that the check web makes on every chat message needs no
// forwarded call in the common case.
//
// An entry is dropped when anything may have changed the task: a task.*
// event on the task's subject (task.state: accepted, transferred, ended;
// task.queue), a task.* event naming it on an agent's subject, a call this
// node made that changes routing state, a new owner, or a reconnect of the
// bus (events may have been lost). An answer is kept only if nothing
// dropped the task's entry while the call was under way, so a stale
// answer overtaken by an event is never stored. Entries live at most ttl.
type taskViews struct {
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	seq     uint64 // counts drops
	flushed uint64 // seq of the last drop of everything
	m       map[string]viewEntry
	swept   time.Time
}

type viewEntry struct {
	view interact.TaskView
	open bool
	at   time.Time
	bus  uint64 // the bus's reconnect count when stored
	// dropped is the seq of the drop that left this tombstone; 0 for an
	// answer. Tombstones turn away answers of calls that started earlier.
	dropped uint64
}

func newTaskViews(ttl time.Duration) *taskViews {
	return &taskViews{ttl: ttl, now: time.Now, m: map[string]viewEntry{}, swept: time.Now()}
}

// get returns a stored answer younger than ttl, read while the bus had
// reconnected bus times.
func (c *taskViews) get(id string, bus uint64) (interact.TaskView, bool, bool) {
	if c.ttl <= 0 {
		return interact.TaskView{}, false, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || e.dropped != 0 || e.bus != bus || c.now().Sub(e.at) >= c.ttl {
		return interact.TaskView{}, false, false
	}
	return e.view, e.open, true
}

// begin is called before asking the owner; its result goes to put.
func (c *taskViews) begin() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq
}

// put stores the owner's answer to a call that began at start, unless the
// task's entry (or everything) was dropped since.
func (c *taskViews) put(id string, v interact.TaskView, open bool, start, bus uint64, tombstoneAge time.Duration) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.flushed > start {
		return
	}
	if e, ok := c.m[id]; ok && e.dropped > start {
		return
	}
	now := c.now()
	c.m[id] = viewEntry{view: v, open: open, at: now, bus: bus}
	if now.Sub(c.swept) > c.ttl && len(c.m) > 0 {
		c.swept = now
		for k, e := range c.m {
			if (e.dropped == 0 && now.Sub(e.at) >= c.ttl) || (e.dropped != 0 && now.Sub(e.at) >= tombstoneAge) {
				delete(c.m, k)
			}
		}
	}
}

// drop forgets what is known of the tasks.
func (c *taskViews) drop(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for _, id := range ids {
		c.seq++
		c.m[id] = viewEntry{at: now, dropped: c.seq}
	}
}

// flush forgets everything.
func (c *taskViews) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.flushed = c.seq
	c.m = map[string]viewEntry{}
}

// Frames on a task's subject that never change its routing state: the
// bulk of the traffic, skipped without decoding.
var statelessFrames = []string{"message", "typing", "read"}

// taskEvent drops the entry of the task whose subject (task.<id>) carried
// a frame that may change it.
func (c *taskViews) taskEvent(subject string, data []byte) {
	id := strings.TrimPrefix(subject, "task.")
	for _, p := range statelessFrames {
		if interact.FrameIs(data, p) {
			return
		}
	}
	c.drop(id)
}

// agentEvent drops the entries of the tasks an agent's task.* frame names
// (task.assigned, task.released, task.ended); a frame it cannot read drops
// everything.
func (c *taskViews) agentEvent(_ string, data []byte) {
	if !interact.FrameTypeHasPrefix(data, "task.") {
		return
	}
	var f struct {
		Data struct {
			TaskID string `json:"taskId"`
			Task   struct {
				ID string `json:"id"`
			} `json:"task"`
		} `json:"data"`
	}
	if json.Unmarshal(data, &f) != nil || (f.Data.TaskID == "" && f.Data.Task.ID == "") {
		c.flush()
		return
	}
	for _, id := range []string{f.Data.TaskID, f.Data.Task.ID} {
		if id != "" {
			c.drop(id)
		}
	}
}
