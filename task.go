package interact

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Modality is how a visitor contacts a service.
type Modality string

// Modalities. Audio and video are calls; a chat may escalate to a call.
const (
	ModalityChat  Modality = "chat"
	ModalityAudio Modality = "audio"
	ModalityVideo Modality = "video"
)

// Valid reports whether m is known.
func (m Modality) Valid() bool {
	return m == ModalityChat || m == ModalityAudio || m == ModalityVideo
}

// IsCall reports whether m is audio or video.
func (m Modality) IsCall() bool { return m == ModalityAudio || m == ModalityVideo }

// TaskState is where a task is in its life.
type TaskState string

// Task states. A waiting task may have offers ringing.
const (
	TaskWaiting   TaskState = "waiting"
	TaskConnected TaskState = "connected"
	TaskEnded     TaskState = "ended"
)

// Service session outcomes: exactly one per task.
const (
	OutcomeHandled        = "handled"                  // an agent accepted; no transfer
	OutcomeTransferred    = "transferred"              // handled after at least one transfer
	OutcomeHangupInQueue  = "customer_hangup_in_queue" // the visitor left while waiting
	OutcomeQueueTimeout   = "queue_timeout"            // max wait in queue reached
	OutcomeNoAgent        = "no_agent"                 // no agent could be selected
	OutcomeAbandoned      = "abandoned"                // ended by the system while connected (e.g. visitor gone)
	OutcomeTransferFailed = "transfer_failed"          // the transfer target never took it
	OutcomeClosed         = "closed"                   // out of hours: the visitor left a message, no agent was asked
)

// User session (offer) outcomes: exactly one per offer.
const (
	OfferAccepted    = "accepted"
	OfferDeclined    = "declined"
	OfferRONA        = "rona"        // rang until the ring timeout
	OfferCancelled   = "cancelled"   // withdrawn: another agent won, or the visitor left
	OfferTransferred = "transferred" // accepted, then transferred away
	OfferDropped     = "dropped"     // accepted, then the agent's connection was lost
)

// Visitor is what a visitor told about themselves and the page they are on.
type Visitor struct {
	Name    string            `json:"name,omitempty"`
	Email   string            `json:"email,omitempty"`
	Fields  map[string]string `json:"fields,omitempty"`  // pre-chat form fields
	Context map[string]string `json:"context,omitempty"` // page data from setContext
}

// Bounds of visitor-supplied data.
const (
	MaxVisitorFields   = 20
	MaxFieldKeyLen     = 40
	MaxFieldValueLen   = 1000
	MaxMessageLen      = 4000 // characters
	MaxClientMessageID = 64
)

// Control characters in text that people read (chat messages, what a
// visitor tells about themselves) are refused, not stripped, with
// invalid_input: a refusal the sender sees beats text changed behind their
// back, and both store engines then hold the same (PostgreSQL cannot store
// NUL, SQLite can). Multi-line text — a message, the value of a visitor
// field or context entry — keeps tab and line feed; a carriage return is a
// line break, so CRLF and a lone CR become LF. Every other control
// character (C0 U+0000–U+001F, DEL, C1 U+0080–U+009F) is refused.
// Single-line text — a name, an e-mail address, a key, a client id —
// refuses tab and line breaks too. docs/protocol.md §1 says the same.

// normalizeLines turns CRLF and a lone CR into LF.
func normalizeLines(s string) string {
	if !strings.Contains(s, "\r") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// hasControl reports whether s holds a control character; multiline
// allows tab and line feed.
func hasControl(s string, multiline bool) bool {
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\t' || r == '\n')) {
			return true
		}
	}
	return false
}

// Validate trims and bounds the visitor's data, normalises line breaks in
// field and context values, and refuses control characters.
func (v *Visitor) Validate() error {
	v.Name = strings.TrimSpace(v.Name)
	v.Email = strings.TrimSpace(v.Email)
	if len([]rune(v.Name)) > MaxNameLen {
		return Errorf(EINVALID, "The name must be at most %d characters.", MaxNameLen)
	}
	if hasControl(v.Name, false) {
		return Errorf(EINVALID, "The name must not contain control characters or line breaks.")
	}
	if hasControl(v.Email, false) {
		return Errorf(EINVALID, "The e-mail address must not contain control characters.")
	}
	if v.Email != "" {
		e, err := NormalizeEmail(v.Email)
		if err != nil {
			return err
		}
		v.Email = e
	}
	for what, m := range map[string]map[string]string{"fields": v.Fields, "context": v.Context} {
		if len(m) > MaxVisitorFields {
			return Errorf(EINVALID, "At most %d %s are allowed.", MaxVisitorFields, what)
		}
		for k, val := range m {
			if k == "" || len(k) > MaxFieldKeyLen || !utf8.ValidString(k) {
				return Errorf(EINVALID, "%s keys must be 1 to %d characters.", what, MaxFieldKeyLen)
			}
			if hasControl(k, false) {
				return Errorf(EINVALID, "%s keys must not contain control characters.", what)
			}
			if len([]rune(val)) > MaxFieldValueLen || !utf8.ValidString(val) {
				return Errorf(EINVALID, "The %s value %q must be at most %d characters.", what, k, MaxFieldValueLen)
			}
			if val = normalizeLines(val); hasControl(val, true) {
				return Errorf(EINVALID, "The %s value %q must not contain control characters other than tab and line breaks.", what, k)
			}
			m[k] = val
		}
	}
	return nil
}

