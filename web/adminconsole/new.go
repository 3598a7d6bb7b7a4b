package adminconsole

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
)

// Store is what the console needs of the store.
type Store interface {
	Login(ctx context.Context, email, password, tenantID string) (token, csrf string, a interact.Actor, err error)
	SessionActor(ctx context.Context, token string) (interact.Actor, string, error)
	Logout(ctx context.Context, token string) error
	Outbox(ctx context.Context, a interact.Actor, f interact.OutboxFilter) ([]interact.Mail, string, error)

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

	OUCodes(ctx context.Context, a interact.Actor, ouID string) ([]interact.Code, error)
	Code(ctx context.Context, a interact.Actor, id string) (*interact.Code, error)
	CreateCode(ctx context.Context, a interact.Actor, ouID, name string) (*interact.Code, error)
	RenameCode(ctx context.Context, a interact.Actor, id, name string) (*interact.Code, error)
	DeleteCode(ctx context.Context, a interact.Actor, id string) error

	HolidayCalendars(ctx context.Context, a interact.Actor) ([]interact.HolidayCalendar, error)
	HolidayCalendar(ctx context.Context, a interact.Actor, id string) (*interact.HolidayCalendar, error)
	CreateHolidayCalendar(ctx context.Context, a interact.Actor, c interact.HolidayCalendar) (*interact.HolidayCalendar, error)
	UpdateHolidayCalendar(ctx context.Context, a interact.Actor, id string, upd interact.HolidayCalendarUpdate) (*interact.HolidayCalendar, error)
	DeleteHolidayCalendar(ctx context.Context, a interact.Actor, id string) error
	ServiceHours(ctx context.Context, a interact.Actor, serviceID string) (*interact.ServiceHours, error)
	SaveServiceHours(ctx context.Context, a interact.Actor, serviceID string, h interact.ServiceHours) (*interact.ServiceHours, error)

	AuditEntries(ctx context.Context, a interact.Actor, f interact.AuditFilter) ([]interact.AuditEntry, string, error)
	Sessions(ctx context.Context, a interact.Actor, f interact.SessionFilter) ([]interact.Session, string, error)
}

// Config configures the console.
type Config struct {
	// PublicURL is the URL browsers reach interact at; snippets point at it.
	PublicURL string
	// KeyGrace is the default grace period of a rotated widget key.
	KeyGrace time.Duration
	// InteractOff: the operator switched Interact off for everyone; the
	// console says so.
	InteractOff bool
	Logger      *slog.Logger
	// CSRF checks every console POST (web's, with interact's own origin
	// trusted).
	CSRF *http.CrossOriginProtection
	// SignIn limits sign-in attempts: the same guard as the REST sign-in.
	SignIn *endpoint.SignInGuard
	// Authorize authenticates a console script's JSON request as the admin
	// API does (session cookie and X-CSRF-Token, or a bearer token).
	Authorize func(r *http.Request) (*http.Request, error)
	// Changed announces an administrator's change of a tenant.
	Changed func(tenantID string)
	// Revoked announces that a user signed out, so that their open sockets
	// check their credentials again.
	Revoked func(userID string)
	// Now is the clock the Hours tab's status is read at. Default time.Now.
	Now func() time.Time
	// MailOn says whether an SMTP server is configured: the Outbox page
	// and the Users page say what is off without one.
	MailOn bool
	// CreateUser creates a user with a password, or invites them by mail
	// when the password is empty (adminapi.API.CreateOrInvite).
	CreateUser func(ctx context.Context, a interact.Actor, u interact.User, password, acceptLanguage string) (*interact.User, error)
}

// Console serves the admin console.
type Console struct {
	cfg       Config
	store     Store
	log       *slog.Logger
	csrf      *http.CrossOriginProtection
	authorize func(r *http.Request) (*http.Request, error)
	changed   func(tenantID string)
}

// New returns the console over store.
func New(cfg Config, store Store) *Console {
	if cfg.KeyGrace == 0 {
		cfg.KeyGrace = 24 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Revoked == nil {
		cfg.Revoked = func(string) {}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Changed == nil {
		cfg.Changed = func(string) {}
	}
	if cfg.SignIn == nil {
		cfg.SignIn = endpoint.NewSignInGuard(20)
	}
	return &Console{cfg: cfg, store: store, log: cfg.Logger, csrf: cfg.CSRF, authorize: cfg.Authorize, changed: cfg.Changed}
}

// Routes are the console's pages, forms and assets under /admin.
func (s *Console) Routes() []endpoint.Route {
	return append(s.adminConsoleRoutes(), s.adminCodesRoutes()...)
}
