package cluster

import (
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/interact-oss/interact"
)

// taskViews is what a non-owner node knows of the owner's answers to Task,
// so that the check web makes on every chat message needs no forwarded
// call in the common case, and none at all while no owner can answer.
//
// It keeps two things per task:
//
//   - A fresh answer, used whenever it is younger than ttl. It is dropped
//     when anything may have changed the task: a task.* event on the task's
//     subject (task.state: accepted, transferred, ended; task.queue), a
//     task.* event naming it on an agent's subject, a call this node made
//     that changes routing state, a new owner, or a reconnect of the bus
//     (events may have been lost).
//   - The last view of each open task, used only while no owner can answer
//     (see Node.Task). It is dropped by the same events of the task, except
//     task.queue (the position only), and by this node's own changes of the
//     task, but not by a new owner nor by this node's calls that name no
//     task: a new owner rebuilds the same open tasks from the store, and
//     whatever it or anyone changes in a task afterwards comes as the
//     task's events. It lives at most keep, is not used across a reconnect
//     of the bus, and at most maxLast are kept.
//
// An answer is kept only if nothing dropped the task's entry while the call
// was under way, so a stale answer overtaken by an event is never stored.
type taskViews struct {
	ttl     time.Duration
	keep    time.Duration // how long a last view lives
	maxLast int
	now     func() time.Time

	mu        sync.Mutex
	seq       uint64 // counts drops
	flushed   uint64 // seq of the last drop of every fresh answer
	m         map[string]viewEntry
	last      map[string]lastView
	swept     time.Time
	lastSwept time.Time
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

// lastView is the last answer seen for an open task.
type lastView struct {
	view interact.TaskView
	at   time.Time
	bus  uint64
}

// Bounds of the last views: a view is refreshed by every answer stored,
// so keep only ends those of tasks whose end this node missed, or left
// untouched for that long.
const (
	lastViewKeep = 30 * time.Minute
	maxLastViews = 1 << 16
)

func newTaskViews(ttl time.Duration) *taskViews {
	now := time.Now()
	return &taskViews{ttl: ttl, keep: lastViewKeep, maxLast: maxLastViews, now: time.Now,
		m: map[string]viewEntry{}, last: map[string]lastView{}, swept: now, lastSwept: now}
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

// lastOpen returns the last view of an open task, read while the bus had
// reconnected bus times and younger than keep.
func (c *taskViews) lastOpen(id string, bus uint64) (interact.TaskView, bool) {
	if c.ttl <= 0 {
		return interact.TaskView{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.last[id]
	if !ok || e.bus != bus || c.now().Sub(e.at) >= c.keep {
		return interact.TaskView{}, false
	}
	return e.view, true
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
	if !open {
		delete(c.last, id)
		return
	}
	_, known := c.last[id]
	full := !known && len(c.last) >= c.maxLast
	if now.Sub(c.lastSwept) > c.keep/8 || (full && now.Sub(c.lastSwept) > c.ttl) {
		c.lastSwept = now
		for k, e := range c.last {
			if now.Sub(e.at) >= c.keep || e.bus != bus {
				delete(c.last, k)
			}
		}
		full = !known && len(c.last) >= c.maxLast
	}
	if !full {
		c.last[id] = lastView{view: v, at: now, bus: bus}
	}
}

// drop forgets what is known of the tasks, their last views included.
func (c *taskViews) drop(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		c.tombstone(id)
		delete(c.last, id)
	}
}

// dropFresh forgets the fresh answers of the tasks and keeps their last
// views.
func (c *taskViews) dropFresh(ids ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		c.tombstone(id)
	}
}

// tombstone drops a fresh answer. Called with c.mu held.
func (c *taskViews) tombstone(id string) {
	c.seq++
	c.m[id] = viewEntry{at: c.now(), dropped: c.seq}
}

// flush forgets every fresh answer; the last views stay.
func (c *taskViews) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.flushed = c.seq
	c.m = map[string]viewEntry{}
}

// reset forgets everything, the last views included.
func (c *taskViews) reset() {
	c.flush()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = map[string]lastView{}
}

// Frames on a task's subject that never change its routing state: the
// bulk of the traffic, skipped without decoding.
var statelessFrames = []string{"message", "typing", "read"}

// taskEvent drops the entry of the task whose subject (task.<id>) carried
// a frame that may change it. A queue position (task.queue) changes only
// the position: the task's last view stays.
func (c *taskViews) taskEvent(subject string, data []byte) {
	id := strings.TrimPrefix(subject, "task.")
	for _, p := range statelessFrames {
		if interact.FrameIs(data, p) {
			return
		}
	}
	if interact.FrameIs(data, "task.queue") {
		c.dropFresh(id)
		return
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
		c.reset()
		return
	}
	for _, id := range []string{f.Data.TaskID, f.Data.Task.ID} {
		if id != "" {
			c.drop(id)
		}
	}
}
