package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/interact-oss/interact"
)

// Fencing (interact.WithFence): a lease holder that lost its lease without
// noticing (a paused process, a long GC) must not write after the next
// holder took over. A context made by interact.WithFence carries the lease's name and the token the
// holder got; every write transaction begun with it first reads the lease's
// token, locking the row until commit, and fails with interact.ErrFenced when the
// token changed. Taking the lease updates that row, so a take-over and a
// fenced write cannot interleave: the write lands before the new holder's
// tenure begins, or not at all.
//
// Message appends go through the batched message writer, whose batches
// mix callers: they are not fenced.

// checkFence runs at the start of a write transaction.
func (db *DB) checkFence(ctx context.Context, tx *sql.Tx) error {
	lease, want, ok := interact.FenceOf(ctx)
	if !ok {
		return nil
	}
	lock := ""
	if db.dialect.forUpdate != "" {
		lock = " FOR SHARE" // the owner's writes run side by side; a take-over waits for them
	}
	var token int64
	err := tx.QueryRowContext(ctx, `SELECT token FROM leases WHERE name = $1`+lock, lease).Scan(&token)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && token != want) {
		return fmt.Errorf("lease %q token %d, now %d: %w", lease, want, token, interact.ErrFenced)
	}
	return err
}
