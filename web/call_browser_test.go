package web_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/turnserver"
	"github.com/interact-oss/interact/web"
)

// Calls in real browsers: the visitor's widget and the agent's console in
// two Chromium instances with fake microphones and cameras, media peer to
// peer over loopback. The widget's host page is plain http on a test host
// name, made a secure context by flag (getUserMedia needs one); the console
// is on 127.0.0.1, which is one already.

// widgetPC and consolePC name the peer connection of each side: the
// widget's, and the console's only call.
const (
	widgetPC  = `window[Symbol.for('interact.widget')].rtc`
	consolePC = `[...window.interactCalls.values()][0]`
)

// rtcStats reads a peer connection's state, inbound RTP bytes per kind and
// the candidate types of its selected pair.
func rtcStats(pc string) string {
	return `(async () => { const pc = ` + pc + `; if (!pc) return {state: 'none'};
	  const s = await pc.getStats(); const out = {state: pc.connectionState, audio: 0, video: 0, local: '', remote: ''};
	  s.forEach(r => {
	    if (r.type === 'inbound-rtp') out[r.kind] = r.bytesReceived || 0;
	    if (r.type === 'transport' && r.selectedCandidatePairId) {
	      const p = s.get(r.selectedCandidatePairId);
	      out.local = s.get(p.localCandidateId).candidateType; out.remote = s.get(p.remoteCandidateId).candidateType;
	    }
	  });
	  return out; })()`
}

// contrastJS defines __contrast(el): the WCAG contrast ratio of an
// element's text colour against what it is drawn on, the backgrounds of it
// and its ancestors composited over white.
const contrastJS = `window.__contrast = el => {
  const rgba = c => { const p = c.match(/[\d.]+/g).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const c = rgba(getComputedStyle(e).backgroundColor);
    if (c[3] > 0) layers.push(c);
    if (c[3] >= 1) break;
  }
  let bg = [255, 255, 255];
  for (const l of layers.reverse()) bg = bg.map((v, i) => l[i] * l[3] + v * (1 - l[3]));
  const f = rgba(getComputedStyle(el).color);
  const fg = bg.map((v, i) => f[i] * f[3] + v * (1 - f[3]));
  const lum = c => { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const a = lum(fg), b = lum(bg);
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}`

// shot saves a screenshot of a page when INTERACT_SCREENSHOTS names a
// directory.
func shot(t *testing.T, ctx context.Context, name string) {
	(&browserEnv{shots: os.Getenv("INTERACT_SCREENSHOTS")}).screenshot(t, ctx, name)
}

type callEnv struct {
	l       *live
	port    string // the host pages' port
	visitor context.Context
	agent   context.Context
	relay   bool // media must go through the TURN relay
}

// newMediaBrowser starts a Chromium with fake media devices that treats
// the given origins as secure.
func newMediaBrowser(t *testing.T, chromium string, secure string) context.Context {
	logFile, err := os.Create(filepath.Join(t.TempDir(), "chromium.log"))
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("host-resolver-rules", "MAP *.example.test 127.0.0.1"),
		chromedp.Flag("use-fake-device-for-media-stream", true), chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("disable-features", "WebRtcHideLocalIpsWithMdns"),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(logFile),
	}
	if secure != "" {
		opts = append(opts, chromedp.Flag("unsafely-treat-insecure-origin-as-secure", secure))
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser: no timeout here
		t.Fatal(err)
	}
	return ctx
}

func chromiumOrSkip(t *testing.T) string {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("INTERACT_REQUIRE_BROWSER") != "" {
			t.Fatal("chromium is not installed, and INTERACT_REQUIRE_BROWSER is set")
		}
		t.Skip("chromium is not installed (apt-get install chromium); set INTERACT_REQUIRE_BROWSER=1 to fail instead")
	}
	return chromium
}

