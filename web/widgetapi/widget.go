// Package widgetapi is what the website widget talks to: the loader and UI
// bundles, the demo page, the public endpoints under /widget/v1 (config,
// tasks, visitor tokens, transcript, leave-a-message) and the visitor's
// WebSocket, with the widget gate every public endpoint passes (contact,
// Restrict Access and CORS, rate limits).
//
// Opening hours: the config says whether the service is open and when it
// opens next, read from the schedule cached with the contact (no store
// round trip per poll). Out of hours a new task is refused with closed,
// and the visitor may leave a message instead (POST /widget/v1/leave-message,
// stored as an ended task with the outcome closed). Tasks already queued
// when the service closes are served, and resume as usual: a contact
// center drains its queue; so do escalations to a call within a task.
//
// It owns visitor tokens and the contact cache. It does not own routing
// (the engine's), the chat and call frames both parties speak (chat), nor
// the admin side of widget settings (adminapi, adminconsole).
package widgetapi

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
	"github.com/interact-oss/interact/web/ui/widget"
)

// The public widget endpoints. Every URL carries ?contactId=…, so that even
// a CORS preflight can be judged by the contact's Restrict Access rules.

type contactKey struct{}

func contactFrom(r *http.Request) *interact.Contact {
	c, _ := r.Context().Value(contactKey{}).(*cachedContact)
	if c == nil {
		return nil
	}
	return c.c
}

// cachedOf returns the request's cached contact.
func cachedOf(r *http.Request) *cachedContact {
	c, _ := r.Context().Value(contactKey{}).(*cachedContact)
	return c
}

// widgetOf returns the saved widget settings of the request's contact, or
// nil when the contact has none (the widget shows its defaults).
func widgetOf(r *http.Request) *interact.WidgetSettings {
	c, _ := r.Context().Value(contactKey{}).(*cachedContact)
	if c == nil {
		return nil
	}
	return c.widget
}

// contactCache keeps contacts for a short time: widget config is read on
// every page view. Admin changes clear it (see invalidate), so settings
// reach widgets within the TTL on every node.
type contactCache struct {
	mu  sync.Mutex
	ttl time.Duration
	m   map[string]cachedContact
	log *slog.Logger
}

type cachedContact struct {
	c      *interact.Contact
	widget *interact.WidgetSettings // nil: none saved
	hours  *interact.Schedule       // nil: always open
	at     time.Time
}

// status says whether the contact is open at now and when it opens next.
func (e *cachedContact) status(now time.Time) interact.HoursStatus {
	return interact.StatusAt(e.hours, now)
}

func (cc *contactCache) get(ctx context.Context, store Store, id string) (*interact.Contact, error) {
	e, err := cc.entry(ctx, store, id)
	if err != nil {
		return nil, err
	}
	return e.c, nil
}

// entry returns the contact with its saved widget settings.
func (cc *contactCache) entry(ctx context.Context, store Store, id string) (*cachedContact, error) {
	cc.mu.Lock()
	e, ok := cc.m[id]
	cc.mu.Unlock()
	if ok && time.Since(e.at) < cc.ttl {
		return &e, nil
	}
	c, err := store.ContactByID(ctx, "", id)
	if err != nil {
		return nil, err
	}
	e = cachedContact{c: c, at: time.Now()}
	if e.widget, err = store.ContactWidget(ctx, c.Settings.TenantID, c.Settings.OwnerID); err != nil {
		return nil, err
	}
	if c.Hours != nil {
		// Compiled once per cache entry: polls only ask the schedule.
		if e.hours, err = c.Hours.Schedule(); err != nil {
			// Stored hours that no longer compile must not shut the
			// service: it stays open, and the log says why.
			cc.log.Error("contact's opening hours ignored", slog.String("contact", id), slog.Any("err", err))
			e.hours = nil
		}
	}
	cc.mu.Lock()
	if len(cc.m) > 10000 {
		clear(cc.m)
	}
	cc.m[id] = e
	cc.mu.Unlock()
	return &e, nil
}

func (cc *contactCache) clear() {
	cc.mu.Lock()
	clear(cc.m)
	cc.mu.Unlock()
}

