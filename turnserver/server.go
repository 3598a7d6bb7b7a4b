// Package turnserver is interact's embedded TURN server (pion/turn) and the
// ICE configuration handed to the two parties of a call. Credentials follow
// the TURN REST API scheme (coturn's use-auth-secret), so an external coturn
// sharing the secret accepts them too; each is bound to one task.
//
// It does not decide who gets credentials: web checks origins and sessions
// before it asks for a task's ICE configuration.
package turnserver

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/pion/turn/v4"
)

// Defaults of Config.
const (
	DefaultRealm            = "interact"
	DefaultMaxAllocations   = 16
	DefaultMaxAllocationAge = 4 * time.Hour
)

// Config configures a Server. Zero values mean the documented defaults.
type Config struct {
	// PacketConn serves TURN over UDP and Listener over TCP; either may be
	// nil, not both. The Server owns them: Close closes them.
	PacketConn net.PacketConn
	Listener   net.Listener
	// RelayIP is the IPv4 address relays are advertised at: the public
	// address when interact is behind NAT. Default: the listening address,
	// or when that is unspecified the address of the default route's
	// interface (loopback when there is none).
	RelayIP net.IP
	// RelayMinPort and RelayMaxPort bound the relay ports (inclusive);
	// zero: any free port.
	RelayMinPort, RelayMaxPort int
	Realm                      string // default DefaultRealm
	Secret                     string // shared with whatever issues Credentials; required
	// MaxAllocations caps the live allocations of one task: a call has two
	// parties, each allocating per TURN URL and network interface, and
	// again on an ICE restart. Default DefaultMaxAllocations.
	MaxAllocations int
	// MaxAllocationAge is how long an allocation may be kept alive after
	// its credentials expired: expired credentials start no relay, but a
	// call in progress keeps its own. Default DefaultMaxAllocationAge.
	MaxAllocationAge time.Duration
	Log              *slog.Logger // default slog.Default()

	now func() time.Time // tests move the clock
}

// Server is a running TURN server. It relays for clients holding valid
// credentials, to peers that permit allows.
type Server struct {
	cfg     Config
	log     *slog.Logger
	relayIP net.IP
	turn    *turn.Server
	open    openSockets

	mu      sync.Mutex
	perTask map[string]int         // live allocations per task id
	born    map[allocKey]time.Time // live allocations: when created
}

// allocKey names an allocation as the auth handler sees it.
type allocKey struct{ username, client string }

// New starts a TURN server on the configured sockets.
func New(cfg Config) (*Server, error) {
	if cfg.PacketConn == nil && cfg.Listener == nil {
		return nil, errors.New("turn: neither a UDP nor a TCP socket to serve")
	}
	if cfg.Secret == "" {
		return nil, errors.New("turn: no secret")
	}
	if cfg.RelayMinPort < 0 || cfg.RelayMaxPort > 65535 || cfg.RelayMinPort > cfg.RelayMaxPort || (cfg.RelayMinPort == 0) != (cfg.RelayMaxPort == 0) {
		return nil, fmt.Errorf("turn: relay ports %d-%d: want 1-65535, low ≤ high", cfg.RelayMinPort, cfg.RelayMaxPort)
	}
	if cfg.Realm == "" {
		cfg.Realm = DefaultRealm
	}
	if cfg.MaxAllocations <= 0 {
		cfg.MaxAllocations = DefaultMaxAllocations
	}
	if cfg.MaxAllocationAge <= 0 {
		cfg.MaxAllocationAge = DefaultMaxAllocationAge
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Log.With("component", "turn"), perTask: map[string]int{}, born: map[allocKey]time.Time{}}

	bindIP := listenIP(cfg)
	s.relayIP = cfg.RelayIP
	if s.relayIP == nil {
		s.relayIP = bindIP
		if s.relayIP.IsUnspecified() {
			s.relayIP = defaultRouteIP()
		}
	}
	if s.relayIP = s.relayIP.To4(); s.relayIP == nil {
		return nil, fmt.Errorf("turn: relay address %s: want IPv4 (relays are IPv4)", cfg.RelayIP)
	}
	bind := "0.0.0.0"
	if !bindIP.IsUnspecified() {
		bind = bindIP.String()
	}
	var gen turn.RelayAddressGenerator = &turn.RelayAddressGeneratorStatic{RelayAddress: s.relayIP, Address: bind}
	if cfg.RelayMinPort > 0 {
		gen = &turn.RelayAddressGeneratorPortRange{RelayAddress: s.relayIP, Address: bind,
			MinPort: uint16(cfg.RelayMinPort), MaxPort: uint16(cfg.RelayMaxPort)}
	}
	gen = trackedRelays{RelayAddressGenerator: gen, open: &s.open}

	sc := turn.ServerConfig{
		Realm:         cfg.Realm,
		AuthHandler:   s.authenticate,
		QuotaHandler:  s.quota,
		LoggerFactory: pionLog{s.log},
		EventHandler: turn.EventHandler{
			OnAuth:              s.onAuth,
			OnAllocationCreated: s.onAllocationCreated,
			OnAllocationDeleted: s.onAllocationDeleted,
		},
	}
	if cfg.PacketConn != nil {
		sc.PacketConnConfigs = []turn.PacketConnConfig{{PacketConn: cfg.PacketConn, RelayAddressGenerator: gen, PermissionHandler: s.permit}}
	}
	if cfg.Listener != nil {
		sc.ListenerConfigs = []turn.ListenerConfig{{Listener: trackedListener{Listener: cfg.Listener, open: &s.open}, RelayAddressGenerator: gen, PermissionHandler: s.permit}}
	}
	t, err := turn.NewServer(sc)
	if err != nil {
		return nil, fmt.Errorf("turn: %w", err)
	}
	s.turn = t
	return s, nil
}

