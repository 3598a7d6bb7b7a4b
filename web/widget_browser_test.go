package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/web"
)

// The widget in a real browser (Debian's chromium driven by chromedp): one
// interact stack, one page server for the host pages and one browser for
// the whole file. Host names map to loopback, so origins are real: the
// service allows *.example.test (any port) only.

// pageHelpers runs in every page before its scripts (CDP scripts are not
// subject to the page's CSP). It gives the tests short names for the widget's
// shadow root, records CSP violations, dialogs, the widget's events and the
// last Blob the page turned into a URL (the transcript download).
const pageHelpers = `
window.__csp = [];
window.__errors = [];
window.addEventListener('error', e => __errors.push(String(e.message)));
document.addEventListener('securitypolicyviolation', e => __csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.__events = [];
window.addEventListener('interact:ready', () => {
  for (const ev of ['ready', 'open', 'close', 'chat.started', 'message', 'chat.ended', 'agent.joined'])
    Interact.on(ev, d => __events.push(ev));
});
window.__root = () => { const h = document.querySelector('interact-widget'); return h && h.shadowRoot; };
window.__q = s => { const r = __root(); return r && r.querySelector(s); };
window.__text = s => { const e = __q(s); return e ? e.textContent : ''; };
window.__visible = s => { const e = __q(s); return !!e && e.getClientRects().length > 0; };
window.__msgs = () => [...(__root() ? __root().querySelectorAll('.m:not(.local)') : [])]
  .map(e => ({seq: +e.dataset.seq || 0, who: e.classList.contains('v') ? 'visitor' : e.classList.contains('a') ? 'agent' : 'system',
    text: e.querySelector('.b').lastChild.textContent, st: (e.querySelector('.st') || {}).textContent || ''}));
window.__warns = [];
const warn = console.warn;
console.warn = (...a) => { __warns.push(a.map(String).join(' ')); return warn.apply(console, a); };
window.__configs = 0;
const fetch0 = window.fetch;
window.fetch = (...a) => { if (String(a[0]).includes('/widget/v1/config')) __configs++; return fetch0.apply(window, a); };
window.__configSockets = [];
const WS0 = window.WebSocket;
window.WebSocket = function (u, p) { const s = new WS0(u, p); if (String(u).includes('/widget/v1/config/ws')) __configSockets.push(s); return s; };
window.WebSocket.prototype = WS0.prototype;
Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
const create = URL.createObjectURL;
URL.createObjectURL = b => { window.__blob = b; return create.call(URL, b); };
`

type browserEnv struct {
	l        *live
	frontURL string // the second front end, behind proxy
	proxy    *cutProxy
	pagePort string
	browser  context.Context
	shots    string // directory for screenshots (INTERACT_SCREENSHOTS), or ""
}

func TestWidgetInBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("INTERACT_REQUIRE_BROWSER") != "" {
			t.Fatal("chromium is not installed, and INTERACT_REQUIRE_BROWSER is set")
		}
		t.Skip("chromium is not installed (apt-get install chromium); set INTERACT_REQUIRE_BROWSER=1 to fail instead")
	}
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})

	// A second front end on the same stack, behind a proxy the test can cut:
	// it plays the --demo server (its /demo page is same-origin with it),
	// and its visitor tokens live 4 s, so widgets refresh them.
	proxy := newCutProxy(t)
	frontURL := "http://" + proxy.addr()
	l.restrictTo("*.example.test:*", frontURL)
	frontCfg := l.webCfg
	frontCfg.PublicURL = frontURL
	frontCfg.VisitorTokenTTL = 4 * time.Second
	frontCfg.DemoSnippet = interact.Snippet(frontURL, l.st.ContactID, l.st.WidgetKey)
	front := web.NewServer(frontCfg, l.db)
	t.Cleanup(front.Close)
	frontSrv := httptest.NewServer(front)
	t.Cleanup(frontSrv.Close)
	proxy.setTarget(frontSrv.Listener.Addr().String())

	e := &browserEnv{l: l, frontURL: frontURL, proxy: proxy, pagePort: pageServer(t, l, frontURL), browser: newBrowser(t, chromium), shots: os.Getenv("INTERACT_SCREENSHOTS")}
	t.Run("ChatFromAllowedOrigin", e.testChat)
	t.Run("RefusedOrigins", e.testRefused)
	t.Run("RefusedOriginWarnsOnce", e.testRefusedWarning)
	t.Run("SystemFontEverywhere", e.testFonts)
	t.Run("EndedShownOnce", e.testEndedOnce)
	t.Run("ReloadNavigationAndTabs", e.testReload)
	t.Run("OutageAndTokenRefresh", e.testOutage)
	t.Run("LiveModalityToggle", e.testLiveToggle)
	t.Run("AgentHTMLIsText", e.testXSS)
	t.Run("StrictCSP", e.testCSP)
	t.Run("LanguageAndTheme", func(t *testing.T) {
		tab := e.tab(t)
		navigate(t, tab, e.page("de.example.test", "/de"))
		waitJS(t, tab, `__visible('.launcher') && __q('.launcher').getAttribute('aria-label') === 'Chatten Sie mit uns'`, 5*time.Second)
		eval[any](t, tab, `__q('.launcher').click()`)
		waitJS(t, tab, `__visible('input[name=name]') && __text('form.form button[type=submit]') === 'Chat starten'`, 5*time.Second)
		got := eval[map[string]string](t, tab, `(() => { const l = getComputedStyle(__q('.launcher')), h = __root().host.getBoundingClientRect(), p = __q('.panel');
		  return {bg: l.backgroundColor, fg: l.color, left: String(h.left), lang: p.lang}; })()`)
		if got["bg"] != "rgb(255, 204, 0)" || got["fg"] != "rgb(17, 17, 17)" || got["left"] != "20" || got["lang"] != "de" {
			t.Errorf("theme and language: %v", got)
		}
	})
	t.Run("QueuedCallsBeforeLoad", func(t *testing.T) {
		tab := e.tab(t)
		navigate(t, tab, e.page("shop.example.test", "/queued"))
		waitJS(t, tab, `__visible('form.form input[name=name]') && window.__queuedReady === true`, 5*time.Second)
		if v := eval[[]string](t, tab, `__errors`); len(v) != 0 {
			t.Errorf("page errors with a queued open: %v", v)
		}
	})
	t.Run("DemoPage", func(t *testing.T) {
		tab := e.tab(t)
		navigate(t, tab, frontURL+"/demo")
		waitJS(t, tab, `__visible('.launcher') && !__q('.launcher').classList.contains('off')`, 5*time.Second)
		eval[any](t, tab, `__q('.launcher').click()`)
		waitJS(t, tab, `__visible('form.form input[name=name]')`, 5*time.Second)
		if v := eval[[]string](t, tab, `__csp`); len(v) != 0 {
			t.Errorf("CSP violations on the demo page: %v", v)
		}
	})
	t.Run("AdminWidgetTab", e.testAdminWidgetTab)
	t.Run("PreChatFormAndTexts", e.testPreChatForm)
	t.Run("TwoTabDrafts", e.testTwoTabDrafts)
	t.Run("LeaveAMessage", e.testLeaveMessage) // it moves the engine's clock
	t.Run("ClosedOutOfHours", e.testClosed)
}

