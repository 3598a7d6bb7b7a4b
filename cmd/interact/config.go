package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/interact-oss/interact/outbox"
	"github.com/interact-oss/interact/turnserver"
	"github.com/interact-oss/interact/web/endpoint"
)

// config is every setting of `interact serve`. Each flag has an INTERACT_*
// environment equivalent; a flag given on the command line wins.
type config struct {
	Addr            string
	DataDir         string
	DatabaseURL     string
	NATSURL         string
	PublicURL       string
	Demo            bool
	AdminEmail      string
	AdminPassword   string // environment only: flags show in process lists
	KeyGrace        time.Duration
	AgentGrace      time.Duration
	VisitorGrace    time.Duration
	FirstGrace      time.Duration // --first-connect-grace
	AddressShare    float64
	SocketsPerAddr  int
	WidgetRate      int
	TaskRate        int
	KeyRate         int
	TLSCert         string // PEM certificate chain; with TLSKey, serve HTTPS
	TLSKey          string
	TrustedProxies  string           // CIDRs, comma-separated
	proxies         endpoint.Proxies // parsed from TrustedProxies
	LogLevel        slog.Level
	LogFormat       string
	ShutdownTimeout time.Duration
	DebugAddr       string // loopback address serving /debug/pprof/, or ""

	DisableExperimental string // experimental features switched off for everyone, comma-separated ("interact")

	// E-mail (mail.go): no SMTP URL, no e-mail.
	SMTPURL     string
	MailFrom    string
	SMTPTimeout time.Duration
	smtp        outbox.SMTP // parsed from SMTPURL

	// Calls' media path (turn.go).
	TURN           string // on or off
	TURNUDP        string // listen address, or off
	TURNTCP        string // listen address, or off
	TURNPublicIP   string
	TURNRelayPorts string // LOW-HIGH
	TURNRealm      string
	TURNSecret     string // default: generated once and kept in the database
	TURNURLs       string // external TURN server: disables the embedded one
	TURNTTL        time.Duration
	ForceRelay     bool

	turnMinPort, turnMaxPort int // parsed from TURNRelayPorts
}

