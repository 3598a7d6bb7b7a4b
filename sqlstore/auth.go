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

// Login checks e-mail and password and opens a session. It returns the
// session token (for the cookie) and a CSRF token for state-changing
// requests. Users of suspended or expired tenants cannot sign in, except
// operators.
func (db *DB) Login(ctx context.Context, email, password string) (token, csrf string, a interact.Actor, err error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var hash string
	var u *interact.User
	var tenant *interact.Tenant
	err = db.view(ctx, func(tx *sql.Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, `SELECT id, tenant_id, password_hash FROM users WHERE email = $1`, email).Scan(&id, &a.TenantID, &hash)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if u, err = db.user(ctx, tx, a.TenantID, id); err != nil {
			return err
		}
		tenant, err = db.tenant(ctx, tx, a.TenantID)
		return err
	})
	if err != nil {
		return "", "", interact.Actor{}, err
	}
	if u == nil {
		interact.CheckPassword(dummyHash, password)
		return "", "", interact.Actor{}, interact.Errorf(interact.EUNAUTHORIZED, "Wrong e-mail address or password.")
	}
	if !interact.CheckPassword(hash, password) {
		return "", "", interact.Actor{}, interact.Errorf(interact.EUNAUTHORIZED, "Wrong e-mail address or password.")
	}
	a = actorOf(u)
	if tenant.State != interact.TenantActive && tenant.State != interact.TenantTrial && !a.IsOperator() {
		return "", "", interact.Actor{}, interact.Errorf(interact.ETENANTINACTIVE, "Your organisation's account is %s.", tenant.State)
	}
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
