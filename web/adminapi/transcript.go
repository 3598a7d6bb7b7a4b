package adminapi

// Transcripts of ended sessions: GET /api/v1/sessions/{id}/transcript
// answers JSON, or with ?format=txt a plain-text download, or with
// ?format=html a printable page. The store decides who may read one; this
// file only renders it.

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
)

// transcriptFormats are the transcript's other formats (?format=), by name.
var transcriptFormats = map[string]string{"txt": "text/plain; charset=utf-8", "html": "text/html; charset=utf-8"}

func (s *API) transcript(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if _, ok := transcriptFormats[format]; !ok && format != "" && format != "json" {
		return interact.Errorf(interact.EINVALID, "format must be json, txt or html (got %q).", format)
	}
	tr, err := s.store.Transcript(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	h := w.Header()
	h.Set("Cache-Control", "no-store") // conversations stay out of shared caches
	if err != nil {
		if format == "html" && interact.ErrorCode(err) != interact.EINTERNAL && interact.ErrorCode(err) != interact.ESTORAGE {
			return writeTranscriptPage(w, endpoint.StatusOf(err), transcriptPage{Error: interact.ErrorMessage(err)})
		}
		return err
	}
	switch format {
	case "txt":
		h.Set("Content-Type", transcriptFormats["txt"])
		h.Set("Content-Disposition", `attachment; filename="`+transcriptFile(tr, "txt")+`"`)
		w.WriteHeader(http.StatusOK)
		_, err := w.Write([]byte(transcriptText(tr)))
		return err
	case "html":
		h.Set("Content-Disposition", `inline; filename="`+transcriptFile(tr, "html")+`"`)
		return writeTranscriptPage(w, http.StatusOK, newTranscriptPage(tr))
	}
	return endpoint.Reply(w, http.StatusOK, tr, nil)
}

// transcriptFile is a transcript's file name: its date and session id.
func transcriptFile(tr *interact.Transcript, ext string) string {
	return "transcript-" + tr.Session.CreatedAt.UTC().Format("2006-01-02") + "-" + tr.Session.ID + "." + ext
}

// Times in transcripts are UTC, written out.
const (
	transcriptTime  = "2006-01-02 15:04:05 UTC"
	transcriptClock = "15:04:05"
)

// transcriptText renders a transcript as plain text: the session's facts,
// then one line per message or event (continuation lines of a message
// indented), times in UTC.
func transcriptText(tr *interact.Transcript) string {
	var b strings.Builder
	ss := tr.Session
	fmt.Fprintf(&b, "Transcript of session %s\n", ss.ID)
	for _, f := range sessionFacts(tr) {
		fmt.Fprintf(&b, "%s: %s\n", f.Name, strings.ReplaceAll(f.Value, "\n", "\n    "))
	}
	b.WriteString("\n")
	day := ""
	for _, e := range tr.Entries {
		if d := e.At.UTC().Format("2006-01-02"); d != day {
			day = d
			fmt.Fprintf(&b, "-- %s\n", d)
		}
		at := e.At.UTC().Format(transcriptClock)
		if e.Event != nil {
			fmt.Fprintf(&b, "[%s] * %s\n", at, eventText(e))
			continue
		}
		who := e.AuthorName
		if e.AuthorKind == interact.AuthorSystem {
			who += " (system)"
		}
		text := strings.ReplaceAll(e.Text, "\n", "\n    ")
		fmt.Fprintf(&b, "[%s] %s: %s\n", at, who, text)
	}
	if ss.LeftMessage != "" {
		fmt.Fprintf(&b, "\nLeft message:\n    %s\n", strings.ReplaceAll(ss.LeftMessage, "\n", "\n    "))
	}
	return b.String()
}

// fact is one line of a transcript's heading.
type fact struct{ Name, Value string }

func sessionFacts(tr *interact.Transcript) []fact {
	ss := tr.Session
	out := []fact{}
	add := func(name, value string) {
		if value != "" {
			out = append(out, fact{name, value})
		}
	}
	service := ss.ServiceName
	if ss.ServiceID == "" && ss.DirectUserID != "" {
		service = "Direct contact of " + cmpOr(ss.ServiceName, ss.DirectUserID)
	}
	add("Service", service)
	visitor := cmpOr(ss.Visitor.Name, "(no name given)")
	if ss.Visitor.Email != "" {
		visitor += " <" + ss.Visitor.Email + "> (not verified)"
	}
	add("Visitor", visitor)
	add("Page", ss.Origin)
	add("Modality", string(ss.Modality))
	add("Started", ss.CreatedAt.UTC().Format(transcriptTime))
	if ss.ConnectedAt != nil {
		add("Connected", ss.ConnectedAt.UTC().Format(transcriptTime))
	}
	if ss.EndedAt != nil {
		add("Ended", ss.EndedAt.UTC().Format(transcriptTime))
	}
	add("Outcome", ss.Outcome)
	var agents []string
	for _, a := range ss.Agents {
		agents = append(agents, cmpOr(a.Name, a.ID))
	}
	add("Agents", strings.Join(agents, ", "))
	if r := ss.Rating; r != nil {
		add("Rating", fmt.Sprintf("%d of %d stars", r.Stars, interact.MaxStars))
		add("Rating comment", r.Comment)
	}
	return out
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// eventText says in English what an event of a transcript was, naming its
// author.
func eventText(e interact.TranscriptEntry) string {
	ev, who := e.Event, e.AuthorName
	if e.AuthorKind == interact.AuthorSystem {
		who = ""
	}
	kind := string(ev.Modality)
	switch ev.Type {
	case interact.EventCallStarted:
		if who == "" {
			return "A " + kind + " call started"
		}
		return who + " started " + article(kind) + " " + kind + " call"
	case interact.EventCallConnected:
		if who == "" {
			return "The " + kind + " call is connected"
		}
		return "The " + kind + " call is connected: " + who + " answered"
	case interact.EventCallModality:
		if who == "" {
			return "The call switched from " + string(ev.From) + " to " + kind
		}
		return who + " switched the call from " + string(ev.From) + " to " + kind
	case interact.EventCallEnded:
		how := "before it was connected"
		if ev.Connected {
			how = "after " + callDuration(ev.DurationMS)
		}
		if who == "" {
			return "The " + kind + " call ended " + how
		}
		return who + " ended the " + kind + " call " + how
	}
	return ev.Type
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// callDuration writes a call's length as m:ss, or h:mm:ss from an hour.
func callDuration(ms int64) string {
	d := (time.Duration(ms) * time.Millisecond).Round(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}

// transcriptPage is what the printable page shows.
type transcriptPage struct {
	Title   string
	Session interact.TranscriptSession
	Facts   []fact
	Entries []pageEntry
	Error   string
}

// pageEntry is an entry as the page shows it, in plain fields: the
// template finds them faster than those of an embedded struct.
type pageEntry struct {
	Seq                    int64
	Kind, Author, Text     string
	Event                  bool
	Line                   string // an event's text
	Time, Day, DateTimeISO string
}

func newTranscriptPage(tr *interact.Transcript) transcriptPage {
	p := transcriptPage{Title: "Transcript · " + cmpOr(tr.Session.Visitor.Name, "Visitor") + " · " + tr.Session.CreatedAt.UTC().Format("2006-01-02"),
		Session: tr.Session, Facts: sessionFacts(tr)}
	day := ""
	for _, e := range tr.Entries {
		at := e.At.UTC()
		pe := pageEntry{Seq: e.Seq, Kind: e.AuthorKind, Author: e.AuthorName, Text: e.Text, Event: e.Event != nil,
			Time: at.Format(transcriptClock), DateTimeISO: at.Format(time.RFC3339)}
		if d := at.Format("2006-01-02"); d != day {
			day, pe.Day = d, d
		}
		if pe.Event {
			pe.Line = eventText(e)
		}
		p.Entries = append(p.Entries, pe)
	}
	return p
}

// transcriptCSS styles the printable page; the page's Content-Security-
// Policy allows exactly this stylesheet (by its hash) and no script.
const transcriptCSS = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;margin:2rem auto;max-width:46rem;padding:0 1rem}
h1{font-size:1.4rem;margin:0 0 .75rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0 0 1.5rem;padding:.75rem 1rem;border:1px solid #d0d7de;border-radius:6px}
dl.facts dt{font-weight:600}dl.facts dd{margin:0;overflow-wrap:anywhere;white-space:pre-wrap}
ol.entries{list-style:none;margin:0;padding:0}
ol.entries li{display:grid;grid-template-columns:5.5rem 1fr;gap:.75rem;padding:.35rem 0;border-bottom:1px solid #eaeef2;break-inside:avoid}
ol.entries li.day{display:block;font-weight:600;border-bottom:2px solid #d0d7de;padding-top:1rem}
time{color:#57606a;font-variant-numeric:tabular-nums}
.who{font-weight:600;margin-right:.4rem}
.k-visitor .who{color:#0550ae}.k-agent .who{color:#116329}
.k-system .text,.event{color:#57606a}.event{font-style:italic}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
.left{margin-top:1.5rem;padding:.75rem 1rem;border-left:4px solid #d0d7de;white-space:pre-wrap}
.error{padding:1rem;border:1px solid #cf222e;border-radius:6px;color:#82071e}
.tools{margin:0 0 .75rem}
@media print{body{margin:0;max-width:none;font-size:11pt}.tools{display:none}}
`

var transcriptTemplate = template.Must(template.New("transcript").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{if .Error}}Transcript not available{{else}}{{.Title}}{{end}}</title>
<style>` + transcriptCSS + `</style>
</head>
<body>
<main>
{{if .Error}}<h1>Transcript not available</h1>
<p class="error" role="alert">{{.Error}}</p>
{{else}}<h1>Transcript</h1>
<p class="tools"><a href="?format=txt" download>Download as text</a></p>
<dl class="facts">{{range .Facts}}<dt>{{.Name}}</dt><dd>{{.Value}}</dd>{{end}}</dl>
<ol class="entries" aria-label="Messages and events">
{{range .Entries}}{{if .Day}}<li class="day"><time datetime="{{.Day}}">{{.Day}}</time></li>
{{end}}<li class="k-{{.Kind}}" data-seq="{{.Seq}}"><time datetime="{{.DateTimeISO}}">{{.Time}}</time><div>{{if .Event}}<span class="event">{{.Line}}</span>{{else}}<span class="who">{{.Author}}{{if eq .Kind "system"}} (system){{end}}</span><span class="text">{{.Text}}</span>{{end}}</div></li>
{{end}}</ol>
{{with .Session.LeftMessage}}<h2>Left message</h2>
<p class="left">{{.}}</p>
{{end}}{{end}}</main>
</body>
</html>
`))

// transcriptCSP lets the page use its own stylesheet and nothing else: no
// script, no image, no form, no frame.
var transcriptCSP = func() string {
	sum := sha256.Sum256([]byte(transcriptCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
}()

func writeTranscriptPage(w http.ResponseWriter, status int, p transcriptPage) error {
	var b bytes.Buffer
	if err := transcriptTemplate.Execute(&b, p); err != nil {
		return fmt.Errorf("render transcript: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", transcriptFormats["html"])
	h.Set("Content-Security-Policy", transcriptCSP)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(b.Bytes())
	return err
}
