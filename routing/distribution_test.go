package routing_test

import (
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/routing"
)

var direct = interact.Distribution{Type: interact.DistributeDirect}

// Direct distribution: longest idle first, one at a time; decline and ring
// timeout move on; when everyone had a go the round restarts.
func TestDirectOrderDeclineRONAAndNewRound(t *testing.T) {
	t.Parallel()
	w := newWorld(t, direct, 3)
	w.online(0)
	w.online(1)
	w.online(2)
	task := w.start(w.svc.ID)

	off := w.offerFor(0, task.ID)
	w.noOffer(1)
	w.noOffer(2)
	w.wantOffers(task.ID, "0:")

	w.decline(0, off)
	ended := w.pub.take(interact.AgentSubject(w.id(0)), "offer.ended")
	if len(ended) != 1 || ended[0].Data["outcome"] != interact.OfferDeclined {
		t.Fatalf("agent 0 offer.ended events %+v", ended)
	}
	off = w.offerFor(1, task.ID)
	w.noOffer(0)
	w.wantOffers(task.ID, "0:declined", "1:")

	w.clock.Advance(29 * time.Second)
	w.noOffer(2)
	w.wantOffers(task.ID, "0:declined", "1:")
	w.clock.Advance(time.Second) // the ring timeout (30 s)
	off2 := w.offerFor(2, task.ID)
	w.noOffer(0)
	w.noOffer(1)
	w.wantOffers(task.ID, "0:declined", "1:rona", "2:")
	if _, err := w.eng.Accept(w.ctx, w.id(1), off); code(err) != interact.ECONFLICT {
		t.Fatalf("accepting a rung-out offer: %v, want conflict", err)
	}

	w.decline(2, off2) // everyone had a go: a new round starts with the longest idle
	off = w.offerFor(0, task.ID)
	w.noOffer(1)
	w.accept(0, off)
	w.wantOffers(task.ID, "0:declined", "1:rona", "2:declined", "0:accepted")
	if got := w.wantTask(task.ID, interact.TaskConnected, ""); got.AgentID != w.id(0) {
		t.Fatalf("connected to %q", got.AgentID)
	}
	w.endBy(0, task.ID)
	w.wantTask(task.ID, interact.TaskEnded, interact.OutcomeHandled)
	for _, o := range mustOffers(w, task.ID) {
		if o.EndedAt == nil {
			t.Errorf("offer %s of %s has no end time", o.ID, o.AgentID)
		}
	}
}

func mustOffers(w *world, taskID string) []interact.Offer {
	w.t.Helper()
	offers, err := w.db.TaskOffers(w.ctx, taskID)
	if err != nil {
		w.t.Fatal(err)
	}
	return offers
}

// Agent 0 is the longest idle; each case makes it not selectable (or, for
// the controls, leaves it selectable) and checks who gets the next task.
func TestDirectSelectable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		dist  interact.Distribution
		cfg   routing.Config
		want  int // the agent offered the probe task
		setup func(w *world)
	}{
		{name: "control: both available", want: 0, setup: func(w *world) { w.online(0); w.online(1) }},
		{name: "control: below capacity", want: 0, setup: func(w *world) {
			w.online(0)
			w.take(0, w.svc.ID)
			w.take(0, w.svc.ID)
			w.online(1)
		}},
		{name: "never connected", want: 1, setup: func(w *world) { w.online(1) }},
		{name: "disconnected", want: 1, setup: func(w *world) {
			w.online(0)
			w.online(1)
			w.eng.AgentDisconnected(w.ctx, w.id(0))
		}},
		{name: "presence busy", want: 1, setup: func(w *world) { w.online(0); w.online(1); w.presence(0, interact.PresenceBusy) }},
		{name: "presence away", want: 1, setup: func(w *world) { w.online(0); w.online(1); w.presence(0, interact.PresenceAway) }},
		{name: "member not active", want: 1, setup: func(w *world) {
			w.online(0)
			w.online(1)
			w.member(w.svc.ID, 0, false)
			w.eng.Invalidate(w.ctx, w.svc.TenantID)
		}},
		{name: "no IM licence", want: 1, setup: func(w *world) {
			if _, err := w.db.UpdateUser(w.ctx, w.admin, w.id(0), interact.UserUpdate{
				Licenses: &interact.Licenses{ContactCenter: true, Interact: true}}); err != nil {
				w.t.Fatal(err)
			}
			w.online(0)
			w.online(1)
			w.eng.Invalidate(w.ctx, w.svc.TenantID)
		}},
		{name: "ringing for another task", want: 1, setup: func(w *world) {
			w.online(0)
			w.online(1)
			other := w.start(w.svc.ID)
			w.offerFor(0, other.ID)
		}},
		{name: "at chat capacity (3)", want: 1, setup: func(w *world) {
			w.online(0)
			for range 3 {
				w.take(0, w.svc.ID)
			}
			w.online(1)
		}},
		{name: "at configured chat capacity (1)", cfg: routing.Config{ChatCapacity: 1}, want: 1, setup: func(w *world) {
			w.online(0)
			w.take(0, w.svc.ID)
			w.online(1)
		}},
		{name: "in ACW", dist: interact.Distribution{ACWEnabled: true}, want: 1, setup: func(w *world) {
			w.online(0)
			x := w.take(0, w.svc.ID)
			w.endBy(0, x.ID)
			w.online(1)
		}},
		{name: "flagged RONA", dist: interact.Distribution{PersistentRONA: true}, want: 1, setup: func(w *world) {
			w.online(0)
			x := w.start(w.svc.ID)
			w.offerFor(0, x.ID)
			w.clock.Advance(30 * time.Second) // rings out: agent 0 flagged
			w.online(1)
			w.accept(1, w.offerFor(1, x.ID)) // agent 1 keeps capacity for the probe
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorldCfg(t, tc.dist, 2, tc.cfg)
			tc.setup(w)
			w.takeOffers(0)
			w.takeOffers(1)
			probe := w.start(w.svc.ID)
			other := 1 - tc.want
			w.offerFor(tc.want, probe.ID)
			w.noOffer(other)
			if w.stored(probe.ID).State != interact.TaskWaiting {
				t.Fatalf("probe task state %q", w.stored(probe.ID).State)
			}
		})
	}
}

