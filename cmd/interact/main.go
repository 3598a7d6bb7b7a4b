// Command interact is the interact website contact service: one binary that
// serves the admin API, the widget endpoints and the consoles.
//
//	interact [serve] [flags]               run the server (the default)
//	interact version                       print the version (also --version)
//	interact reset-password [flags] EMAIL  set a user's password, ending their sessions
//	interact backup [flags] PATH           copy the SQLite database online to a new file
//	interact help                          list the commands and serve's flags
//
// The load tool is a command of its own, cmd/interact-load.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/chatlog"
	"github.com/interact-oss/interact/cluster"
	"github.com/interact-oss/interact/membus"
	"github.com/interact-oss/interact/natsbus"
	"github.com/interact-oss/interact/realtime"
	"github.com/interact-oss/interact/routing"
	"github.com/interact-oss/interact/sqlstore"
	"github.com/interact-oss/interact/web"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "interact:", err)
		os.Exit(1)
	}
}

// run is the whole program; tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	} else if len(args) > 0 && (args[0] == "--version" || args[0] == "-version") {
		cmd, args = "version", args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, getenv, stdout, stderr)
	case "version":
		return version(args, stdout)
	case "reset-password":
		return resetPassword(ctx, args, getenv, stdout, stderr)
	case "backup":
		return backup(ctx, args, getenv, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, commands)
		_, err := parseConfig([]string{"-h"}, getenv, stdout)
		return err
	}
	return fmt.Errorf("unknown command %q (try: interact help)", cmd)
}

// commands is the head of `interact help`.
const commands = `Commands:
  interact [serve] [flags]               run the server (the default); its flags follow
  interact version                       print the version, VCS revision and Go version (also --version)
  interact reset-password [flags] EMAIL  set a user's password (INTERACT_NEW_PASSWORD, else generated and
                                         printed once) and end their sign-in sessions; --tenant ID
                                         chooses the user when the address is in several tenants
  interact backup [flags] PATH           copy the SQLite database, even while interact runs, to the new
                                         file PATH (PostgreSQL: use pg_dump)
reset-password and backup read --data and --database-url (INTERACT_DATA, INTERACT_DATABASE_URL) as serve does.

`

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	disabled, err := web.ParseExperimental(cfg.DisableExperimental)
	if err != nil {
		return err
	}
	var handler slog.Handler = slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})
	if cfg.LogFormat == "json" {
		handler = slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel})
	}
	log := slog.New(handler)

	// Listen first: a busy port fails at once, before any state is touched.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	if cfg.DebugAddr != "" {
		stop, err := serveDebug(cfg.DebugAddr, log)
		if err != nil {
			return fmt.Errorf("debug listener on %s: %w", cfg.DebugAddr, err)
		}
		defer stop()
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = publicURLFor(ln.Addr().String())
		if cfg.TLSCert != "" {
			cfg.PublicURL = "https://" + strings.TrimPrefix(cfg.PublicURL, "http://")
		}
	}
	turnSocks, err := listenTURN(cfg)
	if err != nil {
		return err
	}
	defer turnSocks.close() // for when no TURN server took them over; closing twice is harmless

	// An unreachable NATS fails at once too, before the store is touched.
	var bus interact.Bus = membus.New()
	var nb *natsbus.Bus
	if cfg.NATSURL != "" {
		if nb, err = natsbus.Connect(cfg.NATSURL, natsbus.Options{Name: "interact " + cfg.PublicURL, Log: log}); err != nil {
			return fmt.Errorf("NATS is unreachable (--nats-url): %w", err)
		}
		bus = nb
	}
	defer bus.Close()

	db, err := sqlstore.Open(ctx, cfg.DatabaseURL, sqlstore.WithLogger(log))
	if err != nil {
		return err
	}
	defer db.Close()

	if err := firstRun(ctx, db, cfg, stdout); err != nil {
		return err
	}
	if cfg.Demo {
		if err := seedDemo(ctx, db, cfg, stdout); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}

	mailer, err := startMail(cfg, db, log)
	if err != nil {
		return err
	}
	if mailer != nil {
		defer mailer.Close()
	}

	transcript := chatlog.New(db, bus, log)
	engine, err := router(ctx, cfg, log, db, bus, nb, transcript)
	if err != nil {
		return err
	}
	defer engine.Close()
	hub, err := realtime.NewHub(realtime.Config{Log: log}, bus)
	if err != nil {
		return err
	}
	defer hub.Close()
	secret, err := db.Secret(ctx, "visitor-token")
	if err != nil {
		return fmt.Errorf("token secret: %w", err)
	}

	media, err := startTURN(ctx, cfg, turnSocks, db, log)
	if err != nil {
		return err
	}
	defer media.Close()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(goPauses)), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "interact_routing_owner", Help: "1 while this node runs the routing engine."},
			func() float64 {
				if n, ok := engine.(*cluster.Node); ok && !n.Owner() {
					return 0
				}
				return 1
			}))
	media.register(reg)
	api := web.NewServer(web.Config{
		PublicURL: cfg.PublicURL, KeyGrace: cfg.KeyGrace, Logger: log, Registry: reg,
		Engine: engine, Hub: hub, Bus: bus, Transcript: transcript, TokenSecret: secret,
		WidgetRate: cfg.WidgetRate, TaskRate: cfg.TaskRate, KeyRate: cfg.KeyRate, TrustedProxies: cfg.proxies, SocketsPerAddress: cfg.SocketsPerAddr,
		DemoSnippet: demoSnippet(ctx, db, cfg), DisableExperimental: disabled,
		ICE:      media.iceFunc(),
		MailFrom: mailFrom(cfg, mailer), MailQueued: mailWake(mailer),
	}, db)
	defer api.Close()
	srv := &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(handler, slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "interact is listening on %s (data in %s)\n  admin console: %s/admin   (admin API %s/api/v1)\n  agent console: %s/agent\n",
		cfg.PublicURL, redactURL(cfg.DatabaseURL), cfg.PublicURL, cfg.PublicURL, cfg.PublicURL)
	log.Info("serving", "addr", ln.Addr().String(), "public_url", cfg.PublicURL)

	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			errc <- srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// goPauses adds to the Go collector's metrics the histograms of GC
