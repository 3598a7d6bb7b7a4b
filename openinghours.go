package interact

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Opening hours. A service may have a weekly schedule in an IANA time
// zone, select holiday calendars, and be switched "closed now"; without
// hours it is always open. Out of hours the widget offers leave-a-message
// and no new task starts (closed); tasks already queued when the service
// closes are still served: a contact center drains its queue. The
// schedule's arithmetic is in hoursweek.go and hoursschedule.go.

// Bounds of opening hours.
const (
	MaxSelectedCalendars = 20
	MaxHolidays          = 500 // per calendar
)

// ServiceHours are a service's opening hours: the Hours tab.
type ServiceHours struct {
	// TimeZone is an IANA zone ("Europe/Zurich"), needed with a weekly
	// schedule or calendars.
	TimeZone string `json:"timeZone"`
	// Weekly is the week's opening periods; null: open around the clock
	// (but for holidays and ClosedNow).
	Weekly             *Week    `json:"weekly"`
	HolidayCalendarIDs []string `json:"holidayCalendarIds"`
	// ClosedNow is the emergency switch: closed until switched off.
	ClosedNow bool `json:"closedNow"`

	// Calendars are the selected calendars, in HolidayCalendarIDs' order
	// (the store fills them), whose holidays close the schedule.
	Calendars []HolidayCalendar `json:"-"`
	// SelectableCalendars are the calendars in the service's OU or above
	// it, which it may select (the store fills them for the Hours tab).
	SelectableCalendars []HolidayCalendar `json:"-"`
}

// Validate checks the hours and writes them canonically. Errors name the
// field ("weekly.mon[2]: …").
func (h *ServiceHours) Validate() error {
	if h.HolidayCalendarIDs == nil {
		h.HolidayCalendarIDs = []string{}
	}
	if h.TimeZone != "" || h.Weekly != nil || len(h.HolidayCalendarIDs) > 0 {
		if _, err := LoadZone(h.TimeZone); err != nil {
			return Errorf(EINVALID, "%s.", err)
		}
	}
	if h.Weekly != nil {
		days, err := h.Weekly.Parse()
		if err != nil {
			return Errorf(EINVALID, "%s.", err)
		}
		w := days.Week()
		h.Weekly = &w
	}
	if len(h.HolidayCalendarIDs) > MaxSelectedCalendars {
		return Errorf(EINVALID, "At most %d holiday calendars can be selected.", MaxSelectedCalendars)
	}
	seen := map[string]bool{}
	for _, id := range h.HolidayCalendarIDs {
		if seen[id] {
			return Errorf(EINVALID, "Holiday calendar %q is selected twice.", id)
		}
		seen[id] = true
	}
	return nil
}

// CheckSelection validates a change of the selected calendars, as
// InteractSettings.CheckSelection does templates': a calendar may be newly
// selected only when selectable (in the service's OU or above); one
// already selected stays even after it moved out of reach.
func (h *ServiceHours) CheckSelection(before []string, selectable func(id string) bool) error {
	had := map[string]bool{}
	for _, id := range before {
		had[id] = true
	}
	for _, id := range h.HolidayCalendarIDs {
		if !had[id] && !selectable(id) {
			return Errorf(ECALNOTSELECTABLE, "Holiday calendar %q is not available in this service's OU or any OU above it.", id)
		}
	}
	return nil
}

// Schedule compiles the hours with the holidays of their calendars. Nil
// hours are always open.
func (h *ServiceHours) Schedule() (*Schedule, error) {
	if h == nil {
		return NewSchedule("", nil, nil, false)
	}
	var hs []Holiday
	for _, c := range h.Calendars {
		hs = append(hs, c.Holidays...)
	}
	s, err := NewSchedule(h.TimeZone, h.Weekly, hs, h.ClosedNow)
	if err != nil {
		return nil, fmt.Errorf("opening hours: %w", err)
	}
	return s, nil
}

// HoursStatus says whether a service is open now and, when it is not,
// when it opens next (nil when that cannot be foreseen: the closed-now
// switch is on, or the schedule has no periods).
type HoursStatus struct {
	Open    bool       `json:"open"`
	OpensAt *time.Time `json:"opensAt"`
}

// StatusAt is the schedule's status at now (nil: always open).
func StatusAt(s *Schedule, now time.Time) HoursStatus {
	if s == nil || s.IsOpen(now) {
		return HoursStatus{Open: true}
	}
	at, ok := s.NextOpening(now)
	if !ok {
		return HoursStatus{}
	}
	at = at.UTC().Truncate(time.Second)
	return HoursStatus{OpensAt: &at}
}

// HolidayCalendar is a named, OU-scoped list of holidays. Like a domain
// template it is selectable by services in its OU or below; its holidays
// close each selecting service, in that service's time zone.
type HolidayCalendar struct {
	ID          string    `json:"id"`
	TenantID    string    `json:"-"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	OUID        string    `json:"ouId"`
	Holidays    []Holiday `json:"holidays"`
	CreatedAt   time.Time `json:"createdAt"`
}

// HolidayCalendarUpdate is a partial change to a calendar.
type HolidayCalendarUpdate struct {
	Name        *string    `json:"name"`
	Description *string    `json:"description"`
	OUID        *string    `json:"ouId"`
	Holidays    *[]Holiday `json:"holidays"`
}

// Apply copies the set fields of u onto c.
func (u HolidayCalendarUpdate) Apply(c *HolidayCalendar) {
	if u.Name != nil {
		c.Name = *u.Name
	}
	if u.Description != nil {
		c.Description = *u.Description
	}
	if u.OUID != nil {
		c.OUID = *u.OUID
	}
	if u.Holidays != nil {
		c.Holidays = *u.Holidays
	}
}

// Validate checks the calendar and writes its holidays canonically, in
// order. Errors name the holiday by position.
func (c *HolidayCalendar) Validate() error {
	c.Name = strings.TrimSpace(c.Name)
	if err := validName("calendar name", c.Name); err != nil {
		return err
	}
	if len([]rune(c.Description)) > MaxDescriptionLen {
		return Errorf(EINVALID, "The description must be at most %d characters.", MaxDescriptionLen)
	}
	if c.OUID == "" {
		return Errorf(EINVALID, "ouId is required.")
	}
	if len(c.Holidays) > MaxHolidays {
		return Errorf(EINVALID, "A calendar holds at most %d holidays.", MaxHolidays)
	}
	out := make([]Holiday, 0, len(c.Holidays))
	for i, h := range c.Holidays {
		if err := validName("holiday name", h.Name); err != nil {
			return Errorf(EINVALID, "holidays[%d]: %s", i+1, ErrorMessage(err))
		}
		ch, err := h.Canonical()
		if err != nil {
			return Errorf(EINVALID, "holidays[%d] (%q): %s.", i+1, strings.TrimSpace(h.Name), err)
		}
		out = append(out, ch)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, _, _ := out[i].Span()
		b, _, _ := out[j].Span()
		return a < b
	})
	c.Holidays = out
	return nil
}
