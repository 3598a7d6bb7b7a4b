package widgetapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/realtime"
	"github.com/interact-oss/interact/web/chat"
	"github.com/interact-oss/interact/web/endpoint"
	"github.com/prometheus/client_golang/prometheus"
)

// Store is what the widget endpoints need of the store.
type Store interface {
	ContactByID(ctx context.Context, tenantID, contactID string) (*interact.Contact, error)
	ContactWidget(ctx context.Context, tenantID, ownerID string) (*interact.WidgetSettings, error)
	Task(ctx context.Context, id string) (*interact.Task, error)
	TaskByResume(ctx context.Context, hash string) (*interact.Task, error)
	Messages(ctx context.Context, taskID string, after int64, limit int) ([]interact.Message, error)
	LeaveMessage(ctx context.Context, taskID, text string, notify *interact.Mail) error
	CreateTask(ctx context.Context, t *interact.Task, resumeHash string) error
	CreateLeftMessage(ctx context.Context, t *interact.Task, notify *interact.Mail) error
	RateTask(ctx context.Context, taskID string, r interact.Rating) (*interact.Rating, bool, error)
	PreviousConversation(ctx context.Context, taskID string) (*interact.PreviousConversation, error)
}

// Engine is what the widget endpoints need of the routing engine.
type Engine interface {
	StartTask(ctx context.Context, req interact.StartRequest) (*interact.Task, error)
	Task(id string) (interact.TaskView, bool)
	EndTask(ctx context.Context, taskID, by string) error
	VisitorConnected(taskID string)
	VisitorDisconnected(taskID string)
	Available(ctx context.Context, tenantID, serviceID, directUserID string, m interact.Modality) bool
	AgentDisplayName(taskID string) string
}

// Hub upgrades the visitor's WebSocket.
type Hub interface {
	Upgrade(w http.ResponseWriter, r *http.Request, h realtime.Handler, open func(*realtime.Conn) error) error
}

// Config configures the widget endpoints. Zero values mean the documented
// defaults; without Engine, Hub, Bus, Transcript and Calls every widget
// endpoint answers internal_error ("realtime is not configured").
type Config struct {
	PublicURL  string
	Engine     Engine
	Hub        Hub
	Bus        chat.Publisher
	Transcript chat.Transcript
	Calls      *chat.Calls
	// TokenSecret signs visitor tokens; every node must share it.
	TokenSecret []byte
	// VisitorTokenTTL is a visitor token's lifetime. Default 15m.
	VisitorTokenTTL time.Duration
	// WidgetRate is how many widget requests one client address may make a
	// minute (default 600); TaskRate how many new tasks one address may
	// start a minute (default 20); KeyRate how many new tasks one widget
	// key may start a minute (default 600).
	WidgetRate, TaskRate, KeyRate int
	// DemoSnippet is embedded in the page served at /demo; empty: no demo.
	DemoSnippet string
	// Sockets counts open sockets against their caps, shared with the agent
	// side; SocketsPerAddress bounds those of one client address.
	Sockets           *endpoint.Caps
	SocketsPerAddress int
	// InteractOff: the operator switched Interact off; widget work is refused.
	InteractOff bool
	Logger      *slog.Logger
	// Now is the clock opening hours are read at. Default time.Now.
	Now func() time.Time
	// Registry receives the widget's metrics.
	Registry *prometheus.Registry
	// MailFrom is the sender of the mails the widget causes (a left
	// message to its service's address); "" when e-mail is off.
	// MailQueued is told when one was queued.
	MailFrom   string
	MailQueued func()
}

// visitorSocketsPerTask bounds a task's visitor sockets: a tab each.
const visitorSocketsPerTask = 10

// capacityRetry is the Retry-After, in seconds, of capacity_reached: open
// chats end or start within about that.
const capacityRetry = "30"

// unknownContacts is how many unknown Contact IDs one client address may
// ask for a minute: a page with a stale snippet needs a few, a guesser
// thousands.
const unknownContacts = 30

// API serves the website widget: its bundles, the demo page, the public
// endpoints under /widget/v1 and the visitor's WebSocket.
type API struct {
	cfg   Config
	store Store
	log   *slog.Logger
	// Rate limits: requests per address, new tasks per address and per
	// widget key.
	widgetAddr, taskAddr, taskKey *endpoint.Limiter
	// guesses counts unknown Contact IDs asked for, per client address.
	guesses        *endpoint.Limiter
	contacts       *contactCache
	watch          configWatch // pages' config sockets
	originRefusals prometheus.Counter
}

// New returns the widget endpoints over store.
func New(cfg Config, store Store) *API {
	if cfg.VisitorTokenTTL == 0 {
		cfg.VisitorTokenTTL = 15 * time.Minute
	}
	if cfg.WidgetRate == 0 {
		cfg.WidgetRate = 600
	}
	if cfg.TaskRate == 0 {
		cfg.TaskRate = 20
	}
	if cfg.KeyRate == 0 {
		cfg.KeyRate = 600
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MailQueued == nil {
		cfg.MailQueued = func() {}
	}
	if cfg.Sockets == nil {
		cfg.Sockets = &endpoint.Caps{}
	}
	if cfg.SocketsPerAddress == 0 {
		cfg.SocketsPerAddress = endpoint.DefaultSocketsPerAddress
	}
	s := &API{cfg: cfg, store: store, log: cfg.Logger,
		widgetAddr: endpoint.NewLimiter(cfg.WidgetRate, time.Minute),
		taskAddr:   endpoint.NewLimiter(cfg.TaskRate, time.Minute),
		taskKey:    endpoint.NewLimiter(cfg.KeyRate, time.Minute),
		guesses:    endpoint.NewLimiter(unknownContacts, time.Minute),
		contacts:   &contactCache{ttl: 2 * time.Second, m: map[string]cachedContact{}, log: cfg.Logger},
		originRefusals: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "interact_widget_origin_refusals_total", Help: "Widget requests refused by Restrict Access.",
		}),
	}
	s.watch.s = s
	s.watch.open = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "interact_widget_config_sockets", Help: "Pages following their contact's config on a socket of this node.",
	})
	if cfg.Registry != nil {
		cfg.Registry.MustRegister(s.originRefusals, s.watch.open)
	}
	return s
}