// listenIP is the address the server listens on (UDP first).
func listenIP(cfg Config) net.IP {
	var a net.Addr
	if cfg.PacketConn != nil {
		a = cfg.PacketConn.LocalAddr()
	} else {
		a = cfg.Listener.Addr()
	}
	switch a := a.(type) {
	case *net.UDPAddr:
		return ipOrUnspecified(a.IP)
	case *net.TCPAddr:
		return ipOrUnspecified(a.IP)
	}
	return net.IPv4zero
}

func ipOrUnspecified(ip net.IP) net.IP {
	if ip == nil {
		return net.IPv4zero
	}
	return ip
}

// defaultRouteIP is the local IPv4 address of the interface the default
// route leaves by. Connecting a UDP socket sends nothing.
func defaultRouteIP() net.IP {
	c, err := net.Dial("udp4", "192.0.2.1:9") // TEST-NET-1: never reached
	if err != nil {
		return net.IPv4(127, 0, 0, 1)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).IP
}

// RelayIP is the address relays are advertised at.
func (s *Server) RelayIP() net.IP { return s.relayIP }

// URLs are the STUN and TURN URLs browsers reach this server at, with
// the relay address as host (an IP literal: browsers resolve TURN host
// names on their own, outside any host mapping).
func (s *Server) URLs() (stun, turn []string) {
	host := s.relayIP.String()
	if s.cfg.PacketConn != nil {
		hp := net.JoinHostPort(host, port(s.cfg.PacketConn.LocalAddr()))
		stun = append(stun, "stun:"+hp)
		turn = append(turn, "turn:"+hp+"?transport=udp")
	}
	if s.cfg.Listener != nil {
		turn = append(turn, "turn:"+net.JoinHostPort(host, port(s.cfg.Listener.Addr()))+"?transport=tcp")
	}
	return stun, turn
}

func port(a net.Addr) string {
	switch a := a.(type) {
	case *net.UDPAddr:
		return strconv.Itoa(a.Port)
	case *net.TCPAddr:
		return strconv.Itoa(a.Port)
	}
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

// Allocations is the number of live allocations.
func (s *Server) Allocations() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.born)
}

// Close stops the server and closes its listening sockets, accepted TCP
// connections and relay sockets before it returns.
func (s *Server) Close() error {
	err := s.turn.Close()
	s.open.closeAll()
	if err != nil {
		return fmt.Errorf("turn: close: %w", err)
	}
	return nil
}

