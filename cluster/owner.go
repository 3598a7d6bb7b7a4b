package cluster

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/routing"
)

// owner is the routing owner's side of one ownership: which connections each
// node has told it about.
type owner struct {
	n     *Node
	epoch int64

	mu      sync.Mutex
	nodes   map[string]*peer
	agents  map[string]int     // open connections per agent, over all nodes
	results map[string]*result // answers of forwarded calls, by request id
}

// result is the answer of a forwarded call that must not run twice.
type result struct {
	done chan struct{}
	rep  reply
	at   time.Time
}

// peer is what the owner knows of one node.
type peer struct {
	lastSeen time.Time
	conns    map[string]conn
	gone     map[string]time.Time // closed connection ids, so a late announcement does not revive one
}

func newOwner(n *Node, epoch int64) *owner {
	return &owner{n: n, epoch: epoch, nodes: map[string]*peer{}, agents: map[string]int{}, results: map[string]*result{}}
}

// peer returns a node's entry, creating it. Called with o.mu held.
func (o *owner) peer(node string) *peer {
	p, ok := o.nodes[node]
	if !ok {
		p = &peer{conns: map[string]conn{}, gone: map[string]time.Time{}}
		o.nodes[node] = p
	}
	p.lastSeen = time.Now()
	return p
}

// hasAgent reports whether some node has a connection of the agent.
func (o *owner) hasAgent(userID string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.agents[userID] > 0
}

// forget removes a connection from the agent count. Called with o.mu held.
func (o *owner) forget(c conn) {
	if c.Kind == kindAgent {
		if o.agents[c.ID]--; o.agents[c.ID] <= 0 {
			delete(o.agents, c.ID)
		}
	}
}

// open records a connection; false when it is known or already closed.
func (o *owner) open(node, id string, c conn) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	p := o.peer(node)
	if _, ok := p.conns[id]; ok {
		return false
	}
	if _, ok := p.gone[id]; ok {
		return false
	}
	p.conns[id] = c
	if c.Kind == kindAgent {
		o.agents[c.ID]++
	}
	return true
}

// close forgets a connection; false when it was not open.
func (o *owner) close(node, id string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	p := o.peer(node)
	p.gone[id] = time.Now()
	c, ok := p.conns[id]
	if !ok {
		return false
	}
	delete(p.conns, id)
	o.forget(c)
	return true
}

// sweep drops the connections of nodes not heard from for NodeTimeout, and
// forgets old closed connection ids.
func (o *owner) sweep() {
	o.n.mu.Lock()
	eng := o.n.engine
	o.n.mu.Unlock()
	if eng == nil {
		return
	}
	now := time.Now()
	var lost []conn
	o.mu.Lock()
	for id, r := range o.results {
		if !r.at.IsZero() && now.Sub(r.at) > time.Minute {
			delete(o.results, id)
		}
	}
	for id, p := range o.nodes {
		for c, at := range p.gone {
			if now.Sub(at) > time.Minute {
				delete(p.gone, c)
			}
		}
		if id == o.n.id || now.Sub(p.lastSeen) < o.n.cfg.NodeTimeout {
			continue
		}
		for _, c := range p.conns {
			lost = append(lost, c)
			o.forget(c)
		}
		delete(o.nodes, id)
		o.n.log.Warn("routing owner: node silent, dropping its connections", "peer", id, "connections", len(p.conns))
	}
	o.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), o.n.cfg.CallTimeout)
	defer cancel()
	for _, c := range lost {
		if c.Kind == kindAgent {
			eng.AgentDisconnected(ctx, c.ID)
		} else {
			eng.VisitorDisconnected(c.ID)
		}
	}
}

// serve answers a forwarded call.
func (n *Node) serve(data []byte) []byte {
	var req request
	var rep reply
	if err := json.Unmarshal(data, &req); err != nil {
		rep = reply{Code: interact.EINVALID, Message: "Malformed routing call."}
	} else if own, eng := n.owning(); own == nil {
		rep = reply{NotOwner: true}
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), n.cfg.CallTimeout)
		if idempotent[req.Op] {
			rep = own.exec(ctx, eng, req)
		} else {
			rep = own.once(ctx, eng, req)
		}
		cancel()
	}
	b, _ := json.Marshal(rep)
	return b
}

