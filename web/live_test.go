package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/chatlog"
	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/membus"
	"github.com/interact-oss/interact/realtime"
	"github.com/interact-oss/interact/routing"
	"github.com/interact-oss/interact/sqlstore"
	"github.com/interact-oss/interact/web"
)

// live is a whole interact stack (store, bus, engine, hub, web) on loopback,
// with a tenant that has Interact on, one service and agents.
type live struct {
	t       *testing.T
	db      *sqlstore.DB
	url     string
	engine  *routing.Engine
	clock   *routing.ManualClock
	admin   interact.Actor
	svc     *interact.Service
	st      *interact.InteractSettings
	agents  []*interact.User
	tokens  []string // API tokens of the agents
	ouID    string
	tenant  *interact.Tenant
	webCfg  web.Config
	closeFn func()
}

func newLive(t *testing.T, agents int, dist interact.Distribution) *live {
	t.Helper()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "live.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bus := membus.New()
	t.Cleanup(func() { bus.Close() })
	clock := routing.NewManualClock(time.Now())
	transcript := chatlog.New(db, bus, nil)
	eng := routing.New(routing.Config{Transcript: transcript, Clock: clock}, db, bus)
	if err := eng.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	hub, err := realtime.NewHub(realtime.Config{}, bus)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	cfg := web.Config{PublicURL: url, Engine: eng, Hub: hub, Bus: bus, Transcript: transcript, TokenSecret: []byte("0123456789abcdef0123456789abcdef")}
	api := web.NewServer(cfg, db)
	t.Cleanup(api.Close)
	srv.Config.Handler = api
	srv.Start()
	t.Cleanup(srv.Close)

	tn, admin, err := db.CreateTenant(ctx, interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: "Live", InteractEnabled: true, IMEnabled: true}, AdminEmail: "admin@live.test", AdminPassword: "admin-password",
	})
	if err != nil {
		t.Fatal(err)
	}
	l := &live{t: t, db: db, url: url, engine: eng, clock: clock, tenant: tn, ouID: admin.OUID, webCfg: cfg,
		admin: interact.Actor{UserID: admin.ID, TenantID: tn.ID, Email: admin.Email, Roles: admin.Roles}}
	l.svc, err = db.CreateService(ctx, l.admin, interact.Service{Name: "Support", OUID: admin.OUID,
		License: interact.LicenseContactCenter, InteractLicense: true, Distribution: dist})
	if err != nil {
		t.Fatal(err)
	}
	on := true
	if l.st, err = db.UpdateInteract(ctx, l.admin, interact.OwnerService, l.svc.ID, interact.InteractUpdate{InstantMessage: &on, AudioVideo: &on}); err != nil {
		t.Fatal(err)
	}
	for i := range agents {
		u, err := db.CreateUser(ctx, l.admin, interact.User{Email: fmt.Sprintf("agent%d@live.test", i), Name: fmt.Sprintf("Agent %d", i),
			OUID: admin.OUID, Licenses: interact.Licenses{ContactCenter: true, InstantMessaging: true}}, "agent-password")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.PutMember(ctx, l.admin, l.svc.ID, u.ID, true); err != nil {
			t.Fatal(err)
		}
		_, secret, err := db.CreateAPIToken(ctx, interact.Actor{UserID: u.ID, TenantID: tn.ID}, u.ID, "console")
		if err != nil {
			t.Fatal(err)
		}
		l.agents = append(l.agents, u)
		l.tokens = append(l.tokens, secret)
	}
	return l
}

// wsClient is a real WebSocket client that collects frames.
type wsClient struct {
	t      *testing.T
	c      *websocket.Conn
	frames chan map[string]any
	n      int
}

func dialWS(t *testing.T, url string, h http.Header) (*wsClient, *http.Response, error) {
	t.Helper()
	c, resp, err := websocket.DefaultDialer.Dial(url, h)
	if err != nil {
		return nil, resp, err
	}
	w := &wsClient{t: t, c: c, frames: make(chan map[string]any, 1000)}
	go func() {
		defer close(w.frames)
		for {
			_, data, err := c.ReadMessage()
			if err != nil {
				return
			}
			var f map[string]any
			json.Unmarshal(data, &f)
			w.frames <- f
		}
	}()
	t.Cleanup(func() { c.Close() })
	return w, resp, nil
}

func (w *wsClient) send(typ string, data any) string {
	w.t.Helper()
	w.n++
	id := fmt.Sprint(w.n)
	if err := w.c.WriteJSON(map[string]any{"type": typ, "id": id, "data": data}); err != nil {
		w.t.Fatal(err)
	}
	return id
}

