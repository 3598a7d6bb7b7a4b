package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/interact-oss/interact"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// A storage outage — a full disk, an I/O error, a database that cannot be
// reached — fails every write. Such errors answer storage_unavailable (a
// retryable code the protocols list) instead of internal, readiness says
// so, and the log gets one line when an outage begins and one when it
// ends. Recovery needs nothing: the next write that succeeds ends it.

// health is whether writes succeed now.
type health struct {
	mu    sync.Mutex
	down  bool
	since time.Time
	cause error

	probeMu  sync.Mutex
	probedAt time.Time
	probeErr error
}

func (h *health) failed(log *slog.Logger, cause error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.down {
		h.down, h.since, h.cause = true, time.Now(), cause
		log.Error("storage unavailable: writes fail until it recovers", "err", cause)
	}
}

func (h *health) ok(log *slog.Logger) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down {
		log.Info("storage recovered", "after", time.Since(h.since).Round(time.Millisecond).String(), "cause", h.cause)
		h.down, h.cause = false, nil
	}
}

// errStorage is the error a storage outage answers with; the cause stays
// for the log.
type errStorage struct{ cause error }

func (e *errStorage) Error() string { return "storage unavailable: " + e.cause.Error() }
func (e *errStorage) Unwrap() []error {
	return []error{storageUnavailable, e.cause}
}

var storageUnavailable = interact.Errorf(interact.ESTORAGE, "The data store cannot take changes right now; please try again shortly.")

// storageError turns err into storage_unavailable when it says the storage
// itself failed, and records the outage. Other errors pass unchanged.
func (db *DB) storageError(err error) error {
	if err == nil || !isStorageFailure(err) {
		return err
	}
	db.health.failed(db.log, err)
	return &errStorage{cause: err}
}

// isStorageFailure reports whether err comes from the storage rather than
// from the statement: SQLite's full disk, I/O, read-only and open errors;
// PostgreSQL's insufficient resources (disk full, out of memory), system
// errors and lost connections.
func isStorageFailure(err error) bool {
	if coded(err) {
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT:
			return true
		}
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		class := pe.Code[:2]
		return class == "53" || class == "58" || class == "08" || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn)
}

// coded reports whether err already carries an application code.
func coded(err error) bool {
	var e *interact.Error
	return errors.As(err, &e)
}

// probeWrite checks that the store can write: a one-row update, at most
// once a second (readiness is polled often; the answer is cached). While
// an outage is fresh (data writes failed less than outageHold ago) it
// answers the outage without probing: a small update may still pass where
// appends need room. A probe that succeeds after that ends the outage,
// so an idle store reports its recovery too.
func (db *DB) probeWrite(ctx context.Context) error {
	db.health.mu.Lock()
	fresh := db.health.down && time.Since(db.health.since) < outageHold
	cause := db.health.cause
	db.health.mu.Unlock()
	if fresh {
		return &errStorage{cause: cause}
	}
	db.health.probeMu.Lock()
	defer db.health.probeMu.Unlock()
	if time.Since(db.health.probedAt) < time.Second {
		return db.health.probeErr
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE health_probe SET at = $1 WHERE id = 1`, ms(db.now()))
		return err
	})
	db.health.probedAt, db.health.probeErr = time.Now(), err
	return err
}

// outageHold is how long a failed data write keeps readiness down without
// a probe.
const outageHold = 10 * time.Second
