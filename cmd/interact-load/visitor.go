package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/interact-oss/interact"
)

// worker holds a share of the visitors.
type worker struct {
	cfg      workerInit
	hc       *http.Client
	chatDial *websocket.Dialer
	idleDial *websocket.Dialer
	chats    []*visitor
	idles    []*visitor

	pageSockets []*websocket.Conn // config sockets of the pages phase
	pushed      atomic.Int64      // config frames pushed to them

	ackHist hist
	runEnd  atomic.Int64
	stats   struct {
		sent, acked, inWindow, dupAcks, throttled, errors atomic.Int64
		mu                                                sync.Mutex
		codes                                             map[string]int64
	}
}

// roundRobin dials from each of addrs in turn.
func roundRobin(addrs []string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	dialers := make([]*net.Dialer, len(addrs))
	for i, a := range addrs {
		dialers[i] = &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(a)}}
	}
	var n atomic.Uint64
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return dialers[n.Add(1)%uint64(len(dialers))].DialContext(ctx, network, addr)
	}
}

func newWorker(cfg workerInit) *worker {
	dial := roundRobin(cfg.Addrs)
	w := &worker{cfg: cfg,
		hc: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DialContext: dial,
			MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}},
		chatDial: &websocket.Dialer{NetDialContext: dial, HandshakeTimeout: 30 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 4096},
		// Idle sockets read a frame now and then: small buffers keep the
		// load tool's own memory down.
		idleDial: &websocket.Dialer{NetDialContext: dial, HandshakeTimeout: 30 * time.Second, ReadBufferSize: 512, WriteBufferSize: 512},
	}
	w.stats.codes = map[string]int64{}
	for i, ref := range cfg.Chat {
		w.chats = append(w.chats, newVisitor(w, fmt.Sprintf("w%dv%d", cfg.Index, i), ref))
	}
	for i, ref := range cfg.Idle {
		w.idles = append(w.idles, newVisitor(w, fmt.Sprintf("w%di%d", cfg.Index, i), ref))
	}
	return w
}

func (w *worker) countError(code string) {
	w.stats.mu.Lock()
	w.stats.codes[code]++
	w.stats.mu.Unlock()
}

// taskGrant is the answer of POST /widget/v1/tasks.
type taskGrant struct {
	TaskID      string `json:"taskId"`
	State       string `json:"state"`
	Token       string `json:"token"`
	ResumeToken string `json:"resumeToken"`
	WSURL       string `json:"wsUrl"`
}

// visitor is one widget: a task, its token and its WebSocket.
type visitor struct {
	w     *worker
	id    string // client id prefix
	ref   serviceRef
	grant taskGrant
	at    time.Time // when the token was issued
	ws    *websocket.Conn
	wmu   sync.Mutex
	done  chan struct{} // the reader ended

	helloState string
	connected  chan struct{}
	connOnce   sync.Once
	ended      atomic.Bool
	lastSeq    atomic.Int64

	mu          sync.Mutex
	trace       bool       // record the seq of every message frame (crash test)
	seqs        []int64    // with trace: the seqs received, in order
	msgs        []msgState // message n is msgs[n-1]
	outstanding int
	drained     chan struct{} // signalled when outstanding drops to 0
}

type msgState struct {
	sent   int64 // unix ns
	status uint8
}

const (
	msgSent uint8 = iota + 1
	msgAcked
	msgRefused
)

func newVisitor(w *worker, id string, ref serviceRef) *visitor {
	return &visitor{w: w, id: id, ref: ref, connected: make(chan struct{}), drained: make(chan struct{}, 1)}
}

// widgetError is a refused widget request.
type widgetError struct {
	Status int
	Code   string
}

func (e *widgetError) Error() string { return fmt.Sprintf("%d %s", e.Status, e.Code) }

func errCode(err error) string {
	if we, ok := err.(*widgetError); ok {
		return we.Code
	}
	if ae, ok := err.(*apiError); ok {
		return ae.Code
	}
	return "network"
}

// widgetRequest sends a widget request with the visitor's Origin (and
// token), waiting out rate limits a few times.
func (v *visitor) widgetRequest(ctx context.Context, method, path string, body any, out any) error {
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	u := v.w.cfg.URL + path + sep + "contactId=" + url.QueryEscape(v.ref.ContactID)
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(b))
		if err != nil {
			return err
		}
		req.Header.Set("Origin", v.w.cfg.Origin)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if method == "GET" || strings.HasPrefix(path, "/widget/v1/token") { // transcript and refresh carry the token
			req.Header.Set("Authorization", "Bearer "+v.grant.Token)
		}
		resp, err := v.w.hc.Do(req)
		if err != nil {
			if attempt < 3 {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			return err
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			var eb struct {
				Error struct{ Code string } `json:"error"`
			}
			json.Unmarshal(data, &eb)
			if eb.Error.Code == interact.ERATELIMITED && attempt < 5 {
				wait, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
				time.Sleep(time.Duration(max(wait, 1)) * time.Second)
				continue
			}
			return &widgetError{Status: resp.StatusCode, Code: eb.Error.Code}
		}
		return json.Unmarshal(data, out)
	}
}

