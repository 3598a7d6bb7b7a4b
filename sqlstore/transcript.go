package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/interact-oss/interact"
)

// Transcript returns the transcript of an ended session (task): every
// message, system message and event in sequence order. Who may read it:
//
//   - tenant admins;
//   - OU admins of the OU of a service the session was in (its own, or one
//     an offer of it was made in) or below — their subtree, not the OUs
//     above it they may otherwise read; for a direct contact, OU admins of
//     its user's OU;
//   - owners and members of such a service;
//   - the agents who handled it (accepted an offer), and the user of a
//     direct contact.
//
// Anyone else, like another tenant's admin or a typed unknown id, gets the
// same not_found; a session that has not ended yet, conflict (only for
// those who may read it).
func (db *DB) Transcript(ctx context.Context, a interact.Actor, taskID string) (*interact.Transcript, error) {
	var out *interact.Transcript
	err := db.view(ctx, func(tx *sql.Tx) error {
		t, err := db.txTask(ctx, tx, "session", a.TenantID, taskID)
		if err != nil {
			return err
		}
		offers, err := transcriptOffers(ctx, tx, t.ID)
		if err != nil {
			return err
		}
		ok, err := db.transcriptScope(tx, a).reads(ctx, t, offers)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("session", taskID)
		}
		if t.State != interact.TaskEnded {
			return interact.Errorf(interact.ECONFLICT, "This session has not ended yet: its transcript is ready when it ends.")
		}
		msgs, err := taskMessages(ctx, tx, `task_id = $1`, t.ID)
		if err != nil {
			return err
		}
		var accepted []string
		ids := map[string]bool{}
		for _, o := range offers {
			if o.answered {
				accepted = append(accepted, o.agentID)
				ids[o.agentID] = true
			}
		}
		for _, m := range msgs {
			if m.AgentID != "" {
				ids[m.AgentID] = true
			}
			if e := m.Event; e != nil && e.By != interact.ByVisitor && e.By != interact.BySystem && e.By != "" {
				ids[e.By] = true
			}
		}
		names, err := userNames(ctx, tx, a.TenantID, ids)
		if err != nil {
			return err
		}
		serviceName, err := ownerName(ctx, tx, t)
		if err != nil {
			return err
		}
		out = interact.NewTranscript(t, msgs, serviceName, accepted, names)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	return out, nil
}

// transcriptOffer is what the transcript's rules need of an offer.
type transcriptOffer struct {
	agentID, serviceID string
	answered           bool
}

func transcriptOffers(ctx context.Context, tx *sql.Tx, taskID string) ([]transcriptOffer, error) {
	rows, err := tx.QueryContext(ctx, `SELECT agent_id, service_id, answered_at FROM offers WHERE task_id = $1 ORDER BY id`, taskID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []transcriptOffer
	for rows.Next() {
		var o transcriptOffer
		var answered int64
		if err := rows.Scan(&o.agentID, &o.serviceID, &answered); err != nil {
			return nil, err
		}
		o.answered = answered != 0
		out = append(out, o)
	}
	return out, rows.Err()
}

// transcriptScope applies Transcript's rules for one actor, remembering
// what it looked up (the OU tree, each service's and user's verdict), so
// that a page of sessions costs a query per service, not per session.
type transcriptScope struct {
	db       *DB
	tx       *sql.Tx
	a        interact.Actor
	tree     interact.OUTree
	services map[string]bool // service id → the actor may read its sessions
	users    map[string]bool // direct contact's user id → likewise
}

func (db *DB) transcriptScope(tx *sql.Tx, a interact.Actor) *transcriptScope {
	return &transcriptScope{db: db, tx: tx, a: a, services: map[string]bool{}, users: map[string]bool{}}
}

// reads reports whether the actor may read task t's transcript.
func (sc *transcriptScope) reads(ctx context.Context, t *interact.Task, offers []transcriptOffer) (bool, error) {
	a := sc.a
	if a.IsTenantAdmin() || (t.DirectUserID != "" && t.DirectUserID == a.UserID) {
		return true, nil
	}
	services := []string{}
	for _, o := range offers {
		if o.answered && o.agentID == a.UserID {
			return true, nil
		}
		if o.serviceID != "" {
			services = append(services, o.serviceID)
		}
	}
	if t.ServiceID != "" {
		services = append(services, t.ServiceID)
	}
	if t.DirectUserID != "" {
		ok, err := sc.readsUser(ctx, t.DirectUserID)
		if ok || err != nil {
			return ok, err
		}
	}
	for _, id := range services {
		ok, err := sc.readsService(ctx, id)
		if ok || err != nil {
			return ok, err
		}
	}
	return false, nil
}

// ouTree loads the tenant's OU tree once, for OU admins (nil for others).
func (sc *transcriptScope) ouTree(ctx context.Context) (interact.OUTree, error) {
	if sc.tree == nil && hasRole(sc.a, interact.RoleOUAdmin) {
		var err error
		if sc.tree, err = sc.db.ouTree(ctx, sc.tx, sc.a.TenantID); err != nil {
			return nil, err
		}
	}
	return sc.tree, nil
}

// readsUser: OU admins of a direct contact's user's OU (or above).
func (sc *transcriptScope) readsUser(ctx context.Context, userID string) (bool, error) {
	if v, ok := sc.users[userID]; ok {
		return v, nil
	}
	tree, err := sc.ouTree(ctx)
	if err != nil || tree == nil {
		return false, err
	}
	u, err := sc.db.user(ctx, sc.tx, sc.a.TenantID, userID)
	if err != nil && interact.ErrorCode(err) != interact.ENOTFOUND {
		return false, err
	}
	v := err == nil && sc.a.AdminsOU(tree, u.OUID)
	sc.users[userID] = v
	return v, nil
}

// readsService: the service's owners, its members, and OU admins of its
// OU or above (their subtree).
func (sc *transcriptScope) readsService(ctx context.Context, id string) (bool, error) {
	if v, ok := sc.services[id]; ok {
		return v, nil
	}
	v := sc.a.OwnsService(id)
	if !v {
		tree, err := sc.ouTree(ctx)
		if err != nil {
			return false, err
		}
		if tree != nil {
			s, err := sc.db.service(ctx, sc.tx, sc.a.TenantID, id)
			if err != nil && interact.ErrorCode(err) != interact.ENOTFOUND {
				return false, err
			}
			v = err == nil && sc.a.AdminsOU(tree, s.OUID)
		}
	}
	if !v {
		var n int
		err := sc.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_members m JOIN services s ON s.id = m.service_id
			WHERE s.tenant_id = $1 AND m.service_id = $2 AND m.user_id = $3`, sc.a.TenantID, id, sc.a.UserID).Scan(&n)
		if err != nil {
			return false, err
		}
		v = n > 0
	}
	sc.services[id] = v
	return v, nil
}

// taskMessages returns the messages that match cond (with args), in task
// and sequence order.
func taskMessages(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, cond string, args ...any) ([]interact.Message, error) {
	return scanMessages(q.QueryContext(ctx, `SELECT `+messageCols+` FROM messages WHERE `+cond+` ORDER BY task_id, seq`, args...))
}

// userNames returns the names of the tenant's users among ids.
func userNames(ctx context.Context, tx *sql.Tx, tenantID string, ids map[string]bool) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	args := []any{tenantID}
	var ph []string
	for id := range ids {
		args = append(args, id)
		ph = append(ph, fmt.Sprintf("$%d", len(args)))
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, name FROM users WHERE tenant_id = $1 AND id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		out[id] = name
	}
	return out, rows.Err()
}

// TaskEvents returns the events of the given tasks (their messages that
// carry one), by task, in sequence order: what a restarted engine needs to
// know of their calls.
func (db *DB) TaskEvents(ctx context.Context, taskIDs []string) (map[string][]interact.Message, error) {
	out := map[string][]interact.Message{}
	for chunk := range chunks(taskIDs) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		msgs, err := taskMessages(ctx, db.read, `task_id IN (`+db.placeholders(len(chunk), "%s")+`) AND event <> ''`, args...)
		if err != nil {
			return nil, fmt.Errorf("task events: %w", err)
		}
		for _, m := range msgs {
			out[m.TaskID] = append(out[m.TaskID], m)
		}
	}
	return out, nil
}

// ownerName names a task's service, or for a direct contact its user; a
// deleted one leaves its sessions nameless ("").
func ownerName(ctx context.Context, tx *sql.Tx, t *interact.Task) (string, error) {
	var name string
	var err error
	switch {
	case t.ServiceID != "":
		err = tx.QueryRowContext(ctx, `SELECT name FROM services WHERE tenant_id = $1 AND id = $2`, t.TenantID, t.ServiceID).Scan(&name)
	case t.DirectUserID != "":
		err = tx.QueryRowContext(ctx, `SELECT name FROM users WHERE tenant_id = $1 AND id = $2`, t.TenantID, t.DirectUserID).Scan(&name)
	}
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	return name, err
}
