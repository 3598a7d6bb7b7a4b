package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/natsbus/natstest"
	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, to create a database
)

// TestMultiNode runs three interact processes on one PostgreSQL database and
// one NATS server: visitors on node A, one agent on node B and one on node C
// (the routing owner). The chats flow across nodes; the owner is killed
// (SIGKILL) while tasks wait in the queue and another node takes over;
// a settings change made on one node reaches another; then the visitors'
// node is killed and they resume on node B. In the end every acknowledged
// message is stored exactly once, every replay is gapless, and every task
// has exactly one outcome.
func TestMultiNode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three servers")
	}
	base := os.Getenv("INTERACT_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("INTERACT_TEST_DATABASE_URL is not set: the multi-node test needs PostgreSQL (scripts/test.sh provides it)")
	}
	const (
		agentsN  = 2
		chats    = 8 // two agents take 3 chats each: two chats wait in the queue
		textSize = 48
		password = "admin-password-1"
	)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	dbURL := freshDatabase(t, ctx, base)
	nats := natstest.Start(t)
	bin := buildInteract(t)
	node := func(name string) *spawnedServer {
		t.Helper()
		s, err := startServer(ctx, spawnOptions{Bin: bin, AdminPassword: password,
			Extra: []string{"--database-url", dbURL, "--nats-url", nats.URL()}})
		if err != nil {
			t.Fatalf("node %s: %v", name, err)
		}
		t.Cleanup(func() {
			select {
			case <-s.done:
			default:
				s.kill()
			}
			s.cleanup(false)
		})
		t.Logf("node %s at %s", name, s.url)
		return s
	}
	// C starts first and takes the routing lease; A and B join.
	c := node("C")
	eventually.Within(t, 20*time.Second, "node C to own routing", func() bool { return routingOwnerNode(c) })
	a, b := node("A"), node("B")

	plan, err := setupLoad(ctx, a.url, a.adminEmail, password, setupSpec{Visitors: chats, Agents: agentsN, LocalAddr: "127.0.0.1"}, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	agentsB := newAgentPool(b.url, "127.0.0.1", 5) // agents answer every 5th message
	defer agentsB.close()
	if err := agentsB.connect(ctx, plan.Agents[:1], false); err != nil {
		t.Fatal(err)
	}
	agentsC := newAgentPool(c.url, "127.0.0.1", 5)
	defer agentsC.close()
	if err := agentsC.connect(ctx, plan.Agents[1:], false); err != nil {
		t.Fatal(err)
	}
	init := workerInit{URL: a.url, Origin: "http://multinode.example", Addrs: []string{"127.0.0.1"}, TextSize: textSize}
	for range chats {
		init.Chat = append(init.Chat, plan.ChatServices[0])
	}
	w := newWorker(init)
	if r := w.startChats(ctx, 5*time.Second); r.Open != chats || r.Connected != 3*agentsN {
		t.Fatalf("chats: %+v, want %d open and %d connected", r, chats, 3*agentsN)
	}
	var waiting []*visitor
	for _, v := range w.chats {
		if !isConnected(v) {
			waiting = append(waiting, v)
		}
	}

	// Chat across nodes: visitors on A send, agents on B and C receive and
	// answer, until the owner dies mid-queue and past it.
	sender := startSending(w, textSize)
	baseline := watchAcks(w)
	eventually.Within(t, 30*time.Second, "messages to flow across nodes", func() bool {
		return w.stats.acked.Load() >= 200 && agentsB.delivered() > 0 && agentsC.delivered() > 0
	})
	lat := agentsB.latency()
	t.Logf("before the kill: visitor on A → agent on B p50 %v p99 %v (%d messages); acknowledgement on A p50 %v p99 %v",
		lat.quantile(0.5), lat.quantile(0.99), lat.count(), w.ackHist.quantile(0.5), w.ackHist.quantile(0.99))
	n, stall, refused := baseline.stop()
	t.Logf("before the kill: %d messages acknowledged on A, at most %v without one, %d refused", n, stall.Round(time.Millisecond), refused)
	w.ackHist.reset()
	acks := watchAcks(w)
	c.kill()
	killed := time.Now()
	eventually.Within(t, 30*time.Second, "another node to own routing", func() bool { return routingOwnerNode(a) || routingOwnerNode(b) })
	takeOver := time.Since(killed)
	n, stall, refused = acks.stop()
	t.Logf("during the take-over: %d messages acknowledged on A, at most %v without one, %d refused; acknowledgement p50 %v p99 %v max %v",
		n, stall.Round(time.Millisecond), refused, w.ackHist.quantile(0.5), w.ackHist.quantile(0.99), w.ackHist.max())
	// C's agent reconnects to B and gets its chats back.
	agentsC.close()
	agentsC2 := newAgentPool(b.url, "127.0.0.1", 5)
	defer agentsC2.close()
	if err := agentsC2.connect(ctx, plan.Agents[1:], false); err != nil {
		t.Fatal(err)
	}
	routingBack := time.Since(killed)
	if got := len(agentsC2.clients()[0].hello.Tasks); got != 3 {
		t.Errorf("the agent of the killed node has %d chats after reconnecting, want 3", got)
	}
	t.Logf("owner killed: a new owner after %v; the killed node's agent served again after %v", takeOver.Round(time.Millisecond), routingBack.Round(time.Millisecond))

	// The queue moves on under the new owner: a chat ends, a waiting one is taken.
	var ended *visitor
	for _, v := range w.chats {
		if isConnected(v) {
			ended = v
			break
		}
	}
	sender.pause(ended)
	eventually.Within(t, 30*time.Second, "the ending chat's messages to be acknowledged", func() bool { return ended.pending() == 0 })
	ended.closeSocket(true)
	eventually.Within(t, 30*time.Second, "a waiting chat to be taken", func() bool { return isConnected(waiting[0]) || isConnected(waiting[1]) })

	// A settings change made on B reaches A.
	propagation := settingsReachOtherNode(t, ctx, w, b, plan.ChatServices[0], password)
	t.Logf("a settings change made on node B took effect on node A after %v", propagation.Round(time.Millisecond))

	// The visitors' node dies; they resume on B and resend what was not acknowledged.
	sender.stop()
	aOwned := routingOwnerNode(a)
	a.kill()
	killed = time.Now()
	if aOwned {
		eventually.Within(t, 30*time.Second, "node B to own routing", func() bool { return routingOwnerNode(b) })
		t.Logf("node A owned routing too: node B took over after %v", time.Since(killed).Round(time.Millisecond))
	}
	lastSeen := map[*visitor]int64{}
	for _, v := range w.chats {
		if v == ended {
			continue
		}
		<-v.done
		v.closeSocket(false)
		lastSeen[v] = v.lastSeq.Load()
	}
	w.cfg.URL = b.url
	for _, v := range w.chats {
		if v == ended {
			continue
		}
		if err := v.resume(ctx); err != nil {
			t.Fatalf("visitor %s: resume on node B: %v", v.id, err)
		}
		v.mu.Lock()
		v.trace, v.seqs = true, nil
		v.mu.Unlock()
		if err := v.open(ctx, w.chatDial, lastSeen[v]); err != nil {
			t.Fatalf("visitor %s: reconnect to node B: %v", v.id, err)
		}
		v.resendPending(textSize)
		v.send(textSize) // and one more, on the new node
	}
	for _, v := range w.chats {
		if v == ended {
			continue
		}
		eventually.Within(t, 30*time.Second, "resent messages to be acknowledged", func() bool { return v.pending() == 0 })
	}

	// Every visitor ends its chat; then read everything back.
	for _, v := range w.chats {
		if v != ended {
			v.closeSocket(true)
		}
	}
	admin, err := adminLogin(ctx, b.url, "127.0.0.1", b.adminEmail, password)
	if err != nil {
		t.Fatal(err)
	}
	var sessions []interact.Session
	eventually.Within(t, 30*time.Second, "every task to end", func() bool {
		var page struct{ Items []interact.Session }
		if err := admin.do(ctx, "GET", "/api/v1/sessions?limit=500&serviceId="+plan.ChatServices[0].ID, nil, &page); err != nil {
			t.Fatal(err)
		}
		sessions = page.Items
		for _, s := range sessions {
			if s.State != interact.TaskEnded {
				return false
			}
		}
		return len(sessions) >= chats
	})
	checkOutcomes(t, w, sessions)
	var total verifyResult
	for _, v := range w.chats {
		msgs, err := v.transcript(ctx)
		if err != nil {
			t.Fatalf("visitor %s: transcript: %v", v.id, err)
		}
		r := check(v.id, v.snapshot(), msgs)
		total.add(r)
		if r.Missing+r.Duplicates+r.Gaps+r.Pending > 0 {
			t.Errorf("visitor %s: %+v", v.id, r)
		}
		if v == ended {
			continue
		}
		v.mu.Lock()
		seqs := append([]int64(nil), v.seqs...)
		v.mu.Unlock()
		want := lastSeen[v] + 1
		for _, s := range seqs {
			if s != want {
				t.Fatalf("visitor %s resumed after seq %d and received %v", v.id, lastSeen[v], seqs)
			}
			want++
		}
	}
	t.Logf("%d acknowledged messages, %d stored, none missing or doubled; %d agent messages delivered",
		total.Acknowledged, total.Stored, agentsB.delivered()+agentsC.delivered()+agentsC2.delivered())
}

