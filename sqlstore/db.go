// Package sqlstore is interact's store: every durable thing (tenants, OUs,
// users, services, domain templates, Interact settings, opening hours and
// holiday calendars, sessions, tokens and the audit log) lives here, behind
// one *DB over database/sql.
//
// SQL is written once with $1 placeholders; what differs between SQLite
// (modernc, the default) and PostgreSQL sits in a small dialect value.
// Each exported method is one transaction and checks the acting user's
// permissions inside it, so a rule and the data it reads cannot drift apart.
// Every query that reads tenant data is scoped by the actor's tenant id:
// another tenant's ids are simply not found.
//
// A user's e-mail address is unique within their tenant only (compared
// case-insensitively; addresses are stored lower-cased), so that creating a
// user tells no tenant which addresses another uses. Login and
// ResetPassword, the only lookups by address across tenants, never pick one
// of several users holding it: they choose by password and tenant id, or
// answer interact.ETENANTREQUIRED.
package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	neturl "net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/interact-oss/interact"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations
var migrations embed.FS

// dialect holds what differs between database engines.
type dialect struct {
	name       string
	migrations string // directory of the embedded migrations
	// lockMigrations, run first in the migration transaction, keeps nodes
	// that start at once from migrating side by side ("" when the write
	// transaction is exclusive anyway).
	lockMigrations string
	forUpdate      string             // suffix that locks the selected rows until commit
	nowMS          string             // the database clock in Unix milliseconds
	param          func(n int) string // the nth parameter of a generated statement whose parameters are in order
	checkpoint     string             // run now and then off the commit path ("" when the engine does it)
	writers        int                // message batches written at once
	// lastSeq is the expression for the row's task's last message
	// sequence number in a query of tasks. Where writes are serialized
	// anyway (SQLite) it is read from the messages' primary key, so an
	// append does not also rewrite its task's row; elsewhere it is
	// tasks.last_seq, kept by the writer under the row's lock.
	lastSeq string
	// skipTaken, where set, is the INSERT verb that skips a message whose
	// client id is taken instead of failing: a batch holding a resend is
	// then written again in a new transaction. Otherwise it is rolled back
	// to a savepoint, keeping its row locks; on SQLite a savepoint costs a
	// journal of every page the batch changes.
	skipTaken string
	isUnique  func(error) bool
	// migrateWithoutFKs runs the migrations with foreign keys off and
	// checks them before commit (see migrationTx).
	migrateWithoutFKs bool
}

var sqliteDialect = dialect{
	name:       "sqlite",
	migrations: "migrations/sqlite",
	nowMS:      `CAST(unixepoch('subsec') * 1000 AS INTEGER)`,
	// Anonymous parameters bind in constant time; "$n" ones are looked up
	// by name, which is slow in statements with thousands of them.
	param:      func(int) string { return "?" },
	checkpoint: `PRAGMA wal_checkpoint(PASSIVE)`,
	writers:    1, // one write connection
	// last_seq was kept by earlier versions; it is no longer updated.
	lastSeq:   `MAX(tasks.last_seq, COALESCE((SELECT MAX(m.seq) FROM messages m WHERE m.task_id = tasks.id), 0))`,
	skipTaken: `INSERT OR IGNORE`,
	isUnique: func(err error) bool {
		var se *sqlite.Error
		return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
	},
	migrateWithoutFKs: true,
}

var postgresDialect = dialect{
	name:           "postgres",
	migrations:     "migrations/postgres",
	lockMigrations: `SELECT pg_advisory_xact_lock(7220136601)`,
	forUpdate:      ` FOR UPDATE`,
	nowMS:          `CAST(EXTRACT(EPOCH FROM statement_timestamp()) * 1000 AS BIGINT)`,
	param:          func(n int) string { return "$" + strconv.Itoa(n) },
	writers:        4, // while one batch waits for its commit, the next ones are sent
	lastSeq:        `tasks.last_seq`,
	isUnique: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23505" // unique_violation
	},
}

// DB is the store. Its methods are safe for concurrent use.
type DB struct {
	read    *sql.DB // many connections (PostgreSQL: the same pool as write)
	write   *sql.DB // SQLite: one connection, so writers queue in Go, not on SQLITE_BUSY
	dialect dialect
	now     func() time.Time

	appends    chan *appendReq // to the message writer
	closing    chan struct{}
	writerDone chan struct{}  // closed when the message writer has answered everything
	workers    sync.WaitGroup // the message writer and the checkpointer
	closeOnce  sync.Once
	batchMu    sync.Mutex
	batchStmts map[batchStmtKey]*sql.Stmt // the message writer's
	log        *slog.Logger
	health     health // whether writes succeed (health.go)
}

// Option configures Open.
type Option func(*DB)

// WithLogger sends the store's own log lines (a storage outage and its
// end) to l. Default slog.Default().
func WithLogger(l *slog.Logger) Option { return func(db *DB) { db.log = l } }

