package routing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/chatlog"
	"github.com/interact-oss/interact/routing"
	"github.com/interact-oss/interact/sqlstore"
)

// Benchmark set-up is shared by the benchmarks of one `go test` run and
// built on first use: a SQLite store with one tenant, one direct service
// and 1,000 member agents. Creating the users dominates (argon2id password
// hashing, about 30 ms each, spread over the CPUs); it is logged once.

const (
	benchAgents = 1000
	benchQueued = 10000
)

type benchFixture struct {
	dir      string
	db       *sqlstore.DB
	tenantID string
	service  string
	agents   []string
}

var (
	fixOnce sync.Once
	fix     *benchFixture
	fixErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fix != nil {
		fix.db.Close()
		os.RemoveAll(fix.dir)
	}
	os.Exit(code)
}

func fixture(b *testing.B) *benchFixture {
	b.Helper()
	fixOnce.Do(func() {
		start := time.Now()
		fix, fixErr = buildFixture(benchAgents)
		if fixErr == nil {
			fmt.Fprintf(os.Stderr, "bench fixture: %d agents created and added in %v\n", benchAgents, time.Since(start).Round(time.Millisecond))
		}
	})
	if fixErr != nil {
		b.Fatal(fixErr)
	}
	return fix
}

func buildFixture(n int) (*benchFixture, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "routing-bench-")
	if err != nil {
		return nil, err
	}
	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(dir, "bench.db"))
	if err != nil {
		return nil, err
	}
	f := &benchFixture{dir: dir, db: db}
	tn, admin, err := db.CreateTenant(ctx, interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: "Bench", InteractEnabled: true, IMEnabled: true}, AdminEmail: "admin@bench.test", AdminPassword: "admin-password",
	})
	if err != nil {
		return f, err
	}
	a := interact.Actor{UserID: admin.ID, TenantID: tn.ID, Email: admin.Email, Roles: admin.Roles}
	svc, err := db.CreateService(ctx, a, interact.Service{Name: "Support", OUID: admin.OUID, License: interact.LicenseContactCenter,
		InteractLicense: true, Distribution: interact.Distribution{Type: interact.DistributeDirect}})
	if err != nil {
		return f, err
	}
	f.tenantID, f.service = tn.ID, svc.ID
	f.agents = make([]string, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for range runtime.NumCPU() {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				failed := fixErr != nil
				mu.Unlock()
				if i >= n || failed {
					return
				}
				u, err := db.CreateUser(ctx, a, interact.User{Email: fmt.Sprintf("agent%d@bench.test", i), Name: fmt.Sprintf("Agent %d", i),
					OUID: admin.OUID, Licenses: interact.Licenses{ContactCenter: true, InstantMessaging: true}}, "agent-password")
				if err == nil {
					_, err = db.PutMember(ctx, a, svc.ID, u.ID, true)
				}
				mu.Lock()
				if err != nil && fixErr == nil {
					fixErr = err
				}
				if err == nil {
					f.agents[i] = u.ID
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return f, fixErr
}

// benchPub counts events and keeps the last "offer" per agent, with the
// time it was published.
type benchPub struct {
	events atomic.Int64
	mu     sync.Mutex
	offers map[string]benchOffer // by agent id
}

type benchOffer struct {
	id string
	at time.Time
}

var offerPrefix = []byte(`{"type":"offer",`)

func (p *benchPub) Publish(subject string, data []byte) error {
	p.events.Add(1)
	if bytes.HasPrefix(data, offerPrefix) {
		var f struct {
			Data struct {
				OfferID string `json:"offerId"`
			} `json:"data"`
		}
		if err := json.Unmarshal(data, &f); err != nil {
			return err
		}
		p.mu.Lock()
		p.offers[strings.TrimPrefix(subject, "agent.")] = benchOffer{f.Data.OfferID, time.Now()}
		p.mu.Unlock()
	}
	return nil
}

func (p *benchPub) lastOffer(agent string) benchOffer {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := p.offers[agent]
	delete(p.offers, agent)
	return o
}

// benchEngine is an engine on the fixture with every agent connected and
// available, on a clock that does not move.
func benchEngine(b *testing.B, f *benchFixture, cfg routing.Config, recover bool) (*routing.Engine, *benchPub, *routing.ManualClock) {
	b.Helper()
	ctx := context.Background()
	pub := &benchPub{offers: map[string]benchOffer{}}
	clock := routing.NewManualClock(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	cfg.Clock = clock
	cfg.Transcript = chatlog.New(f.db, pub, nil)
	e := routing.New(cfg, f.db, pub)
	if recover {
		if err := e.Recover(ctx); err != nil {
			b.Fatal(err)
		}
	}
	for _, id := range f.agents {
		if _, err := e.AgentConnected(ctx, f.tenantID, id); err != nil {
			b.Fatal(err)
		}
		if err := e.SetPresence(ctx, id, interact.PresenceAvailable, ""); err != nil {
			b.Fatal(err)
		}
	}
	return e, pub, clock
}

func (f *benchFixture) start(e *routing.Engine) (*interact.Task, error) {
	return e.StartTask(context.Background(), interact.StartRequest{TenantID: f.tenantID, ServiceID: f.service, ContactID: "c",
		Modality: interact.ModalityChat, Visitor: interact.Visitor{Name: "Bench Visitor"}, Origin: "https://shop.example.test"})
}

// reportLatency reports the median and 99th percentile of d as
// <name>-p50-ns and <name>-p99-ns.
func reportLatency(b *testing.B, name string, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Nanoseconds()), name+"-p50-ns")
	b.ReportMetric(float64(d[(len(d)*99)/100].Nanoseconds()), name+"-p99-ns")
}

// BenchmarkStartTask: StartTask with 1,000 selectable agents and an empty
// queue (the offer goes to the longest idle). The engine is not recovered
// so that tasks of the other benchmarks stay out of its way; each task is
// ended by its visitor outside the timing.
func BenchmarkStartTask(b *testing.B) {
	f := fixture(b)
	e, _, _ := benchEngine(b, f, routing.Config{}, false)
	defer e.Close()
	ctx := context.Background()
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		task, err := f.start(e)
		durs = append(durs, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if err := e.EndTask(ctx, task.ID, interact.ByVisitor); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	reportLatency(b, "op", durs)
}

// saturated is one engine shared by the queue benchmarks: 1,000 agents
// with capacity 1, each holding one chat, and 10,000 tasks waiting.
var (
	satOnce sync.Once
	sat     struct {
		e     *routing.Engine
		pub   *benchPub
		clock *routing.ManualClock
		chats map[string]string // agent → its connected task
		order []string          // agents, round robin
		err   error
	}
)

func saturated(b *testing.B) {
	b.Helper()
	f := fixture(b)
	satOnce.Do(func() {
		start := time.Now()
		ctx := context.Background()
		// The visitors never connect: a long visitor grace keeps their
		// tasks while the clock moves.
		sat.e, sat.pub, sat.clock = benchEngine(b, f, routing.Config{ChatCapacity: 1, VisitorGrace: 1000 * time.Hour}, true)
		sat.chats = map[string]string{}
		for range f.agents {
			task, err := f.start(sat.e)
			if err != nil {
				sat.err = err
				return
			}
			var agent, offer string
			sat.pub.mu.Lock()
			for a, o := range sat.pub.offers {
				agent, offer = a, o.id
			}
			clear(sat.pub.offers)
			sat.pub.mu.Unlock()
			if _, err := sat.e.Accept(ctx, agent, offer); err != nil {
				sat.err = fmt.Errorf("accept: %w", err)
				return
			}
			sat.chats[agent] = task.ID
			sat.order = append(sat.order, agent)
		}
		for range benchQueued {
			if _, err := f.start(sat.e); err != nil {
				sat.err = err
				return
			}
		}
		fmt.Fprintf(os.Stderr, "bench saturated engine: %d chats and %d queued tasks in %v\n", benchAgents, benchQueued, time.Since(start).Round(time.Millisecond))
	})
	if sat.err != nil {
		b.Fatal(sat.err)
	}
}

// BenchmarkOfferSelection: 1,000 agents at capacity, 10,000 tasks queued.
// One op: an agent ends its chat, the engine selects the head of the queue
// for it (offer), the agent accepts. A new task joins the queue outside the
// timing, so the queue stays at 10,000. Reported: the whole op (op-p50/p99,
// both calls, each returning after its changes are stored and published)
// and the selection alone (offer-p50/p99: from the end of the chat until
// the offer to the freed agent is published, after the durable writes it
// depends on) and how long each of the two calls held the engine lock
// (lock-p50/p99: the routing decision itself, which every other engine
// operation waits for). The positions of the tasks behind the queue's
// head are announced by a timer, measured by BenchmarkQueuePositions.
func BenchmarkOfferSelection(b *testing.B) {
	saturated(b)
	f, ctx := fix, context.Background()
	durs := make([]time.Duration, 0, b.N)
	offers := make([]time.Duration, 0, b.N)
	var held []time.Duration // lock hold of each EndTask (the selection) and Accept
	var last time.Duration
	routing.ObserveLock(func(d time.Duration) { last = d })
	defer routing.ObserveLock(nil)
	ev0 := sat.pub.events.Load()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		agent := sat.order[i%len(sat.order)]
		t0 := time.Now()
		if err := sat.e.EndTask(ctx, sat.chats[agent], agent); err != nil {
			b.Fatal(err)
		}
		held = append(held, last)
		offer := sat.pub.lastOffer(agent)
		task, err := sat.e.Accept(ctx, agent, offer.id)
		durs = append(durs, time.Since(t0))
		offers = append(offers, offer.at.Sub(t0))
		held = append(held, last)
		if err != nil {
			b.Fatalf("accept %q: %v", offer.id, err)
		}
		sat.chats[agent] = task.ID
		b.StopTimer()
		if _, err := f.start(sat.e); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	reportLatency(b, "op", durs)
	reportLatency(b, "offer", offers)
	reportLatency(b, "lock", held)
	b.ReportMetric(float64(sat.pub.events.Load()-ev0)/float64(b.N), "events/op")
}

// BenchmarkQueuePositions: the round that tells the tasks behind the head
// of a 10,000-task queue their new positions and estimates. Outside the
// timing, an agent ends a chat and accepts the head of the queue (every
// position moves); the op moves the clock by the announcement interval,
// which runs the round: computing the positions under the engine lock
// (lock-p50/p99) and publishing about 10,000 task.queue events.
func BenchmarkQueuePositions(b *testing.B) {
	saturated(b)
	f, ctx := fix, context.Background()
	durs := make([]time.Duration, 0, b.N)
	var held []time.Duration
	var last time.Duration
	routing.ObserveLock(func(d time.Duration) { last = d })
	defer routing.ObserveLock(nil)
	var events int64
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		agent := sat.order[i%len(sat.order)]
		if err := sat.e.EndTask(ctx, sat.chats[agent], agent); err != nil {
			b.Fatal(err)
		}
		task, err := sat.e.Accept(ctx, agent, sat.pub.lastOffer(agent).id)
		if err != nil {
			b.Fatal(err)
		}
		sat.chats[agent] = task.ID
		if _, err := f.start(sat.e); err != nil {
			b.Fatal(err)
		}
		ev0 := sat.pub.events.Load()
		b.StartTimer()
		t0 := time.Now()
		last = 0
		sat.clock.Advance(time.Second)
		durs = append(durs, time.Since(t0))
		held = append(held, last)
		events += sat.pub.events.Load() - ev0
	}
	b.StopTimer()
	reportLatency(b, "round", durs)
	reportLatency(b, "lock", held)
	b.ReportMetric(float64(events)/float64(b.N), "events/op")
}

// BenchmarkEnqueue: StartTask into a queue of 10,000 waiting tasks whose
// agents are all busy. The added tasks are removed afterwards (from the
// back, so nobody's position changes).
func BenchmarkEnqueue(b *testing.B) {
	saturated(b)
	f, ctx := fix, context.Background()
	ids := make([]string, 0, b.N)
	durs := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		task, err := f.start(sat.e)
		durs = append(durs, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, task.ID)
	}
	b.StopTimer()
	reportLatency(b, "op", durs)
	for _, id := range slices.Backward(ids) {
		if err := sat.e.EndTask(ctx, id, interact.ByVisitor); err != nil {
			b.Fatal(err)
		}
	}
}
