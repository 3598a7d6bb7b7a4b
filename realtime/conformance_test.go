package realtime_test

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/interact-oss/interact/realtime"
)

// RFC 6455 conformance of the frame reader, over a real TCP connection to a
// hub: the test writes raw client frames and reads the server's answer.

// Length encodings of a test frame: the minimal one, or a longer one that
// RFC 6455 §5.2 forbids.
const (
	lenMinimal = iota
	len16
	len64
)

// rawFrame is a masked client frame.
type rawFrame struct {
	fin     bool
	rsv     byte // RSV1-3 bits, already shifted (0x40, 0x20, 0x10)
	op      byte
	payload []byte
	length  int    // lenMinimal, len16 or len64
	rawLen  []byte // when set, the extended length bytes sent as they are (with 127)
	noMask  bool
}

var maskKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

func (f rawFrame) bytes() []byte {
	b0 := f.rsv | f.op
	if f.fin {
		b0 |= 0x80
	}
	var m byte = 0x80
	if f.noMask {
		m = 0
	}
	n := len(f.payload)
	b := []byte{b0}
	switch {
	case f.rawLen != nil:
		b = append(append(b, m|127), f.rawLen...)
	case f.length == len64 || (f.length == lenMinimal && n > 0xFFFF):
		b = binary.BigEndian.AppendUint64(append(b, m|127), uint64(n))
	case f.length == len16 || (f.length == lenMinimal && n > 125):
		b = binary.BigEndian.AppendUint16(append(b, m|126), uint16(n))
	default:
		b = append(b, m|byte(n))
	}
	if f.noMask {
		return append(b, f.payload...)
	}
	b = append(b, maskKey[:]...)
	for i, c := range f.payload {
		b = append(b, c^maskKey[i&3])
	}
	return b
}

func text(p string) rawFrame { return rawFrame{fin: true, op: 1, payload: []byte(p)} }

// fragments splits p into a text message's frames at the given byte offsets.
func fragments(p string, cuts ...int) []rawFrame {
	var fs []rawFrame
	prev := 0
	for i, c := range append(cuts, len(p)) {
		op := byte(0)
		if i == 0 {
			op = 1
		}
		fs = append(fs, rawFrame{fin: c == len(p), op: op, payload: []byte(p[prev:c])})
		prev = c
	}
	return fs
}

func closeWith(code int, reason string) rawFrame {
	return rawFrame{fin: true, op: 8, payload: append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)}
}

func send(t *testing.T, c net.Conn, frames ...rawFrame) {
	t.Helper()
	var b []byte
	for _, f := range frames {
		b = append(b, f.bytes()...)
	}
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
}

// wantClose reads the server's close frame; it returns its code (0 for an
// empty close) and reason.
func wantClose(t *testing.T, c net.Conn, br *bufio.Reader) (int, string) {
	t.Helper()
	op, p := readFrame(t, c, br)
	if op != 8 {
		t.Fatalf("want a close frame, got opcode %d %q", op, p)
	}
	if len(p) == 0 {
		return 0, ""
	}
	if len(p) < 2 {
		t.Fatalf("close payload %q", p)
	}
	return int(binary.BigEndian.Uint16(p)), string(p[2:])
}

// wantPong reads the echo handler's answer to a ping frame with id.
func wantPong(t *testing.T, c net.Conn, br *bufio.Reader, id string) {
	t.Helper()
	op, p := readFrame(t, c, br)
	var f map[string]any
	json.Unmarshal(p, &f)
	if op != 1 || f["type"] != "pong" || f["id"] != id {
		t.Fatalf("want pong %q, got opcode %d %s", id, op, p)
	}
}

