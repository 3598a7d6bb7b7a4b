package routing

import (
	"context"
	"time"

	"github.com/interact-oss/interact"
)

type agent struct {
	id, tenantID, name string
	licenses           interact.Licenses
	services           map[string]bool // service ids the agent is a member of
	conns              int
	presence, reason   string
	chats              map[string]*task
	calls              map[string]*task
	ringing            map[string]*offer
	idleSince          time.Time
	acwUntil           time.Time
	acwTimer           Timer
	acwService         string // the service whose task started the ACW
	acwOffer           *offer // the user session whose ACW runs, to record its length
	acwStart           time.Time
	ronaUntil          time.Time
	ronaTimer          Timer
	dropTimer          Timer
}

func (a *agent) stopTimers() {
	for _, t := range []Timer{a.acwTimer, a.ronaTimer, a.dropTimer} {
		if t != nil {
			t.Stop()
		}
	}
}

func (e *Engine) agent(id, tenantID string) *agent {
	a, ok := e.agents[id]
	if !ok {
		a = &agent{id: id, tenantID: tenantID, presence: interact.PresenceOffline, services: map[string]bool{},
			chats: map[string]*task{}, calls: map[string]*task{}, ringing: map[string]*offer{}}
		e.agents[id] = a
	}
	return a
}

// state is the agent's state as supervisors see it.
func (e *Engine) state(a *agent) string {
	now := e.clock.Now()
	switch {
	case a.conns == 0 || a.presence == interact.PresenceOffline:
		return interact.StateOffline
	case len(a.ringing) > 0:
		return interact.StateRinging
	case len(a.calls) > 0 || len(a.chats) > 0:
		return interact.StateConnected
	case now.Before(a.acwUntil):
		return interact.StateACW
	case now.Before(a.ronaUntil):
		return interact.StateRONA
	case a.presence != interact.PresenceAvailable:
		return interact.StateNotAvailable
	}
	return interact.StateAvailable
}

// selectable reports whether a may be offered a task of modality m in
// service s (nil for a direct contact or a transfer to a named agent).
func (e *Engine) selectable(a *agent, s *service, m interact.Modality) bool {
	return e.selectableAt(a, s, m, e.clock.Now())
}

func (e *Engine) selectableAt(a *agent, s *service, m interact.Modality, now time.Time) bool {
	if a.conns == 0 || len(a.ringing) > 0 || len(a.calls) > 0 || now.Before(a.acwUntil) || now.Before(a.ronaUntil) ||
		!e.reachable(a, s, m) {
		return false
	}
	if m == interact.ModalityChat {
		return len(a.chats) < e.cfg.ChatCapacity
	}
	return len(a.calls) < e.cfg.CallCapacity
}

// reachable reports whether a could take tasks of modality m in service s
// at all right now (connected, available, active, licensed), busy or not:
// the "no agent selectable" look-ahead.
func (e *Engine) reachable(a *agent, s *service, m interact.Modality) bool {
	// An agent reconnecting within the grace (a console reload) still counts.
	if (a.conns == 0 && a.dropTimer == nil) || a.presence != interact.PresenceAvailable {
		return false
	}
	lic := a.licenses
	if s != nil {
		mem, ok := s.members[a.id]
		if !ok || !mem.Active {
			return false
		}
		lic = mem.Licenses
	}
	if m == interact.ModalityChat {
		return lic.InstantMessaging
	}
	return lic.ContactCenter
}

// index keeps a in the sets of agents that may be selectable for a chat
// and for a call: connected, available, not ringing, not on a call and
// below capacity. ACW, RONA and memberships are checked when selecting;
// every change to what the sets depend on goes through agentChanged.
func (e *Engine) index(a *agent) {
	base := a.conns > 0 && a.presence == interact.PresenceAvailable && len(a.ringing) == 0 && len(a.calls) == 0
	setMember(e.freeChat, a, base && len(a.chats) < e.cfg.ChatCapacity)
	setMember(e.freeCall, a, base && len(a.calls) < e.cfg.CallCapacity)
}

