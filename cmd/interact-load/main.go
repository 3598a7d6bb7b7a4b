// Command interact-load is the load tool: it drives a real interact server
// over loopback through its public endpoints only (admin REST API, widget
// HTTP endpoints, visitor and agent WebSockets) and reports what it measured:
//
//   - connections held: chatting visitors, agents, idle visitors;
//   - the server's RSS before and after opening the idle visitor
//     connections, and RSS per idle connection;
//   - visitor messages acknowledged per second;
//   - visitor→agent latency (send → the agent's `message` frame, which
//     includes the durable write) and acknowledgement latency, p50/p99;
//   - with --pages: the server CPU per page per polling interval of pages
//     following the widget config (on config sockets, the widget's way, or
//     by conditional GETs with --pages-via poll), and RSS per config socket;
//   - acknowledged vs stored: after the run every visitor reads its
//     transcript back, and every acknowledged clientId must be stored
//     exactly once. The command fails when one is missing or duplicated.
//
// Design:
//
//   - The coordinator (this process) starts or finds the server, sets
//     everything up through the admin API (idempotently), and runs the agent
//     consoles itself. Visitors run in W workers: W=1 in-process, W>1 as
//     re-executions of this binary (`interact-load --worker`) that
//     speak JSON lines on stdin/stdout, because one process may hold at most
//     20,000 open files. Source addresses (--addrs, 127.0.0.x) are spread
//     over the workers to widen the ephemeral port space.
//   - The server caps open chats per service at maxConcurrentImTasksPerService
//     (at most 50), so chatting visitors are spread over ceil(visitors/50)
//     services "Load", "Load 2", … each with its share of the agents. An
//     agent takes 3 chats at once (the engine's default), so --agents
//     defaults to enough for every chat (about visitors/3).
//   - Idle visitors need tasks of their own that stay open without an agent
//     taking them. With no agent reachable a task ends at once (no_agent),
//     and with a routed service an available agent would be offered it. So
//     they go to "Load idle N" services (50 tasks each) with pickup
//     distribution and no maximum wait: one "holder" agent, a member of all
//     of them, stays online and available (so the tasks are not refused or
//     overflowed) but never claims; the tasks wait in their queues and each
//     visitor holds its WebSocket open, answering pings and nothing else.
//     Tasks are created first and the sockets opened second, so the RSS of
//     idle tasks and of idle sockets can be told apart.
//   - Messages carry their send time in the text ("lt <unix ns> …"), so the
//     agent computes the visitor→agent latency without a shared table
//     across processes.
//
// Two nodes (--nodes 2, with --spawn): both on the PostgreSQL database of
// --database-url and on NATS (--nats-url, or a NATS server run in this
// process on loopback). Node B starts first and takes the routing lease;
// visitors use node A and agents node B, so every message crosses nodes.
// The cost of the crossing is measured in the same run with --agents-on
// split: every other agent connects to node A, and the report compares the
// latency of the agents on B with that of the agents on A (same load, same
// moment). Server CPU is the sum of both nodes.
//
// The server must allow the load: its per-address and per-key widget rate
// limits (serve --widget-rate, --task-rate, --key-rate) are far below what
// a load test needs. --spawn starts the server itself with high limits and
// a long visitor grace (the server binary: --bin, else an interact binary
// next to this one, else one built from ./cmd/interact with go build); when
// targeting a running server start it like
//
//	interact serve --widget-rate 100000000 --task-rate 100000000 --key-rate 100000000 --sockets-per-address 100000000 --address-share 1 --visitor-grace 1h --first-connect-grace 1h
//
// Everything is on loopback and every phase is bounded in time.
//
//	interact-load --spawn [flags]   start a server and load it
//	interact-load --url URL [flags] load a running server
//	interact-load -h                list the flags
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// loadConfig is every setting of interact-load.
type loadConfig struct {
	URL           string
	AdminEmail    string
	AdminPassword string
	Visitors      int
	Agents        int
	Idle          int
	Duration      time.Duration
	Rate          float64 // visitor messages per second in total
	Addrs         []string
	Workers       int
	ServerPID     int
	Spawn         bool
	Bin           string // the server binary; empty: found or built by serverBinary
	ReplyEvery    int
	TextSize      int
	Origin        string
	Settle        time.Duration
	Keep          bool   // keep the spawned server's data directory
	DebugAddr     string // --spawn: the first node's --debug-addr (profiles)
	Timeline      bool   // print deliveries and the slowest latency per 100 ms
	Nodes         int    // spawned nodes: 1, or 2 on PostgreSQL and NATS
	DatabaseURL   string // the spawned nodes' database; empty: SQLite in the data directory
	NATSURL       string // with 2 nodes; empty: an in-process NATS server on loopback
	AgentsOn      string // with 2 nodes: "b" (every message crosses nodes), "a" (same node) or "split"
	Ports         spawnPorts
	Pages         int           // pages polling the widget config, in a phase of their own
	PageInterval  time.Duration // how often a page polls
	PagesFor      time.Duration // how long the pages phase lasts
	PagesVia      string        // "socket" (the widget's way) or "poll"
	Worker        bool          // internal: run as a worker process
}

