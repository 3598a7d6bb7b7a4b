package routing_test

import (
	"testing"
	"time"

	"github.com/interact-oss/interact"
)

// The after-call work an agent does after a session is recorded on that
// session (offer): the full ACW time when it runs out, the time done so
// far when ended early, and the extension when extended.
func TestACWRecorded(t *testing.T) {
	t.Parallel()
	w := newWorld(t, interact.Distribution{Type: interact.DistributeDirect, ACWEnabled: true, ACWSeconds: 20}, 1)
	w.online(0)
	acw := func(taskID string) int64 {
		t.Helper()
		offers, err := w.db.TaskOffers(w.ctx, taskID)
		if err != nil {
			t.Fatal(err)
		}
		var ms int64
		for _, o := range offers {
			ms += o.ACWMS
		}
		return ms
	}

	full := w.take(0, w.svc.ID)
	w.endBy(0, full.ID)
	w.clock.Advance(25 * time.Second)
	waitFor(t, func() bool { return acw(full.ID) == 20_000 }, "ACW run out: 20 s")

	early := w.take(0, w.svc.ID)
	w.endBy(0, early.ID)
	w.clock.Advance(7 * time.Second)
	if err := w.eng.EndACW(w.ctx, w.id(0)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return acw(early.ID) == 7_000 }, "ACW ended early: 7 s")

	ext := w.take(0, w.svc.ID)
	w.endBy(0, ext.ID)
	w.clock.Advance(10 * time.Second)
	if err := w.eng.ExtendACW(w.ctx, w.id(0), 30*time.Second); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(40 * time.Second)
	waitFor(t, func() bool { return acw(ext.ID) == 40_000 }, "ACW extended: 10 s + 30 s")
}

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	for range 200 {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("never: %s", what)
}
