package agentapi

import (
	"context"
	"slices"
	"strings"
	"sync"
)

// servicesChangedFrame tells a console that the agent's services changed
// (an administrator added them to one or removed them from one): the
// console loads GET /api/v1/me/services again.
const servicesChangedFrame = "services.changed"

// memberships is what an agent socket last saw of its agent's services.
type memberships struct {
	mu    sync.Mutex
	ids   string // sorted, comma-separated
	known bool
}

// checkServices reads the agent's services and tells the console when they
// differ from the last look. The first look, when the socket opens, only
// remembers them (the console loads them after the hello). Checks of one
// socket run one at a time, so the last frame follows the last change.
func (ag *agentConn) checkServices() {
	ag.services.mu.Lock()
	defer ag.services.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel()
	ids, err := ag.s.store.AgentServices(ctx, ag.actor.TenantID, ag.actor.UserID)
	if err != nil {
		ag.s.log.Warn("re-read agent services", "user", ag.actor.UserID, "err", err)
		return
	}
	slices.Sort(ids)
	now := strings.Join(ids, ",")
	changed := ag.services.known && now != ag.services.ids
	ag.services.ids, ag.services.known = now, true
	if changed {
		ag.conn.SendJSON(servicesChangedFrame, "", struct{}{})
	}
}
