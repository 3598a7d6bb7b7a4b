package sqlstore_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
)

func TestResetPassword(t *testing.T) { eachEngine(t, testResetPassword) }

func testResetPassword(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	const newPW = "reset by the operator"
	var sessions []string
	for range 2 {
		tok, _, _, err := w.db.Login(ctx, w.agent.Email, pw, "")
		noErr(t, err)
		sessions = append(sessions, tok)
	}
	_, apiToken, err := w.db.CreateAPIToken(ctx, w.agent, w.agent.UserID, "ci")
	noErr(t, err)
	other, _, _, err := w.db.Login(ctx, w.adminA.Email, pw, "")
	noErr(t, err)

	u, ended, err := w.db.ResetPassword(ctx, "  "+strings.ToUpper(w.agent.Email)+" ", "", newPW)
	noErr(t, err)
	if u.ID != w.agent.UserID || u.Email != w.agent.Email || ended != 2 {
		t.Errorf("reset %+v, ended %d sessions, want %s and 2", u, ended, w.agent.UserID)
	}
	for _, tok := range sessions {
		_, _, err := w.db.SessionActor(ctx, tok)
		wantCode(t, err, interact.EUNAUTHORIZED)
	}
	_, _, _, err = w.db.Login(ctx, w.agent.Email, pw, "")
	wantCode(t, err, interact.EUNAUTHORIZED)
	_, _, _, err = w.db.Login(ctx, w.agent.Email, newPW, "")
	noErr(t, err)
	if _, err := w.db.TokenActor(ctx, apiToken); err != nil {
		t.Errorf("the API token stopped working: %v", err)
	}
	if _, _, err := w.db.SessionActor(ctx, other); err != nil {
		t.Errorf("another user's session ended: %v", err)
	}

	e := w.lastEntry(t, w.adminA)
	if e.Action != "user.reset_password" || e.ActorID != interact.System.UserID || e.ActorEmail != interact.System.Email ||
		e.EntityKind != "user" || e.EntityID != w.agent.UserID || e.Before == nil || !strings.Contains(string(e.After), `"passwordChanged":true`) {
		t.Errorf("audit entry %+v", e)
	}
	if s := string(e.Before) + string(e.After); strings.Contains(s, newPW) || strings.Contains(s, "argon2") {
		t.Errorf("the audit entry holds the password: %s", s)
	}

	// Refused resets change nothing.
	_, _, err = w.db.ResetPassword(ctx, w.email("nobody"), "", newPW)
	wantCode(t, err, interact.ENOTFOUND)
	_, _, err = w.db.ResetPassword(ctx, "not an address", "", newPW)
	wantCode(t, err, interact.EINVALID)
	_, _, err = w.db.ResetPassword(ctx, w.agent.Email, "", "short")
	wantCode(t, err, interact.EINVALID)
	_, _, _, err = w.db.Login(ctx, w.agent.Email, newPW, "")
	noErr(t, err)
	if got := w.lastEntry(t, w.adminA); got.ID != e.ID {
		t.Errorf("a refused reset was audited: %+v", got)
	}
}

// TestBackup copies a SQLite store with sqlstore.Backup; the copy opens as
// a store with the data. (cmd/interact tests it under a running writer.)
func TestBackup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	url := "sqlite:" + filepath.Join(dir, "live.db")
	db := openURL(t, url)
	tn, admin, err := db.CreateTenant(t.Context(), interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: "Backed up"}, AdminEmail: "backup@example.test", AdminPassword: pw,
	})
	noErr(t, err)
	now := time.Now()
	task := &interact.Task{ID: interact.NewID(), TenantID: tn.ID, ContactID: "c", Modality: interact.ModalityChat,
		State: interact.TaskWaiting, QueueSeq: 1, CreatedAt: now, QueuedAt: now}
	noErr(t, db.CreateTask(t.Context(), task, ""))
	for i := range 3 {
		_, _, err := db.AppendMessage(t.Context(), interact.Message{TaskID: task.ID, ClientID: string(rune('a' + i)), From: interact.FromVisitor, Text: "hello", At: now})
		noErr(t, err)
	}

	dest := filepath.Join(dir, "copy.db")
	size, err := sqlstore.Backup(t.Context(), url, dest)
	noErr(t, err)
	st, err := os.Stat(dest)
	noErr(t, err)
	if st.Size() != size || st.Mode().Perm() != 0o600 {
		t.Errorf("copy: %d bytes (reported %d), mode %v", st.Size(), size, st.Mode())
	}
	cp := openURL(t, "sqlite:"+dest)
	if _, _, a, err := cp.Login(t.Context(), admin.Email, pw, ""); err != nil || a.UserID != admin.ID {
		t.Errorf("login to the copy: %v", err)
	}
	msgs, err := cp.Messages(t.Context(), task.ID, 0, 10)
	noErr(t, err)
	if len(msgs) != 3 || msgs[2].Seq != 3 {
		t.Errorf("messages in the copy: %+v", msgs)
	}

	if _, err := sqlstore.Backup(t.Context(), url, dest); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("backup over an existing file: %v", err)
	}
	if _, err := sqlstore.Backup(t.Context(), "postgres://u:secret@localhost/x", filepath.Join(dir, "pg.db")); err == nil ||
		!strings.Contains(err.Error(), "pg_dump") || strings.Contains(err.Error(), "secret") {
		t.Errorf("backup of PostgreSQL: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "pg.db")); err == nil {
		t.Error("a refused backup left a file")
	}
}
