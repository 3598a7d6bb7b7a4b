package sqlstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
)

// session is a task of a service (or a direct contact) with offers, for
// transcript tests.
type session struct {
	task   *interact.Task
	offers []*interact.Offer
}

// newSession creates a waiting chat task of service svc (or, with svc "",
// a direct contact of user direct) in the admin's tenant, with offers to
// agents: those in accepted accepted them, in order.
func newSession(t testing.TB, db *sqlstore.DB, admin interact.Actor, svc, direct string, offered []string, accepted ...string) *session {
	t.Helper()
	return newVisitorSession(t, db, admin, svc, direct, "", offered, accepted...)
}

// newVisitorSession is newSession for the browser whose visitor key is key.
func newVisitorSession(t testing.TB, db *sqlstore.DB, admin interact.Actor, svc, direct, key string, offered []string, accepted ...string) *session {
	t.Helper()
	ctx := t.Context()
	now := time.UnixMilli(time.Now().UnixMilli()).UTC()
	task := &interact.Task{ID: interact.NewID(), TenantID: admin.TenantID, ServiceID: svc, DirectUserID: direct, ContactID: "c-" + svc + direct,
		Modality: interact.ModalityChat, State: interact.TaskWaiting, QueueSeq: 1, CreatedAt: now, QueuedAt: now,
		Visitor: interact.Visitor{Name: "Vera Visitor", Email: "vera@example.test"}, Origin: "https://shop.example.test", VisitorKey: key}
	if err := db.CreateTask(ctx, task, ""); err != nil {
		t.Fatalf("create task: %v", err)
	}
	s := &session{task: task}
	for _, id := range offered {
		o := &interact.Offer{ID: interact.NewID(), TenantID: admin.TenantID, TaskID: task.ID, ServiceID: svc, AgentID: id,
			Modality: interact.ModalityChat, OfferedAt: now, EndedAt: &now, Outcome: interact.OfferDeclined}
		for _, a := range accepted {
			if a == id {
				o.AnsweredAt, o.Outcome = &now, interact.OfferAccepted
				task.State, task.AgentID, task.ConnectedAt = interact.TaskConnected, id, &now
			}
		}
		s.offers = append(s.offers, o)
	}
	if err := db.SaveRouting(ctx, []*interact.Task{task}, s.offers); err != nil {
		t.Fatalf("save routing: %v", err)
	}
	return s
}

// end ends the session's task as handled.
func (s *session) end(t testing.TB, db *sqlstore.DB) {
	t.Helper()
	now := time.UnixMilli(time.Now().UnixMilli()).UTC()
	s.task.State, s.task.Outcome, s.task.EndedAt = interact.TaskEnded, interact.OutcomeHandled, &now
	if err := db.SaveRouting(t.Context(), []*interact.Task{s.task}, nil); err != nil {
		t.Fatalf("end task: %v", err)
	}
}

func appendAll(t testing.TB, db *sqlstore.DB, msgs ...interact.Message) []interact.Message {
	t.Helper()
	var out []interact.Message
	for _, m := range msgs {
		stored, _, err := db.AppendMessage(t.Context(), m)
		if err != nil {
			t.Fatalf("append %+v: %v", m, err)
		}
		out = append(out, stored)
	}
	return out
}

// TestTranscriptOrder: a transcript holds the messages, system messages and
// call events of its session interleaved in sequence order, each with its
// author; a session still open has none yet.
func TestTranscriptOrder(t *testing.T) { eachEngine(t, testTranscriptOrder) }

