package routing_test

import (
	"slices"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/routing"
)

// ronaWorld: agent 1 holds a chat at capacity 1 (reachable, so tasks wait
// instead of overflowing), agent 0 let task T ring out and is flagged RONA.
func ronaWorld(t *testing.T) (*world, *interact.Task) {
	w := newWorldCfg(t, interact.Distribution{PersistentRONA: true, RONAResetSeconds: 60}, 2, routing.Config{ChatCapacity: 1})
	w.online(1)
	w.take(1, w.svc.ID)
	w.online(0)
	task := w.start(w.svc.ID)
	w.offerFor(0, task.ID)
	w.clock.Advance(30 * time.Second)
	w.wantOffers(task.ID, "0:rona")
	a, _ := w.eng.Agent(w.id(0))
	if a.State != interact.StateRONA || a.RONAUntil == nil || !a.RONAUntil.Equal(w.clock.Now().Add(60*time.Second)) {
		t.Fatalf("agent 0 after the ring timeout: %+v", a)
	}
	if ev := w.pub.take(interact.AgentSubject(w.id(0)), "rona"); len(ev) != 1 {
		t.Fatalf("rona events %+v", ev)
	}
	w.noOffer(0) // not re-offered while flagged
	w.wantTask(task.ID, interact.TaskWaiting, "")
	return w, task
}

// Persistent RONA blocks the agent until the reset time, a manual reset,
// or going offline.
func TestPersistentRONA(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		clear func(t *testing.T, w *world)
	}{
		{"reset time", func(t *testing.T, w *world) {
			w.clock.Advance(59 * time.Second)
			w.noOffer(0)
			w.clock.Advance(time.Second)
		}},
		{"manual reset", func(t *testing.T, w *world) {
			if err := w.eng.ResetRONA(w.ctx, w.id(0)); err != nil {
				t.Fatal(err)
			}
		}},
		{"presence offline and back", func(t *testing.T, w *world) {
			w.presence(0, interact.PresenceOffline)
			w.noOffer(0)
			w.presence(0, interact.PresenceAvailable)
		}},
		{"disconnected past the grace, then back", func(t *testing.T, w *world) {
			w.eng.AgentDisconnected(w.ctx, w.id(0))
			w.clock.Advance(grace + time.Second) // far less than the 60 s reset
			if _, err := w.eng.AgentConnected(w.ctx, w.svc.TenantID, w.id(0)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w, task := ronaWorld(t)
			tc.clear(t, w)
			w.offerFor(0, task.ID)
			if a, _ := w.eng.Agent(w.id(0)); a.RONAUntil != nil {
				t.Fatalf("still flagged: %+v", a)
			}
			if err := w.eng.ResetRONA(w.ctx, w.id(0)); code(err) != interact.EINVALID {
				t.Fatalf("reset when not flagged: %v", err)
			}
		})
	}
}

// Without persistent RONA, an agent whose offer rang out is selectable
// for another task at once; with it, not.
func TestRONAOtherTask(t *testing.T) {
	t.Parallel()
	for _, persistent := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "persistent"}[persistent], func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, interact.Distribution{PersistentRONA: persistent}, 2)
			w.online(0)
			w.online(1)
			t1 := w.start(w.svc.ID)
			w.offerFor(0, t1.ID)
			w.clock.Advance(30 * time.Second)
			w.offerFor(1, t1.ID)
			t2 := w.start(w.svc.ID)
			if persistent {
				w.noOffer(0)
				w.wantTask(t2.ID, interact.TaskWaiting, "")
			} else {
				w.offerFor(0, t2.ID)
			}
		})
	}
}