// Routes are the widget's endpoints. Those under /widget/v1 pass the
// widget gate first (contact, origin, CORS, rate) and answer their CORS
// preflights.
func (s *API) Routes() []endpoint.Route {
	routes := []endpoint.Route{
		{Method: "GET", Path: "/widget.js", Tag: "widget", Summary: "The widget loader: the snippet's script.", H: s.widgetLoader},
		{Method: "GET", Path: "/widget/{file}", Tag: "widget", Summary: "The widget's UI bundle, at a content-hashed name.", H: s.widgetFile},
		{Method: "GET", Path: "/demo", Tag: "demo", Summary: "The demo page embedding the demo service's widget (with --demo).", H: s.demo},
		{Method: "GET", Path: "/widget/v1/config", Tag: "widget", Summary: "What the widget may show now.", Auth: endpoint.AuthWidget, H: s.widgetConfigHandler},
		{Method: "GET", Path: "/widget/v1/config/ws", Tag: "widget", Summary: "A WebSocket on which the server pushes the config when it changes (frames: config).", Auth: endpoint.AuthWidget, H: s.configSocket},
		{Method: "POST", Path: "/widget/v1/tasks", Tag: "widget", Summary: "Start (or resume) a chat or call task.", Auth: endpoint.AuthWidget, H: s.startTask},
		{Method: "POST", Path: "/widget/v1/token", Tag: "widget", Summary: "Refresh a visitor token.", Auth: endpoint.AuthWidget, H: s.refreshToken},
		{Method: "GET", Path: "/widget/v1/tasks/{id}/transcript", Tag: "widget", Summary: "A task's transcript.", Auth: endpoint.AuthWidget, H: s.transcript},
		{Method: "POST", Path: "/widget/v1/tasks/{id}/leave-message", Tag: "widget", Summary: "Leave a message after no agent could take the contact.", Auth: endpoint.AuthWidget, H: s.leaveMessage},
		{Method: "POST", Path: "/widget/v1/tasks/{id}/rating", Tag: "widget", Summary: "Rate an ended conversation (1–5 stars, an optional comment), once; an identical resend answers the same.", Auth: endpoint.AuthWidget,
			In: ratingRequest{}, Out: interact.Rating{}, H: s.rate},
		{Method: "GET", Path: "/widget/v1/tasks/{id}/previous", Tag: "widget", Summary: "The previous conversation of the same browser (same contact, page origin and visitor id), where the service shows it.", Auth: endpoint.AuthWidget,
			Out: interact.PreviousConversation{}, H: s.previousConversation},
		{Method: "POST", Path: "/widget/v1/leave-message", Tag: "widget", Summary: "Leave a message while the service is closed (out of hours).", Auth: endpoint.AuthWidget, H: s.leaveClosedMessage},
		{Method: "GET", Path: "/widget/v1/ws", Tag: "widget", Summary: "The visitor's WebSocket.", Auth: endpoint.AuthWidget, H: s.visitorSocket},
	}
	for i, rt := range routes {
		if rt.Auth == endpoint.AuthWidget {
			routes[i].H = s.gated(rt.H)
			routes = append(routes, endpoint.Route{Method: "OPTIONS", Path: rt.Path, Tag: rt.Tag, Summary: "CORS preflight.", Auth: endpoint.AuthWidget,
				H: s.gated(func(http.ResponseWriter, *http.Request) error { return nil })})
		}
	}
	return routes
}

// gated runs h behind the widget gate.
func (s *API) gated(h func(http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Engine == nil || s.cfg.Hub == nil || s.cfg.Bus == nil || s.cfg.Transcript == nil || s.cfg.Calls == nil {
			return interact.Errorf(interact.EINTERNAL, "realtime is not configured")
		}
		r, done, err := s.widgetGate(w, r)
		if err != nil || done {
			return err
		}
		return h(w, r)
	}
}

// ClearContacts forgets the cached contacts, after an admin change.
func (s *API) ClearContacts() { s.contacts.clear() }

// CallAllowed applies the contact's gates to a call: the audio/video
// toggle and everything that gates chat.
func (s *API) CallAllowed(ctx context.Context, contactID string, m interact.Modality) error {
	c, err := s.contacts.get(ctx, s.store, contactID)
	if err != nil {
		return err
	}
	if err := c.Offers(m); err != nil {
		return err
	}
	return s.operatorGate()
}

// operatorGate refuses widget work while the operator has Interact off.
func (s *API) operatorGate() error {
	if s.cfg.InteractOff {
		return interact.Errorf(interact.EINTERACTOFF, "Interact is temporarily switched off by the operator.")
	}
	return nil
}
