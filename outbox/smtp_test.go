package outbox_test

import (
	"strings"
	"testing"

	"github.com/interact-oss/interact/outbox"
)

func TestParseSMTPURL(t *testing.T) {
	good := map[string]outbox.SMTP{
		"smtp://mail.example.com":                     {Host: "mail.example.com", Port: 587, TLS: outbox.StartTLS},
		"smtp://me%40example.com:p%3Ass@mx.test:2525": {Host: "mx.test", Port: 2525, TLS: outbox.StartTLS, Username: "me@example.com", Password: "p:ss"},
		"smtps://u:p@mail.example.com":                {Host: "mail.example.com", Port: 465, TLS: outbox.ImplicitTLS, Username: "u", Password: "p"},
		"smtp://127.0.0.1:25?tls=none":                {Host: "127.0.0.1", Port: 25, TLS: outbox.NoTLS},
		"smtp://localhost:1025/?tls=none":             {Host: "localhost", Port: 1025, TLS: outbox.NoTLS},
		"smtp://[::1]:25?tls=none":                    {Host: "::1", Port: 25, TLS: outbox.NoTLS},
	}
	for in, want := range good {
		got, err := outbox.ParseSMTPURL(in)
		if err != nil || got != want {
			t.Errorf("ParseSMTPURL(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"http://mail.example.com":                 "scheme",
		"mail.example.com:587":                    "scheme",
		"smtp://":                                 "no host",
		"smtp://mail.example.com:0":               "port",
		"smtp://mail.example.com:99999":           "port",
		"smtp://mail.example.com/path":            "no path",
		"smtp://mail.example.com?tls=none":        "loopback",
		"smtp://10.0.0.1:25?tls=none":             "loopback",
		"smtps://127.0.0.1?tls=none":              "tls=none",
		"smtp://127.0.0.1?tls=off":                "tls=none",
		"smtp://mail.example.com?auth=plain":      "unknown parameter",
		"smtp://user@mail.example.com":            "both a user name and a password",
		"smtp://user:secret@mail.example.com:bad": "not a URL",
	}
	for in, want := range bad {
		_, err := outbox.ParseSMTPURL(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSMTPURL(%q) = %v, want an error about %q", in, err, want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
