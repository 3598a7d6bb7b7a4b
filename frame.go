package interact

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Frame is one realtime frame, as it travels over the sockets and the bus:
// {"type":…,"id":…,"data":…}. Incoming frames are decoded into it, their
// Data left for the handler to decode; outgoing frames are made by
// EncodeFrame.
type Frame struct {
	Type string          `json:"type"`
	ID   string          `json:"id,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// ErrorData is the data of an "error" frame.
type ErrorData struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ErrorFrameData returns the data of the "error" frame that reports err.
func ErrorFrameData(err error) ErrorData {
	return ErrorData{Code: ErrorCode(err), Message: ErrorMessage(err)}
}

// EncodeFrame is the one encoder of the wire: it returns the frame of type
// typ, with id (omitted when empty) and data (encoding/json; omitted when
// nil). The type comes first, so FrameIs can tell a frame's type from its
// first bytes.
func EncodeFrame(typ, id string, data any) ([]byte, error) {
	b := make([]byte, 0, 64)
	b = append(b, `{"type":`...)
	b = appendString(b, typ)
	if id != "" {
		b = append(b, `,"id":`...)
		b = appendString(b, id)
	}
	if data != nil {
		d, err := json.Marshal(data)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"data":`...)
		b = append(b, d...)
	}
	return append(b, '}'), nil
}

// QueuePositionFrame encodes a "task.queue" frame without reflection, for
// rounds of thousands: the same bytes EncodeFrame makes of
// {"estimatedWaitSeconds":eta,"position":pos}.
func QueuePositionFrame(pos, eta int) []byte {
	b := make([]byte, 0, 80)
	b = append(b, `{"type":"task.queue","data":{"estimatedWaitSeconds":`...)
	b = strconv.AppendInt(b, int64(eta), 10)
	b = append(b, `,"position":`...)
	b = strconv.AppendInt(b, int64(pos), 10)
	return append(b, "}}"...)
}

// FrameIs reports whether an encoded frame has type typ, without decoding
// it. It holds for frames made by EncodeFrame, whose type comes first, and
// for plain types (no character JSON escapes), as every frame type is.
func FrameIs(frame []byte, typ string) bool {
	const head = `{"type":"`
	return len(frame) > len(head)+len(typ) && bytes.HasPrefix(frame, []byte(head)) &&
		string(frame[len(head):len(head)+len(typ)]) == typ && frame[len(head)+len(typ)] == '"'
}

// FrameTypeHasPrefix reports whether an encoded frame's type starts with
// prefix (as "task." does for every task event), without decoding it.
func FrameTypeHasPrefix(frame []byte, prefix string) bool {
	const head = `{"type":"`
	return bytes.HasPrefix(frame, []byte(head)) && bytes.HasPrefix(frame[len(head):], []byte(prefix))
}

// appendString appends s as a JSON string; frame types and ids are plain
// ASCII, so the fast path is the rule.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