// maxVisitorRate is the highest message rate per visitor connection the
// tool asks for: the server allows 120 frames per 10 s per connection.
const maxVisitorRate = 11.0

// chatsPerAgent is the engine's default chat capacity of an agent.
const chatsPerAgent = 3

// tasksPerService is the highest maxConcurrentImTasksPerService.
const tasksPerService = 50

func parseLoadConfig(args []string, getenv func(string) string, stderr io.Writer) (*loadConfig, error) {
	c := &loadConfig{}
	fs := flag.NewFlagSet("interact-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "the interact server (loopback only); ignored with --spawn")
	fs.StringVar(&c.AdminEmail, "admin-email", "admin@example.com", "tenant admin used to set up the load")
	fs.StringVar(&c.AdminPassword, "admin-password", "", "its password (default $INTERACT_ADMIN_PASSWORD)")
	fs.IntVar(&c.Visitors, "visitors", 20, "chatting visitors")
	fs.IntVar(&c.Agents, "agents", 0, "agents (default: enough for every chat; an agent takes 3 chats)")
	fs.IntVar(&c.Idle, "idle", 0, "extra idle visitor connections held open, for the memory figure")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long visitors send messages (at most 1h)")
	fs.Float64Var(&c.Rate, "rate", 100, "visitor messages per second in total")
	addrs := fs.String("addrs", "127.0.0.1", "local source addresses, comma-separated; 127.0.0.1-8 is a range of the last octet")
	fs.IntVar(&c.Workers, "workers", 1, "visitor worker processes (one process may hold 20,000 open files)")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "the server's process id, for RSS (default: found by the listening port)")
	fs.BoolVar(&c.Spawn, "spawn", false, "start the server (see --bin) in a temporary data directory, with high rate limits")
	fs.StringVar(&c.Bin, "bin", "", "the interact server binary for --spawn (default: an interact binary next to this executable, else one built from ./cmd/interact with go build into a temporary directory)")
	fs.IntVar(&c.ReplyEvery, "reply-every", 0, "agents answer every Nth visitor message (0: never)")
	fs.IntVar(&c.TextSize, "text-size", 48, "characters per visitor message")
	fs.StringVar(&c.Origin, "origin", "http://loadtest.example", "the Origin visitors send")
	fs.DurationVar(&c.Settle, "settle", 3*time.Second, "pause before each RSS reading")
	fs.BoolVar(&c.Keep, "keep", false, "keep the spawned server's data directory")
	fs.StringVar(&c.DebugAddr, "debug-addr", "", "with --spawn: the (first) server serves profiles and execution traces on this loopback address")
	fs.BoolVar(&c.Timeline, "timeline", false, "print, per 100 ms of the run, messages delivered to agents and the slowest (to stderr)")
	fs.IntVar(&c.Nodes, "nodes", 1, "with --spawn: nodes to start; 2 runs visitors on node A and agents on node B (needs --database-url postgres://…)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "with --spawn: the nodes' database (postgres://…); default SQLite in the data directory")
	fs.StringVar(&c.NATSURL, "nats-url", "", "with --nodes 2: the NATS server (default: one started in this process on loopback)")
	fs.StringVar(&c.AgentsOn, "agents-on", "b", "with --nodes 2: the agents' node: b (every message crosses nodes), a (the visitors' node), or split (half on each, latency reported per node)")
	fs.StringVar(&c.Ports.HTTP, "server-addr", "127.0.0.1:0", "with --spawn: the (first) server's HTTP address; port 0 picks a free one")
	fs.StringVar(&c.Ports.HTTPB, "server-addr-b", "127.0.0.1:0", "with --nodes 2: node B's HTTP address")
	fs.StringVar(&c.Ports.TURNUDP, "turn-udp", "127.0.0.1:0", "with --spawn: the (first) server's TURN UDP address (node B: port 0)")
	fs.StringVar(&c.Ports.TURNTCP, "turn-tcp", "127.0.0.1:0", "with --spawn: the (first) server's TURN TCP address (node B: port 0)")
	fs.StringVar(&c.Ports.NATS, "nats-addr", "127.0.0.1:0", "with --nodes 2 and no --nats-url: the in-process NATS server's address")
	fs.IntVar(&c.Pages, "pages", 0, "visible pages polling the widget config (each on a keep-alive connection of its own), in a phase before the run")
	fs.DurationVar(&c.PageInterval, "page-interval", 4*time.Second, "how often a page polls the config (the widget's interval)")
	fs.DurationVar(&c.PagesFor, "pages-duration", 20*time.Second, "how long the pages phase lasts")
	fs.StringVar(&c.PagesVia, "pages-via", "socket", "how pages follow the config: socket (held open, the server pushes changes: the widget's way) or poll (conditional GET every --page-interval)")
	fs.BoolVar(&c.Worker, "worker", false, "internal: run as a visitor worker (JSON lines on stdin/stdout)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.Worker {
		return c, nil
	}
	if c.AdminPassword == "" {
		c.AdminPassword = getenv("INTERACT_ADMIN_PASSWORD")
	}
	var err error
	if c.Addrs, err = parseAddrs(*addrs); err != nil {
		return nil, err
	}
	if c.Agents == 0 && c.Visitors > 0 {
		// Enough for every chat: visitors and agents are dealt round-robin
		// over ceil(visitors/50) services, each needs ceil(its visitors/3).
		services := ceilDiv(c.Visitors, tasksPerService)
		c.Agents = services * ceilDiv(ceilDiv(c.Visitors, services), chatsPerAgent)
	}
	switch {
	case c.Visitors < 0 || c.Agents < 0 || c.Idle < 0 || c.Pages < 0:
		return nil, fmt.Errorf("visitors, agents, idle and pages must not be negative")
	case c.Pages > 0 && c.Visitors == 0 && c.Idle == 0:
		return nil, fmt.Errorf("pages poll the contacts of the visitors: set --visitors or --idle")
	case c.PagesVia != "socket" && c.PagesVia != "poll":
		return nil, fmt.Errorf("pages-via %q: want socket or poll", c.PagesVia)
	case c.Pages > 0 && (c.PageInterval < 100*time.Millisecond || c.PagesFor < c.PageInterval || c.PagesFor > time.Hour):
		return nil, fmt.Errorf("pages: want a page interval of at least 100ms and a duration from one interval to 1h")
	case c.Duration < 0 || c.Duration > time.Hour:
		return nil, fmt.Errorf("duration %s: want 0 to 1h", c.Duration)
	case c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0):
		return nil, fmt.Errorf("rate must be a positive number")
	case c.Visitors > 0 && c.Agents == 0:
		return nil, fmt.Errorf("chatting visitors need at least one agent")
	case c.Workers < 1 || c.Workers > 64:
		return nil, fmt.Errorf("workers %d: want 1 to 64", c.Workers)
	case c.TextSize < 32 || c.TextSize > 4000:
		return nil, fmt.Errorf("text size %d: want 32 to 4000", c.TextSize)
	case c.ReplyEvery < 0:
		return nil, fmt.Errorf("reply-every must not be negative")
	case c.Nodes < 1 || c.Nodes > 2:
		return nil, fmt.Errorf("nodes %d: want 1 or 2", c.Nodes)
	case c.Nodes == 2 && !c.Spawn:
		return nil, fmt.Errorf("--nodes 2 needs --spawn")
	case c.Nodes == 2 && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://"):
		return nil, fmt.Errorf("--nodes 2 needs --database-url postgres://… (the nodes share the database)")
	case c.DatabaseURL != "" && !c.Spawn:
		return nil, fmt.Errorf("--database-url is for --spawn")
	case c.NATSURL != "" && c.Nodes != 2:
		return nil, fmt.Errorf("--nats-url is for --nodes 2")
	case c.AgentsOn != "a" && c.AgentsOn != "b" && c.AgentsOn != "split":
		return nil, fmt.Errorf("agents-on %q: want a, b or split", c.AgentsOn)
	}
	if err := c.Ports.check(); err != nil {
		return nil, err
	}
	if c.Visitors > 0 && c.Rate/float64(c.Visitors) > maxVisitorRate {
		return nil, fmt.Errorf("rate %.0f/s over %d visitors is %.1f messages/s per connection; the server allows 12 (120 frames per 10 s): use at least --visitors %d",
			c.Rate, c.Visitors, c.Rate/float64(c.Visitors), int(math.Ceil(c.Rate/maxVisitorRate)))
	}
	if !c.Spawn {
		if c.AdminPassword == "" {
			return nil, fmt.Errorf("set --admin-password or INTERACT_ADMIN_PASSWORD (or use --spawn)")
		}
		if err := loopbackURL(c.URL); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// loopbackURL refuses anything but http://<loopback>:port.
func loopbackURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return fmt.Errorf("url %q: want http://127.0.0.1:PORT", s)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("url %q: the load tool targets loopback addresses only", s)
	}
	return nil
}