// cutProxy forwards TCP connections to target until cut, which drops every
// open connection and refuses new ones until restored.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newCutProxy(t *testing.T) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); p.cut(true) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

// setTarget sets where the proxy forwards; connections may already be arriving.
func (p *cutProxy) setTarget(addr string) {
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
}

func (p *cutProxy) pipe(c net.Conn) {
	p.mu.Lock()
	if p.down {
		p.mu.Unlock()
		c.Close()
		return
	}
	d, err := net.Dial("tcp", p.target)
	if err != nil {
		p.mu.Unlock()
		c.Close()
		return
	}
	p.conns[c], p.conns[d] = true, true
	p.mu.Unlock()
	go func() { io.Copy(d, c); d.Close() }()
	io.Copy(c, d)
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, d)
	p.mu.Unlock()
}

func (p *cutProxy) cut(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
	}
}

// pageServer serves the host pages of every test host name: "/" and
// "/page2" embed the snippet; "/csp" does too, under a strict CSP that
// allows only interact.
func pageServer(t *testing.T, l *live, frontURL string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	snippet := interact.Snippet(l.url, l.st.ContactID, l.st.WidgetKey)
	snippet = strings.Replace(snippet, "<script ", `<script data-lang="en" `, 1)
	apiHost := strings.TrimPrefix(l.url, "http://")
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tag := snippet
		switch r.URL.Path {
		case "/", "/page2":
		case "/serif": // a page whose own styles would reach the widget if they could
			tag = `<style>* { font: 20px/1 "Times New Roman", serif !important; color: #c00 !important; }
interact-widget { font-family: cursive !important; }</style>` + snippet
		case "/front": // the widget of the second front end
			tag = strings.Replace(snippet, l.url, frontURL, 1)
		case "/queued": // calls queued before the snippet loads
			tag = `<script>window.Interact = {q: [["open"], ["on", "ready", () => { window.__queuedReady = true; }]]}</script>` + snippet
		case "/de": // German, on the left, in yellow
			tag = strings.Replace(snippet, `data-lang="en"`, `data-lang="de" data-position="left" data-color="#ffcc00"`, 1)
		case "/csp":
			policy := widgetCSP(apiHost)
			if n := r.URL.Query().Get("nonce"); n != "" {
				// A nonce-based policy: the snippet carries the nonce, and
				// 'strict-dynamic' lets the loader add the UI bundle.
				policy = "script-src 'nonce-" + n + "' 'strict-dynamic'; connect-src http://" + apiHost + " ws://" + apiHost + "; object-src 'none'; base-uri 'none'"
				tag = strings.Replace(snippet, "<script ", `<script nonce="`+n+`" `, 1)
			}
			w.Header().Set("Content-Security-Policy", policy)
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop %s</title></head>
<body><h1>Shop</h1><p>A host page at %s.</p><a id="next" href="/page2">Next page</a>
%s
</body></html>`, r.URL.Path, r.Host, tag)
	})}}
	srv.Start()
	t.Cleanup(srv.Close)
	return port
}

// widgetCSP is the strictest host-page policy the widget works under: the
// page allows nothing but interact's scripts and connections (no
// style-src: the widget's styles are constructed stylesheets).
func widgetCSP(apiHost string) string {
	return "default-src 'none'; script-src http://" + apiHost + "; connect-src http://" + apiHost + " ws://" + apiHost
}

func newBrowser(t *testing.T, chromium string) context.Context {
	logFile, err := os.Create(filepath.Join(t.TempDir(), "chromium.log"))
	if err != nil {
		t.Fatal(err)
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP *.example.test 127.0.0.1, MAP example.test 127.0.0.1, MAP evil.test 127.0.0.1"),
		chromedp.WindowSize(1100, 800),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(logFile),
	)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser: no timeout here
		t.Fatal(err)
	}
	return ctx
}

// tab opens a tab with its own storage (a fresh browser context) and the
// page helpers.
func (e *browserEnv) tab(t *testing.T) context.Context {
	ctx, cancel := chromedp.NewContext(e.browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	addHelpers(t, ctx)
	return ctx
}

// sibling opens another tab in the same browser context as ctx (shared storage).
func sibling(t *testing.T, ctx context.Context) context.Context {
	c, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	if err := chromedp.Do(c); err != nil {
		t.Fatal(err)
	}
	addHelpers(t, c)
	return c
}

func addHelpers(t *testing.T, ctx context.Context) {
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: pageHelpers}); err != nil {
		t.Fatal(err)
	}
}

func (e *browserEnv) page(host, path string) string {
	return "http://" + host + ":" + e.pagePort + path
}

func navigate(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(c, chromedp.Navigate(url)); err != nil {
		t.Fatalf("navigate to %s: %v", url, err)
	}
}

// eval evaluates a JS expression (awaiting promises) and decodes its value.
func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("eval %s: %v", js, err)
	}
	return v
}

// waitJS waits until a JS expression is true and returns how long it took.
func waitJS(t *testing.T, ctx context.Context, js string, timeout time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		c, cancel := context.WithTimeout(ctx, timeout+2*time.Second)
		_, err := chromedp.Run(c, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(timeout-time.Since(start))))
		cancel()
		if err != nil && (strings.Contains(err.Error(), "context") || strings.Contains(err.Error(), "navigated")) && time.Since(start) < timeout {
			time.Sleep(50 * time.Millisecond) // the page is navigating: a pause before retrying, bounded by timeout
			continue
		}
		if err == nil {
			return time.Since(start)
		}
		var state any
		state, _ = chromedp.Run(ctx, chromedp.Evaluate[any](`({sub: __text('.sub'), view: __root() && [...__root().querySelectorAll('.panel > *, .bottom *')].slice(0, 8).map(e => e.className), msgs: window.__msgs && __msgs(), events: window.__events, csp: window.__csp})`))
		t.Fatalf("waiting for %s: %v\nwidget: %v", js, err, state)
	}
}

// keys types into the focused element with real key events.
func keys(t *testing.T, ctx context.Context, s string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.KeyEvent(s)); err != nil {
		t.Fatal(err)
	}
}

func (e *browserEnv) screenshot(t *testing.T, ctx context.Context, name string) {
	if e.shots == "" {
		return
	}
	b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	os.MkdirAll(e.shots, 0o755)
	os.WriteFile(filepath.Join(e.shots, name+".png"), b, 0o644)
}

// agent is the agent's end: a Go client of the agent WebSocket.
type agent struct {
	*wsClient
	taskID string
}

func (e *browserEnv) agent(t *testing.T) *agent {
	t.Helper()
	w, _, err := dialWS(t, strings.Replace(e.l.url, "http", "ws", 1)+"/agent/v1/ws", http.Header{"Authorization": {"Bearer " + e.l.tokens[0]}})
	if err != nil {
		t.Fatal(err)
	}
	w.await("hello")
	w.send("presence.set", map[string]any{"presence": "available"})
	w.await("ok")
	return &agent{wsClient: w}
}

// accept takes the next offer and returns its task summary.
func (a *agent) accept() map[string]any {
	a.t.Helper()
	offer := data(a.await("offer"))
	a.send("offer.accept", map[string]any{"offerId": offer["offerId"]})
	a.await("ok")
	task := offer["task"].(map[string]any)
	a.taskID = task["id"].(string)
	return task
}

func (a *agent) say(text string) {
	a.t.Helper()
	a.send("message.send", map[string]any{"taskId": a.taskID, "clientId": fmt.Sprintf("a-%d", time.Now().UnixNano()), "text": text})
	a.await("message.ack")
}

// heard waits for the visitor's message with this text.
func (a *agent) heard(text string) map[string]any {
	a.t.Helper()
	for {
		m := data(a.await("message"))
		if m["from"] == "visitor" && m["text"] == text {
			return m
		}
	}
}

// awaitData waits for a frame of type typ whose data satisfies ok.
func (a *agent) awaitData(typ string, ok func(map[string]any) bool) map[string]any {
	a.t.Helper()
	for {
		if d := data(a.await(typ)); ok(d) {
			return d
		}
	}
}

// startChat opens the widget and submits the pre-chat form by script.
func startChat(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	waitJS(t, ctx, `__visible('.launcher')`, 5*time.Second)
	eval[any](t, ctx, `__q('.launcher').click()`)
	waitJS(t, ctx, `__visible('input[name=name]')`, 5*time.Second)
	eval[any](t, ctx, fmt.Sprintf(`(() => { __q('input[name=name]').value = %q; __q('input[name=consent]').checked = true; __q('form.form button[type=submit]').click(); })()`, name))
	waitJS(t, ctx, `__visible('.composer textarea')`, 5*time.Second)
}

// send types a message into the composer and sends it by script.
func send(t *testing.T, ctx context.Context, text string) {
	t.Helper()
	eval[any](t, ctx, fmt.Sprintf(`(() => { const ta = __q('.composer textarea'); ta.value = %q; ta.form.requestSubmit(); })()`, text))
}

type shownMsg struct {
	Seq  int    `json:"seq"`
	Who  string `json:"who"`
	Text string `json:"text"`
	St   string `json:"st"`
}

// (a) From an allowed origin: launcher, pre-chat form by keyboard, queue
// status, agent joined, messages both ways with typing and read receipts,
// end, transcript download.
func (e *browserEnv) testChat(t *testing.T) {
	tab := e.tab(t)
	ag := e.agent(t)
	navigate(t, tab, e.page("shop.example.test", "/"))
	waitJS(t, tab, `__visible('.launcher')`, 5*time.Second)
	ms := eval[float64](t, tab, `performance.getEntriesByName('interact:launcher')[0].startTime`)
	t.Logf("page load to launcher visible: %.0f ms", ms)
	e.screenshot(t, tab, "1-launcher")

	// Open by keyboard: focus the launcher, press Enter; focus moves into the form.
	eval[any](t, tab, `__q('.launcher').focus()`)
	keys(t, tab, "\r")
	waitJS(t, tab, `__root().activeElement && __root().activeElement.name === 'name'`, 5*time.Second)
	if got := eval[string](t, tab, `__q('.launcher').getAttribute('aria-expanded')`); got != "true" {
		t.Errorf("launcher aria-expanded %q", got)
	}
	// Submitting without consent is refused with a message.
	keys(t, tab, "Vera Visitor\t")
	keys(t, tab, "vera@example.com\t\t\r")
	waitJS(t, tab, `__text('#ic-e-consent') !== ''`, 3*time.Second)
	e.screenshot(t, tab, "2-prechat")
	eval[any](t, tab, `__q('input[name=consent]').focus()`)
	keys(t, tab, " \t\r")

	// Waiting: the status line tells the queue state.
	waitJS(t, tab, `__visible('.composer textarea')`, 5*time.Second)
	waitJS(t, tab, `/queue|Waiting/.test(__text('.sub'))`, 3*time.Second)
	t.Logf("while waiting: %q", eval[string](t, tab, `__text('.sub')`))
	ag.accept()
	waitJS(t, tab, `__text('.sub') === 'You are chatting with Agent 0.'`, 5*time.Second)
	if got := eval[string](t, tab, `__root().activeElement && __root().activeElement.tagName`); got != "TEXTAREA" {
		t.Errorf("focus after start on %q, want the composer", got)
	}

	// Visitor types: the agent sees typing, then the message.
	keys(t, tab, "Hello")
	ag.awaitData("typing", func(d map[string]any) bool { return d["from"] == "visitor" && d["on"] == true })
	keys(t, tab, " there\r")
	// Sending ends the typing: "off" comes before the message.
	var m map[string]any
	for typingOn := true; m == nil; {
		f := ag.awaitWhere("", func(f map[string]any) bool { return f["type"] == "typing" || f["type"] == "message" })
		switch d := data(f); {
		case f["type"] == "typing" && d["from"] == "visitor":
			typingOn = d["on"] == true
		case d["from"] == "visitor" && d["text"] == "Hello there":
			if m = d; typingOn {
				t.Error("the visitor's message came while their typing was still on")
			}
		}
	}
	waitJS(t, tab, `__msgs().some(m => m.who === 'visitor' && m.text === 'Hello there' && m.seq > 0 && m.st === 'Sent')`, 5*time.Second)

	// The agent types and reads: the visitor sees both.
	ag.send("typing", map[string]any{"taskId": ag.taskID, "on": true})
	waitJS(t, tab, `__text('.typing') === 'Agent 0 is typing…'`, 5*time.Second)
	ag.send("read", map[string]any{"taskId": ag.taskID, "seq": m["seq"]})
	waitJS(t, tab, `__msgs().some(m => m.text === 'Hello there' && m.st === 'Read')`, 5*time.Second)
	ag.say("Hi Vera, how can I help?")
	waitJS(t, tab, `__msgs().some(m => m.who === 'agent' && m.text === 'Hi Vera, how can I help?') && __text('.typing') === ''`, 5*time.Second)
	// The visitor has the panel open: the agent gets a read receipt.
	ag.awaitData("read", func(d map[string]any) bool { return d["from"] == "visitor" && d["seq"].(float64) > m["seq"].(float64) })
	e.screenshot(t, tab, "3-chat")

	// With the panel closed, a new agent message shows on the launcher.
	eval[any](t, tab, `Interact.close()`)
	ag.say("Still there?")
	waitJS(t, tab, `__text('.badge') === '1' && !__q('.badge').hidden && __q('.launcher').getAttribute('aria-label') === 'Chat with us (1 unread messages)'`, 5*time.Second)
	eval[any](t, tab, `Interact.open()`)
	waitJS(t, tab, `__visible('.composer textarea') && __q('.badge').hidden`, 3*time.Second)

	// End the chat; download the transcript.
	eval[any](t, tab, `__q('.actions .end').click()`)
	ag.awaitData("task.ended", func(map[string]any) bool { return true })
	// The service's ended message says it; the status line does not repeat it.
	waitJS(t, tab, `__visible('.actions .dl') && __msgs().some(m => m.who === 'system' && m.text === 'The chat has ended. Thank you!') && __text('.sub') === ''`, 5*time.Second)
	e.screenshot(t, tab, "4-ended")
	eval[any](t, tab, `__q('.actions .dl').click()`)
	waitJS(t, tab, `!!window.__blob`, 5*time.Second)
	text := eval[string](t, tab, `__blob.text()`)
	if !strings.Contains(text, "Vera Visitor: Hello there") || !strings.Contains(text, "Agent 0: Hi Vera, how can I help?") || !strings.Contains(text, "Agent 0: Still there?") {
		t.Errorf("transcript:\n%s", text)
	}
	if ev := eval[[]string](t, tab, `__events`); !containsAll(ev, "ready", "open", "chat.started", "agent.joined", "message", "chat.ended") {
		t.Errorf("events %v", ev)
	}
	// Escape closes the panel and gives focus back to the launcher.
	eval[any](t, tab, `__q('.actions .dl').focus()`)
	keys(t, tab, "\x1b")
	waitJS(t, tab, `!__visible('.panel') && __root().activeElement === __q('.launcher')`, 3*time.Second)
}

func containsAll(have []string, want ...string) bool {
	set := map[string]bool{}
	for _, h := range have {
		set[h] = true
	}
	for _, w := range want {
		if !set[w] {
			return false
		}
	}
	return true
}

// (b) Refused origins: evil.test and the apex example.test get no config,
// no task and no WebSocket; the server counts each refusal.
func (e *browserEnv) testRefused(t *testing.T) {
	const refusals = "interact_widget_origin_refusals_total"
	// A grant for an allowed origin, whose socket URL the evil page will try.
	status, g := e.l.startTask("http://shop.example.test:"+e.pagePort, map[string]any{"widgetKey": e.l.st.WidgetKey, "modality": "chat"})
	if status != 201 {
		t.Fatalf("start task: %d %v", status, g)
	}
	defer e.l.engine.EndTask(context.Background(), g["taskId"].(string), interact.ByVisitor)
	for _, host := range []string{"evil.test", "example.test"} {
		tab := e.tab(t)
		before := metric(t, e.l.url, refusals)
		navigate(t, tab, e.page(host, "/"))
		waitJS(t, tab, `__visible('.launcher') && __q('.launcher').classList.contains('off')`, 5*time.Second)
		if got := eval[string](t, tab, `__q('.launcher').getAttribute('aria-label')`); got != "Chat is not available" {
			t.Errorf("%s: launcher label %q", host, got)
		}
		afterConfig := metric(t, e.l.url, refusals)
		if afterConfig <= before {
			t.Errorf("%s: the config request was not refused by the server (%v → %v)", host, before, afterConfig)
		}
		eval[any](t, tab, `__q('.launcher').click()`)
		waitJS(t, tab, `__text('.why') === 'Chat is not available on this website.'`, 5*time.Second)
		if host == "evil.test" {
			e.screenshot(t, tab, "5-not-available")
		}
		if n := eval[int](t, tab, `__root().querySelectorAll('form, textarea').length`); n != 0 {
			t.Errorf("%s: the refused widget shows %d forms", host, n)
		}
		// The page itself cannot start a task (CORS preflight refused)…
		got := eval[string](t, tab, fmt.Sprintf(`fetch(%q, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{}'}).then(r => 'status ' + r.status, e => 'error')`,
			e.l.url+"/widget/v1/tasks?contactId="+e.l.st.ContactID))
		afterTask := metric(t, e.l.url, refusals)
		if got != "error" || afterTask <= afterConfig {
			t.Errorf("%s: POST /widget/v1/tasks from the page: %s; refusals %v → %v", host, got, afterConfig, afterTask)
		}
		// …nor open a WebSocket, even with a valid token.
		got = eval[string](t, tab, fmt.Sprintf(`new Promise(res => { const s = new WebSocket(%q); s.onopen = () => res('open'); s.onerror = () => res('error'); setTimeout(() => res('timeout'), 5000); })`, g["wsUrl"]))
		afterWS := metric(t, e.l.url, refusals)
		if got != "error" || afterWS <= afterTask {
			t.Errorf("%s: WebSocket from the page: %s; refusals %v → %v", host, got, afterTask, afterWS)
		}
	}
}