// newCallEnv starts the stack (served by a front end whose ICE provider is
// ice, or none), the host pages, the visitor's and the agent's browsers,
// and signs the agent in, available.
func newCallEnv(t *testing.T, ice func(taskID string) interact.ICEConfig) *callEnv {
	return newCallEnvWith(t, func(c *web.Config) { c.ICE = ice })
}

// newCallEnvWith is newCallEnv with the server's configuration adjusted by
// configure.
func newCallEnvWith(t *testing.T, configure func(*web.Config)) *callEnv {
	chromium := chromiumOrSkip(t)
	l := newLiveWith(t, 1, interact.Distribution{Type: interact.DistributeDirect}, configure)
	l.restrictTo("*.example.test:*")
	e := &callEnv{l: l, port: pageServer(t, l, l.url)}
	e.visitor = newMediaBrowser(t, chromium, "http://shop.example.test:"+e.port)
	e.agent = newMediaBrowser(t, chromium, "")
	tab, cancel := chromedp.NewContext(e.agent)
	t.Cleanup(cancel)
	if err := chromedp.Do(tab); err != nil {
		t.Fatal(err)
	}
	e.agent = tab
	signInConsole(t, tab, l.url, "agent0@live.test", "agent-password")
	setPresence(t, tab, "available")
	waitConsole(t, tab, "available", `document.querySelector('.side .state').textContent === 'Available'`)
	return e
}

// visitorTab opens the shop page in a fresh browser context of the
// visitor's browser and opens the widget.
func (e *callEnv) visitorTab(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(e.visitor, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	addHelpers(t, ctx)
	navigate(t, ctx, "http://shop.example.test:"+e.port+"/")
	waitJS(t, ctx, `__visible('.launcher') && !!window.Interact`, 10*time.Second)
	eval[any](t, ctx, `(() => { window.__calls = []; for (const ev of ['call.started', 'call.connected', 'call.ended'])
	  Interact.on(ev, () => __calls.push({ev, at: performance.now()})); })()`)
	eval[any](t, ctx, `__q('.launcher').click()`)
	waitJS(t, ctx, `__visible('input[name=name]')`, 5*time.Second)
	return ctx
}

// fillForm fills in the pre-chat form.
func fillForm(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	eval[any](t, ctx, fmt.Sprintf(`(() => { __q('input[name=name]').value = %q; __q('input[name=consent]').checked = true; })()`, name))
}

// chat starts a chat from the open pre-chat form.
func chat(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	fillForm(t, ctx, name)
	eval[any](t, ctx, `__q('form.form button[data-m=chat]').click()`)
	waitJS(t, ctx, `__visible('.composer textarea')`, 5*time.Second)
}

// acceptCall accepts the ringing offer of modality m in the console.
func (e *callEnv) acceptCall(t *testing.T, m string) {
	t.Helper()
	waitConsole(t, e.agent, m+" offer", fmt.Sprintf(`!!document.querySelector('.offer[data-modality=%s] .accept')`, m))
	if got := eval[string](t, e.agent, `document.querySelector('.offer .offer-head strong').textContent`); got != "Incoming "+m+" call" {
		t.Errorf("offer card says %q", got)
	}
	click(t, e.agent, `.offer .accept`)
}

// connected waits until both sides' peer connections are connected.
func (e *callEnv) connected(t *testing.T, vTab context.Context) {
	t.Helper()
	js := widgetPC + ` && ` + widgetPC + `.connectionState === 'connected'`
	c, cancel := context.WithTimeout(vTab, 20*time.Second)
	defer cancel()
	if _, err := chromedp.Run(c, chromedp.Poll[bool](js, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second))); err != nil {
		w, _ := chromedp.Run(vTab, chromedp.Evaluate[any](`({calls: window.__calls, cst: __text('.call .cst'), hidden: __q('.call').hidden,
		  pc: `+widgetPC+` && `+widgetPC+`.signalingState + ' ' + `+widgetPC+`.connectionState})`))
		a, _ := chromedp.Run(e.agent, chromedp.Evaluate[any](`({pcs: [...interactCalls.values()].map(p => p.connectionState + ' ' + p.signalingState),
		  boxes: [...document.querySelectorAll('.callbox')].map(b => b.hidden + ' ' + b.textContent), toasts: [...document.querySelectorAll('.toast')].map(e => e.textContent), log: window.__log})`))
		t.Fatalf("call not connected: %v\nwidget: %v\nconsole: %v", err, w, a)
	}
	waitConsole(t, e.agent, "console call connected", consolePC+` && `+consolePC+`.connectionState === 'connected'`)
}

