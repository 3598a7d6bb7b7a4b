package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/interact-oss/interact"
)

const userCols = `id, tenant_id, ou_id, email, name, lic_contact_center, lic_instant_messaging, lic_interact, roles, created_at`

func scanUser(row interface{ Scan(...any) error }) (*interact.User, error) {
	var u interact.User
	var roles string
	var created int64
	if err := row.Scan(&u.ID, &u.TenantID, &u.OUID, &u.Email, &u.Name, &u.Licenses.ContactCenter,
		&u.Licenses.InstantMessaging, &u.Licenses.Interact, &roles, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(roles), &u.Roles); err != nil {
		return nil, fmt.Errorf("user %s roles: %w", u.ID, err)
	}
	u.CreatedAt = fromMS(created)
	return &u, nil
}

func (db *DB) user(ctx context.Context, tx *sql.Tx, tenantID, id string) (*interact.User, error) {
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user", id)
	}
	return u, err
}

func (db *DB) insertUser(ctx context.Context, tx *sql.Tx, u *interact.User, hash string) error {
	roles, _ := json.Marshal(u.Roles)
	_, err := tx.ExecContext(ctx, `INSERT INTO users (`+userCols+`, password_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		u.ID, u.TenantID, u.OUID, u.Email, u.Name, u.Licenses.ContactCenter, u.Licenses.InstantMessaging, u.Licenses.Interact,
		string(roles), ms(u.CreatedAt), hash)
	if err != nil {
		return db.conflict(err, "Another user of this tenant has the e-mail address %q.", u.Email)
	}
	return db.insertInteract(ctx, tx, interact.NewInteractSettings(interact.OwnerUser, u.ID, u.TenantID))
}

// Users lists the users the actor can read (admins only).
func (db *DB) Users(ctx context.Context, a interact.Actor) ([]interact.User, error) {
	if !a.IsTenantAdmin() && !hasRole(a, interact.RoleOUAdmin) {
		return nil, forbidden("Only tenant and OU admins may list users.")
	}
	var out []interact.User
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+userCols+` FROM users WHERE tenant_id = $1 ORDER BY id`, a.TenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				return err
			}
			if a.ReadsOU(tree, u.OUID) {
				out = append(out, *u)
			}
		}
		return rows.Err()
	})
	return out, err
}

// User returns one user: the actor itself, or one it can read.
func (db *DB) User(ctx context.Context, a interact.Actor, id string) (*interact.User, error) {
	var u *interact.User
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		u, err = db.user(ctx, tx, a.TenantID, id)
		if err != nil {
			return err
		}
		if id != a.UserID && !a.ReadsOU(tree, u.OUID) {
			return notFound("user", id)
		}
		return nil
	})
	return u, err
}

// CreateUser creates a user in an OU the actor administers.
func (db *DB) CreateUser(ctx context.Context, a interact.Actor, u interact.User, password string) (*interact.User, error) {
	if err := interact.ValidatePassword(password); err != nil {
		return nil, err
	}
	hash := interact.HashPassword(password)
	var out *interact.User
	err := db.tx(ctx, func(tx *sql.Tx) (err error) {
		out, err = db.createUser(ctx, tx, a, u, hash, "user.create")
		return err
	})
	return out, err
}

// createUser inserts a user with a password hash ("": none, no sign-in
// until one is set) and audits it as action.
func (db *DB) createUser(ctx context.Context, tx *sql.Tx, a interact.Actor, u interact.User, hash, action string) (*interact.User, error) {
	u.ID, u.TenantID, u.CreatedAt = interact.NewID(), a.TenantID, db.now().UTC().Truncate(1e6)
	if u.Roles == nil {
		u.Roles = []interact.Role{}
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	tree, err := db.ouTree(ctx, tx, a.TenantID)
	if err != nil {
		return nil, err
	}
	if err := db.checkAdminsOU(a, tree, u.OUID); err != nil {
		return nil, err
	}
	if err := db.checkRoleChange(ctx, tx, a, tree, nil, u.Roles); err != nil {
		return nil, err
	}
	if err := db.insertUser(ctx, tx, &u, hash); err != nil {
		return nil, err
	}
	return &u, db.audit(ctx, tx, a, action, "user", u.ID, nil, u)
}

// UpdateUser changes a user. Users holding tenantAdmin may be changed by
// tenant admins only; every role granted or revoked must lie within the
// actor's own reach.
func (db *DB) UpdateUser(ctx context.Context, a interact.Actor, id string, upd interact.UserUpdate) (*interact.User, error) {
	var hash string
	if upd.Password != nil {
		if err := interact.ValidatePassword(*upd.Password); err != nil {
			return nil, err
		}
		hash = interact.HashPassword(*upd.Password)
	}
	var out *interact.User
	err := db.tx(ctx, func(tx *sql.Tx) error {
		tree, before, err := db.adminUser(ctx, tx, a, id)
		if err != nil {
			return err
		}
		after := *before
		upd.Apply(&after)
		if err := after.Validate(); err != nil {
			return err
		}
		if after.OUID != before.OUID {
			if err := db.checkAdminsOU(a, tree, after.OUID); err != nil {
				return err
			}
		}
		if err := db.checkRoleChange(ctx, tx, a, tree, before.Roles, after.Roles); err != nil {
			return err
		}
		if err := db.keepTenantAdmin(ctx, tx, before, &after); err != nil {
			return err
		}
		roles, _ := json.Marshal(after.Roles)
		if _, err := tx.ExecContext(ctx, `UPDATE users SET ou_id = $1, email = $2, name = $3, lic_contact_center = $4,
			lic_instant_messaging = $5, lic_interact = $6, roles = $7 WHERE tenant_id = $8 AND id = $9`,
			after.OUID, after.Email, after.Name, after.Licenses.ContactCenter, after.Licenses.InstantMessaging,
			after.Licenses.Interact, string(roles), a.TenantID, id); err != nil {
			return db.conflict(err, "Another user of this tenant has the e-mail address %q.", after.Email)
		}
		if hash != "" {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, id); err != nil {
				return err
			}
			// A new password signs the user out everywhere.
			if _, err := tx.ExecContext(ctx, `DELETE FROM login_sessions WHERE user_id = $1`, id); err != nil {
				return err
			}
		}
		out = &after
		if hash != "" {
			changed := struct {
				interact.User
				PasswordChanged bool `json:"passwordChanged"`
			}{after, true}
			return db.audit(ctx, tx, a, "user.update_password", "user", id, before, changed)
		}
		return db.audit(ctx, tx, a, "user.update", "user", id, before, after)
	})
	return out, err
}

// DeleteUser deletes a user other than the actor.
func (db *DB) DeleteUser(ctx context.Context, a interact.Actor, id string) error {
	if id == a.UserID {
		return interact.Errorf(interact.EINVALID, "You cannot delete your own account.")
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		tree, before, err := db.adminUser(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := db.checkRoleChange(ctx, tx, a, tree, before.Roles, nil); err != nil {
			return err
		}
		if err := db.keepTenantAdmin(ctx, tx, before, nil); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM interact_settings WHERE owner_id = $1`,
			`DELETE FROM users WHERE id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, a, "user.delete", "user", id, before, nil)
	})
}

// adminUser loads a user the actor may change.
func (db *DB) adminUser(ctx context.Context, tx *sql.Tx, a interact.Actor, id string) (interact.OUTree, *interact.User, error) {
	tree, err := db.ouTree(ctx, tx, a.TenantID)
	if err != nil {
		return nil, nil, err
	}
	u, err := db.user(ctx, tx, a.TenantID, id)
	if err != nil {
		return nil, nil, err
	}
	if !a.ReadsOU(tree, u.OUID) {
		return nil, nil, notFound("user", id)
	}
	if !a.AdminsOU(tree, u.OUID) {
		return nil, nil, forbidden("You may not change users in this OU.")
	}
	// Changing a user (and so minting their tokens or setting their
	// password) is acting as them: it needs the right to grant every role
	// they hold, or an OU admin could become a tenant admin, and a tenant
	// admin an operator.
	if err := db.mayGrant(ctx, tx, a, tree, u.Roles, true); err != nil {
		return nil, nil, err
	}
	return tree, u, nil
}

// checkRoleChange checks that the actor may grant every added role and
// revoke every removed one.
func (db *DB) checkRoleChange(ctx context.Context, tx *sql.Tx, a interact.Actor, tree interact.OUTree, before, after []interact.Role) error {
	var changed []interact.Role
	for _, r := range after {
		if !slices.Contains(before, r) {
			changed = append(changed, r)
		}
	}
	for _, r := range before {
		if !slices.Contains(after, r) {
			if err := db.mayGrant(ctx, tx, a, tree, []interact.Role{r}, true); err != nil {
				return err
			}
		}
	}
	return db.mayGrant(ctx, tx, a, tree, changed, false)
}

// mayGrant checks that the actor may grant each of roles. held says the
// roles already exist: a scope that has since vanished then needs a tenant
// admin instead of being invalid input.
func (db *DB) mayGrant(ctx context.Context, tx *sql.Tx, a interact.Actor, tree interact.OUTree, roles []interact.Role, held bool) error {
	for _, r := range roles {
		switch r.Role {
		case interact.RoleOperator:
			if !a.IsOperator() {
				return forbidden("Only operators may grant, revoke or act on the operator role.")
			}
		case interact.RoleTenantAdmin:
			if !a.IsTenantAdmin() {
				return forbidden("Only tenant admins may grant, revoke or act on tenantAdmin.")
			}
		case interact.RoleOUAdmin:
			switch {
			case !tree.Has(r.ScopeID) && held:
				if !a.IsTenantAdmin() {
					return forbidden("Only tenant admins may act on this role.")
				}
			case !tree.Has(r.ScopeID):
				return interact.Errorf(interact.EINVALID, "ouAdmin scope %q is not an OU of this tenant.", r.ScopeID)
			case !a.AdminsOU(tree, r.ScopeID):
				return forbidden("You may not grant, revoke or act on ouAdmin outside your own scope.")
			}
		case interact.RoleServiceOwner:
			s, err := db.service(ctx, tx, a.TenantID, r.ScopeID)
			switch {
			case err != nil && interact.ErrorCode(err) != interact.ENOTFOUND:
				return err
			case err != nil && held:
				if !a.IsTenantAdmin() {
					return forbidden("Only tenant admins may act on this role.")
				}
			case err != nil:
				return interact.Errorf(interact.EINVALID, "serviceOwner scope %q is not a service of this tenant.", r.ScopeID)
			case !a.AdminsOU(tree, s.OUID):
				return forbidden("You may not grant, revoke or act on serviceOwner outside your own scope.")
			}
		}
	}
	return nil
}

// keepTenantAdmin refuses a change that would leave the tenant without a
// tenant admin. after is nil for a delete.
func (db *DB) keepTenantAdmin(ctx context.Context, tx *sql.Tx, before, after *interact.User) error {
	isAdmin := func(u *interact.User) bool {
		return u != nil && slices.Contains(u.Roles, interact.Role{Role: interact.RoleTenantAdmin})
	}
	if !isAdmin(before) || isAdmin(after) {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT roles FROM users WHERE tenant_id = $1 AND id <> $2`, before.TenantID, before.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var raw string
		var roles []interact.Role
		if err := rows.Scan(&raw); err != nil {
			return err
		}
		if json.Unmarshal([]byte(raw), &roles) == nil && slices.Contains(roles, interact.Role{Role: interact.RoleTenantAdmin}) {
			return nil
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return interact.Errorf(interact.ECONFLICT, "This is the tenant's last tenant admin; make someone else tenant admin first.")
}

func hasRole(a interact.Actor, role string) bool {
	for _, r := range a.Roles {
		if r.Role == role {
			return true
		}
	}
	return false
}

// ResetPassword sets a new password for the user with that e-mail address
// and ends their login sessions (their API tokens stay). An address is
// unique within a tenant only: tenantID ("" for any) chooses the tenant,
// and with an address held in several tenants and none chosen it changes
// nothing and answers ETENANTREQUIRED, listing them. It is for whoever
// runs the installation (`interact reset-password`), not for signed-in
// users: it checks no actor, and the audit log records interact.System as
// "user.reset_password". It returns the user and how many sessions it
// ended; an unknown address changes nothing.
func (db *DB) ResetPassword(ctx context.Context, email, tenantID, password string) (*interact.User, int, error) {
	addr, err := interact.NormalizeEmail(email)
	if err != nil {
		return nil, 0, err
	}
	tenantID = strings.TrimSpace(tenantID)
	if err := interact.ValidatePassword(password); err != nil {
		return nil, 0, err
	}
	hash := interact.HashPassword(password)
	var u *interact.User
	var ended int64
	err = db.tx(ctx, func(tx *sql.Tx) error {
		holders, err := db.emailHolders(ctx, tx, addr, tenantID)
		if err != nil {
			return err
		}
		switch {
		case len(holders) == 0 && tenantID != "":
			return interact.Errorf(interact.ENOTFOUND, "No user of tenant %q has the e-mail address %q.", tenantID, addr)
		case len(holders) == 0:
			return interact.Errorf(interact.ENOTFOUND, "No user has the e-mail address %q.", addr)
		case len(holders) > 1:
			e := interact.Errorf(interact.ETENANTREQUIRED, "Users of %d tenants have the e-mail address %q.", len(holders), addr)
			for _, h := range holders {
				e.Tenants = append(e.Tenants, h.tenant)
			}
			return e
		}
		u = holders[0].user
		id, tid := u.ID, u.TenantID
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM login_sessions WHERE user_id = $1`, id)
		if err != nil {
			return err
		}
		ended, _ = res.RowsAffected()
		actor := interact.System
		actor.TenantID = tid
		reset := struct {
			interact.User
			PasswordChanged bool `json:"passwordChanged"`
		}{*u, true}
		return db.audit(ctx, tx, actor, "user.reset_password", "user", id, u, reset)
	})
	if err != nil {
		return nil, 0, err
	}
	return u, int(ended), nil
}

// emailHolder is a user holding an e-mail address, with their password
// hash and tenant.
type emailHolder struct {
	user   *interact.User
	hash   string
	tenant interact.TenantChoice
	state  interact.TenantState
}

// emailHolders returns the users with the (normalised) e-mail address
// addr, in every tenant or only in tenantID when it is not "", ordered by
// tenant name.
func (db *DB) emailHolders(ctx context.Context, tx *sql.Tx, addr, tenantID string) ([]emailHolder, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+qualifiedUserCols+`, u.password_hash, t.name, t.state FROM users u JOIN tenants t ON t.id = u.tenant_id
		WHERE u.email = $1 AND ($2 = '' OR u.tenant_id = $2) ORDER BY t.name, t.id`, addr, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []emailHolder
	for rows.Next() {
		var h emailHolder
		if h.user, err = scanUser(scanAlso{rows, []any{&h.hash, &h.tenant.Name, &h.state}}); err != nil {
			return nil, err
		}
		h.tenant.ID = h.user.TenantID
		out = append(out, h)
	}
	return out, rows.Err()
}

// qualifiedUserCols are userCols of the table aliased u.
var qualifiedUserCols = "u." + strings.ReplaceAll(userCols, ", ", ", u.")

// scanAlso scans a row holding more columns than its reader asks for into
// the reader's destinations and then extra.
type scanAlso struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (s scanAlso) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }
