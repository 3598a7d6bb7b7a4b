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
	"github.com/interact-oss/interact/chatlog"
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
	tn, admin, err := db.CreateTenant(ctx, interact.System, interact.NewTenant{
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
	e := routing.New(routing.Config{Transcript: chatlog.New(w.db, w.pub, nil), Clock: w.clock, AgentGrace: 10 * time.Second}, w.db, w.pub)
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
	if err := w.eng.SetPresence(w.ctx, w.agents[i].ID, interact.PresenceAvailable, ""); err != nil {
		w.t.Fatal(err)
	}
	w.clock.Advance(time.Second) // distinct idle times: lower index = longer idle
}

func (w *world) start(serviceID string) *interact.Task {
	w.t.Helper()
	w.counter++
	t, err := w.eng.StartTask(w.ctx, interact.StartRequest{TenantID: w.svc.TenantID, ServiceID: serviceID, ContactID: "c",
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
	for _, e := range w.pub.take(interact.AgentSubject(w.agents[i].ID), "offer") {
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

// ---- Helpers added for the routing rule tests (below this line only). ----

// grace is the AgentGrace the harness engines use.
const grace = 10 * time.Second

// newWorldCfg is newWorld with an engine built from cfg (its Clock is the
// world's; a zero AgentGrace becomes the harness's 10 s).
func newWorldCfg(t *testing.T, dist interact.Distribution, agents int, cfg routing.Config) *world {
	t.Helper()
	w := newWorld(t, dist, agents)
	w.eng.Close()
	w.eng = w.engineWith(cfg)
	return w
}

// engineWith builds and recovers an engine with cfg on the world's store.
func (w *world) engineWith(cfg routing.Config) *routing.Engine {
	w.t.Helper()
	cfg.Clock = w.clock
	cfg.Transcript = chatlog.New(w.db, w.pub, nil)
	if cfg.AgentGrace == 0 {
		cfg.AgentGrace = grace
	}
	e := routing.New(cfg, w.db, w.pub)
	if err := e.Recover(w.ctx); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(e.Close)
	return e
}

// pastGrace moves the clock past the restart grace of a fresh engine, after
// which "no agent" overflows happen at once.
func (w *world) pastGrace() { w.clock.Advance(grace + time.Second) }

func (w *world) id(i int) string { return w.agents[i].ID }

// index returns the agent index of a user id, or -1.
func (w *world) index(userID string) int {
	for i, a := range w.agents {
		if a.ID == userID {
			return i
		}
	}
	return -1
}

// offerEv is one "offer" event.
type offerEv struct{ OfferID, TaskID string }

// takeOffers returns and forgets the offers agent i got.
func (w *world) takeOffers(i int) []offerEv {
	var out []offerEv
	for _, e := range w.pub.take(interact.AgentSubject(w.id(i)), "offer") {
		task, _ := e.Data["task"].(map[string]any)
		out = append(out, offerEv{OfferID: e.Data["offerId"].(string), TaskID: task["id"].(string)})
	}
	return out
}

// offerFor takes agent i's offers and requires exactly one, for taskID.
func (w *world) offerFor(i int, taskID string) string {
	w.t.Helper()
	got := w.takeOffers(i)
	if len(got) != 1 || got[0].TaskID != taskID {
		w.t.Fatalf("agent %d: offers %+v, want exactly one for task %s", i, got, taskID)
	}
	return got[0].OfferID
}

// noOffer requires that agent i got no offer since the last take.
func (w *world) noOffer(i int) {
	w.t.Helper()
	if got := w.takeOffers(i); len(got) != 0 {
		w.t.Fatalf("agent %d was offered %+v, want nothing", i, got)
	}
}

// clearEvents forgets every recorded event.
func (w *world) clearEvents() {
	w.pub.mu.Lock()
	w.pub.events = nil
	w.pub.mu.Unlock()
}

// events returns (without forgetting) the events of type typ on subject.
func (w *world) events(subject, typ string) []recorded {
	w.pub.mu.Lock()
	defer w.pub.mu.Unlock()
	var out []recorded
	for _, e := range w.pub.events {
		if e.Subject == subject && e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func (w *world) accept(i int, offerID string) {
	w.t.Helper()
	if _, err := w.eng.Accept(w.ctx, w.id(i), offerID); err != nil {
		w.t.Fatalf("agent %d accept: %v", i, err)
	}
}

func (w *world) decline(i int, offerID string) {
	w.t.Helper()
	if err := w.eng.Decline(w.ctx, w.id(i), offerID); err != nil {
		w.t.Fatalf("agent %d decline: %v", i, err)
	}
}

// endBy ends a task on behalf of agent i.
func (w *world) endBy(i int, taskID string) {
	w.t.Helper()
	if err := w.eng.EndTask(w.ctx, taskID, w.id(i)); err != nil {
		w.t.Fatalf("agent %d end task: %v", i, err)
	}
}

func (w *world) presence(i int, p string) {
	w.t.Helper()
	if err := w.eng.SetPresence(w.ctx, w.id(i), p, ""); err != nil {
		w.t.Fatalf("agent %d presence %s: %v", i, p, err)
	}
}

// take gives agent i a connected chat: the task must be offered to i.
func (w *world) take(i int, serviceID string) *interact.Task {
	w.t.Helper()
	task := w.start(serviceID)
	w.accept(i, w.offerFor(i, task.ID))
	return task
}

// stored returns a task as stored.
func (w *world) stored(id string) *interact.Task {
	w.t.Helper()
	t, err := w.db.Task(w.ctx, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return t
}

// wantTask checks a stored task's state and outcome ("" for none).
func (w *world) wantTask(id string, state interact.TaskState, outcome string) *interact.Task {
	w.t.Helper()
	t := w.stored(id)
	if t.State != state || t.Outcome != outcome {
		w.t.Fatalf("task %s: state %q outcome %q, want %q %q", id, t.State, t.Outcome, state, outcome)
	}
	if (state == interact.TaskEnded) != (t.EndedAt != nil) {
		w.t.Fatalf("task %s: state %q but endedAt %v", id, t.State, t.EndedAt)
	}
	return t
}

// offerLog returns a task's stored offers as "agentIndex:outcome" in order
// ("0:" for one still ringing or connected).
func (w *world) offerLog(taskID string) []string {
	w.t.Helper()
	offers, err := w.db.TaskOffers(w.ctx, taskID)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, o := range offers {
		out = append(out, fmt.Sprintf("%d:%s", w.index(o.AgentID), o.Outcome))
	}
	return out
}

// wantOffers checks offerLog.
func (w *world) wantOffers(taskID string, want ...string) {
	w.t.Helper()
	got := w.offerLog(taskID)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		w.t.Fatalf("task %s offers %v, want %v", taskID, got, want)
	}
}

// texts returns a task's transcript texts.
func (w *world) texts(taskID string) []string {
	w.t.Helper()
	msgs, err := w.db.Messages(w.ctx, taskID, 0, 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		out = append(out, m.Text)
	}
	return out
}

// setDist changes the world's service distribution and tells the engine.
func (w *world) setDist(serviceID string, d interact.Distribution) {
	w.t.Helper()
	if _, err := w.db.UpdateService(w.ctx, w.admin, serviceID, interact.ServiceUpdate{Distribution: &d}); err != nil {
		w.t.Fatal(err)
	}
	w.eng.Invalidate(w.ctx, w.svc.TenantID)
}

// member adds agent i to a service (or sets its active toggle).
func (w *world) member(serviceID string, i int, active bool) {
	w.t.Helper()
	if _, err := w.db.PutMember(w.ctx, w.admin, serviceID, w.id(i), active); err != nil {
		w.t.Fatal(err)
	}
}

// code returns an error's code.
func code(err error) string { return interact.ErrorCode(err) }

// startWith starts a task from req, filling the tenant, modality, visitor
// and origin when empty; the visitor connects when it succeeds.
func (w *world) startWith(req interact.StartRequest) (*interact.Task, error) {
	w.counter++
	if req.TenantID == "" {
		req.TenantID = w.svc.TenantID
	}
	if req.Modality == "" {
		req.Modality = interact.ModalityChat
	}
	if req.Visitor.Name == "" {
		req.Visitor.Name = fmt.Sprintf("Visitor %d", w.counter)
	}
	if req.Origin == "" {
		req.Origin = "https://shop.example.test"
	}
	if req.ContactID == "" {
		req.ContactID = "c"
	}
	t, err := w.eng.StartTask(w.ctx, req)
	if err == nil {
		w.eng.VisitorConnected(t.ID)
	}
	return t, err
}

// openTasks returns how many tasks the store holds open.
func (w *world) openTasks() int {
	w.t.Helper()
	ts, err := w.db.OpenTasks(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	return len(ts)
}
