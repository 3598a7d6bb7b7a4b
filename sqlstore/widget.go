package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/interact-oss/interact"
)

// WidgetSettings returns the saved widget settings of a service or user the
// actor manages (kind is interact.OwnerService or interact.OwnerUser), or
// nil when none are saved (the widget uses its defaults).
func (db *DB) WidgetSettings(ctx context.Context, a interact.Actor, kind, id string) (*interact.WidgetSettings, error) {
	var out *interact.WidgetSettings
	err := db.view(ctx, func(tx *sql.Tx) error {
		if _, _, _, err := db.interactOwner(ctx, tx, a, kind, id); err != nil {
			return err
		}
		var err error
		out, err = db.widgetSettings(ctx, tx, a.TenantID, id)
		return err
	})
	return out, err
}

// SaveWidgetSettings replaces the widget settings of a service or user the
// actor manages. The caller validates them (the text keys live with the
// widget); the change is audited.
func (db *DB) SaveWidgetSettings(ctx context.Context, a interact.Actor, kind, id string, w *interact.WidgetSettings) error {
	b, err := json.Marshal(w)
	if err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, _, _, err := db.interactOwner(ctx, tx, a, kind, id); err != nil {
			return err
		}
		before, err := db.widgetSettings(ctx, tx, a.TenantID, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO widget_settings (owner_id, tenant_id, settings, updated_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (owner_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
			id, a.TenantID, string(b), ms(db.now())); err != nil {
			return err
		}
		return db.audit(ctx, tx, a, "interact.widget_update", kind, id, before, w)
	})
}

// ContactWidget returns the saved widget settings of a contact's owner, or
// nil when none are saved. It is for the public widget endpoints.
func (db *DB) ContactWidget(ctx context.Context, tenantID, ownerID string) (*interact.WidgetSettings, error) {
	var out *interact.WidgetSettings
	err := db.view(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = db.widgetSettings(ctx, tx, tenantID, ownerID)
		return err
	})
	return out, err
}

func (db *DB) widgetSettings(ctx context.Context, tx *sql.Tx, tenantID, ownerID string) (*interact.WidgetSettings, error) {
	var raw string
	err := tx.QueryRowContext(ctx, `SELECT settings FROM widget_settings WHERE tenant_id = $1 AND owner_id = $2`, tenantID, ownerID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var w interact.WidgetSettings
	if err := json.Unmarshal([]byte(raw), &w); err != nil {
		return nil, err
	}
	return &w, nil
}

// ResetWidgetSettings deletes the saved widget settings of a service or user
// the actor manages, so its widget uses the built-in defaults again. The
// change is audited; resetting settings that are not saved changes nothing
// and is not an error.
func (db *DB) ResetWidgetSettings(ctx context.Context, a interact.Actor, kind, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, _, _, err := db.interactOwner(ctx, tx, a, kind, id); err != nil {
			return err
		}
		before, err := db.widgetSettings(ctx, tx, a.TenantID, id)
		if err != nil || before == nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM widget_settings WHERE tenant_id = $1 AND owner_id = $2`, a.TenantID, id); err != nil {
			return err
		}
		return db.audit(ctx, tx, a, "interact.widget_reset", kind, id, before, nil)
	})
}