// ACW: 20 s after a task ends the agent gets no offers; it may be ended
// early or extended (a new counter, not added to the rest).
func TestACW(t *testing.T) {
	t.Parallel()
	dist := interact.Distribution{ACWEnabled: true, ACWSeconds: 20, ACWExtensionSeconds: 30}
	cases := []struct {
		name string
		run  func(t *testing.T, w *world, task string)
	}{
		{"runs out", func(t *testing.T, w *world, task string) {
			w.clock.Advance(19 * time.Second)
			w.noOffer(0)
			w.clock.Advance(time.Second)
			w.offerFor(0, task)
		}},
		{"ended early", func(t *testing.T, w *world, task string) {
			w.clock.Advance(5 * time.Second)
			if err := w.eng.EndACW(w.ctx, w.id(0)); err != nil {
				t.Fatal(err)
			}
			w.offerFor(0, task)
			if err := w.eng.EndACW(w.ctx, w.id(0)); code(err) != interact.EINVALID {
				t.Fatalf("EndACW outside ACW: %v", err)
			}
		}},
		{"extended", func(t *testing.T, w *world, task string) {
			w.clock.Advance(10 * time.Second)
			w.clearEvents()
			if err := w.eng.ExtendACW(w.ctx, w.id(0), 30*time.Second); err != nil {
				t.Fatal(err)
			}
			want := w.clock.Now().Add(30 * time.Second)
			if got := lastACWUntil(t, w, 0); !got.Equal(want) {
				t.Fatalf("acwUntil after extension %v, want %v (a new 30 s counter)", got, want)
			}
			w.clock.Advance(29 * time.Second)
			w.noOffer(0)
			w.clock.Advance(time.Second)
			w.offerFor(0, task)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorldCfg(t, dist, 2, routing.Config{ChatCapacity: 1})
			w.online(1)
			w.take(1, w.svc.ID) // agent 1 busy: tasks wait for agent 0
			w.online(0)
			x := w.take(0, w.svc.ID)
			w.clearEvents()
			w.endBy(0, x.ID)
			want := w.clock.Now().Add(20 * time.Second)
			if got := lastACWUntil(t, w, 0); !got.Equal(want) {
				t.Fatalf("acwUntil %v, want %v", got, want)
			}
			if a, _ := w.eng.Agent(w.id(0)); a.State != interact.StateACW {
				t.Fatalf("state %q", a.State)
			}
			task := w.start(w.svc.ID)
			w.noOffer(0)
			tc.run(t, w, task.ID)
			ev := w.events(interact.AgentSubject(w.id(0)), "agent.state")
			if ev[len(ev)-1].Data["acwUntil"] != nil {
				t.Fatalf("acwUntil still announced after ACW: %+v", ev[len(ev)-1].Data)
			}
		})
	}
}

// lastACWUntil is the acwUntil of agent i's last agent.state event.
func lastACWUntil(t *testing.T, w *world, i int) time.Time {
	t.Helper()
	ev := w.events(interact.AgentSubject(w.id(i)), "agent.state")
	if len(ev) == 0 {
		t.Fatal("no agent.state event")
	}
	s, _ := ev[len(ev)-1].Data["acwUntil"].(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("acwUntil %q: %v", s, err)
	}
	return at
}

// After an admin change (Invalidate) the service cache is empty; a task
// ending then must still start the service's ACW and send its Ended text.
func TestACWAfterInvalidate(t *testing.T) {
	t.Parallel()
	w := newWorld(t, interact.Distribution{ACWEnabled: true}, 1)
	w.online(0)
	task := w.take(0, w.svc.ID)
	w.eng.Invalidate(w.ctx, w.svc.TenantID) // e.g. an admin renamed the service
	w.endBy(0, task.ID)
	a, _ := w.eng.Agent(w.id(0))
	texts := w.texts(task.ID)
	ended := texts[len(texts)-1] == interact.DefaultSystemMessages().Ended
	if a.State != interact.StateACW || !ended {
		t.Fatalf("regression: after Engine.Invalidate, end() reads e.services[t.ServiceID] without reloading it: "+
			"agent state %q (want acw), Ended message sent %v (transcript %q)", a.State, ended, texts)
	}
}

// The visitor leaving while queued: customer_hangup_in_queue, ringing
// offers withdrawn.
func TestVisitorLeavesQueue(t *testing.T) {
	t.Parallel()
	w := newWorld(t, interact.Distribution{Type: interact.DistributeBroadcast}, 2)
	w.online(0)
	w.online(1)
	task := w.start(w.svc.ID)
	w.offerFor(0, task.ID)
	w.offerFor(1, task.ID)
	if err := w.eng.EndTask(w.ctx, task.ID, interact.ByVisitor); err != nil {
		t.Fatal(err)
	}
	w.wantTask(task.ID, interact.TaskEnded, interact.OutcomeHangupInQueue)
	w.wantOffers(task.ID, "0:cancelled", "1:cancelled")
	for i := range 2 {
		ev := w.pub.take(interact.AgentSubject(w.id(i)), "offer.ended")
		if len(ev) != 1 || ev[0].Data["outcome"] != interact.OfferCancelled {
			t.Fatalf("agent %d offer.ended %+v", i, ev)
		}
	}
	if err := w.eng.EndTask(w.ctx, task.ID, interact.ByVisitor); code(err) != interact.ENOTFOUND {
		t.Fatalf("second end: %v", err)
	}
	// An agent not connected to a task may not end it.
	t2 := w.start(w.svc.ID)
	if err := w.eng.EndTask(w.ctx, t2.ID, w.id(1)); code(err) != interact.ENOTFOUND {
		t.Fatalf("end by a stranger: %v", err)
	}
}

