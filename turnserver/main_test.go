package turnserver

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
)

// benchServeEnv makes the test binary a bare TURN server on loopback, so
// the relay benchmark measures it as its own process, as it does coturn.
const benchServeEnv = "TURNSERVER_BENCH_SERVE_SECRET"

func TestMain(m *testing.M) {
	if secret := os.Getenv(benchServeEnv); secret != "" {
		if err := serveForBenchmark(secret); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// serveForBenchmark serves TURN on a loopback UDP port, prints
// "ready ADDR", and stops when its standard input closes.
func serveForBenchmark(secret string) error {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		return err
	}
	s, err := New(Config{PacketConn: pc, Secret: secret, MaxAllocations: 1000,
		Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	fmt.Printf("ready %s\n", pc.LocalAddr())
	io.Copy(io.Discard, os.Stdin)
	return s.Close()
}
