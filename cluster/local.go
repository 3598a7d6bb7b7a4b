package cluster

import (
	"sync"

	"github.com/interact-oss/interact"
)

// Connection kinds.
const (
	kindAgent   = "agent"
	kindVisitor = "visitor"
)

// conn is one agent console or visitor connection on a node.
type conn struct {
	Kind     string `json:"kind"`
	TenantID string `json:"tenantId,omitempty"` // agents
	ID       string `json:"id"`                 // the agent's user id, or the visitor's task id
}

// presence is an agent's presence as the owner last announced it.
type presence struct {
	Presence string `json:"presence"`
	Reason   string `json:"reason,omitempty"`
}

// syncState is a node's whole list of connections, sent to a new owner.
type syncState struct {
	Conns    map[string]conn     `json:"conns"`    // by connection id
	Presence map[string]presence `json:"presence"` // by agent user id
}

// localConns is the list of this node's open connections. Connections of
// the same agent (or task) are interchangeable, so a disconnect closes the
// most recent one.
type localConns struct {
	mu       sync.Mutex
	conns    map[string]conn
	byID     map[string][]string // kind+id → connection ids
	presence map[string]presence // agents with a connection here
}

func newLocalConns() *localConns {
	return &localConns{conns: map[string]conn{}, byID: map[string][]string{}, presence: map[string]presence{}}
}

// add records a new connection and returns its id.
func (l *localConns) add(c conn) string {
	id := interact.NewID()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.conns[id] = c
	l.byID[c.Kind+c.ID] = append(l.byID[c.Kind+c.ID], id)
	return id
}

// remove forgets a connection by id.
func (l *localConns) remove(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.conns[id]
	if !ok {
		return
	}
	delete(l.conns, id)
	key := c.Kind + c.ID
	ids := l.byID[key]
	for i, x := range ids {
		if x == id {
			ids = append(ids[:i], ids[i+1:]...)
			break
		}
	}
	l.forget(key, c, ids)
}

// pop forgets the most recent connection of an agent or task and returns
// its id ("" when there is none).
func (l *localConns) pop(kind, id string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := kind + id
	ids := l.byID[key]
	if len(ids) == 0 {
		return ""
	}
	last := ids[len(ids)-1]
	c := l.conns[last]
	delete(l.conns, last)
	l.forget(key, c, ids[:len(ids)-1])
	return last
}

func (l *localConns) forget(key string, c conn, ids []string) {
	if len(ids) > 0 {
		l.byID[key] = ids
		return
	}
	delete(l.byID, key)
	if c.Kind == kindAgent {
		delete(l.presence, c.ID)
	}
}

// setPresence remembers an agent's presence if the agent is connected here.
func (l *localConns) setPresence(userID string, p presence) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.byID[kindAgent+userID]; ok {
		l.presence[userID] = p
	}
}

// snapshot copies the list.
func (l *localConns) snapshot() syncState {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := syncState{Conns: make(map[string]conn, len(l.conns)), Presence: make(map[string]presence, len(l.presence))}
	for id, c := range l.conns {
		s.Conns[id] = c
	}
	for id, p := range l.presence {
		s.Presence[id] = p
	}
	return s
}
