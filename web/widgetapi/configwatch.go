package widgetapi

// Pages with the widget hold a config socket (GET /widget/v1/config/ws):
// the server pushes the contact's config when it changes, so an unchanged
// config costs a page nothing between pings. One watcher goroutine per
// node evaluates each watched contact once per tick, whatever its number
// of pages; it runs while a page is watching and stops with the last.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/realtime"
	"github.com/interact-oss/interact/web/endpoint"
	"github.com/prometheus/client_golang/prometheus"
)

// configTick is how often watched contacts are evaluated: availability
// changes reach pages within it, settings within it plus the contact
// cache's lifetime.
const configTick = time.Second

// configWatch is the node's watched contacts.
type configWatch struct {
	s        *API
	mu       sync.Mutex
	contacts map[string]*watchedContact
	running  bool
	open     prometheus.Gauge
}

type watchedContact struct {
	pages map[*realtime.Conn]*configPage
	frame []byte            // the last config frame sent
	rules *interact.Contact // the contact whose rules admitted the pages
}

// configPage is one page's socket: what it was admitted with.
type configPage struct {
	s         *API
	contactID string
	origin    string
	key       string
	caps      [1]endpoint.Cap
}

// configSocket upgrades a page's connection after the widget gate (origin,
// rate) and the widget key, and sends the config at once.
func (s *API) configSocket(w http.ResponseWriter, r *http.Request) error {
	e := cachedOf(r)
	key := r.URL.Query().Get("widgetKey")
	if err := s.checkKey(e.c, key); err != nil {
		return err
	}
	cfg, err := s.configOf(r.Context(), e)
	if err != nil {
		return err
	}
	frame, err := interact.EncodeFrame("config", "", cfg)
	if err != nil {
		return err
	}
	p := &configPage{s: s, contactID: e.c.Settings.ContactID, origin: r.Header.Get("Origin"), key: key,
		caps: [1]endpoint.Cap{{Key: "config " + endpoint.ClientAddr(r), Max: s.cfg.SocketsPerAddress}}}
	if full := s.cfg.Sockets.Take(p.caps[:]...); full != nil {
		w.Header().Set("Retry-After", "10")
		return interact.Errorf(interact.ERATELIMITED, "Too many open connections from your address: the page polls instead.")
	}
	err = s.cfg.Hub.Upgrade(w, r, p, func(c *realtime.Conn) error {
		c.Send(frame)
		s.watch.add(c, p, e.c, frame)
		return nil
	})
	if err != nil {
		s.cfg.Sockets.Give(p.caps[:]...)
	}
	return err
}

// Frame answers pings; a page has nothing else to say.
func (p *configPage) Frame(c *realtime.Conn, f interact.Frame) {
	if f.Type == "ping" {
		c.SendJSON("pong", f.ID, nil)
		return
	}
	c.SendJSON("error", f.ID, interact.ErrorFrameData(interact.Errorf(interact.EINVALID, "A config socket takes pings only.")))
}

func (p *configPage) Closed(c *realtime.Conn) {
	p.s.cfg.Sockets.Give(p.caps[:]...)
	p.s.watch.remove(c, p)
}

func (cw *configWatch) add(c *realtime.Conn, p *configPage, rules *interact.Contact, frame []byte) {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	if cw.contacts == nil {
		cw.contacts = map[string]*watchedContact{}
	}
	wc := cw.contacts[p.contactID]
	if wc == nil {
		wc = &watchedContact{pages: map[*realtime.Conn]*configPage{}, frame: frame, rules: rules}
		cw.contacts[p.contactID] = wc
	}
	wc.pages[c] = p
	cw.open.Inc()
	if !cw.running {
		cw.running = true
		go cw.run()
	}
}

func (cw *configWatch) remove(c *realtime.Conn, p *configPage) {
	cw.mu.Lock()
	defer cw.mu.Unlock()
	if wc := cw.contacts[p.contactID]; wc != nil {
		if _, ok := wc.pages[c]; ok {
			cw.open.Dec()
		}
		delete(wc.pages, c)
		if len(wc.pages) == 0 {
			delete(cw.contacts, p.contactID)
		}
	}
}

// run evaluates the watched contacts every tick until none is left.
func (cw *configWatch) run() {
	t := time.NewTicker(configTick)
	defer t.Stop()
	for range t.C {
		cw.mu.Lock()
		if len(cw.contacts) == 0 {
			cw.running = false
			cw.mu.Unlock()
			return
		}
		ids := make([]string, 0, len(cw.contacts))
		for id := range cw.contacts {
			ids = append(ids, id)
		}
		cw.mu.Unlock()
		for _, id := range ids {
			cw.evaluate(id)
		}
	}
}

// evaluate pushes contact id's config to its pages when it changed, and
// closes the sockets of pages its rules no longer admit (they fall back to
// asking over HTTP, which says why).
func (cw *configWatch) evaluate(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, err := cw.s.contacts.entry(ctx, cw.s.store, id)
	var frame []byte
	if err == nil {
		var cfg widgetConfig
		if cfg, err = cw.s.configOf(ctx, e); err == nil {
			frame, err = interact.EncodeFrame("config", "", cfg)
		}
	}
	if interact.ErrorCode(err) == interact.EINTERNAL || interact.ErrorCode(err) == interact.ESTORAGE {
		return // a passing fault: pages keep what they have
	}
	cw.mu.Lock()
	wc := cw.contacts[id]
	if wc == nil {
		cw.mu.Unlock()
		return
	}
	var refused []*realtime.Conn
	var pushTo []*realtime.Conn
	rulesChanged := err == nil && !sameRules(wc.rules, e.c)
	for c, p := range wc.pages {
		switch {
		case err != nil:
			refused = append(refused, c)
		case rulesChanged && cw.s.admits(e.c, p) != nil:
			refused = append(refused, c)
		case !bytes.Equal(frame, wc.frame):
			pushTo = append(pushTo, c)
		}
	}
	if err == nil {
		wc.frame, wc.rules = frame, e.c
	}
	cw.mu.Unlock()
	for _, c := range pushTo {
		c.Send(frame)
	}
	for _, c := range refused {
		code := interact.ErrorCode(err)
		if err == nil {
			code = "refused"
		}
		c.CloseWith(websocket.ClosePolicyViolation, code)
	}
}

// admits applies the per-page rules: the page's origin and widget key.
func (s *API) admits(c *interact.Contact, p *configPage) error {
	if _, err := c.Settings.CheckOrigin(c.Templates, p.origin); err != nil {
		return err
	}
	return s.checkKey(c, p.key)
}

// sameRules reports whether a and b admit the same pages: the same
// origin rules and keys.
func sameRules(a, b *interact.Contact) bool {
	if a == b {
		return true
	}
	ja, err1 := json.Marshal([]any{a.Settings, a.Templates})
	jb, err2 := json.Marshal([]any{b.Settings, b.Templates})
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}
