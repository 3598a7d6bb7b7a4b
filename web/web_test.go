package web_test

// End-to-end tests of the HTTP surface: a real SQLite file per test, the
// real web.Server behind httptest.NewServer, and real HTTP clients with
// cookie jars. This file holds the shared helpers and the ops endpoints;
// the other *_test.go files hold one concern each.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/sqlstore"
	"github.com/interact-oss/interact/web"
)

const (
	adminEmail    = "admin@a.test"
	adminPassword = "correct horse battery"
	userPassword  = "agent password 1"
)

// env is one server over one fresh store, with tenant A bootstrapped as on
// first run: its admin is tenantAdmin and operator.
type env struct {
	db     *sqlstore.DB
	srv    *httptest.Server
	url    string
	tenant *interact.Tenant
	admin  *interact.User
}

func newEnv(t *testing.T, cfg web.Config) *env {
	t.Helper()
	db, err := sqlstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	srv := httptest.NewUnstartedServer(nil)
	url := "http://" + srv.Listener.Addr().String()
	if cfg.PublicURL == "" {
		cfg.PublicURL = url
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	srv.Config.Handler = web.NewServer(cfg, db)
	srv.Start()
	t.Cleanup(srv.Close)
	tenant, admin, err := db.CreateTenant(t.Context(), interact.System, interact.NewTenant{
		Tenant:     interact.Tenant{Name: "Tenant A"},
		AdminEmail: adminEmail, AdminName: "Alice Admin", AdminPassword: adminPassword,
	})
	if err != nil {
		t.Fatalf("bootstrap tenant: %v", err)
	}
	return &env{db: db, srv: srv, url: url, tenant: tenant, admin: admin}
}

// tWriter sends the server's log to the test log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// client is one browser (cookie jar) or one script (bearer token).
type client struct {
	base   string
	hc     *http.Client
	csrf   string // from the sign-in answer; sent on state-changing requests
	bearer string // API token; sent as Authorization: Bearer
	user   interact.User
}

func (e *env) newClient() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		panic(err)
	}
	return &client{base: e.url, hc: &http.Client{Jar: jar}}
}

// login signs a new client in and remembers the CSRF token.
func (e *env) login(t *testing.T, email, password string) *client {
	t.Helper()
	c := e.newClient()
	var info struct {
		User      interact.User `json:"user"`
		CSRFToken string        `json:"csrfToken"`
	}
	c.ok(t, "POST", "/api/v1/session", map[string]string{"email": email, "password": password}, 200, &info)
	if info.CSRFToken == "" || info.User.ID == "" {
		t.Fatalf("sign-in answer lacks user or csrfToken: %+v", info)
	}
	c.csrf, c.user = info.CSRFToken, info.User
	return c
}

func (e *env) adminClient(t *testing.T) *client {
	t.Helper()
	return e.login(t, adminEmail, adminPassword)
}

// withToken returns a client without cookies that authenticates with secret.
func (e *env) withToken(secret string) *client {
	return &client{base: e.url, hc: &http.Client{}, bearer: secret}
}

// resp is an answer with its body read.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// request builds a request with the client's credentials. body is nil (no
// body), a string or []byte (sent as is), or a value sent as JSON.
func (c *client) request(t *testing.T, method, path string, body any) *http.Request {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, c.base+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	if c.csrf != "" && method != "GET" && method != "HEAD" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	return req
}

func (c *client) send(t *testing.T, req *http.Request) *resp {
	t.Helper()
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL.Path, err)
	}
	return &resp{status: res.StatusCode, header: res.Header, body: b}
}

func (c *client) call(t *testing.T, method, path string, body any) *resp {
	t.Helper()
	return c.send(t, c.request(t, method, path, body))
}

// ok sends a request, asserts the status and decodes the answer into out.
func (c *client) ok(t *testing.T, method, path string, body any, status int, out any) {
	t.Helper()
	r := c.call(t, method, path, body)
	if r.status != status {
		t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, r.status, status, r.body)
	}
	if out != nil {
		r.decode(t, out)
	}
}

// fail sends a request and asserts an error answer; it returns the message.
func (c *client) fail(t *testing.T, method, path string, body any, status int, code string) string {
	t.Helper()
	r := c.call(t, method, path, body)
	return r.wantError(t, method+" "+path, status, code)
}