// Broadcast rings the N longest-idle selectable agents; the first accept
// wins and the other offers are withdrawn; a ring timeout flags no RONA.
func TestBroadcast(t *testing.T) {
	t.Parallel()
	dist := interact.Distribution{Type: interact.DistributeBroadcast, PersistentRONA: true}
	w := newWorldCfg(t, dist, 5, routing.Config{BroadcastSize: 3})
	for i := range 5 {
		w.online(i)
	}
	task := w.start(w.svc.ID)
	offers := map[int]string{}
	for i := range 3 {
		offers[i] = w.offerFor(i, task.ID)
	}
	w.noOffer(3)
	w.noOffer(4)

	w.accept(1, offers[1])
	for _, i := range []int{0, 2} {
		ev := w.pub.take(interact.AgentSubject(w.id(i)), "offer.ended")
		if len(ev) != 1 || ev[0].Data["outcome"] != interact.OfferCancelled || ev[0].Data["offerId"] != offers[i] {
			t.Fatalf("agent %d offer.ended %+v", i, ev)
		}
	}
	if _, err := w.eng.Accept(w.ctx, w.id(0), offers[0]); code(err) != interact.ECONFLICT {
		t.Fatalf("late accept: %v, want conflict", err)
	}
	w.wantOffers(task.ID, "0:cancelled", "1:accepted", "2:cancelled")
	if got := w.wantTask(task.ID, interact.TaskConnected, ""); got.AgentID != w.id(1) {
		t.Fatalf("connected to %d", w.index(got.AgentID))
	}

	// Agent 1 (one chat of three) is still among the longest idle. A decline
	// leaves the others ringing; a ring timeout flags nobody and the batch
	// is rung again.
	t2 := w.start(w.svc.ID)
	rung := map[int]string{}
	for i := range 3 {
		rung[i] = w.offerFor(i, t2.ID)
	}
	w.noOffer(3)
	w.noOffer(4)
	w.decline(0, rung[0])
	w.wantOffers(t2.ID, "0:declined", "1:", "2:")
	w.clock.Advance(30 * time.Second)
	w.wantOffers(t2.ID, "0:declined", "1:rona", "2:rona", "0:", "1:", "2:")
	for i := range 5 {
		a, _ := w.eng.Agent(w.id(i))
		if a.State == interact.StateRONA || a.RONAUntil != nil {
			t.Errorf("agent %d flagged RONA by a broadcast ring timeout: %+v", i, a)
		}
	}
}

// With the default size, a broadcast rings 10 agents, not the 11th.
func TestBroadcastDefaultSize(t *testing.T) {
	t.Parallel()
	w := newWorld(t, interact.Distribution{Type: interact.DistributeBroadcast}, 11)
	for i := range 11 {
		w.online(i)
	}
	task := w.start(w.svc.ID)
	for i := range 10 {
		w.offerFor(i, task.ID)
	}
	w.noOffer(10) // the most recently idle
}

