package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
)

// The operator's commands beside serve: version, reset-password, backup.

// buildVersion is what `interact version` prints.
type buildVersion struct {
	Version  string // module version, "devel" when unknown
	Revision string // VCS revision, "unknown" when not stamped
	Time     string // commit time, when stamped
	Modified bool   // built from a working tree with changes
	Go       string // toolchain, e.g. go1.26.8
	Platform string // GOOS/GOARCH
}

// readVersion reads the module version and VCS stamps from build
// information (runtime/debug.ReadBuildInfo).
func readVersion(bi *debug.BuildInfo, ok bool) buildVersion {
	v := buildVersion{Version: "devel", Revision: "unknown", Go: runtime.Version()}
	goos, goarch := runtime.GOOS, runtime.GOARCH
	if ok && bi != nil {
		if m := bi.Main.Version; m != "" && m != "(devel)" {
			v.Version = m
		}
		if bi.GoVersion != "" {
			v.Go = bi.GoVersion
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if s.Value != "" {
					v.Revision = s.Value
				}
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			case "GOOS":
				goos = s.Value
			case "GOARCH":
				goarch = s.Value
			}
		}
	}
	v.Platform = goos + "/" + goarch
	return v
}

func (v buildVersion) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "interact %s\n", v.Version)
	fmt.Fprintf(&b, "  revision: %s", v.Revision)
	var notes []string
	if v.Time != "" {
		notes = append(notes, v.Time)
	}
	if v.Modified {
		notes = append(notes, "modified")
	}
	if len(notes) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(notes, ", "))
	}
	fmt.Fprintf(&b, "\n  go:       %s %s\n", v.Go, v.Platform)
	return b.String()
}

func version(args []string, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("version takes no arguments (got %q)", args[0])
	}
	_, err := io.WriteString(stdout, readVersion(debug.ReadBuildInfo()).String())
	return err
}

// cmdFlags are a command's own flags beside --data and --database-url:
// how its usage line shows them, and what defines them.
type cmdFlags struct {
	usage  string
	define func(*flag.FlagSet)
}

// storeArgs parses the arguments of a command that needs only the store:
// --data and --database-url (with INTERACT_DATA and INTERACT_DATABASE_URL),
// read as serve reads them, the command's own flags, and exactly
// len(names) positional arguments, before or after the flags.
func storeArgs(cmd string, own cmdFlags, names []string, args []string, getenv func(string) string, stderr io.Writer) (dbURL string, pos []string, err error) {
	usage := "interact " + cmd + " [--data DIR | --database-url URL] "
	if own.usage != "" {
		usage += own.usage + " "
	}
	usage += strings.Join(names, " ")
	fs := flag.NewFlagSet("interact "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s\n", usage)
		fs.PrintDefaults()
	}
	data := fs.String("data", "./data", "data directory (INTERACT_DATA)")
	url := fs.String("database-url", "", "sqlite:PATH or postgres://… (INTERACT_DATABASE_URL; default sqlite:DATA/interact.db)")
	if own.define != nil {
		own.define(fs)
	}
	for {
		if err := fs.Parse(args); err != nil {
			return "", nil, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	if len(pos) != len(names) {
		return "", nil, fmt.Errorf("usage: %s", usage)
	}
	if err := fillFromEnv(fs, getenv); err != nil {
		return "", nil, err
	}
	if *url == "" {
		*url = "sqlite:" + filepath.Join(*data, "interact.db")
	}
	if err := checkDatabaseURL(*url); err != nil {
		return "", nil, err
	}
	return *url, pos, nil
}

// openExisting opens the store at url, refusing to create a SQLite file
// that is not there (a wrong --data would otherwise start an empty one).
func openExisting(ctx context.Context, url string) (*sqlstore.DB, error) {
	if path, ok := sqlstore.SQLitePath(url); ok {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("no database at %s: point --data or --database-url (INTERACT_DATA, INTERACT_DATABASE_URL) at the server's", path)
		}
	}
	return sqlstore.Open(ctx, url)
}

// resetPassword sets a user's password: INTERACT_NEW_PASSWORD, else a
// generated one, printed this once. It ends the user's sign-in sessions.
// An address is unique per tenant only: when users of several tenants hold
// it, --tenant chooses, and without it nothing changes and the error lists
// the tenants.
func resetPassword(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var tenant string
	own := cmdFlags{usage: "[--tenant ID]", define: func(fs *flag.FlagSet) {
		fs.StringVar(&tenant, "tenant", "", "the id of the user's tenant, when the address is in several (INTERACT_TENANT)")
	}}
	url, pos, err := storeArgs("reset-password", own, []string{"EMAIL"}, args, getenv, stderr)
	if err != nil {
		return err
	}
	password, generated := getenv("INTERACT_NEW_PASSWORD"), false
	if password == "" {
		password, generated = interact.NewSecret("", 20), true
	}
	if err := interact.ValidatePassword(password); err != nil {
		return fmt.Errorf("INTERACT_NEW_PASSWORD: %w", err)
	}
	db, err := openExisting(ctx, url)
	if err != nil {
		return err
	}
	defer db.Close()
	u, ended, err := db.ResetPassword(ctx, pos[0], tenant, password)
	if tenants := interact.ErrorTenants(err); tenants != nil {
		var b strings.Builder
		fmt.Fprintf(&b, "reset password: %s Choose one with --tenant:", interact.ErrorMessage(err))
		for _, t := range tenants {
			fmt.Fprintf(&b, "\n  --tenant %s   (%s)", t.ID, t.Name)
		}
		return errors.New(b.String())
	}
	if err != nil {
		return fmt.Errorf("reset password: %w", err)
	}
	fmt.Fprintf(stdout, "Reset the password of %s (%s, user %s of tenant %s) in %s and ended %d sign-in session(s).\n",
		u.Email, u.Name, u.ID, u.TenantID, redactURL(url), ended)
	if generated {
		fmt.Fprintf(stdout, "  new password: %s   (shown once; set INTERACT_NEW_PASSWORD to choose it)\n", password)
	} else {
		fmt.Fprintln(stdout, "  new password: the one in INTERACT_NEW_PASSWORD")
	}
	fmt.Fprintln(stdout, "  The user's API tokens still work; revoke them in the admin console if they may have leaked.")
	return nil
}

// backup writes an online, consistent copy of the SQLite database to a new
// file (sqlstore.Backup); PostgreSQL is refused in favour of pg_dump.
func backup(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	url, pos, err := storeArgs("backup", cmdFlags{}, []string{"PATH"}, args, getenv, stderr)
	if err != nil {
		return err
	}
	size, err := sqlstore.Backup(ctx, url, pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Backed up %s to %s (%d bytes, consistent as of the start of the copy).\n", redactURL(url), pos[0], size)
	fmt.Fprintf(stdout, "  To restore, stop interact, then run it with --database-url sqlite:%s, or move the database and its -wal and -shm files away and copy the backup in its place.\n", pos[0])
	return nil
}
