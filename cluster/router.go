package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/routing"
)

// Operations of the routing calls.
const (
	opStartTask        = "startTask"
	opTask             = "task"
	opEndTask          = "endTask"
	opVisitorConnect   = "visitorConnect"
	opVisitorDrop      = "visitorDisconnect"
	opAvailable        = "available"
	opAgentDisplayName = "agentDisplayName"
	opAgentConnect     = "agentConnect"
	opAgentDrop        = "agentDisconnect"
	opAgentTasks       = "agentTasks"
	opSetPresence      = "setPresence"
	opAccept           = "accept"
	opDecline          = "decline"
	opClaim            = "claim"
	opTransfer         = "transfer"
	opSetCall          = "setCall"
	opCallConnected    = "callConnected"
	opEndACW           = "endACW"
	opExtendACW        = "extendACW"
	opResetRONA        = "resetRONA"
	opQueue            = "queue"
	opInvalidate       = "invalidate"
	opHeartbeat        = "heartbeat"
	opSync             = "sync"
)

// idempotent lists the calls that may run twice without harm. The owner
// remembers the answers of the others for a minute by request id, so a
// call resent after a lost request or reply runs once.
var idempotent = map[string]bool{
	opTask: true, opAvailable: true, opAgentDisplayName: true, opAgentTasks: true, opQueue: true,
	opInvalidate: true, opHeartbeat: true, opSync: true, opSetPresence: true,
	opVisitorConnect: true, opVisitorDrop: true, opAgentConnect: true, opAgentDrop: true, opCallConnected: true,
}

// request is a routing call on the wire.
type request struct {
	ID           string                 `json:"id"` // the same on every attempt of one call
	Op           string                 `json:"op"`
	Node         string                 `json:"node"`
	Conn         string                 `json:"conn,omitempty"`
	TenantID     string                 `json:"tenantId,omitempty"`
	ServiceID    string                 `json:"serviceId,omitempty"`
	UserID       string                 `json:"userId,omitempty"`
	TaskID       string                 `json:"taskId,omitempty"`
	OfferID      string                 `json:"offerId,omitempty"`
	By           string                 `json:"by,omitempty"`
	ToAgentID    string                 `json:"toAgentId,omitempty"`
	ToServiceID  string                 `json:"toServiceId,omitempty"`
	DirectUserID string                 `json:"directUserId,omitempty"`
	Presence     string                 `json:"presence,omitempty"`
	Reason       string                 `json:"reason,omitempty"`
	Modality     interact.Modality      `json:"modality,omitempty"`
	Duration     time.Duration          `json:"duration,omitempty"`
	Start        *interact.StartRequest `json:"start,omitempty"`
	Sync         *syncState             `json:"sync,omitempty"`
}

// reply is the owner's answer.
type reply struct {
	NotOwner bool            `json:"notOwner,omitempty"`
	Code     string          `json:"code,omitempty"`
	Message  string          `json:"message,omitempty"`
	Result   json.RawMessage `json:"result,omitempty"`
}

// wireTask keeps the tenant id, which interact.Task leaves out of JSON.
type wireTask struct {
	interact.Task
	TenantID string `json:"tenantId"`
}

type wireTaskView struct {
	interact.TaskView
	TenantID string `json:"tenantId"`
	Open     bool   `json:"open"`
}

type heartbeatReply struct {
	Epoch int64 `json:"epoch"`
	Known bool  `json:"known"`
}

// errNotOwner is what a call that does not wait returns when no owner
// answered it.
var errNotOwner = errors.New("no routing owner answered")

// attemptTimeout bounds one attempt of a forwarded call.
const attemptTimeout = 3 * time.Second

// call runs a routing call on the owner, this node or another, and decodes
// its result into out.
func (n *Node) call(ctx context.Context, req request, out any) error {
	ctx, cancel := context.WithTimeout(ctx, n.cfg.CallTimeout)
	defer cancel()
	err := n.forward(ctx, req, out, true)
	if !readOnly[req.Op] {
		// This node's own change must show at once, not when its event
		// arrives: drop what is known of the task (the fresh answers of
		// every task, when the call names none, such as an agent leaving:
		// what it changes in a task comes as the task's events, which drop
		// the task's last view too). A visitor's connection is no part of
		// a task's view: its last view stays.
		switch {
		case req.Op == opVisitorConnect || req.Op == opVisitorDrop:
			n.views.dropFresh(req.TaskID)
		case req.TaskID != "":
			n.views.drop(req.TaskID)
		default:
			n.views.flush()
		}
	}
	return err
}

