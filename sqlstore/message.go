package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math/bits"
	"slices"
	"strings"
	"sync"

	"github.com/interact-oss/interact"
)

// Chat messages are written in batches: whatever has queued up shares one
// transaction ("group commit"), so a message is acknowledged only after its
// transaction committed, yet thousands share one fsync. A task's sequence
// numbers come from the database (its locked row, or on SQLite, whose
// writers take turns, its messages), so several processes may append to
// one task.

// maxBatch bounds how many messages share one transaction.
const maxBatch = 1024

type appendReq struct {
	ctx       context.Context
	m         interact.Message
	committed func(interact.Message) // or nil
	reply     chan appendResult
}

type appendResult struct {
	m   interact.Message
	dup bool
	err error
}

// ErrStoreClosed is returned for writes after Close.
var ErrStoreClosed = errors.New("store closed")

// AppendMessage stores m with the task's next sequence number and returns
// the stored message. A message whose (task, sender, client id) was stored
// before is not stored again: the earlier one is returned with dup true.
// The task must exist; a visitor's or agent's message to a task that has
// ended is refused (conflict), in the transaction that holds the task's
// row, so no such message is stored after the end however late its check
// ran (a cluster node may check a task against a view some time old). The
// system's messages, such as the one that says the chat ended, still go in.
func (db *DB) AppendMessage(ctx context.Context, m interact.Message) (interact.Message, bool, error) {
	return db.AppendMessageThen(ctx, m, nil)
}

// AppendMessageThen is AppendMessage that also calls committed with the
// stored message once its transaction has committed, before answering.
// Every such call comes from the one goroutine that answers appends, in
// commit order, so per task they follow sequence order. committed is not
// called for a resend or a failed write, and must not block: it is how a
// message is published the moment it is durable, without a hop through
// the caller's goroutine.
func (db *DB) AppendMessageThen(ctx context.Context, m interact.Message, committed func(interact.Message)) (interact.Message, bool, error) {
	req := &appendReq{ctx: ctx, m: m, committed: committed, reply: make(chan appendResult, 1)}
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
	case <-db.writerDone: // every batch in flight has been answered
		select {
		case r := <-req.reply:
			return r.m, r.dup, r.err
		default:
			return interact.Message{}, false, ErrStoreClosed
		}
	case <-ctx.Done():
		// The write may still commit; a resend with the same client id finds it.
		return interact.Message{}, false, ctx.Err()
	}
}

// batchJob is one batch on its way through the writer.
type batchJob struct {
	batch   []*appendReq
	results []appendResult
	err     error
	after   <-chan struct{} // the batch before's locked: this one locks its tasks after it
	locked  chan struct{}   // closed once this batch holds its tasks' locks, or gave up
	done    chan struct{}   // closed when the transaction has ended
}

