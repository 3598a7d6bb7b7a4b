package routing

import (
	"context"
	"sort"
	"time"

	"github.com/interact-oss/interact"
)

// queue holds a service's waiting tasks in order: strict priority first,
// then higher priority, then first come first served (QueueSeq).
type queue struct {
	key   string
	tasks []*task
	// wait is a moving average of recent waits until an agent accepted,
	// for the estimated wait shown to visitors.
	wait time.Duration
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
}

func (q *queue) remove(t *task) {
	for i, x := range q.tasks {
		if x == t {
			q.tasks = append(q.tasks[:i], q.tasks[i+1:]...)
			return
		}
	}
}

func (q *queue) position(t *task) int {
	for i, x := range q.tasks {
		if x == t {
			return i + 1
		}
	}
	return 0
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
	e.queueFor(t.queueKey).insert(t)
	c.task(t)
	c.queues[t.queueKey] = true
	c.emit(ServiceSubject(t.ServiceID), "queue.changed", map[string]string{"taskId": t.ID})
	if t.maxWait == nil {
		d := e.cfg.DirectMaxWait
		if t.DirectUserID == "" {
			if s, err := e.serviceInfo(context.Background(), t.TenantID, t.ServiceID); err == nil {
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
				e.do(context.Background(), func(c *change) error {
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
func (e *Engine) dispatch(ctx context.Context, key string, c *change) {
	q, ok := e.queues[key]
	if !ok || len(q.tasks) == 0 {
		return
	}
	var s *service
	if q.tasks[0].DirectUserID == "" {
		var err error
		if s, err = e.serviceInfo(ctx, q.tasks[0].TenantID, key); err != nil {
			e.log.Warn("dispatch: load service", "service", key, "err", err)
			return
		}
	}
	pools := map[bool][]*agent{} // by "is a call": selectable agents, longest idle first
	pool := func(call bool, m interact.Modality) []*agent {
		p, ok := pools[call]
		if !ok {
			for id := range s.members {
				if a, ok := e.agents[id]; ok && e.selectable(a, s, m) {
					p = append(p, a)
				}
			}
			sort.Slice(p, func(i, j int) bool {
				if !p[i].idleSince.Equal(p[j].idleSince) {
					return p[i].idleSince.Before(p[j].idleSince)
				}
				return p[i].id < p[j].id
			})
			pools[call] = p
		}
		return p
	}
	for _, t := range append([]*task(nil), q.tasks...) {
		if len(t.offers) > 0 {
			continue
		}
		if target := t.target(); target != "" {
			if a, ok := e.agents[target]; ok && e.selectable(a, nil, t.Modality) {
				e.offer(t, a, s, c)
				for call, p := range pools {
					pools[call] = without(p, a)
				}
			}
			continue
		}
		if s.svc.Distribution.Type == interact.DistributePickup {
			continue
		}
		call := t.Modality.IsCall()
		p := pool(call, t.Modality)
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
			for k, p := range pools {
				pools[k] = without(p, a)
			}
		}
	}
}

func without(p []*agent, a *agent) []*agent {
	for i, x := range p {
		if x == a {
			return append(p[:i:i], p[i+1:]...)
		}
	}
	return p
}

// announce tells each waiting visitor of the queue its position and
// estimated wait, when they changed.
func (e *Engine) announce(key string, c *change) {
	q, ok := e.queues[key]
	if !ok {
		return
	}
	agents := 1
	if len(q.tasks) > 0 && q.tasks[0].DirectUserID == "" {
		if s, err := e.serviceInfo(context.Background(), q.tasks[0].TenantID, key); err == nil {
			n := 0
			for id := range s.members {
				if a, ok := e.agents[id]; ok && e.reachable(a, s, interact.ModalityChat) {
					n++
				}
			}
			agents = max(n, 1)
		}
	}
	for i, t := range q.tasks {
		pos := i + 1
		eta := int((q.wait * time.Duration(pos) / time.Duration(agents)).Seconds())
		if pos != t.lastPos || eta != t.lastETA {
			t.lastPos, t.lastETA = pos, eta
			c.emit(TaskSubject(t.ID), "task.queue", map[string]int{"position": pos, "estimatedWaitSeconds": eta})
		}
	}
	c.emit(ServiceSubject(key), "queue.changed", map[string]int{"waiting": len(q.tasks)})
}

// noAgent reports whether no agent could take t now or soon: the
// "no agent selectable" look-ahead that leads to overflow.
func (e *Engine) noAgent(ctx context.Context, t *task) bool {
	if e.clock.Now().Before(e.graceUntil) {
		return false // agents are still reconnecting after a restart
	}
	if target := t.target(); target != "" {
		a, ok := e.agents[target]
		return !ok || !e.reachable(a, nil, t.Modality)
	}
	s, err := e.serviceInfo(ctx, t.TenantID, t.ServiceID)
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
		if t.TargetAgentID != "" && t.DirectUserID == "" && e.noAgent(context.Background(), t) {
			// The transfer's target went away: back to the service's queue.
			e.cancelOffers(t, c)
			t.TargetAgentID = ""
			e.dequeue(t, c)
			e.enqueue(t, c)
		}
		if e.noAgent(context.Background(), t) {
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
		s, _ = e.serviceInfo(context.Background(), t.TenantID, t.ServiceID)
	}
	if s != nil && s.svc.Distribution.OverflowAction == interact.OverflowTransfer && t.overflowHops < 3 {
		if next, err := e.serviceInfo(context.Background(), t.TenantID, s.svc.Distribution.OverflowServiceID); err == nil {
			e.cancelOffers(t, c)
			e.dequeue(t, c)
			t.overflowHops++
			t.ServiceID = next.svc.ID
			t.TargetAgentID = ""
			t.QueuedAt = e.clock.Now()
			if s.svc.Distribution.OverflowMessage != "" {
				c.sys = append(c.sys, sysMessage{t, s.svc.Distribution.OverflowMessage})
			}
			e.enqueue(t, c)
			if e.noAgent(context.Background(), t) {
				e.overflow(t, outcome, c)
			}
			return
		}
	}
	text := "Sorry, no one can take your request right now. Please leave us a message and we will get back to you."
	if s != nil && s.svc.Distribution.OverflowMessage != "" {
		text = s.svc.Distribution.OverflowMessage
	}
	c.sys = append(c.sys, sysMessage{t, text})
	e.end(t, outcome, c)
}
