package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/interact-oss/interact"
)

// spawnedServer is an `interact serve` child process started by the load
// tool (and the crash test).
type spawnedServer struct {
	cmd           *exec.Cmd
	url           string
	pid           int
	dir           string
	ownDir        bool
	adminEmail    string
	adminPassword string
	done          chan struct{}
	err           error // of Wait, once done is closed
	logMu         sync.Mutex
	logTail       []string
}

// spawnOptions say how to start the server.
type spawnOptions struct {
	Bin           string
	Dir           string // data directory; empty: a new temporary one, removed on stop
	Addr          string // default 127.0.0.1:0
	TURNUDP       string // default 127.0.0.1:0
	TURNTCP       string // default 127.0.0.1:0
	AdminPassword string // default: generated
	Extra         []string
	Log           io.Writer // server log lines at warn and above; nil: kept in a tail only
}

var listeningLine = regexp.MustCompile(`listening on (http://\S+)`)

// serverPackage is the server's command, built when no binary is given.
const serverPackage = "github.com/interact-oss/interact/cmd/interact"

// serverBinary returns the server binary for --spawn: bin when given, else
// an interact binary next to self (this executable), else one built into a
// temporary directory that cleanup removes.
func serverBinary(ctx context.Context, bin, self string, logf func(string, ...any)) (path string, cleanup func(), err error) {
	if bin != "" {
		return bin, func() {}, nil
	}
	if self != "" {
		next := filepath.Join(filepath.Dir(self), "interact")
		if fi, err := os.Stat(next); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			logf("server binary %s (next to this executable)", next)
			return next, func() {}, nil
		}
	}
	dir, err := os.MkdirTemp("", "interact-load-bin-")
	if err != nil {
		return "", nil, err
	}
	start := time.Now()
	if path, err = buildServer(ctx, dir); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	logf("built the server from ./cmd/interact (%s)", time.Since(start).Round(time.Millisecond))
	return path, func() { os.RemoveAll(dir) }, nil
}

// buildServer builds the server with go build into dir. The package path
// works from any directory of the module.
func buildServer(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "interact")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, serverPackage).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("build the server (go build %s; run from the source tree or pass --bin): %v\n%s", serverPackage, err, out)
	}
	return bin, nil
}

// spawnServer starts the server with rate limits high enough for a load
// test and a visitor grace long enough for idle tasks created before their
// sockets, and waits until it listens.
func spawnServer(ctx context.Context, bin string, logw io.Writer) (*spawnedServer, error) {
	return startServer(ctx, spawnOptions{Bin: bin, Log: logw})
}

func startServer(ctx context.Context, o spawnOptions) (*spawnedServer, error) {
	s := &spawnedServer{dir: o.Dir, adminEmail: "admin@example.com", adminPassword: o.AdminPassword, done: make(chan struct{})}
	if s.dir == "" {
		d, err := os.MkdirTemp("", "interact-load-")
		if err != nil {
			return nil, err
		}
		s.dir, s.ownDir = d, true
	}
	if s.adminPassword == "" {
		s.adminPassword = interact.NewSecret("", 20)
	}
	for _, a := range []*string{&o.Addr, &o.TURNUDP, &o.TURNTCP} {
		if *a == "" {
			*a = "127.0.0.1:0"
		}
	}
	const high = "100000000"
	args := append([]string{"serve", "--addr", o.Addr, "--data", s.dir, "--admin-email", s.adminEmail,
		"--widget-rate", high, "--task-rate", high, "--key-rate", high, "--visitor-grace", "1h", "--first-connect-grace", "1h",
		"--sockets-per-address", high, "--address-share", "1", "--log-level", "warn",
		"--turn-udp", o.TURNUDP, "--turn-tcp", o.TURNTCP}, o.Extra...)
	s.cmd = exec.Command(o.Bin, args...)
	// The server reads INTERACT_* settings; only ours apply.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "INTERACT_") {
			s.cmd.Env = append(s.cmd.Env, kv)
		}
	}
	s.cmd.Env = append(s.cmd.Env, "INTERACT_ADMIN_PASSWORD="+s.adminPassword)
	stdout, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		s.cleanup(false)
		return nil, fmt.Errorf("start server %s: %w", o.Bin, err)
	}
	s.pid = s.cmd.Process.Pid
	urlc := make(chan string, 1)
	var pipes sync.WaitGroup
	pipes.Add(2)
	go func() {
		defer pipes.Done()
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
		}
	}()
	go func() {
		defer pipes.Done()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			s.logMu.Lock()
			s.logTail = append(s.logTail, sc.Text())
			if len(s.logTail) > 50 {
				s.logTail = s.logTail[1:]
			}
			s.logMu.Unlock()
			if o.Log != nil {
				fmt.Fprintf(o.Log, "server: %s\n", sc.Text())
			}
		}
	}()
	go func() {
		pipes.Wait() // Wait closes the pipes: read them to the end first
		s.err = s.cmd.Wait()
		close(s.done)
	}()
	select {
	case s.url = <-urlc:
		return s, nil
	case <-s.done:
		s.cleanup(false)
		return nil, fmt.Errorf("server exited at start: %v\n%s", s.err, s.tail())
	case <-time.After(60 * time.Second):
	case <-ctx.Done():
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cleanup(false)
	return nil, fmt.Errorf("server did not start listening\n%s", s.tail())
}

// tail is the server's last log lines.
func (s *spawnedServer) tail() string {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return strings.Join(s.logTail, "\n")
}

// stop stops the server gracefully (SIGTERM, then SIGKILL after 20 s) and
// removes a temporary data directory unless keep.
func (s *spawnedServer) stop(logw io.Writer, keep bool) error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		fmt.Fprintln(logw, "interact-load: server did not stop within 20s; killing it")
		s.cmd.Process.Kill()
		<-s.done
	}
	s.cleanup(keep)
	return s.err
}

// kill kills the server at once, as a crash would.
func (s *spawnedServer) kill() {
	s.cmd.Process.Kill()
	<-s.done
}

func (s *spawnedServer) cleanup(keep bool) {
	if s.ownDir && !keep {
		os.RemoveAll(s.dir)
	}
}
