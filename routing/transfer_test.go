package routing_test

import (
	"context"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/routing"
)

// Transfer to an agent: the first session ends transferred, the target is
// offered the task, and the task's outcome follows the last session.
func TestTransferToAgent(t *testing.T) {
	t.Parallel()
	w := newWorld(t, direct, 3)
	for i := range 3 {
		w.online(i)
	}
	task := w.take(0, w.svc.ID)
	w.clearEvents()
	if err := w.eng.Transfer(w.ctx, w.id(0), task.ID, w.id(2), ""); err != nil {
		t.Fatal(err)
	}
	got := w.wantTask(task.ID, interact.TaskWaiting, "")
	if got.TargetAgentID != w.id(2) || got.Transfers != 1 || got.AgentID != "" {
		t.Fatalf("stored task %+v", got)
	}
	w.wantOffers(task.ID, "0:transferred", "2:")
	w.noOffer(1) // the longest idle free agent is not asked: the target is
	ev := w.events(interact.TaskSubject(task.ID), "task.state")
	if len(ev) != 1 || ev[0].Data["transferring"] != true {
		t.Fatalf("task.state %+v", ev)
	}
	if rel := w.events(interact.AgentSubject(w.id(0)), "task.released"); len(rel) != 1 || rel[0].Data["reason"] != interact.OfferTransferred {
		t.Fatalf("task.released %+v", rel)
	}
	if n := len(w.eng.AgentTasks(w.id(0))); n != 0 {
		t.Fatalf("agent 0 still holds %d tasks", n)
	}
	w.accept(2, w.offerFor(2, task.ID))
	w.endBy(2, task.ID)
	w.wantTask(task.ID, interact.TaskEnded, interact.OutcomeTransferred)
	w.wantOffers(task.ID, "0:transferred", "2:accepted")
}

// A transfer target that declines or lets it ring out: back to the
// service queue, offered to the next agent.
func TestTransferTargetMisses(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"declines", "rings out"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, direct, 3)
			for i := range 3 {
				w.online(i)
			}
			task := w.take(0, w.svc.ID)
			if err := w.eng.Transfer(w.ctx, w.id(0), task.ID, w.id(1), ""); err != nil {
				t.Fatal(err)
			}
			off := w.offerFor(1, task.ID)
			want := interact.OfferDeclined
			if how == "declines" {
				w.decline(1, off)
			} else {
				w.clock.Advance(30 * time.Second)
				want = interact.OfferRONA
			}
			got := w.wantTask(task.ID, interact.TaskWaiting, "")
			if got.TargetAgentID != "" || got.ServiceID != w.svc.ID {
				t.Fatalf("stored task %+v", got)
			}
			// Agent 2 is now the longest idle (agent 0 became idle at the transfer).
			w.accept(2, w.offerFor(2, task.ID))
			w.wantOffers(task.ID, "0:transferred", "1:"+want, "2:accepted")
			w.endBy(2, task.ID)
			w.wantTask(task.ID, interact.TaskEnded, interact.OutcomeTransferred)
		})
	}
}

// Transfer to a service: queued there and offered to its agents.
func TestTransferToService(t *testing.T) {
	t.Parallel()
	w := newWorld(t, direct, 2)
	b := w.service("Billing", interact.Distribution{})
	if err := w.db.DeleteMember(w.ctx, w.admin, w.svc.ID, w.id(1)); err != nil {
		t.Fatal(err)
	}
	w.member(b.ID, 1, true)
	w.online(0)
	w.online(1)
	task := w.take(0, w.svc.ID)
	if err := w.eng.Transfer(w.ctx, w.id(0), task.ID, "", b.ID); err != nil {
		t.Fatal(err)
	}
	if got := w.wantTask(task.ID, interact.TaskWaiting, ""); got.ServiceID != b.ID || got.Transfers != 1 {
		t.Fatalf("stored task %+v", got)
	}
	w.accept(1, w.offerFor(1, task.ID))
	w.noOffer(0)
	w.endBy(1, task.ID)
	w.wantTask(task.ID, interact.TaskEnded, interact.OutcomeTransferred)
	w.wantOffers(task.ID, "0:transferred", "1:accepted")
}