// widgetGate applies the widget rules common to every widget request:
// rate limit per client address, the contact, and its origin rules (CORS
// on every answer, preflight included). It answers preflights itself.
func (s *API) widgetGate(w http.ResponseWriter, r *http.Request) (*http.Request, bool, error) {
	w.Header().Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin == "" && r.Header.Get("Sec-Fetch-Site") == "same-origin" && r.Host == strings.TrimPrefix(strings.TrimPrefix(endpoint.OriginOf(s.cfg.PublicURL), "https://"), "http://") {
		// Browsers send no Origin on same-origin GETs (a page on interact's
		// own host, like /demo): the page's origin is interact's.
		origin = endpoint.OriginOf(s.cfg.PublicURL)
		r.Header.Set("Origin", origin)
	}
	id := r.URL.Query().Get("contactId")
	if id == "" {
		return r, false, interact.Errorf(interact.EINVALID, "contactId is required in the query string.")
	}
	grant := func() {
		if origin != "" {
			w.Header().Set("Access-Control-Allow-Origin", origin) // the exact origin, never *
			w.Header().Set("Access-Control-Expose-Headers", "Retry-After")
		}
	}
	// Guessing Contact IDs is slow: unknown ones count per client address.
	addr := endpoint.ClientAddr(r)
	if ok, wait := s.guesses.Peek(addr); !ok {
		grant()
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return r, false, interact.Errorf(interact.ERATELIMITED, "Too many unknown contacts asked for from your address; try again in %d seconds.", int(wait.Seconds())+1)
	}
	cached, err := s.contacts.entry(r.Context(), s.store, id)
	if err != nil {
		if interact.ErrorCode(err) == interact.EUNKNOWNCONTACT {
			s.guesses.Allow(addr)
		}
		grant()
		return r, false, err
	}
	c := cached.c
	if _, err := c.Settings.CheckOrigin(c.Templates, origin); err != nil {
		s.originRefusals.Inc()
		return r, false, err // no CORS grant
	}
	grant()
	// Rate limits come after the origin check, so an allowed page can read
	// its refusal (and Retry-After).
	if ok, wait := s.widgetAddr.Allow(endpoint.ClientAddr(r)); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return r, false, interact.Errorf(interact.ERATELIMITED, "Too many requests from your address; try again in %d seconds.", int(wait.Seconds())+1)
	}
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type, Authorization")
		w.Header().Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return r, true, nil
	}
	return r.WithContext(context.WithValue(r.Context(), contactKey{}, cached)), false, nil
}

func (s *API) checkKey(c *interact.Contact, key string) error {
	if key == "" || !c.Settings.KeyValid(key, time.Now()) {
		return interact.Errorf(interact.EINVALIDKEY, "The widget key does not belong to this contact, or has expired. Copy the snippet again.")
	}
	return nil
}

// widgetConfig is what the widget may show now.
type widgetConfig struct {
	ContactID  string          `json:"contactId"`
	Kind       string          `json:"kind"` // service or user
	Name       string          `json:"name"`
	Modalities map[string]bool `json:"modalities"`
	Available  map[string]bool `json:"available"`
	// Widget is the pre-chat form and the overrides of the widget's texts.
	Widget *interact.WidgetSettings `json:"widget"`
	// Ratings: ask the visitor to rate a conversation once it has ended.
	Ratings bool `json:"ratings"`
	// VisitorHistory: show the visitor the previous conversation of the
	// same browser.
	VisitorHistory bool `json:"visitorHistory"`
	// Open and OpensAt: the service's opening hours now (a contact
	// without hours is always open; opensAt is null while open, or when
	// no opening can be foreseen).
	interact.HoursStatus
}

func (s *API) widgetConfigHandler(w http.ResponseWriter, r *http.Request) error {
	c := contactFrom(r)
	if err := s.checkKey(c, r.URL.Query().Get("widgetKey")); err != nil {
		return err
	}
	cfg, err := s.configOf(r.Context(), cachedOf(r))
	if err != nil {
		return err
	}
	body, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	// Pages revalidate (the loader asks with the browser's cache in
	// no-cache mode): an unchanged config is answered without a body.
	tag := configTag(body)
	w.Header().Set("Cache-Control", "private, no-cache")
	w.Header().Set("ETag", tag)
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, tag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(append(body, '\n'))
	return nil
}

// configTag is the validator of an encoded config.
func configTag(body []byte) string {
	h := fnv.New64a()
	h.Write(body)
	return `"` + strconv.FormatUint(h.Sum64(), 36) + `"`
}

