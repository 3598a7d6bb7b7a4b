package sqlstore_test

// Migration 0010 makes e-mail addresses unique per tenant; on SQLite it
// rebuilds the users table, which three tables reference.

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
)

const migrationEmailPerTenant = "0010_email_per_tenant.sql"

// oldStore is a database at the schema before a migration, and a raw
// connection to it (foreign keys on, as the store's own).
type oldStore struct {
	t   *testing.T
	url string
	raw *sql.DB
}

func newOldStore(t *testing.T, before string) *oldStore {
	t.Helper()
	var url, driver, dsn string
	if engineOf(t) == enginePostgres {
		url = freshPostgresDatabase(t)
		driver, dsn = "pgx", url
	} else {
		path := filepath.Join(t.TempDir(), "old.db")
		url, driver, dsn = "sqlite:"+path, "sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)"
	}
	noErr(t, sqlstore.MigrateBefore(t.Context(), url, before))
	raw, err := sql.Open(driver, dsn)
	noErr(t, err)
	t.Cleanup(func() { raw.Close() })
	return &oldStore{t: t, url: url, raw: raw}
}

func (o *oldStore) exec(q string, args ...any) {
	o.t.Helper()
	if _, err := o.raw.ExecContext(o.t.Context(), q, args...); err != nil {
		o.t.Fatalf("%s: %v", q, err)
	}
}

// rows returns every row of a query as strings, for comparing tables
// before and after a migration.
func (o *oldStore) rows(q string) [][]string {
	o.t.Helper()
	rs, err := o.raw.QueryContext(o.t.Context(), q)
	noErr(o.t, err)
	defer rs.Close()
	cols, err := rs.Columns()
	noErr(o.t, err)
	var out [][]string
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		noErr(o.t, rs.Scan(ptrs...))
		row := make([]string, len(cols))
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				v = string(b)
			}
			row[i] = fmt.Sprint(v)
		}
		out = append(out, row)
	}
	noErr(o.t, rs.Err())
	return out
}

func tokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// referencing are the tables whose rows reference users, with a query
// reading all of them in a stable order.
var referencing = map[string]string{
	"users":           `SELECT id, tenant_id, ou_id, email, name, password_hash, lic_contact_center, lic_instant_messaging, lic_interact, roles, created_at FROM users ORDER BY id`,
	"service_members": `SELECT service_id, user_id, active FROM service_members ORDER BY service_id, user_id`,
	"login_sessions":  `SELECT token_hash, user_id, csrf_token, created_at, expires_at FROM login_sessions ORDER BY token_hash`,
	"api_tokens":      `SELECT id, user_id, name, token_hash, created_at, last_used_at FROM api_tokens ORDER BY id`,
}

func TestMigrateEmailPerTenant(t *testing.T) { eachEngine(t, testMigrateEmailPerTenant) }

