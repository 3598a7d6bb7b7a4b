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
	tn, admin, err := db.CreateTenant(ctx, interact.System, sqlstore.NewTenant{
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

// benchPub counts events and keeps the last "offer" per agent.
type benchPub struct {
	events atomic.Int64
	mu     sync.Mutex
	offers map[string]string // agent id → last offer id
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
		p.offers[strings.TrimPrefix(subject, "agent.")] = f.Data.OfferID
		p.mu.Unlock()
	}
	return nil
}

func (p *benchPub) lastOffer(agent string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := p.offers[agent]
	delete(p.offers, agent)
	return id
}

// benchEngine is an engine on the fixture with every agent connected and
// available, on a clock that does not move.
func benchEngine(b *testing.B, f *benchFixture, cfg routing.Config, recover bool) (*routing.Engine, *benchPub) {
	b.Helper()
	ctx := context.Background()
	pub := &benchPub{offers: map[string]string{}}
	cfg.Clock = routing.NewManualClock(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
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
		if err := e.SetPresence(ctx, id, routing.PresenceAvailable, ""); err != nil {
			b.Fatal(err)
		}
	}
	return e, pub
}

func (f *benchFixture) start(e *routing.Engine) (*interact.Task, error) {
	return e.StartTask(context.Background(), routing.StartRequest{TenantID: f.tenantID, ServiceID: f.service, ContactID: "c",
		Modality: interact.ModalityChat, Visitor: interact.Visitor{Name: "Bench Visitor"}, Origin: "https://shop.example.test"})
}

func reportP99(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	b.ReportMetric(float64(d[(len(d)*99)/100].Nanoseconds()), "p99-ns")
}

// BenchmarkStartTask: StartTask with 1,000 selectable agents and an empty
// queue (the offer goes to the longest idle). The engine is not recovered
// so that tasks of the other benchmarks stay out of its way; each task is
// ended by its visitor outside the timing.
func BenchmarkStartTask(b *testing.B) {
	f := fixture(b)
	e, pub := benchEngine(b, f, routing.Config{}, false)
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
		if err := e.EndTask(ctx, task.ID, routing.ByVisitor); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	reportP99(b, durs)
	_ = pub
}

// saturated is one engine shared by the queue benchmarks: 1,000 agents
// with capacity 1, each holding one chat, and 10,000 tasks waiting.
var (
	satOnce sync.Once
	sat     struct {
		e     *routing.Engine
		pub   *benchPub
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
		sat.e, sat.pub = benchEngine(b, f, routing.Config{ChatCapacity: 1}, true)
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
				agent, offer = a, o
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
// timing, so the queue stays at 10,000.
func BenchmarkOfferSelection(b *testing.B) {
	saturated(b)
	f, ctx := fix, context.Background()
	durs := make([]time.Duration, 0, b.N)
	ev0 := sat.pub.events.Load()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		agent := sat.order[i%len(sat.order)]
		t0 := time.Now()
		if err := sat.e.EndTask(ctx, sat.chats[agent], agent); err != nil {
			b.Fatal(err)
		}
		offer := sat.pub.lastOffer(agent)
		task, err := sat.e.Accept(ctx, agent, offer)
		durs = append(durs, time.Since(t0))
		if err != nil {
			b.Fatalf("accept %q: %v", offer, err)
		}
		sat.chats[agent] = task.ID
		b.StopTimer()
		if _, err := f.start(sat.e); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	reportP99(b, durs)
	b.ReportMetric(float64(sat.pub.events.Load()-ev0)/float64(b.N), "events/op")
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
	reportP99(b, durs)
	for _, id := range slices.Backward(ids) {
		if err := sat.e.EndTask(ctx, id, routing.ByVisitor); err != nil {
			b.Fatal(err)
		}
	}
}
