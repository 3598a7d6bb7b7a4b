package natsbus_test

import (
	"encoding/binary"
	"slices"
	"testing"
	"time"

	"github.com/interact-oss/interact/natsbus/natstest"
)

// BenchmarkCrossNodeHop measures one event's trip from a publish on one
// connection to its subscriber's handler on another (the hop between two
// interact nodes), one message at a time: p50 and p99 in microseconds.
func BenchmarkCrossNodeHop(b *testing.B) {
	srv := natstest.Start(b)
	pub, sub := connect(b, srv.URL()), connect(b, srv.URL())
	got := make(chan time.Duration, 1)
	sub.Subscribe("task.hop", func(_ string, d []byte) {
		got <- time.Duration(time.Now().UnixNano() - int64(binary.BigEndian.Uint64(d)))
	})
	sub.Flush()
	lat := make([]time.Duration, 0, b.N)
	buf := make([]byte, 8, 64)
	b.ResetTimer()
	for range b.N {
		binary.BigEndian.PutUint64(buf, uint64(time.Now().UnixNano()))
		if err := pub.Publish("task.hop", buf); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, <-got)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkCrossNodeThroughput publishes as fast as one connection can and
// counts deliveries to a subscriber on another: messages per second.
func BenchmarkCrossNodeThroughput(b *testing.B) {
	srv := natstest.Start(b)
	pub, sub := connect(b, srv.URL()), connect(b, srv.URL())
	done := make(chan struct{})
	n := 0
	sub.Subscribe("task.*.msg", func(string, []byte) {
		if n++; n == b.N {
			close(done)
		}
	})
	sub.Flush()
	data := []byte(`{"type":"message","data":{"taskId":"01hxyz","seq":1,"text":"hello there"}}`)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if err := pub.Publish("task.01hxyz.msg", data); err != nil {
			b.Fatal(err)
		}
	}
	<-done
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
