package turnserver

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact/eventually"
)

func TestRelayBetweenTwoClients(t *testing.T) {
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			s := startServer(t, Config{})
			creds := Credentials{Secret: testSecret}
			user, pass, _ := creds.Issue("task-"+transport, time.Now())
			ca, relayA := allocate(t, transport, s.addr(transport), user, pass)
			cb, relayB := allocate(t, transport, s.addr(transport), user, pass)
			if got := s.Allocations(); got != 2 {
				t.Errorf("%d live allocations, want 2", got)
			}
			for _, r := range []net.PacketConn{relayA, relayB} {
				if ip := r.LocalAddr().(*net.UDPAddr).IP; !ip.Equal(net.IPv4(127, 0, 0, 1)) {
					t.Errorf("relay advertised at %s, want the loopback listening address", ip)
				}
			}
			if err := ca.CreatePermission(relayB.LocalAddr()); err != nil {
				t.Fatal(err)
			}
			if err := cb.CreatePermission(relayA.LocalAddr()); err != nil {
				t.Fatal(err)
			}
			if src := exchange(t, relayA, relayB, []byte("hello from A")); src.String() != relayA.LocalAddr().String() {
				t.Errorf("B saw the packet from %s, want A's relay %s", src, relayA.LocalAddr())
			}
			if src := exchange(t, relayB, relayA, []byte("hello from B")); src.String() != relayB.LocalAddr().String() {
				t.Errorf("A saw the packet from %s, want B's relay %s", src, relayB.LocalAddr())
			}
			// Once channels are bound, data goes as ChannelData; check it still flows.
			for i := range 20 {
				exchange(t, relayA, relayB, fmt.Appendf(nil, "packet %d", i))
			}
			mustNotContain(t, s.log.String(), testSecret)
			mustNotContain(t, s.log.String(), pass)
		})
	}
}

func TestRefusedCredentials(t *testing.T) {
	now := time.Now()
	expiredUser, expiredPass, _ := Credentials{Secret: testSecret}.Issue("task-1", now.Add(-time.Hour))
	validUser, _, _ := Credentials{Secret: testSecret}.Issue("task-1", now)
	otherUser, otherPass, _ := Credentials{Secret: "another-secret-0123456789"}.Issue("task-1", now)
	cases := []struct {
		name, user, pass, reason string
	}{
		{"expired", expiredUser, expiredPass, "credentials expired"},
		{"forged password", validUser, Password("guessed", validUser), "wrong password"},
		{"username for another secret", otherUser, otherPass, "wrong password"},
		{"malformed username", "task-1", Password(testSecret, "task-1"), "malformed username"},
	}
	for _, transport := range []string{"udp", "tcp"} {
		for _, c := range cases {
			t.Run(transport+"/"+c.name, func(t *testing.T) {
				s := startServer(t, Config{})
				_, err := dial(t, transport, s.addr(transport), c.user, c.pass).Allocate()
				wantRefused(t, "allocate", err)
				if s.Allocations() != 0 {
					t.Errorf("%d allocations after a refusal", s.Allocations())
				}
				eventually.True(t, "the refusal to be logged", func() bool { return strings.Contains(s.log.String(), c.reason) })
				mustNotContain(t, s.log.String(), testSecret)
				mustNotContain(t, s.log.String(), c.pass)
			})
		}
	}
}

// TestExpiredCredentialsKeepLiveAllocation: a call outlives its
// credentials' TTL, but they start no new relay, and an allocation is not
// kept beyond MaxAllocationAge.
func TestExpiredCredentialsKeepLiveAllocation(t *testing.T) {
	var mu sync.Mutex
	clock := time.Now()
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }

	s := startServer(t, Config{now: now, MaxAllocationAge: time.Hour})
	user, pass, _ := Credentials{Secret: testSecret}.Issue("task-long", now())
	ca, _ := allocate(t, "udp", s.addr("udp"), user, pass)
	peer := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 9}

	advance(DefaultTTL + time.Minute)
	_, err := dial(t, "udp", s.addr("udp"), user, pass).Allocate()
	wantRefused(t, "new allocation with expired credentials", err)
	if err := ca.CreatePermission(peer); err != nil {
		t.Fatalf("the live allocation cannot add a peer after its credentials expired: %v", err)
	}

	advance(time.Hour)
	wantRefused(t, "a peer added to an allocation past its maximum age", ca.CreatePermission(&net.UDPAddr{IP: net.IPv4(127, 0, 0, 3), Port: 9}))
	eventually.True(t, "the refusal to be logged", func() bool { return strings.Contains(s.log.String(), "allocation too old") })
}

