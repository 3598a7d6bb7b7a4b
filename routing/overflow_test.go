package routing_test

import (
	"slices"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/routing"
)

const defaultOverflow = "Sorry, no one can take your request right now. Please leave us a message and we will get back to you."

// wantLeaveMessage checks the task's last task.state event: ended with
// outcome and leaveMessage true.
func wantLeaveMessage(t *testing.T, w *world, taskID, outcome string) {
	t.Helper()
	ev := w.events(interact.TaskSubject(taskID), "task.state")
	if len(ev) == 0 {
		t.Fatal("no task.state event")
	}
	d := ev[len(ev)-1].Data
	if d["state"] != string(interact.TaskEnded) || d["outcome"] != outcome || d["leaveMessage"] != true {
		t.Fatalf("last task.state %+v, want ended %s with leaveMessage", d, outcome)
	}
}

// busyWorld: n agents, agent 0 online and at its capacity (1 chat), so new
// tasks of the service wait.
func busyWorld(t *testing.T, dist interact.Distribution, n int) *world {
	w := newWorldCfg(t, dist, n, routing.Config{ChatCapacity: 1})
	w.online(0)
	w.take(0, w.svc.ID)
	w.pastGrace()
	return w
}

// Max wait with the message overflow: queue_timeout, the service's (or the
// default) text, leave-a-message.
func TestMaxWaitMessage(t *testing.T) {
	t.Parallel()
	for _, text := range []string{"", "We are closed for lunch; leave us a note."} {
		t.Run("message "+text, func(t *testing.T) {
			t.Parallel()
			w := busyWorld(t, interact.Distribution{MaxWaitSeconds: 60, OverflowAction: interact.OverflowMessage, OverflowMessage: text}, 1)
			task := w.start(w.svc.ID)
			w.clock.Advance(59 * time.Second)
			w.wantTask(task.ID, interact.TaskWaiting, "")
			w.clock.Advance(time.Second)
			w.wantTask(task.ID, interact.TaskEnded, interact.OutcomeQueueTimeout)
			want := text
			if want == "" {
				want = defaultOverflow
			}
			if texts := w.texts(task.ID); !slices.Contains(texts, want) {
				t.Fatalf("transcript %q lacks %q", texts, want)
			}
			wantLeaveMessage(t, w, task.ID, interact.OutcomeQueueTimeout)
		})
	}
}

// Max wait also ends a task whose offer is ringing: the offer is withdrawn.
func TestMaxWaitWhileRinging(t *testing.T) {
	t.Parallel()
	w := newWorld(t, interact.Distribution{MaxWaitSeconds: 20, RingTimeoutSeconds: 30}, 1)
	w.online(0)
	task := w.start(w.svc.ID)
	w.offerFor(0, task.ID)
	w.clock.Advance(20 * time.Second)
	w.wantTask(task.ID, interact.TaskEnded, interact.OutcomeQueueTimeout)
	w.wantOffers(task.ID, "0:cancelled")
	if ev := w.pub.take(interact.AgentSubject(w.id(0)), "offer.ended"); len(ev) != 1 || ev[0].Data["outcome"] != interact.OfferCancelled {
		t.Fatalf("offer.ended %+v", ev)
	}
}

// overflowWorld: service A (the world's) overflows by transfer to service
// B; agent 0 serves A only, agent 1 serves B only.
func overflowWorld(t *testing.T, distA interact.Distribution) (*world, *interact.Service) {
	w := newWorldCfg(t, interact.Distribution{}, 2, routing.Config{ChatCapacity: 1})
	b := w.service("Billing", interact.Distribution{})
	if err := w.db.DeleteMember(w.ctx, w.admin, w.svc.ID, w.id(1)); err != nil {
		t.Fatal(err)
	}
	w.member(b.ID, 1, true)
	distA.OverflowAction, distA.OverflowServiceID = interact.OverflowTransfer, b.ID
	w.setDist(w.svc.ID, distA)
	return w, b
}

