package interact

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // zones without a zone database on the host
)

// The arithmetic of opening hours: a weekly schedule of
// opening periods in an IANA time zone, holidays that close it, an
// emergency "closed now" switch, and the two questions the widget asks —
// is it open at an instant, and when does it open next.
//
// Times of day and holiday bounds are wall-clock times in the schedule's
// zone. An instant is open when its wall-clock time (to the minute) lies in
// a period of its weekday and in no holiday. That one rule settles the
// daylight-saving days: on the spring-forward day the skipped hour never
// happens (02:00–03:00 in Europe/Zurich), so a period 01:00–04:00 lasts two
// hours, a period inside the gap never opens, and one that starts inside it
// opens when the clock jumps; on the fall-back day the repeated hour happens
// twice, so 01:00–04:00 lasts four hours. Periods do not cross midnight:
// write 22:00–24:00 and, on the next day, 00:00–02:00.
//
// This file embeds time/tzdata, so zones load on hosts without a zone
// database (distroless images, minimal containers). These functions know
// nothing of services: openinghours.go applies them to a service's hours
// and wraps their errors in error codes.

// Bounds of a schedule.
const (
	MaxPeriodsPerDay = 10
	// MaxHolidayLength bounds one holiday, which catches a mistyped year
	// and keeps the search for the next opening short.
	MaxHolidayLength = 366 * 24 * time.Hour
)

// minutesPerDay is the length of a wall-clock day.
const minutesPerDay = 24 * 60

// Period is one opening period of a day, from Start to End minutes after
// local midnight: [Start, End), 0 <= Start < End <= 1440.
type Period struct{ Start, End int }

// Days are the opening periods of each weekday, indexed by time.Weekday
// (Sunday first), each day's in order and without overlaps.
type Days [7][]Period

// Week is a weekly schedule as JSON carries it: per day, its opening
// periods as ["HH:MM", "HH:MM"] pairs, the start before the end; "24:00"
// ends a day. A day without periods is closed.
type Week struct {
	Mon [][]string `json:"mon"`
	Tue [][]string `json:"tue"`
	Wed [][]string `json:"wed"`
	Thu [][]string `json:"thu"`
	Fri [][]string `json:"fri"`
	Sat [][]string `json:"sat"`
	Sun [][]string `json:"sun"`
}

// dayKeys are the JSON names of the days, by time.Weekday.
var dayKeys = [7]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// DayKey is the JSON name of a weekday ("mon", …).
func DayKey(d time.Weekday) string { return dayKeys[d] }

func (w *Week) day(d time.Weekday) *[][]string {
	return [7]*[][]string{&w.Sun, &w.Mon, &w.Tue, &w.Wed, &w.Thu, &w.Fri, &w.Sat}[d]
}

// Parse checks the week and returns its periods. Errors name the day and
// the period: `weekly.mon[2]: "25:00" is not a time of day …`.
func (w Week) Parse() (Days, error) {
	var out Days
	for d := time.Sunday; d <= time.Saturday; d++ {
		raw := *w.day(d)
		if len(raw) > MaxPeriodsPerDay {
			return Days{}, fmt.Errorf("weekly.%s: at most %d periods a day", dayKeys[d], MaxPeriodsPerDay)
		}
		ps := []Period{}
		for i, pair := range raw {
			at := fmt.Sprintf("weekly.%s[%d]", dayKeys[d], i+1)
			if len(pair) != 2 {
				return Days{}, fmt.Errorf(`%s: a period is a pair ["HH:MM", "HH:MM"]`, at)
			}
			start, err := parseClock(pair[0])
			if err != nil {
				return Days{}, fmt.Errorf("%s: %w", at, err)
			}
			end, err := parseClock(pair[1])
			if err != nil {
				return Days{}, fmt.Errorf("%s: %w", at, err)
			}
			if end <= start {
				return Days{}, fmt.Errorf("%s: the period %s–%s ends before it starts (periods do not cross midnight: end the day at 24:00 and start the next at 00:00)",
					at, pair[0], pair[1])
			}
			ps = append(ps, Period{start, end})
		}
		sort.Slice(ps, func(i, j int) bool { return ps[i].Start < ps[j].Start })
		for i := 1; i < len(ps); i++ {
			if ps[i].Start < ps[i-1].End {
				return Days{}, fmt.Errorf("weekly.%s: the periods %s and %s overlap", dayKeys[d], ps[i-1], ps[i])
			}
		}
		out[d] = ps
	}
	return out, nil
}