func TestAllocationQuotaPerTask(t *testing.T) {
	s := startServer(t, Config{MaxAllocations: 2})
	creds := Credentials{Secret: testSecret}
	user, pass, _ := creds.Issue("task-q", time.Now())
	allocate(t, "udp", s.addr("udp"), user, pass)
	_, second := allocate(t, "tcp", s.addr("tcp"), user, pass)

	_, err := dial(t, "udp", s.addr("udp"), user, pass).Allocate()
	if code := wantRefused(t, "third allocation", err); code != 486 {
		t.Errorf("third allocation refused with %d, want 486 (Allocation Quota Reached)", code)
	}
	// The quota is per task: another task still gets a relay.
	otherUser, otherPass, _ := creds.Issue("task-other", time.Now())
	allocate(t, "udp", s.addr("udp"), otherUser, otherPass)

	second.Close() // deallocates
	eventually.True(t, "the deallocation", func() bool { return s.Allocations() == 2 })
	allocate(t, "udp", s.addr("udp"), user, pass)
}

func TestPeersRefusedOutsideTheRelayNetwork(t *testing.T) {
	ip := net.ParseIP
	cases := []struct {
		name             string
		relay            net.IP
		allowed, refused []net.IP
	}{
		// Relays advertised at a public address (as behind NAT) reach
		// neither the relay host's loopback nor its private networks.
		{"public relay", ip("192.0.2.10"),
			[]net.IP{ip("198.51.100.20"), ip("192.0.2.11")},
			[]net.IP{ip("127.0.0.1"), ip("10.1.2.3"), ip("172.16.0.1"), ip("192.168.1.1"), ip("169.254.169.254"),
				ip("224.0.0.1"), ip("255.255.255.255"), ip("0.0.0.0"),
				ip("100.64.0.1"), ip("100.127.255.254"), ip("198.18.0.1"), ip("198.19.255.1"), ip("240.0.0.1"), ip("0.1.2.3"), ip("192.0.0.9")}},
		// On a LAN, private peers are the normal case.
		{"private relay", ip("10.0.0.5"),
			[]net.IP{ip("10.1.2.3"), ip("192.168.1.1"), ip("198.51.100.20"), ip("100.64.0.1")},
			[]net.IP{ip("127.0.0.1"), ip("169.254.169.254"), ip("224.0.0.1"), ip("198.18.0.1"), ip("240.0.0.1")}},
		// Behind carrier-grade NAT, the shared range is the LAN.
		{"shared-range relay", ip("100.64.1.5"),
			[]net.IP{ip("100.64.0.1"), ip("10.1.2.3"), ip("198.51.100.20")},
			[]net.IP{ip("127.0.0.1"), ip("198.18.0.1"), ip("240.0.0.1")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := startServer(t, Config{RelayIP: c.relay})
			user, pass, _ := Credentials{Secret: testSecret}.Issue("task-p", time.Now())
			cl, relay := allocate(t, "udp", s.addr("udp"), user, pass)
			if got := relay.LocalAddr().(*net.UDPAddr).IP; !got.Equal(c.relay) {
				t.Errorf("relay advertised at %s, want %s", got, c.relay)
			}
			for _, peer := range c.refused {
				// pion answers a refused permission with a bare error response.
				if err := cl.CreatePermission(&net.UDPAddr{IP: peer, Port: 9}); err == nil || !strings.Contains(err.Error(), "CreatePermission error response") {
					t.Errorf("permission for %s: got %v, want an error response", peer, err)
				}
			}
			for _, peer := range c.allowed {
				if err := cl.CreatePermission(&net.UDPAddr{IP: peer, Port: 9}); err != nil {
					t.Errorf("permission for %s: %v", peer, err)
				}
			}
		})
	}
}

