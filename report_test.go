package interact_test

import (
	"testing"
	"time"

	"github.com/interact-oss/interact"
)

func f(v float64) *float64 { return &v }

func eqF(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// TestReportServiceKPIs computes one day's figures of one service from
// hand-made tasks; the expected figures are worked out by hand below.
func TestReportServiceKPIs(t *testing.T) {
	day := time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC)
	at := func(h, m, s int) int64 {
		return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second).UnixMilli()
	}
	q := interact.ReportQuery{Since: day, Until: day.Add(24 * time.Hour), Interval: interact.ReportDay}
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	r := interact.NewReport(q, false)
	tasks := []interact.ReportTask{
		// answered after 10 s, 300 s of talk, one transfer
		{CreatedMS: at(9, 0, 0), ConnectedMS: at(9, 0, 10), EndedMS: at(9, 5, 10), Outcome: interact.OutcomeTransferred, Transfers: 1, ACWMS: 20_000, Stars: 5},
		// answered after 30 s (outside 20 s), 100 s of talk
		{CreatedMS: at(10, 0, 0), ConnectedMS: at(10, 0, 30), EndedMS: at(10, 2, 10), Outcome: interact.OutcomeHandled, ACWMS: 10_000, Stars: 2},
		// answered after exactly 20 s (within), still connected
		{CreatedMS: at(11, 0, 0), ConnectedMS: at(11, 0, 20), Outcome: ""},
		// abandoned after 40 s
		{CreatedMS: at(12, 0, 0), EndedMS: at(12, 0, 40), Outcome: interact.OutcomeHangupInQueue},
		// short abandon after 3 s: counted apart, not offered
		{CreatedMS: at(13, 0, 0), EndedMS: at(13, 0, 3), Outcome: interact.OutcomeHangupInQueue},
		// queue timeout after 60 s
		{CreatedMS: at(14, 0, 0), EndedMS: at(14, 1, 0), Outcome: interact.OutcomeQueueTimeout},
		// still waiting
		{CreatedMS: at(15, 0, 0)},
		// out of hours: never queued
		{CreatedMS: at(16, 0, 0), EndedMS: at(16, 0, 1), Outcome: interact.OutcomeClosed},
		// outside the period
		{CreatedMS: at(24, 0, 0), ConnectedMS: at(24, 0, 1), EndedMS: at(24, 0, 2)},
	}
	for _, tk := range tasks {
		r.AddTask("svc", tk)
	}
	r.AddRONA("svc", at(9, 0, 5))
	r.AddRONA("svc", at(25, 0, 0)) // outside
	rows := r.Rows(func(key string, k *interact.KPI) { k.ServiceID = key })
	if len(rows) != 1 {
		t.Fatalf("rows %+v", rows)
	}
	k := rows[0]
	// offered 6 (3 answered, 1 abandoned, 1 timeout, 1 waiting); waits
	// 10, 30, 20, 40, 60 → avg 32, p90 (nearest rank 5 of 5) 60.
	if k.ServiceID != "svc" || !k.Bucket.Equal(day) || k.Offered != 6 || k.Answered != 3 || k.Abandoned != 1 || k.ShortAbandoned != 1 ||
		k.Unanswered != 1 || k.Waiting != 1 || k.Transfers != 1 || k.RONA != 1 || k.Ratings != 2 {
		t.Errorf("counts %+v", k)
	}
	checks := []struct {
		name      string
		got, want *float64
	}{
		{"reachability", k.Reachability, f(0.5)},    // 3/6
		{"serviceLevel", k.ServiceLevel, f(0.3333)}, // 2/6 (10 s, 20 s)
		{"asa", k.ASASeconds, f(20)},                // (10+30+20)/3
		{"avgWait", k.AvgWaitSeconds, f(32)},        // 160/5
		{"p90Wait", k.P90WaitSeconds, f(60)},
		{"aht", k.AHTSeconds, f(200)},   // (300+100)/2, the open one not yet
		{"acw", k.ACWSeconds, f(15)},    // (20+10)/2, apart from the handle time
		{"rating", k.RatingAvg, f(3.5)}, // (5+2)/2
	}
	for _, c := range checks {
		if !eqF(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, deref(c.got), deref(c.want))
		}
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestReportThresholds: slaSeconds and shortAbandonSeconds move the lines.
func TestReportThresholds(t *testing.T) {
	day := time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC)
	ms := day.UnixMilli()
	q := interact.ReportQuery{Since: day, Until: day.Add(time.Hour), Interval: interact.ReportHour, SLASeconds: 30, ShortAbandonSeconds: 10}
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	r := interact.NewReport(q, false)
	r.AddTask("s", interact.ReportTask{CreatedMS: ms, ConnectedMS: ms + 30_000, EndedMS: ms + 40_000, Outcome: interact.OutcomeHandled})
	r.AddTask("s", interact.ReportTask{CreatedMS: ms, EndedMS: ms + 9_999, Outcome: interact.OutcomeHangupInQueue})
	r.AddTask("s", interact.ReportTask{CreatedMS: ms, EndedMS: ms + 10_000, Outcome: interact.OutcomeHangupInQueue})
	k := r.Rows(nil)[0]
	if k.Offered != 2 || k.ShortAbandoned != 1 || k.Abandoned != 1 || !eqF(k.ServiceLevel, f(0.5)) {
		t.Errorf("%+v sl %v", k, deref(k.ServiceLevel))
	}
}

