package agentapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/realtime"
	"github.com/interact-oss/interact/web/chat"
	"github.com/interact-oss/interact/web/endpoint"
)

// agentConn is an agent console's connection (docs/protocol.md).
type agentConn struct {
	s     *API
	actor interact.Actor
	cred  endpoint.Credential // checked again when credentials change (revoke.go)
	caps  [2]endpoint.Cap     // what the connection counts against
	credentialCheck
	services memberships // the agent's services, to tell the console when they change (services.go)
}

// sameOrigin reports whether a browser's Origin is interact's own, which
// the agent socket requires (browsers send Origin on every WebSocket; a
// cross-site page must not ride the agent's cookie).
func (s *API) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true // not a browser
	}
	if o == endpoint.OriginOf(s.cfg.PublicURL) {
		return true
	}
	scheme := "http://"
	if r.TLS != nil || strings.HasPrefix(s.cfg.PublicURL, "https://") {
		scheme = "https://"
	}
	return o == scheme+r.Host
}

// agentSocket upgrades an agent console connection: session cookie or
// bearer API token, and the console's own origin.
func (s *API) agentSocket(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Engine == nil || s.cfg.Hub == nil || s.cfg.Bus == nil || s.cfg.Transcript == nil || s.cfg.Calls == nil {
		return interact.Errorf(interact.EINTERNAL, "realtime is not configured")
	}
	if !s.sameOrigin(r) {
		return interact.Errorf(interact.EORIGINREFUSED, "The agent socket accepts only interact's own pages.")
	}
	a := endpoint.ActorFrom(r)
	ac := &agentConn{s: s, actor: a, cred: endpoint.CredentialFrom(r)}
	sum := sha256.Sum256([]byte(ac.cred.Session + "\x00" + ac.cred.Token))
	ac.caps = [2]endpoint.Cap{{Key: "cred " + hex.EncodeToString(sum[:12]), Max: agentSocketsPerCredential},
		{Key: "addr " + endpoint.ClientAddr(r), Max: s.cfg.SocketsPerAddress}}
	if full := s.cfg.Sockets.Take(ac.caps[:]...); full != nil {
		w.Header().Set("Retry-After", "10")
		return interact.Errorf(interact.ERATELIMITED, "Too many open connections (%s): close one first.", strings.Fields(full.Key)[0])
	}
	err := s.cfg.Hub.Upgrade(w, r, ac, func(c *realtime.Conn) error {
		ctx := context.Background()
		c.Hold() // hello goes first; events from now on follow it
		defer c.Release(nil)
		ac.conn = c
		c.Subscribe(interact.AgentSubject(a.UserID))
		view, err := s.cfg.Engine.AgentConnected(ctx, a.TenantID, a.UserID)
		if err != nil {
			return err
		}
		tasks := []map[string]any{}
		for _, id := range s.cfg.Engine.AgentTasks(a.UserID) {
			join(c, id)
			if t, err := s.store.Task(ctx, id); err == nil { // the store has the latest lastSeq
				c.Delivered(t.ID, t.LastSeq) // the console fetches up to it: no live copy of those
				v, _ := s.cfg.Engine.Task(id)
				tasks = append(tasks, map[string]any{"task": t, "lastSeq": t.LastSeq, "call": v.Call})
			}
		}
		ac.checkServices() // the services the console loads after the hello
		c.SendJSON("hello", "", map[string]any{"agent": view, "tasks": tasks})
		s.track(ac)
		// A credential revoked between the request's check and the
		// subscription would go unnoticed: check it once more.
		go ac.recheck()
		return nil
	})
	if err != nil { // not upgraded: Closed will not run
		s.cfg.Sockets.Give(ac.caps[:]...)
	}
	return err
}

// join and leave subscribe the connection to a task's events and to the
// call signalling meant for its agent.
func join(c *realtime.Conn, taskID string) {
	c.Subscribe(interact.TaskSubject(taskID))
	c.Subscribe(chat.RTCSubject(taskID, chat.PartyAgent))
}

func leave(c *realtime.Conn, taskID string) {
	c.Unsubscribe(interact.TaskSubject(taskID))
	c.Unsubscribe(chat.RTCSubject(taskID, chat.PartyAgent))
}

// Event follows the agent's assignments: the connection joins a task's
// subjects when the task is assigned and leaves them when released or
// ended. Call signalling reaches only the task's connected agent.
func (ag *agentConn) Event(c *realtime.Conn, subject string, frame []byte) bool {
	if interact.FrameIs(frame, "credentials.changed") {
		go ag.recheck()
		return false
	}
	if id, ok := strings.CutSuffix(subject, ".rtc."+chat.PartyAgent); ok {
		v, open := ag.s.cfg.Engine.Task(strings.TrimPrefix(id, "task."))
		return open && v.AgentID == ag.actor.UserID
	}
	if !strings.HasPrefix(subject, "agent.") || !interact.FrameTypeHasPrefix(frame, "task.") {
		return true
	}
	var f struct {
		Type string `json:"type"`
		Data struct {
			TaskID string `json:"taskId"`
			Task   struct {
				ID string `json:"id"`
			} `json:"task"`
		} `json:"data"`
	}
	if json.Unmarshal(frame, &f) != nil {
		return true
	}
	switch f.Type {
	case "task.assigned":
		join(c, f.Data.Task.ID)
	case "task.released", "task.ended":
		leave(c, f.Data.TaskID)
	}
	return true
}

func (ag *agentConn) Closed(c *realtime.Conn) {
	ag.s.cfg.Sockets.Give(ag.caps[:]...)
	ag.s.untrack(ag)
	ag.s.cfg.Engine.AgentDisconnected(context.Background(), ag.actor.UserID)
}

