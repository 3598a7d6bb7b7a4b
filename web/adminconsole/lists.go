package adminconsole

// The admin console's pages (views) and form handlers (actions); the
// plumbing is in adminconsole.go.

import (
	"net/url"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
)

// Audit log and sessions.

// nextPage is the current URL with another cursor.
func nextPage(u *url.URL, cursor string) string {
	if cursor == "" {
		return ""
	}
	v := u.Query()
	v.Set("cursor", cursor)
	return u.Path + "?" + v.Encode()
}

func viewAudit(q *adminReq) error {
	v := q.r.URL.Query()
	f, err := endpoint.AuditFilter(v, endpoint.FormList)
	d := map[string]any{"Q": v,
		"Kinds": interact.AuditKinds, "Actions": interact.AuditActions}
	users, _ := q.s.store.Users(q.ctx(), q.a)
	d["Users"] = users
	if err == nil {
		var cursor string
		var items []interact.AuditEntry
		items, cursor, err = q.s.store.AuditEntries(q.ctx(), q.a, f)
		d["Entries"], d["Next"] = items, nextPage(q.r.URL, cursor)
		d["Entities"] = q.auditEntities(items, users)
	}
	if err != nil {
		q.err, q.form, q.status = err, "filter", endpoint.StatusOf(err)
	}
	q.render("audit", "Audit log", d)
	return nil
}

func viewSessions(q *adminReq) error {
	v := q.r.URL.Query()
	f, ferr := endpoint.SessionFilter(v, endpoint.FormList)
	services, err := q.s.store.Services(q.ctx(), q.a)
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, s := range services {
		names[s.ID] = s.Name
	}
	users, _ := q.s.store.Users(q.ctx(), q.a)
	agents := map[string]string{}
	for _, u := range users {
		agents[u.ID] = u.Name
	}
	d := map[string]any{"Q": v, "Services": services, "ServiceNames": names, "Agents": agents, "Outcomes": outcomes}
	err = ferr
	if err == nil {
		var cursor string
		var items []interact.Session
		items, cursor, err = q.s.store.Sessions(q.ctx(), q.a, f)
		d["Sessions"], d["Next"] = items, nextPage(q.r.URL, cursor)
	}
	if err != nil {
		q.err, q.form, q.status = err, "filter", endpoint.StatusOf(err)
	}
	q.render("sessions", "Sessions", d)
	return nil
}
