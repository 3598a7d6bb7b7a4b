package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/interact-oss/interact"
)

// Sessions lists the service sessions the actor may see, newest first:
// tenant admins all, others those of services they can see; each says
// whether the actor may also read its transcript (see Transcript).
func (db *DB) Sessions(ctx context.Context, a interact.Actor, f interact.SessionFilter) ([]interact.Session, string, error) {
	if f.Limit <= 0 || f.Limit > interact.MaxSessionPage {
		f.Limit = 100
	}
	w := newWhere("tenant_id", a.TenantID)
	w.eq("service_id", f.ServiceID)
	w.eq("outcome", f.Outcome)
	w.span("created_at", f.Since, f.Until)
	w.before("id", f.Cursor)
	if f.Code != "" {
		w.add("id IN (SELECT task_id FROM session_labels WHERE tenant_id = $1 AND kind = 'code' AND ref = $%d)", f.Code)
	}
	if f.Tag != "" {
		w.add("id IN (SELECT task_id FROM session_labels WHERE tenant_id = $1 AND kind = 'tag' AND LOWER(ref) = LOWER($%d))", strings.TrimSpace(f.Tag))
	}
	conds, args := w.conds, w.args
	q := `SELECT ` + db.taskSelect() + ` FROM tasks WHERE ` + strings.Join(conds, " AND ") + ` ORDER BY id DESC`
	var out []interact.Session
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		visible := map[string]bool{}
		canSee := func(t *interact.Task) (bool, error) {
			if a.IsTenantAdmin() {
				return true, nil
			}
			key := t.ServiceID + "/" + t.DirectUserID
			if v, ok := visible[key]; ok {
				return v, nil
			}
			var v bool
			if t.DirectUserID != "" && t.ServiceID == "" {
				u, err := db.user(ctx, tx, a.TenantID, t.DirectUserID)
				v = err == nil && a.ReadsOU(tree, u.OUID)
			} else {
				s, err := db.service(ctx, tx, a.TenantID, t.ServiceID)
				v = err == nil && readsService(a, tree, s)
			}
			visible[key] = v
			return v, nil
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		var tasks []*interact.Task
		for rows.Next() && len(tasks) <= f.Limit {
			t, err := scanTask(rows)
			if err != nil {
				rows.Close()
				return err
			}
			tasks = append(tasks, t)
		}
		rows.Close()
		for _, t := range tasks {
			ok, err := canSee(t)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			s := interact.Session{Task: *t}
			if t.ConnectedAt != nil {
				s.QueueMS = t.ConnectedAt.Sub(t.CreatedAt).Milliseconds()
				end := db.now()
				if t.EndedAt != nil {
					end = *t.EndedAt
				}
				s.ConnectedMS = end.Sub(*t.ConnectedAt).Milliseconds()
			} else if t.EndedAt != nil {
				s.QueueMS = t.EndedAt.Sub(t.CreatedAt).Milliseconds()
			}
			out = append(out, s)
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("sessions: %w", err)
	}
	cursor := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		cursor = out[len(out)-1].ID
	}
	for i := range out {
		offers, err := db.TaskOffers(ctx, out[i].ID)
		if err != nil {
			return nil, "", err
		}
		ids := make([]string, len(offers))
		for j, o := range offers {
			ids[j] = o.ID
		}
		labels, err := db.labels(ctx, db.read, out[i].TenantID, ids)
		if err != nil {
			return nil, "", err
		}
		for j := range offers {
			offers[j].Codes, offers[j].Tags = labels[offers[j].ID].Codes, labels[offers[j].ID].Tags
		}
		out[i].Offers = nonNilOffers(offers)
	}
	err = db.view(ctx, func(tx *sql.Tx) error {
		sc := db.transcriptScope(tx, a)
		for i := range out {
			offers := make([]transcriptOffer, len(out[i].Offers))
			for j, o := range out[i].Offers {
				offers[j] = transcriptOffer{agentID: o.AgentID, serviceID: o.ServiceID, answered: o.AnsweredAt != nil}
			}
			ok, err := sc.reads(ctx, &out[i].Task, offers)
			if err != nil {
				return err
			}
			out[i].TranscriptReadable = ok
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("sessions: %w", err)
	}
	return out, cursor, nil
}

func nonNilOffers(o []interact.Offer) []interact.Offer {
	if o == nil {
		return []interact.Offer{}
	}
	return o
}
