package sqlstore_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
)

// newTasks creates n queued chat tasks in a fresh tenant.
func newTasks(tb testing.TB, db *sqlstore.DB, n int) []string {
	tb.Helper()
	ctx := tb.Context()
	sfx := interact.NewID()[18:]
	tn, _, err := db.CreateTenant(ctx, interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: "Messages " + sfx}, AdminEmail: "messages-" + sfx + "@example.test", AdminPassword: pw,
	})
	if err != nil {
		tb.Fatalf("create tenant: %v", err)
	}
	now := time.Now()
	ids := make([]string, n)
	for i := range ids {
		t := &interact.Task{ID: interact.NewID(), TenantID: tn.ID, ContactID: "contact-" + sfx, Modality: interact.ModalityChat,
			State: interact.TaskWaiting, QueueSeq: int64(i + 1), CreatedAt: now, QueuedAt: now}
		if err := db.CreateTask(ctx, t, ""); err != nil {
			tb.Fatalf("create task: %v", err)
		}
		ids[i] = t.ID
	}
	return ids
}

// BenchmarkAppendMessage measures acknowledged (committed) messages per
// second: many appenders, each waiting for its acknowledgement, over many
// tasks, on each engine.
func BenchmarkAppendMessage(b *testing.B) {
	engines := map[string]func(b *testing.B) string{
		engineSQLite: func(b *testing.B) string { return "sqlite:" + filepath.Join(b.TempDir(), "bench.db") },
	}
	if postgresURL() != "" {
		engines[enginePostgres] = func(*testing.B) string { return postgresURL() }
	}
	for _, name := range []string{engineSQLite, enginePostgres} {
		url, ok := engines[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			db := openURL(b, url(b))
			tasks := newTasks(b, db, 1000)
			var next atomic.Int64
			b.SetParallelism(256) // appenders per CPU
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1)
					m := interact.Message{TaskID: tasks[i%int64(len(tasks))], ClientID: fmt.Sprint("c", i), From: interact.FromVisitor,
						Text: "Hello, I have a question about my order.", At: time.Now()}
					if _, _, err := db.AppendMessage(b.Context(), m); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

func TestAppendMessage(t *testing.T) { eachEngine(t, testAppendMessage) }

func testAppendMessage(t *testing.T) {
	t.Parallel()
	db := openStore(t)
	tasks := newTasks(t, db, 2)
	ctx := t.Context()
	at := time.UnixMilli(time.Now().UnixMilli()).UTC()
	msg := func(task int, client, text string) interact.Message {
		return interact.Message{TaskID: tasks[task], ClientID: client, From: interact.FromVisitor, Name: "Vi", Text: text, At: at}
	}

	var stored []interact.Message
	for i, text := range []string{"one", "two", "three"} {
		m, dup, err := db.AppendMessage(ctx, msg(0, fmt.Sprint("c", i), text))
		noErr(t, err)
		want := msg(0, fmt.Sprint("c", i), text)
		want.Seq = int64(i + 1)
		if dup || m != want {
			t.Fatalf("append %q = %+v dup %v, want %+v", text, m, dup, want)
		}
		stored = append(stored, m)
	}
	m, dup, err := db.AppendMessage(ctx, msg(1, "c0", "other task"))
	noErr(t, err)
	if dup || m.Seq != 1 {
		t.Errorf("first message of the second task: seq %d dup %v, want 1 false", m.Seq, dup)
	}

	// A resend returns the stored message, whatever its text now.
	m, dup, err = db.AppendMessage(ctx, msg(0, "c1", "two, again"))
	noErr(t, err)
	if !dup || m != stored[1] {
		t.Errorf("resend = %+v dup %v, want %+v dup true", m, dup, stored[1])
	}
	// The same client id from another sender is another message.
	agent := msg(0, "c1", "hello from the agent")
	agent.From, agent.AgentID = interact.FromAgent, "agent-1"
	m, dup, err = db.AppendMessage(ctx, agent)
	noErr(t, err)
	if dup || m.Seq != 4 {
		t.Errorf("agent message: seq %d dup %v, want 4 false", m.Seq, dup)
	}
	stored = append(stored, m)

	_, _, err = db.AppendMessage(ctx, interact.Message{TaskID: "no-such-task", ClientID: "x", From: interact.FromVisitor, Text: "hi", At: at})
	wantCode(t, err, interact.ENOTFOUND)

	got, err := db.Messages(ctx, tasks[0], 0, 100)
	noErr(t, err)
	if diff := cmp.Diff(stored, got); diff != "" {
		t.Errorf("messages (-want +got):\n%s", diff)
	}
	task, err := db.Task(ctx, tasks[0])
	noErr(t, err)
	if task.LastSeq != 4 {
		t.Errorf("task last seq = %d, want 4", task.LastSeq)
	}
}

// TestAppendResendsInOneBatch sends every message twice at once, so that
// resends share batches with their originals: each is stored once, and the
// sequence has no gap.
func TestAppendResendsInOneBatch(t *testing.T) { eachEngine(t, testAppendResendsInOneBatch) }

func testAppendResendsInOneBatch(t *testing.T) {
	t.Parallel()
	db := openStore(t)
	tasks := newTasks(t, db, 3)
	const each = 40
	type result struct {
		m   interact.Message
		dup bool
	}
	results := make(chan result, 2*each*len(tasks))
	var wg sync.WaitGroup
	for _, task := range tasks {
		for i := range each {
			for range 2 {
				wg.Go(func() {
					m, dup, err := db.AppendMessage(t.Context(), interact.Message{TaskID: task, ClientID: fmt.Sprint("c", i),
						From: interact.FromVisitor, Text: fmt.Sprint("message ", i), At: time.Now()})
					if err != nil {
						t.Error(err)
					}
					results <- result{m, dup}
				})
			}
		}
	}
	wg.Wait()
	close(results)
	seqOf := map[string]int64{} // task and client id → seq
	dups := 0
	for r := range results {
		key := r.m.TaskID + "/" + r.m.ClientID
		if prev, ok := seqOf[key]; ok && prev != r.m.Seq {
			t.Errorf("%s acknowledged as seq %d and %d", key, prev, r.m.Seq)
		}
		seqOf[key] = r.m.Seq
		if r.dup {
			dups++
		}
	}
	if dups != each*len(tasks) {
		t.Errorf("%d resends reported, want %d", dups, each*len(tasks))
	}
	for _, task := range tasks {
		wantGapless(t, db, task, each)
	}
}

// wantGapless checks that task holds messages 1…n, each client id once.
func wantGapless(t *testing.T, db *sqlstore.DB, task string, n int) {
	t.Helper()
	got, err := db.Messages(t.Context(), task, 0, n+10)
	noErr(t, err)
	clients := map[string]bool{}
	for i, m := range got {
		if m.Seq != int64(i+1) {
			t.Fatalf("task %s: message %d has seq %d", task, i+1, m.Seq)
		}
		if clients[m.From+"/"+m.ClientID] {
			t.Errorf("task %s: client id %s stored twice", task, m.ClientID)
		}
		clients[m.From+"/"+m.ClientID] = true
	}
	if len(got) != n {
		t.Errorf("task %s: %d messages, want %d", task, len(got), n)
	}
	tk, err := db.Task(t.Context(), task)
	noErr(t, err)
	if tk.LastSeq != int64(n) {
		t.Errorf("task %s: last seq %d, want %d", task, tk.LastSeq, n)
	}
}

// TestAppendFromTwoStores appends to the same tasks through two stores on
// one database, as two nodes do: sequence numbers come from the database,
// so they have no gap and no duplicate.
func TestAppendFromTwoStores(t *testing.T) { eachEngine(t, testAppendFromTwoStores) }

func testAppendFromTwoStores(t *testing.T) {
	t.Parallel()
	url := storeURL(t)
	nodes := []*sqlstore.DB{openURL(t, url), openURL(t, url)}
	tasks := newTasks(t, nodes[0], 4)
	const appenders, each = 8, 25 // per node and task
	var wg sync.WaitGroup
	for n, db := range nodes {
		for _, task := range tasks {
			for a := range appenders {
				wg.Go(func() {
					for i := range each {
						_, dup, err := db.AppendMessage(t.Context(), interact.Message{TaskID: task, ClientID: fmt.Sprintf("n%d-a%d-%d", n, a, i),
							From: interact.FromVisitor, Text: "hi", At: time.Now()})
						if err != nil || dup {
							t.Errorf("append: dup %v, err %v", dup, err)
						}
					}
				})
			}
		}
	}
	wg.Wait()
	for _, task := range tasks {
		wantGapless(t, nodes[1], task, len(nodes)*appenders*each)
	}
}

func TestAppendAfterClose(t *testing.T) { eachEngine(t, testAppendAfterClose) }

func testAppendAfterClose(t *testing.T) {
	t.Parallel()
	db, err := sqlstore.Open(t.Context(), storeURL(t))
	noErr(t, err)
	task := newTasks(t, db, 1)[0]
	noErr(t, db.Close())
	_, _, err = db.AppendMessage(t.Context(), interact.Message{TaskID: task, ClientID: "c", From: interact.FromVisitor, Text: "hi", At: time.Now()})
	if !errors.Is(err, sqlstore.ErrStoreClosed) {
		t.Fatalf("append after close: %v, want ErrStoreClosed", err)
	}
}
