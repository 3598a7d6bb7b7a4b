package routing

import (
	"testing"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/chatlog"
)

type capture struct{ subjects, frames []string }

func (c *capture) Publish(subject string, data []byte) error {
	c.subjects = append(c.subjects, subject)
	c.frames = append(c.frames, string(data))
	return nil
}

// The hand-encoded task.queue events are the JSON that publish makes.
func TestPositionEncoding(t *testing.T) {
	pub := &capture{}
	e := New(Config{Transcript: chatlog.New(nil, pub, nil)}, nil, pub)
	e.publishPositions([]position{{"t1", 1, 60}, {"t2", 12345, 0}})
	for i, want := range []map[string]int{{"position": 1, "estimatedWaitSeconds": 60}, {"position": 12345, "estimatedWaitSeconds": 0}} {
		b, _ := interact.EncodeFrame("task.queue", "", want)
		if pub.frames[i] != string(b) || pub.subjects[i] != interact.TaskSubject([]string{"t1", "t2"}[i]) {
			t.Errorf("event %d: %s %s, want %s", i, pub.subjects[i], pub.frames[i], b)
		}
	}
}
