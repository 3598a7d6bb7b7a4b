package routing

import (
	"slices"
	"sort"
	"time"

	"github.com/interact-oss/interact"
)

// queue holds a service's waiting tasks in order: strict priority first,
// then higher priority, then first come first served (QueueSeq). The
// order is total (QueueSeq is unique), so a task is found by binary search.
type queue struct {
	key   string
	tasks []*task
	// wait is a moving average of recent waits until an agent accepted,
	// for the estimated wait shown to visitors.
	wait time.Duration
	// targeted counts the tasks that go to one named agent (a transfer
	// to an agent, a direct contact); calls counts the calls.
	targeted, calls int
	// reach caches the number of reachable agents, for the estimates,
	// as of the engine's reachVersion reachAt.
	reach, reachAt int64
	// fresh are tasks that joined since the last announcement; they learn
	// their place at once wherever it is.
	fresh []*task
	// lastTail is when the tasks behind the head were last told their
	// positions; tailTimer tells them again when that is due.
	lastTail  time.Time
	tailTimer Timer
}

func less(a, b *task) bool {
	if a.Strict != b.Strict {
		return a.Strict
	}
	if a.Priority != b.Priority {
		return a.Priority > b.Priority
	}
	return a.QueueSeq < b.QueueSeq
}

func (q *queue) insert(t *task) {
	i := sort.Search(len(q.tasks), func(i int) bool { return less(t, q.tasks[i]) })
	q.tasks = append(q.tasks, nil)
	copy(q.tasks[i+1:], q.tasks[i:])
	q.tasks[i] = t
	t.queued = true
	t.targeted = t.target() != ""
	if t.targeted {
		q.targeted++
	}
	if t.Modality.IsCall() {
		q.calls++
	}
}

// index returns t's index in the queue, or -1.
func (q *queue) index(t *task) int {
	if !t.queued {
		return -1
	}
	i := sort.Search(len(q.tasks), func(i int) bool { return !less(q.tasks[i], t) })
	if i < len(q.tasks) && q.tasks[i] == t {
		return i
	}
	for i, x := range q.tasks { // not reached while the order holds
		if x == t {
			return i
		}
	}
	return -1
}

func (q *queue) remove(t *task) {
	i := q.index(t)
	if i < 0 {
		return
	}
	q.tasks = append(q.tasks[:i], q.tasks[i+1:]...)
	t.queued = false
	if t.targeted {
		q.targeted--
		t.targeted = false
	}
	if t.Modality.IsCall() {
		q.calls--
	}
}

func (q *queue) position(t *task) int {
	return q.index(t) + 1
}

// eta is the estimated wait at position pos with n reachable agents.
func (q *queue) eta(pos, n int) int {
	return int((q.wait * time.Duration(pos) / time.Duration(max(n, 1))).Seconds())
}

func queueKey(t *task) string {
	if t.DirectUserID != "" {
		return "user:" + t.DirectUserID
	}
	return t.ServiceID
}

func (e *Engine) queueFor(key string) *queue {
	q, ok := e.queues[key]
	if !ok {
		q = &queue{key: key, wait: e.cfg.DefaultWait}
		e.queues[key] = q
	}
	return q
}

// enqueue puts a waiting task into its queue and starts its max-wait timer.
func (e *Engine) enqueue(t *task, c *change) {
	t.State = interact.TaskWaiting
	t.queueKey = queueKey(t)
	q := e.queueFor(t.queueKey)
	q.insert(t)
	t.lastPos, t.lastETA = 0, 0
	q.fresh = append(q.fresh, t)
	c.task(t)
	c.queues[t.queueKey] = true
	c.emit(interact.ServiceSubject(t.ServiceID), "queue.changed", map[string]string{"taskId": t.ID})
	if t.maxWait == nil {
		d := e.cfg.DirectMaxWait
		if t.DirectUserID == "" {
			if s, err := e.serviceInfo(t.TenantID, t.ServiceID); err == nil {
				d = time.Duration(s.svc.Distribution.MaxWaitSeconds) * time.Second
			}
		}
		if d > 0 {
			if rest := t.QueuedAt.Add(d).Sub(e.clock.Now()); rest > 0 {
				d = rest
			} else {
				d = time.Millisecond
			}
			id := t.ID
			t.maxWait = e.clock.AfterFunc(d, func() {
				e.fire(func(c *change) error {
					if t, ok := e.tasks[id]; ok && t.State == interact.TaskWaiting {
						t.maxWait = nil
						e.overflow(t, interact.OutcomeQueueTimeout, c)
					}
					return nil
				})
			})
		}
	}
}

// dequeue takes a task out of its queue.
func (e *Engine) dequeue(t *task, c *change) {
	if q, ok := e.queues[t.queueKey]; ok {
		q.remove(t)
		c.queues[t.queueKey] = true
	}
	if t.maxWait != nil {
		t.maxWait.Stop()
		t.maxWait = nil
	}
}

