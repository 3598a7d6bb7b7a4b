package interact

import (
	"encoding/json"
	"time"
)

// AuditEntry records one change: who made it, when, and the entity before
// and after (null for creates and deletes respectively).
type AuditEntry struct {
	ID         string          `json:"id"`
	TenantID   string          `json:"-"`
	At         time.Time       `json:"at"`
	ActorID    string          `json:"actorId"`
	ActorEmail string          `json:"actorEmail"`
	Action     string          `json:"action"` // e.g. "service.update", "interact.rotate_key"
	EntityKind string          `json:"entityKind"`
	EntityID   string          `json:"entityId"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
}

// AuditFilter selects audit entries; zero fields match everything.
type AuditFilter struct {
	EntityKind string
	EntityID   string
	ActorID    string
	Action     string
	Since      time.Time
	Until      time.Time
	Cursor     string // return entries older than this entry id
	Limit      int
}
