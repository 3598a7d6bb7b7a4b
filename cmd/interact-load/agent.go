package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// agentPool runs agent consoles: each connects with its API token, goes
// available, accepts every offer and records when visitor messages arrive.
type agentPool struct {
	base       string
	dialer     *websocket.Dialer
	replyEvery int

	mu    sync.Mutex
	conns []*agentClient

	lat      hist
	runStart atomic.Int64 // unix ns; messages sent earlier are not counted
	deliv    atomic.Int64
	errs     atomic.Int64
	accepted atomic.Int64
	firstErr atomic.Pointer[string]
	preHello atomic.Int64 // frames received before hello (a protocol violation)
	// slots record, per 100 ms of the run (by send time), how many
	// messages arrived and the slowest one, for --timeline.
	slots [timelineSlots]struct{ n, maxUS atomic.Int64 }
}

const timelineSlots = 36000 // one hour in 100 ms slots

func newAgentPool(base, localAddr string, replyEvery int) *agentPool {
	return &agentPool{base: base, dialer: wsDialer(localAddr, 4096), replyEvery: replyEvery}
}

// wsDialer dials WebSockets from localAddr with the given buffer sizes.
func wsDialer(localAddr string, buf int) *websocket.Dialer {
	d := &net.Dialer{Timeout: 10 * time.Second}
	if localAddr != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(localAddr)}
	}
	return &websocket.Dialer{NetDialContext: d.DialContext, HandshakeTimeout: 20 * time.Second,
		ReadBufferSize: buf, WriteBufferSize: buf}
}

// agentClient is one agent console connection.
type agentClient struct {
	p       *agentPool
	cred    agentCred
	holder  bool
	ws      *websocket.Conn
	wmu     sync.Mutex
	n       atomic.Int64
	done    chan struct{}
	hello   agentHello
	replyN  int
	replies chan []byte // ok and error frames answering requests
}

// agentHello is the agent socket's first frame.
type agentHello struct {
	Agent struct {
		State string `json:"state"`
	} `json:"agent"`
	Tasks []struct {
		Task struct {
			ID string `json:"id"`
		} `json:"task"`
		LastSeq int64 `json:"lastSeq"`
	} `json:"tasks"`
}

// connect opens the consoles of creds (holder: never accepts anything).
func (p *agentPool) connect(ctx context.Context, creds []agentCred, holder bool) error {
	return parallel(len(creds), 32, func(i int) error {
		a, err := p.dial(ctx, creds[i], holder)
		if err != nil {
			return fmt.Errorf("agent %s: %w", creds[i].Email, err)
		}
		p.mu.Lock()
		p.conns = append(p.conns, a)
		p.mu.Unlock()
		return nil
	})
}

func (p *agentPool) dial(ctx context.Context, cred agentCred, holder bool) (*agentClient, error) {
	u := "ws" + strings.TrimPrefix(p.base, "http") + "/agent/v1/ws"
	ws, resp, err := p.dialer.DialContext(ctx, u, http.Header{"Authorization": {"Bearer " + cred.Token}})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("%w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, err
	}
	a := &agentClient{p: p, cred: cred, holder: holder, ws: ws, done: make(chan struct{}), replies: make(chan []byte, 16)}
	ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	var f struct {
		Type string          `json:"type"`
		ID   string          `json:"id"`
		Data json.RawMessage `json:"data"`
	}
	// hello should be the first frame (docs/protocol.md), but the server
	// subscribes the socket to agent.<id> before it sends hello, and the
	// agent.state its AgentConnected publishes can overtake hello: skip
	// and count such frames.
	for {
		if err := ws.ReadJSON(&f); err != nil {
			ws.Close()
			return nil, fmt.Errorf("no hello: %v", err)
		}
		if f.Type == "hello" {
			break
		}
		p.preHello.Add(1)
	}
	json.Unmarshal(f.Data, &a.hello)
	a.send("presence.set", `{"presence":"available"}`)
	for {
		f.Type, f.ID = "", ""
		if err := ws.ReadJSON(&f); err != nil {
			ws.Close()
			return nil, fmt.Errorf("presence.set: %w", err)
		}
		if f.ID == "1" && f.Type == "ok" {
			break
		}
		if f.ID == "1" && f.Type == "error" {
			ws.Close()
			return nil, fmt.Errorf("presence.set: %s", f.Data)
		}
	}
	ws.SetReadDeadline(time.Time{})
	go a.readLoop()
	return a, nil
}

// request sends a frame and waits for its ok (or error) answer.
func (a *agentClient) request(typ, data string) ([]byte, error) {
	id, err := a.sendID(typ, data)
	if err != nil {
		return nil, err
	}
	want := []byte(`"id":"` + strconv.FormatInt(id, 10) + `"`)
	timeout := time.After(10 * time.Second)
	for {
		select {
		case b := <-a.replies:
			if !bytes.Contains(b, want) {
				continue
			}
			if bytes.HasPrefix(b, framePrefixError) {
				return nil, fmt.Errorf("%s: %s", typ, b)
			}
			return b, nil
		case <-a.done:
			return nil, fmt.Errorf("%s: connection closed", typ)
		case <-timeout:
			return nil, fmt.Errorf("%s: no answer", typ)
		}
	}
}