// Week returns the days in canonical JSON form: periods in order, times as
// HH:MM, a day without periods as [].
func (ds Days) Week() Week {
	var w Week
	for d := time.Sunday; d <= time.Saturday; d++ {
		pairs := [][]string{}
		for _, p := range ds[d] {
			pairs = append(pairs, []string{FormatClock(p.Start), FormatClock(p.End)})
		}
		*w.day(d) = pairs
	}
	return w
}

// Empty reports whether no day has a period: the schedule never opens.
func (ds Days) Empty() bool {
	for _, ps := range ds {
		if len(ps) > 0 {
			return false
		}
	}
	return true
}

func (p Period) String() string { return FormatClock(p.Start) + "–" + FormatClock(p.End) }

// parseClock reads a time of day, "HH:MM" (or "H:MM") from 00:00 to 24:00,
// as minutes after midnight.
func parseClock(s string) (int, error) {
	bad := fmt.Errorf("%q is not a time of day (HH:MM, 00:00 to 24:00)", s)
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 || !digits(h) || !digits(m) {
		return 0, bad
	}
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	if hh > 24 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, bad
	}
	return hh*60 + mm, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// FormatClock writes minutes after midnight as HH:MM (1440 as 24:00).
func FormatClock(m int) string { return fmt.Sprintf("%02d:%02d", m/60, m%60) }

// LoadZone loads an IANA time zone by name ("Europe/Zurich", "UTC").
// "Local" and "" are refused: a schedule's zone must not depend on the host.
func LoadZone(name string) (*time.Location, error) {
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("timeZone: give an IANA time zone such as \"Europe/Zurich\" (got %q)", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("timeZone: %q is not a known IANA time zone (such as \"Europe/Zurich\")", name)
	}
	return loc, nil
}

// Wall is a wall-clock time without a zone: minutes since 1970-01-01 00:00
// on a local clock.
type Wall int64

// WallOf is the wall-clock time of t in loc, to the minute.
func WallOf(t time.Time, loc *time.Location) Wall {
	t = t.In(loc)
	y, mo, d := t.Date()
	h, mi, _ := t.Clock()
	return Wall(civilDay(y, mo, d)*minutesPerDay + int64(h*60+mi))
}

