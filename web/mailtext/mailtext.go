// Package mailtext composes the account mails interact sends — invitations
// and password resets — as text and HTML, in the widget's four languages
// (interact.WidgetLangs). The HTML comes from html/template, so every value
// a user or visitor supplied (names, organisation names) is escaped; the
// text part is plain text and needs no escaping.
//
// It owns the wording and layout of mails; it does not queue or send them.
package mailtext

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/interact-oss/interact"
)

// Account is what an account mail says: to whom, for which organisation,
// the one-time link and how long it is valid.
type Account struct {
	Name, Email, Organisation, Link string
	Valid                           time.Duration
}

// Mail is a composed mail's subject and bodies.
type Mail struct{ Subject, Text, HTML string }

// Invitation is the mail inviting a new user to set their password.
func Invitation(lang string, a Account) (Mail, error) { return compose(lang, "invitation", a) }

// PasswordReset is the mail with a link to choose a new password.
func PasswordReset(lang string, a Account) (Mail, error) { return compose(lang, "reset", a) }

// Language picks the mail language from an Accept-Language header: the
// first of its languages interact has, else English.
func Language(acceptLanguage string) string {
	for _, part := range strings.Split(acceptLanguage, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		base := strings.SplitN(tag, "-", 2)[0]
		if _, ok := texts[base]; ok {
			return base
		}
	}
	return "en"
}

// words are one language's texts of one kind of mail. Greeting, Lead and
// Validity are format strings: %[1]s the name, %[2]s the organisation,
// %[3]s the validity.
type words struct {
	Subject, Greeting, Lead, Button, Validity, Ignore string
}

var texts = map[string]map[string]words{
	"en": {
		"invitation": {"Your interact account at %[2]s", "Hello %[1]s,", "an administrator of %[2]s created an interact account for you. Choose your password to sign in:",
			"Set your password", "The link is valid for %[3]s and can be used once.", "If you did not expect this mail, you can ignore it."},
		"reset": {"Reset your interact password (%[2]s)", "Hello %[1]s,", "someone asked to reset the password of your interact account at %[2]s. Choose a new password here:",
			"Choose a new password", "The link is valid for %[3]s and can be used once. Setting a new password signs you out everywhere.", "If you did not ask for this, ignore this mail: your password stays as it is."},
	},
	"de": {
		"invitation": {"Ihr interact-Konto bei %[2]s", "Hallo %[1]s,", "ein Administrator von %[2]s hat ein interact-Konto für Sie angelegt. Wählen Sie Ihr Passwort, um sich anzumelden:",
			"Passwort festlegen", "Der Link ist %[3]s gültig und kann einmal verwendet werden.", "Falls Sie diese E-Mail nicht erwartet haben, können Sie sie ignorieren."},
		"reset": {"interact-Passwort zurücksetzen (%[2]s)", "Hallo %[1]s,", "jemand hat verlangt, das Passwort Ihres interact-Kontos bei %[2]s zurückzusetzen. Wählen Sie hier ein neues Passwort:",
			"Neues Passwort wählen", "Der Link ist %[3]s gültig und kann einmal verwendet werden. Ein neues Passwort meldet Sie überall ab.", "Falls Sie das nicht verlangt haben, ignorieren Sie diese E-Mail: Ihr Passwort bleibt unverändert."},
	},
	"fr": {
		"invitation": {"Votre compte interact chez %[2]s", "Bonjour %[1]s,", "un administrateur de %[2]s vous a créé un compte interact. Choisissez votre mot de passe pour vous connecter :",
			"Définir le mot de passe", "Le lien est valable %[3]s et ne peut servir qu'une fois.", "Si vous n'attendiez pas ce message, vous pouvez l'ignorer."},
		"reset": {"Réinitialiser votre mot de passe interact (%[2]s)", "Bonjour %[1]s,", "quelqu'un a demandé la réinitialisation du mot de passe de votre compte interact chez %[2]s. Choisissez un nouveau mot de passe ici :",
			"Choisir un nouveau mot de passe", "Le lien est valable %[3]s et ne peut servir qu'une fois. Un nouveau mot de passe vous déconnecte partout.", "Si vous n'avez rien demandé, ignorez ce message : votre mot de passe reste inchangé."},
	},
	"it": {
		"invitation": {"Il tuo account interact presso %[2]s", "Ciao %[1]s,", "un amministratore di %[2]s ha creato per te un account interact. Scegli la tua password per accedere:",
			"Imposta la password", "Il link è valido per %[3]s e si può usare una sola volta.", "Se non ti aspettavi questa e-mail, puoi ignorarla."},
		"reset": {"Reimposta la password di interact (%[2]s)", "Ciao %[1]s,", "qualcuno ha chiesto di reimpostare la password del tuo account interact presso %[2]s. Scegli qui una nuova password:",
			"Scegli una nuova password", "Il link è valido per %[3]s e si può usare una sola volta. Una nuova password ti disconnette ovunque.", "Se non l'hai chiesto tu, ignora questa e-mail: la tua password resta invariata."},
	},
}