func setMember(set map[*agent]struct{}, a *agent, in bool) {
	if in {
		set[a] = struct{}{}
	} else {
		delete(set, a)
	}
}

// reachChanged notes a change to what reachable depends on (connections,
// presence, licences, memberships), so cached counts are recomputed.
func (e *Engine) reachChanged() { e.reachVersion++ }

func (e *Engine) view(a *agent) interact.AgentView {
	v := interact.AgentView{ID: a.id, Name: a.name, Presence: a.presence, Reason: a.reason, State: e.state(a),
		Chats: len(a.chats), Calls: len(a.calls), Ringing: len(a.ringing)}
	now := e.clock.Now()
	if now.Before(a.acwUntil) {
		t := a.acwUntil.UTC()
		v.ACWUntil = &t
	}
	if now.Before(a.ronaUntil) {
		t := a.ronaUntil.UTC()
		v.RONAUntil = &t
	}
	if !a.idleSince.IsZero() {
		t := a.idleSince.UTC()
		v.IdleSince = &t
	}
	if a.conns == 0 {
		v.Presence = interact.PresenceOffline
	}
	return v
}

// agentChanged announces a's state to the agent and its services.
func (e *Engine) agentChanged(a *agent, c *change) {
	e.index(a)
	v := e.view(a)
	c.emit(interact.AgentSubject(a.id), "agent.state", v)
	for id := range a.services {
		c.emit(interact.ServiceSubject(id), "agent.state", v)
		c.queues[id] = true
	}
}

// AgentConnected records an open agent connection (console socket). The
// first connection loads the agent's licences and memberships (before the
// engine lock is taken) and cancels a pending drop. A reconnecting agent
// keeps its tasks.
func (e *Engine) AgentConnected(ctx context.Context, tenantID, userID string) (interact.AgentView, error) {
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	for {
		info, gen, err := e.agentFor(ctx, tenantID, userID)
		if err != nil {
			return interact.AgentView{}, err
		}
		var v interact.AgentView
		err = e.do(ctx, func(c *change) error {
			a := e.agent(userID, tenantID)
			if a.tenantID != tenantID {
				return interact.Errorf(interact.EFORBIDDEN, "Agent belongs to another tenant.")
			}
			if a.conns == 0 {
				if !e.fresh(info, tenantID, gen) {
					return errStale
				}
				a.apply(info)
				if a.dropTimer != nil {
					a.dropTimer.Stop()
					a.dropTimer = nil
				}
				if a.presence == interact.PresenceOffline && len(a.chats)+len(a.calls) == 0 {
					a.idleSince = e.clock.Now()
				}
			}
			a.conns++
			e.reachChanged()
			e.agentChanged(a, c)
			v = e.view(a)
			return nil
		})
		if err != errStale {
			return v, err
		}
	}
}

// AgentDisconnected records a closed agent connection. When the last one
// closes, the agent is not offered tasks; after AgentGrace without a new
// connection its tasks are re-queued at their place and its offers lapse.
// It is never dropped for ctx: a lost disconnection would leave the agent
// connected for ever; during a rebuild it waits for it.
func (e *Engine) AgentDisconnected(ctx context.Context, userID string) {
	e.do(context.WithoutCancel(ctx), func(c *change) error {
		a, ok := e.agents[userID]
		if !ok || a.conns == 0 {
			return nil
		}
		a.conns--
		if a.conns > 0 {
			return nil
		}
		a.dropTimer = e.clock.AfterFunc(e.cfg.AgentGrace, func() { e.agentGone(userID) })
		e.reachChanged()
		for _, o := range a.ringing { // it cannot answer now
			e.endOffer(o, interact.OfferCancelled, c)
		}
		e.agentChanged(a, c)
		return nil
	})
}

