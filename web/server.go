// Package web is interact's HTTP server. It assembles the audiences —
// adminapi (REST), adminconsole (pages), agentapi (agent socket and
// console), widgetapi (widget endpoints and visitor socket) — into the one
// route table (routes.go), from which it registers the handlers and
// generates the OpenAPI document, and wraps every route with what they
// share: authentication (session cookies with CSRF protection, or bearer
// API tokens), sign-in and sign-out, security headers, metrics, the error
// answer, and announcing admin changes to every node. It also serves the
// health and metrics endpoints.
//
// It holds no business rules and no audience's handlers: the store checks
// permissions and rules inside its transactions, the audiences decode and
// answer.
package web

// The front-end bundles are built from web/ui by esbuild's Go API and
// committed in web/ui/dist; web/ui_test.go fails when they are stale.
//
//go:generate go run ./ui/bundle

import (
	"bufio"
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/realtime"
	"github.com/interact-oss/interact/web/account"
	"github.com/interact-oss/interact/web/adminapi"
	"github.com/interact-oss/interact/web/adminconsole"
	"github.com/interact-oss/interact/web/agentapi"
	"github.com/interact-oss/interact/web/chat"
	"github.com/interact-oss/interact/web/endpoint"
	"github.com/interact-oss/interact/web/widgetapi"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Store is what web needs of the store: what each audience needs, and the
// sessions and tokens web authenticates with.
type Store interface {
	adminapi.Store
	adminconsole.Store
	account.Store
	agentapi.Store
	widgetapi.Store
	ContactWidget(ctx context.Context, tenantID, ownerID string) (*interact.WidgetSettings, error)
	Ping(ctx context.Context) error
	Login(ctx context.Context, email, password, tenantID string) (token, csrf string, a interact.Actor, err error)
	SessionActor(ctx context.Context, token string) (interact.Actor, string, error)
	Logout(ctx context.Context, token string) error
	TokenActor(ctx context.Context, token string) (interact.Actor, error)

	Task(ctx context.Context, id string) (*interact.Task, error)
	TaskByResume(ctx context.Context, hash string) (*interact.Task, error)
	Messages(ctx context.Context, taskID string, after int64, limit int) ([]interact.Message, error)
	LeaveMessage(ctx context.Context, taskID, text string, notify *interact.Mail) error
	SetMemberActive(ctx context.Context, a interact.Actor, serviceID string, active bool) error
	AgentServices(ctx context.Context, tenantID, userID string) ([]string, error)
}

// Router is what web needs of the routing engine: what each audience
// needs, and Invalidate for settings changed on another node.
type Router interface {
	widgetapi.Engine
	agentapi.Engine
	chat.Engine
	Invalidate(ctx context.Context, tenantID string)
}

// Transcript is what web needs of the message log.
type Transcript interface {
	Append(ctx context.Context, m interact.Message) (interact.Message, bool, error)
}

// Hub is what web needs of the WebSocket hub.
type Hub interface {
	Upgrade(w http.ResponseWriter, r *http.Request, h realtime.Handler, open func(*realtime.Conn) error) error
}

// Config configures the server. Zero values mean the documented defaults.
type Config struct {
	// PublicURL is the URL browsers reach interact at; snippets point at it.
	// Default "http://localhost:8080".
	PublicURL string
	// KeyGrace is how long a rotated widget key stays valid when the rotate
	// request names no grace period. Default 24h.
	KeyGrace time.Duration
	// SocketsPerAddress bounds the open WebSockets (visitors' and agents')
	// of one client address. Default 2000.
	SocketsPerAddress int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For or
	// Forwarded header names the client (rate limits and logs use it).
	// None: the connection's peer is the client.
	TrustedProxies endpoint.Proxies
	// LoginRate is how many sign-in attempts one client address may make a
	// minute, and how many failures one e-mail address may have from one
	// client address in 15 minutes (ten times as many from all addresses
	// together in an hour). Default 20.
	LoginRate int
	// Logger receives request errors. Default slog.Default().
	Logger *slog.Logger
	// Registry receives the server's metrics and is served at /metrics.
	// Default: a new registry with the Go and process collectors.
	Registry *prometheus.Registry

	// Engine, Hub and Bus serve the widget and agent endpoints; without
	// them those endpoints answer 503 (the admin API works alone).
	Engine Router
	Hub    Hub
	Bus    interact.Bus
	// Transcript commits chat messages and publishes them (chatlog.Log);
	// the widget and agent endpoints need it with the engine.
	Transcript Transcript
	// TokenSecret signs visitor tokens; every node must share it.
	TokenSecret []byte
	// VisitorTokenTTL is a visitor token's lifetime. Default 15m.
	VisitorTokenTTL time.Duration
	// WidgetRate is how many widget requests one client address may make a
	// minute (default 600); TaskRate how many new tasks one address may
	// start a minute (default 20); KeyRate how many new tasks one widget
	// key may start a minute (default 600).
	WidgetRate, TaskRate, KeyRate int
	// DemoSnippet is the widget snippet of the demo service, embedded in the
	// page served at /demo; empty: no demo page.
	DemoSnippet string
	// DisableExperimental lists experimental features the operator has
	// switched off for everyone ("interact"): the consoles show it, and the
	// widget endpoints refuse with interact_disabled.
	DisableExperimental []string
	// ICE returns the media-path configuration for one call task: STUN and
	// TURN servers with credentials bound to that task. Nil: calls use no
	// ICE servers (host candidates only).
	ICE func(taskID string) interact.ICEConfig
	// MailFrom is the sender of the mails web queues (invitations,
	// password resets); empty: e-mail is off.
	MailFrom string
	// MailQueued is told when a mail was queued, so the sender looks at
	// once (outbox.Sender.Wake); nil: it finds it at its next poll.
	MailQueued func()
	// Now is the clock opening hours are read at: the widget's open and
	// opensAt, tasks refused as closed, the Hours tab. Default time.Now.
	Now func() time.Time
}

// Server serves interact's HTTP surface.
type Server struct {
	cfg      Config
	store    Store
	log      *slog.Logger
	mux      *http.ServeMux
	routes   []endpoint.Route
	csrf     *http.CrossOriginProtection
	signIn   *endpoint.SignInGuard // sign-in attempts, REST and console
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	busSub   interact.Subscription
	admin    *adminapi.API
	console  *adminconsole.Console
	widget   *widgetapi.API
	agent    *agentapi.API
	account  *account.API
	calls    *chat.Calls // nil without realtime
	https    bool        // the public URL is https: browsers are told to stay on it (HSTS)
}

// NewServer returns a server over store.
func NewServer(cfg Config, store Store) *Server {
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://localhost:8080"
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	if cfg.KeyGrace == 0 {
		cfg.KeyGrace = 24 * time.Hour
	}
	if cfg.LoginRate == 0 {
		cfg.LoginRate = 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
		cfg.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s := &Server{
		cfg: cfg, store: store, log: cfg.Logger, mux: http.NewServeMux(), https: strings.HasPrefix(cfg.PublicURL, "https://"),
		csrf:   http.NewCrossOriginProtection(),
		signIn: endpoint.NewSignInGuard(cfg.LoginRate),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "interact_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "interact_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
	}
	if err := s.csrf.AddTrustedOrigin(endpoint.OriginOf(cfg.PublicURL)); err != nil {
		s.log.Warn("public URL is not a valid origin for CSRF checks", slog.String("url", cfg.PublicURL))
	}
	cfg.Registry.MustRegister(s.requests, s.latency)
	if cfg.MailQueued == nil {
		cfg.MailQueued = func() {}
	}
	s.admin = adminapi.New(adminapi.Config{PublicURL: cfg.PublicURL, KeyGrace: cfg.KeyGrace, Revoked: s.revoked, Now: cfg.Now,
		MailFrom: cfg.MailFrom, Queued: cfg.MailQueued}, store)
	s.account = account.New(account.Config{PublicURL: cfg.PublicURL, MailFrom: cfg.MailFrom, Queued: cfg.MailQueued, CSRF: s.csrf, Logger: cfg.Logger,
		PasswordSet: func(u *interact.User) { s.revoked(u.ID) }}, store)
	s.console = adminconsole.New(adminconsole.Config{
		PublicURL: cfg.PublicURL, KeyGrace: cfg.KeyGrace, InteractOff: s.interactOff(), Logger: cfg.Logger,
		CSRF: s.csrf, SignIn: s.signIn,
		Authorize: func(r *http.Request) (*http.Request, error) {
			return s.authorize(endpoint.Route{Auth: endpoint.AuthAdmin}, r)
		},
		Changed:    s.changed,
		Revoked:    s.revoked,
		Now:        cfg.Now,
		MailOn:     cfg.MailFrom != "",
		CreateUser: s.admin.CreateOrInvite,
	}, store)
	sockets := &endpoint.Caps{} // one count per client address over both sides
	wcfg := widgetapi.Config{
		MailFrom: cfg.MailFrom, MailQueued: cfg.MailQueued,
		PublicURL: cfg.PublicURL, TokenSecret: cfg.TokenSecret, VisitorTokenTTL: cfg.VisitorTokenTTL,
		WidgetRate: cfg.WidgetRate, TaskRate: cfg.TaskRate, KeyRate: cfg.KeyRate, DemoSnippet: cfg.DemoSnippet,
		InteractOff: s.interactOff(), Logger: cfg.Logger, Registry: cfg.Registry, Now: cfg.Now,
		Sockets: sockets, SocketsPerAddress: cfg.SocketsPerAddress,
	}
	if cfg.Engine != nil && cfg.Hub != nil && cfg.Bus != nil && cfg.Transcript != nil {
		wcfg.Engine, wcfg.Hub, wcfg.Bus, wcfg.Transcript = cfg.Engine, cfg.Hub, cfg.Bus, cfg.Transcript
		s.calls = chat.NewCalls(chat.CallConfig{Engine: cfg.Engine, Bus: cfg.Bus, ICE: cfg.ICE,
			Allowed: func(ctx context.Context, contactID string, m interact.Modality) error {
				return s.widget.CallAllowed(ctx, contactID, m)
			}})
		wcfg.Calls = s.calls
	}
	s.widget = widgetapi.New(wcfg, store)
	acfg := agentapi.Config{PublicURL: cfg.PublicURL, Logger: cfg.Logger, Sockets: sockets, SocketsPerAddress: cfg.SocketsPerAddress}
	if s.calls != nil {
		acfg.Engine, acfg.Hub, acfg.Bus, acfg.Transcript, acfg.Calls = cfg.Engine, cfg.Hub, cfg.Bus, cfg.Transcript, s.calls
	}
	s.agent = agentapi.New(acfg, store)
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		s.mux.Handle(rt.Method+" "+rt.Path, s.handle(rt))
	}
	if cfg.Bus != nil {
		// Admin changes on any node clear cached contacts and routing settings.
		sub, err := cfg.Bus.Subscribe(interact.TenantChangedPattern, func(subject string, _ []byte) {
			s.widget.ClearContacts()
			s.agent.Recheck(interact.TenantOfChange(subject))
			if cfg.Engine != nil {
				cfg.Engine.Invalidate(context.Background(), interact.TenantOfChange(subject))
			}
		})
		if err != nil {
			s.log.Error("subscribe to settings changes", "err", err)
		}
		s.busSub = sub
	}
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{}))
	return s
}

