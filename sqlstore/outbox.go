package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/interact-oss/interact"
)

// The outbox. Whatever causes a mail queues it with queueMail inside its
// own transaction, so the change and its mail commit together or not at
// all. One sender at a time (the holder of OutboxLease) claims due mails,
// sends them and records each outcome right after the SMTP server answered.

// OutboxLease is the lease whose holder sends the outbox's mails.
const OutboxLease = "outbox"

// queueMail adds a composed mail to the outbox in tx, due at once. It fills
// in the id, the Message-ID (when empty) and the creation time.
func (db *DB) queueMail(ctx context.Context, tx *sql.Tx, m *interact.Mail) error {
	if err := m.Validate(); err != nil {
		return err
	}
	now := db.now().UTC().Truncate(time.Millisecond)
	m.ID, m.State, m.Attempts, m.CreatedAt = interact.NewID(), interact.MailQueued, 0, now
	if m.MessageID == "" {
		m.MessageID = interact.NewMessageID(m.From)
	}
	m.NextAttemptAt = &now
	_, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, tenant_id, kind, message_id, from_addr, to_addr, subject, body_text, body_html, state, next_attempt_at, created_at, reply_to)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		m.ID, m.TenantID, string(m.Kind), m.MessageID, m.From, m.To, m.Subject, m.Text, m.HTML, string(m.State), ms(now), ms(now), m.ReplyTo)
	return err
}

// QueueMail queues one composed mail on its own, for a mail that no other
// change causes. Others queue theirs in their own transaction.
func (db *DB) QueueMail(ctx context.Context, m *interact.Mail) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return db.queueMail(ctx, tx, m) })
}

// MailsDue reports whether a mail waits to be sent: queued and due, or
// claimed by a sender whose claim ran out.
func (db *DB) MailsDue(ctx context.Context) (bool, error) {
	var n int
	now := ms(db.now())
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM outbox WHERE (state = 'queued' AND next_attempt_at <= $1)
		OR (state = 'sending' AND claimed_until <= $1) LIMIT 1) due`, now).Scan(&n)
	return n > 0, db.storageError(err)
}

// ClaimMails claims up to limit due mails for holder, oldest due first,
// for claimFor: their state becomes "sending" and their attempts grow by
// one. It is fenced by the outbox lease: token must be holder's current
// token of OutboxLease, else nothing is claimed and the error is
// interact.ErrFenced. A mail whose claim runs out before it is marked
// sent, deferred or failed is due again.
func (db *DB) ClaimMails(ctx context.Context, holder string, token int64, limit int, claimFor time.Duration) ([]interact.Mail, error) {
	if limit <= 0 || limit > interact.MaxOutboxPage || claimFor < time.Second {
		return nil, interact.Errorf(interact.EINVALID, "Claim 1 to %d mails for at least a second.", interact.MaxOutboxPage)
	}
	var out []interact.Mail
	err := db.tx(interact.WithFence(ctx, OutboxLease, token), func(tx *sql.Tx) error {
		now := ms(db.now())
		rows, err := tx.QueryContext(ctx, `SELECT `+mailCols+`, body_text, body_html FROM outbox
			WHERE (state = 'queued' AND next_attempt_at <= $1) OR (state = 'sending' AND claimed_until <= $1)
			ORDER BY next_attempt_at, id LIMIT $2`+db.dialect.forUpdate, now, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			m, err := scanMail(rows, true)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, *m)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		until := now + claimFor.Milliseconds()
		for i := range out {
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'sending', claimed_until = $1, attempts = attempts + 1 WHERE id = $2`,
				until, out[i].ID); err != nil {
				return err
			}
			out[i].State, out[i].Attempts = interact.MailSending, out[i].Attempts+1
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MailSent records that the SMTP server accepted a mail, and drops its
// bodies.
func (db *DB) MailSent(ctx context.Context, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'sent', sent_at = $1, next_attempt_at = 0, claimed_until = 0,
			body_text = '', body_html = '' WHERE id = $2`, ms(db.now()), id)
		return err
	})
}

// MailDeferred puts a mail back in the queue after a temporary failure,
// due at next, keeping the server's answer.
func (db *DB) MailDeferred(ctx context.Context, id, answer string, next time.Time) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'queued', next_attempt_at = $1, claimed_until = 0, last_error = $2
			WHERE id = $3 AND state = 'sending'`, ms(next), clip(answer, interact.MaxMailError), id)
		return err
	})
}

// MailFailed marks a mail failed for good (refused permanently, or out of
// attempts), keeping the server's answer, and drops its bodies.
func (db *DB) MailFailed(ctx context.Context, id, answer string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET state = 'failed', next_attempt_at = 0, claimed_until = 0, last_error = $1,
			body_text = '', body_html = '' WHERE id = $2 AND state = 'sending'`, clip(answer, interact.MaxMailError), id)
		return err
	})
}

// Outbox lists the mails of the actor's tenant, newest first, without
// their bodies: tenant admins only (operators: every tenant's). It returns
// the cursor of the next page ("" on the last).
func (db *DB) Outbox(ctx context.Context, a interact.Actor, f interact.OutboxFilter) ([]interact.Mail, string, error) {
	if err := f.Validate(); err != nil {
		return nil, "", err
	}
	if !a.IsTenantAdmin() && !a.IsOperator() {
		return nil, "", forbidden("The outbox is for tenant admins.")
	}
	tenant := a.TenantID
	if a.IsOperator() {
		tenant = ""
	}
	cursor := f.Cursor
	if cursor == "" {
		cursor = "~" // sorts after every id
	}
	out := []interact.Mail{}
	err := db.view(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+mailCols+` FROM outbox
			WHERE ($1 = '' OR tenant_id = $1) AND ($2 = '' OR state = $2) AND id < $3 ORDER BY id DESC LIMIT $4`,
			tenant, string(f.State), cursor, f.Limit+1)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanMail(rows, false)
			if err != nil {
				return err
			}
			out = append(out, *m)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out, next = out[:f.Limit], out[f.Limit-1].ID
	}
	return out, next, nil
}

const mailCols = `id, tenant_id, kind, message_id, from_addr, to_addr, subject, state, attempts, next_attempt_at, last_error, created_at, sent_at, reply_to`

func scanMail(row interface{ Scan(...any) error }, bodies bool) (*interact.Mail, error) {
	var m interact.Mail
	var next, created, sent int64
	dest := []any{&m.ID, &m.TenantID, &m.Kind, &m.MessageID, &m.From, &m.To, &m.Subject, &m.State, &m.Attempts, &next, &m.LastError, &created, &sent, &m.ReplyTo}
	if bodies {
		dest = append(dest, &m.Text, &m.HTML)
	}
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	m.CreatedAt = fromMS(created)
	if next > 0 && (m.State == interact.MailQueued || m.State == interact.MailSending) {
		t := fromMS(next)
		m.NextAttemptAt = &t
	}
	if sent > 0 {
		t := fromMS(sent)
		m.SentAt = &t
	}
	return &m, nil
}

// clip cuts s to at most n bytes, dropping a rune cut in half.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
