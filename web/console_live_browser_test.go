package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/interact-oss/interact"
)

// headingsOne lists the texts of the page's level-one headings that
// assistive technology gets (what axe's page-has-heading-one counts): not
// hidden by display, visibility, the hidden attribute or aria-hidden, and
// not empty. A visually hidden heading (clipped) counts.
const headingsOne = `[...document.querySelectorAll('h1, [role=heading][aria-level="1"]')].filter(h => {
  for (let e = h; e; e = e.parentElement) {
    const s = getComputedStyle(e);
    if (e.hidden || s.display === 'none' || s.visibility === 'hidden' || e.getAttribute('aria-hidden') === 'true') return false;
  }
  return h.textContent.trim() !== '';
}).map(h => h.textContent.trim())`

// typingWatch records, in a page, every change of the other party's typing
// indicator and of the count of their messages, so that a test sees an
// indicator that comes back for a moment, not only the state at the end.
const typingWatch = `(() => {
  window.__typing = [];
  const widget = !!window.__root && !!__root();
  const scope = widget ? __root() : document.querySelector('.panel:not([hidden])');
  const rec = () => {
    const ty = scope.querySelector('.typing');
    const on = widget ? ty.textContent !== '' : !ty.hidden;
    const n = scope.querySelectorAll(widget ? '.m.a' : '.log .m.v').length;
    const last = __typing[__typing.length - 1];
    if (!last || last.on !== on || last.n !== n) __typing.push({on, n, at: Math.round(performance.now())});
  };
  rec();
  new MutationObserver(rec).observe(scope, {subtree: true, childList: true, attributes: true, characterData: true});
})()`

// typingAfter returns the records of typingWatch that show the indicator
// on while the other party's message count was n: after their n-th message
// arrived (and before their next one).
func typingAfter(t *testing.T, ctx context.Context, n int) []map[string]any {
	t.Helper()
	return eval[[]map[string]any](t, ctx, fmt.Sprintf(`__typing.filter(r => r.n === %d && r.on)`, n))
}

// The agent console while it is open: it has a level-one heading; the
// other party's typing indicator goes the moment their message arrives,
// both ways; and the agent's services follow an administrator's changes of
// their memberships without a reload.
func TestAgentConsoleLiveInBrowser(t *testing.T) {
	chromium := chromiumOrSkip(t)
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	l.restrictTo("*.example.test:*")
	e := &browserEnv{l: l, pagePort: pageServer(t, l, l.url), browser: newBrowser(t, chromium), shots: os.Getenv("INTERACT_SCREENSHOTS")}
	a := e.tab(t)

	t.Run("LevelOneHeading", func(t *testing.T) {
		navigate(t, a, l.url+"/agent")
		waitConsole(t, a, "sign-in form", `!!document.getElementById('si-email')`)
		if got := eval[[]string](t, a, headingsOne); len(got) != 1 {
			t.Errorf("the sign-in page has level-one headings %q, want one", got)
		}
		signInConsole(t, a, l.url, "agent0@live.test", "agent-password")
		got := eval[[]string](t, a, headingsOne)
		if len(got) != 1 {
			t.Errorf("the console has level-one headings %q, want one", got)
		} else {
			t.Logf("the console's level-one heading: %q", got[0])
		}
	})

	t.Run("TypingClearedByMessage", func(t *testing.T) {
		setPresence(t, a, "available")
		waitConsole(t, a, "available", `document.querySelector('.side .state').textContent === 'Available'`)
		v := e.tab(t)
		navigate(t, v, e.page("shop.example.test", "/"))
		startChat(t, v, "Tara Typist")
		waitConsole(t, a, "offer", `!!document.querySelector('.offer .accept')`)
		click(t, a, `.offer .accept`)
		waitJS(t, v, `__text('.sub') === 'You are chatting with Agent 0.'`, 10*time.Second)
		eval[any](t, a, typingWatch)
		eval[any](t, v, typingWatch)
		const console = `document.querySelector('.panel:not([hidden]) textarea')`
		for i := 1; i <= 2; i++ {
			// The visitor types, the agent sees it; the visitor sends with
			// Enter: the message arrives and the indicator is gone, and stays
			// gone.
			eval[any](t, v, `__q('.composer textarea').focus()`)
			keys(t, v, fmt.Sprintf("Question %d", i))
			waitConsole(t, a, "visitor typing", `!document.querySelector('.panel:not([hidden]) .typing').hidden`)
			keys(t, v, "\r")
			waitConsole(t, a, "visitor's message", fmt.Sprintf(`document.querySelectorAll('.panel:not([hidden]) .log .m.v').length === %d`, i))
			// The agent types back and sends.
			eval[any](t, a, console+`.focus()`)
			keys(t, a, fmt.Sprintf("Answer %d", i))
			waitJS(t, v, `__text('.typing') === 'Agent 0 is typing…'`, 10*time.Second)
			keys(t, a, "\r")
			waitJS(t, v, fmt.Sprintf(`__root().querySelectorAll('.m.a').length === %d`, i), 10*time.Second)
			time.Sleep(time.Second) // time for a typing frame that would bring an indicator back
			if on := typingAfter(t, a, i); len(on) != 0 {
				t.Errorf("round %d: the console shows the visitor typing after their message arrived: %v\nrecord: %v", i, on, eval[any](t, a, `__typing`))
			}
			if on := typingAfter(t, v, i); len(on) != 0 {
				t.Errorf("round %d: the widget shows the agent typing after their message arrived: %v\nrecord: %v", i, on, eval[any](t, v, `__typing`))
			}
		}
		e.screenshot(t, a, "console-typing-after-message")
		e.screenshot(t, v, "widget-typing-after-message")
		click(t, a, `.panel:not([hidden]) .end-btn`)
		waitJS(t, v, `__visible('.actions .new')`, 10*time.Second)
	})

	t.Run("ServicesFollowMemberships", func(t *testing.T) {
		ctx := context.Background()
		sales, err := l.db.CreateService(ctx, l.admin, interact.Service{Name: "Sales", OUID: l.ouID,
			License: interact.LicenseContactCenter, InteractLicense: true})
		if err != nil {
			t.Fatal(err)
		}
		const services = `JSON.stringify([...document.querySelectorAll('.side .services label')].map(l => l.firstChild.textContent))`
		waitConsole(t, a, "only Support", services+` === '["Support"]'`)
		member := "/api/v1/services/" + sales.ID + "/members/" + l.agents[0].ID
		start := time.Now()
		adminRequest(t, l, "PUT", member, `{"active": true}`, http.StatusOK)
		waitConsole(t, a, "Sales added", services+` === '["Sales","Support"]' && document.getElementById('svc-`+sales.ID+`').checked`)
		t.Logf("added to a service → shown in the open console in %v", time.Since(start).Round(time.Millisecond))
		e.screenshot(t, a, "console-services-added")
		start = time.Now()
		adminRequest(t, l, "DELETE", member, "", http.StatusNoContent)
		waitConsole(t, a, "Sales removed", services+` === '["Support"]'`)
		t.Logf("removed from a service → gone from the open console in %v", time.Since(start).Round(time.Millisecond))
		// The console was not reloaded meanwhile.
		if eval[bool](t, a, `performance.getEntriesByType('navigation').length !== 1 || !document.querySelector('.conn.up')`) {
			t.Error("the console reloaded or lost its connection")
		}
	})
}

// adminRequest makes an admin API request as the tenant admin and checks
// its status.
func adminRequest(t *testing.T, l *live, method, path, body string, status int) {
	t.Helper()
	req, _ := http.NewRequest(method, l.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+l.adminToken())
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
}