// messageWriter batches appends. Up to dialect.writers batches are written
// at once, each in its own transaction; they lock their tasks in the order
// they were formed, so a task's numbers follow that order, and they are
// announced and acknowledged in that order too.
func (db *DB) messageWriter() {
	defer close(db.writerDone)
	slots := make(chan struct{}, db.dialect.writers)
	jobs := make(chan *batchJob, db.dialect.writers)
	var announcer sync.WaitGroup
	announcer.Go(func() {
		for job := range jobs {
			<-job.done
			db.announce(job)
			<-slots
		}
	})
	defer announcer.Wait()
	defer close(jobs)
	var after <-chan struct{}
	for {
		select {
		case slots <- struct{}{}:
		case <-db.closing:
			db.refuseQueued()
			return
		}
		var batch []*appendReq
		select {
		case req := <-db.appends:
			batch = append(make([]*appendReq, 0, 64), req)
		case <-db.closing:
			db.refuseQueued()
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
		job := &batchJob{batch: batch, after: after, locked: make(chan struct{}), done: make(chan struct{})}
		go func() {
			defer close(job.done)
			job.results, job.err = db.writeBatch(job)
			if job.err = db.storageError(job.err); job.err == nil {
				db.health.ok(db.log)
			}
		}()
		jobs <- job
		after = job.locked
	}
}

// announce answers a written batch's appends, after handing each newly
// stored message to its committed callback.
func (db *DB) announce(job *batchJob) {
	if job.err == nil {
		for i, req := range job.batch {
			if r := job.results[i]; req.committed != nil && r.err == nil && !r.dup {
				req.committed(r.m)
			}
		}
	}
	for i, req := range job.batch {
		if job.err != nil {
			req.reply <- appendResult{err: job.err}
		} else {
			req.reply <- job.results[i]
		}
	}
}

// refuseQueued answers appends still queued when the store closes.
func (db *DB) refuseQueued() {
	for {
		select {
		case req := <-db.appends:
			req.reply <- appendResult{err: ErrStoreClosed}
		default:
			return
		}
	}
}

// errClientIDTaken reports that a batch holds a resent message.
var errClientIDTaken = errors.New("client id taken")

// writeBatch stores a batch in one transaction. The tasks' counters are
// read under a row lock (PostgreSQL) or the file's write lock (SQLite), so
// two processes appending to one task hand out consecutive numbers.
//
// The common batch holds no resend: its messages get the next numbers and
// go in with multi-row INSERTs. When one of them turns out to be a resend,
// the inserts are undone (rolled back to a savepoint, keeping the locks, or
// where the dialect skips taken client ids, the whole transaction) and the
// batch is inserted again looking up every client id first, so that
// sequence numbers have no gaps.
func (db *DB) writeBatch(job *batchJob) ([]appendResult, error) {
	var lockOnce sync.Once
	locked := func() { lockOnce.Do(func() { close(job.locked) }) }
	defer locked()
	ctx := context.Background()
	if err := db.prepareBatchStmts(ctx, len(job.batch)); err != nil {
		return nil, err
	}
	results := make([]appendResult, len(job.batch))
	write := func(careful bool) error {
		return db.tx(ctx, func(tx *sql.Tx) error {
			var taskIDs []string
			for i, req := range job.batch {
				results[i] = appendResult{}
				if err := req.ctx.Err(); err != nil {
					results[i].err = err
					continue
				}
				taskIDs = append(taskIDs, req.m.TaskID)
			}
			if len(taskIDs) == 0 {
				return nil
			}
			if job.after != nil {
				<-job.after
			}
			lastSeq, ended, err := db.lockTasks(ctx, tx, taskIDs)
			locked()
			if err != nil {
				return err
			}
			if db.dialect.skipTaken != "" {
				return db.appendBatch(ctx, tx, job.batch, results, lastSeq, ended, careful)
			}
			if _, err := tx.ExecContext(ctx, `SAVEPOINT appends`); err != nil {
				return err
			}
			err = db.appendBatch(ctx, tx, job.batch, results, maps.Clone(lastSeq), ended, false)
			if errors.Is(err, errClientIDTaken) {
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT appends`); err != nil {
					return err
				}
				for i := range results {
					if results[i].err == nil {
						results[i] = appendResult{}
					}
				}
				err = db.appendBatch(ctx, tx, job.batch, results, lastSeq, ended, true)
			}
			return err
		})
	}
	err := write(false)
	if errors.Is(err, errClientIDTaken) && db.dialect.skipTaken != "" {
		err = write(true)
	}
	if err != nil {
		return nil, err
	}
	return results, nil
}

type clientKey struct{ task, sender, client string }

// errTaskEnded refuses a visitor's or agent's message to an ended task.
var errTaskEnded = interact.Errorf(interact.ECONFLICT, "This conversation has ended.")

// appendBatch numbers and inserts the live messages of batch; ended holds
// the batch's tasks that have ended. careful looks every client id up
// first.
func (db *DB) appendBatch(ctx context.Context, tx *sql.Tx, batch []*appendReq, results []appendResult, lastSeq map[string]int64, ended map[string]bool, careful bool) error {
	var rows []*interact.Message
	var inBatch map[clientKey]*interact.Message
	if careful {
		inBatch = map[clientKey]*interact.Message{}
	}
	for i, req := range batch {
		if results[i].err != nil {
			continue
		}
		m := req.m
		seq, ok := lastSeq[m.TaskID]
		if !ok {
			results[i].err = notFound("task", m.TaskID)
			continue
		}
		if ended[m.TaskID] && m.From != interact.FromSystem {
			// A resend of a message stored before the end is still
			// acknowledged as the duplicate it is.
			prev, err := db.findResent(ctx, tx, m)
			switch {
			case err == nil:
				results[i] = appendResult{m: *prev, dup: true}
			case errors.Is(err, sql.ErrNoRows):
				results[i].err = errTaskEnded
			default:
				return err
			}
			continue
		}
		if careful {
			key := clientKey{m.TaskID, m.From, m.ClientID}
			if prev := inBatch[key]; prev != nil {
				results[i] = appendResult{m: *prev, dup: true}
				continue
			}
			prev, err := db.findResent(ctx, tx, m)
			if err == nil {
				results[i] = appendResult{m: *prev, dup: true}
				continue
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			inBatch[key] = &m
		}
		m.Seq = seq + 1
		lastSeq[m.TaskID] = m.Seq
		rows = append(rows, &m)
		results[i] = appendResult{m: m}
	}
	if err := db.insertMessages(ctx, tx, rows); err != nil {
		return err
	}
	return db.setLastSeq(ctx, tx, rows)
}

// findResent returns the stored message with m's task, sender and client
// id, or sql.ErrNoRows.
func (db *DB) findResent(ctx context.Context, tx *sql.Tx, m interact.Message) (*interact.Message, error) {
	prev, err := scanMessage(tx.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages
		WHERE task_id = $1 AND sender = $2 AND client_id = $3`, m.TaskID, m.From, m.ClientID))
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("find resent message: %w", err)
	}
	return prev, err
}

// lockTasks returns the last sequence numbers of the tasks that exist among
// ids, and which of them have ended, locking their rows until the
// transaction ends. Rows are locked in id order, so two writers cannot
// deadlock.
func (db *DB) lockTasks(ctx context.Context, tx *sql.Tx, ids []string) (map[string]int64, map[string]bool, error) {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := make(map[string]int64, len(ids))
	var ended map[string]bool
	for chunk := range chunks(ids) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := db.batchStmt(ctx, tx, stmtLockTasks, len(args)).QueryContext(ctx, args...)
		if err != nil {
			return nil, nil, fmt.Errorf("lock tasks: %w", err)
		}
		for rows.Next() {
			var id string
			var seq int64
			var state interact.TaskState
			if err := rows.Scan(&id, &seq, &state); err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("lock tasks: %w", err)
			}
			out[id] = seq
			if state == interact.TaskEnded {
				if ended == nil {
					ended = map[string]bool{}
				}
				ended[id] = true
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, nil, fmt.Errorf("lock tasks: %w", err)
		}
	}
	return out, ended, nil
}

// insertMessages inserts rows with multi-row INSERTs. A row whose client
// id is taken fails the statement with errClientIDTaken (where the dialect
// skips such rows, the transaction must be rolled back).
func (db *DB) insertMessages(ctx context.Context, tx *sql.Tx, rows []*interact.Message) error {
	const cols = 9
	for chunk := range chunks(rows) {
		args := make([]any, 0, len(chunk)*cols)
		for _, m := range chunk {
			event, err := eventColumn(m.Event)
			if err != nil {
				return err
			}
			args = append(args, m.TaskID, m.Seq, m.ClientID, m.From, m.AgentID, m.Name, m.Text, ms(m.At), event)
		}
		res, err := db.batchStmt(ctx, tx, stmtInsertMessages, len(chunk)).ExecContext(ctx, args...)
		if err != nil {
			if db.dialect.isUnique(err) {
				return fmt.Errorf("%w: %w", errClientIDTaken, err)
			}
			return fmt.Errorf("append messages: %w", err)
		}
		if db.dialect.skipTaken != "" {
			if n, err := res.RowsAffected(); err != nil || n != int64(len(chunk)) {
				return fmt.Errorf("%w: %d of %d rows inserted (%v)", errClientIDTaken, n, len(chunk), err)
			}
		}
	}
	return nil
}

// setLastSeq stores each task's highest sequence number among rows, where
// the dialect keeps it in tasks.last_seq.
func (db *DB) setLastSeq(ctx context.Context, tx *sql.Tx, rows []*interact.Message) error {
	if db.dialect.lastSeq != "tasks.last_seq" {
		return nil
	}
	last := map[string]int64{}
	for _, m := range rows {
		last[m.TaskID] = max(last[m.TaskID], m.Seq)
	}
	ids := slices.Sorted(maps.Keys(last))
	for chunk := range chunks(ids) {
		args := make([]any, 0, 2*len(chunk))
		for _, id := range chunk {
			args = append(args, id, last[id])
		}
		if _, err := db.batchStmt(ctx, tx, stmtSetLastSeq, len(chunk)).ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("update task sequence: %w", err)
		}
	}
	return nil
}

