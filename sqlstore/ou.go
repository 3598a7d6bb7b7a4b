package sqlstore

import (
	"context"
	"database/sql"
	"errors"

	"github.com/interact-oss/interact"
)

// ouTree loads the tenant's OU tree.
func (db *DB) ouTree(ctx context.Context, tx *sql.Tx, tenantID string) (interact.OUTree, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, parent_id FROM ous WHERE tenant_id = $1`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	t := interact.OUTree{}
	for rows.Next() {
		var id string
		var parent sql.NullString
		if err := rows.Scan(&id, &parent); err != nil {
			return nil, err
		}
		t[id] = parent.String
	}
	return t, rows.Err()
}

func (db *DB) ou(ctx context.Context, tx *sql.Tx, tenantID, id string) (*interact.OU, error) {
	var o interact.OU
	var parent sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT id, tenant_id, name, parent_id FROM ous WHERE tenant_id = $1 AND id = $2`, tenantID, id).
		Scan(&o.ID, &o.TenantID, &o.Name, &parent)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("OU", id)
	}
	if parent.Valid {
		o.ParentID = &parent.String
	}
	return &o, err
}

// OUs lists the OUs the actor can read, in creation order.
func (db *DB) OUs(ctx context.Context, a interact.Actor) ([]interact.OU, error) {
	var out []interact.OU
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, name, parent_id FROM ous WHERE tenant_id = $1 ORDER BY id`, a.TenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			o := interact.OU{TenantID: a.TenantID}
			var parent sql.NullString
			if err := rows.Scan(&o.ID, &o.Name, &parent); err != nil {
				return err
			}
			if parent.Valid {
				o.ParentID = &parent.String
			}
			if a.ReadsOU(tree, o.ID) {
				out = append(out, o)
			}
		}
		return rows.Err()
	})
	return out, err
}

// OU returns one OU the actor can read.
func (db *DB) OU(ctx context.Context, a interact.Actor, id string) (*interact.OU, error) {
	var o *interact.OU
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		if !a.ReadsOU(tree, id) {
			return notFound("OU", id)
		}
		o, err = db.ou(ctx, tx, a.TenantID, id)
		return err
	})
	return o, err
}

// CreateOU creates an OU below an existing parent the actor administers.
func (db *DB) CreateOU(ctx context.Context, a interact.Actor, o interact.OU) (*interact.OU, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.ParentID == nil || *o.ParentID == "" {
		return nil, interact.Errorf(interact.EINVALID, "parentId is required: a tenant has exactly one root OU.")
	}
	o.ID, o.TenantID = interact.NewID(), a.TenantID
	err := db.tx(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		if err := db.checkAdminsOU(a, tree, *o.ParentID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ous (id, tenant_id, name, parent_id, created_at) VALUES ($1, $2, $3, $4, $5)`,
			o.ID, o.TenantID, o.Name, *o.ParentID, ms(db.now())); err != nil {
			return db.conflict(err, "An OU named %q already exists under that parent.", o.Name)
		}
		return db.audit(ctx, tx, a, "ou.create", "ou", o.ID, nil, o)
	})
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// checkAdminsOU returns not_found for an OU the actor cannot read and
// forbidden for one it can read but not change.
func (db *DB) checkAdminsOU(a interact.Actor, tree interact.OUTree, id string) error {
	switch {
	case !tree.Has(id) || !a.ReadsOU(tree, id):
		return notFound("OU", id)
	case !a.AdminsOU(tree, id):
		return forbidden("You may not change OU %q.", id)
	}
	return nil
}

// UpdateOU renames and/or moves an OU. A move may not create a cycle, and
// the root cannot be moved.
func (db *DB) UpdateOU(ctx context.Context, a interact.Actor, id string, upd interact.OUUpdate) (*interact.OU, error) {
	var out *interact.OU
	err := db.tx(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		if err := db.checkAdminsOU(a, tree, id); err != nil {
			return err
		}
		before, err := db.ou(ctx, tx, a.TenantID, id)
		if err != nil {
			return err
		}
		after := *before
		if upd.Name != nil {
			after.Name = *upd.Name
		}
		if err := after.Validate(); err != nil {
			return err
		}
		if upd.ParentID != nil && (before.ParentID == nil || *upd.ParentID != *before.ParentID) {
			if before.ParentID == nil {
				return interact.Errorf(interact.EINVALID, "The root OU cannot be moved.")
			}
			if err := db.checkAdminsOU(a, tree, *upd.ParentID); err != nil {
				return err
			}
			if err := tree.CheckMove(id, *upd.ParentID); err != nil {
				return err
			}
			p := *upd.ParentID
			after.ParentID = &p
		}
		var parent any
		if after.ParentID != nil {
			parent = *after.ParentID
		}
		if _, err := tx.ExecContext(ctx, `UPDATE ous SET name = $1, parent_id = $2 WHERE tenant_id = $3 AND id = $4`,
			after.Name, parent, a.TenantID, id); err != nil {
			return db.conflict(err, "An OU named %q already exists under that parent.", after.Name)
		}
		out = &after
		return db.audit(ctx, tx, a, "ou.update", "ou", id, before, after)
	})
	return out, err
}

// DeleteOU deletes an empty, non-root OU.
func (db *DB) DeleteOU(ctx context.Context, a interact.Actor, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		if err := db.checkAdminsOU(a, tree, id); err != nil {
			return err
		}
		before, err := db.ou(ctx, tx, a.TenantID, id)
		if err != nil {
			return err
		}
		if before.ParentID == nil {
			return interact.Errorf(interact.EINVALID, "The root OU cannot be deleted.")
		}
		var n int
		err = tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM ous WHERE parent_id = $1) +
			(SELECT COUNT(*) FROM users WHERE ou_id = $1) +
			(SELECT COUNT(*) FROM services WHERE ou_id = $1) +
			(SELECT COUNT(*) FROM domain_templates WHERE ou_id = $1) +
			(SELECT COUNT(*) FROM holiday_calendars WHERE ou_id = $1)`, id).Scan(&n)
		if err != nil {
			return err
		}
		if n > 0 {
			return interact.Errorf(interact.EOUNOTEMPTY, "OU %q still holds %d OUs, users, services, templates or holiday calendars; move or delete them first.", before.Name, n)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM ous WHERE tenant_id = $1 AND id = $2`, a.TenantID, id); err != nil {
			return err
		}
		return db.audit(ctx, tx, a, "ou.delete", "ou", id, before, nil)
	})
}

// conflict turns a unique violation into a conflict error with the given
// message and passes other errors through.
func (db *DB) conflict(err error, format string, args ...any) error {
	if db.dialect.isUnique(err) {
		return interact.Errorf(interact.ECONFLICT, format, args...)
	}
	return err
}
