package mailtext

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"github.com/interact-oss/interact"
)

// OfflineNote is a message a visitor left, as mailed to the service's
// notification address.
type OfflineNote struct {
	Service      string
	VisitorName  string
	VisitorEmail string // "" when the visitor gave none
	Origin       string // the page's origin
	Outcome      string // closed, no_agent, queue_timeout, transfer_failed
	Text         string
	ConsoleURL   string // where the team opens its sessions
}

// noteWords are one language's texts of the offline-note mail.
type noteWords struct {
	Subject, Lead, From, NoEmail, Page, Why, Reply, Open string
	Outcomes                                             map[string]string
}

var noteTexts = map[string]noteWords{
	"en": {"New message for %s from %s", "A visitor left a message for %s.", "From", "no e-mail address given", "Page", "Why",
		"Reply to this mail to answer the visitor.", "Open the sessions",
		map[string]string{"closed": "out of opening hours", "no_agent": "no agent was available", "queue_timeout": "the maximum wait was reached", "transfer_failed": "a transfer failed"}},
	"de": {"Neue Nachricht für %s von %s", "Ein Besucher hat eine Nachricht für %s hinterlassen.", "Von", "keine E-Mail-Adresse angegeben", "Seite", "Grund",
		"Antworten Sie auf diese E-Mail, um dem Besucher zu antworten.", "Sitzungen öffnen",
		map[string]string{"closed": "außerhalb der Öffnungszeiten", "no_agent": "kein Agent war verfügbar", "queue_timeout": "die maximale Wartezeit war erreicht", "transfer_failed": "eine Weiterleitung schlug fehl"}},
	"fr": {"Nouveau message pour %s de %s", "Un visiteur a laissé un message pour %s.", "De", "aucune adresse e-mail indiquée", "Page", "Raison",
		"Répondez à ce message pour répondre au visiteur.", "Ouvrir les sessions",
		map[string]string{"closed": "hors des heures d'ouverture", "no_agent": "aucun agent n'était disponible", "queue_timeout": "l'attente maximale était atteinte", "transfer_failed": "un transfert a échoué"}},
	"it": {"Nuovo messaggio per %s da %s", "Un visitatore ha lasciato un messaggio per %s.", "Da", "nessun indirizzo e-mail indicato", "Pagina", "Motivo",
		"Rispondi a questa e-mail per rispondere al visitatore.", "Apri le sessioni",
		map[string]string{"closed": "fuori dall'orario di apertura", "no_agent": "nessun agente era disponibile", "queue_timeout": "l'attesa massima è stata raggiunta", "transfer_failed": "un trasferimento non è riuscito"}},
}

type notePage struct {
	Lang, Lead, FromLabel, From, PageLabel, Origin, WhyLabel, Why, Text, Reply, Open, ConsoleURL string
}

var noteText = texttemplate.Must(texttemplate.New("note").Parse(`{{.Lead}}

{{.FromLabel}}: {{.From}}
{{.PageLabel}}: {{.Origin}}
{{.WhyLabel}}: {{.Why}}

{{.Text}}

{{.Reply}}
{{.Open}}: {{.ConsoleURL}}
`))

var noteHTML = htmltemplate.Must(htmltemplate.New("note").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"></head>
<body style="font-family: system-ui, sans-serif; color: #1a1a1a; line-height: 1.5">
<p>{{.Lead}}</p>
<table style="border-collapse: collapse">
<tr><th style="text-align: left; padding-right: 1em">{{.FromLabel}}</th><td>{{.From}}</td></tr>
<tr><th style="text-align: left; padding-right: 1em">{{.PageLabel}}</th><td>{{.Origin}}</td></tr>
<tr><th style="text-align: left; padding-right: 1em">{{.WhyLabel}}</th><td>{{.Why}}</td></tr>
</table>
<blockquote style="white-space: pre-wrap; border-left: 3px solid #1f5fbf; margin: 1em 0; padding: .2em 1em">{{.Text}}</blockquote>
<p style="font-size: .9em; color: #555">{{.Reply}} <a href="{{.ConsoleURL}}">{{.Open}}</a></p>
</body></html>
`))

// OfflineMessage is the mail telling a service's team about a left
// message. Everything the visitor typed is escaped in the HTML part and
// kept off header lines except, on one line, the name in the subject.
func OfflineMessage(lang string, n OfflineNote) (Mail, error) {
	w, ok := noteTexts[lang]
	if !ok {
		lang, w = "en", noteTexts["en"]
	}
	name := oneLine(n.VisitorName)
	from := name
	if n.VisitorEmail != "" {
		from += " <" + n.VisitorEmail + ">"
	} else {
		from += " (" + w.NoEmail + ")"
	}
	p := notePage{Lang: lang, Lead: fmt.Sprintf(w.Lead, n.Service), FromLabel: w.From, From: strings.TrimSpace(from),
		PageLabel: w.Page, Origin: n.Origin, WhyLabel: w.Why, Why: w.Outcomes[n.Outcome], Text: n.Text,
		Reply: w.Reply, Open: w.Open, ConsoleURL: n.ConsoleURL}
	if n.VisitorEmail == "" {
		p.Reply = ""
	}
	var text, html bytes.Buffer
	if err := noteText.Execute(&text, p); err != nil {
		return Mail{}, err
	}
	if err := noteHTML.Execute(&html, p); err != nil {
		return Mail{}, err
	}
	subject := fmt.Sprintf(w.Subject, oneLine(n.Service), name)
	if len(subject) > interact.MaxMailSubject {
		subject = subject[:interact.MaxMailSubject]
	}
	return Mail{Subject: strings.ToValidUTF8(subject, ""), Text: text.String(), HTML: html.String()}, nil
}