func (ag *agentConn) Frame(c *realtime.Conn, f interact.Frame) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reply, err := ag.frame(ctx, c, f)
	if err != nil {
		chat.SendError(c, f.ID, err)
		return
	}
	if f.Type != "message.send" {
		c.SendJSON("ok", f.ID, reply)
	}
}

// agentFrame is the union of the agent frames' data fields.
type agentFrame struct {
	Presence    string `json:"presence"`
	Reason      string `json:"reason"`
	OfferID     string `json:"offerId"`
	TaskID      string `json:"taskId"`
	ClientID    string `json:"clientId"`
	Text        string `json:"text"`
	On          bool   `json:"on"`
	Seq         int64  `json:"seq"`
	AfterSeq    int64  `json:"afterSeq"`
	ToAgentID   string `json:"toAgentId"`
	ToServiceID string `json:"toServiceId"`
	Seconds     int    `json:"seconds"`
	ServiceID   string `json:"serviceId"`
	Active      bool   `json:"active"`
}

func (ag *agentConn) frame(ctx context.Context, c *realtime.Conn, f interact.Frame) (any, error) {
	s, me := ag.s, ag.actor.UserID
	var d agentFrame
	if len(f.Data) > 0 {
		if err := json.Unmarshal(f.Data, &d); err != nil {
			return nil, interact.Errorf(interact.EINVALID, "Frame %q has malformed data: %v.", f.Type, err)
		}
	}
	eng := s.cfg.Engine
	switch f.Type {
	case "ping":
		return nil, nil
	case "presence.set":
		return nil, eng.SetPresence(ctx, me, d.Presence, d.Reason)
	case "offer.accept":
		t, err := eng.Accept(ctx, me, d.OfferID)
		if err != nil {
			return nil, err
		}
		join(c, t.ID)
		return map[string]any{"task": t}, nil
	case "offer.decline":
		return nil, eng.Decline(ctx, me, d.OfferID)
	case "task.claim":
		t, err := eng.Claim(ctx, me, d.TaskID)
		if err != nil {
			return nil, err
		}
		join(c, t.ID)
		return map[string]any{"task": t}, nil
	case "message.send", "typing", "read", "task.history":
		if err := ag.mine(d.TaskID); err != nil {
			return nil, err
		}
		switch f.Type {
		case "message.send":
			return nil, chat.Send(ctx, s.cfg.Transcript, c, f.ID, interact.Message{TaskID: d.TaskID, ClientID: d.ClientID, From: interact.FromAgent,
				AgentID: me, Name: eng.AgentDisplayName(d.TaskID), Text: d.Text})
		case "typing":
			return nil, chat.Ephemeral(s.cfg.Bus, d.TaskID, "typing", map[string]any{"from": interact.FromAgent, "on": d.On})
		case "read":
			return nil, chat.Ephemeral(s.cfg.Bus, d.TaskID, "read", map[string]any{"from": interact.FromAgent, "seq": d.Seq})
		}
		msgs, err := s.store.Messages(ctx, d.TaskID, d.AfterSeq, 1000)
		return map[string]any{"taskId": d.TaskID, "messages": msgs}, err
	case "task.end":
		return nil, eng.EndTask(ctx, d.TaskID, me)
	case "task.transfer":
		return nil, eng.Transfer(ctx, me, d.TaskID, d.ToAgentID, d.ToServiceID)
	case "acw.end":
		return nil, eng.EndACW(ctx, me)
	case "acw.extend":
		return nil, eng.ExtendACW(ctx, me, time.Duration(max(d.Seconds, 0))*time.Second)
	case "rona.reset":
		return nil, eng.ResetRONA(ctx, me)
	case "service.active":
		if err := s.store.SetMemberActive(ctx, ag.actor, d.ServiceID, d.Active); err != nil {
			return nil, err
		}
		eng.Invalidate(ctx, ag.actor.TenantID)
		return nil, nil
	case "queue.watch":
		if _, err := s.store.Service(ctx, ag.actor, d.ServiceID); err != nil && !ag.member(ctx, d.ServiceID) {
			return nil, err
		}
		q, err := eng.Queue(ctx, ag.actor.TenantID, d.ServiceID)
		if err != nil {
			return nil, err
		}
		c.Subscribe(interact.ServiceSubject(d.ServiceID))
		return q, nil
	case "queue.unwatch":
		c.Unsubscribe(interact.ServiceSubject(d.ServiceID))
		return nil, nil
	}
	if chat.IsCallFrame(f.Type) {
		if d.TaskID == "" {
			return nil, interact.Errorf(interact.EINVALID, "Frame %q needs a taskId.", f.Type)
		}
		return s.cfg.Calls.Frame(ctx, f.Type, d.TaskID, me, f.Data)
	}
	return nil, interact.Errorf(interact.EINVALID, "Unknown frame type %q.", f.Type)
}

// mine checks that the agent is connected to the task.
func (ag *agentConn) mine(taskID string) error {
	v, ok := ag.s.cfg.Engine.Task(taskID)
	if !ok || v.AgentID != ag.actor.UserID || v.State != interact.TaskConnected {
		return interact.Errorf(interact.ENOTFOUND, "You are not connected to task %q.", taskID)
	}
	return nil
}

// member reports whether the agent belongs to the service (pickup lists).
func (ag *agentConn) member(ctx context.Context, serviceID string) bool {
	ids, err := ag.s.store.AgentServices(ctx, ag.actor.TenantID, ag.actor.UserID)
	if err != nil {
		return false
	}
	for _, id := range ids {
		if id == serviceID {
			return true
		}
	}
	return false
}
