package interact

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// WidgetLangs are the languages the website widget speaks.
var WidgetLangs = []string{"en", "de", "fr", "it"}

// Pre-chat field modes of the visitor's name and e-mail.
const (
	FieldRequired = "required"
	FieldOptional = "optional"
	FieldOff      = "off"
)

// Types of custom pre-chat fields.
const (
	FieldText     = "text"
	FieldEmail    = "email"
	FieldPhone    = "phone"
	FieldChoice   = "choice"
	FieldCheckbox = "checkbox"
)

// Bounds of widget settings.
const (
	MaxPreChatFields = 10
	MaxFieldOptions  = 20
	MaxOptionLen     = 100
	MaxLabelLen      = 200
	MaxWidgetTextLen = 1000
	DefaultFieldLen  = 200
	ConsentFieldKey  = "consent"
	ConsentAccepted  = "accepted"
	CheckboxChecked  = "yes"
	minPhoneDigits   = 3
)

// WidgetSettings are a service's (or a user's) widget settings: the pre-chat
// form and overrides of the widget's texts.
type WidgetSettings struct {
	Name   string         `json:"name"`  // FieldRequired, FieldOptional or FieldOff
	Email  string         `json:"email"` // likewise
	Fields []PreChatField `json:"fields"`
	// Consent is the consent text per language. When any is set, the form
	// shows a consent checkbox that must be ticked; a language without its
	// own text uses the English one, else any.
	Consent map[string]string `json:"consent"`
	// Texts override the widget's texts: language → text key → text.
	Texts map[string]map[string]string `json:"texts"`
}

// PreChatField is a custom field of the pre-chat form.
type PreChatField struct {
	Key       string            `json:"key"`
	Label     map[string]string `json:"label"` // per language
	Type      string            `json:"type"`
	Required  bool              `json:"required"`
	MaxLength int               `json:"maxLength"`         // 1 to MaxFieldValueLen
	Options   []string          `json:"options,omitempty"` // of a choice
}

// LabelIn returns the field's label in lang, else in English, else in the
// first language that has one, else its key.
func (f *PreChatField) LabelIn(lang string) string {
	for _, l := range append([]string{lang, "en"}, WidgetLangs...) {
		if v := f.Label[l]; v != "" {
			return v
		}
	}
	return f.Key
}

