package endpoint

import "sync"

// Caps bounds how many long-lived connections (sockets) one key holds at
// once: a visitor token's task, an agent's credential, a client address.
// The zero value is ready to use and safe for concurrent use.
type Caps struct {
	mu sync.Mutex
	n  map[string]int
}

// DefaultSocketsPerAddress bounds the open sockets of one client address
// (visitors' and agents' together) when the configuration names none: a
// large office behind one NAT, not a flood.
const DefaultSocketsPerAddress = 2000

// Cap is one key and its bound.
type Cap struct {
	Key string
	Max int
}

// Take counts one connection against every cap, or against none when one
// of them is full; it reports which cap was full. Give it back with Give.
func (c *Caps) Take(caps ...Cap) (full *Cap) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	for i := range caps {
		if c.n[caps[i].Key] >= caps[i].Max {
			return &caps[i]
		}
	}
	for _, k := range caps {
		c.n[k.Key]++
	}
	return nil
}

// Give returns a connection taken with Take.
func (c *Caps) Give(caps ...Cap) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range caps {
		if c.n[k.Key]--; c.n[k.Key] <= 0 {
			delete(c.n, k.Key)
		}
	}
}
