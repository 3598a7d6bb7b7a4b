package adminconsole

// Opening hours: a service's Hours tab and the holiday calendars pages.
// Each weekday's periods are one text field ("08:00–12:00, 13:00–17:00");
// a calendar's holidays are one a line ("2025-12-24T12:00 – 2025-12-24
// Christmas Eve afternoon"). The store checks everything; a refused form
// shows its message and changes nothing.

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/interact-oss/interact"
)

// weekdays in the order the tab lists them.
var weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday, time.Sunday}

// hoursDay is one weekday's field.
type hoursDay struct {
	Key, Label, Value string
}

// hoursCalendar is a calendar the service may select, or has selected.
type hoursCalendar struct {
	interact.HolidayCalendar
	Selected, OutOfReach bool
}

// hoursTab is what the Hours tab shows.
type hoursTab struct {
	H         *interact.ServiceHours
	Status    string
	Open      bool
	Weekly    bool
	Days      []hoursDay
	Calendars []hoursCalendar
}

// periodsText writes a day's periods as the tab's field shows them.
func periodsText(pairs [][]string) string {
	var out []string
	for _, p := range pairs {
		if len(p) == 2 {
			out = append(out, p[0]+"–"+p[1])
		}
	}
	return strings.Join(out, ", ")
}

func (q *adminReq) hoursTab(svc *interact.Service) (*hoursTab, error) {
	h, err := q.s.store.ServiceHours(q.ctx(), q.a, svc.ID)
	if err != nil {
		return nil, err
	}
	tab := &hoursTab{H: h, Weekly: h.Weekly != nil}
	week := interact.Week{}
	if h.Weekly != nil {
		week = *h.Weekly
	}
	days, _ := week.Parse()
	canon := days.Week()
	for _, d := range weekdays {
		key := interact.DayKey(d)
		tab.Days = append(tab.Days, hoursDay{Key: key, Label: d.String(), Value: periodsText(dayOf(&canon, d))})
	}
	selected := map[string]bool{}
	for _, id := range h.HolidayCalendarIDs {
		selected[id] = true
	}
	reach := map[string]bool{}
	for _, c := range h.SelectableCalendars {
		reach[c.ID] = true
		tab.Calendars = append(tab.Calendars, hoursCalendar{HolidayCalendar: c, Selected: selected[c.ID]})
	}
	for _, c := range h.Calendars {
		if !reach[c.ID] {
			tab.Calendars = append(tab.Calendars, hoursCalendar{HolidayCalendar: c, Selected: true, OutOfReach: true})
		}
	}
	sched, err := h.Schedule()
	if err != nil {
		return nil, err
	}
	st := interact.StatusAt(sched, q.s.cfg.Now())
	tab.Open = st.Open
	switch {
	case h.ClosedNow:
		tab.Status = "Closed now: the emergency switch is on. Visitors can leave a message; no new chat or call starts."
	case h.Weekly == nil && len(h.HolidayCalendarIDs) == 0:
		tab.Status = "Always open: no opening hours are set."
	case st.Open:
		tab.Status = "Open now."
	case st.OpensAt != nil:
		tab.Status = "Closed now; opens again " + st.OpensAt.In(sched.Location()).Format("Monday 2 January 2006, 15:04") + " (" + h.TimeZone + ")."
	default:
		tab.Status = "Closed: the weekly schedule has no opening periods."
	}
	return tab, nil
}

func dayOf(w *interact.Week, d time.Weekday) [][]string {
	return map[time.Weekday][][]string{time.Sunday: w.Sun, time.Monday: w.Mon, time.Tuesday: w.Tue, time.Wednesday: w.Wed,
		time.Thursday: w.Thu, time.Friday: w.Fri, time.Saturday: w.Sat}[d]
}

// weekFromForm reads the seven day fields of the Hours tab.
func weekFromForm(f url.Values) (*interact.Week, error) {
	w := &interact.Week{}
	fields := map[time.Weekday]*[][]string{time.Sunday: &w.Sun, time.Monday: &w.Mon, time.Tuesday: &w.Tue, time.Wednesday: &w.Wed,
		time.Thursday: &w.Thu, time.Friday: &w.Fri, time.Saturday: &w.Sat}
	dash := strings.NewReplacer("–", "-", "—", "-", " to ", "-")
	for _, d := range weekdays {
		pairs := [][]string{}
		for _, p := range strings.Split(f.Get("day."+interact.DayKey(d)), ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			from, to, ok := strings.Cut(dash.Replace(p), "-")
			if !ok {
				return nil, interact.Errorf(interact.EINVALID, "%s: %q is not a period (HH:MM–HH:MM, several separated by commas).", d, p)
			}
			pairs = append(pairs, []string{strings.TrimSpace(from), strings.TrimSpace(to)})
		}
		*fields[d] = pairs
	}
	return w, nil
}

