package web_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/realtime"
	"github.com/interact-oss/interact/web"
	"github.com/interact-oss/interact/web/agentapi"
)

// rawAgent is an agent socket read by the test itself, to see how it ends.
type rawAgent struct {
	t *testing.T
	c *websocket.Conn
}

func (l *live) rawAgentSocket(h http.Header) *rawAgent {
	l.t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(strings.Replace(l.url, "http", "ws", 1)+"/agent/v1/ws", h)
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(func() { c.Close() })
	a := &rawAgent{t: l.t, c: c}
	a.next("hello")
	return a
}

// next returns the next frame of type typ, failing when the socket ends.
func (a *rawAgent) next(typ string) map[string]any {
	a.t.Helper()
	a.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var f map[string]any
		if err := a.c.ReadJSON(&f); err != nil {
			a.t.Fatalf("agent socket ended while waiting for %q: %v", typ, err)
		}
		if f["type"] == typ {
			return f
		}
	}
}

// alive proves the socket still works: a request is answered.
func (a *rawAgent) alive() {
	a.t.Helper()
	if err := a.c.WriteJSON(map[string]any{"type": "presence.set", "id": "p", "data": map[string]any{"presence": "available"}}); err != nil {
		a.t.Fatal(err)
	}
	a.next("ok")
}

// closedWith waits for the socket to be closed by the server with code,
// skipping the frames before it.
func (a *rawAgent) closedWith(code int) {
	a.t.Helper()
	a.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		var f map[string]any
		err := a.c.ReadJSON(&f)
		if err == nil {
			if f["type"] == "offer" {
				a.t.Fatalf("a socket whose credential is gone received an offer: %v", f)
			}
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != code {
			a.t.Fatalf("socket ended with %v, want close code %d", err, code)
		}
		return
	}
}

