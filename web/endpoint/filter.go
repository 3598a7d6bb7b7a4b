package endpoint

import (
	"net/url"
	"strconv"
	"time"

	"github.com/interact-oss/interact"
)

// ListFormat is how a list's since, until and limit parameters are
// written: the REST API takes RFC 3339 times (APIList), the console's
// filter forms datetime-local fields (FormList). The other filter fields
// read the same everywhere.
type ListFormat struct {
	Time  func(v, field string) (time.Time, error) // field: "since" or "until"
	Limit func(v string, max int) (int, error)
}

// APIList reads the REST API's list parameters.
var APIList = ListFormat{Time: queryTime, Limit: queryLimit}

// FormList reads the console's filter forms.
var FormList = ListFormat{Time: formTime, Limit: formLimit}

// AuditFilter reads an audit log filter from q.
func AuditFilter(q url.Values, lf ListFormat) (interact.AuditFilter, error) {
	f := interact.AuditFilter{EntityKind: q.Get("entityKind"), EntityID: q.Get("entityId"), ActorID: q.Get("actorId"),
		Action: q.Get("action"), Cursor: q.Get("cursor")}
	var err error
	f.Since, f.Until, f.Limit, err = lf.page(q, interact.MaxAuditPage)
	return f, err
}

// SessionFilter reads a sessions filter from q.
func SessionFilter(q url.Values, lf ListFormat) (interact.SessionFilter, error) {
	f := interact.SessionFilter{ServiceID: q.Get("serviceId"), Outcome: q.Get("outcome"), Cursor: q.Get("cursor"),
		Code: q.Get("code"), Tag: q.Get("tag")}
	var err error
	f.Since, f.Until, f.Limit, err = lf.page(q, interact.MaxSessionPage)
	return f, err
}

func (lf ListFormat) page(q url.Values, maxLimit int) (since, until time.Time, limit int, err error) {
	if since, err = lf.Time(q.Get("since"), "since"); err != nil {
		return
	}
	if until, err = lf.Time(q.Get("until"), "until"); err != nil {
		return
	}
	limit, err = lf.Limit(q.Get("limit"), maxLimit)
	return
}

func queryTime(v, field string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, interact.Errorf(interact.EINVALID, "%s must be an RFC 3339 time such as 2026-11-25T10:00:00Z.", field)
	}
	return t, nil
}

// queryLimit: none means the store's default.
func queryLimit(v string, max int) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, interact.Errorf(interact.EINVALID, "limit must be a number from 1 to %d.", max)
	}
	return n, nil
}

// formTime reads a datetime-local field (UTC) or an RFC 3339 time.
func formTime(v, field string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	label := map[string]string{"since": "From", "until": "Until"}[field]
	return time.Time{}, interact.Errorf(interact.EINVALID, "%s must be a date and time such as 2026-11-25T10:00 (UTC).", label)
}

// formLimit: the forms show 50 a page unless told otherwise.
func formLimit(v string, max int) (int, error) {
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, interact.Errorf(interact.EINVALID, "Per page must be a number from 1 to %d.", max)
	}
	return n, nil
}