// start starts the visitor's chat task.
func (v *visitor) start(ctx context.Context) error {
	v.at = time.Now()
	return v.widgetRequest(ctx, "POST", "/widget/v1/tasks", map[string]any{
		"widgetKey": v.ref.WidgetKey, "modality": "chat", "visitor": map[string]string{"name": "Load visitor " + v.id},
	}, &v.grant)
}

// resume exchanges the resume token for a fresh grant of the same task.
func (v *visitor) resume(ctx context.Context) error {
	var g taskGrant
	if err := v.widgetRequest(ctx, "POST", "/widget/v1/tasks", map[string]any{
		"widgetKey": v.ref.WidgetKey, "resumeToken": v.grant.ResumeToken,
	}, &g); err != nil {
		return err
	}
	if g.TaskID != v.grant.TaskID {
		return fmt.Errorf("resumed task %q, want %q", g.TaskID, v.grant.TaskID)
	}
	v.grant.Token, v.grant.State, v.at = g.Token, g.State, time.Now()
	return nil
}

// freshToken renews the visitor token when it is older than 10 minutes
// (it lives 15).
func (v *visitor) freshToken(ctx context.Context) error {
	if time.Since(v.at) < 10*time.Minute {
		return nil
	}
	var g taskGrant
	if err := v.widgetRequest(ctx, "POST", "/widget/v1/token", nil, &g); err != nil {
		return err
	}
	v.grant.Token, v.at = g.Token, time.Now()
	return nil
}

// open connects the visitor's WebSocket (resuming after lastSeq) and
// reads its hello.
func (v *visitor) open(ctx context.Context, d *websocket.Dialer, lastSeq int64) error {
	u := "ws" + strings.TrimPrefix(v.w.cfg.URL, "http") + "/widget/v1/ws?contactId=" + url.QueryEscape(v.ref.ContactID) +
		"&token=" + url.QueryEscape(v.grant.Token)
	if lastSeq > 0 {
		u += "&lastSeq=" + strconv.FormatInt(lastSeq, 10)
	}
	ws, resp, err := d.DialContext(ctx, u, http.Header{"Origin": {v.w.cfg.Origin}})
	if err != nil {
		if resp != nil {
			return &widgetError{Status: resp.StatusCode, Code: "upgrade_refused"}
		}
		return err
	}
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, b, err := ws.ReadMessage()
	if err != nil || !bytes.HasPrefix(b, []byte(`{"type":"hello"`)) {
		ws.Close()
		return fmt.Errorf("no hello: %v %.200s", err, b)
	}
	ws.SetReadDeadline(time.Time{})
	v.helloState = stringField(b, `"state":"`)
	switch v.helloState {
	case "connected":
		v.connOnce.Do(func() { close(v.connected) })
	case "ended":
		v.ended.Store(true)
	}
	v.ws, v.done = ws, make(chan struct{})
	go v.readLoop(ws, v.done)
	return nil
}

var (
	prefixAck   = []byte(`{"type":"message.ack"`)
	prefixState = []byte(`{"type":"task.state"`)
	dupTrue     = []byte(`"duplicate":true`)
)

func (v *visitor) readLoop(ws *websocket.Conn, done chan struct{}) {
	defer close(done)
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			return
		}
		switch {
		case bytes.HasPrefix(b, prefixAck):
			n, _ := strconv.Atoi(stringField(b, `"id":"`))
			v.acked(n, bytes.Contains(b, dupTrue))
		case bytes.HasPrefix(b, framePrefixMessage):
			if i := bytes.Index(b, []byte(`"seq":`)); i >= 0 {
				seq := leadingInt(b[i+6:])
				if v.trace {
					v.mu.Lock()
					v.seqs = append(v.seqs, seq)
					v.mu.Unlock()
				}
				for {
					old := v.lastSeq.Load()
					if seq <= old || v.lastSeq.CompareAndSwap(old, seq) {
						break
					}
				}
			}
		case bytes.HasPrefix(b, prefixState):
			switch stringField(b, `"state":"`) {
			case "connected":
				v.connOnce.Do(func() { close(v.connected) })
			case "ended":
				v.ended.Store(true)
			}
		case bytes.HasPrefix(b, framePrefixError):
			n, _ := strconv.Atoi(stringField(b, `"id":"`))
			v.refused(n, stringField(b, `"code":"`))
		}
	}
}

func (v *visitor) acked(n int, dup bool) {
	now := time.Now().UnixNano()
	v.mu.Lock()
	if n < 1 || n > len(v.msgs) || v.msgs[n-1].status != msgSent {
		v.mu.Unlock()
		return
	}
	m := &v.msgs[n-1]
	m.status = msgAcked
	v.outstanding--
	if v.outstanding == 0 {
		select {
		case v.drained <- struct{}{}:
		default:
		}
	}
	sent := m.sent
	v.mu.Unlock()
	w := v.w
	w.stats.acked.Add(1)
	if now <= w.runEnd.Load() {
		w.stats.inWindow.Add(1)
	}
	if dup {
		w.stats.dupAcks.Add(1)
	}
	w.ackHist.add(time.Duration(now - sent))
}

