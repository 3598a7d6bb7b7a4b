package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MigrateBefore brings the database at url to the schema just before the
// migration named stop (e.g. "0007_references.sql"), so that a test can
// fill it in the old shape and then Open it.
func MigrateBefore(ctx context.Context, url, stop string) error {
	db, err := openPools(url)
	if err != nil {
		return err
	}
	return errors.Join(db.migrate(ctx, stop), db.closePools())
}

// CapSQLiteSize caps the SQLite database at its current size plus extra
// pages (0: no cap), so that writes fail as on a full disk.
func (db *DB) CapSQLiteSize(ctx context.Context, extra int) error {
	var pages int
	if err := db.write.QueryRowContext(ctx, `PRAGMA page_count`).Scan(&pages); err != nil {
		return err
	}
	limit := pages + extra
	if extra == 0 {
		limit = 1 << 30
	}
	_, err := db.write.ExecContext(ctx, fmt.Sprintf(`PRAGMA max_page_count = %d`, limit))
	return err
}

// SetClock makes the store read the time from now (token expiry, claims).
func (db *DB) SetClock(now func() time.Time) { db.now = now }

// ExecWrite runs one statement on the write pool (a benchmark's bulk
// set-up).
func (db *DB) ExecWrite(ctx context.Context, q string, args ...any) error {
	_, err := db.write.ExecContext(ctx, q, args...)
	return err
}
