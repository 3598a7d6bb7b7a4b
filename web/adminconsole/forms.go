package adminconsole

// The admin console's pages (views) and form handlers (actions); the
// plumbing is in adminconsole.go.

import (
	"context"
	"strconv"
	"strings"

	"github.com/interact-oss/interact"
)

// Form helpers.

func (q *adminReq) val(name string) string { return strings.TrimSpace(q.r.PostFormValue(name)) }

// on reports whether a checkbox (or a hidden true/false field) is set.
func (q *adminReq) on(name string) bool {
	v := q.r.PostFormValue(name)
	return v == "on" || v == "true" || v == "1"
}

func (q *adminReq) num(name, label string) (int, error) {
	v := q.val(name)
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, interact.Errorf(interact.EINVALID, "%s must be a whole number (got %q).", label, v)
	}
	return n, nil
}

func (q *adminReq) ctx() context.Context { return q.r.Context() }

func (q *adminReq) id() string { return q.r.PathValue("id") }