// authenticate returns the long-term key of a TURN REST API username. A
// malformed or expired username gets none, except that an allocation made
// while the credentials were valid may be refreshed (and may add peers)
// until it is MaxAllocationAge old: a call outlives its credentials' TTL.
func (s *Server) authenticate(username, realm string, client net.Addr) ([]byte, bool) {
	expires, taskID, err := parseUsername(username)
	if err != nil {
		s.log.Info("turn request refused", "reason", "malformed username", "client", client.String())
		return nil, false
	}
	if now := s.cfg.now(); !now.Before(expires) {
		s.mu.Lock()
		born, live := s.born[allocKey{username, client.String()}]
		s.mu.Unlock()
		switch {
		case !live:
			s.log.Info("turn request refused", "reason", "credentials expired", "task", taskID, "client", client.String())
			return nil, false
		case now.Sub(born) >= s.cfg.MaxAllocationAge:
			s.log.Info("turn request refused", "reason", "allocation too old", "task", taskID, "client", client.String())
			return nil, false
		}
	}
	return turn.GenerateAuthKey(username, realm, Password(s.cfg.Secret, username)), true
}

// quota refuses a task's allocation beyond MaxAllocations live ones.
// Concurrent requests of one task may overshoot by the few in flight.
func (s *Server) quota(username, _ string, client net.Addr) bool {
	_, taskID, _ := parseUsername(username)
	s.mu.Lock()
	n := s.perTask[taskID]
	s.mu.Unlock()
	if n >= s.cfg.MaxAllocations {
		s.log.Warn("turn allocation refused", "reason", "quota reached", "task", taskID, "allocations", n, "client", client.String())
		return false
	}
	return true
}

// permit keeps relays to the addresses a caller's browser can need, so
// that credentials cannot reach into the relay host's networks: never
// unspecified, multicast, broadcast or link-local (cloud metadata)
// addresses; loopback only when the relays are on loopback; private
// networks only when the relays are on one (interact on a LAN).
func (s *Server) permit(_ net.Addr, peer net.IP) bool {
	addr, ok := netip.AddrFromSlice(peer)
	if !ok {
		return false
	}
	addr = addr.Unmap()
	switch {
	case peer.IsUnspecified(), peer.IsMulticast(), peer.Equal(net.IPv4bcast),
		peer.IsLinkLocalUnicast(), peer.IsLinkLocalMulticast(), inAny(addr, neverPeers):
		return false
	case peer.IsLoopback():
		return s.relayIP.IsLoopback()
	case peer.IsPrivate(), inAny(addr, sharedPeers):
		relay, _ := netip.AddrFromSlice(s.relayIP)
		return s.relayIP.IsPrivate() || s.relayIP.IsLoopback() || inAny(relay.Unmap(), sharedPeers)
	}
	return true
}

// neverPeers are ranges no browser is reached at: "this network", IETF
// protocol assignments, benchmarking (often lab networks), reserved, the
// IPv6 discard prefix, and NAT64 prefixes (which would reach IPv4
// networks, private ones included, through a translator).
var neverPeers = prefixes("0.0.0.0/8", "192.0.0.0/24", "198.18.0.0/15", "240.0.0.0/4",
	"64:ff9b::/96", "64:ff9b:1::/48", "100::/64")

// sharedPeers are the carrier-grade NAT range (RFC 6598): private to a
// provider, so treated like private networks.
var sharedPeers = prefixes("100.64.0.0/10")

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func inAny(a netip.Addr, ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

func (s *Server) onAuth(client, _ net.Addr, _, username, _, method string, ok bool) {
	if !ok { // the key was issued, but the message's integrity did not match it
		_, taskID, _ := parseUsername(username)
		s.log.Info("turn request refused", "reason", "wrong password", "method", method, "task", taskID, "client", client.String())
	}
}

func (s *Server) onAllocationCreated(client, _ net.Addr, protocol, username, _ string, relay net.Addr, _ int) {
	_, taskID, _ := parseUsername(username)
	s.mu.Lock()
	s.perTask[taskID]++
	s.born[allocKey{username, client.String()}] = s.cfg.now()
	s.mu.Unlock()
	s.log.Debug("turn allocation", "task", taskID, "client", client.String(), "protocol", protocol, "relay", relay.String())
}

func (s *Server) onAllocationDeleted(client, _ net.Addr, _, username, _ string) {
	_, taskID, _ := parseUsername(username)
	s.mu.Lock()
	if s.perTask[taskID]--; s.perTask[taskID] <= 0 {
		delete(s.perTask, taskID)
	}
	delete(s.born, allocKey{username, client.String()})
	s.mu.Unlock()
	s.log.Debug("turn allocation ended", "task", taskID, "client", client.String())
}
