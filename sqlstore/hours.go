package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/interact-oss/interact"
)

// Opening hours: holiday calendars, scoped and checked exactly like domain
// templates (template.go), and each service's hours with the calendars it
// selects.

// calendars are the holiday calendars, OU-scoped lists of holidays
// (oulist.go) that services select.
var calendars = &ouListKind[interact.HolidayCalendar, *interact.HolidayCalendar]{
	table: "holiday_calendars", listCol: "holidays", noun: "holiday calendar", audit: "holiday_calendar",
	selections: "selected_holiday_calendars", selectionKey: "calendar_id", selectedBy: "service(s)",
	fields: func(c *interact.HolidayCalendar) listFields {
		return listFields{&c.ID, &c.TenantID, &c.OUID, &c.Name, &c.Description, &c.Holidays, &c.CreatedAt}
	},
}

// HolidayCalendars lists the calendars the actor can read.
func (db *DB) HolidayCalendars(ctx context.Context, a interact.Actor) ([]interact.HolidayCalendar, error) {
	return calendars.readable(ctx, db, a)
}

// HolidayCalendar returns one calendar the actor can read.
func (db *DB) HolidayCalendar(ctx context.Context, a interact.Actor, id string) (*interact.HolidayCalendar, error) {
	return calendars.get(ctx, db, a, id)
}

// CreateHolidayCalendar creates a calendar in an OU the actor administers.
func (db *DB) CreateHolidayCalendar(ctx context.Context, a interact.Actor, c interact.HolidayCalendar) (*interact.HolidayCalendar, error) {
	return calendars.create(ctx, db, a, &c)
}

// UpdateHolidayCalendar changes a calendar. Moving it to another OU keeps
// it working wherever it is already selected; its new holidays apply to
// every service selecting it.
func (db *DB) UpdateHolidayCalendar(ctx context.Context, a interact.Actor, id string, upd interact.HolidayCalendarUpdate) (*interact.HolidayCalendar, error) {
	return calendars.update(ctx, db, a, id, func(c *interact.HolidayCalendar) { upd.Apply(c) })
}

// DeleteHolidayCalendar deletes a calendar that no service selects.
func (db *DB) DeleteHolidayCalendar(ctx context.Context, a interact.Actor, id string) error {
	return calendars.remove(ctx, db, a, id)
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
		h.Weekly = &interact.Week{}
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
		c, err := calendars.scan(rows)
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
	all, err := calendars.all(ctx, tx, tenantID)
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