func TestConformanceRefusals(t *testing.T) {
	_, _, url, _ := setup(t, realtime.Config{ReadLimit: 1 << 17}, answerAll)
	length64 := func(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }
	cases := []struct {
		what   string
		frames []rawFrame
		code   int
	}{
		// UTF-8 (RFC 6455 §8.1): 1007.
		{"text not UTF-8", []rawFrame{text("{\"type\":\"ping\",\"id\":\"\xff\"}")}, 1007},
		{"text with an overlong encoding", []rawFrame{text("\xc0\xaf")}, 1007},
		{"text with a UTF-16 surrogate", []rawFrame{text("a\xed\xa0\x80b")}, 1007},
		{"text with a code point above U+10FFFF", []rawFrame{text("\xf4\x90\x80\x80")}, 1007},
		{"text truncated in its last character", []rawFrame{text("ab\xe2\x82")}, 1007},
		{"fragmented text not UTF-8 in the last fragment", fragments("hello\xff", 2, 5), 1007},
		{"fragmented text with a character split and broken", fragments("ab\xce\x41", 3), 1007},
		{"fragmented text ending inside a character", fragments("ab\xe2\x82", 3), 1007},
		// The rest of the message never comes: the bad first fragment alone
		// closes the connection.
		{"fragmented text failing fast", []rawFrame{{op: 1, payload: []byte("ok\xffmore")}}, 1007},
		{"close reason not UTF-8", []rawFrame{closeWith(1000, "bye \xff")}, 1007},
		// Close frames (§5.5.1, §7.4): 1002.
		{"close with a 1-byte payload", []rawFrame{{fin: true, op: 8, payload: []byte{0x03}}}, 1002},
		// Lengths (§5.2): 1002.
		{"64-bit length with the top bit set", []rawFrame{{fin: true, op: 1, rawLen: length64(1 << 63)}}, 1002},
		{"64-bit length of all ones", []rawFrame{{fin: true, op: 1, rawLen: length64(^uint64(0))}}, 1002},
		{"16-bit length for 5 bytes", []rawFrame{{fin: true, op: 1, payload: []byte("hello"), length: len16}}, 1002},
		{"16-bit length of 0", []rawFrame{{fin: true, op: 1, length: len16}}, 1002},
		{"64-bit length for 5 bytes", []rawFrame{{fin: true, op: 1, payload: []byte("hello"), length: len64}}, 1002},
		{"64-bit length for 200 bytes", []rawFrame{{fin: true, op: 1, payload: []byte(strings.Repeat("x", 200)), length: len64}}, 1002},
		// Refused on the header: the payload is not sent.
		{"64-bit length for 65535 bytes", []rawFrame{{fin: true, op: 1, rawLen: length64(0xFFFF)}}, 1002},
		// Other framing errors (§5.2–§5.5): 1002.
		{"unmasked", []rawFrame{{fin: true, op: 1, payload: []byte("{}"), noMask: true}}, 1002},
		{"RSV1 set", []rawFrame{{fin: true, rsv: 0x40, op: 1, payload: []byte("{}")}}, 1002},
		{"RSV3 set", []rawFrame{{fin: true, rsv: 0x10, op: 1, payload: []byte("{}")}}, 1002},
		{"reserved data opcode 3", []rawFrame{{fin: true, op: 3}}, 1002},
		{"reserved control opcode 11", []rawFrame{{fin: true, op: 11}}, 1002},
		{"fragmented ping", []rawFrame{{op: 9, payload: []byte("a")}}, 1002},
		{"ping with 126 bytes", []rawFrame{{fin: true, op: 9, payload: []byte(strings.Repeat("p", 126))}}, 1002},
		{"close with 126 bytes", []rawFrame{closeWith(1000, strings.Repeat("r", 124))}, 1002},
		{"continuation without a message", []rawFrame{{fin: true, op: 0, payload: []byte("{}")}}, 1002},
		{"text inside a fragmented message", []rawFrame{{op: 1, payload: []byte("{")}, text("{}")}, 1002},
		// Size: 1009.
		{"over the read limit", []rawFrame{{fin: true, op: 1, rawLen: length64(1<<17 + 1)}}, 1009},
		// The largest length after a fragment: the limit check must not
		// overflow (it did, and the reader's allocation panicked).
		{"continuation of 2^63-1 bytes", []rawFrame{{op: 1, payload: []byte("{")}, {fin: true, op: 0, rawLen: length64(1<<63 - 1)}}, 1009},
	}
	// Close codes a client may not send (§7.4.1, §7.4.2, the IANA registry).
	for _, code := range []int{0, 999, 1004, 1005, 1006, 1012, 1013, 1014, 1015, 1016, 1100, 2000, 2999, 5000, 65535} {
		cases = append(cases, struct {
			what   string
			frames []rawFrame
			code   int
		}{"close code " + strconv.Itoa(code), []rawFrame{closeWith(code, "")}, 1002})
	}
	for _, tc := range cases {
		t.Run(tc.what, func(t *testing.T) {
			c, br := rawSocket(t, url)
			send(t, c, tc.frames...)
			if code, reason := wantClose(t, c, br); code != tc.code {
				t.Fatalf("closed with %d %q, want %d", code, reason, tc.code)
			}
		})
	}
}

func TestConformanceAccepted(t *testing.T) {
	_, _, url, _ := setup(t, realtime.Config{ReadLimit: 1 << 17}, answerAll)
	ping := func(id string) string { return `{"type":"ping","id":"` + id + `"}` }
	padded := func(n int) string { // a ping frame of n bytes
		const head, tail = `{"type":"ping","id":"pad","data":"`, `"}`
		return head + strings.Repeat("l", n-len(head)-len(tail)) + tail
	}

	t.Run("fragments splitting characters", func(t *testing.T) {
		// é (2 bytes), € (3), 😀 (4): each split between fragments, with a
		// ping and an empty fragment in between.
		m := ping("é€😀")
		i := strings.Index(m, "é")
		fs := fragments(m, i+1, i+3, i+4, i+4, i+6, i+8)
		fs = append(fs[:3], append([]rawFrame{{fin: true, op: 9, payload: []byte("x")}}, fs[3:]...)...)
		c, br := rawSocket(t, url)
		send(t, c, fs...)
		if op, p := readFrame(t, c, br); op != 10 || string(p) != "x" {
			t.Fatalf("want pong x, got opcode %d %q", op, p)
		}
		wantPong(t, c, br, "é€😀")
		// Byte by byte, in separate writes.
		m = ping("✓😀")
		var cuts []int
		for k := 1; k < len(m); k++ {
			cuts = append(cuts, k)
		}
		for _, f := range fragments(m, cuts...) {
			send(t, c, f)
		}
		wantPong(t, c, br, "✓😀")
	})

	t.Run("minimal lengths", func(t *testing.T) {
		c, br := rawSocket(t, url)
		for _, n := range []int{125, 126, 0xFFFF, 0x10000} {
			send(t, c, text(padded(n)))
			wantPong(t, c, br, "pad")
		}
	})

	for _, code := range []int{1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999} {
		t.Run("close code "+strconv.Itoa(code)+" echoed", func(t *testing.T) {
			c, br := rawSocket(t, url)
			send(t, c, closeWith(code, "bye ✓"))
			if got, reason := wantClose(t, c, br); got != code {
				t.Fatalf("answered %d %q, want %d", got, reason, code)
			}
		})
	}

	t.Run("empty close answered with an empty close", func(t *testing.T) {
		c, br := rawSocket(t, url)
		send(t, c, rawFrame{fin: true, op: 8})
		if got, reason := wantClose(t, c, br); got != 0 {
			t.Fatalf("answered %d %q, want an empty close", got, reason)
		}
	})
}