// Pickup: no offers; members claim; non-members, busy agents and a second
// claim are refused.
func TestPickup(t *testing.T) {
	t.Parallel()
	w := newWorldCfg(t, interact.Distribution{Type: interact.DistributePickup}, 3, routing.Config{ChatCapacity: 1})
	if err := w.db.DeleteMember(w.ctx, w.admin, w.svc.ID, w.id(2)); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		w.online(i)
	}
	task := w.start(w.svc.ID)
	for i := range 3 {
		w.noOffer(i)
	}
	w.wantTask(task.ID, interact.TaskWaiting, "")
	w.wantOffers(task.ID)
	q, err := w.eng.Queue(w.ctx, w.svc.TenantID, w.svc.ID)
	if err != nil || len(q.Waiting) != 1 || q.Waiting[0].ID != task.ID {
		t.Fatalf("pickup list %+v, %v", q.Waiting, err)
	}

	if _, err := w.eng.Claim(w.ctx, w.id(2), task.ID); code(err) != interact.EFORBIDDEN {
		t.Fatalf("claim by a non-member: %v, want forbidden", err)
	}
	w.presence(1, interact.PresenceBusy)
	if _, err := w.eng.Claim(w.ctx, w.id(1), task.ID); code(err) != interact.EFORBIDDEN {
		t.Fatalf("claim by a busy agent: %v, want forbidden", err)
	}
	w.presence(1, interact.PresenceAvailable)
	w.wantOffers(task.ID)

	got, err := w.eng.Claim(w.ctx, w.id(0), task.ID)
	if err != nil || got.State != interact.TaskConnected || got.AgentID != w.id(0) {
		t.Fatalf("claim: %+v, %v", got, err)
	}
	w.wantTask(task.ID, interact.TaskConnected, "")
	w.wantOffers(task.ID, "0:accepted")
	if _, err := w.eng.Claim(w.ctx, w.id(1), task.ID); code(err) != interact.ECONFLICT {
		t.Fatalf("second claim: %v, want conflict", err)
	}

	// At capacity (1 chat) agent 0 may not claim another.
	t2 := w.start(w.svc.ID)
	if _, err := w.eng.Claim(w.ctx, w.id(0), t2.ID); code(err) != interact.EFORBIDDEN {
		t.Fatalf("claim at capacity: %v, want forbidden", err)
	}
	w.wantOffers(t2.ID)
}

// Priority inside one queue. Tasks get their service's default priority
// and keep it when transferred, so a task transferred from a high-priority
// service overtakes the waiting tasks of the target queue; equal
// priorities are first come, first served.
func TestPriorityInQueue(t *testing.T) {
	t.Parallel()
	w := newWorldCfg(t, direct, 2, routing.Config{ChatCapacity: 1})
	high := w.service("Priority", interact.Distribution{DefaultPriority: 5})
	if err := w.db.DeleteMember(w.ctx, w.admin, w.svc.ID, w.id(1)); err != nil {
		t.Fatal(err)
	}
	w.member(high.ID, 1, true)
	w.online(0)
	w.online(1)
	held := w.take(0, w.svc.ID).ID // agent 0 busy: the low queue waits
	l1 := w.start(w.svc.ID)
	l2 := w.start(w.svc.ID)
	h := w.take(1, high.ID)
	if w.stored(h.ID).Priority != 5 || w.stored(l1.ID).Priority != 0 {
		t.Fatalf("priorities %d %d", w.stored(h.ID).Priority, w.stored(l1.ID).Priority)
	}
	if err := w.eng.Transfer(w.ctx, w.id(1), h.ID, "", w.svc.ID); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int{h.ID: 1, l1.ID: 2, l2.ID: 3} {
		if v, _ := w.eng.Task(id); v.Position != want {
			t.Errorf("task position %d, want %d", v.Position, want)
		}
	}
	w.takeOffers(0)
	for _, next := range []string{h.ID, l1.ID, l2.ID} {
		w.endBy(0, held)
		w.accept(0, w.offerFor(0, next))
		held = next
	}
}

// Priority across services sharing an agent: when the agent frees up, the
// higher-priority service's task should be offered first even though it
// arrived later.
func TestPriorityAcrossServices(t *testing.T) {
	t.Parallel()
	w := newWorldCfg(t, direct, 1, routing.Config{ChatCapacity: 1})
	high := w.service("Priority", interact.Distribution{DefaultPriority: 5})
	w.member(high.ID, 0, true)
	w.online(0)
	held := w.take(0, w.svc.ID).ID
	lowFirst := 0
	const trials = 12
	for range trials {
		low := w.start(w.svc.ID)
		w.clock.Advance(time.Second)
		hi := w.start(high.ID)
		w.endBy(0, held)
		got := w.takeOffers(0)
		if len(got) != 1 {
			t.Fatalf("offers %+v", got)
		}
		w.accept(0, got[0].OfferID)
		other := hi
		if got[0].TaskID == low.ID {
			lowFirst++
		} else {
			other = low
		}
		if err := w.eng.EndTask(w.ctx, other.ID, interact.ByVisitor); err != nil {
			t.Fatal(err)
		}
		held = got[0].TaskID
	}
	if lowFirst > 0 {
		t.Fatalf("regression: the lower-priority service's task was offered first in %d of %d trials: Engine.finish dispatches "+
			"the touched queues in Go map order, so priority (and arrival order) is not honoured across services", lowFirst, trials)
	}
}

