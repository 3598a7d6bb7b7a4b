package turnserver

import (
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/interact-oss/interact/eventually"
)

var uclientTotals = regexp.MustCompile(`start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)`)

// TestTurnutilsUclient runs coturn's own test client against this server:
// client-to-client relaying over UDP and over TCP with task-bound
// credentials, and a refusal with a forged password. Skips when coturn is
// not installed.
func TestTurnutilsUclient(t *testing.T) {
	bin := lookCoturn(t, "turnutils_uclient")
	s := startServer(t, Config{})
	user, pass, _ := Credentials{Secret: testSecret}.Issue("task-uclient", time.Now())
	uclient := func(transport, password string) (string, error) {
		addr := s.cfg.PacketConn.LocalAddr()
		if transport == "tcp" {
			addr = s.cfg.Listener.Addr()
		}
		args := []string{"-y", "-n", "10", "-m", "1", "-z", "5", "-X", "-u", user, "-w", password, "-p", port(addr)}
		if transport == "tcp" {
			args = append([]string{"-t"}, args...)
		}
		out, err := exec.Command(bin, append(args, "127.0.0.1")...).CombinedOutput()
		return string(out), err
	}
	for _, transport := range []string{"udp", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			t.Parallel() // each run takes seconds of uclient's own pacing
			out, err := uclient(transport, pass)
			m := uclientTotals.FindStringSubmatch(out)
			if err != nil || m == nil {
				t.Fatalf("uclient: %v\n%s", err, out)
			}
			if sent, _ := strconv.Atoi(m[1]); sent == 0 || m[2] == "0" {
				t.Fatalf("uclient sent %s and received %s messages through the relay\n%s", m[1], m[2], out)
			}
		})
	}
	t.Run("forged password", func(t *testing.T) {
		if out, err := uclient("udp", Password("guessed", user)); err == nil {
			t.Fatalf("uclient succeeded with a forged password\n%s", out)
		}
		eventually.True(t, "the refusal to be logged", func() bool { return strings.Contains(s.log.String(), "wrong password") })
	})
}