// Close stops the server's bus subscription.
func (s *Server) Close() {
	if s.busSub != nil {
		s.busSub.Unsubscribe()
	}
}

// changed announces an admin change of a tenant to every node.
func (s *Server) changed(tenantID string) {
	s.widget.ClearContacts()
	if s.cfg.Bus != nil && tenantID != "" {
		s.cfg.Bus.Publish(interact.TenantChangedSubject(tenantID), []byte("{}"))
	}
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if s.https {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	if len(s.cfg.TrustedProxies) > 0 {
		r = r.WithContext(endpoint.WithClientAddr(r.Context(), s.cfg.TrustedProxies.Client(r)))
	}
	s.mux.ServeHTTP(w, r)
}

// statusWriter remembers the status for metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Hijack lets WebSocket upgrades through.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, fmt.Errorf("response does not support hijacking")
	}
	w.status = http.StatusSwitchingProtocols
	return h.Hijack()
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// handle wraps a route's handler with authentication, CSRF protection,
// error rendering and metrics.
func (s *Server) handle(rt endpoint.Route) http.Handler {
	name := rt.Method + " " + rt.Path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		r, err := s.authorize(rt, r)
		if err == nil {
			err = rt.H(sw, r)
			if err == nil && !endpoint.SafeMethod(r.Method) && rt.Auth == endpoint.AuthAdmin {
				s.changed(endpoint.ActorFrom(r).TenantID)
			}
		}
		if err != nil {
			endpoint.WriteError(s.log, sw, r, err)
		}
		s.requests.WithLabelValues(name, strconv.Itoa(sw.status)).Inc()
		s.latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
	})
}