// dispatch offers the waiting tasks of one queue to selectable agents.
// It walks the queue only as far as some task can still be offered: while
// agents are left in the pools, or tasks for a named agent lie ahead.
func (e *Engine) dispatch(key string, c *change) {
	q, ok := e.queues[key]
	if !ok || len(q.tasks) == 0 {
		return
	}
	var s *service
	if q.tasks[0].DirectUserID == "" {
		var err error
		if s, err = e.serviceInfo(q.tasks[0].TenantID, key); err != nil {
			e.log.Warn("dispatch: service is gone", "service", key, "err", err)
			return
		}
	}
	var pools [2][]*agent // selectable agents for chats and for calls, longest idle first
	if s != nil && s.svc.Distribution.Type != interact.DistributePickup && q.targeted < len(q.tasks) {
		now := e.clock.Now()
		if len(q.tasks) > q.calls {
			pools[0] = e.pool(s, e.freeChat, interact.ModalityChat, now)
		}
		if q.calls > 0 {
			pools[1] = e.pool(s, e.freeCall, interact.ModalityAudio, now)
		}
	}
	take := func(a *agent) {
		pools[0], pools[1] = without(pools[0], a), without(pools[1], a)
	}
	targeted := q.targeted
	for _, t := range q.tasks { // offering does not change the queue
		if targeted == 0 && len(pools[0])+len(pools[1]) == 0 {
			break
		}
		if t.targeted {
			targeted--
		}
		if len(t.offers) > 0 {
			continue
		}
		if target := t.target(); target != "" {
			if a, ok := e.agents[target]; ok && e.selectable(a, nil, t.Modality) {
				e.offer(t, a, s, c)
				take(a)
			}
			continue
		}
		p := pools[poolOf(t.Modality)]
		if len(p) == 0 {
			continue
		}
		var chosen []*agent
		if s.svc.Distribution.Type == interact.DistributeBroadcast {
			chosen = p[:min(len(p), e.cfg.BroadcastSize)]
		} else {
			for _, a := range p {
				if !t.tried[a.id] {
					chosen = []*agent{a}
					break
				}
			}
			if chosen == nil { // everyone had a go: start a new round
				clear(t.tried)
				chosen = p[:1]
			}
		}
		for _, a := range append([]*agent(nil), chosen...) {
			e.offer(t, a, s, c)
			take(a)
		}
	}
}

func poolOf(m interact.Modality) int {
	if m.IsCall() {
		return 1
	}
	return 0
}

// pool returns the members of s selectable now for modality m, longest
// idle first, looking at the smaller of the candidate set and the members.
func (e *Engine) pool(s *service, free map[*agent]struct{}, m interact.Modality, now time.Time) []*agent {
	var p []*agent
	if len(free) <= len(s.members) {
		for a := range free {
			if _, ok := s.members[a.id]; ok && e.selectableAt(a, s, m, now) {
				p = append(p, a)
			}
		}
	} else {
		for id := range s.members {
			if a, ok := e.agents[id]; ok && e.selectableAt(a, s, m, now) {
				p = append(p, a)
			}
		}
	}
	sort.Slice(p, func(i, j int) bool {
		if !p[i].idleSince.Equal(p[j].idleSince) {
			return p[i].idleSince.Before(p[j].idleSince)
		}
		return p[i].id < p[j].id
	})
	return p
}

func without(p []*agent, a *agent) []*agent {
	for i, x := range p {
		if x == a {
			return append(p[:i:i], p[i+1:]...)
		}
	}
	return p
}

// position is a task.queue event: {"position","estimatedWaitSeconds"} on
// the task's subject. A round in a long queue makes many; they are kept
// compact and encoded outside the engine lock.
type position struct {
	taskID   string
	pos, eta int
}