// A service's MaxOpenChats caps its concurrent chats; a refused start
// leaves no task behind.
func TestCapacityReached(t *testing.T) {
	t.Parallel()
	w := newWorld(t, direct, 1)
	w.online(0)
	req := interact.StartRequest{ServiceID: w.svc.ID, MaxOpenChats: 2}
	a, err := w.startWith(req)
	if err != nil {
		t.Fatal(err)
	}
	w.accept(0, w.offerFor(0, a.ID)) // connected chats count too
	if _, err := w.startWith(req); err != nil {
		t.Fatal(err)
	}
	seq, _ := w.db.MaxQueueSeq(w.ctx)
	if _, err := w.startWith(req); code(err) != interact.ECAPACITY {
		t.Fatalf("third chat: %v, want %s", err, interact.ECAPACITY)
	}
	if n := w.openTasks(); n != 2 {
		t.Fatalf("%d open tasks after the refusal, want 2", n)
	}
	if s, _ := w.db.MaxQueueSeq(w.ctx); s != seq {
		t.Fatalf("queue seq moved from %d to %d: a refused task was stored", seq, s)
	}
	w.endBy(0, a.ID)
	if _, err := w.startWith(req); err != nil {
		t.Fatalf("after one chat ended: %v", err)
	}
}

// A direct user contact rings that user only; an offline user means
// no_agent at once.
func TestDirectUserContact(t *testing.T) {
	t.Parallel()
	w := newWorld(t, direct, 3)
	w.online(0)
	w.online(1)
	w.pastGrace()
	task, err := w.startWith(interact.StartRequest{DirectUserID: w.id(1)})
	if err != nil {
		t.Fatal(err)
	}
	off := w.offerFor(1, task.ID)
	w.noOffer(0)
	w.accept(1, off)
	w.wantTask(task.ID, interact.TaskConnected, "")
	w.endBy(1, task.ID)
	w.wantTask(task.ID, interact.TaskEnded, interact.OutcomeHandled)

	// The user declines: the contact ends (nobody else may take it).
	t2, _ := w.startWith(interact.StartRequest{DirectUserID: w.id(1)})
	w.decline(1, w.offerFor(1, t2.ID))
	w.noOffer(0)
	w.wantTask(t2.ID, interact.TaskEnded, interact.OutcomeNoAgent)

	// Agent 2 never connected.
	t3, err := w.startWith(interact.StartRequest{DirectUserID: w.id(2)})
	if err != nil {
		t.Fatal(err)
	}
	w.wantTask(t3.ID, interact.TaskEnded, interact.OutcomeNoAgent)
	w.wantOffers(t3.ID)
	w.noOffer(0)
	w.noOffer(1)
	ev := w.events(interact.TaskSubject(t3.ID), "task.state")
	if len(ev) != 1 || ev[0].Data["leaveMessage"] != true {
		t.Fatalf("task.state %+v", ev)
	}
	// No service watches a direct contact's tasks: nothing is published
	// to a service subject without a service.
	w.pub.mu.Lock()
	defer w.pub.mu.Unlock()
	for _, e := range w.pub.events {
		if e.Subject == interact.ServiceSubject("") {
			t.Fatalf("published %s to %q", e.Type, e.Subject)
		}
	}
}

// A strict-priority service's task goes first even against a higher
// priority that is not strict.
func TestStrictPriorityAcrossServices(t *testing.T) {
	t.Parallel()
	w := newWorldCfg(t, direct, 1, routing.Config{ChatCapacity: 1})
	high := w.service("High", interact.Distribution{DefaultPriority: 10})
	strict := w.service("Strict", interact.Distribution{StrictPriority: true})
	w.member(high.ID, 0, true)
	w.member(strict.ID, 0, true)
	w.online(0)
	held := w.take(0, w.svc.ID).ID
	w.start(high.ID) // the highest priority, and first to arrive
	w.clock.Advance(time.Second)
	s := w.start(strict.ID)
	w.endBy(0, held)
	got := w.takeOffers(0)
	if len(got) != 1 || got[0].TaskID != s.ID {
		t.Fatalf("offers %+v, want the strict service's task %s first", got, s.ID)
	}
}
