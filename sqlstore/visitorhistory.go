package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/interact-oss/interact"
)

// EarlierSessions lists the ended conversations of task taskID's visitor
// (the same visitor key, in the actor's tenant) that began before it,
// newest first, at most interact.MaxEarlierSessions. Whoever may read the
// task's transcript may ask (the agent who holds it among them); anyone
// else, or another tenant's task, gets not_found. Each earlier session
// says whether the actor may read its transcript; one they may not read is
// listed without its rating comment. A task without a visitor key has no
// earlier sessions.
func (db *DB) EarlierSessions(ctx context.Context, a interact.Actor, taskID string) ([]interact.EarlierSession, error) {
	out := []interact.EarlierSession{}
	err := db.view(ctx, func(tx *sql.Tx) error {
		t, err := db.txTask(ctx, tx, "task", a.TenantID, taskID)
		if err != nil {
			return err
		}
		sc := db.transcriptScope(tx, a)
		offers, err := transcriptOffers(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		if ok, err := sc.reads(ctx, t, offers); err != nil || !ok {
			if err == nil {
				err = notFound("task", taskID)
			}
			return err
		}
		if t.VisitorKey == "" {
			return nil
		}
		earlier, err := db.visitorTasks(ctx, tx, `tenant_id = $1 AND visitor_key = $2 AND id <> $3 AND created_at <= $4`,
			interact.MaxEarlierSessions, t.TenantID, t.VisitorKey, t.ID, ms(t.CreatedAt))
		if err != nil {
			return err
		}
		for _, e := range earlier {
			s, err := db.earlierSession(ctx, tx, sc, e)
			if err != nil {
				return err
			}
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("earlier sessions: %w", err)
	}
	return out, nil
}

// visitorTasks returns up to limit ended tasks matching cond, newest first.
func (db *DB) visitorTasks(ctx context.Context, tx *sql.Tx, cond string, limit int, args ...any) ([]*interact.Task, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+db.taskSelect()+` FROM tasks WHERE `+cond+` AND state = 'ended'
		ORDER BY created_at DESC, id DESC LIMIT `+fmt.Sprint(limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*interact.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// earlierSession is what the side panel shows of an earlier task.
func (db *DB) earlierSession(ctx context.Context, tx *sql.Tx, sc *transcriptScope, t *interact.Task) (interact.EarlierSession, error) {
	s := interact.EarlierSession{ID: t.ID, CreatedAt: t.CreatedAt, EndedAt: t.EndedAt, ServiceID: t.ServiceID, DirectUserID: t.DirectUserID,
		Modality: t.Modality, Outcome: t.Outcome, Agents: []string{}, Rating: t.Rating}
	offers, err := transcriptOffers(ctx, tx, t.ID)
	if err != nil {
		return s, err
	}
	if s.TranscriptReadable, err = sc.reads(ctx, t, offers); err != nil {
		return s, err
	}
	if s.ServiceName, err = ownerName(ctx, tx, t); err != nil {
		return s, err
	}
	ids, order := map[string]bool{}, []string{}
	for _, o := range offers {
		if o.answered && !ids[o.agentID] {
			ids[o.agentID] = true
			order = append(order, o.agentID)
		}
	}
	names, err := userNames(ctx, tx, t.TenantID, ids)
	if err != nil {
		return s, err
	}
	for _, id := range order {
		s.Agents = append(s.Agents, names[id])
	}
	if s.Rating != nil && !s.TranscriptReadable {
		r := *s.Rating
		r.Comment = "" // the visitor's words stay with those who may read the conversation
		s.Rating = &r
	}
	return s, nil
}

// PreviousConversation returns the conversation before task taskID from
// the same browser: the latest ended task of the same contact with the same
// visitor key, with its messages (events left out). It is for the visitor
// holding a token for taskID; the key binds contact and page origin, so
// nothing of another contact or origin can show. None: not_found.
func (db *DB) PreviousConversation(ctx context.Context, taskID string) (*interact.PreviousConversation, error) {
	var out *interact.PreviousConversation
	none := interact.Errorf(interact.ENOTFOUND, "No previous conversation from this browser.")
	err := db.view(ctx, func(tx *sql.Tx) error {
		t, err := db.txTask(ctx, tx, "task", "", taskID)
		if err != nil {
			return err
		}
		if t.VisitorKey == "" {
			return none
		}
		prev, err := db.visitorTasks(ctx, tx, `tenant_id = $1 AND contact_id = $2 AND visitor_key = $3 AND id <> $4 AND created_at <= $5`,
			1, t.TenantID, t.ContactID, t.VisitorKey, t.ID, ms(t.CreatedAt))
		if err != nil {
			return err
		}
		if len(prev) == 0 {
			return none
		}
		msgs, err := taskMessages(ctx, tx, `task_id = $1`, prev[0].ID)
		if err != nil {
			return err
		}
		out = &interact.PreviousConversation{TaskID: prev[0].ID, CreatedAt: prev[0].CreatedAt, EndedAt: prev[0].EndedAt, Items: []interact.Message{}}
		for _, m := range msgs {
			if m.Event == nil {
				out.Items = append(out.Items, m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("previous conversation: %w", err)
	}
	return out, nil
}