// announce tells waiting visitors of the queue their position and
// estimated wait, when they changed: the head of the queue and newcomers
// at once, the tasks behind the head when due (tail true) or when the
// last such round is PositionInterval ago; otherwise a timer tells them
// later, with whatever changed meanwhile.
func (e *Engine) announce(key string, c *change, tail bool) {
	q, ok := e.queues[key]
	if !ok {
		return
	}
	agents := e.reachableAgents(q)
	tell := func(t *task, pos int) {
		eta := q.eta(pos, agents)
		if pos != t.lastPos || eta != t.lastETA {
			t.lastPos, t.lastETA = pos, eta
			c.positions = append(c.positions, position{t.ID, pos, eta})
		}
	}
	head := min(len(q.tasks), e.cfg.PositionHead)
	for i, t := range q.tasks[:head] {
		tell(t, i+1)
	}
	for _, t := range q.fresh {
		if t.queueKey == key && t.State == interact.TaskWaiting {
			if pos := q.position(t); pos > head {
				tell(t, pos)
			}
		}
	}
	q.fresh = nil
	if len(q.tasks) > head {
		now := e.clock.Now()
		due := q.lastTail.Add(e.cfg.PositionInterval)
		switch {
		case tail || (q.tailTimer == nil && !now.Before(due)):
			c.positions = slices.Grow(c.positions, len(q.tasks)-head)
			for i := head; i < len(q.tasks); i++ {
				tell(q.tasks[i], i+1)
			}
			q.lastTail = now
		case q.tailTimer == nil:
			q.tailTimer = e.clock.AfterFunc(due.Sub(now), func() {
				e.fire(func(c *change) error {
					q.tailTimer = nil
					c.tailDue = map[string]bool{key: true}
					return nil
				})
			})
		}
	}
	if !tail {
		c.emit(interact.ServiceSubject(key), "queue.changed", map[string]int{"waiting": len(q.tasks)})
	}
}

// reachableAgents counts the agents who could take the queue's chats, busy
// or not, for the estimated wait.
func (e *Engine) reachableAgents(q *queue) int {
	if len(q.tasks) == 0 || q.tasks[0].DirectUserID != "" {
		return 1
	}
	if q.reachAt == e.reachVersion && q.reach > 0 {
		return int(q.reach)
	}
	s, err := e.serviceInfo(q.tasks[0].TenantID, q.key)
	if err != nil {
		return 1
	}
	n := 0
	for id := range s.members {
		if a, ok := e.agents[id]; ok && e.reachable(a, s, interact.ModalityChat) {
			n++
		}
	}
	q.reach, q.reachAt = int64(max(n, 1)), e.reachVersion
	return max(n, 1)
}

// noAgent reports whether no agent could take t now or soon: the
// "no agent selectable" look-ahead that leads to overflow.
func (e *Engine) noAgent(t *task) bool {
	if e.clock.Now().Before(e.graceUntil) {
		return false // agents are still reconnecting after a restart
	}
	if target := t.target(); target != "" {
		a, ok := e.agents[target]
		return !ok || !e.reachable(a, nil, t.Modality)
	}
	s, err := e.serviceInfo(t.TenantID, t.ServiceID)
	if err != nil {
		return true
	}
	for id := range s.members {
		if a, ok := e.agents[id]; ok && e.reachable(a, s, t.Modality) {
			return false
		}
	}
	return true
}

// checkReachable overflows the waiting tasks of a's services that no
// agent can take any more, after a left or became not available.
func (e *Engine) checkReachable(a *agent, c *change) {
	for id := range a.services {
		e.checkQueue(id, c)
	}
}

func (e *Engine) checkQueue(key string, c *change) {
	q, ok := e.queues[key]
	if !ok {
		return
	}
	for _, t := range append([]*task(nil), q.tasks...) {
		if t.TargetAgentID != "" && t.DirectUserID == "" && e.noAgent(t) {
			// The transfer's target went away: back to the service's queue.
			e.cancelOffers(t, c)
			t.TargetAgentID = ""
			e.dequeue(t, c)
			e.enqueue(t, c)
		}
		if e.noAgent(t) {
			e.cancelOffers(t, c)
			e.overflow(t, interact.OutcomeNoAgent, c)
		}
	}
}

// overflow runs the service's overflow: transfer to the overflow service,
// or a system message and the end of the task with leave-a-message.
func (e *Engine) overflow(t *task, outcome string, c *change) {
	var s *service
	if t.DirectUserID == "" {
		s, _ = e.serviceInfo(t.TenantID, t.ServiceID)
	}
	if s != nil && s.svc.Distribution.OverflowAction == interact.OverflowTransfer && t.overflowHops < maxOverflowHops {
		if next, err := e.serviceInfo(t.TenantID, s.svc.Distribution.OverflowServiceID); err == nil {
			e.cancelOffers(t, c)
			e.dequeue(t, c)
			t.overflowHops++
			e.countOpen(t, -1)
			t.ServiceID = next.svc.ID
			e.countOpen(t, 1)
			t.TargetAgentID = ""
			t.QueuedAt = e.clock.Now()
			if s.svc.Distribution.OverflowMessage != "" {
				c.sys = append(c.sys, sysMessage{t: t, text: s.svc.Distribution.OverflowMessage})
			}
			e.enqueue(t, c)
			if e.noAgent(t) {
				e.overflow(t, outcome, c)
			}
			return
		}
	}
	text := "Sorry, no one can take your request right now. Please leave us a message and we will get back to you."
	if s != nil && s.svc.Distribution.OverflowMessage != "" {
		text = s.svc.Distribution.OverflowMessage
	}
	c.sys = append(c.sys, sysMessage{t: t, text: text})
	e.end(t, outcome, c)
}
