package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/interact-oss/interact"
)

// GET /api/v1/sessions lists each task with its single outcome and its
// offers, filtered by service and outcome, and only for those who may see it.
func TestSessionsAPI(t *testing.T) {
	l := newLive(t, 1, interact.Distribution{Type: interact.DistributeDirect})
	ctx := context.Background()
	agent := l.agentSocket(0)
	const origin = "https://shop.example.test"
	_, handled := l.startTask(origin, map[string]any{"widgetKey": l.st.WidgetKey, "modality": "chat", "visitor": map[string]any{"name": "Ann"}})
	offer := data(agent.await("offer"))
	agent.send("offer.accept", map[string]any{"offerId": offer["offerId"]})
	agent.await("ok")
	agent.send("task.end", map[string]any{"taskId": handled["taskId"]})
	agent.await("ok")
	_, hung := l.startTask(origin, map[string]any{"widgetKey": l.st.WidgetKey, "modality": "chat", "visitor": map[string]any{"name": "Ben"}})
	if err := l.engine.EndTask(ctx, hung["taskId"].(string), "visitor"); err != nil {
		t.Fatal(err)
	}
	_, secret, err := l.db.CreateAPIToken(ctx, l.admin, l.admin.UserID, "script")
	if err != nil {
		t.Fatal(err)
	}
	get := func(token, query string) (int, []map[string]any) {
		req, _ := http.NewRequest("GET", l.url+"/api/v1/sessions"+query, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct{ Items []map[string]any }
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out.Items
	}
	status, all := get(secret, "")
	if status != 200 || len(all) != 2 {
		t.Fatalf("sessions: %d %v", status, all)
	}
	outcomes := map[string]string{}
	for _, s := range all {
		outcomes[s["id"].(string)] = s["outcome"].(string)
	}
	if outcomes[handled["taskId"].(string)] != interact.OutcomeHandled || outcomes[hung["taskId"].(string)] != interact.OutcomeHangupInQueue {
		t.Fatalf("outcomes %v", outcomes)
	}
	_, only := get(secret, "?outcome=handled&serviceId="+l.svc.ID)
	if len(only) != 1 || only[0]["id"] != handled["taskId"] {
		t.Fatalf("filtered %v", only)
	}
	offers, _ := only[0]["offers"].([]any)
	if len(offers) != 1 || offers[0].(map[string]any)["outcome"] != interact.OfferAccepted || only[0]["connectedMs"] == nil {
		t.Fatalf("offers of the handled session %v", only[0])
	}
	if _, none := get(secret, "?serviceId=nope"); len(none) != 0 {
		t.Fatalf("unknown service filter returned %v", none)
	}
	if status, _ := get(secret, "?since=yesterday"); status != 400 {
		t.Fatalf("bad since: %d", status)
	}
	// A plain agent sees no sessions.
	if status, _ := get(l.tokens[0], ""); status != 403 {
		t.Fatalf("agent: %d, want 403", status)
	}
}
