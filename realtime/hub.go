// Package realtime is interact's WebSocket layer: it upgrades connections,
// reads frames only while they arrive (one poller watches the idle
// connections; a reader goroutine runs while data comes in), runs a writer
// only while there is something to send, pings every connection from one
// shared ticker, and fans bus events out to the connections subscribed to their
// subjects. What the frames mean is the business of a Handler (web's
// visitor and agent protocols, docs/protocol.md).
package realtime

import (
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/interact-oss/interact"
)

// Handler gives a connection its meaning.
type Handler interface {
	// Frame handles one incoming frame, on the connection's reader goroutine.
	Frame(c *Conn, f interact.Frame)
	// Closed runs once when the connection is gone.
	Closed(c *Conn)
}

// Observer is a Handler that sees each bus event before it is sent to its
// connection, and may drop it by returning false.
type Observer interface {
	Event(c *Conn, subject string, frame []byte) bool
}

// Config tunes the hub. Zero values mean the documented defaults.
type Config struct {
	ReadLimit    int64         // largest incoming frame in bytes; default 16 KiB
	PingInterval time.Duration // default 25s
	PongWait     time.Duration // a connection silent this long is closed; default 60s
	WriteTimeout time.Duration // default 10s
	QueueSize    int           // frames waiting per connection before it is closed as too slow; default 256
	FrameLimit   int           // frames a client may send per FrameWindow; default 120
	FrameWindow  time.Duration // default 10s
	Log          *slog.Logger
}

// Hub owns every connection of this node.
type Hub struct {
	cfg      Config
	log      *slog.Logger
	upgrader websocket.Upgrader
	subs     []interact.Subscription

	poll *poller // nil where connections are read by a goroutine each

	mu     sync.RWMutex
	routes map[string][]*Conn // subject → connections
	conns  map[*Conn]struct{}

	stop       chan struct{}
	done       chan struct{}
	framesIn   atomic.Int64
	framesOut  atomic.Int64
	slowClosed atomic.Int64
	nextSlot   atomic.Int64 // connections take ping slots in turn
}

