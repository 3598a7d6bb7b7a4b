package chatlog_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/chatlog"
	"github.com/interact-oss/interact/sqlstore"
)

// recorder is the bus as the log sees it: it keeps what was published, in
// the order Publish was called.
type recorder struct {
	mu     sync.Mutex
	frames []interact.Message
	fail   error
}

func (r *recorder) Publish(subject string, data []byte) error {
	var f struct {
		Type string           `json:"type"`
		Data interact.Message `json:"data"`
	}
	if err := json.Unmarshal(data, &f); err != nil || f.Type != "message" || subject != interact.TaskSubject(f.Data.TaskID) {
		return fmt.Errorf("bad frame %s on %s: %v", data, subject, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.frames = append(r.frames, f.Data)
	return r.fail
}

func (r *recorder) published() []interact.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]interact.Message(nil), r.frames...)
}

// newTasks opens a real SQLite store and creates n tasks in it.
func newTasks(t *testing.T, path string, n int) (*sqlstore.DB, []string) {
	t.Helper()
	db, err := sqlstore.Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tn, _, err := db.CreateTenant(t.Context(), interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: "Log"}, AdminEmail: "log@example.test", AdminPassword: "a long password",
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ids := make([]string, n)
	for i := range ids {
		task := &interact.Task{ID: interact.NewID(), TenantID: tn.ID, ContactID: "c", Modality: interact.ModalityChat,
			State: interact.TaskWaiting, QueueSeq: int64(i + 1), CreatedAt: now, QueuedAt: now}
		if err := db.CreateTask(t.Context(), task, ""); err != nil {
			t.Fatal(err)
		}
		ids[i] = task.ID
	}
	return db, ids
}

func msg(task, client string) interact.Message {
	return interact.Message{TaskID: task, ClientID: client, From: interact.FromVisitor, Text: "hi " + client, At: time.Now().UTC().Truncate(time.Millisecond)}
}

// Many appenders per task: every stored message is published once, after
// it is stored, and per task in sequence order; a resend is not published
// again.
func TestAppendPublishesInSequenceOrder(t *testing.T) {
	db, tasks := newTasks(t, filepath.Join(t.TempDir(), "log.db"), 3)
	pub := &recorder{}
	log := chatlog.New(db, pub, nil)
	const appenders, each = 8, 20
	var wg sync.WaitGroup
	for _, task := range tasks {
		for a := range appenders {
			wg.Go(func() {
				for i := range each {
					m, dup, err := log.Append(t.Context(), msg(task, fmt.Sprintf("a%d-%d", a, i)))
					if err != nil || dup || m.Seq == 0 {
						t.Errorf("append: %+v dup %v err %v", m, dup, err)
						return
					}
					// Published before Append returned.
					found := false
					for _, p := range pub.published() {
						found = found || (p.TaskID == m.TaskID && p.Seq == m.Seq)
					}
					if !found {
						t.Errorf("seq %d of %s returned before it was published", m.Seq, m.TaskID)
					}
				}
			})
		}
	}
	wg.Wait()
	if _, dup, err := log.Append(t.Context(), msg(tasks[0], "a0-0")); err != nil || !dup {
		t.Fatalf("resend: dup %v err %v, want a duplicate", dup, err)
	}
	last := map[string]int64{}
	for _, p := range pub.published() {
		if p.Seq != last[p.TaskID]+1 {
			t.Fatalf("task %s: published seq %d after %d", p.TaskID, p.Seq, last[p.TaskID])
		}
		last[p.TaskID] = p.Seq
	}
	for _, task := range tasks {
		stored, err := db.Messages(t.Context(), task, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(stored) != appenders*each || last[task] != int64(len(stored)) {
			t.Errorf("task %s: %d stored, %d published, want %d each", task, len(stored), last[task], appenders*each)
		}
	}
}

// A caller that gives up does not keep its message from being published,
// and a failing bus does not fail a stored message: subscribers catch up
// from the store.
func TestAppendDespiteCancelAndBusFailure(t *testing.T) {
	db, tasks := newTasks(t, filepath.Join(t.TempDir(), "log.db"), 1)
	pub := &recorder{}
	log := chatlog.New(db, pub, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	m, _, err := log.Append(ctx, msg(tasks[0], "gone"))
	if err != nil || m.Seq != 1 || len(pub.published()) != 1 {
		t.Fatalf("append with a cancelled context: %+v err %v, %d published; want seq 1, published", m, err, len(pub.published()))
	}
	pub.fail = errors.New("injected: bus down")
	m, dup, err := log.Append(t.Context(), msg(tasks[0], "busdown"))
	if err != nil || dup || m.Seq != 2 {
		t.Fatalf("append while the bus fails: %+v dup %v err %v, want seq 2 stored without error", m, dup, err)
	}
	// A refused message is neither stored nor published.
	if _, _, err := log.Append(t.Context(), msg("no-such-task", "x")); interact.ErrorCode(err) != interact.ENOTFOUND {
		t.Fatalf("append to a missing task: %v, want not_found", err)
	}
	if n := len(pub.published()); n != 2 {
		t.Fatalf("%d published, want 2", n)
	}
}
