package interact

import (
	"math"
	"slices"
	"sort"
	"time"
)

// KPI reports: the figures of services and agents for a period, bucketed
// by hour or day in a time zone. The definitions live here, on plain rows
// (ReportTask, ReportOffer) the store reads; the README writes them down.
//
// A service session (task) belongs to the bucket of the time it entered
// the queue first (its created time); an agent's user session (offer) to
// the bucket of the time it was offered. A session is counted once, in
// that bucket, even when it is answered or ends in a later one.

// Report intervals.
const (
	ReportHour = "hour"
	ReportDay  = "day"
)

// Report defaults and bounds.
const (
	DefaultSLASeconds          = 20
	DefaultShortAbandonSeconds = 5
	MaxReportDays              = 366
	MaxReportSeconds           = 3600 // bound of slaSeconds and shortAbandonSeconds
)

// ReportQuery selects a report: the half-open period [Since, Until), the
// bucket interval and time zone, optionally one service or one user, and
// the thresholds.
type ReportQuery struct {
	Since, Until time.Time
	Interval     string
	Location     *time.Location
	ServiceID    string
	UserID       string
	OUID         string
	// SLASeconds: an answer within this wait counts towards the service
	// level. ShortAbandonSeconds: a visitor who leaves the queue sooner is
	// a short abandon, counted apart and not offered.
	SLASeconds          int
	ShortAbandonSeconds int
}

// Validate fills in the defaults and refuses a bad query with invalid_input.
func (q *ReportQuery) Validate() error {
	if q.Interval == "" {
		q.Interval = ReportDay
	}
	if q.Interval != ReportHour && q.Interval != ReportDay {
		return Errorf(EINVALID, "interval must be hour or day (got %q).", q.Interval)
	}
	if q.Location == nil {
		q.Location = time.UTC
	}
	if q.Since.IsZero() || q.Until.IsZero() {
		return Errorf(EINVALID, "since and until are both required (RFC 3339 times).")
	}
	if !q.Since.Before(q.Until) {
		return Errorf(EINVALID, "since must be before until.")
	}
	if q.Until.Sub(q.Since) > MaxReportDays*24*time.Hour {
		return Errorf(EINVALID, "A report covers at most %d days.", MaxReportDays)
	}
	if q.SLASeconds == 0 {
		q.SLASeconds = DefaultSLASeconds
	}
	if q.ShortAbandonSeconds == 0 {
		q.ShortAbandonSeconds = DefaultShortAbandonSeconds
	}
	if q.SLASeconds < 1 || q.SLASeconds > MaxReportSeconds {
		return Errorf(EINVALID, "slaSeconds must be from 1 to %d.", MaxReportSeconds)
	}
	if q.ShortAbandonSeconds < 0 || q.ShortAbandonSeconds > MaxReportSeconds {
		return Errorf(EINVALID, "shortAbandonSeconds must be from 0 to %d.", MaxReportSeconds)
	}
	return nil
}

// BucketStart is the start of the bucket holding t: the local hour or the
// local midnight in q's time zone. Across a DST change a day bucket lasts
// 23 or 25 hours; an hour repeated by the change is two buckets, told
// apart by their offsets.
func (q ReportQuery) BucketStart(t time.Time) time.Time {
	l := t.In(q.Location)
	if q.Interval == ReportHour {
		return l.Add(-time.Duration(l.Minute())*time.Minute - time.Duration(l.Second())*time.Second - time.Duration(l.Nanosecond()))
	}
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, q.Location)
}

// Buckets are the starts of the buckets covering [Since, Until), in order.
func (q ReportQuery) Buckets() []time.Time {
	var out []time.Time
	for b := q.BucketStart(q.Since); b.Before(q.Until); {
		out = append(out, b)
		var next time.Time
		if q.Interval == ReportHour {
			next = q.BucketStart(b.Add(time.Hour))
		} else {
			next = q.BucketStart(time.Date(b.Year(), b.Month(), b.Day()+1, 12, 0, 0, 0, q.Location))
		}
		b = next
	}
	return out
}

// ReportTask is what a service report reads of one task: times in Unix
// milliseconds, 0 when not (yet) reached.
type ReportTask struct {
	ServiceID   string
	CreatedMS   int64 // entered the queue first
	ConnectedMS int64 // first accepted by an agent
	EndedMS     int64
	Outcome     string
	Transfers   int
	ACWMS       int64 // after-call work after its user sessions
	Stars       int   // the visitor's rating, 1–5; 0 none
}

// ReportOffer is what an agent report reads of one offer (user session);
// it also carries the RONA of service reports.
type ReportOffer struct {
	AgentID    string
	ServiceID  string
	OfferedMS  int64
	AnsweredMS int64
	EndedMS    int64
	Outcome    string
	ACWMS      int64
}

