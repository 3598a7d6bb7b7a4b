package interact

import "time"

// Presence values an agent sets.
const (
	PresenceAvailable = "available"
	PresenceBusy      = "busy"
	PresenceAway      = "away"
	PresenceOffline   = "offline"
)

// Agent states as supervisors see them.
const (
	StateOffline      = "offline"
	StateNotAvailable = "not_available"
	StateRinging      = "ringing"
	StateConnected    = "connected"
	StateACW          = "acw"
	StateRONA         = "rona"
	StateAvailable    = "available"
)

// MaxReasonLen bounds a not-available reason.
const MaxReasonLen = 100

// AgentView is an agent's state, sent to the agent and to supervisors.
type AgentView struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Presence  string     `json:"presence"`
	Reason    string     `json:"reason,omitempty"`
	State     string     `json:"state"`
	Chats     int        `json:"chats"`
	Calls     int        `json:"calls"`
	Ringing   int        `json:"ringing"`
	ACWUntil  *time.Time `json:"acwUntil,omitempty"`
	RONAUntil *time.Time `json:"ronaUntil,omitempty"`
	IdleSince *time.Time `json:"idleSince,omitempty"`
}
