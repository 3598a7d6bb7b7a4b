package interact

import (
	"maps"
	"strings"
	"testing"
)

func TestWidgetSettingsValidate(t *testing.T) {
	keys := []string{"start", "errors.capacity_reached"}
	good := func() WidgetSettings {
		return WidgetSettings{Name: FieldRequired, Email: FieldOff,
			Fields: []PreChatField{
				{Key: "order", Label: map[string]string{"en": " Order "}, Type: FieldText},
				{Key: "topic", Label: map[string]string{"de": "Thema"}, Type: FieldChoice, Options: []string{" A ", "", "B"}},
			},
			Consent: map[string]string{"en": " I agree. ", "fr": "  "},
			Texts:   map[string]map[string]string{"de": {"start": " Los "}, "it": {"start": " "}},
		}
	}
	w := good()
	w.Normalize()
	if err := w.Validate(keys); err != nil {
		t.Fatalf("good settings: %v", err)
	}
	if w.Fields[0].MaxLength != DefaultFieldLen || w.Fields[0].Label["en"] != "Order" || len(w.Fields[1].Options) != 2 ||
		!maps.Equal(w.Consent, map[string]string{"en": "I agree."}) || len(w.Texts) != 1 || w.Texts["de"]["start"] != "Los" {
		t.Fatalf("normalized: %+v", w)
	}
	for _, c := range []struct {
		change func(*WidgetSettings)
		want   string
	}{
		{func(w *WidgetSettings) { w.Email = "sometimes" }, `E-mail: choose required, optional or off (got "sometimes").`},
		{func(w *WidgetSettings) { w.Fields[1].Key = "Order" }, `Custom field 2 ("Order"): the key is used twice.`},
		{func(w *WidgetSettings) { w.Fields[0].Key = "name" }, `Custom field 1 ("name"): the key "name" is reserved.`},
		{func(w *WidgetSettings) { w.Fields[0].Key = "a b" }, `Custom field 1 ("a b"): the key must start with a letter`},
		{func(w *WidgetSettings) { w.Fields[0].MaxLength = MaxFieldValueLen + 1 }, `Custom field 1 ("order"): the maximum length must be 1 to 1000.`},
		{func(w *WidgetSettings) { w.Fields[0].Label = map[string]string{"es": "Pedido"} }, `Unknown language "es"`},
		{func(w *WidgetSettings) { w.Fields[1].Options = []string{"A", "A"} }, `Custom field 2 ("topic"): option "A" is too long (at most 100 characters) or given twice.`},
		{func(w *WidgetSettings) { w.Fields[1].Options = nil }, `Custom field 2 ("topic"): a choice needs 1 to 20 options.`},
		{func(w *WidgetSettings) { w.Consent["it"] = strings.Repeat("x", MaxWidgetTextLen+1) }, `Consent text (it) must be at most 1000 characters.`},
		{func(w *WidgetSettings) { w.Texts["de"]["nope"] = "x" }, `Texts (de): unknown text key "nope".`},
		{func(w *WidgetSettings) { w.Texts["es"] = map[string]string{"start": "x"} }, `Texts: unknown language "es"`},
		{func(w *WidgetSettings) {
			for len(w.Fields) <= MaxPreChatFields {
				w.Fields = append(w.Fields, w.Fields[0])
			}
		}, `At most 10 custom fields are allowed.`},
	} {
		w := good()
		w.Normalize()
		c.change(&w)
		err := w.Validate(keys)
		if ErrorCode(err) != EINVALID || !strings.Contains(ErrorMessage(err), c.want) {
			t.Errorf("got %v, want invalid_input %q", err, c.want)
		}
	}
}

func TestWidgetSettingsCheckVisitor(t *testing.T) {
	w := WidgetSettings{Name: FieldOptional, Email: FieldRequired, Consent: map[string]string{"en": "OK?"},
		Fields: []PreChatField{
			{Key: "mail2", Type: FieldEmail, MaxLength: 50},
			{Key: "tel", Type: FieldPhone, MaxLength: 30, Required: true},
			{Key: "news", Type: FieldCheckbox, MaxLength: 10},
		}}
	v := Visitor{Email: " Ann@Example.COM ", Fields: map[string]string{"consent": "accepted", "tel": " +1 (555) 010-20 ", "mail2": "B@Example.com", "news": ""}}
	if err := w.CheckVisitor(&v); err != nil {
		t.Fatal(err)
	}
	if v.Email != "ann@example.com" || v.Fields["tel"] != "+1 (555) 010-20" || v.Fields["mail2"] != "b@example.com" || len(v.Fields) != 3 {
		t.Fatalf("checked visitor: %+v", v)
	}
	base := func() Visitor {
		return Visitor{Email: "a@example.com", Fields: map[string]string{"consent": "accepted", "tel": "555 0100"}}
	}
	for _, c := range []struct {
		change func(*Visitor)
		want   string
	}{
		{func(v *Visitor) { v.Email = "" }, "email: this field is required."},
		{func(v *Visitor) { v.Email = "a@" }, "email: not a valid e-mail address."},
		{func(v *Visitor) { v.Fields["mail2"] = "nope" }, "mail2: not a valid e-mail address."},
		{func(v *Visitor) { v.Fields["tel"] = "12" }, "tel: not a valid phone number."},
		{func(v *Visitor) { v.Fields["tel"] = "" }, "tel: this field is required."},
		{func(v *Visitor) { v.Fields["news"] = "true" }, `news: a checkbox is "yes" or absent.`},
		{func(v *Visitor) { v.Fields["consent"] = "yes" }, `consent: unknown field, or not "accepted".`},
		{func(v *Visitor) { delete(v.Fields, "consent") }, "consent: consent is required."},
		{func(v *Visitor) { v.Fields["x"] = "1" }, "x: unknown field."},
		{func(v *Visitor) { v.Fields["mail2"] = strings.Repeat("a", 46) + "@b.ch" }, "mail2: at most 50 characters."},
	} {
		v := base()
		c.change(&v)
		err := w.CheckVisitor(&v)
		if ErrorCode(err) != EINVALID || ErrorMessage(err) != c.want {
			t.Errorf("got %v, want invalid_input %q", err, c.want)
		}
	}
	off := WidgetSettings{Name: FieldOff, Email: FieldOptional}
	if err := off.CheckVisitor(&Visitor{Name: "Bob"}); ErrorMessage(err) != "name: this form does not ask for it." {
		t.Errorf("a name the form does not ask for: %v", err)
	}
}

func TestPreChatFieldLabelIn(t *testing.T) {
	for _, c := range []struct {
		label      map[string]string
		lang, want string
	}{
		{map[string]string{"en": "Order", "de": "Bestellung"}, "de", "Bestellung"},
		{map[string]string{"en": "Order", "de": "Bestellung"}, "fr", "Order"},
		{map[string]string{"en": "Order", "de": "Bestellung"}, "", "Order"},
		{map[string]string{"it": "Ordine", "fr": "Commande"}, "de", "Commande"}, // no English: the first language that has one
		{map[string]string{}, "de", "order"},
	} {
		f := PreChatField{Key: "order", Label: c.label}
		if got := f.LabelIn(c.lang); got != c.want {
			t.Errorf("label %v in %q: %q, want %q", c.label, c.lang, got, c.want)
		}
	}
}