var (
	fieldKeyRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]{0,39}$`)
	phoneRE    = regexp.MustCompile(`^\+?[0-9 ()./-]{3,30}$`)
)

// Normalize trims the settings' texts and drops empty ones.
func (w *WidgetSettings) Normalize() {
	trimMap := func(m map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			if v = strings.TrimSpace(v); v != "" {
				out[k] = v
			}
		}
		return out
	}
	w.Consent = trimMap(w.Consent)
	texts := map[string]map[string]string{}
	for lang, m := range w.Texts {
		if m = trimMap(m); len(m) > 0 {
			texts[lang] = m
		}
	}
	w.Texts = texts
	if w.Fields == nil {
		w.Fields = []PreChatField{}
	}
	for i := range w.Fields {
		f := &w.Fields[i]
		f.Key = strings.TrimSpace(f.Key)
		f.Label = trimMap(f.Label)
		if f.MaxLength == 0 {
			f.MaxLength = DefaultFieldLen
		}
		opts := []string{}
		for _, o := range f.Options {
			if o = strings.TrimSpace(o); o != "" {
				opts = append(opts, o)
			}
		}
		f.Options = nil
		if f.Type == FieldChoice {
			f.Options = opts
		}
	}
}

// Validate checks normalized settings. textKeys are the widget's text keys
// that may be overridden. Errors name the bad field.
func (w *WidgetSettings) Validate(textKeys []string) error {
	for what, mode := range map[string]string{"Name": w.Name, "E-mail": w.Email} {
		if mode != FieldRequired && mode != FieldOptional && mode != FieldOff {
			return Errorf(EINVALID, "%s: choose required, optional or off (got %q).", what, mode)
		}
	}
	if len(w.Fields) > MaxPreChatFields {
		return Errorf(EINVALID, "At most %d custom fields are allowed.", MaxPreChatFields)
	}
	seen := map[string]bool{}
	for i, f := range w.Fields {
		at := func(format string, args ...any) error {
			return Errorf(EINVALID, "Custom field %d (%q): "+format, append([]any{i + 1, f.Key}, args...)...)
		}
		switch {
		case !fieldKeyRE.MatchString(f.Key):
			return at("the key must start with a letter and hold at most 40 letters, digits, - or _.")
		case f.Key == ConsentFieldKey || f.Key == "name" || f.Key == "email":
			return at("the key %q is reserved.", f.Key)
		case seen[strings.ToLower(f.Key)]:
			return at("the key is used twice.")
		case !slices.Contains([]string{FieldText, FieldEmail, FieldPhone, FieldChoice, FieldCheckbox}, f.Type):
			return at("the type must be text, email, phone, choice or checkbox (got %q).", f.Type)
		case f.MaxLength < 1 || f.MaxLength > MaxFieldValueLen:
			return at("the maximum length must be 1 to %d.", MaxFieldValueLen)
		case len(f.Label) == 0:
			return at("give it a label in at least one language.")
		case f.Type == FieldChoice && (len(f.Options) < 1 || len(f.Options) > MaxFieldOptions):
			return at("a choice needs 1 to %d options.", MaxFieldOptions)
		}
		seen[strings.ToLower(f.Key)] = true
		if err := checkLangTexts(f.Label, MaxLabelLen, func(lang string) error { return at("the %s label", lang) }); err != nil {
			return err
		}
		opts := map[string]bool{}
		for _, o := range f.Options {
			if utf8.RuneCountInString(o) > MaxOptionLen || opts[o] {
				return at("option %q is too long (at most %d characters) or given twice.", o, MaxOptionLen)
			}
			opts[o] = true
		}
	}
	if err := checkLangTexts(w.Consent, MaxWidgetTextLen, func(lang string) error {
		return Errorf(EINVALID, "Consent text (%s)", lang)
	}); err != nil {
		return err
	}
	for lang, m := range w.Texts {
		if !slices.Contains(WidgetLangs, lang) {
			return Errorf(EINVALID, "Texts: unknown language %q; use en, de, fr or it.", lang)
		}
		for k := range m {
			if !slices.Contains(textKeys, k) {
				return Errorf(EINVALID, "Texts (%s): unknown text key %q.", lang, k)
			}
		}
		for k, v := range m {
			if utf8.RuneCountInString(v) > MaxWidgetTextLen || !utf8.ValidString(v) {
				return Errorf(EINVALID, "Texts (%s): the text %q must be at most %d characters.", lang, k, MaxWidgetTextLen)
			}
		}
	}
	return nil
}

// checkLangTexts checks a text per language: known languages, bounded length.
// what prefixes the error of a bad language.
func checkLangTexts(m map[string]string, max int, what func(lang string) error) error {
	for lang, v := range m {
		if !slices.Contains(WidgetLangs, lang) {
			return Errorf(EINVALID, "Unknown language %q; use en, de, fr or it.", lang)
		}
		if utf8.RuneCountInString(v) > max || !utf8.ValidString(v) {
			return Errorf(EINVALID, "%s must be at most %d characters.", ErrorMessage(what(lang)), max)
		}
	}
	return nil
}

// DefaultWidgetSettings are the settings of a service that has none saved:
// name required, e-mail optional, consent with consent (the default text per
// language), no custom fields, no overrides.
func DefaultWidgetSettings(consent map[string]string) *WidgetSettings {
	return &WidgetSettings{Name: FieldRequired, Email: FieldOptional, Fields: []PreChatField{}, Consent: consent, Texts: map[string]map[string]string{}}
}

// CheckVisitor checks a visitor's pre-chat data against the form: required
// fields, e-mail and phone syntax, lengths, choices; unknown fields are
// refused. It trims the values. Errors name the field.
func (w *WidgetSettings) CheckVisitor(v *Visitor) error {
	if v.Email != "" {
		if _, err := NormalizeEmail(v.Email); err != nil {
			return Errorf(EINVALID, "email: not a valid e-mail address.")
		}
	}
	if err := v.Validate(); err != nil {
		return err
	}
	for _, c := range []struct{ key, mode, val string }{{"name", w.Name, v.Name}, {"email", w.Email, v.Email}} {
		switch {
		case c.mode == FieldRequired && c.val == "":
			return Errorf(EINVALID, "%s: this field is required.", c.key)
		case c.mode == FieldOff && c.val != "":
			return Errorf(EINVALID, "%s: this form does not ask for it.", c.key)
		}
	}
	fields := map[string]string{}
	for k, val := range v.Fields {
		val = strings.TrimSpace(val)
		if k == ConsentFieldKey {
			if len(w.Consent) == 0 || val != ConsentAccepted {
				return Errorf(EINVALID, "%s: unknown field, or not %q.", k, ConsentAccepted)
			}
			fields[k] = val
			continue
		}
		i := slices.IndexFunc(w.Fields, func(f PreChatField) bool { return f.Key == k })
		if i < 0 {
			return Errorf(EINVALID, "%s: unknown field.", k)
		}
		if val != "" {
			fields[k] = val
		}
	}
	if len(w.Consent) > 0 && fields[ConsentFieldKey] == "" {
		return Errorf(EINVALID, "%s: consent is required.", ConsentFieldKey)
	}
	for _, f := range w.Fields {
		val, ok := fields[f.Key]
		switch {
		case !ok && f.Required:
			return Errorf(EINVALID, "%s: this field is required.", f.Key)
		case !ok:
		case utf8.RuneCountInString(val) > f.MaxLength:
			return Errorf(EINVALID, "%s: at most %d characters.", f.Key, f.MaxLength)
		case f.Type == FieldEmail:
			e, err := NormalizeEmail(val)
			if err != nil {
				return Errorf(EINVALID, "%s: not a valid e-mail address.", f.Key)
			}
			fields[f.Key] = e
		case f.Type == FieldPhone && (!phoneRE.MatchString(val) || countDigits(val) < minPhoneDigits):
			return Errorf(EINVALID, "%s: not a valid phone number.", f.Key)
		case f.Type == FieldChoice && !slices.Contains(f.Options, val):
			return Errorf(EINVALID, "%s: choose one of the options.", f.Key)
		case f.Type == FieldCheckbox && val != CheckboxChecked:
			return Errorf(EINVALID, "%s: a checkbox is %q or absent.", f.Key, CheckboxChecked)
		}
	}
	v.Fields = fields
	if len(fields) == 0 {
		v.Fields = nil
	}
	return nil
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}
