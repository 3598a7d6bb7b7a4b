// Package adminapi is interact's admin REST API under /api/v1: tenants,
// OUs, users and their API tokens, services and members, domain templates,
// the Interact and Widget settings of services and users, services'
// opening hours and the holiday calendars, the origin tester, service
// sessions and their transcripts, and the audit log.
//
// It owns decoding these requests and encoding their answers. It does not
// own authentication, CSRF, metrics or announcing changes to other nodes
// (web wraps every route with them), nor any rule: the store checks
// permissions and rules inside its transactions.
package adminapi

import (
	"context"
	"time"

	"github.com/interact-oss/interact"
)

// Store is what the admin API needs of the store.
type Store interface {
	CreateAPIToken(ctx context.Context, a interact.Actor, userID, name string) (*interact.APIToken, string, error)
	APITokens(ctx context.Context, a interact.Actor, userID string) ([]interact.APIToken, error)
	DeleteAPIToken(ctx context.Context, a interact.Actor, userID, id string) error

	CreateTenant(ctx context.Context, a interact.Actor, nt interact.NewTenant) (*interact.Tenant, *interact.User, error)
	Tenants(ctx context.Context, a interact.Actor) ([]interact.Tenant, error)
	Tenant(ctx context.Context, a interact.Actor, id string) (*interact.Tenant, error)
	UpdateTenant(ctx context.Context, a interact.Actor, id string, upd interact.TenantUpdate) (*interact.Tenant, error)

	OUs(ctx context.Context, a interact.Actor) ([]interact.OU, error)
	OU(ctx context.Context, a interact.Actor, id string) (*interact.OU, error)
	CreateOU(ctx context.Context, a interact.Actor, o interact.OU) (*interact.OU, error)
	UpdateOU(ctx context.Context, a interact.Actor, id string, upd interact.OUUpdate) (*interact.OU, error)
	DeleteOU(ctx context.Context, a interact.Actor, id string) error

	Users(ctx context.Context, a interact.Actor) ([]interact.User, error)
	User(ctx context.Context, a interact.Actor, id string) (*interact.User, error)
	CreateUser(ctx context.Context, a interact.Actor, u interact.User, password string) (*interact.User, error)
	InviteUser(ctx context.Context, a interact.Actor, u interact.User, compose interact.MailComposer) (*interact.User, error)
	Outbox(ctx context.Context, a interact.Actor, f interact.OutboxFilter) ([]interact.Mail, string, error)
	UpdateUser(ctx context.Context, a interact.Actor, id string, upd interact.UserUpdate) (*interact.User, error)
	DeleteUser(ctx context.Context, a interact.Actor, id string) error

	Services(ctx context.Context, a interact.Actor) ([]interact.Service, error)
	Service(ctx context.Context, a interact.Actor, id string) (*interact.Service, error)
	CreateService(ctx context.Context, a interact.Actor, s interact.Service) (*interact.Service, error)
	UpdateService(ctx context.Context, a interact.Actor, id string, upd interact.ServiceUpdate) (*interact.Service, error)
	DeleteService(ctx context.Context, a interact.Actor, id string) error
	Members(ctx context.Context, a interact.Actor, serviceID string) ([]interact.Member, error)
	PutMember(ctx context.Context, a interact.Actor, serviceID, userID string, active bool) (*interact.Member, error)
	DeleteMember(ctx context.Context, a interact.Actor, serviceID, userID string) error

	DomainTemplates(ctx context.Context, a interact.Actor) ([]interact.DomainTemplate, error)
	DomainTemplate(ctx context.Context, a interact.Actor, id string) (*interact.DomainTemplate, error)
	CreateDomainTemplate(ctx context.Context, a interact.Actor, t interact.DomainTemplate) (*interact.DomainTemplate, error)
	UpdateDomainTemplate(ctx context.Context, a interact.Actor, id string, upd interact.DomainTemplateUpdate) (*interact.DomainTemplate, error)
	DeleteDomainTemplate(ctx context.Context, a interact.Actor, id string) error

	Interact(ctx context.Context, a interact.Actor, kind, id string) (*interact.InteractSettings, error)
	UpdateInteract(ctx context.Context, a interact.Actor, kind, id string, upd interact.InteractUpdate) (*interact.InteractSettings, error)
	RotateWidgetKey(ctx context.Context, a interact.Actor, kind, id string, grace time.Duration) (*interact.InteractSettings, error)
	ContactByID(ctx context.Context, tenantID, contactID string) (*interact.Contact, error)

	WidgetSettings(ctx context.Context, a interact.Actor, kind, id string) (*interact.WidgetSettings, error)
	SaveWidgetSettings(ctx context.Context, a interact.Actor, kind, id string, w *interact.WidgetSettings) error
	ResetWidgetSettings(ctx context.Context, a interact.Actor, kind, id string) error

	HolidayCalendars(ctx context.Context, a interact.Actor) ([]interact.HolidayCalendar, error)
	HolidayCalendar(ctx context.Context, a interact.Actor, id string) (*interact.HolidayCalendar, error)
	CreateHolidayCalendar(ctx context.Context, a interact.Actor, c interact.HolidayCalendar) (*interact.HolidayCalendar, error)
	UpdateHolidayCalendar(ctx context.Context, a interact.Actor, id string, upd interact.HolidayCalendarUpdate) (*interact.HolidayCalendar, error)
	DeleteHolidayCalendar(ctx context.Context, a interact.Actor, id string) error
	ServiceHours(ctx context.Context, a interact.Actor, serviceID string) (*interact.ServiceHours, error)
	SaveServiceHours(ctx context.Context, a interact.Actor, serviceID string, h interact.ServiceHours) (*interact.ServiceHours, error)

	AuditEntries(ctx context.Context, a interact.Actor, f interact.AuditFilter) ([]interact.AuditEntry, string, error)
	Sessions(ctx context.Context, a interact.Actor, f interact.SessionFilter) ([]interact.Session, string, error)
	Transcript(ctx context.Context, a interact.Actor, taskID string) (*interact.Transcript, error)

	ServiceReport(ctx context.Context, a interact.Actor, q interact.ReportQuery) ([]interact.KPI, error)
	AgentReport(ctx context.Context, a interact.Actor, q interact.ReportQuery) ([]interact.KPI, error)
	OUReport(ctx context.Context, a interact.Actor, q interact.ReportQuery) ([]interact.KPI, error)
}

// Config configures the API. Zero values mean the documented defaults.
type Config struct {
	// PublicURL is the URL browsers reach interact at; snippets point at it.
	PublicURL string
	// KeyGrace is how long a rotated widget key stays valid when the rotate
	// request names no grace period. Default 24h.
	KeyGrace time.Duration
	// Revoked announces that a user's credentials changed (a token
	// revoked), so that open sockets check theirs again.
	Revoked func(userID string)
	// Now is the clock the Hours tab's status is read at. Default time.Now.
	Now func() time.Time
	// MailFrom is the sender of invitations; empty: e-mail is off, and a
	// new user needs a password.
	MailFrom string
	// Queued is told that a mail was queued.
	Queued func()
}

// API serves the admin REST API.
type API struct {
	cfg   Config
	store Store
}

// New returns the API over store.
func New(cfg Config, store Store) *API {
	if cfg.KeyGrace == 0 {
		cfg.KeyGrace = 24 * time.Hour
	}
	if cfg.Revoked == nil {
		cfg.Revoked = func(string) {}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Queued == nil {
		cfg.Queued = func() {}
	}
	return &API{cfg: cfg, store: store}
}
