package web

import (
	"context"
	"encoding/json"
	"unicode/utf8"

	"github.com/interact-oss/interact"
)

// Calls are signalled over the visitor's and the agent's WebSockets
// (docs/protocol.md §5). Signalling frames are relayed through the bus, on
// a subject per task and party that only that party's connections
// subscribe to, and only between the task's visitor and its connected
// agent.

// Parties of a call.
const (
	partyVisitor = "visitor"
	partyAgent   = "agent"
)

// rtcSubject is the subject of the signalling frames meant for party.
func rtcSubject(taskID, party string) string {
	return interact.TaskSubject(taskID) + ".rtc." + party
}

// Bounds of signalling data.
const (
	maxSDP        = 12000
	maxCandidates = 20   // per rtc.ice frame
	maxCandidate  = 1000 // bytes of one candidate
	maxSession    = 64
)

// callData is the union of the call frames' data fields.
type callData struct {
	TaskID     string            `json:"taskId"`
	Modality   interact.Modality `json:"modality"`
	Session    string            `json:"session"`
	SDP        string            `json:"sdp"`
	Candidates []json.RawMessage `json:"candidates"`
	Audio      *bool             `json:"audio"`
	Video      *bool             `json:"video"`
}

// isCallFrame reports whether typ is a call frame of either party.
func isCallFrame(typ string) bool {
	switch typ {
	case "call.start", "call.hangup", "call.media", "rtc.config", "rtc.offer", "rtc.answer", "rtc.ice", "rtc.restart":
		return true
	}
	return false
}

// callFrame handles a call frame of the party on task taskID: agentID is
// the agent's user id, or "" for the visitor. The visitor's connection is
// bound to its task (token and origin checked at the upgrade); an agent
// must be the task's connected agent. It returns what answers the
// request (rtc.config) or nil.
func (s *Server) callFrame(ctx context.Context, typ, taskID, agentID string, raw json.RawMessage) (any, error) {
	var d callData
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, interact.Errorf(interact.EINVALID, "Frame %q has malformed data: %v.", typ, err)
		}
	}
	from, by := partyVisitor, interact.ByVisitor
	if agentID != "" {
		from, by = partyAgent, agentID
	}
	v, ok := s.cfg.Engine.Task(taskID)
	if !ok {
		return nil, interact.Errorf(interact.ENOTFOUND, "Task %q has ended.", taskID)
	}
	if agentID != "" && (v.AgentID != agentID || v.State != interact.TaskConnected) {
		return nil, interact.Errorf(interact.EFORBIDDEN, "Only the visitor of task %q and its connected agent may signal its call.", taskID)
	}
	switch typ {
	case "call.start":
		if !d.Modality.IsCall() {
			return nil, interact.Errorf(interact.EINVALID, "call.start needs modality audio or video.")
		}
		if err := s.callAllowed(ctx, v.ContactID, d.Modality); err != nil {
			return nil, err
		}
		return nil, s.cfg.Engine.SetCall(ctx, taskID, by, d.Modality)
	case "call.hangup":
		if v.Call == "" {
			return nil, interact.Errorf(interact.ECONFLICT, "There is no call on this task.")
		}
		if v.Modality.IsCall() {
			return nil, s.cfg.Engine.EndTask(ctx, taskID, by) // a call task ends with its call
		}
		return nil, s.cfg.Engine.SetCall(ctx, taskID, by, interact.ModalityChat)
	}
	if v.Call == "" {
		return nil, interact.Errorf(interact.ECONFLICT, "There is no call on this task.")
	}
	if typ == "rtc.config" {
		return s.iceConfig(taskID), nil
	}
	if v.State != interact.TaskConnected || v.AgentID == "" {
		return nil, interact.Errorf(interact.ECONFLICT, "No agent is connected to this call yet.")
	}
	out := map[string]any{"taskId": taskID, "from": from}
	if typ != "call.media" && typ != "rtc.restart" {
		if d.Session == "" || len(d.Session) > maxSession || !utf8.ValidString(d.Session) {
			return nil, interact.Errorf(interact.EINVALID, "%s needs a session of 1 to %d characters.", typ, maxSession)
		}
		out["session"] = d.Session
	}
	switch typ {
	case "rtc.offer", "rtc.answer":
		if d.SDP == "" || len(d.SDP) > maxSDP || !utf8.ValidString(d.SDP) {
			return nil, interact.Errorf(interact.EINVALID, "%s needs an sdp of 1 to %d bytes.", typ, maxSDP)
		}
		out["sdp"] = d.SDP
	case "rtc.ice":
		// Candidates are RTCIceCandidateInit objects, sent in batches.
		if len(d.Candidates) == 0 || len(d.Candidates) > maxCandidates {
			return nil, interact.Errorf(interact.EINVALID, "rtc.ice needs 1 to %d candidates.", maxCandidates)
		}
		cs := make([]map[string]any, 0, len(d.Candidates))
		for _, raw := range d.Candidates {
			var c map[string]any
			if len(raw) > maxCandidate || json.Unmarshal(raw, &c) != nil || c == nil {
				return nil, interact.Errorf(interact.EINVALID, "Each candidate is an object of at most %d bytes.", maxCandidate)
			}
			cs = append(cs, c)
		}
		out["candidates"] = cs
	case "call.media":
		if d.Audio == nil || d.Video == nil {
			return nil, interact.Errorf(interact.EINVALID, "call.media needs audio and video (true when sending).")
		}
		out["audio"], out["video"] = *d.Audio, *d.Video
	}
	to := partyAgent
	if from == partyAgent {
		to = partyVisitor
	}
	b, err := interact.EncodeFrame(typ, "", out)
	if err != nil {
		return nil, err
	}
	return nil, s.cfg.Bus.Publish(rtcSubject(taskID, to), b)
}

// callAllowed applies the contact's gates to a call: the audio/video
// toggle and everything that gates chat.
func (s *Server) callAllowed(ctx context.Context, contactID string, m interact.Modality) error {
	c, err := s.contacts.get(ctx, s.store, contactID)
	if err != nil {
		return err
	}
	if err := checkModality(c, m); err != nil {
		return err
	}
	return s.operatorGate()
}

// iceConfig is the media-path configuration of a task's call.
func (s *Server) iceConfig(taskID string) interact.ICEConfig {
	if s.cfg.ICE == nil {
		return interact.ICEConfig{Servers: []interact.ICEServer{}}
	}
	ic := s.cfg.ICE(taskID)
	if ic.Servers == nil {
		ic.Servers = []interact.ICEServer{}
	}
	return ic
}
