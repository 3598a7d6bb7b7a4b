package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/interact-oss/interact"
)

// Fencing: a lease holder that lost its lease without noticing (a paused
// process, a long GC) must not write after the next holder took over. A
// context made by WithFence carries the lease's name and the token the
// holder got; every write transaction begun with it first reads the lease's
// token, locking the row until commit, and fails with ErrFenced when the
// token changed. Taking the lease updates that row, so a take-over and a
// fenced write cannot interleave: the write lands before the new holder's
// tenure begins, or not at all.
//
// Message appends go through the batched message writer, whose batches
// mix callers: they are not fenced.

type fenceKey struct{}

type fence struct {
	lease string
	token int64
}

// ErrFenced is the code-bearing error of a write refused because its lease
// changed hands (or was never held with that token).
var ErrFenced = interact.Errorf(interact.ECONFLICT, "The lease was taken over: this node may no longer write for it.")

// WithFence returns a context whose write transactions run only while the
// lease's token is still token.
func WithFence(ctx context.Context, lease string, token int64) context.Context {
	return context.WithValue(ctx, fenceKey{}, fence{lease, token})
}

// checkFence runs at the start of a write transaction.
func (db *DB) checkFence(ctx context.Context, tx *sql.Tx) error {
	f, ok := ctx.Value(fenceKey{}).(fence)
	if !ok {
		return nil
	}
	lock := ""
	if db.dialect.forUpdate != "" {
		lock = " FOR SHARE" // the owner's writes run side by side; a take-over waits for them
	}
	var token int64
	err := tx.QueryRowContext(ctx, `SELECT token FROM leases WHERE name = $1`+lock, f.lease).Scan(&token)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && token != f.token) {
		return fmt.Errorf("lease %q token %d, now %d: %w", f.lease, f.token, token, ErrFenced)
	}
	return err
}