func testTranscriptOrder(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	svc := w.service(t, w.adminA, "Zurich desk", w.ch, interact.LicenseContactCenter, true)
	anna := w.user(t, w.adminA, "anna", w.ch, interact.Licenses{ContactCenter: true, InstantMessaging: true})
	_, err := w.db.UpdateUser(ctx, w.adminA, anna.ID, interact.UserUpdate{Name: ptr("Anna Agent")})
	noErr(t, err)
	s := newSession(t, w.db, w.adminA, svc.ID, "", []string{anna.ID}, anna.ID)
	id := s.task.ID
	at := time.UnixMilli(time.Now().UnixMilli()).UTC()
	sys := func(text string, e *interact.TaskEvent) interact.Message {
		return interact.Message{TaskID: id, ClientID: "sys-" + interact.NewID(), From: interact.FromSystem, Text: text, Event: e, At: at}
	}
	call := func(typ string, m, from interact.Modality, by string) *interact.TaskEvent {
		return &interact.TaskEvent{Type: typ, CallID: "call-1", Modality: m, From: from, By: by}
	}
	stored := appendAll(t, w.db,
		sys("Hello Vera, thanks for contacting Zurich desk.", nil),
		interact.Message{TaskID: id, ClientID: "v1", From: interact.FromVisitor, Text: "My order is late.", At: at},
		sys("Anna has joined the chat.", nil),
		interact.Message{TaskID: id, ClientID: "a1", From: interact.FromAgent, AgentID: anna.ID, Name: "Anna from Support", Text: "Let me call you.", At: at},
		sys("", call(interact.EventCallStarted, interact.ModalityAudio, "", anna.ID)),
		sys("", call(interact.EventCallConnected, interact.ModalityAudio, "", anna.ID)),
		sys("", call(interact.EventCallModality, interact.ModalityVideo, interact.ModalityAudio, interact.ByVisitor)),
		interact.Message{TaskID: id, ClientID: "v2", From: interact.FromVisitor, Text: "Can you see the parcel?", At: at},
		sys("", &interact.TaskEvent{Type: interact.EventCallEnded, CallID: "call-1", Modality: interact.ModalityVideo, By: interact.ByVisitor, Connected: true, DurationMS: 93000}),
	)
	_, err = w.db.Transcript(ctx, w.adminA, id)
	wantCode(t, err, interact.ECONFLICT)

	s.end(t, w.db)
	stored = append(stored, appendAll(t, w.db, sys("The chat has ended. Thank you!", nil))...)
	got, err := w.db.Transcript(ctx, w.adminA, id)
	noErr(t, err)

	type entry struct {
		Seq                  int64
		Kind, Name, ID, Text string
		Event                string
	}
	var entries []entry
	for _, e := range got.Entries {
		x := entry{e.Seq, e.AuthorKind, e.AuthorName, e.AuthorID, e.Text, ""}
		if e.Event != nil {
			x.Event = fmt.Sprintf("%s %s<-%s %v/%d", e.Event.Type, e.Event.Modality, e.Event.From, e.Event.Connected, e.Event.DurationMS)
		}
		entries = append(entries, x)
	}
	desk, v := "Zurich desk", "Vera Visitor"
	want := []entry{
		{1, "system", desk, "", "Hello Vera, thanks for contacting Zurich desk.", ""},
		{2, "visitor", v, "", "My order is late.", ""},
		{3, "system", desk, "", "Anna has joined the chat.", ""},
		{4, "agent", "Anna Agent", anna.ID, "Let me call you.", ""}, // the user's name, not the name the visitor saw
		{5, "agent", "Anna Agent", anna.ID, "", "call.started audio<- false/0"},
		{6, "agent", "Anna Agent", anna.ID, "", "call.connected audio<- false/0"},
		{7, "visitor", v, "", "", "call.modality video<-audio false/0"},
		{8, "visitor", v, "", "Can you see the parcel?", ""},
		{9, "visitor", v, "", "", "call.ended video<- true/93000"},
		{10, "system", desk, "", "The chat has ended. Thank you!", ""},
	}
	if diff := cmp.Diff(want, entries); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	for i, e := range got.Entries {
		if !e.At.Equal(stored[i].At) {
			t.Errorf("entry %d at %v, want %v", i, e.At, stored[i].At)
		}
	}
	ss := got.Session
	if ss.ID != id || ss.ServiceName != desk || ss.State != interact.TaskEnded || ss.Outcome != interact.OutcomeHandled ||
		ss.Visitor.Name != v || ss.EndedAt == nil || ss.ConnectedAt == nil {
		t.Errorf("session %+v", ss)
	}
	if diff := cmp.Diff([]interact.TranscriptAgent{{ID: anna.ID, Name: "Anna Agent"}}, ss.Agents); diff != "" {
		t.Errorf("agents (-want +got):\n%s", diff)
	}

	// The events, on their own, are what a restarted engine reads.
	events, err := w.db.TaskEvents(ctx, []string{id, "no-such-task"})
	noErr(t, err)
	if n := len(events[id]); n != 4 || len(events) != 1 {
		t.Fatalf("task events: %d of the task, %d tasks", n, len(events))
	}
	if _, open := interact.OpenCall(events[id]); open {
		t.Error("the ended call is open")
	}
	if c, open := interact.OpenCall(events[id][:3]); !open || c.Modality != interact.ModalityVideo || c.ConnectedAt.IsZero() {
		t.Errorf("open call before its end: %+v %v", c, open)
	}
}

