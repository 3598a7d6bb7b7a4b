package main

import (
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/interact-oss/interact/sqlstore"
	"github.com/interact-oss/interact/turnserver"
	"github.com/pion/turn/v4"
)

func TestTURNConfig(t *testing.T) {
	c, err := parseConfig(nil, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.TURN != "on" || c.TURNUDP != ":3478" || c.TURNTCP != ":3478" || c.TURNRealm != "interact" || c.TURNTTL != 10*time.Minute ||
		c.turnMinPort != 49152 || c.turnMaxPort != 65535 || c.ForceRelay || c.TURNSecret != "" || c.TURNURLs != "" {
		t.Errorf("defaults %+v", c)
	}
	env := map[string]string{
		"INTERACT_TURN_UDP": "off", "INTERACT_TURN_TCP": "127.0.0.1:5349", "INTERACT_TURN_PUBLIC_IP": "198.51.100.7",
		"INTERACT_TURN_RELAY_PORTS": "40000-40999", "INTERACT_TURN_REALM": "calls.example.com", "INTERACT_TURN_TTL": "5m",
		"INTERACT_FORCE_RELAY": "1", "INTERACT_TURN_SECRET": "from-the-environment",
	}
	c, err = parseConfig([]string{"--turn-realm", "flag.example.com"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.TURNUDP != "off" || c.TURNTCP != "127.0.0.1:5349" || c.TURNPublicIP != "198.51.100.7" || c.turnMinPort != 40000 || c.turnMaxPort != 40999 ||
		c.TURNRealm != "flag.example.com" || c.TURNTTL != 5*time.Minute || !c.ForceRelay || c.TURNSecret != "from-the-environment" {
		t.Errorf("from the environment %+v", c)
	}
}

func TestTURNBadConfig(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"turn neither on nor off", []string{"--turn", "maybe"}, `turn "maybe": want on or off`},
		{"off with urls", []string{"--turn", "off", "--turn-urls", "turn:turn.example.com"}, "contradict"},
		{"force relay without turn", []string{"--turn", "off", "--force-relay"}, "--force-relay needs a TURN server"},
		{"both listeners off", []string{"--turn-udp", "off", "--turn-tcp", "off"}, "use --turn=off"},
		{"bad udp address", []string{"--turn-udp", "3478"}, `turn udp address "3478"`},
		{"bad tcp address", []string{"--turn-tcp", "localhost"}, `turn tcp address "localhost"`},
		{"public ip not an ip", []string{"--turn-public-ip", "turn.example.com"}, "want an IPv4 address"},
		{"public ip v6", []string{"--turn-public-ip", "2001:db8::1"}, "want an IPv4 address"},
		{"relay ports inverted", []string{"--turn-relay-ports", "50000-40000"}, "turn relay ports"},
		{"relay ports privileged", []string{"--turn-relay-ports", "80-90"}, "turn relay ports"},
		{"relay ports one number", []string{"--turn-relay-ports", "50000"}, "turn relay ports"},
		{"realm with a space", []string{"--turn-realm", "my realm"}, "turn realm"},
		{"short secret", []string{"--turn-secret", "short"}, "at least 16 characters"},
		{"ttl too short", []string{"--turn-ttl", "10s"}, "turn ttl"},
		{"external without secret", []string{"--turn-urls", "turn:turn.example.com:3478"}, "--turn-urls needs --turn-secret"},
		{"external bad url", []string{"--turn-urls", "https://turn.example.com", "--turn-secret", "0123456789abcdef"}, "turn url"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			err := run(context.Background(), append(c.args, "--addr", "127.0.0.1:0", "--data", dir), func(string) string { return "" }, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("got %v, want one line mentioning %q", err, c.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "interact.db")); err == nil {
				t.Error("bad TURN settings still created the database")
			}
		})
	}
}

func TestTURNBusyPort(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, c := range []struct{ name, flag, addr string }{{"udp", "--turn-udp", pc.LocalAddr().String()}, {"tcp", "--turn-tcp", ln.Addr().String()}} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			args := append(append([]string{"--addr", "127.0.0.1:0", "--data", dir}, loopbackTURN...), c.flag, c.addr)
			err := run(context.Background(), args, func(string) string { return "" }, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "turn "+c.name+" listen on "+c.addr) || !strings.Contains(err.Error(), "address already in use") {
				t.Fatalf("busy TURN %s port: %v", c.name, err)
			}
			if _, err := os.Stat(filepath.Join(dir, "interact.db")); err == nil {
				t.Error("a busy TURN port still created the database")
			}
		})
	}
}

