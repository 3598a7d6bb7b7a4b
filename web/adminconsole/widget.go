package adminconsole

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
	"github.com/interact-oss/interact/web/ui/widget"
)

// The Widget tab of a service or of a user's direct contact: the pre-chat
// form and the overrides of the widget's texts (interact.WidgetSettings),
// with a live check of the form, and a reset to the built-in defaults.

// customFieldRows is how many blank rows the form offers for new fields.
const customFieldRows = 2

// widgetFromForm reads the pre-chat form of the Widget tab. Texts are kept
// from current (they have their own form).
func widgetFromForm(f url.Values, current *interact.WidgetSettings) (*interact.WidgetSettings, error) {
	w := &interact.WidgetSettings{Name: f.Get("name"), Email: f.Get("email"), Consent: map[string]string{}, Texts: current.Texts}
	if f.Get("consentOn") != "" {
		for _, l := range interact.WidgetLangs {
			w.Consent[l] = f.Get("consent." + l)
		}
		if strings.TrimSpace(strings.Join(mapValues(w.Consent), "")) == "" {
			return nil, interact.Errorf(interact.EINVALID, "Consent text: write it in at least one language, or switch consent off.")
		}
	}
	for i := 0; i < interact.MaxPreChatFields+customFieldRows; i++ {
		p := "f" + strconv.Itoa(i) + "."
		key := strings.TrimSpace(f.Get(p + "key"))
		if key == "" {
			continue // a blank row, or a field removed by clearing its key
		}
		fd := interact.PreChatField{Key: key, Type: f.Get(p + "type"), Required: f.Get(p+"required") != "", Label: map[string]string{}}
		if m := strings.TrimSpace(f.Get(p + "max")); m != "" {
			n, err := strconv.Atoi(m)
			if err != nil {
				return nil, interact.Errorf(interact.EINVALID, "Custom field %d (%q): the maximum length must be a whole number (got %q).", len(w.Fields)+1, key, m)
			}
			fd.MaxLength = n
		}
		for _, l := range interact.WidgetLangs {
			fd.Label[l] = f.Get(p + "label." + l)
		}
		fd.Options = strings.Split(f.Get(p+"options"), "\n")
		w.Fields = append(w.Fields, fd)
	}
	w.Normalize()
	return w, w.Validate(widget.OverridableKeys())
}

