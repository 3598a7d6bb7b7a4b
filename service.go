package interact

import (
	"strings"
	"time"
)

// ServiceLicense is a service's licence tier.
type ServiceLicense string

// Service licence tiers. Interact needs ContactCenter.
const (
	LicenseAdvancedRouting   ServiceLicense = "advancedRouting"
	LicenseEnterpriseRouting ServiceLicense = "enterpriseRouting"
	LicenseContactCenter     ServiceLicense = "contactCenter"
)

// Valid reports whether l is a known tier.
func (l ServiceLicense) Valid() bool {
	switch l {
	case LicenseAdvancedRouting, LicenseEnterpriseRouting, LicenseContactCenter:
		return true
	}
	return false
}

// Service is a queue of agents that visitors reach through the widget.
type Service struct {
	ID              string         `json:"id"`
	TenantID        string         `json:"-"`
	Name            string         `json:"name"`
	OUID            string         `json:"ouId"`
	License         ServiceLicense `json:"license"`
	InteractLicense bool           `json:"interactLicense"`
	Distribution    Distribution   `json:"distribution"`
	Messages        SystemMessages `json:"messages"`
	// NotifyEmail receives each message a visitor leaves ("" none).
	NotifyEmail string    `json:"notifyEmail"`
	CreatedAt   time.Time `json:"createdAt"`
}

// ServiceUpdate is a partial change to a service. License and
// InteractLicense may be changed by tenant admins only.
type ServiceUpdate struct {
	Name            *string         `json:"name"`
	OUID            *string         `json:"ouId"`
	License         *ServiceLicense `json:"license"`
	InteractLicense *bool           `json:"interactLicense"`
	Distribution    *Distribution   `json:"distribution"`
	Messages        *SystemMessages `json:"messages"`
	NotifyEmail     *string         `json:"notifyEmail"`
}

// TouchesLicenses reports whether u changes licences.
func (u ServiceUpdate) TouchesLicenses() bool { return u.License != nil || u.InteractLicense != nil }

// Apply copies the set fields of u onto s.
func (u ServiceUpdate) Apply(s *Service) {
	if u.Name != nil {
		s.Name = *u.Name
	}
	if u.NotifyEmail != nil {
		s.NotifyEmail = *u.NotifyEmail
	}
	if u.OUID != nil {
		s.OUID = *u.OUID
	}
	if u.License != nil {
		s.License = *u.License
	}
	if u.InteractLicense != nil {
		s.InteractLicense = *u.InteractLicense
	}
	if u.Distribution != nil {
		s.Distribution = *u.Distribution
	}
	if u.Messages != nil {
		s.Messages = *u.Messages
	}
}

// Validate checks the service and fills distribution defaults.
func (s *Service) Validate() error {
	s.Name = strings.TrimSpace(s.Name)
	if err := validName("service name", s.Name); err != nil {
		return err
	}
	if s.OUID == "" {
		return Errorf(EINVALID, "ouId is required.")
	}
	if s.License == "" {
		s.License = LicenseAdvancedRouting
	}
	if !s.License.Valid() {
		return Errorf(EINVALID, "license must be advancedRouting, enterpriseRouting or contactCenter (got %q).", s.License)
	}
	if err := s.Distribution.Validate(); err != nil {
		return err
	}
	if s.NotifyEmail = strings.TrimSpace(s.NotifyEmail); s.NotifyEmail != "" {
		email, err := NormalizeEmail(s.NotifyEmail)
		if err != nil {
			return Errorf(EINVALID, "notifyEmail must be an e-mail address (got %q).", s.NotifyEmail)
		}
		s.NotifyEmail = email
	}
	return s.Messages.Validate()
}

// InteractGate returns nil when the service's Interact settings are
// available, else the reason: not_licensed, addon_missing or
// interact_disabled, in that order.
func (s *Service) InteractGate(t *Tenant) error {
	if s.License != LicenseContactCenter {
		return Errorf(ENOTLICENSED, "Assign the Contact Center licence under General → Licenses.")
	}
	if !s.InteractLicense {
		return Errorf(EADDONMISSING, "Grant the Interact add-on under General → Licenses.")
	}
	if !t.InteractEnabled {
		return Errorf(EINTERACTOFF, "Interact is switched off for this tenant.")
	}
	return nil
}

// Member is a user's membership in a service. Only active members get tasks.
type Member struct {
	UserID string `json:"userId"`
	Name   string `json:"name"`
	Email  string `json:"email"`
	Active bool   `json:"active"`
}

// MaxMembers bounds a service's member list.
const MaxMembers = 1000

// RoutingMember is what routing needs to know of a service member.
type RoutingMember struct {
	UserID   string
	Name     string
	Active   bool
	Licenses Licenses
}
