package outbox

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/interact-oss/interact"
	"github.com/wneessen/go-mail"
)

// TLSMode is how the connection to the SMTP server is secured.
type TLSMode string

// TLS modes of an SMTP URL.
const (
	// StartTLS (smtp://, default port 587) upgrades the connection with
	// STARTTLS and refuses a server that does not offer it.
	StartTLS TLSMode = "starttls"
	// ImplicitTLS (smtps://, default port 465) speaks TLS from the start.
	ImplicitTLS TLSMode = "implicit"
	// NoTLS (smtp://…?tls=none) sends in the clear: only to a loopback
	// host, such as a relay on the same machine or a test server.
	NoTLS TLSMode = "none"
)

// SMTP is where and how mail is handed over: a parsed INTERACT_SMTP_URL.
type SMTP struct {
	Host               string
	Port               int
	TLS                TLSMode
	Username, Password string
}

// ParseSMTPURL reads smtp://[user:password@]host[:port][?tls=none] or
// smtps://[user:password@]host[:port].
func ParseSMTPURL(s string) (SMTP, error) {
	bad := func(why string) (SMTP, error) {
		return SMTP{}, fmt.Errorf("smtp url %q: %s", redact(s), why)
	}
	u, err := url.Parse(s)
	if err != nil {
		return bad("not a URL (want smtp://user:password@host:587 or smtps://user:password@host:465)")
	}
	var c SMTP
	switch u.Scheme {
	case "smtp":
		c.TLS, c.Port = StartTLS, 587
	case "smtps":
		c.TLS, c.Port = ImplicitTLS, 465
	default:
		return bad("want the scheme smtp:// (STARTTLS) or smtps:// (implicit TLS)")
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return bad("want no path")
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return bad("no host")
	}
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil || c.Port < 1 || c.Port > 65535 {
			return bad("the port must be 1 to 65535")
		}
	}
	q := u.Query()
	for k := range q {
		if k != "tls" {
			return bad(fmt.Sprintf("unknown parameter %q (only tls=none, for a loopback host)", k))
		}
	}
	if v, ok := q["tls"]; ok {
		if len(v) != 1 || v[0] != "none" || c.TLS != StartTLS {
			return bad("the only tls parameter is smtp://…?tls=none (no TLS, loopback hosts only)")
		}
		if !loopback(c.Host) {
			return bad("tls=none is allowed only for a loopback host (localhost, 127.0.0.1, ::1): elsewhere, passwords and links would cross the network in the clear")
		}
		c.TLS = NoTLS
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
		if c.Username == "" || c.Password == "" {
			return bad("give both a user name and a password, or neither")
		}
	}
	return c, nil
}

// String is the URL without its password.
func (c SMTP) String() string {
	u := url.URL{Scheme: "smtp", Host: net.JoinHostPort(c.Host, strconv.Itoa(c.Port))}
	if c.TLS == ImplicitTLS {
		u.Scheme = "smtps"
	}
	if c.TLS == NoTLS {
		u.RawQuery = "tls=none"
	}
	if c.Username != "" {
		u.User = url.UserPassword(c.Username, "xxxxx")
	}
	return u.String()
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func redact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "(unparsable)"
}

// client returns a go-mail client for c; tlsConfig (nil: the system's
// roots) checks the server's certificate.
func (c SMTP) client(tlsConfig *tls.Config, cfg Config) (*mail.Client, error) {
	if tlsConfig == nil {
		tlsConfig = &tls.Config{}
	}
	tlsConfig = tlsConfig.Clone()
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = c.Host
	}
	tlsConfig.MinVersion = tls.VersionTLS12
	opts := []mail.Option{mail.WithPort(c.Port), mail.WithTimeout(cfg.Timeout), mail.WithTLSConfig(tlsConfig)}
	switch c.TLS {
	case ImplicitTLS:
		opts = append(opts, mail.WithSSL())
	case NoTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if c.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(c.Username), mail.WithPassword(c.Password))
	}
	return mail.NewClient(c.Host, opts...)
}

// message builds the MIME message of a queued mail: multipart/alternative
// text and HTML, with the Message-ID and Date fixed when it was queued, so
// every attempt sends the same mail.
func message(m interact.Mail) (*mail.Msg, error) {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(m.From); err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	msg.Subject(m.Subject)
	if m.ReplyTo != "" {
		if err := msg.ReplyTo(m.ReplyTo); err != nil {
			return nil, fmt.Errorf("reply-to: %w", err)
		}
	}
	msg.SetMessageIDWithValue(m.MessageID)
	msg.SetDateWithValue(m.CreatedAt)
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}
