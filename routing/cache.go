package routing

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/interact-oss/interact"
)

// The engine caches services (settings and members) and agents (licences
// and memberships), and never reads them from the store while it holds
// its lock: a slow store for one tenant must not stall every tenant's
// routing. Entry points that may need something not cached yet load it
// first, outside the lock and with a deadline, then take the lock and
// install it, unless an invalidation of the tenant ran meanwhile (the
// tenant's generation moved), in which case they load again.
//
// The invariant that makes a miss under the lock safe: every service that
// a task in the engine is queued in or connected from, and the services
// its overflow can still move it to (up to maxOverflowHops), is cached, or
// the store said it does not exist (in that tenant). Tasks only enter a
// service through StartTask, Transfer, Recover or a rebuild, which preload
// it with its overflow chain; an invalidation reloads every cached service
// of the tenant with its chain and replaces an entry only when the whole
// chain loaded; and an entry leaves the cache only when the store says the
// service is gone. So serviceInfo's "not found" under the lock means what
// the store's "not found" means, as it did when it loaded on a miss.

// service is the engine's cached view of a service.
type service struct {
	svc     *interact.Service
	members map[string]interact.RoutingMember
}

// loadTimeout bounds the store reads an operation makes before it takes
// the engine lock.
const loadTimeout = 5 * time.Second

// maxOverflowHops is how many times overflow moves a task on to another
// service.
const maxOverflowHops = 3

// errStale makes an operation load again: what it read before taking the
// lock may be older than an invalidation, or no longer what it needs.
var errStale = errors.New("routing: loaded state is stale")

// serviceInfo returns a cached service. Called with e.mu held; it does no
// I/O: a miss means the service does not exist (see the invariant above).
func (e *Engine) serviceInfo(tenantID, id string) (*service, error) {
	if s, ok := e.services[id]; ok && s.svc.TenantID == tenantID {
		return s, nil
	}
	return nil, interact.Errorf(interact.ENOTFOUND, "No service %q.", id)
}

// hop is a service to load and how many overflow hops to follow from it.
type hop struct {
	id   string
	left int
}

// preload caches the tenant's services ids and their overflow chains.
// Called without e.mu; a store error fails it, and then nothing is
// installed. A service the store says does not exist is remembered as
// such.
func (e *Engine) preload(ctx context.Context, tenantID string, ids ...string) error {
	for {
		e.lock()
		gen := e.cacheGen[tenantID]
		var want []hop
		seen := map[string]bool{}
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				want = e.uncached(tenantID, id, maxOverflowHops, want)
			}
		}
		e.unlock()
		if len(want) == 0 {
			return nil
		}
		got, err := e.fetchChains(ctx, tenantID, want)
		if err != nil {
			return err
		}
		e.lock()
		if e.cacheGen[tenantID] == gen {
			for id, s := range got {
				switch _, cached := e.services[id]; {
				case cached: // loaded in this generation by someone else
				case s == nil:
					e.absent[tenantID+"/"+id] = true
				default:
					e.services[id] = s
				}
			}
			e.unlock()
			return nil
		}
		e.unlock()
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// uncached follows id's overflow chain through the cache and appends the
// first service on it that is neither cached nor known to be absent.
// Called with e.mu held.
func (e *Engine) uncached(tenantID, id string, left int, want []hop) []hop {
	for id != "" && !e.absent[tenantID+"/"+id] {
		s, ok := e.services[id]
		switch {
		case !ok:
			return append(want, hop{id, left})
		case s.svc.TenantID != tenantID: // another tenant's: none in this one
			return want
		}
		if left == 0 || s.svc.Distribution.OverflowAction != interact.OverflowTransfer {
			return want
		}
		id, left = s.svc.Distribution.OverflowServiceID, left-1
	}
	return want
}

// fetchChains loads each wanted service and the services its overflow
// leads to, from the store; a nil service is one the store does not have.
// Called without e.mu.
func (e *Engine) fetchChains(ctx context.Context, tenantID string, want []hop) (map[string]*service, error) {
	got := map[string]*service{}
	for _, h := range want {
		for id, left := h.id, h.left; id != ""; left-- {
			s, ok := got[id]
			if !ok {
				var err error
				if s, err = e.loadService(ctx, tenantID, id); err != nil {
					return nil, err
				}
				got[id] = s
			}
			if s == nil || left == 0 || s.svc.Distribution.OverflowAction != interact.OverflowTransfer {
				break
			}
			id = s.svc.Distribution.OverflowServiceID
		}
	}
	return got, nil
}

// loadService reads a service from the store: nil, nil when it has none.
func (e *Engine) loadService(ctx context.Context, tenantID, id string) (*service, error) {
	svc, members, err := e.store.RoutingService(ctx, tenantID, id)
	if interact.ErrorCode(err) == interact.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	s := &service{svc: svc, members: map[string]interact.RoutingMember{}}
	for _, m := range members {
		s.members[m.UserID] = m
	}
	return s, nil
}

