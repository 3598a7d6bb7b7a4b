package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/eventually"
	"github.com/interact-oss/interact/web"
	"github.com/interact-oss/interact/web/endpoint"
)

// startFor starts a task as if forwarded for client (X-Forwarded-For).
func (l *live) startFor(client string) int {
	l.t.Helper()
	b, _ := json.Marshal(chatReq(l.st.WidgetKey))
	req, _ := http.NewRequest("POST", l.url+"/widget/v1/tasks?contactId="+url.QueryEscape(l.st.ContactID), bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", shopOrigin)
	req.Header.Set("X-Forwarded-For", client)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Behind a trusted proxy every visitor has its own limits; without one,
// X-Forwarded-For is a forgery and changes nothing.
func TestLimitsBehindTrustedProxy(t *testing.T) {
	direct := interact.Distribution{Type: interact.DistributeDirect}
	t.Run("trusted proxy: per visitor", func(t *testing.T) {
		l := newLiveWith(t, 1, direct, func(c *web.Config) {
			c.TaskRate = 1
			c.TrustedProxies = endpoint.Proxies{netip.MustParsePrefix("127.0.0.0/8")}
		})
		if st := l.startFor("203.0.113.1"); st != 201 {
			t.Fatalf("first visitor: %d", st)
		}
		if st := l.startFor("203.0.113.2"); st != 201 {
			t.Fatalf("second visitor behind the same proxy: %d, want its own limit", st)
		}
		if st := l.startFor("203.0.113.1"); st != 429 {
			t.Fatalf("first visitor again: %d, want 429", st)
		}
		// A client cannot forge its way past: the hops left of the proxy's
		// own entry are the client's to write.
		if st := l.startFor("198.51.100.50, 203.0.113.1"); st != 429 {
			t.Fatalf("forged chain: %d, want 429 (the rightmost untrusted hop counts)", st)
		}
	})
	t.Run("no trusted proxy: the header is ignored", func(t *testing.T) {
		l := newLiveWith(t, 1, direct, func(c *web.Config) { c.TaskRate = 1 })
		if st := l.startFor("203.0.113.1"); st != 201 {
			t.Fatalf("first: %d", st)
		}
		if st := l.startFor("203.0.113.2"); st != 429 {
			t.Fatalf("a forged X-Forwarded-For got a fresh limit: %d, want 429", st)
		}
	})
}

// Guessing Contact IDs is rate-limited per client address; a known contact
// from another address is not held back.
func TestUnknownContactGuessesAreLimited(t *testing.T) {
	l := newLiveWith(t, 1, interact.Distribution{}, func(c *web.Config) {
		c.TrustedProxies = endpoint.Proxies{netip.MustParsePrefix("127.0.0.0/8")}
	})
	guess := func(client, contact string) wresp {
		req, _ := http.NewRequest("GET", l.url+"/widget/v1/config?contactId="+url.QueryEscape(contact)+"&widgetKey="+l.st.WidgetKey, nil)
		req.Header.Set("Origin", shopOrigin)
		req.Header.Set("X-Forwarded-For", client)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return wresp{resp.StatusCode, resp.Header, out}
	}
	for i := range 30 {
		wantRefused(t, "guess", guess("203.0.113.7", fmt.Sprintf("ct_guess%d", i)), 404, interact.EUNKNOWNCONTACT)
	}
	r := guess("203.0.113.7", "ct_guess-more")
	wantRefused(t, "guess over the limit", r, 429, interact.ERATELIMITED)
	if r.h.Get("Retry-After") == "" {
		t.Error("no Retry-After on the refused guess")
	}
	if r := guess("198.51.100.8", l.st.ContactID); r.status != 200 {
		t.Fatalf("a real visitor elsewhere: %d %v", r.status, r.body)
	}
}

// Sockets are capped per visitor token, per agent credential and per
// client address; a closed socket frees its place.
func TestSocketCaps(t *testing.T) {
	dial := func(l *live, path string, h http.Header) (*websocket.Conn, int) {
		t.Helper()
		c, resp, err := websocket.DefaultDialer.Dial(strings.Replace(l.url, "http", "ws", 1)+path, h)
		if err != nil {
			if resp == nil {
				t.Fatal(err)
			}
			return nil, resp.StatusCode
		}
		t.Cleanup(func() { c.Close() })
		var hello map[string]any
		if err := c.ReadJSON(&hello); err != nil || hello["type"] != "hello" {
			t.Fatalf("first frame %v, %v", hello, err)
		}
		return c, 101
	}
	t.Run("per visitor token", func(t *testing.T) {
		l := newLive(t, 0, interact.Distribution{})
		_, _, grant := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
		ws := grant["wsUrl"].(string)
		path := ws[strings.Index(ws, "/widget/v1/ws"):]
		var first *websocket.Conn
		for i := range 10 {
			c, st := dial(l, path, http.Header{"Origin": {shopOrigin}})
			if st != 101 {
				t.Fatalf("tab %d: %d", i+1, st)
			}
			if i == 0 {
				first = c
			}
		}
		if _, st := dial(l, path, http.Header{"Origin": {shopOrigin}}); st != 429 {
			t.Fatalf("eleventh socket of one visitor token: %d, want 429", st)
		}
		first.Close()
		eventually.True(t, "a closed socket to free its place", func() bool {
			c, st := dial(l, path, http.Header{"Origin": {shopOrigin}})
			if c != nil {
				c.Close()
			}
			return st == 101
		})
	})
	t.Run("per agent credential", func(t *testing.T) {
		l := newLive(t, 1, interact.Distribution{})
		for i := range 20 {
			if _, st := dial(l, "/agent/v1/ws", bearer(l.tokens[0])); st != 101 {
				t.Fatalf("console %d: %d", i+1, st)
			}
		}
		if _, st := dial(l, "/agent/v1/ws", bearer(l.tokens[0])); st != 429 {
			t.Fatalf("21st socket of one API token: %d, want 429", st)
		}
	})
	t.Run("per client address", func(t *testing.T) {
		l := newLiveWith(t, 2, interact.Distribution{}, func(c *web.Config) { c.SocketsPerAddress = 3 })
		for i := range 3 {
			if _, st := dial(l, "/agent/v1/ws", bearer(l.tokens[i%2])); st != 101 {
				t.Fatalf("socket %d: %d", i+1, st)
			}
		}
		if _, st := dial(l, "/agent/v1/ws", bearer(l.tokens[1])); st != 429 {
			t.Fatalf("fourth socket of one address: %d, want 429", st)
		}
	})
}
