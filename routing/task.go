package routing

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/interact-oss/interact"
)

type task struct {
	interact.Task
	queueKey     string
	offers       map[string]*offer // ringing; nil until the first offer
	accepted     *offer            // the connected agent's session
	escalated    interact.Modality // a chat's call now (audio or video), or ""
	call         *callRecord       // the call while it lasts (call.go)
	tried        map[string]bool   // agents who declined or missed it this round; nil until one did
	maxWait      Timer
	visitors     int    // open visitor connections
	seen         bool   // a visitor connection was ever open (or the task was restored)
	addr         string // the client address that started it; "" after a restart
	visitorTimer Timer
	overflowHops int
	queued       bool // in its queue
	targeted     bool // counted in its queue's targeted tasks
	lastPos      int  // position and estimate last told to the visitor
	lastETA      int
}

func (t *task) target() string {
	if t.TargetAgentID != "" {
		return t.TargetAgentID
	}
	return t.DirectUserID
}

func (t *task) stopTimers() {
	for _, tm := range []Timer{t.maxWait, t.visitorTimer} {
		if tm != nil {
			tm.Stop()
		}
	}
}

func (e *Engine) summary(t *task) interact.TaskSummary {
	s := interact.TaskSummary{ID: t.ID, ServiceID: t.ServiceID, Modality: t.Modality, Visitor: t.Visitor, Origin: t.Origin,
		QueuedAt: t.QueuedAt, Transfers: t.Transfers, Direct: t.DirectUserID != ""}
	if sv, ok := e.services[t.ServiceID]; ok && sv.svc.TenantID == t.TenantID {
		s.ServiceName = sv.svc.Name
	}
	return s
}

// countOpen adds d to the open chats of t's queue key, when t is a chat,
// and to those of its client address there.
func (e *Engine) countOpen(t *task, d int) {
	if t.Modality != interact.ModalityChat {
		return
	}
	key := queueKey(t)
	if e.openChats[key] += d; e.openChats[key] <= 0 {
		delete(e.openChats, key)
	}
	if t.addr != "" {
		k := key + " " + t.addr
		if e.openByAddr[k] += d; e.openByAddr[k] <= 0 {
			delete(e.openByAddr, k)
		}
	}
}

// addrShare is how many of a service's max open chats one client address
// may hold (Config.AddressShare, half by default), so that one address
// cannot close a service to everyone; at least one.
func (e *Engine) addrShare(limit int) int {
	return max(1, int(math.Ceil(float64(limit)*e.cfg.AddressShare)))
}

