package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/interact-oss/interact"
)

const tenantCols = `id, name, state, interact_enabled, im_enabled, max_im_tasks, created_at`

func scanTenant(row interface{ Scan(...any) error }) (*interact.Tenant, error) {
	var t interact.Tenant
	var created int64
	if err := row.Scan(&t.ID, &t.Name, &t.State, &t.InteractEnabled, &t.IMEnabled, &t.MaxConcurrentIMTasksPerService, &created); err != nil {
		return nil, err
	}
	t.CreatedAt = fromMS(created)
	return &t, nil
}

func (db *DB) tenant(ctx context.Context, tx *sql.Tx, id string) (*interact.Tenant, error) {
	t, err := scanTenant(tx.QueryRowContext(ctx, `SELECT `+tenantCols+` FROM tenants WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("tenant", id)
	}
	return t, err
}

// CreateTenant creates a tenant, its root OU (named after the tenant) and a
// tenant admin. Operators only, or interact.System (first run), which also
// makes the admin an operator.
func (db *DB) CreateTenant(ctx context.Context, a interact.Actor, nt interact.NewTenant) (*interact.Tenant, *interact.User, error) {
	system := a.IsSystem()
	if !system && !a.IsOperator() {
		return nil, nil, forbidden("Only operators may create tenants.")
	}
	t := nt.Tenant
	t.ID = interact.NewID()
	if t.State == "" {
		t.State = interact.TenantActive
	}
	if t.MaxConcurrentIMTasksPerService == 0 {
		t.MaxConcurrentIMTasksPerService = interact.DefaultIMTasksPerService
	}
	t.CreatedAt = db.now().UTC().Truncate(1e6)
	if err := t.Validate(); err != nil {
		return nil, nil, err
	}
	if err := interact.ValidatePassword(nt.AdminPassword); err != nil {
		return nil, nil, err
	}
	root := interact.OU{ID: interact.NewID(), TenantID: t.ID, Name: t.Name}
	u := interact.User{
		ID: interact.NewID(), TenantID: t.ID, Email: nt.AdminEmail, Name: nt.AdminName, OUID: root.ID,
		Licenses:  interact.Licenses{ContactCenter: true, InstantMessaging: true, Interact: true},
		Roles:     []interact.Role{{Role: interact.RoleTenantAdmin}},
		CreatedAt: t.CreatedAt,
	}
	if u.Name == "" {
		u.Name = "Administrator"
	}
	if system {
		u.Roles = append(u.Roles, interact.Role{Role: interact.RoleOperator})
	}
	if err := u.Validate(); err != nil {
		return nil, nil, err
	}
	hash := interact.HashPassword(nt.AdminPassword)
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tenants (`+tenantCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			t.ID, t.Name, t.State, t.InteractEnabled, t.IMEnabled, t.MaxConcurrentIMTasksPerService, ms(t.CreatedAt)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO ous (id, tenant_id, name, parent_id, created_at) VALUES ($1, $2, $3, NULL, $4)`,
			root.ID, t.ID, root.Name, ms(t.CreatedAt)); err != nil {
			return err
		}
		if err := db.insertUser(ctx, tx, &u, hash); err != nil {
			return err
		}
		actor := a
		actor.TenantID = t.ID
		return db.audit(ctx, tx, actor, "tenant.create", "tenant", t.ID, nil, t)
	})
	if err != nil {
		return nil, nil, fmt.Errorf("create tenant: %w", err)
	}
	return &t, &u, nil
}

// TenantCount returns how many tenants exist; first-run set-up uses it.
func (db *DB) TenantCount(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants`).Scan(&n)
	return n, err
}

// Tenant returns the tenant with id: the actor's own, or any for operators.
func (db *DB) Tenant(ctx context.Context, a interact.Actor, id string) (*interact.Tenant, error) {
	if id != a.TenantID && !a.IsOperator() {
		return nil, notFound("tenant", id)
	}
	var t *interact.Tenant
	err := db.view(ctx, func(tx *sql.Tx) (err error) {
		t, err = db.tenant(ctx, tx, id)
		return err
	})
	return t, err
}

// Tenants lists every tenant. Operators only.
func (db *DB) Tenants(ctx context.Context, a interact.Actor) ([]interact.Tenant, error) {
	if !a.IsOperator() {
		return nil, forbidden("Only operators may list tenants.")
	}
	var out []interact.Tenant
	err := db.view(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+tenantCols+` FROM tenants ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanTenant(rows)
			if err != nil {
				return err
			}
			out = append(out, *t)
		}
		return rows.Err()
	})
	return out, err
}

// UpdateTenant changes a tenant's settings. Tenant admins change their own
// tenant's settings; only operators change a tenant's state, or another
// tenant.
func (db *DB) UpdateTenant(ctx context.Context, a interact.Actor, id string, upd interact.TenantUpdate) (*interact.Tenant, error) {
	if id != a.TenantID && !a.IsOperator() {
		return nil, notFound("tenant", id)
	}
	if id == a.TenantID && !a.IsTenantAdmin() && !a.IsOperator() {
		return nil, forbidden("Only tenant admins may change tenant settings.")
	}
	if upd.State != nil && !a.IsOperator() {
		return nil, forbidden("Only operators may change a tenant's state.")
	}
	var t *interact.Tenant
	err := db.tx(ctx, func(tx *sql.Tx) error {
		before, err := db.tenant(ctx, tx, id)
		if err != nil {
			return err
		}
		after := *before
		upd.Apply(&after)
		if err := after.Validate(); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tenants SET name = $1, state = $2, interact_enabled = $3, im_enabled = $4, max_im_tasks = $5 WHERE id = $6`,
			after.Name, after.State, after.InteractEnabled, after.IMEnabled, after.MaxConcurrentIMTasksPerService, id); err != nil {
			return err
		}
		actor := a
		actor.TenantID = id
		t = &after
		return db.audit(ctx, tx, actor, "tenant.update", "tenant", id, before, after)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}
