package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/interact-oss/interact"
)

// Chat messages are written by one goroutine that commits whatever has
// queued up in one transaction ("group commit"): a message is acknowledged
// only after its transaction committed, yet thousands share one fsync.

// maxBatch bounds how many messages share one transaction.
const maxBatch = 1024

type appendReq struct {
	ctx   context.Context
	m     interact.Message
	reply chan appendResult
}

type appendResult struct {
	m   interact.Message
	dup bool
	err error
}

// SetMessageHook sets a function called with every newly stored message,
// after its transaction committed and in commit order (so in sequence
// order per task), before the writer acknowledges it. Set it before use.
func (db *DB) SetMessageHook(fn func(interact.Message)) { db.hook = fn }

// ErrStoreClosed is returned for writes after Close.
var ErrStoreClosed = errors.New("store closed")

// AppendMessage stores m with the task's next sequence number and returns
// the stored message. A message whose (task, sender, client id) was stored
// before is not stored again: the earlier one is returned with dup true.
// The task must exist.
func (db *DB) AppendMessage(ctx context.Context, m interact.Message) (interact.Message, bool, error) {
	req := &appendReq{ctx: ctx, m: m, reply: make(chan appendResult, 1)}
	select {
	case db.appends <- req:
	case <-db.closing:
		return interact.Message{}, false, ErrStoreClosed
	case <-ctx.Done():
		return interact.Message{}, false, ctx.Err()
	}
	select {
	case r := <-req.reply:
		return r.m, r.dup, r.err
	case <-ctx.Done():
		// The write may still commit; a resend with the same client id finds it.
		return interact.Message{}, false, ctx.Err()
	}
}

// messageWriter is the single writer of messages.
func (db *DB) messageWriter() {
	defer close(db.writerDone)
	lastSeq := map[string]int64{} // task id → last sequence handed out and committed
	batch := make([]*appendReq, 0, maxBatch)
	for {
		select {
		case req := <-db.appends:
			batch = append(batch[:0], req)
		case <-db.closing:
			return
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case req := <-db.appends:
				batch = append(batch, req)
			default:
				break drain
			}
		}
		results, err := db.writeBatch(batch, lastSeq)
		if err == nil && db.hook != nil {
			// Announce in commit order, so every subscriber sees a task's
			// messages in sequence order.
			for _, r := range results {
				if r.err == nil && !r.dup && r.m.Seq > 0 {
					db.hook(r.m)
				}
			}
		}
		for i, req := range batch {
			if err != nil {
				req.reply <- appendResult{err: err}
			} else {
				req.reply <- results[i]
			}
		}
		if err != nil {
			clear(lastSeq) // re-read counters after a failed transaction
		}
	}
}

// writeBatch stores a batch in one transaction. Only counters of a committed
// transaction are kept in lastSeq.
func (db *DB) writeBatch(batch []*appendReq, lastSeq map[string]int64) ([]appendResult, error) {
	results := make([]appendResult, len(batch))
	next := map[string]int64{}
	ctx := context.Background()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		for i, req := range batch {
			if req.ctx.Err() != nil {
				results[i].err = req.ctx.Err()
				continue
			}
			m := req.m
			seq, ok := next[m.TaskID]
			if !ok {
				if seq, ok = lastSeq[m.TaskID]; !ok {
					err := tx.QueryRowContext(ctx, `SELECT last_seq FROM tasks WHERE id = $1`, m.TaskID).Scan(&seq)
					if errors.Is(err, sql.ErrNoRows) {
						results[i].err = notFound("task", m.TaskID)
						continue
					}
					if err != nil {
						return err
					}
				}
			}
			m.Seq = seq + 1
			res, err := tx.ExecContext(ctx, `INSERT INTO messages (task_id, seq, client_id, sender, agent_id, name, body, at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (task_id, sender, client_id) DO NOTHING`,
				m.TaskID, m.Seq, m.ClientID, m.From, m.AgentID, m.Name, m.Text, ms(m.At))
			if err != nil {
				return fmt.Errorf("append message: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				prev, err := scanMessage(tx.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages
					WHERE task_id = $1 AND sender = $2 AND client_id = $3`, m.TaskID, m.From, m.ClientID))
				if err != nil {
					return fmt.Errorf("find duplicate message: %w", err)
				}
				results[i] = appendResult{m: *prev, dup: true}
				next[m.TaskID] = seq
				continue
			}
			next[m.TaskID] = m.Seq
			results[i] = appendResult{m: m}
		}
		for id, seq := range next {
			if _, err := tx.ExecContext(ctx, `UPDATE tasks SET last_seq = $1 WHERE id = $2 AND last_seq < $1`, seq, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for id, seq := range next {
		lastSeq[id] = seq
	}
	if len(lastSeq) > 100_000 {
		clear(lastSeq) // bound the cache; counters are re-read on demand
	}
	return results, nil
}

const messageCols = `task_id, seq, client_id, sender, agent_id, name, body, at`

func scanMessage(row interface{ Scan(...any) error }) (*interact.Message, error) {
	var m interact.Message
	var at int64
	if err := row.Scan(&m.TaskID, &m.Seq, &m.ClientID, &m.From, &m.AgentID, &m.Name, &m.Text, &at); err != nil {
		return nil, err
	}
	m.At = fromMS(at)
	return &m, nil
}

// Messages returns a task's messages with a sequence number above after,
// in order, at most limit of them.
func (db *DB) Messages(ctx context.Context, taskID string, after int64, limit int) ([]interact.Message, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+messageCols+` FROM messages WHERE task_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		taskID, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []interact.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *m)
	}
	return out, rows.Err()
}
