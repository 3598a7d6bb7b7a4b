package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/routing"
)

// Leaser is the store's lease: AcquireLease takes the named lease for
// holder, or renews it when holder has it, for ttl; ok is false while
// another holder has it. The token grows with every change of holder.
type Leaser interface {
	AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (token int64, ok bool, err error)
	ReleaseLease(ctx context.Context, name, holder string) error
}

// Transport is the bus with request/reply (natsbus.Bus).
type Transport interface {
	interact.Bus
	Request(ctx context.Context, subject string, data []byte) ([]byte, error)
	Handle(subject, queue string, fn func(data []byte) []byte) (interact.Subscription, error)
	Flush() error
}

// Bus subjects of the cluster.
const (
	rpcSubject      = "cluster.rpc"            // routing calls; only the owner answers
	eventSubjects   = "cluster.event.*"        // what every node follows, in order
	ownerSubject    = "cluster.event.owner"    // a new owner announces itself
	presenceSubject = "cluster.event.presence" // agents' presence, for the next owner
	leaseName       = "routing"
)

// Config configures a node. Zero values mean the documented defaults.
type Config struct {
	// NodeID names this node in the lease and in logs. Default: a new id.
	NodeID string
	Bus    Transport
	Lease  Leaser
	// Store and Engine build the routing engine when this node becomes the owner.
	Store  routing.Store
	Engine routing.Config
	Log    *slog.Logger // default slog.Default()
	// LeaseTTL is the lease's lifetime (default 3s); Renew how often it is
	// renewed and heartbeats are sent (default 1s).
	LeaseTTL, Renew time.Duration
	// CallTimeout bounds a routing call, waiting for an owner included
	// (default 10s).
	CallTimeout time.Duration
	// NodeTimeout is how long the owner keeps the connections of a node it
	// does not hear from (default 5s).
	NodeTimeout time.Duration
	// TaskViewTTL is how long a node that is not the owner keeps the
	// owner's answer to Task, dropped earlier by the task's events
	// (default 1s; negative: never kept, nor are the tasks' last views
	// that answer message checks while no owner can).
	TaskViewTTL time.Duration
	// OnOwner, if set, is called when this node becomes the owner (true)
	// or stops being it (false).
	OnOwner func(owner bool)
}

// Node is one interact node of a cluster. Its methods implement the routing
// calls of the web server (web.Router) and are safe for concurrent use.
type Node struct {
	cfg   Config
	id    string
	log   *slog.Logger
	local *localConns

	mu       sync.Mutex
	engine   *routing.Engine // set while this node is the owner
	own      *owner
	epoch    int64     // the lease token of this node's ownership
	validTil time.Time // when this node must have stopped acting as owner
	rpc      interact.Subscription
	watchdog *time.Timer

	syncMu  sync.Mutex
	synced  int64 // the owner epoch this node's connections were last sent to
	closing bool  // no new sync goroutines

	// noOwner is set while no owner can answer this node: no owner
	// answered its last attempt over the bus, or a new owner announced
	// itself and has not answered yet (it is rebuilding its engine).
	noOwner   atomic.Bool
	sub       interact.Subscription
	viewSubs  []interact.Subscription
	views     *taskViews
	ctx       context.Context // ends when the node closes
	cancel    context.CancelFunc
	stop      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup
}

// Start starts a node: it subscribes to the cluster's subjects and begins
// contending for the lease. It does not wait to become the owner.
func Start(cfg Config) (*Node, error) {
	if cfg.Bus == nil || cfg.Lease == nil || cfg.Store == nil {
		return nil, errors.New("cluster: Bus, Lease and Store are required")
	}
	if cfg.NodeID == "" {
		cfg.NodeID = interact.NewID()
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.LeaseTTL == 0 {
		cfg.LeaseTTL = 3 * time.Second
	}
	if cfg.Renew == 0 {
		cfg.Renew = time.Second
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 10 * time.Second
	}
	if cfg.NodeTimeout == 0 {
		cfg.NodeTimeout = 5 * time.Second
	}
	if cfg.TaskViewTTL == 0 {
		cfg.TaskViewTTL = time.Second
	}
	if cfg.Renew >= cfg.LeaseTTL {
		return nil, errors.New("cluster: Renew must be shorter than LeaseTTL")
	}
	n := &Node{cfg: cfg, id: cfg.NodeID, log: cfg.Log.With("node", cfg.NodeID), local: newLocalConns(), stop: make(chan struct{}),
		views: newTaskViews(cfg.TaskViewTTL)}
	n.ctx, n.cancel = context.WithCancel(context.Background())
	if cfg.TaskViewTTL > 0 {
		for subject, fn := range map[string]func(string, []byte){"task.*": n.views.taskEvent, "agent.*": n.views.agentEvent} {
			sub, err := cfg.Bus.Subscribe(subject, fn)
			if err != nil {
				n.unsubscribeViews()
				return nil, err
			}
			n.viewSubs = append(n.viewSubs, sub)
		}
	}
	sub, err := cfg.Bus.Subscribe(eventSubjects, n.event)
	if err != nil {
		n.unsubscribeViews()
		return nil, err
	}
	n.sub = sub
	n.wg.Add(1)
	go n.loop()
	return n, nil
}

// ID is the node's id.
func (n *Node) ID() string { return n.id }

// Owner reports whether this node is the routing owner now.
func (n *Node) Owner() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.engine != nil
}

