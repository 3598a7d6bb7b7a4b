package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/natsbus/natstest"
)

// syncBuffer is an io.Writer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var listening = regexp.MustCompile(`listening on (https?://\S+)`)

// loopbackTURN keeps test servers off the default TURN port 3478.
var loopbackTURN = []string{"--turn-udp", "127.0.0.1:0", "--turn-tcp", "127.0.0.1:0"}

type instance struct {
	url    string
	stdout *syncBuffer
	stderr *syncBuffer
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// start runs the server in-process and waits until it serves.
func start(t *testing.T, env map[string]string, args ...string) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		in.done <- run(ctx, append(append([]string{"serve", "--addr", "127.0.0.1:0"}, loopbackTURN...), args...), func(k string) string { return env[k] }, in.stdout, in.stderr)
	}()
	defer func() {
		if in.url == "" {
			t.Logf("stdout: %s\nstderr: %s", in.stdout, in.stderr)
		}
	}()
	eventually.Within(t, 20*time.Second, "the server to listen", func() bool {
		select {
		case err := <-in.done:
			t.Fatalf("run returned early: %v", err)
		default:
		}
		if m := listening.FindStringSubmatch(in.stdout.String()); m != nil {
			in.url = m[1]
		}
		return in.url != ""
	})
	t.Cleanup(func() { in.stop(t) })
	return in
}

func (in *instance) stop(t *testing.T) {
	t.Helper()
	in.once.Do(func() {
		in.cancel()
		select {
		case err := <-in.done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("server did not shut down")
		}
	})
}

func TestServeHealthAndShutdown(t *testing.T) {
	dir := t.TempDir()
	in := start(t, map[string]string{"INTERACT_ADMIN_PASSWORD": "admin-password-1"}, "--data", dir)
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		resp, err := http.Get(in.url + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET %s: %d", p, resp.StatusCode)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "interact.db")); err != nil {
		t.Errorf("no SQLite file in the data directory: %v", err)
	}
	in.stop(t)
	if !strings.Contains(in.stderr.String(), "stopped") {
		t.Errorf("no graceful shutdown in the log: %s", in.stderr)
	}
	if _, err := http.Get(in.url + "/healthz"); err == nil {
		t.Error("still serving after shutdown")
	}
}

func TestBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	err = run(context.Background(), append([]string{"--addr", ln.Addr().String(), "--data", dir}, loopbackTURN...), func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "address already in use") || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Fatalf("busy port: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "interact.db")); err == nil {
		t.Error("a busy port still created the database")
	}
}