// TestTranscriptScope: who may read a transcript. Everyone out of scope —
// another tenant, another OU, another service, an agent who only declined
// it — gets not_found, as for an unknown id, and nothing changes.
func TestTranscriptScope(t *testing.T) { eachEngine(t, testTranscriptScope) }

func testTranscriptScope(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := t.Context()
	lic := interact.Licenses{ContactCenter: true, InstantMessaging: true}
	svcCH := w.service(t, w.adminA, "Zurich desk", w.ch, interact.LicenseContactCenter, true)
	svcAPAC := w.service(t, w.adminA, "Tokyo desk", w.apac, interact.LicenseContactCenter, true)
	svcEMEA := w.service(t, w.adminA, "EMEA desk", w.emea, interact.LicenseContactCenter, true)
	handler := w.user(t, w.adminA, "handler", w.ch, lic)   // handled it, not a member
	decliner := w.user(t, w.adminA, "decliner", w.ch, lic) // declined it, not a member
	tokyo := w.user(t, w.adminA, "tokyo-agent", w.apac, lic)
	direct := w.user(t, w.adminA, "direct", w.de, lic)
	for _, m := range []struct{ svc, user string }{{svcCH.ID, w.agent.UserID}, {svcAPAC.ID, tokyo.ID}} {
		_, err := w.db.PutMember(ctx, w.adminA, m.svc, m.user, false) // inactive members are members too
		noErr(t, err)
	}
	actor := func(name, ou string, roles ...interact.Role) interact.Actor {
		return actorOf(w.user(t, w.adminA, name, ou, lic, roles...))
	}
	owner := actor("ch-owner", w.apac, serviceOwner(svcCH.ID))
	tokyoOwner := actor("tokyo-owner", w.apac, serviceOwner(svcAPAC.ID))
	chAdmin := actor("ch-admin", w.ch, ouAdmin(w.ch))
	deAdmin := actor("de-admin", w.de, ouAdmin(w.de))
	apacAdmin := actor("apac-admin", w.apac, ouAdmin(w.apac))

	chat := newSession(t, w.db, w.adminA, svcCH.ID, "", []string{decliner.ID, handler.ID}, handler.ID)
	chat.end(t, w.db)
	emea := newSession(t, w.db, w.adminA, svcEMEA.ID, "", nil)
	emea.end(t, w.db)
	dc := newSession(t, w.db, w.adminA, "", direct.ID, []string{direct.ID})
	dc.end(t, w.db)
	other := newSession(t, w.db, w.adminB, "", w.adminB.UserID, nil)
	other.end(t, w.db)

	may := []struct {
		name string
		a    interact.Actor
		ids  []string
	}{
		{"tenant admin", w.adminA, []string{chat.task.ID, emea.task.ID, dc.task.ID}},
		{"OU admin above", w.emeaAdmin, []string{chat.task.ID, emea.task.ID, dc.task.ID}},
		{"OU admin of the service's OU", chAdmin, []string{chat.task.ID}},
		{"OU admin of the direct user's OU", deAdmin, []string{dc.task.ID}},
		{"service owner", owner, []string{chat.task.ID}},
		{"member", w.agent, []string{chat.task.ID}},
		{"agent who handled it", actorOf(handler), []string{chat.task.ID}},
		{"user of the direct contact", actorOf(direct), []string{dc.task.ID}},
		{"the other tenant's admin", w.adminB, []string{other.task.ID}},
	}
	for _, c := range may {
		for _, id := range c.ids {
			tr, err := w.db.Transcript(ctx, c.a, id)
			if err != nil || tr.Session.ID != id {
				t.Errorf("%s reads %s: %v", c.name, id, err)
			}
		}
	}

	// Session lists say the same, per session.
	for _, c := range []struct {
		name string
		a    interact.Actor
		ids  []string
	}{
		{"tenant admin", w.adminA, []string{chat.task.ID, emea.task.ID, dc.task.ID}},
		{"OU admin above", w.emeaAdmin, []string{chat.task.ID, emea.task.ID, dc.task.ID}},
		{"OU admin of the service's OU", chAdmin, []string{chat.task.ID}}, // lists the EMEA desk's too (read up)
		{"service owner", owner, []string{chat.task.ID}},
	} {
		list, _, err := w.db.Sessions(ctx, c.a, interact.SessionFilter{})
		noErr(t, err)
		var readable []string
		for _, s := range list {
			if s.TranscriptReadable {
				readable = append(readable, s.ID)
			}
		}
		wantSet(t, c.name+": readable sessions", readable, c.ids)
		if c.a.UserID == chAdmin.UserID && len(list) <= len(readable) {
			t.Errorf("%s lists %d sessions, want more than the %d it may read", c.name, len(list), len(readable))
		}
	}

	nf := interact.ENOTFOUND
	read := func(a interact.Actor, id string) func(context.Context) error {
		return func(ctx context.Context) error { return errOf(w.db.Transcript(ctx, a, id)) }
	}
	w.refuse(t, []refusal{
		{"unknown id", nf, read(w.adminA, "no-such-session")},
		{"another tenant's session", nf, read(w.adminA, other.task.ID)},
		{"another tenant's admin", nf, read(w.adminB, chat.task.ID)},
		{"OU admin of a sibling OU", nf, read(deAdmin, chat.task.ID)},
		{"OU admin of another subtree", nf, read(apacAdmin, chat.task.ID)},
		{"OU admin below the service's OU", nf, read(chAdmin, emea.task.ID)},
		{"owner of another service", nf, read(tokyoOwner, chat.task.ID)},
		{"member of another service", nf, read(actorOf(tokyo), chat.task.ID)},
		{"agent who only declined it", nf, read(actorOf(decliner), chat.task.ID)},
		{"member of a service, not of the direct contact", nf, read(w.agent, dc.task.ID)},
		{"agent of no service", nf, read(actorOf(handler), emea.task.ID)},
	})
	_, errUnknown := w.db.Transcript(ctx, w.adminA, "no-such-session")
	_, errOther := w.db.Transcript(ctx, w.adminA, other.task.ID)
	if interact.ErrorCode(errUnknown) != interact.ErrorCode(errOther) {
		t.Errorf("unknown id %v, another tenant's %v: want the same error", errUnknown, errOther)
	}
}

