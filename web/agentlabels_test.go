package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/interact-oss/interact"
)

// An agent labels a session they handled with the service's codes (its OU
// and above) and free tags over HTTP; refusals change nothing; My Sessions
// pages and shows the labels, and GET /api/v1/sessions filters by them.
func TestAgentSessionLabels(t *testing.T) {
	l := newLive(t, 2, interact.Distribution{Type: interact.DistributeDirect})
	ctx := context.Background()
	sub, err := l.db.CreateOU(ctx, l.admin, interact.OU{Name: "Sub", ParentID: &l.ouID})
	if err != nil {
		t.Fatal(err)
	}
	billing, err := l.db.CreateCode(ctx, l.admin, l.ouID, "Billing")
	if err != nil {
		t.Fatal(err)
	}
	below, err := l.db.CreateCode(ctx, l.admin, sub.ID, "Below")
	if err != nil {
		t.Fatal(err)
	}
	sales, err := l.db.CreateService(ctx, l.admin, interact.Service{Name: "Sales", OUID: sub.ID, License: interact.LicenseContactCenter})
	if err != nil {
		t.Fatal(err)
	}
	_, adminToken, err := l.db.CreateAPIToken(ctx, l.admin, l.admin.UserID, "reports")
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, bearer string, body, out any) (int, string) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, l.url+path, rd)
		req.Header.Set("Authorization", "Bearer "+bearer)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if out != nil && resp.StatusCode < 300 {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s %s: %v in %s", method, path, err, b)
			}
		}
		return resp.StatusCode, string(b)
	}

	// The service's codes: its OU's and above, not those of OUs below.
	var codes struct{ Items []struct{ ID, Name string } }
	if st, _ := call("GET", "/api/v1/me/services/"+l.svc.ID+"/codes", l.tokens[0], nil, &codes); st != 200 || len(codes.Items) != 1 || codes.Items[0].ID != billing.ID {
		t.Fatalf("codes of Support: %d %+v", st, codes)
	}
	if st, _ := call("GET", "/api/v1/me/services/"+sales.ID+"/codes", l.tokens[0], nil, nil); st != 404 {
		t.Errorf("codes of a service the agent is no member of: %d, want 404", st)
	}

	// Agent 0 is offered a chat: ringing is not handling.
	agent := l.agentSocket(0)
	taskID, _, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	offer := data(agent.awaitWhere("offer", func(f map[string]any) bool { return field(data(f), "task")["id"] == taskID }))
	offerID := offer["offerId"].(string)
	labels := "/api/v1/me/sessions/" + offerID + "/labels"
	if st, body := call("PUT", labels, l.tokens[0], map[string]any{"tags": []string{"vip"}}, nil); st != 403 || !strings.Contains(body, "Only an agent who handled the task may label it.") {
		t.Fatalf("labelling a ringing offer: %d %s", st, body)
	}
	if st, _ := call("GET", "/api/v1/me/tasks/"+taskID+"/labels", l.tokens[0], nil, nil); st != 403 {
		t.Fatalf("labels of a task not yet handled: %d, want 403", st)
	}
	agent.reply(agent.send("offer.accept", map[string]any{"offerId": offerID}))

	type labelSet struct {
		CodeIDs, Codes, Tags []string
	}
	var got labelSet
	if st, body := call("PUT", labels, l.tokens[0], map[string]any{"codeIds": []string{billing.ID}, "tags": []string{" VIP ", "vip", "call back"}}, &got); st != 200 ||
		!slices.Equal(got.Codes, []string{"Billing"}) || !slices.Equal(got.Tags, []string{"VIP", "call back"}) {
		t.Fatalf("labelling during the task: %d %s", st, body)
	}
	for _, tc := range []struct {
		name, bearer string
		body         map[string]any
		status       int
		msg          string
	}{
		{"a code of an OU below", l.tokens[0], map[string]any{"codeIds": []string{below.ID}}, 400, "is not one of this service's codes"},
		{"a tag too long", l.tokens[0], map[string]any{"tags": []string{strings.Repeat("x", 41)}}, 400, "at most 40 characters"},
		{"another agent", l.tokens[1], map[string]any{"tags": []string{"x"}}, 404, "No session"},
		{"malformed", l.tokens[0], map[string]any{"tags": "vip"}, 400, ""},
	} {
		if st, body := call("PUT", labels, tc.bearer, tc.body, nil); st != tc.status || !strings.Contains(body, tc.msg) {
			t.Errorf("%s: %d %s, want %d %q", tc.name, st, body, tc.status, tc.msg)
		}
	}

	// Ended, in ACW or later: still the agent's to label; the labels show
	// in My Sessions and in the sessions list, which filters by them.
	agent.reply(agent.send("task.end", map[string]any{"taskId": taskID}))
	var byTask struct {
		OfferID string
		Codes   []string
		Tags    []string
	}
	if st, body := call("PUT", "/api/v1/me/tasks/"+taskID+"/labels", l.tokens[0], map[string]any{"codeIds": []string{billing.ID}, "tags": []string{"VIP"}}, &byTask); st != 200 ||
		byTask.OfferID != offerID || !slices.Equal(byTask.Tags, []string{"VIP"}) {
		t.Fatalf("labelling by task after the end: %d %s", st, body)
	}
	if st, _ := call("PUT", "/api/v1/me/tasks/"+taskID+"/labels", l.tokens[1], map[string]any{"tags": []string{"x"}}, nil); st != 403 {
		t.Errorf("another agent labelling the task: %d, want 403", st)
	}
	var mine struct {
		Items []struct {
			ID             string
			CodeIDs, Codes []string
			Tags           []string
		}
		NextCursor string
	}
	call("GET", "/api/v1/me/sessions?limit=1", l.tokens[0], nil, &mine)
	if len(mine.Items) != 1 || mine.Items[0].ID != offerID || !slices.Equal(mine.Items[0].Codes, []string{"Billing"}) ||
		!slices.Equal(mine.Items[0].CodeIDs, []string{billing.ID}) || !slices.Equal(mine.Items[0].Tags, []string{"VIP"}) {
		t.Fatalf("My Sessions: %+v", mine)
	}
	if st, _ := call("GET", "/api/v1/me/sessions?cursor=nonsense", l.tokens[0], nil, nil); st != 400 {
		t.Errorf("a bad cursor: %d, want 400", st)
	}
	var sessions struct {
		Items []struct {
			ID     string
			Offers []struct{ Codes, Tags []string }
		}
	}
	for query, want := range map[string]int{"?code=" + billing.ID: 1, "?code=" + below.ID: 0, "?tag=vip": 1, "?tag=other": 0} {
		call("GET", "/api/v1/sessions"+query, adminToken, nil, &sessions)
		if len(sessions.Items) != want {
			t.Errorf("sessions%s: %d, want %d", query, len(sessions.Items), want)
		}
	}
	call("GET", "/api/v1/sessions?tag=VIP", adminToken, nil, &sessions)
	if len(sessions.Items) != 1 || sessions.Items[0].ID != taskID || !slices.Equal(sessions.Items[0].Offers[0].Codes, []string{"Billing"}) {
		t.Errorf("sessions by tag: %+v", sessions.Items)
	}
}