// FirstName is the first word of the visitor's name.
func (v *Visitor) FirstName() string {
	f, _, _ := strings.Cut(v.Name, " ")
	return f
}

// Task is one visitor contact: a chat or a call to a service (or, for a
// direct contact, to one user).
type Task struct {
	ID        string `json:"id"`
	TenantID  string `json:"-"`
	ServiceID string `json:"serviceId"`
	ContactID string `json:"contactId"`
	// DirectUserID is set for a direct website-to-user contact: the task goes
	// to that user alone.
	DirectUserID string    `json:"directUserId,omitempty"`
	Modality     Modality  `json:"modality"`
	State        TaskState `json:"state"`
	Priority     int       `json:"priority"`
	Strict       bool      `json:"strict"`
	// QueueSeq orders the queue (first come, first served); a task re-queued
	// after an agent drop keeps it, and so its place.
	QueueSeq      int64      `json:"queueSeq"`
	Visitor       Visitor    `json:"visitor"`
	Origin        string     `json:"origin"`
	AgentID       string     `json:"agentId,omitempty"`       // the connected agent
	TargetAgentID string     `json:"targetAgentId,omitempty"` // a transfer's target
	Transfers     int        `json:"transfers"`
	CreatedAt     time.Time  `json:"createdAt"`
	QueuedAt      time.Time  `json:"queuedAt"`
	ConnectedAt   *time.Time `json:"connectedAt,omitempty"`
	EndedAt       *time.Time `json:"endedAt,omitempty"`
	Outcome       string     `json:"outcome,omitempty"`
	LastSeq       int64      `json:"lastSeq"`
	LeftMessage   string     `json:"leftMessage,omitempty"`
	// Rating is the visitor's rating of the ended conversation, if any.
	Rating *Rating `json:"rating,omitempty"`
	// VisitorKey links the tasks of one browser (see VisitorKey); "" when
	// the widget sent no visitor id.
	VisitorKey string `json:"-"`
}

// Sender kinds of messages.
const (
	FromVisitor = "visitor"
	FromAgent   = "agent"
	FromSystem  = "system"
)

// Message is one chat message of a task. Seq numbers a task's messages
// from 1 without gaps; ClientID makes a resend idempotent. A system
// message may carry a task event (transcript.go) instead of text.
type Message struct {
	TaskID   string     `json:"taskId"`
	Seq      int64      `json:"seq"`
	ClientID string     `json:"clientId,omitempty"`
	From     string     `json:"from"`
	AgentID  string     `json:"agentId,omitempty"`
	Name     string     `json:"name,omitempty"` // the sender's display name, as shown to the visitor
	Text     string     `json:"text"`
	At       time.Time  `json:"at"`
	Event    *TaskEvent `json:"event,omitempty"`
}

// ValidateMessage checks a message text and client id, and returns the
// text trimmed, with its line breaks as LF. Control characters other than
// tab and line breaks are refused (see hasControl).
func ValidateMessage(text, clientID string) (string, error) {
	if !utf8.ValidString(text) {
		return "", Errorf(EINVALID, "The message is not valid UTF-8.")
	}
	if text = normalizeLines(text); hasControl(text, true) {
		return "", Errorf(EINVALID, "The message must not contain control characters other than tab and line breaks.")
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return "", Errorf(EINVALID, "The message is empty.")
	}
	if utf8.RuneCountInString(text) > MaxMessageLen {
		return "", Errorf(EINVALID, "A message may be at most %d characters.", MaxMessageLen)
	}
	if clientID == "" || len(clientID) > MaxClientMessageID {
		return "", Errorf(EINVALID, "Each message needs a client id of 1 to %d characters.", MaxClientMessageID)
	}
	if !utf8.ValidString(clientID) || hasControl(clientID, false) {
		return "", Errorf(EINVALID, "The client id must be UTF-8 without control characters.")
	}
	return text, nil
}

// Offer is one agent's user session for a task: offered, then accepted,
// declined, missed (RONA) or withdrawn.
type Offer struct {
	ID         string     `json:"id"`
	TenantID   string     `json:"-"`
	TaskID     string     `json:"taskId"`
	ServiceID  string     `json:"serviceId"`
	AgentID    string     `json:"agentId"`
	Modality   Modality   `json:"modality"`
	OfferedAt  time.Time  `json:"offeredAt"`
	AnsweredAt *time.Time `json:"answeredAt,omitempty"`
	EndedAt    *time.Time `json:"endedAt,omitempty"`
	Outcome    string     `json:"outcome,omitempty"`
	// ACWMS is the after-call work the agent did after this session, in
	// milliseconds (0: none, or not yet over).
	ACWMS int64    `json:"acwMs,omitempty"`
	Codes []string `json:"codes"`
	Tags  []string `json:"tags"`
}

// StartRequest describes a new task from the widget.
type StartRequest struct {
	TenantID     string
	ServiceID    string // the service's queue; empty for a direct contact
	DirectUserID string // the user of a direct contact
	ContactID    string
	Modality     Modality
	Visitor      Visitor
	Origin       string
	ResumeHash   string
	// MaxOpenChats is the tenant's cap of concurrent chat tasks per service;
	// one ClientAddr may hold half of them.
	MaxOpenChats int
	// ClientAddr is the visitor's client address ("" when unknown).
	ClientAddr string
	// VisitorKey links the task to the browser's earlier ones.
	VisitorKey string
}

// Ended-by values for EndTask.
const (
	ByVisitor = "visitor"
	BySystem  = "system"
)