// configOf is what the widget of contact e may show now: the same for
// every page of the contact (the key and origin are checked per page).
func (s *API) configOf(ctx context.Context, e *cachedContact) (widgetConfig, error) {
	c := e.c
	if err := c.Gate(); err != nil {
		return widgetConfig{}, err
	}
	if err := s.operatorGate(); err != nil {
		return widgetConfig{}, err
	}
	cfg := widgetConfig{ContactID: c.Settings.ContactID, Kind: c.Settings.OwnerKind, Modalities: map[string]bool{}, Available: map[string]bool{},
		Widget: widget.Effective(e.widget), Ratings: c.Settings.Ratings,
		VisitorHistory: c.Settings.VisitorHistory, HoursStatus: e.status(s.cfg.Now())}
	serviceID, userID := "", ""
	if c.Service != nil {
		cfg.Name, serviceID = c.Service.Name, c.Service.ID
	} else {
		cfg.Name, userID = c.User.Name, c.User.ID
	}
	for _, m := range []interact.Modality{interact.ModalityChat, interact.ModalityAudio, interact.ModalityVideo} {
		on := c.Offers(m) == nil
		cfg.Modalities[string(m)] = on
		cfg.Available[string(m)] = on && cfg.Open && s.cfg.Engine.Available(ctx, c.Tenant.ID, serviceID, userID, m)
	}
	return cfg, nil
}

type startTaskRequest struct {
	WidgetKey   string            `json:"widgetKey"`
	Modality    interact.Modality `json:"modality"`
	Visitor     interact.Visitor  `json:"visitor"`
	ResumeToken string            `json:"resumeToken"`
	// VisitorID is the browser's random visitor id (see interact.VisitorKey).
	VisitorID string `json:"visitorId"`
}

type taskGrant struct {
	TaskID         string             `json:"taskId"`
	State          interact.TaskState `json:"state"`
	Token          string             `json:"token"`
	TokenExpiresAt time.Time          `json:"tokenExpiresAt"`
	ResumeToken    string             `json:"resumeToken,omitempty"`
	WebSocketURL   string             `json:"wsUrl"`
}

func (s *API) grant(c *interact.Contact, t *interact.Task, key, origin, resume string) taskGrant {
	exp := time.Now().Add(s.cfg.VisitorTokenTTL).Truncate(time.Second)
	tok := s.signToken(visitorClaims{Task: t.ID, Contact: c.Settings.ContactID, Key: key, Origin: origin, Exp: exp.Unix()})
	ws := strings.Replace(s.cfg.PublicURL, "http", "ws", 1) + "/widget/v1/ws?contactId=" + c.Settings.ContactID + "&token=" + tok
	return taskGrant{TaskID: t.ID, State: t.State, Token: tok, TokenExpiresAt: exp.UTC(), ResumeToken: resume, WebSocketURL: ws}
}

// startTask starts a chat or call task, or resumes one with a resume token.
// Every refusal happens before a task exists.
func (s *API) startTask(w http.ResponseWriter, r *http.Request) error {
	c := contactFrom(r)
	origin := r.Header.Get("Origin")
	var req startTaskRequest
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	if req.ResumeToken == "" {
		if !req.Modality.Valid() {
			return interact.Errorf(interact.EINVALID, "modality must be chat, audio or video.")
		}
		// A contact with saved widget settings gets its pre-chat form
		// checked; one without keeps the bounds checks only.
		check := req.Visitor.Validate
		if w := widgetOf(r); w != nil {
			check = func() error { return w.CheckVisitor(&req.Visitor) }
		}
		if err := check(); err != nil {
			return err
		}
		if err := interact.CheckVisitorID(req.VisitorID); err != nil {
			return err
		}
	}
	if err := s.checkKey(c, req.WidgetKey); err != nil {
		return err
	}
	key := keyFingerprint(req.WidgetKey)
	if req.ResumeToken != "" {
		t, err := s.store.TaskByResume(r.Context(), hashResume(req.ResumeToken))
		if err != nil || t.ContactID != c.Settings.ContactID || t.Origin != origin {
			return interact.Errorf(interact.ENOTFOUND, "Nothing to resume; start a new contact.")
		}
		if v, ok := s.cfg.Engine.Task(t.ID); ok {
			t = &v.Task
		}
		endpoint.WriteJSON(w, http.StatusOK, s.grant(c, t, key, origin, req.ResumeToken))
		return nil
	}
	if ok, wait := s.taskAddr.Allow(endpoint.ClientAddr(r)); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return interact.Errorf(interact.ERATELIMITED, "Too many new contacts from your address; try again in %d seconds.", int(wait.Seconds())+1)
	}
	if ok, wait := s.taskKey.Allow(key); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		return interact.Errorf(interact.ERATELIMITED, "This widget is starting too many contacts; try again in %d seconds.", int(wait.Seconds())+1)
	}
	if err := c.Offers(req.Modality); err != nil {
		return err
	}
	if err := s.operatorGate(); err != nil {
		return err
	}
	if err := closed(c, cachedOf(r).status(s.cfg.Now())); err != nil {
		return err
	}
	resume := interact.NewSecret("rt_", 40)
	sr := interact.StartRequest{TenantID: c.Tenant.ID, ContactID: c.Settings.ContactID, Modality: req.Modality,
		Visitor: req.Visitor, Origin: origin, ResumeHash: hashResume(resume), MaxOpenChats: c.Tenant.MaxConcurrentIMTasksPerService,
		ClientAddr: endpoint.ClientAddr(r), VisitorKey: interact.VisitorKey(c.Settings.ContactID, origin, req.VisitorID)}
	if c.Service != nil {
		sr.ServiceID = c.Service.ID
	} else {
		sr.DirectUserID = c.User.ID
	}
	t, err := s.cfg.Engine.StartTask(r.Context(), sr)
	if interact.ErrorCode(err) == interact.ECAPACITY {
		w.Header().Set("Retry-After", capacityRetry)
	}
	if err != nil {
		return err
	}
	endpoint.WriteJSON(w, http.StatusCreated, s.grant(c, t, key, origin, resume))
	return nil
}

