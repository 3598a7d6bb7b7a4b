// Package chatlog is the one owner of a message's publication: it commits
// a task's messages (visitors', agents' and the system's, the system's task
// events such as a call's start and end included) to the store and then
// publishes each on the task's subject, in sequence order per task.
//
// It owns the order "stored before published" and "published in seq order";
// it does not own validation (the domain's), permissions (the callers'),
// ephemeral frames such as typing (published by whoever makes them) or
// routing events (published by the routing engine after its commits).
package chatlog

import (
	"context"
	"log/slog"
	"sync"

	"github.com/interact-oss/interact"
)

// Store is what the log needs of the store.
type Store interface {
	// AppendMessage stores m with the task's next sequence number; a
	// resend (same task, sender and client id) returns the stored one with
	// dup true.
	AppendMessage(ctx context.Context, m interact.Message) (interact.Message, bool, error)
}

// Publisher is where published messages go: the bus.
type Publisher interface {
	Publish(subject string, data []byte) error
}

// Log commits messages, then publishes them. It is safe for concurrent use.
type Log struct {
	store Store
	bus   Publisher
	log   *slog.Logger

	mu    sync.Mutex
	turns map[string]*turn // per task, while someone appends to it
}

// turn serialises the appends of one task, so that publication follows
// sequence order.
type turn struct {
	sync.Mutex
	waiters int
}

// New returns a log over store that publishes on bus. log may be nil
// (slog.Default()).
func New(store Store, bus Publisher, log *slog.Logger) *Log {
	if log == nil {
		log = slog.Default()
	}
	return &Log{store: store, bus: bus, log: log, turns: map[string]*turn{}}
}

// Append stores m and, unless it is a resend of a stored message, publishes
// it as a "message" frame on its task's subject before returning: an
// acknowledgement sent after Append never overtakes the message. Appends to
// one task are serialised; appends to different tasks run side by side (the
// store batches them). A caller that gives up (ctx) does not stop a write
// already handed to the store from being published.
func (l *Log) Append(ctx context.Context, m interact.Message) (interact.Message, bool, error) {
	t := l.take(m.TaskID)
	defer l.give(m.TaskID, t)
	stored, dup, err := l.store.AppendMessage(context.WithoutCancel(ctx), m)
	if err != nil || dup {
		return stored, dup, err
	}
	b, err := interact.EncodeFrame("message", "", stored)
	if err == nil {
		err = l.bus.Publish(interact.TaskSubject(stored.TaskID), b)
	}
	if err != nil {
		// Stored and acknowledged: subscribers catch up from the store.
		l.log.Warn("publish message", "task", stored.TaskID, "err", err)
	}
	return stored, false, nil
}

func (l *Log) take(taskID string) *turn {
	l.mu.Lock()
	t := l.turns[taskID]
	if t == nil {
		t = &turn{}
		l.turns[taskID] = t
	}
	t.waiters++
	l.mu.Unlock()
	t.Lock()
	return t
}

func (l *Log) give(taskID string, t *turn) {
	t.Unlock()
	l.mu.Lock()
	if t.waiters--; t.waiters == 0 {
		delete(l.turns, taskID)
	}
	l.mu.Unlock()
}
