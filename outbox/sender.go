// Package outbox sends the mails queued in the store's outbox over SMTP
// (github.com/wneessen/go-mail builds the MIME and speaks SMTP).
//
// Whatever causes a mail queues it in the store, in the transaction of the
// change itself, already composed with a fixed Message-ID and Date; this
// package only delivers. Across nodes sharing a store, one sender works at
// a time: the holder of the store's "outbox" lease, taken only while mail
// is due and renewed before every claim; a claim is fenced by the lease's
// token, so a node that lost the lease claims nothing more.
//
// A mail is claimed for a while (4 × Timeout), sent, and marked sent right
// after the server accepted it. A 4xx answer (or an unreachable server)
// puts it back with exponential backoff; a 5xx answer, or running out of
// attempts, marks it failed with the server's answer. The one window SMTP
// leaves open: the process dies (or the store is unreachable) after the
// server accepted the mail and before it is marked sent; when its claim
// runs out the mail goes again, with the same Message-ID, so receivers
// that deduplicate by Message-ID show it once.
//
// It owns the sending goroutine; it does not own composing mails (web) or
// the outbox table (sqlstore).
package outbox

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/interact-oss/interact"
	"github.com/wneessen/go-mail"
)

// Store is what the sender needs of the store.
type Store interface {
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (token int64, ok bool, err error)
	ReleaseLease(ctx context.Context, name, holder string) error
	MailsDue(ctx context.Context) (bool, error)
	ClaimMails(ctx context.Context, holder string, token int64, limit int, claimFor time.Duration) ([]interact.Mail, error)
	MailSent(ctx context.Context, id string) error
	MailDeferred(ctx context.Context, id, answer string, next time.Time) error
	MailFailed(ctx context.Context, id, answer string) error
}

// LeaseName is the store lease whose holder sends.
const LeaseName = "outbox"

// Config configures a sender. Zero values mean the documented defaults.
type Config struct {
	SMTP SMTP
	// TLSConfig checks the server's certificate. Default: the system's roots.
	TLSConfig *tls.Config
	// Timeout bounds each step of an SMTP conversation. Default 30s. A
	// claim lasts 4 × Timeout.
	Timeout time.Duration
	// Poll is how often the store is asked for due mail. Default 1s.
	Poll time.Duration
	// Backoff is the delay after the first temporary failure; it doubles
	// with each further one, up to MaxBackoff. Defaults 30s and 1h.
	Backoff, MaxBackoff time.Duration
	// MaxAttempts is how many times a mail is tried before it is marked
	// failed. Default 12 (about 4½ hours with the default backoff).
	MaxAttempts int
	// Batch is how many mails one claim takes. Default 10.
	Batch int
	// LeaseTTL is the sender lease's lifetime. Default 5s.
	LeaseTTL time.Duration
	// NodeID names this sender in the lease. Default: a new id.
	NodeID string
	Log    *slog.Logger
}

// Sender delivers the outbox until closed.
type Sender struct {
	cfg   Config
	store Store
	log   *slog.Logger
	wake  chan struct{}
	stop  context.CancelFunc
	done  sync.WaitGroup
	sent  atomic.Int64
}

// Start starts a sender over store.
func Start(cfg Config, store Store) (*Sender, error) {
	if cfg.SMTP.Host == "" {
		return nil, errors.New("outbox: no SMTP server")
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Timeout, 30*time.Second)
	def(&cfg.Poll, time.Second)
	def(&cfg.Backoff, 30*time.Second)
	def(&cfg.MaxBackoff, time.Hour)
	def(&cfg.LeaseTTL, 5*time.Second)
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 12
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 10
	}
	if cfg.NodeID == "" {
		cfg.NodeID = interact.NewID()
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if _, err := cfg.SMTP.client(cfg.TLSConfig, cfg); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	ctx, stop := context.WithCancel(context.Background())
	s := &Sender{cfg: cfg, store: store, log: cfg.Log, wake: make(chan struct{}, 1), stop: stop}
	s.done.Add(1)
	go s.loop(ctx)
	return s, nil
}

// Wake makes the sender look for due mail now rather than at its next poll.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Sent is how many mails this sender handed over.
func (s *Sender) Sent() int64 { return s.sent.Load() }

// Close stops the sender, waits for it, and gives the lease up. A mail
// being sent is finished first (bounded by Timeout).
func (s *Sender) Close() {
	s.stop()
	s.done.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.store.ReleaseLease(ctx, LeaseName, s.cfg.NodeID); err != nil {
		s.log.Warn("release outbox lease", "err", err)
	}
}

