package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/interact-oss/interact"
)

// Limits on a session's labels.
const (
	labelKindCode    = "code"
	labelKindTag     = "tag"
	errNotHandledMsg = "Only an agent who handled the task may label it."
)

// SetSessionLabels replaces the codes and tags of one of the actor's own
// user sessions (an offer). Only the agent who handled the task (accepted
// the offer) may label it, during the task, in ACW or later; every code
// must be one the session's service offers (its OU or above), except codes
// already attached and since deleted.
func (db *DB) SetSessionLabels(ctx context.Context, a interact.Actor, offerID string, codeIDs, tags []string) (*interact.Labels, error) {
	tags, err := interact.CleanTags(tags)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, id := range codeIDs {
		if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if len(ids) > interact.MaxSessionCodes {
		return nil, interact.Errorf(interact.EINVALID, "A session holds at most %d codes.", interact.MaxSessionCodes)
	}
	var out *interact.Labels
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var agentID, taskID, serviceID string
		var answered int64
		err := tx.QueryRowContext(ctx, `SELECT agent_id, task_id, service_id, answered_at FROM offers WHERE tenant_id = $1 AND id = $2`,
			a.TenantID, offerID).Scan(&agentID, &taskID, &serviceID, &answered)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && agentID != a.UserID) {
			return notFound("session", offerID)
		}
		if err != nil {
			return err
		}
		if answered == 0 {
			return forbidden(errNotHandledMsg)
		}
		offered := map[string]interact.Code{}
		if serviceID != "" && len(ids) > 0 {
			tree, err := db.ouTree(ctx, tx, a.TenantID)
			if err != nil {
				return err
			}
			var ou string
			if err := tx.QueryRowContext(ctx, `SELECT ou_id FROM services WHERE tenant_id = $1 AND id = $2`, a.TenantID, serviceID).Scan(&ou); err != nil &&
				!errors.Is(err, sql.ErrNoRows) {
				return err
			}
			codes, err := db.codesOn(ctx, tx, a.TenantID, tree.Path(ou))
			if err != nil {
				return err
			}
			for _, c := range codes {
				offered[c.ID] = c
			}
		}
		had, err := db.labels(ctx, tx, a.TenantID, []string{offerID})
		if err != nil {
			return err
		}
		old := map[string]string{}
		for i, id := range had[offerID].CodeIDs {
			old[id] = had[offerID].Codes[i]
		}
		l := interact.Labels{CodeIDs: []string{}, Codes: []string{}, Tags: tags}
		for _, id := range ids {
			name := ""
			if c, ok := offered[id]; ok {
				name = c.Name
			} else if n, ok := old[id]; ok {
				name = n
			} else {
				return interact.Errorf(interact.EINVALID, "Code %q is not one of this service's codes (those of its OU and above).", id)
			}
			l.CodeIDs, l.Codes = append(l.CodeIDs, id), append(l.Codes, name)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM session_labels WHERE tenant_id = $1 AND offer_id = $2`, a.TenantID, offerID); err != nil {
			return err
		}
		now := ms(db.now())
		insert := func(kind, ref, name string) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO session_labels (tenant_id, offer_id, task_id, kind, ref, name, added_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, a.TenantID, offerID, taskID, kind, ref, name, now)
			return err
		}
		for i, id := range l.CodeIDs {
			if err := insert(labelKindCode, id, l.Codes[i]); err != nil {
				return err
			}
		}
		for _, t := range l.Tags {
			if err := insert(labelKindTag, t, t); err != nil {
				return err
			}
		}
		out = &l
		return nil
	})
	return out, err
}

// labels reads the labels of the given offers, codes with their current
// names (the last known one once deleted), each kind by name.
func (db *DB) labels(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, tenantID string, offerIDs []string) (map[string]*interact.Labels, error) {
	out := map[string]*interact.Labels{}
	for _, id := range offerIDs {
		out[id] = &interact.Labels{CodeIDs: []string{}, Codes: []string{}, Tags: []string{}}
	}
	for chunk := range slices.Chunk(offerIDs, 100) {
		args := []any{tenantID}
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			args = append(args, id)
			marks[i] = "$" + strconv.Itoa(i+2)
		}
		rows, err := q.QueryContext(ctx, `SELECT l.offer_id, l.kind, l.ref, COALESCE(c.name, l.name) FROM session_labels l
			LEFT JOIN codes c ON l.kind = 'code' AND c.id = l.ref AND c.tenant_id = l.tenant_id
			WHERE l.tenant_id = $1 AND l.offer_id IN (`+strings.Join(marks, ", ")+`) ORDER BY l.offer_id, l.kind, l.name`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var offer, kind, ref, name string
			if err := rows.Scan(&offer, &kind, &ref, &name); err != nil {
				rows.Close()
				return nil, err
			}
			l := out[offer]
			if kind == labelKindCode {
				l.CodeIDs, l.Codes = append(l.CodeIDs, ref), append(l.Codes, name)
			} else {
				l.Tags = append(l.Tags, name)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SessionLabels returns the labels of one of the actor's own user sessions.
func (db *DB) SessionLabels(ctx context.Context, a interact.Actor, offerID string) (*interact.Labels, error) {
	var agentID string
	err := db.read.QueryRowContext(ctx, `SELECT agent_id FROM offers WHERE tenant_id = $1 AND id = $2`, a.TenantID, offerID).Scan(&agentID)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && agentID != a.UserID) {
		return nil, notFound("session", offerID)
	}
	if err != nil {
		return nil, err
	}
	m, err := db.labels(ctx, db.read, a.TenantID, []string{offerID})
	if err != nil {
		return nil, err
	}
	return m[offerID], nil
}

// HandledOffer returns the actor's latest accepted offer (user session) of
// a task: the one the console labels while the task runs or in ACW.
func (db *DB) HandledOffer(ctx context.Context, a interact.Actor, taskID string) (string, error) {
	var id string
	err := db.read.QueryRowContext(ctx, `SELECT id FROM offers WHERE tenant_id = $1 AND task_id = $2 AND agent_id = $3 AND answered_at > 0
		ORDER BY answered_at DESC, id DESC LIMIT 1`, a.TenantID, taskID, a.UserID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", interact.Errorf(interact.EFORBIDDEN, "%s You did not handle task %q.", errNotHandledMsg, taskID)
	}
	return id, err
}