// mediaFlows checks that inbound RTP bytes of each kind grow on both sides,
// comparing samples (the first one may still be empty), and that the
// selected candidate pair is relayed when the env forces the relay.
func (e *callEnv) mediaFlows(t *testing.T, vTab context.Context, kinds ...string) {
	t.Helper()
	sides := map[string]struct {
		ctx context.Context
		pc  string
	}{"visitor": {vTab, widgetPC}, "agent": {e.agent, consolePC}}
	var waiting string // the side awaited, for the log on a timeout
	var first, now map[string]any
	defer func() {
		if waiting != "" {
			t.Logf("%s: inbound %v did not grow: first %v, now %v", waiting, kinds, first, now)
		}
	}()
	for name, s := range sides {
		waiting = name
		first = eval[map[string]any](t, s.ctx, rtcStats(s.pc))
		now = first
		eventually.Within(t, 15*time.Second, fmt.Sprintf("%s: inbound %v to grow", name, kinds), func() bool {
			now = eval[map[string]any](t, s.ctx, rtcStats(s.pc))
			for _, k := range kinds {
				a, _ := first[k].(float64)
				b, _ := now[k].(float64)
				if b <= a || b <= 0 {
					return false
				}
			}
			return true
		})
		waiting = ""
		t.Logf("%s: %v", name, now)
		if e.relay && (now["local"] != "relay" || now["remote"] != "relay") {
			t.Errorf("%s: selected pair %v ↔ %v, want relay ↔ relay", name, now["local"], now["remote"])
		}
		if !e.relay && (now["local"] != "host" || now["remote"] != "host") {
			t.Errorf("%s: selected pair %v ↔ %v, want host ↔ host", name, now["local"], now["remote"])
		}
	}
}

// callEnded waits until neither side has a call left.
func (e *callEnv) callEnded(t *testing.T, vTab context.Context) {
	t.Helper()
	waitJS(t, vTab, `!`+widgetPC+` && __q('.call').hidden`, 10*time.Second)
	waitConsole(t, e.agent, "console call gone", `window.interactCalls.size === 0 && [...document.querySelectorAll('.callbox')].every(b => b.hidden)`)
}

// closeEnded closes the console's ended chats.
func (e *callEnv) closeEnded(t *testing.T) {
	t.Helper()
	eval[any](t, e.agent, `document.querySelectorAll('.close-btn:not([hidden])').forEach(b => b.click())`)
	waitConsole(t, e.agent, "chats closed", `document.querySelectorAll('[role=tab]').length === 0`)
}

// callTask starts a call of modality m from the pre-chat form, has the
// agent accept it and waits until media flow both ways.
func (e *callEnv) callTask(t *testing.T, m string) context.Context {
	t.Helper()
	v := e.visitorTab(t)
	waitJS(t, v, fmt.Sprintf(`__visible('form.form button[data-m=%s]')`, m), 10*time.Second)
	fillForm(t, v, "Cora Caller")
	eval[any](t, v, fmt.Sprintf(`__q('form.form button[data-m=%s]').click()`, m))
	e.acceptCall(t, m)
	e.connected(t, v)
	kinds := []string{"audio"}
	if m == "video" {
		kinds = append(kinds, "video")
	}
	e.mediaFlows(t, v, kinds...)
	if m == "video" {
		waitJS(t, v, `__q('.call video.remote').videoWidth > 0`, 10*time.Second)
		waitConsole(t, e.agent, "remote video plays", `document.querySelector('.callbox video.remote').videoWidth > 0`)
	}
	return v
}