// parseConfig reads flags, then fills unset ones from the environment.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("interact serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Addr, "addr", ":8080", "address to listen on (INTERACT_ADDR)")
	fs.StringVar(&c.DataDir, "data", "./data", "data directory (INTERACT_DATA)")
	fs.StringVar(&c.DatabaseURL, "database-url", "", "sqlite:PATH or postgres://… (INTERACT_DATABASE_URL; default sqlite:DATA/interact.db)")
	fs.StringVar(&c.NATSURL, "nats-url", "", "nats://host:port: run as one node of several, sharing events over NATS (INTERACT_NATS_URL)")
	fs.StringVar(&c.PublicURL, "public-url", "", "URL browsers reach interact at (INTERACT_PUBLIC_URL; default http://localhost:PORT)")
	fs.BoolVar(&c.Demo, "demo", false, "seed a demo OU tree, service, agent and domain template (INTERACT_DEMO=1)")
	fs.StringVar(&c.AdminEmail, "admin-email", "admin@example.com", "first-run tenant admin e-mail (INTERACT_ADMIN_EMAIL)")
	fs.DurationVar(&c.KeyGrace, "key-grace", 24*time.Hour, "default validity of a rotated widget key (INTERACT_KEY_GRACE)")
	fs.DurationVar(&c.AgentGrace, "agent-grace", 30*time.Second, "how long a disconnected agent keeps its tasks (INTERACT_AGENT_GRACE)")
	fs.DurationVar(&c.VisitorGrace, "visitor-grace", 2*time.Minute, "how long a task waits for a disconnected visitor (INTERACT_VISITOR_GRACE)")
	fs.IntVar(&c.SocketsPerAddr, "sockets-per-address", 2000, "open WebSockets (visitors' and agents') per client address (INTERACT_SOCKETS_PER_ADDRESS)")
	fs.Float64Var(&c.AddressShare, "address-share", 0.5, "part (0 to 1] of a service's open chats one client address may hold (INTERACT_ADDRESS_SHARE)")
	fs.DurationVar(&c.FirstGrace, "first-connect-grace", 15*time.Second, "how long a new task waits for its visitor's first connection (INTERACT_FIRST_CONNECT_GRACE)")
	fs.IntVar(&c.WidgetRate, "widget-rate", 600, "widget requests per client address per minute (INTERACT_WIDGET_RATE)")
	fs.IntVar(&c.TaskRate, "task-rate", 20, "new tasks per client address per minute (INTERACT_TASK_RATE)")
	fs.IntVar(&c.KeyRate, "key-rate", 600, "new tasks per widget key per minute (INTERACT_KEY_RATE)")
	fs.StringVar(&c.TLSCert, "tls-cert", "", "PEM certificate (chain) file: serve HTTPS with --tls-key (INTERACT_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", "", "PEM private key file of --tls-cert (INTERACT_TLS_KEY)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", "", "reverse proxies (CIDRs or addresses, comma-separated) whose X-Forwarded-For / Forwarded names the client (INTERACT_TRUSTED_PROXIES)")
	level := fs.String("log-level", "info", "debug, info, warn or error (INTERACT_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", "text", "text or json (INTERACT_LOG_FORMAT)")
	fs.StringVar(&c.DisableExperimental, "disable-experimental", "", "switch experimental features off for everyone, e.g. interact (INTERACT_DISABLE_EXPERIMENTAL)")
	fs.StringVar(&c.DebugAddr, "debug-addr", "", "loopback address serving Go's profiles and execution traces at /debug/pprof/, e.g. 127.0.0.1:6060 (INTERACT_DEBUG_ADDR; default off)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "grace for open requests on SIGTERM (INTERACT_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&c.TURN, "turn", "on", "on or off: off gives calls no STUN or TURN server (INTERACT_TURN)")
	fs.StringVar(&c.TURNUDP, "turn-udp", ":3478", "embedded TURN server's UDP listen address, or off (INTERACT_TURN_UDP)")
	fs.StringVar(&c.TURNTCP, "turn-tcp", ":3478", "embedded TURN server's TCP listen address, or off (INTERACT_TURN_TCP)")
	fs.StringVar(&c.TURNPublicIP, "turn-public-ip", "", "IPv4 address browsers reach the TURN server and its relays at (INTERACT_TURN_PUBLIC_IP; default: the listen address, else the default route's)")
	fs.StringVar(&c.TURNRelayPorts, "turn-relay-ports", "49152-65535", "UDP ports of relays, LOW-HIGH (INTERACT_TURN_RELAY_PORTS)")
	fs.StringVar(&c.TURNRealm, "turn-realm", turnserver.DefaultRealm, "TURN realm (INTERACT_TURN_REALM)")
	fs.StringVar(&c.TURNSecret, "turn-secret", "", "TURN REST API shared secret; prefer INTERACT_TURN_SECRET, flags show in process lists (default: generated and kept in the database)")
	fs.StringVar(&c.TURNURLs, "turn-urls", "", "external TURN server URLs, comma-separated, instead of the embedded server (INTERACT_TURN_URLS)")
	fs.DurationVar(&c.TURNTTL, "turn-ttl", turnserver.DefaultTTL, "how long TURN credentials may start relays (INTERACT_TURN_TTL)")
	fs.StringVar(&c.SMTPURL, "smtp-url", "", "SMTP server for e-mail: smtp://user:password@host:587 (STARTTLS), smtps://user:password@host:465 (implicit TLS) or smtp://127.0.0.1:25?tls=none (loopback only); prefer INTERACT_SMTP_URL, flags show in process lists (default: no e-mail)")
	fs.StringVar(&c.MailFrom, "mail-from", "", "sender address of e-mail, e.g. \"Support <noreply@example.com>\" (INTERACT_MAIL_FROM; required with --smtp-url)")
	fs.DurationVar(&c.SMTPTimeout, "smtp-timeout", 30*time.Second, "bound of each step of an SMTP conversation; a mail being sent is claimed for four times as long (INTERACT_SMTP_TIMEOUT)")
	fs.BoolVar(&c.ForceRelay, "force-relay", false, "calls send media only through TURN (INTERACT_FORCE_RELAY=1)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err := fillFromEnv(fs, getenv); err != nil {
		return nil, err
	}
	c.AdminPassword = getenv("INTERACT_ADMIN_PASSWORD")
	if err := c.LogLevel.UnmarshalText([]byte(*level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", *level)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return nil, fmt.Errorf("log format %q: want text or json", c.LogFormat)
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = "sqlite:" + filepath.Join(c.DataDir, "interact.db")
	}
	if err := checkDatabaseURL(c.DatabaseURL); err != nil {
		return nil, err
	}
	if c.NATSURL != "" && !strings.HasPrefix(c.NATSURL, "nats://") && !strings.HasPrefix(c.NATSURL, "tls://") {
		return nil, fmt.Errorf("nats url %q: want nats://host:port or tls://host:port (comma-separated for a cluster)", c.NATSURL)
	}
	if c.AddressShare <= 0 || c.AddressShare > 1 {
		return nil, fmt.Errorf("address share %v: want a part from above 0 to 1", c.AddressShare)
	}
	if c.AgentGrace <= 0 || c.VisitorGrace <= 0 || c.FirstGrace <= 0 {
		return nil, fmt.Errorf("agent and visitor grace must be positive")
	}
	if c.WidgetRate <= 0 || c.TaskRate <= 0 || c.KeyRate <= 0 || c.SocketsPerAddr <= 0 {
		return nil, fmt.Errorf("rates must be positive")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return nil, fmt.Errorf("tls: give both --tls-cert and --tls-key, or neither")
	}
	if c.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(c.TLSCert, c.TLSKey); err != nil {
			return nil, fmt.Errorf("tls: %w", err)
		}
	}
	var err error
	if c.proxies, err = endpoint.ParseProxies(c.TrustedProxies); err != nil {
		return nil, err
	}
	if c.KeyGrace < 0 {
		return nil, fmt.Errorf("key grace %s: must not be negative", c.KeyGrace)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("public url %q: want http(s)://host[:port] without a path", c.PublicURL)
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	if err := checkDebugAddr(c.DebugAddr); err != nil {
		return nil, err
	}
	if err := c.checkTURN(); err != nil {
		return nil, err
	}
	if err := c.checkMail(); err != nil {
		return nil, err
	}
	return c, nil
}

// checkDebugAddr refuses a debug listener reachable from elsewhere:
// profiles show request data and cost CPU.
func checkDebugAddr(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		return fmt.Errorf("debug addr %q: want a loopback host:port, e.g. 127.0.0.1:6060", addr)
	}
	return nil
}

