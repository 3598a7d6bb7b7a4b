package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web"
)

// The console's Hours tab and holiday calendars pages: create a calendar
// from its lines, select it on a service, set a weekly schedule; refused
// forms say why and change nothing.
func TestAdminConsoleHours(t *testing.T) {
	t.Parallel()
	clock := newTestClock(inZurich("2026-03-28 12:00")) // a Saturday
	e := newEnv(t, web.Config{Now: clock.Now})
	api := e.adminClient(t)
	root := api.rootOU(t)
	svc := api.createService(t, map[string]any{"name": "Support", "ouId": root.ID})
	c := e.console(t)
	c.signIn(adminEmail, adminPassword)

	p := c.get("/admin/services/" + svc.ID + "/hours")
	if p.status != 200 || !p.has("Always open: no opening hours are set.") || !p.has(`id="hours-tab-link" aria-current="page"`) {
		t.Fatalf("the Hours tab of a service without hours: %d %s", p.status, errorsOf(p))
	}

	// A calendar, its holidays one a line.
	lines := "2026-04-06 Easter Monday\n\n2025-12-31T18:00 – 2026-01-01T06:00 New Year's Eve\n2025-12-24 - 2025-12-26 Christmas"
	c.get("/admin/calendars")
	c.refused("/admin/calendars", url.Values{"form": {"calendar-create"}, "name": {"Bad"}, "ou": {root.ID}, "holidays": {"2026-02-30 Nope"}},
		400, `holidays[1] ("Nope"): from: "2026-02-30" is not a date`)
	p = c.post("/admin/calendars", url.Values{"form": {"calendar-create"}, "name": {"Swiss holidays"}, "ou": {root.ID}, "holidays": {lines}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("create calendar: %d %s", p.status, errorsOf(p))
	}
	calID := regexp.MustCompile(`/admin/calendars/(\w+)$`).FindStringSubmatch(p.location)[1]
	p = c.get(p.location)
	if !p.has("2025-12-24 – 2025-12-26 Christmas\n2025-12-31T18:00 – 2026-01-01T06:00 New Year&#39;s Eve\n2026-04-06 Easter Monday") {
		t.Errorf("the calendar's lines, in order: %s", p.body)
	}
	if p = c.get("/admin/calendars"); !p.has(">Swiss holidays</a>") {
		t.Error("the calendars list lacks the new calendar")
	}

	// Refused hours: the message shows, nothing changes.
	form := func(kv ...string) url.Values {
		v := url.Values{"form": {"hours"}, "timeZone": {"Europe/Zurich"}, "schedule": {"weekly"}, "calendar": {calID}}
		for _, d := range []string{"mon", "tue", "wed", "thu", "fri"} {
			v.Set("day."+d, "08:00–12:00, 13:00–17:00")
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	path := "/admin/services/" + svc.ID + "/hours"
	before := api.snapshot(t, "/api/v1/services/"+svc.ID+"/hours")
	for _, bad := range []struct {
		form url.Values
		want string
	}{
		{form("timeZone", "Europe/Atlantis"), `timeZone: "Europe/Atlantis" is not a known IANA time zone`},
		{form("day.mon", "08:00–25:00"), `weekly.mon[1]: "25:00" is not a time of day`},
		{form("day.tue", "08:00–12:00, 11:00–13:00"), "weekly.tue: the periods 08:00–12:00 and 11:00–13:00 overlap"},
		{form("day.wed", "mornings"), `Wednesday: "mornings" is not a period`},
		{form("calendar", "01unknown"), `Holiday calendar "01unknown" is not available`},
	} {
		p := c.refused(path, bad.form, 400, bad.want)
		if !p.has(`value="`) || !strings.Contains(p.body, `name="day.fri"`) {
			t.Errorf("the refused form is not shown again")
		}
	}
	diffSnapshot(t, "refused forms", before, api.snapshot(t, "/api/v1/services/"+svc.ID+"/hours"))

	p = c.ok(path, form())
	if !p.has("Opening hours saved.") || !p.has("Closed now; opens again Monday 30 March 2026, 08:00 (Europe/Zurich).") ||
		!p.has(`value="08:00–12:00, 13:00–17:00"`) || !p.has(`id="cal-`+calID+`" name="calendar" value="`+calID+`" checked`) {
		t.Errorf("after saving: %s", p.body)
	}
	var h hoursAnswer
	api.ok(t, "GET", "/api/v1/services/"+svc.ID+"/hours", nil, 200, &h)
	if h.Weekly == nil || len(h.Weekly.Mon) != 2 || h.Weekly.Sat == nil || len(h.Weekly.Sat) != 0 || len(h.HolidayCalendarIDs) != 1 {
		t.Errorf("saved through the console: %+v", h.ServiceHours)
	}
	clock.Set(inZurich("2026-03-30 09:00"))
	if p = c.get(path); !p.has("Open now.") {
		t.Errorf("Monday morning: %s", errorsOf(p))
	}
	p = c.ok(path, form("closedNow", "on"))
	if !p.has("Closed now: the emergency switch is on.") {
		t.Errorf("the switch: %s", errorsOf(p))
	}

	// A selected calendar cannot be deleted; once deselected it can.
	c.get("/admin/calendars/" + calID + "/delete")
	c.refused("/admin/calendars/"+calID+"/delete", url.Values{"confirm": {"yes"}}, 409, "is selected by 1 service(s)")
	c.ok(path, form("calendar", "", "schedule", "always"))
	if p = c.ok("/admin/calendars/"+calID+"/delete", url.Values{"confirm": {"yes"}}); !p.has("Holiday calendar deleted.") {
		t.Errorf("after deleting: %s", errorsOf(p))
	}
	entries := getList[interact.AuditEntry](t, api, "/api/v1/audit?action=service.hours_update")
	if len(entries) != 3 {
		t.Errorf("%d hours audit entries, want 3", len(entries))
	}
}
