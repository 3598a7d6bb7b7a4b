package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/interact-oss/interact"
)

// Leases name a role that one node holds at a time, such as the routing
// owner. Expiry is judged by the database's clock, so the nodes' clocks do
// not matter. Every new tenure (another holder, or the same one after the
// lease expired or was released) gets a higher token, which fences off
// writes of a holder that lost the lease without noticing.

// AcquireLease takes the lease name for holder for ttl, or renews it when
// holder holds it. ok is false, and token zero, while another holder's
// lease runs.
func (db *DB) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (token int64, ok bool, err error) {
	if err := checkLease(name, holder); err != nil {
		return 0, false, err
	}
	if ttl < time.Millisecond {
		return 0, false, interact.Errorf(interact.EINVALID, "A lease needs a duration of at least a millisecond.")
	}
	now := db.dialect.nowMS
	err = db.tx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO leases (name, holder, token, expires_at) VALUES ($1, $2, 1, `+now+` + $3)
			ON CONFLICT (name) DO UPDATE SET
				token = CASE WHEN leases.holder = excluded.holder AND leases.expires_at > `+now+` THEN leases.token ELSE leases.token + 1 END,
				holder = excluded.holder, expires_at = excluded.expires_at
			WHERE leases.holder = excluded.holder OR leases.expires_at <= `+now+`
			RETURNING token`, name, holder, ttl.Milliseconds()).Scan(&token)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return token, true, nil
}

// ReleaseLease gives the lease up if holder holds it; otherwise it does
// nothing.
func (db *DB) ReleaseLease(ctx context.Context, name, holder string) error {
	if err := checkLease(name, holder); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE leases SET holder = '', expires_at = `+db.dialect.nowMS+`
			WHERE name = $1 AND holder = $2`, name, holder)
		return err
	})
}

// Lease returns the current holder of a lease, its token and when it
// expires. holder is empty when nobody holds it; token is then the last
// one handed out (zero if none ever was).
func (db *DB) Lease(ctx context.Context, name string) (holder string, token int64, expires time.Time, err error) {
	var exp int64
	var live bool
	err = db.read.QueryRowContext(ctx, `SELECT holder, token, expires_at, expires_at > `+db.dialect.nowMS+` FROM leases WHERE name = $1`,
		name).Scan(&holder, &token, &exp, &live)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, time.Time{}, nil
	}
	if err != nil {
		return "", 0, time.Time{}, err
	}
	if !live {
		return "", token, time.Time{}, nil
	}
	return holder, token, fromMS(exp), nil
}

func checkLease(name, holder string) error {
	if name == "" || holder == "" || len(name) > interact.MaxNameLen || len(holder) > interact.MaxNameLen {
		return interact.Errorf(interact.EINVALID, "A lease needs a name and a holder of at most %d bytes.", interact.MaxNameLen)
	}
	return nil
}