func (v *visitor) refused(n int, code string) {
	v.mu.Lock()
	if n >= 1 && n <= len(v.msgs) && v.msgs[n-1].status == msgSent {
		v.msgs[n-1].status = msgRefused
		v.outstanding--
		if v.outstanding == 0 {
			select {
			case v.drained <- struct{}{}:
			default:
			}
		}
	}
	v.mu.Unlock()
	v.w.stats.errors.Add(1)
	v.w.countError(code)
}

// maxOutstanding bounds unacknowledged messages per visitor.
const maxOutstanding = 32

// send sends message number len(msgs)+1; false when too many are
// outstanding.
func (v *visitor) send(textSize int) bool {
	v.mu.Lock()
	if v.outstanding >= maxOutstanding {
		v.mu.Unlock()
		return false
	}
	now := time.Now().UnixNano()
	v.msgs = append(v.msgs, msgState{sent: now, status: msgSent})
	n := len(v.msgs)
	v.outstanding++
	v.mu.Unlock()
	v.w.stats.sent.Add(1)
	v.write(v.frame(n, now, textSize)) // a failed write is never acknowledged
	return true
}

// frame is message n's message.send frame; its text carries the send time.
func (v *visitor) frame(n int, sent int64, textSize int) []byte {
	b := make([]byte, 0, 96+textSize+len(v.id))
	b = append(b, `{"type":"message.send","id":"`...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, `","data":{"clientId":"`...)
	b = v.appendClientID(b, n)
	b = append(b, `","text":"lt `...)
	start := len(b)
	b = strconv.AppendInt(b, sent, 10)
	b = append(b, ' ')
	for len(b)-start+3 < textSize {
		b = append(b, 'x')
	}
	return append(b, `"}}`...)
}

// resendPending sends every unacknowledged message again with its client
// id, as a widget does after reconnecting; it returns how many.
func (v *visitor) resendPending(textSize int) int {
	v.mu.Lock()
	var ns []int
	var sent []int64
	for i, m := range v.msgs {
		if m.status == msgSent {
			ns, sent = append(ns, i+1), append(sent, m.sent)
		}
	}
	v.mu.Unlock()
	for i, n := range ns {
		v.write(v.frame(n, sent[i], textSize))
	}
	return len(ns)
}

// pending is how many sent messages await their ack.
func (v *visitor) pending() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.outstanding
}

func (v *visitor) appendClientID(b []byte, n int) []byte {
	b = append(b, v.id...)
	b = append(b, '-')
	return strconv.AppendInt(b, int64(n), 10)
}

func (v *visitor) write(b []byte) error {
	v.wmu.Lock()
	defer v.wmu.Unlock()
	if v.ws == nil {
		return fmt.Errorf("not connected")
	}
	v.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return v.ws.WriteMessage(websocket.TextMessage, b)
}

// closeSocket closes the WebSocket (ending the task first when end) and
// waits for its reader.
func (v *visitor) closeSocket(end bool) {
	v.wmu.Lock()
	ws, done := v.ws, v.done
	if ws != nil {
		ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
		if end {
			ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"task.end","id":"end","data":{}}`))
		}
		ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	}
	v.ws = nil
	v.wmu.Unlock()
	if ws == nil {
		return
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	ws.Close()
	<-done
}

// transcript reads the visitor's whole transcript through the widget API.
func (v *visitor) transcript(ctx context.Context) ([]interact.Message, error) {
	var all []interact.Message
	after := int64(0)
	for {
		if err := v.freshToken(ctx); err != nil {
			return nil, err
		}
		var page struct{ Items []interact.Message }
		if err := v.widgetRequest(ctx, "GET", fmt.Sprintf("/widget/v1/tasks/%s/transcript?afterSeq=%d", v.grant.TaskID, after), nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if len(page.Items) < 1000 {
			return all, nil
		}
		after = page.Items[len(page.Items)-1].Seq
	}
}

// snapshot returns the state of every message sent so far.
func (v *visitor) snapshot() []msgState {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]msgState(nil), v.msgs...)
}

// check compares a visitor's transcript with the acknowledgements it had
// received before the transcript was read.
func check(id string, acks []msgState, msgs []interact.Message) verifyResult {
	r := verifyResult{Tasks: 1}
	count := map[int]int{}
	prefix := id + "-"
	for i, m := range msgs {
		if m.Seq != int64(i+1) {
			r.Gaps++
		}
		if m.From != interact.FromVisitor || !strings.HasPrefix(m.ClientID, prefix) {
			continue
		}
		n, err := strconv.Atoi(m.ClientID[len(prefix):])
		if err != nil {
			continue
		}
		count[n]++
		r.Stored++
	}
	for i, m := range acks {
		c := count[i+1]
		switch {
		case m.status == msgAcked:
			r.Acknowledged++
			if c == 0 {
				r.Missing++
			}
		case c > 0:
			r.UnackedStored++
		}
		if m.status == msgSent {
			r.Pending++
		}
		if c > 1 {
			r.Duplicates += int64(c - 1)
		}
	}
	return r
}