// (c) A reload mid-chat, even right after sending, loses and doubles
// nothing; navigating to another page and a second tab share the chat.
func (e *browserEnv) testReload(t *testing.T) {
	tab := e.tab(t)
	ag := e.agent(t)
	navigate(t, tab, e.page("reload.example.test", "/"))
	// The page identifies the visitor and gives the agent context, before
	// the UI is loaded (the calls are queued).
	waitJS(t, tab, `!!window.Interact`, 5*time.Second)
	eval[any](t, tab, `Interact.identify({name: 'Rita Reload', email: 'rita@example.com'}); Interact.setContext({page: '/checkout', items: 3})`)
	waitJS(t, tab, `__visible('.launcher')`, 5*time.Second)
	eval[any](t, tab, `__q('.launcher').click()`)
	waitJS(t, tab, `__visible('input[name=name]') && __q('input[name=name]').value === 'Rita Reload' && __q('input[name=email]').value === 'rita@example.com'`, 5*time.Second)
	eval[any](t, tab, `(() => { __q('input[name=consent]').checked = true; __q('form.form button[type=submit]').click(); })()`)
	task := ag.accept()
	v, _ := task["visitor"].(map[string]any)
	if ctx, _ := v["context"].(map[string]any); v["name"] != "Rita Reload" || v["email"] != "rita@example.com" || ctx["page"] != "/checkout" || ctx["items"] != "3" {
		t.Errorf("the agent sees the visitor as %v", v)
	}
	waitJS(t, tab, `__visible('.composer textarea')`, 5*time.Second)
	send(t, tab, "one")
	ag.heard("one")
	ag.say("two")
	waitJS(t, tab, `__msgs().some(m => m.text === 'two')`, 5*time.Second)

	// Send and reload at once: the message may or may not have reached
	// the server; either way it is stored once and shown once.
	eval[any](t, tab, `(() => { window.__old = true; const ta = __q('.composer textarea'); ta.value = 'three'; ta.form.requestSubmit(); location.reload(); })()`)
	waitJS(t, tab, `!window.__old && __visible('.composer textarea') && __msgs().some(m => m.text === 'three' && m.seq > 0)`, 10*time.Second)
	ag.heard("three")
	ag.say("four")
	send(t, tab, "five")
	ag.heard("five")
	waitJS(t, tab, `__msgs().filter(m => m.seq > 0).length >= 5 && __msgs().some(m => m.text === 'four')`, 5*time.Second)
	e.sameAsStore(t, tab, ag.taskID)

	// Another page of the site continues the chat.
	navigate(t, tab, e.page("reload.example.test", "/page2"))
	waitJS(t, tab, `location.pathname === '/page2' && __visible('.composer textarea') && __msgs().some(m => m.text === 'five')`, 10*time.Second)
	e.sameAsStore(t, tab, ag.taskID)

	// A second tab shows the same chat, and both follow it live.
	tab2 := sibling(t, tab)
	navigate(t, tab2, e.page("reload.example.test", "/"))
	waitJS(t, tab2, `!!window.Interact`, 5*time.Second)
	eval[any](t, tab2, `Interact.open()`)
	waitJS(t, tab2, `__visible('.composer textarea') && __msgs().some(m => m.text === 'five')`, 10*time.Second)
	send(t, tab2, "six from tab two")
	ag.heard("six from tab two")
	ag.say("seven")
	for _, c := range []context.Context{tab, tab2} {
		waitJS(t, c, `__msgs().some(m => m.text === 'six from tab two' && m.seq > 0) && __msgs().some(m => m.text === 'seven')`, 5*time.Second)
		e.sameAsStore(t, c, ag.taskID)
	}
	// Ending in one tab ends it in the other.
	eval[any](t, tab2, `__q('.actions .end').click()`)
	ag.awaitData("task.ended", func(map[string]any) bool { return true })
	waitJS(t, tab, `__visible('.actions .new')`, 5*time.Second)
}

