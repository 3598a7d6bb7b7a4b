package sqlstore_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
)

func (w *world) calendar(t *testing.T, a interact.Actor, name, ou string, hs ...interact.Holiday) *interact.HolidayCalendar {
	t.Helper()
	c, err := w.db.CreateHolidayCalendar(t.Context(), a, interact.HolidayCalendar{Name: name, OUID: ou, Holidays: hs})
	noErr(t, err)
	return c
}

func calendarIDs(cs []interact.HolidayCalendar) []string {
	return ids(cs, func(c interact.HolidayCalendar) string { return c.ID })
}

func TestHolidayCalendars(t *testing.T) { eachEngine(t, testHolidayCalendars) }

func testHolidayCalendars(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()

	c, err := w.db.CreateHolidayCalendar(ctx, w.adminA, interact.HolidayCalendar{Name: " Swiss holidays ", Description: "Federal", OUID: w.emea,
		Holidays: []interact.Holiday{
			{Name: "Christmas", From: "2025-12-25", To: "2025-12-26"},
			{Name: "Christmas Eve", From: "2025-12-24T12:00", To: "2025-12-25T00:00"},
			{Name: "New Year's Eve", From: "2025-12-31T18:00", To: "2026-01-01T06:00"},
		}})
	noErr(t, err)
	want := &interact.HolidayCalendar{ID: c.ID, TenantID: w.a.ID, Name: "Swiss holidays", Description: "Federal", OUID: w.emea, CreatedAt: c.CreatedAt,
		Holidays: []interact.Holiday{
			{Name: "Christmas Eve", From: "2025-12-24T12:00", To: "2025-12-24"},
			{Name: "Christmas", From: "2025-12-25", To: "2025-12-26"},
			{Name: "New Year's Eve", From: "2025-12-31T18:00", To: "2026-01-01T06:00"},
		}}
	if d := cmp.Diff(want, c); d != "" {
		t.Errorf("created, canonical and in order (-want +got):\n%s", d)
	}
	read, err := w.db.HolidayCalendar(ctx, w.adminA, c.ID)
	noErr(t, err)
	if d := cmp.Diff(want, read); d != "" {
		t.Errorf("re-read (-want +got):\n%s", d)
	}

	// Read up to the root: the EMEA admin sees root's and EMEA's calendars,
	// not APAC's; an agent without roles sees none.
	rootCal := w.calendar(t, w.adminA, "Company days", w.root, interact.Holiday{Name: "Founders' day", From: "2026-05-04"})
	apacCal := w.calendar(t, w.adminA, "APAC holidays", w.apac)
	chCal := w.calendar(t, w.emeaAdmin, "Zurich holidays", w.ch, interact.Holiday{Name: "Sechseläuten afternoon", From: "2026-04-20T12:00", To: "2026-04-20"})
	seen, err := w.db.HolidayCalendars(ctx, w.emeaAdmin)
	noErr(t, err)
	wantSet(t, "EMEA admin's calendars", calendarIDs(seen), []string{c.ID, rootCal.ID, chCal.ID})
	seen, err = w.db.HolidayCalendars(ctx, w.agent)
	noErr(t, err)
	wantSet(t, "agent's calendars", calendarIDs(seen), nil)

	t.Run("update", func(t *testing.T) {
		got, err := w.db.UpdateHolidayCalendar(ctx, w.adminA, c.ID, interact.HolidayCalendarUpdate{
			Holidays: &[]interact.Holiday{{Name: "Christmas", From: "2025-12-25"}}})
		noErr(t, err)
		read, err := w.db.HolidayCalendar(ctx, w.adminA, c.ID)
		noErr(t, err)
		if d := cmp.Diff(got, read); d != "" || len(read.Holidays) != 1 || read.Description != "Federal" {
			t.Errorf("returned vs re-read (-returned +read):\n%s", d)
		}
	})

	w.refuse(t, []refusal{
		{"bad date", interact.EINVALID, func(ctx context.Context) error {
			return errOf(w.db.CreateHolidayCalendar(ctx, w.adminA, interact.HolidayCalendar{Name: "Bad", OUID: w.emea,
				Holidays: []interact.Holiday{{Name: "x", From: "2025-02-30"}}}))
		}},
		{"update ending before it starts", interact.EINVALID, func(ctx context.Context) error {
			return errOf(w.db.UpdateHolidayCalendar(ctx, w.adminA, c.ID, interact.HolidayCalendarUpdate{
				Holidays: &[]interact.Holiday{{Name: "x", From: "2025-12-25T10:00", To: "2025-12-25T09:00"}}}))
		}},
		{"duplicate name", interact.ECONFLICT, func(ctx context.Context) error {
			return errOf(w.db.CreateHolidayCalendar(ctx, w.adminA, interact.HolidayCalendar{Name: "Swiss holidays", OUID: w.apac}))
		}},
		{"rename to a taken name", interact.ECONFLICT, func(ctx context.Context) error {
			return errOf(w.db.UpdateHolidayCalendar(ctx, w.adminA, apacCal.ID, interact.HolidayCalendarUpdate{Name: ptr("Company days")}))
		}},
		{"OU admin creates outside their subtree", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.CreateHolidayCalendar(ctx, w.emeaAdmin, interact.HolidayCalendar{Name: "Sneaky", OUID: w.apac}))
		}},
		{"OU admin changes a calendar above their subtree", interact.EFORBIDDEN, func(ctx context.Context) error {
			return errOf(w.db.UpdateHolidayCalendar(ctx, w.emeaAdmin, rootCal.ID, interact.HolidayCalendarUpdate{Name: ptr("Mine")}))
		}},
		{"OU admin reads a sibling subtree's calendar", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.HolidayCalendar(ctx, w.emeaAdmin, apacCal.ID))
		}},
		{"OU admin moves a calendar out of their subtree", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.UpdateHolidayCalendar(ctx, w.emeaAdmin, chCal.ID, interact.HolidayCalendarUpdate{OUID: ptr(w.apac)}))
		}},
		{"OU admin deletes above their subtree", interact.EFORBIDDEN, func(ctx context.Context) error {
			return w.db.DeleteHolidayCalendar(ctx, w.emeaAdmin, rootCal.ID)
		}},
		{"another tenant reads", interact.ENOTFOUND, func(ctx context.Context) error { return errOf(w.db.HolidayCalendar(ctx, w.adminB, c.ID)) }},
		{"another tenant updates", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.UpdateHolidayCalendar(ctx, w.adminB, c.ID, interact.HolidayCalendarUpdate{Name: ptr("Ours")}))
		}},
		{"another tenant deletes", interact.ENOTFOUND, func(ctx context.Context) error { return w.db.DeleteHolidayCalendar(ctx, w.adminB, c.ID) }},
		{"another tenant creates in our OU", interact.ENOTFOUND, func(ctx context.Context) error {
			return errOf(w.db.CreateHolidayCalendar(ctx, w.adminB, interact.HolidayCalendar{Name: "Theirs", OUID: w.emea}))
		}},
		{"deleting an OU that holds a calendar", interact.EOUNOTEMPTY, func(ctx context.Context) error { return w.db.DeleteOU(ctx, w.adminA, w.apac) }},
	})

	noErr(t, w.db.DeleteHolidayCalendar(ctx, w.adminA, apacCal.ID))
	if _, err := w.db.HolidayCalendar(ctx, w.adminA, apacCal.ID); interact.ErrorCode(err) != interact.ENOTFOUND {
		t.Errorf("deleted calendar: %v", err)
	}
	entries, _, err := w.db.AuditEntries(ctx, w.adminA, interact.AuditFilter{EntityKind: "holiday_calendar", Limit: 100})
	noErr(t, err)
	actions := map[string]int{}
	for _, e := range entries {
		actions[e.Action]++
	}
	if d := cmp.Diff(map[string]int{"holiday_calendar.create": 4, "holiday_calendar.update": 1, "holiday_calendar.delete": 1}, actions); d != "" {
		t.Errorf("audit (-want +got):\n%s", d)
	}
}

