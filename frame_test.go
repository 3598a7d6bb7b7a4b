package interact_test

import (
	"encoding/json"
	"testing"

	"github.com/interact-oss/interact"
)

// EncodeFrame writes what encoding/json makes of {"type","id","data"}
// (id and data omitted when empty), with the type first.
func TestEncodeFrame(t *testing.T) {
	type shape struct {
		Type string `json:"type"`
		ID   string `json:"id,omitempty"`
		Data any    `json:"data,omitempty"`
	}
	for _, tc := range []struct {
		typ, id string
		data    any
	}{
		{"message", "", interact.Message{TaskID: "t1", Seq: 3, Text: "<b>hi</b> & \"you\""}},
		{"ok", "f1", nil},
		{"task.queue", "", map[string]int{"position": 2}},
		{"odd\"type<>", "id\\x", []string{"a"}},
	} {
		got, err := interact.EncodeFrame(tc.typ, tc.id, tc.data)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(shape{tc.typ, tc.id, tc.data})
		if string(got) != string(want) {
			t.Errorf("EncodeFrame(%q) = %s, want %s", tc.typ, got, want)
		}
		if tc.typ != "odd\"type<>" && !interact.FrameIs(got, tc.typ) { // FrameIs knows plain types only
			t.Errorf("FrameIs(%s, %q) = false", got, tc.typ)
		}
	}
	if _, err := interact.EncodeFrame("x", "", func() {}); err == nil {
		t.Error("EncodeFrame accepted data JSON cannot encode")
	}
}

func TestFrameIs(t *testing.T) {
	f, _ := interact.EncodeFrame("task.state", "", map[string]string{"type": "message"})
	for typ, want := range map[string]bool{"task.state": true, "task": false, "task.stat": false, "message": false, "task.state2": false} {
		if got := interact.FrameIs(f, typ); got != want {
			t.Errorf("FrameIs(%s, %q) = %v, want %v", f, typ, got, want)
		}
	}
	if !interact.FrameTypeHasPrefix(f, "task.") || interact.FrameTypeHasPrefix(f, "agent.") {
		t.Errorf("FrameTypeHasPrefix wrong for %s", f)
	}
	if interact.FrameIs([]byte(`{"id":"x","type":"message"}`), "message") {
		t.Error("FrameIs matched a frame whose type is not first")
	}
}

// The hand-made queue frame is the bytes EncodeFrame makes.
func TestQueuePositionFrame(t *testing.T) {
	want, _ := interact.EncodeFrame("task.queue", "", map[string]int{"estimatedWaitSeconds": 60, "position": 12345})
	if got := interact.QueuePositionFrame(12345, 60); string(got) != string(want) {
		t.Errorf("QueuePositionFrame = %s, want %s", got, want)
	}
}

func TestTenantChangedSubject(t *testing.T) {
	s := interact.TenantChangedSubject("01abc")
	if !interact.SubjectMatch(interact.TenantChangedPattern, s) || interact.TenantOfChange(s) != "01abc" {
		t.Errorf("subject %q: pattern match or tenant wrong", s)
	}
}