// chunks splits s into parts whose lengths are powers of two, largest
// first, at most maxBatch long: a handful of distinct statements then
// serve every batch, so prepared statements are reused.
func chunks[T any](s []T) iter.Seq[[]T] {
	return func(yield func([]T) bool) {
		for len(s) > 0 {
			n := min(maxBatch, 1<<(bits.Len(uint(len(s)))-1))
			if !yield(s[:n]) {
				return
			}
			s = s[n:]
		}
	}
}

// placeholders returns rows groups of parameters, one per column format,
// numbered in order: on PostgreSQL, placeholders(2, "(%s", "%s)") is
// "($1, $2), ($3, $4)".
func (db *DB) placeholders(rows int, cols ...string) string {
	var b strings.Builder
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		for c, f := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, f, db.dialect.param(1+r*len(cols)+c))
		}
	}
	return b.String()
}

// The message writer's statements, each prepared for 1, 2, 4 … maxBatch
// rows on first use.
const (
	stmtLockTasks = iota
	stmtInsertMessages
	stmtSetLastSeq
	numBatchStmts
)

func (db *DB) batchSQL(kind, n int) string {
	switch kind {
	case stmtLockTasks:
		return `SELECT id, ` + db.dialect.lastSeq + `, state FROM tasks WHERE id IN (` + db.placeholders(n, "%s") + `) ORDER BY id` + db.dialect.forUpdate
	case stmtInsertMessages:
		return cmp.Or(db.dialect.skipTaken, "INSERT") + ` INTO messages (` + messageCols + `) VALUES ` + db.placeholders(n, "(%s", "%s", "%s", "%s", "%s", "%s", "%s", "%s", "%s)")
	default: // VALUES columns are named column1, column2… on both engines.
		return `UPDATE tasks SET last_seq = v.column2 FROM (VALUES ` + db.placeholders(n, "(%s", "CAST(%s AS BIGINT))") +
			`) AS v WHERE tasks.id = v.column1`
	}
}