// Refused transfers change nothing.
func TestTransferRefused(t *testing.T) {
	t.Parallel()
	w := newWorld(t, direct, 4)
	w.online(0)
	w.online(1)
	w.online(2)
	w.presence(2, interact.PresenceAway)
	task := w.take(0, w.svc.ID)
	cases := []struct {
		name, by, agent, service, code string
	}{
		{"to self", w.id(0), w.id(0), "", interact.EINVALID},
		{"to an unknown agent", w.id(0), "no-such-user", "", interact.EINVALID},
		{"to an agent never connected", w.id(0), w.id(3), "", interact.EINVALID},
		{"to an agent away", w.id(0), w.id(2), "", interact.EINVALID},
		{"to an unknown service", w.id(0), "", "no-such-service", interact.EINVALID},
		{"to both", w.id(0), w.id(1), w.svc.ID, interact.EINVALID},
		{"to neither", w.id(0), "", "", interact.EINVALID},
		{"by an agent not connected to it", w.id(1), w.id(2), "", interact.ENOTFOUND},
	}
	for _, tc := range cases {
		err := w.eng.Transfer(w.ctx, tc.by, task.ID, tc.agent, tc.service)
		if code(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
		got := w.wantTask(task.ID, interact.TaskConnected, "")
		if got.AgentID != w.id(0) || got.Transfers != 0 || got.TargetAgentID != "" || got.ServiceID != w.svc.ID {
			t.Fatalf("%s changed the task: %+v", tc.name, got)
		}
		w.wantOffers(task.ID, "0:accepted")
		if o := mustOffers(w, task.ID)[0]; o.EndedAt != nil {
			t.Fatalf("%s ended the session", tc.name)
		}
	}
	w.noOffer(1)
}

// A transfer target that goes away while ringing: the transfer failed, so
// the task should go back to the service queue (like a decline), not end.
func TestTransferTargetGoesAway(t *testing.T) {
	t.Parallel()
	w := newWorld(t, direct, 3)
	for i := range 3 {
		w.online(i)
	}
	w.pastGrace()
	task := w.take(0, w.svc.ID)
	if err := w.eng.Transfer(w.ctx, w.id(0), task.ID, w.id(1), ""); err != nil {
		t.Fatal(err)
	}
	w.offerFor(1, task.ID)
	w.presence(1, interact.PresenceAway)
	if got := w.stored(task.ID); got.State == interact.TaskEnded {
		t.Fatalf("regression: the task ended with %q although agents 0 and 2 are available: SetPresence cancels the target's "+
			"offer without clearing TargetAgentID, then checkReachable → noAgent looks only at the unreachable target", got.Outcome)
	}
	w.offerFor(2, task.ID)
}

// Transfers must stay inside the tenant, even to a service id the engine
// happens to have cached for another tenant.
func TestTransferToOtherTenantService(t *testing.T) {
	t.Parallel()
	w := newWorld(t, direct, 1)
	other, _ := otherTenant(t, w)
	if _, err := w.eng.Queue(w.ctx, other.TenantID, other.ID); err != nil { // e.g. that tenant's supervisor looked
		t.Fatal(err)
	}
	w.online(0)
	task := w.take(0, w.svc.ID)
	_, qerr := w.eng.Queue(w.ctx, w.svc.TenantID, other.ID)
	err := w.eng.Transfer(w.ctx, w.id(0), task.ID, "", other.ID)
	if err == nil || qerr == nil {
		t.Fatalf("regression: Engine.serviceInfo returns a cached service without checking its tenant: Transfer to "+
			"another tenant's service → %v, Queue of it with our tenant id → %v (both should be refused)", err, qerr)
	}
}

// A direct contact of one tenant must not reach another tenant's user,
// even one the engine knows because that user is online.
func TestDirectContactOtherTenantUser(t *testing.T) {
	t.Parallel()
	w := newWorld(t, direct, 0)
	other, admin := otherTenant(t, w)
	u, err := w.db.CreateUser(w.ctx, admin, interact.User{Email: "them@other.test", Name: "Their Agent",
		OUID: other.OUID, Licenses: interact.Licenses{ContactCenter: true, InstantMessaging: true}}, "agent-password")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.eng.AgentConnected(w.ctx, other.TenantID, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.eng.SetPresence(w.ctx, u.ID, interact.PresenceAvailable, ""); err != nil {
		t.Fatal(err)
	}
	task, err := w.startWith(interact.StartRequest{DirectUserID: u.ID}) // our tenant
	if err == nil && task.State != interact.TaskEnded {
		t.Fatalf("regression: StartTask routed tenant %s's direct contact to another tenant's online user (state %q, offers %d): "+
			"Engine.agent returns the cached agent without checking its tenant and skips loadAgent when connected",
			w.svc.TenantID, task.State, len(w.pub.take(interact.AgentSubject(u.ID), "offer")))
	}
}

// otherTenant creates a second tenant with one service; it returns the
// service and the tenant's admin.
func otherTenant(t *testing.T, w *world) (*interact.Service, interact.Actor) {
	t.Helper()
	ctx := context.Background()
	tn, admin, err := w.db.CreateTenant(ctx, interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: "Other", InteractEnabled: true, IMEnabled: true}, AdminEmail: "admin@other.test", AdminPassword: "admin-password",
	})
	if err != nil {
		t.Fatal(err)
	}
	a := interact.Actor{UserID: admin.ID, TenantID: tn.ID, Email: admin.Email, Roles: admin.Roles}
	s, err := w.db.CreateService(ctx, a, interact.Service{Name: "Theirs", OUID: admin.OUID, License: interact.LicenseContactCenter, InteractLicense: true})
	if err != nil {
		t.Fatal(err)
	}
	return s, a
}

