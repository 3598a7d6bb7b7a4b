package realtime_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/membus"
	"github.com/interact-oss/interact/realtime"
)

// echo is a Handler that subscribes its connection to a subject named in
// the URL and answers "ping" frames.
type echo struct {
	mu     sync.Mutex
	closed int
}

func (e *echo) Frame(c *realtime.Conn, f interact.Frame) { c.SendJSON("pong", f.ID, nil) }
func (e *echo) Closed(c *realtime.Conn) {
	e.mu.Lock()
	e.closed++
	e.mu.Unlock()
}

func setup(t *testing.T, cfg realtime.Config, open func(*realtime.Conn, *http.Request) error) (*membus.Bus, *realtime.Hub, string, *echo) {
	t.Helper()
	bus := membus.New()
	t.Cleanup(func() { bus.Close() })
	hub, err := realtime.NewHub(cfg, bus)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	h := &echo{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hub.Upgrade(w, r, h, func(c *realtime.Conn) error { return open(c, r) })
	}))
	t.Cleanup(srv.Close)
	return bus, hub, "ws" + strings.TrimPrefix(srv.URL, "http"), h
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func read(t *testing.T, c *websocket.Conn) map[string]any {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	var f map[string]any
	json.Unmarshal(b, &f)
	return f
}

func TestFanOutBySubject(t *testing.T) {
	bus, hub, url, _ := setup(t, realtime.Config{}, func(c *realtime.Conn, r *http.Request) error {
		c.Subscribe("task." + r.URL.Query().Get("task"))
		c.SendJSON("hello", "", nil)
		return nil
	})
	a1, a2, b := dial(t, url+"?task=a"), dial(t, url+"?task=a"), dial(t, url+"?task=b")
	for _, c := range []*websocket.Conn{a1, a2, b} {
		read(t, c) // hello: subscribed
	}
	bus.Publish("task.a", []byte(`{"type":"message","data":{"seq":1}}`))
	bus.Publish("task.b", []byte(`{"type":"message","data":{"seq":7}}`))
	for _, c := range []*websocket.Conn{a1, a2} {
		if f := read(t, c); f["data"].(map[string]any)["seq"] != 1.0 {
			t.Errorf("task.a subscriber got %v", f)
		}
	}
	if f := read(t, b); f["data"].(map[string]any)["seq"] != 7.0 {
		t.Errorf("task.b subscriber got %v", f)
	}
	if n := hub.Stats().Connections; n != 3 {
		t.Errorf("connections %d", n)
	}
}

func TestSlowConsumerIsClosed(t *testing.T) {
	bus, hub, url, h := setup(t, realtime.Config{QueueSize: 4}, func(c *realtime.Conn, r *http.Request) error {
		c.Subscribe("task.slow")
		c.SendJSON("hello", "", nil)
		return nil
	})
	c := dial(t, url)
	read(t, c)
	big := []byte(`{"type":"message","data":{"text":"` + strings.Repeat("x", 60000) + `"}}`)
	eventually.Within(t, 10*time.Second, "a client that never reads to be closed", func() bool {
		for range 16 {
			bus.Publish("task.slow", big) // the client never reads: its queue overflows
		}
		return hub.Stats().SlowClosed != 0
	})
	eventually.True(t, "Closed to be called once", func() bool {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.closed == 1
	})
}

func TestOpenErrorRefusesWithPolicyClose(t *testing.T) {
	_, _, url, _ := setup(t, realtime.Config{}, func(c *realtime.Conn, r *http.Request) error {
		return interact.Errorf(interact.EFORBIDDEN, "no")
	})
	c := dial(t, url)
	if f := read(t, c); f["type"] != "error" || f["data"].(map[string]any)["code"] != "forbidden" {
		t.Fatalf("first frame %v", f)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err := c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
		t.Fatalf("want a policy-violation close, got %v", err)
	}
}

func TestRequestAnswer(t *testing.T) {
	_, _, url, _ := setup(t, realtime.Config{}, func(c *realtime.Conn, r *http.Request) error { return nil })
	c := dial(t, url)
	c.WriteJSON(map[string]any{"type": "ping", "id": "9"})
	if f := read(t, c); f["type"] != "pong" || f["id"] != "9" {
		t.Fatalf("answer %v", f)
	}
	c.WriteMessage(websocket.TextMessage, []byte("not json"))
	if f := read(t, c); f["type"] != "error" {
		t.Fatalf("bad frame answered %v", f)
	}
}

