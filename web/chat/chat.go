// Package chat is what the visitor's and the agent's WebSockets both speak
// (docs/protocol.md): a chat message committed through the transcript and
// acknowledged after it was published, ephemeral frames (typing, read
// receipts), error frames, and call signalling (calls.go).
//
// It owns these frames' rules. It does not own the sockets' upgrades and
// authentication (widgetapi for visitors, agentapi for agents) nor routing.
package chat

import (
	"context"
	"encoding/json"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/realtime"
)

// Transcript commits a message and publishes it (chatlog.Log).
type Transcript interface {
	Append(ctx context.Context, m interact.Message) (interact.Message, bool, error)
}

// Publisher is where frames go: the bus.
type Publisher interface {
	Publish(subject string, data []byte) error
}

// Send stores a chat message, which the transcript publishes to both
// parties, and then acknowledges it to the sender: the ack never overtakes
// the message.
func Send(ctx context.Context, t Transcript, c *realtime.Conn, frameID string, m interact.Message) error {
	text, err := interact.ValidateMessage(m.Text, m.ClientID)
	if err != nil {
		return err
	}
	m.Text, m.At = text, time.Now().UTC().Truncate(time.Millisecond)
	// The sender's own copy of the message and the ack leave in one write.
	c.Cork()
	defer c.Uncork()
	stored, dup, err := t.Append(ctx, m)
	if err != nil {
		return err
	}
	c.SendJSON("message.ack", frameID, messageAck{At: stored.At, ClientID: stored.ClientID, Duplicate: dup, Seq: stored.Seq})
	return nil
}

// messageAck is the data of a "message.ack" frame.
type messageAck struct {
	At        time.Time `json:"at"`
	ClientID  string    `json:"clientId"`
	Duplicate bool      `json:"duplicate"`
	Seq       int64     `json:"seq"`
}

// Ephemeral publishes a frame that is not stored (typing, read receipts).
func Ephemeral(p Publisher, taskID, typ string, data map[string]any) error {
	data["taskId"] = taskID // an agent with several chats needs to know which
	b, _ := interact.EncodeFrame(typ, "", data)
	return p.Publish(interact.TaskSubject(taskID), b)
}

// FrameData decodes a frame's data into v, or says what is wrong with it.
func FrameData(f interact.Frame, v any) error {
	if len(f.Data) == 0 {
		return interact.Errorf(interact.EINVALID, "Frame %q needs data.", f.Type)
	}
	if err := json.Unmarshal(f.Data, v); err != nil {
		return interact.Errorf(interact.EINVALID, "Frame %q has malformed data: %v.", f.Type, err)
	}
	return nil
}

// SendError answers frame id with an error frame.
func SendError(c *realtime.Conn, id string, err error) {
	c.SendJSON("error", id, interact.ErrorFrameData(err))
}