// parseAddrs reads "127.0.0.1,127.0.0.2" or "127.0.0.1-8".
func parseAddrs(s string) ([]string, error) {
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lo, hi := part, ""
		if i := strings.LastIndexByte(part, '-'); i > 0 {
			lo, hi = part[:i], part[i+1:]
		}
		ip := net.ParseIP(lo).To4()
		if ip == nil || !ip.IsLoopback() {
			return nil, fmt.Errorf("address %q: want a loopback IPv4 address such as 127.0.0.2", part)
		}
		if hi == "" {
			out = append(out, ip.String())
			continue
		}
		end, err := strconv.Atoi(hi)
		if err != nil || end < int(ip[3]) || end > 254 {
			return nil, fmt.Errorf("address range %q: want 127.0.0.A-B with A ≤ B ≤ 254", part)
		}
		for o := int(ip[3]); o <= end; o++ {
			out = append(out, net.IPv4(ip[0], ip[1], ip[2], byte(o)).String())
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no source address")
	}
	return out, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "interact-load:", err)
		os.Exit(1)
	}
}

// run is the whole program; tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseLoadConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.Worker {
		return runWorker(ctx, os.Stdin, stdout)
	}
	rep, err := runLoad(ctx, cfg, stderr)
	if rep != nil {
		rep.print(stdout)
	}
	if err != nil {
		return err
	}
	return rep.verdict()
}

