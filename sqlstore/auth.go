package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/interact-oss/interact"
)

// SessionTTL is how long a login session lasts without use.
const SessionTTL = 12 * time.Hour

// Token prefixes tell a session token from an API token at a glance
// (and to secret scanners).
const (
	sessionPrefix  = "is_"
	apiTokenPrefix = "it_"
)

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// dummyHash is compared against when an e-mail is unknown, so a login takes
// as long for unknown users as for wrong passwords.
var dummyHash = interact.HashPassword("not-a-password-of-anyone")

// maxTenantIDLen bounds the tenant id a sign-in may name.
const maxTenantIDLen = 64

// Login checks e-mail and password and opens a session. It returns the
// session token (for the cookie) and a CSRF token for state-changing
// requests. Users of suspended or expired tenants cannot sign in, except
// operators.
//
// An e-mail address is unique within a tenant only, so it may name users
// of several tenants. The password is checked against each of them (or
// only the one of tenantID, when it is not ""); of those it fits, the
// users whose tenant accepts sign-ins count. One: that user signs in.
// Several: ETENANTREQUIRED, listing their tenants (only those), so that
// the caller asks again with tenantID. None because every tenant that
// fits is inactive: ETENANTINACTIVE. A password that fits no user answers
// as an unknown address does, and takes one password check per user
// holding the address, fitting or not; an unknown address takes one too.
func (db *DB) Login(ctx context.Context, email, password, tenantID string) (token, csrf string, a interact.Actor, err error) {
	email = strings.ToLower(strings.TrimSpace(email))
	tenantID = strings.TrimSpace(tenantID)
	if len(tenantID) > maxTenantIDLen {
		return "", "", interact.Actor{}, interact.Errorf(interact.EINVALID, "tenantId must be at most %d characters.", maxTenantIDLen)
	}
	var holders []emailHolder
	err = db.view(ctx, func(tx *sql.Tx) (err error) {
		holders, err = db.emailHolders(ctx, tx, email, tenantID)
		return err
	})
	if err != nil {
		return "", "", interact.Actor{}, err
	}
	if len(holders) == 0 {
		interact.CheckPassword(dummyHash, password)
	}
	// Every holder's password is checked, fitting or not, so that the time
	// taken does not tell which of them fits.
	var fits, usable []emailHolder
	for _, h := range holders {
		if interact.CheckPassword(h.hash, password) {
			fits = append(fits, h)
		}
	}
	for _, h := range fits {
		if h.state == interact.TenantActive || h.state == interact.TenantTrial || actorOf(h.user).IsOperator() {
			usable = append(usable, h)
		}
	}
	switch {
	case len(fits) == 0:
		return "", "", interact.Actor{}, interact.Errorf(interact.EUNAUTHORIZED, "Wrong e-mail address or password.")
	case len(usable) == 0:
		return "", "", interact.Actor{}, interact.Errorf(interact.ETENANTINACTIVE, "Your organisation's account is %s.", fits[0].state)
	case len(usable) > 1:
		e := interact.Errorf(interact.ETENANTREQUIRED, "This e-mail address and password sign in to %d organisations; choose one.", len(usable))
		for _, h := range usable {
			e.Tenants = append(e.Tenants, h.tenant)
		}
		return "", "", interact.Actor{}, e
	}
	u := usable[0].user
	a = actorOf(u)
	token = interact.NewSecret(sessionPrefix, 40)
	csrf = interact.NewSecret("", 32)
	now := db.now()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_sessions WHERE expires_at < $1`, ms(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO login_sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
			hashToken(token), u.ID, csrf, ms(now), ms(now.Add(SessionTTL)))
		return err
	})
	if err != nil {
		return "", "", interact.Actor{}, err
	}
	return token, csrf, a, nil
}

func actorOf(u *interact.User) interact.Actor {
	return interact.Actor{UserID: u.ID, TenantID: u.TenantID, Email: u.Email, Roles: u.Roles}
}

// SessionActor returns the actor and CSRF token of a live session, and
// extends the session. Unknown or expired tokens get unauthorized.
func (db *DB) SessionActor(ctx context.Context, token string) (interact.Actor, string, error) {
	if !strings.HasPrefix(token, sessionPrefix) {
		return interact.Actor{}, "", interact.Errorf(interact.EUNAUTHORIZED, "Please sign in.")
	}
	var a interact.Actor
	var csrf string
	now := db.now()
	err := db.view(ctx, func(tx *sql.Tx) error {
		var userID string
		var expires int64
		err := tx.QueryRowContext(ctx, `SELECT user_id, csrf_token, expires_at FROM login_sessions WHERE token_hash = $1`, hashToken(token)).
			Scan(&userID, &csrf, &expires)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && expires < ms(now)) {
			return interact.Errorf(interact.EUNAUTHORIZED, "Your session has ended; please sign in again.")
		}
		if err != nil {
			return err
		}
		a, err = db.liveActor(ctx, tx, userID)
		return err
	})
	if err != nil {
		return interact.Actor{}, "", err
	}
	// Extend at most once a minute, so reads stay reads.
	_, err = db.write.ExecContext(ctx, `UPDATE login_sessions SET expires_at = $1 WHERE token_hash = $2 AND expires_at < $3`,
		ms(now.Add(SessionTTL)), hashToken(token), ms(now.Add(SessionTTL-time.Minute)))
	return a, csrf, err
}

// liveActor loads a user as an actor, refusing users of inactive tenants.
func (db *DB) liveActor(ctx context.Context, tx *sql.Tx, userID string) (interact.Actor, error) {
	var tenantID string
	if err := tx.QueryRowContext(ctx, `SELECT tenant_id FROM users WHERE id = $1`, userID).Scan(&tenantID); err != nil {
		return interact.Actor{}, interact.Errorf(interact.EUNAUTHORIZED, "Please sign in.")
	}
	u, err := db.user(ctx, tx, tenantID, userID)
	if err != nil {
		return interact.Actor{}, err
	}
	t, err := db.tenant(ctx, tx, tenantID)
	if err != nil {
		return interact.Actor{}, err
	}
	a := actorOf(u)
	if t.State != interact.TenantActive && t.State != interact.TenantTrial && !a.IsOperator() {
		return interact.Actor{}, interact.Errorf(interact.ETENANTINACTIVE, "Your organisation's account is %s.", t.State)
	}
	return a, nil
}

// Logout ends a session.
func (db *DB) Logout(ctx context.Context, token string) error {
	_, err := db.write.ExecContext(ctx, `DELETE FROM login_sessions WHERE token_hash = $1`, hashToken(token))
	return err
}

// CreateAPIToken creates an API token acting as userID: the actor itself,
// or a user the actor administers. It returns the secret once.
func (db *DB) CreateAPIToken(ctx context.Context, a interact.Actor, userID, name string) (*interact.APIToken, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > interact.MaxNameLen {
		return nil, "", interact.Errorf(interact.EINVALID, "A token needs a name of 1 to %d characters.", interact.MaxNameLen)
	}
	secret := interact.NewSecret(apiTokenPrefix, 40)
	t := interact.APIToken{ID: interact.NewID(), UserID: userID, Name: name, CreatedAt: db.now().UTC().Truncate(time.Millisecond)}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.checkTokenOwner(ctx, tx, a, userID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_tokens WHERE user_id = $1`, userID).Scan(&n); err != nil {
			return err
		}
		if n >= interact.MaxAPITokens {
			return interact.Errorf(interact.EINVALID, "A user may hold at most %d API tokens.", interact.MaxAPITokens)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)`,
			t.ID, userID, name, hashToken(secret), ms(t.CreatedAt)); err != nil {
			return err
		}
		return db.audit(ctx, tx, a, "api_token.create", "user", userID, nil, t)
	})
	if err != nil {
		return nil, "", err
	}
	return &t, secret, nil
}

func (db *DB) checkTokenOwner(ctx context.Context, tx *sql.Tx, a interact.Actor, userID string) error {
	if userID == a.UserID {
		return nil
	}
	_, _, err := db.adminUser(ctx, tx, a, userID)
	return err
}

// APITokens lists a user's tokens (without secrets).
func (db *DB) APITokens(ctx context.Context, a interact.Actor, userID string) ([]interact.APIToken, error) {
	out := []interact.APIToken{}
	err := db.view(ctx, func(tx *sql.Tx) error {
		if err := db.checkTokenOwner(ctx, tx, a, userID); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, name, created_at, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY id`, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t := interact.APIToken{UserID: userID}
			var created, used int64
			if err := rows.Scan(&t.ID, &t.Name, &created, &used); err != nil {
				return err
			}
			t.CreatedAt = fromMS(created)
			if used > 0 {
				u := fromMS(used)
				t.LastUsedAt = &u
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

// DeleteAPIToken revokes a token.
func (db *DB) DeleteAPIToken(ctx context.Context, a interact.Actor, userID, id string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.checkTokenOwner(ctx, tx, a, userID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = $1 AND id = $2`, userID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return notFound("API token", id)
		}
		return db.audit(ctx, tx, a, "api_token.delete", "user", userID, map[string]string{"id": id}, nil)
	})
}

// TokenActor returns the actor an API token acts as.
func (db *DB) TokenActor(ctx context.Context, token string) (interact.Actor, error) {
	if !strings.HasPrefix(token, apiTokenPrefix) {
		return interact.Actor{}, interact.Errorf(interact.EUNAUTHORIZED, "Invalid API token.")
	}
	var a interact.Actor
	var id string
	var used int64
	err := db.view(ctx, func(tx *sql.Tx) error {
		var userID string
		err := tx.QueryRowContext(ctx, `SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash = $1`, hashToken(token)).Scan(&id, &userID, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return interact.Errorf(interact.EUNAUTHORIZED, "Invalid API token.")
		}
		if err != nil {
			return err
		}
		a, err = db.liveActor(ctx, tx, userID)
		return err
	})
	if err != nil {
		return interact.Actor{}, err
	}
	if now := db.now(); ms(now)-used > time.Minute.Milliseconds() {
		if _, err := db.write.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = $1 WHERE id = $2`, ms(now), id); err != nil {
			return interact.Actor{}, err
		}
	}
	return a, nil
}
