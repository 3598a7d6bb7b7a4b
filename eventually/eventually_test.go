package eventually_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/interact-oss/interact/eventually"
)

func TestTrueReturnsOnceTheConditionHolds(t *testing.T) {
	calls := 0
	eventually.True(t, "the third call", func() bool { calls++; return calls == 3 })
	if calls != 3 {
		t.Fatalf("returned after %d calls, want 3", calls)
	}
}

func TestTrueSeesAnotherGoroutine(t *testing.T) {
	var done atomic.Bool
	go done.Store(true)
	eventually.True(t, "the flag to be set", done.Load)
}

func TestTrueChecksBeforeWaiting(t *testing.T) {
	calls := 0
	start := time.Now()
	eventually.Within(t, 0, "what already holds", func() bool { calls++; return true })
	if calls != 1 || time.Since(start) > time.Second {
		t.Fatalf("%d calls, %v for a condition that holds at once", calls, time.Since(start))
	}
}

// fakeTB records Fatalf instead of ending the goroutine.
type fakeTB struct {
	testing.TB
	failures []string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failures = append(f.failures, fmt.Sprintf(format, args...))
}

func TestWithinFailsWhenTheConditionNeverHolds(t *testing.T) {
	f := &fakeTB{TB: t}
	calls := 0
	start := time.Now()
	eventually.Within(f, 50*time.Millisecond, "the impossible", func() bool { calls++; return false })
	took := time.Since(start)
	if len(f.failures) != 1 || f.failures[0] != "timed out waiting: the impossible" {
		t.Fatalf("failures %q, want one: timed out waiting: the impossible", f.failures)
	}
	if took < 50*time.Millisecond || calls < 2 {
		t.Fatalf("gave up after %v and %d calls, want the whole 50ms of polling", took, calls)
	}
}

func TestWithinFailsOnceAfterZero(t *testing.T) {
	f := &fakeTB{TB: t}
	calls := 0
	eventually.Within(f, 0, "the impossible", func() bool { calls++; return false })
	if len(f.failures) != 1 || calls < 1 {
		t.Fatalf("%d calls, failures %q; want the condition checked and one failure", calls, f.failures)
	}
}
