package interact

import (
	"strings"
	"time"
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

// Validate trims and bounds the visitor's data.
func (v *Visitor) Validate() error {
	v.Name = strings.TrimSpace(v.Name)
	v.Email = strings.TrimSpace(v.Email)
	if len([]rune(v.Name)) > MaxNameLen {
		return Errorf(EINVALID, "The name must be at most %d characters.", MaxNameLen)
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
			if len([]rune(val)) > MaxFieldValueLen || !utf8.ValidString(val) {
				return Errorf(EINVALID, "The %s value %q must be at most %d characters.", what, k, MaxFieldValueLen)
			}
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
}

// Sender kinds of messages.
const (
	FromVisitor = "visitor"
	FromAgent   = "agent"
	FromSystem  = "system"
)

// Message is one chat message of a task. Seq numbers a task's messages
// from 1 without gaps; ClientID makes a resend idempotent.
type Message struct {
	TaskID   string    `json:"taskId"`
	Seq      int64     `json:"seq"`
	ClientID string    `json:"clientId,omitempty"`
	From     string    `json:"from"`
	AgentID  string    `json:"agentId,omitempty"`
	Name     string    `json:"name,omitempty"` // the sender's display name, as shown to the visitor
	Text     string    `json:"text"`
	At       time.Time `json:"at"`
}

// ValidateMessage checks a message text and client id.
func ValidateMessage(text, clientID string) (string, error) {
	if !utf8.ValidString(text) {
		return "", Errorf(EINVALID, "The message is not valid UTF-8.")
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
	Codes      []string   `json:"codes"`
	Tags       []string   `json:"tags"`
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
	// MaxOpenChats is the tenant's cap of concurrent chat tasks per service.
	MaxOpenChats int
}

// Ended-by values for EndTask.
const (
	ByVisitor = "visitor"
	BySystem  = "system"
)
