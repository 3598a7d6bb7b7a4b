package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/web"
)

// configSocket dials a page's config socket.
func (l *live) configSocket(contactID, key, origin string) (*wsClient, *http.Response, error) {
	l.t.Helper()
	u := strings.Replace(l.url, "http", "ws", 1) + "/widget/v1/config/ws?contactId=" + url.QueryEscape(contactID) + "&widgetKey=" + url.QueryEscape(key)
	return dialWS(l.t, u, http.Header{"Origin": {origin}})
}

// closedSoon waits until the server closes w.
func closedSoon(t *testing.T, what string, w *wsClient) {
	t.Helper()
	eventually.True(t, what, func() bool {
		_, _, open := w.poll(func(map[string]any) bool { return false })
		return !open
	})
}

// TestConfigSocket: a page's config socket gets the config at once, then
// every change (agent availability, settings) pushed without asking, and
// is closed when the contact's rules stop admitting the page; the widget
// gate applies to its handshake like to every widget request.
func TestConfigSocket(t *testing.T) {
	t.Parallel()
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	l.restrict(shopOrigin, blogOrigin)
	contact, key := l.st.ContactID, l.st.WidgetKey

	for _, c := range []struct {
		what, contact, key, origin string
		status                     int
	}{
		{"refused origin", contact, key, evilOrigin, http.StatusForbidden},
		{"suffix attack", contact, key, "https://shop.example.test.evil.test", http.StatusForbidden},
		{"wrong key", contact, "wk_wrong", shopOrigin, http.StatusUnauthorized},
		{"unknown contact", "c_unknown", key, shopOrigin, http.StatusNotFound},
		{"no contact", "", key, shopOrigin, http.StatusBadRequest},
	} {
		if _, resp, err := l.configSocket(c.contact, c.key, c.origin); err == nil || resp == nil || resp.StatusCode != c.status {
			st := 0
			if resp != nil {
				st = resp.StatusCode
			}
			t.Fatalf("%s: upgraded or wrong refusal (status %d, %v), want %d", c.what, st, err, c.status)
		}
	}

	page, _, err := l.configSocket(contact, key, shopOrigin)
	if err != nil {
		t.Fatal(err)
	}
	blog, _, err := l.configSocket(contact, key, blogOrigin)
	if err != nil {
		t.Fatal(err)
	}
	available := func(f map[string]any) bool { return field(data(f), "available")["chat"] == true }
	first := page.next("config")
	if data(first)["contactId"] != contact || available(first) {
		t.Fatalf("first config: %v (no agent is online: chat must be unavailable)", first)
	}
	blog.next("config")
	if n := metric(t, l.url, "interact_widget_config_sockets"); n != 2 {
		t.Fatalf("interact_widget_config_sockets %v, want 2", n)
	}

	// An agent comes online: pushed, no request made.
	l.agentSocket(0)
	page.awaitWhere("config", available)
	blog.awaitWhere("config", available)

	// A settings change reaches open pages too.
	off := false
	l.setInteract(interact.InteractUpdate{AudioVideo: &off})
	page.awaitWhere("config", func(f map[string]any) bool { return field(data(f), "modalities")["audio"] == false })

	// A page has nothing to say but pings.
	page.send("ping", nil)
	page.next("pong")
	id := page.send("message.send", map[string]any{"text": "hi"})
	wantErrorFrame(t, "frame on a config socket", page.awaitWhere("error", func(f map[string]any) bool { return f["id"] == id }), interact.EINVALID)

	// The blog leaves the allow-list: its page is closed (and learns why
	// over HTTP), the shop's stays and keeps being pushed.
	l.restrictTo(shopOrigin)
	closedSoon(t, "the refused page's socket to close", blog)
	if r := l.config(contact, key, blogOrigin); r.status != http.StatusForbidden {
		t.Fatalf("refused page asks over HTTP: %d", r.status)
	}
	on := true
	l.setInteract(interact.InteractUpdate{AudioVideo: &on})
	page.awaitWhere("config", func(f map[string]any) bool { return field(data(f), "modalities")["audio"] == true })

	// Interact switched off for the tenant: every page is closed.
	l.setTenant(interact.TenantUpdate{InteractEnabled: &off})
	closedSoon(t, "the page's socket to close when Interact is off", page)
	eventually.True(t, "the gauge to drop to 0", func() bool { return metric(t, l.url, "interact_widget_config_sockets") == 0 })
}