// Open opens the store named by url and runs pending migrations. url is
// "sqlite:PATH" (or a bare file path) or "postgres://…".
func Open(ctx context.Context, url string, opts ...Option) (*DB, error) {
	db, err := openPools(url)
	if err != nil {
		return nil, err
	}
	db.log = slog.Default()
	for _, o := range opts {
		o(db)
	}
	db.appends = make(chan *appendReq, maxBatch)
	db.closing, db.writerDone = make(chan struct{}), make(chan struct{})
	if err := db.migrate(ctx, ""); err != nil {
		return nil, errors.Join(fmt.Errorf("open store: %w", err), db.closePools())
	}
	db.batchStmts = map[batchStmtKey]*sql.Stmt{}
	db.workers.Go(db.messageWriter)
	if db.dialect.checkpoint != "" {
		db.workers.Go(db.checkpointer)
	}
	return db, nil
}

// openPools opens the database named by url, without migrating it.
func openPools(url string) (*DB, error) {
	var (
		db  *DB
		err error
	)
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err = openPostgres(url)
	case strings.Contains(url, "://") && !strings.HasPrefix(url, "sqlite:"):
		return nil, fmt.Errorf("open store: unsupported database URL scheme in %q (want sqlite:PATH or postgres://…)", redact(url))
	default:
		path, _ := SQLitePath(url)
		db, err = openSQLite(path)
	}
	if err != nil {
		return nil, err
	}
	db.now = time.Now
	return db, nil
}

// SQLitePath returns the file a SQLite database URL ("sqlite:PATH",
// "sqlite://PATH" or a bare path) names, and false for other URLs.
func SQLitePath(url string) (string, bool) {
	if strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://") ||
		(strings.Contains(url, "://") && !strings.HasPrefix(url, "sqlite:")) {
		return "", false
	}
	return strings.TrimPrefix(strings.TrimPrefix(url, "sqlite://"), "sqlite:"), true
}

func openSQLite(path string) (*DB, error) {
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
	// Checkpoints run off the commit path (see checkpointer); the writer
	// checkpoints itself only when the log has grown past 40 MB, which
	// bounds it under sustained load. A log that grew past 64 MB (a long
	// read held checkpoints back) is cut back to that after a checkpoint
	// (journal_size_limit); a smaller limit, below the checkpoint size,
	// would make every cycle grow the file again, and syncing a growing
	// file costs every commit (p50 +0.2 ms, p99 ×2 at 2,000 msg/s). A big
	// statement's journal stays in memory.
	write, err := sql.Open("sqlite", dsn+"&_pragma=synchronous(FULL)&_pragma=cache_size(-32000)&_pragma=wal_autocheckpoint(10000)&_pragma=journal_size_limit(67108864)"+
		"&_pragma=temp_store(MEMORY)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	write.SetMaxOpenConns(1)
	read, err := sql.Open("sqlite", dsn+"&_pragma=synchronous(NORMAL)&_pragma=journal_size_limit(67108864)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	read.SetMaxOpenConns(8)
	return &DB{read: read, write: write, dialect: sqliteDialect}, nil
}

// openPostgres opens one pool for reads and writes: PostgreSQL runs
// writers side by side and fsyncs every commit (synchronous_commit on).
func openPostgres(url string) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open store: bad PostgreSQL URL %q: %v", redact(url), err)
	}
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(16)
	pool.SetMaxIdleConns(16)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{read: pool, write: pool, dialect: postgresDialect}, nil
}

// redact hides the password of a database URL.
func redact(s string) string {
	u, err := neturl.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// checkpointer copies the SQLite write-ahead log into the database file
// every second, so that commits never wait for a checkpoint.
func (db *DB) checkpointer() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			db.read.ExecContext(context.Background(), db.dialect.checkpoint) // a failed one is retried next time
		case <-db.closing:
			return
		}
	}
}

// Close stops the message writer, waiting for the batch in flight, and
// closes the database.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		close(db.closing)
		db.workers.Wait()
	})
	return db.closePools()
}

func (db *DB) closePools() error {
	for _, st := range db.batchStmts {
		st.Close()
	}
	if db.read == db.write {
		return db.write.Close()
	}
	return errors.Join(db.read.Close(), db.write.Close())
}

// Ping reports whether the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT 1`).Scan(&n); err != nil {
		return db.storageError(err)
	}
	return db.probeWrite(ctx)
}

