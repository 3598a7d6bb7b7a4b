package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/interact-oss/interact"
)

// RateTask stores the visitor's rating of an ended task they took part in.
// A task is rated once: the same rating again returns the stored one
// (created false); a different one fails with rating_exists. A task that
// has not ended fails with task_not_ended, one no agent took part in with
// not_rateable; an unknown task with not_found. Nothing changes on failure.
// The caller checks that the visitor owns the task and that the contact
// asks for ratings.
func (db *DB) RateTask(ctx context.Context, taskID string, r interact.Rating) (*interact.Rating, bool, error) {
	if err := r.Validate(); err != nil {
		return nil, false, err
	}
	r.At = fromMS(ms(db.now()))
	var out *interact.Rating
	created := false
	err := db.tx(ctx, func(tx *sql.Tx) error {
		t, err := db.txTask(ctx, tx, "task", "", taskID)
		if err != nil {
			return err
		}
		if t.Rating != nil {
			if !t.Rating.Same(&r) {
				return interact.Errorf(interact.ERATINGEXISTS, "This conversation has already been rated (%d of %d stars).", t.Rating.Stars, interact.MaxStars)
			}
			out = t.Rating
			return nil
		}
		if err := t.Rateable(); err != nil {
			return err
		}
		// rating_stars = 0 keeps the first of two racing ratings.
		res, err := tx.ExecContext(ctx, `UPDATE tasks SET rating_stars = $1, rating_comment = $2, rated_at = $3 WHERE id = $4 AND rating_stars = 0`,
			r.Stars, r.Comment, ms(r.At), taskID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return interact.Errorf(interact.ERATINGEXISTS, "This conversation has already been rated.")
		}
		out, created = &r, true
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("rate task: %w", err)
	}
	return out, created, nil
}

// ratingOf is the rating read from a task's columns: nil while none was
// given (no stars).
func ratingOf(r interact.Rating, ratedAt int64) *interact.Rating {
	if r.Stars == 0 {
		return nil
	}
	r.At = fromMS(ratedAt)
	return &r
}
