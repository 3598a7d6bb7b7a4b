package realtime_test

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/realtime"
)

// Frames of every length encoding (7-bit, 16-bit, 64-bit), queued together
// while corked, reach a standard client intact and in order; a message
// frame already sent for its seq is dropped.
func TestCorkedFramesOfEverySize(t *testing.T) {
	sizes := []int{0, 125, 126, 65535, 65536, 70000}
	var frames [][]byte
	for i, n := range sizes {
		frames = append(frames, []byte(fmt.Sprintf(`{"type":"blob","id":"%d","data":%q}`, i, strings.Repeat("x", n))))
	}
	msg := func(seq int64, text string) []byte {
		b, _ := interact.EncodeFrame("message", "", interact.Message{TaskID: "t1", Seq: seq, From: "visitor", Text: text, At: time.Now()})
		return b
	}
	_, _, url, _ := setup(t, realtime.Config{ReadLimit: 1 << 20}, func(c *realtime.Conn, r *http.Request) error {
		c.Cork()
		for _, f := range frames {
			c.Send(f)
		}
		c.Send(msg(1, `"seq":9 is text`))
		c.Send(msg(1, "again")) // dropped: seq 1 was sent
		c.Send(msg(2, "second"))
		c.Uncork()
		return nil
	})
	ws := dial(t, url)
	for i, want := range frames {
		ws.SetReadDeadline(time.Now().Add(5 * time.Second))
		typ, got, err := ws.ReadMessage()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if typ != websocket.TextMessage || !bytes.Equal(got, want) {
			t.Fatalf("frame %d (%d bytes of text): got type %d, %d bytes", i, sizes[i], typ, len(got))
		}
	}
	for _, want := range []string{`"seq":9 is text`, "second"} {
		f := read(t, ws)
		if d, _ := f["data"].(map[string]any); d["text"] != want {
			t.Fatalf("got %v, want the message %q", f, want)
		}
	}
}
