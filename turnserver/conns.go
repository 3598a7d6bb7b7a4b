package turnserver

import (
	"errors"
	"net"
	"sync"

	"github.com/pion/turn/v4"
)

// pion's Server.Close closes the listening sockets but neither the TCP
// connections it accepted nor, synchronously, the relay sockets of live
// allocations. The wrappers here register both with the Server so that
// its Close leaves no socket open.

// openSockets is the set of sockets a Server closes on Close.
type openSockets struct {
	mu     sync.Mutex
	closed bool
	set    map[*onceCloser]struct{}
}

// onceCloser closes its socket once and unregisters it; later calls return nil.
type onceCloser struct {
	once  sync.Once
	close func() error
	owner *openSockets
}

func (c *onceCloser) Close() error {
	var err error
	c.once.Do(func() {
		c.owner.mu.Lock()
		delete(c.owner.set, c)
		c.owner.mu.Unlock()
		err = c.close()
	})
	return err
}

// add registers a socket's close; false when the set is already closed.
func (o *openSockets) add(closeFn func() error) (*onceCloser, bool) {
	c := &onceCloser{close: closeFn, owner: o}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return nil, false
	}
	if o.set == nil {
		o.set = map[*onceCloser]struct{}{}
	}
	o.set[c] = struct{}{}
	return c, true
}

// closeAll closes every registered socket and refuses new ones.
func (o *openSockets) closeAll() {
	o.mu.Lock()
	o.closed = true
	all := make([]*onceCloser, 0, len(o.set))
	for c := range o.set {
		all = append(all, c)
	}
	o.mu.Unlock()
	for _, c := range all {
		c.Close()
	}
}

func (o *openSockets) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.set)
}

// trackedListener registers each accepted TCP connection.
type trackedListener struct {
	net.Listener
	open *openSockets
}

func (l trackedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	closer, ok := l.open.add(c.Close)
	if !ok {
		c.Close()
		return nil, net.ErrClosed
	}
	return trackedConn{Conn: c, closer: closer}, nil
}

type trackedConn struct {
	net.Conn
	closer *onceCloser
}

func (c trackedConn) Close() error { return c.closer.Close() }

// trackedRelays registers each relay socket the generator opens.
type trackedRelays struct {
	turn.RelayAddressGenerator
	open *openSockets
}

func (r trackedRelays) AllocatePacketConn(network string, port int) (net.PacketConn, net.Addr, error) {
	pc, addr, err := r.RelayAddressGenerator.AllocatePacketConn(network, port)
	if err != nil {
		return nil, nil, err
	}
	closer, ok := r.open.add(pc.Close)
	if !ok {
		pc.Close()
		return nil, nil, net.ErrClosed
	}
	return trackedPacketConn{PacketConn: pc, closer: closer}, addr, nil
}

var errNoTCPRelay = errors.New("TCP relays (RFC 6062) are not offered")

// AllocateConn refuses TCP relays: browsers relay media over UDP only.
func (r trackedRelays) AllocateConn(string, int) (net.Conn, net.Addr, error) {
	return nil, nil, errNoTCPRelay
}

type trackedPacketConn struct {
	net.PacketConn
	closer *onceCloser
}

func (c trackedPacketConn) Close() error { return c.closer.Close() }
