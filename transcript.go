package interact

import "time"

// Task events are what happens on a task besides its messages: for now the
// life of its call — started, connected, switched between audio and video,
// ended. They are durable: each is a system message of the task whose
// Event is set (and whose Text is empty), numbered in the same sequence as
// the messages, so a transcript, a reconnecting console and a restarted
// engine all read them in order with the conversation.

// Task event types.
const (
	// EventCallStarted: a call task began (the visitor called), or a
	// connected chat escalated to a call.
	EventCallStarted = "call.started"
	// EventCallConnected: the agent's side answered the call's media (its
	// first answer to the visitor's offer).
	EventCallConnected = "call.connected"
	// EventCallModality: an escalated call switched between audio and video.
	EventCallModality = "call.modality"
	// EventCallEnded: the call ended — hung up, dropped back to chat, or
	// ended with its task or when its agent left.
	EventCallEnded = "call.ended"
)

// TaskEvent is one durable event of a task.
type TaskEvent struct {
	Type string `json:"type"`
	// CallID names the call the event belongs to; a task may hold several
	// calls one after another.
	CallID string `json:"callId"`
	// Modality is the call's media after the event (for call.ended, the
	// media it ended with).
	Modality Modality `json:"modality"`
	// From is the media before a call.modality event.
	From Modality `json:"from,omitempty"`
	// By is who caused it: ByVisitor, BySystem or the agent's user id.
	By string `json:"by"`
	// Connected (call.ended) reports whether the call was ever connected;
	// DurationMS is how long it was, from connected to ended.
	Connected  bool  `json:"connected,omitempty"`
	DurationMS int64 `json:"durationMs,omitempty"`
}

// OpenCall is the call a task's messages (in seq order) leave open: the
// last call started and not ended, with its media and times. ok is false
// when there is none.
func OpenCall(msgs []Message) (call OpenCallState, ok bool) {
	for _, m := range msgs {
		e := m.Event
		if e == nil || (e.Type != EventCallStarted && (!ok || e.CallID != call.ID)) {
			continue
		}
		switch e.Type {
		case EventCallStarted:
			call, ok = OpenCallState{ID: e.CallID, Modality: e.Modality, StartedAt: m.At}, true
		case EventCallConnected:
			call.ConnectedAt = m.At
		case EventCallModality:
			call.Modality = e.Modality
		case EventCallEnded:
			call, ok = OpenCallState{}, false
		}
	}
	return call, ok
}

// OpenCallState is a call that has not ended, as its events tell it.
type OpenCallState struct {
	ID       string
	Modality Modality
	// StartedAt is when it started; ConnectedAt when it was connected
	// (zero while it was not).
	StartedAt, ConnectedAt time.Time
}

// Transcript author kinds.
const (
	AuthorVisitor = FromVisitor
	AuthorAgent   = FromAgent
	AuthorSystem  = FromSystem
)

// Transcript is an ended session's conversation as staff read it: every
// message, system message and event in sequence order.
type Transcript struct {
	Session TranscriptSession `json:"session"`
	Entries []TranscriptEntry `json:"entries"`
}

// TranscriptSession is what a transcript tells of its session.
type TranscriptSession struct {
	ID           string     `json:"id"`
	ServiceID    string     `json:"serviceId"`
	ServiceName  string     `json:"serviceName"`
	DirectUserID string     `json:"directUserId,omitempty"`
	Modality     Modality   `json:"modality"`
	State        TaskState  `json:"state"`
	Outcome      string     `json:"outcome"`
	Visitor      Visitor    `json:"visitor"`
	Origin       string     `json:"origin"`
	CreatedAt    time.Time  `json:"createdAt"`
	ConnectedAt  *time.Time `json:"connectedAt,omitempty"`
	EndedAt      *time.Time `json:"endedAt,omitempty"`
	// Agents are the agents who were connected to it (accepted an offer),
	// in the order they were.
	Agents []TranscriptAgent `json:"agents"`
	// LeftMessage is what the visitor left after no agent took the task.
	LeftMessage string `json:"leftMessage,omitempty"`
	// Rating is the visitor's rating of the conversation, if any.
	Rating *Rating `json:"rating,omitempty"`
}

// TranscriptAgent names an agent of a transcript.
type TranscriptAgent struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// TranscriptEntry is one message or event of a transcript.
type TranscriptEntry struct {
	Seq int64     `json:"seq"`
	At  time.Time `json:"at"`
	// AuthorKind is visitor, agent or system; for an event, who caused it.
	AuthorKind string `json:"authorKind"`
	// AuthorName is the visitor's name, the agent's name (their user's
	// name; else the name the visitor saw) or, for the system, the
	// service's name.
	AuthorName string `json:"authorName"`
	// AuthorID is the agent's user id.
	AuthorID string     `json:"authorId,omitempty"`
	Text     string     `json:"text,omitempty"`
	Event    *TaskEvent `json:"event,omitempty"`
}

// NewTranscript builds the transcript of task t from its messages in seq
// order. serviceName names t's service (or, for a direct contact, its
// user); agents names agents by user id (offers accepted, in order, come
// as accepted).
func NewTranscript(t *Task, msgs []Message, serviceName string, accepted []string, agents map[string]string) *Transcript {
	tr := &Transcript{
		Session: TranscriptSession{ID: t.ID, ServiceID: t.ServiceID, ServiceName: serviceName, DirectUserID: t.DirectUserID,
			Modality: t.Modality, State: t.State, Outcome: t.Outcome, Visitor: t.Visitor, Origin: t.Origin, CreatedAt: t.CreatedAt,
			ConnectedAt: t.ConnectedAt, EndedAt: t.EndedAt, Agents: []TranscriptAgent{}, LeftMessage: t.LeftMessage, Rating: t.Rating},
		Entries: make([]TranscriptEntry, 0, len(msgs)),
	}
	seen := map[string]bool{}
	for _, id := range accepted {
		if !seen[id] {
			seen[id] = true
			tr.Session.Agents = append(tr.Session.Agents, TranscriptAgent{ID: id, Name: agents[id]})
		}
	}
	visitor := t.Visitor.Name
	if visitor == "" {
		visitor = "Visitor"
	}
	agentName := func(id, shown string) string {
		if n := agents[id]; n != "" {
			return n
		}
		if shown != "" {
			return shown
		}
		return "Agent"
	}
	for _, m := range msgs {
		e := TranscriptEntry{Seq: m.Seq, At: m.At, AuthorKind: m.From, Text: m.Text, Event: m.Event}
		by := m.From // an agent's message: its agent
		if m.From == FromAgent {
			by = m.AgentID
		}
		if m.Event != nil {
			by, e.Text = m.Event.By, ""
		}
		switch {
		case by == ByVisitor:
			e.AuthorKind, e.AuthorName = AuthorVisitor, visitor
		case by == BySystem || (by == "" && m.From != FromAgent):
			e.AuthorKind, e.AuthorName = AuthorSystem, serviceName
		default:
			e.AuthorKind, e.AuthorID, e.AuthorName = AuthorAgent, by, agentName(by, m.Name)
		}
		tr.Entries = append(tr.Entries, e)
	}
	return tr
}
