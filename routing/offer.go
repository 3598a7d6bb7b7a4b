package routing

import (
	"time"

	"github.com/interact-oss/interact"
)

// Offers: ringing an agent, its timeout, and what a missed or ended offer
// does to the task.

// offer is one ringing (or answered) offer of a task to an agent.
type offer struct {
	interact.Offer
	task  *task
	agent *agent
	timer Timer
}

func (o *offer) stopTimer() {
	if o.timer != nil {
		o.timer.Stop()
		o.timer = nil
	}
}

func (o *offer) end(now time.Time, outcome string) {
	o.stopTimer()
	n := now.UTC()
	o.EndedAt = &n
	if o.Outcome == "" || outcome != interact.OfferAccepted {
		o.Outcome = outcome
	}
}

// offer rings agent a for task t.
func (e *Engine) offer(t *task, a *agent, s *service, c *change) {
	now := e.clock.Now()
	o := &offer{task: t, agent: a, Offer: interact.Offer{
		ID: interact.NewID(), TenantID: t.TenantID, TaskID: t.ID, ServiceID: t.ServiceID, AgentID: a.id,
		Modality: t.Modality, OfferedAt: now.UTC(), Codes: []string{}, Tags: []string{},
	}}
	if t.offers == nil {
		t.offers = map[string]*offer{}
	}
	t.offers[o.ID] = o
	a.ringing[o.ID] = o
	e.offers[o.ID] = o
	ring := 30 * time.Second
	if s != nil {
		ring = time.Duration(s.svc.Distribution.RingTimeoutSeconds) * time.Second
	}
	id := o.ID
	o.timer = e.clock.AfterFunc(ring, func() { e.ringTimeout(id) })
	c.offer(o)
	c.emit(interact.AgentSubject(a.id), "offer", map[string]any{
		"offerId": o.ID, "task": e.summary(t), "ringSeconds": int(ring.Seconds()), "expiresAt": now.Add(ring).UTC(),
	})
	e.agentChanged(a, c)
}

// endOffer ends a ringing offer.
func (e *Engine) endOffer(o *offer, outcome string, c *change) {
	o.end(e.clock.Now(), outcome)
	delete(e.offers, o.ID)
	delete(o.task.offers, o.ID)
	delete(o.agent.ringing, o.ID)
	c.offer(o)
	c.emit(interact.AgentSubject(o.AgentID), "offer.ended", map[string]string{"offerId": o.ID, "taskId": o.TaskID, "outcome": outcome})
	e.agentChanged(o.agent, c)
	if o.task.State == interact.TaskWaiting {
		c.queues[o.task.queueKey] = true
	}
}

func (e *Engine) cancelOffers(t *task, c *change) {
	for _, o := range t.offers {
		e.endOffer(o, interact.OfferCancelled, c)
	}
}

// ringTimeout: the offer rang out. Direct distribution moves on to the next
// agent (and flags persistent RONA); a transfer or direct contact whose
// agent did not answer falls back.
func (e *Engine) ringTimeout(offerID string) {
	e.fire(func(c *change) error {
		o, ok := e.offers[offerID]
		if !ok {
			return nil
		}
		o.timer = nil
		t, a := o.task, o.agent
		e.endOffer(o, interact.OfferRONA, c)
		var s *service
		if t.DirectUserID == "" {
			s, _ = e.serviceInfo(t.TenantID, t.ServiceID)
		}
		broadcast := s != nil && s.svc.Distribution.Type == interact.DistributeBroadcast && t.TargetAgentID == ""
		if !broadcast {
			e.setRONA(a, s, c)
		}
		e.missed(t, a, c)
		return nil
	})
}

// missed handles an offer that a declined or let ring out.
func (e *Engine) missed(t *task, a *agent, c *change) {
	if t.tried == nil {
		t.tried = map[string]bool{}
	}
	t.tried[a.id] = true
	switch {
	case t.TargetAgentID == a.id: // a transfer to a named agent failed: back to the queue
		t.TargetAgentID = ""
		if t.DirectUserID != "" {
			e.overflow(t, interact.OutcomeTransferFailed, c)
			return
		}
		e.dequeue(t, c)
		e.enqueue(t, c)
	case t.DirectUserID == a.id && len(t.offers) == 0:
		e.overflow(t, interact.OutcomeNoAgent, c)
	case t.State == interact.TaskWaiting && len(t.offers) == 0 && e.noAgent(t):
		e.overflow(t, interact.OutcomeNoAgent, c)
	}
}
