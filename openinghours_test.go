package interact

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestServiceHoursValidate(t *testing.T) {
	h := ServiceHours{TimeZone: "Europe/Zurich", Weekly: &Week{Mon: [][]string{{"13:00", "17:00"}, {"8:00", "12:00"}}}}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([][]string{{"08:00", "12:00"}, {"13:00", "17:00"}}, h.Weekly.Mon); d != "" || h.Weekly.Sun == nil || h.HolidayCalendarIDs == nil {
		t.Errorf("not canonical: %+v (%s)", h, d)
	}
	none := ServiceHours{ClosedNow: true} // no schedule, no zone: allowed
	if err := none.Validate(); err != nil {
		t.Errorf("closed now without a schedule: %v", err)
	}
	week := &Week{Tue: [][]string{{"08:00", "12:00"}}}
	for _, c := range []struct {
		name string
		h    ServiceHours
		want string
	}{
		{"unknown zone", ServiceHours{TimeZone: "Europe/Atlantis", Weekly: week}, `timeZone: "Europe/Atlantis" is not a known IANA time zone`},
		{"weekly without a zone", ServiceHours{Weekly: week}, "timeZone: give an IANA time zone"},
		{"calendars without a zone", ServiceHours{HolidayCalendarIDs: []string{"c1"}}, "timeZone: give an IANA time zone"},
		{"25:00", ServiceHours{TimeZone: "UTC", Weekly: &Week{Wed: [][]string{{"08:00", "25:00"}}}}, `weekly.wed[1]: "25:00" is not a time of day`},
		{"reversed", ServiceHours{TimeZone: "UTC", Weekly: &Week{Wed: [][]string{{"17:00", "08:00"}}}}, "ends before it starts"},
		{"overlapping", ServiceHours{TimeZone: "UTC", Weekly: &Week{Wed: [][]string{{"08:00", "12:00"}, {"11:00", "13:00"}}}}, "overlap"},
		{"twice", ServiceHours{TimeZone: "UTC", HolidayCalendarIDs: []string{"c1", "c1"}}, `Holiday calendar "c1" is selected twice.`},
		{"too many", ServiceHours{TimeZone: "UTC", HolidayCalendarIDs: strings.Split(strings.Repeat("x,", MaxSelectedCalendars)+"y", ",")}, "At most 20"},
	} {
		err := c.h.Validate()
		if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), c.want) {
			t.Errorf("%s: %v, want invalid_input with %q", c.name, err, c.want)
		}
	}
}

func TestServiceHoursCalendarSelection(t *testing.T) {
	h := ServiceHours{TimeZone: "UTC", HolidayCalendarIDs: []string{"kept", "new"}}
	reachable := func(id string) bool { return id == "new" }
	if err := h.CheckSelection([]string{"kept"}, reachable); err != nil {
		t.Errorf("a calendar selected before stays selectable: %v", err)
	}
	if err := h.CheckSelection(nil, reachable); ErrorCode(err) != ECALNOTSELECTABLE || !strings.Contains(ErrorMessage(err), `"kept"`) {
		t.Errorf("newly selecting an unreachable calendar: %v", err)
	}
}

func TestHolidayCalendarValidate(t *testing.T) {
	c := HolidayCalendar{Name: " Swiss holidays ", OUID: "ou", Holidays: []Holiday{
		{Name: "Christmas", From: "2025-12-25", To: "2025-12-26"},
		{Name: " New Year's Eve ", From: "2025-12-31T18:00", To: "2026-01-01T06:00"},
		{Name: "Christmas Eve", From: "2025-12-24T12:00", To: "2025-12-25T00:00"},
	}}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []Holiday{
		{Name: "Christmas Eve", From: "2025-12-24T12:00", To: "2025-12-24"},
		{Name: "Christmas", From: "2025-12-25", To: "2025-12-26"},
		{Name: "New Year's Eve", From: "2025-12-31T18:00", To: "2026-01-01T06:00"},
	}
	if d := cmp.Diff(want, c.Holidays); d != "" || c.Name != "Swiss holidays" {
		t.Errorf("canonical, in order (-want +got):\n%s", d)
	}
	for _, b := range []struct {
		name string
		c    HolidayCalendar
		want string
	}{
		{"no name", HolidayCalendar{OUID: "ou"}, "The calendar name must not be empty."},
		{"no OU", HolidayCalendar{Name: "x"}, "ouId is required."},
		{"holiday without a name", HolidayCalendar{Name: "x", OUID: "ou", Holidays: []Holiday{{From: "2025-12-25"}}}, "holidays[1]: The holiday name must not be empty."},
		{"bad date", HolidayCalendar{Name: "x", OUID: "ou", Holidays: []Holiday{{Name: "a", From: "2025-12-25"}, {Name: "b", From: "2025-02-30"}}},
			`holidays[2] ("b"): from: "2025-02-30" is not a date`},
		{"ends before it starts", HolidayCalendar{Name: "x", OUID: "ou", Holidays: []Holiday{{Name: "a", From: "2025-12-25T10:00", To: "2025-12-25T09:00"}}}, "before it starts"},
		{"too many", HolidayCalendar{Name: "x", OUID: "ou", Holidays: make([]Holiday, MaxHolidays+1)}, "at most 500 holidays"},
	} {
		err := b.c.Validate()
		if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), b.want) {
			t.Errorf("%s: %v, want invalid_input with %q", b.name, err, b.want)
		}
	}
}

func TestServiceHoursSchedule(t *testing.T) {
	zurich, _ := time.LoadLocation("Europe/Zurich")
	day := [][]string{{"08:00", "17:00"}}
	h := &ServiceHours{TimeZone: "Europe/Zurich", Weekly: &Week{Mon: day, Tue: day, Wed: day, Thu: day, Fri: day},
		Calendars: []HolidayCalendar{
			{Holidays: []Holiday{{Name: "Christmas", From: "2025-12-25", To: "2025-12-26"}}},
			{Holidays: []Holiday{{Name: "Company day", From: "2025-12-29"}}},
		}}
	s, err := h.Schedule()
	if err != nil {
		t.Fatal(err)
	}
	// Both calendars close it: from Wednesday 24th evening to Tuesday 30th.
	st := StatusAt(s, time.Date(2025, 12, 24, 18, 0, 0, 0, zurich))
	if want := time.Date(2025, 12, 30, 7, 0, 0, 0, time.UTC); st.Open || st.OpensAt == nil || !st.OpensAt.Equal(want) {
		t.Errorf("status %+v, want closed until %s", st, want)
	}
	if st := StatusAt(s, time.Date(2025, 12, 30, 9, 0, 0, 0, zurich)); !st.Open || st.OpensAt != nil {
		t.Errorf("status within a period: %+v", st)
	}
	h.ClosedNow = true
	s, _ = h.Schedule()
	if st := StatusAt(s, time.Date(2025, 12, 30, 9, 0, 0, 0, zurich)); st.Open || st.OpensAt != nil {
		t.Errorf("closed now: %+v, want closed with no opening", st)
	}
	var none *ServiceHours
	s, _ = none.Schedule()
	if st := StatusAt(s, time.Now()); !st.Open {
		t.Errorf("no hours: %+v, want open", st)
	}
	if st := StatusAt(nil, time.Now()); !st.Open {
		t.Errorf("no schedule: %+v, want open", st)
	}
}