type batchStmtKey struct{ kind, n int }

// prepareBatchStmts prepares the statements for up to n rows not prepared
// yet. It runs outside transactions: SQLite's single write connection is
// taken during one.
func (db *DB) prepareBatchStmts(ctx context.Context, n int) error {
	db.batchMu.Lock()
	defer db.batchMu.Unlock()
	for kind := range numBatchStmts {
		for size := 1; size <= n; size *= 2 {
			key := batchStmtKey{kind, size}
			if db.batchStmts[key] != nil {
				continue
			}
			st, err := db.write.PrepareContext(ctx, db.batchSQL(kind, size))
			if err != nil {
				return fmt.Errorf("prepare: %w", err)
			}
			db.batchStmts[key] = st
		}
	}
	return nil
}

// batchStmt returns statement kind for n rows (a power of two), bound to tx.
func (db *DB) batchStmt(ctx context.Context, tx *sql.Tx, kind, n int) *sql.Stmt {
	db.batchMu.Lock()
	st := db.batchStmts[batchStmtKey{kind, n}]
	db.batchMu.Unlock()
	return tx.StmtContext(ctx, st)
}

const messageCols = `task_id, seq, client_id, sender, agent_id, name, body, at, event`

func scanMessage(row interface{ Scan(...any) error }) (*interact.Message, error) {
	var m interact.Message
	var at int64
	var event string
	if err := row.Scan(&m.TaskID, &m.Seq, &m.ClientID, &m.From, &m.AgentID, &m.Name, &m.Text, &at, &event); err != nil {
		return nil, err
	}
	m.At = fromMS(at)
	if event != "" {
		m.Event = &interact.TaskEvent{}
		if err := json.Unmarshal([]byte(event), m.Event); err != nil {
			return nil, fmt.Errorf("message %s/%d event: %w", m.TaskID, m.Seq, err)
		}
	}
	return &m, nil
}

// eventColumn is the stored form of a message's event: JSON, or "".
func eventColumn(e *interact.TaskEvent) (string, error) {
	if e == nil {
		return "", nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return "", fmt.Errorf("encode task event: %w", err)
	}
	return string(b), nil
}

// Messages returns a task's messages with a sequence number above after,
// in order, at most limit of them.
func (db *DB) Messages(ctx context.Context, taskID string, after int64, limit int) ([]interact.Message, error) {
	return scanMessages(db.read.QueryContext(ctx, `SELECT `+messageCols+` FROM messages WHERE task_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		taskID, after, limit))
}

// scanMessages reads a query's messages, in its order.
func scanMessages(rows *sql.Rows, err error) ([]interact.Message, error) {
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