// readOnly lists the calls that change no task a node may know of (a task
// being started is new).
var readOnly = map[string]bool{
	opStartTask: true, opTask: true, opAvailable: true, opAgentDisplayName: true, opAgentTasks: true, opQueue: true,
	opHeartbeat: true, opSync: true,
}

// forward runs req on the owner. While no owner answers it retries until
// ctx ends (if wait), with the same request id; without wait it returns
// errNotOwner then. Each attempt over the bus records whether an owner
// answered (Node.noOwner).
func (n *Node) forward(ctx context.Context, req request, out any, wait bool) error {
	req.Node, req.ID = n.id, interact.NewID()
	body, err := json.Marshal(req)
	if err != nil {
		return err
	}
	pause := 20 * time.Millisecond
	for {
		var rep reply
		var err error
		if own, eng := n.owning(); own != nil {
			rep = own.exec(ctx, eng, req)
		} else {
			// A lost request or reply costs one attempt, not the whole call.
			actx, cancel := context.WithTimeout(ctx, attemptTimeout)
			var data []byte
			data, err = n.cfg.Bus.Request(actx, rpcSubject, body)
			cancel()
			if err == nil {
				err = json.Unmarshal(data, &rep)
			}
			switch {
			case err == nil && !rep.NotOwner:
				n.noOwner.Store(false)
			case !errors.Is(ctx.Err(), context.Canceled): // not just the caller giving up
				n.noOwner.Store(true)
			}
		}
		if err == nil && !rep.NotOwner {
			if rep.Code != "" {
				return interact.Errorf(rep.Code, "%s", rep.Message)
			}
			if out != nil && len(rep.Result) > 0 {
				return json.Unmarshal(rep.Result, out)
			}
			return nil
		}
		if !wait {
			if err == nil {
				return errNotOwner
			}
			return fmt.Errorf("%w: %w", errNotOwner, err)
		}
		select {
		case <-ctx.Done():
			n.log.Warn("routing call: no owner answered", "op", req.Op, "err", err)
			return interact.Errorf(interact.EINTERNAL, "The routing service is not available right now; please try again.")
		case <-time.After(pause):
		}
		pause = min(2*pause, 250*time.Millisecond)
	}
}

// owning returns the owner state and engine while this node is the owner.
func (n *Node) owning() (*owner, *routing.Engine) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.own, n.engine
}

// background is the context of calls that web makes without one.
func (n *Node) background() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), n.cfg.CallTimeout)
}

// StartTask creates and queues a task on the owner.
func (n *Node) StartTask(ctx context.Context, req interact.StartRequest) (*interact.Task, error) {
	var t wireTask
	if err := n.call(ctx, request{Op: opStartTask, Start: &req}, &t); err != nil {
		return nil, err
	}
	t.Task.TenantID = t.TenantID
	return &t.Task, nil
}

// Task returns an open task's routing state. A node that is not the owner
// answers from its short-lived copy of the owner's answers when it has one
// (see taskViews), else it asks the owner, except for a task it last saw
// open (waiting or connected): that one's check never waits for an owner.
// While no owner can answer — none answered this node's last attempt (the
// owner died or is paused), or a new owner announced itself and is still
// rebuilding its engine, this node included — it answers from the task's
// last view without a call; otherwise it makes one attempt, bounded like a
// heartbeat, and answers from the last view when no owner answered it.
//
// That is safe for what web checks, whether a message may be committed:
//
//   - No routing decision is made while there is no owner, so none is
//     missed: a task ends, moves to another agent or gets one only on an
//     owner, which publishes it as the task's events, and those drop the
//     last view (a new owner's rebuilt engine has the same open tasks, with
//     the same agents, as the store).
//   - A view older than an end whose event this node has not seen yet lets
//     a message through the check, as the fresh copy and a reply in flight
//     do, but the store refuses a visitor's or agent's message to a task it
//     has as ended, in the transaction that holds the task's row: nothing is
//     added to a finished transcript. The last view of a transferred task
//     is dropped by its events like the fresh copy; after a reconnect of the
//     bus (events may have been lost) last views are not used.
//   - A task this node never saw open (say, a visitor who reconnects here
//     during a take-over) waits for the owner, as every other call does.
func (n *Node) Task(id string) (interact.TaskView, bool) {
	own, eng := n.owning()
	if own != nil {
		return eng.Task(id)
	}
	bus, live := n.busState()
	if v, open, ok := n.views.get(id, bus); ok && live {
		return v, open
	}
	last, haveLast := n.views.lastOpen(id, bus)
	haveLast = haveLast && live
	if haveLast && n.noOwner.Load() {
		return last, true
	}
	start := n.views.begin()
	var v wireTaskView
	var err error
	if haveLast {
		ctx, cancel := context.WithTimeout(context.Background(), n.cfg.Renew)
		err = n.forward(ctx, request{Op: opTask, TaskID: id}, &v, false)
		cancel()
		if errors.Is(err, errNotOwner) {
			return last, true
		}
	} else {
		ctx, cancel := n.background()
		err = n.call(ctx, request{Op: opTask, TaskID: id}, &v)
		cancel()
	}
	if err != nil {
		n.log.Warn("routing call", "op", opTask, "err", err)
		return interact.TaskView{}, false
	}
	v.TaskView.TenantID = v.TenantID
	if own, _ := n.owning(); own == nil && live {
		n.views.put(id, v.TaskView, v.Open, start, bus, 2*n.cfg.CallTimeout)
	}
	return v.TaskView, v.Open
}

