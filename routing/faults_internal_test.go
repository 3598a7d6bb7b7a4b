package routing

// Tests of the engine against a store that is slow or fails: a real
// SQLite store wrapped by faultyStore. They are internal tests, for the
// lock hook and the engine's own maps; none runs in parallel, since the
// lock hook is global.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/chatlog"
	"github.com/interact-oss/interact/sqlstore"
)

// faultyStore is the real store, with faults injected: calls of one tenant
// held until released, saves failing, and a record of every call made by
// a goroutine that holds the engine's lock.
type faultyStore struct {
	Store
	eng *Engine // set before the engine is used

	mu         sync.Mutex
	holdTenant string        // calls of this tenant wait for hold to close
	hold       chan struct{} // nil: none held
	entered    chan string   // a held call's method, when it starts waiting
	failSaves  int           // the next failSaves saves fail
	blockSave  chan struct{} // the next save waits for it to close, then fails
	saveWaits  chan struct{} // told when the blocked save waits
	underLock  []string      // store calls made under the engine lock
}

var errInjected = errors.New("injected store failure")

// call records a call made under the engine lock and holds a held
// tenant's call.
func (f *faultyStore) call(method, tenantID string) {
	if holder, ok := lockHolders.Load(f.eng); ok && holder.(int64) == goid() {
		f.mu.Lock()
		f.underLock = append(f.underLock, method)
		f.mu.Unlock()
	}
	f.mu.Lock()
	hold := f.hold
	held := hold != nil && tenantID == f.holdTenant
	f.mu.Unlock()
	if held {
		f.entered <- method
		<-hold
	}
}

func (f *faultyStore) CreateTask(ctx context.Context, t *interact.Task, resumeHash string) error {
	f.call("CreateTask", t.TenantID)
	return f.Store.CreateTask(ctx, t, resumeHash)
}

func (f *faultyStore) SaveRouting(ctx context.Context, tasks []*interact.Task, offers []*interact.Offer) error {
	tenant := ""
	if len(tasks) > 0 {
		tenant = tasks[0].TenantID
	} else if len(offers) > 0 {
		tenant = offers[0].TenantID
	}
	f.call("SaveRouting", tenant)
	f.mu.Lock()
	fail := f.failSaves > 0
	if fail {
		f.failSaves--
	}
	block, waits := f.blockSave, f.saveWaits
	f.blockSave = nil
	f.mu.Unlock()
	if block != nil {
		waits <- struct{}{}
		<-block
		return errInjected
	}
	if fail {
		return errInjected
	}
	return f.Store.SaveRouting(ctx, tasks, offers)
}

func (f *faultyStore) OpenTasks(ctx context.Context) ([]interact.Task, error) {
	f.call("OpenTasks", "")
	return f.Store.OpenTasks(ctx)
}

func (f *faultyStore) OpenOffers(ctx context.Context) ([]interact.Offer, error) {
	f.call("OpenOffers", "")
	return f.Store.OpenOffers(ctx)
}

func (f *faultyStore) MaxQueueSeq(ctx context.Context) (int64, error) {
	f.call("MaxQueueSeq", "")
	return f.Store.MaxQueueSeq(ctx)
}

func (f *faultyStore) RoutingService(ctx context.Context, tenantID, serviceID string) (*interact.Service, []interact.RoutingMember, error) {
	f.call("RoutingService", tenantID)
	return f.Store.RoutingService(ctx, tenantID, serviceID)
}

func (f *faultyStore) RoutingUser(ctx context.Context, tenantID, userID string) (*interact.User, error) {
	f.call("RoutingUser", tenantID)
	return f.Store.RoutingUser(ctx, tenantID, userID)
}

func (f *faultyStore) AgentServices(ctx context.Context, tenantID, userID string) ([]string, error) {
	f.call("AgentServices", tenantID)
	return f.Store.AgentServices(ctx, tenantID, userID)
}

// lockHolders maps an engine to the goroutine holding its lock, while the
// tests of this file run.
var lockHolders sync.Map

func goid() int64 {
	var buf [64]byte
	f := strings.Fields(string(buf[:runtime.Stack(buf[:], false)])) // "goroutine 42 [running]: ..."
	id, _ := strconv.ParseInt(f[1], 10, 64)
	return id
}

func watchLocks(t *testing.T) {
	hook := func(e *Engine, held bool) {
		if held {
			lockHolders.Store(e, goid())
		} else {
			lockHolders.Delete(e)
		}
	}
	lockHook.Store(&hook)
	t.Cleanup(func() { lockHook.Store(nil) })
}

