package mailtext_test

import (
	"strings"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/mailtext"
)

func TestMailsEscapeWhatUsersTyped(t *testing.T) {
	a := mailtext.Account{Name: `<script>alert(1)</script>`, Email: "x@example.test", Organisation: "Acme & <b>Sons</b>\r\nBcc: evil@example.test",
		Link: "https://interact.example/account/password?token=ia_ABC", Valid: time.Hour}
	for _, lang := range interact.WidgetLangs {
		for name, compose := range map[string]func(string, mailtext.Account) (mailtext.Mail, error){"invitation": mailtext.Invitation, "reset": mailtext.PasswordReset} {
			m, err := compose(lang, a)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, "<b>Sons") || !strings.Contains(m.HTML, "&lt;script&gt;") {
				t.Errorf("%s/%s: HTML does not escape the name and organisation:\n%s", lang, name, m.HTML)
			}
			if strings.ContainsAny(m.Subject, "\r\n") || !strings.Contains(m.Subject, "Acme & <b>Sons</b> Bcc:") {
				t.Errorf("%s/%s: subject %q", lang, name, m.Subject)
			}
			if !strings.Contains(m.Text, a.Link) || !strings.Contains(m.HTML, `href="https://interact.example/account/password?token=ia_ABC"`) {
				t.Errorf("%s/%s: no link", lang, name)
			}
			if !strings.Contains(m.Text, "<script>alert(1)</script>") {
				t.Errorf("%s/%s: the text part should carry the name as typed", lang, name)
			}
		}
	}
}

func TestMailLanguages(t *testing.T) {
	for in, want := range map[string]string{"": "en", "de-CH,de;q=0.9,en;q=0.8": "de", "es, fr;q=0.5": "fr", "it": "it", "pt-BR": "en"} {
		if got := mailtext.Language(in); got != want {
			t.Errorf("Language(%q) = %q, want %q", in, got, want)
		}
	}
	en, _ := mailtext.PasswordReset("en", mailtext.Account{Email: "a@b.test", Organisation: "Acme", Link: "https://x/", Valid: time.Hour})
	de, _ := mailtext.PasswordReset("de", mailtext.Account{Email: "a@b.test", Organisation: "Acme", Link: "https://x/", Valid: time.Hour})
	if en.Subject == de.Subject || !strings.Contains(de.Text, "1 Stunde") || !strings.Contains(en.Text, "Hello a@b.test") {
		t.Errorf("en %q / de %q", en.Text, de.Text)
	}
	inv, _ := mailtext.Invitation("fr", mailtext.Account{Name: "Zoé", Organisation: "Acme", Link: "https://x/", Valid: 7 * 24 * time.Hour})
	if !strings.Contains(inv.Text, "7 jour(s)") || !strings.Contains(inv.HTML, `lang="fr"`) {
		t.Errorf("fr invitation: %s", inv.Text)
	}
}
