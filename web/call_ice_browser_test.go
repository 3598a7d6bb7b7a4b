package web_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/turnserver"
	"github.com/interact-oss/interact/web"
)

// A call survives a network drop: media forced through the embedded TURN
// relay, which is closed and started again on the same port. The relay's
// allocations are lost, as when a relay restarts or a NAT mapping goes
// away; both browsers see the call disconnect, the visitor's page restarts
// ICE, and the call comes back on the same peer connections and task.

// dropRelay is an embedded TURN server on a fixed UDP port that can be
// stopped and started again.
type dropRelay struct {
	t      *testing.T
	addr   string
	secret string
	srv    *turnserver.Server
}

func newDropRelay(t *testing.T, secret string) *dropRelay {
	r := &dropRelay{t: t, addr: "127.0.0.1:0", secret: secret}
	r.start()
	t.Cleanup(func() {
		if r.srv != nil {
			r.srv.Close()
		}
	})
	return r
}

func (r *dropRelay) start() {
	r.t.Helper()
	udp, err := net.ListenPacket("udp4", r.addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.addr = udp.LocalAddr().String() // the same port from now on
	if r.srv, err = turnserver.New(turnserver.Config{PacketConn: udp, RelayIP: net.IPv4(127, 0, 0, 1), Secret: r.secret}); err != nil {
		r.t.Fatal(err)
	}
}

// stop closes the server with its relays: their allocations are gone.
func (r *dropRelay) stop() {
	r.t.Helper()
	if err := r.srv.Close(); err != nil {
		r.t.Fatal(err)
	}
	r.srv = nil
}

// watchPC records the connection states of a side's peer connection in
// the page (window.__states, with performance.now() times) and keeps it
// as window.__pc0, to tell an ICE restart from a new peer connection.
func watchPC(pc string) string {
	return `(() => { const pc = ` + pc + `; window.__pc0 = pc; window.__states = [];
	  pc.addEventListener('connectionstatechange', () => __states.push({state: pc.connectionState, at: performance.now()})); })()`
}

// outage is how long a side was not connected, from its first state
// change after the drop to its connected state again, in the page's
// clock; -1 when the watched peer connection did not come back.
const outage = `(() => { const s = window.__states; const c = s.findLast(x => x.state === 'connected');
  return s.length && c ? c.at - s[0].at : -1; })()`

func TestCallICERestartInBrowser(t *testing.T) {
	chromiumOrSkip(t)
	const secret = "call-ice-restart-secret"
	// Short-lived credentials: those the call started with have expired
	// when the relay comes back, so the restart needs fresh ones, as a
	// call does that outlives the default TTL.
	const ttl = 4 * time.Second
	relay := newDropRelay(t, secret)
	stun, turnURLs := relay.srv.URLs()
	ice := &turnserver.ICE{STUN: stun, TURN: turnURLs, Credentials: turnserver.Credentials{Secret: secret, TTL: ttl}, ForceRelay: true}
	e, proxy := newCallEnvBehind(t, ice.Config)
	e.relay = true

	// A drop shorter than the time to notice it: the restart finds the
	// relay back. The call returns on the same peer connections.
	t.Run("BriefDrop", func(t *testing.T) {
		v, taskID := e.callForDrop(t, ttl)
		e.drop(t, v, relay, taskID, 0)
		if !eval[bool](t, v, widgetPC+` === window.__pc0`) || !eval[bool](t, e.agent, consolePC+` === window.__pc0`) {
			t.Error("the call came back on a new peer connection, not by an ICE restart")
		}
		e.hangUp(t, v)
	})
	// A drop through several restarts: each finds no path, the page keeps
	// trying, and the call returns once the relay does.
	t.Run("LongDrop", func(t *testing.T) {
		v, taskID := e.callForDrop(t, ttl)
		e.drop(t, v, relay, taskID, 15*time.Second)
		t.Logf("after the long drop: the same peer connections: visitor %v, agent %v",
			eval[bool](t, v, widgetPC+` === window.__pc0`), eval[bool](t, e.agent, consolePC+` === window.__pc0`))
		e.hangUp(t, v)
	})
	// The whole way to interact drops: the relay and both WebSockets. The
	// page restarts ICE once its socket is back.
	t.Run("DropWithSockets", func(t *testing.T) {
		v, taskID := e.callForDrop(t, ttl)
		e.drop(t, v, relay, taskID, 0, func(down bool) {
			proxy.cut(down)
			if down {
				waitJS(t, v, `__visible('.banner')`, 10*time.Second)
				waitConsole(t, e.agent, "console offline", `!!document.querySelector('.conn.down')`)
			}
		})
		if !eval[bool](t, v, widgetPC+` === window.__pc0`) || !eval[bool](t, e.agent, consolePC+` === window.__pc0`) {
			t.Error("the call came back on a new peer connection, not by an ICE restart")
		}
		e.hangUp(t, v)
	})
}

// newCallEnvBehind is newCallEnv with every connection to interact (pages,
// WebSockets; not the TURN relay) through a proxy the test can cut.
func newCallEnvBehind(t *testing.T, ice func(taskID string) interact.ICEConfig) (*callEnv, *cutProxy) {
	proxy := newCutProxy(t)
	e := newCallEnvWith(t, func(c *web.Config) {
		proxy.setTarget(strings.TrimPrefix(c.PublicURL, "http://"))
		c.PublicURL = "http://" + proxy.addr()
		c.ICE = ice
	})
	return e, proxy
}

// callForDrop starts a video call, watches both peer connections and
// waits until the call's TURN credentials expired.
func (e *callEnv) callForDrop(t *testing.T, ttl time.Duration) (v context.Context, taskID string) {
	t.Helper()
	began := time.Now()
	v = e.callTask(t, "video")
	taskID = eval[string](t, e.agent, `[...window.interactCalls.keys()][0]`)
	eval[any](t, v, watchPC(widgetPC))
	eval[any](t, e.agent, watchPC(consolePC))
	// Real time: the credentials expire by the TURN server's clock, which
	// this package cannot move, and the browsers' ICE agents run on real
	// timers.
	time.Sleep(time.Until(began.Add(ttl + time.Second)))
	return v, taskID
}

// drop stops the relay (and whatever else also drops) until both sides see the call disconnected and
// for down longer, starts it again and checks that the call comes back
// by itself: connected, media flowing both ways through the relay, the
// same task, the status texts back to "in call".
func (e *callEnv) drop(t *testing.T, v context.Context, relay *dropRelay, taskID string, down time.Duration, also ...func(down bool)) {
	t.Helper()
	const (
		visitorReconnecting = `__text('.call .cst') === 'Connection unstable. Reconnecting the call…'`
		agentReconnecting   = `document.querySelector('.call-status').textContent === 'Connection unstable: reconnecting the call…'`
	)
	dropped := time.Now()
	relay.stop()
	for _, f := range also {
		f(true)
	}
	waitJS(t, v, `['disconnected', 'failed'].includes(`+widgetPC+`.connectionState) && `+visitorReconnecting, 30*time.Second)
	waitConsole(t, e.agent, "console sees the drop", `['disconnected', 'failed'].includes(`+consolePC+`.connectionState) && `+agentReconnecting)
	noticed := time.Since(dropped)
	time.Sleep(down) // the network stays down this long: a real outage for the browsers' real timers
	if down > 0 && !eval[bool](t, v, widgetPC+`.connectionState !== 'connected' && `+visitorReconnecting) {
		t.Errorf("the visitor's page, %v into the drop: %v", time.Since(dropped).Round(time.Millisecond),
			eval[any](t, v, `[`+widgetPC+`.connectionState, __text('.call .cst')]`))
	}

	relay.start()
	for _, f := range also {
		f(false)
	}
	back := time.Now()
	downFor := back.Sub(dropped)
	e.connected(t, v)
	recovered := time.Since(back)
	e.mediaFlows(t, v, "audio", "video")
	if id := eval[string](t, e.agent, `[...window.interactCalls.keys()][0]`); id != taskID {
		t.Errorf("the call moved from task %s to %s", taskID, id)
	}
	if tv, open := e.l.engine.Task(taskID); !open || tv.State != interact.TaskConnected || tv.Call != interact.ModalityVideo {
		t.Errorf("task after the drop: %+v (open %v)", tv, open)
	}
	waitJS(t, v, `__text('.call .cst').startsWith('In a call with')`, 5*time.Second)
	waitConsole(t, e.agent, "console in call again", `document.querySelector('.call-status').textContent.startsWith('Call connected.')`)
	t.Logf("relay down %v: both sides disconnected after %v; connected again %v after the relay was back (disconnected → connected: visitor %s, agent %s)",
		downFor.Round(time.Millisecond), noticed.Round(time.Millisecond), recovered.Round(time.Millisecond),
		outageOf(t, v), outageOf(t, e.agent))
}

// hangUp ends the call from the visitor's side.
func (e *callEnv) hangUp(t *testing.T, v context.Context) {
	t.Helper()
	eval[any](t, v, `__q('.call .hang').click()`)
	e.callEnded(t, v)
	e.closeEnded(t)
}

// outageOf reports a side's outage, or that its call came back on a new
// peer connection.
func outageOf(t *testing.T, ctx context.Context) string {
	t.Helper()
	f := eval[float64](t, ctx, outage)
	if f < 0 {
		return "a new peer connection"
	}
	return time.Duration(f * float64(time.Millisecond)).Round(time.Millisecond).String()
}