func actHours(q *adminReq) (string, string, error) {
	ids := slices.DeleteFunc(slices.Clone(q.r.PostForm["calendar"]), func(id string) bool { return id == "" })
	h := interact.ServiceHours{TimeZone: q.val("timeZone"), ClosedNow: q.on("closedNow"), HolidayCalendarIDs: ids}
	if q.val("schedule") == "weekly" {
		w, err := weekFromForm(q.r.PostForm)
		if err != nil {
			return "", "", err
		}
		h.Weekly = w
	}
	if _, err := q.s.store.SaveServiceHours(q.ctx(), q.a, q.id(), h); err != nil {
		return "", "", err
	}
	return "/admin/services/" + q.id() + "/hours", "Opening hours saved.", nil
}

// Holiday calendars.

// holidayLines writes a calendar's holidays, one a line: FROM [– TO] Name.
func holidayLines(hs []interact.Holiday) string {
	var out []string
	for _, h := range hs {
		l := h.From
		if h.To != "" {
			l += " – " + h.To
		}
		out = append(out, l+" "+h.Name)
	}
	return strings.Join(out, "\n")
}

// holidaysFromLines reads the holidays text area, ignoring blank lines.
func holidaysFromLines(s string) []interact.Holiday {
	out := []interact.Holiday{}
	for _, l := range strings.Split(s, "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		h, rest := interact.Holiday{From: f[0]}, f[1:]
		if len(rest) >= 2 && slices.Contains([]string{"–", "—", "-", "to"}, rest[0]) {
			h.To, rest = rest[1], rest[2:]
		}
		h.Name = strings.Join(rest, " ")
		out = append(out, h)
	}
	return out
}

func viewCalendars(q *adminReq) error {
	cs, err := q.s.store.HolidayCalendars(q.ctx(), q.a)
	if err != nil {
		return err
	}
	_, opts, names, err := q.ouTree()
	if err != nil {
		return err
	}
	q.render("calendars", "Holiday calendars", map[string]any{"Calendars": cs, "Options": opts, "OUNames": names})
	return nil
}

func actCreateCalendar(q *adminReq) (string, string, error) {
	c, err := q.s.store.CreateHolidayCalendar(q.ctx(), q.a, interact.HolidayCalendar{Name: q.val("name"), Description: q.val("description"),
		OUID: q.val("ou"), Holidays: holidaysFromLines(q.r.PostFormValue("holidays"))})
	if err != nil {
		return "", "", err
	}
	return "/admin/calendars/" + c.ID, fmt.Sprintf("Holiday calendar %q created.", c.Name), nil
}

func viewCalendar(q *adminReq) error {
	c, err := q.s.store.HolidayCalendar(q.ctx(), q.a, q.id())
	if err != nil {
		return err
	}
	_, opts, names, err := q.ouTree()
	if err != nil {
		return err
	}
	q.render("calendar", c.Name, map[string]any{"Calendar": c, "Lines": holidayLines(c.Holidays), "Options": opts, "OUNames": names})
	return nil
}

func actUpdateCalendar(q *adminReq) (string, string, error) {
	name, desc, ou, hs := q.val("name"), q.val("description"), q.val("ou"), holidaysFromLines(q.r.PostFormValue("holidays"))
	c, err := q.s.store.UpdateHolidayCalendar(q.ctx(), q.a, q.id(), interact.HolidayCalendarUpdate{Name: &name, Description: &desc, OUID: &ou, Holidays: &hs})
	if err != nil {
		return "", "", err
	}
	return "/admin/calendars/" + c.ID, "Holiday calendar saved.", nil
}

func deleteCalendarOf(q *adminReq) (*deletion, error) {
	c, err := q.s.store.HolidayCalendar(q.ctx(), q.a, q.id())
	if err != nil {
		return nil, err
	}
	return &deletion{
		Heading:     fmt.Sprintf("Delete the holiday calendar “%s”?", c.Name),
		Consequence: "A calendar still selected by a service cannot be deleted: deselect it on the service's Hours tab first. This cannot be undone.",
		Action:      "/admin/calendars/" + c.ID + "/delete", Cancel: "/admin/calendars/" + c.ID, Button: "Delete calendar",
	}, nil
}

func actDeleteCalendar(q *adminReq) (string, string, error) {
	return "/admin/calendars", "Holiday calendar deleted.", q.s.store.DeleteHolidayCalendar(q.ctx(), q.a, q.id())
}
