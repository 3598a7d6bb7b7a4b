package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
)

const testPassword = "admin-password-1"

// runCmd runs the program with args and env, returning stdout and the error.
func runCmd(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), args, func(k string) string { return env[k] }, &stdout, &stderr)
	if stderr.Len() > 0 {
		t.Logf("stderr of %v: %s", args, stderr.String())
	}
	return stdout.String(), err
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}, {"-version"}} {
		out, err := runCmd(t, nil, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.HasPrefix(out, "interact ") || !strings.Contains(out, "revision: ") ||
			!strings.Contains(out, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH) {
			t.Errorf("%v printed %q", args, out)
		}
	}
	if _, err := runCmd(t, nil, "version", "extra"); err == nil {
		t.Error("version with an argument succeeded")
	}

	stamped := &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Path: "github.com/interact-oss/interact", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"}, {Key: "vcs", Value: "git"},
			{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.time", Value: "2026-01-02T03:04:05Z"}, {Key: "vcs.modified", Value: "true"}}}
	cases := []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{"stamped", stamped, true,
			"interact v1.2.3\n  revision: 0123456789abcdef (2026-01-02T03:04:05Z, modified)\n  go:       go1.99.1 linux/arm64\n"},
		{"devel, no VCS", &debug.BuildInfo{GoVersion: "go1.99.1", Main: debug.Module{Version: "(devel)"}}, true,
			"interact devel\n  revision: unknown\n  go:       go1.99.1 " + runtime.GOOS + "/" + runtime.GOARCH + "\n"},
		{"no build information", nil, false,
			"interact devel\n  revision: unknown\n  go:       " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"},
	}
	for _, c := range cases {
		if got := readVersion(c.bi, c.ok).String(); got != c.want {
			t.Errorf("%s:\ngot  %q\nwant %q", c.name, got, c.want)
		}
	}
}

// newSQLiteStore creates a store file with a first tenant and returns its
// URL and admin, the store closed.
func newSQLiteStore(t *testing.T) (url string, admin *interact.User) {
	t.Helper()
	url = "sqlite:" + filepath.Join(t.TempDir(), "interact.db")
	db, err := sqlstore.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, admin, err = db.CreateTenant(t.Context(), interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: "My organisation"}, AdminEmail: "admin@example.com", AdminPassword: testPassword,
	})
	if err != nil {
		t.Fatal(err)
	}
	return url, admin
}

