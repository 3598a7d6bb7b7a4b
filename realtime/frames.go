package realtime

import (
	"encoding/binary"
	"io"
	"net"
	"sync"
	"unicode/utf8"
)

// WebSocket opcodes (RFC 6455 §5.2).
const (
	opContinuation = 0
	opText         = 1
	opBinary       = 2
	opClose        = 8
	opPing         = 9
	opPong         = 10
)

// Close codes the server sends when the client breaks the protocol
// (RFC 6455 §7.4.1); docs/protocol.md §1 lists them.
const (
	closeProtocolError = 1002 // a malformed frame or close code, a bad fragment sequence
	closeInvalidData   = 1007 // a text message or a close reason that is not UTF-8
	closeTooBig        = 1009 // a message over the read limit
	closeNoStatus      = 1005 // not sent: stands for a close frame without a code
)

// frameError is a violation of the protocol by the client; the connection
// is closed with its code.
type frameError struct {
	code   int
	reason string
}

func (e *frameError) Error() string { return e.reason }

// peerClosed is a valid close frame from the client. Its code (closeNoStatus
// when the frame had none) is echoed in the server's close frame
// (RFC 6455 §5.5.1).
type peerClosed struct{ code int }

func (e *peerClosed) Error() string { return "closed by peer" }

// validCloseCode reports whether a client may send code in a close frame
// (RFC 6455 §7.4; the IANA WebSocket close code registry).
//
// Valid are 1000–1003, 1007–1011 and the ranges for libraries and
// applications, 3000–4999. Refused with 1002:
//   - below 1000 and 5000 and up: not used (§7.4.2);
//   - 1004 (reserved), 1005 and 1006 (reserved for an endpoint's own
//     reporting, "MUST NOT be set as a status code in a Close control frame"
//     §7.4.1), 1015 (TLS failure, the same);
//   - 1012 Service Restart, 1013 Try Again Later and 1014 Bad Gateway:
//     registered, but they report conditions of a server or a gateway, and
//     a browser cannot send them (its close() accepts only 1000 and
//     3000–4999). Our peers are clients, so they are refused like the
//     unassigned 1016–1999, as the conformance runs of this server expect
//     (the current Autobahn suite tests them neither way);
//   - 2000–2999: reserved for extensions, and none is negotiated.
func validCloseCode(code int) bool {
	switch {
	case code >= 1000 && code <= 1003, code >= 1007 && code <= 1011:
		return true
	case code >= 3000 && code <= 4999:
		return true
	}
	return false
}

// readBufs holds the read buffers of connections that are receiving; an
// idle connection holds none.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 2048); return &b }}

// frameReader reads the client's frames straight from the connection
// (the upgrade leaves the socket with nothing buffered). Its buffer is
// taken from readBufs while data arrives and given back once everything
// received is consumed.
type frameReader struct {
	conn  net.Conn
	buf   *[]byte
	r, w  int    // unread data: (*buf)[r:w]
	msg   []byte // a fragmented message being assembled
	inMsg bool
	text  bool // the fragmented message is text: it must be UTF-8
	valid int  // bytes of msg known to be valid UTF-8, ending on a character
}

// ponger answers a client's ping (Conn.pong).
type ponger interface{ pong(payload []byte) }

// buffered reports whether received data is waiting to be read.
func (f *frameReader) buffered() bool { return f.w > f.r }

// release gives the buffer back when nothing is waiting in it.
func (f *frameReader) release() {
	if f.buf != nil && f.r == f.w {
		readBufs.Put(f.buf)
		f.buf, f.r, f.w = nil, 0, 0
	}
}

