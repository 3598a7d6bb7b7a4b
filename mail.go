package interact

import (
	"net/mail"
	"strings"
	"time"
)

// Mail is one e-mail in the outbox. It is composed (rendered) when it is
// queued, in the transaction of the change that causes it, and never
// changes afterwards: its Message-ID and Date are fixed then, so a retry or
// a restart sends the very same mail. Text and HTML are dropped once the
// mail is sent or has failed for good (they may hold one-time links), and
// are never shown by the outbox views.
type Mail struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"tenantId"`
	Kind      MailKind  `json:"kind"`
	MessageID string    `json:"messageId"` // without angle brackets
	From      string    `json:"from"`
	To        string    `json:"to"`
	Subject   string    `json:"subject"`
	ReplyTo   string    `json:"replyTo,omitempty"` // "" none
	Text      string    `json:"-"`
	HTML      string    `json:"-"`
	State     MailState `json:"state"`
	// Attempts counts the times a sender took the mail to send it.
	Attempts int `json:"attempts"`
	// NextAttemptAt is when a queued mail is due; zero once sent or failed.
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
	// LastError is the SMTP server's last answer that refused or deferred
	// the mail (or why it could not be reached).
	LastError string     `json:"lastError,omitempty"`
	CreatedAt time.Time  `json:"createdAt"`
	SentAt    *time.Time `json:"sentAt,omitempty"`
}

// MailKind says what caused a mail.
type MailKind string

// Kinds of mail.
const (
	MailInvitation    MailKind = "invitation"
	MailPasswordReset MailKind = "password_reset"
	MailOfflineNote   MailKind = "offline_message" // a left message, to the service's address
)

// MailState is where a mail is in the outbox.
type MailState string

// Outbox states. A queued mail with attempts and a last error is failing
// for now and will be tried again; "sending" is a mail a sender has
// claimed; "failed" is final (refused permanently, or out of attempts).
const (
	MailQueued  MailState = "queued"
	MailSending MailState = "sending"
	MailSent    MailState = "sent"
	MailFailed  MailState = "failed"
)

// Limits of a composed mail.
const (
	MaxMailSubject = 998     // one header line (RFC 5322)
	MaxMailBody    = 1 << 20 // text and HTML each
	MaxMailError   = 1000    // the server answer kept
)

// Validate checks a mail before it is queued.
func (m *Mail) Validate() error {
	if _, err := mail.ParseAddress(m.From); err != nil {
		return Errorf(EINVALID, "The mail's sender %q is not a valid address.", m.From)
	}
	if _, err := NormalizeEmail(m.To); err != nil {
		return err
	}
	if m.ReplyTo != "" {
		if _, err := NormalizeEmail(m.ReplyTo); err != nil {
			return err
		}
	}
	if m.Subject == "" || len(m.Subject) > MaxMailSubject || strings.ContainsAny(m.Subject, "\r\n") {
		return Errorf(EINVALID, "A mail needs a one-line subject of at most %d bytes.", MaxMailSubject)
	}
	if m.Text == "" || len(m.Text) > MaxMailBody || len(m.HTML) > MaxMailBody {
		return Errorf(EINVALID, "A mail needs a text body; text and HTML may have at most %d bytes each.", MaxMailBody)
	}
	if m.Kind == "" || len(m.Kind) > MaxNameLen {
		return Errorf(EINVALID, "A mail needs a kind.")
	}
	return nil
}

// NewMessageID returns a new Message-ID (without angle brackets) in the
// domain of the sender address from, or of "localhost" when from has none.
func NewMessageID(from string) string {
	domain := "localhost"
	if a, err := mail.ParseAddress(from); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 && i < len(a.Address)-1 {
			domain = a.Address[i+1:]
		}
	}
	return NewID() + "." + NewSecret("", 8) + "@" + domain
}

// OutboxFilter selects outbox mails: of one state ("" for all), newest
// first, after Cursor (a mail id), at most Limit.
type OutboxFilter struct {
	State  MailState
	Cursor string
	Limit  int
}

// MaxOutboxPage bounds an outbox page.
const MaxOutboxPage = 200

// Validate checks and defaults the filter.
func (f *OutboxFilter) Validate() error {
	switch f.State {
	case "", MailQueued, MailSending, MailSent, MailFailed:
	default:
		return Errorf(EINVALID, "state must be queued, sending, sent or failed.")
	}
	if f.Limit == 0 {
		f.Limit = 50
	}
	if f.Limit < 0 || f.Limit > MaxOutboxPage {
		return Errorf(EINVALID, "limit must be 1 to %d.", MaxOutboxPage)
	}
	if len(f.Cursor) > 64 {
		return Errorf(EINVALID, "Bad cursor.")
	}
	return nil
}

// MailComposer renders the mail for one account: to is the user, tenant
// the organisation they belong to, and secret the one-time token the mail's
// link carries. The store calls it inside the transaction that creates the
// token, so the token and its mail commit together.
type MailComposer func(to *User, tenant TenantChoice, secret string) (*Mail, error)

// Lifetimes of the one-time links of account mails.
const (
	InvitationTTL    = 7 * 24 * time.Hour
	PasswordResetTTL = time.Hour
)

// AccountLink is what a live invitation or password-reset link is for: a
// link of Purpose MailInvitation or MailPasswordReset sets User's password.
type AccountLink struct {
	Purpose   MailKind
	User      *User
	Tenant    TenantChoice
	ExpiresAt time.Time
}
