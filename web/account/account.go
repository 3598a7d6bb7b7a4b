// Package account serves what a signed-out person does with their account
// by e-mail: ask for a password reset ("Forgot password?" on both sign-in
// pages, and POST /api/v1/password-reset), and set a password with the
// one-time link of a reset or invitation mail (a page, and POST
// /api/v1/password-reset/confirm).
//
// A reset request answers the same 202 whether or not the address has an
// account, and is limited per client address and per e-mail address;
// the store queues one mail per account holding the address (one per
// tenant), capped per account. Setting a password ends the user's sign-in
// sessions; web then tells every node's agent sockets of the user to check
// their credential, so they close too. Without e-mail (no SMTP server) the
// pages say so and the API answers email_disabled.
//
// It owns these pages and endpoints; the store owns the links and the
// outbox, package mailtext the mails' wording.
package account

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
	"github.com/interact-oss/interact/web/mailtext"
)

// Store is what the account endpoints need of the store.
type Store interface {
	RequestPasswordReset(ctx context.Context, email string, compose interact.MailComposer) (int, error)
	AccountLink(ctx context.Context, secret string) (*interact.AccountLink, error)
	SetPasswordWithLink(ctx context.Context, secret, password string) (*interact.User, error)
}

// Config configures the endpoints. Zero values mean the documented defaults.
type Config struct {
	PublicURL string
	// MailFrom is the sender of account mails; empty: e-mail is off.
	MailFrom string
	// Queued is told that a mail was queued (the sender looks at once).
	Queued func()
	// PasswordSet is told whose password a link set, so that their open
	// sockets check their credential again.
	PasswordSet func(u *interact.User)
	CSRF        *http.CrossOriginProtection
	Logger      *slog.Logger
	// ResetRate is how many reset requests one client address may make in
	// an hour, and one e-mail address get (from anywhere) in an hour.
	// Default 10 and 3.
	ResetRate, ResetPerAddress int
}

// API serves the account endpoints.
type API struct {
	cfg            Config
	store          Store
	byClient, byTo *endpoint.Limiter
}

// New returns the account endpoints over store.
func New(cfg Config, store Store) *API {
	if cfg.Queued == nil {
		cfg.Queued = func() {}
	}
	if cfg.PasswordSet == nil {
		cfg.PasswordSet = func(*interact.User) {}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.CSRF == nil {
		cfg.CSRF = http.NewCrossOriginProtection()
	}
	if cfg.ResetRate == 0 {
		cfg.ResetRate = 10
	}
	if cfg.ResetPerAddress == 0 {
		cfg.ResetPerAddress = 3
	}
	return &API{cfg: cfg, store: store,
		byClient: endpoint.NewLimiter(cfg.ResetRate, time.Hour), byTo: endpoint.NewLimiter(cfg.ResetPerAddress, time.Hour)}
}

// resetRequest asks for a password-reset mail.
type resetRequest struct {
	Email string `json:"email"`
}

// resetAccepted answers every reset request that was not refused.
type resetAccepted struct {
	Message string `json:"message"`
}

// setPasswordRequest sets a password with the secret of a link.
type setPasswordRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// acceptedMessage is the one answer to a reset request, known address or not.
const acceptedMessage = "If an account has this e-mail address, a mail with a link to choose a new password is on its way. The link is valid for one hour."

// Routes are the account API and pages.
func (s *API) Routes() []endpoint.Route {
	const v1 = "/api/v1"
	return []endpoint.Route{
		{Method: "POST", Path: v1 + "/password-reset", Tag: "session", Summary: "Ask for a password-reset mail: the same 202 whether or not the address has an account (one mail per account holding it, in each tenant); limited per client address and per e-mail address (429 rate_limited); 503 email_disabled without an SMTP server.",
			Auth: endpoint.AuthLogin, In: resetRequest{}, Out: resetAccepted{}, Status: 202, H: s.requestReset},
		{Method: "POST", Path: v1 + "/password-reset/confirm", Tag: "session", Summary: "Set a password with the token of a reset or invitation link: single use (410 link_used), expiring (410 link_expired; 404 link_invalid for an unknown one); ends the user's sign-in sessions everywhere.",
			Auth: endpoint.AuthLogin, In: setPasswordRequest{}, Status: 204, H: s.confirmReset},
		{Method: "GET", Path: "/password/forgot", Tag: "account", Summary: "Forgot password page.", H: s.forgotPage},
		{Method: "POST", Path: "/password/forgot", Tag: "account", Summary: "Ask for a password-reset mail.", H: s.forgotPost},
		{Method: "GET", Path: mailtext.SetPasswordPath, Tag: "account", Summary: "Set-password page of a reset or invitation link.", H: s.setPage},
		{Method: "POST", Path: mailtext.SetPasswordPath, Tag: "account", Summary: "Set a password with a link.", H: s.setPost},
	}
}

// MailOn reports whether e-mail is configured.
func (s *API) MailOn() bool { return s.cfg.MailFrom != "" }

// reset checks the limits and asks the store for the mails. It answers
// the same for every well-formed address.
func (s *API) reset(r *http.Request, email string) error {
	if !s.MailOn() {
		return interact.Errorf(interact.EMAILOFF, "Password reset by e-mail is not available: this installation sends no e-mail. Ask an administrator to set a new password.")
	}
	addr, err := interact.NormalizeEmail(email)
	if err != nil {
		return err
	}
	if ok, wait := s.byClient.Allow(endpoint.ClientAddr(r)); !ok {
		return interact.Errorf(interact.ERATELIMITED, "Too many reset requests from your address; try again in %s.", wait.Round(time.Minute))
	}
	if ok, wait := s.byTo.Allow(addr); !ok {
		return interact.Errorf(interact.ERATELIMITED, "Too many reset requests for this e-mail address; try again in %s.", wait.Round(time.Minute))
	}
	sender := mailtext.Sender{From: s.cfg.MailFrom, PublicURL: s.cfg.PublicURL}
	n, err := s.store.RequestPasswordReset(r.Context(), addr, sender.Composer(interact.MailPasswordReset, mailtext.Language(r.Header.Get("Accept-Language"))))
	if err != nil {
		return err
	}
	if n > 0 {
		s.cfg.Queued()
	}
	return nil
}

func (s *API) requestReset(w http.ResponseWriter, r *http.Request) error {
	var req resetRequest
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	if err := s.reset(r, req.Email); err != nil {
		return err
	}
	endpoint.WriteJSON(w, http.StatusAccepted, resetAccepted{Message: acceptedMessage})
	return nil
}

// setPassword spends a link and tells the nodes.
func (s *API) setPassword(ctx context.Context, token, password string) (*interact.User, error) {
	u, err := s.store.SetPasswordWithLink(ctx, strings.TrimSpace(token), password)
	if err != nil {
		return nil, err
	}
	s.cfg.PasswordSet(u)
	return u, nil
}

func (s *API) confirmReset(w http.ResponseWriter, r *http.Request) error {
	var req setPasswordRequest
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	_, err := s.setPassword(r.Context(), req.Token, req.Password)
	return endpoint.NoContent(w, err)
}