func civilDay(y int, m time.Month, d int) int64 {
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// day is the wall time's day number (days since 1970-01-01) and minute of the day.
func (w Wall) day() (int64, int) {
	d := int64(w) / minutesPerDay
	m := int(int64(w) % minutesPerDay)
	if m < 0 {
		d, m = d-1, m+minutesPerDay
	}
	return d, m
}

// weekday of a day number: 1970-01-01 was a Thursday.
func weekday(day int64) time.Weekday { return time.Weekday(((day+4)%7 + 7) % 7) }

// String writes the wall time as YYYY-MM-DDTHH:MM.
func (w Wall) String() string {
	return time.Unix(int64(w)*60, 0).UTC().Format("2006-01-02T15:04")
}

// Instants returns the instants whose wall-clock time in loc is w: none in
// a daylight-saving gap, two in an overlap (earlier first), else one.
func (w Wall) Instants(loc *time.Location) []time.Time {
	u := time.Unix(int64(w)*60, 0)
	var out []time.Time
	seen := map[int]bool{}
	// Zone offsets lie within -12h and +14h: the instants are within
	// [u-14h, u+12h]. Probing the offsets at both ends and in the middle
	// finds both sides of any one transition in that span.
	for _, probe := range []time.Time{u.Add(-14 * time.Hour), u, u.Add(12 * time.Hour)} {
		_, off := probe.In(loc).Zone()
		if seen[off] {
			continue
		}
		seen[off] = true
		if i := u.Add(-time.Duration(off) * time.Second); WallOf(i, loc) == w {
			out = append(out, i)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	if len(out) == 2 && out[0].Equal(out[1]) {
		out = out[:1]
	}
	return out
}

// Holiday closes a schedule from From to To, wall-clock times in the
// schedule's zone. From is a date, "2025-12-24" (from the start of that
// day), or a local time, "2025-12-24T12:00". To is a date, "2025-12-26"
// (to the end of that day, inclusive), a local time ("2026-01-01T08:00":
// a holiday may span midnight), or empty: the end of From's day (From
// must then be a date).
type Holiday struct {
	Name string `json:"name"`
	From string `json:"from"`
	To   string `json:"to,omitempty"`
}

// Span returns the holiday's bounds, [from, to).
func (h Holiday) Span() (from, to Wall, err error) {
	from, fromDate, err := parseWall(h.From, false)
	if err != nil {
		return 0, 0, fmt.Errorf("from: %w", err)
	}
	switch {
	case h.To == "" && !fromDate:
		return 0, 0, errors.New("to: a holiday that starts at a time of day needs an end (to)")
	case h.To == "":
		to = from + minutesPerDay
	default:
		if to, _, err = parseWall(h.To, true); err != nil {
			return 0, 0, fmt.Errorf("to: %w", err)
		}
	}
	if to <= from {
		return 0, 0, fmt.Errorf("to: the holiday ends (%s) before it starts (%s)", to, from)
	}
	if time.Duration(to-from)*time.Minute > MaxHolidayLength {
		return 0, 0, errors.New("to: a holiday lasts at most 366 days")
	}
	return from, to, nil
}

// Canonical returns the holiday with its name trimmed and its bounds
// written canonically: a bound at midnight as a date (From as the start of
// that day, To as the end of the day before), others as
// YYYY-MM-DDTHH:MM, and To left out for exactly one whole day.
func (h Holiday) Canonical() (Holiday, error) {
	from, to, err := h.Span()
	if err != nil {
		return h, err
	}
	fd, fm := from.day()
	td, tm := to.day()
	out := Holiday{Name: strings.TrimSpace(h.Name)}
	dateOf := func(day int64) string { return Wall(day * minutesPerDay).String()[:10] }
	if fm == 0 {
		out.From = dateOf(fd)
	} else {
		out.From = from.String()
	}
	switch {
	case fm == 0 && tm == 0 && td == fd+1:
		// exactly one whole day: To stays empty
	case tm == 0:
		out.To = dateOf(td - 1) // to the end of that day
	default:
		out.To = to.String()
	}
	return out, nil
}

// parseWall reads "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM". A date alone is the
// start of its day, or, as an end (isEnd), the end of it. T24:00 is the
// end of the day.
func parseWall(s string, isEnd bool) (w Wall, isDate bool, err error) {
	bad := fmt.Errorf("%q is not a date (YYYY-MM-DD) or a local time (YYYY-MM-DDTHH:MM)", s)
	date, clock, hasClock := strings.Cut(s, "T")
	d, err := time.Parse("2006-01-02", date)
	if err != nil || len(date) != 10 {
		return 0, false, bad
	}
	day := d.Unix() / 86400
	if !hasClock {
		if isEnd {
			day++
		}
		return Wall(day * minutesPerDay), true, nil
	}
	m, err := parseClock(clock)
	if err != nil || len(clock) != 5 {
		return 0, false, bad
	}
	return Wall(day*minutesPerDay + int64(m)), false, nil
}