// StartTask creates a task, queues it and tries to offer it at once. It
// fails with capacity_reached when the service already has the tenant's
// maximum of open chats; then no task exists.
func (e *Engine) StartTask(ctx context.Context, req interact.StartRequest) (*interact.Task, error) {
	if !req.Modality.Valid() {
		return nil, interact.Errorf(interact.EINVALID, "modality must be chat, audio or video.")
	}
	if err := req.Visitor.Validate(); err != nil {
		return nil, err
	}
	lctx, cancel := context.WithTimeout(ctx, loadTimeout)
	t, s, params, epoch, err := e.reserve(lctx, req)
	cancel()
	if err != nil {
		return nil, err
	}
	// The row is written outside the engine lock; the place in the queue
	// (QueueSeq) and the capacity were reserved under it.
	created := e.store.CreateTask(ctx, &t.Task, req.ResumeHash)
	var out interact.Task
	err = e.do(ctx, func(c *change) error {
		if e.epoch != epoch { // a rebuild recounted the open tasks without this one
			if created != nil {
				return created
			}
			if rt, ok := e.tasks[t.ID]; ok { // and read its row: it is queued
				if rt.Modality.IsCall() && rt.call == nil {
					e.startCall(rt, rt.Modality, interact.ByVisitor, c)
				}
				if s != nil {
					c.sys = append(c.sys, sysMessage{t: rt, text: interact.Expand(s.svc.Messages.Welcome, params)})
				}
				out = rt.Task
				return nil
			}
			e.countOpen(t, 1)
		}
		if created != nil {
			e.countOpen(t, -1)
			return created
		}
		e.tasks[t.ID] = t
		if t.Modality.IsCall() {
			e.startCall(t, t.Modality, interact.ByVisitor, c)
		}
		if s != nil {
			c.sys = append(c.sys, sysMessage{t: t, text: interact.Expand(s.svc.Messages.Welcome, params)})
		}
		e.enqueue(t, c)
		if e.noAgent(t) {
			e.overflow(t, interact.OutcomeNoAgent, c)
		} else {
			e.dispatch(t.queueKey, c)
			if t.State == interact.TaskWaiting && len(t.offers) == 0 && s != nil {
				c.sys = append(c.sys, sysMessage{t: t, text: interact.Expand(s.svc.Messages.Queued, params)})
			}
		}
		// The visitor has no connection yet: start its grace now.
		e.visitorAway(t)
		out = t.Task
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// reserve checks a new task against its service or user and the open-chat
// cap, and gives it the next place in the queue; the task counts as open
// from here, in the returned epoch. What it needs from the store is read
// first (prepare), outside the engine lock.
func (e *Engine) reserve(ctx context.Context, req interact.StartRequest) (*task, *service, interact.MessageParams, int64, error) {
	for {
		info, gen, err := e.prepare(ctx, req)
		if err != nil {
			return nil, nil, interact.MessageParams{}, 0, err
		}
		t, s, params, epoch, err := e.place(ctx, req, info, gen)
		if err != errStale {
			return t, s, params, epoch, err
		}
	}
}

// place is reserve under the engine lock.
func (e *Engine) place(ctx context.Context, req interact.StartRequest, info *agentInfo, gen uint64) (*task, *service, interact.MessageParams, int64, error) {
	params := interact.MessageParams{Visitor: req.Visitor}
	if err := e.lockOpen(ctx, false); err != nil {
		return nil, nil, params, 0, err
	}
	defer e.unlock()
	now := e.clock.Now().UTC().Truncate(time.Millisecond)
	t := &task{Task: interact.Task{
		ID: interact.NewID(), TenantID: req.TenantID, ServiceID: req.ServiceID, DirectUserID: req.DirectUserID,
		ContactID: req.ContactID, Modality: req.Modality, State: interact.TaskWaiting, Visitor: req.Visitor,
		Origin: req.Origin, CreatedAt: now, QueuedAt: now, VisitorKey: req.VisitorKey,
	}}
	var s *service
	if req.DirectUserID == "" {
		var err error
		if s, err = e.serviceInfo(req.TenantID, req.ServiceID); err != nil {
			return nil, nil, params, 0, err
		}
		t.Priority, t.Strict = s.svc.Distribution.DefaultPriority, s.svc.Distribution.StrictPriority
		params.ServiceName = s.svc.Name
	} else {
		a := e.agent(req.DirectUserID, req.TenantID)
		if a.tenantID != req.TenantID {
			return nil, nil, params, 0, interact.Errorf(interact.EUNKNOWNCONTACT, "No such contact.")
		}
		if a.conns == 0 {
			if !e.fresh(info, req.TenantID, gen) {
				return nil, nil, params, 0, errStale
			}
			a.apply(info)
		}
		params.ServiceName = a.name
	}
	if req.Modality == interact.ModalityChat && req.MaxOpenChats > 0 && e.openChats[queueKey(t)] >= req.MaxOpenChats {
		return nil, nil, params, 0, interact.Errorf(interact.ECAPACITY, "Too many chats are open with this service right now; please try again in a few minutes.")
	}
	t.addr = req.ClientAddr
	if req.Modality == interact.ModalityChat && req.MaxOpenChats > 0 && t.addr != "" && e.openByAddr[queueKey(t)+" "+t.addr] >= e.addrShare(req.MaxOpenChats) {
		return nil, nil, params, 0, interact.Errorf(interact.ECAPACITY, "Too many chats are open from your network with this service right now; please try again in a few minutes.")
	}
	e.queueSeq++
	t.QueueSeq = e.queueSeq
	e.countOpen(t, 1)
	return t, s, params, e.epoch, nil
}

// Accept connects the agent to the offered task.
func (e *Engine) Accept(ctx context.Context, userID, offerID string) (*interact.Task, error) {
	var out interact.Task
	err := e.do(ctx, func(c *change) error {
		o, ok := e.offers[offerID]
		if !ok || o.AgentID != userID {
			return interact.Errorf(interact.ECONFLICT, "This offer is no longer available.")
		}
		e.connect(o, c)
		out = o.task.Task
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// connect makes o's agent the task's agent.
func (e *Engine) connect(o *offer, c *change) {
	t, a := o.task, o.agent
	now := e.clock.Now()
	o.stopTimer()
	delete(e.offers, o.ID)
	delete(t.offers, o.ID)
	delete(a.ringing, o.ID)
	n := now.UTC()
	o.AnsweredAt, o.Outcome = &n, interact.OfferAccepted
	c.offer(o)
	e.cancelOffers(t, c)
	e.dequeue(t, c)
	if q, ok := e.queues[t.queueKey]; ok {
		q.wait = (q.wait*4 + now.Sub(t.QueuedAt)) / 5
	}
	t.State, t.AgentID, t.TargetAgentID, t.accepted = interact.TaskConnected, a.id, "", o
	if t.ConnectedAt == nil {
		t.ConnectedAt = &n
	}
	clear(t.tried)
	c.task(t)
	if t.Modality.IsCall() {
		a.calls[t.ID] = t
	} else {
		a.chats[t.ID] = t
	}
	s, _ := e.serviceInfo(t.TenantID, t.ServiceID)
	name := a.name
	params := interact.MessageParams{Visitor: t.Visitor, AgentName: a.name}
	if s != nil && t.DirectUserID == "" {
		params.ServiceName = s.svc.Name
		name = s.svc.Messages.AgentDisplayName(a.name, params)
		params.AgentName = name
		if name == "" {
			params.AgentName = "An agent"
		}
		c.sys = append(c.sys, sysMessage{t: t, text: interact.Expand(s.svc.Messages.Accepted, params)})
	}
	c.emit(interact.TaskSubject(t.ID), "task.state", map[string]any{"state": t.State, "agentName": name})
	c.emit(interact.AgentSubject(a.id), "task.assigned", map[string]any{"offerId": o.ID, "task": e.summary(t)})
	c.emit(interact.ServiceSubject(t.ServiceID), "queue.changed", map[string]string{"taskId": t.ID})
	e.agentChanged(a, c)
}

// Decline declines an offer; the task moves on. In direct distribution a
// decline counts like a ring timeout (DESIGN §5: "decline or ring timeout
// → RONA → next agent"): with persistent RONA on, the agent is flagged,
// while the user session's outcome stays "declined".
func (e *Engine) Decline(ctx context.Context, userID, offerID string) error {
	return e.do(ctx, func(c *change) error {
		o, ok := e.offers[offerID]
		if !ok || o.AgentID != userID {
			return interact.Errorf(interact.ECONFLICT, "This offer is no longer available.")
		}
		t, a := o.task, o.agent
		e.endOffer(o, interact.OfferDeclined, c)
		if e.declineFlagsRONA(t) {
			s, _ := e.serviceInfo(t.TenantID, t.ServiceID)
			e.setRONA(a, s, c)
		}
		e.missed(t, a, c)
		return nil
	})
}

// declineFlagsRONA: only the queue's own offers of a direct-distribution
// service; broadcast has no RONA, and declining a transfer to oneself or a
// direct contact is an answer, not a missed offer.
func (e *Engine) declineFlagsRONA(t *task) bool {
	if t.DirectUserID != "" || t.TargetAgentID != "" {
		return false
	}
	s, err := e.serviceInfo(t.TenantID, t.ServiceID)
	return err == nil && s.svc.Distribution.Type == interact.DistributeDirect
}

// Claim takes a waiting task of a pickup service.
func (e *Engine) Claim(ctx context.Context, userID, taskID string) (*interact.Task, error) {
	var out interact.Task
	err := e.do(ctx, func(c *change) error {
		t, ok := e.tasks[taskID]
		a, aok := e.agents[userID]
		if !ok || !aok || t.State != interact.TaskWaiting || t.TenantID != a.tenantID {
			return interact.Errorf(interact.ECONFLICT, "This task is no longer waiting.")
		}
		s, err := e.serviceInfo(t.TenantID, t.ServiceID)
		if err != nil {
			return err
		}
		if s.svc.Distribution.Type != interact.DistributePickup || t.target() != "" {
			return interact.Errorf(interact.EINVALID, "Tasks of this service are offered, not picked up.")
		}
		if !e.selectable(a, s, t.Modality) {
			return interact.Errorf(interact.EFORBIDDEN, "You cannot take this task now (check your status, capacity and membership).")
		}
		e.offer(t, a, s, c)
		for _, o := range t.offers {
			if o.AgentID == a.id {
				e.connect(o, c)
				break
			}
		}
		out = t.Task
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// connected returns the task userID is connected to.
func (e *Engine) connected(userID, taskID string) (*task, *agent, error) {
	t, ok := e.tasks[taskID]
	if !ok || t.AgentID != userID || t.State != interact.TaskConnected {
		return nil, nil, interact.Errorf(interact.ENOTFOUND, "You are not connected to task %q.", taskID)
	}
	return t, e.agents[userID], nil
}

// Transfer hands a connected task to another agent or service. The
// transferring agent's session ends as transferred (then after-call work).
func (e *Engine) Transfer(ctx context.Context, userID, taskID, toAgentID, toServiceID string) error {
	if (toAgentID == "") == (toServiceID == "") {
		return interact.Errorf(interact.EINVALID, "Transfer to exactly one of an agent or a service.")
	}
	if tenantID, ok := e.taskTenant(taskID); ok && toServiceID != "" {
		lctx, cancel := context.WithTimeout(ctx, loadTimeout)
		err := e.preload(lctx, tenantID, toServiceID)
		cancel()
		if err != nil {
			return err
		}
	}
	return e.do(ctx, func(c *change) error {
		t, a, err := e.connected(userID, taskID)
		if err != nil {
			return err
		}
		switch {
		case toAgentID == userID:
			return interact.Errorf(interact.EINVALID, "You cannot transfer a task to yourself.")
		case toAgentID != "":
			b, ok := e.agents[toAgentID]
			if !ok || b.tenantID != t.TenantID || !e.reachable(b, nil, t.Modality) {
				return interact.Errorf(interact.EINVALID, "That agent is not available for transfers now.")
			}
		default:
			if _, err := e.serviceInfo(t.TenantID, toServiceID); err != nil {
				return interact.Errorf(interact.EINVALID, "No service %q to transfer to.", toServiceID)
			}
		}
		s, _ := e.serviceInfo(t.TenantID, t.ServiceID)
		accepted := t.accepted
		e.detach(t, a, interact.OfferTransferred, c)
		t.Transfers++
		t.QueuedAt = e.clock.Now()
		if toAgentID != "" {
			t.TargetAgentID = toAgentID
		} else {
			e.countOpen(t, -1)
			t.ServiceID, t.DirectUserID, t.TargetAgentID = toServiceID, "", ""
			e.countOpen(t, 1)
		}
		c.emit(interact.TaskSubject(t.ID), "task.state", map[string]any{"state": interact.TaskWaiting, "transferring": true})
		e.enqueue(t, c)
		e.startACW(a, s, accepted, c)
		if e.noAgent(t) {
			e.overflow(t, interact.OutcomeTransferFailed, c)
		}
		return nil
	})
}

// detach ends agent a's session of connected task t with outcome.
func (e *Engine) detach(t *task, a *agent, outcome string, c *change) {
	if o := t.accepted; o != nil {
		o.end(e.clock.Now(), outcome)
		c.offer(o)
	}
	t.accepted = nil
	delete(a.chats, t.ID)
	delete(a.calls, t.ID)
	e.leaveCall(t, c)
	t.AgentID = ""
	c.task(t)
	c.emit(interact.AgentSubject(a.id), "task.released", map[string]string{"taskId": t.ID, "reason": outcome})
	e.agentChanged(a, c)
}

// EndTask ends a task on behalf of the visitor (by == ByVisitor) or its
// connected agent (by == the agent's user id).
func (e *Engine) EndTask(ctx context.Context, taskID, by string) error {
	return e.do(ctx, func(c *change) error {
		t, ok := e.tasks[taskID]
		if !ok {
			return interact.Errorf(interact.ENOTFOUND, "Task %q has ended already.", taskID)
		}
		if by != interact.ByVisitor && by != interact.BySystem && t.AgentID != by {
			return interact.Errorf(interact.ENOTFOUND, "You are not connected to task %q.", taskID)
		}
		e.endCall(t, by, c) // a call ends with its task, hung up by whoever ended it
		e.finishTask(t, c)
		return nil
	})
}

// finishTask ends a task with the outcome its state implies.
func (e *Engine) finishTask(t *task, c *change) {
	switch {
	case t.State == interact.TaskConnected && t.Transfers > 0:
		e.end(t, interact.OutcomeTransferred, c)
	case t.State == interact.TaskConnected:
		e.end(t, interact.OutcomeHandled, c)
	default:
		e.end(t, interact.OutcomeHangupInQueue, c)
	}
}

// end ends t with outcome: offers withdrawn, the agent released into ACW.
func (e *Engine) end(t *task, outcome string, c *change) {
	e.endCall(t, interact.BySystem, c)
	e.cancelOffers(t, c)
	e.dequeue(t, c)
	t.stopTimers()
	if t.AgentID != "" {
		a := e.agents[t.AgentID]
		if o := t.accepted; o != nil {
			o.end(e.clock.Now(), interact.OfferAccepted)
			c.offer(o)
		}
		delete(a.chats, t.ID)
		delete(a.calls, t.ID)
		c.emit(interact.AgentSubject(a.id), "task.ended", map[string]string{"taskId": t.ID, "outcome": outcome})
		var s *service
		if t.DirectUserID == "" {
			s, _ = e.serviceInfo(t.TenantID, t.ServiceID)
		}
		e.startACW(a, s, t.accepted, c)
		e.agentChanged(a, c)
	}
	said := false // the service's ended message goes into the conversation
	if s, err := e.serviceInfo(t.TenantID, t.ServiceID); err == nil && t.DirectUserID == "" && t.State == interact.TaskConnected {
		text := interact.Expand(s.svc.Messages.Ended, interact.MessageParams{Visitor: t.Visitor, ServiceName: s.svc.Name})
		c.sys = append(c.sys, sysMessage{t: t, text: text})
		said = strings.TrimSpace(text) != ""
	}
	n := e.clock.Now().UTC()
	t.State, t.Outcome, t.EndedAt = interact.TaskEnded, outcome, &n
	c.task(t)
	leave := outcome == interact.OutcomeNoAgent || outcome == interact.OutcomeQueueTimeout || outcome == interact.OutcomeTransferFailed
	c.emit(interact.TaskSubject(t.ID), "task.state", map[string]any{"state": t.State, "outcome": outcome, "leaveMessage": leave, "endedMessage": said})
	c.emit(interact.ServiceSubject(t.ServiceID), "queue.changed", map[string]string{"taskId": t.ID})
	delete(e.tasks, t.ID)
	e.countOpen(t, -1)
}