// escalations escalates the visitor's connected chat to video n times and
// back to chat (alternately from either side), checking each call with
// check, and returns the set-up times, click → connected, measured in the
// visitor's page.
func (e *callEnv) escalations(t *testing.T, v context.Context, n int, check func(i int)) []time.Duration {
	t.Helper()
	var setups []time.Duration
	for i := range n {
		eval[any](t, v, `(() => { window.__calls = []; window.__t0 = performance.now(); __q('.actions button.esc[data-m=video]').click(); })()`)
		e.connected(t, v)
		ms := eval[float64](t, v, `__calls.find(c => c.ev === 'call.connected').at - __t0`)
		setups = append(setups, time.Duration(ms*float64(time.Millisecond)))
		if check != nil {
			check(i)
		}
		if i%2 == 0 {
			eval[any](t, v, `__q('.call .hang').click()`)
		} else {
			click(t, e.agent, `.panel:not([hidden]) .hangup-btn`)
		}
		e.callEnded(t, v)
		waitJS(t, v, `__visible('.composer textarea') && __visible('.actions button.esc[data-m=video]')`, 10*time.Second)
	}
	return setups
}

func logSetups(t *testing.T, path string, setups []time.Duration) {
	slices.Sort(setups)
	t.Logf("call set-up over %s, click → connected, %d video escalations: p50 %v, min %v, max %v", path, len(setups),
		setups[len(setups)/2].Round(time.Millisecond), setups[0].Round(time.Millisecond), setups[len(setups)-1].Round(time.Millisecond))
}

// chatWithAgent starts a chat in a fresh visitor tab, has the agent
// accept it and waits for the escalation buttons.
func (e *callEnv) chatWithAgent(t *testing.T, name string) context.Context {
	t.Helper()
	v := e.visitorTab(t)
	chat(t, v, name)
	waitConsole(t, e.agent, "chat offer", `!!document.querySelector('.offer[data-modality=chat] .accept')`)
	click(t, e.agent, `.offer .accept`)
	waitJS(t, v, `__visible('.actions button.esc[data-m=video]')`, 10*time.Second)
	return v
}

