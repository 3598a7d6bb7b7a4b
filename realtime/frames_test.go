package realtime_test

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/interact-oss/interact/realtime"
)

func answerAll(c *realtime.Conn, r *http.Request) error { return nil }

// A message the client sends in fragments, one larger than a read buffer,
// and a client ping are all read and answered.
func TestFramesFragmentedLargeAndPing(t *testing.T) {
	_, _, url, _ := setup(t, realtime.Config{}, answerAll)
	d := websocket.Dialer{WriteBufferSize: 64} // messages go out in frames of 64 bytes
	c, _, err := d.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pad := strings.Repeat("x", 300)
	c.WriteJSON(map[string]any{"type": "ping", "id": "frag", "data": map[string]string{"pad": pad}})
	if f := read(t, c); f["type"] != "pong" || f["id"] != "frag" {
		t.Fatalf("fragmented message answered %v", f)
	}
	big := strings.Repeat("y", 10000) // above the 2 KiB read buffer, below the 16 KiB limit
	c.WriteJSON(map[string]any{"type": "ping", "id": "big", "data": map[string]string{"pad": big}})
	if f := read(t, c); f["type"] != "pong" || f["id"] != "big" {
		t.Fatalf("large message answered %v", f)
	}
	pong := make(chan string, 1)
	c.SetPongHandler(func(s string) error { pong <- s; return nil })
	c.WriteControl(websocket.PingMessage, []byte("are you there"), time.Now().Add(time.Second))
	c.WriteJSON(map[string]any{"type": "ping", "id": "after"})
	if f := read(t, c); f["id"] != "after" { // reading runs the pong handler
		t.Fatalf("answer %v", f)
	}
	if got := <-pong; got != "are you there" {
		t.Fatalf("pong %q", got)
	}
}

// A message over the read limit closes the connection with 1009.
func TestFramesOverLimit(t *testing.T) {
	_, _, url, _ := setup(t, realtime.Config{ReadLimit: 1000}, answerAll)
	c := dial(t, url)
	c.WriteJSON(map[string]any{"type": "ping", "data": strings.Repeat("z", 2000)})
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadMessage(); !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Fatalf("want close 1009, got %v", err)
	}
}

// rawSocket opens a WebSocket by hand, to send frames the library would not.
func rawSocket(t *testing.T, url string) (net.Conn, *bufio.Reader) {
	t.Helper()
	addr := strings.TrimPrefix(url, "ws://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.Write([]byte("GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	return c, br
}

// masked returns a final text frame with payload p, masked with key.
func masked(p string, key [4]byte) []byte {
	f := []byte{0x81, 0x80 | byte(len(p))}
	f = append(f, key[:]...)
	for i := range len(p) {
		f = append(f, p[i]^key[i&3])
	}
	return f
}

// readFrame reads one unmasked server frame: opcode and payload.
func readFrame(t *testing.T, c net.Conn, br *bufio.Reader) (byte, []byte) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	h := make([]byte, 2)
	if _, err := br.Read(h[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := br.Read(h[1:]); err != nil {
		t.Fatal(err)
	}
	p := make([]byte, h[1]&0x7f)
	for n := 0; n < len(p); {
		m, err := br.Read(p[n:])
		if err != nil {
			t.Fatal(err)
		}
		n += m
	}
	return h[0] & 0x0f, p
}

// Two frames arriving in one packet are both handled, in order.
func TestFramesTwoInOnePacket(t *testing.T) {
	_, _, url, _ := setup(t, realtime.Config{}, answerAll)
	c, br := rawSocket(t, url)
	c.Write(append(masked(`{"type":"ping","id":"1"}`, [4]byte{1, 2, 3, 4}), masked(`{"type":"ping","id":"2"}`, [4]byte{5, 6, 7, 8})...))
	for _, want := range []string{"1", "2"} {
		op, p := readFrame(t, c, br)
		var f map[string]any
		json.Unmarshal(p, &f)
		if op != 1 || f["type"] != "pong" || f["id"] != want {
			t.Fatalf("want pong %s, got opcode %d %s", want, op, p)
		}
	}
}

// An unmasked client frame is a protocol error: close 1002.
func TestFramesUnmaskedRefused(t *testing.T) {
	_, _, url, _ := setup(t, realtime.Config{}, answerAll)
	c, br := rawSocket(t, url)
	p := `{"type":"ping"}`
	c.Write(append([]byte{0x81, byte(len(p))}, p...))
	op, payload := readFrame(t, c, br)
	if op != 8 || len(payload) < 2 || int(payload[0])<<8|int(payload[1]) != websocket.CloseProtocolError {
		t.Fatalf("want close 1002, got opcode %d %q", op, payload)
	}
}