// A task whose visitor stays disconnected for VisitorGrace (2 min) ends
// as if the visitor left; a reconnect within the grace keeps it.
func TestVisitorGrace(t *testing.T) {
	t.Parallel()
	w := newWorld(t, direct, 1)
	w.online(0)

	// Connected: ends as handled when the grace runs out.
	t1 := w.start(w.svc.ID)
	w.eng.VisitorDisconnected(t1.ID)
	w.clock.Advance(45 * time.Second) // rang out once (30 s) and was rung again
	offers := w.takeOffers(0)
	if len(offers) != 2 {
		t.Fatalf("offers %+v, want the first and the re-ring", offers)
	}
	w.accept(0, offers[1].OfferID)
	w.clock.Advance(75*time.Second - time.Second)
	w.wantTask(t1.ID, interact.TaskConnected, "")
	w.clock.Advance(time.Second)
	w.wantTask(t1.ID, interact.TaskEnded, interact.OutcomeHandled)
	w.wantOffers(t1.ID, "0:rona", "0:accepted")

	// Waiting: a reconnect within the grace keeps the task; the next
	// disconnect ends it after the grace as a hang-up in queue.
	t2 := w.start(w.svc.ID)
	w.eng.VisitorDisconnected(t2.ID)
	w.clock.Advance(time.Minute)
	w.eng.VisitorConnected(t2.ID)
	w.clock.Advance(30 * time.Second)
	w.wantTask(t2.ID, interact.TaskWaiting, "")
	w.eng.VisitorDisconnected(t2.ID) // a new, full grace: the first one is void
	w.clock.Advance(2*time.Minute - time.Second)
	w.wantTask(t2.ID, interact.TaskWaiting, "")
	w.clock.Advance(time.Second)
	w.wantTask(t2.ID, interact.TaskEnded, interact.OutcomeHangupInQueue)
	for _, o := range mustOffers(w, t2.ID) {
		if o.EndedAt == nil || (o.Outcome != interact.OfferRONA && o.Outcome != interact.OfferCancelled) {
			t.Fatalf("offer %+v", o)
		}
	}
}

// A decline in direct distribution flags persistent RONA like a ring
// timeout (DESIGN §5), while the user session stays "declined"; broadcast
// has no RONA, and declining a transfer to oneself flags nothing.
func TestDeclineRONA(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		dist    interact.Distribution
		flagged bool
	}{
		{"direct, persistent", interact.Distribution{Type: interact.DistributeDirect, PersistentRONA: true, RONAResetSeconds: 60}, true},
		{"direct, not persistent", interact.Distribution{Type: interact.DistributeDirect}, false},
		{"broadcast, persistent", interact.Distribution{Type: interact.DistributeBroadcast, PersistentRONA: true, RONAResetSeconds: 60}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorldCfg(t, tc.dist, 2, routing.Config{ChatCapacity: 1})
			w.online(0)
			w.online(1)
			t1 := w.start(w.svc.ID)
			w.decline(0, w.offerFor(0, t1.ID))
			w.accept(1, w.offerFor(1, t1.ID)) // agent 1 is now full
			if got := w.offerLog(t1.ID); !slices.Contains(got, "0:declined") {
				t.Fatalf("offers of task 1: %v", got)
			}
			a, _ := w.eng.Agent(w.id(0))
			if got := a.State == interact.StateRONA && a.RONAUntil != nil; got != tc.flagged {
				t.Fatalf("agent 0 after declining: %+v, want flagged %v", a, tc.flagged)
			}
			if ev := w.pub.take(interact.AgentSubject(w.id(0)), "rona"); (len(ev) == 1) != tc.flagged {
				t.Fatalf("rona events %+v", ev)
			}
			t2 := w.start(w.svc.ID)
			if tc.flagged {
				w.noOffer(0)
				w.wantTask(t2.ID, interact.TaskWaiting, "")
				w.clock.Advance(60 * time.Second) // the reset time
			}
			w.offerFor(0, t2.ID)
		})
	}
}

// Declining a transfer to oneself is an answer, not a missed offer: no
// RONA even with persistent RONA on.
func TestDeclineTransferNoRONA(t *testing.T) {
	t.Parallel()
	w := newWorld(t, interact.Distribution{Type: interact.DistributeDirect, PersistentRONA: true}, 2)
	w.online(0)
	w.online(1)
	task := w.take(0, w.svc.ID)
	if err := w.eng.Transfer(w.ctx, w.id(0), task.ID, w.id(1), ""); err != nil {
		t.Fatal(err)
	}
	w.decline(1, w.offerFor(1, task.ID))
	if a, _ := w.eng.Agent(w.id(1)); a.RONAUntil != nil || a.State == interact.StateRONA {
		t.Fatalf("agent 1 after declining a transfer: %+v", a)
	}
}

