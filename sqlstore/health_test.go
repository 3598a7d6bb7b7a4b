package sqlstore_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
)

type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// A full disk: every write answers storage_unavailable (not internal),
// readiness fails, the log says so once, and everything works again by
// itself once there is room.
func TestStorageFullAndRecovery(t *testing.T) {
	logs := &syncLog{}
	db, err := sqlstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "full.db"),
		sqlstore.WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	noErr(t, err)
	t.Cleanup(func() { db.Close() })
	task := newTasks(t, db, 1)[0]
	noErr(t, db.Ping(t.Context()))

	noErr(t, db.CapSQLiteSize(t.Context(), 1))
	big := strings.Repeat("x", 3900)
	var failures int
	for i := range 40 {
		_, _, err := db.AppendMessage(t.Context(), interact.Message{TaskID: task, ClientID: fmt.Sprint("c", i), From: interact.FromVisitor, Text: big, At: time.Now()})
		if err != nil {
			if code := interact.ErrorCode(err); code != interact.ESTORAGE {
				t.Fatalf("append on a full disk: %v (code %q), want storage_unavailable", err, code)
			}
			failures++
		}
	}
	if failures == 0 {
		t.Fatal("the cap did not fill the database")
	}
	// A transaction (not only the message writer) answers the outage too,
	// once it needs room the capped file no longer has.
	for i := 0; ; i++ {
		_, _, err = db.CreateTenant(t.Context(), interact.System, interact.NewTenant{Tenant: interact.Tenant{Name: fmt.Sprint("More ", i)},
			AdminEmail: fmt.Sprintf("more%d@example.test", i), AdminPassword: "a long password"})
		if err != nil {
			break
		}
		if i == 500 {
			t.Fatal("500 tenants fitted on the full disk")
		}
	}
	if code := interact.ErrorCode(err); code != interact.ESTORAGE {
		t.Fatalf("a transaction on a full disk: %v (code %q), want storage_unavailable", err, code)
	}
	if err := db.Ping(t.Context()); interact.ErrorCode(err) != interact.ESTORAGE {
		t.Fatalf("readiness on a full disk: %v, want storage_unavailable", err)
	}
	// One line when an outage begins, however many writes fail in it (the
	// appends above failed many times); small writes that still fitted in
	// between end an episode, and the next failure begins another.
	if begins, ends := strings.Count(logs.String(), "storage unavailable"), strings.Count(logs.String(), "storage recovered"); begins != ends+1 || begins > 1+failures/2 {
		t.Fatalf("%d outage lines and %d recoveries for %d failed appends, want one line per outage:\n%s", begins, ends, failures, logs.String())
	}

	noErr(t, db.CapSQLiteSize(t.Context(), 0))
	if _, _, err := db.AppendMessage(t.Context(), interact.Message{TaskID: task, ClientID: "after", From: interact.FromVisitor, Text: "room again", At: time.Now()}); err != nil {
		t.Fatalf("append after recovery: %v", err)
	}
	noErr(t, db.Ping(t.Context()))
	if !strings.Contains(logs.String(), "storage recovered") {
		t.Fatalf("no recovery line in the log:\n%s", logs.String())
	}
}