// runLoad runs one load test and returns its report (also when it failed
// part-way, with what was measured).
func runLoad(ctx context.Context, cfg *loadConfig, logw io.Writer) (*loadReport, error) {
	logf := func(format string, args ...any) {
		fmt.Fprintf(logw, "interact-load: "+format+"\n", args...)
	}
	rep := &loadReport{cfg: cfg}
	base := cfg.URL
	pid := cfg.ServerPID
	agentBase := ""
	var nodes *loadNodes
	if cfg.Spawn {
		self, _ := os.Executable()
		bin, cleanup, err := serverBinary(ctx, cfg.Bin, self, logf)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		cfg.Bin = bin
		if nodes, err = spawnNodes(ctx, cfg, logw); err != nil {
			return nil, err
		}
		defer nodes.stop(logw, cfg.Keep)
		base, pid = nodes.a.url, nodes.a.pid
		cfg.AdminEmail, cfg.AdminPassword = nodes.a.adminEmail, nodes.a.adminPassword
		logf("spawned server pid %d at %s (data %s)", pid, base, nodes.a.dir)
		if nodes.b != nil {
			logf("spawned node B (routing owner) pid %d at %s; visitors on node A, agents on node %s", nodes.b.pid, nodes.b.url, cfg.AgentsOn)
			if cfg.AgentsOn != "a" {
				agentBase = nodes.b.url
			}
		}
	}
	base = strings.TrimRight(base, "/")
	if agentBase == "" {
		agentBase = base
	}
	if pid == 0 {
		var err error
		if pid, err = findServerPID(base); err != nil {
			logf("server RSS unavailable: %v (pass --server-pid)", err)
		}
	}
	serverPIDs := []int{pid}
	if nodes != nil {
		serverPIDs = nodes.pids()
	}
	serverCPU := func() time.Duration {
		var d time.Duration
		for _, p := range serverPIDs {
			if p != 0 {
				d += procCPU(p)
			}
		}
		return d
	}
	rep.pid = pid
	rss := func() int64 {
		if pid == 0 {
			return 0
		}
		if cfg.Settle > 0 {
			// Garbage from earlier phases (argon2 hashing at setup, handshake
			// buffers) stays resident until a GC frees it and the scavenger
			// returns it; an idle server may not collect for minutes.
			if err := nudgeGC(base, 2, 30*time.Second); err != nil {
				logf("nudge GC: %v", err)
			}
		}
		v, err := settledRSS(pid, cfg.Settle)
		if err != nil {
			logf("read RSS: %v", err)
		}
		return v
	}

	start := time.Now()
	plan, err := setupLoad(ctx, base, cfg.AdminEmail, cfg.AdminPassword, setupSpec{
		Visitors: cfg.Visitors, Agents: cfg.Agents, Idle: cfg.Idle, LocalAddr: cfg.Addrs[0],
	}, logf)
	if err != nil {
		return rep, fmt.Errorf("setup: %w", err)
	}
	logf("setup: %d chat services, %d idle services, %d agents (%s)", len(plan.ChatServices), len(plan.IdleServices), len(plan.Agents), time.Since(start).Round(time.Millisecond))

	agents := newAgentPool(agentBase, cfg.Addrs[0], cfg.ReplyEvery)
	defer agents.close()
	// With --agents-on split, every other agent connects to the visitors'
	// node: the same run then measures the same-node and the cross-node path.
	var sameNode *agentPool
	crossCreds := plan.Agents
	if cfg.AgentsOn == "split" && nodes != nil && nodes.b != nil {
		sameNode = newAgentPool(base, cfg.Addrs[0], cfg.ReplyEvery)
		defer sameNode.close()
		var sameCreds []agentCred
		crossCreds = nil
		for i, c := range plan.Agents {
			if i%2 == 0 {
				crossCreds = append(crossCreds, c)
			} else {
				sameCreds = append(sameCreds, c)
			}
		}
		if err := sameNode.connect(ctx, sameCreds, false); err != nil {
			return rep, fmt.Errorf("agents on node A: %w", err)
		}
	}
	start = time.Now()
	if err := agents.connect(ctx, crossCreds, false); err != nil {
		return rep, fmt.Errorf("agents: %w", err)
	}
	if plan.Holder != nil {
		if err := agents.connect(ctx, []agentCred{*plan.Holder}, true); err != nil {
			return rep, fmt.Errorf("holder agent: %w", err)
		}
	}
	rep.agents = len(plan.Agents)
	defer func() { rep.preHello = agents.preHello.Load() }()
	logf("agents: %d online and available (%s)", len(plan.Agents), time.Since(start).Round(time.Millisecond))

	workers, err := startWorkers(ctx, cfg, base, plan, logw)
	if err != nil {
		return rep, err
	}
	defer workers.close(logw)

	// Chatting visitors: start their tasks and wait until agents took them.
	start = time.Now()
	// With too few agents for every chat some visitors stay waiting: do
	// not wait long for them.
	patience := 5 * time.Second
	if cfg.Agents*chatsPerAgent < cfg.Visitors {
		patience = 1500 * time.Millisecond
	}
	res, err := workers.call(ctx, workerCmd{Cmd: "chat", Patience: patience}, 3*time.Minute+time.Duration(cfg.Visitors)*20*time.Millisecond)
	if err != nil {
		return rep, fmt.Errorf("chat visitors: %w", err)
	}
	for _, r := range res {
		rep.chat.add(r.Chat)
	}
	logf("chat visitors: %d open, %d connected to an agent, %d failed (%s)", rep.chat.Open, rep.chat.Connected, rep.chat.Failed, time.Since(start).Round(time.Millisecond))

	// Idle visitors: tasks first, then sockets, with an RSS reading between.
	if cfg.Idle > 0 {
		rep.rssBefore = rss()
		rep.metricsBefore = fetchMetrics(base)
		start = time.Now()
		res, err = workers.call(ctx, workerCmd{Cmd: "idle-tasks"}, 10*time.Minute)
		if err != nil {
			return rep, fmt.Errorf("idle tasks: %w", err)
		}
		for _, r := range res {
			rep.idle.add(r.Idle)
		}
		logf("idle tasks: %d created, %d failed (%s)", rep.idle.Tasks, rep.idle.Failed, time.Since(start).Round(time.Millisecond))
		rep.rssTasks = rss()
		rep.metricsTasks = fetchMetrics(base)
		start = time.Now()
		res, err = workers.call(ctx, workerCmd{Cmd: "idle-open"}, 10*time.Minute)
		if err != nil {
			return rep, fmt.Errorf("idle sockets: %w", err)
		}
		for _, r := range res {
			rep.idle.Open += r.Idle.Open
			rep.idle.OpenFailed += r.Idle.OpenFailed
			rep.idle.Ended += r.Idle.Ended
		}
		logf("idle sockets: %d open, %d failed (%s)", rep.idle.Open, rep.idle.OpenFailed, time.Since(start).Round(time.Millisecond))
		rep.rssAfter = rss()
		rep.metricsAfter = fetchMetrics(base)
	}

	// Pages polling the config, alone on the server.
	if cfg.Pages > 0 {
		if err := runPages(ctx, cfg, workers, rep, serverCPU, rss, logf); err != nil {
			return rep, err
		}
	}

	// The measured run.
	if cfg.Visitors > 0 && cfg.Duration > 0 && cfg.Rate > 0 {
		runStart := time.Now().Add(500 * time.Millisecond)
		agents.reset(runStart)
		if sameNode != nil {
			sameNode.reset(runStart)
		}
		toolCPU := func() time.Duration {
			d := procCPU(os.Getpid())
			for _, p := range workers.pids {
				d += procCPU(p)
			}
			return d
		}
		serverCPU0, toolCPU0, writes0 := serverCPU(), toolCPU(), procWriteBytes(pid)
		rep.runMetrics0 = fetchMetrics(base)
		logf("run: %.0f messages/s over %d visitors for %s", cfg.Rate, cfg.Visitors, cfg.Duration)
		res, err = workers.call(ctx, workerCmd{Cmd: "run", Rate: cfg.Rate / float64(cfg.Visitors), Start: runStart.UnixNano(), Duration: cfg.Duration},
			cfg.Duration+2*time.Minute)
		if err != nil {
			return rep, fmt.Errorf("run: %w", err)
		}
		for _, r := range res {
			rep.run.add(r.Run)
		}
		rep.serverWrites = -1
		if pid != 0 {
			rep.serverCPU = serverCPU() - serverCPU0
			if w := procWriteBytes(pid); w >= 0 && writes0 >= 0 {
				rep.serverWrites = w - writes0
			}
		}
		rep.toolCPU = toolCPU() - toolCPU0
		rep.runMetrics1 = fetchMetrics(base)
		// Give the last deliveries to agents a moment.
		if sameNode == nil {
			agents.waitDelivered(rep.run.AckedConnected, 5*time.Second)
		} else {
			for deadline := time.Now().Add(5 * time.Second); agents.delivered()+sameNode.delivered() < rep.run.AckedConnected && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			rep.sameNodeLat = sameNode.latency()
			rep.delivered, rep.agentErrors = sameNode.delivered(), sameNode.errors()
		}
		rep.delivered += agents.delivered()
		rep.agentLat = agents.latency()
		rep.agentErrors += agents.errors()
		if cfg.Timeline {
			agents.timeline(logw, cfg.Duration)
		}
		if e := agents.firstError(); e != "" {
			logf("first error frame an agent received: %s", e)
		}
		rep.runSeconds = cfg.Duration.Seconds()
		logf("run: %d sent, %d acknowledged", rep.run.Sent, rep.run.Acked)

		res, err = workers.call(ctx, workerCmd{Cmd: "verify"}, 10*time.Minute)
		if err != nil {
			return rep, fmt.Errorf("verify: %w", err)
		}
		for _, r := range res {
			rep.verify.add(r.Verify)
		}
		rep.verified = true
	}
	// End the tasks on a server that lives on, so that the next run does not
	// meet full services (capacity_reached); a spawned server is discarded.
	if _, err := workers.call(ctx, workerCmd{Cmd: "close", EndIdle: !cfg.Spawn}, 10*time.Minute); err != nil {
		logf("close visitors: %v", err)
	}
	return rep, nil
}

// errLoadFailed is returned when the report shows lost or duplicated messages.
var errLoadFailed = errors.New("load test failed")