// await returns the next frame of type typ (skipping others).
func (w *wsClient) await(typ string) map[string]any {
	w.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case f, ok := <-w.frames:
			if !ok {
				w.t.Fatalf("socket closed while waiting for %q", typ)
			}
			if f["type"] == typ {
				return f
			}
		case <-deadline:
			w.t.Fatalf("no %q frame within 5s", typ)
		}
	}
}

func data(f map[string]any) map[string]any { d, _ := f["data"].(map[string]any); return d }

func (l *live) agentSocket(i int) *wsClient {
	l.t.Helper()
	w, _, err := dialWS(l.t, strings.Replace(l.url, "http", "ws", 1)+"/agent/v1/ws", http.Header{"Authorization": {"Bearer " + l.tokens[i]}})
	if err != nil {
		l.t.Fatal(err)
	}
	w.await("hello")
	w.send("presence.set", map[string]any{"presence": "available"})
	w.await("ok")
	return w
}

func (l *live) startTask(origin string, body map[string]any) (int, map[string]any) {
	l.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", l.url+"/widget/v1/tasks?contactId="+l.st.ContactID, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (l *live) visitorSocket(origin, wsURL string, lastSeq int) *wsClient {
	l.t.Helper()
	w, _, err := dialWS(l.t, fmt.Sprintf("%s&lastSeq=%d", wsURL, lastSeq), http.Header{"Origin": {origin}})
	if err != nil {
		l.t.Fatal(err)
	}
	return w
}

func TestLiveChatRoundTrip(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	agent := l.agentSocket(0)
	const origin = "https://shop.example.test"
	status, grant := l.startTask(origin, map[string]any{"widgetKey": l.st.WidgetKey, "modality": "chat", "visitor": map[string]any{"name": "Vera Visitor"}})
	if status != 201 {
		t.Fatalf("start task: %d %v", status, grant)
	}
	v := l.visitorSocket(origin, grant["wsUrl"].(string), 0)
	v.await("hello")
	offer := data(agent.await("offer"))
	agent.send("offer.accept", map[string]any{"offerId": offer["offerId"]})
	agent.await("ok")
	taskID := grant["taskId"].(string)

	v.send("message.send", map[string]any{"clientId": "m1", "text": "<b>Hello</b> agent"})
	ack := data(v.await("message.ack"))
	for {
		m := data(agent.await("message"))
		if m["from"] == "visitor" {
			if m["text"] != "<b>Hello</b> agent" || m["seq"] != ack["seq"] {
				t.Fatalf("agent got %v, ack %v", m, ack)
			}
			break
		}
	}
	agent.send("message.send", map[string]any{"taskId": taskID, "clientId": "a1", "text": "Hi Vera"})
	agent.await("message.ack")
	for {
		m := data(v.await("message"))
		if m["from"] == "agent" {
			if m["text"] != "Hi Vera" || m["name"] != "Agent 0" {
				t.Fatalf("visitor got %v", m)
			}
			break
		}
	}
	// A resend with the same client id is stored once.
	v.send("message.send", map[string]any{"clientId": "m1", "text": "<b>Hello</b> agent"})
	if d := data(v.await("message.ack")); d["duplicate"] != true || d["seq"] != ack["seq"] {
		t.Fatalf("resend ack %v", d)
	}
	msgs, _ := l.db.Messages(context.Background(), taskID, 0, 100)
	n := 0
	for _, m := range msgs {
		if m.ClientID == "m1" {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("message m1 stored %d times", n)
	}
	// A reload resumes from lastSeq 0: the whole transcript comes again, in order.
	v2 := l.visitorSocket(origin, grant["wsUrl"].(string), 0)
	v2.await("hello")
	var seqs []float64
	for range msgs {
		seqs = append(seqs, data(v2.await("message"))["seq"].(float64))
	}
	for i, s := range seqs {
		if int(s) != i+1 {
			t.Fatalf("replay order %v", seqs)
		}
	}
	agent.send("task.end", map[string]any{"taskId": taskID})
	agent.await("ok")
	for {
		st := data(v.await("task.state"))
		if st["state"] == "ended" {
			if st["outcome"] != interact.OutcomeHandled {
				t.Fatalf("outcome %v", st)
			}
			break
		}
	}
}

// newLiveWith is newLive served by a second web server whose config mod
// changes (rate limits, token lifetime, …); l.url and l.webCfg point at it.
// Store, bus, engine and hub are shared with the first server.
func newLiveWith(t *testing.T, agents int, dist interact.Distribution, mod func(*web.Config)) *live {
	t.Helper()
	l := newLive(t, agents, dist)
	srv := httptest.NewUnstartedServer(nil)
	cfg := l.webCfg
	cfg.PublicURL = "http://" + srv.Listener.Addr().String()
	mod(&cfg)
	api := web.NewServer(cfg, l.db)
	t.Cleanup(api.Close)
	srv.Config.Handler = api
	srv.Start()
	t.Cleanup(srv.Close)
	l.url, l.webCfg = cfg.PublicURL, cfg
	return l
}

// restrictTo turns Restrict Access on for the live service, allowing the
// origins of one new domain template.
func (l *live) restrictTo(origins ...string) {
	l.t.Helper()
	ctx := context.Background()
	tpl, err := l.db.CreateDomainTemplate(ctx, l.admin, interact.DomainTemplate{Name: "Allowed pages", OUID: l.ouID, Origins: origins})
	if err != nil {
		l.t.Fatal(err)
	}
	on, ids := true, []string{tpl.ID}
	if l.st, err = l.db.UpdateInteract(ctx, l.admin, interact.OwnerService, l.svc.ID, interact.InteractUpdate{RestrictAccess: &on, DomainTemplateIDs: &ids}); err != nil {
		l.t.Fatal(err)
	}
}

// adminToken returns a new API token of the tenant admin.
func (l *live) adminToken() string {
	l.t.Helper()
	_, secret, err := l.db.CreateAPIToken(context.Background(), l.admin, l.admin.UserID, "admin")
	if err != nil {
		l.t.Fatal(err)
	}
	return secret
}

// metric reads an unlabelled metric of the server at /metrics (0 when absent).
func metric(t *testing.T, baseURL, name string) float64 {
	t.Helper()
	resp, err := http.Get(baseURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			var f float64
			fmt.Sscan(v, &f)
			return f
		}
	}
	return 0
}

