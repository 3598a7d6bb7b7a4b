package routing_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/interact-oss/interact"
)

var (
	taskOutcomes = map[string]bool{interact.OutcomeHandled: true, interact.OutcomeTransferred: true,
		interact.OutcomeHangupInQueue: true, interact.OutcomeQueueTimeout: true, interact.OutcomeNoAgent: true,
		interact.OutcomeAbandoned: true, interact.OutcomeTransferFailed: true}
	answeredOutcomes = map[string]bool{interact.OfferAccepted: true, interact.OfferTransferred: true, interact.OfferDropped: true}
	missedOutcomes   = map[string]bool{interact.OfferDeclined: true, interact.OfferRONA: true, interact.OfferCancelled: true}
)

// A deterministic random walk over the engine's operations; afterwards
// every task has exactly one outcome, every offer exactly one outcome and
// an end time, and no agent ever held more than 3 chats.
func TestOutcomeInvariant(t *testing.T) {
	t.Parallel()
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			t.Parallel()
			steps := 800
			if testing.Short() {
				steps = 200
			}
			randomWalk(t, seed, steps)
		})
	}
}

func randomWalk(t *testing.T, seed uint64, steps int) {
	const agents = 6
	w := newWorld(t, interact.Distribution{PersistentRONA: true, RONAResetSeconds: 20, ACWEnabled: true, ACWSeconds: 10,
		MaxWaitSeconds: 300}, agents)
	sales := w.service("Sales", interact.Distribution{Type: interact.DistributeBroadcast, ACWEnabled: true, ACWSeconds: 5, MaxWaitSeconds: 120})
	pick := w.service("Pick", interact.Distribution{Type: interact.DistributePickup})
	for i := range agents {
		w.member(sales.ID, i, i%2 == 0)
		w.member(pick.ID, i, i < 4)
	}
	services := []string{w.svc.ID, sales.ID, pick.ID}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	connected := make([]bool, agents)
	for i := range agents {
		w.online(i)
		connected[i] = true
	}
	var started []string
	pickAgent := func() int { return rng.IntN(agents) }
	check := func(op string, err error) {
		t.Helper()
		if err != nil && code(err) == interact.EINTERNAL {
			t.Fatalf("%s: %v", op, err)
		}
	}
	open := func(state interact.TaskState) []interact.Task {
		ts, err := w.db.OpenTasks(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []interact.Task
		for _, x := range ts {
			if x.State == state {
				out = append(out, x)
			}
		}
		return out
	}
	ringing := func() []interact.Offer {
		os, err := w.db.OpenOffers(w.ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []interact.Offer
		for _, o := range os {
			if o.AnsweredAt == nil {
				out = append(out, o)
			}
		}
		return out
	}
	for step := range steps {
		switch op := rng.IntN(14); op {
		case 0, 1, 2:
			req := interact.StartRequest{ServiceID: services[rng.IntN(len(services))]}
			if rng.IntN(8) == 0 {
				req = interact.StartRequest{DirectUserID: w.id(pickAgent())}
			}
			task, err := w.startWith(req)
			check("start", err)
			if err == nil {
				started = append(started, task.ID)
			}
		case 3, 4:
			if rs := ringing(); len(rs) > 0 {
				o := rs[rng.IntN(len(rs))]
				_, err := w.eng.Accept(w.ctx, o.AgentID, o.ID)
				check("accept", err)
			}
		case 5:
			if rs := ringing(); len(rs) > 0 {
				o := rs[rng.IntN(len(rs))]
				check("decline", w.eng.Decline(w.ctx, o.AgentID, o.ID))
			}
		case 6:
			w.clock.Advance(time.Duration(1+rng.IntN(40)) * time.Second)
		case 7:
			if cs := open(interact.TaskConnected); len(cs) > 0 {
				x := cs[rng.IntN(len(cs))]
				check("end", w.eng.EndTask(w.ctx, x.ID, x.AgentID))
			}
		case 8:
			if ws := open(interact.TaskWaiting); len(ws) > 0 {
				x := ws[rng.IntN(len(ws))]
				if rng.IntN(2) == 0 {
					check("hang up", w.eng.EndTask(w.ctx, x.ID, interact.ByVisitor))
				} else {
					w.eng.VisitorDisconnected(x.ID)
				}
			}
		case 9:
			if cs := open(interact.TaskConnected); len(cs) > 0 {
				x := cs[rng.IntN(len(cs))]
				if rng.IntN(2) == 0 {
					check("transfer to agent", w.eng.Transfer(w.ctx, x.AgentID, x.ID, w.id(pickAgent()), ""))
				} else {
					check("transfer to service", w.eng.Transfer(w.ctx, x.AgentID, x.ID, "", services[rng.IntN(2)]))
				}
			}
		case 10:
			i := pickAgent()
			if connected[i] {
				w.eng.AgentDisconnected(w.ctx, w.id(i))
			} else {
				_, err := w.eng.AgentConnected(w.ctx, w.svc.TenantID, w.id(i))
				check("connect", err)
			}
			connected[i] = !connected[i]
		case 11:
			i := pickAgent()
			if connected[i] {
				p := []string{interact.PresenceAvailable, interact.PresenceAvailable, interact.PresenceBusy, interact.PresenceOffline}[rng.IntN(4)]
				check("presence", w.eng.SetPresence(w.ctx, w.id(i), p, ""))
			}
		case 12:
			if ws := open(interact.TaskWaiting); len(ws) > 0 {
				x := ws[rng.IntN(len(ws))]
				_, err := w.eng.Claim(w.ctx, w.id(pickAgent()), x.ID)
				check("claim", err)
			}
		case 13:
			i := pickAgent()
			switch rng.IntN(3) {
			case 0:
				check("end acw", w.eng.EndACW(w.ctx, w.id(i)))
			case 1:
				check("extend acw", w.eng.ExtendACW(w.ctx, w.id(i), 15*time.Second))
			default:
				check("reset rona", w.eng.ResetRONA(w.ctx, w.id(i)))
			}
		}
		for i := range agents {
			if n := len(w.eng.AgentTasks(w.id(i))); n > 3 {
				t.Fatalf("step %d: agent %d holds %d chats", step, i, n)
			}
		}
	}

	// Wind down: every visitor leaves, all timers run out.
	for _, x := range append(open(interact.TaskWaiting), open(interact.TaskConnected)...) {
		check("final end", w.eng.EndTask(w.ctx, x.ID, interact.ByVisitor))
	}
	w.clock.Advance(time.Hour)

	if len(started) < steps/10 {
		t.Fatalf("only %d tasks started", len(started))
	}
	if n := w.openTasks(); n != 0 {
		t.Fatalf("%d tasks still open", n)
	}
	if os, _ := w.db.OpenOffers(w.ctx); len(os) != 0 {
		t.Fatalf("%d offers still open: %+v", len(os), os)
	}
	ended := map[string]int{}
	for i := range agents {
		for _, e := range w.events(interact.AgentSubject(w.id(i)), "offer.ended") {
			ended[e.Data["offerId"].(string)]++
		}
		for _, e := range w.events(interact.AgentSubject(w.id(i)), "agent.state") {
			if n := e.Data["chats"].(float64); n > 3 {
				t.Fatalf("agent %d announced %v chats", i, n)
			}
		}
	}
	stats := map[string]int{}
	for _, id := range started {
		task := w.stored(id)
		if task.State != interact.TaskEnded || !taskOutcomes[task.Outcome] || task.EndedAt == nil {
			t.Fatalf("task %+v", task)
		}
		stats[task.Outcome]++
		n := 0
		for _, e := range w.events(interact.TaskSubject(id), "task.state") {
			if e.Data["outcome"] != nil {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("task %s announced %d outcomes", id, n)
		}
		for _, o := range mustOffers(w, id) {
			stats["offer "+o.Outcome]++
			if o.EndedAt == nil || (answeredOutcomes[o.Outcome] == (o.AnsweredAt == nil)) ||
				!(answeredOutcomes[o.Outcome] || missedOutcomes[o.Outcome]) {
				t.Fatalf("offer %+v", o)
			}
			if ended[o.ID] > 1 {
				t.Fatalf("offer %s ended %d times", o.ID, ended[o.ID])
			}
		}
	}
	t.Logf("%d tasks: %v", len(started), stats)
}
