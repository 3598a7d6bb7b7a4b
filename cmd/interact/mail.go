package main

import (
	"fmt"
	"log/slog"
	"net/mail"
	"strings"

	"github.com/interact-oss/interact/outbox"
	"github.com/interact-oss/interact/sqlstore"
)

// checkMail reads the e-mail settings: both the SMTP URL and the sender
// address, or neither (e-mail off).
func (c *config) checkMail() error {
	if c.SMTPURL == "" {
		if c.MailFrom != "" {
			return fmt.Errorf("mail from %q: set --smtp-url (INTERACT_SMTP_URL) too, or leave both empty for no e-mail", c.MailFrom)
		}
		return nil
	}
	var err error
	if c.smtp, err = outbox.ParseSMTPURL(c.SMTPURL); err != nil {
		return err
	}
	if c.MailFrom == "" {
		return fmt.Errorf("smtp url: set --mail-from (INTERACT_MAIL_FROM) too, e.g. \"Support <noreply@example.com>\"")
	}
	a, err := mail.ParseAddress(c.MailFrom)
	if err != nil || !strings.Contains(a.Address, "@") {
		return fmt.Errorf("mail from %q: want an address such as noreply@example.com or \"Support <noreply@example.com>\"", c.MailFrom)
	}
	c.MailFrom = a.String()
	if c.SMTPTimeout < 1e9 {
		return fmt.Errorf("smtp timeout %s: want at least 1s", c.SMTPTimeout)
	}
	return nil
}

// startMail starts the outbox's sender, or returns nil when e-mail is off.
func startMail(cfg *config, db *sqlstore.DB, log *slog.Logger) (*outbox.Sender, error) {
	if cfg.SMTPURL == "" {
		log.Info("e-mail is off (no --smtp-url): no invitations, no password resets")
		return nil, nil
	}
	s, err := outbox.Start(outbox.Config{SMTP: cfg.smtp, Timeout: cfg.SMTPTimeout, Log: log}, db)
	if err != nil {
		return nil, err
	}
	log.Info("e-mail on", "smtp", cfg.smtp.String(), "from", cfg.MailFrom)
	return s, nil
}

// mailFrom is the sender web composes with: "" while e-mail is off.
func mailFrom(cfg *config, s *outbox.Sender) string {
	if s == nil {
		return ""
	}
	return cfg.MailFrom
}

// mailWake lets web wake the sender after queueing a mail.
func mailWake(s *outbox.Sender) func() {
	if s == nil {
		return nil
	}
	return s.Wake
}
