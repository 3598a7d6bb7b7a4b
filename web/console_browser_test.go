package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/eventually"
)

// The agent console in a real browser: two agents, a supervisor (the tenant
// admin) and a visitor using the real widget, each in their own browser
// context, against one interact stack. Agent 1's console reaches interact
// through a proxy the test can cut, to check that a network drop loses
// nothing.

// consoleState summarises a console page for failure messages.
const consoleState = `(() => ({conn: (document.querySelector('.conn') || {}).textContent,
  state: (document.querySelector('.side .state') || {}).textContent,
  offers: [...document.querySelectorAll('.offer')].map(e => e.innerText),
  tabs: [...document.querySelectorAll('[role=tab]')].map(e => e.innerText),
  banners: [...document.querySelectorAll('.banner:not([hidden])')].map(e => e.innerText),
  toasts: [...document.querySelectorAll('.toast')].map(e => e.textContent),
  view: (document.querySelector('.view:not([hidden])') || document.body).innerText.slice(0, 1500)}))()`

// waitConsole waits until a JS expression is true in a console page.
func waitConsole(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	const timeout = 20 * time.Second // the machine is shared: be generous
	c, cancel := context.WithTimeout(ctx, timeout+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(c, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[any](consoleState))
		t.Fatalf("%s: waiting for %s: %v\nconsole: %v", what, js, err, state)
	}
}

