package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Backup writes a consistent copy of the SQLite database that url names to
// dest, a new file, while other connections (a running server) go on
// reading and writing. SQLite's VACUUM INTO copies the snapshot of one read
// transaction: the copy holds every transaction committed before it began
// and nothing of those after. The copy is synced to disk, checked
// (PRAGMA quick_check) and readable by its owner only; it opens as a store
// like any other (Open, or interact serve --database-url sqlite:DEST).
// Backup never overwrites a file, migrates nothing and refuses PostgreSQL,
// whose own tool is pg_dump. It returns the copy's size in bytes.
func Backup(ctx context.Context, url, dest string) (int64, error) {
	src, ok := SQLitePath(url)
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return 0, errors.New("backup copies SQLite databases only; back up PostgreSQL with pg_dump (for example pg_dump --format=custom --file=interact.dump DATABASE_URL) and restore with pg_restore")
	case !ok:
		return 0, fmt.Errorf("backup: unsupported database URL scheme in %q (want sqlite:PATH)", redact(url))
	case src == "":
		return 0, errors.New("backup: empty SQLite path")
	case dest == "":
		return 0, errors.New("backup: no destination file")
	}
	if st, err := os.Stat(src); err != nil || !st.Mode().IsRegular() {
		return 0, fmt.Errorf("backup: no SQLite database at %s", src)
	}
	// Creating the file first (exclusively) refuses an existing one and
	// gives the copy its mode: it holds password hashes and secrets.
	// VACUUM INTO writes into an empty file.
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return 0, fmt.Errorf("backup: %s already exists; backup never overwrites a file, so name a new one", dest)
	}
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	f.Close()
	size, err := backupInto(ctx, src, dest)
	if err != nil {
		os.Remove(dest)
		return 0, err
	}
	return size, nil
}

func backupInto(ctx context.Context, src, dest string) (int64, error) {
	db, err := openSQLite(src)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer db.closePools()
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n == 0 {
		return 0, fmt.Errorf("backup: %s is not an interact database", src)
	}
	if _, err := db.read.ExecContext(ctx, `VACUUM INTO $1`, dest); err != nil {
		return 0, fmt.Errorf("backup: copy %s: %w", src, err)
	}
	if err := syncFile(dest); err != nil {
		return 0, fmt.Errorf("backup: sync %s: %w", dest, err)
	}
	if err := syncFile(filepath.Dir(dest)); err != nil {
		return 0, fmt.Errorf("backup: sync %s: %w", filepath.Dir(dest), err)
	}
	cp, err := sql.Open("sqlite", "file:"+dest+"?mode=ro")
	if err != nil {
		return 0, fmt.Errorf("backup: check %s: %w", dest, err)
	}
	defer cp.Close()
	var check string
	if err := cp.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil || check != "ok" {
		return 0, fmt.Errorf("backup: the copy fails its check: %s %v", check, err)
	}
	st, err := os.Stat(dest)
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return st.Size(), nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
