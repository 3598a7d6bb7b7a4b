package routing_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/routing"
	"github.com/interact-oss/interact/sqlstore"
)

// recorder is a Publisher that keeps every event, by subject.
type recorder struct {
	mu     sync.Mutex
	events []recorded
}

type recorded struct {
	Subject string
	Type    string
	Data    map[string]any
}

func (r *recorder) Publish(subject string, data []byte) error {
	var f struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	r.mu.Lock()
	r.events = append(r.events, recorded{subject, f.Type, f.Data})
	r.mu.Unlock()
	return nil
}

// take returns and forgets the events of type typ on subject.
func (r *recorder) take(subject, typ string) []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out, rest []recorded
	for _, e := range r.events {
		if e.Subject == subject && e.Type == typ {
			out = append(out, e)
		} else {
			rest = append(rest, e)
		}
	}
	r.events = rest
	return out
}

// world is a tenant with one service and agents, an engine on a manual clock.
type world struct {
	t       *testing.T
	ctx     context.Context
	db      *sqlstore.DB
	admin   interact.Actor
	clock   *routing.ManualClock
	pub     *recorder
	eng     *routing.Engine
	svc     *interact.Service
	agents  []*interact.User
	dbPath  string
	counter int
}

func newWorld(t *testing.T, dist interact.Distribution, agents int) *world {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "r.db")
	db, err := sqlstore.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tn, admin, err := db.CreateTenant(ctx, interact.Actor{}, sqlstore.NewTenant{
		Tenant: interact.Tenant{Name: "T", InteractEnabled: true, IMEnabled: true}, AdminEmail: "admin@example.test", AdminPassword: "admin-password",
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: ctx, db: db, dbPath: path, clock: routing.NewManualClock(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)), pub: &recorder{}}
	w.admin = interact.Actor{UserID: admin.ID, TenantID: tn.ID, Email: admin.Email, Roles: admin.Roles}
	w.svc = w.service("Support", dist)
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
	w.eng = w.newEngine()
	return w
}

func (w *world) service(name string, dist interact.Distribution) *interact.Service {
	w.t.Helper()
	ous, _ := w.db.OUs(w.ctx, w.admin)
	s, err := w.db.CreateService(w.ctx, w.admin, interact.Service{Name: name, OUID: ous[0].ID, License: interact.LicenseContactCenter,
		InteractLicense: true, Distribution: dist})
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

func (w *world) newEngine() *routing.Engine {
	w.t.Helper()
	e := routing.New(routing.Config{Clock: w.clock, AgentGrace: 10 * time.Second}, w.db, w.pub)
	if err := e.Recover(w.ctx); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(e.Close)
	return e
}

// online connects agent i and makes them available.
func (w *world) online(i int) {
	w.t.Helper()
	if _, err := w.eng.AgentConnected(w.ctx, w.svc.TenantID, w.agents[i].ID); err != nil {
		w.t.Fatal(err)
	}
	if err := w.eng.SetPresence(w.ctx, w.agents[i].ID, routing.PresenceAvailable, ""); err != nil {
		w.t.Fatal(err)
	}
	w.clock.Advance(time.Second) // distinct idle times: lower index = longer idle
}

func (w *world) start(serviceID string) *interact.Task {
	w.t.Helper()
	w.counter++
	t, err := w.eng.StartTask(w.ctx, routing.StartRequest{TenantID: w.svc.TenantID, ServiceID: serviceID, ContactID: "c",
		Modality: interact.ModalityChat, Visitor: interact.Visitor{Name: fmt.Sprintf("Visitor %d", w.counter)}, Origin: "https://shop.example.test"})
	if err != nil {
		w.t.Fatal(err)
	}
	w.eng.VisitorConnected(t.ID)
	return t
}

// offers returns the offer ids agent i got since the last call.
func (w *world) offers(i int) []string {
	var ids []string
	for _, e := range w.pub.take(routing.AgentSubject(w.agents[i].ID), "offer") {
		ids = append(ids, e.Data["offerId"].(string))
	}
	return ids
}

func (w *world) oneOffer(i int) string {
	w.t.Helper()
	ids := w.offers(i)
	if len(ids) != 1 {
		w.t.Fatalf("agent %d got %d offers, want 1", i, len(ids))
	}
	return ids[0]
}

func TestSmokeDirect(t *testing.T) {
	w := newWorld(t, interact.Distribution{Type: interact.DistributeDirect}, 2)
	w.online(0)
	w.online(1)
	task := w.start(w.svc.ID)
	off := w.oneOffer(0)
	if got := w.offers(1); len(got) != 0 {
		t.Fatalf("agent 1 offered too: %v", got)
	}
	if err := w.eng.Decline(w.ctx, w.agents[0].ID, off); err != nil {
		t.Fatal(err)
	}
	off1 := w.oneOffer(1)
	if _, err := w.eng.Accept(w.ctx, w.agents[1].ID, off1); err != nil {
		t.Fatal(err)
	}
	if err := w.eng.EndTask(w.ctx, task.ID, w.agents[1].ID); err != nil {
		t.Fatal(err)
	}
	stored, _ := w.db.Task(w.ctx, task.ID)
	if stored.Outcome != interact.OutcomeHandled {
		t.Errorf("outcome %q", stored.Outcome)
	}
	offers, _ := w.db.TaskOffers(w.ctx, task.ID)
	if len(offers) != 2 || offers[0].Outcome != "declined" || offers[1].Outcome != "accepted" {
		t.Errorf("offers %+v", offers)
	}
	msgs, _ := w.db.Messages(w.ctx, task.ID, 0, 100)
	for _, m := range msgs {
		t.Logf("%d %s %q", m.Seq, m.From, m.Text)
	}
}
