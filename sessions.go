package interact

import "time"

// SessionFilter selects service sessions; zero fields match everything.
type SessionFilter struct {
	ServiceID string
	Outcome   string
	Since     time.Time // created at or after
	Until     time.Time // created before
	Code      string    // labelled with this code (by id)
	Tag       string    // labelled with this tag
	Cursor    string    // sessions older than this task id
	Limit     int
}

// Session is a service session: one task with its outcome, its queue and
// connected times, and its user sessions (offers).
type Session struct {
	Task
	QueueMS     int64   `json:"queueMs"`
	ConnectedMS int64   `json:"connectedMs"`
	Offers      []Offer `json:"offers"`
	// TranscriptReadable reports whether the caller may read the
	// session's transcript (once it has ended): not everyone who may list
	// a session may read what was said in it.
	TranscriptReadable bool `json:"transcriptReadable"`
}

// MaxSessionPage bounds one page of sessions.
const MaxSessionPage = 500

// AgentSession is one of an agent's own user sessions (an offer) as the
// agent console's My Sessions lists it: the offer with its outcome and
// labels, the service's name, the visitor's name and the task's state.
type AgentSession struct {
	Offer
	CodeIDs     []string  `json:"codeIds"`
	ServiceName string    `json:"serviceName"`
	VisitorName string    `json:"visitorName"`
	TaskState   TaskState `json:"taskState"`
	TaskOutcome string    `json:"taskOutcome,omitempty"`
	// Rating is the visitor's rating of the task, if any.
	Rating *Rating `json:"rating,omitempty"`
}

// MaxAgentSessions bounds one page of an agent's sessions.
const MaxAgentSessions = 200

// AgentSessionFilter pages through an agent's sessions.
type AgentSessionFilter struct {
	Cursor string // from the previous page: sessions older than its last
	Limit  int    // default 50, at most MaxAgentSessions
}
