package realtime

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/interact-oss/interact"
)

// Frames are written straight to the socket (the server's frames are not
// masked): everything queued for a connection goes out in one write, with
// one deadline, instead of a write per frame.

// maxBurst is the most bytes gathered for one write.
const maxBurst = 64 << 10

// writeBufs holds the write buffers of connections that are sending; an
// idle connection holds none.
var writeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// appendFrame appends an unmasked, final frame with opcode op.
func appendFrame(b []byte, op byte, payload []byte) []byte {
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|op, byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x80|op, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|op, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}

// writeFrames writes text frames in as few writes as maxBurst allows.
func (c *Conn) writeFrames(frames [][]byte) error {
	bp := writeBufs.Get().(*[]byte)
	buf := (*bp)[:0]
	c.wmu.Lock()
	defer c.wmu.Unlock()
	nc := c.ws.NetConn()
	nc.SetWriteDeadline(time.Now().Add(c.hub.cfg.WriteTimeout))
	var err error
	for i, f := range frames {
		buf = appendFrame(buf, opText, f)
		if len(buf) >= maxBurst || i == len(frames)-1 {
			if _, err = nc.Write(buf); err != nil {
				break
			}
			buf = buf[:0]
		}
	}
	if cap(buf) <= maxBurst*2 {
		*bp = buf[:0]
		writeBufs.Put(bp)
	}
	return err
}

// writeControl writes a control frame. With wait false it gives up when a
// write is in progress (a ping is not needed then); a close frame is
// written once.
func (c *Conn) writeControl(op byte, payload []byte, timeout time.Duration, wait bool) {
	if wait {
		c.wmu.Lock()
	} else if !c.wmu.TryLock() {
		return
	}
	defer c.wmu.Unlock()
	if c.closeSent {
		return
	}
	c.closeSent = op == opClose
	if len(payload) > 125 {
		payload = payload[:125]
	}
	var b [2 + 125]byte
	nc := c.ws.NetConn()
	nc.SetWriteDeadline(time.Now().Add(timeout))
	nc.Write(appendFrame(b[:0], op, payload))
}

// writeClose writes a close frame. A write in progress is given at most a
// second more to finish first.
func (c *Conn) writeClose(payload []byte) {
	if !c.wmu.TryLock() {
		c.ws.NetConn().SetWriteDeadline(time.Now().Add(time.Second))
		c.wmu.Lock()
	}
	c.wmu.Unlock()
	c.writeControl(opClose, payload, time.Second, true)
}

// messageSeq returns the task and seq of a "message" frame, read without
// decoding the frame: its fields are written by encoding/json, whose keys
// cannot occur unescaped inside a string.
func messageSeq(frame []byte) (task []byte, seq int64, ok bool) {
	if !interact.FrameIs(frame, "message") {
		return nil, 0, false
	}
	if task, seq, ok := scanMessageSeq(frame); ok {
		return task, seq, true
	}
	var f struct {
		Data struct {
			TaskID string `json:"taskId"`
			Seq    int64  `json:"seq"`
		} `json:"data"`
	}
	if json.Unmarshal(frame, &f) != nil || f.Data.Seq == 0 {
		return nil, 0, false
	}
	return []byte(f.Data.TaskID), f.Data.Seq, true
}

func scanMessageSeq(frame []byte) ([]byte, int64, bool) {
	const taskKey, seqKey = `"taskId":"`, `"seq":`
	i := bytes.Index(frame, []byte(taskKey))
	if i < 0 {
		return nil, 0, false
	}
	rest := frame[i+len(taskKey):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || bytes.IndexByte(rest[:j], '\\') >= 0 {
		return nil, 0, false
	}
	task := rest[:j]
	k := bytes.Index(frame, []byte(seqKey))
	if k < 0 {
		return nil, 0, false
	}
	digits := frame[k+len(seqKey):]
	n := 0
	for n < len(digits) && digits[n] >= '0' && digits[n] <= '9' {
		n++
	}
	seq, err := strconv.ParseInt(string(digits[:n]), 10, 64)
	if err != nil || seq == 0 {
		return nil, 0, false
	}
	return task, seq, true
}
