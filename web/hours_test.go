package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/web"
)

// End-to-end tests of opening hours: the REST API of a service's hours and
// of holiday calendars, with scope and isolation attacks, and the widget
// out of hours (config, refused tasks, leave-a-message, the queue drained).

// testClock is the clock opening hours are read at; tests move it.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock(t time.Time) *testClock { return &testClock{t: t} }

func (c *testClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var zurich = func() *time.Location { l, _ := time.LoadLocation("Europe/Zurich"); return l }()

// inZurich is a wall-clock time in Zurich.
func inZurich(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, zurich)
	if err != nil {
		panic(err)
	}
	return t
}

// officeHours are Monday to Friday, 08:00–12:00 and 13:00–17:00, in Zurich.
func officeHours(calendars ...string) map[string]any {
	day := [][]string{{"08:00", "12:00"}, {"13:00", "17:00"}}
	if calendars == nil {
		calendars = []string{}
	}
	return map[string]any{"timeZone": "Europe/Zurich", "weekly": map[string]any{"mon": day, "tue": day, "wed": day, "thu": day, "fri": day},
		"holidayCalendarIds": calendars, "closedNow": false}
}

// hoursAnswer is the JSON of GET/PUT …/hours.
type hoursAnswer struct {
	interact.ServiceHours
	Open                       bool                       `json:"open"`
	OpensAt                    *time.Time                 `json:"opensAt"`
	SelectableHolidayCalendars []interact.HolidayCalendar `json:"selectableHolidayCalendars"`
}

