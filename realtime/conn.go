package realtime

import (
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/interact-oss/interact"
)

// Conn is one WebSocket connection. While it is idle it has no goroutine
// and no buffers: on Linux the hub's poller starts a reader when data
// arrives (elsewhere a reader goroutine waits), and a writer goroutine
// exists only while frames are waiting to be sent.
type Conn struct {
	hub  *Hub
	ws   *websocket.Conn
	h    Handler
	seen atomic.Int64 // unix nanoseconds of the last frame read
	slot int64        // the pinger's slot (see pingSlots)
	in   frameReader  // used by one reader at a time
	poll pollState
	// serving is set while serve runs; it also orders one serve's use of
	// in before the next one's.
	serving atomic.Bool

	wmu       sync.Mutex // held while writing to the socket
	closeSent bool       // a close frame was written; guarded by wmu

	mu       sync.Mutex
	queue    [][]byte
	writing  bool
	closed   bool
	subjects []string
	// held frames wait here while the handler replays history (Hold/Release).
	held    [][]byte
	holding bool
	corked  bool // frames wait in queue until Uncork
	// closeCode, when set, closes the connection once the queue is sent.
	closeCode   int
	closeReason string
	room        *sync.Cond // signalled when the writer takes the queue
	seqs        []taskSeq  // last message seq sent per task

	budgetStart int64 // frame rate limit window, unix nanoseconds (reader only)
	budgetN     int
}

// Send queues a frame. It never blocks: a connection whose queue is full
// is closed (its client resumes from the store when it reconnects).
func (c *Conn) Send(frame []byte) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.enqueue(frame)
}

// push queues a bus event, or holds it back while the handler replays
// history (Hold).
func (c *Conn) push(frame []byte) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	if c.holding {
		c.held = append(c.held, frame)
		over := len(c.held) > c.hub.cfg.QueueSize*4
		c.mu.Unlock()
		if over {
			c.Close()
		}
		return
	}
	c.enqueue(frame)
}

// admit drops a message frame whose seq this connection has already sent
// for its task, so a replay and live delivery never double up. Called with
// c.mu held.
func (c *Conn) admit(frame []byte) bool {
	task, seq, ok := messageSeq(frame)
	if !ok {
		return true
	}
	for i := range c.seqs {
		if c.seqs[i].task == string(task) {
			if seq <= c.seqs[i].seq {
				return false
			}
			c.seqs[i].seq = seq
			return true
		}
	}
	c.seqs = append(c.seqs, taskSeq{string(task), seq})
	return true
}

// Delivered records that the client has, or will fetch itself, a task's
// messages up to seq (an agent's hello names each task's lastSeq): message
// frames of the task at or below it are dropped from now on, held ones
// included, so a message published just after the snapshot is not
// delivered twice.
func (c *Conn) Delivered(task string, seq int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range c.seqs {
		if c.seqs[i].task == task {
			c.seqs[i].seq = max(c.seqs[i].seq, seq)
			return
		}
	}
	c.seqs = append(c.seqs, taskSeq{task, seq})
}

// taskSeq is the last message seq a connection sent for a task; a
// connection follows one task (a visitor) or a few (an agent).
type taskSeq struct {
	task string
	seq  int64
}

// enqueue appends frames and starts the writer; called with c.mu held, and
// releases it.
func (c *Conn) enqueue(frames ...[]byte) {
	kept := frames[:0:0]
	for _, f := range frames {
		if c.admit(f) {
			kept = append(kept, f)
		}
	}
	frames = kept
	if len(frames) == 0 {
		c.mu.Unlock()
		return
	}
	if len(c.queue)+len(frames) > c.hub.cfg.QueueSize {
		c.mu.Unlock()
		c.hub.slowClosed.Add(1)
		c.Close()
		return
	}
	c.queue = append(c.queue, frames...)
	start := !c.writing && !c.corked
	c.writing = c.writing || start
	c.mu.Unlock()
	if start {
		go c.writeLoop()
	}
}

// Cork keeps queued frames back until Uncork, so that frames sent in
// quick succession (a message and its ack) leave in one write.
func (c *Conn) Cork() {
	c.mu.Lock()
	c.corked = true
	c.mu.Unlock()
}

// Uncork sends the frames queued since Cork.
func (c *Conn) Uncork() {
	c.mu.Lock()
	c.corked = false
	start := !c.writing && !c.closed && len(c.queue) > 0
	c.writing = c.writing || start
	c.mu.Unlock()
	if start {
		go c.writeLoop()
	}
}

// SendJSON encodes and queues a frame {"type","id","data"}.
func (c *Conn) SendJSON(typ, id string, data any) {
	b, err := interact.EncodeFrame(typ, id, data)
	if err != nil {
		c.hub.log.Error("encode frame", "type", typ, "err", err)
		return
	}
	c.Send(b)
}

func (c *Conn) writeLoop() {
	for {
		c.mu.Lock()
		batch := c.queue
		c.queue = nil
		if c.room != nil {
			c.room.Broadcast()
		}
		if len(batch) == 0 || c.closed {
			c.writing = false
			code, reason := c.closeCode, c.closeReason
			c.mu.Unlock()
			if code != 0 {
				c.CloseWith(code, reason)
			}
			return
		}
		c.mu.Unlock()
		if err := c.writeFrames(batch); err != nil {
			c.mu.Lock()
			c.writing = false
			c.mu.Unlock()
			c.Close()
			return
		}
	}
}

