package routing

import (
	"context"
	"time"

	"github.com/interact-oss/interact"
)

// A task's call: an audio or video task is a call from its start; a chat may
// escalate to a call with the same agent and drop back to chat. While a
// call lasts the agent holds it as a call, which blocks new offers.
//
// Every call is on the record: its start, its connection (the agent's
// first answer to the visitor's offer), a switch between audio and video
// and its end, with how long it was connected, are events in the task's
// message log (interact.TaskEvent), stored with the change that caused them
// and before its events are published. A restarted engine reads them back
// (Recover): an escalated call that was on when the process stopped is on
// again, with its id and times.

// callRecord is the task's call while it lasts, for its events.
type callRecord struct {
	id          string
	startedAt   time.Time
	connectedAt time.Time // zero until it was first connected
	// answeredBy is the agent whose answer connected it last; another
	// agent's (after a call task was re-queued) connects it again.
	answeredBy string
}

// callOf is the media of t's call now ("" when none).
func callOf(t *task) interact.Modality {
	if t.escalated != "" {
		return t.escalated
	}
	if t.Modality.IsCall() {
		return t.Modality
	}
	return ""
}

// SetCall escalates a connected chat to an audio or video call (m audio or
// video), or ends an escalated call (m chat); by is ByVisitor or the
// connected agent's id. The task keeps its id and agent. A task that is a
// call from its start has no chat to drop back to: it ends with EndTask.
func (e *Engine) SetCall(ctx context.Context, taskID, by string, m interact.Modality) error {
	if !m.Valid() {
		return interact.Errorf(interact.EINVALID, "modality must be chat, audio or video.")
	}
	return e.do(ctx, func(c *change) error {
		t, ok := e.tasks[taskID]
		if !ok || t.State != interact.TaskConnected || t.AgentID == "" || (by != interact.ByVisitor && by != t.AgentID) {
			return interact.Errorf(interact.ENOTFOUND, "You are not connected to task %q.", taskID)
		}
		if t.Modality.IsCall() {
			return interact.Errorf(interact.ECONFLICT, "This contact is a call from its start; hang up to end it.")
		}
		a := e.agents[t.AgentID]
		switch {
		case m == interact.ModalityChat && t.escalated == "":
			return interact.Errorf(interact.ECONFLICT, "There is no call to end.")
		case m == interact.ModalityChat:
			e.endCall(t, by, c)
			t.escalated = ""
			delete(a.calls, t.ID)
			a.chats[t.ID] = t
		default:
			if _, mine := a.calls[t.ID]; !mine && len(a.calls) >= e.cfg.CallCapacity {
				return interact.Errorf(interact.ECONFLICT, "The agent is on another call right now.")
			}
			switch was := t.escalated; {
			case was == "" || t.call == nil:
				e.startCall(t, m, by, c)
			case was != m:
				c.sys = append(c.sys, sysMessage{t: t, event: &interact.TaskEvent{Type: interact.EventCallModality,
					CallID: t.call.id, Modality: m, From: was, By: by}})
			}
			t.escalated = m
			delete(a.chats, t.ID)
			a.calls[t.ID] = t
		}
		e.callChanged(t, by, c)
		e.agentChanged(a, c)
		return nil
	})
}

// CallConnected records that agentID, the task's connected agent, answered
// the visitor's offer of the task's call: the call is connected. Only the
// first answer of each agent connection counts (later ones renegotiate the
// same call); answers that find no call, or another agent, change nothing.
func (e *Engine) CallConnected(ctx context.Context, taskID, agentID string) error {
	return e.do(ctx, func(c *change) error {
		t, ok := e.tasks[taskID]
		if !ok || t.State != interact.TaskConnected || t.AgentID != agentID || t.call == nil || callOf(t) == "" || t.call.answeredBy == agentID {
			return nil
		}
		t.call.answeredBy = agentID
		if t.call.connectedAt.IsZero() {
			t.call.connectedAt = e.clock.Now()
		}
		c.sys = append(c.sys, sysMessage{t: t, event: &interact.TaskEvent{Type: interact.EventCallConnected,
			CallID: t.call.id, Modality: callOf(t), By: agentID}})
		return nil
	})
}

// startCall records the start of t's call of modality m.
func (e *Engine) startCall(t *task, m interact.Modality, by string, c *change) {
	t.call = &callRecord{id: interact.NewID(), startedAt: e.clock.Now()}
	c.sys = append(c.sys, sysMessage{t: t, event: &interact.TaskEvent{Type: interact.EventCallStarted, CallID: t.call.id, Modality: m, By: by}})
}

// endCall records the end of t's call, if it has one, while callOf(t) is
// still its media.
func (e *Engine) endCall(t *task, by string, c *change) {
	if t.call == nil {
		return
	}
	ev := &interact.TaskEvent{Type: interact.EventCallEnded, CallID: t.call.id, Modality: callOf(t), By: by}
	if !t.call.connectedAt.IsZero() {
		ev.Connected = true
		ev.DurationMS = max(0, e.clock.Now().Sub(t.call.connectedAt).Milliseconds())
	}
	t.call = nil
	c.sys = append(c.sys, sysMessage{t: t, event: ev})
}

// leaveCall is what t's call does when its agent leaves the task
// (transfer, drop): an escalated call ends, since it is only ever between
// the visitor and the connected agent; a call task's call waits for the
// next agent, whose answer connects it again.
func (e *Engine) leaveCall(t *task, c *change) {
	if t.escalated == "" {
		if t.call != nil {
			t.call.answeredBy = ""
		}
		return
	}
	e.endCall(t, interact.BySystem, c)
	t.escalated = ""
	e.callChanged(t, interact.BySystem, c)
}

// callChanged tells both parties the task's call.
func (e *Engine) callChanged(t *task, by string, c *change) {
	c.emit(interact.TaskSubject(t.ID), "call.state", map[string]any{"taskId": t.ID, "call": callOf(t), "by": by})
}

// restoreCall gives a task restored from the store its call: the one its
// events leave open. An escalated call comes back only while its chat is
// connected (it was, with the same agent, when the events were written: a
// transfer or drop would have ended it); one that cannot go on is ended.
func (e *Engine) restoreCall(t *task, events []interact.Message, c *change) {
	oc, open := interact.OpenCall(events)
	if !open {
		if t.Modality.IsCall() { // a call task from before calls were on the record
			t.call = &callRecord{id: interact.NewID(), startedAt: t.CreatedAt}
		}
		return
	}
	t.call = &callRecord{id: oc.ID, startedAt: oc.StartedAt, connectedAt: oc.ConnectedAt}
	switch {
	case t.Modality.IsCall():
	case t.State == interact.TaskConnected && oc.Modality.IsCall():
		t.escalated = oc.Modality
	default: // ended now, with the media it had
		t.escalated = oc.Modality
		e.endCall(t, interact.BySystem, c)
		t.escalated = ""
	}
	if !t.call.connectedAt.IsZero() && t.State == interact.TaskConnected {
		t.call.answeredBy = t.AgentID
	}
}
