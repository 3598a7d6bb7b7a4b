package routing

import (
	"context"
	"fmt"

	"github.com/interact-oss/interact"
)

// Recover rebuilds the engine's state from the store: waiting tasks go back
// into their queues in their order, connected tasks back to their agents
// (who get AgentGrace to reconnect), and offers that were ringing when the
// previous process stopped end as cancelled and are made anew.
func (e *Engine) Recover(ctx context.Context) error {
	tasks, err := e.store.OpenTasks(ctx)
	if err != nil {
		return fmt.Errorf("recover tasks: %w", err)
	}
	offers, err := e.store.OpenOffers(ctx)
	if err != nil {
		return fmt.Errorf("recover offers: %w", err)
	}
	seq, err := e.store.MaxQueueSeq(ctx)
	if err != nil {
		return fmt.Errorf("recover queue order: %w", err)
	}
	e.mu.Lock()
	e.queueSeq = seq
	e.reachChanged()
	// After a (re)start, agents' consoles need time to reconnect before
	// "no agent" may end anyone's contact.
	e.graceUntil = e.clock.Now().Add(e.cfg.AgentGrace)
	e.mu.Unlock()

	return e.do(ctx, func(c *change) error {
		byTask := map[string]*task{}
		for _, rt := range tasks {
			t := &task{Task: rt}
			e.tasks[t.ID] = t
			e.countOpen(t, 1)
			byTask[t.ID] = t
			if t.DirectUserID == "" {
				if _, err := e.serviceInfo(ctx, t.TenantID, t.ServiceID); err != nil {
					e.log.Warn("recover: service of task is gone", "task", t.ID, "err", err)
				}
			}
		}
		for _, ro := range offers {
			t := byTask[ro.TaskID]
			o := &offer{Offer: ro, task: t}
			if t != nil && t.State == interact.TaskConnected && ro.Outcome == interact.OfferAccepted && ro.AgentID == t.AgentID {
				o.agent = e.agent(ro.AgentID, ro.TenantID)
				t.accepted = o
				continue
			}
			o.end(e.clock.Now(), interact.OfferCancelled)
			c.offer(o)
		}
		for _, t := range byTask {
			switch t.State {
			case interact.TaskConnected:
				a := e.agent(t.AgentID, t.TenantID)
				if t.Modality.IsCall() {
					a.calls[t.ID] = t
				} else {
					a.chats[t.ID] = t
				}
				if t.accepted == nil {
					t.accepted = &offer{Offer: interact.Offer{ID: interact.NewID(), TenantID: t.TenantID, TaskID: t.ID,
						ServiceID: t.ServiceID, AgentID: a.id, Modality: t.Modality, OfferedAt: e.clock.Now().UTC(),
						Outcome: interact.OfferAccepted}, task: t, agent: a}
					c.offer(t.accepted)
				}
				if a.dropTimer == nil {
					id := a.id
					a.dropTimer = e.clock.AfterFunc(e.cfg.AgentGrace, func() { e.agentGone(id) })
					e.reachChanged()
				}
			default:
				e.enqueue(t, c)
			}
			e.visitorAway(t)
		}
		// After the grace, check for queues nobody can serve.
		e.clock.AfterFunc(e.cfg.AgentGrace, func() {
			e.do(context.Background(), func(c *change) error {
				for key := range e.queues {
					e.checkQueue(key, c)
					c.queues[key] = true
				}
				return nil
			})
		})
		return nil
	})
}

// Task returns an open task's state, or false when the task is not open.
func (e *Engine) Task(id string) (interact.TaskView, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tasks[id]
	if !ok {
		return interact.TaskView{}, false
	}
	v := interact.TaskView{Task: t.Task, Call: callOf(t)}
	if q, ok := e.queues[t.queueKey]; ok && t.State == interact.TaskWaiting {
		v.Position = q.position(t)
		v.EstimatedWaitSeconds = q.eta(v.Position, e.reachableAgents(q))
	}
	return v, true
}

// AgentTasks returns the ids of the tasks an agent is connected to.
func (e *Engine) AgentTasks(userID string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	a, ok := e.agents[userID]
	if !ok {
		return nil
	}
	var ids []string
	for id := range a.chats {
		ids = append(ids, id)
	}
	for id := range a.calls {
		ids = append(ids, id)
	}
	return ids
}

// Queue returns a service's waiting tasks and the state of its members.
func (e *Engine) Queue(ctx context.Context, tenantID, serviceID string) (interact.QueueView, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.serviceInfo(ctx, tenantID, serviceID)
	if err != nil {
		return interact.QueueView{}, err
	}
	v := interact.QueueView{ServiceID: serviceID, Waiting: []interact.WaitingTask{}, Agents: []interact.AgentView{}}
	now := e.clock.Now()
	if q, ok := e.queues[serviceID]; ok {
		for i, t := range q.tasks {
			v.Waiting = append(v.Waiting, interact.WaitingTask{TaskSummary: e.summary(t), Priority: t.Priority, Strict: t.Strict,
				Ringing: len(t.offers), Position: i + 1, WaitMS: now.Sub(t.QueuedAt).Milliseconds(), Target: t.TargetAgentID})
		}
	}
	for id, m := range s.members {
		av := interact.AgentView{ID: id, Name: m.Name, Presence: interact.PresenceOffline, State: interact.StateOffline}
		if a, ok := e.agents[id]; ok {
			av = e.view(a)
		}
		v.Agents = append(v.Agents, av)
	}
	return v, nil
}

// Available reports whether some agent could take a task of modality m for
// a service (or, with directUserID, for that user) now or soon: connected,
// available, active and licensed, busy or not.
func (e *Engine) Available(ctx context.Context, tenantID, serviceID, directUserID string, m interact.Modality) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if directUserID != "" {
		a, ok := e.agents[directUserID]
		return ok && a.tenantID == tenantID && e.reachable(a, nil, m)
	}
	s, err := e.serviceInfo(ctx, tenantID, serviceID)
	if err != nil {
		return false
	}
	for id := range s.members {
		if a, ok := e.agents[id]; ok && e.reachable(a, s, m) {
			return true
		}
	}
	return false
}

// AgentDisplayName is the name visitors see for the agent connected to a
// task, per the service's display-name mode ("" when hidden).
func (e *Engine) AgentDisplayName(taskID string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.tasks[taskID]
	if !ok || t.AgentID == "" {
		return ""
	}
	a := e.agents[t.AgentID]
	if s, ok := e.services[t.ServiceID]; ok && t.DirectUserID == "" {
		return s.svc.Messages.AgentDisplayName(a.name, interact.MessageParams{Visitor: t.Visitor, AgentName: a.name, ServiceName: s.svc.Name})
	}
	return a.name
}
