package routing

import (
	"context"

	"github.com/interact-oss/interact"
)

// A task's call: an audio or video task is a call from its start; a chat
// may escalate to a call with the same agent and drop back to chat. While a
// call lasts the agent holds it as a call, which blocks new offers.

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
			t.escalated = ""
			delete(a.calls, t.ID)
			a.chats[t.ID] = t
		default:
			if _, mine := a.calls[t.ID]; !mine && len(a.calls) >= e.cfg.CallCapacity {
				return interact.Errorf(interact.ECONFLICT, "The agent is on another call right now.")
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

// dropCall ends t's escalated call when its agent leaves it (transfer,
// drop): the call is only ever between the visitor and the connected agent.
func (e *Engine) dropCall(t *task, c *change) {
	if t.escalated == "" {
		return
	}
	t.escalated = ""
	e.callChanged(t, interact.BySystem, c)
}

// callChanged tells both parties the task's call.
func (e *Engine) callChanged(t *task, by string, c *change) {
	c.emit(interact.TaskSubject(t.ID), "call.state", map[string]any{"taskId": t.ID, "call": callOf(t), "by": by})
}