// Close stops the node. An owner stops its engine and releases the lease,
// so another node takes over at its next try.
func (n *Node) Close() {
	n.closeOnce.Do(n.close)
}

func (n *Node) close() {
	n.syncMu.Lock()
	n.closing = true
	n.syncMu.Unlock()
	close(n.stop)
	n.cancel()
	n.wg.Wait()
	n.sub.Unsubscribe()
	n.unsubscribeViews()
	if n.stepDown("shutting down") {
		ctx, cancel := context.WithTimeout(context.Background(), n.cfg.Renew)
		defer cancel()
		if err := n.cfg.Lease.ReleaseLease(ctx, leaseName, n.id); err != nil {
			n.log.Warn("release routing lease", "err", err)
		}
	}
}

func (n *Node) unsubscribeViews() {
	for _, s := range n.viewSubs {
		s.Unsubscribe()
	}
}

// loop renews the lease and sends heartbeats.
func (n *Node) loop() {
	defer n.wg.Done()
	t := time.NewTicker(n.cfg.Renew)
	defer t.Stop()
	for {
		n.renew()
		n.heartbeat()
		select {
		case <-n.stop:
			return
		case <-t.C:
		}
	}
}

// renew takes or renews the lease and starts or stops the engine to match.
func (n *Node) renew() {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.Renew)
	token, ok, err := n.cfg.Lease.AcquireLease(ctx, leaseName, n.id, n.cfg.LeaseTTL)
	cancel()
	n.mu.Lock()
	owner, epoch := n.engine != nil, n.epoch
	if ok && owner && token == epoch {
		n.extend(start)
	}
	n.mu.Unlock()
	switch {
	case err != nil:
		n.log.Warn("routing lease", "err", err) // the watchdog stops an owner in time
	case !ok && owner:
		n.stepDown("another node holds the lease")
	case ok && owner && token != epoch:
		n.stepDown("the lease changed hands") // someone held it in between
		n.takeOver(start, token)
	case ok && !owner:
		n.takeOver(start, token)
	}
}

// extend moves the end of this node's ownership after a renewal that
// started at start. Called with n.mu held.
func (n *Node) extend(start time.Time) {
	n.validTil = start.Add(n.cfg.LeaseTTL - n.cfg.LeaseTTL/6)
	d := time.Until(n.validTil)
	if n.watchdog == nil {
		n.watchdog = time.AfterFunc(d, n.expire)
	} else {
		n.watchdog.Reset(d)
	}
}

// fenced stops the owner of tenure token, whose write the store refused
// because the lease changed hands.
func (n *Node) fenced(token int64) {
	n.mu.Lock()
	current := n.engine != nil && n.epoch == token
	n.mu.Unlock()
	if current {
		n.stepDown("the store refused a write: the lease changed hands")
	}
}

// expire stops an owner whose lease was not renewed in time.
func (n *Node) expire() {
	n.mu.Lock()
	late := n.engine != nil && !time.Now().Before(n.validTil)
	n.mu.Unlock()
	if late {
		n.stepDown("could not renew the lease in time")
	}
}