// click clicks the element a selector names, by script.
func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	if !eval[bool](t, ctx, fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (!e) return false; e.click(); return true; })()`, sel)) {
		state, _ := chromedp.Run(ctx, chromedp.Evaluate[any](consoleState))
		t.Fatalf("no %s to click\nconsole: %v", sel, state)
	}
}

// altKey presses Alt plus a key in the focused page.
func altKey(t *testing.T, ctx context.Context, key string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.KeyEvent(key, chromedp.KeyModifiers(chromedp.ModifierAlt))); err != nil {
		t.Fatal(err)
	}
}

// signInConsole opens the console at base and signs in through its form
// with the keyboard alone.
func signInConsole(t *testing.T, tab context.Context, base, email, password string) {
	t.Helper()
	navigate(t, tab, base+"/agent")
	waitConsole(t, tab, "sign-in form", `document.activeElement && document.activeElement.id === 'si-email'`)
	keys(t, tab, email+"\t"+password+"\r")
	waitConsole(t, tab, "signed in", `!!document.querySelector('.conn.up') && document.querySelectorAll('.side .services li').length > 0`)
}

// setPresence picks a presence in the console's select as a user would.
func setPresence(t *testing.T, tab context.Context, presence string) {
	t.Helper()
	eval[any](t, tab, fmt.Sprintf(`(() => { const s = document.getElementById('presence'); s.focus(); s.value = %q; s.dispatchEvent(new Event('change')); })()`, presence))
}

// logTexts returns the texts of the messages in the active chat's log.
const logTexts = `[...document.querySelectorAll('.panel:not([hidden]) .log .m')].map(e => e.querySelector('.b').textContent)`

func TestAgentConsoleInBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("INTERACT_REQUIRE_BROWSER") != "" {
			t.Fatal("chromium is not installed, and INTERACT_REQUIRE_BROWSER is set")
		}
		t.Skip("chromium is not installed (apt-get install chromium); set INTERACT_REQUIRE_BROWSER=1 to fail instead")
	}
	l := newLive(t, 2, interact.Distribution{Type: interact.DistributeDirect,
		ACWEnabled: true, ACWSeconds: 600, ACWExtensionSeconds: 900, PersistentRONA: true})
	l.restrictTo("*.example.test:*")
	// Codes on the service's OU (offered) and on an OU below it (not).
	delivery, err := l.db.CreateCode(context.Background(), l.admin, l.ouID, "Delivery")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.db.CreateCode(context.Background(), l.admin, l.ouID, "Complaint"); err != nil {
		t.Fatal(err)
	}
	proxy := newCutProxy(t) // agent 1's way to interact
	proxy.setTarget(strings.TrimPrefix(l.url, "http://"))
	e := &browserEnv{l: l, pagePort: pageServer(t, l, l.url), browser: newBrowser(t, chromium), shots: os.Getenv("INTERACT_SCREENSHOTS")}
	a1URL := "http://" + proxy.addr()

	a1, a2, sup, visitor := e.tab(t), e.tab(t), e.tab(t), e.tab(t)
	signInConsole(t, a1, a1URL, "agent0@live.test", "agent-password")
	signInConsole(t, a2, l.url, "agent1@live.test", "agent-password")
	signInConsole(t, sup, l.url, "admin@live.test", "admin-password")
	for _, tab := range []context.Context{a1, a2} {
		waitConsole(t, tab, "services", `document.querySelector('.side .services label').textContent.startsWith('Support') && document.querySelector('.side .services input').checked`)
		if eval[bool](t, tab, `!!document.querySelector('nav [data-view=supervisor]')`) {
			t.Error("a plain agent is offered the supervisor view")
		}
	}
	click(t, sup, `nav [data-view=supervisor]`)
	waitConsole(t, sup, "supervisor sees the agents", `document.querySelectorAll('.queue tr[data-agent]').length === 2`)

	// The visitor starts a chat from an allowed origin, with page context,
	// while no agent is available: the supervisor sees it waiting.
	navigate(t, visitor, e.page("shop.example.test", "/"))
	waitJS(t, visitor, `!!window.Interact`, 10*time.Second)
	eval[any](t, visitor, `Interact.setContext({orderId: '4711', page: 'Checkout'})`)
	startChat(t, visitor, "Vera Visitor")
	send(t, visitor, "Hello, my order 4711 has not arrived.")
	waitJS(t, visitor, `__msgs().some(m => m.who === 'visitor' && m.seq > 0)`, 10*time.Second)
	waitConsole(t, sup, "task waiting", `[...document.querySelectorAll('.queue table.waiting tbody tr')].some(r => r.textContent.includes('Vera Visitor'))`)
	e.screenshot(t, sup, "console-supervisor-waiting")

	// Agent 1 goes available first and is offered the chat: a card with the
	// service, the visitor, the first message and a countdown, and a beep.
	setPresence(t, a1, "available")
	waitConsole(t, a1, "offer card", `(() => { const o = document.querySelector('.offer'); return !!o && o.querySelector('.svc').textContent === 'Support' &&
	  o.querySelector('.visitor-name').textContent === 'Vera Visitor' && o.querySelector('.first').textContent === 'Hello, my order 4711 has not arrived.' &&
	  /^\d+:\d\d$/.test(o.querySelector('.countdown').textContent); })()`)
	if n := eval[string](t, a1, `document.body.dataset.beeps || '0'`); n == "0" {
		t.Error("no beep for the offer")
	}
	e.screenshot(t, a1, "console-offer")
	setPresence(t, a2, "available")
	waitConsole(t, a2, "agent 2 available", `document.querySelector('.side .state').textContent === 'Available'`)

	// Agent 1 declines: with persistent RONA on, a decline in direct
	// distribution flags RONA (DESIGN §5); agent 2 is offered the chat and
	// accepts with Alt+A. Agent 1 resets RONA with the keyboard.
	click(t, a1, `.offer .decline`)
	waitConsole(t, a1, "offer gone", `!document.querySelector('.offer')`)
	waitConsole(t, a1, "RONA after declining", `!document.querySelector('.banner.rona').hidden && document.querySelector('.side .state').textContent === 'RONA'`)
	waitConsole(t, a2, "offer to agent 2", `!!document.querySelector('.offer .accept')`)
	eval[any](t, a1, `document.querySelector('.banner.rona .rona-reset').focus()`)
	keys(t, a1, "\r")
	waitConsole(t, a1, "RONA reset", `document.querySelector('.banner.rona').hidden && document.querySelector('.side .state').textContent === 'Available'`)
	altKey(t, a2, "a")
	waitConsole(t, a2, "chat open", `!document.querySelector('.offer') && document.querySelectorAll('[role=tab]').length === 1 &&
	  document.querySelector('[role=tab]').textContent.includes('Vera Visitor')`)
	waitConsole(t, a2, "history", `JSON.stringify(`+logTexts+`).includes('Hello, my order 4711 has not arrived.')`)
	waitConsole(t, a2, "visitor details", `(() => { const i = document.querySelector('.panel:not([hidden]) .info'); return i.querySelector('.v-name').textContent === 'Vera Visitor' &&
	  i.querySelector('.v-service').textContent === 'Support' && i.querySelector('.context').textContent.includes('orderId4711') &&
	  i.querySelector('.fields').textContent.includes('Consentaccepted') && i.textContent.includes('shop.example.test'); })()`)
	waitConsole(t, sup, "task connected", `document.querySelectorAll('.queue table.waiting').length === 0 &&
	  [...document.querySelectorAll('.queue tr[data-agent]')].some(r => r.textContent.includes('Agent 1') && r.dataset.state === 'connected')`)
	e.screenshot(t, sup, "console-supervisor")

	// They chat: the agent types with the keyboard, Enter sends; the visitor
	// reads it (read receipt) and types back (typing indicator).
	eval[any](t, a2, `document.querySelector('.panel:not([hidden]) textarea').focus()`)
	keys(t, a2, "Hi Vera, let me check that for you.\r")
	waitJS(t, visitor, `__msgs().some(m => m.who === 'agent' && m.text === 'Hi Vera, let me check that for you.')`, 10*time.Second)
	waitConsole(t, a2, "read receipt", `[...document.querySelectorAll('.log .m.a .st')].some(s => s.textContent === 'read')`)
	eval[any](t, visitor, `__q('.composer textarea').focus()`)
	keys(t, visitor, "Thanks")
	waitConsole(t, a2, "typing indicator", `!document.querySelector('.panel:not([hidden]) .typing').hidden`)
	eval[any](t, visitor, `__q('.composer textarea').form.requestSubmit()`)
	waitConsole(t, a2, "visitor's reply", `JSON.stringify(`+logTexts+`).includes('Thanks')`)

	// Markup from the visitor is text; while agent 2 looks at My Sessions,
	// it counts as unread on the chat's tab.
	click(t, a2, `nav [data-view=sessions]`)
	const markup = `<img src=x onerror="window.__xss=1"><b>bold</b>`
	send(t, visitor, markup)
	waitConsole(t, a2, "unread counter", `document.querySelector('[role=tab] .unread').textContent === '1' && !document.querySelector('[role=tab] .unread').hidden`)
	click(t, a2, `nav [data-view=chats]`)
	waitConsole(t, a2, "markup as text", `[...document.querySelectorAll('.log .m.v .b')].some(b => b.textContent === `+fmt.Sprintf("%q", markup)+`)`)
	if got := eval[map[string]any](t, a2, `({html: document.querySelectorAll('.log img, .log b').length, xss: !!window.__xss,
	  unread: document.querySelector('[role=tab] .unread').hidden})`); got["html"] != 0.0 || got["xss"] != false || got["unread"] != true {
		t.Errorf("visitor markup: %v (want no elements, no script, unread cleared)", got)
	}
	e.screenshot(t, a2, "console-chat")

	// Agent 2 transfers the chat to agent 1 and goes into after-call work;
	// agent 1 accepts and sees the whole conversation.
	click(t, a2, `.panel:not([hidden]) .transfer-btn`)
	waitConsole(t, a2, "transfer dialog", `document.querySelector('dialog.transfer').open && [...document.querySelectorAll('#tr-agent option')].some(o => o.textContent.startsWith('Agent 0'))`)
	eval[any](t, a2, `(() => { const s = document.getElementById('tr-agent'); s.value = [...s.options].find(o => o.textContent.startsWith('Agent 0')).value;
	  document.getElementById('tr-kind-agent').checked = true; document.querySelector('dialog.transfer form').requestSubmit(); })()`)
	waitConsole(t, a2, "transferred", `!document.querySelector('dialog.transfer').open && document.querySelector('.panel:not([hidden]) .chat-status').textContent === 'You transferred this chat.'`)
	waitConsole(t, a2, "ACW after the transfer", `!document.querySelector('.banner.acw').hidden`)
	waitConsole(t, a1, "transfer offer", `!!document.querySelector('.offer .accept')`)
	click(t, a1, `.offer .accept`)
	waitConsole(t, a1, "transferred chat", `JSON.stringify(`+logTexts+`).includes('Thanks') && JSON.stringify(`+logTexts+`).includes('Hi Vera, let me check that for you.')`)

	// A network drop: while agent 1 is cut off, the visitor writes and the
	// agent types; after the reconnect both messages are there, once.
	proxy.cut(true)
	waitConsole(t, a1, "connection lost shown", `!document.querySelector('.banner.lost').hidden`)
	send(t, visitor, "Are you still there?")
	waitJS(t, visitor, `__msgs().some(m => m.text === 'Are you still there?' && m.seq > 0)`, 10*time.Second)
	eval[any](t, a1, `document.querySelector('.panel:not([hidden]) textarea').focus()`)
	keys(t, a1, "Yes, one moment please.\r")
	waitConsole(t, a1, "pending while offline", `[...document.querySelectorAll('.log .m.a.pending')].some(m => m.textContent.includes('Yes, one moment please.'))`)
	proxy.cut(false)
	waitConsole(t, a1, "reconnected", `!!document.querySelector('.conn.up') && document.querySelector('.banner.lost').hidden`)
	waitConsole(t, a1, "nothing lost", `JSON.stringify(`+logTexts+`).includes('Are you still there?') && !document.querySelector('.log .m.pending')`)
	waitJS(t, visitor, `__msgs().filter(m => m.text === 'Yes, one moment please.').length === 1`, 10*time.Second)
	if n := eval[float64](t, a1, `[...document.querySelectorAll('.log .m')].filter(m => m.querySelector('.b').textContent === 'Yes, one moment please.').length`); n != 1 {
		t.Errorf("agent 1 shows its message %v times", n)
	}

	// Agent 1 ends the chat; ACW runs and is ended early. Agent 2 extends
	// its ACW, then ends it.
	click(t, a1, `.panel:not([hidden]) .end-btn`)
	waitJS(t, visitor, `__visible('.actions .new') && __msgs().some(m => m.who === 'system' && m.text === 'The chat has ended. Thank you!')`, 10*time.Second)
	waitConsole(t, a1, "ACW", `!document.querySelector('.banner.acw').hidden && document.querySelector('.side .state').textContent === 'After-call work'`)

	// In ACW, agent 1 attaches a code and a tag with the keyboard: only the
	// codes of the service's OU and above are offered.
	waitConsole(t, a1, "codes offered", `JSON.stringify([...document.querySelectorAll('.panel:not([hidden]) form.labels .code label')].map(l => l.textContent)) === '["Complaint","Delivery"]'`)
	eval[any](t, a1, fmt.Sprintf(`document.querySelector('.panel:not([hidden]) form.labels input[data-code=%q]').focus()`, delivery.ID))
	keys(t, a1, " ")
	eval[any](t, a1, `document.querySelector('.panel:not([hidden]) form.labels .tags-input').focus()`)
	keys(t, a1, "parcel late, Parcel late \r")
	waitConsole(t, a1, "labels saved", `document.querySelector('.panel:not([hidden]) .label-status').textContent === 'Saved.' &&
	  document.querySelector('.panel:not([hidden]) .tags-input').value === 'parcel late' && document.querySelector('.side .state').textContent === 'After-call work'`)
	e.screenshot(t, a1, "console-codes-acw")
	click(t, a1, `.banner.acw .acw-end`)
	waitConsole(t, a1, "ACW ended early", `document.querySelector('.banner.acw').hidden && document.querySelector('.side .state').textContent === 'Available'`)
	click(t, a2, `.banner.acw .acw-extend`)
	waitConsole(t, a2, "ACW extended", `/^1[45]:\d\d left$/.test(document.querySelector('.banner.acw .left').textContent)`)
	altKey(t, a2, "2") // My Sessions, by keyboard
	click(t, a2, `.banner.acw .acw-end`)
	waitConsole(t, a2, "ACW ended", `document.querySelector('.banner.acw').hidden`)

	// My Sessions: agent 1 declined (red), then accepted (green); agent 2
	// accepted and transferred (green).
	click(t, a1, `nav [data-view=sessions]`)
	waitConsole(t, a1, "my sessions", `JSON.stringify([...document.querySelectorAll('tr.session')].map(r => r.dataset.outcome + ' ' + r.className)) ===
	  JSON.stringify(['accepted session c-green', 'declined session c-red'])`)
	waitConsole(t, a1, "labels in My Sessions", `(() => { const r = document.querySelector('tr.session[data-outcome=accepted]');
	  return r.querySelector('.labels-cell').textContent === 'Delivery, #parcel late' && !!r.querySelector('.label-btn') &&
	    !document.querySelector('tr.session[data-outcome=declined] .label-btn'); })()`)
	e.screenshot(t, a1, "console-my-sessions")
	waitConsole(t, a2, "my sessions 2", `JSON.stringify([...document.querySelectorAll('tr.session')].map(r => r.dataset.outcome + ' ' + r.className + ' ' + r.dataset.live)) ===
	  JSON.stringify(['transferred session c-green false'])`)
	// Agent 2 labels the transferred session later, from My Sessions, with
	// the keyboard: the editor opens below the row, Enter saves, Esc closes.
	eval[any](t, a2, `document.querySelector('tr.session .label-btn').focus()`)
	keys(t, a2, "\r")
	waitConsole(t, a2, "editor open", `!!document.querySelector('tr.edit form.labels .code input') && document.activeElement.matches('tr.edit input')`)
	eval[any](t, a2, `document.querySelector('tr.edit .tags-input').focus()`)
	keys(t, a2, "wrong department\r")
	waitConsole(t, a2, "saved from My Sessions", `document.querySelector('tr.edit .label-status').textContent === 'Saved.' &&
	  document.querySelector('tr.session .labels-cell').textContent === '#wrong department'`)
	keys(t, a2, "\x1b")
	waitConsole(t, a2, "editor closed", `!document.querySelector('tr.edit') && document.activeElement.matches('tr.session .label-btn')`)
	if got := eval[string](t, a1, `document.querySelector('tr.session').textContent`); !strings.Contains(got, "Support") || !strings.Contains(got, "Vera Visitor") || !strings.Contains(got, "Chat") {
		t.Errorf("a My Sessions row: %q", got)
	}
	waitConsole(t, sup, "agents free", `[...document.querySelectorAll('.queue tr[data-agent]')].every(r => r.dataset.state === 'available')`)

	// RONA: agent 2 takes a break (with a reason); a new chat rings agent 1
	// until the ring timeout: the RONA banner shows, the supervisor sees
	// it, and agent 1 resets it.
	setPresence(t, a2, "away")
	eval[any](t, a2, `(() => { const r = document.getElementById('reason'); r.value = 'Break'; r.dispatchEvent(new Event('change')); })()`)
	waitConsole(t, sup, "reason shown", `[...document.querySelectorAll('.queue tr[data-agent]')].some(r => r.dataset.state === 'not_available' && r.textContent.includes('Not available — Break'))`)
	_, tok, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	l.dialVisitorOK(shopOrigin, tok, 0).next("hello") // a visitor who never connects is gone after 15 s
	waitConsole(t, a1, "second offer", `!!document.querySelector('.offer .accept')`)
	l.clock.Advance(31 * time.Second) // the ring timeout (30 s by default)
	waitConsole(t, a1, "RONA banner", `!document.querySelector('.banner.rona').hidden && !document.querySelector('.offer') && document.querySelector('.side .state').textContent === 'RONA'`)
	waitConsole(t, sup, "RONA seen", `[...document.querySelectorAll('.queue tr[data-agent]')].some(r => r.dataset.state === 'rona')`)
	waitConsole(t, a1, "RONA in My Sessions", `(() => { const r = document.querySelector('tr.session'); return !!r && r.dataset.outcome === 'rona' && r.classList.contains('c-yellow'); })()`)
	click(t, a1, `.banner.rona .rona-reset`)
	// Selectable again, agent 1 is offered the still waiting chat at once.
	waitConsole(t, a1, "RONA reset", `document.querySelector('.banner.rona').hidden && !!document.querySelector('.offer .accept') &&
	  document.querySelector('.side .state').textContent === 'Ringing'`)
}

// TestAgentConsoleEndpoints checks the console's page and REST endpoints
// without a browser: each agent sees only their own memberships, sessions
// and offered tasks.
func TestAgentConsoleEndpoints(t *testing.T) {
	l := newLive(t, 2, interact.Distribution{Type: interact.DistributeDirect})
	ctx := context.Background()
	sales, err := l.db.CreateService(ctx, l.admin, interact.Service{Name: "Sales", OUID: l.ouID,
		License: interact.LicenseContactCenter, InteractLicense: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.db.PutMember(ctx, l.admin, sales.ID, l.agents[1].ID, false); err != nil {
		t.Fatal(err)
	}
	get := func(path, bearer string, out any) (int, http.Header) {
		t.Helper()
		req, _ := http.NewRequest("GET", l.url+path, nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if out != nil {
			if s, ok := out.(*string); ok {
				*s = string(b)
			} else if err := json.Unmarshal(b, out); err != nil && resp.StatusCode == 200 {
				t.Fatalf("GET %s: %v in %s", path, err, b)
			}
		}
		return resp.StatusCode, resp.Header
	}

	// The page names its hashed script; the script is served, nothing else is.
	var page string
	code, h := get("/agent", "", &page)
	script := regexp.MustCompile(`/agent/console\.[0-9a-f]{12}\.js`).FindString(page)
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/html") || !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") || script == "" {
		t.Fatalf("GET /agent: %d %v script %q", code, h, script)
	}
	if code, h := get(script, "", nil); code != 200 || h.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("GET %s: %d %v", script, code, h)
	}
	for _, p := range []string{"/agent/ui.6929a3d9716c.js", "/agent/widget.js", "/agent/console.000000000000.js"} {
		if code, _ := get(p, "", nil); code != 404 {
			t.Errorf("GET %s: %d, want 404", p, code)
		}
	}
	for _, p := range []string{"/api/v1/me/services", "/api/v1/me/sessions", "/api/v1/me/tasks/x/preview"} {
		if code, _ := get(p, "", nil); code != 401 {
			t.Errorf("GET %s without a session: %d, want 401", p, code)
		}
	}

	// Memberships: each agent their own, with their own toggle.
	type membership struct {
		ID, Name string
		Active   bool
	}
	var m0, m1 []membership
	get("/api/v1/me/services", l.tokens[0], &m0)
	get("/api/v1/me/services", l.tokens[1], &m1)
	if len(m0) != 1 || m0[0] != (membership{l.svc.ID, "Support", true}) {
		t.Errorf("agent 0's services: %+v", m0)
	}
	if len(m1) != 2 || m1[0] != (membership{sales.ID, "Sales", false}) || m1[1] != (membership{l.svc.ID, "Support", true}) {
		t.Errorf("agent 1's services: %+v", m1)
	}

	// A waiting chat with a first message is offered to agent 0 alone:
	// only agent 0 may read its first message.
	taskID, token, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	v := l.dialVisitorOK(shopOrigin, token, 0)
	v.next("hello")
	v.send("message.send", map[string]any{"clientId": "v1", "text": "<b>Where</b> is my parcel?"})
	v.next("message.ack")
	// (Not l.agentSocket: its await("ok") could swallow the offer.)
	ag, _, err := dialWS(t, strings.Replace(l.url, "http", "ws", 1)+"/agent/v1/ws", http.Header{"Authorization": {"Bearer " + l.tokens[0]}})
	if err != nil {
		t.Fatal(err)
	}
	ag.next("hello")
	ag.send("presence.set", map[string]any{"presence": "available"})
	offer := data(ag.awaitWhere("offer", func(f map[string]any) bool { return field(data(f), "task")["id"] == taskID }))
	var p struct{ FirstMessage string }
	if code, _ := get("/api/v1/me/tasks/"+taskID+"/preview", l.tokens[0], &p); code != 200 || p.FirstMessage != "<b>Where</b> is my parcel?" {
		t.Errorf("agent 0's preview: %d %+v", code, p)
	}
	if code, _ := get("/api/v1/me/tasks/"+taskID+"/preview", l.tokens[1], nil); code != 404 {
		t.Errorf("agent 1 read the first message of a task never offered to them: %d", code)
	}

	type sess struct {
		TaskID, ServiceName, VisitorName, Outcome, Modality string
		EndedAt                                             *time.Time
	}
	var s0, s1 struct{ Items []sess }
	get("/api/v1/me/sessions", l.tokens[0], &s0)
	get("/api/v1/me/sessions", l.tokens[1], &s1)
	if len(s0.Items) != 1 || s0.Items[0].TaskID != taskID || s0.Items[0].ServiceName != "Support" || s0.Items[0].VisitorName != "Vera Visitor" ||
		s0.Items[0].Modality != "chat" || s0.Items[0].EndedAt != nil || s0.Items[0].Outcome != "" {
		t.Errorf("agent 0's live session: %+v", s0.Items)
	}
	if len(s1.Items) != 0 {
		t.Errorf("agent 1 sees sessions of others: %+v", s1.Items)
	}
	ag.reply(ag.send("offer.decline", map[string]any{"offerId": offer["offerId"]}))
	get("/api/v1/me/sessions", l.tokens[0], &s0)
	// The only agent, agent 0 is offered the chat again (a new round): the
	// new offer comes first, live, then the declined one.
	if len(s0.Items) != 2 || s0.Items[0].EndedAt != nil || s0.Items[1].Outcome != interact.OfferDeclined || s0.Items[1].EndedAt == nil {
		t.Errorf("agent 0's sessions after declining: %+v", s0.Items)
	}
	// The supervisor view's queue.watch: not for a service the agent
	// neither belongs to nor supervises.
	wantErrorFrame(t, "watch a foreign service", ag.reply(ag.send("queue.watch", map[string]any{"serviceId": sales.ID})), interact.ENOTFOUND)
	if code, _ := get("/api/v1/me/sessions?limit=0", l.tokens[0], nil); code != 400 {
		t.Errorf("limit=0: %d, want 400", code)
	}
}

// TestAgentConsolePickupInBrowser: a pickup service lists its waiting
// tasks live in the console; the agent picks one up with Alt+P and another
// with Tab and Enter on its "Pick up" button, and the console switches its
// language from its own setting.
func TestAgentConsolePickupInBrowser(t *testing.T) {
	chromium := chromiumOrSkip(t)
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributePickup})
	e := &browserEnv{l: l, browser: newBrowser(t, chromium), shots: os.Getenv("INTERACT_SCREENSHOTS")}
	a := e.tab(t)
	signInConsole(t, a, l.url, "agent0@live.test", "agent-password")
	setPresence(t, a, "available")
	waitConsole(t, a, "available", `document.querySelector('.side .state').textContent === 'Available'`)
	waitConsole(t, a, "an empty pick-up list", `!document.querySelector('.pickup').hidden && document.querySelector('.pickup h2').textContent.endsWith('(0)')`)

	// The first visitor answers the service's pre-chat form; "legacy" is
	// removed from the form before the agent sees the chat.
	if err := l.db.SaveWidgetSettings(context.Background(), l.admin, interact.OwnerService, l.svc.ID, labelledForm(true)); err != nil {
		t.Fatal(err)
	}
	req := chatReq(l.st.WidgetKey)
	req["visitor"].(map[string]any)["fields"] = map[string]any{"order": "<i>4711</i>", "legacy": "x"}
	first, _, _ := l.begin(shopOrigin, req)
	if err := l.db.SaveWidgetSettings(context.Background(), l.admin, interact.OwnerService, l.svc.ID, labelledForm(false)); err != nil {
		t.Fatal(err)
	}
	second, _, _ := l.begin(shopOrigin, map[string]any{"widgetKey": l.st.WidgetKey, "modality": "chat", "visitor": map[string]any{"name": "<b>Bo</b>"}})
	waitConsole(t, a, "both waiting, live", fmt.Sprintf(`JSON.stringify([...document.querySelectorAll('.pickup tbody tr')].map(r => r.dataset.task + ' ' + r.cells[0].textContent + ' ' + r.cells[1].textContent)) === %q`,
		fmt.Sprintf(`["%s Vera Visitor Support","%s <b>Bo</b> Support"]`, first, second)))
	if n := eval[float64](t, a, `document.querySelectorAll('.offer, .pickup b').length`); n != 0 {
		t.Errorf("a pickup task rang, or a visitor's markup became elements: %v", n)
	}
	e.screenshot(t, a, "console-pickup")

	altKey(t, a, "p")
	waitConsole(t, a, "first picked up", fmt.Sprintf(`document.querySelectorAll('[role=tab]').length === 1 && document.querySelector('[role=tab]').dataset.task === %q &&
	  document.querySelectorAll('.pickup tbody tr').length === 1 && !document.querySelector('.offer')`, first))
	// Its pre-chat fields by their labels, values as text; a key without a
	// field shows as itself.
	const shownFields = `JSON.stringify([...document.querySelectorAll('.panel:not([hidden]) .fields dt')].map(d => d.textContent + '=' + d.nextElementSibling.textContent)) + document.querySelectorAll('.fields i').length`
	waitConsole(t, a, "fields by label", shownFields+` === '["legacy=x","Order number=<i>4711</i>"]0'`)
	eval[any](t, a, `document.querySelector('.pickup button.pickup-btn').focus()`)
	keys(t, a, "\r")
	waitConsole(t, a, "second picked up", `document.querySelectorAll('[role=tab]').length === 2 && document.querySelectorAll('.pickup tbody tr').length === 0`)
	for _, id := range []string{first, second} {
		if task, ok := l.engine.Task(id); !ok || task.State != interact.TaskConnected || task.AgentID != l.agents[0].ID {
			t.Errorf("task %s after the pick-up: %+v", id, task)
		}
	}

	// The language: German from the console's setting, kept on reload.
	eval[any](t, a, `(() => { const s = document.getElementById('lang'); s.value = 'de'; s.dispatchEvent(new Event('change')); })()`)
	waitAcrossReload(t, a, "German", `document.documentElement.lang === 'de' && document.querySelector('nav [data-view=sessions]').textContent === 'Meine Sitzungen' &&
	  document.querySelector('.pickup h2').textContent.startsWith('Warten auf Übernahme') && document.querySelectorAll('[role=tab]').length === 2`)
	click(t, a, fmt.Sprintf(`[role=tab][data-task=%q]`, first))
	waitConsole(t, a, "fields by their German label", shownFields+` === '["legacy=x","Bestellnummer=<i>4711</i>"]0'`)
}

// waitAcrossReload waits until js is true in a page that is reloading: the
// evaluation fails while the old document goes away, and is retried.
func waitAcrossReload(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	var ok bool
	var err error // the last evaluation's
	defer func() {
		if !ok { // timed out: what the console shows
			state, _ := chromedp.Run(ctx, chromedp.Evaluate[any](consoleState))
			t.Logf("%s: last evaluation error %v\nconsole: %v", what, err, state)
		}
	}()
	eventually.True(t, what+": "+js, func() bool {
		ok, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { try { return !!(`+js+`); } catch { return false; } })()`))
		ok = ok && err == nil
		return ok
	})
}
