package adminapi

// KPI reports: GET /api/v1/reports/{services,agents,ous} answer JSON, or
// with ?format=csv a CSV download. The store scopes and computes them
// (sqlstore/report.go, definitions in the domain's report.go).

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
)

// reportFormats are the reports' other formats (?format=), by name.
var reportFormats = map[string]string{"csv": "text/csv; charset=utf-8"}

// reportQuery are the query parameters every report reads.
var reportQuery = []string{"since", "until", "interval", "tz", "slaSeconds", "shortAbandonSeconds"}

// parseReportQuery reads and validates a report's parameters.
func parseReportQuery(v url.Values) (interact.ReportQuery, error) {
	var q interact.ReportQuery
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"since", &q.Since}, {"until", &q.Until}} {
		s := v.Get(p.name)
		if s == "" {
			return q, interact.Errorf(interact.EINVALID, "%s is required: an RFC 3339 time such as 2026-11-25T00:00:00Z.", p.name)
		}
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return q, interact.Errorf(interact.EINVALID, "%s must be an RFC 3339 time such as 2026-11-25T00:00:00Z.", p.name)
		}
		*p.t = t
	}
	q.Interval = v.Get("interval")
	q.Location = time.UTC
	if tz := v.Get("tz"); tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil || tz == "Local" {
			return q, interact.Errorf(interact.EINVALID, "tz must be an IANA time zone name such as Europe/Zurich (got %q).", tz)
		}
		q.Location = loc
	}
	for _, p := range []struct {
		name string
		n    *int
	}{{"slaSeconds", &q.SLASeconds}, {"shortAbandonSeconds", &q.ShortAbandonSeconds}} {
		if s := v.Get(p.name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > interact.MaxReportSeconds {
				return q, interact.Errorf(interact.EINVALID, "%s must be a number from 1 to %d.", p.name, interact.MaxReportSeconds)
			}
			*p.n = n
		}
	}
	q.ServiceID, q.UserID, q.OUID = v.Get("serviceId"), v.Get("userId"), v.Get("ouId")
	return q, q.Validate()
}

// report serves one kind of report; cols are its leading CSV columns.
func (s *API) report(run func(ctx context.Context, a interact.Actor, q interact.ReportQuery) ([]interact.KPI, error), kind string,
	cols []string, lead func(k *interact.KPI) []string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		format := r.URL.Query().Get("format")
		if format != "" && format != "json" && format != "csv" {
			return interact.Errorf(interact.EINVALID, "format must be json or csv (got %q).", format)
		}
		q, err := parseReportQuery(r.URL.Query())
		if err != nil {
			return err
		}
		items, err := run(r.Context(), endpoint.ActorFrom(r), q)
		if err != nil {
			return err
		}
		if items == nil {
			items = []interact.KPI{}
		}
		if format != "csv" {
			endpoint.WriteJSON(w, http.StatusOK, endpoint.ListOf(items))
			return nil
		}
		h := w.Header()
		h.Set("Content-Type", reportFormats["csv"])
		h.Set("Content-Disposition", `attachment; filename="report-`+kind+"-"+q.Since.In(q.Location).Format("2006-01-02")+"-"+q.Interval+`.csv"`)
		w.WriteHeader(http.StatusOK)
		cw := csv.NewWriter(w)
		cw.Write(append(cols, kpiColumns...))
		for i := range items {
			cw.Write(append(lead(&items[i]), kpiCells(&items[i])...))
		}
		cw.Flush()
		return cw.Error()
	}
}

// kpiColumns are the CSV columns every report has, after its own.
var kpiColumns = []string{"bucket", "offered", "answered", "abandoned", "shortAbandoned", "unanswered", "waiting", "reachability",
	"serviceLevel", "asaSeconds", "avgWaitSeconds", "p90WaitSeconds", "ahtSeconds", "acwSeconds", "transfers", "rona", "declined", "ratings", "ratingAvg"}

func kpiCells(k *interact.KPI) []string {
	n := func(v int) string { return strconv.Itoa(v) }
	f := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	return []string{k.Bucket.Format(time.RFC3339), n(k.Offered), n(k.Answered), n(k.Abandoned), n(k.ShortAbandoned), n(k.Unanswered),
		n(k.Waiting), f(k.Reachability), f(k.ServiceLevel), f(k.ASASeconds), f(k.AvgWaitSeconds), f(k.P90WaitSeconds), f(k.AHTSeconds),
		f(k.ACWSeconds), n(k.Transfers), n(k.RONA), n(k.Declined), n(k.Ratings), f(k.RatingAvg)}
}

// csvCell keeps a name from being read as a formula by spreadsheets.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (s *API) serviceReport() func(http.ResponseWriter, *http.Request) error {
	return s.report(s.store.ServiceReport, "services", []string{"serviceId", "serviceName"},
		func(k *interact.KPI) []string { return []string{k.ServiceID, csvCell(k.ServiceName)} })
}

func (s *API) agentReport() func(http.ResponseWriter, *http.Request) error {
	return s.report(s.store.AgentReport, "agents", []string{"userId", "userName"},
		func(k *interact.KPI) []string { return []string{k.UserID, csvCell(k.UserName)} })
}

func (s *API) ouReport() func(http.ResponseWriter, *http.Request) error {
	return s.report(s.store.OUReport, "ous", []string{"ouId", "ouName"},
		func(k *interact.KPI) []string { return []string{k.OUID, csvCell(k.OUName)} })
}
