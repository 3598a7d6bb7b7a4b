package interact

import (
	"fmt"
	"sort"
	"time"
)

// Schedule is a compiled schedule, ready to answer IsOpen and NextOpening
// cheaply (the widget asks on every config poll). It is immutable and safe
// for concurrent use.
type Schedule struct {
	loc       *time.Location
	always    bool // no weekly schedule: open around the clock, but for holidays
	days      Days
	closures  []span // the holidays, in order, overlapping ones merged
	closedNow bool
}

// span is [from, to) in wall minutes.
type span struct{ from, to Wall }

// New compiles a schedule in the named zone. A nil week is open around the
// clock except for the holidays; closedNow closes it whatever the rest
// says. With a nil week and no holidays the zone may be empty (UTC).
// Errors name what is wrong, holidays by their position from 1.
func NewSchedule(zone string, week *Week, holidays []Holiday, closedNow bool) (*Schedule, error) {
	s := &Schedule{loc: time.UTC, always: week == nil, closedNow: closedNow}
	if zone != "" || week != nil || len(holidays) > 0 {
		loc, err := LoadZone(zone)
		if err != nil {
			return nil, err
		}
		s.loc = loc
	}
	if week != nil {
		days, err := week.Parse()
		if err != nil {
			return nil, err
		}
		s.days = days
	}
	for i, h := range holidays {
		from, to, err := h.Span()
		if err != nil {
			return nil, fmt.Errorf("holidays[%d] (%q): %w", i+1, h.Name, err)
		}
		s.closures = append(s.closures, span{from, to})
	}
	sort.Slice(s.closures, func(i, j int) bool { return s.closures[i].from < s.closures[j].from })
	merged := s.closures[:0]
	for _, c := range s.closures {
		if n := len(merged); n > 0 && c.from <= merged[n-1].to {
			merged[n-1].to = max(merged[n-1].to, c.to)
			continue
		}
		merged = append(merged, c)
	}
	s.closures = merged
	return s, nil
}

// Location is the schedule's zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// IsOpen reports whether the schedule is open at t.
func (s *Schedule) IsOpen(t time.Time) bool {
	return !s.closedNow && s.openAt(WallOf(t, s.loc))
}

// openAt reports whether the wall-clock time w is open.
func (s *Schedule) openAt(w Wall) bool {
	if !s.always {
		day, m := w.day()
		in := false
		for _, p := range s.days[weekday(day)] {
			if p.Start <= m && m < p.End {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	c, ok := s.closureAt(w)
	return !ok || w >= c.to
}

// closureAt returns the last closure that starts at or before w.
func (s *Schedule) closureAt(w Wall) (span, bool) {
	i := sort.Search(len(s.closures), func(i int) bool { return s.closures[i].from > w }) - 1
	if i < 0 {
		return span{}, false
	}
	return s.closures[i], true
}

// NextOpening returns the first instant at or after t at which the
// schedule is open: t itself when it is open, the start of the next period
// that no holiday covers, the end of a holiday, or the moment a
// daylight-saving jump lands inside a period. It returns false when the
// schedule never opens again: no periods, holidays without end, or the
// "closed now" switch, which stays on until someone turns it off.
func (s *Schedule) NextOpening(t time.Time) (time.Time, bool) {
	if s.closedNow {
		return time.Time{}, false
	}
	if s.IsOpen(t) {
		return t, true
	}
	if !s.always && s.days.Empty() {
		return time.Time{}, false
	}
	var best time.Time
	found := false
	consider := func(i time.Time) {
		if i.After(t) && (!found || i.Before(best)) && s.IsOpen(i) {
			best, found = i, true
		}
	}
	first, _ := WallOf(t, s.loc).day()
	// Past the last holiday the week repeats, so an opening comes within a
	// week of it (at once, around the clock).
	last := first
	if n := len(s.closures); n > 0 {
		if d, _ := s.closures[n-1].to.day(); d > last {
			last = d
		}
	}
	// From the day before: where a zone sets its clock back across
	// midnight, the wall-clock days repeat.
	for day := first - 1; day <= last+8; day++ {
		// Every instant of this wall day lies after day start - 14h: once the
		// best opening so far is before that, no later day can beat it.
		if found && best.Before(time.Unix((day*minutesPerDay-14*60)*60, 0)) {
			break
		}
		start := Wall(day * minutesPerDay)
		// A day a holiday covers whole: skip to the holiday's last day.
		if c, ok := s.closureAt(start); ok && c.to >= start+minutesPerDay {
			if d, _ := c.to.day(); d-1 > day {
				day = d - 1
				continue
			}
		}
		var walls []Wall
		if s.always {
			walls = append(walls, start)
		} else {
			for _, p := range s.days[weekday(day)] {
				walls = append(walls, start+Wall(p.Start))
			}
		}
		// Holidays that end on this day.
		i := sort.Search(len(s.closures), func(i int) bool { return s.closures[i].to >= start })
		for ; i < len(s.closures) && s.closures[i].to < start+minutesPerDay; i++ {
			walls = append(walls, s.closures[i].to)
		}
		for _, w := range walls {
			for _, in := range w.Instants(s.loc) {
				consider(in)
			}
		}
	}
	// Daylight-saving jumps: the clock may land inside a period whose start
	// it skipped.
	limit := best
	if !found {
		limit = time.Unix(((last+9)*minutesPerDay)*60, 0)
	}
	for at := t; at.Before(limit); {
		_, end := at.In(s.loc).ZoneBounds()
		if end.IsZero() || !end.Before(limit) {
			break
		}
		consider(end)
		at = end
	}
	return best, found
}
