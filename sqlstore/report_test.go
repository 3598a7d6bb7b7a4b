package sqlstore_test

import (
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
)

// reportTask stores a task of service svc created at created, answered
// after wait (none when negative) and ended after end, with its offers.
func reportTask(t *testing.T, db *sqlstore.DB, tenant, svc, agent string, created time.Time, wait, end time.Duration, outcome string, transfers int, offers ...string) {
	t.Helper()
	task := &interact.Task{ID: interact.NewID(), TenantID: tenant, ServiceID: svc, ContactID: "c", Modality: interact.ModalityChat,
		State: interact.TaskEnded, QueueSeq: 1, CreatedAt: created, QueuedAt: created, Outcome: outcome, Transfers: transfers}
	if wait >= 0 {
		c := created.Add(wait)
		task.ConnectedAt, task.AgentID = &c, agent
	}
	e := created.Add(end)
	task.EndedAt = &e
	noErr(t, db.CreateTask(t.Context(), task, ""))
	var os []*interact.Offer
	for _, out := range offers {
		o := &interact.Offer{ID: interact.NewID(), TenantID: tenant, TaskID: task.ID, ServiceID: svc, AgentID: agent,
			Modality: interact.ModalityChat, OfferedAt: created.Add(time.Second), EndedAt: &e, Outcome: out}
		if out == interact.OfferAccepted {
			o.AnsweredAt = task.ConnectedAt
		}
		os = append(os, o)
	}
	noErr(t, db.SaveRouting(t.Context(), nil, os))
}

// TestReportStore: the service, OU and agent reports read what the store
// holds, bucketed in the asked time zone, and each actor sees only their
// scope: an OU admin the services of their subtree, a plain agent their
// own row, another tenant nothing.
func TestReportStore(t *testing.T) { eachEngine(t, testReportStore) }

