package realtime_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/membus"
	"github.com/interact-oss/interact/realtime"
)

// BenchmarkIdleConnection opens b.N WebSocket connections, each subscribed
// to its own subject and sent one frame, and leaves them idle. It reports
// the Go heap and stack in use per connection once they are idle (the
// client's side, a bare TCP connection, is a small part of it).
func BenchmarkIdleConnection(b *testing.B) {
	bus := membus.New()
	defer bus.Close()
	hub, err := realtime.NewHub(realtime.Config{}, bus)
	if err != nil {
		b.Fatal(err)
	}
	defer hub.Close()
	h := &echo{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hub.Upgrade(w, r, h, func(c *realtime.Conn) error {
			c.Subscribe("task." + r.URL.Query().Get("s"))
			c.SendJSON("hello", "", map[string]string{"taskId": r.URL.Query().Get("s")})
			return nil
		})
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	before := idleMem()
	conns := make([]net.Conn, 0, b.N)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	b.ResetTimer()
	for i := range b.N {
		c, err := rawDial(addr, fmt.Sprintf("/ws?s=t%d", i))
		if err != nil {
			b.Fatal(err)
		}
		conns = append(conns, c)
	}
	n := len(conns)
	b.StopTimer()
	eventually.True(b, "every connection to be open", func() bool { return hub.Stats().Connections >= n })
	after := idleMem()
	b.ReportMetric(float64(after.heap-before.heap)/float64(n), "heap-B/conn")
	b.ReportMetric(float64(after.stack-before.stack)/float64(n), "stack-B/conn")
	b.ReportMetric(float64(after.goroutines-before.goroutines)/float64(n), "goroutines/conn")
}

type mem struct{ heap, stack, goroutines int64 }

func idleMem() mem {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return mem{int64(m.HeapInuse), int64(m.StackInuse), int64(runtime.NumGoroutine())}
}

// rawDial opens a WebSocket with a hand-written handshake and reads the
// upgrade response and the first frame, keeping only the TCP connection.
func rawDial(addr, path string) (net.Conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", path, addr)
	br := bufio.NewReaderSize(c, 512)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		c.Close()
		return nil, fmt.Errorf("upgrade: %s", resp.Status)
	}
	hdr := make([]byte, 2)
	if _, err := br.Read(hdr); err != nil {
		c.Close()
		return nil, err
	}
	if _, err := br.Discard(int(hdr[1] & 0x7f)); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}