// WaitRoom blocks until the send queue is at most half full, so a handler
// sending a long history does not overflow it.
func (c *Conn) WaitRoom() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.room == nil && !c.closed && len(c.queue) > c.hub.cfg.QueueSize/2 {
		c.room = sync.NewCond(&c.mu)
	}
	for !c.closed && len(c.queue) > c.hub.cfg.QueueSize/2 {
		c.room.Wait()
	}
}

// Hold makes the connection keep bus events back until Release, so that
// a handler can replay stored history first; frames it sends itself go out
// at once.
func (c *Conn) Hold() {
	c.mu.Lock()
	c.holding = true
	c.mu.Unlock()
}

// Release sends the frames held since Hold, dropping those keep rejects
// (e.g. messages already replayed).
func (c *Conn) Release(keep func(frame []byte) bool) {
	c.mu.Lock()
	held := c.held
	c.held, c.holding = nil, false
	var out [][]byte
	for _, f := range held {
		if keep == nil || keep(f) {
			out = append(out, f)
		}
	}
	if c.closed || len(out) == 0 {
		c.mu.Unlock()
		return
	}
	c.enqueue(out...)
}

// Subscribe routes a bus subject's events to this connection.
func (c *Conn) Subscribe(subject string) {
	c.mu.Lock()
	if c.closed || slices.Contains(c.subjects, subject) {
		c.mu.Unlock()
		return
	}
	c.subjects = append(c.subjects, subject)
	c.mu.Unlock()
	c.hub.attach(subject, c)
}

// Unsubscribe stops routing a subject's events here.
func (c *Conn) Unsubscribe(subject string) {
	c.mu.Lock()
	i := slices.Index(c.subjects, subject)
	if i >= 0 {
		c.subjects = slices.Delete(c.subjects, i, i+1)
	}
	c.mu.Unlock()
	if i >= 0 {
		c.hub.detach(subject, c)
	}
}

// Close closes the connection; the handler's Closed runs once.
func (c *Conn) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	subjects := c.subjects
	c.subjects = nil
	c.queue, c.held = nil, nil
	if c.room != nil {
		c.room.Broadcast()
	}
	c.mu.Unlock()
	for _, s := range subjects {
		c.hub.detach(s, c)
	}
	c.hub.remove(c)
	c.hub.poll.remove(c)
	c.writeClose(websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	c.ws.Close()
	c.h.Closed(c)
}

// SendAndClose queues a last frame, then closes with code and reason
// once everything queued has been written.
func (c *Conn) SendAndClose(frame []byte, code int, reason string) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closeCode, c.closeReason = code, reason
	c.enqueue(frame)
}

// CloseWith sends a close frame with a policy code and reason, then closes.
func (c *Conn) CloseWith(code int, reason string) {
	c.writeClose(websocket.FormatCloseMessage(code, reason))
	c.Close()
}

// readLoop reads and handles frames until the connection ends, for
// connections the poller cannot watch.
func (c *Conn) readLoop() {
	defer c.Close()
	for c.readFrame() {
	}
}

// serve handles the frames that have arrived, then leaves the connection
// to the poller again with no buffer held. Run by the poller, one at a time
// per connection.
func (c *Conn) serve() {
	if !c.serving.CompareAndSwap(false, true) {
		return
	}
	for {
		if !c.readFrame() {
			c.Close()
			return
		}
		if !c.in.buffered() {
			break
		}
	}
	c.in.release()
	c.serving.Store(false)
	if err := c.hub.poll.rearm(c); err != nil {
		c.Close()
	}
}

// readFrame reads one frame, waiting for all of it, and handles the
// message it completes. It returns false when the connection is done.
func (c *Conn) readFrame() bool {
	data, ok, err := c.in.message(c, c.hub.cfg.ReadLimit)
	if err != nil {
		var fe *frameError
		var pc *peerClosed
		switch {
		case errors.As(err, &fe):
			c.CloseWith(fe.code, fe.reason)
		case errors.As(err, &pc):
			c.CloseWith(pc.code, "") // echo the client's code (none: an empty close)
		}
		return false
	}
	now := time.Now()
	c.seen.Store(now.UnixNano())
	if !ok {
		return true // a control frame or a fragment
	}
	c.hub.framesIn.Add(1)
	if now.UnixNano()-c.budgetStart > int64(c.hub.cfg.FrameWindow) {
		c.budgetStart, c.budgetN = now.UnixNano(), 0
	}
	var f interact.Frame
	bad := json.Unmarshal(data, &f) != nil || f.Type == ""
	if c.budgetN++; c.budgetN > c.hub.cfg.FrameLimit {
		c.SendJSON("error", f.ID, interact.ErrorData{Code: "rate_limited", Message: "Too many frames; slow down."})
		return true
	}
	if bad {
		c.SendJSON("error", f.ID, interact.ErrorData{Code: "invalid_input", Message: "Frames are JSON objects with a type."})
		return true
	}
	c.h.Frame(c, f)
	return true
}

// pong answers a ping.
func (c *Conn) pong(payload []byte) {
	c.writeControl(opPong, payload, c.hub.cfg.WriteTimeout, true)
}
