package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/interact-oss/interact"
)

// OU-scoped lists: named lists an OU defines for services in it and below
// to select (domain templates, holiday calendars). They share one shape —
// id, tenant, OU, name, description, a JSON list, creation time — and one
// set of rules: read where the OU is readable, changed where it is
// administered, kept where already selected after a move, deleted only
// when nothing selects them. A kind describes one table of them.

// listFields points at the fields of an OU-scoped list a kind stores.
type listFields struct {
	id, tenantID, ouID, name, description *string
	list                                  any // a pointer to the JSON list
	createdAt                             *time.Time
}

// ouListKind describes one kind of OU-scoped list; P is a pointer to it.
type ouListKind[T any, P interface {
	*T
	Validate() error
}] struct {
	table, listCol string // "domain_templates", "origins"
	noun           string // in messages: "domain template"
	audit          string // audit kind and action prefix: "domain_template"
	selections     string // the join table of its selections, and its key column
	selectionKey   string
	selectedBy     string // who selects it, in the delete refusal: "service(s)"
	fields         func(P) listFields
}

func (k *ouListKind[T, P]) cols() string {
	return `id, tenant_id, ou_id, name, description, ` + k.listCol + `, created_at`
}

func (k *ouListKind[T, P]) scan(row interface{ Scan(...any) error }) (P, error) {
	v := P(new(T))
	f := k.fields(v)
	var list string
	var created int64
	if err := row.Scan(f.id, f.tenantID, f.ouID, f.name, f.description, &list, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(list), f.list); err != nil {
		return nil, fmt.Errorf("%s %s: %w", k.noun, *f.id, err)
	}
	*f.createdAt = fromMS(created)
	return v, nil
}

func (k *ouListKind[T, P]) one(ctx context.Context, tx *sql.Tx, tenantID, id string) (P, error) {
	v, err := k.scan(tx.QueryRowContext(ctx, `SELECT `+k.cols()+` FROM `+k.table+` WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(k.noun, id)
	}
	return v, err
}

// all returns every list of the kind in a tenant, by name.
func (k *ouListKind[T, P]) all(ctx context.Context, tx *sql.Tx, tenantID string) ([]T, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+k.cols()+` FROM `+k.table+` WHERE tenant_id = $1 ORDER BY name, id`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := k.scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

// readable lists those the actor can read.
func (k *ouListKind[T, P]) readable(ctx context.Context, db *DB, a interact.Actor) ([]T, error) {
	out := []T{}
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		all, err := k.all(ctx, tx, a.TenantID)
		for i := range all {
			if a.ReadsOU(tree, *k.fields(&all[i]).ouID) {
				out = append(out, all[i])
			}
		}
		return err
	})
	return out, err
}

// get returns one the actor can read.
func (k *ouListKind[T, P]) get(ctx context.Context, db *DB, a interact.Actor, id string) (P, error) {
	var v P
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		v, err = k.one(ctx, tx, a.TenantID, id)
		if err == nil && !a.ReadsOU(tree, *k.fields(v).ouID) {
			err = notFound(k.noun, id)
		}
		return err
	})
	return v, err
}

// create stores v, with a new id, in an OU the actor administers.
func (k *ouListKind[T, P]) create(ctx context.Context, db *DB, a interact.Actor, v P) (P, error) {
	f := k.fields(v)
	*f.id, *f.tenantID, *f.createdAt = interact.NewID(), a.TenantID, db.now().UTC().Truncate(time.Millisecond)
	if err := v.Validate(); err != nil {
		return nil, err
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		if err := db.checkAdminsOU(a, tree, *f.ouID); err != nil {
			return err
		}
		list, _ := json.Marshal(f.list)
		if _, err := tx.ExecContext(ctx, `INSERT INTO `+k.table+` (`+k.cols()+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			*f.id, *f.tenantID, *f.ouID, *f.name, *f.description, string(list), ms(*f.createdAt)); err != nil {
			return db.conflict(err, "A %s named %q already exists.", k.noun, *f.name)
		}
		return db.audit(ctx, tx, a, k.audit+".create", k.audit, *f.id, nil, *v)
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// update applies change to one the actor administers. Moving it to another
// OU (one the actor administers too) keeps it wherever it is selected.
func (k *ouListKind[T, P]) update(ctx context.Context, db *DB, a interact.Actor, id string, change func(P)) (P, error) {
	var out P
	err := db.tx(ctx, func(tx *sql.Tx) error {
		tree, before, err := k.administered(ctx, db, tx, a, id)
		if err != nil {
			return err
		}
		after := P(new(T))
		*after = *before
		change(after)
		if err := after.Validate(); err != nil {
			return err
		}
		f := k.fields(after)
		if *f.ouID != *k.fields(before).ouID {
			if err := db.checkAdminsOU(a, tree, *f.ouID); err != nil {
				return err
			}
		}
		list, _ := json.Marshal(f.list)
		if _, err := tx.ExecContext(ctx, `UPDATE `+k.table+` SET ou_id = $1, name = $2, description = $3, `+k.listCol+` = $4
			WHERE tenant_id = $5 AND id = $6`, *f.ouID, *f.name, *f.description, string(list), a.TenantID, id); err != nil {
			return db.conflict(err, "A %s named %q already exists.", k.noun, *f.name)
		}
		out = after
		return db.audit(ctx, tx, a, k.audit+".update", k.audit, id, *before, *after)
	})
	return out, err
}

// remove deletes one the actor administers that nothing selects.
func (k *ouListKind[T, P]) remove(ctx context.Context, db *DB, a interact.Actor, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, before, err := k.administered(ctx, db, tx, a, id)
		if err != nil {
			return err
		}
		var n int
		// The foreign key refuses the delete too; this names the reason.
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+k.selections+` WHERE `+k.selectionKey+` = $1`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return interact.Errorf(interact.ECONFLICT, "%s %q is selected by %d %s; deselect it first.",
				capitalize(k.noun), *k.fields(before).name, n, k.selectedBy)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+k.table+` WHERE tenant_id = $1 AND id = $2`, a.TenantID, id); err != nil {
			return err
		}
		return db.audit(ctx, tx, a, k.audit+".delete", k.audit, id, *before, nil)
	})
}

// administered reads one for a change: not_found unless the actor reads
// its OU, forbidden unless the actor administers it.
func (k *ouListKind[T, P]) administered(ctx context.Context, db *DB, tx *sql.Tx, a interact.Actor, id string) (interact.OUTree, P, error) {
	tree, err := db.ouTree(ctx, tx, a.TenantID)
	if err != nil {
		return nil, nil, err
	}
	v, err := k.one(ctx, tx, a.TenantID, id)
	if err != nil {
		return nil, nil, err
	}
	ou := *k.fields(v).ouID
	if !a.ReadsOU(tree, ou) {
		return nil, nil, notFound(k.noun, id)
	}
	if !a.AdminsOU(tree, ou) {
		return nil, nil, forbidden("You may not change %ss in this OU.", k.noun)
	}
	return tree, v, nil
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