// agentGone runs when an agent stayed disconnected past the grace period.
func (e *Engine) agentGone(userID string) {
	e.fire(func(c *change) error {
		a, ok := e.agents[userID]
		if !ok || a.conns > 0 {
			return nil
		}
		a.dropTimer = nil
		e.reachChanged()
		e.release(a, c, interact.OfferDropped)
		e.recordACW(a, c)
		a.ronaUntil, a.acwUntil = time.Time{}, time.Time{} // going offline resets RONA and ACW
		e.agentChanged(a, c)
		for key := range c.queues {
			e.checkQueue(key, c)
		}
		e.checkReachable(a, c)
		return nil
	})
}

// release takes every task and offer away from a: ringing offers end with
// outcome cancelled, connected tasks go back to their queue at their place
// with the agent's session ending as outcome.
func (e *Engine) release(a *agent, c *change, outcome string) {
	now := e.clock.Now()
	for _, o := range a.ringing {
		e.endOffer(o, interact.OfferCancelled, c)
	}
	for _, group := range []map[string]*task{a.chats, a.calls} {
		for _, t := range group {
			if o := t.accepted; o != nil {
				o.end(now, outcome)
				c.offer(o)
			}
			delete(group, t.ID)
			e.leaveCall(t, c)
			t.accepted = nil
			t.AgentID = ""
			t.State = interact.TaskWaiting
			t.QueuedAt = e.clock.Now() // max wait counts from here; QueueSeq keeps the place
			c.task(t)
			c.emit(interact.AgentSubject(a.id), "task.released", map[string]string{"taskId": t.ID, "reason": outcome})
			e.enqueue(t, c)
		}
	}
}

// SetPresence sets an agent's presence and not-available reason. Going
// offline resets RONA.
func (e *Engine) SetPresence(ctx context.Context, userID, presence, reason string) error {
	switch presence {
	case interact.PresenceAvailable, interact.PresenceBusy, interact.PresenceAway, interact.PresenceOffline:
	default:
		return interact.Errorf(interact.EINVALID, "presence must be available, busy, away or offline (got %q).", presence)
	}
	if len([]rune(reason)) > interact.MaxReasonLen {
		return interact.Errorf(interact.EINVALID, "The reason must be at most %d characters.", interact.MaxReasonLen)
	}
	if presence == interact.PresenceAvailable {
		reason = ""
	}
	return e.do(ctx, func(c *change) error {
		a, ok := e.agents[userID]
		if !ok || a.conns == 0 {
			return interact.Errorf(interact.EINVALID, "Connect the agent console first.")
		}
		if a.presence != interact.PresenceAvailable && presence == interact.PresenceAvailable && len(a.chats)+len(a.calls) == 0 {
			a.idleSince = e.clock.Now()
		}
		a.presence, a.reason = presence, reason
		e.reachChanged()
		if presence == interact.PresenceOffline {
			a.ronaUntil = time.Time{}
		}
		if presence != interact.PresenceAvailable {
			for _, o := range a.ringing {
				e.endOffer(o, interact.OfferCancelled, c)
			}
			e.checkReachable(a, c)
		}
		e.agentChanged(a, c)
		return nil
	})
}

// startACW puts a into after-call work for the service's ACW time, after
// the user session o.
func (e *Engine) startACW(a *agent, s *service, o *offer, c *change) {
	if s == nil || !s.svc.Distribution.ACWEnabled {
		a.idleSince = e.clock.Now()
		return
	}
	e.recordACW(a, c)
	a.acwService, a.acwOffer, a.acwStart = s.svc.ID, o, e.clock.Now()
	e.setACW(a, e.clock.Now().Add(time.Duration(s.svc.Distribution.ACWSeconds)*time.Second), c)
}

func (e *Engine) setACW(a *agent, until time.Time, c *change) {
	if a.acwTimer != nil {
		a.acwTimer.Stop()
	}
	a.acwUntil = until
	id := a.id
	a.acwTimer = e.clock.AfterFunc(until.Sub(e.clock.Now()), func() {
		e.fire(func(c *change) error {
			if a := e.agents[id]; a != nil && !e.clock.Now().Before(a.acwUntil) && !a.acwUntil.IsZero() {
				e.endACW(a, c)
			}
			return nil
		})
	})
	e.agentChanged(a, c)
}