// TestConfigSocketCap: config sockets per client address are bounded
// (apart from visitors' chat sockets), and a closed one frees its place.
func TestConfigSocketCap(t *testing.T) {
	t.Parallel()
	l := newLiveWith(t, 1, interact.Distribution{Type: interact.DistributeDirect}, func(c *web.Config) { c.SocketsPerAddress = 2 })
	contact, key := l.st.ContactID, l.st.WidgetKey
	a, _, err := l.configSocket(contact, key, shopOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.configSocket(contact, key, shopOrigin); err != nil {
		t.Fatal(err)
	}
	_, resp, err := l.configSocket(contact, key, shopOrigin)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third config socket from one address: %v %v, want 429 with Retry-After", resp, err)
	}
	// The address may still chat: a visitor's socket counts apart.
	_, tok, _ := l.begin(shopOrigin, chatReq(key))
	v := l.dialVisitorOK(shopOrigin, tok, 0)
	v.next("hello")
	a.c.Close()
	eventually.True(t, "a closed config socket to free its place", func() bool {
		_, resp, err := l.configSocket(contact, key, shopOrigin)
		return err == nil && resp.StatusCode == http.StatusSwitchingProtocols
	})
}

// TestConfigRevalidation: the config carries a validator; asking again
// with it gets 304 and no body until something changes.
func TestConfigRevalidation(t *testing.T) {
	t.Parallel()
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	ask := func(etag string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", l.url+"/widget/v1/config?contactId="+l.st.ContactID+"&widgetKey="+url.QueryEscape(l.st.WidgetKey), nil)
		req.Header.Set("Origin", shopOrigin)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	resp, body := ask("")
	tag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || tag == "" || !strings.Contains(body, `"contactId"`) || !strings.Contains(resp.Header.Get("Cache-Control"), "no-cache") {
		t.Fatalf("config: %d ETag %q Cache-Control %q %s", resp.StatusCode, tag, resp.Header.Get("Cache-Control"), body)
	}
	resp, body = ask(tag)
	if resp.StatusCode != http.StatusNotModified || body != "" || resp.Header.Get("Access-Control-Allow-Origin") != shopOrigin {
		t.Fatalf("unchanged config: %d %q (CORS %q), want 304 without a body, readable by the page", resp.StatusCode, body, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	if resp, _ = ask(`"other"`); resp.StatusCode != 200 {
		t.Fatalf("another validator: %d, want 200", resp.StatusCode)
	}
	l.agentSocket(0) // chat becomes available: a new validator
	var now string
	eventually.True(t, "the config to change", func() bool {
		resp, body = ask(tag)
		now = resp.Header.Get("ETag")
		return resp.StatusCode == 200 && now != tag
	})
	if !strings.Contains(body, `"chat":true`) {
		t.Fatalf("changed config: %s", body)
	}
}

// TestSocketsRefusePlainRequests: a plain GET on a socket endpoint gets
// one JSON refusal, not the handshake library's text.
func TestSocketsRefusePlainRequests(t *testing.T) {
	t.Parallel()
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	for _, path := range []string{
		"/widget/v1/config/ws?contactId=" + l.st.ContactID + "&widgetKey=" + url.QueryEscape(l.st.WidgetKey),
		"/agent/v1/ws",
	} {
		bearer, origin := "", shopOrigin
		if strings.HasPrefix(path, "/agent") {
			bearer, origin = l.tokens[0], "" // a console client that is no browser
		}
		r := l.widget("GET", path, origin, bearer, nil)
		if r.status != http.StatusBadRequest || r.code() != interact.EINVALID || !strings.HasPrefix(r.h.Get("Content-Type"), "application/json") {
			t.Errorf("plain GET %s: %d %q %v, want 400 invalid as JSON", path, r.status, r.h.Get("Content-Type"), r.body)
		}
	}
}