// testMigrateEmailPerTenant fills a database of the schema before 0010 with
// users and everything that references them, opens it, and checks that
// every row and every reference survived and that the address is unique
// per tenant (case-insensitively) afterwards.
func testMigrateEmailPerTenant(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	o := newOldStore(t, migrationEmailPerTenant)
	now := time.Now().UnixMilli()
	ta, tb, rootA, rootB := interact.NewID(), interact.NewID(), interact.NewID(), interact.NewID()
	admin, agent, other, svc := interact.NewID(), interact.NewID(), interact.NewID(), interact.NewID()
	for _, tn := range []struct{ id, root, name string }{{ta, rootA, "Old A"}, {tb, rootB, "Old B"}} {
		o.exec(`INSERT INTO tenants (id, name, state, created_at) VALUES ($1, $2, $3, $4)`, tn.id, tn.name, interact.TenantActive, now)
		o.exec(`INSERT INTO ous (id, tenant_id, name, parent_id, created_at) VALUES ($1, $2, $3, NULL, $4)`, tn.root, tn.id, tn.name, now)
	}
	hash := interact.HashPassword(pw)
	for _, u := range []struct{ id, tenant, ou, email, roles string }{
		{admin, ta, rootA, "admin@old.example.test", `[{"role":"tenantAdmin"}]`},
		{agent, ta, rootA, "agent@old.example.test", `[]`},
		{other, tb, rootB, "other@old.example.test", `[{"role":"tenantAdmin"}]`},
	} {
		o.exec(`INSERT INTO users (id, tenant_id, ou_id, email, name, password_hash, lic_contact_center, roles, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8)`, u.id, u.tenant, u.ou, u.email, "User "+u.email, hash, u.roles, now)
		o.exec(`INSERT INTO interact_settings (owner_id, owner_kind, tenant_id, contact_id, widget_key) VALUES ($1, $2, $3, $4, $5)`,
			u.id, interact.OwnerUser, u.tenant, interact.NewID(), "wk_"+interact.NewID())
	}
	o.exec(`INSERT INTO services (id, tenant_id, ou_id, name, license, distribution, created_at) VALUES ($1, $2, $3, 'Support', $4, '{}', $5)`,
		svc, ta, rootA, interact.LicenseContactCenter, now)
	o.exec(`INSERT INTO service_members (service_id, user_id, active) VALUES ($1, $2, TRUE), ($1, $3, FALSE)`, svc, admin, agent)
	session, apiToken := "is_"+interact.NewID()+interact.NewID(), "it_"+interact.NewID()+interact.NewID()
	o.exec(`INSERT INTO login_sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, 'csrf', $3, $4)`,
		tokenHash(session), agent, now, now+time.Hour.Milliseconds())
	o.exec(`INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, 'ci', $3, $4)`,
		interact.NewID(), agent, tokenHash(apiToken), now)
	// The old schema: an address once in the whole installation.
	if _, err := o.raw.ExecContext(ctx, `INSERT INTO users (id, tenant_id, ou_id, email, name, created_at) VALUES ($1, $2, $3, 'agent@old.example.test', 'B', $4)`,
		interact.NewID(), tb, rootB, now); err == nil {
		t.Fatal("the old schema let two tenants hold one address; the test does not start from it")
	}
	before := map[string][][]string{}
	for table, q := range referencing {
		before[table] = o.rows(q)
	}

	db := openURL(t, o.url)

	for table, q := range referencing {
		if diff := cmp.Diff(before[table], o.rows(q)); diff != "" {
			t.Errorf("%s after the migration (-before +after):\n%s", table, diff)
		}
	}
	var applied int
	noErr(t, o.raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = $1`, migrationEmailPerTenant).Scan(&applied))
	if applied != 1 {
		t.Fatalf("%s not recorded", migrationEmailPerTenant)
	}
	if engineOf(t) == engineSQLite {
		if broken := o.rows(`PRAGMA foreign_key_check`); len(broken) > 0 {
			t.Errorf("foreign_key_check after the migration: %v", broken)
		}
		for _, table := range []string{"service_members", "login_sessions", "api_tokens"} {
			refs := o.rows(`SELECT "table", "from", "to", on_delete FROM pragma_foreign_key_list('` + table + `') WHERE "from" = 'user_id'`)
			if diff := cmp.Diff([][]string{{"users", "user_id", "id", "CASCADE"}}, refs); diff != "" {
				t.Errorf("%s's reference to users (-want +got):\n%s", table, diff)
			}
		}
		var ddl string
		noErr(t, o.raw.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'`).Scan(&ddl))
		if strings.Contains(strings.ToUpper(ddl), "UNIQUE") || strings.Contains(ddl, "users_new") {
			t.Errorf("users after the migration: %s", ddl)
		}
		if got := o.rows(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users' ORDER BY name`); !cmp.Equal(got,
			[][]string{{"sqlite_autoindex_users_1"}, {"users_email"}, {"users_tenant"}, {"users_tenant_email"}}) {
			t.Errorf("indexes of users: %v", got)
		}
	} else {
		refs := o.rows(`SELECT conrelid::regclass::text, confdeltype FROM pg_constraint WHERE contype = 'f' AND confrelid = 'users'::regclass ORDER BY 1`)
		// account_tokens comes with a later migration (0013_outbox).
		if diff := cmp.Diff([][]string{{"account_tokens", "c"}, {"api_tokens", "c"}, {"login_sessions", "c"}, {"service_members", "c"}}, refs); diff != "" {
			t.Errorf("references to users (-want +got):\n%s", diff)
		}
		if got := o.rows(`SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass AND contype = 'u'`); len(got) > 0 {
			t.Errorf("unique constraints left on users: %v", got)
		}
	}

	// The migrated rows work: the session, the token, the password.
	a, _, err := db.SessionActor(ctx, session)
	noErr(t, err)
	if a.UserID != agent || a.TenantID != ta {
		t.Errorf("old session acts as %+v", a)
	}
	if a, err := db.TokenActor(ctx, apiToken); err != nil || a.UserID != agent {
		t.Errorf("old API token: %+v, %v", a, err)
	}
	_, _, a, err = db.Login(ctx, "Agent@Old.Example.Test", pw, "")
	noErr(t, err)
	if a.UserID != agent {
		t.Errorf("sign-in as %+v", a)
	}

	// Unique per tenant now, case-insensitively, also for rows written
	// around the store's normalisation.
	adminB := interact.Actor{UserID: other, TenantID: tb, Email: "other@old.example.test", Roles: []interact.Role{tenantAdmin}}
	adminA := interact.Actor{UserID: admin, TenantID: ta, Email: "admin@old.example.test", Roles: []interact.Role{tenantAdmin}}
	_, err = db.CreateUser(ctx, adminB, interact.User{Email: "agent@old.example.test", Name: "B's agent", OUID: rootB}, pw)
	noErr(t, err)
	_, err = db.CreateUser(ctx, adminA, interact.User{Email: "AGENT@old.example.test", Name: "Twin", OUID: rootA}, pw)
	wantCode(t, err, interact.ECONFLICT)
	if _, err := o.raw.ExecContext(ctx, `INSERT INTO users (id, tenant_id, ou_id, email, name, created_at) VALUES ($1, $2, $3, 'Agent@Old.Example.Test', 'Raw', $4)`,
		interact.NewID(), ta, rootA, now); err == nil {
		t.Error("the database took an address differing only in case within one tenant")
	}

	// The references are still enforced, and still cascade from the
	// store's own connection.
	if _, err := o.raw.ExecContext(ctx, `INSERT INTO login_sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ('x', 'no-such-user', 'c', 0, 0)`); err == nil {
		t.Error("a session of a missing user was stored")
	}
	noErr(t, db.DeleteUser(ctx, adminA, agent))
	for table, q := range map[string]string{
		"service_members": `SELECT COUNT(*) FROM service_members WHERE user_id = $1`,
		"login_sessions":  `SELECT COUNT(*) FROM login_sessions WHERE user_id = $1`,
		"api_tokens":      `SELECT COUNT(*) FROM api_tokens WHERE user_id = $1`,
	} {
		var n int
		noErr(t, o.raw.QueryRowContext(ctx, q, agent).Scan(&n))
		if n != 0 {
			t.Errorf("%s: %d rows of the deleted user left", table, n)
		}
	}
	var members int
	noErr(t, o.raw.QueryRowContext(ctx, `SELECT COUNT(*) FROM service_members WHERE user_id = $1`, admin).Scan(&members))
	if members != 1 {
		t.Errorf("the admin's membership: %d rows", members)
	}
}

