package widgetapi

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/interact-oss/interact"
)

// visitorClaims is what a visitor token says: which task, reached through
// which contact and widget key, from which page origin, until when. The
// token is short-lived and refreshable; the resume token (stored hashed)
// outlives it so that a reloaded page can get a new one.
type visitorClaims struct {
	Task    string `json:"t"`
	Contact string `json:"c"`
	Key     string `json:"k"` // fingerprint of the widget key used
	Origin  string `json:"o"` // the Origin header, exactly as sent ("" when none)
	Exp     int64  `json:"e"`
}

var b64 = base64.RawURLEncoding

func keyFingerprint(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:8])
}

func (s *API) signToken(c visitorClaims) string {
	payload, _ := json.Marshal(c)
	p := b64.EncodeToString(payload)
	m := hmac.New(sha256.New, s.cfg.TokenSecret)
	m.Write([]byte(p))
	return p + "." + b64.EncodeToString(m.Sum(nil))
}

// parseToken checks a visitor token's signature, expiry and origin.
func (s *API) parseToken(tok, origin string, now time.Time) (visitorClaims, error) {
	var c visitorClaims
	bad := interact.Errorf(interact.EUNAUTHORIZED, "The visitor token is invalid or expired; start again or resume.")
	p, sig, ok := strings.Cut(tok, ".")
	if !ok || len(s.cfg.TokenSecret) == 0 {
		return c, bad
	}
	m := hmac.New(sha256.New, s.cfg.TokenSecret)
	m.Write([]byte(p))
	want := m.Sum(nil)
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, want) {
		return c, bad
	}
	raw, err := b64.DecodeString(p)
	if err != nil || json.Unmarshal(raw, &c) != nil || now.Unix() >= c.Exp {
		return c, bad
	}
	if c.Origin != origin {
		return c, interact.Errorf(interact.EORIGINREFUSED, "This visitor token belongs to another web page.")
	}
	return c, nil
}

// keyStillValid reports whether the widget key a token was issued for is
// still the contact's key, or its previous key within the grace period.
func keyStillValid(st *interact.InteractSettings, fingerprint string, now time.Time) bool {
	if fingerprint == keyFingerprint(st.WidgetKey) {
		return true
	}
	return st.PreviousWidgetKey != "" && st.PreviousKeyValidUntil != nil && now.Before(*st.PreviousKeyValidUntil) &&
		fingerprint == keyFingerprint(st.PreviousWidgetKey)
}

func hashResume(tok string) string {
	if tok == "" {
		return ""
	}
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}