// BenchmarkTranscript reads the transcript of a 2,000-message session.
func BenchmarkTranscript(b *testing.B) {
	db := openURL(b, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	ctx := b.Context()
	_, u, err := db.CreateTenant(ctx, interact.System, interact.NewTenant{
		Tenant: interact.Tenant{Name: "Bench"}, AdminEmail: "bench@example.test", AdminPassword: pw,
	})
	if err != nil {
		b.Fatal(err)
	}
	admin := actorOf(u)
	svc, err := db.CreateService(ctx, admin, interact.Service{Name: "Bench desk", OUID: u.OUID})
	if err != nil {
		b.Fatal(err)
	}
	s := newSession(b, db, admin, svc.ID, "", []string{u.ID}, u.ID)
	fillSession(b, db, s.task.ID, u.ID, 2000)
	s.end(b, db)
	b.ResetTimer()
	for b.Loop() {
		tr, err := db.Transcript(ctx, admin, s.task.ID)
		if err != nil || len(tr.Entries) != 2000 {
			b.Fatalf("transcript: %v", err)
		}
	}
}

// fillSession appends n messages to a task, alternating visitor and agent
// messages with a call's events now and then.
func fillSession(b testing.TB, db *sqlstore.DB, taskID, agentID string, n int) {
	b.Helper()
	at := time.Now()
	for i := range n {
		m := interact.Message{TaskID: taskID, ClientID: fmt.Sprint("m", i), From: interact.FromVisitor,
			Text: "Hello, I have a question about my order number " + fmt.Sprint(i) + ".", At: at}
		switch {
		case i%100 == 50:
			m.From, m.Text, m.Event = interact.FromSystem, "", &interact.TaskEvent{Type: interact.EventCallStarted, CallID: fmt.Sprint("c", i), Modality: interact.ModalityAudio, By: agentID}
		case i%2 == 1:
			m.From, m.AgentID, m.Name = interact.FromAgent, agentID, "Agent"
		}
		if _, _, err := db.AppendMessage(b.Context(), m); err != nil {
			b.Fatal(err)
		}
	}
}
