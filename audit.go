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

// AuditKinds are the kinds of entity the audit log records.
var AuditKinds = []string{"tenant", "ou", "user", "service", "domain_template", "code", "holiday_calendar"}

// AuditActions are every action the audit log records; the store refuses
// to record any other, so this list is what consoles offer as filters.
var AuditActions = []string{
	"tenant.create", "tenant.update",
	"ou.create", "ou.update", "ou.delete",
	"user.create", "user.update", "user.update_password", "user.reset_password", "user.delete",
	"user.invite", "user.set_password",
	"api_token.create", "api_token.delete",
	"service.create", "service.update", "service.update_licenses", "service.delete",
	"service.member_put", "service.member_active", "service.member_delete",
	"domain_template.create", "domain_template.update", "domain_template.delete",
	"interact.update", "interact.rotate_key", "interact.widget_update", "interact.widget_reset",
	"code.create", "code.rename", "code.delete",
	"holiday_calendar.create", "holiday_calendar.update", "holiday_calendar.delete", "service.hours_update",
}

// MaxAuditPage bounds one page of audit entries.
const MaxAuditPage = 500
