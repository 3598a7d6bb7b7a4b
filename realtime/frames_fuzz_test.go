package realtime

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime/metrics"
	"testing"
)

// streamConn is a client's byte stream, handed to the reader at most chunk
// bytes per Read. Only Read is implemented: the reader must not write.
type streamConn struct {
	net.Conn
	data  []byte
	chunk int
}

func (c *streamConn) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.chunk)], c.data)
	c.data = c.data[n:]
	return n, nil
}

type pongCount int

func (p *pongCount) pong(payload []byte) {
	if len(payload) > 125 {
		panic("pong of a control frame over 125 bytes")
	}
	*p++
}

// fuzzFrame is a masked client frame for the seed corpus.
func fuzzFrame(b0 byte, payload []byte) []byte {
	f := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		f = append(f, 0x80|byte(n))
	case n <= 0xFFFF:
		f = binary.BigEndian.AppendUint16(append(f, 0x80|126), uint16(n))
	default:
		f = binary.BigEndian.AppendUint64(append(f, 0x80|127), uint64(n))
	}
	key := [4]byte{1, 2, 3, 4}
	f = append(f, key[:]...)
	for i, c := range payload {
		f = append(f, c^key[i&3])
	}
	return f
}

// FuzzFrameReader feeds arbitrary bytes, as a client's stream, through the
// frame reader. It must not panic; every error is a protocol error with a
// close code the server may send, a valid close from the client, or the end
// of the stream; no message exceeds the read limit; and the reader
// allocates in proportion to what it received, never to lengths the stream
// merely claims.
func FuzzFrameReader(f *testing.F) {
	cat := func(fs ...[]byte) []byte {
		var b []byte
		for _, x := range fs {
			b = append(b, x...)
		}
		return b
	}
	f.Add(uint8(0), cat(fuzzFrame(0x81, []byte(`{"type":"ping"}`))))
	f.Add(uint8(3), cat(fuzzFrame(0x01, []byte("h\xc3")), fuzzFrame(0x89, []byte("p")), fuzzFrame(0x80, []byte("\xa9llo"))))
	f.Add(uint8(7), cat(fuzzFrame(0x82, []byte("bin")), fuzzFrame(0x88, []byte{0x03, 0xe8, 'o', 'k'})))
	// Lengths claimed and not sent (small seeds keep minimizing quick):
	// above the read buffer, above the limit, and one that would overflow
	// the limit check once a fragment is buffered.
	f.Add(uint8(9), []byte{0x82, 0xfe, 0x0b, 0xb8, 1, 2, 3, 4, 'x', 'y'})
	f.Add(uint8(1), []byte{0x81, 0xff, 0, 0, 0, 0, 0, 1, 0x11, 0x70, 1, 2, 3, 4})
	f.Add(uint8(4), cat(fuzzFrame(0x01, []byte("a")), []byte{0x80, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4}))
	f.Add(uint8(0), []byte{0x81, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4})
	f.Add(uint8(0), []byte{0x81, 0xfe, 0x00, 0x05, 1, 2, 3, 4, 'h', 'e', 'l', 'l', 'o'})
	f.Add(uint8(2), cat(fuzzFrame(0x88, []byte{0x03})))
	f.Add(uint8(5), cat(fuzzFrame(0x81, []byte("\xed\xa0\x80"))))
	const limit = 1 << 14
	f.Fuzz(func(t *testing.T, chunk uint8, stream []byte) {
		allocs := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
		metrics.Read(allocs)
		before := allocs[0].Value.Uint64()
		var pongs pongCount
		fr := frameReader{conn: &streamConn{data: stream, chunk: int(chunk)%97 + 1}}
		for {
			msg, ok, err := fr.message(&pongs, limit)
			if err != nil {
				var fe *frameError
				var pc *peerClosed
				switch {
				case errors.As(err, &fe):
					if fe.code != closeProtocolError && fe.code != closeInvalidData && fe.code != closeTooBig {
						t.Fatalf("frame error with close code %d: %v", fe.code, err)
					}
					if len(fe.reason) > 123 {
						t.Fatalf("close reason over 123 bytes: %q", fe.reason)
					}
				case errors.As(err, &pc):
					if pc.code != closeNoStatus && !validCloseCode(pc.code) {
						t.Fatalf("peer close with code %d accepted", pc.code)
					}
				case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
				default:
					t.Fatalf("unexpected error %T %v", err, err)
				}
				break
			}
			if int64(len(msg)) > limit || int64(len(fr.msg)) > limit {
				t.Fatalf("message of %d bytes (assembling %d) over the limit", len(msg), len(fr.msg))
			}
			if !ok && msg != nil {
				t.Fatal("a message returned with ok false")
			}
		}
		fr.release()
		metrics.Read(allocs)
		// Payloads are read into the pooled buffer or a slice of their
		// length; a fragmented message grows by append. What a stream can
		// make the reader allocate is a small multiple of its length, plus
		// at most one payload buffer of up to limit bytes that the stream
		// claimed and did not deliver. The runtime counts small objects by
		// the span, and the process's other goroutines (the fuzzing engine's
		// own) allocate meanwhile, hence the slack: what it must catch is a
		// claimed length turned into an allocation, megabytes and more.
		if got, bound := allocs[0].Value.Uint64()-before, uint64(8*len(stream)+2*limit+2<<20); got > bound {
			t.Fatalf("allocated %d bytes for a stream of %d (bound %d)", got, len(stream), bound)
		}
	})
}