func TestBadConfig(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad duration env", nil, map[string]string{"INTERACT_KEY_GRACE": "soon"}, "INTERACT_KEY_GRACE"},
		{"bad bool env", nil, map[string]string{"INTERACT_DEMO": "perhaps"}, "INTERACT_DEMO"},
		{"bad public url", []string{"--public-url", "ftp://x"}, nil, "public url"},
		{"public url with path", []string{"--public-url", "https://x.example/app"}, nil, "without a path"},
		{"bad log level", []string{"--log-level", "loud"}, nil, "log level"},
		{"nats unreachable", nil, map[string]string{"INTERACT_NATS_URL": "nats://127.0.0.1:1"}, "NATS is unreachable"},
		{"nats bad url", []string{"--nats-url", "http://127.0.0.1:4222"}, nil, "nats url"},
		{"bad postgres url", []string{"--database-url", "postgres://u:p@host:port/x"}, nil, "not a valid PostgreSQL URL"},
		{"unreachable postgres", []string{"--database-url", "postgres://interact@127.0.0.1:1/x?connect_timeout=5"}, nil, "open store"},
		{"unknown db", []string{"--database-url", "mysql://localhost/x"}, nil, "unsupported database URL"},
		{"unknown flag", []string{"--colour", "red"}, nil, "colour"},
		{"unknown command", []string{"launch"}, nil, "unknown command"},
		{"negative grace", []string{"--key-grace", "-1h"}, nil, "negative"},
		{"bad trusted proxy", []string{"--trusted-proxies", "10.0.0.0/8,proxy.local"}, nil, `trusted proxy "proxy.local"`},
		{"bad trusted proxy env", nil, map[string]string{"INTERACT_TRUSTED_PROXIES": "10.0.0.0/33"}, "trusted proxy"},
		{"no sockets per address", []string{"--sockets-per-address", "0"}, nil, "must be positive"},
		{"address share over 1", []string{"--address-share", "1.5"}, nil, "address share"},
		{"debug addr not loopback", []string{"--debug-addr", "0.0.0.0:6060"}, nil, "debug addr"},
		{"debug addr by name", []string{"--debug-addr", "example.com:6060"}, nil, "debug addr"},
		{"smtp url bad scheme", nil, map[string]string{"INTERACT_SMTP_URL": "http://mail.example.com", "INTERACT_MAIL_FROM": "a@example.com"}, "smtp:// (STARTTLS) or smtps://"},
		{"smtp url without tls off loopback", []string{"--smtp-url", "smtp://mail.example.com?tls=none", "--mail-from", "a@example.com"}, nil, "loopback"},
		{"smtp url without from", nil, map[string]string{"INTERACT_SMTP_URL": "smtp://u:p@mail.example.com"}, "INTERACT_MAIL_FROM"},
		{"mail from without smtp", nil, map[string]string{"INTERACT_MAIL_FROM": "a@example.com"}, "INTERACT_SMTP_URL"},
		{"bad mail from", nil, map[string]string{"INTERACT_SMTP_URL": "smtps://u:p@mail.example.com", "INTERACT_MAIL_FROM": "not an address"}, "mail from"},
		{"smtp password not shown", nil, map[string]string{"INTERACT_SMTP_URL": "smtps://u:hunter2@mail.example.com:0", "INTERACT_MAIL_FROM": "a@example.com"}, "xxxxx"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{}, c.args...)
			if len(args) == 0 || args[0] != "launch" {
				args = append(append(args, "--addr", "127.0.0.1:0", "--data", t.TempDir()), loopbackTURN...)
			}
			err := run(context.Background(), args, func(k string) string { return c.env[k] }, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

// --debug-addr serves profiles and runtime metrics on a loopback listener
// of its own; the public listener has neither.
func TestDebugListener(t *testing.T) {
	in := start(t, map[string]string{"INTERACT_ADMIN_PASSWORD": "admin-password-1"}, "--data", t.TempDir(), "--debug-addr", "127.0.0.1:0")
	m := regexp.MustCompile(`msg="serving profiles" addr=(\S+)`).FindStringSubmatch(in.stderr.String())
	if m == nil {
		t.Fatalf("no debug listener in the log: %s", in.stderr)
	}
	for url, want := range map[string]int{"http://" + m[1] + "/debug/pprof/goroutine?debug=1": 200, in.url + "/debug/pprof/": 404, in.url + "/debug/metrics": 404} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", url, resp.StatusCode, want)
		}
	}
	resp, err := http.Get("http://" + m[1] + "/debug/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []*regexp.Regexp{regexp.MustCompile(`(?m)^/sched/pauses/total/gc:seconds count=\d+ p50=\S+ p99=\S+ max=\S+$`),
		regexp.MustCompile(`(?m)^/memory/classes/heap/objects:bytes [1-9]\d*$`)} {
		if !want.Match(b) {
			t.Errorf("/debug/metrics has no line matching %s:\n%.2000s", want, b)
		}
	}
}