func TestServiceHours(t *testing.T) { eachEngine(t, testServiceHours) }

func testServiceHours(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	w.setInteract(t, w.adminA, true)
	svc := w.service(t, w.adminA, "Support CH", w.ch, interact.LicenseContactCenter, true)
	other := w.service(t, w.adminA, "Support APAC", w.apac, interact.LicenseContactCenter, true)
	svcB := w.service(t, w.adminB, "Beta support", w.rootB, interact.LicenseContactCenter, true)

	rootCal := w.calendar(t, w.adminA, "Company days", w.root, interact.Holiday{Name: "Founders' day", From: "2026-05-04"})
	emeaCal := w.calendar(t, w.adminA, "EMEA holidays", w.emea, interact.Holiday{Name: "New Year's Eve", From: "2025-12-31T18:00", To: "2026-01-01T06:00"})
	deCal := w.calendar(t, w.adminA, "German holidays", w.de) // a sibling subtree of CH
	bCal := w.calendar(t, w.adminB, "Beta holidays", w.rootB) // another tenant

	// No hours yet: always open, the calendars of CH's path selectable.
	h, err := w.db.ServiceHours(ctx, w.adminA, svc.ID)
	noErr(t, err)
	if h.TimeZone != "" || h.Weekly != nil || len(h.HolidayCalendarIDs) != 0 || h.ClosedNow {
		t.Errorf("a service without hours: %+v", h)
	}
	wantSet(t, "selectable", calendarIDs(h.SelectableCalendars), []string{rootCal.ID, emeaCal.ID})

	day := [][]string{{"13:00", "17:00"}, {"8:00", "12:00"}}
	saved, err := w.db.SaveServiceHours(ctx, w.adminA, svc.ID, interact.ServiceHours{TimeZone: "Europe/Zurich",
		Weekly: &interact.Week{Mon: day, Tue: day, Wed: day, Thu: day, Fri: day}, HolidayCalendarIDs: []string{emeaCal.ID, rootCal.ID}})
	noErr(t, err)
	canon := [][]string{{"08:00", "12:00"}, {"13:00", "17:00"}}
	read, err := w.db.ServiceHours(ctx, w.adminA, svc.ID)
	noErr(t, err)
	if d := cmp.Diff(saved, read); d != "" {
		t.Errorf("saved vs re-read (-saved +read):\n%s", d)
	}
	if d := cmp.Diff(canon, read.Weekly.Fri); d != "" || read.Weekly.Sat == nil || len(read.Weekly.Sat) != 0 {
		t.Errorf("canonical week %+v (-want +got Fri):\n%s", read.Weekly, d)
	}
	if d := cmp.Diff([]string{emeaCal.ID, rootCal.ID}, calendarIDs(read.Calendars)); d != "" || !slices2(read.HolidayCalendarIDs, emeaCal.ID, rootCal.ID) {
		t.Errorf("selected calendars in order (-want +got):\n%s", d)
	}

	// The public side reads the hours with the contact, holidays included.
	st, err := w.db.Interact(ctx, w.adminA, interact.OwnerService, svc.ID)
	noErr(t, err)
	contact, err := w.db.ContactByID(ctx, "", st.ContactID)
	noErr(t, err)
	sched, err := contact.Hours.Schedule()
	noErr(t, err)
	zurich, _ := time.LoadLocation("Europe/Zurich")
	for _, c := range []struct {
		at   time.Time
		open bool
	}{
		{time.Date(2026, 5, 5, 9, 0, 0, 0, zurich), true},    // a Tuesday
		{time.Date(2026, 5, 4, 9, 0, 0, 0, zurich), false},   // Founders' day, a Monday
		{time.Date(2025, 12, 31, 16, 0, 0, 0, zurich), true}, // a Wednesday, before the holiday
		{time.Date(2026, 1, 1, 9, 0, 0, 0, zurich), true},    // the holiday ended at 06:00
	} {
		if got := sched.IsOpen(c.at); got != c.open {
			t.Errorf("contact's schedule at %s: open %v, want %v", c.at, got, c.open)
		}
	}
	noHours, err := w.db.Interact(ctx, w.adminA, interact.OwnerService, other.ID)
	noErr(t, err)
	if c, err := w.db.ContactByID(ctx, "", noHours.ContactID); err != nil || c.Hours != nil {
		t.Errorf("a contact without hours: %+v, %v", c.Hours, err)
	}

	good := func() interact.ServiceHours {
		return interact.ServiceHours{TimeZone: "Europe/Zurich", Weekly: &interact.Week{Mon: canon}, HolidayCalendarIDs: []string{emeaCal.ID}}
	}
	with := func(f func(*interact.ServiceHours)) interact.ServiceHours { h := good(); f(&h); return h }
	save := func(a interact.Actor, id string, h interact.ServiceHours) func(context.Context) error {
		return func(ctx context.Context) error { return errOf(w.db.SaveServiceHours(ctx, a, id, h)) }
	}
	w.refuse(t, []refusal{
		{"unknown zone", interact.EINVALID, save(w.adminA, svc.ID, with(func(h *interact.ServiceHours) { h.TimeZone = "Europe/Atlantis" }))},
		{"25:00", interact.EINVALID, save(w.adminA, svc.ID, with(func(h *interact.ServiceHours) { h.Weekly.Mon = [][]string{{"08:00", "25:00"}} }))},
		{"overlapping periods", interact.EINVALID, save(w.adminA, svc.ID, with(func(h *interact.ServiceHours) {
			h.Weekly.Mon = [][]string{{"08:00", "12:00"}, {"11:00", "13:00"}}
		}))},
		{"reversed period", interact.EINVALID, save(w.adminA, svc.ID, with(func(h *interact.ServiceHours) { h.Weekly.Mon = [][]string{{"17:00", "08:00"}} }))},
		{"unknown calendar", interact.ECALNOTSELECTABLE, save(w.adminA, svc.ID, with(func(h *interact.ServiceHours) { h.HolidayCalendarIDs = []string{"nope"} }))},
		{"a calendar from a sibling subtree", interact.ECALNOTSELECTABLE, save(w.adminA, svc.ID, with(func(h *interact.ServiceHours) {
			h.HolidayCalendarIDs = []string{emeaCal.ID, deCal.ID}
		}))},
		{"another tenant's calendar", interact.ECALNOTSELECTABLE, save(w.adminA, svc.ID, with(func(h *interact.ServiceHours) { h.HolidayCalendarIDs = []string{bCal.ID} }))},
		{"another tenant's service", interact.ENOTFOUND, save(w.adminA, svcB.ID, interact.ServiceHours{ClosedNow: true})},
		{"another tenant reads", interact.ENOTFOUND, func(ctx context.Context) error { return errOf(w.db.ServiceHours(ctx, w.adminB, svc.ID)) }},
		{"another tenant changes", interact.ENOTFOUND, save(w.adminB, svc.ID, interact.ServiceHours{ClosedNow: true})},
		{"an OU admin of another subtree", interact.ENOTFOUND, save(w.emeaAdmin, other.ID, interact.ServiceHours{ClosedNow: true})},
		{"an agent", interact.ENOTFOUND, save(w.agent, svc.ID, interact.ServiceHours{ClosedNow: true})},
		{"deleting a selected calendar", interact.ECONFLICT, func(ctx context.Context) error { return w.db.DeleteHolidayCalendar(ctx, w.adminA, emeaCal.ID) }},
	})
	// Refusals name what is wrong.
	if _, err := w.db.SaveServiceHours(ctx, w.adminA, svc.ID, with(func(h *interact.ServiceHours) { h.HolidayCalendarIDs = []string{deCal.ID} })); !strings.Contains(interact.ErrorMessage(err), deCal.ID) {
		t.Errorf("calendar_not_selectable message %q does not name the calendar", interact.ErrorMessage(err))
	}

	// The EMEA admin manages a CH service; the switch alone, without a schedule.
	closed, err := w.db.SaveServiceHours(ctx, w.emeaAdmin, svc.ID, interact.ServiceHours{ClosedNow: true})
	noErr(t, err)
	if !closed.ClosedNow || closed.Weekly != nil || len(closed.HolidayCalendarIDs) != 0 {
		t.Errorf("closed now: %+v", closed)
	}

	// A calendar that moves out of reach stays selected, but once removed
	// it cannot be selected again.
	_, err = w.db.SaveServiceHours(ctx, w.adminA, svc.ID, good())
	noErr(t, err)
	_, err = w.db.UpdateHolidayCalendar(ctx, w.adminA, emeaCal.ID, interact.HolidayCalendarUpdate{OUID: ptr(w.apac)})
	noErr(t, err)
	kept := good()
	kept.ClosedNow = true
	_, err = w.db.SaveServiceHours(ctx, w.adminA, svc.ID, kept)
	noErr(t, err)
	_, err = w.db.SaveServiceHours(ctx, w.adminA, svc.ID, with(func(h *interact.ServiceHours) { h.HolidayCalendarIDs = nil }))
	noErr(t, err)
	_, err = w.db.SaveServiceHours(ctx, w.adminA, svc.ID, good())
	wantCode(t, err, interact.ECALNOTSELECTABLE)

	// Audited: the first save records no before.
	entries, _, err := w.db.AuditEntries(ctx, w.adminA, interact.AuditFilter{Action: "service.hours_update", EntityID: svc.ID, Limit: 100})
	noErr(t, err)
	if len(entries) != 5 || entries[len(entries)-1].Before != nil || !strings.Contains(string(entries[len(entries)-1].After), `"timeZone":"Europe/Zurich"`) {
		t.Errorf("%d hours audit entries, want 5; first: %+v", len(entries), entries[len(entries)-1])
	}

	// Deleting the service deletes its hours: its calendars are free again.
	_, err = w.db.SaveServiceHours(ctx, w.adminA, svc.ID, with(func(h *interact.ServiceHours) { h.HolidayCalendarIDs = []string{rootCal.ID} }))
	noErr(t, err)
	wantCode(t, w.db.DeleteHolidayCalendar(ctx, w.adminA, rootCal.ID), interact.ECONFLICT)
	noErr(t, w.db.DeleteService(ctx, w.adminA, svc.ID))
	noErr(t, w.db.DeleteHolidayCalendar(ctx, w.adminA, rootCal.ID))
}

func slices2(got []string, want ...string) bool { return cmp.Equal(got, want) }