// send writes a frame with a fresh id; data is raw JSON.
func (a *agentClient) send(typ, data string) error {
	_, err := a.sendID(typ, data)
	return err
}

func (a *agentClient) sendID(typ, data string) (int64, error) {
	id := a.n.Add(1)
	b := make([]byte, 0, 64+len(data))
	b = append(b, `{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","id":"`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `","data":`...)
	b = append(b, data...)
	b = append(b, '}')
	a.wmu.Lock()
	defer a.wmu.Unlock()
	a.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return id, a.ws.WriteMessage(websocket.TextMessage, b)
}

var (
	framePrefixMessage = []byte(`{"type":"message",`)
	framePrefixOffer   = []byte(`{"type":"offer",`)
	framePrefixError   = []byte(`{"type":"error"`)
	framePrefixOK      = []byte(`{"type":"ok"`)
	fromVisitor        = []byte(`"from":"visitor"`)
	textMarker         = []byte(`"text":"lt `)
)

func (a *agentClient) readLoop() {
	defer close(a.done)
	p := a.p
	for {
		_, b, err := a.ws.ReadMessage()
		if err != nil {
			return
		}
		switch {
		case bytes.HasPrefix(b, framePrefixMessage):
			if !bytes.Contains(b, fromVisitor) {
				continue
			}
			i := bytes.Index(b, textMarker)
			if i < 0 {
				continue
			}
			sent := leadingInt(b[i+len(textMarker):])
			if sent < p.runStart.Load() {
				continue
			}
			d := time.Duration(time.Now().UnixNano() - sent)
			p.lat.add(d)
			p.deliv.Add(1)
			if i := (sent - p.runStart.Load()) / int64(100*time.Millisecond); i < timelineSlots {
				sl := &p.slots[i]
				sl.n.Add(1)
				for us := d.Microseconds(); ; {
					old := sl.maxUS.Load()
					if us <= old || sl.maxUS.CompareAndSwap(old, us) {
						break
					}
				}
			}
			if p.replyEvery > 0 {
				a.replyN++
				if a.replyN%p.replyEvery == 0 {
					task := stringField(b, `"taskId":"`)
					a.send("message.send", fmt.Sprintf(`{"taskId":%q,"clientId":"r%d","text":"thanks"}`, task, a.n.Load()+1))
				}
			}
		case bytes.HasPrefix(b, framePrefixOffer):
			if a.holder {
				continue
			}
			id := stringField(b, `"offerId":"`)
			if err := a.send("offer.accept", fmt.Sprintf(`{"offerId":%q}`, id)); err == nil {
				p.accepted.Add(1)
			}
		case bytes.HasPrefix(b, framePrefixOK):
			select {
			case a.replies <- b:
			default:
			}
		case bytes.HasPrefix(b, framePrefixError):
			select {
			case a.replies <- b:
			default:
			}
			p.errs.Add(1)
			e := string(b)
			p.firstErr.CompareAndSwap(nil, &e)
		}
	}
}

// leadingInt parses the decimal digits at the start of b.
func leadingInt(b []byte) int64 {
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// stringField returns the JSON string after key (which ends with `"`),
// for values without escapes (ids).
func stringField(b []byte, key string) string {
	i := bytes.Index(b, []byte(key))
	if i < 0 {
		return ""
	}
	rest := b[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	return string(rest[:j])
}

// reset starts counting deliveries of messages sent from t on.
func (p *agentPool) reset(t time.Time) {
	p.runStart.Store(t.UnixNano())
	p.lat.reset()
	p.deliv.Store(0)
	for i := range p.slots {
		p.slots[i].n.Store(0)
		p.slots[i].maxUS.Store(0)
	}
}

// timeline writes, per 100 ms slot of the run, how many messages sent in
// it reached an agent and the slowest of them.
func (p *agentPool) timeline(w io.Writer, d time.Duration) {
	for i := range min(int(d/(100*time.Millisecond))+1, timelineSlots) {
		sl := &p.slots[i]
		fmt.Fprintf(w, "timeline: t=%5.1fs delivered=%5d max=%s\n", float64(i)/10, sl.n.Load(), fmtDur(time.Duration(sl.maxUS.Load())*time.Microsecond))
	}
}

// waitDelivered waits until n messages were delivered, or timeout.
func (p *agentPool) waitDelivered(n int64, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for p.deliv.Load() < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *agentPool) delivered() int64 { return p.deliv.Load() }
func (p *agentPool) errors() int64    { return p.errs.Load() }

// firstError is the first error frame an agent received, if any.
func (p *agentPool) firstError() string {
	if e := p.firstErr.Load(); e != nil {
		return *e
	}
	return ""
}

func (p *agentPool) latency() *hist { return &p.lat }

// clients returns the open consoles.
func (p *agentPool) clients() []*agentClient {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*agentClient(nil), p.conns...)
}

func (p *agentPool) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.conns)
}

// close closes every console connection and waits for the readers.
func (p *agentPool) close() {
	p.mu.Lock()
	conns := p.conns
	p.conns = nil
	p.mu.Unlock()
	for _, a := range conns {
		a.ws.Close()
	}
	for _, a := range conns {
		<-a.done
	}
}