// KPI is one row of a report: one service, agent or OU, one bucket.
// Ratios and averages are null when nothing was there to divide by.
type KPI struct {
	ServiceID      string    `json:"serviceId,omitempty"`
	ServiceName    string    `json:"serviceName,omitempty"`
	UserID         string    `json:"userId,omitempty"`
	UserName       string    `json:"userName,omitempty"`
	OUID           string    `json:"ouId,omitempty"`
	OUName         string    `json:"ouName,omitempty"`
	Bucket         time.Time `json:"bucket"`
	Offered        int       `json:"offered"`
	Answered       int       `json:"answered"`
	Abandoned      int       `json:"abandoned"`
	ShortAbandoned int       `json:"shortAbandoned"`
	Unanswered     int       `json:"unanswered"`
	Waiting        int       `json:"waiting"`
	Reachability   *float64  `json:"reachability"`
	ServiceLevel   *float64  `json:"serviceLevel"`
	ASASeconds     *float64  `json:"asaSeconds"`
	AvgWaitSeconds *float64  `json:"avgWaitSeconds"`
	P90WaitSeconds *float64  `json:"p90WaitSeconds"`
	AHTSeconds     *float64  `json:"ahtSeconds"`
	// ACWSeconds is the average after-call work of the sessions followed
	// by some, kept apart from the handle time.
	ACWSeconds *float64 `json:"acwSeconds"`
	Transfers  int      `json:"transfers"`
	RONA       int      `json:"rona"`
	Declined   int      `json:"declined"`
	// Ratings counts the rated sessions (service and OU reports);
	// RatingAvg is their average, 1–5 stars.
	Ratings   int      `json:"ratings"`
	RatingAvg *float64 `json:"ratingAvg"`
}

// kpiAcc sums one row.
type kpiAcc struct {
	KPI
	within    int
	sumAnswer int64 // ms, over answered
	sumHandle int64 // ms, over answered and ended
	nHandle   int
	sumACW    int64 // ms, over sessions followed by after-call work
	nACW      int
	sumWait   int64 // ms, over offered that stopped waiting
	nWait     int
	sumStars  int64
	waits     []int64
}

// Report aggregates rows into KPI rows per key (service, agent or OU) and
// bucket. Add rows in any order; Rows sorts.
type Report struct {
	q       ReportQuery
	starts  []int64 // bucket starts, ms
	buckets []time.Time
	untilMS int64
	rows    map[reportKey]*kpiAcc
	agent   bool
}

type reportKey struct {
	id     string
	bucket int
}

// NewReport starts a report over q (validated). agent: rows are agents,
// fed by AddOffer; otherwise services or OUs, fed by AddTask and AddRONA.
func NewReport(q ReportQuery, agent bool) *Report {
	r := &Report{q: q, buckets: q.Buckets(), untilMS: q.Until.UnixMilli(), rows: map[reportKey]*kpiAcc{}, agent: agent}
	r.starts = make([]int64, len(r.buckets))
	for i, b := range r.buckets {
		r.starts[i] = b.UnixMilli()
	}
	return r
}

// bucket is the index of the bucket holding ms, or -1 outside the period.
func (r *Report) bucket(ms int64) int {
	if ms < r.q.Since.UnixMilli() || ms >= r.untilMS {
		return -1
	}
	return sort.Search(len(r.starts), func(i int) bool { return r.starts[i] > ms }) - 1
}

func (r *Report) acc(id string, b int) *kpiAcc {
	k := reportKey{id, b}
	a := r.rows[k]
	if a == nil {
		a = &kpiAcc{KPI: KPI{Bucket: r.buckets[b]}}
		r.rows[k] = a
	}
	return a
}

