// Package routing is interact's routing engine: it queues tasks per service,
// decides which agent is offered which task (broadcast, direct or pickup
// distribution), and runs the timers around it — ring timeout, RONA,
// after-call work, max wait in queue, agent reconnect grace — down to each
// task's single outcome.
//
// The engine keeps its working state in memory and writes every transition
// to the store before it publishes the matching event on the bus, so all of
// it can be rebuilt from the store (Recover) after a crash. Decisions are
// made under one lock, which is never held across I/O: what they need from
// the store is cached beforehand (cache.go), and the writes and the
// publishing happen after it is released, in the order of the decisions
// (commit.go); a call returns once its own are done. When a write fails,
// the engine rebuilds its state from the store (rebuild.go). It does not
// speak WebSocket or HTTP: realtime and web call its methods and relay the
// events it publishes.
//
// Events are published as JSON frames {"type","data"} on these subjects:
// task.<taskID> (the visitor's view of a task, and its messages),
// agent.<userID> (offers, assignments and the agent's state) and
// service.<serviceID> (queue changes, for pickup lists and supervisors).
package routing

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/interact-oss/interact"
)

// Store is what the engine needs of the store.
type Store interface {
	CreateTask(ctx context.Context, t *interact.Task, resumeHash string) error
	SaveRouting(ctx context.Context, tasks []*interact.Task, offers []*interact.Offer) error
	OpenTasks(ctx context.Context) ([]interact.Task, error)
	OpenOffers(ctx context.Context) ([]interact.Offer, error)
	// TaskEvents returns the events of tasks (interact.TaskEvent), by task
	// in sequence order.
	TaskEvents(ctx context.Context, taskIDs []string) (map[string][]interact.Message, error)
	MaxQueueSeq(ctx context.Context) (int64, error)
	RoutingService(ctx context.Context, tenantID, serviceID string) (*interact.Service, []interact.RoutingMember, error)
	RoutingUser(ctx context.Context, tenantID, userID string) (*interact.User, error)
	AgentServices(ctx context.Context, tenantID, userID string) ([]string, error)
}

// Transcript commits a task's messages and then publishes them, in order
// per task (chatlog.Log): the engine's system messages go through the same
// log as the parties' messages.
type Transcript interface {
	Append(ctx context.Context, m interact.Message) (interact.Message, bool, error)
}

// Publisher is where events go: the bus.
type Publisher interface {
	Publish(subject string, data []byte) error
}

// Config configures the engine. Zero values mean the documented defaults.
type Config struct {
	// Transcript receives the engine's system messages; required.
	Transcript Transcript
	Clock      Clock        // default: the real clock
	Log        *slog.Logger // default: slog.Default()
	// ChatCapacity and CallCapacity are how many chats and calls an agent
	// handles at once (defaults 3 and 1). A call blocks new offers.
	ChatCapacity, CallCapacity int
	// BroadcastSize is how many agents a broadcast offer rings (default 10).
	BroadcastSize int
	// AgentGrace is how long an agent may be disconnected before their
	// tasks are re-queued (default 30s).
	AgentGrace time.Duration
	// VisitorGrace is how long a task may have no visitor connection
	// before it ends as if the visitor left (default 2m).
	VisitorGrace time.Duration
	// FirstConnectGrace is how long a new task waits for its visitor's
	// first connection before it ends (default 15s): a task nobody opened
	// must not hold a service's capacity for long.
	FirstConnectGrace time.Duration
	// AddressShare is the part (0 to 1] of a service's open chats one
	// client address may hold (default 0.5).
	AddressShare float64
	// DirectMaxWait bounds the wait of a direct (user) contact (default 5m).
	DirectMaxWait time.Duration
	// DefaultWait is the estimated wait per queue position before any task
	// of the service has been answered (default 60s).
	DefaultWait time.Duration
	// PositionHead is how many tasks at the front of a queue learn a new
	// position or estimate with the change that caused it (default 50);
	// a task joining the queue learns its place at once too. The tasks
	// behind them are told at most once per PositionInterval (default 1s),
	// so a change in a long queue does not cost an event per waiting task.
	PositionHead     int
	PositionInterval time.Duration
}

