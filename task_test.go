package interact

import (
	"strings"
	"testing"
)

// Control characters in messages: refused (invalid_input), except tab and
// line feed; carriage returns become line feeds.
func TestValidateMessageControlCharacters(t *testing.T) {
	for _, c := range []struct {
		what, text, want string // want "" means refused
	}{
		{"plain", "Hello", "Hello"},
		{"tab and line feed kept", "a\tb\nc", "a\tb\nc"},
		{"CRLF becomes LF", "line 1\r\nline 2\r\n", "line 1\nline 2"},
		{"lone CR becomes LF", "a\rb", "a\nb"},
		{"CR CR LF", "a\r\r\nb", "a\n\nb"},
		{"non-ASCII kept", "Grüezi 👋 ✓", "Grüezi 👋 ✓"},
		{"line and paragraph separators kept", "a\u2028b\u2029c", "a\u2028b\u2029c"},
		{"NUL", "a\x00b", ""},
		{"leading NUL", "\x00hello", ""},
		{"trailing NUL", "hello\x00", ""},
		{"only NUL", "\x00", ""},
		{"bell", "ding\x07", ""},
		{"backspace", "ab\bc", ""},
		{"vertical tab", "a\vb", ""},
		{"form feed", "a\fb", ""},
		{"escape (terminal sequences)", "\x1b[31mred", ""},
		{"unit separator", "a\x1fb", ""},
		{"DEL", "a\x7fb", ""},
		{"C1 NEL", "a\u0085b", ""},
		{"C1 CSI", "a\u009bb", ""},
		{"not UTF-8", "a\xffb", ""},
	} {
		got, err := ValidateMessage(c.text, "c1")
		switch {
		case c.want == "" && err == nil:
			t.Errorf("%s: %q accepted as %q", c.what, c.text, got)
		case c.want == "" && ErrorCode(err) != EINVALID:
			t.Errorf("%s: %v, want invalid_input", c.what, err)
		case c.want != "" && err != nil:
			t.Errorf("%s: %q refused: %v", c.what, c.text, err)
		case c.want != "" && got != c.want:
			t.Errorf("%s: %q became %q, want %q", c.what, c.text, got, c.want)
		}
	}
	if _, err := ValidateMessage("hi", "c\x00"); ErrorCode(err) != EINVALID {
		t.Errorf("client id with NUL: %v", err)
	}
	if _, err := ValidateMessage("hi", "c\n1"); ErrorCode(err) != EINVALID {
		t.Errorf("client id with a line feed: %v", err)
	}
	// Normalised before the length is counted: 4000 CRLF-separated
	// characters fit.
	if _, err := ValidateMessage("a"+strings.Repeat("\r\na", 1999), "c1"); err != nil {
		t.Errorf("2000 lines of CRLF: %v", err)
	}
}

// Control characters in what the visitor tells agents: refused in the
// name, e-mail address and keys (single-line), refused in values except
// tab and line breaks; carriage returns in values become line feeds.
func TestVisitorValidateControlCharacters(t *testing.T) {
	for _, c := range []struct {
		what  string
		v     Visitor
		ok    bool
		check func(Visitor) bool
	}{
		{"plain", Visitor{Name: "Vera Muster", Email: "v@example.com", Fields: map[string]string{"order": "A-7"}}, true, nil},
		{"NUL in the name", Visitor{Name: "Vera\x00"}, false, nil},
		{"escape in the name", Visitor{Name: "\x1b[2JVera"}, false, nil},
		{"line feed in the name", Visitor{Name: "Vera\nAdmin"}, false, nil},
		{"tab in the name", Visitor{Name: "Vera\tM"}, false, nil},
		{"CR in the name", Visitor{Name: "Vera\rM"}, false, nil},
		{"DEL in the name", Visitor{Name: "Ve\x7fra"}, false, nil},
		{"C1 in the name", Visitor{Name: "Ve\u0085ra"}, false, nil},
		{"NUL in the e-mail", Visitor{Email: "v\x00@example.com"}, false, nil},
		{"NUL in a field value", Visitor{Fields: map[string]string{"order": "A\x00"}}, false, nil},
		{"bell in a context value", Visitor{Context: map[string]string{"page": "/x\x07"}}, false, nil},
		{"NUL in a field key", Visitor{Fields: map[string]string{"or\x00der": "A"}}, false, nil},
		{"line feed in a context key", Visitor{Context: map[string]string{"pa\nge": "/"}}, false, nil},
		{"tab and line feed in a value", Visitor{Context: map[string]string{"cart": "1\tshoe\n2\tsocks"}}, true,
			func(v Visitor) bool { return v.Context["cart"] == "1\tshoe\n2\tsocks" }},
		{"CRLF in a value", Visitor{Fields: map[string]string{"note": "a\r\nb\rc"}}, true,
			func(v Visitor) bool { return v.Fields["note"] == "a\nb\nc" }},
	} {
		v := c.v
		err := v.Validate()
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: refused: %v", c.what, err)
		case !c.ok && err == nil:
			t.Errorf("%s: accepted as %+v", c.what, v)
		case !c.ok && ErrorCode(err) != EINVALID:
			t.Errorf("%s: %v, want invalid_input", c.what, err)
		case c.check != nil && !c.check(v):
			t.Errorf("%s: became %+v", c.what, v)
		}
	}
	// Through the pre-chat form too (it validates the visitor first).
	w := DefaultWidgetSettings(nil)
	if err := w.CheckVisitor(&Visitor{Name: "Vera\x00"}); ErrorCode(err) != EINVALID {
		t.Errorf("pre-chat form, NUL in the name: %v", err)
	}
}
