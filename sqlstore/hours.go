package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/hours"
)

// Opening hours: holiday calendars, scoped and checked exactly like domain
// templates (template.go), and each service's hours with the calendars it
// selects.

const calendarCols = `id, tenant_id, ou_id, name, description, holidays, created_at`

func scanCalendar(row interface{ Scan(...any) error }) (*interact.HolidayCalendar, error) {
	var c interact.HolidayCalendar
	var holidays string
	var created int64
	if err := row.Scan(&c.ID, &c.TenantID, &c.OUID, &c.Name, &c.Description, &holidays, &created); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(holidays), &c.Holidays); err != nil {
		return nil, fmt.Errorf("holiday calendar %s: %w", c.ID, err)
	}
	c.CreatedAt = fromMS(created)
	return &c, nil
}

func (db *DB) calendar(ctx context.Context, tx *sql.Tx, tenantID, id string) (*interact.HolidayCalendar, error) {
	c, err := scanCalendar(tx.QueryRowContext(ctx, `SELECT `+calendarCols+` FROM holiday_calendars WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("holiday calendar", id)
	}
	return c, err
}

// calendars returns all of a tenant's calendars.
func (db *DB) calendars(ctx context.Context, tx *sql.Tx, tenantID string) ([]interact.HolidayCalendar, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+calendarCols+` FROM holiday_calendars WHERE tenant_id = $1 ORDER BY name, id`, tenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []interact.HolidayCalendar
	for rows.Next() {
		c, err := scanCalendar(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *c)
	}
	return out, rows.Err()
}

// HolidayCalendars lists the calendars the actor can read.
func (db *DB) HolidayCalendars(ctx context.Context, a interact.Actor) ([]interact.HolidayCalendar, error) {
	out := []interact.HolidayCalendar{}
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		all, err := db.calendars(ctx, tx, a.TenantID)
		for _, c := range all {
			if a.ReadsOU(tree, c.OUID) {
				out = append(out, c)
			}
		}
		return err
	})
	return out, err
}

// HolidayCalendar returns one calendar the actor can read.
func (db *DB) HolidayCalendar(ctx context.Context, a interact.Actor, id string) (*interact.HolidayCalendar, error) {
	var c *interact.HolidayCalendar
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		c, err = db.calendar(ctx, tx, a.TenantID, id)
		if err == nil && !a.ReadsOU(tree, c.OUID) {
			err = notFound("holiday calendar", id)
		}
		return err
	})
	return c, err
}

// CreateHolidayCalendar creates a calendar in an OU the actor administers.
func (db *DB) CreateHolidayCalendar(ctx context.Context, a interact.Actor, c interact.HolidayCalendar) (*interact.HolidayCalendar, error) {
	c.ID, c.TenantID, c.CreatedAt = interact.NewID(), a.TenantID, db.now().UTC().Truncate(1e6)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		if err := db.checkAdminsOU(a, tree, c.OUID); err != nil {
			return err
		}
		holidays, _ := json.Marshal(c.Holidays)
		if _, err := tx.ExecContext(ctx, `INSERT INTO holiday_calendars (`+calendarCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			c.ID, c.TenantID, c.OUID, c.Name, c.Description, string(holidays), ms(c.CreatedAt)); err != nil {
			return db.conflict(err, "A holiday calendar named %q already exists.", c.Name)
		}
		return db.audit(ctx, tx, a, "holiday_calendar.create", "holiday_calendar", c.ID, nil, c)
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// UpdateHolidayCalendar changes a calendar. Moving it to another OU keeps
// it working wherever it is already selected; its new holidays apply to
// every service selecting it.
func (db *DB) UpdateHolidayCalendar(ctx context.Context, a interact.Actor, id string, upd interact.HolidayCalendarUpdate) (*interact.HolidayCalendar, error) {
	var out *interact.HolidayCalendar
	err := db.tx(ctx, func(tx *sql.Tx) error {
		tree, before, err := db.adminCalendar(ctx, tx, a, id)
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
		holidays, _ := json.Marshal(after.Holidays)
		if _, err := tx.ExecContext(ctx, `UPDATE holiday_calendars SET ou_id = $1, name = $2, description = $3, holidays = $4
			WHERE tenant_id = $5 AND id = $6`, after.OUID, after.Name, after.Description, string(holidays), a.TenantID, id); err != nil {
			return db.conflict(err, "A holiday calendar named %q already exists.", after.Name)
		}
		out = &after
		return db.audit(ctx, tx, a, "holiday_calendar.update", "holiday_calendar", id, before, after)
	})
	return out, err
}

// DeleteHolidayCalendar deletes a calendar that no service selects.
func (db *DB) DeleteHolidayCalendar(ctx context.Context, a interact.Actor, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, before, err := db.adminCalendar(ctx, tx, a, id)
		if err != nil {
			return err
		}
		var n int
		// The foreign key refuses the delete too; this names the reason.
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM selected_holiday_calendars WHERE calendar_id = $1`, id).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return interact.Errorf(interact.ECONFLICT, "Holiday calendar %q is selected by %d service(s); deselect it first.", before.Name, n)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM holiday_calendars WHERE tenant_id = $1 AND id = $2`, a.TenantID, id); err != nil {
			return err
		}
		return db.audit(ctx, tx, a, "holiday_calendar.delete", "holiday_calendar", id, before, nil)
	})
}

func (db *DB) adminCalendar(ctx context.Context, tx *sql.Tx, a interact.Actor, id string) (interact.OUTree, *interact.HolidayCalendar, error) {
	tree, err := db.ouTree(ctx, tx, a.TenantID)
	if err != nil {
		return nil, nil, err
	}
	c, err := db.calendar(ctx, tx, a.TenantID, id)
	if err != nil {
		return nil, nil, err
	}
	if !a.ReadsOU(tree, c.OUID) {
		return nil, nil, notFound("holiday calendar", id)
	}
	if !a.AdminsOU(tree, c.OUID) {
		return nil, nil, forbidden("You may not change holiday calendars in this OU.")
	}
	return tree, c, nil
}

// serviceHours reads a service's hours with its selected calendars, or nil
// when it has none (always open).
func (db *DB) serviceHours(ctx context.Context, tx *sql.Tx, tenantID, serviceID string) (*interact.ServiceHours, error) {
	h := &interact.ServiceHours{HolidayCalendarIDs: []string{}}
	var weekly sql.NullString
	err := tx.QueryRowContext(ctx, `SELECT time_zone, weekly, closed_now FROM service_hours WHERE tenant_id = $1 AND service_id = $2`,
		tenantID, serviceID).Scan(&h.TimeZone, &weekly, &h.ClosedNow)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if weekly.Valid {
		h.Weekly = &hours.Week{}
		if err := json.Unmarshal([]byte(weekly.String), h.Weekly); err != nil {
			return nil, fmt.Errorf("service %s hours: %w", serviceID, err)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT c.id, c.tenant_id, c.ou_id, c.name, c.description, c.holidays, c.created_at FROM selected_holiday_calendars s
		JOIN holiday_calendars c ON c.id = s.calendar_id WHERE s.service_id = $1 ORDER BY s.position`, serviceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCalendar(rows)
		if err != nil {
			return nil, err
		}
		h.HolidayCalendarIDs = append(h.HolidayCalendarIDs, c.ID)
		h.Calendars = append(h.Calendars, *c)
	}
	return h, rows.Err()
}

// selectableCalendars are the calendars in a service's OU or above it.
func (db *DB) selectableCalendars(ctx context.Context, tx *sql.Tx, tenantID, ouID string, tree interact.OUTree) ([]interact.HolidayCalendar, error) {
	all, err := db.calendars(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	out := []interact.HolidayCalendar{}
	for _, c := range all {
		if tree.Visible(c.OUID, ouID) {
			out = append(out, c)
		}
	}
	return out, nil
}

// ServiceHours returns the opening hours of a service the actor can see,
// with its selected calendars (Calendars) and those it may select
// (SelectableCalendars). A service without hours answers empty hours: no
// zone, Weekly nil, nothing selected, not closed — always open.
func (db *DB) ServiceHours(ctx context.Context, a interact.Actor, serviceID string) (*interact.ServiceHours, error) {
	var h *interact.ServiceHours
	err := db.view(ctx, func(tx *sql.Tx) error {
		tree, err := db.ouTree(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		s, err := db.service(ctx, tx, a.TenantID, serviceID)
		if err == nil && !readsService(a, tree, s) {
			err = notFound("service", serviceID)
		}
		if err != nil {
			return err
		}
		if h, err = db.serviceHours(ctx, tx, a.TenantID, serviceID); err != nil {
			return err
		}
		if h == nil {
			h = &interact.ServiceHours{HolidayCalendarIDs: []string{}}
		}
		h.SelectableCalendars, err = db.selectableCalendars(ctx, tx, a.TenantID, s.OUID, tree)
		return err
	})
	return h, err
}

// SaveServiceHours replaces the opening hours of a service the actor
// manages. A calendar may be newly selected only while it sits in the
// service's OU or above (calendar_not_selectable otherwise, also for ids
// that do not exist); one already selected stays selectable after it moved
// out of reach. Bad hours change nothing; the change is audited.
func (db *DB) SaveServiceHours(ctx context.Context, a interact.Actor, serviceID string, h interact.ServiceHours) (*interact.ServiceHours, error) {
	if err := h.Validate(); err != nil {
		return nil, err
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		tree, s, err := db.managedService(ctx, tx, a, serviceID)
		if err != nil {
			return err
		}
		before, err := db.serviceHours(ctx, tx, a.TenantID, serviceID)
		if err != nil {
			return err
		}
		var had []string
		if before != nil {
			had = before.HolidayCalendarIDs
		}
		selectable, err := db.selectableCalendars(ctx, tx, a.TenantID, s.OUID, tree)
		if err != nil {
			return err
		}
		can := map[string]bool{}
		for _, c := range selectable {
			can[c.ID] = true
		}
		if err := h.CheckSelection(had, func(id string) bool { return can[id] }); err != nil {
			return err
		}
		var weekly any
		if h.Weekly != nil {
			b, _ := json.Marshal(h.Weekly)
			weekly = string(b)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO service_hours (service_id, tenant_id, time_zone, weekly, closed_now, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (service_id) DO UPDATE SET time_zone = excluded.time_zone,
			weekly = excluded.weekly, closed_now = excluded.closed_now, updated_at = excluded.updated_at`,
			serviceID, a.TenantID, h.TimeZone, weekly, h.ClosedNow, ms(db.now())); err != nil {
			return err
		}
		if !slices.Equal(had, h.HolidayCalendarIDs) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM selected_holiday_calendars WHERE service_id = $1`, serviceID); err != nil {
				return err
			}
			for i, id := range h.HolidayCalendarIDs {
				if _, err := tx.ExecContext(ctx, `INSERT INTO selected_holiday_calendars (service_id, calendar_id, position) VALUES ($1, $2, $3)`,
					serviceID, id, i); err != nil {
					return err
				}
			}
		}
		after, err := db.serviceHours(ctx, tx, a.TenantID, serviceID)
		if err != nil {
			return err
		}
		after.SelectableCalendars = selectable
		h = *after
		var was any
		if before != nil {
			was = before
		}
		return db.audit(ctx, tx, a, "service.hours_update", "service", serviceID, was, after)
	})
	if err != nil {
		return nil, err
	}
	return &h, nil
}
