package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/interact-oss/interact/outbox/smtptest"
)

// runBinary starts the built binary with env and returns its URL.
func runBinary(t *testing.T, bin, dataDir string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--addr", "127.0.0.1:0", "--data", dataDir}, loopbackTURN...)...)
	cmd.Env = append(os.Environ(), env...)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
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
		return cmd, u
	case <-time.After(30 * time.Second):
		t.Fatal("binary did not start")
		return nil, ""
	}
}

// The process is killed (SIGKILL) while the SMTP server holds the mail's
// DATA unanswered: after a restart on the same data the mail is sent, once,
// with the Message-ID it was queued with.
func TestMailSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "interact")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	inData, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	srv := smtptest.Start(t, smtptest.Options{Answer: func(n int, _ *smtptest.Message) error {
		if n == 1 {
			once.Do(func() { close(inData) })
			<-release
			return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 4, 2}, Message: "connection lost"}
		}
		return nil
	}})
	defer close(release)
	dir := t.TempDir()
	env := []string{"INTERACT_ADMIN_PASSWORD=admin-password-1", "INTERACT_MAIL_FROM=interact <noreply@example.test>",
		fmt.Sprintf("INTERACT_SMTP_URL=smtp://127.0.0.1:%d?tls=none", srv.Port), "INTERACT_SMTP_TIMEOUT=2s"}
	first, u := runBinary(t, bin, dir, env...)
	body, _ := json.Marshal(map[string]string{"email": "admin@example.com"})
	resp, err := http.Post(u+"/api/v1/password-reset", "application/json", bytes.NewReader(body))
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("reset: %v %v", resp, err)
	}
	resp.Body.Close()
	select {
	case <-inData:
	case <-time.After(20 * time.Second):
		t.Fatal("the mail never reached DATA")
	}
	first.Process.Kill() // SIGKILL: the server has not answered, the mail is claimed
	first.Wait()

	_, u = runBinary(t, bin, dir, env...)
	// Once the outbox says sent, nothing sends it again.
	got := srv.Wait(t, 1, 60*time.Second)
	if len(got) != 1 || !strings.Contains(got[0].Text, "/password/set?token=") {
		t.Fatalf("%d mails delivered after the restart, want the reset mail once", len(got))
	}
	c := login(t, u, "admin@example.com", "admin-password-1")
	var box struct {
		Items []struct {
			MessageID string `json:"messageId"`
			State     string `json:"state"`
			Attempts  int    `json:"attempts"`
		} `json:"items"`
	}
	getJSON(t, c, u+"/api/v1/outbox", &box)
	if len(box.Items) != 1 || box.Items[0].State != "sent" || box.Items[0].Attempts != 2 ||
		got[0].Header.Get("Message-Id") != "<"+box.Items[0].MessageID+">" {
		t.Fatalf("outbox after the restart: %+v; delivered Message-ID %s", box.Items, got[0].Header.Get("Message-Id"))
	}
}
