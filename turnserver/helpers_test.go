package turnserver

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/logging"
	"github.com/pion/stun/v3"
	"github.com/pion/turn/v4"
)

const testSecret = "test-secret-0123456789"

// logBuffer collects a server's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testServer is a Server on loopback UDP and TCP sockets.
type testServer struct {
	*Server
	log *logBuffer
}

// startServer serves cfg on fresh loopback sockets; cfg's sockets, secret
// and log are filled in when unset.
func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	if cfg.PacketConn == nil {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg.PacketConn = pc
	}
	if cfg.Listener == nil {
		ln, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Listener = ln
	}
	if cfg.Secret == "" {
		cfg.Secret = testSecret
	}
	logs := &logBuffer{}
	cfg.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &testServer{Server: s, log: logs}
}

// addr is the server's UDP or TCP address.
func (s *testServer) addr(transport string) string {
	if transport == "tcp" {
		return s.cfg.Listener.Addr().String()
	}
	return s.cfg.PacketConn.LocalAddr().String()
}

// dial connects a pion TURN client to addr over transport ("udp" or "tcp").
func dial(t testing.TB, transport, addr, username, password string) *turn.Client {
	t.Helper()
	var conn net.PacketConn
	if transport == "tcp" {
		c, err := net.Dial("tcp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn = turn.NewSTUNConn(c)
	} else {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		conn = c
	}
	lf := logging.NewDefaultLoggerFactory()
	lf.DefaultLogLevel = logging.LogLevelError
	c, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: addr, TURNServerAddr: addr, Username: username, Password: password,
		Conn: conn, LoggerFactory: lf,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		conn.Close()
	})
	return c
}

// allocate dials and allocates a relay, failing the test when refused.
func allocate(t testing.TB, transport, addr, username, password string) (*turn.Client, net.PacketConn) {
	t.Helper()
	c := dial(t, transport, addr, username, password)
	relay, err := c.Allocate()
	if err != nil {
		t.Fatalf("allocate over %s: %v", transport, err)
	}
	t.Cleanup(func() { relay.Close() })
	return c, relay
}

// wantRefused checks that the server answered err with a TURN error
// response (and not, say, a timeout), returning its code.
func wantRefused(t *testing.T, what string, err error) int {
	t.Helper()
	var te *stun.TurnError
	if !errors.As(err, &te) {
		t.Fatalf("%s: got %v, want a TURN error response", what, err)
	}
	return int(te.ErrorCodeAttr.Code)
}

// exchange sends payload from one relay to another until it arrives
// (the first packets may be dropped while permissions are being created)
// and returns the sender address the receiver saw.
func exchange(t *testing.T, from, to net.PacketConn, payload []byte) net.Addr {
	t.Helper()
	buf := make([]byte, 1500)
	for range 50 {
		if _, err := from.WriteTo(payload, to.LocalAddr()); err != nil {
			t.Fatalf("write through relay: %v", err)
		}
		to.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		n, src, err := to.ReadFrom(buf)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			continue
		}
		if err != nil {
			t.Fatalf("read from relay: %v", err)
		}
		if !bytes.Equal(buf[:n], payload) {
			t.Fatalf("relayed %q, want %q", buf[:n], payload)
		}
		return src
	}
	t.Fatalf("%q never arrived through the relay", payload)
	return nil
}

// lookCoturn finds one of coturn's programs, or skips (fails when
// INTERACT_REQUIRE_COTURN is set).
func lookCoturn(t testing.TB, program string) string {
	t.Helper()
	bin, err := exec.LookPath(program)
	if err != nil {
		if os.Getenv("INTERACT_REQUIRE_COTURN") != "" {
			t.Fatalf("coturn's %s is not installed, and INTERACT_REQUIRE_COTURN is set", program)
		}
		t.Skipf("coturn's %s is not installed (Debian: apt-get install coturn); set INTERACT_REQUIRE_COTURN=1 to fail instead", program)
	}
	return bin
}

func mustNotContain(t *testing.T, logs, secret string) {
	t.Helper()
	if strings.Contains(logs, secret) {
		t.Errorf("the log shows a secret %q:\n%s", secret, logs)
	}
}