// eventLog is a Publisher that keeps the events.
type eventLog struct {
	mu     sync.Mutex
	events []logged
}

type logged struct {
	subject, typ string
	data         map[string]any
}

func (l *eventLog) Publish(subject string, data []byte) error {
	var f struct {
		Type string         `json:"type"`
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal(data, &f); err != nil {
		return err
	}
	l.mu.Lock()
	l.events = append(l.events, logged{subject, f.Type, f.Data})
	l.mu.Unlock()
	return nil
}

// offerFor returns the id of the latest offer of taskID to userID.
func (l *eventLog) offerFor(userID, taskID string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.events) - 1; i >= 0; i-- {
		ev := l.events[i]
		if task, _ := ev.data["task"].(map[string]any); ev.subject == interact.AgentSubject(userID) && ev.typ == "offer" && task["id"] == taskID {
			return ev.data["offerId"].(string)
		}
	}
	return ""
}

// faultWorld is tenants with a service and agents each, on a faulty store.
type faultWorld struct {
	t       *testing.T
	ctx     context.Context
	db      *sqlstore.DB
	store   *faultyStore
	clock   *ManualClock
	pub     *eventLog
	eng     *Engine
	tenants []*faultTenant
}

type faultTenant struct {
	admin  interact.Actor
	svc    *interact.Service
	agents []*interact.User
}

func newFaultWorld(t *testing.T, tenants, agents int) *faultWorld {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "f.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &faultWorld{t: t, ctx: ctx, db: db, store: &faultyStore{Store: db, entered: make(chan string, 16)},
		clock: NewManualClock(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)), pub: &eventLog{}}
	for i := range tenants {
		tn, admin, err := db.CreateTenant(ctx, interact.System, interact.NewTenant{
			Tenant:     interact.Tenant{Name: fmt.Sprintf("T%d", i), InteractEnabled: true, IMEnabled: true},
			AdminEmail: fmt.Sprintf("admin@t%d.example.test", i), AdminPassword: "admin-password",
		})
		if err != nil {
			t.Fatal(err)
		}
		ft := &faultTenant{admin: interact.Actor{UserID: admin.ID, TenantID: tn.ID, Email: admin.Email, Roles: admin.Roles}}
		w.tenants = append(w.tenants, ft)
		ft.svc = w.service(ft, "Support", interact.Distribution{Type: interact.DistributeDirect})
		for j := range agents {
			u, err := db.CreateUser(ctx, ft.admin, interact.User{Email: fmt.Sprintf("agent%d@t%d.example.test", j, i), Name: fmt.Sprintf("Agent %d.%d", i, j),
				OUID: admin.OUID, Licenses: interact.Licenses{ContactCenter: true, InstantMessaging: true}}, "agent-password")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.PutMember(ctx, ft.admin, ft.svc.ID, u.ID, true); err != nil {
				t.Fatal(err)
			}
			ft.agents = append(ft.agents, u)
		}
	}
	w.eng = w.engine()
	return w
}

func (w *faultWorld) service(ft *faultTenant, name string, d interact.Distribution) *interact.Service {
	w.t.Helper()
	ous, err := w.db.OUs(w.ctx, ft.admin)
	if err != nil {
		w.t.Fatal(err)
	}
	s, err := w.db.CreateService(w.ctx, ft.admin, interact.Service{Name: name, OUID: ous[0].ID, License: interact.LicenseContactCenter,
		InteractLicense: true, Distribution: d})
	if err != nil {
		w.t.Fatal(err)
	}
	return s
}

// engine makes and recovers an engine on the faulty store.
func (w *faultWorld) engine() *Engine {
	w.t.Helper()
	e := New(Config{Transcript: chatlog.New(w.db, w.pub, nil), Clock: w.clock, AgentGrace: 10 * time.Second}, w.store, w.pub)
	w.store.eng = e
	if err := e.Recover(w.ctx); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(e.Close)
	return e
}

func (w *faultWorld) online(userID, tenantID string) {
	w.t.Helper()
	if _, err := w.eng.AgentConnected(w.ctx, tenantID, userID); err != nil {
		w.t.Fatal(err)
	}
	if err := w.eng.SetPresence(w.ctx, userID, interact.PresenceAvailable, ""); err != nil {
		w.t.Fatal(err)
	}
	w.clock.Advance(time.Second) // distinct idle times
}

