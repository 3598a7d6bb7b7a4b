package interact

import "testing"

func TestSubjectMatch(t *testing.T) {
	for _, c := range []struct {
		pattern, subject string
		want             bool
	}{
		{"task.a", "task.a", true},
		{"task.a", "task.b", false},
		{"task.a", "task.a.b", false},
		{"task.*", "task.a", true},
		{"task.*", "task.a.b", false},
		{"task.*.msg", "task.a.msg", true},
		{"task.>", "task.a.b", true},
		{"task.>", "task", false},
		{">", "anything.at.all", true},
		{"task.a.b", "task.a", false},
	} {
		if got := SubjectMatch(c.pattern, c.subject); got != c.want {
			t.Errorf("SubjectMatch(%q, %q) = %v, want %v", c.pattern, c.subject, got, c.want)
		}
	}
}