func openTestStore(t *testing.T, url string) *sqlstore.DB {
	t.Helper()
	db, err := sqlstore.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func auditCount(t *testing.T, db *sqlstore.DB, a interact.Actor, action string) int {
	t.Helper()
	es, _, err := db.AuditEntries(t.Context(), a, interact.AuditFilter{Action: action, Limit: interact.MaxAuditPage})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func TestResetPassword(t *testing.T) {
	ctx := t.Context()
	url, admin := newSQLiteStore(t)
	adminA := interact.Actor{UserID: admin.ID, TenantID: admin.TenantID, Email: admin.Email, Roles: admin.Roles}
	db := openTestStore(t, url)
	session, _, _, err := db.Login(ctx, admin.Email, testPassword, "")
	if err != nil {
		t.Fatal(err)
	}

	// A chosen password, the address in another case, flags after it.
	const chosen = "a chosen new passphrase"
	out, err := runCmd(t, map[string]string{"INTERACT_NEW_PASSWORD": chosen}, "reset-password", "Admin@Example.com", "--database-url", url)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "Reset the password of admin@example.com") || !strings.Contains(out, "ended 1 sign-in session") ||
		strings.Contains(out, chosen) {
		t.Errorf("output %q", out)
	}
	if _, _, err := db.SessionActor(ctx, session); interact.ErrorCode(err) != interact.EUNAUTHORIZED {
		t.Errorf("the session survived the reset: %v", err)
	}
	if _, _, _, err := db.Login(ctx, admin.Email, testPassword, ""); interact.ErrorCode(err) != interact.EUNAUTHORIZED {
		t.Errorf("the old password still signs in: %v", err)
	}
	if _, _, _, err := db.Login(ctx, admin.Email, chosen, ""); err != nil {
		t.Errorf("the new password does not sign in: %v", err)
	}

	// A generated password, printed once; the database from the environment.
	out, err = runCmd(t, map[string]string{"INTERACT_DATABASE_URL": url}, "reset-password", admin.Email)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`new password: (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no generated password printed: %q", out)
	}
	if _, _, _, err := db.Login(ctx, admin.Email, chosen, ""); interact.ErrorCode(err) != interact.EUNAUTHORIZED {
		t.Errorf("the previous password still signs in: %v", err)
	}
	if _, _, _, err := db.Login(ctx, admin.Email, m[1], ""); err != nil {
		t.Errorf("the printed password does not sign in: %v", err)
	}
	es, _, err := db.AuditEntries(ctx, adminA, interact.AuditFilter{Action: "user.reset_password"})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].ActorID != "system" || es[0].EntityID != admin.ID {
		t.Errorf("audit entries %+v", es)
	}
	for _, e := range es {
		if s := string(e.Before) + string(e.After); strings.Contains(s, m[1]) || strings.Contains(s, chosen) || strings.Contains(s, "argon2") {
			t.Errorf("the audit log holds the password: %s", s)
		}
	}

	// Refusals change nothing.
	wrongData := filepath.Join(t.TempDir(), "wrong")
	audits := auditCount(t, db, adminA, "user.reset_password")
	refusals := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"unknown e-mail", nil, []string{"reset-password", "--database-url", url, "nobody@example.com"}, `No user has the e-mail address "nobody@example.com"`},
		{"no e-mail", nil, []string{"reset-password", "--database-url", url}, "usage: interact reset-password"},
		{"two e-mails", nil, []string{"reset-password", "--database-url", url, admin.Email, "other@example.com"}, "usage:"},
		{"short password", map[string]string{"INTERACT_NEW_PASSWORD": "short"}, []string{"reset-password", "--database-url", url, admin.Email}, "INTERACT_NEW_PASSWORD"},
		{"no database there", nil, []string{"reset-password", "--data", wrongData, admin.Email}, "no database at"},
	}
	for _, r := range refusals {
		t.Run(r.name, func(t *testing.T) {
			out, err := runCmd(t, r.env, r.args...)
			if err == nil || !strings.Contains(err.Error(), r.want) {
				t.Errorf("got %v, want an error mentioning %q", err, r.want)
			}
			if strings.Contains(out, "new password") {
				t.Errorf("printed %q", out)
			}
		})
	}
	if _, _, _, err := db.Login(ctx, admin.Email, m[1], ""); err != nil {
		t.Errorf("a refused reset changed the password: %v", err)
	}
	if n := auditCount(t, db, adminA, "user.reset_password"); n != audits {
		t.Errorf("refused resets wrote %d audit entries", n-audits)
	}
	if _, err := os.Stat(wrongData); err == nil {
		t.Errorf("a reset against a missing database created %s", wrongData)
	}
}

// TestResetPasswordTenant: an address held by users of two tenants is
// refused without --tenant, naming both, and with it resets that tenant's
// user only.
func TestResetPasswordTenant(t *testing.T) {
	ctx := t.Context()
	url, admin := newSQLiteStore(t)
	db := openTestStore(t, url)
	operator := interact.Actor{UserID: admin.ID, TenantID: admin.TenantID, Email: admin.Email, Roles: admin.Roles}
	other, otherAdmin, err := db.CreateTenant(ctx, operator, interact.NewTenant{
		Tenant: interact.Tenant{Name: "Another organisation"}, AdminEmail: admin.Email, AdminPassword: "the other one's password",
	})
	if err != nil {
		t.Fatal(err)
	}
	const chosen = "a chosen new passphrase"
	env := map[string]string{"INTERACT_NEW_PASSWORD": chosen}

	_, err = runCmd(t, env, "reset-password", "--database-url", url, admin.Email)
	if err == nil {
		t.Fatal("a reset of an address in two tenants succeeded without --tenant")
	}
	for _, want := range []string{"Users of 2 tenants", "--tenant " + admin.TenantID + "   (My organisation)", "--tenant " + other.ID + "   (Another organisation)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q lacks %q", err, want)
		}
	}
	_, err = runCmd(t, env, "reset-password", "--database-url", url, "--tenant", "no-such-tenant", admin.Email)
	if err == nil || !strings.Contains(err.Error(), `No user of tenant "no-such-tenant"`) {
		t.Errorf("unknown tenant: %v", err)
	}
	for _, password := range []string{testPassword, "the other one's password"} {
		if _, _, _, err := db.Login(ctx, admin.Email, password, ""); err != nil {
			t.Errorf("a refused reset changed a password: %v", err)
		}
	}

	// The flag after the address, as the other flags may be.
	out, err := runCmd(t, env, "reset-password", "--database-url", url, admin.Email, "--tenant", other.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "user "+otherAdmin.ID+" of tenant "+other.ID) {
		t.Errorf("output %q", out)
	}
	if _, _, a, err := db.Login(ctx, admin.Email, chosen, ""); err != nil || a.UserID != otherAdmin.ID {
		t.Errorf("the new password signs in as %+v (%v), want the other tenant's admin", a, err)
	}
	if _, _, a, err := db.Login(ctx, admin.Email, testPassword, ""); err != nil || a.UserID != admin.ID {
		t.Errorf("the first tenant's admin lost their password: %+v (%v)", a, err)
	}
}

// TestBackupWhileWriting backs up a SQLite store while a writer keeps
// appending messages, then restores it: the copy opens as a store (and
// serves), holds everything written before the backup began, and every
// task's messages in it are gapless and exactly those acknowledged.
func TestBackupWhileWriting(t *testing.T) {
	ctx := t.Context()
	url, admin := newSQLiteStore(t)
	adminA := interact.Actor{UserID: admin.ID, TenantID: admin.TenantID, Email: admin.Email, Roles: admin.Roles}
	db := openTestStore(t, url)
	svc, err := db.CreateService(ctx, adminA, interact.Service{Name: "Support", OUID: admin.OUID, License: interact.LicenseContactCenter})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tasks := make([]string, 4)
	for i := range tasks {
		task := &interact.Task{ID: interact.NewID(), TenantID: admin.TenantID, ServiceID: svc.ID, ContactID: "contact-backup",
			Modality: interact.ModalityChat, State: interact.TaskWaiting, QueueSeq: int64(i + 1), CreatedAt: now, QueuedAt: now}
		if err := db.CreateTask(ctx, task, ""); err != nil {
			t.Fatal(err)
		}
		tasks[i] = task.ID
	}

	// acked[task][seq] is the client id of each acknowledged message.
	var mu sync.Mutex
	acked := map[string]map[int64]string{}
	var sent atomic.Int64
	appendOne := func(ctx context.Context, i int64) error {
		task := tasks[i%int64(len(tasks))]
		m, _, err := db.AppendMessage(ctx, interact.Message{TaskID: task, ClientID: fmt.Sprint("c", i), From: interact.FromVisitor,
			Text: strings.Repeat("A question about my order. ", 8), At: time.Now()})
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if acked[task] == nil {
			acked[task] = map[int64]string{}
		}
		acked[task][m.Seq] = m.ClientID
		return nil
	}
	// Before the backup: 2,000 messages, so that the copy takes a while.
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for i := sent.Add(1); i <= 2000; i = sent.Add(1) {
				if err := appendOne(ctx, i); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	sent.Store(2000)
	before := map[string]int{}
	for task, ms := range acked {
		before[task] = len(ms)
	}

	// During the backup: writers keep appending until it is done.
	wctx, stop := context.WithCancel(ctx)
	var written atomic.Int64
	for range 4 {
		wg.Go(func() {
			for wctx.Err() == nil {
				if err := appendOne(wctx, sent.Add(1)); err != nil && wctx.Err() == nil {
					t.Error(err)
					return
				}
				written.Add(1)
			}
		})
	}
	for written.Load() < 20 { // the writers are under way
		time.Sleep(time.Millisecond)
	}
	startN := written.Load()
	dest := filepath.Join(t.TempDir(), "backup.db")
	out, err := runCmd(t, nil, "backup", "--database-url", url, dest)
	during := written.Load() - startN
	time.Sleep(50 * time.Millisecond) // and after it
	stop()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d messages acknowledged while the backup ran; %s", during, out)
	if !strings.Contains(out, "Backed up "+url+" to "+dest) {
		t.Errorf("output %q", out)
	}
	if st, err := os.Stat(dest); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("backup file: %v %v", st.Mode(), err)
	}

	// Restore: the copy opens as a store, the way serve opens it.
	cp := openTestStore(t, "sqlite:"+dest)
	if _, _, _, err := cp.Login(ctx, admin.Email, testPassword, ""); err != nil {
		t.Errorf("the admin cannot sign in to the copy: %v", err)
	}
	services, err := cp.Services(ctx, adminA)
	if err != nil || len(services) != 1 || services[0].Name != "Support" {
		t.Errorf("services in the copy: %+v %v", services, err)
	}
	total := 0
	for _, id := range tasks {
		task, err := cp.Task(ctx, id)
		if err != nil {
			t.Fatalf("task %s missing from the copy: %v", id, err)
		}
		msgs, err := cp.Messages(ctx, id, 0, 1_000_000)
		if err != nil {
			t.Fatal(err)
		}
		total += len(msgs)
		if len(msgs) < before[id] {
			t.Errorf("task %s: %d messages in the copy, %d were written before the backup", id, len(msgs), before[id])
		}
		if task.LastSeq != int64(len(msgs)) {
			t.Errorf("task %s: last seq %d, %d messages", id, task.LastSeq, len(msgs))
		}
		for i, m := range msgs {
			if m.Seq != int64(i+1) {
				t.Fatalf("task %s: message %d has seq %d (a gap)", id, i, m.Seq)
			}
			if acked[id][m.Seq] != m.ClientID {
				t.Fatalf("task %s seq %d: client id %q in the copy, %q acknowledged", id, m.Seq, m.ClientID, acked[id][m.Seq])
			}
		}
	}
	all := 0
	for _, ms := range acked {
		all += len(ms)
	}
	t.Logf("the copy holds %d messages; %d were acknowledged in all", total, all)
	cp.Close()

	// And interact serves it.
	in := start(t, nil, "--database-url", "sqlite:"+dest, "--data", t.TempDir())
	if strings.Contains(in.stdout.String(), "First run") {
		t.Errorf("serving the copy ran the first run again: %s", in.stdout)
	}
	login(t, in.url, admin.Email, testPassword)
}

func TestBackupRefusals(t *testing.T) {
	url, _ := newSQLiteStore(t)
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing", "interact.db")
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"existing file", nil, []string{"backup", "--database-url", url, existing}, "already exists"},
		{"postgres", nil, []string{"backup", "--database-url", "postgres://interact:secret@db.example/interact", filepath.Join(dir, "pg.db")}, "pg_dump"},
		{"postgres from the environment", map[string]string{"INTERACT_DATABASE_URL": "postgresql://db.example/interact"}, []string{"backup", filepath.Join(dir, "pg.db")}, "pg_dump"},
		{"no database", nil, []string{"backup", "--database-url", "sqlite:" + missing, filepath.Join(dir, "none.db")}, "no SQLite database at"},
		{"not a store", nil, []string{"backup", "--database-url", "sqlite:" + existing, filepath.Join(dir, "junk.db")}, "not an interact database"},
		{"no path", nil, []string{"backup", "--database-url", url}, "usage: interact backup"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := runCmd(t, c.env, c.args...)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error mentioning %q", err, c.want)
			}
			if err != nil && strings.Contains(err.Error(), "secret") {
				t.Errorf("the error shows the database password: %v", err)
			}
			if out != "" {
				t.Errorf("printed %q", out)
			}
		})
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Errorf("the existing file was changed: %q", b)
	}
	for _, p := range []string{"pg.db", "none.db", "junk.db"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err == nil {
			t.Errorf("a refused backup left %s", p)
		}
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("backing up a missing database created it")
	}
}

// TestHelpListsCommands checks that help names every command.
func TestHelpListsCommands(t *testing.T) {
	out, err := runCmd(t, nil, "help")
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		t.Fatal(err)
	}
	for _, c := range []string{"serve", "version", "reset-password", "backup", "-database-url"} {
		if !strings.Contains(out, c) {
			t.Errorf("help does not mention %s", c)
		}
	}
	_, err = runCmd(t, nil, "frobnicate")
	if err == nil || !strings.Contains(err.Error(), "interact help") {
		t.Errorf("unknown command: %v", err)
	}
}
