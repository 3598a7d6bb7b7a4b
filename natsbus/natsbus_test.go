package natsbus_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/bustest"
	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/natsbus"
	"github.com/interact-oss/interact/natsbus/natstest"
)

func connect(t testing.TB, url string) *natsbus.Bus {
	t.Helper()
	b, err := natsbus.Connect(url, natsbus.Options{Name: t.Name()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestConformance(t *testing.T) {
	srv := natstest.Start(t)
	bustest.Run(t, func(t *testing.T) interact.Bus { return connect(t, srv.URL()) })
}

// Two connections are two nodes: a publish on one reaches a subscriber on
// the other, in order.
func TestCrossConnection(t *testing.T) {
	srv := natstest.Start(t)
	a, b := connect(t, srv.URL()), connect(t, srv.URL())
	got := make(chan string, 100)
	if _, err := b.Subscribe("task.>", func(s string, d []byte) { got <- s + "=" + string(d) }); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if err := a.Publish("task.x", fmt.Append(nil, i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		if g, want := <-got, fmt.Sprintf("task.x=%d", i); g != want {
			t.Fatalf("got %q, want %q", g, want)
		}
	}
}

func TestUnreachable(t *testing.T) {
	_, err := natsbus.Connect("nats://127.0.0.1:1", natsbus.Options{ConnectTimeout: time.Second})
	if err == nil {
		t.Fatal("Connect to a closed port succeeded")
	}
}

// The bus survives a server restart: subscriptions come back and publishes
// made while the server was down are delivered after reconnecting.
func TestReconnect(t *testing.T) {
	srv := natstest.Start(t)
	port := srv.Port()
	pub, sub := connect(t, srv.URL()), connect(t, srv.URL())
	got := make(chan string, 10)
	if _, err := sub.Subscribe("task.r", func(_ string, d []byte) { got <- string(d) }); err != nil {
		t.Fatal(err)
	}
	sub.Flush()
	srv.Shutdown()
	srv.WaitForShutdown()
	if err := pub.Publish("task.r", []byte("while down")); err != nil {
		t.Fatalf("publish while disconnected: %v", err)
	}
	natstest.StartAt(t, port)
	// The subscriber may reconnect after the publisher's buffered message is
	// flushed; keep publishing a marker until the subscription is back.
	last := time.Time{}
	eventually.True(t, "a delivery after the server came back", func() bool {
		select {
		case d := <-got:
			return d == "while down" || d == "after"
		default:
		}
		if time.Since(last) >= 100*time.Millisecond && pub.Connected() && sub.Connected() {
			pub.Publish("task.r", []byte("after")) // at most one marker every 100 ms
			last = time.Now()
		}
		return false
	})
}

func TestRequest(t *testing.T) {
	srv := natstest.Start(t)
	a, b := connect(t, srv.URL()), connect(t, srv.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.Request(ctx, "rpc.echo", []byte("x")); !errors.Is(err, natsbus.ErrNoResponder) {
		t.Fatalf("request without handler: %v, want ErrNoResponder", err)
	}
	var mu sync.Mutex
	var handled []string
	for _, name := range []string{"h1", "h2"} {
		if _, err := b.Handle("rpc.echo", "q", func(d []byte) []byte {
			mu.Lock()
			handled = append(handled, name)
			mu.Unlock()
			return append([]byte("echo "), d...)
		}); err != nil {
			t.Fatal(err)
		}
	}
	b.Flush()
	const n = 20
	for i := range n {
		r, err := a.Request(ctx, "rpc.echo", fmt.Append(nil, i))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("echo %d", i); string(r) != want {
			t.Fatalf("reply %q, want %q", r, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(handled) != n {
		t.Fatalf("%d requests handled %d times: a queue group must deliver each once", n, len(handled))
	}
}

// Close lets a subscription finish what it already received.
func TestCloseDrains(t *testing.T) {
	srv := natstest.Start(t)
	a := connect(t, srv.URL())
	var mu sync.Mutex
	n := 0
	a.Subscribe("task.d", func(string, []byte) {
		time.Sleep(time.Millisecond) // a slow handler, so messages queue up
		mu.Lock()
		n++
		mu.Unlock()
	})
	a.Flush()
	const total = 200
	for range total {
		a.Publish("task.d", nil)
	}
	a.Flush() // the server has sent them; they are queued on the client
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if n != total {
		t.Fatalf("handled %d of %d messages before Close returned", n, total)
	}
}
