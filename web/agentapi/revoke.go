package agentapi

import (
	"context"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/realtime"
)

// CloseRevoked is the close code of an agent socket whose credential is no
// longer valid (signed out, token revoked, password reset, user deleted),
// or whose user changed (roles, tenant): the console signs in or connects
// again (docs/protocol.md).
const CloseRevoked = 4401

// CredentialsChangedFrame, published on a user's agent subject, makes every
// node's sockets of that user check their credential again. It is not
// passed on to the console.
var CredentialsChangedFrame, _ = interact.EncodeFrame("credentials.changed", "", nil)

// Recheck makes every open agent socket of the tenant check its credential
// again, after an administrator changed something of the tenant (a user
// deleted, a password reset, roles, licences), and tell its console when
// the agent's services changed (memberships added or removed). It returns
// at once; the checks run one after another in the background.
func (s *API) Recheck(tenantID string) {
	s.mu.Lock()
	conns := make([]*agentConn, 0, len(s.conns[tenantID]))
	for ag := range s.conns[tenantID] {
		conns = append(conns, ag)
	}
	s.mu.Unlock()
	if len(conns) == 0 {
		return
	}
	go func() {
		for _, ag := range conns {
			ag.recheck()
			ag.checkServices()
		}
	}()
}

func (s *API) track(ag *agentConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.conns[ag.actor.TenantID]
	if m == nil {
		m = map[*agentConn]struct{}{}
		s.conns[ag.actor.TenantID] = m
	}
	m[ag] = struct{}{}
}

func (s *API) untrack(ag *agentConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m := s.conns[ag.actor.TenantID]; m != nil {
		delete(m, ag)
		if len(m) == 0 {
			delete(s.conns, ag.actor.TenantID)
		}
	}
}

// recheck closes the socket when its credential no longer authenticates
// the same actor. A store that cannot answer keeps the socket open (the
// next change checks again).
func (ag *agentConn) recheck() {
	if !ag.checking.CompareAndSwap(false, true) {
		ag.again.Store(true) // a check is running: it runs once more
		return
	}
	defer ag.checking.Store(false)
	for {
		ag.again.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
		var a interact.Actor
		var err error
		if ag.cred.Token != "" {
			a, err = ag.s.store.TokenActor(ctx, ag.cred.Token)
		} else {
			a, _, err = ag.s.store.SessionActor(ctx, ag.cred.Session)
		}
		cancel()
		switch {
		case err != nil && interact.ErrorCode(err) == interact.EINTERNAL:
			ag.s.log.Warn("re-check agent credential", "user", ag.actor.UserID, "err", err)
		case err != nil || !reflect.DeepEqual(a, ag.actor):
			ag.conn.CloseWith(CloseRevoked, "Your sign-in is no longer valid.")
			return
		}
		if !ag.again.Load() {
			return
		}
	}
}

// checkTimeout bounds one credential check.
const checkTimeout = 5 * time.Second

// credentialCheck is the state of an agent socket's credential checks.
type credentialCheck struct {
	conn            *realtime.Conn
	checking, again atomic.Bool
}
