// Package natsbus is the interact.Bus over NATS, for running several
// interact nodes: every node connects to the same NATS server (or cluster)
// and sees every event. It also offers request/reply (Request, Handle),
// which the cluster package uses to forward calls to the routing owner.
//
// It owns the NATS connection: reconnecting (forever, buffering publishes
// while disconnected), per-subscription ordered delivery, and draining on
// Close. It does not store anything: as with every Bus, what matters is
// committed to the store before it is published.
package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/interact-oss/interact"
	"github.com/nats-io/nats.go"
)

// ErrClosed is returned after Close.
var ErrClosed = errors.New("natsbus: closed")

// ErrNoResponder is returned by Request when nobody handles the subject.
var ErrNoResponder = nats.ErrNoResponders

// Options configures Connect. Zero values mean the documented defaults.
type Options struct {
	// Name identifies the connection in the NATS server's monitoring.
	Name string
	// Log receives connection events. Default slog.Default().
	Log *slog.Logger
	// ConnectTimeout bounds the first connection. Default 5s.
	ConnectTimeout time.Duration
	// ReconnectWait is the pause between reconnect attempts. Default 250ms.
	ReconnectWait time.Duration
	// ReconnectBuffer is how many bytes of publishes are kept while
	// disconnected (beyond it Publish fails). Default 64 MiB.
	ReconnectBuffer int
	// PendingMessages and PendingBytes bound what one subscription may
	// have waiting for its handler before NATS drops (slow consumer).
	// Defaults 1,000,000 and 256 MiB.
	PendingMessages, PendingBytes int
	// DrainTimeout bounds Close. Default 10s.
	DrainTimeout time.Duration
}

// Bus is an interact.Bus over one NATS connection.
type Bus struct {
	nc       *nats.Conn
	opts     Options
	log      *slog.Logger
	closed   atomic.Bool
	done     chan struct{} // closed when the connection has closed
	handlers sync.WaitGroup
}

// Connect connects to the NATS server(s) at url (comma-separated for a
// cluster). The first connection must succeed: an unreachable server is an
// error. Afterwards the bus reconnects forever.
func Connect(url string, o Options) (*Bus, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.ConnectTimeout == 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if o.ReconnectWait == 0 {
		o.ReconnectWait = 250 * time.Millisecond
	}
	if o.ReconnectBuffer == 0 {
		o.ReconnectBuffer = 64 << 20
	}
	if o.PendingMessages == 0 {
		o.PendingMessages = 1_000_000
	}
	if o.PendingBytes == 0 {
		o.PendingBytes = 256 << 20
	}
	if o.DrainTimeout == 0 {
		o.DrainTimeout = 10 * time.Second
	}
	b := &Bus{opts: o, log: o.Log, done: make(chan struct{})}
	var once sync.Once
	nc, err := nats.Connect(url,
		nats.Name(o.Name),
		nats.Timeout(o.ConnectTimeout),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(o.ReconnectWait),
		nats.ReconnectJitter(100*time.Millisecond, time.Second),
		nats.ReconnectBufSize(o.ReconnectBuffer),
		nats.DrainTimeout(o.DrainTimeout),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if !b.closed.Load() {
				b.log.Warn("nats disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { b.log.Info("nats reconnected", "url", c.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, s *nats.Subscription, err error) {
			subject := ""
			if s != nil {
				subject = s.Subject
			}
			b.log.Error("nats", "subject", subject, "err", err)
		}),
		nats.ClosedHandler(func(*nats.Conn) { once.Do(func() { close(b.done) }) }),
	)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", redact(url), err)
	}
	b.nc = nc
	return b, nil
}

// redact hides a password in a URL for error messages.
func redact(url string) string {
	at, scheme := strings.LastIndexByte(url, '@'), strings.Index(url, "://")
	if at >= 0 && scheme >= 0 && scheme < at {
		return url[:scheme+3] + "…" + url[at:]
	}
	return url
}