func TestHoursAPI(t *testing.T) {
	t.Parallel()
	// Saturday noon, the day before Zurich's clocks go forward.
	clock := newTestClock(inZurich("2026-03-28 12:00"))
	e := newEnv(t, web.Config{Now: clock.Now})
	a := e.adminClient(t)
	root := a.rootOU(t)
	emea := a.createOU(t, "EMEA", root.ID)
	ch := a.createOU(t, "CH", emea.ID)
	de := a.createOU(t, "DE", emea.ID)
	svc := a.createService(t, map[string]any{"name": "Support CH", "ouId": ch.ID})
	deSvc := a.createService(t, map[string]any{"name": "Support DE", "ouId": de.ID})
	a.createUser(t, "de-admin@a.test", "DE admin", de.ID, interact.Licenses{}, interact.Role{Role: interact.RoleOUAdmin, ScopeID: de.ID})
	deAdmin := e.login(t, "de-admin@a.test", userPassword)
	a.createUser(t, "emea-admin@a.test", "EMEA admin", emea.ID, interact.Licenses{}, interact.Role{Role: interact.RoleOUAdmin, ScopeID: emea.ID})
	emeaAdmin := e.login(t, "emea-admin@a.test", userPassword)
	if _, _, err := e.db.CreateTenant(t.Context(), interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: "Tenant B"}, AdminEmail: "admin@b.test", AdminPassword: adminPassword,
	}); err != nil {
		t.Fatal(err)
	}
	other := e.login(t, "admin@b.test", adminPassword)
	hp := "/api/v1/services/" + svc.ID + "/hours"

	// No hours: always open, nothing selected.
	var h hoursAnswer
	a.ok(t, "GET", hp, nil, 200, &h)
	if !h.Open || h.OpensAt != nil || h.TimeZone != "" || h.Weekly != nil || h.HolidayCalendarIDs == nil || len(h.HolidayCalendarIDs) != 0 || h.ClosedNow {
		t.Fatalf("a service without hours: %+v", h)
	}

	// Calendars: list, create, get, update, delete.
	var emeaCal, rootCal, deCal, bCal interact.HolidayCalendar
	a.ok(t, "POST", "/api/v1/holiday-calendars", map[string]any{"name": "EMEA holidays", "ouId": emea.ID, "holidays": []any{
		map[string]any{"name": "Easter Monday", "from": "2026-04-06"},
		map[string]any{"name": "New Year's Eve", "from": "2025-12-31T18:00", "to": "2026-01-01T06:00"},
	}}, 201, &emeaCal)
	if emeaCal.ID == "" || len(emeaCal.Holidays) != 2 || emeaCal.Holidays[0].Name != "New Year's Eve" {
		t.Fatalf("created calendar, holidays in order: %+v", emeaCal)
	}
	a.ok(t, "POST", "/api/v1/holiday-calendars", map[string]any{"name": "Company days", "ouId": root.ID, "holidays": []any{}}, 201, &rootCal)
	deAdmin.ok(t, "POST", "/api/v1/holiday-calendars", map[string]any{"name": "German holidays", "ouId": de.ID, "holidays": []any{}}, 201, &deCal)
	other.ok(t, "POST", "/api/v1/holiday-calendars", map[string]any{"name": "Beta holidays", "ouId": other.rootOU(t).ID}, 201, &bCal)
	var got interact.HolidayCalendar
	a.ok(t, "GET", "/api/v1/holiday-calendars/"+rootCal.ID, nil, 200, &got)
	a.ok(t, "PATCH", "/api/v1/holiday-calendars/"+rootCal.ID, map[string]any{"holidays": []any{map[string]any{"name": "Founders' day", "from": "2026-05-04"}}}, 200, &got)
	if got.Name != "Company days" || len(got.Holidays) != 1 {
		t.Errorf("patched calendar: %+v", got)
	}
	listed := map[string]bool{}
	for _, c := range getList[interact.HolidayCalendar](t, a, "/api/v1/holiday-calendars") {
		listed[c.Name] = true
	}
	if !listed["EMEA holidays"] || !listed["Company days"] || !listed["German holidays"] || listed["Beta holidays"] {
		t.Errorf("tenant A's calendars: %v", listed)
	}
	a.ok(t, "GET", hp, nil, 200, &h)
	var selectable []string
	for _, c := range h.SelectableHolidayCalendars {
		selectable = append(selectable, c.Name)
	}
	if strings.Join(selectable, ",") != "Company days,EMEA holidays" {
		t.Errorf("selectable from CH: %v, want the root's and EMEA's", selectable)
	}

	var chCal interact.HolidayCalendar
	a.ok(t, "POST", "/api/v1/holiday-calendars", map[string]any{"name": "Zurich holidays", "ouId": ch.ID}, 201, &chCal)

	// Bad input: a clear code, nothing changed.
	watched := []string{hp, "/api/v1/holiday-calendars", "/api/v1/holiday-calendars/" + emeaCal.ID, "/api/v1/audit?limit=500"}
	before := a.snapshot(t, watched...)
	with := func(k string, v any) map[string]any { b := officeHours(emeaCal.ID); b[k] = v; return b }
	for _, bad := range []struct {
		body         any
		status       int
		code, naming string
	}{
		{with("timeZone", "Mars/Olympus"), 400, interact.EINVALID, `timeZone: "Mars/Olympus" is not a known IANA time zone`},
		{with("weekly", map[string]any{"mon": [][]string{{"08:00", "25:00"}}}), 400, interact.EINVALID, `weekly.mon[1]: "25:00" is not a time of day`},
		{with("weekly", map[string]any{"tue": [][]string{{"08:00", "12:00"}, {"11:30", "14:00"}}}), 400, interact.EINVALID, "weekly.tue: the periods 08:00–12:00 and 11:30–14:00 overlap"},
		{with("weekly", map[string]any{"wed": [][]string{{"17:00", "08:00"}}}), 400, interact.EINVALID, "weekly.wed[1]: the period 17:00–08:00 ends before it starts"},
		{with("weekly", map[string]any{"monday": [][]string{{"08:00", "12:00"}}}), 400, interact.EINVALID, "monday"},
		{with("holidayCalendarIds", []string{"01nosuchcalendar"}), 400, interact.ECALNOTSELECTABLE, "01nosuchcalendar"},
		{with("holidayCalendarIds", []string{emeaCal.ID, deCal.ID}), 400, interact.ECALNOTSELECTABLE, deCal.ID}, // another OU subtree
		{with("holidayCalendarIds", []string{bCal.ID}), 400, interact.ECALNOTSELECTABLE, bCal.ID},               // another tenant
		{with("holidayCalendarIds", []string{emeaCal.ID, emeaCal.ID}), 400, interact.EINVALID, "selected twice"},
	} {
		msg := a.fail(t, "PUT", hp, bad.body, bad.status, bad.code)
		if !strings.Contains(msg, bad.naming) {
			t.Errorf("PUT %v: %q does not say %q", bad.body, msg, bad.naming)
		}
	}
	a.fail(t, "POST", "/api/v1/holiday-calendars", map[string]any{"name": "Bad", "ouId": emea.ID,
		"holidays": []any{map[string]any{"name": "x", "from": "2026-02-30"}}}, 400, interact.EINVALID)
	a.fail(t, "PATCH", "/api/v1/holiday-calendars/"+emeaCal.ID, map[string]any{"holidays": []any{map[string]any{"name": "x", "from": "2026-01-01T10:00"}}}, 400, interact.EINVALID)
	a.fail(t, "POST", "/api/v1/holiday-calendars", map[string]any{"name": "EMEA holidays", "ouId": root.ID}, 409, interact.ECONFLICT)

	// Attacks from another tenant and another OU subtree: not found, nothing changed.
	for _, m := range []string{"GET", "PUT"} {
		other.fail(t, m, hp, officeHours(), 404, interact.ENOTFOUND)
		deAdmin.fail(t, m, hp, officeHours(), 404, interact.ENOTFOUND)
	}
	for _, m := range []string{"GET", "PATCH", "DELETE"} {
		other.fail(t, m, "/api/v1/holiday-calendars/"+emeaCal.ID, map[string]any{"name": "Ours"}, 404, interact.ENOTFOUND)
	}
	other.fail(t, "POST", "/api/v1/holiday-calendars", map[string]any{"name": "Planted", "ouId": emea.ID}, 404, interact.ENOTFOUND)
	other.fail(t, "PUT", "/api/v1/services/"+svc.ID+"/hours", officeHours(bCal.ID), 404, interact.ENOTFOUND)
	deAdmin.fail(t, "POST", "/api/v1/holiday-calendars", map[string]any{"name": "Planted", "ouId": ch.ID}, 404, interact.ENOTFOUND)
	deAdmin.fail(t, "PATCH", "/api/v1/holiday-calendars/"+emeaCal.ID, map[string]any{"name": "Mine"}, 403, interact.EFORBIDDEN) // read up, not change
	deAdmin.fail(t, "DELETE", "/api/v1/holiday-calendars/"+rootCal.ID, nil, 403, interact.EFORBIDDEN)
	emeaAdmin.fail(t, "PATCH", "/api/v1/holiday-calendars/"+deCal.ID, map[string]any{"ouId": "01elsewhere"}, 404, interact.ENOTFOUND)
	// The DE admin's own service cannot take a calendar of CH, a sibling subtree.
	deAdmin.fail(t, "PUT", "/api/v1/services/"+deSvc.ID+"/hours", officeHours(emeaCal.ID, chCal.ID), 400, interact.ECALNOTSELECTABLE)
	req := a.request(t, "PUT", hp, officeHours())
	req.Header.Del("X-CSRF-Token")
	a.send(t, req).wantError(t, "PUT without the CSRF header", 403, interact.ECSRF)
	diffSnapshot(t, "refused requests", before, a.snapshot(t, watched...))

	// A good PUT: canonical, and closed on a Saturday; the next opening is
	// Monday 08:00, which after the night's change to summer time is 06:00 UTC.
	body := officeHours(emeaCal.ID, rootCal.ID)
	body["weekly"].(map[string]any)["mon"] = [][]string{{"13:00", "17:00"}, {"8:00", "12:00"}}
	a.ok(t, "PUT", hp, body, 200, &h)
	if h.Open || h.OpensAt == nil || !h.OpensAt.Equal(time.Date(2026, 3, 30, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("status on Saturday: open %v, opensAt %v; want closed until 2026-03-30T06:00Z", h.Open, h.OpensAt)
	}
	if h.Weekly == nil || h.Weekly.Mon[0][0] != "08:00" || h.Weekly.Sat == nil || len(h.HolidayCalendarIDs) != 2 || h.HolidayCalendarIDs[0] != emeaCal.ID {
		t.Errorf("saved hours: %+v", h.ServiceHours)
	}
	var reread hoursAnswer
	a.ok(t, "GET", hp, nil, 200, &reread)
	if reread.OpensAt == nil || !reread.OpensAt.Equal(*h.OpensAt) || reread.TimeZone != "Europe/Zurich" {
		t.Errorf("re-read: %+v", reread)
	}
	// Easter Monday (EMEA holidays) moves the opening to Tuesday.
	clock.Set(inZurich("2026-04-03 18:00"))
	a.ok(t, "GET", hp, nil, 200, &reread)
	if reread.OpensAt == nil || !reread.OpensAt.Equal(inZurich("2026-04-07 08:00")) {
		t.Errorf("before Easter: opensAt %v, want Tuesday 08:00", reread.OpensAt)
	}
	// The EMEA admin switches it closed now: no foreseeable opening.
	closedNow := officeHours(emeaCal.ID, rootCal.ID)
	closedNow["closedNow"] = true
	clock.Set(inZurich("2026-04-08 10:00"))
	emeaAdmin.ok(t, "PUT", hp, closedNow, 200, &h)
	if h.Open || h.OpensAt != nil || !h.ClosedNow {
		t.Errorf("closed now: %+v", h)
	}
	a.fail(t, "DELETE", "/api/v1/holiday-calendars/"+emeaCal.ID, nil, 409, interact.ECONFLICT) // selected
	// Back to always open.
	a.ok(t, "PUT", hp, map[string]any{}, 200, &h)
	if !h.Open || h.Weekly != nil || len(h.HolidayCalendarIDs) != 0 {
		t.Errorf("hours cleared: %+v", h)
	}
	a.ok(t, "DELETE", "/api/v1/holiday-calendars/"+emeaCal.ID, nil, 204, nil)

	// Audited, with the actor.
	n := map[string]int{}
	for _, en := range getList[interact.AuditEntry](t, a, "/api/v1/audit?limit=500") {
		if strings.HasPrefix(en.Action, "holiday_calendar.") || en.Action == "service.hours_update" {
			n[en.Action+" by "+en.ActorEmail]++
		}
	}
	for k, want := range map[string]int{
		"holiday_calendar.create by " + adminEmail: 3, "holiday_calendar.create by de-admin@a.test": 1, "holiday_calendar.update by " + adminEmail: 1,
		"holiday_calendar.delete by " + adminEmail: 1, "service.hours_update by " + adminEmail: 2, "service.hours_update by emea-admin@a.test": 1,
	} {
		if n[k] != want {
			t.Errorf("audit %q: %d entries, want %d (all: %v)", k, n[k], want, n)
		}
	}
}