// Engine routes tasks. Its methods are safe for concurrent use.
type Engine struct {
	cfg   Config
	store Store
	pub   Publisher
	clock Clock
	log   *slog.Logger

	// mu guards the routing state. Nothing holding it does I/O: services
	// and agents are loaded before it is taken (cache.go), changes are
	// saved after it is released (commit.go).
	mu       sync.Mutex
	tasks    map[string]*task    // open tasks
	offers   map[string]*offer   // ringing offers
	agents   map[string]*agent   // agents seen since start
	queues   map[string]*queue   // by queue key: a service id, or "user:"+id for direct contacts
	services map[string]*service // cache of service settings and members (cache.go)
	absent   map[string]bool     // tenantID+"/"+serviceID: the store said there is no such service
	cacheGen map[string]uint64   // per tenant, counts invalidations: a load older than one is not installed
	// freeChat and freeCall are the agents who may be selectable for a
	// chat and for a call (agent.go, index).
	freeChat, freeCall map[*agent]struct{}
	// openChats counts the open chat tasks per queue key (countOpen).
	openChats map[string]int
	// openByAddr counts them per queue key and client address (countOpen).
	openByAddr map[string]int
	// reachVersion counts changes to agents' reachability (reachChanged).
	reachVersion int64
	queueSeq     int64
	closed       bool
	// graceUntil holds back the "no agent" overflow after a restart while
	// agents reconnect.
	graceUntil time.Time

	// epoch counts the states the engine built from the store: a rebuild
	// (rebuild.go) starts a new one. rebuilding is non-nil while a rebuild
	// runs, and closed when it is done; operations wait for it.
	epoch      int64
	rebuilding chan struct{}
	// stopped ends with Close: a rebuild stops retrying.
	stopped context.Context
	stop    context.CancelFunc

	// The committer saves and publishes changes in order (commit.go).
	cmu        sync.Mutex
	pending    []*commit
	committing bool
	committer  sync.WaitGroup // the committer and a running rebuild
	// failedEpoch is the latest epoch in which a save failed; only the
	// committer (one at a time, handed over under cmu) uses it.
	failedEpoch int64
	// failures counts failed saves since the last good one, for the
	// rebuild's backoff.
	failures atomic.Int32
}

