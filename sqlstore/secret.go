package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"

	"github.com/interact-oss/interact"
)

// Secret returns the server secret called name, creating 32 random bytes
// the first time. Every node sharing the database gets the same secret.
func (db *DB) Secret(ctx context.Context, name string) ([]byte, error) {
	var v string
	err := db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT value FROM server_secrets WHERE name = $1`, name).Scan(&v)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		b := make([]byte, 32)
		rand.Read(b)
		v = hex.EncodeToString(b)
		_, err = tx.ExecContext(ctx, `INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3)`, name, v, ms(db.now()))
		return err
	})
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}

// LeaveMessage stores the message a visitor leaves after an overflow. It
// is accepted once, only for a task that ended without an agent. notify,
// if not nil, is queued with it (the mail to the service's address).
func (db *DB) LeaveMessage(ctx context.Context, taskID, text string, notify *interact.Mail) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tasks SET left_message = $1 WHERE id = $2 AND state = 'ended'
			AND outcome IN ('no_agent', 'queue_timeout', 'transfer_failed') AND left_message = ''`, text, taskID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return interact.Errorf(interact.ECONFLICT, "A message can be left once, after no agent could take the contact.")
		}
		if notify != nil {
			return db.queueMail(ctx, tx, notify)
		}
		return nil
	})
}