// Max wait with the transfer overflow: the task moves to the other
// service's queue and is offered to its agents.
func TestMaxWaitTransfer(t *testing.T) {
	t.Parallel()
	w, b := overflowWorld(t, interact.Distribution{MaxWaitSeconds: 30, OverflowMessage: "Moving you to Billing."})
	w.online(0)
	w.take(0, w.svc.ID) // agent 0 at capacity: A's queue waits
	task := w.start(w.svc.ID)
	w.clock.Advance(29 * time.Second)
	if got := w.wantTask(task.ID, interact.TaskWaiting, ""); got.ServiceID != w.svc.ID {
		t.Fatal("moved early")
	}
	w.online(1) // 1 s later: the max wait
	got := w.wantTask(task.ID, interact.TaskWaiting, "")
	if got.ServiceID != b.ID {
		t.Fatalf("task in service %q, want the overflow service", got.ServiceID)
	}
	w.accept(1, w.offerFor(1, task.ID))
	if !slices.Contains(w.texts(task.ID), "Moving you to Billing.") {
		t.Fatalf("transcript %q", w.texts(task.ID))
	}
	w.endBy(1, task.ID)
	w.wantTask(task.ID, interact.TaskEnded, interact.OutcomeHandled)
}

// A task started while no member can take it ends with no_agent at once.
func TestNoAgentAtStart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		setup func(w *world)
	}{
		{"nobody connected", func(w *world) {}},
		{"member away", func(w *world) { w.online(0); w.presence(0, interact.PresenceAway) }},
		{"member offline", func(w *world) { w.online(0); w.presence(0, interact.PresenceOffline) }},
		{"member disconnected", func(w *world) { w.online(0); w.eng.AgentDisconnected(w.ctx, w.id(0)) }},
		{"member not active", func(w *world) {
			w.member(w.svc.ID, 0, false)
			w.online(0)
		}},
		{"member without IM licence", func(w *world) {
			if _, err := w.db.UpdateUser(w.ctx, w.admin, w.id(0), interact.UserUpdate{Licenses: &interact.Licenses{ContactCenter: true}}); err != nil {
				w.t.Fatal(err)
			}
			w.online(0)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, direct, 1)
			tc.setup(w)
			w.pastGrace()
			task := w.start(w.svc.ID)
			w.wantTask(task.ID, interact.TaskEnded, interact.OutcomeNoAgent)
			w.wantOffers(task.ID)
			if !slices.Contains(w.texts(task.ID), defaultOverflow) {
				t.Fatalf("transcript %q", w.texts(task.ID))
			}
			wantLeaveMessage(t, w, task.ID, interact.OutcomeNoAgent)
		})
	}
}

// After a restart with open tasks, "no agent" waits for the agents'
// reconnect grace; a fresh start has no such grace.
func TestNoAgentHeldDuringRestartGrace(t *testing.T) {
	t.Parallel()
	w := newWorld(t, direct, 1)
	w.online(0)
	t1 := w.start(w.svc.ID) // ringing agent 0 when the process stops
	w.eng.Close()
	w.eng = w.newEngine() // agent 0 has not reconnected
	t2 := w.start(w.svc.ID)
	w.wantTask(t1.ID, interact.TaskWaiting, "")
	w.wantTask(t2.ID, interact.TaskWaiting, "")
	w.clock.Advance(grace)
	w.wantTask(t1.ID, interact.TaskEnded, interact.OutcomeNoAgent)
	w.wantTask(t2.ID, interact.TaskEnded, interact.OutcomeNoAgent)
}

// When the last available agent goes away, the waiting tasks overflow;
// the agent keeps its connected chat.
func TestNoAgentWhenLastAgentLeaves(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		leave func(w *world)
	}{
		{"away", func(w *world) { w.presence(0, interact.PresenceAway) }},
		{"busy", func(w *world) { w.presence(0, interact.PresenceBusy) }},
		{"offline", func(w *world) { w.presence(0, interact.PresenceOffline) }},
		// A disconnected agent keeps everything for the reconnect grace;
		// past it, its chat goes back to the queue and overflows too.
		{"disconnected", func(w *world) { w.eng.AgentDisconnected(w.ctx, w.id(0)); w.clock.Advance(grace) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := busyWorld(t, interact.Distribution{}, 1)
			held := w.eng.AgentTasks(w.id(0))
			t1 := w.start(w.svc.ID)
			t2 := w.start(w.svc.ID)
			tc.leave(w)
			for _, id := range []string{t1.ID, t2.ID} {
				w.wantTask(id, interact.TaskEnded, interact.OutcomeNoAgent)
				wantLeaveMessage(t, w, id, interact.OutcomeNoAgent)
			}
			if tc.name == "disconnected" {
				w.wantTask(held[0], interact.TaskEnded, interact.OutcomeNoAgent)
			} else {
				w.wantTask(held[0], interact.TaskConnected, "")
			}
		})
	}
}

