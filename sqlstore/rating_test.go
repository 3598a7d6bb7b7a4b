package sqlstore_test

import (
	"strings"
	"testing"

	"github.com/interact-oss/interact"
)

// TestRatings: a task is rated once, after it ended and only if an agent
// took part; an identical resend returns the stored rating, a different
// one is refused, and every refusal leaves the task as it was. The rating
// reads back on the task, the session lists, My Sessions and the transcript.
func TestRatings(t *testing.T) { eachEngine(t, testRatings) }

func testRatings(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	svc := w.service(t, w.adminA, "Rated desk", w.ch, interact.LicenseContactCenter, true)
	s := newSession(t, w.db, w.adminA, svc.ID, "", []string{w.agent.UserID}, w.agent.UserID)
	id := s.task.ID
	good := interact.Rating{Stars: 4, Comment: "  Quick <img src=x onerror=alert(1)> help\r\nthanks  "}

	_, _, err := w.db.RateTask(ctx, id, good)
	wantCode(t, err, interact.ETASKNOTENDED)
	s.end(t, w.db)
	for name, r := range map[string]interact.Rating{
		"no stars":     {Stars: 0},
		"six stars":    {Stars: 6},
		"long comment": {Stars: 3, Comment: strings.Repeat("é", interact.MaxRatingCommentLen+1)},
		"control char": {Stars: 3, Comment: "bell\a"},
	} {
		_, _, err := w.db.RateTask(ctx, id, r)
		wantCode(t, err, interact.EINVALID)
		if task, _ := w.db.Task(ctx, id); task.Rating != nil {
			t.Fatalf("%s: stored %+v", name, task.Rating)
		}
	}
	_, _, err = w.db.RateTask(ctx, "no-such-task", good)
	wantCode(t, err, interact.ENOTFOUND)

	first, created, err := w.db.RateTask(ctx, id, good)
	noErr(t, err)
	if !created || first.Stars != 4 || first.Comment != "Quick <img src=x onerror=alert(1)> help\nthanks" || first.At.IsZero() {
		t.Fatalf("first rating = %+v, created %v", first, created)
	}
	again, created, err := w.db.RateTask(ctx, id, good)
	noErr(t, err)
	if created || !again.At.Equal(first.At) || !again.Same(first) {
		t.Errorf("identical resend = %+v, created %v; want the stored %+v", again, created, first)
	}
	_, _, err = w.db.RateTask(ctx, id, interact.Rating{Stars: 1, Comment: "changed my mind"})
	wantCode(t, err, interact.ERATINGEXISTS)

	task, err := w.db.Task(ctx, id)
	noErr(t, err)
	if !task.Rating.Same(first) || !task.Rating.At.Equal(first.At) {
		t.Errorf("task rating = %+v, want %+v", task.Rating, first)
	}
	sessions, _, err := w.db.Sessions(ctx, w.adminA, interact.SessionFilter{ServiceID: svc.ID})
	noErr(t, err)
	if len(sessions) != 1 || !sessions[0].Rating.Same(first) {
		t.Errorf("sessions = %+v, want the rating", sessions)
	}
	mine, _, err := w.db.AgentOffers(ctx, w.agent, interact.AgentSessionFilter{})
	noErr(t, err)
	if len(mine) != 1 || !mine[0].Rating.Same(first) {
		t.Errorf("my sessions = %+v, want the rating", mine)
	}
	tr, err := w.db.Transcript(ctx, w.adminA, id)
	noErr(t, err)
	if !tr.Session.Rating.Same(first) {
		t.Errorf("transcript rating = %+v", tr.Session.Rating)
	}

	// No agent ever took part: nothing to rate.
	lone := newSession(t, w.db, w.adminA, svc.ID, "", nil)
	lone.end(t, w.db)
	_, _, err = w.db.RateTask(ctx, lone.task.ID, good)
	wantCode(t, err, interact.ENOTRATEABLE)
}

// TestRatingsSetting: ratings are on for a new service, switch off and on
// per service, and the change is audited.
func TestRatingsSetting(t *testing.T) { eachEngine(t, testRatingsSetting) }

func testRatingsSetting(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	w.setInteract(t, w.adminA, true)
	svc := w.service(t, w.adminA, "Survey desk", w.ch, interact.LicenseContactCenter, true)
	st, err := w.db.Interact(ctx, w.adminA, interact.OwnerService, svc.ID)
	noErr(t, err)
	if !st.Ratings {
		t.Fatal("a new service does not ask for ratings")
	}
	_, err = w.db.UpdateInteract(ctx, w.adminA, interact.OwnerService, svc.ID, interact.InteractUpdate{Ratings: ptr(false)})
	noErr(t, err)
	c, err := w.db.ContactByID(ctx, "", st.ContactID)
	noErr(t, err)
	if c.Settings.Ratings {
		t.Error("the contact still asks for ratings after they were switched off")
	}
	entries, _, err := w.db.AuditEntries(ctx, w.adminA, interact.AuditFilter{EntityID: svc.ID, Action: "interact.update"})
	noErr(t, err)
	if len(entries) != 1 || !strings.Contains(string(entries[0].After), `"ratings":false`) {
		t.Errorf("audit = %+v, want the switch", entries)
	}
}
