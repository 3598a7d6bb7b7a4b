package widgetapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/realtime"
	"github.com/interact-oss/interact/web/chat"
	"github.com/interact-oss/interact/web/endpoint"
)

// visitorConn is the visitor's end of a task (docs/protocol.md).
type visitorConn struct {
	s      *API
	taskID string
	name   string
	caps   [2]endpoint.Cap // what the connection counts against (socketCaps)
}

// visitorSocket upgrades a visitor's connection after checking the token
// (signature, expiry, origin, widget key) and the contact's origin rules.
func (s *API) visitorSocket(w http.ResponseWriter, r *http.Request) error {
	claims, err := s.visitorAuth(r, r.URL.Query().Get("token"))
	if err != nil {
		return err
	}
	t, err := s.store.Task(r.Context(), claims.Task)
	if err != nil {
		return err
	}
	lastSeq, _ := strconv.ParseInt(r.URL.Query().Get("lastSeq"), 10, 64)
	vc := &visitorConn{s: s, taskID: t.ID, name: t.Visitor.Name, caps: [2]endpoint.Cap{
		{Key: "task " + t.ID, Max: visitorSocketsPerTask}, {Key: "addr " + endpoint.ClientAddr(r), Max: s.cfg.SocketsPerAddress}}}
	if full := s.cfg.Sockets.Take(vc.caps[:]...); full != nil {
		w.Header().Set("Retry-After", "10")
		return interact.Errorf(interact.ERATELIMITED, "Too many open connections (%s): close one first.", strings.Fields(full.Key)[0])
	}
	err = s.cfg.Hub.Upgrade(w, r, vc, func(c *realtime.Conn) error {
		c.Subscribe(interact.TaskSubject(t.ID))
		c.Subscribe(chat.RTCSubject(t.ID, chat.PartyVisitor))
		c.Hold()
		leave := t.Outcome == interact.OutcomeNoAgent || t.Outcome == interact.OutcomeQueueTimeout || t.Outcome == interact.OutcomeTransferFailed
		hello := map[string]any{"taskId": t.ID, "modality": t.Modality, "state": t.State, "outcome": t.Outcome, "lastSeq": t.LastSeq,
			"leaveMessage": leave && t.LeftMessage == "", "messageLeft": t.LeftMessage != ""}
		if v, ok := s.cfg.Engine.Task(t.ID); ok {
			hello["state"], hello["position"], hello["estimatedWaitSeconds"] = v.State, v.Position, v.EstimatedWaitSeconds
			hello["agentName"] = s.cfg.Engine.AgentDisplayName(t.ID)
			hello["call"] = v.Call
			s.cfg.Engine.VisitorConnected(t.ID)
		} else {
			vc.taskID = "" // ended: nothing to count
			hello["state"] = interact.TaskEnded
		}
		c.SendJSON("hello", "", hello)
		_, err := s.replay(r.Context(), c, t.ID, lastSeq)
		c.Release(nil) // the connection drops messages it has already sent
		return err
	})
	if err != nil { // not upgraded: Closed will not run
		s.cfg.Sockets.Give(vc.caps[:]...)
	}
	return err
}

// replay sends the messages after seq and returns the last one sent.
func (s *API) replay(ctx context.Context, c *realtime.Conn, taskID string, seq int64) (int64, error) {
	for {
		msgs, err := s.store.Messages(ctx, taskID, seq, 500)
		if err != nil {
			return seq, err
		}
		for _, m := range msgs {
			c.WaitRoom()
			c.SendJSON("message", "", m)
			seq = m.Seq
		}
		if len(msgs) < 500 {
			return seq, nil
		}
	}
}

// Event drops the echo of the visitor's own typing and read receipts.
func (v *visitorConn) Event(c *realtime.Conn, subject string, frame []byte) bool {
	if interact.FrameIs(frame, "typing") || interact.FrameIs(frame, "read") {
		return !bytes.Contains(frame, []byte(`"from":"visitor"`))
	}
	return true
}

func (v *visitorConn) Closed(c *realtime.Conn) {
	v.s.cfg.Sockets.Give(v.caps[:]...)
	if v.taskID != "" {
		v.s.cfg.Engine.VisitorDisconnected(v.taskID)
	}
}

func (v *visitorConn) Frame(c *realtime.Conn, f interact.Frame) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := v.frame(ctx, c, f); err != nil {
		chat.SendError(c, f.ID, err)
	}
}

func (v *visitorConn) frame(ctx context.Context, c *realtime.Conn, f interact.Frame) error {
	if f.Type == "ping" {
		c.SendJSON("pong", f.ID, nil)
		return nil
	}
	if _, open := v.s.cfg.Engine.Task(v.taskID); !open || v.taskID == "" {
		return interact.Errorf(interact.ECONFLICT, "This conversation has ended.")
	}
	switch f.Type {
	case "message.send":
		var d struct {
			ClientID string `json:"clientId"`
			Text     string `json:"text"`
		}
		if err := chat.FrameData(f, &d); err != nil {
			return err
		}
		return chat.Send(ctx, v.s.cfg.Transcript, c, f.ID, interact.Message{TaskID: v.taskID, ClientID: d.ClientID, From: interact.FromVisitor, Name: v.name, Text: d.Text})
	case "typing":
		var d struct {
			On bool `json:"on"`
		}
		if err := chat.FrameData(f, &d); err != nil {
			return err
		}
		return chat.Ephemeral(v.s.cfg.Bus, v.taskID, "typing", map[string]any{"from": interact.FromVisitor, "on": d.On})
	case "read":
		var d struct {
			Seq int64 `json:"seq"`
		}
		if err := chat.FrameData(f, &d); err != nil {
			return err
		}
		return chat.Ephemeral(v.s.cfg.Bus, v.taskID, "read", map[string]any{"from": interact.FromVisitor, "seq": d.Seq})
	case "task.end":
		return v.s.cfg.Engine.EndTask(ctx, v.taskID, interact.ByVisitor)
	}
	if chat.IsCallFrame(f.Type) {
		var d struct {
			TaskID string `json:"taskId"`
		}
		if len(f.Data) > 0 && json.Unmarshal(f.Data, &d) == nil && d.TaskID != "" && d.TaskID != v.taskID {
			return interact.Errorf(interact.EFORBIDDEN, "This connection signals only its own task.")
		}
		reply, err := v.s.cfg.Calls.Frame(ctx, f.Type, v.taskID, "", f.Data)
		switch {
		case err != nil:
			return err
		case reply != nil:
			c.SendJSON(f.Type, f.ID, reply)
		default:
			c.SendJSON("ok", f.ID, nil)
		}
		return nil
	}
	return interact.Errorf(interact.EINVALID, "Unknown frame type %q.", f.Type)
}