// New returns an engine. Call Recover before serving.
func New(cfg Config, store Store, pub Publisher) *Engine {
	if cfg.Transcript == nil {
		panic("routing: Config.Transcript is required")
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.ChatCapacity == 0 {
		cfg.ChatCapacity = 3
	}
	if cfg.CallCapacity == 0 {
		cfg.CallCapacity = 1
	}
	if cfg.BroadcastSize == 0 {
		cfg.BroadcastSize = 10
	}
	if cfg.AgentGrace == 0 {
		cfg.AgentGrace = 30 * time.Second
	}
	if cfg.VisitorGrace == 0 {
		cfg.VisitorGrace = 2 * time.Minute
	}
	if cfg.FirstConnectGrace == 0 {
		cfg.FirstConnectGrace = 15 * time.Second
	}
	if cfg.AddressShare <= 0 || cfg.AddressShare > 1 {
		cfg.AddressShare = 0.5
	}
	if cfg.DirectMaxWait == 0 {
		cfg.DirectMaxWait = 5 * time.Minute
	}
	if cfg.DefaultWait == 0 {
		cfg.DefaultWait = time.Minute
	}
	if cfg.PositionHead == 0 {
		cfg.PositionHead = 50
	}
	if cfg.PositionInterval == 0 {
		cfg.PositionInterval = time.Second
	}
	stopped, stop := context.WithCancel(context.Background())
	return &Engine{
		cfg: cfg, store: store, pub: pub, clock: cfg.Clock, log: cfg.Log,
		tasks: map[string]*task{}, offers: map[string]*offer{}, agents: map[string]*agent{},
		queues: map[string]*queue{}, services: map[string]*service{}, absent: map[string]bool{}, cacheGen: map[string]uint64{},
		freeChat: map[*agent]struct{}{}, freeCall: map[*agent]struct{}{}, openChats: map[string]int{}, openByAddr: map[string]int{},
		epoch: 1, stopped: stopped, stop: stop,
	}
}

// lock and unlock take and release e.mu, telling lockHook.
func (e *Engine) lock() {
	e.mu.Lock()
	if h := lockHook.Load(); h != nil {
		(*h)(e, true)
	}
}

func (e *Engine) unlock() {
	if h := lockHook.Load(); h != nil {
		(*h)(e, false)
	}
	e.mu.Unlock()
}

// lockHook, when set (by tests, to prove that no store call happens under
// the lock), is told whenever an engine's lock is taken and released, on
// the goroutine that does it.
var lockHook atomic.Pointer[func(e *Engine, held bool)]

// change collects what one operation changed: saved together, then published.
type change struct {
	tasks     map[*task]bool
	offers    map[*offer]bool
	events    []event
	sys       []sysMessage
	queues    map[string]bool // queue keys to dispatch and to announce positions for
	tailDue   map[string]bool // queue keys whose full round of positions is due
	positions []position      // task.queue events, published after the others
}

type event struct {
	subject string
	typ     string
	data    any
}

// sysMessage is a system message of task t: a text, or an event (of its
// call).
type sysMessage struct {
	t     *task
	text  string
	event *interact.TaskEvent
}

func newChange() *change {
	return &change{tasks: map[*task]bool{}, offers: map[*offer]bool{}, queues: map[string]bool{}}
}

func (c *change) task(t *task)   { c.tasks[t] = true }
func (c *change) offer(o *offer) { c.offers[o] = true }
func (c *change) emit(subject, typ string, data any) {
	if subject == noService {
		return // a direct contact's task: no service watches it
	}
	c.events = append(c.events, event{subject, typ, data})
}

// noService is the subject of a task without a service.
var noService = interact.ServiceSubject("")

// do runs fn under the engine lock, dispatches the queues it touched and
// hands the result to the committer; it returns once the changes are saved
// and their events published. Store writes and publishing run outside the
// lock, in the order the changes were made. While the engine rebuilds its
// state after a failed save, do waits for it (or for ctx); an operation
// whose own changes were not saved returns once the rebuild is done, so
// that a retry sees the state the store holds.
func (e *Engine) do(ctx context.Context, fn func(c *change) error) error {
	return e.run(ctx, false, fn)
}

// run is do; the rebuild runs with rebuild true, which does not wait for
// itself.
func (e *Engine) run(ctx context.Context, rebuild bool, fn func(c *change) error) error {
	if err := e.lockOpen(ctx, rebuild); err != nil {
		return err
	}
	observe := lockObserver.Load()
	var start time.Time
	if observe != nil {
		start = time.Now()
	}
	c := newChange()
	if err := fn(c); err != nil {
		e.unlock()
		return err
	}
	cm := e.finish(c)
	if observe != nil {
		(*observe)(time.Since(start))
	}
	e.unlock()
	err := <-cm.done
	if err != nil && !rebuild && e.lockOpen(ctx, false) == nil {
		e.unlock()
	}
	return err
}

// lockOpen takes the engine lock once no rebuild runs (at once for the
// rebuild itself). It fails when the engine is closed, or with a
// retryable error when ctx ends first.
func (e *Engine) lockOpen(ctx context.Context, rebuild bool) error {
	e.lock()
	for {
		if e.closed {
			e.unlock()
			return errShutDown
		}
		if rebuild || e.rebuilding == nil {
			return nil
		}
		wait := e.rebuilding
		e.unlock()
		select {
		case <-wait:
		case <-ctx.Done():
			return errRebuilding
		}
		e.lock()
	}
}

var (
	errShutDown   = interact.Errorf(interact.EINTERNAL, "The routing engine is shut down.")
	errRebuilding = interact.Errorf(interact.EINTERNAL, "The routing engine is reloading its state after a storage failure; please try again.")
)

// timerTimeout bounds an operation a timer runs: it may have to wait for
// a rebuild, and no timer should wait for ever.
const timerTimeout = 10 * time.Second

// fire runs fn as an operation from a timer callback.
func (e *Engine) fire(fn func(c *change) error) {
	ctx, cancel := context.WithTimeout(context.Background(), timerTimeout)
	defer cancel()
	if err := e.do(ctx, fn); err != nil && !errors.Is(err, errShutDown) {
		e.log.Warn("routing timer", "err", err)
	}
}

// lockObserver, when set (by benchmarks), is told how long each operation
// held the engine lock.
var lockObserver atomic.Pointer[func(time.Duration)]

// finish dispatches the touched queues, announces queue positions and
// queues the commit. Called with e.mu held.
func (e *Engine) finish(c *change) *commit {
	for i := 0; i < 4 && len(c.queues) > 0; i++ { // dispatch can itself touch queues (overflow by transfer)
		keys := e.byHeadPriority(c.queues)
		c.queues = map[string]bool{}
		for _, k := range keys {
			e.dispatch(k, c)
		}
		for _, k := range keys {
			e.announce(k, c, false)
		}
	}
	for k := range c.tailDue {
		e.announce(k, c, true)
	}
	cm := &commit{done: make(chan error, 1), epoch: e.epoch, events: c.events, positions: c.positions}
	if len(c.tasks) > 0 {
		cm.tasks = make([]interact.Task, 0, len(c.tasks))
		for t := range c.tasks {
			cm.tasks = append(cm.tasks, t.Task)
		}
	}
	if len(c.offers) > 0 {
		cm.offers = make([]interact.Offer, 0, len(c.offers))
		for o := range c.offers {
			cm.offers = append(cm.offers, o.Offer)
		}
	}
	if len(c.sys) > 0 {
		at := e.clock.Now().UTC()
		for _, m := range c.sys {
			if m.text != "" || m.event != nil {
				cm.sys = append(cm.sys, interact.Message{TaskID: m.t.ID, ClientID: "sys-" + interact.NewID(),
					From: interact.FromSystem, Text: m.text, Event: m.event, At: at})
			}
		}
	}
	e.submit(cm)
	return cm
}

// byHeadPriority orders queue keys by their first waiting task, so that an
// agent who serves several services takes the most urgent task first.
func (e *Engine) byHeadPriority(set map[string]bool) []string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	head := func(k string) *task {
		if q, ok := e.queues[k]; ok && len(q.tasks) > 0 {
			return q.tasks[0]
		}
		return nil
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := head(keys[i]), head(keys[j])
		switch {
		case a == nil || b == nil:
			return a != nil
		default:
			return less(a, b)
		}
	})
	return keys
}

// Close stops every timer and waits until the changes made so far are
// saved and published. The engine refuses work afterwards.
func (e *Engine) Close() {
	e.lock()
	e.closed = true
	e.stop()
	e.stopTimers()
	e.unlock()
	e.committer.Wait()
}

// stopTimers stops the timers of every task, offer, agent and queue.
func (e *Engine) stopTimers() {
	e.stopStateTimers()
	for _, a := range e.agents {
		a.stopTimers()
	}
}

// stopStateTimers stops the timers of tasks, offers and queues: the state
// a rebuild replaces.
func (e *Engine) stopStateTimers() {
	for _, t := range e.tasks {
		t.stopTimers()
	}
	for _, o := range e.offers {
		o.stopTimer()
	}
	for _, q := range e.queues {
		if q.tailTimer != nil {
			q.tailTimer.Stop()
			q.tailTimer = nil
		}
	}
}
