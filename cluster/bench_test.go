package cluster_test

import (
	"testing"
)

// BenchmarkForwardedCall measures a routing call made on a node that is not
// the owner (Task, which web makes for every visitor frame): a NATS
// request/reply to the owner and the engine's work.
func BenchmarkForwardedCall(b *testing.B) {
	w := newWorld(b, 1)
	n1, n2 := w.node("a"), w.node("b")
	other := n1
	if owner(b, n1, n2) == n1 {
		other = n2
	}
	task := w.start(b, other, "Bench")
	b.ResetTimer()
	for range b.N {
		if _, ok := other.Task(task.ID); !ok {
			b.Fatal("task not found")
		}
	}
}