// takeOver makes this node the owner: announce, rebuild the engine from the
// store, then answer calls. Until it answers, this node's message checks
// answer from the tasks' last views (Node.Task), as every other node's do.
func (n *Node) takeOver(start time.Time, token int64) {
	n.noOwner.Store(true)
	n.publish(ownerSubject, ownerNote{Node: n.id, Epoch: token})
	own := newOwner(n, token)
	store := fencedStore{Store: n.cfg.Store, token: token, lost: func() { n.fenced(token) }}
	eng := routing.New(n.cfg.Engine, store, &ownerPublisher{bus: n.cfg.Bus, own: own, log: n.log})
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.LeaseTTL)
	err := eng.Recover(ctx)
	cancel()
	if err != nil {
		eng.Close()
		n.log.Error("routing owner: recover", "err", err)
		return
	}
	// Answer calls before counting as the owner; until then they are
	// refused as "not the owner" and retried.
	rpc, err := n.cfg.Bus.Handle(rpcSubject, "owner", n.serve)
	if err == nil {
		err = n.cfg.Bus.Flush()
	}
	if err != nil {
		eng.Close()
		if rpc != nil {
			rpc.Unsubscribe()
		}
		n.log.Error("routing owner: answer calls", "err", err)
		return
	}
	// This node's own connections, as every other node sends its own.
	snap := n.local.snapshot()
	sctx, scancel := context.WithTimeout(context.Background(), n.cfg.LeaseTTL)
	own.sync(sctx, eng, n.id, &snap)
	scancel()
	n.mu.Lock()
	n.extend(start)
	if !time.Now().Before(n.validTil) {
		n.mu.Unlock()
		rpc.Unsubscribe()
		eng.Close()
		n.log.Warn("routing owner: recovering took longer than the lease")
		return
	}
	n.engine, n.own, n.epoch, n.rpc = eng, own, token, rpc
	n.mu.Unlock()
	n.views.reset() // the engine answers from now on
	n.syncMu.Lock()
	n.synced = max(n.synced, token)
	n.syncMu.Unlock()
	n.log.Info("routing owner", "epoch", token, "took", time.Since(start).Round(time.Millisecond))
	if n.cfg.OnOwner != nil {
		n.cfg.OnOwner(true)
	}
}

// stepDown stops acting as owner; it reports whether this node was one.
func (n *Node) stepDown(why string) bool {
	n.mu.Lock()
	eng, rpc := n.engine, n.rpc
	n.engine, n.own, n.rpc = nil, nil, nil
	if n.watchdog != nil {
		n.watchdog.Stop()
	}
	n.mu.Unlock()
	if eng == nil {
		return false
	}
	if rpc != nil {
		rpc.Unsubscribe()
	}
	eng.Close()
	n.noOwner.Store(true)
	n.views.reset()
	n.log.Warn("routing owner: stepped down", "why", why)
	if n.cfg.OnOwner != nil {
		n.cfg.OnOwner(false)
	}
	return true
}

// ownerNote announces a new owner.
type ownerNote struct {
	Node  string `json:"node"`
	Epoch int64  `json:"epoch"`
}

// event handles the cluster subjects, in order.
func (n *Node) event(subject string, data []byte) {
	switch subject {
	case ownerSubject:
		var o ownerNote
		// The new owner rebuilds its engine from the store: forget the old
		// one's fresh answers, and answer the checks of open tasks from
		// their last views until it answers (Node.Task).
		n.noOwner.Store(true)
		n.views.flush()
		if json.Unmarshal(data, &o) == nil && o.Node != n.id {
			// Snapshot now, before the new owner's engine publishes anything.
			n.goSync(o.Epoch, n.local.snapshot(), false)
		}
	case presenceSubject:
		var p presenceNote
		if json.Unmarshal(data, &p) == nil {
			n.local.setPresence(p.UserID, presence{Presence: p.Presence, Reason: p.Reason})
		}
	}
}

func (n *Node) publish(subject string, v any) {
	b, _ := json.Marshal(v)
	if err := n.cfg.Bus.Publish(subject, b); err != nil {
		n.log.Warn("cluster publish", "subject", subject, "err", err)
	}
}

// heartbeat tells the owner this node is alive, and sends the node's
// connections again when the owner does not know them.
func (n *Node) heartbeat() {
	n.mu.Lock()
	own := n.own
	n.mu.Unlock()
	if own != nil {
		own.sweep()
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), n.cfg.Renew)
	defer cancel()
	var hb heartbeatReply
	if err := n.forward(ctx, request{Op: opHeartbeat}, &hb, false); err != nil {
		return // no owner yet: the announcement or the next beat syncs
	}
	n.syncMu.Lock()
	stale := !hb.Known || hb.Epoch != n.synced
	n.syncMu.Unlock()
	if stale {
		n.goSync(hb.Epoch, n.local.snapshot(), true)
	}
}

// goSync runs syncTo on a goroutine that Close waits for.
func (n *Node) goSync(epoch int64, s syncState, force bool) {
	n.syncMu.Lock()
	defer n.syncMu.Unlock()
	if n.closing {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.syncTo(epoch, s, force)
	}()
}

// syncTo sends this node's connections to the owner of epoch, retrying
// until an owner answers. Unless force, an owner already synced is skipped.
func (n *Node) syncTo(epoch int64, s syncState, force bool) {
	n.syncMu.Lock()
	done := n.synced >= epoch
	n.syncMu.Unlock()
	if done && !force {
		return
	}
	var got heartbeatReply
	if err := n.call(n.ctx, request{Op: opSync, Sync: &s}, &got); err != nil {
		n.log.Warn("send connections to the routing owner", "err", err)
		return
	}
	n.syncMu.Lock()
	n.synced = max(n.synced, got.Epoch)
	n.syncMu.Unlock()
	n.log.Info("connections sent to the routing owner", "epoch", got.Epoch, "connections", len(s.Conns))
}
