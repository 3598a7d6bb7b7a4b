package interact

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var zurich = mustZone("Europe/Zurich")

func mustZone(name string) *time.Location {
	loc, err := LoadZone(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// zt is a wall-clock time in Zurich that is not ambiguous.
func zt(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, zurich)
	if err != nil {
		panic(err)
	}
	return t
}

// utc is an instant written in UTC.
func utc(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func mustNew(t *testing.T, zone string, week *Week, holidays []Holiday, closedNow bool) *Schedule {
	t.Helper()
	s, err := NewSchedule(zone, week, holidays, closedNow)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// office: two periods on weekdays, a short Saturday, Sunday closed.
func office() *Week {
	day := [][]string{{"08:00", "12:00"}, {"13:00", "17:00"}}
	return &Week{Mon: day, Tue: day, Wed: day, Thu: day, Fri: day, Sat: [][]string{{"09:00", "12:00"}}}
}

// 2026: the last Sunday of March is the 29th, of October the 25th.
// 2025-12-24 is a Wednesday.

func TestIsOpen(t *testing.T) {
	s := mustNew(t, "Europe/Zurich", office(), nil, false)
	for _, c := range []struct {
		at   time.Time
		want bool
	}{
		{zt("2026-03-02 07:59"), false}, // Monday, before the first period
		{zt("2026-03-02 08:00"), true},  // its start is open
		{zt("2026-03-02 11:59"), true},
		{zt("2026-03-02 12:00"), false}, // the end is not
		{zt("2026-03-02 12:30"), false}, // lunch, between two periods
		{zt("2026-03-02 13:00"), true},  // the second period of the day
		{zt("2026-03-02 16:59").Add(59*time.Second + 999*time.Millisecond), true},
		{zt("2026-03-02 17:00"), false},
		{zt("2026-03-07 10:00"), true},              // Saturday
		{zt("2026-03-07 12:00"), false},             // Saturday ends at noon
		{zt("2026-03-08 10:00"), false},             // Sunday: no periods
		{zt("2026-03-02 10:00").In(time.UTC), true}, // the instant's zone does not matter
	} {
		if got := s.IsOpen(c.at); got != c.want {
			t.Errorf("IsOpen(%s) = %v, want %v", c.at.In(zurich).Format("Mon 2006-01-02 15:04:05 MST"), got, c.want)
		}
	}
}

func TestNextOpening(t *testing.T) {
	summer := []Holiday{{Name: "Summer break", From: "2026-07-11", To: "2026-08-07"}}
	xmas := []Holiday{
		{Name: "Christmas Eve afternoon", From: "2025-12-24T12:00", To: "2025-12-24"},
		{Name: "Christmas", From: "2025-12-25", To: "2025-12-26"},
		{Name: "Saturday after", From: "2025-12-27"},
	}
	for _, c := range []struct {
		name     string
		week     *Week
		holidays []Holiday
		from     time.Time
		want     time.Time // zero: never
	}{
		{"open now: now", office(), nil, zt("2026-03-02 09:30"), zt("2026-03-02 09:30")},
		{"lunch break", office(), nil, zt("2026-03-02 12:15"), zt("2026-03-02 13:00")},
		{"evening to the next morning", office(), nil, zt("2026-03-03 17:00"), zt("2026-03-04 08:00")},
		{"Friday evening to Saturday", office(), nil, zt("2026-03-06 17:30"), zt("2026-03-07 09:00")},
		{"across the weekend", office(), nil, zt("2026-03-07 12:00"), zt("2026-03-09 08:00")},
		{"across a week: only Wednesdays", &Week{Wed: [][]string{{"10:00", "11:00"}}}, nil, zt("2026-03-04 11:00"), zt("2026-03-11 10:00")},
		{"a holiday Monday", office(), []Holiday{{Name: "Easter Monday", From: "2026-04-06"}}, zt("2026-04-04 12:00"), zt("2026-04-07 08:00")},
		{"partial-day holiday, then whole days", office(), xmas, zt("2025-12-24 11:00"), zt("2025-12-24 11:00")},
		{"from a partial-day holiday across whole days and a weekend", office(), xmas, zt("2025-12-24 12:00"), zt("2025-12-29 08:00")},
		{"a holiday ending in a period opens at its end", office(), []Holiday{{Name: "Staff meeting", From: "2026-03-02T07:30", To: "2026-03-02T09:15"}},
			zt("2026-03-02 08:00"), zt("2026-03-02 09:15")},
		{"weeks of holiday", office(), summer, zt("2026-07-10 17:00"), zt("2026-08-08 09:00")},
		{"around the clock, a holiday", nil, []Holiday{{Name: "Inventory", From: "2026-05-04T18:00", To: "2026-05-05T06:30"}},
			zt("2026-05-04 20:00"), zt("2026-05-05 06:30")},
		{"no periods: never", &Week{}, nil, zt("2026-03-02 09:30"), time.Time{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := mustNew(t, "Europe/Zurich", c.week, c.holidays, false)
			got, ok := s.NextOpening(c.from)
			if ok != !c.want.IsZero() || !got.Equal(c.want) {
				t.Fatalf("NextOpening(%s) = %s, %v; want %s", c.from.Format(time.RFC3339), got.In(zurich).Format(time.RFC3339), ok, c.want.Format(time.RFC3339))
			}
			if ok && !s.IsOpen(got) {
				t.Errorf("not open at its next opening %s", got)
			}
		})
	}
}

func TestClosedNow(t *testing.T) {
	s := mustNew(t, "Europe/Zurich", office(), nil, true)
	if s.IsOpen(zt("2026-03-02 09:30")) {
		t.Error("closed now, yet open within a period")
	}
	if at, ok := s.NextOpening(zt("2026-03-02 09:30")); ok {
		t.Errorf("closed now opens at %s: nobody knows when the switch goes off", at)
	}
	always := mustNew(t, "", nil, nil, true)
	if always.IsOpen(time.Now()) {
		t.Error("closed now without hours is open")
	}
}

func TestHolidaySpanningMidnight(t *testing.T) {
	allDay := [][]string{{"00:00", "24:00"}}
	week := &Week{Mon: allDay, Tue: allDay, Wed: allDay, Thu: allDay, Fri: allDay, Sat: allDay, Sun: allDay}
	eve := []Holiday{{Name: "New Year's Eve", From: "2025-12-31T18:00", To: "2026-01-01T06:00"}}
	for _, w := range []*Week{week, nil} { // seven whole days, and around the clock
		s := mustNew(t, "Europe/Zurich", w, eve, false)
		for _, c := range []struct {
			at   time.Time
			want bool
		}{
			{zt("2025-12-31 17:59"), true},
			{zt("2025-12-31 18:00"), false},
			{zt("2025-12-31 23:59"), false},
			{zt("2026-01-01 00:00"), false}, // past midnight, still the holiday
			{zt("2026-01-01 05:59"), false},
			{zt("2026-01-01 06:00"), true},
		} {
			if got := s.IsOpen(c.at); got != c.want {
				t.Errorf("week %v: IsOpen(%s) = %v, want %v", w != nil, c.at.Format("2006-01-02 15:04"), got, c.want)
			}
		}
		for _, from := range []time.Time{zt("2025-12-31 18:00"), zt("2025-12-31 23:30"), zt("2026-01-01 02:00")} {
			if got, ok := s.NextOpening(from); !ok || !got.Equal(zt("2026-01-01 06:00")) {
				t.Errorf("week %v: NextOpening(%s) = %s, %v; want 2026-01-01 06:00", w != nil, from.Format("2006-01-02 15:04"), got.In(zurich), ok)
			}
		}
	}
}

// TestDaylightSaving: Europe/Zurich springs forward on the last Sunday of
// March (02:00 CET → 03:00 CEST, at 01:00 UTC) and falls back on the last
// Sunday of October (03:00 CEST → 02:00 CET, at 01:00 UTC).
func TestDaylightSaving(t *testing.T) {
	type check struct {
		at   time.Time // UTC
		want bool
	}
	for _, c := range []struct {
		name   string
		sunday [][]string
		checks []check
		from   time.Time // NextOpening from here …
		next   time.Time // … is here (UTC)
	}{
		{"March: a whole day lasts 23 hours", [][]string{{"00:00", "24:00"}}, []check{
			{utc("2026-03-28 22:59"), false}, {utc("2026-03-28 23:00"), true}, // 00:00 CET
			{utc("2026-03-29 21:59"), true}, {utc("2026-03-29 22:00"), false}, // 24:00 CEST
		}, utc("2026-03-28 12:00"), utc("2026-03-28 23:00")},
		{"March: 01:00–04:00 lasts two hours", [][]string{{"01:00", "04:00"}}, []check{
			{utc("2026-03-28 23:59"), false}, {utc("2026-03-29 00:00"), true}, // 01:00 CET
			{utc("2026-03-29 00:59"), true}, {utc("2026-03-29 01:00"), true}, // 01:59 CET, then 03:00 CEST
			{utc("2026-03-29 01:59"), true}, {utc("2026-03-29 02:00"), false}, // 04:00 CEST
		}, utc("2026-03-28 12:00"), utc("2026-03-29 00:00")},
		{"March: a period inside the gap never opens that day", [][]string{{"02:00", "03:00"}}, []check{
			{utc("2026-03-29 00:59"), false}, {utc("2026-03-29 01:00"), false}, {utc("2026-03-29 01:30"), false},
		}, utc("2026-03-28 12:00"), utc("2026-04-05 00:00")}, // a week later, 02:00 CEST
		{"March: a period starting in the gap opens when the clock jumps", [][]string{{"02:30", "04:00"}}, []check{
			{utc("2026-03-29 00:59"), false}, {utc("2026-03-29 01:00"), true}, {utc("2026-03-29 01:59"), true}, {utc("2026-03-29 02:00"), false},
		}, utc("2026-03-28 12:00"), utc("2026-03-29 01:00")}, // 03:00 CEST
		{"October: a whole day lasts 25 hours", [][]string{{"00:00", "24:00"}}, []check{
			{utc("2026-10-24 21:59"), false}, {utc("2026-10-24 22:00"), true}, // 00:00 CEST
			{utc("2026-10-25 22:59"), true}, {utc("2026-10-25 23:00"), false}, // 24:00 CET
		}, utc("2026-10-24 12:00"), utc("2026-10-24 22:00")},
		{"October: 01:00–04:00 lasts four hours", [][]string{{"01:00", "04:00"}}, []check{
			{utc("2026-10-24 22:59"), false}, {utc("2026-10-24 23:00"), true}, // 01:00 CEST
			{utc("2026-10-25 02:59"), true}, {utc("2026-10-25 03:00"), false}, // 04:00 CET
		}, utc("2026-10-24 12:00"), utc("2026-10-24 23:00")},
		{"October: the repeated hour opens twice", [][]string{{"02:00", "02:30"}}, []check{
			{utc("2026-10-24 23:59"), false}, {utc("2026-10-25 00:00"), true}, {utc("2026-10-25 00:29"), true}, // CEST
			{utc("2026-10-25 00:30"), false}, {utc("2026-10-25 00:59"), false},
			{utc("2026-10-25 01:00"), true}, {utc("2026-10-25 01:29"), true}, {utc("2026-10-25 01:30"), false}, // CET
		}, utc("2026-10-25 00:45"), utc("2026-10-25 01:00")}, // the second 02:00
	} {
		t.Run(c.name, func(t *testing.T) {
			s := mustNew(t, "Europe/Zurich", &Week{Sun: c.sunday}, nil, false)
			for _, ch := range c.checks {
				if got := s.IsOpen(ch.at); got != ch.want {
					t.Errorf("IsOpen(%s UTC = %s) = %v, want %v", ch.at.Format("01-02 15:04"), ch.at.In(zurich).Format("15:04 MST"), got, ch.want)
				}
			}
			if got, ok := s.NextOpening(c.from); !ok || !got.Equal(c.next) {
				t.Errorf("NextOpening(%s UTC) = %s, %v; want %s UTC", c.from.Format("01-02 15:04"), got.UTC().Format("01-02 15:04"), ok, c.next.Format("01-02 15:04"))
			}
		})
	}

	// An office day after each change opens at 08:00 local, an hour apart in UTC.
	s := mustNew(t, "Europe/Zurich", office(), nil, false)
	for _, c := range []struct{ from, want time.Time }{
		{zt("2026-03-27 17:00"), zt("2026-03-28 09:00")},  // Saturday before: CET
		{zt("2026-03-28 12:00"), utc("2026-03-30 06:00")}, // Monday after: 08:00 CEST
		{zt("2026-10-24 12:00"), utc("2026-10-26 07:00")}, // Monday after: 08:00 CET
	} {
		if got, ok := s.NextOpening(c.from); !ok || !got.Equal(c.want) {
			t.Errorf("NextOpening(%s) = %s, want %s", c.from, got.UTC(), c.want.UTC())
		}
	}
}

func TestWallInstants(t *testing.T) {
	w := func(s string) Wall { f, _, err := parseWall(s, false); noErr(t, err); return f }
	for _, c := range []struct {
		wall string
		want []time.Time
	}{
		{"2026-03-02T10:00", []time.Time{utc("2026-03-02 09:00")}},
		{"2026-03-29T02:30", nil}, // the gap
		{"2026-03-29T03:00", []time.Time{utc("2026-03-29 01:00")}},
		{"2026-10-25T02:30", []time.Time{utc("2026-10-25 00:30"), utc("2026-10-25 01:30")}}, // the overlap
	} {
		if d := cmp.Diff(c.want, w(c.wall).Instants(zurich)); d != "" {
			t.Errorf("Instants(%s) (-want +got):\n%s", c.wall, d)
		}
	}
}

// TestNextOpeningMatchesBruteForce compares NextOpening with a minute-by-
// minute walk, for random schedules in zones with unusual transitions
// (half-hour daylight saving, a date-line jump, southern summers).
func TestNextOpeningMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	zones := []string{"Europe/Zurich", "America/New_York", "Australia/Lord_Howe", "Australia/Sydney", "Pacific/Apia", "Asia/Kathmandu", "UTC"}
	clock := func() string { return FormatClock(rng.IntN(48) * 30) }
	for n := range 150 {
		zone := zones[n%len(zones)]
		var week *Week
		if n%5 != 0 {
			week = &Week{}
			for d := time.Sunday; d <= time.Saturday; d++ {
				if rng.IntN(3) == 0 {
					continue
				}
				a, b := clock(), clock()
				if a > b {
					a, b = b, a
				}
				if a != b {
					*week.day(d) = [][]string{{a, b}}
				}
			}
		}
		base := time.Date(2024+rng.IntN(3), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), 0, 0, time.UTC)
		var hs []Holiday
		for range rng.IntN(3) {
			from := base.Add(time.Duration(rng.IntN(5*24*60)) * time.Minute).Truncate(time.Minute)
			to := from.Add(time.Duration(30+rng.IntN(3*24*60)) * time.Minute)
			hs = append(hs, Holiday{Name: "h", From: from.Format("2006-01-02T15:04"), To: to.Format("2006-01-02T15:04")})
		}
		s, err := NewSchedule(zone, week, hs, false)
		if err != nil {
			t.Fatalf("case %d: %v", n, err)
		}
		from := base.Add(time.Duration(rng.IntN(3*24*3600)) * time.Second)
		want, wantOK := time.Time{}, false
		if s.IsOpen(from) {
			want, wantOK = from, true
		} else {
			for m := from.Truncate(time.Minute).Add(time.Minute); m.Before(from.Add(20 * 24 * time.Hour)); m = m.Add(time.Minute) {
				if s.IsOpen(m) {
					want, wantOK = m, true
					break
				}
			}
		}
		got, ok := s.NextOpening(from)
		if ok != wantOK || !got.Equal(want) {
			t.Errorf("case %d (%s, week %+v, holidays %+v): NextOpening(%s) = %s, %v; the walk says %s, %v",
				n, zone, week, hs, from.Format(time.RFC3339), got.UTC().Format(time.RFC3339), ok, want.UTC().Format(time.RFC3339), wantOK)
		}
	}
}

func TestParseWeek(t *testing.T) {
	w := Week{Mon: [][]string{{"13:00", "17:00"}, {"8:00", "12:00"}}, Fri: [][]string{{"22:00", "24:00"}}, Sat: [][]string{{"00:00", "02:00"}}}
	days, err := w.Parse()
	noErr(t, err)
	want := Week{Mon: [][]string{{"08:00", "12:00"}, {"13:00", "17:00"}}, Tue: [][]string{}, Wed: [][]string{}, Thu: [][]string{},
		Fri: [][]string{{"22:00", "24:00"}}, Sat: [][]string{{"00:00", "02:00"}}, Sun: [][]string{}}
	if d := cmp.Diff(want, days.Week()); d != "" {
		t.Errorf("canonical week (-want +got):\n%s", d)
	}
	touching := Week{Tue: [][]string{{"08:00", "12:00"}, {"12:00", "13:00"}}}
	if _, err := touching.Parse(); err != nil {
		t.Errorf("touching periods: %v", err)
	}
	many := make([][]string, MaxPeriodsPerDay+1)
	for i := range many {
		many[i] = []string{FormatClock(i * 60), FormatClock(i*60 + 30)}
	}
	for _, c := range []struct {
		name string
		week Week
		want string
	}{
		{"hour 25", Week{Mon: [][]string{{"08:00", "25:00"}}}, `weekly.mon[1]: "25:00" is not a time of day`},
		{"24:30", Week{Tue: [][]string{{"08:00", "24:30"}}}, `weekly.tue[1]: "24:30" is not a time of day`},
		{"minute 60", Week{Wed: [][]string{{"08:60", "09:00"}}}, `weekly.wed[1]: "08:60"`},
		{"one digit minutes", Week{Thu: [][]string{{"8:0", "09:00"}}}, `"8:0" is not a time of day`},
		{"empty", Week{Fri: [][]string{{"", "09:00"}}}, `weekly.fri[1]: "" is not a time of day`},
		{"words", Week{Sat: [][]string{{"noon", "13:00"}}}, `"noon"`},
		{"reversed", Week{Sun: [][]string{{"17:00", "08:00"}}}, `weekly.sun[1]: the period 17:00–08:00 ends before it starts`},
		{"empty period", Week{Mon: [][]string{{"08:00", "08:00"}}}, "ends before it starts"},
		{"overlapping", Week{Mon: [][]string{{"08:00", "12:00"}, {"11:00", "14:00"}}}, "weekly.mon: the periods 08:00–12:00 and 11:00–14:00 overlap"},
		{"overlapping out of order", Week{Mon: [][]string{{"13:00", "17:00"}, {"08:00", "13:30"}}}, "overlap"},
		{"three times", Week{Mon: [][]string{{"08:00", "12:00", "13:00"}}}, `weekly.mon[1]: a period is a pair`},
		{"one time", Week{Mon: [][]string{{"08:00"}}}, `a period is a pair`},
		{"too many", Week{Mon: many}, "weekly.mon: at most 10 periods a day"},
	} {
		if _, err := c.week.Parse(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", c.name, err, c.want)
		}
	}
}

func TestHolidays(t *testing.T) {
	for _, c := range []struct {
		in, want Holiday
	}{
		{Holiday{Name: " Christmas ", From: "2025-12-25"}, Holiday{Name: "Christmas", From: "2025-12-25"}},
		{Holiday{Name: "Two days", From: "2025-12-25", To: "2025-12-26"}, Holiday{Name: "Two days", From: "2025-12-25", To: "2025-12-26"}},
		{Holiday{Name: "One day, written out", From: "2025-12-25T00:00", To: "2025-12-25T24:00"}, Holiday{Name: "One day, written out", From: "2025-12-25"}},
		{Holiday{Name: "Afternoon", From: "2025-12-24T12:00", To: "2025-12-24"}, Holiday{Name: "Afternoon", From: "2025-12-24T12:00", To: "2025-12-24"}},
		{Holiday{Name: "Afternoon", From: "2025-12-24T12:00", To: "2025-12-25T00:00"}, Holiday{Name: "Afternoon", From: "2025-12-24T12:00", To: "2025-12-24"}},
		{Holiday{Name: "Night", From: "2025-12-31T18:00", To: "2026-01-01T06:00"}, Holiday{Name: "Night", From: "2025-12-31T18:00", To: "2026-01-01T06:00"}},
	} {
		got, err := c.in.Canonical()
		noErr(t, err)
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("Canonical(%+v) (-want +got):\n%s", c.in, d)
		}
	}
	for _, c := range []struct {
		h    Holiday
		want string
	}{
		{Holiday{From: "2025-13-01"}, `from: "2025-13-01" is not a date`},
		{Holiday{From: "25-12-2025"}, `from: "25-12-2025" is not a date`},
		{Holiday{From: "2025-12-24T25:00", To: "2025-12-25"}, `from: "2025-12-24T25:00"`},
		{Holiday{From: "2025-12-24T12:00"}, "to: a holiday that starts at a time of day needs an end"},
		{Holiday{From: "2025-12-24", To: "2025-12-23"}, "to: the holiday ends (2025-12-24T00:00) before it starts (2025-12-24T00:00)"},
		{Holiday{From: "2025-12-24T12:00", To: "2025-12-24T08:00"}, "ends (2025-12-24T08:00) before it starts (2025-12-24T12:00)"},
		{Holiday{From: "2025-01-01", To: "2026-12-31"}, "at most 366 days"},
	} {
		if _, _, err := c.h.Span(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Span(%+v) = %v, want an error with %q", c.h, err, c.want)
		}
	}
	if _, err := NewSchedule("Europe/Zurich", nil, []Holiday{{Name: "Ok", From: "2025-12-25"}, {Name: "Bad", From: "x"}}, false); err == nil ||
		!strings.Contains(err.Error(), `holidays[2] ("Bad"): from: "x" is not a date`) {
		t.Errorf("New with a bad holiday: %v", err)
	}
}