func TestFlagBeatsEnvironment(t *testing.T) {
	c, err := parseConfig([]string{"--addr", ":9999"}, func(k string) string {
		return map[string]string{"INTERACT_ADDR": ":7777", "INTERACT_DATA": "/srv/interact"}[k]
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9999" || c.DataDir != "/srv/interact" || c.DatabaseURL != "sqlite:/srv/interact/interact.db" {
		t.Errorf("config %+v", c)
	}
}

func TestFirstRunPrintsGeneratedPasswordOnce(t *testing.T) {
	dir := t.TempDir()
	in := start(t, nil, "--data", dir)
	m := regexp.MustCompile(`created tenant admin (\S+)\n\s+password: (\S+)`).FindStringSubmatch(in.stdout.String())
	if m == nil {
		t.Fatalf("no generated password printed: %s", in.stdout)
	}
	if m[1] != "admin@example.com" {
		t.Errorf("admin e-mail %q", m[1])
	}
	c := login(t, in.url, m[1], m[2])
	if c == nil {
		t.Fatal("cannot sign in with the printed password")
	}
	in.stop(t)

	again := start(t, nil, "--data", dir)
	if strings.Contains(again.stdout.String(), "password:") {
		t.Errorf("second run printed a password again: %s", again.stdout)
	}
}

// Every start names both consoles: the admin console and the agent console.
func TestRunPrintsConsoleURLs(t *testing.T) {
	in := start(t, map[string]string{"INTERACT_ADMIN_PASSWORD": "admin-password-1"}, "--data", t.TempDir())
	out := in.stdout.String()
	for _, p := range []string{"/admin", "/agent"} {
		if !regexp.MustCompile(regexp.QuoteMeta(in.url+p) + `(\s|$)`).MatchString(out) {
			t.Errorf("the output names no %s%s:\n%s", in.url, p, out)
		}
	}
}

// The README's first lines warn that the first go run compiles for a few
// minutes (the SQLite driver is pure Go).
func TestReadmeWarnsOfTheFirstBuild(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	head := strings.Join(strings.SplitN(string(b), "\n", 16)[:15], "\n")
	for _, want := range []string{"go run", "few minutes", "SQLite"} {
		if !strings.Contains(head, want) {
			t.Errorf("the README's first lines do not mention %q:\n%s", want, head)
		}
	}
}

// demoKey is the widget key of the snippet printed by --demo.
func demoKey(t *testing.T, stdout string) string {
	t.Helper()
	m := regexp.MustCompile(`data-widget-key="([^"]+)"`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no snippet printed: %s", stdout)
	}
	return m[1]
}

func login(t *testing.T, base, email, password string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	body, _ := json.Marshal(map[string]string{"email": email, "password": password})
	resp, err := c.Post(base+"/api/v1/session", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("login %s: %d %s", email, resp.StatusCode, b)
	}
	return c
}

func getJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestDemoSeedsOnce(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"INTERACT_ADMIN_PASSWORD": "admin-password-1", "INTERACT_DEMO": "1"}
	in := start(t, env, "--data", dir)
	if !strings.Contains(in.stdout.String(), "data-contact-id=") {
		t.Errorf("demo snippet not printed: %s", in.stdout)
	}
	agentPW := regexp.MustCompile(`agent@example.com / password (\S+)`).FindStringSubmatch(in.stdout.String())
	if agentPW == nil {
		t.Fatalf("agent password not printed: %s", in.stdout)
	}
	login(t, in.url, demoAgentEmail, agentPW[1])
	c := login(t, in.url, "admin@example.com", "admin-password-1")

	var services struct {
		Items []struct{ ID, Name, License string }
	}
	getJSON(t, c, in.url+"/api/v1/services", &services)
	if len(services.Items) != 1 || services.Items[0].Name != demoServiceName || services.Items[0].License != "contactCenter" {
		t.Fatalf("services %+v", services.Items)
	}
	var st struct {
		AudioVideo, InstantMessage, RestrictAccess bool
		DomainTemplateIDs                          []string `json:"domainTemplateIds"`
		ContactID                                  string   `json:"contactId"`
	}
	getJSON(t, c, in.url+"/api/v1/services/"+services.Items[0].ID+"/interact", &st)
	if !st.AudioVideo || !st.InstantMessage || !st.RestrictAccess || len(st.DomainTemplateIDs) != 1 {
		t.Errorf("demo interact settings %+v", st)
	}
	var tpl struct{ Origins []string }
	getJSON(t, c, in.url+"/api/v1/domain-templates/"+st.DomainTemplateIDs[0], &tpl)
	// The server listens on 127.0.0.1: the demo page may be opened at
	// localhost too, on the same port.
	alias := strings.Replace(in.url, "127.0.0.1", "localhost", 1)
	if len(tpl.Origins) != 2 || tpl.Origins[0] != in.url || tpl.Origins[1] != alias {
		t.Errorf("demo template origins %v, want [%s %s]", tpl.Origins, in.url, alias)
	}
	// The widget's config answers the demo page under both names.
	for _, origin := range []string{in.url, alias} {
		req, _ := http.NewRequest("GET", in.url+"/widget/v1/config?contactId="+st.ContactID+"&widgetKey="+demoKey(t, in.stdout.String()), nil)
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != origin {
			t.Errorf("widget config for the demo page at %s: %d, CORS %q", origin, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
		}
	}
	var ous struct{ Items []struct{ Name string } }
	getJSON(t, c, in.url+"/api/v1/ous", &ous)
	if len(ous.Items) != 3 {
		t.Errorf("demo OU tree %+v", ous.Items)
	}
	in.stop(t)

	again := start(t, env, "--data", dir)
	c = login(t, again.url, "admin@example.com", "admin-password-1")
	getJSON(t, c, again.url+"/api/v1/services", &services)
	if len(services.Items) != 1 {
		t.Errorf("second --demo run seeded again: %+v", services.Items)
	}
	if !strings.Contains(again.stdout.String(), st.ContactID) {
		t.Errorf("second run does not show the same demo contact: %s", again.stdout)
	}
}

// TestSIGTERM runs the real binary and stops it the way an init system does.
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "interact")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0", "--data", t.TempDir()}, loopbackTURN...)...)
	cmd.Env = append(os.Environ(), "INTERACT_ADMIN_PASSWORD=admin-password-1")
	stdout, _ := cmd.StdoutPipe()
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
	}()
	select {
	case u := <-urlc:
		resp, err := http.Get(u + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("binary did not start")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "stopped") {
		t.Errorf("no graceful stop logged: %s", stderr.String())
	}
}