// Helpers of the widget, visitor and agent end-to-end tests
// (widget_test.go, visitorws_test.go, agentws_test.go).

// wresp is an HTTP answer: status, headers and the decoded JSON body.
type wresp struct {
	status int
	h      http.Header
	body   map[string]any
}

func (r wresp) code() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

// widget sends a request to l's server; an empty origin or bearer sends none.
func (l *live) widget(method, path, origin, bearer string, body any) wresp {
	l.t.Helper()
	return l.widgetWith(method, path, origin, bearer, body, nil)
}

// widgetWith is widget with more request headers.
func (l *live) widgetWith(method, path, origin, bearer string, body any, hdr http.Header) wresp {
	l.t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, l.url+path, rd)
	if err != nil {
		l.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return wresp{resp.StatusCode, resp.Header, out}
}

func (l *live) config(contactID, key, origin string) wresp {
	l.t.Helper()
	return l.widget("GET", "/widget/v1/config?contactId="+url.QueryEscape(contactID)+"&widgetKey="+url.QueryEscape(key), origin, "", nil)
}

func (l *live) start(contactID, origin string, body map[string]any) wresp {
	l.t.Helper()
	return l.widget("POST", "/widget/v1/tasks?contactId="+url.QueryEscape(contactID), origin, "", body)
}

// begin starts a task on l's main contact and fails the test unless it is created.
func (l *live) begin(origin string, body map[string]any) (taskID, token string, grant map[string]any) {
	l.t.Helper()
	r := l.start(l.st.ContactID, origin, body)
	if r.status != http.StatusCreated {
		l.t.Fatalf("start task: %d %v", r.status, r.body)
	}
	return r.body["taskId"].(string), r.body["token"].(string), r.body
}

func chatReq(key string) map[string]any {
	return map[string]any{"widgetKey": key, "modality": "chat", "visitor": map[string]any{"name": "Vera Visitor"}}
}

func callReq(key, modality string) map[string]any {
	return map[string]any{"widgetKey": key, "modality": modality}
}

// taskCount counts the tenant's tasks in the store.
func (l *live) taskCount() int {
	l.t.Helper()
	ss, _, err := l.db.Sessions(context.Background(), l.admin, interact.SessionFilter{Limit: 500})
	if err != nil {
		l.t.Fatal(err)
	}
	return len(ss)
}

func wantRefused(t *testing.T, what string, r wresp, status int, code string) {
	t.Helper()
	if r.status != status || r.code() != code {
		t.Fatalf("%s: got %d %v, want %d %s", what, r.status, r.body, status, code)
	}
}

// WebSocket client helpers.

// sendRaw writes one text frame as is.
func (w *wsClient) sendRaw(s string) {
	w.t.Helper()
	if err := w.c.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		w.t.Fatal(err)
	}
}

// reply returns the answer to request id (ok, message.ack or error).
func (w *wsClient) reply(id string) map[string]any {
	w.t.Helper()
	return w.awaitWhere("", func(f map[string]any) bool { return f["id"] == id })
}

