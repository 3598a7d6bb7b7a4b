package realtime

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
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

// frameError is a violation of the protocol by the client; the connection
// is closed with its code.
type frameError struct {
	code   int
	reason string
}

func (e *frameError) Error() string { return e.reason }

var errClosedByPeer = errors.New("closed by peer")

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
}

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
		return fr, &frameError{1002, "reserved bits set"}
	case h[1]&0x80 == 0:
		return fr, &frameError{1002, "client frames must be masked"}
	}
	n := int64(h[1] & 0x7f)
	switch n {
	case 126:
		if err := f.fill(2); err != nil {
			return fr, err
		}
		n = int64(binary.BigEndian.Uint16(f.take(2)))
	case 127:
		if err := f.fill(8); err != nil {
			return fr, err
		}
		n = int64(binary.BigEndian.Uint64(f.take(8)))
	}
	switch fr.op {
	case opClose, opPing, opPong:
		if !fr.fin || n > 125 {
			return fr, &frameError{1002, "bad control frame"}
		}
	case opText, opBinary, opContinuation:
		if n < 0 || n+int64(len(f.msg)) > limit {
			return fr, &frameError{1009, "message too big"}
		}
	default:
		return fr, &frameError{1002, "unknown opcode"}
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

// message reads one frame and returns the message it completes, if any.
// Control frames are answered through c (ping) or end the read (close).
func (f *frameReader) message(c *Conn, limit int64) ([]byte, error) {
	fr, err := f.next(limit)
	if err != nil {
		return nil, err
	}
	switch fr.op {
	case opPing:
		c.pong(fr.payload)
		return nil, nil
	case opPong:
		return nil, nil
	case opClose:
		return nil, errClosedByPeer
	case opContinuation:
		if !f.inMsg {
			return nil, &frameError{1002, "continuation without a message"}
		}
		f.msg = append(f.msg, fr.payload...)
	default:
		if f.inMsg {
			return nil, &frameError{1002, "new message inside a fragmented one"}
		}
		if fr.fin {
			return fr.payload, nil
		}
		f.inMsg = true
		f.msg = append(f.msg[:0], fr.payload...)
	}
	if !fr.fin {
		return nil, nil
	}
	m := f.msg
	f.msg, f.inMsg = nil, false
	return m, nil
}
