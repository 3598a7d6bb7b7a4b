package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/interact-oss/interact"
)

// Reports: KPIs of services, agents and OUs over a period (see the domain's
// report.go for the definitions). The store reads a bounded column set of
// the period's tasks and offers through covering indexes
// (0017_reports.sql) and aggregates in Go: buckets follow the time zone's
// local hours and days, and the p90 wait is exact (a per-bucket sort of
// the waits).
//
// Scope is the sessions list's: a service report has the services the
// actor can see (tenant admins all, OU admins those of their OU subtree
// and up to the root, service owners theirs); an agent report has the
// agents' offers in those services (and direct contacts of users in OUs
// the actor reads), and for a plain agent only their own offers.

type reportScope struct {
	tree     interact.OUTree
	services map[string]*reportService // visible services
	users    map[string]reportUser     // the tenant's users
	ous      map[string]string         // OU id → name
}

type reportService struct{ id, name, ouID string }
type reportUser struct{ name, ouID string }

func (db *DB) reportScope(ctx context.Context, tx *sql.Tx, a interact.Actor) (*reportScope, error) {
	tree, err := db.ouTree(ctx, tx, a.TenantID)
	if err != nil {
		return nil, err
	}
	sc := &reportScope{tree: tree, services: map[string]*reportService{}, users: map[string]reportUser{}, ous: map[string]string{}}
	rows, err := tx.QueryContext(ctx, `SELECT id, name, ou_id FROM services WHERE tenant_id = $1`, a.TenantID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var s interact.Service
		if err := rows.Scan(&s.ID, &s.Name, &s.OUID); err != nil {
			rows.Close()
			return nil, err
		}
		if a.IsTenantAdmin() || readsService(a, tree, &s) {
			sc.services[s.ID] = &reportService{s.ID, s.Name, s.OUID}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT id, name, ou_id FROM users WHERE tenant_id = $1`, a.TenantID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id string
		var u reportUser
		if err := rows.Scan(&id, &u.name, &u.ouID); err != nil {
			rows.Close()
			return nil, err
		}
		sc.users[id] = u
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.QueryContext(ctx, `SELECT id, name FROM ous WHERE tenant_id = $1`, a.TenantID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		sc.ous[id] = name
	}
	return sc, rows.Err()
}

// serviceIDs are the services a report covers: the one asked for (which
// must be visible) or all visible ones.
func (sc *reportScope) serviceIDs(id string) ([]string, error) {
	if id != "" {
		if sc.services[id] == nil {
			return nil, notFound("service", id)
		}
		return []string{id}, nil
	}
	ids := make([]string, 0, len(sc.services))
	for id := range sc.services {
		ids = append(ids, id)
	}
	return ids, nil
}

// inList is "IN ($n, …)" over ids, its arguments appended to args.
func inList(args []any, ids []string) (string, []any) {
	ph := make([]string, len(ids))
	for i, id := range ids {
		args = append(args, id)
		ph[i] = fmt.Sprintf("$%d", len(args))
	}
	return "IN (" + strings.Join(ph, ", ") + ")", args
}

// outcomeCode maps the outcomes a report tells apart to small integers,
// so that rows cross the driver as integers only.
const outcomeCode = `CASE outcome WHEN '` + interact.OutcomeHangupInQueue + `' THEN 1 WHEN '` + interact.OutcomeClosed + `' THEN 2 ELSE 0 END`

var outcomeOf = [...]string{"", interact.OutcomeHangupInQueue, interact.OutcomeClosed}

// reportTasks feeds the period's tasks of the services into r, one query
// per service over the covering index tasks_report, and their RONA
// offers over offers_rona. key maps a service to the rows it counts in
// (itself, or its OUs).
func (db *DB) reportTasks(ctx context.Context, tx *sql.Tx, a interact.Actor, q interact.ReportQuery, r *interact.Report,
	services []string, key func(serviceID string) []string) error {
	for _, id := range services {
		keys := key(id)
		if len(keys) == 0 {
			continue
		}
		rows, err := tx.QueryContext(ctx, `SELECT created_at, connected_at, ended_at, transfers * 4 + `+outcomeCode+`, acw_ms, rating_stars FROM tasks
			WHERE tenant_id = $1 AND service_id = $2 AND created_at >= $3 AND created_at < $4`, a.TenantID, id, ms(q.Since), ms(q.Until))
		if err != nil {
			return err
		}
		t := interact.ReportTask{ServiceID: id}
		var packed int64
		for rows.Next() {
			if err := rows.Scan(&t.CreatedMS, &t.ConnectedMS, &t.EndedMS, &packed, &t.ACWMS, &t.Stars); err != nil {
				rows.Close()
				return err
			}
			t.Transfers, t.Outcome = int(packed/4), outcomeOf[packed%4]
			for _, k := range keys {
				r.AddTask(k, t)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.QueryContext(ctx, `SELECT offered_at FROM offers WHERE tenant_id = $1 AND service_id = $2 AND offered_at >= $3 AND offered_at < $4
			AND outcome = '`+interact.OfferRONA+`'`, a.TenantID, id, ms(q.Since), ms(q.Until))
		if err != nil {
			return err
		}
		var at int64
		for rows.Next() {
			if err := rows.Scan(&at); err != nil {
				rows.Close()
				return err
			}
			for _, k := range keys {
				r.AddRONA(k, at)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// ServiceReport answers the KPIs per visible service and bucket;
// q.ServiceID narrows it to one (not_found when not visible).
func (db *DB) ServiceReport(ctx context.Context, a interact.Actor, q interact.ReportQuery) ([]interact.KPI, error) {
	return db.report(ctx, a, &q, "service", func(tx *sql.Tx, sc *reportScope) ([]interact.KPI, error) {
		ids, err := sc.serviceIDs(q.ServiceID)
		if err != nil {
			return nil, err
		}
		r := interact.NewReport(q, false)
		if err := db.reportTasks(ctx, tx, a, q, r, ids, func(id string) []string { return []string{id} }); err != nil {
			return nil, err
		}
		return r.Rows(func(id string, k *interact.KPI) {
			k.ServiceID, k.ServiceName = id, sc.services[id].name
		}), nil
	})
}

// OUReport rolls the service KPIs up per OU: an OU's row counts the
// visible services in its subtree. q.OUID narrows it to one OU (not_found
// when the actor reads none of it).
func (db *DB) OUReport(ctx context.Context, a interact.Actor, q interact.ReportQuery) ([]interact.KPI, error) {
	return db.report(ctx, a, &q, "OU", func(tx *sql.Tx, sc *reportScope) ([]interact.KPI, error) {
		if q.OUID != "" {
			if _, ok := sc.tree[q.OUID]; !ok || !a.ReadsOU(sc.tree, q.OUID) {
				return nil, notFound("OU", q.OUID)
			}
		}
		// Each service's OU and its ancestors, up to the root.
		chain := map[string][]string{}
		for id, s := range sc.services {
			seen := map[string]bool{}
			for ou := s.ouID; ou != "" && !seen[ou]; ou = sc.tree[ou] {
				seen[ou] = true
				if q.OUID == "" || ou == q.OUID {
					chain[id] = append(chain[id], ou)
				}
			}
		}
		ids, _ := sc.serviceIDs("")
		r := interact.NewReport(q, false)
		if err := db.reportTasks(ctx, tx, a, q, r, ids, func(id string) []string { return chain[id] }); err != nil {
			return nil, err
		}
		return r.Rows(func(id string, k *interact.KPI) { k.OUID, k.OUName = id, sc.ous[id] }), nil
	})
}

// report validates q in place (fn reads it, defaults set) and runs fn over
// the actor's report scope in one read transaction; what names the report
// in errors.
func (db *DB) report(ctx context.Context, a interact.Actor, q *interact.ReportQuery, what string,
	fn func(tx *sql.Tx, sc *reportScope) ([]interact.KPI, error)) ([]interact.KPI, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	var out []interact.KPI
	err := db.view(ctx, func(tx *sql.Tx) error {
		sc, err := db.reportScope(ctx, tx, a)
		if err != nil {
			return err
		}
		out, err = fn(tx, sc)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("%s report: %w", what, err)
	}
	return out, nil
}

// AgentReport answers the KPIs per agent and bucket from their offers;
// q.UserID narrows it to one agent (not_found when not visible). A plain
// agent (no administrative role) sees only their own row.
func (db *DB) AgentReport(ctx context.Context, a interact.Actor, q interact.ReportQuery) ([]interact.KPI, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	self := !a.IsAdmin()
	if self {
		if q.UserID != "" && q.UserID != a.UserID {
			return nil, notFound("user", q.UserID)
		}
		q.UserID = a.UserID
	}
	return db.report(ctx, a, &q, "agent", func(tx *sql.Tx, sc *reportScope) ([]interact.KPI, error) {
		if q.UserID != "" {
			u, ok := sc.users[q.UserID]
			if !ok || !(self || a.IsTenantAdmin() || a.ReadsOU(sc.tree, u.ouID) || db.servesVisible(ctx, tx, a, q.UserID, sc)) {
				return nil, notFound("user", q.UserID)
			}
		}
		r := interact.NewReport(q, true)
		args := []any{a.TenantID, ms(q.Since), ms(q.Until)}
		cond := ""
		if q.UserID != "" {
			args = append(args, q.UserID)
			cond += fmt.Sprintf(" AND o.agent_id = $%d", len(args))
		}
		if !self && !a.IsTenantAdmin() {
			// Offers in visible services, and direct contacts of users
			// in OUs the actor reads.
			ids, _ := sc.serviceIDs("")
			var direct []string
			for id, u := range sc.users {
				if a.ReadsOU(sc.tree, u.ouID) {
					direct = append(direct, id)
				}
			}
			var or []string
			if len(ids) > 0 {
				var in string
				in, args = inList(args, ids)
				or = append(or, "o.service_id "+in)
			}
			if len(direct) > 0 {
				var in string
				in, args = inList(args, direct)
				or = append(or, "(o.service_id = '' AND o.agent_id "+in+")")
			}
			if len(or) == 0 {
				return nil, nil
			}
			cond += " AND (" + strings.Join(or, " OR ") + ")"
		}
		rows, err := tx.QueryContext(ctx, `SELECT agent_id, offered_at, answered_at, ended_at, CASE outcome WHEN '`+interact.OfferRONA+`' THEN 1
			WHEN '`+interact.OfferDeclined+`' THEN 2 WHEN '`+interact.OfferTransferred+`' THEN 3 ELSE 0 END, acw_ms
			FROM offers o WHERE o.tenant_id = $1 AND o.offered_at >= $2 AND o.offered_at < $3`+cond, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		codes := [...]string{"", interact.OfferRONA, interact.OfferDeclined, interact.OfferTransferred}
		var o interact.ReportOffer
		var agent []byte
		var code int
		for rows.Next() {
			if err := rows.Scan(&agent, &o.OfferedMS, &o.AnsweredMS, &o.EndedMS, &code, &o.ACWMS); err != nil {
				return nil, err
			}
			if string(agent) != o.AgentID {
				o.AgentID = string(agent)
			}
			o.Outcome = codes[code]
			r.AddOffer(o)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return r.Rows(func(id string, k *interact.KPI) { k.UserID, k.UserName = id, sc.users[id].name }), nil
	})
}

// servesVisible reports whether user is a member of a service the actor
// can see: a service owner may report on the service's agents.
func (db *DB) servesVisible(ctx context.Context, tx *sql.Tx, a interact.Actor, user string, sc *reportScope) bool {
	rows, err := tx.QueryContext(ctx, `SELECT service_id FROM service_members WHERE user_id = $1`, user)
	if err != nil {
		return false
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil && sc.services[id] != nil {
			return true
		}
	}
	return false
}
