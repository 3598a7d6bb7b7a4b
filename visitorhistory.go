package interact

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// The visitor across visits. The widget keeps a random visitor id per
// contact in the page origin's local storage (created when the visitor
// first starts a contact, never on a mere page view) and sends it with each
// new task. The store keeps only VisitorKey of it: a hash over the contact,
// the page origin and the id. So the raw id is nowhere on the server, and
// an id carried to another contact or origin names nobody there: its key
// differs, and no history follows it.

// VisitorIDLen is the length of a visitor id: 16 random bytes (128 bits)
// in unpadded base64url.
const VisitorIDLen = 22

// CheckVisitorID refuses an id that is not 22 base64url characters (the
// shape the widget makes); "" (no id) is fine.
func CheckVisitorID(id string) error {
	if id == "" {
		return nil
	}
	ok := len(id) == VisitorIDLen
	for _, r := range id {
		ok = ok && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}
	if !ok {
		return Errorf(EINVALID, "visitorId must be %d base64url characters (128 random bits).", VisitorIDLen)
	}
	return nil
}

// VisitorKey is what the store keeps of a visitor id: its hash with the
// contact and the page origin ("" without an id).
func VisitorKey(contactID, origin, visitorID string) string {
	if visitorID == "" {
		return ""
	}
	h := sha256.Sum256([]byte(contactID + "\n" + origin + "\n" + visitorID))
	return hex.EncodeToString(h[:])
}

// MaxEarlierSessions bounds the list of a visitor's earlier conversations.
const MaxEarlierSessions = 20

// EarlierSession is one of a visitor's earlier conversations, as the agent
// console's side panel lists it. Who may not read its transcript sees it
// without its rating comment (and without a link).
type EarlierSession struct {
	ID           string     `json:"id"`
	CreatedAt    time.Time  `json:"createdAt"`
	EndedAt      *time.Time `json:"endedAt,omitempty"`
	ServiceID    string     `json:"serviceId"`
	ServiceName  string     `json:"serviceName"`
	DirectUserID string     `json:"directUserId,omitempty"`
	Modality     Modality   `json:"modality"`
	Outcome      string     `json:"outcome"`
	// Agents name the agents who took part (accepted an offer), in order.
	Agents             []string `json:"agents"`
	Rating             *Rating  `json:"rating,omitempty"`
	TranscriptReadable bool     `json:"transcriptReadable"`
}

// PreviousConversation is the conversation before the current one from the
// same browser, as the widget shows it to its visitor.
type PreviousConversation struct {
	TaskID    string     `json:"taskId"`
	CreatedAt time.Time  `json:"createdAt"`
	EndedAt   *time.Time `json:"endedAt,omitempty"`
	Items     []Message  `json:"items"`
}

// Error code of the visitor's own history.
const EHISTORYDISABLED = "history_disabled" // the contact does not show visitors their previous conversation