// Publish sends data to every subscriber of subject on any node. While the
// connection is down, publishes are buffered up to ReconnectBuffer.
func (b *Bus) Publish(subject string, data []byte) error {
	if !interact.ValidSubject(subject) {
		return fmt.Errorf("natsbus: invalid subject %q", subject)
	}
	if b.closed.Load() {
		return ErrClosed
	}
	return b.nc.Publish(subject, data)
}

// Subscribe calls fn for every message on a matching subject, one at a time
// in arrival order, on a goroutine of this subscription.
func (b *Bus) Subscribe(subject string, fn func(subject string, data []byte)) (interact.Subscription, error) {
	if subject == "" {
		return nil, errors.New("natsbus: empty subject")
	}
	if b.closed.Load() {
		return nil, ErrClosed
	}
	s := &sub{}
	ns, err := b.nc.Subscribe(subject, func(m *nats.Msg) {
		if !s.stopped.Load() {
			fn(m.Subject, m.Data)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("natsbus: subscribe %q: %w", subject, err)
	}
	if err := ns.SetPendingLimits(b.opts.PendingMessages, b.opts.PendingBytes); err != nil {
		ns.Unsubscribe()
		return nil, fmt.Errorf("natsbus: subscribe %q: %w", subject, err)
	}
	s.ns = ns
	return s, nil
}

type sub struct {
	ns      *nats.Subscription
	stopped atomic.Bool
}

// Unsubscribe stops delivery; messages still queued for the handler are
// dropped.
func (s *sub) Unsubscribe() error {
	s.stopped.Store(true)
	err := s.ns.Unsubscribe()
	if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrBadSubscription) || errors.Is(err, nats.ErrConnectionDraining) {
		return nil // already gone with the connection
	}
	return err
}

// Request sends data to subject and waits for one reply, until ctx ends.
// With no handler for the subject it fails at once with ErrNoResponder.
func (b *Bus) Request(ctx context.Context, subject string, data []byte) ([]byte, error) {
	if b.closed.Load() {
		return nil, ErrClosed
	}
	m, err := b.nc.RequestWithContext(ctx, subject, data)
	if err != nil {
		return nil, err
	}
	return m.Data, nil
}

// Handle answers requests on subject with fn's result. With a non-empty
// queue, each request goes to only one of the handlers in that queue group.
// Requests are handled concurrently, up to 64 at a time per handler.
func (b *Bus) Handle(subject, queue string, fn func(data []byte) []byte) (interact.Subscription, error) {
	if b.closed.Load() {
		return nil, ErrClosed
	}
	s := &sub{}
	sem := make(chan struct{}, 64)
	ns, err := b.nc.QueueSubscribe(subject, queue, func(m *nats.Msg) {
		if s.stopped.Load() {
			return
		}
		sem <- struct{}{}
		b.handlers.Add(1)
		go func() {
			defer func() { <-sem; b.handlers.Done() }()
			if err := m.Respond(fn(m.Data)); err != nil && !errors.Is(err, nats.ErrMsgNoReply) {
				b.log.Warn("nats reply", "subject", subject, "err", err)
			}
		}()
	})
	if err != nil {
		return nil, fmt.Errorf("natsbus: handle %q: %w", subject, err)
	}
	s.ns = ns
	return s, nil
}

// Flush waits until the server has processed everything sent so far,
// subscriptions included.
func (b *Bus) Flush() error {
	if b.closed.Load() {
		return ErrClosed
	}
	return b.nc.Flush()
}

// Reconnects is how many times the connection was re-established: events
// published meanwhile may have been missed.
func (b *Bus) Reconnects() uint64 { return b.nc.Stats().Reconnects }

// Connected reports whether the connection is up now.
func (b *Bus) Connected() bool { return b.nc.IsConnected() }

// Close refuses new publishes and subscriptions, lets subscriptions finish
// the messages they already received, sends what is buffered, closes the
// connection (at most DrainTimeout) and waits for running request handlers.
func (b *Bus) Close() error {
	if b.closed.Swap(true) {
		<-b.done
		return nil
	}
	if err := b.nc.Drain(); err != nil {
		b.nc.Close()
	}
	select {
	case <-b.done:
	case <-time.After(b.opts.DrainTimeout + time.Second):
		b.nc.Close()
	}
	b.handlers.Wait()
	return nil
}