func (r *resp) decode(t *testing.T, out any) {
	t.Helper()
	if err := json.Unmarshal(r.body, out); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// wantError asserts that r is a JSON error answer with status and code and a
// message, and returns the message.
func (r *resp) wantError(t *testing.T, what string, status int, code string) string {
	t.Helper()
	var e struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: Content-Type %q, want JSON; status %d body %s", what, ct, r.status, r.body)
	}
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("%s: error body %s: %v", what, r.body, err)
	}
	if r.status != status || e.Error.Code != code {
		t.Fatalf("%s: got %d %q (%s), want %d %q", what, r.status, e.Error.Code, e.Error.Message, status, code)
	}
	if strings.TrimSpace(e.Error.Message) == "" {
		t.Fatalf("%s: error %q has no message", what, code)
	}
	return e.Error.Message
}

// list is the JSON shape of collections.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"nextCursor"`
}

func getList[T any](t *testing.T, c *client, path string) []T {
	t.Helper()
	var l list[T]
	c.ok(t, "GET", path, nil, 200, &l)
	if l.Items == nil {
		t.Fatalf("GET %s: items is null or missing", path)
	}
	return l.Items
}

// Typed helpers for the admin API.

func (c *client) rootOU(t *testing.T) interact.OU {
	t.Helper()
	for _, o := range getList[interact.OU](t, c, "/api/v1/ous") {
		if o.ParentID == nil {
			return o
		}
	}
	t.Fatal("no root OU")
	return interact.OU{}
}

func (c *client) createOU(t *testing.T, name, parent string) interact.OU {
	t.Helper()
	var o interact.OU
	c.ok(t, "POST", "/api/v1/ous", map[string]any{"name": name, "parentId": parent}, 201, &o)
	if o.ID == "" || o.Name != name || o.ParentID == nil || *o.ParentID != parent {
		t.Fatalf("created OU %+v, want %s below %s", o, name, parent)
	}
	return o
}

func (c *client) createService(t *testing.T, body map[string]any) interact.Service {
	t.Helper()
	var s interact.Service
	c.ok(t, "POST", "/api/v1/services", body, 201, &s)
	if s.ID == "" {
		t.Fatalf("created service has no id: %+v", s)
	}
	return s
}

func (c *client) createTemplate(t *testing.T, name, ou string, origins ...string) interact.DomainTemplate {
	t.Helper()
	var d interact.DomainTemplate
	c.ok(t, "POST", "/api/v1/domain-templates", map[string]any{"name": name, "ouId": ou, "origins": origins}, 201, &d)
	if d.ID == "" || d.OUID != ou {
		t.Fatalf("created template %+v, want one in OU %s", d, ou)
	}
	return d
}

func (c *client) createUser(t *testing.T, email, name, ou string, lic interact.Licenses, roles ...interact.Role) interact.User {
	t.Helper()
	if roles == nil {
		roles = []interact.Role{}
	}
	var u interact.User
	c.ok(t, "POST", "/api/v1/users", map[string]any{
		"email": email, "name": name, "ouId": ou, "licenses": lic, "roles": roles, "password": userPassword,
	}, 201, &u)
	if u.ID == "" || u.Email != email {
		t.Fatalf("created user %+v, want %s", u, email)
	}
	return u
}

func (c *client) interact(t *testing.T, serviceID string) interact.InteractSettings {
	t.Helper()
	var s interact.InteractSettings
	c.ok(t, "GET", "/api/v1/services/"+serviceID+"/interact", nil, 200, &s)
	return s
}

func (c *client) putInteract(t *testing.T, serviceID string, upd map[string]any) interact.InteractSettings {
	t.Helper()
	var s interact.InteractSettings
	c.ok(t, "PUT", "/api/v1/services/"+serviceID+"/interact", upd, 200, &s)
	return s
}

func (c *client) setTenant(t *testing.T, upd map[string]any) interact.Tenant {
	t.Helper()
	var tn interact.Tenant
	c.ok(t, "PATCH", "/api/v1/tenant", upd, 200, &tn)
	return tn
}

