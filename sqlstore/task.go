package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/interact-oss/interact"
)

const taskCols = `id, tenant_id, service_id, contact_id, direct_user_id, modality, state, priority, strict, queue_seq, visitor,
	origin, agent_id, target_agent_id, transfers, created_at, queued_at, connected_at, ended_at, outcome, last_seq, left_message`

// taskLaterCols are read with taskCols: the visitor key, written once
// with the task, and the rating, written only by RateTask.
const taskLaterCols = `, visitor_key, rating_stars, rating_comment, rated_at`

// taskSelect is the select list of taskCols and taskLaterCols.
func (db *DB) taskSelect() string {
	return strings.Replace(taskCols, "last_seq", db.dialect.lastSeq, 1) + taskLaterCols
}

func scanTask(row interface{ Scan(...any) error }) (*interact.Task, error) {
	var t interact.Task
	var visitor string
	var created, queued, connected, ended int64
	var r interact.Rating
	var ratedAt int64
	if err := row.Scan(&t.ID, &t.TenantID, &t.ServiceID, &t.ContactID, &t.DirectUserID, &t.Modality, &t.State, &t.Priority,
		&t.Strict, &t.QueueSeq, &visitor, &t.Origin, &t.AgentID, &t.TargetAgentID, &t.Transfers, &created, &queued,
		&connected, &ended, &t.Outcome, &t.LastSeq, &t.LeftMessage, &t.VisitorKey, &r.Stars, &r.Comment, &ratedAt); err != nil {
		return nil, err
	}
	t.Rating = ratingOf(r, ratedAt)
	if err := json.Unmarshal([]byte(visitor), &t.Visitor); err != nil {
		return nil, fmt.Errorf("task %s visitor: %w", t.ID, err)
	}
	t.CreatedAt, t.QueuedAt = fromMS(created), fromMS(queued)
	t.ConnectedAt, t.EndedAt = optMS(connected), optMS(ended)
	return &t, nil
}

func optMS(v int64) *time.Time {
	if v == 0 {
		return nil
	}
	t := fromMS(v)
	return &t
}

func msOpt(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return ms(*t)
}

// CreateTask stores a new task. resumeHash is the SHA-256 (hex) of the
// task's resume token, so a reloaded page can find its task again.
func (db *DB) CreateTask(ctx context.Context, t *interact.Task, resumeHash string) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return db.insertTask(ctx, tx, t, resumeHash) })
}

// CreateLeftMessage stores an ended task that holds a left message (out of
// hours) and queues notify, if not nil, with it.
func (db *DB) CreateLeftMessage(ctx context.Context, t *interact.Task, notify *interact.Mail) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.insertTask(ctx, tx, t, ""); err != nil {
			return err
		}
		if notify != nil {
			return db.queueMail(ctx, tx, notify)
		}
		return nil
	})
}

func (db *DB) insertTask(ctx context.Context, tx *sql.Tx, t *interact.Task, resumeHash string) error {
	visitor, err := json.Marshal(t.Visitor)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO tasks (`+taskCols+`, resume_hash, visitor_key) VALUES
		($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`,
		t.ID, t.TenantID, t.ServiceID, t.ContactID, t.DirectUserID, t.Modality, t.State, t.Priority, t.Strict, t.QueueSeq,
		string(visitor), t.Origin, t.AgentID, t.TargetAgentID, t.Transfers, ms(t.CreatedAt), ms(t.QueuedAt),
		msOpt(t.ConnectedAt), msOpt(t.EndedAt), t.Outcome, t.LastSeq, t.LeftMessage, resumeHash, t.VisitorKey)
	return err
}

// SaveRouting writes, in one transaction, the routing state of tasks (not
// their message counters) and offers (inserted or updated). A task's
// outcome is written once: saving an ended task again is fine, ending it
// differently (another outcome or end time, as when two nodes race) fails
// with a conflict and saves nothing.
func (db *DB) SaveRouting(ctx context.Context, tasks []*interact.Task, offers []*interact.Offer) error {
	// Rows are locked in id order, as the message writer does, so that
	// writers on several nodes cannot deadlock.
	tasks = slices.SortedFunc(slices.Values(tasks), func(a, b *interact.Task) int { return strings.Compare(a.ID, b.ID) })
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, t := range tasks {
			visitor, err := json.Marshal(t.Visitor)
			if err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE tasks SET service_id = $1, state = $2, priority = $3, strict = $4, queue_seq = $5,
				agent_id = $6, target_agent_id = $7, transfers = $8, queued_at = $9, connected_at = $10, ended_at = $11,
				outcome = $12, left_message = $13, visitor = $14
				WHERE id = $15 AND (outcome = '' OR (outcome = $12 AND ended_at = $11))`,
				t.ServiceID, t.State, t.Priority, t.Strict, t.QueueSeq, t.AgentID, t.TargetAgentID, t.Transfers, ms(t.QueuedAt),
				msOpt(t.ConnectedAt), msOpt(t.EndedAt), t.Outcome, t.LeftMessage, string(visitor), t.ID)
			if err != nil {
				return fmt.Errorf("save task %s: %w", t.ID, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return taskNotSaved(ctx, tx, t.ID)
			}
		}
		for _, o := range offers {
			codes, _ := json.Marshal(nonNil(o.Codes))
			tags, _ := json.Marshal(nonNil(o.Tags))
			_, err := tx.ExecContext(ctx, `INSERT INTO offers (id, tenant_id, task_id, service_id, agent_id, modality, offered_at,
				answered_at, ended_at, outcome, codes, tags, acw_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
				ON CONFLICT (id) DO UPDATE SET answered_at = excluded.answered_at, ended_at = excluded.ended_at,
				outcome = excluded.outcome, codes = excluded.codes, tags = excluded.tags,
				acw_ms = CASE WHEN excluded.acw_ms > 0 THEN excluded.acw_ms ELSE offers.acw_ms END`,
				o.ID, o.TenantID, o.TaskID, o.ServiceID, o.AgentID, o.Modality, ms(o.OfferedAt), msOpt(o.AnsweredAt),
				msOpt(o.EndedAt), o.Outcome, string(codes), string(tags), o.ACWMS)
			if err != nil {
				return fmt.Errorf("save offer %s: %w", o.ID, err)
			}
			if o.ACWMS > 0 {
				// The task keeps the sum of its sessions' after-call work, for reports.
				if _, err := tx.ExecContext(ctx, `UPDATE tasks SET acw_ms = (SELECT SUM(acw_ms) FROM offers WHERE task_id = $1) WHERE id = $1`, o.TaskID); err != nil {
					return fmt.Errorf("save offer %s: %w", o.ID, err)
				}
			}
		}
		return nil
	})
}