// migrate applies the embedded migrations not yet recorded, in name order,
// in one transaction: all of them, or (for tests of a migration) those
// named before stop. Migrations are forward-only.
func (db *DB) migrate(ctx context.Context, stop string) error {
	names, err := migrationFiles(db.dialect.migrations)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return db.migrationTx(ctx, func(tx *sql.Tx) (int, error) {
		applied := 0
		if db.dialect.lockMigrations != "" {
			if _, err := tx.ExecContext(ctx, db.dialect.lockMigrations); err != nil {
				return 0, fmt.Errorf("migrate: lock: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
			return 0, fmt.Errorf("migrate: %w", err)
		}
		for _, name := range names {
			base := filepath.Base(name)
			if stop != "" && base >= stop {
				break
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = $1`, base).Scan(&n); err != nil {
				return applied, fmt.Errorf("migrate %s: %w", base, err)
			}
			if n > 0 {
				continue
			}
			body, err := migrations.ReadFile(name)
			if err != nil {
				return applied, fmt.Errorf("migrate %s: %w", base, err)
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return applied, fmt.Errorf("migrate %s: %w", base, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`, base, db.now().UnixMilli()); err != nil {
				return applied, fmt.Errorf("migrate %s: %w", base, err)
			}
			applied++
		}
		return applied, nil
	})
}

// migrationTx runs the migrations (fn, which returns how many it applied)
// in one write transaction.
//
// On SQLite, foreign keys are off during it: a migration that changes a
// column's constraints must rebuild the table (create the new one, copy,
// drop the old one, rename), and SQLite's procedure for that
// (https://www.sqlite.org/lang_altertable.html#otheralter) needs them off,
// or dropping the old table would delete, by ON DELETE CASCADE, the rows of
// every table that references it. PRAGMA foreign_keys is a no-op inside a
// transaction, so it is switched on the one connection before BEGIN and
// back after. Before commit, PRAGMA foreign_key_check proves the
// migrations left every reference whole.
func (db *DB) migrationTx(ctx context.Context, fn func(*sql.Tx) (int, error)) error {
	if !db.dialect.migrateWithoutFKs {
		return db.tx(ctx, func(tx *sql.Tx) error {
			_, err := fn(tx)
			return err
		})
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return db.storageError(fmt.Errorf("migrate: %w", err))
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return db.storageError(fmt.Errorf("migrate: foreign keys off: %w", err))
	}
	err = db.migrateOn(ctx, conn, fn)
	// Whatever happened, the connection goes back to the pool enforcing
	// foreign keys; if that fails, it is dropped instead.
	if onErr := foreignKeysOn(context.WithoutCancel(ctx), conn); onErr != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn })
		err = errors.Join(err, onErr)
	}
	return err
}

func (db *DB) migrateOn(ctx context.Context, conn *sql.Conn, fn func(*sql.Tx) (int, error)) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return db.storageError(fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback()
	applied, err := fn(tx)
	if err != nil {
		return db.storageError(err)
	}
	if applied > 0 {
		if err := foreignKeyCheck(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return db.storageError(fmt.Errorf("commit: %w", err))
	}
	return nil
}

func foreignKeysOn(ctx context.Context, conn *sql.Conn) error {
	var on int
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = ON`); err != nil {
		return fmt.Errorf("migrate: foreign keys back on: %w", err)
	}
	if err := conn.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&on); err != nil || on != 1 {
		return fmt.Errorf("migrate: foreign keys back on: still off (%v)", err)
	}
	return nil
}

// foreignKeyCheck fails when a SQLite row references a missing parent.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return fmt.Errorf("migrate: foreign key check: %w", err)
	}
	defer rows.Close()
	var broken []string
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fk int
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return fmt.Errorf("migrate: foreign key check: %w", err)
		}
		if len(broken) < 5 {
			broken = append(broken, fmt.Sprintf("a row of %s (rowid %v) references a missing %s", table, rowid.Int64, parent))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("migrate: foreign key check: %w", err)
	}
	if broken != nil {
		return fmt.Errorf("migrate: foreign key check failed: %s", strings.Join(broken, "; "))
	}
	return nil
}

// migrationFiles lists the migrations for a dialect in name order: those in
// migrations/common, which both engines run as they are, and those in the
// dialect's own folder, which win over a common file of the same name.
func migrationFiles(dialectDir string) ([]string, error) {
	byName := map[string]string{}
	for _, dir := range []string{"migrations/common", dialectDir} {
		files, err := fs.Glob(migrations, dir+"/*.sql")
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			byName[filepath.Base(f)] = f
		}
	}
	names := make([]string, 0, len(byName))
	for _, f := range byName {
		names = append(names, f)
	}
	sort.Slice(names, func(i, j int) bool { return filepath.Base(names[i]) < filepath.Base(names[j]) })
	return names, nil
}

// tx runs fn in a write transaction and commits when fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return db.storageError(fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback()
	if err := db.checkFence(ctx, tx); err != nil {
		return db.storageError(err)
	}
	if err := fn(tx); err != nil {
		return db.storageError(err)
	}
	if err := tx.Commit(); err != nil {
		return db.storageError(fmt.Errorf("commit: %w", err))
	}
	db.health.ok(db.log)
	return nil
}

// view runs fn in a read-only transaction on the read pool.
func (db *DB) view(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return db.storageError(fmt.Errorf("begin: %w", err))
	}
	defer tx.Rollback()
	return db.storageError(fn(tx))
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
