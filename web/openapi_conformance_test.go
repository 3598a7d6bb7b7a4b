package web_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/outbox/smtptest"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Every operation of the OpenAPI document is called against a real server
// with real data, and its answer must have the documented status and match
// the documented schema (a JSON Schema 2020-12 validator reads the
// document itself). A route the table below does not call fails the test,
// so the document cannot drift from the server again.
func TestOpenAPIMatchesResponses(t *testing.T) {
	lm := newLiveMail(t, 2, smtptest.Options{})
	l := lm.live
	admin := l.adminToken()
	get := func(path string, out any) {
		t.Helper()
		if r := l.widget("GET", path, "", admin, nil); r.status != 200 {
			t.Fatalf("GET %s: %d %v", path, r.status, r.body)
		} else if out != nil {
			b, _ := json.Marshal(r.body)
			json.Unmarshal(b, out)
		}
	}
	var ous struct{ Items []interact.OU }
	get("/api/v1/ous", &ous)
	root := ous.Items[0].ID

	// A handled task, so that sessions, offers and the agent's own routes
	// have something to show.
	agent := l.agentSocket(0)
	taskID, _, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	offer := data(agent.awaitWhere("offer", func(f map[string]any) bool { return field(data(f), "task")["id"] == taskID }))
	offerID := offer["offerId"].(string)
	agent.reply(agent.send("offer.accept", map[string]any{"offerId": offerID}))
	// An ended one with a call on its record, for its transcript.
	endedID, _, _ := l.begin(shopOrigin, chatReq(l.st.WidgetKey))
	offer2 := data(agent.awaitWhere("offer", func(f map[string]any) bool { return field(data(f), "task")["id"] == endedID }))
	for _, f := range []struct {
		typ  string
		data map[string]any
	}{
		{"offer.accept", map[string]any{"offerId": offer2["offerId"]}},
		{"call.start", map[string]any{"taskId": endedID, "modality": "video"}},
		{"call.hangup", map[string]any{"taskId": endedID}},
		{"task.end", map[string]any{"taskId": endedID}},
	} {
		if r := agent.reply(agent.send(f.typ, f.data)); r["type"] == "error" {
			t.Fatalf("%s: %v", f.typ, r)
		}
	}

	// The document, as the server serves it.
	resp, err := http.Get(l.url + "/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Content map[string]struct {
					Format string `json:"x-format"` // the format query parameter's value for this media type
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
	}
	json.Unmarshal(raw, &spec)
	compiler := jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft2020)
	if err := compiler.AddResource("openapi.json", doc); err != nil {
		t.Fatal(err)
	}

	// Made as the calls go: what later calls need.
	ids := map[string]string{"service": l.svc.ID, "agent": l.agents[1].ID, "task": taskID, "offer": offerID, "ended": endedID}
	type call struct {
		method, path string // the document's path, with {…}
		url          func() string
		bearer       string
		body         any
		keep         func(map[string]any)
	}
	fixed := func(s string) func() string { return func() string { return s } }
	// Reports over the hour around now, which holds the sessions above.
	period := "since=" + time.Now().Add(-time.Hour).UTC().Format(time.RFC3339) + "&until=" + time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	nonEmpty := func(what string) func(map[string]any) {
		return func(b map[string]any) {
			if items, _ := b["items"].([]any); len(items) == 0 {
				t.Errorf("%s report: no rows", what)
			}
		}
	}
	with := func(format string, keys ...string) func() string {
		return func() string {
			args := make([]any, len(keys))
			for i, k := range keys {
				args[i] = ids[k]
			}
			return fmt.Sprintf(format, args...)
		}
	}
	save := func(k string) func(map[string]any) {
		return func(b map[string]any) { ids[k], _ = b["id"].(string) }
	}
	v1 := "/api/v1"
	calls := []call{
		{"GET", v1 + "/openapi.json", fixed(v1 + "/openapi.json"), "", nil, nil},
		{"POST", v1 + "/session", fixed(v1 + "/session"), "", map[string]string{"email": "admin@live.test", "password": "admin-password"}, nil},
		{"GET", v1 + "/session", fixed(v1 + "/session"), admin, nil, nil},
		{"GET", v1 + "/tenants", fixed(v1 + "/tenants"), admin, nil, nil},
		{"POST", v1 + "/tenants", fixed(v1 + "/tenants"), admin, map[string]any{"name": "Second", "adminEmail": "second@b.test", "adminPassword": "second password"}, func(b map[string]any) {
			ids["tenant"], _ = field(b, "tenant")["id"].(string)
		}},
		{"GET", v1 + "/tenants/{id}", with(v1+"/tenants/%s", "tenant"), admin, nil, nil},
		{"PATCH", v1 + "/tenants/{id}", with(v1+"/tenants/%s", "tenant"), admin, map[string]any{"name": "Second tenant"}, nil},
		{"GET", v1 + "/tenant", fixed(v1 + "/tenant"), admin, nil, nil},
		{"PATCH", v1 + "/tenant", fixed(v1 + "/tenant"), admin, map[string]any{"maxConcurrentImTasksPerService": 30}, nil},
		{"GET", v1 + "/ous", fixed(v1 + "/ous"), admin, nil, nil},
		{"POST", v1 + "/ous", fixed(v1 + "/ous"), admin, map[string]any{"name": "EMEA", "parentId": root}, save("ou")},
		{"GET", v1 + "/ous/{id}", fixed(v1 + "/ous/" + root), admin, nil, nil}, // the root: parentId null
		{"PATCH", v1 + "/ous/{id}", with(v1+"/ous/%s", "ou"), admin, map[string]any{"name": "Europe"}, nil},
		{"GET", v1 + "/users", fixed(v1 + "/users"), admin, nil, nil},
		{"POST", v1 + "/users", fixed(v1 + "/users"), admin, map[string]any{"email": "new@live.test", "name": "New", "ouId": root, "password": "new user password"}, save("user")},
		{"GET", v1 + "/users/{id}", with(v1+"/users/%s", "user"), admin, nil, nil},
		{"PATCH", v1 + "/users/{id}", with(v1+"/users/%s", "user"), admin, map[string]any{"name": "Newer"}, nil},
		{"POST", v1 + "/users/{id}/tokens", with(v1+"/users/%s/tokens", "user"), admin, map[string]any{"name": "script"}, func(b map[string]any) {
			ids["token"], _ = field(b, "token")["id"].(string)
		}},
		{"GET", v1 + "/users/{id}/tokens", with(v1+"/users/%s/tokens", "user"), admin, nil, nil}, // lastUsedAt null
		{"DELETE", v1 + "/users/{id}/tokens/{tokenId}", with(v1+"/users/%s/tokens/%s", "user", "token"), admin, nil, nil},
		{"PATCH", v1 + "/users/{id}", with(v1+"/users/%s", "agent"), admin, map[string]any{"licenses": map[string]bool{"contactCenter": true, "instantMessaging": true, "interact": true}}, nil},
		{"GET", v1 + "/users/{id}/interact", with(v1+"/users/%s/interact", "agent"), admin, nil, nil},
		{"PUT", v1 + "/users/{id}/interact", with(v1+"/users/%s/interact", "agent"), admin, map[string]any{"instantMessage": true}, nil},
		{"POST", v1 + "/users/{id}/interact/rotate-key", with(v1+"/users/%s/interact/rotate-key", "agent"), admin, nil, nil},
		{"GET", v1 + "/users/{id}/widget", with(v1+"/users/%s/widget", "agent"), admin, nil, nil},
		{"PUT", v1 + "/users/{id}/widget", with(v1+"/users/%s/widget", "agent"), admin, map[string]any{"name": "optional", "email": "off"}, nil},
		{"DELETE", v1 + "/users/{id}/widget", with(v1+"/users/%s/widget", "agent"), admin, nil, nil},
		{"GET", v1 + "/services", fixed(v1 + "/services"), admin, nil, nil},
		{"POST", v1 + "/services", fixed(v1 + "/services"), admin, map[string]any{"name": "Sales", "ouId": root}, save("service2")},
		{"GET", v1 + "/services/{id}", with(v1+"/services/%s", "service"), admin, nil, nil},
		{"PATCH", v1 + "/services/{id}", with(v1+"/services/%s", "service2"), admin, map[string]any{"name": "Sales desk"}, nil},
		{"GET", v1 + "/services/{id}/members", with(v1+"/services/%s/members", "service"), admin, nil, nil},
		{"PUT", v1 + "/services/{id}/members/{userId}", with(v1+"/services/%s/members/%s", "service2", "user"), admin, map[string]any{"active": true}, nil},
		{"DELETE", v1 + "/services/{id}/members/{userId}", with(v1+"/services/%s/members/%s", "service2", "user"), admin, nil, nil},
		{"GET", v1 + "/services/{id}/interact", with(v1+"/services/%s/interact", "service"), admin, nil, nil},
		{"PUT", v1 + "/services/{id}/interact", with(v1+"/services/%s/interact", "service"), admin, map[string]any{"audioVideo": true}, nil},
		{"POST", v1 + "/services/{id}/interact/rotate-key", with(v1+"/services/%s/interact/rotate-key", "service"), admin, map[string]any{"graceSeconds": 60}, nil},
		{"GET", v1 + "/services/{id}/widget", with(v1+"/services/%s/widget", "service"), admin, nil, nil},
		{"PUT", v1 + "/services/{id}/widget", with(v1+"/services/%s/widget", "service"), admin, map[string]any{"name": "required", "email": "optional"}, nil},
		{"DELETE", v1 + "/services/{id}/widget", with(v1+"/services/%s/widget", "service"), admin, nil, nil},
		{"GET", v1 + "/services/{id}/hours", with(v1+"/services/%s/hours", "service"), admin, nil, nil}, // no hours: weekly null
		{"POST", v1 + "/holiday-calendars", fixed(v1 + "/holiday-calendars"), admin, map[string]any{"name": "Holidays", "ouId": root, "holidays": []any{
			map[string]any{"name": "Christmas", "from": "2026-12-25", "to": "2026-12-26"}, map[string]any{"name": "Eve", "from": "2026-12-31T18:00", "to": "2027-01-01T06:00"}}}, save("calendar")},
		{"GET", v1 + "/holiday-calendars", fixed(v1 + "/holiday-calendars"), admin, nil, nil},
		{"GET", v1 + "/holiday-calendars/{id}", with(v1+"/holiday-calendars/%s", "calendar"), admin, nil, nil},
		{"PATCH", v1 + "/holiday-calendars/{id}", with(v1+"/holiday-calendars/%s", "calendar"), admin, map[string]any{"description": "Ours"}, nil},
		{"PUT", v1 + "/services/{id}/hours", with(v1+"/services/%s/hours", "service2"), admin, nil, nil}, // body filled below
		{"GET", v1 + "/services/{id}/hours", with(v1+"/services/%s/hours", "service2"), admin, nil, nil},
		{"GET", v1 + "/domain-templates", fixed(v1 + "/domain-templates"), admin, nil, nil},
		{"POST", v1 + "/domain-templates", fixed(v1 + "/domain-templates"), admin, map[string]any{"name": "Shops", "ouId": root, "origins": []string{"https://shop.example.test"}}, save("template")},
		{"GET", v1 + "/domain-templates/{id}", with(v1+"/domain-templates/%s", "template"), admin, nil, nil},
		{"PATCH", v1 + "/domain-templates/{id}", with(v1+"/domain-templates/%s", "template"), admin, map[string]any{"description": "Our shops"}, nil},
		{"POST", v1 + "/origin-check", fixed(v1 + "/origin-check"), admin, map[string]any{"contactId": l.st.ContactID, "origin": "https://evil.test"}, nil},
		{"GET", v1 + "/sessions", fixed(v1 + "/sessions"), admin, nil, nil},
		{"GET", v1 + "/sessions/{id}/transcript", with(v1+"/sessions/%s/transcript", "ended"), l.tokens[0], nil, func(b map[string]any) {
			if entries, _ := b["entries"].([]any); len(entries) < 3 {
				t.Errorf("transcript entries %v: want the call's events too", b["entries"])
			}
		}},
		{"GET", v1 + "/reports/services", fixed(v1 + "/reports/services?interval=hour&tz=Europe/Zurich&" + period), admin, nil, nonEmpty("services")},
		{"GET", v1 + "/reports/agents", fixed(v1 + "/reports/agents?" + period), l.tokens[0], nil, nonEmpty("agents")},
		{"GET", v1 + "/reports/ous", fixed(v1 + "/reports/ous?" + period), admin, nil, nonEmpty("ous")},
		{"GET", v1 + "/audit", fixed(v1 + "/audit"), admin, nil, nil},
		{"POST", v1 + "/password-reset", fixed(v1 + "/password-reset"), "", map[string]any{"email": l.agents[1].Email}, nil},
		{"POST", v1 + "/password-reset/confirm", fixed(v1 + "/password-reset/confirm"), "", lazyJSON(func() any {
			_, token := lm.mailTo(l.agents[1].Email, 1)
			return map[string]any{"token": token, "password": "a password from the mail"}
		}), nil},
		{"GET", v1 + "/outbox", fixed(v1 + "/outbox"), admin, nil, func(b map[string]any) {
			if items, _ := b["items"].([]any); len(items) == 0 {
				t.Errorf("outbox %v: want the reset mail", b)
			}
		}},
		{"GET", v1 + "/me/services", fixed(v1 + "/me/services"), l.tokens[0], nil, nil},
		{"GET", v1 + "/me/services/{id}/codes", with(v1+"/me/services/%s/codes", "service"), l.tokens[0], nil, nil},
		{"GET", v1 + "/me/sessions", fixed(v1 + "/me/sessions"), l.tokens[0], nil, nil},
		{"PUT", v1 + "/me/sessions/{id}/labels", with(v1+"/me/sessions/%s/labels", "offer"), l.tokens[0], map[string]any{"tags": []string{"vip"}}, nil},
		{"GET", v1 + "/me/tasks/{id}/labels", with(v1+"/me/tasks/%s/labels", "task"), l.tokens[0], nil, nil},
		{"PUT", v1 + "/me/tasks/{id}/labels", with(v1+"/me/tasks/%s/labels", "task"), l.tokens[0], map[string]any{"tags": []string{"vip", "call back"}}, nil},
		{"GET", v1 + "/me/tasks/{id}/preview", with(v1+"/me/tasks/%s/preview", "task"), l.tokens[0], nil, nil},
		{"GET", v1 + "/me/tasks/{id}/fields", with(v1+"/me/tasks/%s/fields?lang=de", "task"), l.tokens[0], nil, nil},
		{"GET", v1 + "/me/tasks/{id}/visits", with(v1+"/me/tasks/%s/visits", "task"), l.tokens[0], nil, nil},
		{"DELETE", v1 + "/domain-templates/{id}", with(v1+"/domain-templates/%s", "template"), admin, nil, nil},
		{"DELETE", v1 + "/services/{id}", with(v1+"/services/%s", "service2"), admin, nil, nil},
		{"DELETE", v1 + "/holiday-calendars/{id}", with(v1+"/holiday-calendars/%s", "calendar"), admin, nil, nil}, // free once its service is gone
		{"DELETE", v1 + "/users/{id}", with(v1+"/users/%s", "user"), admin, nil, nil},
		{"DELETE", v1 + "/ous/{id}", with(v1+"/ous/%s", "ou"), admin, nil, nil},
		{"DELETE", v1 + "/session", fixed(v1 + "/session"), admin, nil, nil},
	}
	done := map[string]bool{}
	for _, c := range calls {
		op := c.method + " " + c.path
		done[op] = true
		responses, ok := spec.Paths[c.path][strings.ToLower(c.method)]
		if !ok {
			t.Errorf("%s: not in the document", op)
			continue
		}
		if op == "PUT "+v1+"/services/{id}/hours" {
			c.body = map[string]any{"timeZone": "Europe/Zurich", "weekly": map[string]any{"mon": [][]string{{"08:00", "12:00"}, {"13:00", "17:00"}}},
				"holidayCalendarIds": []string{ids["calendar"]}, "closedNow": false}
		}
		r := rawCall(t, l.url, c.method, c.url(), c.bearer, c.body)
		var status string
		for s := range responses.Responses {
			if s != "default" {
				status = s
			}
		}
		if strconv.Itoa(r.status) != status {
			t.Errorf("%s (%s): status %d, documented %s: %s", op, c.url(), r.status, status, r.raw)
			continue
		}
		if c.keep != nil {
			c.keep(r.body)
		}
		for mt, ct := range responses.Responses[status].Content {
			if mt == "application/json" {
				continue
			}
			u := c.url()
			u += map[bool]string{true: "&", false: "?"}[strings.Contains(u, "?")] + "format=" + ct.Format
			if got, typ := rawGet(t, l.url+u, c.bearer); got != r.status || !strings.HasPrefix(typ, mt+";") && typ != mt {
				t.Errorf("%s (%s): status %d, Content-Type %q, documented %s %s", op, u, got, typ, status, mt)
			}
		}
		if responses.Responses[status].Content == nil {
			continue // no body documented
		}
		ptr := "openapi.json#/paths/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(c.path) + "/" + strings.ToLower(c.method) +
			"/responses/" + status + "/content/application~1json/schema"
		sch, err := compiler.Compile(ptr)
		if err != nil {
			t.Fatalf("%s: compile its schema: %v", op, err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.raw))
		if err != nil {
			t.Errorf("%s: the answer is not JSON: %v", op, err)
		} else if err := sch.Validate(v); err != nil {
			t.Errorf("%s: the answer does not match the document: %v\nanswer: %s", op, err, r.raw)
		}
	}
	var missed []string
	for path, ops := range spec.Paths {
		for m := range ops {
			if op := strings.ToUpper(m) + " " + path; !done[op] {
				missed = append(missed, op)
			}
		}
	}
	sort.Strings(missed)
	if len(missed) > 0 {
		t.Errorf("operations of the document this test does not call: %v", missed)
	}
}

// lazyJSON is a request body made when it is sent.
type lazyJSON func() any

func (f lazyJSON) MarshalJSON() ([]byte, error) { return json.Marshal(f()) }

// rawGet answers a GET's status and Content-Type.
func rawGet(t *testing.T, url, bearer string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+bearer)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Content-Type")
}

type rawAnswer struct {
	status int
	raw    []byte
	body   map[string]any // when the answer is an object
}

func rawCall(t *testing.T, base, method, path, bearer string, body any) rawAnswer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := rawAnswer{status: resp.StatusCode, raw: raw}
	json.Unmarshal(raw, &a.body)
	return a
}