// checkOutcomes checks that every visitor's task ended with exactly one
// outcome and that a handled task has exactly one accepted offer.
func checkOutcomes(t *testing.T, w *worker, sessions []interact.Session) {
	t.Helper()
	byID := map[string]int{}
	for _, s := range sessions {
		byID[s.ID]++
		accepted := 0
		for _, o := range s.Offers {
			if o.Outcome == "" {
				t.Errorf("task %s: offer %s has no outcome", s.ID, o.ID)
			}
			if o.Outcome == interact.OfferAccepted {
				accepted++
			}
		}
		switch s.Outcome {
		case interact.OutcomeHandled:
			if accepted != 1 {
				t.Errorf("handled task %s has %d accepted offers", s.ID, accepted)
			}
		case interact.OutcomeHangupInQueue:
			if accepted != 0 {
				t.Errorf("task %s ended in the queue with %d accepted offers", s.ID, accepted)
			}
		default:
			t.Errorf("task %s: outcome %q", s.ID, s.Outcome)
		}
	}
	for _, v := range w.chats {
		if byID[v.grant.TaskID] != 1 {
			t.Errorf("task %s listed %d times", v.grant.TaskID, byID[v.grant.TaskID])
		}
	}
}

// settingsReachOtherNode switches the service's calls off on node b and
// waits until node A's widget configuration (w's node) says so, then
// switches them back; it returns how long the first change took.
func settingsReachOtherNode(t *testing.T, ctx context.Context, w *worker, b *spawnedServer, svc serviceRef, password string) time.Duration {
	t.Helper()
	admin, err := adminLogin(ctx, b.url, "127.0.0.1", b.adminEmail, password)
	if err != nil {
		t.Fatal(err)
	}
	v := w.chats[len(w.chats)-1]
	calls := func() bool {
		var cfg struct{ Modalities map[string]bool }
		if err := v.widgetRequest(ctx, "GET", "/widget/v1/config?widgetKey="+url.QueryEscape(svc.WidgetKey), nil, &cfg); err != nil {
			t.Fatal(err)
		}
		return cfg.Modalities["audio"]
	}
	var took time.Duration
	for _, want := range []bool{!calls(), calls()} {
		start := time.Now()
		if err := admin.do(ctx, "PUT", "/api/v1/services/"+svc.ID+"/interact", interact.InteractUpdate{AudioVideo: &want}, nil); err != nil {
			t.Fatal(err)
		}
		eventually.Within(t, 20*time.Second, "the settings change on the other node", func() bool { return calls() == want })
		if took == 0 {
			took = time.Since(start)
		}
	}
	return took
}