// TestReportBuckets: a task belongs to the bucket it entered the queue in,
// even when answered in the next; buckets are local hours and days, and in
// Europe/Zurich the day of the spring change lasts 23 hours and the day of
// the autumn change 25.
func TestReportBuckets(t *testing.T) {
	zurich, err := time.LoadLocation("Europe/Zurich")
	if err != nil {
		t.Fatal(err)
	}
	// Spring: 2026-03-29 02:00 CET → 03:00 CEST. Autumn: 2026-10-25 03:00 CEST → 02:00 CET.
	q := interact.ReportQuery{Since: time.Date(2026, 3, 28, 0, 0, 0, 0, zurich), Until: time.Date(2026, 3, 31, 0, 0, 0, 0, zurich),
		Interval: interact.ReportDay, Location: zurich}
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	b := q.Buckets()
	if len(b) != 3 || b[1].Sub(b[0]) != 24*time.Hour || b[2].Sub(b[1]) != 23*time.Hour {
		t.Fatalf("spring buckets %v", b)
	}
	r := interact.NewReport(q, false)
	// 23:59:50 local on the 28th, answered at 00:00:10 on the 29th: the 28th.
	created := time.Date(2026, 3, 28, 23, 59, 50, 0, zurich).UnixMilli()
	r.AddTask("s", interact.ReportTask{CreatedMS: created, ConnectedMS: created + 20_000, EndedMS: created + 80_000, Outcome: interact.OutcomeHandled, ACWMS: 30_000})
	// 23:30 on the 29th local = 21:30 UTC: still the 29th (a UTC day would say so too, but 22:30 UTC would not).
	late := time.Date(2026, 3, 29, 23, 30, 0, 0, zurich).UnixMilli()
	r.AddTask("s", interact.ReportTask{CreatedMS: late, EndedMS: late + 60_000, Outcome: interact.OutcomeHangupInQueue})
	// 00:30 on the 30th local = 22:30 UTC on the 29th: the 30th.
	next := time.Date(2026, 3, 30, 0, 30, 0, 0, zurich).UnixMilli()
	r.AddTask("s", interact.ReportTask{CreatedMS: next, EndedMS: next + 60_000, Outcome: interact.OutcomeHangupInQueue})
	rows := r.Rows(nil)
	if len(rows) != 3 || !rows[0].Bucket.Equal(b[0]) || rows[0].Answered != 1 || !rows[1].Bucket.Equal(b[1]) || rows[1].Abandoned != 1 ||
		!rows[2].Bucket.Equal(b[2]) || rows[2].Abandoned != 1 || !eqF(rows[0].ACWSeconds, f(30)) {
		t.Fatalf("spring rows %+v", rows)
	}
	if got := rows[1].Bucket.Format(time.RFC3339); got != "2026-03-29T00:00:00+01:00" {
		t.Errorf("bucket label %s", got)
	}
	if got := rows[2].Bucket.Format(time.RFC3339); got != "2026-03-30T00:00:00+02:00" {
		t.Errorf("bucket label %s", got)
	}

	autumn := interact.ReportQuery{Since: time.Date(2026, 10, 25, 0, 0, 0, 0, zurich), Until: time.Date(2026, 10, 26, 0, 0, 0, 0, zurich),
		Interval: interact.ReportDay, Location: zurich}
	if err := autumn.Validate(); err != nil {
		t.Fatal(err)
	}
	if b := autumn.Buckets(); len(b) != 1 || autumn.Until.Sub(b[0]) != 25*time.Hour {
		t.Fatalf("autumn day %v", b)
	}
	// By hour, the autumn day has 25 buckets, 02:00 twice (+02:00, then +01:00).
	autumn.Interval = interact.ReportHour
	hb := autumn.Buckets()
	if len(hb) != 25 || hb[2].Format(time.RFC3339) != "2026-10-25T02:00:00+02:00" || hb[3].Format(time.RFC3339) != "2026-10-25T02:00:00+01:00" {
		t.Fatalf("autumn hours %v", hb)
	}
	hr := interact.NewReport(autumn, false)
	second := time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC).UnixMilli() // 02:30 CET, the second 02:30
	hr.AddTask("s", interact.ReportTask{CreatedMS: second, EndedMS: second + 60_000, Outcome: interact.OutcomeQueueTimeout})
	if rows := hr.Rows(nil); len(rows) != 1 || !rows[0].Bucket.Equal(hb[3]) {
		t.Fatalf("repeated hour rows %+v", rows)
	}
}