// prepare loads what StartTask may need that is not cached: the service
// with its overflow chain, or the agent of a direct contact.
func (e *Engine) prepare(ctx context.Context, req interact.StartRequest) (*agentInfo, uint64, error) {
	if req.DirectUserID == "" {
		return nil, 0, e.preload(ctx, req.TenantID, req.ServiceID)
	}
	return e.agentFor(ctx, req.TenantID, req.DirectUserID)
}

// taskTenant returns the tenant of an open task.
func (e *Engine) taskTenant(taskID string) (string, bool) {
	e.lock()
	defer e.unlock()
	t, ok := e.tasks[taskID]
	if !ok {
		return "", false
	}
	return t.TenantID, true
}

// agentInfo is what the store says of an agent.
type agentInfo struct {
	name     string
	licenses interact.Licenses
	services map[string]bool
}

func (a *agent) apply(i *agentInfo) {
	a.name, a.licenses, a.services = i.name, i.licenses, i.services
}

// fetchAgent reads an agent's licences and memberships. Called without e.mu.
func (e *Engine) fetchAgent(ctx context.Context, tenantID, userID string) (*agentInfo, error) {
	u, err := e.store.RoutingUser(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	ids, err := e.store.AgentServices(ctx, tenantID, userID)
	if err != nil {
		return nil, err
	}
	i := &agentInfo{name: u.Name, licenses: u.Licenses, services: map[string]bool{}}
	for _, id := range ids {
		i.services[id] = true
	}
	return i, nil
}

// agentFor loads an agent that is not connected (a connected one's cached
// view is kept up to date by Invalidate), with the tenant's generation
// when it started; nil when none is needed now. Called without e.mu; the
// caller installs it under the lock only if fresh says so, and else calls
// again.
func (e *Engine) agentFor(ctx context.Context, tenantID, userID string) (*agentInfo, uint64, error) {
	e.lock()
	a, ok := e.agents[userID]
	gen := e.cacheGen[tenantID]
	skip := ok && (a.conns > 0 || a.tenantID != tenantID) // the caller refuses another tenant's agent
	e.unlock()
	if skip {
		return nil, gen, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, gen, err
	}
	i, err := e.fetchAgent(ctx, tenantID, userID)
	return i, gen, err
}

// fresh reports whether info, loaded in generation gen, may be installed.
// Called with e.mu held.
func (e *Engine) fresh(info *agentInfo, tenantID string, gen uint64) bool {
	return info != nil && e.cacheGen[tenantID] == gen
}

// Invalidate reloads the cached settings of a tenant's services and of its
// connected agents (after an admin change) and re-runs distribution with
// them. The reads run outside the engine lock; the entries are replaced
// under it, only if no later invalidation of the tenant started meanwhile
// (that one installs its own, fresher reads). A service that fails to
// reload keeps the settings it had, and the failure is logged.
func (e *Engine) Invalidate(ctx context.Context, tenantID string) {
	ctx, cancel := context.WithTimeout(ctx, loadTimeout)
	defer cancel()
	e.lock()
	e.cacheGen[tenantID]++
	gen := e.cacheGen[tenantID]
	roots := map[string]bool{}
	for id, s := range e.services {
		if s.svc.TenantID == tenantID {
			roots[id] = true
		}
	}
	for k := range e.absent {
		if strings.HasPrefix(k, tenantID+"/") {
			delete(e.absent, k)
		}
	}
	var agents []string
	for _, a := range e.agents {
		if a.tenantID == tenantID && a.conns > 0 {
			agents = append(agents, a.id)
		}
	}
	e.unlock()

	// A cached service is replaced only when its whole overflow chain
	// loaded; services new to the cache come with the chains that
	// loaded.
	fresh := map[string]*service{}
	for id := range roots {
		got, err := e.fetchChains(ctx, tenantID, []hop{{id, maxOverflowHops}})
		if err != nil {
			e.log.Warn("routing: reload service", "service", id, "err", err)
			continue
		}
		for sid, s := range got {
			if sid == id || !roots[sid] {
				fresh[sid] = s
			}
		}
	}
	infos := map[string]*agentInfo{}
	for _, id := range agents {
		i, err := e.fetchAgent(ctx, tenantID, id)
		if err != nil {
			e.log.Warn("routing: reload agent", "agent", id, "err", err)
			continue
		}
		infos[id] = i
	}
	e.do(ctx, func(c *change) error {
		if e.cacheGen[tenantID] != gen {
			return nil
		}
		e.reachChanged()
		for id, s := range fresh {
			if s == nil {
				delete(e.services, id)
				e.absent[tenantID+"/"+id] = true
			} else {
				e.services[id] = s
			}
			if roots[id] {
				c.queues[id] = true
			}
		}
		for id, i := range infos {
			if a := e.agents[id]; a != nil && a.conns > 0 {
				a.apply(i)
				for sid := range a.services {
					c.queues[sid] = true
				}
			}
		}
		for id := range c.queues {
			e.checkQueue(id, c)
		}
		return nil
	})
}
