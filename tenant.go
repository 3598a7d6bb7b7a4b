package interact

import (
	"strings"
	"time"
)

// TenantState is the commercial state of a tenant.
type TenantState string

// Tenant states. Only active and trial tenants accept new Interact tasks.
const (
	TenantActive    TenantState = "active"
	TenantTrial     TenantState = "trial"
	TenantSuspended TenantState = "suspended"
	TenantExpired   TenantState = "expired"
)

// Valid reports whether s is one of the known states.
func (s TenantState) Valid() bool {
	switch s {
	case TenantActive, TenantTrial, TenantSuspended, TenantExpired:
		return true
	}
	return false
}

// Bounds of the per-service concurrent IM task cap.
const (
	MinIMTasksPerService     = 1
	MaxIMTasksPerService     = 50
	DefaultIMTasksPerService = 20
)

// Tenant is a customer organisation and the root of one OU tree.
type Tenant struct {
	ID                             string      `json:"id"`
	Name                           string      `json:"name"`
	State                          TenantState `json:"state"`
	InteractEnabled                bool        `json:"interactEnabled"`
	IMEnabled                      bool        `json:"imEnabled"`
	MaxConcurrentIMTasksPerService int         `json:"maxConcurrentImTasksPerService"`
	CreatedAt                      time.Time   `json:"createdAt"`
}

// TenantChoice names a tenant for someone who holds an account in several
// (one e-mail address, a user in each): the sign-in asks them to choose.
type TenantChoice struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// TenantUpdate is a partial change to a tenant; nil fields stay as they are.
// State may be changed by operators only.
type TenantUpdate struct {
	Name                           *string      `json:"name"`
	State                          *TenantState `json:"state"`
	InteractEnabled                *bool        `json:"interactEnabled"`
	IMEnabled                      *bool        `json:"imEnabled"`
	MaxConcurrentIMTasksPerService *int         `json:"maxConcurrentImTasksPerService"`
}

// Apply copies the set fields of u onto t.
func (u TenantUpdate) Apply(t *Tenant) {
	if u.Name != nil {
		t.Name = strings.TrimSpace(*u.Name)
	}
	if u.State != nil {
		t.State = *u.State
	}
	if u.InteractEnabled != nil {
		t.InteractEnabled = *u.InteractEnabled
	}
	if u.IMEnabled != nil {
		t.IMEnabled = *u.IMEnabled
	}
	if u.MaxConcurrentIMTasksPerService != nil {
		t.MaxConcurrentIMTasksPerService = *u.MaxConcurrentIMTasksPerService
	}
}

// Validate checks the tenant's fields.
func (t *Tenant) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	if err := validName("tenant name", t.Name); err != nil {
		return err
	}
	if !t.State.Valid() {
		return Errorf(EINVALID, "state must be one of active, trial, suspended, expired (got %q).", t.State)
	}
	if n := t.MaxConcurrentIMTasksPerService; n < MinIMTasksPerService || n > MaxIMTasksPerService {
		return Errorf(EINVALID, "maxConcurrentImTasksPerService must be between %d and %d (got %d).", MinIMTasksPerService, MaxIMTasksPerService, n)
	}
	return nil
}

// AcceptsInteract returns nil when the tenant may take new Interact work,
// else tenant_inactive (suspended or expired) or interact_disabled.
func (t *Tenant) AcceptsInteract() error {
	if t.State != TenantActive && t.State != TenantTrial {
		return Errorf(ETENANTINACTIVE, "This organisation's account is %s; it accepts no new contacts.", t.State)
	}
	if !t.InteractEnabled {
		return Errorf(EINTERACTOFF, "Interact is switched off for this tenant.")
	}
	return nil
}

// MaxNameLen bounds every display name (tenants, OUs, users, services, templates).
const MaxNameLen = 100

func validName(what, s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return Errorf(EINVALID, "The %s must not be empty.", what)
	}
	if len([]rune(s)) > MaxNameLen {
		return Errorf(EINVALID, "The %s must be at most %d characters.", what, MaxNameLen)
	}
	if strings.ContainsAny(s, "\x00\r\n\t") {
		return Errorf(EINVALID, "The %s must not contain control characters.", what)
	}
	return nil
}

// NewTenant describes a tenant to create together with its root OU and its
// first tenant admin.
type NewTenant struct {
	Tenant        Tenant
	AdminEmail    string
	AdminName     string
	AdminPassword string
}