// No agent with the transfer overflow: the task goes to the other service.
func TestNoAgentTransfer(t *testing.T) {
	t.Parallel()
	w, b := overflowWorld(t, interact.Distribution{})
	w.online(1)
	w.pastGrace()
	task := w.start(w.svc.ID)
	if got := w.wantTask(task.ID, interact.TaskWaiting, ""); got.ServiceID != b.ID {
		t.Fatalf("task in %q, want the overflow service", got.ServiceID)
	}
	w.accept(1, w.offerFor(1, task.ID))
	// Without an agent in the overflow service either, it ends.
	w.presence(1, interact.PresenceAway)
	t2 := w.start(w.svc.ID)
	w.wantTask(t2.ID, interact.TaskEnded, interact.OutcomeNoAgent)
}

// The only agent disconnects while ringing and never comes back: once its
// offer lapses the task has nobody and should overflow with no_agent
// rather than wait forever (the service has no max wait).
func TestNoAgentAfterRingingAgentLeft(t *testing.T) {
	t.Parallel()
	w := newWorld(t, direct, 1)
	w.online(0)
	w.pastGrace()
	task := w.start(w.svc.ID)
	w.offerFor(0, task.ID)
	w.eng.AgentDisconnected(w.ctx, w.id(0))
	w.clock.Advance(time.Hour) // grace and ring timeout long past; the visitor is still there
	if got := w.stored(task.ID); got.State == interact.TaskWaiting {
		t.Fatalf("regression: task still waiting an hour after its only agent left while ringing (offers %v): "+
			"agentGone/ringTimeout end the offer but nothing re-runs the no-agent check (checkQueue)", w.offerLog(task.ID))
	}
	w.wantTask(task.ID, interact.TaskEnded, interact.OutcomeNoAgent)
}

// The only agent drops with a connected chat: after the grace the task is
// re-queued with nobody to take it and should overflow.
func TestNoAgentAfterDroppedChat(t *testing.T) {
	t.Parallel()
	w := newWorld(t, direct, 1)
	w.online(0)
	w.pastGrace()
	task := w.take(0, w.svc.ID)
	w.eng.AgentDisconnected(w.ctx, w.id(0))
	w.clock.Advance(time.Hour)
	if got := w.stored(task.ID); got.State == interact.TaskWaiting {
		t.Fatalf("regression: re-queued task still waiting an hour after its agent dropped, no agent reachable: " +
			"agentGone → release → enqueue never runs the no-agent check")
	}
	w.wantTask(task.ID, interact.TaskEnded, interact.OutcomeNoAgent)
}

// The last reachable member is deactivated by an admin (Invalidate): the
// waiting tasks have nobody left and should overflow.
func TestNoAgentAfterLastMemberDeactivated(t *testing.T) {
	t.Parallel()
	w := busyWorld(t, interact.Distribution{}, 1)
	task := w.start(w.svc.ID)
	w.member(w.svc.ID, 0, false)
	w.eng.Invalidate(w.ctx, w.svc.TenantID)
	w.clock.Advance(time.Hour)
	if w.stored(task.ID).State == interact.TaskWaiting {
		t.Fatal("regression: task still waiting an hour after its service's last member was deactivated: " +
			"Engine.Invalidate re-dispatches but never runs the no-agent check (checkQueue)")
	}
	w.wantTask(task.ID, interact.TaskEnded, interact.OutcomeNoAgent)
}

