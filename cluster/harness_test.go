package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/chatlog"
	"github.com/interact-oss/interact/cluster"
	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/natsbus"
	"github.com/interact-oss/interact/natsbus/natstest"
	"github.com/interact-oss/interact/routing"
	"github.com/interact-oss/interact/sqlstore"
)

// world is a tenant with a broadcast service and agents in one store, and a
// NATS server that the nodes share.
type world struct {
	t      testing.TB
	ctx    context.Context
	db     *sqlstore.DB
	nats   *natstest.Server
	lease  cluster.Leaser
	admin  interact.Actor
	svc    *interact.Service
	agents []*interact.User
	events *events

	mu     sync.Mutex
	owners []ownerChange // in the order they happened
}

type ownerChange struct {
	node  string
	owner bool
}

func newWorld(t testing.TB, agents int) *world {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tn, admin, err := db.CreateTenant(ctx, interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: "T", InteractEnabled: true, IMEnabled: true}, AdminEmail: "admin@example.test", AdminPassword: "admin-password",
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: ctx, db: db, nats: natstest.Start(t), lease: storeLease(t, db)}
	w.admin = interact.Actor{UserID: admin.ID, TenantID: tn.ID, Email: admin.Email, Roles: admin.Roles}
	ous, _ := db.OUs(ctx, w.admin)
	w.svc, err = db.CreateService(ctx, w.admin, interact.Service{Name: "Support", OUID: ous[0].ID, License: interact.LicenseContactCenter,
		InteractLicense: true, Distribution: interact.Distribution{Type: interact.DistributeBroadcast}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range agents {
		u, err := db.CreateUser(ctx, w.admin, interact.User{Email: fmt.Sprintf("agent%d@example.test", i), Name: fmt.Sprintf("Agent %d", i),
			OUID: admin.OUID, Licenses: interact.Licenses{ContactCenter: true, InstantMessaging: true}}, "agent-password")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.PutMember(ctx, w.admin, w.svc.ID, u.ID, true); err != nil {
			t.Fatal(err)
		}
		w.agents = append(w.agents, u)
	}
	w.events = newEvents(t, w.connect(t))
	return w
}

func (w *world) connect(t testing.TB) *natsbus.Bus {
	t.Helper()
	b, err := natsbus.Connect(w.nats.URL(), natsbus.Options{Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// node is a cluster node with its own NATS connection, and a lease that a
// test can make fail.
type node struct {
	*cluster.Node
	lease *failingLease
}

// failingLease injects store failures into the lease.
type failingLease struct {
	cluster.Leaser
	fail atomic.Bool
}

func (l *failingLease) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (int64, bool, error) {
	if l.fail.Load() {
		return 0, false, errors.New("injected: store unreachable")
	}
	return l.Leaser.AcquireLease(ctx, name, holder, ttl)
}

func (w *world) node(name string) *node {
	w.t.Helper()
	return w.nodeWith(name, nil)
}

// nodeWith starts a node whose configuration edit may change.
func (w *world) nodeWith(name string, edit func(*cluster.Config)) *node {
	w.t.Helper()
	l := &failingLease{Leaser: w.lease}
	bus := w.connect(w.t)
	cfg := cluster.Config{
		NodeID: name, Bus: bus, Lease: l, Store: w.db,
		Engine: routing.Config{Transcript: chatlog.New(w.db, bus, nil), AgentGrace: 5 * time.Second, VisitorGrace: time.Minute},
		OnOwner: func(owner bool) {
			w.mu.Lock()
			w.owners = append(w.owners, ownerChange{name, owner})
			w.mu.Unlock()
		},
		LeaseTTL: 600 * time.Millisecond, Renew: 150 * time.Millisecond, NodeTimeout: time.Second, CallTimeout: 10 * time.Second,
	}
	if edit != nil {
		edit(&cfg)
	}
	n, err := cluster.Start(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(n.Close)
	return &node{Node: n, lease: l}
}

// owner waits until exactly one of nodes is the owner and returns it.
func owner(t testing.TB, nodes ...*node) *node {
	t.Helper()
	var got *node
	eventually.True(t, "one routing owner", func() bool {
		got = nil
		count := 0
		for _, n := range nodes {
			if n.Owner() {
				got, count = n, count+1
			}
		}
		return count == 1
	})
	return got
}

// events records the engine's events as every node sees them on the bus.
type events struct {
	mu  sync.Mutex
	got []event
}

type event struct {
	Subject string
	Type    string
	Data    map[string]any
}

func newEvents(t testing.TB, b *natsbus.Bus) *events {
	e := &events{}
	for _, s := range []string{"agent.>", "task.>", "service.>"} {
		if _, err := b.Subscribe(s, func(subject string, data []byte) {
			var f struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			}
			if json.Unmarshal(data, &f) == nil {
				e.mu.Lock()
				e.got = append(e.got, event{subject, f.Type, f.Data})
				e.mu.Unlock()
			}
		}); err != nil {
			t.Fatal(err)
		}
	}
	b.Flush()
	return e
}

// mark returns a position for find and wait: events after it.
func (e *events) mark() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.got)
}

// find returns the first event after since of typ on subject that match
// accepts.
func (e *events) find(since int, subject, typ string, match func(map[string]any) bool) (map[string]any, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, ev := range e.got[since:] {
		if ev.Subject == subject && ev.Type == typ && (match == nil || match(ev.Data)) {
			return ev.Data, true
		}
	}
	return nil, false
}

// wait waits for an event after since of typ on subject that match accepts, and
// returns it; earlier events are not consumed.
func (e *events) wait(t testing.TB, since int, subject, typ string, match func(map[string]any) bool) map[string]any {
	t.Helper()
	var found map[string]any
	eventually.True(t, typ+" on "+subject, func() bool {
		var ok bool
		found, ok = e.find(since, subject, typ, match)
		return ok
	})
	return found
}

func (w *world) start(t testing.TB, n *node, name string) *interact.Task {
	t.Helper()
	task, err := n.StartTask(w.ctx, interact.StartRequest{TenantID: w.admin.TenantID, ServiceID: w.svc.ID, Modality: interact.ModalityChat,
		Visitor: interact.Visitor{Name: name}, Origin: "https://shop.example", ResumeHash: interact.NewID()})
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func offerFor(taskID string) func(map[string]any) bool {
	return func(d map[string]any) bool {
		task, _ := d["task"].(map[string]any)
		return task != nil && task["id"] == taskID
	}
}