func (c *client) audit(t *testing.T) []interact.AuditEntry {
	t.Helper()
	return getList[interact.AuditEntry](t, c, "/api/v1/audit?limit=500")
}

// interactService sets up what Interact needs: the tenant switch on and a
// Contact Center service with the add-on in OU ou.
func (c *client) interactService(t *testing.T, name, ou string) interact.Service {
	t.Helper()
	c.setTenant(t, map[string]any{"interactEnabled": true})
	return c.createService(t, map[string]any{"name": name, "ouId": ou, "license": "contactCenter", "interactLicense": true})
}

// snapshot reads paths and returns their raw answers, to prove that a
// refused request changed nothing.
func (c *client) snapshot(t *testing.T, paths ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range paths {
		r := c.call(t, "GET", p, nil)
		out[fmt.Sprintf("%s (%d)", p, r.status)] = string(r.body)
	}
	return out
}

func diffSnapshot(t *testing.T, what string, before, after map[string]string) {
	t.Helper()
	if d := cmp.Diff(before, after); d != "" {
		t.Errorf("%s changed state (-before +after):\n%s", what, d)
	}
}

func snippet(public, contactID, key string) string {
	return `<script async src="` + public + `/widget.js" data-contact-id="` + contactID + `" data-widget-key="` + key + `"></script>`
}

// Ops endpoints.

func TestOpsEndpoints(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	anon := e.newClient()

	r := anon.call(t, "GET", "/healthz", nil)
	if r.status != 200 || strings.TrimSpace(string(r.body)) != "ok" {
		t.Errorf("/healthz: %d %q, want 200 ok", r.status, r.body)
	}
	r = anon.call(t, "GET", "/readyz", nil)
	if r.status != 200 {
		t.Errorf("/readyz with an open store: %d %s, want 200", r.status, r.body)
	}
	anon.fail(t, "GET", "/api/v1/tenant", nil, 401, interact.EUNAUTHORIZED)

	r = anon.call(t, "GET", "/metrics", nil)
	if r.status != 200 {
		t.Fatalf("/metrics: %d", r.status)
	}
	for _, want := range []string{
		"# TYPE interact_http_requests_total counter",
		`interact_http_requests_total{code="200",route="GET /healthz"} 1`,
		`interact_http_requests_total{code="401",route="GET /api/v1/tenant"} 1`,
		"interact_http_request_duration_seconds_bucket",
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	if err := e.db.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}
	r = anon.call(t, "GET", "/readyz", nil)
	if r.status != 503 {
		t.Errorf("/readyz with a closed store: %d %s, want 503", r.status, r.body)
	}
	if r = anon.call(t, "GET", "/healthz", nil); r.status != 200 {
		t.Errorf("/healthz with a closed store: %d, want 200 (liveness does not depend on the store)", r.status)
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	e := newEnv(t, web.Config{})
	a := e.adminClient(t)
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/tenant", "/api/v1/openapi.json", "/api/v1/no-such-thing", "/"} {
		r := a.call(t, "GET", p, nil)
		if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q, want nosniff", p, got)
		}
		if got := r.header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("GET %s: X-Frame-Options %q, want DENY", p, got)
		}
		if got := r.header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("GET %s: Referrer-Policy %q, want no-referrer", p, got)
		}
		if got := r.header.Get("Strict-Transport-Security"); got != "" {
			t.Errorf("GET %s over a plain-http public URL: Strict-Transport-Security %q, want none", p, got)
		}
	}
	// Behind TLS (the public URL is https), browsers are told to stay on it.
	secure := newEnv(t, web.Config{PublicURL: "https://contact.example.test"})
	for _, p := range []string{"/healthz", "/api/v1/openapi.json", "/widget.js", "/admin/signin"} {
		if got := secure.newClient().call(t, "GET", p, nil).header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("GET %s with an https public URL: Strict-Transport-Security %q, want max-age=31536000", p, got)
		}
	}
	r := a.call(t, "GET", "/api/v1/tenant", nil)
	if got := r.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("API answer Cache-Control %q, want no-store", got)
	}
	if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, "application/json") {
		t.Errorf("API answer Content-Type %q, want JSON", got)
	}
}
