package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/interact-oss/interact"
)

// audit records a change made by a inside tx. before or after may be nil.
func (db *DB) audit(ctx context.Context, tx *sql.Tx, a interact.Actor, action, kind, id string, before, after any) error {
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

// MaxAuditPage bounds one page of audit entries.
const MaxAuditPage = 500

// AuditEntries returns the tenant's audit entries, newest first, and a
// cursor for the next page ("" at the end). Tenant admins only.
func (db *DB) AuditEntries(ctx context.Context, a interact.Actor, f interact.AuditFilter) ([]interact.AuditEntry, string, error) {
	if !a.IsTenantAdmin() {
		return nil, "", forbidden("Only tenant admins may read the audit log.")
	}
	if f.Limit <= 0 || f.Limit > MaxAuditPage {
		f.Limit = 100
	}
	where := []string{"tenant_id = $1"}
	args := []any{a.TenantID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.EntityKind != "" {
		add("entity_kind = $%d", f.EntityKind)
	}
	if f.EntityID != "" {
		add("entity_id = $%d", f.EntityID)
	}
	if f.ActorID != "" {
		add("actor_id = $%d", f.ActorID)
	}
	if f.Action != "" {
		add("action = $%d", f.Action)
	}
	if !f.Since.IsZero() {
		add("at >= $%d", ms(f.Since))
	}
	if !f.Until.IsZero() {
		add("at < $%d", ms(f.Until))
	}
	if f.Cursor != "" {
		add("id < $%d", f.Cursor)
	}
	args = append(args, f.Limit+1)
	q := `SELECT id, at, actor_id, actor_email, action, entity_kind, entity_id, before_json, after_json FROM audit_log WHERE ` +
		strings.Join(where, " AND ") + fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
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