// NewHub returns a hub relaying the bus subjects task.>, agent.> and
// service.> to subscribed connections.
func NewHub(cfg Config, bus interact.Bus) (*Hub, error) {
	if cfg.ReadLimit == 0 {
		cfg.ReadLimit = 16 << 10
	}
	if cfg.PingInterval == 0 {
		cfg.PingInterval = 25 * time.Second
	}
	if cfg.PongWait == 0 {
		cfg.PongWait = 60 * time.Second
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.QueueSize == 0 {
		cfg.QueueSize = 256
	}
	if cfg.FrameLimit == 0 {
		cfg.FrameLimit = 120
	}
	if cfg.FrameWindow == 0 {
		cfg.FrameWindow = 10 * time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	h := &Hub{
		cfg: cfg, log: cfg.Log,
		upgrader: websocket.Upgrader{
			// Frames are read by frameReader: the upgrader's read buffer is
			// never used, so it gets the smallest size it takes.
			ReadBufferSize: 128, WriteBufferSize: 512, WriteBufferPool: &sync.Pool{},
			// Origins are checked by the caller before Upgrade, with the
			// rules of the endpoint (Restrict Access, same origin).
			CheckOrigin: func(*http.Request) bool { return true },
			// A request that is no handshake is refused by Upgrade's
			// caller, as JSON like every other refusal.
			Error: func(http.ResponseWriter, *http.Request, int, error) {},
		},
		routes: map[string][]*Conn{}, conns: map[*Conn]struct{}{},
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	for _, s := range []string{"task.>", "agent.>", "service.>"} {
		sub, err := bus.Subscribe(s, h.deliver)
		if err != nil {
			h.unsubscribe()
			return nil, err
		}
		h.subs = append(h.subs, sub)
	}
	if p, err := newPoller(h.log); err == nil {
		h.poll = p
		go p.run()
	} else {
		h.log.Warn("websocket poller unavailable; one reader goroutine per connection", "err", err)
	}
	go h.pinger()
	return h, nil
}

func (h *Hub) unsubscribe() {
	for _, s := range h.subs {
		s.Unsubscribe()
	}
}

// Upgrade turns the request into a connection served by handler. The
// caller has checked origin and credentials. open runs before the reader
// starts (to subscribe and send the first frames); the HTTP handler's
// goroutine then returns, so its grown stack does not stay with the
// connection.
func (h *Hub) Upgrade(w http.ResponseWriter, r *http.Request, handler Handler, open func(*Conn) error) error {
	ws, err := h.upgrader.Upgrade(w, r, nil)
	if err != nil {
		// The upgrader wrote nothing (see its Error): the caller answers
		// with the endpoints' JSON error.
		return interact.Errorf(interact.EINVALID, "This endpoint takes a WebSocket handshake: %v.", err)
	}
	c := &Conn{hub: h, ws: ws, h: handler, slot: h.nextSlot.Add(1)}
	c.in.conn = ws.NetConn()
	c.seen.Store(time.Now().UnixNano())
	h.mu.Lock()
	h.conns[c] = struct{}{}
	h.mu.Unlock()
	if err := open(c); err != nil {
		b, _ := interact.EncodeFrame("error", "", interact.ErrorFrameData(err))
		c.SendAndClose(b, websocket.ClosePolicyViolation, interact.ErrorCode(err))
		return nil
	}
	if h.poll == nil || h.poll.add(c) != nil {
		go c.readLoop()
	}
	return nil
}

func (h *Hub) attach(subject string, c *Conn) {
	h.mu.Lock()
	h.routes[subject] = append(h.routes[subject], c)
	h.mu.Unlock()
}

func (h *Hub) detach(subject string, c *Conn) {
	h.mu.Lock()
	r := h.routes[subject]
	if i := slices.Index(r, c); i >= 0 {
		r[i] = r[len(r)-1]
		r[len(r)-1] = nil
		r = r[:len(r)-1]
		if len(r) == 0 {
			delete(h.routes, subject)
		} else {
			h.routes[subject] = r
		}
	}
	h.mu.Unlock()
}

func (h *Hub) remove(c *Conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
}

// deliver fans a bus event out. It copies the recipients under the read
// lock and sends after releasing it.
func (h *Hub) deliver(subject string, data []byte) {
	h.mu.RLock()
	targets := slices.Clone(h.routes[subject])
	h.mu.RUnlock()
	for _, c := range targets {
		if o, ok := c.h.(Observer); ok && !o.Event(c, subject, data) {
			continue
		}
		c.push(data)
	}
	h.framesOut.Add(int64(len(targets)))
}

// pingSlots spreads the pings over the interval: a connection is pinged
// in its own slot, so many idle connections do not all cost their ping
// and pong in one burst (which would delay every message then).
const pingSlots = 50

// pinger pings every connection from one goroutine, a slot of them at a
// time, and closes those that stayed silent past PongWait: no timer per
// connection.
func (h *Hub) pinger() {
	defer close(h.done)
	slots := int64(min(pingSlots, max(1, h.cfg.PingInterval/(10*time.Millisecond))))
	t := time.NewTicker(h.cfg.PingInterval / time.Duration(slots))
	defer t.Stop()
	var conns []*Conn
	for slot := int64(0); ; slot = (slot + 1) % slots {
		select {
		case <-h.stop:
			return
		case now := <-t.C:
			conns = conns[:0]
			h.mu.RLock()
			for c := range h.conns {
				if c.slot%slots == slot {
					conns = append(conns, c)
				}
			}
			h.mu.RUnlock()
			limit := now.Add(-h.cfg.PongWait).UnixNano()
			for _, c := range conns {
				if c.seen.Load() < limit {
					c.Close()
					continue
				}
				c.writeControl(opPing, nil, time.Second, false) // skipped while a write is in progress
			}
			clear(conns)
		}
	}
}

type Stats struct {
	Connections int
	FramesIn    int64
	FramesOut   int64
	SlowClosed  int64
}

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	h.mu.RLock()
	n := len(h.conns)
	h.mu.RUnlock()
	return Stats{Connections: n, FramesIn: h.framesIn.Load(), FramesOut: h.framesOut.Load(), SlowClosed: h.slowClosed.Load()}
}

// Close closes every connection and stops the hub.
func (h *Hub) Close() {
	h.unsubscribe()
	close(h.stop)
	<-h.done
	h.mu.RLock()
	conns := make([]*Conn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.RUnlock()
	for _, c := range conns {
		c.CloseWith(websocket.CloseGoingAway, "server shutting down")
	}
	if h.poll != nil {
		h.poll.close()
	}
}
