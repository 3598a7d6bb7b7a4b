package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/interact-oss/interact"
)

const serviceCols = `id, tenant_id, ou_id, name, license, interact_license, distribution, overflow_service_id, messages, created_at, notify_email`

func scanService(row interface{ Scan(...any) error }) (*interact.Service, error) {
	var s interact.Service
	var dist, msgs string
	var overflow sql.NullString
	var created int64
	if err := row.Scan(&s.ID, &s.TenantID, &s.OUID, &s.Name, &s.License, &s.InteractLicense, &dist, &overflow, &msgs, &created, &s.NotifyEmail); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(dist), &s.Distribution); err != nil {
		return nil, fmt.Errorf("service %s distribution: %w", s.ID, err)
	}
	s.Distribution.OverflowServiceID = overflow.String
	if err := json.Unmarshal([]byte(msgs), &s.Messages); err != nil {
		return nil, fmt.Errorf("service %s messages: %w", s.ID, err)
	}
	s.CreatedAt = fromMS(created)
	return &s, nil
}

// storedDistribution returns what services keeps of a distribution: the
// JSON without the overflow target, and the target (nil for none) for
// overflow_service_id, the one record of it.
func storedDistribution(d interact.Distribution) (string, any) {
	var target any
	if d.OverflowServiceID != "" {
		target = d.OverflowServiceID
	}
	d.OverflowServiceID = ""
	b, _ := json.Marshal(d)
	return string(b), target
}