// recordACW adds the after-call work a has done so far to the user
// session that started it (reports show it apart from the handle time).
func (e *Engine) recordACW(a *agent, c *change) {
	if o := a.acwOffer; o != nil {
		end := e.clock.Now()
		if !a.acwUntil.IsZero() && a.acwUntil.Before(end) {
			end = a.acwUntil
		}
		if d := end.Sub(a.acwStart).Milliseconds(); d > 0 {
			o.ACWMS += d
			c.offer(o)
		}
	}
	a.acwOffer = nil
}

func (e *Engine) endACW(a *agent, c *change) {
	e.recordACW(a, c)
	if a.acwTimer != nil {
		a.acwTimer.Stop()
		a.acwTimer = nil
	}
	a.acwUntil = time.Time{}
	a.idleSince = e.clock.Now()
	e.agentChanged(a, c)
}

// EndACW ends an agent's after-call work early.
func (e *Engine) EndACW(ctx context.Context, userID string) error {
	return e.do(ctx, func(c *change) error {
		a, ok := e.agents[userID]
		if !ok || !e.clock.Now().Before(a.acwUntil) {
			return interact.Errorf(interact.EINVALID, "You are not in after-call work.")
		}
		e.endACW(a, c)
		return nil
	})
}

// ExtendACW restarts an agent's after-call work with the extension time of
// the service whose task the agent finished last (or 30 s).
func (e *Engine) ExtendACW(ctx context.Context, userID string, ext time.Duration) error {
	if ext < 0 || ext > time.Hour {
		return interact.Errorf(interact.EINVALID, "The extension must be between 1 second and 1 hour.")
	}
	return e.do(ctx, func(c *change) error {
		a, ok := e.agents[userID]
		if !ok || !e.clock.Now().Before(a.acwUntil) {
			return interact.Errorf(interact.EINVALID, "You are not in after-call work.")
		}
		if ext == 0 {
			ext = 30 * time.Second
			if s, err := e.serviceInfo(a.tenantID, a.acwService); err == nil {
				ext = time.Duration(s.svc.Distribution.ACWExtensionSeconds) * time.Second
			}
		}
		e.setACW(a, e.clock.Now().Add(ext), c)
		return nil
	})
}

// setRONA flags a as not responding until the service's reset time.
func (e *Engine) setRONA(a *agent, s *service, c *change) {
	if s == nil || !s.svc.Distribution.PersistentRONA {
		return
	}
	if a.ronaTimer != nil {
		a.ronaTimer.Stop()
	}
	d := time.Duration(s.svc.Distribution.RONAResetSeconds) * time.Second
	a.ronaUntil = e.clock.Now().Add(d)
	id := a.id
	a.ronaTimer = e.clock.AfterFunc(d, func() {
		e.fire(func(c *change) error {
			if a := e.agents[id]; a != nil && !a.ronaUntil.IsZero() && !e.clock.Now().Before(a.ronaUntil) {
				a.ronaUntil = time.Time{}
				a.idleSince = e.clock.Now()
				e.agentChanged(a, c)
			}
			return nil
		})
	})
	c.emit(interact.AgentSubject(a.id), "rona", map[string]any{"until": a.ronaUntil.UTC()})
	e.agentChanged(a, c)
}

// ResetRONA clears an agent's RONA flag.
func (e *Engine) ResetRONA(ctx context.Context, userID string) error {
	return e.do(ctx, func(c *change) error {
		a, ok := e.agents[userID]
		if !ok || !e.clock.Now().Before(a.ronaUntil) {
			return interact.Errorf(interact.EINVALID, "You are not flagged RONA.")
		}
		if a.ronaTimer != nil {
			a.ronaTimer.Stop()
		}
		a.ronaUntil = time.Time{}
		a.idleSince = e.clock.Now()
		e.agentChanged(a, c)
		return nil
	})
}

// Agent returns an agent's current state.
func (e *Engine) Agent(userID string) (interact.AgentView, bool) {
	e.lock()
	defer e.unlock()
	a, ok := e.agents[userID]
	if !ok {
		return interact.AgentView{}, false
	}
	return e.view(a), true
}