// fill reads until n bytes are buffered; n is at most the buffer's size.
func (f *frameReader) fill(n int) error {
	if f.buf == nil {
		f.buf = readBufs.Get().(*[]byte)
		f.r, f.w = 0, 0
	}
	b := *f.buf
	if f.w-f.r >= n {
		return nil
	}
	if len(b)-f.r < n {
		f.w = copy(b, b[f.r:f.w])
		f.r = 0
	}
	for f.w-f.r < n {
		m, err := f.conn.Read(b[f.w:])
		f.w += m
		if err != nil && f.w-f.r < n {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// take returns the next n buffered bytes.
func (f *frameReader) take(n int) []byte {
	p := (*f.buf)[f.r : f.r+n]
	f.r += n
	return p
}

// frame is one frame read by next.
type frame struct {
	op      int
	fin     bool
	payload []byte // unmasked; valid until the next read
}

// next reads one frame, waiting for all of it. limit bounds the payload
// of a message (fragments together).
func (f *frameReader) next(limit int64) (frame, error) {
	if err := f.fill(2); err != nil {
		return frame{}, err
	}
	h := f.take(2)
	fr := frame{op: int(h[0] & 0x0f), fin: h[0]&0x80 != 0}
	switch {
	case h[0]&0x70 != 0:
		return fr, &frameError{closeProtocolError, "reserved bits set"}
	case h[1]&0x80 == 0:
		return fr, &frameError{closeProtocolError, "client frames must be masked"}
	}
	// The payload length. RFC 6455 §5.2: "the minimal number of bytes MUST
	// be used to encode the length", and a 64-bit length has its most
	// significant bit 0. A length in more bytes than needed is refused with
	// 1002, as Autobahn's own implementation (and Netty's) does: no
	// conforming client sends one, and accepting it would only widen what
	// a peer may vary. An impossible length is malformed framing (1002),
	// not a message too big (1009).
	n := int64(h[1] & 0x7f)
	switch n {
	case 126:
		if err := f.fill(2); err != nil {
			return fr, err
		}
		if n = int64(binary.BigEndian.Uint16(f.take(2))); n < 126 {
			return fr, &frameError{closeProtocolError, "payload length not minimally encoded"}
		}
	case 127:
		if err := f.fill(8); err != nil {
			return fr, err
		}
		u := binary.BigEndian.Uint64(f.take(8))
		if u>>63 != 0 {
			return fr, &frameError{closeProtocolError, "payload length with the most significant bit set"}
		}
		if n = int64(u); n <= 0xFFFF {
			return fr, &frameError{closeProtocolError, "payload length not minimally encoded"}
		}
	}
	switch fr.op {
	case opClose, opPing, opPong:
		if !fr.fin || n > 125 {
			return fr, &frameError{closeProtocolError, "bad control frame"}
		}
	case opText, opBinary, opContinuation:
		if n > limit-int64(len(f.msg)) { // not n+len: a length near 2^63 would overflow
			return fr, &frameError{closeTooBig, "message too big"}
		}
	default:
		return fr, &frameError{closeProtocolError, "unknown opcode"}
	}
	if err := f.fill(4); err != nil {
		return fr, err
	}
	var key [4]byte
	copy(key[:], f.take(4))
	if int(n) <= len(*f.buf) {
		if err := f.fill(int(n)); err != nil {
			return fr, err
		}
		fr.payload = f.take(int(n))
	} else { // larger than the buffer: read it into its own slice
		fr.payload = make([]byte, n)
		k := copy(fr.payload, (*f.buf)[f.r:f.w])
		f.r += k
		if _, err := io.ReadFull(f.conn, fr.payload[k:]); err != nil {
			return fr, err
		}
	}
	for i := range fr.payload {
		fr.payload[i] ^= key[i&3]
	}
	return fr, nil
}

// message reads one frame and returns the message it completes, if any
// (ok false for a control frame or a fragment). Control frames are
// answered through p (ping) or end the read (close: *peerClosed, or a
// *frameError for a malformed one).
//
// A text message must be UTF-8 (RFC 6455 §8.1; 1007 otherwise). A
// fragmented one is checked as its fragments arrive, so an invalid one
// fails at the first bad byte; a character split between fragments is
// checked once its last byte has come.
func (f *frameReader) message(p ponger, limit int64) (msg []byte, ok bool, err error) {
	fr, err := f.next(limit)
	if err != nil {
		return nil, false, err
	}
	switch fr.op {
	case opPing:
		p.pong(fr.payload)
		return nil, false, nil
	case opPong:
		return nil, false, nil
	case opClose:
		return nil, false, closeFrame(fr.payload)
	case opContinuation:
		if !f.inMsg {
			return nil, false, &frameError{closeProtocolError, "continuation without a message"}
		}
		f.msg = append(f.msg, fr.payload...)
	default:
		if f.inMsg {
			return nil, false, &frameError{closeProtocolError, "new message inside a fragmented one"}
		}
		if fr.fin {
			if fr.op == opText && !utf8.Valid(fr.payload) {
				return nil, false, &frameError{closeInvalidData, "text message is not UTF-8"}
			}
			return fr.payload, true, nil
		}
		f.inMsg, f.text, f.valid = true, fr.op == opText, 0
		f.msg = append(f.msg[:0], fr.payload...)
	}
	if f.text {
		end := len(f.msg)
		if !fr.fin {
			end = completeRunes(f.msg)
		}
		if end > f.valid && !utf8.Valid(f.msg[f.valid:end]) {
			return nil, false, &frameError{closeInvalidData, "text message is not UTF-8"}
		}
		f.valid = max(f.valid, end)
	}
	if !fr.fin {
		return nil, false, nil
	}
	m := f.msg
	f.msg, f.inMsg, f.text, f.valid = nil, false, false, 0
	return m, true, nil
}

// completeRunes returns the length of b less a trailing sequence that
// starts a character a later fragment may complete. Only the last
// utf8.UTFMax-1 bytes can be one; an invalid sequence counts as complete,
// so that it is reported now.
func completeRunes(b []byte) int {
	for i := len(b) - 1; i >= 0 && i > len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if utf8.FullRune(b[i:]) {
				return len(b)
			}
			return i
		}
	}
	return len(b)
}

// closeFrame checks a client's close frame (RFC 6455 §5.5.1): empty, or a
// valid code (validCloseCode) and a UTF-8 reason.
func closeFrame(p []byte) error {
	switch {
	case len(p) == 0:
		return &peerClosed{closeNoStatus}
	case len(p) == 1:
		return &frameError{closeProtocolError, "close frame with a 1-byte payload"}
	}
	code := int(binary.BigEndian.Uint16(p))
	if !validCloseCode(code) {
		return &frameError{closeProtocolError, "invalid close code"}
	}
	if !utf8.Valid(p[2:]) {
		return &frameError{closeInvalidData, "close reason is not UTF-8"}
	}
	return &peerClosed{code}
}
