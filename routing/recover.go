package routing

import (
	"context"

	"github.com/interact-oss/interact"
)

// Recover rebuilds the engine's state from the store: waiting tasks go back
// into their queues in their order, connected tasks back to their agents
// (who get AgentGrace to reconnect), and offers that were ringing when the
// previous process stopped end as cancelled and are made anew.
func (e *Engine) Recover(ctx context.Context) error {
	snap, err := e.readSnapshot(ctx)
	if err != nil {
		return err
	}
	e.lock()
	e.queueSeq = snap.seq
	e.reachChanged()
	// After a (re)start, agents' consoles need time to reconnect before
	// "no agent" may end anyone's contact.
	e.graceUntil = e.clock.Now().Add(e.cfg.AgentGrace)
	e.unlock()

	return e.do(ctx, func(c *change) error {
		e.restore(snap, nil, c)
		// After the grace, check for queues nobody can serve.
		e.clock.AfterFunc(e.cfg.AgentGrace, func() {
			e.fire(func(c *change) error {
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
	e.lock()
	defer e.unlock()
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
	e.lock()
	defer e.unlock()
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
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	err := e.preload(ctx, tenantID, serviceID)
	cancel()
	if err != nil {
		return interact.QueueView{}, err
	}
	e.lock()
	defer e.unlock()
	s, err := e.serviceInfo(tenantID, serviceID)
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
	if directUserID == "" {
		ctx, cancel := context.WithTimeout(ctx, loadTimeout)
		err := e.preload(ctx, tenantID, serviceID)
		cancel()
		if err != nil {
			return false
		}
	}
	e.lock()
	defer e.unlock()
	if directUserID != "" {
		a, ok := e.agents[directUserID]
		return ok && a.tenantID == tenantID && e.reachable(a, nil, m)
	}
	s, err := e.serviceInfo(tenantID, serviceID)
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
	e.lock()
	defer e.unlock()
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
