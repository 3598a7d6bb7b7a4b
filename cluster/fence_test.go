package cluster_test

import (
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/cluster"
	"github.com/interact-oss/interact/eventually"
)

// An owner that lost its lease without noticing (a paused process: its
// renewals stall, its watchdog has not fired) cannot write: the store
// refuses the engine's writes by the lease token, and the node steps down.
func TestPausedOwnerCannotWrite(t *testing.T) {
	w := newWorld(t, 1)
	a := w.nodeWith("a", func(c *cluster.Config) { c.LeaseTTL, c.Renew = time.Minute, 150*time.Millisecond })
	owner(t, a)
	w.start(t, a, "Before") // writes while the lease is a's

	a.lease.fail.Store(true) // a no longer reaches the lease
	if err := w.db.ReleaseLease(w.ctx, "routing", "a"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := w.db.AcquireLease(w.ctx, "routing", "intruder", time.Hour); err != nil || !ok {
		t.Fatalf("take the lease: %v %v", ok, err)
	}
	if !a.Owner() {
		t.Fatal("the test needs node a to still believe it owns routing")
	}
	before, err := w.db.OpenTasks(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.StartTask(w.ctx, interact.StartRequest{TenantID: w.admin.TenantID, ServiceID: w.svc.ID, Modality: interact.ModalityChat,
		Visitor: interact.Visitor{Name: "Late"}, Origin: "https://shop.example", ResumeHash: interact.NewID()})
	if err == nil {
		t.Fatal("the paused owner started a task")
	}
	after, err := w.db.OpenTasks(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) {
		t.Errorf("open tasks %d → %d: the paused owner's write landed", len(before), len(after))
	}
	eventually.True(t, "node a to step down", func() bool { return !a.Owner() })
}