func TestZones(t *testing.T) {
	for _, ok := range []string{"Europe/Zurich", "UTC", "America/Argentina/Buenos_Aires", "Pacific/Chatham"} {
		if _, err := LoadZone(ok); err != nil {
			t.Errorf("LoadZone(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Local", "Mars/Olympus", "europe/zurich", "../../etc/passwd", "Europe/Zurich "} {
		if _, err := LoadZone(bad); err == nil || !strings.HasPrefix(err.Error(), "timeZone: ") {
			t.Errorf("LoadZone(%q) = %v, want a timeZone error", bad, err)
		}
	}
	if _, err := NewSchedule("", &Week{}, nil, false); err == nil {
		t.Error("a weekly schedule without a zone is accepted")
	}
	if s, err := NewSchedule("", nil, nil, false); err != nil || !s.IsOpen(time.Now()) {
		t.Errorf("no hours: %v, open %v; want always open", err, err == nil && s.IsOpen(time.Now()))
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// The widget asks on every config poll: both answers must be cheap.
func BenchmarkIsOpen(b *testing.B) {
	s, _ := NewSchedule("Europe/Zurich", office(), []Holiday{{Name: "x", From: "2026-12-24", To: "2026-12-26"}}, false)
	at := zt("2026-03-02 09:30")
	for b.Loop() {
		s.IsOpen(at)
	}
}

func BenchmarkNextOpeningOverWeekend(b *testing.B) {
	s, _ := NewSchedule("Europe/Zurich", office(), []Holiday{{Name: "x", From: "2026-12-24", To: "2026-12-26"}}, false)
	at := zt("2026-03-07 12:30")
	for b.Loop() {
		s.NextOpening(at)
	}
}