func (db *DB) service(ctx context.Context, tx *sql.Tx, tenantID, id string) (*interact.Service, error) {
	s, err := scanService(tx.QueryRowContext(ctx, `SELECT `+serviceCols+` FROM services WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("service", id)
	}
	return s, err
}

// readsService reports whether the actor can see a service: admins of or
// above its OU, and its owners.
func readsService(a interact.Actor, tree interact.OUTree, s *interact.Service) bool {
	return a.ReadsOU(tree, s.OUID) || a.OwnsService(s.ID)
}

// managedService loads a service the actor manages (settings, members).
func (db *DB) managedService(ctx context.Context, tx *sql.Tx, a interact.Actor, id string) (interact.OUTree, *interact.Service, error) {
	tree, err := db.ouTree(ctx, tx, a.TenantID)
	if err != nil {
		return nil, nil, err
	}
	s, err := db.service(ctx, tx, a.TenantID, id)
	if err != nil {
		return nil, nil, err
	}
	if !readsService(a, tree, s) {
		return nil, nil, notFound("service", id)
	}
	if !a.ManagesService(tree, s) {
		return nil, nil, forbidden("You may not change service %q.", s.Name)
	}
	return tree, s, nil
}

// Services lists the services the actor can see.
func (db *DB) Services(ctx context.Context, a interact.Actor) ([]interact.Service, error) {
	var out []interact.Service
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+serviceCols+` FROM services WHERE tenant_id = $1 ORDER BY id`, a.TenantID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			s, err := scanService(rows)
			if err != nil {
				return err
			}
			if readsService(a, tree, s) {
				out = append(out, *s)
			}
		}
		return rows.Err()
	})
	return out, err
}

// Service returns one service the actor can see.
func (db *DB) Service(ctx context.Context, a interact.Actor, id string) (*interact.Service, error) {
	var s *interact.Service
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		s, err = db.service(ctx, tx, a.TenantID, id)
		if err == nil && !readsService(a, tree, s) {
			err = notFound("service", id)
		}
		return err
	})
	return s, err
}

// CreateService creates a service in an OU the actor administers. Only
// tenant admins may give it a licence tier above the default or the
// Interact add-on.
func (db *DB) CreateService(ctx context.Context, a interact.Actor, s interact.Service) (*interact.Service, error) {
	s.ID, s.TenantID, s.CreatedAt = interact.NewID(), a.TenantID, db.now().UTC().Truncate(1e6)
	if s.Messages == (interact.SystemMessages{}) {
		s.Messages = interact.DefaultSystemMessages()
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if (s.License != interact.LicenseAdvancedRouting || s.InteractLicense) && !a.ManagesServiceLicenses() {
		return nil, forbidden("Only tenant admins may assign service licences.")
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		if err := db.checkAdminsOU(a, tree, s.OUID); err != nil {
			return err
		}
		if err := db.checkOverflow(ctx, tx, &s); err != nil {
			return err
		}
		dist, overflow := storedDistribution(s.Distribution)
		msgs, _ := json.Marshal(s.Messages)
		if _, err := tx.ExecContext(ctx, `INSERT INTO services (`+serviceCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			s.ID, s.TenantID, s.OUID, s.Name, s.License, s.InteractLicense, dist, overflow, string(msgs), ms(s.CreatedAt), s.NotifyEmail); err != nil {
			return db.conflict(err, "A service named %q already exists.", s.Name)
		}
		if err := db.insertInteract(ctx, tx, interact.NewInteractSettings(interact.OwnerService, s.ID, s.TenantID)); err != nil {
			return err
		}
		return db.audit(ctx, tx, a, "service.create", "service", s.ID, nil, s)
	})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// checkOverflow checks that a transfer overflow targets another service of the tenant.
func (db *DB) checkOverflow(ctx context.Context, tx *sql.Tx, s *interact.Service) error {
	id := s.Distribution.OverflowServiceID
	if id == "" {
		return nil
	}
	if id == s.ID {
		return interact.Errorf(interact.EINVALID, "distribution.overflowServiceId must name another service.")
	}
	if _, err := db.service(ctx, tx, s.TenantID, id); err != nil {
		return interact.Errorf(interact.EINVALID, "distribution.overflowServiceId %q is not a service of this tenant.", id)
	}
	return nil
}

// UpdateService changes a service: licences (tenant admins), name and OU
// (admins of the OU), distribution (also the service's owners).
func (db *DB) UpdateService(ctx context.Context, a interact.Actor, id string, upd interact.ServiceUpdate) (*interact.Service, error) {
	if upd.TouchesLicenses() && !a.ManagesServiceLicenses() {
		return nil, forbidden("Only tenant admins may change service licences.")
	}
	var out *interact.Service
	err := db.tx(ctx, func(tx *sql.Tx) error {
		tree, before, err := db.managedService(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if (upd.Name != nil || upd.OUID != nil) && !a.AdminsOU(tree, before.OUID) {
			return forbidden("Only admins of the service's OU may rename or move it.")
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
		if err := db.checkOverflow(ctx, tx, &after); err != nil {
			return err
		}
		dist, overflow := storedDistribution(after.Distribution)
		msgs, _ := json.Marshal(after.Messages)
		if _, err := tx.ExecContext(ctx, `UPDATE services SET ou_id = $1, name = $2, license = $3, interact_license = $4, distribution = $5,
			overflow_service_id = $6, messages = $7, notify_email = $10 WHERE tenant_id = $8 AND id = $9`, after.OUID, after.Name, after.License, after.InteractLicense,
			dist, overflow, string(msgs), a.TenantID, id, after.NotifyEmail); err != nil {
			return db.conflict(err, "A service named %q already exists.", after.Name)
		}
		out = &after
		action := "service.update"
		if upd.TouchesLicenses() {
			action = "service.update_licenses"
		}
		return db.audit(ctx, tx, a, action, "service", id, before, after)
	})
	return out, err
}

// DeleteService deletes a service, its members, its Interact settings and
// its opening hours.
func (db *DB) DeleteService(ctx context.Context, a interact.Actor, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		tree, before, err := db.managedService(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if !a.AdminsOU(tree, before.OUID) {
			return forbidden("Only admins of the service's OU may delete it.")
		}
		var n int
		// The foreign key refuses the delete too; this names the reason.
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM services WHERE overflow_service_id = $1`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return interact.Errorf(interact.ECONFLICT, "%d service(s) overflow to this service; change their distribution first.", n)
		}
		for _, q := range []string{
			`DELETE FROM service_members WHERE service_id = $1`,
			`DELETE FROM interact_settings WHERE owner_id = $1`,
			`DELETE FROM service_hours WHERE service_id = $1`, // and its calendar selection
			`DELETE FROM services WHERE id = $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return db.audit(ctx, tx, a, "service.delete", "service", id, before, nil)
	})
}

// Members lists a service's members.
func (db *DB) Members(ctx context.Context, a interact.Actor, serviceID string) ([]interact.Member, error) {
	var out []interact.Member
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		s, err := db.service(ctx, tx, a.TenantID, serviceID)
		if err != nil {
			return err
		}
		if !readsService(a, tree, s) {
			return notFound("service", serviceID)
		}
		out, err = db.members(ctx, tx, serviceID)
		return err
	})
	return out, err
}

func (db *DB) members(ctx context.Context, tx *sql.Tx, serviceID string) ([]interact.Member, error) {
	rows, err := tx.QueryContext(ctx, `SELECT u.id, u.name, u.email, m.active FROM service_members m
		JOIN users u ON u.id = m.user_id WHERE m.service_id = $1 ORDER BY u.name, u.id`, serviceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []interact.Member{}
	for rows.Next() {
		var m interact.Member
		if err := rows.Scan(&m.UserID, &m.Name, &m.Email, &m.Active); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// PutMember adds a user to a service or sets their active toggle.
func (db *DB) PutMember(ctx context.Context, a interact.Actor, serviceID, userID string, active bool) (*interact.Member, error) {
	var out *interact.Member
	err := db.tx(ctx, func(tx *sql.Tx) error {
		tree, svc, err := db.managedService(ctx, tx, a, serviceID)
		if err != nil {
			return err
		}
		u, err := db.user(ctx, tx, a.TenantID, userID)
		if err != nil {
			return err
		}
		if !mayEnlist(a, tree, svc, u) {
			return notFound("user", userID) // as unknown as a wrong id: nothing of the user leaks
		}
		var before *interact.Member
		var was bool
		switch err := tx.QueryRowContext(ctx, `SELECT active FROM service_members WHERE service_id = $1 AND user_id = $2`, serviceID, userID).Scan(&was); {
		case err == nil:
			before = &interact.Member{UserID: u.ID, Name: u.Name, Email: u.Email, Active: was}
		case errors.Is(err, sql.ErrNoRows):
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_members WHERE service_id = $1`, serviceID).Scan(&n); err != nil {
				return err
			}
			if n >= interact.MaxMembers {
				return interact.Errorf(interact.EINVALID, "A service may have at most %d members.", interact.MaxMembers)
			}
		default:
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO service_members (service_id, user_id, active) VALUES ($1, $2, $3)
			ON CONFLICT (service_id, user_id) DO UPDATE SET active = excluded.active`, serviceID, userID, active); err != nil {
			return err
		}
		out = &interact.Member{UserID: u.ID, Name: u.Name, Email: u.Email, Active: active}
		return db.audit(ctx, tx, a, "service.member_put", "service", serviceID, before, out)
	})
	return out, err
}

// mayEnlist reports whether a may make u a member of s: only a user the
// actor may read — itself, a user of an OU it reads, or, for the service's
// owner, a user of the service's OU, below it or above it. A user of a
// subtree the actor cannot see cannot be added by guessing an id.
func mayEnlist(a interact.Actor, tree interact.OUTree, s *interact.Service, u *interact.User) bool {
	if u.ID == a.UserID || a.ReadsOU(tree, u.OUID) {
		return true
	}
	return a.OwnsService(s.ID) && (tree.Within(u.OUID, s.OUID) || tree.Within(s.OUID, u.OUID))
}

// DeleteMember removes a user from a service.
func (db *DB) DeleteMember(ctx context.Context, a interact.Actor, serviceID, userID string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, _, err := db.managedService(ctx, tx, a, serviceID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM service_members WHERE service_id = $1 AND user_id = $2`, serviceID, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return interact.Errorf(interact.ENOTFOUND, "User %q is not a member of this service.", userID)
		}
		return db.audit(ctx, tx, a, "service.member_delete", "service", serviceID, map[string]string{"userId": userID}, nil)
	})
}