// visitorAuth checks the bearer visitor token of a request and that its
// widget key is still valid.
func (s *API) visitorAuth(r *http.Request, tok string) (visitorClaims, error) {
	c := contactFrom(r)
	now := time.Now()
	claims, err := s.parseToken(tok, r.Header.Get("Origin"), now)
	if err != nil {
		return claims, err
	}
	if claims.Contact != c.Settings.ContactID || !keyStillValid(c.Settings, claims.Key, now) {
		return claims, interact.Errorf(interact.EINVALIDKEY, "The widget key of this contact has changed; reload the page.")
	}
	return claims, nil
}

// taskAuth is visitorAuth for a request about task {id}: the token's own
// task, else not_found.
func (s *API) taskAuth(r *http.Request) (visitorClaims, error) {
	claims, err := s.visitorAuth(r, bearer(r))
	if err == nil && claims.Task != r.PathValue("id") {
		err = interact.Errorf(interact.ENOTFOUND, "No such task for this token.")
	}
	return claims, err
}

func bearer(r *http.Request) string {
	t, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strings.TrimSpace(t)
}

// refreshToken exchanges a valid visitor token for a fresh one.
func (s *API) refreshToken(w http.ResponseWriter, r *http.Request) error {
	claims, err := s.visitorAuth(r, bearer(r))
	if err != nil {
		return err
	}
	t, err := s.store.Task(r.Context(), claims.Task)
	if err != nil {
		return err
	}
	if v, ok := s.cfg.Engine.Task(t.ID); ok {
		t = &v.Task
	}
	g := s.grant(contactFrom(r), t, claims.Key, claims.Origin, "")
	endpoint.WriteJSON(w, http.StatusOK, g)
	return nil
}

// transcript returns the task's messages, for download.
func (s *API) transcript(w http.ResponseWriter, r *http.Request) error {
	claims, err := s.taskAuth(r)
	if err != nil {
		return err
	}
	after, _ := strconv.ParseInt(r.URL.Query().Get("afterSeq"), 10, 64)
	msgs, err := s.store.Messages(r.Context(), claims.Task, after, 1000)
	return endpoint.ReplyList(w, msgs, err)
}

type leaveMessageRequest struct {
	Text string `json:"text"`
}

// leaveMessage stores the visitor's message after no agent could take the contact.
func (s *API) leaveMessage(w http.ResponseWriter, r *http.Request) error {
	claims, err := s.taskAuth(r)
	if err != nil {
		return err
	}
	var req leaveMessageRequest
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	text, err := interact.ValidateMessage(req.Text, "leave")
	if err != nil {
		return err
	}
	var notify *interact.Mail
	if c := contactFrom(r); s.notifies(c) {
		// The mail names the visitor and why no agent took the contact.
		t, err := s.store.Task(r.Context(), claims.Task)
		if err != nil {
			return err
		}
		if notify, err = s.offlineNote(r, c, t.Visitor, t.Outcome, text); err != nil {
			return err
		}
	}
	if err := s.store.LeaveMessage(r.Context(), claims.Task, text, notify); err != nil {
		return err
	}
	if notify != nil {
		s.cfg.MailQueued()
	}
	return endpoint.NoContent(w, nil)
}