var turnUDPURL = regexp.MustCompile(`turn:(127\.0\.0\.1:\d+)\?transport=udp`)

// TestTURNServesWithStoredSecret: the embedded server runs beside the
// HTTP server, with a secret generated once and kept in the database, and
// its port is free again after shutdown.
func TestTURNServesWithStoredSecret(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"INTERACT_ADMIN_PASSWORD": "admin-password-1"}
	first := start(t, env, "--data", dir)
	first.stop(t)

	db, err := sqlstore.Open(context.Background(), "sqlite:"+filepath.Join(dir, "interact.db"))
	if err != nil {
		t.Fatal(err)
	}
	secret, err := db.Secret(context.Background(), "turn")
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	in := start(t, env, "--data", dir)
	m := turnUDPURL.FindStringSubmatch(in.stderr.String())
	if m == nil {
		t.Fatalf("no TURN URL logged: %s", in.stderr)
	}
	user, pass, _ := turnserver.Credentials{Secret: hex.EncodeToString(secret)}.Issue("task-1", time.Now())
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := turn.NewClient(&turn.ClientConfig{TURNServerAddr: m[1], Username: user, Password: pass, Conn: conn})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	relay, err := c.Allocate()
	if err != nil {
		t.Fatalf("allocate with the stored secret: %v", err)
	}
	resp, err := http.Get(in.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), "\ninteract_turn_allocations 1\n") {
		t.Errorf("metrics do not count the live relay:\n%s", metrics)
	}
	relay.Close()
	if strings.Contains(in.stderr.String(), pass) || strings.Contains(in.stderr.String(), hex.EncodeToString(secret)) {
		t.Errorf("the log shows a TURN secret: %s", in.stderr)
	}

	in.stop(t)
	pc, err := net.ListenPacket("udp", m[1])
	if err != nil {
		t.Fatalf("TURN port still bound after shutdown: %v", err)
	}
	pc.Close()
}

// TestMediaPathICE wires the configuration the web server gets, from the
// flags to the credentials, with a real store.
func TestMediaPathICE(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "interact.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	media := func(t *testing.T, args ...string) *mediaPath {
		t.Helper()
		c, err := parseConfig(args, func(string) string { return "" }, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		socks, err := listenTURN(c)
		if err != nil {
			t.Fatal(err)
		}
		m, err := startTURN(ctx, c, socks, db, log)
		if err != nil {
			socks.close()
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		return m
	}

	t.Run("embedded", func(t *testing.T) {
		m := media(t, append(loopbackTURN, "--force-relay")...)
		ice := m.iceFunc()("task-7")
		if !ice.ForceRelay || len(ice.Servers) != 2 || len(ice.Servers[1].URLs) != 2 {
			t.Fatalf("ICE %+v", ice)
		}
		stored, err := db.Secret(ctx, "turn")
		if err != nil {
			t.Fatal(err)
		}
		turnICE := ice.Servers[1]
		if !strings.HasSuffix(turnICE.Username, ":task-7") || turnICE.Credential != turnserver.Password(hex.EncodeToString(stored), turnICE.Username) {
			t.Errorf("credentials %q/%q are not the stored secret's, bound to the task", turnICE.Username, turnICE.Credential)
		}
	})
	t.Run("external", func(t *testing.T) {
		m := media(t, "--turn-urls", "turn:turn.example.com:3478?transport=udp,turns:turn.example.com:5349?transport=tcp", "--turn-secret", "coturn-static-auth-secret")
		if m.server != nil {
			t.Error("the embedded server runs beside an external one")
		}
		ice := m.iceFunc()("task-8")
		if len(ice.Servers) != 2 || ice.Servers[0].URLs[0] != "stun:turn.example.com:3478" || ice.Servers[1].URLs[1] != "turns:turn.example.com:5349?transport=tcp" {
			t.Fatalf("ICE %+v", ice)
		}
		if u := ice.Servers[1].Username; ice.Servers[1].Credential != turnserver.Password("coturn-static-auth-secret", u) {
			t.Errorf("credentials not under the external server's secret")
		}
	})
	t.Run("off", func(t *testing.T) {
		if f := media(t, "--turn", "off").iceFunc(); f != nil {
			t.Error("--turn=off still hands out ICE servers")
		}
	})
}
