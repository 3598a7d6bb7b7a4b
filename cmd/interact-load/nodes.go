package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// loadNodes are the servers a load test spawned: one, or two (A and B)
// sharing a PostgreSQL database and a NATS server.
type loadNodes struct {
	a, b *spawnedServer // b is nil with one node
	nats *server.Server // the in-process NATS server, if the tool started one
}

// spawnNodes starts cfg.Nodes servers. With two, node B starts first and
// takes the routing lease, so the agents' node owns routing and the
// visitors' node forwards its routing calls to it.
func spawnNodes(ctx context.Context, cfg *loadConfig, logw io.Writer) (*loadNodes, error) {
	var extra []string
	if cfg.DatabaseURL != "" {
		extra = append(extra, "--database-url", cfg.DatabaseURL)
	}
	n := &loadNodes{}
	if cfg.Nodes == 1 {
		if cfg.DebugAddr != "" {
			extra = append(extra, "--debug-addr", cfg.DebugAddr)
		}
		s, err := startServer(ctx, spawnOptions{Bin: cfg.Bin, Log: logw, Extra: extra, Addr: cfg.Ports.HTTP,
			TURNUDP: cfg.Ports.TURNUDP, TURNTCP: cfg.Ports.TURNTCP})
		if err != nil {
			return nil, err
		}
		n.a = s
		return n, nil
	}
	natsURL := cfg.NATSURL
	if natsURL == "" {
		ns, err := startNATS(cfg.Ports.NATS)
		if err != nil {
			return nil, err
		}
		n.nats, natsURL = ns, ns.ClientURL()
	}
	extra = append(extra, "--nats-url", natsURL)
	password := ""
	start := func(name string) (*spawnedServer, error) {
		o := spawnOptions{Bin: cfg.Bin, Log: logw, Extra: extra, AdminPassword: password, Addr: cfg.Ports.HTTPB}
		if name == "A" {
			o.Addr, o.TURNUDP, o.TURNTCP = cfg.Ports.HTTP, cfg.Ports.TURNUDP, cfg.Ports.TURNTCP
		}
		s, err := startServer(ctx, o)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", name, err)
		}
		password = s.adminPassword
		return s, nil
	}
	var err error
	if n.b, err = start("B"); err != nil {
		n.stop(logw, false)
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for !routingOwner(n.b.url) {
		if time.Now().After(deadline) {
			n.stop(logw, false)
			return nil, fmt.Errorf("node B did not take the routing lease within 30s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n.a, err = start("A"); err != nil {
		n.stop(logw, false)
		return nil, err
	}
	return n, nil
}

// startNATS starts a NATS server in this process on addr (port 0: a free
// one).
func startNATS(addr string) (*server.Server, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("nats address %q: %w", addr, err)
	}
	port, _ := strconv.Atoi(p)
	if port == 0 {
		port = -1 // the NATS server's "any free port"
	}
	s, err := server.NewServer(&server.Options{Host: host, Port: port, NoLog: true, NoSigs: true, MaxPayload: 8 << 20})
	if err != nil {
		return nil, fmt.Errorf("nats server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("nats server did not start")
	}
	return s, nil
}

// pids are the nodes' process ids.
func (n *loadNodes) pids() []int {
	var out []int
	for _, s := range []*spawnedServer{n.a, n.b} {
		if s != nil {
			out = append(out, s.pid)
		}
	}
	return out
}

// stop stops the nodes (A first, so B's routing lease is released last),
// then the NATS server.
func (n *loadNodes) stop(logw io.Writer, keep bool) {
	for _, s := range []*spawnedServer{n.a, n.b} {
		if s != nil {
			s.stop(logw, keep)
		}
	}
	if n.nats != nil {
		n.nats.Shutdown()
		n.nats.WaitForShutdown()
	}
}

// routingOwner reports whether the node at base says it runs the routing
// engine.
func routingOwner(base string) bool {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if sc.Text() == "interact_routing_owner 1" {
			return true
		}
	}
	return false
}

// spawnPorts are the loopback addresses spawned servers listen on, so the
// tool can run beside other services; port 0 picks a free one.
type spawnPorts struct {
	HTTP, HTTPB      string
	TURNUDP, TURNTCP string
	NATS             string
}

// check refuses addresses that are not host:port on loopback.
func (p spawnPorts) check() error {
	for _, f := range []struct{ flag, addr string }{
		{"server-addr", p.HTTP}, {"server-addr-b", p.HTTPB},
		{"turn-udp", p.TURNUDP}, {"turn-tcp", p.TURNTCP}, {"nats-addr", p.NATS},
	} {
		host, port, err := net.SplitHostPort(f.addr)
		if err != nil {
			return fmt.Errorf("--%s %q: want host:port", f.flag, f.addr)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("--%s %q: the port must be 0 to 65535", f.flag, f.addr)
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("--%s %q: the load tool listens on loopback addresses only", f.flag, f.addr)
		}
	}
	return nil
}
