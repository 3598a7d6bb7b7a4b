package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The demo page in a real browser, as a newcomer opens it: the server's
// public URL says 127.0.0.1, and the page is opened at localhost (and at
// 127.0.0.1): the chat is available under both names.
func TestDemoPageUnderBothLoopbackNames(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("INTERACT_REQUIRE_BROWSER") != "" {
			t.Fatal("chromium is not installed, and INTERACT_REQUIRE_BROWSER is set")
		}
		t.Skip("chromium is not installed (apt-get install chromium); set INTERACT_REQUIRE_BROWSER=1 to fail instead")
	}
	in := start(t, map[string]string{"INTERACT_ADMIN_PASSWORD": "admin-password-1"}, "--data", t.TempDir(), "--demo")
	if !strings.HasPrefix(in.url, "http://127.0.0.1:") {
		t.Fatalf("public URL %s, want the 127.0.0.1 the test listens on", in.url)
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1000, 700), chromedp.UserDataDir(t.TempDir()))
	browser, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(browser); err != nil { // starts the browser: no timeout here
		t.Fatal(err)
	}
	for _, base := range []string{strings.Replace(in.url, "127.0.0.1", "localhost", 1), in.url} {
		tab, cancel := chromedp.NewContext(browser)
		ctx, cancelT := context.WithTimeout(tab, 20*time.Second)
		const launcher = `(() => { const h = document.querySelector('interact-widget'); const b = h && h.shadowRoot && h.shadowRoot.querySelector('.launcher');
		  return b && !b.hidden ? b.getAttribute('aria-label') : ''; })()`
		if err := chromedp.Do(ctx, chromedp.Navigate(base+"/demo")); err != nil {
			t.Fatalf("open %s/demo: %v", base, err)
		}
		label, err := chromedp.Run(ctx, chromedp.Poll[string](launcher, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
		if err != nil {
			t.Fatalf("%s/demo: no launcher: %v", base, err)
		}
		if dir := os.Getenv("INTERACT_SCREENSHOTS"); dir != "" {
			if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
				os.MkdirAll(dir, 0o755)
				os.WriteFile(filepath.Join(dir, "demo-"+strings.SplitN(strings.TrimPrefix(base, "http://"), ":", 2)[0]+".png"), png, 0o644)
			}
		}
		if label != "Chat with us" {
			t.Errorf("%s/demo: the launcher says %q, want the chat available", base, label)
		}
		cancelT()
		cancel()
	}
}