// stop-the-world pauses (go_sched_pauses_total_gc_seconds) and of how long
// runnable goroutines wait for a thread (go_sched_latencies_seconds): what
// a message's tail latency is made of besides the store.
var goPauses = collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/sched/(pauses/total/gc|latencies):seconds$`)}

// routingRouter is the routing engine as web calls it, and its shutdown.
type routingRouter interface {
	web.Router
	Close()
}

// router returns the routing engine: on a single node the engine itself;
// with NATS a cluster node, which runs the engine only while it holds the
// routing lease and forwards calls to the node that does otherwise.
func router(ctx context.Context, cfg *config, log *slog.Logger, db *sqlstore.DB, bus interact.Bus, nb *natsbus.Bus, transcript *chatlog.Log) (routingRouter, error) {
	rc := routing.Config{Transcript: transcript, Log: log, AgentGrace: cfg.AgentGrace, VisitorGrace: cfg.VisitorGrace, FirstConnectGrace: cfg.FirstGrace, AddressShare: cfg.AddressShare}
	if nb == nil {
		engine := routing.New(rc, db, bus)
		if err := engine.Recover(ctx); err != nil {
			engine.Close()
			return nil, err
		}
		return engine, nil
	}
	leaser, ok := any(db).(cluster.Leaser)
	if !ok {
		return nil, fmt.Errorf("several nodes need a store with leases (PostgreSQL)")
	}
	node, err := cluster.Start(cluster.Config{Bus: nb, Lease: leaser, Store: db, Engine: rc, Log: log})
	if err != nil {
		return nil, err
	}
	log.Info("cluster node started", "node", node.ID())
	return node, nil
}