// next returns the next frame of type typ. Unlike await, it keeps the
// frames it skips for later awaitWhere/next calls.
func (w *wsClient) next(typ string) map[string]any {
	w.t.Helper()
	return w.awaitWhere(typ, func(map[string]any) bool { return true })
}

// stashes keeps, per client, frames received but not asked for yet, so
// that waiting for one frame never loses another.
var stashes = struct {
	sync.Mutex
	m map[*wsClient][]map[string]any
}{m: map[*wsClient][]map[string]any{}}

// poll returns the first frame, stashed or already received, that
// matches, without blocking; open is false once the socket is closed.
func (w *wsClient) poll(match func(f map[string]any) bool) (f map[string]any, found, open bool) {
	stashes.Lock()
	defer stashes.Unlock()
	if _, ok := stashes.m[w]; !ok {
		stashes.m[w] = nil
		w.t.Cleanup(func() { stashes.Lock(); delete(stashes.m, w); stashes.Unlock() })
	}
	for {
		for i, f := range stashes.m[w] {
			if match(f) {
				stashes.m[w] = append(stashes.m[w][:i:i], stashes.m[w][i+1:]...)
				return f, true, true
			}
		}
		select {
		case f, ok := <-w.frames:
			if !ok {
				return nil, false, false
			}
			stashes.m[w] = append(stashes.m[w], f)
		default:
			return nil, false, true
		}
	}
}

// awaitWhere returns the next frame of type typ ("" any) that satisfies ok.
func (w *wsClient) awaitWhere(typ string, ok func(f map[string]any) bool) map[string]any {
	w.t.Helper()
	match := func(f map[string]any) bool { return (typ == "" || f["type"] == typ) && ok(f) }
	var f map[string]any
	eventually.True(w.t, fmt.Sprintf("a matching %q frame", typ), func() bool {
		got, found, open := w.poll(match)
		if !open {
			w.t.Fatalf("socket closed while waiting for %q", typ)
		}
		f = got
		return found
	})
	return f
}

// until returns, and consumes, the frames received before the next frame
// of type typ (poll stops reading at the first match, so what is stashed
// then came before it).
func (w *wsClient) until(typ string) []map[string]any {
	w.t.Helper()
	w.next(typ)
	stashes.Lock()
	defer stashes.Unlock()
	out := stashes.m[w]
	stashes.m[w] = nil
	return out
}

// field returns the object m[k].
func field(m map[string]any, k string) map[string]any { v, _ := m[k].(map[string]any); return v }

func wantErrorFrame(t *testing.T, what string, f map[string]any, code string) {
	t.Helper()
	if f["type"] != "error" || data(f)["code"] != code || data(f)["message"] == "" {
		t.Fatalf("%s: got %v, want error %s", what, f, code)
	}
}

func (l *live) dialVisitor(origin, token string, lastSeq int) (*wsClient, *http.Response, error) {
	l.t.Helper()
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	u := fmt.Sprintf("%s/widget/v1/ws?contactId=%s&token=%s&lastSeq=%d", strings.Replace(l.url, "http", "ws", 1),
		url.QueryEscape(l.st.ContactID), url.QueryEscape(token), lastSeq)
	return dialWS(l.t, u, h)
}

func (l *live) dialVisitorOK(origin, token string, lastSeq int) *wsClient {
	l.t.Helper()
	w, resp, err := l.dialVisitor(origin, token, lastSeq)
	if err != nil {
		l.t.Fatalf("visitor socket: %v (%v)", err, resp)
	}
	return w
}

// connect starts a chat, opens the visitor's socket and has agent (the
// socket of the only available agent) accept it.
func (l *live) connect(agent *wsClient) (taskID, token string, v *wsClient) {
	l.t.Helper()
	taskID, token, _ = l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	v = l.dialVisitorOK(shopOrigin, token, 0)
	v.next("hello")
	offer := data(agent.awaitWhere("offer", func(f map[string]any) bool { return field(data(f), "task")["id"] == taskID }))
	if d := data(agent.reply(agent.send("offer.accept", map[string]any{"offerId": offer["offerId"]}))); field(d, "task")["id"] != taskID {
		l.t.Fatalf("accept: %v", d)
	}
	v.awaitWhere("task.state", func(f map[string]any) bool { return data(f)["state"] == "connected" })
	return taskID, token, v
}

func (l *live) messageCount(taskID string) int {
	l.t.Helper()
	ms, err := l.db.Messages(context.Background(), taskID, 0, 10000)
	if err != nil {
		l.t.Fatal(err)
	}
	return len(ms)
}