func TestCallsInBrowser(t *testing.T) {
	e := newCallEnv(t, nil)
	t.Run("AudioCallHungUpByVisitor", func(t *testing.T) {
		v := e.callTask(t, "audio")
		if got := eval[bool](t, v, `__q('.call .cam').hidden && !__q('.call').classList.contains('video')`); !got {
			t.Error("an audio call shows camera controls")
		}
		// Mute: the button is pressed and the agent is told.
		eval[any](t, v, `__q('.call .mute').click()`)
		waitJS(t, v, `__q('.call .mute').getAttribute('aria-pressed') === 'true'`, 5*time.Second)
		waitConsole(t, e.agent, "agent sees the mute", `document.querySelector('.call-status').textContent.includes('the visitor is muted')`)
		waitJS(t, v, `/^\d+:\d\d$/.test(__text('.call .dur'))`, 5*time.Second)
		waitConsole(t, e.agent, "duration", `/^\d+:\d\d$/.test(document.querySelector('.call-duration').textContent)`)
		eval[any](t, v, `__q('.call .hang').click()`)
		e.callEnded(t, v)
		waitJS(t, v, `__visible('.actions .new') && __msgs().some(m => m.who === 'system' && m.text === 'The chat has ended. Thank you!')`, 10*time.Second)
		waitConsole(t, e.agent, "chat ended", `document.querySelector('.panel:not([hidden]) .chat-status').textContent === 'This chat has ended.'`)
		e.closeEnded(t)
	})
	t.Run("VideoCallHungUpByAgent", func(t *testing.T) {
		v := e.callTask(t, "video")
		click(t, e.agent, `.panel:not([hidden]) .cam-btn`)
		waitConsole(t, e.agent, "camera off", `document.querySelector('.panel:not([hidden]) .cam-btn').getAttribute('aria-pressed') === 'true'`)
		waitJS(t, v, `__text('.call .cst').includes('turned the camera off')`, 5*time.Second)
		click(t, e.agent, `.panel:not([hidden]) .hangup-btn`)
		e.callEnded(t, v)
		waitJS(t, v, `__visible('.actions .new') && __msgs().some(m => m.who === 'system' && m.text === 'The chat has ended. Thank you!')`, 10*time.Second)
		e.closeEnded(t)
	})
	t.Run("CallControlsContrast", func(t *testing.T) {
		v := e.callTask(t, "video")
		eval[any](t, e.agent, contrastJS)
		const panel = `.panel:not([hidden]) `
		check := func(state string) {
			t.Helper()
			for _, b := range []string{"mute-btn", "cam-btn", "hangup-btn"} {
				got := eval[map[string]any](t, e.agent, fmt.Sprintf(`(() => { const b = document.querySelector(%q); return {ratio: __contrast(b), text: b.textContent, fg: getComputedStyle(b).color, bg: getComputedStyle(b).backgroundColor}; })()`, panel+"."+b))
				if r, _ := got["ratio"].(float64); r < 4.5 {
					t.Errorf("%s, %s %q: contrast %.2f:1 (%v on %v), want at least 4.5:1", state, b, got["text"], r, got["fg"], got["bg"])
				} else {
					t.Logf("%s, %s %q: %.2f:1", state, b, got["text"], r)
				}
			}
		}
		waitConsole(t, e.agent, "controls enabled", `!document.querySelector('`+panel+`.mute-btn').disabled && !document.querySelector('`+panel+`.cam-btn').disabled`)
		check("microphone and camera on")
		shot(t, e.agent, "console-call-panel")
		click(t, e.agent, panel+`.mute-btn`)
		click(t, e.agent, panel+`.cam-btn`)
		waitConsole(t, e.agent, "muted, camera off", `document.querySelector('`+panel+`.mute-btn').getAttribute('aria-pressed') === 'true' && document.querySelector('`+panel+`.cam-btn').getAttribute('aria-pressed') === 'true'`)
		check("muted, camera off")
		shot(t, e.agent, "console-call-panel-muted")
		click(t, e.agent, panel+`.hangup-btn`)
		e.callEnded(t, v)
		e.closeEnded(t)
	})
	t.Run("ReloadRejoins", func(t *testing.T) {
		v := e.callTask(t, "video")
		first := eval[string](t, e.agent, `[...window.interactCalls.keys()][0]`)
		navigate(t, v, "http://shop.example.test:"+e.port+"/")
		e.connected(t, v) // a new peer connection of the reloaded page
		e.mediaFlows(t, v, "audio", "video")
		if again := eval[string](t, e.agent, `[...window.interactCalls.keys()][0]`); again != first {
			t.Errorf("the console's call moved from task %s to %s", first, again)
		}
		eval[any](t, v, `__q('.call .hang').click()`)
		e.callEnded(t, v)
		e.closeEnded(t)
	})
	t.Run("ConsoleReloadRejoins", func(t *testing.T) {
		v := e.callTask(t, "video")
		navigate(t, e.agent, e.l.url+"/agent")
		waitConsole(t, e.agent, "console back in the call", `!!document.querySelector('.conn.up') && !!document.querySelector('.panel.incall')`)
		e.connected(t, v)
		e.mediaFlows(t, v, "audio", "video")
		click(t, e.agent, `.panel:not([hidden]) .hangup-btn`)
		e.callEnded(t, v)
		e.closeEnded(t)
	})
	t.Run("ChatToVideoToChat", func(t *testing.T) {
		v := e.chatWithAgent(t, "Esme Escalator")
		taskID := eval[string](t, v, `JSON.parse(localStorage.getItem(Object.keys(localStorage).find(k => k.startsWith('interact:')))).taskId`)
		setups := e.escalations(t, v, 10, func(i int) {
			if i > 0 {
				return
			}
			e.mediaFlows(t, v, "audio", "video")
			if tv, _ := e.l.engine.Task(taskID); tv.Call != interact.ModalityVideo || tv.AgentID != e.l.agents[0].ID {
				t.Fatalf("escalated task %+v", tv)
			}
			waitConsole(t, e.agent, "one tab, in call", `document.querySelectorAll('[role=tab]').length === 1 && document.querySelector('[role=tab]').dataset.task === `+fmt.Sprintf("%q", taskID)+` && !!document.querySelector('.panel.incall')`)
		})
		tv, open := e.l.engine.Task(taskID)
		if !open || tv.State != interact.TaskConnected || tv.AgentID != e.l.agents[0].ID || tv.Call != "" {
			t.Fatalf("after chat → video → chat: %+v (open %v)", tv, open)
		}
		send(t, v, "Still the same chat?")
		waitConsole(t, e.agent, "same chat", `JSON.stringify(`+logTexts+`).includes('Still the same chat?')`)
		logSetups(t, "host candidates", setups)
		// Every call is on the record, in the conversation: started,
		// connected (the console's answer) and ended.
		waitConsole(t, e.agent, "call events in the conversation", `(() => {
		  const n = t => document.querySelectorAll('.panel:not([hidden]) .log .m.ev[data-event="' + t + '"]').length;
		  return n('call.started') === 10 && n('call.connected') === 10 && n('call.ended') === 10; })()`)
		shot(t, e.agent, "console-call-events")
		eval[any](t, v, `__q('.actions .end').click()`)
		waitConsole(t, e.agent, "ended", `document.querySelector('.panel:not([hidden]) .chat-status').textContent === 'This chat has ended.'`)

		// My Sessions opens the ended session's transcript, calls included.
		click(t, e.agent, `nav button[data-view=sessions]`)
		link := fmt.Sprintf(`document.querySelector('tr.session[data-task=%q] a.transcript-link')`, taskID)
		waitConsole(t, e.agent, "transcript link", `!!`+link)
		shot(t, e.agent, "console-sessions-transcript")
		tab := sibling(t, e.agent) // target=_blank: a tab of its own
		navigate(t, tab, eval[string](t, e.agent, link+`.href`))
		page := eval[map[string]any](t, tab, `(() => { const ev = [...document.querySelectorAll('.event')].map(e => e.textContent);
		  return {title: document.title, facts: document.querySelector('dl.facts').textContent,
		    started: ev.filter(t => t === 'Esme Escalator started a video call' || t === 'Agent 0 started a video call').length,
		    connected: ev.filter(t => t === 'The video call is connected: Agent 0 answered').length,
		    ended: ev.filter(t => / ended the video call after \d+:\d\d$/.test(t)).length,
		    said: [...document.querySelectorAll('.text')].some(e => e.textContent === 'Still the same chat?'),
		    styled: getComputedStyle(document.querySelector('dl.facts')).display === 'grid'}; })()`)
		if page["started"] != 10.0 || page["connected"] != 10.0 || page["ended"] != 10.0 || page["said"] != true || page["styled"] != true ||
			!strings.Contains(page["facts"].(string), "Esme Escalator") {
			t.Errorf("transcript page %v", page)
		}
		shot(t, tab, "transcript")
		click(t, e.agent, `nav button[data-view=chats]`)
		e.closeEnded(t)
	})
	t.Run("PreCallCheck", func(t *testing.T) {
		// Devices refused or missing (injected into the page's
		// getUserMedia): a clear message, and no task is started.
		v := e.visitorTab(t)
		waitJS(t, v, `__visible('form.form button[data-m=video]')`, 10*time.Second)
		fillForm(t, v, "Nora Nodevice")
		tasks := e.l.taskCount()
		for _, c := range []struct{ mode, fault, want string }{
			{"audio", "NotAllowedError", "Microphone access is blocked."},
			{"video", "NotAllowedError", "Camera or microphone access is blocked."},
			{"video", "NotFoundError", "No camera was found."},
			{"audio", "NotReadableError", "Your microphone or camera is in use by another application."},
		} {
			eval[any](t, v, fmt.Sprintf(`(() => { navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('injected', %q));
			  __q('form.form .err[role=alert]').textContent = ''; __q('form.form button[data-m=%s]').click(); })()`, c.fault, c.mode))
			waitJS(t, v, fmt.Sprintf(`__text('form.form .err[role=alert]').startsWith(%q) && !__q('form.form button[data-m=%s]').disabled`, c.want, c.mode), 5*time.Second)
		}
		if n := e.l.taskCount(); n != tasks {
			t.Errorf("%d tasks started by refused pre-call checks", n-tasks)
		}
	})
	t.Run("AudioVideoOff", func(t *testing.T) {
		v := e.visitorTab(t)
		waitJS(t, v, `__visible('form.form button[data-m=audio]') && __visible('form.form button[data-m=video]')`, 10*time.Second)
		e.l.setAudioVideo(t, false)
		took := waitJS(t, v, `!__visible('form.form button[data-m=audio]') && !__visible('form.form button[data-m=video]') && __visible('form.form button[data-m=chat]')`, 10*time.Second)
		t.Logf("audioVideo off → call buttons hidden in %v", took.Round(time.Millisecond))
		// The server refuses call tasks, whatever a page sends.
		wantRefused(t, "call task while off", e.l.start(e.l.st.ContactID, "http://shop.example.test:"+e.port, callReq(e.l.st.WidgetKey, "video")), 403, interact.EMODALITYOFF)
		// An ongoing chat offers no escalation either.
		chat(t, v, "Olga Offline")
		waitConsole(t, e.agent, "chat offer", `!!document.querySelector('.offer .accept')`)
		click(t, e.agent, `.offer .accept`)
		waitJS(t, v, `__text('.sub').startsWith('You are chatting with')`, 10*time.Second)
		if eval[bool](t, v, `__visible('.actions button.esc[data-m=audio]') || __visible('.actions button.esc[data-m=video]')`) {
			t.Error("escalation buttons shown while calls are off")
		}
		e.l.setAudioVideo(t, true)
		took = waitJS(t, v, `__visible('.actions button.esc[data-m=video]')`, 10*time.Second)
		t.Logf("audioVideo on → escalation buttons back in %v", took.Round(time.Millisecond))
	})
}

