package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
)

// transcriptGet fetches a transcript as bearer: status, headers and body.
func (l *live) transcriptGet(id, query, bearer string) (int, http.Header, string) {
	l.t.Helper()
	req, _ := http.NewRequest("GET", l.url+"/api/v1/sessions/"+id+"/transcript"+query, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// tokenOf creates a user with roles (in ou, licensed for chat) and
// returns an API token of theirs.
func (l *live) tokenOf(name, ou string, roles ...interact.Role) (string, *interact.User) {
	l.t.Helper()
	ctx := context.Background()
	u, err := l.db.CreateUser(ctx, l.admin, interact.User{Email: name + "@live.test", Name: name, OUID: ou,
		Licenses: interact.Licenses{ContactCenter: true, InstantMessaging: true}, Roles: roles}, "user password 123")
	if err != nil {
		l.t.Fatal(err)
	}
	_, secret, err := l.db.CreateAPIToken(ctx, interact.Actor{UserID: u.ID, TenantID: u.TenantID}, u.ID, "t")
	if err != nil {
		l.t.Fatal(err)
	}
	return secret, u
}

// A session chatted, escalated to video, switched to audio and hung up
// over the real sockets; the agent's console gets the call's events as
// messages while it lasts; afterwards its transcript answers in three
// formats to everyone in scope and not_found to everyone else: other
// tenants, other OUs, other services.
func TestTranscriptAPI(t *testing.T) {
	l := newCallLive(t, 3)
	ctx := context.Background()
	// The service sits in root → EMEA → CH; another service in root → APAC.
	ou := func(name, parent string) string {
		o, err := l.db.CreateOU(ctx, l.admin, interact.OU{Name: name, ParentID: &parent})
		if err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	emea := ou("EMEA", l.ouID)
	ch, apac := ou("CH", emea), ou("APAC", l.ouID)
	if _, err := l.db.UpdateService(ctx, l.admin, l.svc.ID, interact.ServiceUpdate{OUID: &ch}); err != nil {
		t.Fatal(err)
	}
	tokyo, err := l.db.CreateService(ctx, l.admin, interact.Service{Name: "Tokyo", OUID: apac})
	if err != nil {
		t.Fatal(err)
	}
	// Agent 2 leaves the service for Tokyo before the chat.
	if err := l.db.DeleteMember(ctx, l.admin, l.svc.ID, l.agents[2].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := l.db.PutMember(ctx, l.admin, tokyo.ID, l.agents[2].ID, true); err != nil {
		t.Fatal(err)
	}

	a0 := l.agentSocket(0)
	body := chatReq(l.st.WidgetKey)
	body["visitor"] = map[string]any{"name": "Vera <b>Visitor</b>", "email": "vera@example.test"}
	taskID, tok, _ := l.begin(shopOrigin, body)
	v := l.dialVisitorOK(shopOrigin, tok, 0)
	v.next("hello")
	offer := data(a0.awaitWhere("offer", func(f map[string]any) bool { return field(data(f), "task")["id"] == taskID }))
	wantOK(t, "accept", a0.reply(a0.send("offer.accept", map[string]any{"offerId": offer["offerId"]})))
	v.awaitWhere("task.state", func(f map[string]any) bool { return data(f)["state"] == "connected" })
	v.reply(v.send("message.send", map[string]any{"clientId": "v1", "text": "<script>alert(1)</script>\nsecond line"}))
	a0.reply(a0.send("message.send", map[string]any{"taskId": taskID, "clientId": "a1", "text": "Let us talk on video."}))
	wantOK(t, "escalate", signal(v, "call.start", map[string]any{"modality": "video"}))
	wantOK(t, "offer", signal(v, "rtc.offer", map[string]any{"session": "s1", "sdp": "v=0 offer"}))
	wantOK(t, "answer", signal(a0, "rtc.answer", map[string]any{"taskId": taskID, "session": "s1", "sdp": "v=0 answer"}))
	wantOK(t, "answer again", signal(a0, "rtc.answer", map[string]any{"taskId": taskID, "session": "s1", "sdp": "v=0 restart"}))
	wantOK(t, "switch", signal(a0, "call.start", map[string]any{"taskId": taskID, "modality": "audio"}))
	wantOK(t, "hang up", signal(v, "call.hangup", map[string]any{}))
	// The agent's console sees the call's events in its conversation, live.
	var live []string
	for len(live) < 4 {
		m := data(a0.awaitWhere("message", func(f map[string]any) bool { return field(data(f), "event") != nil }))
		live = append(live, field(m, "event")["type"].(string))
	}
	if want := []string{"call.started", "call.connected", "call.modality", "call.ended"}; !cmp.Equal(live, want) {
		t.Fatalf("call events on the agent's socket %v, want %v", live, want)
	}

	admin := l.adminToken()
	if status, _, body := l.transcriptGet(taskID, "", admin); status != http.StatusConflict {
		t.Fatalf("an open session's transcript: %d %s", status, body)
	}
	wantOK(t, "end", a0.reply(a0.send("task.end", map[string]any{"taskId": taskID})))
	a0.awaitWhere("task.ended", func(f map[string]any) bool { return data(f)["taskId"] == taskID })

	// JSON: every message and event in order, with its author.
	status, h, raw := l.transcriptGet(taskID, "", admin)
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/json") || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("transcript: %d %v %s", status, h, raw)
	}
	var tr interact.Transcript
	if err := json.Unmarshal([]byte(raw), &tr); err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, e := range tr.Entries {
		if e.Seq != int64(i+1) {
			t.Errorf("entry %d has seq %d", i, e.Seq)
		}
		line := e.AuthorKind + " " + e.AuthorName + ": "
		if e.Event != nil {
			line += e.Event.Type + " " + string(e.Event.Modality)
		} else {
			line += strings.SplitN(e.Text, "\n", 2)[0]
		}
		got = append(got, line)
	}
	vera := "Vera <b>Visitor</b>"
	want := []string{
		"system Support: Hello Vera, thanks for contacting Support.",
		"system Support: Agent 0 has joined the chat.",
		"visitor " + vera + ": <script>alert(1)</script>",
		"agent Agent 0: Let us talk on video.",
		"visitor " + vera + ": call.started video",
		"agent Agent 0: call.connected video",
		"agent Agent 0: call.modality audio",
		"visitor " + vera + ": call.ended audio",
		"system Support: The chat has ended. Thank you!",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transcript entries (-want +got):\n%s", diff)
	}
	if tr.Session.Outcome != interact.OutcomeHandled || len(tr.Session.Agents) != 1 || tr.Session.Agents[0].ID != l.agents[0].ID {
		t.Errorf("session %+v", tr.Session)
	}

	// Plain text, as a download.
	status, h, txt := l.transcriptGet(taskID, "?format=txt", admin)
	if status != 200 || h.Get("Content-Type") != "text/plain; charset=utf-8" ||
		!strings.HasPrefix(h.Get("Content-Disposition"), `attachment; filename="transcript-`) {
		t.Fatalf("txt: %d %v", status, h)
	}
	for _, s := range []string{"Transcript of session " + taskID, "Visitor: " + vera + " <vera@example.test> (not verified)",
		"] " + vera + ": <script>alert(1)</script>\n    second line\n", "] Agent 0: Let us talk on video.",
		"] * " + vera + " started a video call", "] * The video call is connected: Agent 0 answered",
		"] * Agent 0 switched the call from video to audio", "] * " + vera + " ended the audio call after 0:00",
		"] Support (system): The chat has ended. Thank you!"} {
		if !strings.Contains(txt, s) {
			t.Errorf("txt lacks %q:\n%s", s, txt)
		}
	}

	// A printable page: visitor text escaped, no script, a strict CSP.
	status, h, page := l.transcriptGet(taskID, "?format=html", admin)
	csp := h.Get("Content-Security-Policy")
	if status != 200 || h.Get("Content-Type") != "text/html; charset=utf-8" || !strings.HasPrefix(h.Get("Content-Disposition"), "inline") {
		t.Fatalf("html: %d %v", status, h)
	}
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "style-src 'sha256-") || strings.Contains(csp, "unsafe") {
		t.Errorf("html CSP %q", csp)
	}
	if strings.Contains(page, "<script") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") ||
		!strings.Contains(page, "Vera &lt;b&gt;Visitor&lt;/b&gt;") || !strings.Contains(page, "switched the call from video to audio") {
		t.Errorf("html page:\n%s", page)
	}

	// Who may read it, and who may not.
	owner, _ := l.tokenOf("owner", apac, interact.Role{Role: interact.RoleServiceOwner, ScopeID: l.svc.ID})
	tokyoOwner, _ := l.tokenOf("tokyo-owner", apac, interact.Role{Role: interact.RoleServiceOwner, ScopeID: tokyo.ID})
	emeaAdmin, _ := l.tokenOf("emea-admin", emea, interact.Role{Role: interact.RoleOUAdmin, ScopeID: emea})
	chAdmin, _ := l.tokenOf("ch-admin", ch, interact.Role{Role: interact.RoleOUAdmin, ScopeID: ch})
	apacAdmin, _ := l.tokenOf("apac-admin", apac, interact.Role{Role: interact.RoleOUAdmin, ScopeID: apac})
	loner, _ := l.tokenOf("loner", l.ouID)
	for name, tok := range map[string]string{"tenant admin": admin, "OU admin above": emeaAdmin, "OU admin of its OU": chAdmin,
		"service owner": owner, "agent who handled it": l.tokens[0], "member": l.tokens[1]} {
		for _, f := range []string{"", "?format=txt", "?format=html"} {
			if status, _, body := l.transcriptGet(taskID, f, tok); status != 200 {
				t.Errorf("%s%s: %d %s", name, f, status, body)
			}
		}
	}

	// Tenant B, with a session of its own.
	var b struct {
		Tenant *interact.Tenant `json:"tenant"`
		Admin  *interact.User   `json:"admin"`
	}
	r := l.widget("POST", "/api/v1/tenants", "", admin, map[string]any{"name": "B", "adminEmail": "admin@b.test", "adminPassword": "tenant b password"})
	if r.status != 201 {
		t.Fatalf("create tenant B: %d %v", r.status, r.body)
	}
	raw2, _ := json.Marshal(r.body)
	json.Unmarshal(raw2, &b)
	bAdmin := interact.Actor{UserID: b.Admin.ID, TenantID: b.Tenant.ID, Roles: b.Admin.Roles}
	_, bToken, err := l.db.CreateAPIToken(ctx, bAdmin, b.Admin.ID, "b")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	bTask := &interact.Task{ID: interact.NewID(), TenantID: b.Tenant.ID, DirectUserID: b.Admin.ID, ContactID: "b-contact", Modality: interact.ModalityChat,
		State: interact.TaskEnded, Outcome: interact.OutcomeNoAgent, QueueSeq: 1 << 40, CreatedAt: now, QueuedAt: now, EndedAt: &now}
	if err := l.db.CreateTask(ctx, bTask, ""); err != nil {
		t.Fatal(err)
	}
	if status, _, body := l.transcriptGet(bTask.ID, "", bToken); status != 200 {
		t.Fatalf("B reads its own: %d %s", status, body)
	}

	before := l.messageCount(taskID)
	_, _, unknown := l.transcriptGet("no-such-session", "", admin)
	codeOf := func(body string) string {
		var e struct {
			Error struct{ Code, Message string }
		}
		json.Unmarshal([]byte(body), &e)
		return e.Error.Code
	}
	for _, c := range []struct {
		name, id, token string
	}{
		{"unknown id", "no-such-session", admin},
		{"another tenant's id", bTask.ID, admin},
		{"another tenant's admin", taskID, bToken},
		{"OU admin of another subtree", taskID, apacAdmin},
		{"owner of another service", taskID, tokyoOwner},
		{"member of another service", taskID, l.tokens[2]},
		{"agent of no service", taskID, loner},
	} {
		for _, f := range []string{"", "?format=txt"} {
			status, h, body := l.transcriptGet(c.id, f, c.token)
			if status != 404 || codeOf(body) != interact.ENOTFOUND || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Errorf("%s%s: %d %s, want 404 not_found", c.name, f, status, body)
			}
			if strings.Contains(body, "Vera") || strings.Contains(body, "Support") {
				t.Errorf("%s%s: the refusal tells of the session: %s", c.name, f, body)
			}
		}
		if status, h, body := l.transcriptGet(c.id, "?format=html", c.token); status != 404 || !strings.Contains(h.Get("Content-Type"), "text/html") ||
			!strings.Contains(body, "Transcript not available") || strings.Contains(body, "Vera") {
			t.Errorf("%s (html): %d %s", c.name, status, body)
		}
	}
	if codeOf(unknown) != interact.ENOTFOUND {
		t.Errorf("unknown id: %s", unknown)
	}
	if status, _, _ := l.transcriptGet(taskID, "", ""); status != 401 {
		t.Errorf("signed out: %d, want 401", status)
	}
	if status, _, body := l.transcriptGet(taskID, "?format=pdf", admin); status != 400 || codeOf(body) != interact.EINVALID {
		t.Errorf("format=pdf: %d %s", status, body)
	}
	if after := l.messageCount(taskID); after != before {
		t.Errorf("messages %d → %d after the refusals", before, after)
	}
	if _, _, again := l.transcriptGet(taskID, "", admin); again != raw {
		t.Errorf("the transcript changed:\n%s\n%s", raw, again)
	}
}