// An agent who reconnects within AgentGrace keeps the task.
func TestAgentDropWithinGrace(t *testing.T) {
	t.Parallel()
	w := newWorld(t, direct, 2)
	w.online(0)
	w.online(1)
	task := w.take(0, w.svc.ID)
	w.eng.AgentDisconnected(w.ctx, w.id(0))
	w.clock.Advance(grace - time.Second)
	if _, err := w.eng.AgentConnected(w.ctx, w.svc.TenantID, w.id(0)); err != nil {
		t.Fatal(err)
	}
	// A second drop gets a full grace of its own.
	w.eng.AgentDisconnected(w.ctx, w.id(0))
	w.clock.Advance(grace - time.Second)
	w.wantTask(task.ID, interact.TaskConnected, "")
	if _, err := w.eng.AgentConnected(w.ctx, w.svc.TenantID, w.id(0)); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Hour)
	if got := w.wantTask(task.ID, interact.TaskConnected, ""); got.AgentID != w.id(0) {
		t.Fatalf("task moved to %q", got.AgentID)
	}
	w.wantOffers(task.ID, "0:accepted")
	w.noOffer(1)
	if ids := w.eng.AgentTasks(w.id(0)); len(ids) != 1 || ids[0] != task.ID {
		t.Fatalf("agent tasks %v", ids)
	}
}

// Past AgentGrace the agent's task goes back to the queue at its original
// place, ahead of tasks that arrived later; the session ends dropped.
func TestAgentDropRequeuesAtPlace(t *testing.T) {
	t.Parallel()
	w := newWorldCfg(t, direct, 2, routing.Config{ChatCapacity: 1})
	w.online(0)
	w.online(1)
	t0 := w.take(0, w.svc.ID)
	t1 := w.take(1, w.svc.ID)
	t2 := w.start(w.svc.ID)
	t3 := w.start(w.svc.ID)
	w.eng.AgentDisconnected(w.ctx, w.id(0))
	w.clock.Advance(grace - time.Second)
	w.wantTask(t0.ID, interact.TaskConnected, "")
	w.clock.Advance(time.Second)
	if got := w.wantTask(t0.ID, interact.TaskWaiting, ""); got.AgentID != "" || got.QueueSeq != t0.QueueSeq {
		t.Fatalf("re-queued task %+v", got)
	}
	w.wantOffers(t0.ID, "0:dropped")
	if rel := w.events(interact.AgentSubject(w.id(0)), "task.released"); len(rel) != 1 || rel[0].Data["reason"] != interact.OfferDropped {
		t.Fatalf("task.released %+v", rel)
	}
	for id, want := range map[string]int{t0.ID: 1, t2.ID: 2, t3.ID: 3} {
		if v, _ := w.eng.Task(id); v.Position != want {
			t.Errorf("position %d, want %d", v.Position, want)
		}
	}
	w.endBy(1, t1.ID)
	w.accept(1, w.offerFor(1, t0.ID))
	w.wantOffers(t0.ID, "0:dropped", "1:accepted")
	w.endBy(1, t0.ID)
	w.wantTask(t0.ID, interact.TaskEnded, interact.OutcomeHandled)
	w.offerFor(1, t2.ID)
}

// A chat re-queued after a drop must not time out at once because its
// connected time is counted as queue time.
func TestAgentDropRequeueMaxWait(t *testing.T) {
	t.Parallel()
	w := newWorld(t, interact.Distribution{MaxWaitSeconds: 60}, 2)
	w.online(0)
	task := w.take(0, w.svc.ID)
	w.clock.Advance(5 * time.Minute) // a long chat
	w.online(1)
	w.eng.AgentDisconnected(w.ctx, w.id(0))
	w.clock.Advance(grace + time.Second)
	if got := w.stored(task.ID); got.Outcome == interact.OutcomeQueueTimeout {
		t.Fatalf("regression: re-queued after the drop, the task ended queue_timeout at once (offers %v): release → enqueue "+
			"computes the max wait from the original QueuedAt, counting the 5 connected minutes", w.offerLog(task.ID))
	}
	w.wantTask(task.ID, interact.TaskWaiting, "")
	w.offerFor(1, task.ID)
}
