package adminapi

import (
	"net/http"
	"strconv"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
)

// outboxPage is a page of the outbox, newest first.
type outboxPage struct {
	Items      []interact.Mail `json:"items"`
	NextCursor string          `json:"nextCursor,omitempty"`
	// MailOn says whether an SMTP server is configured; without one,
	// nothing is queued.
	MailOn bool `json:"mailOn"`
}

func (s *API) listOutbox(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := interact.OutboxFilter{State: interact.MailState(q.Get("state")), Cursor: q.Get("cursor")}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return interact.Errorf(interact.EINVALID, "limit must be a number.")
		}
		f.Limit = n
	}
	items, next, err := s.store.Outbox(r.Context(), endpoint.ActorFrom(r), f)
	return endpoint.Reply(w, http.StatusOK, outboxPage{Items: items, NextCursor: next, MailOn: s.cfg.MailFrom != ""}, err)
}
