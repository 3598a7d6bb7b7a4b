package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"testing"

	"github.com/interact-oss/interact"
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