// sameAsStore checks that the page shows exactly the stored messages, in
// order, each once.
func (e *browserEnv) sameAsStore(t *testing.T, ctx context.Context, taskID string) {
	t.Helper()
	stored, err := e.l.db.Messages(context.Background(), taskID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	texts := map[string]int{}
	for _, m := range stored {
		if texts[m.Text]++; texts[m.Text] > 1 {
			t.Fatalf("the store holds %q twice", m.Text)
		}
	}
	shown := eval[[]shownMsg](t, ctx, `__msgs()`)
	var want, got []string
	for _, m := range stored {
		want = append(want, fmt.Sprintf("%d %s %s", m.Seq, m.From, m.Text))
	}
	for _, m := range shown {
		got = append(got, fmt.Sprintf("%d %s %s", m.Seq, m.Who, m.Text))
	}
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		t.Fatalf("the page shows\n%s\nthe store holds\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// (d) An admin switches Instant Message off while the widget is open: it
// shows the unavailable state within 5 s, and comes back when switched on.
func (e *browserEnv) testLiveToggle(t *testing.T) {
	tab := e.tab(t)
	navigate(t, tab, e.page("live.example.test", "/"))
	waitJS(t, tab, `__visible('.launcher')`, 5*time.Second)
	eval[any](t, tab, `__q('.launcher').click()`)
	waitJS(t, tab, `__visible('input[name=name]')`, 5*time.Second)
	put := func(on bool) {
		t.Helper()
		// Every modality of the widget: calls alone would keep it on.
		e.admin(t, "PUT", "/api/v1/services/"+e.l.svc.ID+"/interact", fmt.Sprintf(`{"instantMessage": %v, "audioVideo": %v}`, on, on))
	}
	put(false)
	took := waitJS(t, tab, `__text('.why') === 'Chat is not offered here right now.' && __q('.launcher').classList.contains('off')`, 5*time.Second)
	t.Logf("switched off → widget unavailable in %v", took.Round(time.Millisecond))
	e.screenshot(t, tab, "6-switched-off")
	put(true)
	took = waitJS(t, tab, `__visible('input[name=name]') && !__q('.launcher').classList.contains('off')`, 5*time.Second)
	t.Logf("switched on → pre-chat form back in %v", took.Round(time.Millisecond))
}

// admin makes an admin API request as the tenant admin.
func (e *browserEnv) admin(t *testing.T, method, path, body string) {
	t.Helper()
	req, _ := http.NewRequest(method, e.l.url+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.l.adminToken())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
}

// (e) An agent message with HTML is shown as text and runs nothing. The
// service hides agent names here: the visitor sees "An agent".
func (e *browserEnv) testXSS(t *testing.T) {
	msgs := interact.DefaultSystemMessages()
	msgs.AgentNameMode = interact.AgentNameHidden
	b, _ := json.Marshal(map[string]any{"messages": msgs})
	e.admin(t, "PATCH", "/api/v1/services/"+e.l.svc.ID, string(b))
	defer func() {
		msgs.AgentNameMode = interact.AgentNameReal
		b, _ := json.Marshal(map[string]any{"messages": msgs})
		e.admin(t, "PATCH", "/api/v1/services/"+e.l.svc.ID, string(b))
	}()
	tab := e.tab(t)
	dialogs := make(chan string, 4)
	go func() {
		for ev, err := range chromedp.Events(tab, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			dialogs <- ev.Message
		}
	}()
	ag := e.agent(t)
	navigate(t, tab, e.page("xss.example.test", "/"))
	startChat(t, tab, `<b onmouseover=alert(3)>Mallory</b>`)
	ag.accept()
	waitJS(t, tab, `__text('.sub') === 'You are chatting with An agent.'`, 5*time.Second)
	const evil = `<img src=x onerror=alert(1)>`
	ag.say(evil)
	ag.say(`<script>alert(2)</script>`)
	waitJS(t, tab, fmt.Sprintf(`__msgs().some(m => m.who === 'agent' && m.text === %q) && __msgs().some(m => m.text === '<script>alert(2)</script>')`, evil), 5*time.Second)
	if n := eval[int](t, tab, `__root().querySelectorAll('img, script, b').length + document.querySelectorAll('img').length`); n != 0 {
		t.Errorf("%d elements made from message text", n)
	}
	if who := eval[[]string](t, tab, `[...__root().querySelectorAll('.m.a .who')].map(e => e.textContent)`); len(who) != 2 || who[0] != "An agent" || who[1] != "An agent" {
		t.Errorf("agent names shown %q, want the hidden name", who)
	}
	if text := eval[string](t, tab, `__root().querySelector('.log').textContent`); strings.Contains(text, "Agent 0") {
		t.Errorf("the hidden agent name leaks into the conversation: %q", text)
	}
	// No dialog, proven by a barrier rather than a pause: one more broken
	// image with the same src, loaded now that the messages are shown,
	// whose onerror comes after that of any image made from their text
	// (even one never attached to the page). An alert() blocks the page:
	// the barrier does not settle then, and the dialog comes first.
	barrier := make(chan error, 1)
	go func() {
		c, cancel := context.WithTimeout(tab, 10*time.Second)
		defer cancel()
		_, err := chromedp.Run(c, chromedp.Evaluate[bool](`new Promise(done => { const i = new Image(); i.onload = i.onerror = () => done(true); i.src = 'x'; })`, chromedp.EvalAwaitPromise))
		barrier <- err
	}()
	select {
	case m := <-dialogs:
		t.Errorf("a dialog opened: %q", m)
	case err := <-barrier:
		if err != nil {
			t.Fatalf("the barrier image: %v", err)
		}
		select {
		case m := <-dialogs:
			t.Errorf("a dialog opened: %q", m)
		default:
		}
	}
	ag.send("task.end", map[string]any{"taskId": ag.taskID})
	ag.await("ok")
}

// (f) The widget works on a host page whose CSP allows only interact: by
// host (the lines documented in web/ui/README.md) or by nonce.
func (e *browserEnv) testCSP(t *testing.T) {
	for _, path := range []string{"/csp", "/csp?nonce=r4nd0m"} {
		tab := e.tab(t)
		ag := e.agent(t)
		navigate(t, tab, e.page("csp.example.test", path))
		startChat(t, tab, "Carla CSP")
		ag.accept()
		send(t, tab, "hello under CSP")
		ag.heard("hello under CSP")
		ag.say("styles and socket work")
		waitJS(t, tab, `__msgs().some(m => m.text === 'styles and socket work')`, 5*time.Second)
		style := eval[map[string]string](t, tab, `(() => { const l = getComputedStyle(__q('.launcher')), h = getComputedStyle(__root().host), p = getComputedStyle(__q('.panel'));
		  return {host: h.position, launcher: l.width + ' ' + l.borderRadius, panel: p.position + ' ' + p.display}; })()`)
		if style["host"] != "fixed" || style["launcher"] != "56px 50%" || style["panel"] != "fixed flex" {
			t.Errorf("%s: styles not applied under CSP: %v", path, style)
		}
		if v := eval[[]string](t, tab, `__csp`); len(v) != 0 {
			t.Errorf("%s: CSP violations: %v", path, v)
		}
		ag.send("task.end", map[string]any{"taskId": ag.taskID})
		ag.await("ok")
	}
}

// The connection drops mid-chat: the widget says it is reconnecting, keeps
// what the visitor sends meanwhile, and on reconnecting gets what it missed
// and resends what was not acknowledged, once. Its 4-second visitor tokens
// are refreshed before they expire.
func (e *browserEnv) testOutage(t *testing.T) {
	tab := e.tab(t)
	ag := e.agent(t)
	navigate(t, tab, e.page("outage.example.test", "/front"))
	startChat(t, tab, "Otto Outage")
	ag.accept()
	send(t, tab, "before")
	ag.heard("before")
	const refreshed = `interact_http_requests_total{code="200",route="POST /widget/v1/token"}`
	eventually.Within(t, 5*time.Second, "the widget to refresh its visitor token", func() bool { return metric(t, e.frontURL, refreshed) >= 1 })

	e.proxy.cut(true)
	waitJS(t, tab, `__visible('.banner') && __text('.banner') === 'Connection lost. Reconnecting…'`, 5*time.Second)
	send(t, tab, "during the outage")
	waitJS(t, tab, `__msgs().some(m => m.text === 'during the outage' && m.seq === 0 && m.st === 'Sending…')`, 3*time.Second)
	e.screenshot(t, tab, "7-reconnecting")
	ag.say("while you were away")
	// The outage outlasts a token's life (4 s) in real time: what is tested
	// is the widget's own timers, in the browser, which no fake clock drives.
	time.Sleep(4500 * time.Millisecond)
	e.proxy.cut(false)

	waitJS(t, tab, `!__visible('.banner') && __msgs().some(m => m.text === 'while you were away') && __msgs().some(m => m.text === 'during the outage' && m.seq > 0)`, 10*time.Second)
	ag.heard("during the outage")
	ag.say("welcome back")
	waitJS(t, tab, `__msgs().some(m => m.text === 'welcome back')`, 5*time.Second)
	e.sameAsStore(t, tab, ag.taskID)
	ag.send("task.end", map[string]any{"taskId": ag.taskID})
	ag.await("ok")
}

// With no agent online the widget says so before the chat; the chat ends
// with no_agent at once, and the visitor leaves a message instead.
func (e *browserEnv) testLeaveMessage(t *testing.T) {
	e.l.clock.Advance(time.Minute) // past the engine's start-up grace for agents to reconnect
	tab := e.tab(t)
	navigate(t, tab, e.page("leave.example.test", "/"))
	waitJS(t, tab, `__visible('.launcher')`, 5*time.Second)
	eval[any](t, tab, `__q('.launcher').click()`)
	waitJS(t, tab, `__text('.intro').startsWith('No one is available right now.')`, 5*time.Second)
	eval[any](t, tab, `(() => { __q('input[name=name]').value = 'Lea Leave'; __q('input[name=consent]').checked = true; __q('form.form button[type=submit]').click(); })()`)
	waitJS(t, tab, `__visible('.leave textarea') && __text('.sub') === 'This chat has ended.'`, 5*time.Second)
	e.screenshot(t, tab, "8-leave-a-message")
	eval[any](t, tab, `(() => { __q('.leave textarea').value = 'Please call me back: +41 00 000 00 00'; __q('.leave button[type=submit]').click(); })()`)
	waitJS(t, tab, `__text('.thanks') === 'Thank you! We have received your message.'`, 5*time.Second)
	taskID := eval[string](t, tab, fmt.Sprintf(`JSON.parse(localStorage.getItem('interact:' + %q)).taskId`, e.l.st.ContactID))
	task, err := e.l.db.Task(context.Background(), taskID)
	if err != nil {
		t.Fatal(err)
	}
	if task.Outcome != interact.OutcomeNoAgent || task.LeftMessage != "Please call me back: +41 00 000 00 00" {
		t.Errorf("task outcome %q, left message %q", task.Outcome, task.LeftMessage)
	}
	// A reload shows the ended chat again, with its messages, without the
	// form (the message is left).
	navigate(t, tab, e.page("leave.example.test", "/page2"))
	waitJS(t, tab, `location.pathname === '/page2' && __visible('.actions .new') && __msgs().length >= 1 && !__q('.leave')`, 5*time.Second)
	// "Start a new chat" forgets the ended chat.
	eval[any](t, tab, `__q('.actions .new').click()`)
	waitJS(t, tab, fmt.Sprintf(`__visible('input[name=name]') && localStorage.getItem('interact:' + %q) === null`, e.l.st.ContactID), 3*time.Second)
}

// A refused origin: the widget tells the page's developer why, in the
// browser's console, once (not on every poll); an allowed page hears
// nothing of it.
func (e *browserEnv) testRefusedWarning(t *testing.T) {
	refused, allowed := e.tab(t), e.tab(t)
	navigate(t, refused, e.page("evil.test", "/"))
	navigate(t, allowed, e.page("shop.example.test", "/"))
	waitJS(t, refused, `__visible('.launcher') && __q('.launcher').classList.contains('off')`, 5*time.Second)
	waitJS(t, refused, `__configs >= 3`, 12*time.Second) // two more polls after the first refusal
	origin := "http://evil.test:" + e.pagePort
	warns := eval[[]string](t, refused, `__warns.filter(w => w.startsWith('interact'))`)
	if len(warns) != 1 || !strings.Contains(warns[0], origin) || !strings.Contains(warns[0], "Restrict Access") {
		t.Errorf("the refused page's console warnings %q, want one naming %s and Restrict Access", warns, origin)
	} else {
		t.Logf("console.warn: %s", warns[0])
	}
	// The allowed page asked once, then follows the config on a socket
	// the server pushes changes on: no more requests.
	waitJS(t, allowed, `__visible('.launcher') && !__q('.launcher').classList.contains('off') && __configSockets.some(s => s.readyState === 1)`, 10*time.Second)
	asked := eval[int](t, allowed, `__configs`)
	time.Sleep(5 * time.Second) // more than one polling interval
	if n := eval[int](t, allowed, `__configs`); n != asked || n > 2 {
		t.Errorf("the allowed page asked for the config %d times, then %d times more while its socket was open; want no polling", asked, n-asked)
	}
	if refusedSockets := eval[int](t, refused, `__configSockets.length`); refusedSockets != 0 {
		t.Errorf("the refused page opened %d config sockets", refusedSockets)
	}
	if warns := eval[[]string](t, allowed, `__warns`); len(warns) != 0 {
		t.Errorf("an allowed page warns %q", warns)
	}
}

// The widget's own font stack (system-ui) reaches everything in its shadow
// root: launcher, panel, form inputs and buttons, composer and message
// bubbles; also on a page whose own styles say serif everywhere.
func (e *browserEnv) testFonts(t *testing.T) {
	fonts := func(tab context.Context, sels ...string) {
		t.Helper()
		b, _ := json.Marshal(sels)
		got := eval[map[string]string](t, tab, `Object.fromEntries(`+string(b)+`.map(s => [s, __q(s) ? getComputedStyle(__q(s)).fontFamily : 'missing']))`)
		for _, s := range sels {
			if !strings.HasPrefix(got[s], "system-ui") {
				t.Errorf("%s: font-family %q, want the widget's system-ui stack", s, got[s])
			}
		}
	}
	for i, path := range []string{"/", "/serif"} {
		tab := e.tab(t)
		navigate(t, tab, e.page("fonts.example.test", path))
		waitJS(t, tab, `__visible('.launcher')`, 5*time.Second)
		fonts(tab, ".launcher")
		eval[any](t, tab, `__q('.launcher').click()`)
		waitJS(t, tab, `__visible('input[name=name]')`, 5*time.Second)
		fonts(tab, ".panel", "header h2", "input[name=name]", "form.form button[type=submit]")
		eval[any](t, tab, `(() => { __q('input[name=name]').value = 'Fiona Font'; __q('input[name=consent]').checked = true; __q('form.form button[type=submit]').click(); })()`)
		waitJS(t, tab, `__visible('.composer textarea')`, 5*time.Second)
		send(t, tab, "Which font is this?")
		waitJS(t, tab, `__msgs().some(m => m.who === 'visitor' && m.text === 'Which font is this?') && __msgs().some(m => m.who === 'system')`, 5*time.Second)
		fonts(tab, ".composer textarea", ".composer button", ".m.v .b", ".m.s .b", ".actions .end")
		e.screenshot(t, tab, fmt.Sprintf("fonts-%d", i+1))
		eval[any](t, tab, `__q('.actions .end').click()`)
		waitJS(t, tab, `__visible('.actions .new')`, 5*time.Second)
	}
}

// When a chat ends the widget says so once: by the service's ended message
// in the conversation when the service sent one, else in the status line.
func (e *browserEnv) testEndedOnce(t *testing.T) {
	const count = `(__q('.panel').innerText.match(/chat has ended/gi) || []).length`
	once := func(tab context.Context, what string) {
		t.Helper()
		if n := eval[int](t, tab, count); n != 1 {
			t.Errorf("%s: the panel says the chat has ended %d times:\n%s", what, n, eval[string](t, tab, `__q('.panel').innerText`))
		}
	}
	tab := e.tab(t)
	ag := e.agent(t)
	navigate(t, tab, e.page("ended.example.test", "/"))
	startChat(t, tab, "Edda Ended")
	ag.accept()
	waitJS(t, tab, `__text('.sub') === 'You are chatting with Agent 0.'`, 5*time.Second)
	ag.say("Goodbye!")
	ag.send("task.end", map[string]any{"taskId": ag.taskID})
	ag.await("ok")
	waitJS(t, tab, `__visible('.actions .new') && __msgs().some(m => m.who === 'system' && m.text === 'The chat has ended. Thank you!')`, 5*time.Second)
	e.screenshot(t, tab, "ended-once")
	once(tab, "ended by the agent")
	// Another page of the site shows the ended chat the same way.
	navigate(t, tab, e.page("ended.example.test", "/page2"))
	waitJS(t, tab, `location.pathname === '/page2' && __visible('.actions .new') && __msgs().some(m => m.text === 'The chat has ended. Thank you!')`, 10*time.Second)
	once(tab, "after navigating")
	// A chat ended while waiting gets no ended message from the service:
	// the status line says it.
	eval[any](t, tab, `__q('.actions .new').click()`)
	waitJS(t, tab, `__visible('input[name=name]')`, 5*time.Second)
	eval[any](t, tab, `(() => { __q('input[name=name]').value = 'Edda Ended'; __q('input[name=consent]').checked = true; __q('form.form button[type=submit]').click(); })()`)
	// The status line shows once the socket said hello.
	waitJS(t, tab, `__visible('.actions .end') && __text('.sub') !== ''`, 5*time.Second)
	eval[any](t, tab, `__q('.actions .end').click()`)
	waitJS(t, tab, `__visible('.actions .new')`, 5*time.Second)
	if got := eval[string](t, tab, `__text('.sub')`); got != "This chat has ended." {
		t.Errorf("status line %q after ending a waiting chat", got)
	}
	once(tab, "ended while waiting")
	e.screenshot(t, tab, "ended-once-waiting")
}