// durations name a validity in each language.
var durations = map[string][2]string{ // hours, days
	"en": {"%d hour(s)", "%d day(s)"},
	"de": {"%d Stunde(n)", "%d Tag(e)"},
	"fr": {"%d heure(s)", "%d jour(s)"},
	"it": {"%d ora/e", "%d giorno/i"},
}

func validity(lang string, d time.Duration) string {
	f := durations[lang]
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf(f[1], int(d/(24*time.Hour)))
	}
	return fmt.Sprintf(f[0], max(1, int(d.Round(time.Hour)/time.Hour)))
}

// page is what the templates get: the texts already formatted, each still
// plain text (html/template escapes them in the HTML part).
type page struct {
	Lang, Greeting, Lead, Button, Validity, Ignore, Link string
}

var textBody = texttemplate.Must(texttemplate.New("text").Parse(`{{.Greeting}}

{{.Lead}}

{{.Link}}

{{.Validity}}
{{.Ignore}}
`))

var htmlBody = htmltemplate.Must(htmltemplate.New("html").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"></head>
<body style="font-family: system-ui, sans-serif; color: #1a1a1a; line-height: 1.5">
<p>{{.Greeting}}</p>
<p>{{.Lead}}</p>
<p><a href="{{.Link}}" style="display: inline-block; padding: .6em 1.2em; background: #1f5fbf; color: #fff; border-radius: 4px; text-decoration: none">{{.Button}}</a></p>
<p style="font-size: .9em; color: #555">{{.Validity}}<br>{{.Ignore}}</p>
<p style="font-size: .8em; color: #777; word-break: break-all">{{.Link}}</p>
</body></html>
`))

func compose(lang, kind string, a Account) (Mail, error) {
	if _, ok := texts[lang]; !ok {
		lang = "en"
	}
	w := texts[lang][kind]
	name := strings.TrimSpace(a.Name)
	if name == "" {
		name = a.Email
	}
	org, valid := oneLine(a.Organisation), validity(lang, a.Valid)
	p := page{Lang: lang, Greeting: fmt.Sprintf(w.Greeting, oneLine(name), org, valid), Lead: fmt.Sprintf(w.Lead, name, org, valid),
		Button: w.Button, Validity: fmt.Sprintf(w.Validity, name, org, valid), Ignore: w.Ignore, Link: a.Link}
	var text, html bytes.Buffer
	if err := textBody.Execute(&text, p); err != nil {
		return Mail{}, err
	}
	if err := htmlBody.Execute(&html, p); err != nil {
		return Mail{}, err
	}
	subject := fmt.Sprintf(w.Subject, name, org, valid)
	if len(subject) > interact.MaxMailSubject {
		subject = subject[:interact.MaxMailSubject]
	}
	return Mail{Subject: strings.ToValidUTF8(subject, ""), Text: text.String(), HTML: html.String()}, nil
}

// oneLine keeps a value that lands in a header on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Sender is who sends account mails and where their links point.
type Sender struct {
	From      string // the sender address (INTERACT_MAIL_FROM)
	PublicURL string // links point at PublicURL + SetPasswordPath
}

// SetPasswordPath is the page an invitation or reset link opens; the
// secret rides in the query's token.
const SetPasswordPath = "/password/set"

// Composer returns the store's composer of one kind of account mail in
// lang.
func (s Sender) Composer(kind interact.MailKind, lang string) interact.MailComposer {
	return func(to *interact.User, tenant interact.TenantChoice, secret string) (*interact.Mail, error) {
		a := Account{Name: to.Name, Email: to.Email, Organisation: tenant.Name,
			Link: s.PublicURL + SetPasswordPath + "?token=" + url.QueryEscape(secret)}
		var m Mail
		var err error
		switch kind {
		case interact.MailInvitation:
			a.Valid = interact.InvitationTTL
			m, err = Invitation(lang, a)
		case interact.MailPasswordReset:
			a.Valid = interact.PasswordResetTTL
			m, err = PasswordReset(lang, a)
		default:
			return nil, fmt.Errorf("mailtext: no mail of kind %q", kind)
		}
		if err != nil {
			return nil, err
		}
		return &interact.Mail{Kind: kind, From: s.From, To: to.Email, Subject: m.Subject, Text: m.Text, HTML: m.HTML}, nil
	}
}