// authorize authenticates the request as the route requires and stores the
// actor in the request's context.
func (s *Server) authorize(rt endpoint.Route, r *http.Request) (*http.Request, error) {
	if rt.Auth == endpoint.AuthNone || rt.Auth == endpoint.AuthWidget {
		return r, nil
	}
	if rt.Auth == endpoint.AuthLogin {
		if err := s.csrf.Check(r); err != nil {
			return r, interact.Errorf(interact.ECSRF, "Cross-site request refused.")
		}
		return r, nil
	}
	var a interact.Actor
	var cred endpoint.Credential
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return r, interact.Errorf(interact.EUNAUTHORIZED, "Use Authorization: Bearer <API token>.")
		}
		var err error
		cred.Token = strings.TrimSpace(tok)
		if a, err = s.store.TokenActor(r.Context(), cred.Token); err != nil {
			return r, err
		}
	} else {
		c, err := r.Cookie(endpoint.SessionCookie)
		if err != nil {
			return r, interact.Errorf(interact.EUNAUTHORIZED, "Please sign in.")
		}
		var csrf string
		cred.Session = c.Value
		if a, csrf, err = s.store.SessionActor(r.Context(), c.Value); err != nil {
			return r, err
		}
		if !endpoint.SafeMethod(r.Method) {
			if err := s.csrf.Check(r); err != nil {
				return r, interact.Errorf(interact.ECSRF, "Cross-site request refused.")
			}
			if subtle.ConstantTimeCompare([]byte(r.Header.Get(endpoint.CSRFHeader)), []byte(csrf)) != 1 {
				return r, interact.Errorf(interact.ECSRF, "Missing or wrong %s header.", endpoint.CSRFHeader)
			}
		}
	}
	if rt.Auth == endpoint.AuthAdmin && !a.IsAdmin() && !a.IsOperator() {
		return r, interact.Errorf(interact.EFORBIDDEN, "This needs an administrator.")
	}
	return r.WithContext(endpoint.WithCredential(endpoint.WithActor(r.Context(), a), cred)), nil
}

// revoked tells every node's agent sockets of a user that the user's
// credentials may have changed (signed out, a token revoked): each checks
// its own again and closes when it is no longer valid.
func (s *Server) revoked(userID string) {
	if s.cfg.Bus == nil || userID == "" {
		return
	}
	if err := s.cfg.Bus.Publish(interact.AgentSubject(userID), agentapi.CredentialsChangedFrame); err != nil {
		s.log.Warn("announce changed credentials", "user", userID, "err", err)
	}
}

// ExperimentalFeatures are the features marked Beta, which the operator may
// switch off for everyone (--disable-experimental).
var ExperimentalFeatures = []string{"interact"}

// ParseExperimental reads the --disable-experimental list (comma-separated).
func ParseExperimental(s string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		if f == "" {
			continue
		}
		if !slices.Contains(ExperimentalFeatures, f) {
			return nil, fmt.Errorf("disable-experimental %q: the experimental features are %s", f, strings.Join(ExperimentalFeatures, ", "))
		}
		out = append(out, f)
	}
	return out, nil
}

// interactOff reports whether the operator switched Interact off.
func (s *Server) interactOff() bool { return slices.Contains(s.cfg.DisableExperimental, "interact") }
