package chat

import (
	"context"
	"encoding/json"
	"unicode/utf8"

	"github.com/interact-oss/interact"
)

// Calls signals calls over the visitor's and the agent's WebSockets
// (docs/protocol.md §5). Signalling frames are relayed through the bus, on
// a subject per task and party that only that party's connections
// subscribe to, and only between the task's visitor and its connected
// agent.

// Parties of a call.
const (
	PartyVisitor = "visitor"
	PartyAgent   = "agent"
)

// RTCSubject is the subject of the signalling frames meant for party.
func RTCSubject(taskID, party string) string {
	return interact.TaskSubject(taskID) + ".rtc." + party
}

// Engine is what call signalling needs of the routing engine.
type Engine interface {
	Task(id string) (interact.TaskView, bool)
	SetCall(ctx context.Context, taskID, by string, m interact.Modality) error
	// CallConnected records that the agent answered the task's call (its
	// first answer connects it; later ones change nothing).
	CallConnected(ctx context.Context, taskID, agentID string) error
	EndTask(ctx context.Context, taskID, by string) error
}

// CallConfig configures call signalling.
type CallConfig struct {
	Engine Engine
	Bus    Publisher
	// ICE returns the media-path configuration of one call task; nil: no
	// ICE servers (host candidates only).
	ICE func(taskID string) interact.ICEConfig
	// Allowed applies the contact's gates to a call of modality m (the
	// audio/video toggle and everything that gates chat).
	Allowed func(ctx context.Context, contactID string, m interact.Modality) error
}

// Calls relays the call frames of both parties.
type Calls struct{ cfg CallConfig }

// NewCalls returns call signalling over cfg.
func NewCalls(cfg CallConfig) *Calls { return &Calls{cfg: cfg} }

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

// IsCallFrame reports whether typ is a call frame of either party.
func IsCallFrame(typ string) bool {
	switch typ {
	case "call.start", "call.hangup", "call.media", "rtc.config", "rtc.offer", "rtc.answer", "rtc.ice", "rtc.restart":
		return true
	}
	return false
}

// Frame handles a call frame of the party on task taskID: agentID is
// the agent's user id, or "" for the visitor. The visitor's connection is
// bound to its task (token and origin checked at the upgrade); an agent
// must be the task's connected agent. It returns what answers the
// request (rtc.config) or nil.
func (s *Calls) Frame(ctx context.Context, typ, taskID, agentID string, raw json.RawMessage) (any, error) {
	var d callData
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, interact.Errorf(interact.EINVALID, "Frame %q has malformed data: %v.", typ, err)
		}
	}
	from, by := PartyVisitor, interact.ByVisitor
	if agentID != "" {
		from, by = PartyAgent, agentID
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
		if err := s.cfg.Allowed(ctx, v.ContactID, d.Modality); err != nil {
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
	to := PartyAgent
	if from == PartyAgent {
		to = PartyVisitor
	}
	b, err := interact.EncodeFrame(typ, "", out)
	if err != nil {
		return nil, err
	}
	if err := s.cfg.Bus.Publish(RTCSubject(taskID, to), b); err != nil {
		return nil, err
	}
	if typ == "rtc.answer" && from == PartyAgent {
		// The call is connected: on the record. The answer is relayed
		// already, so a failure here fails nothing the parties do; the
		// next answer (an ICE restart) records it then.
		_ = s.cfg.Engine.CallConnected(ctx, taskID, agentID)
	}
	return nil, nil
}

// iceConfig is the media-path configuration of a task's call.
func (s *Calls) iceConfig(taskID string) interact.ICEConfig {
	if s.cfg.ICE == nil {
		return interact.ICEConfig{Servers: []interact.ICEServer{}}
	}
	ic := s.cfg.ICE(taskID)
	if ic.Servers == nil {
		ic.Servers = []interact.ICEServer{}
	}
	return ic
}