// taskNotSaved explains why the routing state of task id was not saved.
func taskNotSaved(ctx context.Context, tx *sql.Tx, id string) error {
	var outcome string
	err := tx.QueryRowContext(ctx, `SELECT outcome FROM tasks WHERE id = $1`, id).Scan(&outcome)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound("task", id)
	}
	if err != nil {
		return err
	}
	return interact.Errorf(interact.ECONFLICT, "Task %q has already ended (%s).", id, outcome)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Task returns a task by id (any tenant: callers hold a token bound to it).
func (db *DB) Task(ctx context.Context, id string) (*interact.Task, error) {
	t, err := scanTask(db.read.QueryRowContext(ctx, `SELECT `+db.taskSelect()+` FROM tasks WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("task", id)
	}
	return t, err
}

// txTask reads task id in tx: in tenantID, or any tenant when it is "".
// Not found is not_found naming kind ("task", "session").
func (db *DB) txTask(ctx context.Context, tx *sql.Tx, kind, tenantID, id string) (*interact.Task, error) {
	t, err := scanTask(tx.QueryRowContext(ctx, `SELECT `+db.taskSelect()+` FROM tasks WHERE id = $1 AND ($2 = '' OR tenant_id = $2)`, id, tenantID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(kind, id)
	}
	return t, err
}

// TaskByResume returns the task whose resume token hashes to hash.
func (db *DB) TaskByResume(ctx context.Context, hash string) (*interact.Task, error) {
	if hash == "" {
		return nil, interact.Errorf(interact.ENOTFOUND, "No task for this resume token.")
	}
	t, err := scanTask(db.read.QueryRowContext(ctx, `SELECT `+db.taskSelect()+` FROM tasks WHERE resume_hash = $1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, interact.Errorf(interact.ENOTFOUND, "No task for this resume token.")
	}
	return t, err
}

// OpenTasks returns every task not yet ended, in queue order: what the
// routing engine recovers from after a restart.
func (db *DB) OpenTasks(ctx context.Context) ([]interact.Task, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+db.taskSelect()+` FROM tasks WHERE state <> 'ended' ORDER BY queue_seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []interact.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *t)
	}
	return out, rows.Err()
}

// MaxQueueSeq returns the highest queue sequence number handed out.
func (db *DB) MaxQueueSeq(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT MAX(queue_seq) FROM tasks`).Scan(&n)
	return n.Int64, err
}

const offerCols = `id, tenant_id, task_id, service_id, agent_id, modality, offered_at, answered_at, ended_at, outcome, codes, tags, acw_ms`

func scanOffer(row interface{ Scan(...any) error }) (*interact.Offer, error) {
	var o interact.Offer
	var offered, answered, ended int64
	var codes, tags string
	if err := row.Scan(&o.ID, &o.TenantID, &o.TaskID, &o.ServiceID, &o.AgentID, &o.Modality, &offered, &answered, &ended,
		&o.Outcome, &codes, &tags, &o.ACWMS); err != nil {
		return nil, err
	}
	o.OfferedAt, o.AnsweredAt, o.EndedAt = fromMS(offered), optMS(answered), optMS(ended)
	if err := json.Unmarshal([]byte(codes), &o.Codes); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(tags), &o.Tags); err != nil {
		return nil, err
	}
	return &o, nil
}

func (db *DB) queryOffers(ctx context.Context, q string, args ...any) ([]interact.Offer, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+offerCols+` FROM offers `+q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []interact.Offer
	for rows.Next() {
		o, err := scanOffer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *o)
	}
	return out, rows.Err()
}

// OpenOffers returns every offer whose user session has not ended.
func (db *DB) OpenOffers(ctx context.Context) ([]interact.Offer, error) {
	return db.queryOffers(ctx, `WHERE ended_at = 0 ORDER BY id`)
}

// TaskOffers returns a task's offers in order.
func (db *DB) TaskOffers(ctx context.Context, taskID string) ([]interact.Offer, error) {
	return db.queryOffers(ctx, `WHERE task_id = $1 ORDER BY id`, taskID)
}
