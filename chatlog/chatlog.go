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

	"github.com/interact-oss/interact"
)

// Store is what the log needs of the store.
type Store interface {
	// AppendMessageThen stores m with the task's next sequence number and
	// calls committed with the stored message once it is durable, before
	// answering; those calls come in commit order, so per task in
	// sequence order. A resend (same task, sender and client id) returns
	// the stored one with dup true, and calls nothing.
	AppendMessageThen(ctx context.Context, m interact.Message, committed func(interact.Message)) (interact.Message, bool, error)
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
}

// New returns a log over store that publishes on bus. log may be nil
// (slog.Default()).
func New(store Store, bus Publisher, log *slog.Logger) *Log {
	if log == nil {
		log = slog.Default()
	}
	return &Log{store: store, bus: bus, log: log}
}

// Append stores m and, unless it is a resend of a stored message, publishes
// it as a "message" frame on its task's subject before returning: an
// acknowledgement sent after Append never overtakes the message. The store
// publishes through the log's callback as each commit ends, in commit
// order, so a task's messages are published in sequence order while
// appends to one task or many share the store's batches. A caller that
// gives up (ctx) does not stop a write already handed to the store from
// being published.
func (l *Log) Append(ctx context.Context, m interact.Message) (interact.Message, bool, error) {
	return l.store.AppendMessageThen(context.WithoutCancel(ctx), m, l.publish)
}

// publish sends a stored message on its task's subject. A failure is
// logged, not returned: the message is stored and acknowledged, and
// subscribers catch up from the store.
func (l *Log) publish(stored interact.Message) {
	b, err := interact.EncodeFrame("message", "", stored)
	if err == nil {
		err = l.bus.Publish(interact.TaskSubject(stored.TaskID), b)
	}
	if err != nil {
		l.log.Warn("publish message", "task", stored.TaskID, "err", err)
	}
}