// once runs a call that must not run twice: a resent request gets the
// first one's answer, waiting for it if need be.
func (o *owner) once(ctx context.Context, eng *routing.Engine, req request) reply {
	o.mu.Lock()
	if r, ok := o.results[req.ID]; ok {
		o.mu.Unlock()
		select {
		case <-r.done:
			return r.rep
		case <-ctx.Done():
			return reply{Code: interact.EINTERNAL, Message: "The routing service did not answer."}
		}
	}
	r := &result{done: make(chan struct{})}
	o.results[req.ID] = r
	o.mu.Unlock()
	r.rep = o.exec(ctx, eng, req)
	o.mu.Lock()
	r.at = time.Now()
	if r.rep.NotOwner { // it did not run: a resend may run it
		delete(o.results, req.ID)
	}
	o.mu.Unlock()
	close(r.done)
	return r.rep
}

// exec runs a call on the engine.
func (o *owner) exec(ctx context.Context, eng *routing.Engine, req request) reply {
	res, err := o.run(ctx, eng, req)
	if err != nil {
		if own, _ := o.n.owning(); own != o {
			return reply{NotOwner: true} // stepped down meanwhile: the call did not run
		}
		if interact.ErrorCode(err) == interact.EINTERNAL {
			o.n.log.Error("routing call", "op", req.Op, "err", err)
		}
		return reply{Code: interact.ErrorCode(err), Message: interact.ErrorMessage(err)}
	}
	b, err := json.Marshal(res)
	if err != nil {
		return reply{Code: interact.EINTERNAL, Message: "Internal error."}
	}
	return reply{Result: b}
}

func (o *owner) run(ctx context.Context, eng *routing.Engine, r request) (any, error) {
	switch r.Op {
	case opStartTask:
		if r.Start == nil {
			return nil, interact.Errorf(interact.EINVALID, "Missing task.")
		}
		t, err := eng.StartTask(ctx, *r.Start)
		if err != nil {
			return nil, err
		}
		return wireTask{Task: *t, TenantID: t.TenantID}, nil
	case opTask:
		v, ok := eng.Task(r.TaskID)
		return wireTaskView{TaskView: v, TenantID: v.TenantID, Open: ok}, nil
	case opEndTask:
		return nil, eng.EndTask(ctx, r.TaskID, r.By)
	case opVisitorConnect:
		if o.open(r.Node, r.Conn, conn{Kind: kindVisitor, ID: r.TaskID}) {
			eng.VisitorConnected(r.TaskID)
		}
		return nil, nil
	case opVisitorDrop:
		if o.close(r.Node, r.Conn) {
			eng.VisitorDisconnected(r.TaskID)
		}
		return nil, nil
	case opAvailable:
		return eng.Available(ctx, r.TenantID, r.ServiceID, r.DirectUserID, r.Modality), nil
	case opAgentDisplayName:
		return eng.AgentDisplayName(r.TaskID), nil
	case opAgentConnect:
		return o.connectAgent(ctx, eng, r.Node, r.Conn, r.TenantID, r.UserID, nil)
	case opAgentDrop:
		if o.close(r.Node, r.Conn) {
			eng.AgentDisconnected(ctx, r.UserID)
		}
		return nil, nil
	case opAgentTasks:
		return eng.AgentTasks(r.UserID), nil
	case opSetPresence:
		return nil, eng.SetPresence(ctx, r.UserID, r.Presence, r.Reason)
	case opAccept:
		t, err := eng.Accept(ctx, r.UserID, r.OfferID)
		if err != nil {
			return nil, err
		}
		return wireTask{Task: *t, TenantID: t.TenantID}, nil
	case opDecline:
		return nil, eng.Decline(ctx, r.UserID, r.OfferID)
	case opClaim:
		t, err := eng.Claim(ctx, r.UserID, r.TaskID)
		if err != nil {
			return nil, err
		}
		return wireTask{Task: *t, TenantID: t.TenantID}, nil
	case opTransfer:
		return nil, eng.Transfer(ctx, r.UserID, r.TaskID, r.ToAgentID, r.ToServiceID)
	case opSetCall:
		return nil, eng.SetCall(ctx, r.TaskID, r.By, r.Modality)
	case opCallConnected:
		return nil, eng.CallConnected(ctx, r.TaskID, r.UserID)
	case opEndACW:
		return nil, eng.EndACW(ctx, r.UserID)
	case opExtendACW:
		return nil, eng.ExtendACW(ctx, r.UserID, r.Duration)
	case opResetRONA:
		return nil, eng.ResetRONA(ctx, r.UserID)
	case opQueue:
		return eng.Queue(ctx, r.TenantID, r.ServiceID)
	case opInvalidate:
		eng.Invalidate(ctx, r.TenantID)
		return nil, nil
	case opHeartbeat:
		o.mu.Lock()
		_, known := o.nodes[r.Node]
		if known {
			o.peer(r.Node)
		}
		o.mu.Unlock()
		return heartbeatReply{Epoch: o.epoch, Known: known}, nil
	case opSync:
		return o.sync(ctx, eng, r.Node, r.Sync), nil
	}
	return nil, interact.Errorf(interact.EINVALID, "Unknown routing call %q.", r.Op)
}