func (s *Sender) loop(ctx context.Context) {
	defer s.done.Done()
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		s.drain(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// drain sends due mail, a claim at a time, while this node holds the lease.
func (s *Sender) drain(ctx context.Context) {
	due, err := s.store.MailsDue(ctx)
	if err != nil || !due {
		return
	}
	claimFor := 4 * s.cfg.Timeout
	for ctx.Err() == nil {
		token, ok, err := s.store.AcquireLease(ctx, LeaseName, s.cfg.NodeID, s.cfg.LeaseTTL)
		if err != nil || !ok {
			return // another node sends, or the store is away: try at the next poll
		}
		mails, err := s.store.ClaimMails(ctx, s.cfg.NodeID, token, s.cfg.Batch, claimFor)
		if err != nil {
			if !errors.Is(err, interact.ErrFenced) {
				s.log.Warn("claim mails", "err", err)
			}
			return
		}
		if len(mails) == 0 {
			return
		}
		s.sendAll(mails, time.Now().Add(claimFor))
	}
}

// sendAll sends claimed mails over one connection, redialling after a
// broken one. A mail whose claim is about to run out is left alone: the
// next claim takes it again.
func (s *Sender) sendAll(mails []interact.Mail, claimEnds time.Time) {
	// Recording an outcome must not be cut short by shutdown: the server
	// has answered.
	ctx := context.Background()
	var c *mail.Client
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	for _, m := range mails {
		if time.Until(claimEnds) < 2*s.cfg.Timeout {
			return
		}
		if c == nil {
			var err error
			if c, err = s.dial(ctx); err != nil {
				s.retry(ctx, m, "cannot reach the SMTP server: "+err.Error())
				c = nil
				continue
			}
		}
		msg, err := message(m)
		if err != nil {
			s.fail(ctx, m, "cannot build the message: "+err.Error())
			continue
		}
		err = c.Send(msg)
		switch {
		case msg.IsDelivered(): // accepted, whatever happened afterwards (RSET)
			if err := s.store.MailSent(ctx, m.ID); err != nil {
				s.log.Error("mail sent but not marked sent: it is sent again when its claim runs out", "mail", m.ID, "err", err)
			}
			s.sent.Add(1)
			if err != nil {
				c.Close()
				c = nil
			}
		case permanent(err):
			s.fail(ctx, m, answer(err))
		default:
			s.retry(ctx, m, answer(err))
			c.Close()
			c = nil // the next mail gets a fresh connection
		}
	}
}

func (s *Sender) dial(ctx context.Context) (*mail.Client, error) {
	c, err := s.cfg.SMTP.client(s.cfg.TLSConfig, s.cfg)
	if err != nil {
		return nil, err
	}
	dctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	if err := c.DialWithContext(dctx); err != nil {
		return nil, err
	}
	return c, nil
}

// retry puts a mail back after a temporary failure, or fails it when it
// is out of attempts.
func (s *Sender) retry(ctx context.Context, m interact.Mail, why string) {
	if m.Attempts >= s.cfg.MaxAttempts {
		s.fail(ctx, m, fmt.Sprintf("gave up after %d attempts: %s", m.Attempts, why))
		return
	}
	next := time.Now().Add(s.backoff(m.Attempts))
	s.log.Warn("mail deferred", "mail", m.ID, "to", m.To, "attempt", m.Attempts, "next", next, "answer", why)
	if err := s.store.MailDeferred(ctx, m.ID, why, next); err != nil {
		s.log.Error("defer mail", "mail", m.ID, "err", err)
	}
}

func (s *Sender) fail(ctx context.Context, m interact.Mail, why string) {
	s.log.Warn("mail failed", "mail", m.ID, "to", m.To, "answer", why)
	if err := s.store.MailFailed(ctx, m.ID, why); err != nil {
		s.log.Error("fail mail", "mail", m.ID, "err", err)
	}
}

// backoff is the delay after the n-th failed attempt.
func (s *Sender) backoff(n int) time.Duration {
	d := s.cfg.Backoff
	for i := 1; i < n && d < s.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.cfg.MaxBackoff)
}

// permanent reports whether the server refused for good (a 5xx answer).
func permanent(err error) bool {
	var se *mail.SendError
	return errors.As(err, &se) && !se.IsTemp() && se.ErrorCode() >= 500
}

// answer is what the outbox keeps of a failure: the server's reply when
// there is one.
func answer(err error) string {
	if err == nil {
		return "no answer"
	}
	return err.Error()
}