func (w *faultWorld) start(tenantID, serviceID, directUserID string) (*interact.Task, error) {
	t, err := w.eng.StartTask(w.ctx, interact.StartRequest{TenantID: tenantID, ServiceID: serviceID, DirectUserID: directUserID,
		ContactID: "c", Modality: interact.ModalityChat, Visitor: interact.Visitor{Name: "Visitor"}, Origin: "https://shop.example.test"})
	if err == nil {
		w.eng.VisitorConnected(t.ID)
	}
	return t, err
}

// settle waits until no commit and no rebuild is in flight. Only while
// the test drives the engine from one goroutine.
func (w *faultWorld) settle() { w.eng.committer.Wait() }

// failSaves makes the next n saves fail.
func (w *faultWorld) failSaves(n int) {
	w.store.mu.Lock()
	w.store.failSaves = n
	w.store.mu.Unlock()
}

// noCallUnderLock fails the test when the engine called the store under
// its lock.
func (w *faultWorld) noCallUnderLock() {
	w.t.Helper()
	w.store.mu.Lock()
	defer w.store.mu.Unlock()
	if len(w.store.underLock) > 0 {
		w.t.Fatalf("store calls under the engine lock: %v", w.store.underLock)
	}
}

// consistent checks that the engine's view of open tasks, queues, offers
// and agents' tasks is what the store holds.
func (w *faultWorld) consistent() {
	w.t.Helper()
	w.settle()
	tasks, err := w.db.OpenTasks(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	offers, err := w.db.OpenOffers(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	ringing := map[string]int{} // per task and per agent
	var ringIDs []string
	for _, o := range offers {
		if o.Outcome == "" {
			ringing[o.TaskID]++
			ringing[o.AgentID]++
			ringIDs = append(ringIDs, o.ID)
		}
	}
	w.eng.lock()
	open, engOffers := len(w.eng.tasks), slices.Sorted(maps.Keys(w.eng.offers))
	w.eng.unlock()
	if open != len(tasks) {
		w.t.Fatalf("engine has %d open tasks, the store %d", open, len(tasks))
	}
	if slices.Sort(ringIDs); !slices.Equal(engOffers, ringIDs) {
		w.t.Fatalf("engine rings offers %v, the store %v", engOffers, ringIDs)
	}
	waiting := map[string][]interact.Task{}
	byAgent := map[string][]string{}
	for _, st := range tasks {
		v, ok := w.eng.Task(st.ID)
		if !ok || v.State != st.State || v.AgentID != st.AgentID || v.ServiceID != st.ServiceID || v.QueueSeq != st.QueueSeq {
			w.t.Fatalf("task %s: engine %+v (open %v), store %+v", st.ID, v.Task, ok, st)
		}
		if st.State == interact.TaskWaiting {
			waiting[st.ServiceID] = append(waiting[st.ServiceID], st)
		} else {
			byAgent[st.AgentID] = append(byAgent[st.AgentID], st.ID)
		}
	}
	for _, ft := range w.tenants {
		q, err := w.eng.Queue(w.ctx, ft.svc.TenantID, ft.svc.ID)
		if err != nil {
			w.t.Fatal(err)
		}
		want := waiting[ft.svc.ID]
		sort.Slice(want, func(i, j int) bool { return want[i].QueueSeq < want[j].QueueSeq })
		if len(q.Waiting) != len(want) {
			w.t.Fatalf("queue %s: engine %d waiting, store %d", ft.svc.Name, len(q.Waiting), len(want))
		}
		for i, wt := range q.Waiting {
			if wt.ID != want[i].ID || wt.Ringing != ringing[wt.ID] {
				w.t.Fatalf("queue %s at %d: engine %s ringing %d, store %s ringing %d", ft.svc.Name, i, wt.ID, wt.Ringing, want[i].ID, ringing[want[i].ID])
			}
		}
		for _, a := range ft.agents {
			got := w.eng.AgentTasks(a.ID)
			slices.Sort(got)
			slices.Sort(byAgent[a.ID])
			if !slices.Equal(got, byAgent[a.ID]) {
				w.t.Fatalf("agent %s: engine tasks %v, store %v", a.Name, got, byAgent[a.ID])
			}
			if v, ok := w.eng.Agent(a.ID); ok && v.Ringing != ringing[a.ID] {
				w.t.Fatalf("agent %s: engine rings %d, store %d", a.Name, v.Ringing, ringing[a.ID])
			}
		}
	}
}