// TestReportAgentKPIs: offers per agent.
func TestReportAgentKPIs(t *testing.T) {
	h := time.Date(2026, 6, 10, 9, 0, 0, 0, time.UTC)
	ms := h.UnixMilli()
	q := interact.ReportQuery{Since: h, Until: h.Add(time.Hour), Interval: interact.ReportHour}
	if err := q.Validate(); err != nil {
		t.Fatal(err)
	}
	r := interact.NewReport(q, true)
	r.AddOffer(interact.ReportOffer{AgentID: "a", OfferedMS: ms, AnsweredMS: ms + 4_000, EndedMS: ms + 124_000, Outcome: interact.OfferAccepted, ACWMS: 12_000})
	r.AddOffer(interact.ReportOffer{AgentID: "a", OfferedMS: ms, AnsweredMS: ms + 30_000, EndedMS: ms + 90_000, Outcome: interact.OfferTransferred})
	r.AddOffer(interact.ReportOffer{AgentID: "a", OfferedMS: ms, EndedMS: ms + 20_000, Outcome: interact.OfferRONA})
	r.AddOffer(interact.ReportOffer{AgentID: "a", OfferedMS: ms, EndedMS: ms + 2_000, Outcome: interact.OfferDeclined})
	r.AddOffer(interact.ReportOffer{AgentID: "b", OfferedMS: ms, EndedMS: ms + 1_000, Outcome: interact.OfferCancelled})
	rows := r.Rows(nil)
	if len(rows) != 2 {
		t.Fatalf("rows %+v", rows)
	}
	a := rows[0]
	if a.Offered != 4 || a.Answered != 2 || a.RONA != 1 || a.Declined != 1 || a.Transfers != 1 ||
		!eqF(a.Reachability, f(0.5)) || !eqF(a.ServiceLevel, f(0.25)) || !eqF(a.ASASeconds, f(17)) || !eqF(a.AHTSeconds, f(90)) ||
		a.AvgWaitSeconds != nil || a.P90WaitSeconds != nil || !eqF(a.ACWSeconds, f(12)) {
		t.Errorf("agent a %+v", a)
	}
}

// TestReportQueryValidate refuses bad queries.
func TestReportQueryValidate(t *testing.T) {
	now := time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC)
	for _, q := range []interact.ReportQuery{
		{Since: now, Until: now},
		{Since: now.Add(time.Hour), Until: now},
		{Since: now, Until: now.AddDate(0, 0, 367)},
		{Since: now, Until: now.Add(time.Hour), Interval: "week"},
		{Until: now},
		{Since: now, Until: now.Add(time.Hour), SLASeconds: -1},
	} {
		if err := q.Validate(); interact.ErrorCode(err) != interact.EINVALID {
			t.Errorf("%+v: %v", q, err)
		}
	}
	ok := interact.ReportQuery{Since: now, Until: now.AddDate(0, 0, 366)}
	if err := ok.Validate(); err != nil || ok.Interval != interact.ReportDay || ok.SLASeconds != 20 || ok.ShortAbandonSeconds != 5 || ok.Location != time.UTC {
		t.Errorf("defaults %+v %v", ok, err)
	}
	if p := interact.Percentile([]int64{5, 1, 4, 2, 3, 6, 7, 8, 9, 10}, 90); p != 9 {
		t.Errorf("p90 %d", p)
	}
}