func TestRelayPortRange(t *testing.T) {
	s := startServer(t, Config{RelayMinPort: 41000, RelayMaxPort: 41999})
	user, pass, _ := Credentials{Secret: testSecret}.Issue("task-r", time.Now())
	for range 3 {
		_, relay := allocate(t, "udp", s.addr("udp"), user, pass)
		if p := relay.LocalAddr().(*net.UDPAddr).Port; p < 41000 || p > 41999 {
			t.Errorf("relay port %d outside 41000-41999", p)
		}
	}
}

func TestCloseReleasesEverySocket(t *testing.T) {
	s := startServer(t, Config{})
	user, pass, _ := Credentials{Secret: testSecret}.Issue("task-c", time.Now())
	_, udpRelay := allocate(t, "udp", s.addr("udp"), user, pass)
	_, tcpRelay := allocate(t, "tcp", s.addr("tcp"), user, pass)
	if n := s.open.count(); n != 3 { // two relays and one TCP connection
		t.Fatalf("%d sockets tracked, want 3", n)
	}
	udpAddr, tcpAddr := s.addr("udp"), s.addr("tcp")
	if ours, err := boundHere(udpRelay.LocalAddr().String()); err != nil || !ours {
		t.Fatalf("the relay's socket is not seen as this process's (%v): the check below would prove nothing", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if n := s.open.count(); n != 0 {
		t.Errorf("%d sockets left open", n)
	}
	// Every port is free again.
	for _, a := range []string{udpAddr, udpRelay.LocalAddr().String(), tcpRelay.LocalAddr().String()} {
		// A socket's descriptor is released when its last reader has
		// returned, a moment after Close; and the port lies in the ephemeral
		// range, where another process may bind it at once: only a socket of
		// this process still bound after that moment counts.
		eventually.True(t, "UDP "+a+" to be free after Close", func() bool {
			pc, err := net.ListenPacket("udp4", a)
			if err == nil {
				pc.Close()
				return true
			}
			ours, perr := boundHere(a)
			return perr == nil && !ours
		})
	}
	eventually.True(t, "TCP "+tcpAddr+" to be free after Close", func() bool {
		ln, err := net.Listen("tcp4", tcpAddr)
		if err == nil {
			ln.Close()
		}
		return err == nil
	})
}

func TestNewRefusesBadConfig(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	cases := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no socket", Config{Secret: testSecret}, "neither"},
		{"no secret", Config{PacketConn: pc}, "no secret"},
		{"IPv6 relay", Config{PacketConn: pc, Secret: testSecret, RelayIP: net.ParseIP("2001:db8::1")}, "IPv4"},
		{"half a port range", Config{PacketConn: pc, Secret: testSecret, RelayMinPort: 5000}, "relay ports"},
		{"inverted port range", Config{PacketConn: pc, Secret: testSecret, RelayMinPort: 6000, RelayMaxPort: 5000}, "relay ports"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := New(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

// boundHere reports whether a UDP socket of this process is bound to addr,
// matching /proc/net/udp's entries to this process's socket descriptors.
func boundHere(addr string) (bool, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false, err
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return false, err
	}
	ours := map[string]bool{}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return false, err
	}
	for _, fd := range fds {
		if l, err := os.Readlink("/proc/self/fd/" + fd.Name()); err == nil && strings.HasPrefix(l, "socket:[") {
			ours[strings.TrimSuffix(strings.TrimPrefix(l, "socket:["), "]")] = true
		}
	}
	table, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return false, err
	}
	suffix := fmt.Sprintf(":%04X", p)
	for _, line := range strings.Split(string(table), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 9 && strings.HasSuffix(f[1], suffix) && ours[f[9]] {
			return true, nil
		}
	}
	return false, nil
}