// TestMigrateChecksForeignKeys: on SQLite the migrations run with foreign
// keys off; a reference they leave broken fails the migration, which then
// changes nothing.
func TestMigrateChecksForeignKeys(t *testing.T) {
	t.Parallel()
	t.Run(engineSQLite, func(t *testing.T) {
		o := newOldStore(t, migrationEmailPerTenant)
		var ddl string
		noErr(t, o.raw.QueryRowContext(t.Context(), `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'`).Scan(&ddl))
		// A membership of a user that does not exist, written with the
		// checks off (as a hand-edited database might hold one).
		conn, err := o.raw.Conn(t.Context())
		noErr(t, err)
		for _, q := range []string{
			`PRAGMA foreign_keys = OFF`,
			`INSERT INTO tenants (id, name, state, created_at) VALUES ('t', 'T', 'active', 0)`,
			`INSERT INTO ous (id, tenant_id, name, parent_id, created_at) VALUES ('o', 't', 'T', NULL, 0)`,
			`INSERT INTO services (id, tenant_id, ou_id, name, license, distribution, created_at) VALUES ('s', 't', 'o', 'S', 'contactCenter', '{}', 0)`,
			`INSERT INTO service_members (service_id, user_id, active) VALUES ('s', 'ghost', TRUE)`,
			`PRAGMA foreign_keys = ON`,
		} {
			if _, err := conn.ExecContext(t.Context(), q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		conn.Close()

		db, err := sqlstore.Open(t.Context(), o.url)
		if err == nil {
			db.Close()
			t.Fatal("the migration passed over a broken reference")
		}
		if !strings.Contains(err.Error(), "foreign key check failed") || !strings.Contains(err.Error(), "service_members") {
			t.Errorf("error %v, want it to name the foreign key check and the table", err)
		}
		var after string
		noErr(t, o.raw.QueryRowContext(t.Context(), `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'`).Scan(&after))
		var applied int
		noErr(t, o.raw.QueryRowContext(t.Context(), `SELECT COUNT(*) FROM schema_migrations WHERE name = $1`, migrationEmailPerTenant).Scan(&applied))
		if after != ddl || applied != 0 {
			t.Errorf("the failed migration changed the schema (applied %d):\n%s", applied, after)
		}
	})
}
