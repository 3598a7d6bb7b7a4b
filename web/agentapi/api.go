// Package agentapi is what the agent console talks to: the agent's
// WebSocket (presence, offers, chats, transfers, ACW, calls, supervision),
// the console's page and bundle, and the signed-in user's own endpoints
// under /api/v1/me (services, My Sessions, codes and tags, previews).
//
// It owns the agent side of the protocol. It does not own authentication
// (web authenticates every route and hands the actor over), routing (the
// engine's), nor the frames both parties share (chat).
package agentapi

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/realtime"
	"github.com/interact-oss/interact/web/chat"
	"github.com/interact-oss/interact/web/endpoint"
)

// Engine is what the agent side needs of the routing engine.
type Engine interface {
	Task(id string) (interact.TaskView, bool)
	EndTask(ctx context.Context, taskID, by string) error
	AgentDisplayName(taskID string) string
	AgentConnected(ctx context.Context, tenantID, userID string) (interact.AgentView, error)
	AgentDisconnected(ctx context.Context, userID string)
	AgentTasks(userID string) []string
	SetPresence(ctx context.Context, userID, presence, reason string) error
	Accept(ctx context.Context, userID, offerID string) (*interact.Task, error)
	Decline(ctx context.Context, userID, offerID string) error
	Claim(ctx context.Context, userID, taskID string) (*interact.Task, error)
	Transfer(ctx context.Context, userID, taskID, toAgentID, toServiceID string) error
	EndACW(ctx context.Context, userID string) error
	ExtendACW(ctx context.Context, userID string, d time.Duration) error
	ResetRONA(ctx context.Context, userID string) error
	Queue(ctx context.Context, tenantID, serviceID string) (interact.QueueView, error)
	Invalidate(ctx context.Context, tenantID string)
}

// Hub upgrades the agent's WebSocket.
type Hub interface {
	Upgrade(w http.ResponseWriter, r *http.Request, h realtime.Handler, open func(*realtime.Conn) error) error
}

// Config configures the agent side. Without Engine, Hub, Bus, Transcript
// and Calls the socket answers internal_error; the console's page and
// REST endpoints work alone.
type Config struct {
	// PublicURL is interact's own origin, the only one the socket accepts.
	PublicURL  string
	Engine     Engine
	Hub        Hub
	Bus        chat.Publisher
	Transcript chat.Transcript
	Calls      *chat.Calls
	Logger     *slog.Logger
	// Sockets counts open sockets against their caps, shared with the
	// widget side; SocketsPerAddress bounds those of one client address.
	Sockets           *endpoint.Caps
	SocketsPerAddress int
}

// agentSocketsPerCredential bounds the sockets of one session or API token
// (a console tab each).
const agentSocketsPerCredential = 20

// API serves the agent side.
type API struct {
	cfg   Config
	store Store
	log   *slog.Logger

	mu    sync.Mutex
	conns map[string]map[*agentConn]struct{} // open agent sockets by tenant
}

// New returns the agent side over store.
func New(cfg Config, store Store) *API {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Sockets == nil {
		cfg.Sockets = &endpoint.Caps{}
	}
	if cfg.SocketsPerAddress == 0 {
		cfg.SocketsPerAddress = endpoint.DefaultSocketsPerAddress
	}
	return &API{cfg: cfg, store: store, log: cfg.Logger, conns: map[string]map[*agentConn]struct{}{}}
}