// Queue position and estimated wait are announced per task and move up as
// earlier tasks are answered.
func TestQueuePosition(t *testing.T) {
	t.Parallel()
	w := busyWorld(t, interact.Distribution{}, 1)
	held := w.eng.AgentTasks(w.id(0))[0]
	var tasks []*interact.Task
	for range 3 {
		tasks = append(tasks, w.start(w.svc.ID))
	}
	// The estimate per position is a moving average of answer times,
	// starting at DefaultWait (60 s); busyWorld's chat was answered at once.
	wait := answered(time.Minute, 0)
	for i, task := range tasks {
		wantQueue(t, w, task.ID, i+1, int((wait * time.Duration(i+1)).Seconds())) // one reachable agent
	}
	w.clock.Advance(40 * time.Second)
	w.endBy(0, held)
	w.accept(0, w.offerFor(0, tasks[0].ID)) // waited 40 s
	wait = answered(wait, 40*time.Second)
	wantQueue(t, w, tasks[1].ID, 1, int(wait.Seconds()))
	wantQueue(t, w, tasks[2].ID, 2, int((2 * wait).Seconds()))
	for i, id := range []string{tasks[1].ID, tasks[2].ID} {
		if v, ok := w.eng.Task(id); !ok || v.Position != i+1 {
			t.Fatalf("Task view %+v", v)
		}
	}
}

// Behind the first PositionHead places, positions are told at most once
// per PositionInterval, with the latest values; a task joining the queue
// learns its place at once wherever it lands.
func TestQueuePositionTail(t *testing.T) {
	t.Parallel()
	w := newWorldCfg(t, interact.Distribution{}, 1, routing.Config{ChatCapacity: 1, PositionHead: 2, PositionInterval: 10 * time.Second})
	w.online(0)
	w.take(0, w.svc.ID)
	w.pastGrace()
	held := w.eng.AgentTasks(w.id(0))[0]
	var tasks []*interact.Task
	for range 5 {
		tasks = append(tasks, w.start(w.svc.ID))
	}
	// One reachable agent: the estimate is the average wait times the place.
	eta := func(avg time.Duration, pos int) int { return int((avg * time.Duration(pos)).Seconds()) }
	before := answered(time.Minute, 0)
	for i, task := range tasks {
		wantQueue(t, w, task.ID, i+1, eta(before, i+1))
	}
	w.endBy(0, held)
	w.accept(0, w.offerFor(0, tasks[0].ID)) // every place moves up
	after := answered(before, 0)
	wantQueue(t, w, tasks[1].ID, 1, eta(after, 1)) // the head hears at once
	wantQueue(t, w, tasks[2].ID, 2, eta(after, 2))
	wantQueue(t, w, tasks[3].ID, 4, eta(before, 4)) // behind it, not yet
	w.clock.Advance(10 * time.Second)
	wantQueue(t, w, tasks[3].ID, 3, eta(after, 3))
	wantQueue(t, w, tasks[4].ID, 4, eta(after, 4))
	if n := len(w.events(interact.TaskSubject(tasks[4].ID), "task.queue")); n != 2 {
		t.Errorf("task behind the head got %d task.queue events, want 2 (on joining, then one round)", n)
	}
}

// The estimate divides by the reachable agents (busy or not) and is
// announced again when only it changes.
func TestQueueEstimateAgents(t *testing.T) {
	t.Parallel()
	w := busyWorld(t, interact.Distribution{}, 2)
	task := w.start(w.svc.ID)
	wait := answered(time.Minute, 0)
	wantQueue(t, w, task.ID, 1, int(wait.Seconds()))
	w.online(1) // reachable: the estimate halves (the task now rings agent 1, still queued)
	w.offerFor(1, task.ID)
	wantQueue(t, w, task.ID, 1, int((wait / 2).Seconds()))
}

// answered is the moving average after a task waited d.
func answered(avg, d time.Duration) time.Duration { return (avg*4 + d) / 5 }

// wantQueue checks the last task.queue event of a task.
func wantQueue(t *testing.T, w *world, taskID string, pos, eta int) {
	t.Helper()
	ev := w.events(interact.TaskSubject(taskID), "task.queue")
	if len(ev) == 0 {
		t.Fatalf("task %s: no task.queue event", taskID)
	}
	d := ev[len(ev)-1].Data
	if d["position"] != float64(pos) || d["estimatedWaitSeconds"] != float64(eta) {
		t.Fatalf("task %s: task.queue %+v, want position %d estimatedWaitSeconds %d", taskID, d, pos, eta)
	}
}
