// Package bustest is the conformance suite every interact.Bus passes: the
// in-process bus and the NATS bus run the same tests.
package bustest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact"
)

// Run runs the suite. newBus returns a fresh bus; a test closes it.
func Run(t *testing.T, newBus func(t *testing.T) interact.Bus) {
	t.Run("ExactSubject", func(t *testing.T) { exact(t, newBus(t)) })
	t.Run("Wildcards", func(t *testing.T) { wildcards(t, newBus(t)) })
	t.Run("OrderPerSubject", func(t *testing.T) { order(t, newBus(t)) })
	t.Run("Unsubscribe", func(t *testing.T) { unsubscribe(t, newBus(t)) })
	t.Run("ConcurrentPublishers", func(t *testing.T) { concurrent(t, newBus(t)) })
	t.Run("InvalidSubject", func(t *testing.T) { invalid(t, newBus(t)) })
	t.Run("Close", func(t *testing.T) { closing(t, newBus(t)) })
}

// collector gathers deliveries.
type collector struct {
	mu  sync.Mutex
	got []string
	ch  chan struct{}
}

func newCollector() *collector { return &collector{ch: make(chan struct{}, 1<<16)} }

func (c *collector) fn(subject string, data []byte) {
	c.mu.Lock()
	c.got = append(c.got, subject+"="+string(data))
	c.mu.Unlock()
	c.ch <- struct{}{}
}

// wait waits for n deliveries in total.
func (c *collector) wait(t *testing.T, n int) []string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		c.mu.Lock()
		if len(c.got) >= n {
			out := append([]string(nil), c.got...)
			c.mu.Unlock()
			return out
		}
		c.mu.Unlock()
		select {
		case <-c.ch:
		case <-deadline:
			c.mu.Lock()
			defer c.mu.Unlock()
			t.Fatalf("got %d deliveries, want %d: %v", len(c.got), n, c.got)
		}
	}
}

// settle publishes a marker on its own subscription and waits for it, so
// anything published before has had its chance to arrive.
func settle(t *testing.T, b interact.Bus) {
	t.Helper()
	done := make(chan struct{}, 1)
	sub, err := b.Subscribe("bustest.settle", func(string, []byte) { done <- struct{}{} })
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	flush(t, b)
	if err := b.Publish("bustest.settle", nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("settle marker never arrived")
	}
}

// flush lets buses with asynchronous subscription set-up catch up.
func flush(t *testing.T, b interact.Bus) {
	if f, ok := b.(interface{ Flush() error }); ok {
		if err := f.Flush(); err != nil {
			t.Fatal(err)
		}
	}
}

func subscribe(t *testing.T, b interact.Bus, subject string, c *collector) interact.Subscription {
	t.Helper()
	s, err := b.Subscribe(subject, c.fn)
	if err != nil {
		t.Fatalf("Subscribe(%q): %v", subject, err)
	}
	return s
}

func publish(t *testing.T, b interact.Bus, subject, data string) {
	t.Helper()
	if err := b.Publish(subject, []byte(data)); err != nil {
		t.Fatalf("Publish(%q): %v", subject, err)
	}
}

func exact(t *testing.T, b interact.Bus) {
	defer b.Close()
	c, other := newCollector(), newCollector()
	subscribe(t, b, "task.a", c)
	subscribe(t, b, "task.b", other)
	flush(t, b)
	publish(t, b, "task.a", "1")
	got := c.wait(t, 1)
	settle(t, b)
	if len(got) != 1 || got[0] != "task.a=1" {
		t.Errorf("task.a got %v", got)
	}
	if len(other.got) != 0 {
		t.Errorf("task.b got %v for a message to task.a", other.got)
	}
}

func wildcards(t *testing.T, b interact.Bus) {
	defer b.Close()
	star, tail := newCollector(), newCollector()
	subscribe(t, b, "task.*.msg", star)
	subscribe(t, b, "agent.>", tail)
	flush(t, b)
	for _, s := range []string{"task.x.msg", "task.x.typing", "task.x.y.msg", "agent.1", "agent.1.offer", "agent", "agents.1"} {
		publish(t, b, s, "v")
	}
	settle(t, b)
	if got := star.wait(t, 1); len(got) != 1 || got[0] != "task.x.msg=v" {
		t.Errorf("task.*.msg got %v", got)
	}
	if got := tail.wait(t, 2); len(got) != 2 || got[0] != "agent.1=v" || got[1] != "agent.1.offer=v" {
		t.Errorf("agent.> got %v", got)
	}
}

func order(t *testing.T, b interact.Bus) {
	defer b.Close()
	c := newCollector()
	subscribe(t, b, "task.order", c)
	flush(t, b)
	const n = 2000
	for i := range n {
		publish(t, b, "task.order", fmt.Sprint(i))
	}
	got := c.wait(t, n)
	for i, g := range got {
		if want := fmt.Sprintf("task.order=%d", i); g != want {
			t.Fatalf("delivery %d is %q, want %q", i, g, want)
		}
	}
}

func unsubscribe(t *testing.T, b interact.Bus) {
	defer b.Close()
	c := newCollector()
	s := subscribe(t, b, "task.u", c)
	flush(t, b)
	publish(t, b, "task.u", "before")
	c.wait(t, 1)
	if err := s.Unsubscribe(); err != nil {
		t.Fatal(err)
	}
	publish(t, b, "task.u", "after")
	settle(t, b)
	if got := c.wait(t, 1); len(got) != 1 {
		t.Errorf("delivered after Unsubscribe: %v", got)
	}
}

func concurrent(t *testing.T, b interact.Bus) {
	defer b.Close()
	c := newCollector()
	subscribe(t, b, "load.>", c)
	flush(t, b)
	const pubs, each = 8, 250
	var wg sync.WaitGroup
	for p := range pubs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				if err := b.Publish(fmt.Sprintf("load.%d", p), []byte(fmt.Sprint(i))); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got := c.wait(t, pubs*each)
	next := map[string]int{}
	for _, g := range got {
		var p, i int
		if _, err := fmt.Sscanf(g, "load.%d=%d", &p, &i); err != nil {
			t.Fatalf("bad delivery %q", g)
		}
		key := fmt.Sprint(p)
		if i != next[key] {
			t.Fatalf("publisher %d: got %d, want %d (order per subject broken)", p, i, next[key])
		}
		next[key]++
	}
}

func invalid(t *testing.T, b interact.Bus) {
	defer b.Close()
	for _, s := range []string{"", "task..x", "task.*", "task.>", "a b"} {
		if err := b.Publish(s, nil); err == nil {
			t.Errorf("Publish(%q) accepted an invalid subject", s)
		}
	}
}

func closing(t *testing.T, b interact.Bus) {
	c := newCollector()
	subscribe(t, b, "task.c", c)
	flush(t, b)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Publish("task.c", nil); err == nil {
		t.Error("Publish after Close succeeded")
	}
	if _, err := b.Subscribe("task.c", c.fn); err == nil {
		t.Error("Subscribe after Close succeeded")
	}
}
