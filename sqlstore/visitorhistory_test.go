package sqlstore_test

import (
	"testing"

	"github.com/interact-oss/interact"
)

// TestVisitorHistory: the agent holding a task lists its visitor's earlier
// conversations in the tenant — those they may not read without the rating
// comment — and nobody else's; the visitor's own previous conversation
// comes only from the same contact and key, without events.
func TestVisitorHistory(t *testing.T) { eachEngine(t, testVisitorHistory) }

func testVisitorHistory(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	lic := interact.Licenses{ContactCenter: true, InstantMessaging: true}
	desk := w.service(t, w.adminA, "Zurich desk", w.ch, interact.LicenseContactCenter, true)
	tokyo := w.service(t, w.adminA, "Tokyo desk", w.apac, interact.LicenseContactCenter, true)
	bob := w.user(t, w.adminA, "bob", w.apac, lic)
	key := interact.VisitorKey("c-"+desk.ID, "https://shop.example.test", "AAAAAAAAAAAAAAAAAAAAAA")
	agent := w.agent.UserID

	mine := newVisitorSession(t, w.db, w.adminA, desk.ID, "", key, []string{agent}, agent)
	appendAll(t, w.db, interact.Message{TaskID: mine.task.ID, ClientID: "v1", From: interact.FromVisitor, Text: "My first question", At: mine.task.CreatedAt},
		interact.Message{TaskID: mine.task.ID, ClientID: "e1", From: interact.FromSystem, At: mine.task.CreatedAt,
			Event: &interact.TaskEvent{Type: interact.EventCallStarted, CallID: "c1", Modality: interact.ModalityAudio, By: interact.ByVisitor}})
	mine.end(t, w.db)
	_, _, err := w.db.RateTask(ctx, mine.task.ID, interact.Rating{Stars: 5, Comment: "Anna was great"})
	noErr(t, err)
	theirs := newVisitorSession(t, w.db, w.adminA, tokyo.ID, "", key, []string{bob.ID}, bob.ID)
	theirs.end(t, w.db)
	_, _, err = w.db.RateTask(ctx, theirs.task.ID, interact.Rating{Stars: 2, Comment: "private words"})
	noErr(t, err)
	newVisitorSession(t, w.db, w.adminA, desk.ID, "", "another browser", []string{agent}, agent).end(t, w.db)
	newVisitorSession(t, w.db, w.adminB, "", "", key, nil).end(t, w.db) // another tenant, the same key
	current := newVisitorSession(t, w.db, w.adminA, desk.ID, "", key, []string{agent}, agent)

	got, err := w.db.EarlierSessions(ctx, w.agent, current.task.ID)
	noErr(t, err)
	if len(got) != 2 || got[0].ID != theirs.task.ID || got[1].ID != mine.task.ID {
		t.Fatalf("earlier sessions = %+v, want Tokyo's then the agent's own", got)
	}
	if g := got[1]; !g.TranscriptReadable || g.ServiceName != "Zurich desk" || g.Outcome != interact.OutcomeHandled ||
		g.Rating == nil || g.Rating.Stars != 5 || g.Rating.Comment != "Anna was great" || len(g.Agents) != 1 {
		t.Errorf("the agent's own earlier session = %+v", g)
	}
	if g := got[0]; g.TranscriptReadable || g.ServiceName != "Tokyo desk" || g.Rating == nil || g.Rating.Stars != 2 ||
		g.Rating.Comment != "" || len(g.Agents) != 1 || g.Agents[0] != bob.Name {
		t.Errorf("an earlier session the agent may not read = %+v (want no comment, no transcript)", g)
	}
	admin, err := w.db.EarlierSessions(ctx, w.adminA, current.task.ID)
	noErr(t, err)
	if len(admin) != 2 || !admin[0].TranscriptReadable || admin[0].Rating.Comment != "private words" {
		t.Errorf("the tenant admin's list = %+v", admin)
	}
	bobsView := interact.Actor{UserID: bob.ID, TenantID: w.a.ID}
	for _, a := range []interact.Actor{bobsView, w.adminB} { // an agent outside the task's service, another tenant's admin
		_, err := w.db.EarlierSessions(ctx, a, current.task.ID)
		wantCode(t, err, interact.ENOTFOUND)
	}
	anon := newSession(t, w.db, w.adminA, desk.ID, "", []string{agent}, agent)
	if none, err := w.db.EarlierSessions(ctx, w.agent, anon.task.ID); err != nil || len(none) != 0 {
		t.Errorf("a task without a visitor key: %v %v", none, err)
	}

	prev, err := w.db.PreviousConversation(ctx, current.task.ID)
	noErr(t, err)
	if prev.TaskID != mine.task.ID || len(prev.Items) != 1 || prev.Items[0].Text != "My first question" {
		t.Errorf("previous conversation = %+v, want the same contact's, without events", prev)
	}
	_, err = w.db.PreviousConversation(ctx, mine.task.ID)
	wantCode(t, err, interact.ENOTFOUND)
	_, err = w.db.PreviousConversation(ctx, anon.task.ID)
	wantCode(t, err, interact.ENOTFOUND)
}
