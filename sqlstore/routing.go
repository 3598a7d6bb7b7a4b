package sqlstore

import (
	"context"
	"database/sql"

	"github.com/interact-oss/interact"
)

// RoutingService returns a service (any tenant's: the engine serves all)
// with its members and their licences.
func (db *DB) RoutingService(ctx context.Context, tenantID, serviceID string) (*interact.Service, []interact.RoutingMember, error) {
	var s *interact.Service
	var members []interact.RoutingMember
	err := db.view(ctx, func(tx *sql.Tx) error {
		var err error
		if s, err = db.service(ctx, tx, tenantID, serviceID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT u.id, u.name, m.active, u.lic_contact_center, u.lic_instant_messaging, u.lic_interact
			FROM service_members m JOIN users u ON u.id = m.user_id WHERE m.service_id = $1`, serviceID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m interact.RoutingMember
			if err := rows.Scan(&m.UserID, &m.Name, &m.Active, &m.Licenses.ContactCenter, &m.Licenses.InstantMessaging, &m.Licenses.Interact); err != nil {
				return err
			}
			members = append(members, m)
		}
		return rows.Err()
	})
	return s, members, err
}

// RoutingUser returns a user of a tenant.
func (db *DB) RoutingUser(ctx context.Context, tenantID, userID string) (*interact.User, error) {
	var u *interact.User
	err := db.view(ctx, func(tx *sql.Tx) (err error) {
		u, err = db.user(ctx, tx, tenantID, userID)
		return err
	})
	return u, err
}

// AgentServices returns the ids of the services a user is a member of.
func (db *DB) AgentServices(ctx context.Context, tenantID, userID string) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT m.service_id FROM service_members m JOIN services s ON s.id = m.service_id
		WHERE s.tenant_id = $1 AND m.user_id = $2 ORDER BY m.service_id`, tenantID, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// SetMemberActive sets a member's own active toggle (the agent console's
// per-service switch): no admin rights needed, but only for oneself.
func (db *DB) SetMemberActive(ctx context.Context, a interact.Actor, serviceID string, active bool) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var was bool
		err := tx.QueryRowContext(ctx, `SELECT m.active FROM service_members m JOIN services s ON s.id = m.service_id
			WHERE s.tenant_id = $1 AND m.service_id = $2 AND m.user_id = $3`, a.TenantID, serviceID, a.UserID).Scan(&was)
		if err == sql.ErrNoRows {
			return interact.Errorf(interact.ENOTFOUND, "You are not a member of service %q.", serviceID)
		}
		if err != nil || was == active {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE service_members SET active = $1 WHERE service_id = $2 AND user_id = $3`,
			active, serviceID, a.UserID); err != nil {
			return err
		}
		return db.audit(ctx, tx, a, "service.member_active", "service", serviceID,
			map[string]any{"userId": a.UserID, "active": was}, map[string]any{"userId": a.UserID, "active": active})
	})
}
