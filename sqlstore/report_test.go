package sqlstore_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
)

// reportTask stores a task of service svc created at created, answered
// after wait (none when negative) and ended after end, with its offers.
func reportTask(t *testing.T, db *sqlstore.DB, tenant, svc, agent string, created time.Time, wait, end time.Duration, outcome string, transfers int, offers ...string) string {
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
			o.AnsweredAt, o.ACWMS = task.ConnectedAt, 15_000
		}
		os = append(os, o)
	}
	noErr(t, db.SaveRouting(t.Context(), nil, os))
	return task.ID
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
	rated := reportTask(t, w.db, w.a.ID, chSvc.ID, w.agent.UserID, day.Add(9*time.Hour), 10*time.Second, 110*time.Second, interact.OutcomeTransferred, 1,
		interact.OfferRONA, interact.OfferAccepted)
	reportTask(t, w.db, w.a.ID, chSvc.ID, w.agent.UserID, day.Add(23*time.Hour+59*time.Minute+50*time.Second), 30*time.Second, 90*time.Second,
		interact.OutcomeHandled, 0, interact.OfferAccepted)
	_, _, err := w.db.RateTask(ctx, rated, interact.Rating{Stars: 4})
	noErr(t, err)
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
		*c.Reachability != 0.6667 || *c.ServiceLevel != 0.3333 || *c.ASASeconds != 20 || *c.AHTSeconds != 80 || *c.AvgWaitSeconds != 26.6667 || *c.P90WaitSeconds != 40 || c.ACWSeconds == nil || *c.ACWSeconds != 15 ||
		c.Ratings != 1 || c.RatingAvg == nil || *c.RatingAvg != 4 {
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
	if len(ag) != 1 || ag[0].UserID != w.agent.UserID || ag[0].UserName != "agent" || ag[0].Offered != 3 || ag[0].Answered != 2 || ag[0].RONA != 1 || ag[0].ACWSeconds == nil || *ag[0].ACWSeconds != 15 {
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

// BenchmarkReport measures a report over a 30-day range by day, in a store
// of 1,000,000 sessions spread over a year (about 82,000 in the range) in
// ten services, each with an offer (the answered ones followed by
// after-call work), 5% with a RONA before it. The rows are
// generated in SQL (a recursive series), so the set-up takes seconds.
func BenchmarkReport(b *testing.B) {
	const sessions = 1_000_000
	engines := map[string]func(b *testing.B) string{
		engineSQLite: func(b *testing.B) string { return "sqlite:" + filepath.Join(b.TempDir(), "bench.db") },
	}
	if postgresURL() != "" {
		engines[enginePostgres] = func(b *testing.B) string { return freshPostgresDatabase(b) }
	}
	for _, name := range []string{engineSQLite, enginePostgres} {
		url, ok := engines[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			ctx := b.Context()
			db := openURL(b, url(b))
			tn, admin, err := db.CreateTenant(ctx, interact.System, interact.NewTenant{
				Tenant: interact.Tenant{Name: "Bench"}, AdminEmail: "bench@example.test", AdminPassword: pw,
			})
			noErr(b, err)
			a := actorOf(admin)
			var svcs []string
			for i := range 10 {
				s, err := db.CreateService(ctx, a, interact.Service{Name: fmt.Sprint("Service ", i), OUID: admin.OUID, License: interact.LicenseContactCenter})
				noErr(b, err)
				svcs = append(svcs, s.ID)
			}
			year := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			step := int64(365*24*time.Hour/time.Millisecond) / sessions
			svcCase := "CASE i % 10"
			for i, id := range svcs {
				svcCase += fmt.Sprintf(" WHEN %d THEN '%s'", i, id)
			}
			svcCase += " END"
			started := time.Now()
			// r = i*7919 % 100: < 5 short abandon, < 12 abandoned, < 15 queue
			// timeout, otherwise answered within 0–89 s and talked 60–659 s.
			noErr(b, db.ExecWrite(ctx, `INSERT INTO tasks (id, tenant_id, service_id, contact_id, modality, state, queue_seq,
				created_at, queued_at, connected_at, ended_at, outcome, transfers, acw_ms)
				WITH RECURSIVE n(i) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT i + 1 FROM n WHERE i < `+fmt.Sprint(sessions)+`),
				s(i, r, c) AS (SELECT i, i * 7919 % 100, CAST($2 AS BIGINT) + i * CAST($3 AS BIGINT) FROM n)
				SELECT CAST($1 AS TEXT) || '-' || i, CAST($1 AS TEXT), `+svcCase+`, 'c', 'chat', 'ended', i, c, c,
					CASE WHEN r < 15 THEN 0 ELSE c + (i * 31 % 90) * 1000 END,
					CASE WHEN r < 5 THEN c + (i % 4) * 1000 WHEN r < 12 THEN c + 30000 + (i % 60) * 1000 WHEN r < 15 THEN c + 300000
						ELSE c + (i * 31 % 90) * 1000 + 60000 + (i * 17 % 600) * 1000 END,
					CASE WHEN r < 12 THEN 'customer_hangup_in_queue' WHEN r < 15 THEN 'queue_timeout' WHEN r = 99 THEN 'transferred' ELSE 'handled' END,
					CASE WHEN r = 99 THEN 1 ELSE 0 END, CASE WHEN r < 15 THEN 0 ELSE 5000 + i % 20000 END
				FROM s`, tn.ID, ms(year), step))
			noErr(b, db.ExecWrite(ctx, `INSERT INTO offers (id, tenant_id, task_id, service_id, agent_id, modality, offered_at, answered_at, ended_at, outcome, acw_ms)
				SELECT 'o' || id, tenant_id, id, service_id, 'agent-' || (queue_seq % 50), modality, created_at + 1000, connected_at, ended_at,
					CASE WHEN connected_at > 0 THEN 'accepted' ELSE 'cancelled' END, acw_ms
				FROM tasks WHERE tenant_id = $1`, tn.ID))
			noErr(b, db.ExecWrite(ctx, `INSERT INTO offers (id, tenant_id, task_id, service_id, agent_id, modality, offered_at, ended_at, outcome)
				SELECT 'r' || id, tenant_id, id, service_id, 'agent-' || ((queue_seq + 1) % 50), modality, created_at + 500, created_at + 900, 'rona'
				FROM tasks WHERE tenant_id = $1 AND queue_seq % 20 = 0`, tn.ID))
			noErr(b, db.ExecWrite(ctx, `ANALYZE`))
			b.Logf("%s: %d sessions stored in %s", name, sessions, time.Since(started).Round(time.Millisecond))
			since := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
			q := interact.ReportQuery{Since: since, Until: since.AddDate(0, 0, 30), Interval: interact.ReportDay}
			run := func(name string, report func(interact.ReportQuery) ([]interact.KPI, error), q interact.ReportQuery) {
				b.Run(name, func(b *testing.B) {
					var rows []interact.KPI
					for b.Loop() {
						var err error
						if rows, err = report(q); err != nil {
							b.Fatal(err)
						}
					}
					if len(rows) == 0 {
						b.Fatal("empty report")
					}
				})
			}
			services := func(q interact.ReportQuery) ([]interact.KPI, error) { return db.ServiceReport(ctx, a, q) }
			run("services", services, q)
			run("service", services, withService(q, svcs[3]))
			hourly := q
			hourly.Interval = interact.ReportHour
			run("services-hourly", services, hourly)
			run("agents", func(q interact.ReportQuery) ([]interact.KPI, error) { return db.AgentReport(ctx, a, q) }, q)
			run("ous", func(q interact.ReportQuery) ([]interact.KPI, error) { return db.OUReport(ctx, a, q) }, q)
		})
	}
}

// ms is t in Unix milliseconds, as the store keeps times.
func ms(t time.Time) int64 { return t.UnixMilli() }