// ackWatch follows the visitors' acknowledgements: how many come, and the
// longest time without one.
type ackWatch struct {
	w       *worker
	quit    chan struct{}
	done    chan struct{}
	from    int64
	errors  int64
	longest time.Duration
}

func watchAcks(w *worker) *ackWatch {
	a := &ackWatch{w: w, quit: make(chan struct{}), done: make(chan struct{}), from: w.stats.acked.Load(), errors: w.stats.errors.Load()}
	go func() {
		defer close(a.done)
		last, lastAt := a.from, time.Now()
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-a.quit:
				a.longest = max(a.longest, time.Since(lastAt))
				return
			case now := <-tick.C:
				if n := w.stats.acked.Load(); n != last {
					last, lastAt = n, now
				} else {
					a.longest = max(a.longest, now.Sub(lastAt))
				}
			}
		}
	}()
	return a
}

// stop returns how many acknowledgements came since watchAcks, the
// longest time without one (sampled every 5 ms) and how many messages were
// refused.
func (a *ackWatch) stop() (acked int64, longest time.Duration, refused int64) {
	close(a.quit)
	<-a.done
	return a.w.stats.acked.Load() - a.from, a.longest, a.w.stats.errors.Load() - a.errors
}

// sending keeps every visitor sending small bursts, within a socket's frame
// budget (realtime: 120 frames per 10 s), so that the frames the test sends
// besides (a task's end) are not refused however long messages flow.
type sending struct {
	mu     sync.Mutex
	paused map[*visitor]bool
	done   chan struct{}
	wg     sync.WaitGroup
}

func startSending(w *worker, textSize int) *sending {
	s := &sending{paused: map[*visitor]bool{}, done: make(chan struct{})}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			s.mu.Lock()
			for _, v := range w.chats {
				if !s.paused[v] {
					for range 4 {
						v.send(textSize)
					}
				}
			}
			s.mu.Unlock()
			select {
			case <-s.done:
				return
			case <-time.After(400 * time.Millisecond): // 10 messages a second
			}
		}
	}()
	return s
}

func (s *sending) pause(v *visitor) {
	s.mu.Lock()
	s.paused[v] = true
	s.mu.Unlock()
}

func (s *sending) stop() {
	close(s.done)
	s.wg.Wait()
}

func isConnected(v *visitor) bool {
	select {
	case <-v.connected:
		return true
	default:
		return false
	}
}

// routingOwnerNode reports whether the node says it runs the routing engine.
func routingOwnerNode(s *spawnedServer) bool { return routingOwner(s.url) }

// freshDatabase creates a new database next to the one base names, dropped
// when the test ends, and returns its URL.
func freshDatabase(t *testing.T, ctx context.Context, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("INTERACT_TEST_DATABASE_URL: %v", err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	name := "interact_multinode_" + strings.ToLower(interact.NewID())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		admin.Close()
	})
	u.Path = "/" + name
	return fmt.Sprint(u)
}