// AddTask counts a task under key (its service, or an OU):
//   - a task that was never queued (outcome closed: out of hours) is not counted;
//   - a visitor who left the queue unanswered sooner than the short-abandon
//     threshold is a short abandon, and not offered;
//   - every other task is offered; answered once an agent accepted it;
//     abandoned when the visitor left the queue unanswered; unanswered when
//     the system ended it unanswered (queue timeout, no agent, failed
//     transfer); waiting while still in the queue;
//   - wait is from entering the queue to the first answer (answered) or to
//     the end (not answered); handle time from the first answer to the end,
//     transfers included.
func (r *Report) AddTask(key string, t ReportTask) {
	b := r.bucket(t.CreatedMS)
	if b < 0 || t.Outcome == OutcomeClosed {
		return
	}
	a := r.acc(key, b)
	var wait int64 = -1
	switch {
	case t.ConnectedMS > 0:
		wait = t.ConnectedMS - t.CreatedMS
	case t.EndedMS > 0:
		wait = t.EndedMS - t.CreatedMS
	}
	if t.ConnectedMS == 0 && t.Outcome == OutcomeHangupInQueue && wait >= 0 && wait < int64(r.q.ShortAbandonSeconds)*1000 {
		a.ShortAbandoned++
		return
	}
	a.Offered++
	a.Transfers += t.Transfers
	if t.ACWMS > 0 {
		a.sumACW += t.ACWMS
		a.nACW++
	}
	if t.Stars > 0 {
		a.Ratings++
		a.sumStars += int64(t.Stars)
	}
	switch {
	case t.ConnectedMS > 0:
		a.Answered++
		a.sumAnswer += wait
		if wait <= int64(r.q.SLASeconds)*1000 {
			a.within++
		}
		if t.EndedMS > 0 {
			a.sumHandle += t.EndedMS - t.ConnectedMS
			a.nHandle++
		}
	case t.EndedMS == 0:
		a.Waiting++
	case t.Outcome == OutcomeHangupInQueue:
		a.Abandoned++
	default:
		a.Unanswered++
	}
	if wait >= 0 {
		a.waits = append(a.waits, wait)
		a.sumWait += wait
		a.nWait++
	}
}

// AddRONA counts a ring-on-no-answer under key in the bucket of its offer.
func (r *Report) AddRONA(key string, offeredMS int64) {
	if b := r.bucket(offeredMS); b >= 0 {
		r.acc(key, b).RONA++
	}
}

// AddOffer counts an offer under its agent: offered; answered when
// accepted (the speed of answer is the ring time, from offer to accept;
// the service level is the share accepted within the SLA threshold);
// declined; RONA; transfers (accepted, then transferred away); handle time
// from accept to the end of the agent's part.
func (r *Report) AddOffer(o ReportOffer) {
	b := r.bucket(o.OfferedMS)
	if b < 0 {
		return
	}
	a := r.acc(o.AgentID, b)
	a.Offered++
	switch o.Outcome {
	case OfferRONA:
		a.RONA++
	case OfferDeclined:
		a.Declined++
	case OfferTransferred:
		a.Transfers++
	}
	if o.AnsweredMS > 0 {
		ring := o.AnsweredMS - o.OfferedMS
		a.Answered++
		a.sumAnswer += ring
		if ring <= int64(r.q.SLASeconds)*1000 {
			a.within++
		}
		if o.EndedMS > 0 {
			a.sumHandle += o.EndedMS - o.AnsweredMS
			a.nHandle++
		}
	} else if o.EndedMS == 0 {
		a.Waiting++
	}
	if o.ACWMS > 0 {
		a.sumACW += o.ACWMS
		a.nACW++
	}
}

// Rows are the report's rows by key and bucket; rows with nothing in them
// are left out. name fills in the row's names from its key.
func (r *Report) Rows(name func(key string, k *KPI)) []KPI {
	keys := make([]reportKey, 0, len(r.rows))
	for k := range r.rows {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b reportKey) int {
		if a.id != b.id {
			if a.id < b.id {
				return -1
			}
			return 1
		}
		return a.bucket - b.bucket
	})
	out := make([]KPI, 0, len(keys))
	for _, k := range keys {
		a := r.rows[k]
		kpi := a.KPI
		kpi.Reachability = ratio(int64(a.Answered), int64(a.Offered), 1)
		kpi.ServiceLevel = ratio(int64(a.within), int64(a.Offered), 1)
		kpi.ASASeconds = ratio(a.sumAnswer, int64(a.Answered), 1000)
		kpi.AHTSeconds = ratio(a.sumHandle, int64(a.nHandle), 1000)
		kpi.ACWSeconds = ratio(a.sumACW, int64(a.nACW), 1000)
		kpi.RatingAvg = ratio(a.sumStars, int64(a.Ratings), 1)
		if !r.agent {
			kpi.AvgWaitSeconds = ratio(a.sumWait, int64(a.nWait), 1000)
			if len(a.waits) > 0 {
				p := float64(Percentile(a.waits, 90)) / 1000
				kpi.P90WaitSeconds = &p
			}
		}
		if name != nil {
			name(k.id, &kpi)
		}
		out = append(out, kpi)
	}
	return out
}

// ratio is n/d/unit rounded to 4 decimals, nil when d is 0.
func ratio(n, d int64, unit float64) *float64 {
	if d == 0 {
		return nil
	}
	v := math.Round(float64(n)/float64(d)/unit*10000) / 10000
	return &v
}

// Percentile is the nearest-rank p-th percentile of v (sorted in place):
// the smallest value with at least p% of the values at or below it.
func Percentile(v []int64, p int) int64 {
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	i := int(math.Ceil(float64(p)/100*float64(len(v)))) - 1
	return v[max(i, 0)]
}
