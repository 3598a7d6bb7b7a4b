package membus_test

import (
	"testing"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/bustest"
	"github.com/interact-oss/interact/membus"
)

func TestConformance(t *testing.T) {
	bustest.Run(t, func(t *testing.T) interact.Bus { return membus.New() })
}

func BenchmarkPublish(b *testing.B) {
	bus := membus.New()
	defer bus.Close()
	done := make(chan struct{})
	n := 0
	bus.Subscribe("task.*.msg", func(string, []byte) {
		n++
		if n == b.N {
			close(done)
		}
	})
	data := []byte(`{"type":"message","seq":1}`)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		bus.Publish("task.01hxyz.msg", data)
	}
	<-done
}