// hoursLive is a live stack whose opening hours are read at clock.
func hoursLive(t *testing.T, clock *testClock) *live {
	t.Parallel()
	return newLiveWith(t, 1, interact.Distribution{Type: interact.DistributeDirect}, func(c *web.Config) {
		c.Now = clock.Now
		c.WidgetRate = 1 << 20
	})
}

// setHours saves the live service's hours through the admin API (which
// clears the widgets' contact cache).
func (l *live) setHours(body map[string]any) {
	l.t.Helper()
	l.adminAPI("PUT", "/api/v1/services/"+l.svc.ID+"/hours", body)
}

func (l *live) leaveClosed(body map[string]any) wresp {
	l.t.Helper()
	return l.widget("POST", "/widget/v1/leave-message?contactId="+l.st.ContactID, shopOrigin, "", body)
}

func TestWidgetOutOfHours(t *testing.T) {
	clock := newTestClock(inZurich("2026-03-28 12:00")) // a Saturday
	l := hoursLive(t, clock)
	key := l.st.WidgetKey

	cfg := l.config(l.st.ContactID, key, shopOrigin)
	if cfg.status != 200 || cfg.body["open"] != true || cfg.body["opensAt"] != nil {
		t.Fatalf("without hours: %d %v, want open", cfg.status, cfg.body)
	}
	if _, ok := cfg.body["opensAt"]; !ok {
		t.Error("the config lacks opensAt")
	}

	l.setHours(officeHours())
	cfg = l.config(l.st.ContactID, key, shopOrigin)
	if cfg.body["open"] != false || cfg.body["opensAt"] != "2026-03-30T06:00:00Z" {
		t.Fatalf("Saturday: open %v, opensAt %v; want closed until Monday 08:00 Zurich (06:00Z, summer time)", cfg.body["open"], cfg.body["opensAt"])
	}
	if av := field(cfg.body, "available"); av["chat"] != false || av["audio"] != false {
		t.Errorf("closed, yet available: %v", av)
	}
	if m := field(cfg.body, "modalities"); m["chat"] != true {
		t.Errorf("the chat modality stays on out of hours (the widget shows the closed view): %v", m)
	}

	tasks := l.taskCount()
	r := l.start(l.st.ContactID, shopOrigin, chatReq(key))
	wantRefused(t, "a chat out of hours", r, http.StatusForbidden, interact.ECLOSED)
	if msg := field(r.body, "error")["message"].(string); !strings.Contains(msg, "2026-03-30T06:00:00Z") {
		t.Errorf("closed message %q does not say when it opens", msg)
	}
	wantRefused(t, "a call out of hours", l.start(l.st.ContactID, shopOrigin, callReq(key, "audio")), http.StatusForbidden, interact.ECLOSED)
	if n := l.taskCount(); n != tasks {
		t.Fatalf("%d tasks after refusals, want %d", n, tasks)
	}

	// Leave a message instead: checked like a chat's pre-chat data, stored once.
	msg := map[string]any{"widgetKey": key, "visitor": map[string]any{"name": "Olga Offhours", "email": "olga@example.test"}, "text": "  Please call me back.  "}
	wantRefused(t, "an empty message", l.leaveClosed(map[string]any{"widgetKey": key, "text": " "}), 400, interact.EINVALID)
	wantRefused(t, "a wrong key", l.leaveClosed(map[string]any{"widgetKey": "wk_nope", "text": "Hi"}), 401, interact.EINVALIDKEY)
	wantRefused(t, "a bad e-mail", l.leaveClosed(map[string]any{"widgetKey": key, "visitor": map[string]any{"email": "not an address"}, "text": "Hi"}), 400, interact.EINVALID)
	left := l.leaveClosed(msg)
	if left.status != 201 || left.body["taskId"] == "" {
		t.Fatalf("leave a message: %d %v", left.status, left.body)
	}
	task, err := l.db.Task(context.Background(), left.body["taskId"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if task.State != interact.TaskEnded || task.Outcome != interact.OutcomeClosed || task.LeftMessage != "Please call me back." ||
		task.Visitor.Email != "olga@example.test" || task.ServiceID != l.svc.ID || task.Origin != shopOrigin {
		t.Errorf("the left message: %+v", task)
	}
	ss, _, err := l.db.Sessions(context.Background(), l.admin, interact.SessionFilter{Outcome: interact.OutcomeClosed})
	if err != nil || len(ss) != 1 {
		t.Errorf("sessions with the outcome closed: %d, %v", len(ss), err)
	}

	// Monday 08:00: open; a message left now is refused (start a chat).
	clock.Set(inZurich("2026-03-30 08:00"))
	cfg = l.config(l.st.ContactID, key, shopOrigin)
	if cfg.body["open"] != true || cfg.body["opensAt"] != nil {
		t.Errorf("Monday 08:00: %v", cfg.body)
	}
	wantRefused(t, "a message while open", l.leaveClosed(msg), http.StatusConflict, interact.ECONFLICT)
	l.begin(shopOrigin, chatReq(key))

	// The emergency switch closes it with no foreseeable opening.
	closedNow := officeHours()
	closedNow["closedNow"] = true
	l.setHours(closedNow)
	cfg = l.config(l.st.ContactID, key, shopOrigin)
	if cfg.body["open"] != false || cfg.body["opensAt"] != nil {
		t.Errorf("closed now: open %v, opensAt %v; want closed, null", cfg.body["open"], cfg.body["opensAt"])
	}
	wantRefused(t, "a chat while closed now", l.start(l.st.ContactID, shopOrigin, chatReq(key)), http.StatusForbidden, interact.ECLOSED)

	// A direct contact has no hours: always open.
	u, err := l.db.CreateUser(context.Background(), l.admin, interact.User{Email: "dana@live.test", Name: "Dana", OUID: l.ouID,
		Licenses: interact.Licenses{ContactCenter: true, InstantMessaging: true, Interact: true}}, "dana-password")
	if err != nil {
		t.Fatal(err)
	}
	on := true
	ust, err := l.db.UpdateInteract(context.Background(), l.admin, interact.OwnerUser, u.ID, interact.InteractUpdate{InstantMessage: &on})
	if err != nil {
		t.Fatal(err)
	}
	if c := l.config(ust.ContactID, ust.WidgetKey, shopOrigin); c.body["open"] != true {
		t.Errorf("a direct contact: %v", c.body)
	}
}

// TestQueueDrainsAtClosing: a task waiting in the queue when the service
// closes is still served — a contact center drains its queue. New tasks
// are refused from the closing minute on; the waiting visitor's page
// resumes its task as usual.
func TestQueueDrainsAtClosing(t *testing.T) {
	clock := newTestClock(inZurich("2026-03-30 16:58")) // a Monday, two minutes before closing
	l := hoursLive(t, clock)
	key := l.st.WidgetKey
	l.setHours(officeHours())

	taskID, token, grant := l.begin(shopOrigin, chatReq(key)) // no agent online: it waits
	v := l.dialVisitorOK(shopOrigin, token, 0)
	if h := data(v.next("hello")); h["state"] != "waiting" {
		t.Fatalf("hello: %v", h)
	}

	clock.Set(inZurich("2026-03-30 17:00"))
	eventually.True(t, "the config to say closed", func() bool { return l.config(l.st.ContactID, key, shopOrigin).body["open"] == false })
	wantRefused(t, "a new chat at closing time", l.start(l.st.ContactID, shopOrigin, chatReq(key)), http.StatusForbidden, interact.ECLOSED)

	// The waiting visitor reloads: the resume token still works.
	r := l.start(l.st.ContactID, shopOrigin, map[string]any{"widgetKey": key, "resumeToken": grant["resumeToken"]})
	if r.status != 200 || r.body["taskId"] != taskID {
		t.Fatalf("resume after closing: %d %v", r.status, r.body)
	}

	// An agent comes online after closing and is offered the waiting task
	// (which may come before the answer to going available: frames are
	// waited for without dropping others).
	agent, _, err := dialWS(t, strings.Replace(l.url, "http", "ws", 1)+"/agent/v1/ws", http.Header{"Authorization": {"Bearer " + l.tokens[0]}})
	if err != nil {
		t.Fatal(err)
	}
	agent.awaitWhere("hello", func(map[string]any) bool { return true })
	agent.send("presence.set", map[string]any{"presence": "available"})
	offer := data(agent.awaitWhere("offer", func(f map[string]any) bool { return field(data(f), "task")["id"] == taskID }))
	agent.reply(agent.send("offer.accept", map[string]any{"offerId": offer["offerId"]}))
	v.awaitWhere("task.state", func(f map[string]any) bool { return data(f)["state"] == "connected" })
	tv, ok := l.engine.Task(taskID)
	if !ok || tv.State != interact.TaskConnected {
		t.Errorf("the drained task: %+v, %v", tv, ok)
	}
}

// countingStore counts the contact look-ups of the widget endpoints.
type countingStore struct {
	web.Store
	mu       sync.Mutex
	contacts int
}

func (s *countingStore) ContactByID(ctx context.Context, tenantID, contactID string) (*interact.Contact, error) {
	s.mu.Lock()
	s.contacts++
	s.mu.Unlock()
	return s.Store.ContactByID(ctx, tenantID, contactID)
}

func (s *countingStore) count() int { s.mu.Lock(); defer s.mu.Unlock(); return s.contacts }

// Widget config is polled every 4 s by every open page: with the contact
// cached, open and opensAt come from the cached schedule, and a poll asks
// the store nothing, while the answer still follows the clock.
func TestConfigHoursFromCache(t *testing.T) {
	clock := newTestClock(inZurich("2026-03-30 11:59"))
	l := hoursLive(t, clock)
	l.setHours(officeHours())
	store := &countingStore{Store: l.db}
	cfg := l.webCfg
	cfg.Now = clock.Now
	srv := web.NewServer(cfg, store)
	t.Cleanup(srv.Close)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	l.url = ts.URL

	if c := l.config(l.st.ContactID, l.st.WidgetKey, shopOrigin); c.body["open"] != true {
		t.Fatalf("before noon: %v", c.body)
	}
	n := store.count()
	clock.Set(inZurich("2026-03-30 12:00")) // lunch
	c := l.config(l.st.ContactID, l.st.WidgetKey, shopOrigin)
	if c.body["open"] != false || c.body["opensAt"] != "2026-03-30T11:00:00Z" {
		t.Errorf("at noon: open %v, opensAt %v; want closed until 13:00 (11:00Z)", c.body["open"], c.body["opensAt"])
	}
	if got := store.count(); got != n {
		t.Errorf("a cached poll looked the contact up %d more times", got-n)
	}
}