// connState is a bus that tells whether it is connected and counts its
// reconnections (natsbus.Bus).
type connState interface {
	Connected() bool
	Reconnects() uint64
}

// busState is how often the bus reconnected (events may have been lost at
// each, so answers kept from before are not used) and whether it is
// connected now (while not, kept answers are not used either).
func (n *Node) busState() (reconnects uint64, live bool) {
	if c, ok := n.cfg.Bus.(connState); ok {
		return c.Reconnects(), c.Connected()
	}
	return 0, true
}

// EndTask ends a task.
func (n *Node) EndTask(ctx context.Context, taskID, by string) error {
	return n.call(ctx, request{Op: opEndTask, TaskID: taskID, By: by}, nil)
}

// VisitorConnected records a visitor connection on this node.
func (n *Node) VisitorConnected(taskID string) {
	id := n.local.add(conn{Kind: kindVisitor, ID: taskID})
	ctx, cancel := n.background()
	defer cancel()
	if err := n.call(ctx, request{Op: opVisitorConnect, Conn: id, TaskID: taskID}, nil); err != nil {
		n.log.Warn("routing call", "op", opVisitorConnect, "err", err)
	}
}

// VisitorDisconnected records a closed visitor connection on this node.
func (n *Node) VisitorDisconnected(taskID string) {
	id := n.local.pop(kindVisitor, taskID)
	if id == "" {
		return
	}
	ctx, cancel := n.background()
	defer cancel()
	if err := n.call(ctx, request{Op: opVisitorDrop, Conn: id, TaskID: taskID}, nil); err != nil {
		n.log.Warn("routing call", "op", opVisitorDrop, "err", err)
	}
}

// Available reports whether some agent could take a task.
func (n *Node) Available(ctx context.Context, tenantID, serviceID, directUserID string, m interact.Modality) bool {
	var ok bool
	if err := n.call(ctx, request{Op: opAvailable, TenantID: tenantID, ServiceID: serviceID, DirectUserID: directUserID, Modality: m}, &ok); err != nil {
		n.log.Warn("routing call", "op", opAvailable, "err", err)
	}
	return ok
}

// AgentDisplayName is the agent name a task's visitor sees.
func (n *Node) AgentDisplayName(taskID string) string {
	ctx, cancel := n.background()
	defer cancel()
	var name string
	if err := n.call(ctx, request{Op: opAgentDisplayName, TaskID: taskID}, &name); err != nil {
		n.log.Warn("routing call", "op", opAgentDisplayName, "err", err)
	}
	return name
}

// AgentConnected records an agent console connection on this node.
func (n *Node) AgentConnected(ctx context.Context, tenantID, userID string) (interact.AgentView, error) {
	id := n.local.add(conn{Kind: kindAgent, TenantID: tenantID, ID: userID})
	var v interact.AgentView
	if err := n.call(ctx, request{Op: opAgentConnect, Conn: id, TenantID: tenantID, UserID: userID}, &v); err != nil {
		n.local.remove(id)
		// It may have been counted before the error: take it back.
		dctx, cancel := n.background()
		defer cancel()
		n.call(dctx, request{Op: opAgentDrop, Conn: id, UserID: userID}, nil)
		return v, err
	}
	return v, nil
}