func BenchmarkFrameEncode(b *testing.B) {
	m := interact.Message{TaskID: "06h11h7yzkt15enam9vxs4w5v4", Seq: 42, ClientID: "c-42", From: "visitor", Name: "Vera", Text: "Hello, I have a question about my order", At: time.Now()}
	b.ReportAllocs()
	for range b.N {
		interact.EncodeFrame("message", "", m)
	}
}

func BenchmarkFrameDecode(b *testing.B) {
	in := []byte(`{"type":"message.send","id":"17","data":{"clientId":"c-42","text":"Hello, I have a question about my order"}}`)
	b.ReportAllocs()
	for range b.N {
		var f interact.Frame
		json.Unmarshal(in, &f)
		var d struct {
			ClientID string `json:"clientId"`
			Text     string `json:"text"`
		}
		json.Unmarshal(f.Data, &d)
	}
}

// A connection told that its client has a task's messages up to a seq
// drops the message frames it covers, those held back while it opened and
// those published later, and passes the rest.
func TestDeliveredDropsCoveredMessages(t *testing.T) {
	publish := func(bus *membus.Bus, task string, seq int64) {
		t.Helper()
		b, _ := interact.EncodeFrame("message", "", interact.Message{TaskID: task, Seq: seq, Text: "m"})
		if err := bus.Publish("task."+task, b); err != nil {
			t.Fatal(err)
		}
	}
	opened := make(chan struct{})
	var bus *membus.Bus
	bus, _, url, _ := setup(t, realtime.Config{}, func(c *realtime.Conn, r *http.Request) error {
		c.Hold()
		defer c.Release(nil)
		c.Subscribe("task.t1")
		c.Subscribe("task.t2")
		publish(bus, "t1", 5) // committed before the snapshot, published during the open
		<-opened
		c.Delivered("t1", 5)
		c.SendJSON("hello", "", map[string]int{"lastSeq": 5})
		return nil
	})
	go func() { opened <- struct{}{} }()
	c := dial(t, url)
	if f := read(t, c); f["type"] != "hello" {
		t.Fatalf("first frame %v", f)
	}
	publish(bus, "t1", 5) // a late copy of a covered message
	publish(bus, "t1", 4)
	publish(bus, "t2", 1) // another task
	publish(bus, "t1", 6)
	var got []string
	for range 2 {
		f := read(t, c)
		d, _ := f["data"].(map[string]any)
		got = append(got, fmt.Sprint(d["taskId"], "/", d["seq"]))
	}
	if strings.Join(got, " ") != "t2/1 t1/6" {
		t.Fatalf("delivered %v, want t2/1 t1/6 (t1 up to 5 covered by hello)", got)
	}
}

// TestPingsAreSpread: connections are pinged in slots over the interval,
// not all at once, so many idle connections never cost their pings and
// pongs in one burst.
func TestPingsAreSpread(t *testing.T) {
	_, _, url, _ := setup(t, realtime.Config{PingInterval: time.Second}, func(*realtime.Conn, *http.Request) error { return nil })
	const n = 20
	pinged := make(chan time.Time, n)
	for range n {
		c := dial(t, url)
		var once sync.Once
		c.SetPingHandler(func(string) error {
			once.Do(func() { pinged <- time.Now() })
			return c.WriteControl(websocket.PongMessage, nil, time.Now().Add(time.Second))
		})
		go func() {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}()
	}
	var first, last time.Time
	for i := range n {
		select {
		case at := <-pinged:
			if i == 0 {
				first = at
			}
			last = at
		case <-time.After(5 * time.Second):
			t.Fatalf("%d of %d connections pinged", i, n)
		}
	}
	// All in one burst would arrive within a few milliseconds; in slots of
	// 20 ms, twenty connections opened together span most of the interval.
	if spread := last.Sub(first); spread < 300*time.Millisecond {
		t.Fatalf("the first pings of %d connections arrived within %v: one burst", n, spread)
	}
}