func testReportStore(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	chSvc := w.service(t, w.adminA, "CH support", w.ch, interact.LicenseContactCenter, true)
	apSvc := w.service(t, w.adminA, "APAC support", w.apac, interact.LicenseContactCenter, true)
	other := w.service(t, w.adminB, "Beta support", w.rootB, interact.LicenseContactCenter, true)
	zurich, _ := time.LoadLocation("Europe/Zurich")
	day := time.Date(2026, 10, 24, 0, 0, 0, 0, zurich)
	// The 24th: answered in 10 s (100 s talk, one transfer, a RONA first),
	// answered in 30 s, abandoned after 40 s, a 2 s short abandon.
	reportTask(t, w.db, w.a.ID, chSvc.ID, w.agent.UserID, day.Add(9*time.Hour), 10*time.Second, 110*time.Second, interact.OutcomeTransferred, 1,
		interact.OfferRONA, interact.OfferAccepted)
	reportTask(t, w.db, w.a.ID, chSvc.ID, w.agent.UserID, day.Add(23*time.Hour+59*time.Minute+50*time.Second), 30*time.Second, 90*time.Second,
		interact.OutcomeHandled, 0, interact.OfferAccepted)
	reportTask(t, w.db, w.a.ID, chSvc.ID, "", day.Add(10*time.Hour), -1, 40*time.Second, interact.OutcomeHangupInQueue, 0)
	reportTask(t, w.db, w.a.ID, chSvc.ID, "", day.Add(11*time.Hour), -1, 2*time.Second, interact.OutcomeHangupInQueue, 0)
	// The 25th (25 hours long): 23:30 local is 22:30 UTC.
	reportTask(t, w.db, w.a.ID, chSvc.ID, "", time.Date(2026, 10, 25, 23, 30, 0, 0, zurich), -1, time.Minute, interact.OutcomeQueueTimeout, 0)
	reportTask(t, w.db, w.a.ID, apSvc.ID, "", day.Add(12*time.Hour), -1, time.Minute, interact.OutcomeNoAgent, 0)
	reportTask(t, w.db, w.b.ID, other.ID, "", day.Add(12*time.Hour), 5*time.Second, time.Minute, interact.OutcomeHandled, 0)

	q := interact.ReportQuery{Since: day, Until: day.AddDate(0, 0, 2), Interval: interact.ReportDay, Location: zurich}
	rows, err := w.db.ServiceReport(ctx, w.adminA, q)
	noErr(t, err)
	if len(rows) != 3 {
		t.Fatalf("rows %+v", rows)
	}
	byKey := map[string]interact.KPI{}
	for _, r := range rows {
		byKey[r.ServiceID+" "+r.Bucket.Format(time.RFC3339)] = r
	}
	c := byKey[chSvc.ID+" 2026-10-24T00:00:00+02:00"]
	if c.ServiceName != "CH support" || c.Offered != 3 || c.Answered != 2 || c.Abandoned != 1 || c.ShortAbandoned != 1 || c.Transfers != 1 || c.RONA != 1 ||
		*c.Reachability != 0.6667 || *c.ServiceLevel != 0.3333 || *c.ASASeconds != 20 || *c.AHTSeconds != 80 || *c.AvgWaitSeconds != 26.6667 || *c.P90WaitSeconds != 40 {
		t.Errorf("CH on the 24th %+v", c)
	}
	if n := byKey[chSvc.ID+" 2026-10-25T00:00:00+02:00"]; n.Offered != 1 || n.Unanswered != 1 {
		t.Errorf("CH on the 25th %+v", n)
	}
	if a := byKey[apSvc.ID+" 2026-10-24T00:00:00+02:00"]; a.Offered != 1 || a.Unanswered != 1 || *a.Reachability != 0 {
		t.Errorf("APAC %+v", a)
	}

	// The OU admin of EMEA sees CH, not APAC; another tenant's service is not found.
	rows, err = w.db.ServiceReport(ctx, w.emeaAdmin, q)
	noErr(t, err)
	for _, r := range rows {
		if r.ServiceID != chSvc.ID {
			t.Errorf("EMEA admin sees %s", r.ServiceName)
		}
	}
	_, err = w.db.ServiceReport(ctx, w.emeaAdmin, withService(q, apSvc.ID))
	wantCode(t, err, interact.ENOTFOUND)
	_, err = w.db.ServiceReport(ctx, w.adminA, withService(q, other.ID))
	wantCode(t, err, interact.ENOTFOUND)
	_, err = w.db.ServiceReport(ctx, w.adminA, interact.ReportQuery{Since: day, Until: day, Location: zurich})
	wantCode(t, err, interact.EINVALID)

	// OUs: CH's row rolls up into EMEA and the root; the root also has APAC.
	ous, err := w.db.OUReport(ctx, w.adminA, q)
	noErr(t, err)
	offered := map[string]int{}
	for _, r := range ous {
		offered[r.OUName] += r.Offered
	}
	if offered["CH"] != 4 || offered["EMEA"] != 4 || offered["DE"] != 0 || offered["APAC"] != 1 || len(offered) != 4 {
		t.Errorf("OU roll-up %v", offered)
	}
	ous, err = w.db.OUReport(ctx, w.emeaAdmin, q)
	noErr(t, err)
	for _, r := range ous {
		if r.OUID == w.apac {
			t.Errorf("EMEA admin sees APAC")
		}
	}
	_, err = w.db.OUReport(ctx, w.emeaAdmin, withOU(q, w.apac))
	wantCode(t, err, interact.ENOTFOUND)

	// Agents: the agent's two accepted offers and the RONA, on the 24th.
	ag, err := w.db.AgentReport(ctx, w.adminA, q)
	noErr(t, err)
	if len(ag) != 1 || ag[0].UserID != w.agent.UserID || ag[0].UserName != "agent" || ag[0].Offered != 3 || ag[0].Answered != 2 || ag[0].RONA != 1 {
		t.Fatalf("agents %+v", ag)
	}
	self, err := w.db.AgentReport(ctx, w.agent, q)
	noErr(t, err)
	if len(self) != 1 || self[0].UserID != w.agent.UserID {
		t.Errorf("own row %+v", self)
	}
	_, err = w.db.AgentReport(ctx, w.agent, withUser(q, w.emeaAdmin.UserID))
	wantCode(t, err, interact.ENOTFOUND)
	_, err = w.db.AgentReport(ctx, w.adminB, withUser(q, w.agent.UserID))
	wantCode(t, err, interact.ENOTFOUND)
	none, err := w.db.AgentReport(ctx, w.adminB, q)
	noErr(t, err)
	if len(none) != 0 {
		t.Errorf("other tenant sees %+v", none)
	}
}

func withService(q interact.ReportQuery, id string) interact.ReportQuery { q.ServiceID = id; return q }
func withOU(q interact.ReportQuery, id string) interact.ReportQuery      { q.OUID = id; return q }
func withUser(q interact.ReportQuery, id string) interact.ReportQuery    { q.UserID = id; return q }
