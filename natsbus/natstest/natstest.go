// Package natstest runs an in-process NATS server on loopback for tests,
// so no nats-server binary is needed.
package natstest

import (
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is a running in-process NATS server.
type Server struct {
	*server.Server
}

// Start starts a NATS server on 127.0.0.1 at a random port; the test's
// cleanup stops it.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartAt(t, -1)
}

// StartAt starts a NATS server on 127.0.0.1:port (-1: a random port), e.g.
// to restart one at the port a previous one had.
func StartAt(t testing.TB, port int) *Server {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true, MaxPayload: 8 << 20})
	if err != nil {
		t.Fatalf("nats server: %v", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		t.Fatal("nats server did not start")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return &Server{s}
}

// URL is the server's client URL.
func (s *Server) URL() string { return s.ClientURL() }

// Port is the server's client port.
func (s *Server) Port() int { return s.Addr().(*net.TCPAddr).Port }