// connectAgent counts an agent connection once; p, if set, is the agent's
// presence before a take-over, restored on the fresh engine.
func (o *owner) connectAgent(ctx context.Context, eng *routing.Engine, node, id, tenantID, userID string, p *presence) (interact.AgentView, error) {
	if !o.open(node, id, conn{Kind: kindAgent, TenantID: tenantID, ID: userID}) {
		v, _ := eng.Agent(userID)
		return v, nil
	}
	v, err := eng.AgentConnected(ctx, tenantID, userID)
	if err != nil {
		o.close(node, id)
		return v, err
	}
	if p != nil && v.Presence == interact.PresenceOffline && p.Presence != interact.PresenceOffline {
		if err := eng.SetPresence(ctx, userID, p.Presence, p.Reason); err != nil {
			o.n.log.Warn("restore presence", "agent", userID, "err", err)
		}
		v, _ = eng.Agent(userID)
	}
	return v, nil
}

// sync takes a node's whole list of connections.
func (o *owner) sync(ctx context.Context, eng *routing.Engine, node string, s *syncState) heartbeatReply {
	o.mu.Lock()
	o.peer(node)
	o.mu.Unlock()
	if s != nil {
		for id, c := range s.Conns {
			switch c.Kind {
			case kindAgent:
				var p *presence
				if pr, ok := s.Presence[c.ID]; ok {
					p = &pr
				}
				if _, err := o.connectAgent(ctx, eng, node, id, c.TenantID, c.ID, p); err != nil {
					o.n.log.Warn("take over agent connection", "agent", c.ID, "err", err)
				}
			case kindVisitor:
				if o.open(node, id, c) {
					eng.VisitorConnected(c.ID)
				}
			}
		}
	}
	return heartbeatReply{Epoch: o.epoch, Known: true}
}

// presenceNote carries an agent's presence from the owner to every node.
type presenceNote struct {
	UserID   string `json:"userId"`
	Presence string `json:"presence"`
	Reason   string `json:"reason,omitempty"`
}

// ownerPublisher is the engine's publisher on the owner: the bus, plus a
// copy of each connected agent's presence for whichever node owns next.
type ownerPublisher struct {
	bus interact.Bus
	own *owner
	log *slog.Logger
}

func (p *ownerPublisher) Publish(subject string, data []byte) error {
	err := p.bus.Publish(subject, data)
	if user, ok := strings.CutPrefix(subject, "agent."); ok && interact.FrameIs(data, "agent.state") && p.own.hasAgent(user) {
		var f struct {
			Data interact.AgentView `json:"data"`
		}
		if json.Unmarshal(data, &f) == nil {
			b, _ := json.Marshal(presenceNote{UserID: user, Presence: f.Data.Presence, Reason: f.Data.Reason})
			if perr := p.bus.Publish(presenceSubject, b); perr != nil {
				p.log.Warn("publish presence", "err", perr)
			}
		}
	}
	return err
}