// A task whose visitor never connects ends after FirstConnectGrace (15 s),
// not VisitorGrace: tasks nobody opened do not hold a service's capacity.
func TestFirstConnectGrace(t *testing.T) {
	t.Parallel()
	w := newWorld(t, interact.Distribution{}, 1)
	w.online(0)
	req := interact.StartRequest{TenantID: w.svc.TenantID, ServiceID: w.svc.ID, ContactID: "c", Modality: interact.ModalityChat,
		Visitor: interact.Visitor{Name: "Nobody"}, Origin: "https://shop.example.test", MaxOpenChats: 1}
	ghost, err := w.eng.StartTask(w.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.eng.StartTask(w.ctx, req); code(err) != interact.ECAPACITY {
		t.Fatalf("second task at a cap of 1: %v, want capacity_reached", err)
	}
	w.clock.Advance(15*time.Second - time.Millisecond)
	w.wantTask(ghost.ID, interact.TaskWaiting, "")
	w.clock.Advance(time.Millisecond)
	w.wantTask(ghost.ID, interact.TaskEnded, interact.OutcomeHangupInQueue)
	real, err := w.eng.StartTask(w.ctx, req)
	if err != nil {
		t.Fatalf("a real visitor after the ghost ended: %v", err)
	}
	// Once connected, a visitor gets the full grace to come back.
	w.eng.VisitorConnected(real.ID)
	w.eng.VisitorDisconnected(real.ID)
	w.clock.Advance(time.Minute)
	w.wantTask(real.ID, interact.TaskWaiting, "")
}

// One client address holds at most half of a service's open chats; other
// addresses still get in.
func TestOpenChatsPerAddress(t *testing.T) {
	t.Parallel()
	w := newWorld(t, interact.Distribution{}, 1)
	w.online(0)
	start := func(addr string) error {
		_, err := w.startWith(interact.StartRequest{ServiceID: w.svc.ID, MaxOpenChats: 4, ClientAddr: addr})
		return err
	}
	for i := range 2 {
		if err := start("203.0.113.5"); err != nil {
			t.Fatalf("task %d of one address: %v", i+1, err)
		}
	}
	if err := start("203.0.113.5"); code(err) != interact.ECAPACITY {
		t.Fatalf("third task of one address at a cap of 4: %v, want capacity_reached", err)
	}
	for _, addr := range []string{"198.51.100.1", "198.51.100.2"} {
		if err := start(addr); err != nil {
			t.Fatalf("another address: %v", err)
		}
	}
	if err := start("198.51.100.3"); code(err) != interact.ECAPACITY {
		t.Fatalf("a fifth task at a cap of 4: %v, want capacity_reached", err)
	}
}

// The ended task.state says whether the service's ended message went into
// the conversation, so that the visitor's widget need not say it again:
// yes for a connected chat, no when the service's ended text is empty,
// and no for a chat ended while waiting.
func TestEndedStateSaysWhetherTheEndedMessageWasSent(t *testing.T) {
	t.Parallel()
	w := newWorld(t, interact.Distribution{}, 1)
	w.online(0)
	endedMessage := func(taskID string) any {
		t.Helper()
		ev := w.events(interact.TaskSubject(taskID), "task.state")
		if len(ev) == 0 || ev[len(ev)-1].Data["state"] != string(interact.TaskEnded) {
			t.Fatalf("no ended task.state: %+v", ev)
		}
		return ev[len(ev)-1].Data["endedMessage"]
	}
	connected := w.take(0, w.svc.ID)
	w.endBy(0, connected.ID)
	if got := endedMessage(connected.ID); got != true {
		t.Errorf("a connected chat ended: endedMessage %v, want true (transcript %q)", got, w.texts(connected.ID))
	}
	msgs := interact.DefaultSystemMessages()
	msgs.Ended = ""
	if _, err := w.db.UpdateService(w.ctx, w.admin, w.svc.ID, interact.ServiceUpdate{Messages: &msgs}); err != nil {
		t.Fatal(err)
	}
	w.eng.Invalidate(w.ctx, w.svc.TenantID)
	silent := w.take(0, w.svc.ID)
	w.endBy(0, silent.ID)
	if got := endedMessage(silent.ID); got != false {
		t.Errorf("a connected chat of a service without an ended text: endedMessage %v, want false", got)
	}
	waiting := w.start(w.svc.ID)
	if err := w.eng.EndTask(w.ctx, waiting.ID, interact.ByVisitor); err != nil {
		t.Fatal(err)
	}
	if got := endedMessage(waiting.ID); got != false {
		t.Errorf("a waiting chat ended: endedMessage %v, want false", got)
	}
}
