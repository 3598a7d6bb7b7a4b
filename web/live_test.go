package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/interact-oss/interact"
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
	eng := routing.New(routing.Config{Clock: clock}, db, bus)
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
	cfg := web.Config{PublicURL: url, Engine: eng, Hub: hub, Bus: bus, TokenSecret: []byte("0123456789abcdef0123456789abcdef")}
	api := web.NewServer(cfg, db)
	t.Cleanup(api.Close)
	srv.Config.Handler = api
	srv.Start()
	t.Cleanup(srv.Close)

	tn, admin, err := db.CreateTenant(ctx, interact.Actor{}, sqlstore.NewTenant{
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