// AgentDisconnected records a closed agent console connection on this node.
func (n *Node) AgentDisconnected(ctx context.Context, userID string) {
	id := n.local.pop(kindAgent, userID)
	if id == "" {
		return
	}
	if err := n.call(context.WithoutCancel(ctx), request{Op: opAgentDrop, Conn: id, UserID: userID}, nil); err != nil {
		n.log.Warn("routing call", "op", opAgentDrop, "err", err)
	}
}

// AgentTasks returns the tasks an agent is connected to.
func (n *Node) AgentTasks(userID string) []string {
	ctx, cancel := n.background()
	defer cancel()
	var ids []string
	if err := n.call(ctx, request{Op: opAgentTasks, UserID: userID}, &ids); err != nil {
		n.log.Warn("routing call", "op", opAgentTasks, "err", err)
	}
	return ids
}

// SetPresence sets an agent's presence.
func (n *Node) SetPresence(ctx context.Context, userID, p, reason string) error {
	return n.call(ctx, request{Op: opSetPresence, UserID: userID, Presence: p, Reason: reason}, nil)
}

// Accept connects an agent to an offered task.
func (n *Node) Accept(ctx context.Context, userID, offerID string) (*interact.Task, error) {
	return n.taskCall(ctx, request{Op: opAccept, UserID: userID, OfferID: offerID})
}

// Decline declines an offer.
func (n *Node) Decline(ctx context.Context, userID, offerID string) error {
	return n.call(ctx, request{Op: opDecline, UserID: userID, OfferID: offerID}, nil)
}

// Claim takes a waiting task of a pickup service.
func (n *Node) Claim(ctx context.Context, userID, taskID string) (*interact.Task, error) {
	return n.taskCall(ctx, request{Op: opClaim, UserID: userID, TaskID: taskID})
}

func (n *Node) taskCall(ctx context.Context, req request) (*interact.Task, error) {
	var t wireTask
	if err := n.call(ctx, req, &t); err != nil {
		return nil, err
	}
	n.views.drop(t.ID) // an accepted offer names no task
	t.Task.TenantID = t.TenantID
	return &t.Task, nil
}

// Transfer hands a task to another agent or service.
func (n *Node) Transfer(ctx context.Context, userID, taskID, toAgentID, toServiceID string) error {
	return n.call(ctx, request{Op: opTransfer, UserID: userID, TaskID: taskID, ToAgentID: toAgentID, ToServiceID: toServiceID}, nil)
}

// SetCall escalates a chat to a call, or ends the escalated call.
func (n *Node) SetCall(ctx context.Context, taskID, by string, m interact.Modality) error {
	return n.call(ctx, request{Op: opSetCall, TaskID: taskID, By: by, Modality: m}, nil)
}

// CallConnected records that the task's agent answered its call.
func (n *Node) CallConnected(ctx context.Context, taskID, agentID string) error {
	return n.call(ctx, request{Op: opCallConnected, TaskID: taskID, UserID: agentID}, nil)
}

// EndACW ends an agent's after-call work.
func (n *Node) EndACW(ctx context.Context, userID string) error {
	return n.call(ctx, request{Op: opEndACW, UserID: userID}, nil)
}

// ExtendACW restarts an agent's after-call work with d.
func (n *Node) ExtendACW(ctx context.Context, userID string, d time.Duration) error {
	return n.call(ctx, request{Op: opExtendACW, UserID: userID, Duration: d}, nil)
}

// ResetRONA clears an agent's persistent RONA.
func (n *Node) ResetRONA(ctx context.Context, userID string) error {
	return n.call(ctx, request{Op: opResetRONA, UserID: userID}, nil)
}

// Queue returns a service's queue.
func (n *Node) Queue(ctx context.Context, tenantID, serviceID string) (interact.QueueView, error) {
	var v interact.QueueView
	err := n.call(ctx, request{Op: opQueue, TenantID: tenantID, ServiceID: serviceID}, &v)
	return v, err
}

// Invalidate drops the owner's cached settings of a tenant.
func (n *Node) Invalidate(ctx context.Context, tenantID string) {
	if err := n.call(ctx, request{Op: opInvalidate, TenantID: tenantID}, nil); err != nil {
		n.log.Warn("routing call", "op", opInvalidate, "err", err)
	}
}
