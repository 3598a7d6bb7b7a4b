package sqlstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/interact-oss/interact"
)

func TestFence(t *testing.T) { eachEngine(t, testFence) }

// A write fenced with a lease token lands while the token is current and
// is refused, changing nothing, once another holder took the lease.
func testFence(t *testing.T) {
	t.Parallel()
	url := storeURL(t)
	a, b := openURL(t, url), openURL(t, url) // two nodes
	ctx := t.Context()
	name := "routing-" + interact.NewID()
	ids := newTasks(t, a, 2)

	tokenA, ok, err := a.AcquireLease(ctx, name, "node-a", time.Hour)
	noErr(t, err)
	if !ok {
		t.Fatal("node-a could not take a fresh lease")
	}
	asA := interact.WithFence(ctx, name, tokenA)
	task, err := a.Task(ctx, ids[0])
	noErr(t, err)
	task.Priority = 3
	noErr(t, a.SaveRouting(asA, []*interact.Task{task}, nil))

	// node-a is paused; its lease is released (or runs out) and node-b takes it.
	noErr(t, b.ReleaseLease(ctx, name, "node-a"))
	tokenB, ok, err := b.AcquireLease(ctx, name, "node-b", time.Hour)
	noErr(t, err)
	if !ok || tokenB == tokenA {
		t.Fatalf("node-b: token %d ok %v after node-a's %d", tokenB, ok, tokenA)
	}

	task.Priority = 7
	err = a.SaveRouting(asA, []*interact.Task{task}, nil)
	if !errors.Is(err, interact.ErrFenced) || interact.ErrorCode(err) != interact.ECONFLICT {
		t.Fatalf("save by the paused holder: %v, want ErrFenced (conflict)", err)
	}
	late := &interact.Task{ID: interact.NewID(), TenantID: task.TenantID, ContactID: task.ContactID, Modality: interact.ModalityChat,
		State: interact.TaskWaiting, QueueSeq: 99, CreatedAt: time.Now(), QueuedAt: time.Now()}
	if err := a.CreateTask(asA, late, ""); !errors.Is(err, interact.ErrFenced) {
		t.Fatalf("create by the paused holder: %v, want ErrFenced", err)
	}
	got, err := b.Task(ctx, ids[0])
	noErr(t, err)
	if got.Priority != 3 {
		t.Errorf("priority %d after the refused save, want 3", got.Priority)
	}
	if _, err := b.Task(ctx, late.ID); interact.ErrorCode(err) != interact.ENOTFOUND {
		t.Errorf("the refused task exists: %v", err)
	}

	// The new holder writes; an unfenced write is unaffected; a token for
	// a lease never taken is refused.
	task.Priority = 5
	noErr(t, b.SaveRouting(interact.WithFence(ctx, name, tokenB), []*interact.Task{task}, nil))
	noErr(t, a.SaveRouting(ctx, []*interact.Task{task}, nil))
	if err := a.SaveRouting(interact.WithFence(ctx, "never-"+interact.NewID(), 1), []*interact.Task{task}, nil); !errors.Is(err, interact.ErrFenced) {
		t.Errorf("save fenced by an unknown lease: %v, want ErrFenced", err)
	}
}
