package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/interact-oss/interact"
)

// labelledForm is a pre-chat form with two custom fields: "order" labelled
// in English and German, "legacy" in French only.
func labelledForm(withLegacy bool) *interact.WidgetSettings {
	w := interact.DefaultWidgetSettings(nil)
	w.Fields = []interact.PreChatField{{Key: "order", Type: interact.FieldText, MaxLength: 20,
		Label: map[string]string{"en": "Order number", "de": "Bestellnummer"}}}
	if withLegacy {
		w.Fields = append(w.Fields, interact.PreChatField{Key: "legacy", Type: interact.FieldText, MaxLength: 20, Label: map[string]string{"fr": "Ancien"}})
	}
	return w
}

// TestAgentConsoleFieldLabels: the console asks for the labels of a task's
// pre-chat fields in its language; only an agent the task was offered to
// gets them, and a field removed since the task began has no label.
func TestAgentConsoleFieldLabels(t *testing.T) {
	t.Parallel()
	l := newLive(t, 2, interact.Distribution{Type: interact.DistributeDirect})
	ctx := context.Background()
	if err := l.db.SaveWidgetSettings(ctx, l.admin, interact.OwnerService, l.svc.ID, labelledForm(true)); err != nil {
		t.Fatal(err)
	}
	req := chatReq(l.st.WidgetKey)
	req["visitor"].(map[string]any)["fields"] = map[string]any{"order": "<i>4711</i>", "legacy": "x"}
	taskID, _, _ := l.begin(shopOrigin, req)
	ag, _, err := dialWS(t, strings.Replace(l.url, "http", "ws", 1)+"/agent/v1/ws", http.Header{"Authorization": {"Bearer " + l.tokens[0]}})
	if err != nil {
		t.Fatal(err)
	}
	ag.next("hello")
	ag.send("presence.set", map[string]any{"presence": "available"})
	ag.awaitWhere("offer", func(f map[string]any) bool { return field(data(f), "task")["id"] == taskID })
	// The admin removes "legacy" while the task runs.
	if err := l.db.SaveWidgetSettings(ctx, l.admin, interact.OwnerService, l.svc.ID, labelledForm(false)); err != nil {
		t.Fatal(err)
	}

	path := "/api/v1/me/tasks/" + taskID + "/fields"
	for _, c := range []struct{ lang, want string }{{"de", "Bestellnummer"}, {"fr", "Order number"}, {"", "Order number"}} {
		r := l.widget("GET", path+"?lang="+c.lang, "", l.tokens[0], nil)
		labels, _ := r.body["labels"].(map[string]any)
		if r.status != 200 || len(labels) != 1 || labels["order"] != c.want {
			t.Errorf("labels in %q: %d %v, want order=%q only", c.lang, r.status, r.body, c.want)
		}
	}
	wantRefused(t, "another agent", l.widget("GET", path+"?lang=de", "", l.tokens[1], nil), 404, interact.ENOTFOUND)
	wantRefused(t, "no session", l.widget("GET", path, "", "", nil), 401, interact.EUNAUTHORIZED)
	wantRefused(t, "an unknown language", l.widget("GET", path+"?lang=xx", "", l.tokens[0], nil), 400, interact.EINVALID)
}