// TestServeWithNATS runs two nodes in this process on one database and an
// in-process NATS server: exactly one owns routing, and a routing call made
// on the other (a widget asking whether agents are available) is answered.
func TestServeWithNATS(t *testing.T) {
	nats := natstest.Start(t)
	db := "sqlite:" + filepath.Join(t.TempDir(), "shared.db")
	env := map[string]string{"INTERACT_ADMIN_PASSWORD": "admin-password-1", "INTERACT_NATS_URL": nats.URL(), "INTERACT_DATABASE_URL": db}
	one := start(t, env, "--data", t.TempDir(), "--demo")
	two := start(t, env, "--data", t.TempDir())
	var owner, other *instance
	eventually.Within(t, 20*time.Second, "one routing owner", func() bool {
		a, b := routingOwnerAt(one.url), routingOwnerAt(two.url)
		switch {
		case a && !b:
			owner, other = one, two
		case b && !a:
			owner, other = two, one
		default:
			return false
		}
		return true
	})
	snippet := regexp.MustCompile(`data-contact-id="([^"]+)" data-widget-key="([^"]+)"`).FindStringSubmatch(one.stdout.String())
	if snippet == nil {
		t.Fatalf("no demo snippet: %s", one.stdout)
	}
	for _, in := range []*instance{owner, other} {
		req, _ := http.NewRequest("GET", in.url+"/widget/v1/config?contactId="+snippet[1]+"&widgetKey="+snippet[2], nil)
		req.Header.Set("Origin", one.url)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var cfg struct{ Available map[string]bool }
		err = json.NewDecoder(resp.Body).Decode(&cfg)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || cfg.Available == nil {
			t.Errorf("%s: widget config %d %+v %v", in.url, resp.StatusCode, cfg, err)
		}
	}
}

// routingOwnerAt reports whether the node at base says it runs the routing
// engine.
func routingOwnerAt(base string) bool {
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
