package interact

import (
	"net/mail"
	"strings"
	"time"
)

// Licenses are the per-user licences.
type Licenses struct {
	ContactCenter    bool `json:"contactCenter"`
	InstantMessaging bool `json:"instantMessaging"`
	Interact         bool `json:"interact"`
}

// Role names.
const (
	RoleOperator     = "operator"     // manages tenants; server-wide
	RoleTenantAdmin  = "tenantAdmin"  // everything inside the tenant
	RoleOUAdmin      = "ouAdmin"      // scoped to an OU subtree
	RoleServiceOwner = "serviceOwner" // scoped to one service
)

// Role is one role grant. ScopeID is an OU id for ouAdmin, a service id for
// serviceOwner, and empty otherwise.
type Role struct {
	Role    string `json:"role"`
	ScopeID string `json:"scopeId,omitempty"`
}

// MaxRoles bounds a user's role list.
const MaxRoles = 50

// User is a person: an admin, an agent, or both.
type User struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"-"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	OUID      string    `json:"ouId"`
	Licenses  Licenses  `json:"licenses"`
	Roles     []Role    `json:"roles"`
	CreatedAt time.Time `json:"createdAt"`
}

// UserUpdate is a partial change to a user.
type UserUpdate struct {
	Email    *string   `json:"email"`
	Name     *string   `json:"name"`
	OUID     *string   `json:"ouId"`
	Licenses *Licenses `json:"licenses"`
	Roles    *[]Role   `json:"roles"`
	Password *string   `json:"password"`
}

// Apply copies the set fields of u onto usr (the password is handled by the store).
func (u UserUpdate) Apply(usr *User) {
	if u.Email != nil {
		usr.Email = *u.Email
	}
	if u.Name != nil {
		usr.Name = *u.Name
	}
	if u.OUID != nil {
		usr.OUID = *u.OUID
	}
	if u.Licenses != nil {
		usr.Licenses = *u.Licenses
	}
	if u.Roles != nil {
		usr.Roles = *u.Roles
	}
}

// Validate checks the user's fields and normalises the e-mail address.
func (u *User) Validate() error {
	u.Name = strings.TrimSpace(u.Name)
	if err := validName("user name", u.Name); err != nil {
		return err
	}
	email, err := NormalizeEmail(u.Email)
	if err != nil {
		return err
	}
	u.Email = email
	if u.OUID == "" {
		return Errorf(EINVALID, "ouId is required.")
	}
	if len(u.Roles) > MaxRoles {
		return Errorf(EINVALID, "A user may hold at most %d roles.", MaxRoles)
	}
	seen := map[Role]bool{}
	for _, r := range u.Roles {
		switch r.Role {
		case RoleOperator, RoleTenantAdmin:
			if r.ScopeID != "" {
				return Errorf(EINVALID, "Role %s takes no scopeId.", r.Role)
			}
		case RoleOUAdmin, RoleServiceOwner:
			if r.ScopeID == "" {
				return Errorf(EINVALID, "Role %s needs a scopeId.", r.Role)
			}
		default:
			return Errorf(EINVALID, "Unknown role %q; use tenantAdmin, ouAdmin or serviceOwner.", r.Role)
		}
		if seen[r] {
			return Errorf(EINVALID, "Role %s is listed twice.", r.Role)
		}
		seen[r] = true
	}
	return nil
}

// NormalizeEmail checks an e-mail address and returns it lower-cased.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) > 254 {
		return "", Errorf(EINVALID, "The e-mail address must be at most 254 characters.")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s, "@") {
		return "", Errorf(EINVALID, "%q is not a valid e-mail address.", s)
	}
	return s, nil
}

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 10

// ValidatePassword checks a new password.
func ValidatePassword(p string) error {
	if len(p) < MinPasswordLen {
		return Errorf(EINVALID, "The password must be at least %d characters.", MinPasswordLen)
	}
	if len(p) > 256 {
		return Errorf(EINVALID, "The password must be at most 256 characters.")
	}
	return nil
}

// InteractGate returns nil when the user's Interact tab (direct contact) is
// available: the user holds the Contact Center and Interact licences and the
// tenant has Interact switched on.
func (u *User) InteractGate(t *Tenant) error {
	if !u.Licenses.ContactCenter {
		return Errorf(ENOTLICENSED, "Assign the Contact Center licence to this user.")
	}
	if !u.Licenses.Interact {
		return Errorf(EADDONMISSING, "Assign the Interact licence to this user.")
	}
	if !t.InteractEnabled {
		return Errorf(EINTERACTOFF, "Interact is switched off for this tenant.")
	}
	return nil
}