// signIn signs a user in with a password and returns the session cookie
// header and the CSRF token.
func (l *live) signIn(email, password string) (http.Header, string) {
	l.t.Helper()
	body := strings.NewReader(`{"email":"` + email + `","password":"` + password + `"}`)
	req, _ := http.NewRequest("POST", l.url+"/api/v1/session", body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", l.url)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct {
		CSRFToken string `json:"csrfToken"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || resp.StatusCode != 200 {
		l.t.Fatalf("sign in %s: %d %v", email, resp.StatusCode, err)
	}
	h := http.Header{"Origin": {l.url}}
	for _, c := range resp.Cookies() {
		if c.Name == "interact_session" {
			h.Set("Cookie", c.Name+"="+c.Value)
		}
	}
	return h, info.CSRFToken
}

func (l *live) tokenID(admin string, user int) string {
	l.t.Helper()
	r := l.widget("GET", "/api/v1/users/"+l.agents[user].ID+"/tokens", "", admin, nil)
	items, _ := r.body["items"].([]any)
	if r.status != 200 || len(items) != 1 {
		l.t.Fatalf("tokens of agent %d: %d %v", user, r.status, r.body)
	}
	return items[0].(map[string]any)["id"].(string)
}

// An open agent socket dies with its credential, whatever ends it, on the
// socket and not only on REST; other agents' sockets go on.
func TestAgentSocketDiesWithItsCredential(t *testing.T) {
	t.Run("token revoked by an administrator", func(t *testing.T) {
		l := newLive(t, 2, interact.Distribution{})
		admin := l.adminToken()
		gone, other := l.rawAgentSocket(bearer(l.tokens[0])), l.rawAgentSocket(bearer(l.tokens[1]))
		if r := l.widget("DELETE", "/api/v1/users/"+l.agents[0].ID+"/tokens/"+l.tokenID(admin, 0), "", admin, nil); r.status != 204 {
			t.Fatalf("revoke: %d %v", r.status, r.body)
		}
		gone.closedWith(agentapi.CloseRevoked)
		other.alive()
	})
	t.Run("token revoked by its own user", func(t *testing.T) {
		l := newLive(t, 1, interact.Distribution{})
		id := l.tokenID(l.adminToken(), 0)
		gone := l.rawAgentSocket(bearer(l.tokens[0]))
		if r := l.widget("DELETE", "/api/v1/users/"+l.agents[0].ID+"/tokens/"+id, "", l.tokens[0], nil); r.status != 204 {
			t.Fatalf("revoke: %d %v", r.status, r.body)
		}
		gone.closedWith(agentapi.CloseRevoked)
	})
	t.Run("signed out", func(t *testing.T) {
		l := newLive(t, 1, interact.Distribution{})
		h, csrf := l.signIn(l.agents[0].Email, "agent-password")
		second, _ := l.signIn(l.agents[0].Email, "agent-password") // another browser of the same agent
		gone, other := l.rawAgentSocket(h), l.rawAgentSocket(second)
		req, _ := http.NewRequest("DELETE", l.url+"/api/v1/session", nil)
		req.Header = h.Clone()
		req.Header.Set("X-CSRF-Token", csrf)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 204 {
			t.Fatalf("sign out: %v %v", resp, err)
		}
		resp.Body.Close()
		gone.closedWith(agentapi.CloseRevoked)
		other.alive() // the other session stays signed in
	})
	t.Run("signed out in the admin console", func(t *testing.T) {
		l := newLive(t, 0, interact.Distribution{})
		h, csrf := l.signIn("admin@live.test", "admin-password")
		gone := l.rawAgentSocket(h)
		req, _ := http.NewRequest("POST", l.url+"/admin/signout", strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
		req.Header = h.Clone()
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
		if err != nil || resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("console sign out: %v %v", resp, err)
		}
		resp.Body.Close()
		gone.closedWith(agentapi.CloseRevoked)
	})
	t.Run("password reset by an administrator", func(t *testing.T) {
		l := newLive(t, 2, interact.Distribution{})
		h, _ := l.signIn(l.agents[0].Email, "agent-password")
		gone, other := l.rawAgentSocket(h), l.rawAgentSocket(bearer(l.tokens[1]))
		if r := l.widget("PATCH", "/api/v1/users/"+l.agents[0].ID, "", l.adminToken(), map[string]any{"password": "a new password 1"}); r.status != 200 {
			t.Fatalf("reset: %d %v", r.status, r.body)
		}
		gone.closedWith(agentapi.CloseRevoked)
		other.alive()
	})
	t.Run("user deleted: no offer reaches the socket", func(t *testing.T) {
		l := newLive(t, 2, interact.Distribution{})
		gone, other := l.rawAgentSocket(bearer(l.tokens[0])), l.rawAgentSocket(bearer(l.tokens[1]))
		gone.alive()
		if r := l.widget("DELETE", "/api/v1/users/"+l.agents[0].ID, "", l.adminToken(), nil); r.status != 204 {
			t.Fatalf("delete: %d %v", r.status, r.body)
		}
		gone.closedWith(agentapi.CloseRevoked)
		other.alive()
		// A new contact is offered to the remaining agent only.
		l.begin(shopOrigin, chatReq(l.st.WidgetKey))
		other.next("offer")
	})
}

// On another node: the revocation reaches the socket over the bus. Two
// servers share the store and the bus, each with its own hub.
func TestAgentSocketDiesWithItsCredentialOnAnotherNode(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{})
	hub, err := realtime.NewHub(realtime.Config{}, l.webCfg.Bus)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(hub.Close)
	srv := httptest.NewUnstartedServer(nil)
	cfg := l.webCfg
	cfg.Hub, cfg.PublicURL = hub, "http://"+srv.Listener.Addr().String()
	b := web.NewServer(cfg, l.db)
	t.Cleanup(b.Close)
	srv.Config.Handler = b
	srv.Start()
	t.Cleanup(srv.Close)
	onB := &live{t: t, url: cfg.PublicURL}
	admin := l.adminToken()
	id := l.tokenID(admin, 0)
	tokenSocket := onB.rawAgentSocket(bearer(l.tokens[0]))
	h, _ := onB.signIn(l.agents[0].Email, "agent-password")
	sessionSocket := onB.rawAgentSocket(h)
	if r := l.widget("DELETE", "/api/v1/users/"+l.agents[0].ID+"/tokens/"+id, "", admin, nil); r.status != 204 {
		t.Fatalf("revoke on node A: %d %v", r.status, r.body)
	}
	tokenSocket.closedWith(agentapi.CloseRevoked)
	sessionSocket.alive()
	if r := l.widget("PATCH", "/api/v1/users/"+l.agents[0].ID, "", admin, map[string]any{"password": "a new password 1"}); r.status != 200 {
		t.Fatalf("reset on node A: %d %v", r.status, r.body)
	}
	sessionSocket.closedWith(agentapi.CloseRevoked)
}

func bearer(secret string) http.Header { return http.Header{"Authorization": {"Bearer " + secret}} }
