package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
	"github.com/interact-oss/interact/turnserver"
	"github.com/prometheus/client_golang/prometheus"
)

// checkTURN validates the media-path settings.
func (c *config) checkTURN() error {
	if c.TURN != "on" && c.TURN != "off" {
		return fmt.Errorf("turn %q: want on or off", c.TURN)
	}
	if c.TURN == "off" {
		switch {
		case c.TURNURLs != "":
			return errors.New("--turn=off and --turn-urls contradict each other: drop one")
		case c.ForceRelay:
			return errors.New("--force-relay needs a TURN server: drop --turn=off, or set --turn-urls")
		}
		return nil
	}
	if c.TURNTTL < time.Minute || c.TURNTTL > 24*time.Hour {
		return fmt.Errorf("turn ttl %s: want between 1m and 24h", c.TURNTTL)
	}
	if c.TURNSecret != "" && len(c.TURNSecret) < 16 {
		return errors.New("turn secret: want at least 16 characters")
	}
	if c.TURNURLs != "" {
		if _, _, err := turnserver.ParseURLs(c.TURNURLs); err != nil {
			return err
		}
		if c.TURNSecret == "" {
			return errors.New("--turn-urls needs --turn-secret (INTERACT_TURN_SECRET), the external server's static-auth-secret")
		}
		return nil
	}
	for _, a := range []struct{ name, addr string }{{"udp", c.TURNUDP}, {"tcp", c.TURNTCP}} {
		if a.addr == "off" {
			continue
		}
		if _, port, err := net.SplitHostPort(a.addr); err != nil || port == "" {
			return fmt.Errorf("turn %s address %q: want host:port, :port or off", a.name, a.addr)
		}
	}
	if c.TURNUDP == "off" && c.TURNTCP == "off" {
		return errors.New("--turn-udp and --turn-tcp are both off: use --turn=off to run without TURN")
	}
	if c.TURNPublicIP != "" {
		if ip := net.ParseIP(c.TURNPublicIP); ip == nil || ip.To4() == nil {
			return fmt.Errorf("turn public ip %q: want an IPv4 address (relays are IPv4)", c.TURNPublicIP)
		}
	}
	lo, hi, ok := strings.Cut(c.TURNRelayPorts, "-")
	c.turnMinPort, _ = strconv.Atoi(lo)
	c.turnMaxPort, _ = strconv.Atoi(hi)
	if !ok || c.turnMinPort < 1024 || c.turnMaxPort > 65535 || c.turnMinPort > c.turnMaxPort {
		return fmt.Errorf("turn relay ports %q: want LOW-HIGH within 1024-65535", c.TURNRelayPorts)
	}
	if len(c.TURNRealm) == 0 || len(c.TURNRealm) > 127 || strings.ContainsFunc(c.TURNRealm, func(r rune) bool { return r <= ' ' || r > '~' || r == '"' || r == '\\' }) {
		return fmt.Errorf("turn realm %q: want 1-127 printable ASCII characters without spaces, quotes or backslashes", c.TURNRealm)
	}
	return nil
}

// turnSockets are the embedded TURN server's sockets, bound before any
// state is touched so that a busy port fails at once.
type turnSockets struct {
	udp net.PacketConn
	tcp net.Listener
}

func listenTURN(c *config) (*turnSockets, error) {
	s := &turnSockets{}
	if c.TURN == "off" || c.TURNURLs != "" {
		return s, nil
	}
	if c.TURNUDP != "off" {
		pc, err := net.ListenPacket("udp", c.TURNUDP)
		if err != nil {
			return nil, fmt.Errorf("turn udp listen on %s: %w", c.TURNUDP, err)
		}
		s.udp = pc
	}
	if c.TURNTCP != "off" {
		ln, err := net.Listen("tcp", c.TURNTCP)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("turn tcp listen on %s: %w", c.TURNTCP, err)
		}
		s.tcp = ln
	}
	return s, nil
}

// close releases sockets no server took over.
func (s *turnSockets) close() {
	if s.udp != nil {
		s.udp.Close()
	}
	if s.tcp != nil {
		s.tcp.Close()
	}
}

// mediaPath is what calls get: the ICE configuration, and the embedded
// TURN server when one runs.
type mediaPath struct {
	ice    *turnserver.ICE
	server *turnserver.Server
}

// startTURN starts the embedded TURN server on socks, or points calls at
// the external one. The secret defaults to one kept in the database, so
// every node sharing it accepts the others' credentials.
func startTURN(ctx context.Context, c *config, socks *turnSockets, db *sqlstore.DB, log *slog.Logger) (*mediaPath, error) {
	if c.TURN == "off" {
		log.Info("calls use no STUN or TURN server (--turn=off)")
		return &mediaPath{}, nil
	}
	secret := c.TURNSecret
	if secret == "" {
		b, err := db.Secret(ctx, "turn")
		if err != nil {
			return nil, fmt.Errorf("turn secret: %w", err)
		}
		secret = hex.EncodeToString(b)
	}
	m := &mediaPath{ice: &turnserver.ICE{Credentials: turnserver.Credentials{Secret: secret, TTL: c.TURNTTL}, ForceRelay: c.ForceRelay}}
	if c.TURNURLs != "" {
		m.ice.STUN, m.ice.TURN, _ = turnserver.ParseURLs(c.TURNURLs)
		log.Info("calls use an external TURN server", "turn", strings.Join(m.ice.TURN, " "), "force_relay", c.ForceRelay)
		return m, nil
	}
	srv, err := turnserver.New(turnserver.Config{
		PacketConn: socks.udp, Listener: socks.tcp, RelayIP: net.ParseIP(c.TURNPublicIP),
		RelayMinPort: c.turnMinPort, RelayMaxPort: c.turnMaxPort, Realm: c.TURNRealm, Secret: secret, Log: log,
	})
	if err != nil {
		return nil, err
	}
	m.server = srv
	m.ice.STUN, m.ice.TURN = srv.URLs()
	log.Info("turn server", "turn", strings.Join(m.ice.TURN, " "), "relay_ports", c.TURNRelayPorts, "force_relay", c.ForceRelay)
	if c.TURNPublicIP == "" && !srv.RelayIP().IsLoopback() {
		log.Info("turn relays are advertised at the local address; set --turn-public-ip when interact is behind NAT", "relay_ip", srv.RelayIP().String())
	}
	return m, nil
}

// iceFunc is the web server's ICE source; nil when calls get no servers.
func (m *mediaPath) iceFunc() func(string) interact.ICEConfig {
	if m.ice == nil {
		return nil
	}
	return m.ice.Config
}

// register exports the embedded server's live relays.
func (m *mediaPath) register(reg *prometheus.Registry) {
	if m.server == nil {
		return
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "interact_turn_allocations", Help: "Live relays (TURN allocations) of the embedded TURN server.",
	}, func() float64 { return float64(m.server.Allocations()) }))
}

func (m *mediaPath) Close() error {
	if m.server == nil {
		return nil
	}
	return m.server.Close()
}
