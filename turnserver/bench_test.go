package turnserver

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/interact-oss/interact/eventually"
)

const benchSecret = "bench-secret-0123456789"

// benchTarget is a TURN server process under load.
type benchTarget struct {
	addr string
	cmd  *exec.Cmd
}

// BenchmarkRelay drives round trips client → relay → peer → relay →
// client through one and through eight allocations, with 200-byte packets
// (an audio RTP packet's size) and 32 in flight per allocation, against
// this package's server and, on the same machine under the same load,
// coturn's turnserver. Both run as their own process so that their CPU
// time can be read: relayed-pkt/s counts each packet relayed (two a round
// trip), relayed-pkt/cpu-s divides by the server's CPU seconds, i.e. the
// packets one fully used core would relay.
//
//	go test -run '^$' -bench Relay -benchtime 100000x ./turnserver
func BenchmarkRelay(b *testing.B) {
	servers := []struct {
		name  string
		start func(b *testing.B) *benchTarget
	}{{"pion", startPionProcess}, {"coturn", startCoturn}}
	for _, srv := range servers {
		b.Run(srv.name, func(b *testing.B) {
			target := srv.start(b)
			for _, n := range []int{1, 8} {
				b.Run(fmt.Sprintf("allocations=%d", n), func(b *testing.B) { benchRelay(b, target, n) })
			}
		})
	}
}

func benchRelay(b *testing.B, target *benchTarget, allocations int) {
	const window, size = 32, 200
	peer, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer peer.Close()
	go echo(peer)

	user, pass, _ := Credentials{Secret: benchSecret}.Issue(fmt.Sprintf("bench-%d", allocations), time.Now())
	relays := make([]net.PacketConn, allocations)
	for i := range relays {
		_, relays[i] = allocate(b, "udp", target.addr, user, pass)
		// Warm up: permission and channel binding.
		warm(b, relays[i], peer.LocalAddr())
	}

	cpu0 := cpuSeconds(b, target.cmd.Process.Pid)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var received, lost int
	for i, r := range relays {
		quota := b.N / allocations
		if i < b.N%allocations {
			quota++
		}
		wg.Go(func() {
			got, gone := pump(r, peer.LocalAddr(), quota, window, size)
			mu.Lock()
			received += got
			lost += gone
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	cpu := cpuSeconds(b, target.cmd.Process.Pid) - cpu0

	relayed := float64(2 * received)
	b.ReportMetric(relayed/elapsed.Seconds(), "relayed-pkt/s")
	if cpu > 0 {
		b.ReportMetric(relayed/cpu, "relayed-pkt/cpu-s")
		b.ReportMetric(cpu/elapsed.Seconds(), "server-cores")
	}
	b.ReportMetric(float64(lost)/float64(max(b.N, 1)), "lost/op")
}

// echo sends every datagram back where it came from.
func echo(pc net.PacketConn) {
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		pc.WriteTo(buf[:n], from)
	}
}

// warm sends through the relay until the echo comes back.
func warm(b *testing.B, relay net.PacketConn, peer net.Addr) {
	buf := make([]byte, 1500)
	for range 100 {
		relay.WriteTo([]byte("warm"), peer)
		relay.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, _, err := relay.ReadFrom(buf); err == nil {
			relay.SetReadDeadline(time.Time{})
			// Let a pending channel bind finish: pion's client binds in
			// the background after the first send.
			for range 20 {
				relay.WriteTo([]byte("warm"), peer)
				relay.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				relay.ReadFrom(buf)
			}
			relay.SetReadDeadline(time.Time{})
			return
		}
	}
	b.Fatal("no echo through the relay")
}

// pump completes quota round trips with up to window packets in flight;
// packets not back within 100 ms count as lost and free their slot.
func pump(relay net.PacketConn, peer net.Addr, quota, window, size int) (received, lost int) {
	payload := make([]byte, size)
	buf := make([]byte, 1500)
	sent := 0
	send := func() {
		if sent < quota {
			relay.WriteTo(payload, peer)
			sent++
		}
	}
	for range window {
		send()
	}
	for received+lost < quota {
		relay.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
		_, _, err := relay.ReadFrom(buf)
		var ne net.Error
		switch {
		case err == nil:
			received++
			send()
		case errors.As(err, &ne) && ne.Timeout():
			lost += sent - received - lost
			for range window {
				send()
			}
		default:
			return received, lost + quota - received - lost
		}
	}
	// A late echo of a packet already counted lost counts as received
	// too, ending the run that much early: noise at per-mille loss.
	return received, lost
}

// cpuSeconds is the user plus system CPU time a process has used.
func cpuSeconds(b *testing.B, pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// Fields after the parenthesised command name; utime and stime are
	// the 14th and 15th fields, in clock ticks of 1/100 s on Linux.
	f := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100
}

// startPionProcess runs this test binary as a bare server (see TestMain).
func startPionProcess(b *testing.B) *benchTarget {
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), benchServeEnv+"="+benchSecret)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "ready ")
	if err != nil || !ok {
		b.Fatalf("bench server did not start: %q %v", line, err)
	}
	return &benchTarget{addr: addr, cmd: cmd}
}

// startCoturn runs coturn's turnserver on loopback with the same TURN
// REST API secret, or skips when it is not installed (see lookCoturn).
func startCoturn(b *testing.B) *benchTarget {
	bin := lookCoturn(b, "turnserver")
	probe, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := probe.LocalAddr().(*net.UDPAddr).Port
	probe.Close()
	dir := b.TempDir()
	cmd := exec.Command(bin, "-n", "--no-cli", "--no-tls", "--no-dtls", "--fingerprint",
		"--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1", "--listening-port="+strconv.Itoa(port),
		"--use-auth-secret", "--static-auth-secret="+benchSecret, "--realm="+DefaultRealm,
		"--allow-loopback-peers", "--min-port=50000", "--max-port=50999",
		"--log-file=stdout", "--pidfile="+filepath.Join(dir, "pid"), "--db="+filepath.Join(dir, "turndb"))
	logPath := filepath.Join(dir, "log")
	logFile, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// Ready once it answers a STUN binding request.
	c := dial(b, "udp", addr, "", "")
	b.Cleanup(func() {
		if b.Failed() {
			out, _ := os.ReadFile(logPath)
			b.Logf("coturn's log:\n%s", tail(out, 2000))
		}
	})
	// A loaded machine may take a while to start coturn's threads.
	eventually.Within(b, 30*time.Second, "coturn to answer on "+addr, func() bool {
		_, err := c.SendBindingRequest()
		return err == nil
	})
	return &benchTarget{addr: addr, cmd: cmd}
}

// tail is the last n bytes of b.
func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
