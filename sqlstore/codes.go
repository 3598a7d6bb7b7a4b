package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/interact-oss/interact"
)

func codeName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", interact.Errorf(interact.EINVALID, "The code's name must not be empty.")
	}
	if len([]rune(s)) > interact.MaxNameLen {
		return "", interact.Errorf(interact.EINVALID, "The code's name must be at most %d characters.", interact.MaxNameLen)
	}
	if strings.ContainsAny(s, "\x00\r\n\t") {
		return "", interact.Errorf(interact.EINVALID, "The code's name must not contain control characters.")
	}
	return s, nil
}

func (db *DB) code(ctx context.Context, tx *sql.Tx, tenantID, id string) (*interact.Code, error) {
	c := interact.Code{}
	err := tx.QueryRowContext(ctx, `SELECT c.id, c.tenant_id, c.ou_id, o.name, c.name FROM codes c JOIN ous o ON o.id = c.ou_id
		WHERE c.tenant_id = $1 AND c.id = $2`, tenantID, id).Scan(&c.ID, &c.TenantID, &c.OUID, &c.OUName, &c.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("code", id)
	}
	return &c, err
}

// codesOn lists the codes of the given OUs, by OU in the given order,
// then by name.
func (db *DB) codesOn(ctx context.Context, tx *sql.Tx, tenantID string, ous []string) ([]interact.Code, error) {
	out := []interact.Code{}
	for _, ou := range ous {
		rows, err := tx.QueryContext(ctx, `SELECT c.id, c.tenant_id, c.ou_id, o.name, c.name FROM codes c JOIN ous o ON o.id = c.ou_id
			WHERE c.tenant_id = $1 AND c.ou_id = $2 ORDER BY c.name, c.id`, tenantID, ou)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c interact.Code
			if err := rows.Scan(&c.ID, &c.TenantID, &c.OUID, &c.OUName, &c.Name); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// OUCodes lists the codes defined on one OU the actor can read.
func (db *DB) OUCodes(ctx context.Context, a interact.Actor, ouID string) ([]interact.Code, error) {
	var out []interact.Code
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		if !tree.Has(ouID) || !a.ReadsOU(tree, ouID) {
			return notFound("OU", ouID)
		}
		out, err = db.codesOn(ctx, tx, a.TenantID, []string{ouID})
		return err
	})
	return out, err
}

// ServiceCodes lists the codes a service offers: those of its OU, then of
// each OU above it up to the root. Members of the service and those who
// can see it may list them.
func (db *DB) ServiceCodes(ctx context.Context, a interact.Actor, serviceID string) ([]interact.Code, error) {
	var out []interact.Code
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, s, err := db.memberOrReader(ctx, tx, a, serviceID)
		if err != nil {
			return err
		}
		out, err = db.codesOn(ctx, tx, a.TenantID, tree.Path(s.OUID))
		return err
	})
	return out, err
}

// memberOrReader loads a service the actor is a member of or can see.
func (db *DB) memberOrReader(ctx context.Context, tx *sql.Tx, a interact.Actor, serviceID string) (interact.OUTree, *interact.Service, error) {
	tree, err := db.ouTree(ctx, tx, a.TenantID)
	if err != nil {
		return nil, nil, err
	}
	s, err := db.service(ctx, tx, a.TenantID, serviceID)
	if err != nil {
		return nil, nil, err
	}
	if readsService(a, tree, s) {
		return tree, s, nil
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_members WHERE service_id = $1 AND user_id = $2`, serviceID, a.UserID).Scan(&n); err != nil {
		return nil, nil, err
	}
	if n == 0 {
		return nil, nil, notFound("service", serviceID)
	}
	return tree, s, nil
}

// CreateCode creates a code on an OU the actor administers.
func (db *DB) CreateCode(ctx context.Context, a interact.Actor, ouID, name string) (*interact.Code, error) {
	name, err := codeName(name)
	if err != nil {
		return nil, err
	}
	c := interact.Code{ID: interact.NewID(), TenantID: a.TenantID, OUID: ouID, Name: name}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		if err := db.checkAdminsOU(a, tree, ouID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM codes WHERE ou_id = $1`, ouID).Scan(&n); err != nil {
			return err
		}
		if n >= interact.MaxCodesPerOU {
			return interact.Errorf(interact.EINVALID, "An OU holds at most %d codes.", interact.MaxCodesPerOU)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO codes (id, tenant_id, ou_id, name, created_at) VALUES ($1, $2, $3, $4, $5)`,
			c.ID, c.TenantID, c.OUID, c.Name, ms(db.now())); err != nil {
			return db.conflict(err, "A code named %q already exists on this OU.", name)
		}
		o, err := db.ou(ctx, tx, a.TenantID, ouID)
		if err != nil {
			return err
		}
		c.OUName = o.Name
		return db.audit(ctx, tx, a, "code.create", "code", c.ID, nil, c)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// adminsCode loads a code on an OU the actor administers.
func (db *DB) adminsCode(ctx context.Context, tx *sql.Tx, a interact.Actor, id string) (*interact.Code, error) {
	tree, err := db.ouTree(ctx, tx, a.TenantID)
	if err != nil {
		return nil, err
	}
	c, err := db.code(ctx, tx, a.TenantID, id)
	if err != nil {
		return nil, err
	}
	if err := db.checkAdminsOU(a, tree, c.OUID); err != nil {
		if interact.ErrorCode(err) == interact.ENOTFOUND {
			return nil, notFound("code", id)
		}
		return nil, err
	}
	return c, nil
}

// Code returns one code on an OU the actor administers.
func (db *DB) Code(ctx context.Context, a interact.Actor, id string) (*interact.Code, error) {
	var c *interact.Code
	err := db.view(ctx, func(tx *sql.Tx) error {
		var err error
		c, err = db.adminsCode(ctx, tx, a, id)
		return err
	})
	return c, err
}

// RenameCode renames a code. Sessions already labelled show the new name.
func (db *DB) RenameCode(ctx context.Context, a interact.Actor, id, name string) (*interact.Code, error) {
	name, err := codeName(name)
	if err != nil {
		return nil, err
	}
	var out *interact.Code
	err = db.tx(ctx, func(tx *sql.Tx) error {
		before, err := db.adminsCode(ctx, tx, a, id)
		if err != nil {
			return err
		}
		after := *before
		after.Name = name
		if _, err := tx.ExecContext(ctx, `UPDATE codes SET name = $1 WHERE tenant_id = $2 AND id = $3`, name, a.TenantID, id); err != nil {
			return db.conflict(err, "A code named %q already exists on this OU.", name)
		}
		out = &after
		return db.audit(ctx, tx, a, "code.rename", "code", id, before, after)
	})
	return out, err
}

// DeleteCode deletes a code. Sessions labelled with it keep its last name
// for reporting; it can no longer be attached.
func (db *DB) DeleteCode(ctx context.Context, a interact.Actor, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		before, err := db.adminsCode(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE session_labels SET name = $1 WHERE tenant_id = $2 AND kind = 'code' AND ref = $3`,
			before.Name, a.TenantID, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM codes WHERE tenant_id = $1 AND id = $2`, a.TenantID, id); err != nil {
			return err
		}
		return db.audit(ctx, tx, a, "code.delete", "code", id, before, nil)
	})
}
