package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact"
)

func TestMain(m *testing.M) {
	// With --workers 2 or more the tool re-executes its own binary as a
	// worker: in these tests, this test binary.
	if len(os.Args) == 2 && os.Args[1] == "--worker" {
		main()
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "interact-load-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBuild.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// serverBuild is the interact binary the tests spawn, built once.
var serverBuild struct {
	once     sync.Once
	dir, bin string
	err      error
}

// buildInteract builds the server binary (./cmd/interact) on first use.
func buildInteract(t *testing.T) string {
	t.Helper()
	serverBuild.once.Do(func() { serverBuild.bin, serverBuild.err = buildServer(context.Background(), serverBuild.dir) })
	if serverBuild.err != nil {
		t.Fatal(serverBuild.err)
	}
	return serverBuild.bin
}

// syncBuffer is an io.Writer safe for concurrent writers.
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

// TestLoadtestShortRun runs the load tool against a server it spawns, with
// two worker processes, fewer agents than chats (some visitors chat while
// waiting in the queue) and a few idle connections. Without --bin the tool
// builds the server itself.
func TestLoadtestShortRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and spawns it")
	}
	var stdout, stderr syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// The server's port comes from a flag: a free one, found here.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	err = run(ctx, []string{"--spawn", "--visitors", "20", "--agents", "4", "--idle", "30", "--server-addr", addr,
		"--duration", "3s", "--rate", "100", "--workers", "2", "--addrs", "127.0.0.1-2", "--settle", "0s"},
		func(string) string { return "" }, &stdout, &stderr)
	out := stdout.String()
	if err != nil {
		t.Fatalf("loadtest: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	t.Logf("report:\n%s\nlog:\n%s", out, stderr.String())
	num := func(re string) int {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("report lacks %s:\n%s", re, out)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if n := num(`\nacknowledged=(\d+) `); n < 200 {
		t.Errorf("acknowledged %d, want about 300", n)
	}
	if n := num(`\nacknowledged=\d+ stored=(\d+) `); n < num(`\nacknowledged=(\d+) `) {
		t.Errorf("stored %d < acknowledged", n)
	}
	if num(`missing=(\d+)`) != 0 || num(`duplicates=(\d+)`) != 0 || num(`seq_gaps=(\d+)`) != 0 {
		t.Errorf("lost, duplicated or out-of-order messages:\n%s", out)
	}
	if num(`connections: visitors=(\d+)`) != 20 || num(`idle=(\d+)`) != 30 {
		t.Errorf("connections:\n%s", out)
	}
	// Four agents take three chats each; the other visitors wait, and
	// their messages are stored and acknowledged all the same.
	if n := num(`connected to an agent (\d+)`); n != 12 {
		t.Errorf("%d chats connected, want 12 (4 agents × 3)", n)
	}
	if n := num(`delivered to agents: (\d+)`); n == 0 {
		t.Errorf("no message reached an agent")
	}
	if !strings.Contains(out, "latency visitor→agent: p50=") || !strings.Contains(out, "rss per idle connection:") {
		t.Errorf("report lacks latency or memory figures:\n%s", out)
	}
	if !strings.Contains(stderr.String(), "at http://"+addr+" ") {
		t.Errorf("the server did not listen on --server-addr %s:\n%s", addr, stderr.String())
	}
	if !strings.Contains(stderr.String(), "built the server from ./cmd/interact") {
		t.Errorf("the server was not built:\n%s", stderr.String())
	}
}

// TestServerBinary: --bin wins, then an interact binary next to this
// executable.
func TestServerBinary(t *testing.T) {
	nolog := func(string, ...any) {}
	dir := t.TempDir()
	self, next := filepath.Join(dir, "interact-load"), filepath.Join(dir, "interact")
	if err := os.WriteFile(next, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ bin, want string }{{"other/interact", "other/interact"}, {"", next}} {
		bin, cleanup, err := serverBinary(context.Background(), c.bin, self, nolog)
		if err != nil || bin != c.want {
			t.Errorf("--bin %q: %q, %v; want %s", c.bin, bin, err, c.want)
			continue
		}
		cleanup()
		if _, err := os.Stat(next); err != nil {
			t.Errorf("cleanup removed a binary it did not build: %v", err)
		}
	}
}

func TestLoadtestFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"remote url", []string{"--url", "http://example.com:8080", "--admin-password", "x"}, "loopback"},
		{"non-loopback source", []string{"--spawn", "--addrs", "10.0.0.1"}, "loopback"},
		{"too fast per connection", []string{"--spawn", "--visitors", "10", "--rate", "500"}, "--visitors 46"},
		{"no password", []string{"--url", "http://127.0.0.1:8080"}, "admin-password"},
		{"endless", []string{"--spawn", "--duration", "2h"}, "duration"},
		{"bad range", []string{"--spawn", "--addrs", "127.0.0.9-3"}, "range"},
		{"two nodes on a running server", []string{"--nodes", "2", "--admin-password", "x"}, "--spawn"},
		{"two nodes on SQLite", []string{"--spawn", "--nodes", "2"}, "postgres://"},
		{"three nodes", []string{"--spawn", "--nodes", "3", "--database-url", "postgres://db/x"}, "want 1 or 2"},
		{"agents nowhere", []string{"--spawn", "--nodes", "2", "--database-url", "postgres://db/x", "--agents-on", "c"}, "agents-on"},
		{"server port out of range", []string{"--spawn", "--server-addr", "127.0.0.1:70000"}, "0 to 65535"},
		{"server on a public address", []string{"--spawn", "--server-addr", "10.1.2.3:8080"}, "loopback"},
		{"turn without port", []string{"--spawn", "--turn-udp", "127.0.0.1"}, "host:port"},
		{"nats on a public address", []string{"--spawn", "--nats-addr", "0.0.0.0:4222"}, "loopback"},
		{"nats without nodes", []string{"--spawn", "--nats-url", "nats://127.0.0.1:4222"}, "--nodes 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stderr syncBuffer
			_, err := parseLoadConfig(c.args, func(string) string { return "" }, &stderr)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
	c, err := parseLoadConfig([]string{"--spawn", "--visitors", "100", "--addrs", "127.0.0.1-3,127.0.0.7"}, func(string) string { return "" }, &syncBuffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Agents != 34 {
		t.Errorf("agents default %d, want ceil(100/3) = 34", c.Agents)
	}
	if strings.Join(c.Addrs, ",") != "127.0.0.1,127.0.0.2,127.0.0.3,127.0.0.7" {
		t.Errorf("addrs %v", c.Addrs)
	}
}

func TestHistQuantiles(t *testing.T) {
	var h hist
	for i := 1; i <= 1000; i++ {
		h.add(time.Duration(i) * 10 * time.Microsecond) // 10µs … 10ms
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{.5, 5 * time.Millisecond}, {.99, 9900 * time.Microsecond}} {
		got := h.quantile(c.q)
		if d := float64(got-c.want) / float64(c.want); d < -.04 || d > .04 {
			t.Errorf("q%.2f = %s, want %s ± 4%%", c.q, got, c.want)
		}
	}
	var m hist
	m.merge(h.sparse())
	if m.count() != 1000 || m.quantile(.5) != h.quantile(.5) {
		t.Errorf("merge lost samples: %d", m.count())
	}
}

// TestVisitorCheck: the comparison of acknowledgements with the transcript
// finds missing, duplicated and out-of-sequence messages.
func TestVisitorCheck(t *testing.T) {
	v := newVisitor(nil, "w0v1", serviceRef{})
	v.msgs = []msgState{{status: msgAcked}, {status: msgAcked}, {status: msgAcked}, {status: msgSent}}
	msg := func(seq int64, n string) interact.Message {
		return interact.Message{Seq: seq, From: interact.FromVisitor, ClientID: "w0v1-" + n}
	}
	sys := interact.Message{Seq: 1, From: interact.FromSystem, ClientID: "sys-1"}
	good := check(v.id, v.snapshot(), []interact.Message{sys, msg(2, "1"), msg(3, "2"), msg(4, "3"), msg(5, "4")})
	if good != (verifyResult{Tasks: 1, Acknowledged: 3, Stored: 4, UnackedStored: 1, Pending: 1}) {
		t.Errorf("complete transcript: %+v", good)
	}
	bad := check(v.id, v.snapshot(), []interact.Message{sys, msg(2, "1"), msg(3, "1"), msg(5, "3")})
	if bad.Missing != 1 || bad.Duplicates != 1 || bad.Gaps != 1 {
		t.Errorf("want one missing, one duplicate, one gap: %+v", bad)
	}
}

// TestLoadtestTwoNodes runs the load tool against two nodes it spawns on
// PostgreSQL, with an in-process NATS server: visitors on node A, half the
// agents on node B and half on A, so the report gives both latencies.
func TestLoadtestTwoNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and spawns two")
	}
	base := os.Getenv("INTERACT_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("INTERACT_TEST_DATABASE_URL is not set: two nodes need PostgreSQL (scripts/test.sh provides it)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dbURL := freshDatabase(t, ctx, base)
	bin := buildInteract(t)
	var stdout, stderr syncBuffer
	err := run(ctx, []string{"--spawn", "--nodes", "2", "--database-url", dbURL, "--agents-on", "split", "--bin", bin,
		"--visitors", "24", "--duration", "3s", "--rate", "200", "--settle", "0s"},
		func(string) string { return "" }, &stdout, &stderr)
	out := stdout.String()
	if err != nil {
		t.Fatalf("loadtest: %v\nstdout:\n%s\nstderr:\n%s", err, out, stderr.String())
	}
	t.Logf("report:\n%s\nlog:\n%s", out, stderr.String())
	num := func(re string) int {
		t.Helper()
		m := regexp.MustCompile(re).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("report lacks %s:\n%s", re, out)
		}
		n, _ := strconv.Atoi(m[1])
		return n
	}
	acked := num(`\nacknowledged=(\d+) `)
	if acked < 300 {
		t.Errorf("acknowledged %d, want about 600", acked)
	}
	if n := num(`\nacknowledged=\d+ stored=(\d+) `); n != acked {
		t.Errorf("stored %d, acknowledged %d", n, acked)
	}
	if num(`missing=(\d+)`) != 0 || num(`duplicates=(\d+)`) != 0 || num(`seq_gaps=(\d+)`) != 0 || num(`duplicate_acks=(\d+)`) != 0 {
		t.Errorf("lost, duplicated or out-of-order messages:\n%s", out)
	}
	if n := num(`connected to an agent (\d+)`); n != 24 {
		t.Errorf("%d chats connected, want 24", n)
	}
	for _, want := range []string{"durable messages on PostgreSQL: ", "latency visitor→agent (visitor on node A, agent on node B): p50=",
		"latency visitor→agent (both on node A): p50=", "cross-node hop adds: p50="} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// The quantile of what a histogram counted between two scrapes comes from
// the difference of its cumulative buckets.
func TestHistQuantile(t *testing.T) {
	b := func(le string) string { return `go_sched_latencies_seconds_bucket{le="` + le + `"}` }
	m0 := map[string]float64{b("0.001"): 90, b("0.01"): 100, b("0.1"): 100, b("+Inf"): 100}
	m1 := map[string]float64{b("0.001"): 190, b("0.01"): 298, b("0.1"): 300, b("+Inf"): 300}
	// Between the scrapes: 100 ≤ 1 ms, 98 more ≤ 10 ms, 2 more ≤ 100 ms.
	for q, want := range map[float64]float64{.5: 0.001, .51: 0.01, .99: 0.01, .995: 0.1} {
		if got := histQuantile(m0, m1, "go_sched_latencies_seconds", q); got != want {
			t.Errorf("q%v = %v, want %v", q, got, want)
		}
	}
	if got := histQuantile(m1, m1, "go_sched_latencies_seconds", .99); got != 0 {
		t.Errorf("nothing counted: %v, want 0", got)
	}
}
