package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/interact-oss/interact"
)

// Account tokens are the one-time secrets of invitation and password-reset
// links. Only their SHA-256 is stored; the secret exists in the queued
// mail (until it is sent) and in the recipient's mailbox. A token is spent
// by setting a password with it, which also spends the user's other
// tokens and ends their sign-in sessions. A token's purpose is the kind
// of mail that carries it.

const (
	// MaxResetsPerHour bounds the reset mails one account gets in an hour,
	// whoever asks and from wherever (every node shares the store).
	MaxResetsPerHour   = 3
	accountTokenPrefix = "ia_"
)

// RequestPasswordReset queues a password-reset mail to every account with
// the address email, in every tenant that accepts sign-ins: each mail sets
// the password of its own account only. Accounts that got
// MaxResetsPerHour reset mails in the last hour get none. Tokens and mails
// commit together. It returns how many mails it queued; callers answer
// the same whatever it is, so no one learns which addresses have accounts.
func (db *DB) RequestPasswordReset(ctx context.Context, email string, compose interact.MailComposer) (int, error) {
	addr, err := interact.NormalizeEmail(email)
	if err != nil {
		return 0, err
	}
	queued := 0
	err = db.tx(ctx, func(tx *sql.Tx) error {
		queued = 0
		holders, err := db.emailHolders(ctx, tx, addr, "")
		if err != nil {
			return err
		}
		since := ms(db.now().Add(-time.Hour))
		for _, h := range holders {
			if h.state != interact.TenantActive && h.state != interact.TenantTrial && !actorOf(h.user).IsOperator() {
				continue
			}
			var recent int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND created_at > $3`,
				h.user.ID, string(interact.MailPasswordReset), since).Scan(&recent); err != nil {
				return err
			}
			if recent >= MaxResetsPerHour {
				continue
			}
			if err := db.issueToken(ctx, tx, h.user, h.tenant, interact.PasswordResetTTL, interact.MailPasswordReset, compose); err != nil {
				return err
			}
			queued++
		}
		return nil
	})
	return queued, err
}

// InviteUser creates a user without a password, as CreateUser does, and
// queues the invitation mail whose link lets them set one (valid for
// InvitationTTL), all in one transaction.
func (db *DB) InviteUser(ctx context.Context, a interact.Actor, u interact.User, compose interact.MailComposer) (*interact.User, error) {
	var out *interact.User
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if out, err = db.createUser(ctx, tx, a, u, "", "user.invite"); err != nil {
			return err
		}
		t, err := db.tenant(ctx, tx, a.TenantID)
		if err != nil {
			return err
		}
		return db.issueToken(ctx, tx, out, interact.TenantChoice{ID: t.ID, Name: t.Name}, interact.InvitationTTL, interact.MailInvitation, compose)
	})
	return out, err
}

// issueToken stores a new token for u and queues the mail compose makes
// with it.
func (db *DB) issueToken(ctx context.Context, tx *sql.Tx, u *interact.User, tenant interact.TenantChoice, ttl time.Duration,
	kind interact.MailKind, compose interact.MailComposer) error {
	secret := interact.NewSecret(accountTokenPrefix, 40)
	now := db.now()
	if _, err := tx.ExecContext(ctx, `INSERT INTO account_tokens (token_hash, purpose, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
		hashToken(secret), string(kind), u.ID, ms(now), ms(now.Add(ttl))); err != nil {
		return err
	}
	m, err := compose(u, tenant, secret)
	if err != nil {
		return err
	}
	m.TenantID, m.Kind, m.To = u.TenantID, kind, u.Email
	return db.queueMail(ctx, tx, m)
}

// AccountLink returns what the link with secret is for, refusing one that
// is unknown (ELINKINVALID), spent (ELINKUSED) or expired (ELINKEXPIRED).
func (db *DB) AccountLink(ctx context.Context, secret string) (*interact.AccountLink, error) {
	var out *interact.AccountLink
	err := db.view(ctx, func(tx *sql.Tx) (err error) {
		out, err = db.accountLink(ctx, tx, secret)
		return err
	})
	return out, err
}

func (db *DB) accountLink(ctx context.Context, tx *sql.Tx, secret string) (*interact.AccountLink, error) {
	invalid := interact.Errorf(interact.ELINKINVALID, "This link is not valid. Copy the whole link from the mail, or ask for a new one.")
	if len(secret) != len(accountTokenPrefix)+40 {
		return nil, invalid
	}
	var l interact.AccountLink
	var userID string
	var expires, used int64
	err := tx.QueryRowContext(ctx, `SELECT purpose, user_id, expires_at, used_at FROM account_tokens WHERE token_hash = $1`, hashToken(secret)).
		Scan(&l.Purpose, &userID, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, invalid
	}
	if err != nil {
		return nil, err
	}
	switch {
	case used > 0:
		return nil, interact.Errorf(interact.ELINKUSED, "This link has already been used to set a password. Sign in, or ask for a new link with “Forgot password?”.")
	case expires <= ms(db.now()):
		return nil, interact.Errorf(interact.ELINKEXPIRED, "This link has expired. Ask for a new one with “Forgot password?” (or ask your administrator for a new invitation).")
	}
	l.ExpiresAt = fromMS(expires)
	var tenantID string
	if err := tx.QueryRowContext(ctx, `SELECT tenant_id FROM users WHERE id = $1`, userID).Scan(&tenantID); err != nil {
		return nil, invalid
	}
	if l.User, err = db.user(ctx, tx, tenantID, userID); err != nil {
		return nil, err
	}
	t, err := db.tenant(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	l.Tenant = interact.TenantChoice{ID: t.ID, Name: t.Name}
	return &l, nil
}

// SetPasswordWithLink sets the password of the account a live link is
// for, spends every token of that user and ends all their sign-in
// sessions (API tokens stay, as with every password change). The audit log
// records the user themself as "user.set_password". A link that cannot be
// used changes nothing.
func (db *DB) SetPasswordWithLink(ctx context.Context, secret, password string) (*interact.User, error) {
	if err := interact.ValidatePassword(password); err != nil {
		return nil, err
	}
	hash := interact.HashPassword(password)
	var u *interact.User
	err := db.tx(ctx, func(tx *sql.Tx) error {
		l, err := db.accountLink(ctx, tx, secret)
		if err != nil {
			return err
		}
		u = l.User
		now := ms(db.now())
		// Spending the token first, conditionally, makes two uses racing
		// for it end with one winner.
		res, err := tx.ExecContext(ctx, `UPDATE account_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at = 0`, now, hashToken(secret))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return interact.Errorf(interact.ELINKUSED, "This link has already been used to set a password.")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE account_tokens SET used_at = $1 WHERE user_id = $2 AND used_at = 0`, now, u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2`, hash, u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_sessions WHERE user_id = $1`, u.ID); err != nil {
			return err
		}
		actor := actorOf(u)
		changed := struct {
			interact.User
			PasswordChanged bool   `json:"passwordChanged"`
			By              string `json:"by"`
		}{*u, true, string(l.Purpose)}
		return db.audit(ctx, tx, actor, "user.set_password", "user", u.ID, u, changed)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}