// fillFromEnv sets each flag not given on the command line from its
// INTERACT_* environment variable (--turn-udp: INTERACT_TURN_UDP).
func fillFromEnv(fs *flag.FlagSet, getenv func(string) string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var errs []string
	fs.VisitAll(func(f *flag.Flag) {
		env := "INTERACT_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(env); v != "" && !set[f.Name] {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Sprintf("%s=%q: %v", env, v, err))
			}
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("bad environment: %s", strings.Join(errs, "; "))
	}
	return nil
}

// checkDatabaseURL accepts sqlite:PATH (or a bare path) and postgres://….
func checkDatabaseURL(s string) error {
	switch {
	case strings.HasPrefix(s, "postgres://"), strings.HasPrefix(s, "postgresql://"):
		if _, err := url.Parse(s); err != nil {
			return fmt.Errorf("database url: not a valid PostgreSQL URL")
		}
	case strings.Contains(s, "://") && !strings.HasPrefix(s, "sqlite:"):
		return fmt.Errorf("database url %q: unsupported database URL scheme (want sqlite:PATH or postgres://…)", redactURL(s))
	}
	return nil
}

// redactURL hides the password of a URL, for messages and logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return s
	}
	return u.Redacted()
}

// publicURLFor derives the default public URL from the bound address.
func publicURLFor(addr string) string {
	host, port := "localhost", addr
	if i := strings.LastIndex(addr, ":"); i >= 0 {
		port = addr[i+1:]
		if h := strings.Trim(addr[:i], "[]"); h != "" && h != "0.0.0.0" && h != "::" {
			host = h
			if strings.Contains(h, ":") {
				host = "[" + h + "]"
			}
		}
	}
	if _, err := strconv.Atoi(port); err != nil {
		return "http://" + addr
	}
	return "http://" + host + ":" + port
}
