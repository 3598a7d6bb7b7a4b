package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/interact-oss/interact"
)

// AgentSession is one of an agent's own user sessions (an offer) as the
// agent console's My Sessions lists it: the offer with its outcome, the
// service's name, the visitor's name and the task's state.
type AgentSession struct {
	interact.Offer
	ServiceName string             `json:"serviceName"`
	VisitorName string             `json:"visitorName"`
	TaskState   interact.TaskState `json:"taskState"`
	TaskOutcome string             `json:"taskOutcome,omitempty"`
}

// MaxAgentSessions bounds one page of an agent's sessions.
const MaxAgentSessions = 200

// AgentOffers returns the actor's own offers (user sessions), newest
// first: at most limit (default 50, at most MaxAgentSessions). An agent
// sees only offers made to themselves, whatever their roles.
func (db *DB) AgentOffers(ctx context.Context, a interact.Actor, limit int) ([]AgentSession, error) {
	if limit <= 0 || limit > MaxAgentSessions {
		limit = 50
	}
	rows, err := db.read.QueryContext(ctx, `SELECT o.id, o.tenant_id, o.task_id, o.service_id, o.agent_id, o.modality, o.offered_at,
		o.answered_at, o.ended_at, o.outcome, o.codes, o.tags, COALESCE(s.name, ''), t.visitor, t.state, t.outcome
		FROM offers o JOIN tasks t ON t.id = o.task_id LEFT JOIN services s ON s.id = o.service_id AND s.tenant_id = o.tenant_id
		WHERE o.tenant_id = $1 AND o.agent_id = $2 ORDER BY o.offered_at DESC, o.id DESC LIMIT $3`, a.TenantID, a.UserID, limit)
	if err != nil {
		return nil, fmt.Errorf("agent offers: %w", err)
	}
	defer rows.Close()
	out := []AgentSession{}
	for rows.Next() {
		var s AgentSession
		var offered, answered, ended int64
		var codes, tags, visitor string
		if err := rows.Scan(&s.ID, &s.TenantID, &s.TaskID, &s.ServiceID, &s.AgentID, &s.Modality, &offered, &answered, &ended,
			&s.Outcome, &codes, &tags, &s.ServiceName, &visitor, &s.TaskState, &s.TaskOutcome); err != nil {
			return nil, fmt.Errorf("agent offers: %w", err)
		}
		s.OfferedAt, s.AnsweredAt, s.EndedAt = fromMS(offered), optMS(answered), optMS(ended)
		var v interact.Visitor
		if json.Unmarshal([]byte(visitor), &v) == nil {
			s.VisitorName = v.Name
		}
		if json.Unmarshal([]byte(codes), &s.Codes) != nil || s.Codes == nil {
			s.Codes = []string{}
		}
		if json.Unmarshal([]byte(tags), &s.Tags) != nil || s.Tags == nil {
			s.Tags = []string{}
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
