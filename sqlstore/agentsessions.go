package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/interact-oss/interact"
)

// agentCursor is "offeredAtMS.offerID" of a page's last session.
func agentCursor(s interact.AgentSession) string {
	return strconv.FormatInt(ms(s.OfferedAt), 10) + "." + s.ID
}

func parseAgentCursor(c string) (int64, string, error) {
	at, id, ok := strings.Cut(c, ".")
	n, err := strconv.ParseInt(at, 10, 64)
	if !ok || err != nil || id == "" {
		return 0, "", interact.Errorf(interact.EINVALID, "The cursor %q is not one this list returned.", c)
	}
	return n, id, nil
}

// AgentOffers returns the actor's own offers (user sessions), newest
// first, a page at a time, and the cursor of the next page ("" at the
// end). An agent sees only offers made to themselves, whatever their roles.
func (db *DB) AgentOffers(ctx context.Context, a interact.Actor, f interact.AgentSessionFilter) ([]interact.AgentSession, string, error) {
	if f.Limit <= 0 || f.Limit > interact.MaxAgentSessions {
		f.Limit = 50
	}
	cond, args := "", []any{a.TenantID, a.UserID, f.Limit + 1}
	if f.Cursor != "" {
		at, id, err := parseAgentCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		cond = ` AND (o.offered_at < $4 OR (o.offered_at = $4 AND o.id < $5))`
		args = append(args, at, id)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT o.id, o.tenant_id, o.task_id, o.service_id, o.agent_id, o.modality, o.offered_at,
		o.answered_at, o.ended_at, o.outcome, COALESCE(s.name, ''), t.visitor, t.state, t.outcome, t.rating_stars, t.rating_comment, t.rated_at
		FROM offers o JOIN tasks t ON t.id = o.task_id LEFT JOIN services s ON s.id = o.service_id AND s.tenant_id = o.tenant_id
		WHERE o.tenant_id = $1 AND o.agent_id = $2`+cond+` ORDER BY o.offered_at DESC, o.id DESC LIMIT $3`, args...)
	if err != nil {
		return nil, "", fmt.Errorf("agent offers: %w", err)
	}
	defer rows.Close()
	out := []interact.AgentSession{}
	for rows.Next() {
		var s interact.AgentSession
		var offered, answered, ended int64
		var visitor string
		var r interact.Rating
		var ratedAt int64
		if err := rows.Scan(&s.ID, &s.TenantID, &s.TaskID, &s.ServiceID, &s.AgentID, &s.Modality, &offered, &answered, &ended,
			&s.Outcome, &s.ServiceName, &visitor, &s.TaskState, &s.TaskOutcome, &r.Stars, &r.Comment, &ratedAt); err != nil {
			return nil, "", fmt.Errorf("agent offers: %w", err)
		}
		s.Rating = ratingOf(r, ratedAt)
		s.OfferedAt, s.AnsweredAt, s.EndedAt = fromMS(offered), optMS(answered), optMS(ended)
		var v interact.Visitor
		if json.Unmarshal([]byte(visitor), &v) == nil {
			s.VisitorName = v.Name
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("agent offers: %w", err)
	}
	rows.Close()
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		next = agentCursor(out[len(out)-1])
	}
	ids := make([]string, len(out))
	for i := range out {
		ids[i] = out[i].ID
	}
	labels, err := db.labels(ctx, db.read, a.TenantID, ids)
	if err != nil {
		return nil, "", fmt.Errorf("agent offers: %w", err)
	}
	for i := range out {
		l := labels[out[i].ID]
		out[i].CodeIDs, out[i].Codes, out[i].Tags = l.CodeIDs, l.Codes, l.Tags
	}
	return out, next, nil
}