// The same calls forced through the embedded TURN server (relay candidates
// only, iceTransportPolicy "relay"), with credentials bound to each task:
// the selected candidate pair is relay on both sides.
func TestCallsInBrowserRelay(t *testing.T) {
	chromiumOrSkip(t)
	udp, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "call-relay-test-secret"
	srv, err := turnserver.New(turnserver.Config{PacketConn: udp, RelayIP: net.IPv4(127, 0, 0, 1), Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	stun, turnURLs := srv.URLs()
	ice := &turnserver.ICE{STUN: stun, TURN: turnURLs, Credentials: turnserver.Credentials{Secret: secret}, ForceRelay: true}
	e := newCallEnv(t, ice.Config)
	e.relay = true
	for _, m := range []string{"audio", "video"} {
		t.Run(m, func(t *testing.T) {
			v := e.callTask(t, m)
			if n := srv.Allocations(); n < 2 {
				t.Errorf("%d TURN allocations during the call, want one per party at least", n)
			}
			eval[any](t, v, `__q('.call .hang').click()`)
			e.callEnded(t, v)
			e.closeEnded(t)
		})
	}
	t.Run("SetupTime", func(t *testing.T) {
		v := e.chatWithAgent(t, "Rita Relay")
		logSetups(t, "the TURN relay", e.escalations(t, v, 10, func(int) {
			if st := eval[map[string]any](t, v, rtcStats(widgetPC)); st["local"] != "relay" {
				t.Errorf("selected pair %v", st)
			}
		}))
	})
}