func mapValues(m map[string]string) []string {
	out := []string{}
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// textsFromForm reads one language's overrides ("t.<key>") of the texts form.
func textsFromForm(f url.Values, lang string, current *interact.WidgetSettings) (*interact.WidgetSettings, error) {
	if !slices.Contains(interact.WidgetLangs, lang) {
		return nil, interact.Errorf(interact.EINVALID, "Texts: unknown language %q; use en, de, fr or it.", lang)
	}
	w := *current
	w.Texts = map[string]map[string]string{}
	for l, m := range current.Texts {
		if l != lang {
			w.Texts[l] = m
		}
	}
	m := map[string]string{}
	for k, vs := range f {
		if key, ok := strings.CutPrefix(k, "t."); ok && len(vs) > 0 {
			m[key] = vs[0]
		}
	}
	// An override equal to the default is no override.
	for k, v := range m {
		if strings.TrimSpace(v) == widget.Defaults().Default[lang][k] {
			delete(m, k)
		}
	}
	w.Texts[lang] = m
	w.Normalize()
	return &w, w.Validate(widget.OverridableKeys())
}

// widgetRow is one row of the custom fields table (existing or blank).
type widgetRow struct {
	Index int
	interact.PreChatField
	Options string
}

// widgetText is one row of the texts editor.
type widgetText struct {
	Key, Default, Override string
}

// widgetOwner is the service or user whose Widget tab a request shows.
type widgetOwner struct {
	Kind, ID, Name string
	Base           string // the owner's console URL
	Service        *interact.Service
	User           *interact.User
}

// loadWidgetOwner loads the owner of the tab (so an invisible or missing
// one is not found).
func (q *adminReq) loadWidgetOwner(kind string) (*widgetOwner, error) {
	o := &widgetOwner{Kind: kind, Base: ownerURL(kind, q.id())}
	if kind == interact.OwnerUser {
		u, err := q.s.store.User(q.ctx(), q.a, q.id())
		if err != nil {
			return nil, err
		}
		o.ID, o.Name, o.User = u.ID, u.Name, u
		return o, nil
	}
	svc, err := q.s.store.Service(q.ctx(), q.a, q.id())
	if err != nil {
		return nil, err
	}
	o.ID, o.Name, o.Service = svc.ID, svc.Name, svc
	return o, nil
}

// viewWidget shows the Widget tab of a service or user (kind).
func viewWidget(kind string) func(*adminReq) error {
	return func(q *adminReq) error {
		o, err := q.loadWidgetOwner(kind)
		if err != nil {
			return err
		}
		ws := q.s.store
		saved, err := ws.WidgetSettings(q.ctx(), q.a, kind, o.ID)
		if err != nil {
			return err
		}
		cur := widget.Effective(saved)
		rows := []widgetRow{}
		for i, f := range cur.Fields {
			rows = append(rows, widgetRow{Index: i, PreChatField: f, Options: strings.Join(f.Options, "\n")})
		}
		for i := 0; i < customFieldRows && len(rows) < interact.MaxPreChatFields; i++ {
			rows = append(rows, widgetRow{Index: len(rows), PreChatField: interact.PreChatField{Type: interact.FieldText, Label: map[string]string{}}})
		}
		lang := q.r.URL.Query().Get("lang")
		if q.r.Method == http.MethodPost {
			lang = q.r.PostFormValue("lang")
		}
		if !slices.Contains(interact.WidgetLangs, lang) {
			lang = "en"
		}
		texts := []widgetText{}
		for _, k := range widget.OverridableKeys() {
			texts = append(texts, widgetText{Key: k, Default: widget.Defaults().Default[lang][k], Override: cur.Texts[lang][k]})
		}
		q.render("widget", o.Name+": widget", map[string]any{
			"Owner": o, "Saved": saved != nil, "W": cur, "Rows": rows, "Langs": interact.WidgetLangs, "Lang": lang, "Texts": texts,
			"ConsentOn": len(cur.Consent) > 0, "Types": []string{interact.FieldText, interact.FieldEmail, interact.FieldPhone, interact.FieldChoice, interact.FieldCheckbox},
			"Modes": []string{interact.FieldRequired, interact.FieldOptional, interact.FieldOff}, "MaxLen": interact.MaxFieldValueLen,
		})
		return nil
	}
}

// currentWidget returns the owner's widget settings for a change.
func (q *adminReq) currentWidget(ws Store, kind string) (*interact.WidgetSettings, error) {
	saved, err := ws.WidgetSettings(q.ctx(), q.a, kind, q.id())
	return widget.Effective(saved), err
}

// actWidget saves the pre-chat form of a service or user (kind).
func actWidget(kind string) adminAction {
	return func(q *adminReq) (string, string, error) {
		ws := q.s.store
		cur, err := q.currentWidget(ws, kind)
		if err != nil {
			return "", "", err
		}
		w, err := widgetFromForm(q.r.PostForm, cur)
		if err != nil {
			return "", "", err
		}
		if err := ws.SaveWidgetSettings(q.ctx(), q.a, kind, q.id(), w); err != nil {
			return "", "", err
		}
		return ownerURL(kind, q.id()) + "/widget", "Pre-chat form saved.", nil
	}
}

// actWidgetTexts saves one language's texts of a service or user (kind).
func actWidgetTexts(kind string) adminAction {
	return func(q *adminReq) (string, string, error) {
		ws := q.s.store
		cur, err := q.currentWidget(ws, kind)
		if err != nil {
			return "", "", err
		}
		lang := q.r.PostFormValue("lang")
		w, err := textsFromForm(q.r.PostForm, lang, cur)
		if err != nil {
			return "", "", err
		}
		if err := ws.SaveWidgetSettings(q.ctx(), q.a, kind, q.id(), w); err != nil {
			return "", "", err
		}
		return ownerURL(kind, q.id()) + "/widget?lang=" + lang + "#texts", "Texts saved.", nil
	}
}

// resetWidgetOf describes going back to the built-in widget settings.
func resetWidgetOf(kind string) deletionOf {
	return func(q *adminReq) (*deletion, error) {
		o, err := q.loadWidgetOwner(kind)
		if err != nil {
			return nil, err
		}
		ws := q.s.store
		if _, err := ws.WidgetSettings(q.ctx(), q.a, kind, o.ID); err != nil {
			return nil, err // the tab is not available
		}
		return &deletion{
			Heading:     fmt.Sprintf("Reset the widget of “%s” to the defaults?", o.Name),
			Consequence: "Its pre-chat form (custom fields, consent text) and its own texts in every language are deleted; open widgets show the built-in form and texts within 5 seconds. This cannot be undone.",
			Action:      o.Base + "/widget/reset", Cancel: o.Base + "/widget", Button: "Reset to defaults",
		}, nil
	}
}

// actResetWidget deletes the saved widget settings of a service or user.
func actResetWidget(kind string) adminAction {
	return func(q *adminReq) (string, string, error) {
		ws := q.s.store
		if err := ws.ResetWidgetSettings(q.ctx(), q.a, kind, q.id()); err != nil {
			return "", "", err
		}
		return ownerURL(kind, q.id()) + "/widget", "Widget reset to the defaults.", nil
	}
}

// validateWidget checks a pre-chat or texts form as it is typed: the same
// checks as saving, nothing stored. Body: {"form": {field: value}, "lang": …}.
func (s *Console) validateWidget(w http.ResponseWriter, r *http.Request) error {
	r, err := s.authorize(r)
	if err != nil {
		return err
	}
	var req struct {
		Form map[string]string `json:"form"`
		Kind string            `json:"kind"` // prechat or texts
	}
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	f := url.Values{}
	for k, v := range req.Form {
		f.Set(k, v)
	}
	empty := interact.DefaultWidgetSettings(nil)
	if req.Kind == "texts" {
		_, err = textsFromForm(f, f.Get("lang"), empty)
	} else {
		_, err = widgetFromForm(f, empty)
	}
	out := map[string]string{}
	if err != nil {
		if interact.ErrorCode(err) != interact.EINVALID {
			return err
		}
		out["error"] = interact.ErrorMessage(err)
	}
	endpoint.WriteJSON(w, http.StatusOK, out)
	return nil
}
