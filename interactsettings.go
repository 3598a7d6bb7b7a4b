package interact

import (
	"crypto/subtle"
	"html"
	"strings"
	"time"
)

// Owner kinds of Interact settings: a service (queued contact) or a user
// (direct website-to-user contact).
const (
	OwnerService = "service"
	OwnerUser    = "user"
)

// MaxSelectedTemplates bounds the templates selected on one service or user.
const MaxSelectedTemplates = 20

// InteractSettings is the seed's "Interact" tab of a service or a user.
// Switching Interact off or removing the add-on keeps these settings and
// keys; switching it on again restores them.
type InteractSettings struct {
	OwnerKind string `json:"-"`
	OwnerID   string `json:"-"`
	TenantID  string `json:"-"`

	// Active is the user tab's own switch; services always report true.
	Active            bool     `json:"active"`
	AudioVideo        bool     `json:"audioVideo"`
	InstantMessage    bool     `json:"instantMessage"`
	RestrictAccess    bool     `json:"restrictAccess"`
	DomainTemplateIDs []string `json:"domainTemplateIds"`
	// Ratings: after a conversation with an agent the widget asks the
	// visitor for 1–5 stars and a comment. On for new services and users.
	Ratings bool `json:"ratings"`
	// VisitorHistory: the widget shows its visitor the previous
	// conversation of the same browser. Off for new services and users.
	VisitorHistory bool `json:"visitorHistory"`

	ContactID string `json:"contactId"`
	WidgetKey string `json:"widgetKey"`
	// PreviousWidgetKey stays valid until PreviousKeyValidUntil after a
	// rotation, so widgets already open are not cut off.
	PreviousWidgetKey     string     `json:"-"`
	PreviousKeyValidUntil *time.Time `json:"previousKeyValidUntil,omitempty"`

	Snippet                   string           `json:"snippet"`
	SelectableDomainTemplates []DomainTemplate `json:"selectableDomainTemplates"`
}

// InteractUpdate is a partial change to Interact settings.
type InteractUpdate struct {
	Active            *bool     `json:"active"`
	AudioVideo        *bool     `json:"audioVideo"`
	InstantMessage    *bool     `json:"instantMessage"`
	RestrictAccess    *bool     `json:"restrictAccess"`
	DomainTemplateIDs *[]string `json:"domainTemplateIds"`
	Ratings           *bool     `json:"ratings"`
	VisitorHistory    *bool     `json:"visitorHistory"`
}

// Apply copies the set fields of u onto s.
func (u InteractUpdate) Apply(s *InteractSettings) {
	if u.Active != nil && s.OwnerKind == OwnerUser {
		s.Active = *u.Active
	}
	if u.AudioVideo != nil {
		s.AudioVideo = *u.AudioVideo
	}
	if u.InstantMessage != nil {
		s.InstantMessage = *u.InstantMessage
	}
	if u.RestrictAccess != nil {
		s.RestrictAccess = *u.RestrictAccess
	}
	if u.DomainTemplateIDs != nil {
		s.DomainTemplateIDs = *u.DomainTemplateIDs
	}
	if u.Ratings != nil {
		s.Ratings = *u.Ratings
	}
	if u.VisitorHistory != nil {
		s.VisitorHistory = *u.VisitorHistory
	}
}

// NewInteractSettings returns the settings a new service or user starts
// with: every channel off, ratings on, a fresh Contact ID and WidgetKey.
func NewInteractSettings(kind, ownerID, tenantID string) *InteractSettings {
	return &InteractSettings{
		OwnerKind: kind, OwnerID: ownerID, TenantID: tenantID,
		Active:            true,
		Ratings:           true,
		DomainTemplateIDs: []string{},
		ContactID:         NewSecret("", 20),
		WidgetKey:         NewSecret("wk_", 32),
	}
}

// CheckSelection validates a change of the selected templates. selectable
// reports whether a template may be newly selected (it is visible from the
// owner's OU); a template already selected stays allowed even if it has
// since moved out of reach, but once removed it needs selectable again.
func (s *InteractSettings) CheckSelection(before []string, selectable func(id string) bool) error {
	if len(s.DomainTemplateIDs) > MaxSelectedTemplates {
		return Errorf(EINVALID, "At most %d domain templates can be selected.", MaxSelectedTemplates)
	}
	had := map[string]bool{}
	for _, id := range before {
		had[id] = true
	}
	seen := map[string]bool{}
	for _, id := range s.DomainTemplateIDs {
		if seen[id] {
			return Errorf(EINVALID, "Domain template %q is selected twice.", id)
		}
		seen[id] = true
		if !had[id] && !selectable(id) {
			return Errorf(ENOTSELECTABLE, "Domain template %q is not available in this OU or any OU above it.", id)
		}
	}
	if s.RestrictAccess && len(s.DomainTemplateIDs) == 0 {
		return Errorf(ETEMPLATEREQ, "Select at least one domain template before switching Restrict Access on.")
	}
	return nil
}

// KeyValid reports whether key is the current widget key, or the previous
// one within its grace period.
func (s *InteractSettings) KeyValid(key string, now time.Time) bool {
	if subtle.ConstantTimeCompare([]byte(key), []byte(s.WidgetKey)) == 1 {
		return true
	}
	return s.PreviousWidgetKey != "" && s.PreviousKeyValidUntil != nil && now.Before(*s.PreviousKeyValidUntil) &&
		subtle.ConstantTimeCompare([]byte(key), []byte(s.PreviousWidgetKey)) == 1
}

// Rotate replaces the widget key. The old key stays valid for grace (none
// when grace is zero).
func (s *InteractSettings) Rotate(now time.Time, grace time.Duration) {
	s.PreviousWidgetKey, s.PreviousKeyValidUntil = "", nil
	if grace > 0 {
		until := now.Add(grace).UTC().Truncate(time.Millisecond)
		s.PreviousWidgetKey, s.PreviousKeyValidUntil = s.WidgetKey, &until
	}
	s.WidgetKey = NewSecret("wk_", 32)
}

// MaxKeyGrace bounds the grace period of a rotated key.
const MaxKeyGrace = 30 * 24 * time.Hour

// Snippet returns the HTML to paste into a web page for this contact.
func Snippet(publicURL, contactID, widgetKey string) string {
	base := strings.TrimRight(publicURL, "/")
	return `<script async src="` + html.EscapeString(base+"/widget.js") +
		`" data-contact-id="` + html.EscapeString(contactID) +
		`" data-widget-key="` + html.EscapeString(widgetKey) + `"></script>`
}

// CheckOrigin decides whether a web page at origin (the raw Origin header)
// may use this contact. With Restrict Access off every origin is allowed
// (and match is nil); with it on, the origin must match an entry of one of
// the selected templates, and a missing or "null" origin is refused.
func (s *InteractSettings) CheckOrigin(selected []DomainTemplate, origin string) (*OriginMatch, error) {
	if !s.RestrictAccess {
		return nil, nil
	}
	o, err := ParseOrigin(origin)
	if err != nil {
		return nil, err
	}
	m, ok := MatchTemplates(selected, o)
	if !ok {
		return nil, Errorf(EORIGINREFUSED, "Web pages at %s may not contact this service.", o.String())
	}
	return &m, nil
}

// WithSnippet fills the snippet, which depends on interact's public URL,
// and returns s (nil stays nil).
func (s *InteractSettings) WithSnippet(publicURL string) *InteractSettings {
	if s != nil {
		s.Snippet = Snippet(publicURL, s.ContactID, s.WidgetKey)
	}
	return s
}
