package main

import (
	"database/sql"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create a database
)

// TestServeOnPostgres runs the server on a fresh PostgreSQL database (from
// INTERACT_TEST_DATABASE_URL, which scripts/test.sh sets): first run, the
// printed admin signs in, a restart keeps the data, and the password in
// the URL is never printed.
func TestServeOnPostgres(t *testing.T) {
	base := os.Getenv("INTERACT_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("INTERACT_TEST_DATABASE_URL is not set (scripts/test.sh sets it)")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "interact_serve_" + strings.ToLower(strings.ReplaceAll(t.Name(), "/", "_"))
	admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	password, ok := u.User.Password()
	if !ok { // a database that needs none ignores one
		password = "secret-in-url"
		u.User = url.UserPassword(u.User.Username(), password)
	}
	env := map[string]string{"INTERACT_DATABASE_URL": u.String()}

	in := start(t, env, "--data", t.TempDir())
	m := regexp.MustCompile(`created tenant admin (\S+)\n\s+password: (\S+)`).FindStringSubmatch(in.stdout.String())
	if m == nil {
		t.Fatalf("no generated password printed: %s", in.stdout)
	}
	if login(t, in.url, m[1], m[2]) == nil {
		t.Fatal("cannot sign in with the printed password")
	}
	in.stop(t)
	again := start(t, env, "--data", t.TempDir())
	if strings.Contains(again.stdout.String(), "password:") {
		t.Errorf("second run on the same database printed a password again: %s", again.stdout)
	}
	if login(t, again.url, m[1], m[2]) == nil {
		t.Fatal("cannot sign in after a restart")
	}
	if out := in.stdout.String() + in.stderr.String() + again.stdout.String() + again.stderr.String(); strings.Contains(out, password) {
		t.Errorf("the database password was printed:\n%s", out)
	}
	again.stop(t)
}
