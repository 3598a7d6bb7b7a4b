// Package sqlstore is interact's store: every durable thing (tenants, OUs,
// users, services, domain templates, Interact settings, sessions, tokens and
// the audit log) lives here, behind one *DB over database/sql.
//
// SQL is written once with $1 placeholders; what differs between SQLite
// (modernc, the default) and PostgreSQL sits in a small dialect value.
// Each exported method is one transaction and checks the acting user's
// permissions inside it, so a rule and the data it reads cannot drift apart.
// Every query that reads tenant data is scoped by the actor's tenant id:
// another tenant's ids are simply not found.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/interact-oss/interact"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations
var migrations embed.FS

// dialect holds what differs between database engines.
type dialect struct {
	name     string
	isUnique func(error) bool
}

var sqliteDialect = dialect{
	name: "sqlite",
	isUnique: func(err error) bool {
		var se *sqlite.Error
		return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
	},
}

// DB is the store. Its methods are safe for concurrent use.
type DB struct {
	read    *sql.DB // many connections
	write   *sql.DB // SQLite: one connection, so writers queue in Go, not on SQLITE_BUSY
	dialect dialect
	now     func() time.Time

	appends    chan *appendReq // to the message writer
	closing    chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once
	hook       func(interact.Message)
}

// Open opens the store named by url and runs pending migrations. url is
// "sqlite:PATH" (or a bare file path). PostgreSQL URLs are recognised and
// refused until the PostgreSQL dialect lands.
func Open(ctx context.Context, url string) (*DB, error) {
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return nil, fmt.Errorf("open store: PostgreSQL is not supported by this build yet; use sqlite:PATH")
	case strings.Contains(url, "://") && !strings.HasPrefix(url, "sqlite:"):
		return nil, fmt.Errorf("open store: unsupported database URL %q (want sqlite:PATH or postgres://…)", url)
	}
	path := strings.TrimPrefix(strings.TrimPrefix(url, "sqlite://"), "sqlite:")
	if path == "" {
		return nil, fmt.Errorf("open store: empty SQLite path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}
	// busy_timeout first so that the other pragmas wait rather than fail.
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)"
	// The writer syncs every commit (synchronous=FULL): an acknowledged chat
	// message must survive a power cut, and group commit keeps that cheap.
	write, err := sql.Open("sqlite", dsn+"&_pragma=synchronous(FULL)&_pragma=cache_size(-32000)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn+"&_pragma=synchronous(NORMAL)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	read.SetMaxOpenConns(8)
	db := &DB{read: read, write: write, dialect: sqliteDialect, now: time.Now,
		appends: make(chan *appendReq, maxBatch), closing: make(chan struct{}), writerDone: make(chan struct{})}
	if err := db.migrate(ctx, "migrations/sqlite"); err != nil {
		errors.Join(read.Close(), write.Close())
		return nil, err
	}
	go db.messageWriter()
	return db, nil
}

// Close stops the message writer, waiting for the batch in flight, and
// closes the database.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.closing)
		<-db.writerDone
	})
	return errors.Join(db.read.Close(), db.write.Close())
}

// Ping reports whether the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	return db.read.QueryRowContext(ctx, `SELECT 1`).Scan(&n)
}

// migrate applies the embedded migrations not yet recorded, in name order,
// each in its own transaction. Migrations are forward-only.
func (db *DB) migrate(ctx context.Context, dir string) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, dir+"/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		base := filepath.Base(name)
		err := db.tx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = $1`, base).Scan(&n); err != nil || n > 0 {
				return err
			}
			body, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`, base, db.now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate %s: %w", base, err)
		}
	}
	return nil
}

// tx runs fn in a write transaction and commits when fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// view runs fn in a read-only transaction on the read pool.
func (db *DB) view(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// notFound is the error for an id the caller cannot see.
func notFound(what, id string) error {
	return interact.Errorf(interact.ENOTFOUND, "No %s with id %q.", what, id)
}

// forbidden is the error for an entity the caller can see but not change.
func forbidden(format string, args ...any) error {
	return interact.Errorf(interact.EFORBIDDEN, format, args...)
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }
