package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/interact-oss/interact"
)

// audit records a change made by a inside tx. before or after may be nil.
func (db *DB) audit(ctx context.Context, tx *sql.Tx, a interact.Actor, action, kind, id string, before, after any) error {
	if !slices.Contains(interact.AuditActions, action) || !slices.Contains(interact.AuditKinds, kind) {
		return fmt.Errorf("audit: unlisted action %q or kind %q (add it to interact.AuditActions/AuditKinds)", action, kind)
	}
	enc := func(v any) (any, error) {
		if v == nil {
			return nil, nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	b, err := enc(before)
	if err != nil {
		return err
	}
	af, err := enc(after)
	if err != nil {
		return err
	}
	if b != nil && af != nil && b == af {
		return nil // nothing changed: nothing to record
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (id, tenant_id, at, actor_id, actor_email, action, entity_kind, entity_id, before_json, after_json)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		interact.NewID(), a.TenantID, ms(db.now()), a.UserID, a.Email, action, kind, id, b, af)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// AuditEntries returns the tenant's audit entries, newest first, and a
// cursor for the next page ("" at the end). Tenant admins only.
func (db *DB) AuditEntries(ctx context.Context, a interact.Actor, f interact.AuditFilter) ([]interact.AuditEntry, string, error) {
	if !a.IsTenantAdmin() {
		return nil, "", forbidden("Only tenant admins may read the audit log.")
	}
	if f.Limit <= 0 || f.Limit > interact.MaxAuditPage {
		f.Limit = 100
	}
	w := newWhere("tenant_id", a.TenantID)
	w.eq("entity_kind", f.EntityKind)
	w.eq("entity_id", f.EntityID)
	w.eq("actor_id", f.ActorID)
	w.eq("action", f.Action)
	w.span("at", f.Since, f.Until)
	w.before("id", f.Cursor)
	conds, args := w.conds, w.args
	args = append(args, f.Limit+1)
	q := `SELECT id, at, actor_id, actor_email, action, entity_kind, entity_id, before_json, after_json FROM audit_log WHERE ` +
		strings.Join(conds, " AND ") + fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	var out []interact.AuditEntry
	err := db.view(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e interact.AuditEntry
			var at int64
			var before, after sql.NullString
			if err := rows.Scan(&e.ID, &at, &e.ActorID, &e.ActorEmail, &e.Action, &e.EntityKind, &e.EntityID, &before, &after); err != nil {
				return err
			}
			e.At = fromMS(at)
			if before.Valid {
				e.Before = json.RawMessage(before.String)
			}
			if after.Valid {
				e.After = json.RawMessage(after.String)
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", fmt.Errorf("audit entries: %w", err)
	}
	cursor := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		cursor = out[len(out)-1].ID
	}
	return out, cursor, nil
}

// where builds the conditions of a filtered list query.
type where struct {
	conds []string
	args  []any
}

func newWhere(col string, v any) *where {
	return &where{conds: []string{col + " = $1"}, args: []any{v}}
}

func (w *where) add(cond string, v any) {
	w.args = append(w.args, v)
	w.conds = append(w.conds, fmt.Sprintf(cond, len(w.args)))
}

// eq adds col = v unless v is empty.
func (w *where) eq(col, v string) {
	if v != "" {
		w.add(col+" = $%d", v)
	}
}

// span adds since <= col < until for the bounds that are set.
func (w *where) span(col string, since, until time.Time) {
	if !since.IsZero() {
		w.add(col+" >= $%d", ms(since))
	}
	if !until.IsZero() {
		w.add(col+" < $%d", ms(until))
	}
}

// before adds col < cursor (paging by time-sortable ids) when set.
func (w *where) before(col, cursor string) {
	if cursor != "" {
		w.add(col+" < $%d", cursor)
	}
}
