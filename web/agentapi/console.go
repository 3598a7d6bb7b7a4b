package agentapi

// The agent console: one page at /agent (sign-in form without a session,
// else the console) whose script, bundled by esbuild from web/ui/console,
// speaks the agent protocol (docs/protocol.md §3) over /agent/v1/ws with
// the session cookie, plus three small REST endpoints for what the socket
// does not carry: the agent's memberships, the agent's own sessions (My
// Sessions) and the first message of a task the agent is being offered.

import (
	"context"
	"html/template"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
	"github.com/interact-oss/interact/web/ui/dist"
	"github.com/interact-oss/interact/web/ui/widget"
)

// Store is what the agent socket and console need of the store.
type Store interface {
	SessionActor(ctx context.Context, token string) (interact.Actor, string, error)
	TokenActor(ctx context.Context, token string) (interact.Actor, error)
	Task(ctx context.Context, id string) (*interact.Task, error)
	Messages(ctx context.Context, taskID string, after int64, limit int) ([]interact.Message, error)
	Service(ctx context.Context, a interact.Actor, id string) (*interact.Service, error)
	SetMemberActive(ctx context.Context, a interact.Actor, serviceID string, active bool) error
	AgentServices(ctx context.Context, tenantID, userID string) ([]string, error)
	ContactByID(ctx context.Context, tenantID, contactID string) (*interact.Contact, error)
	ContactWidget(ctx context.Context, tenantID, ownerID string) (*interact.WidgetSettings, error)
	AgentOffers(ctx context.Context, a interact.Actor, f interact.AgentSessionFilter) ([]interact.AgentSession, string, error)
	ServiceCodes(ctx context.Context, a interact.Actor, serviceID string) ([]interact.Code, error)
	SetSessionLabels(ctx context.Context, a interact.Actor, offerID string, codeIDs, tags []string) (*interact.Labels, error)
	SessionLabels(ctx context.Context, a interact.Actor, offerID string) (*interact.Labels, error)
	HandledOffer(ctx context.Context, a interact.Actor, taskID string) (string, error)
	RoutingService(ctx context.Context, tenantID, serviceID string) (*interact.Service, []interact.RoutingMember, error)
	EarlierSessions(ctx context.Context, a interact.Actor, taskID string) ([]interact.EarlierSession, error)
}

// Membership is one of the signed-in agent's services with their own
// active toggle.
type Membership struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Active       bool   `json:"active"`
	Distribution string `json:"distribution"` // the chat distribution type: pickup services list their waiting tasks
}

// labelsRequest sets a session's codes (by id) and free tags.
type labelsRequest struct {
	CodeIDs []string `json:"codeIds"`
	Tags    []string `json:"tags"`
}

// taskLabels are the labels of the user's session of a task.
type taskLabels struct {
	OfferID string `json:"offerId"`
	interact.Labels
}

// offerPreview is what an offer card shows beyond the offer frame.
type offerPreview struct {
	FirstMessage string `json:"firstMessage"`
}

// fieldLabels are the labels of a task's pre-chat fields by key, in one
// language: the console shows a visitor's fields by label.
type fieldLabels struct {
	Labels map[string]string `json:"labels"`
}

// agentConsoleCSP lets the console load only its own script and talk only
// to interact; its styles are constructed stylesheets.
const agentConsoleCSP = "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Routes are the agent socket, the agent console's page and assets, and
// the signed-in user's own endpoints under /api/v1/me.
func (s *API) Routes() []endpoint.Route {
	const me = "/api/v1/me"
	return []endpoint.Route{
		{Method: "GET", Path: "/agent/v1/ws", Tag: "agent", Summary: "The agent console's WebSocket.", Auth: endpoint.AuthUser, H: s.agentSocket},
		{Method: "GET", Path: "/agent", Tag: "agent", Summary: "The agent console.", H: s.agentConsolePage},
		{Method: "GET", Path: "/agent/{file}", Tag: "agent", Summary: "The agent console's script, at a content-hashed name.", H: s.agentConsoleFile},
		{Method: "GET", Path: me + "/services", Tag: "agent", Summary: "The signed-in user's services with their own active toggle.", Auth: endpoint.AuthUser,
			Out: []Membership{}, H: s.myServices},
		{Method: "GET", Path: me + "/sessions", Tag: "agent", Summary: "The signed-in user's own user sessions (offers) with their codes and tags, newest first, a page at a time.", Auth: endpoint.AuthUser,
			Out: endpoint.List[interact.AgentSession]{}, Query: []string{"limit", "cursor"}, H: s.mySessions},
		{Method: "PUT", Path: me + "/sessions/{id}/labels", Tag: "agent", Summary: "Set the codes (of the service's OU or above) and free tags of a session the signed-in user handled.", Auth: endpoint.AuthUser,
			In: labelsRequest{}, Out: interact.Labels{}, H: s.setMyLabels},
		{Method: "GET", Path: me + "/tasks/{id}/labels", Tag: "agent", Summary: "The codes and tags of the signed-in user's session of a task they handled.", Auth: endpoint.AuthUser,
			Out: taskLabels{}, H: s.myTaskLabels},
		{Method: "PUT", Path: me + "/tasks/{id}/labels", Tag: "agent", Summary: "Set the codes and tags of the signed-in user's latest session of a task they handled (during the task or in ACW).", Auth: endpoint.AuthUser,
			In: labelsRequest{}, Out: taskLabels{}, H: s.setMyTaskLabels},
		{Method: "GET", Path: me + "/services/{id}/codes", Tag: "agent", Summary: "The codes a service offers: those of its OU and every OU above it.", Auth: endpoint.AuthUser,
			Out: endpoint.List[interact.Code]{}, H: s.serviceCodes},
		{Method: "GET", Path: me + "/tasks/{id}/preview", Tag: "agent", Summary: "The first visitor message of a task offered to the signed-in user.", Auth: endpoint.AuthUser,
			Out: offerPreview{}, H: s.taskPreview},
		{Method: "GET", Path: me + "/tasks/{id}/fields", Tag: "agent", Summary: "The labels of the pre-chat fields of a task offered to the signed-in user, in a language (lang: en, de, fr, it), from its contact's widget settings.", Auth: endpoint.AuthUser,
			Out: fieldLabels{}, Query: []string{"lang"}, H: s.taskFieldLabels},
		{Method: "GET", Path: me + "/tasks/{id}/visits", Tag: "agent", Summary: "The earlier conversations of a task's visitor (the same browser) in the tenant, newest first: for those who may read the task's transcript, the agent who holds it among them. Each says whether the caller may read its transcript; those they may not are listed without the rating comment.", Auth: endpoint.AuthUser,
			Out: endpoint.List[interact.EarlierSession]{}, H: s.taskVisits},
	}
}

var agentConsolePage = template.Must(template.New("agent").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>interact · agent console</title>
</head>
<body>
<noscript>The agent console needs JavaScript.</noscript>
<script src="/agent/{{.}}"></script>
</body>
</html>
`))

// consoleBundle is the name of the console's script in web/ui/dist.
func consoleBundle() string {
	var names []string
	for _, n := range dist.Names() {
		if strings.HasPrefix(n, "console.") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return ""
	}
	return names[0]
}

// agentConsolePage serves the console's page; the script asks for the
// session and shows the sign-in form when there is none.
func (s *API) agentConsolePage(w http.ResponseWriter, r *http.Request) error {
	name := consoleBundle()
	if name == "" {
		return interact.Errorf(interact.EINTERNAL, "the agent console is not built")
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", agentConsoleCSP)
	h.Set("Cache-Control", "no-store")
	return agentConsolePage.Execute(w, name)
}

// agentConsoleFile serves the console's script, cached for a year.
func (s *API) agentConsoleFile(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	if !strings.HasPrefix(name, "console.") {
		return interact.Errorf(interact.ENOTFOUND, "No such file.")
	}
	return dist.Serve(w, r, name, "public, max-age=31536000, immutable")
}

// myServices lists the signed-in user's memberships.
func (s *API) myServices(w http.ResponseWriter, r *http.Request) error {
	cs := s.store
	a := endpoint.ActorFrom(r)
	ids, err := s.store.AgentServices(r.Context(), a.TenantID, a.UserID)
	if err != nil {
		return err
	}
	out := []Membership{}
	for _, id := range ids {
		svc, members, err := cs.RoutingService(r.Context(), a.TenantID, id)
		if interact.ErrorCode(err) == interact.ENOTFOUND {
			continue // deleted meanwhile
		}
		if err != nil {
			return err
		}
		for _, m := range members {
			if m.UserID == a.UserID {
				out = append(out, Membership{ID: svc.ID, Name: svc.Name, Active: m.Active, Distribution: svc.Distribution.Type})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	endpoint.WriteJSON(w, http.StatusOK, out)
	return nil
}

// mySessions lists the signed-in user's own offers (My Sessions).
func (s *API) mySessions(w http.ResponseWriter, r *http.Request) error {
	cs := s.store
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		var err error
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > interact.MaxAgentSessions {
			return interact.Errorf(interact.EINVALID, "limit must be 1 to %d.", interact.MaxAgentSessions)
		}
	}
	items, next, err := cs.AgentOffers(r.Context(), endpoint.ActorFrom(r), interact.AgentSessionFilter{Cursor: r.URL.Query().Get("cursor"), Limit: limit})
	if err != nil {
		return err
	}
	l := endpoint.ListOf(items)
	l.NextCursor = next
	endpoint.WriteJSON(w, http.StatusOK, l)
	return nil
}

// setMyLabels replaces the codes and tags of one of the user's sessions.
func (s *API) setMyLabels(w http.ResponseWriter, r *http.Request) error {
	cs := s.store
	var req labelsRequest
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	l, err := cs.SetSessionLabels(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"), req.CodeIDs, req.Tags)
	if err != nil {
		return err
	}
	endpoint.WriteJSON(w, http.StatusOK, l)
	return nil
}

// myTaskLabels returns the labels of the user's session of a task.
func (s *API) myTaskLabels(w http.ResponseWriter, r *http.Request) error {
	cs := s.store
	a := endpoint.ActorFrom(r)
	id, err := cs.HandledOffer(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	l, err := cs.SessionLabels(r.Context(), a, id)
	if err != nil {
		return err
	}
	endpoint.WriteJSON(w, http.StatusOK, taskLabels{OfferID: id, Labels: *l})
	return nil
}

// setMyTaskLabels labels the user's latest session of a task.
func (s *API) setMyTaskLabels(w http.ResponseWriter, r *http.Request) error {
	cs := s.store
	var req labelsRequest
	if err := endpoint.Decode(w, r, &req); err != nil {
		return err
	}
	a := endpoint.ActorFrom(r)
	id, err := cs.HandledOffer(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	l, err := cs.SetSessionLabels(r.Context(), a, id, req.CodeIDs, req.Tags)
	if err != nil {
		return err
	}
	endpoint.WriteJSON(w, http.StatusOK, taskLabels{OfferID: id, Labels: *l})
	return nil
}

// serviceCodes lists the codes of a service the user belongs to or sees.
func (s *API) serviceCodes(w http.ResponseWriter, r *http.Request) error {
	cs := s.store
	codes, err := cs.ServiceCodes(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	endpoint.WriteJSON(w, http.StatusOK, endpoint.ListOf(codes))
	return nil
}

// taskPreview returns the first visitor message of a task, to an agent who
// has (or had) an offer of it: the offer card shows it before accepting.
func (s *API) taskPreview(w http.ResponseWriter, r *http.Request) error {
	cs := s.store
	id := r.PathValue("id")
	if err := offered(r.Context(), cs, endpoint.ActorFrom(r), id); err != nil {
		return err
	}
	msgs, err := s.store.Messages(r.Context(), id, 0, 50)
	if err != nil {
		return err
	}
	var p offerPreview
	for _, m := range msgs {
		if m.From == interact.FromVisitor {
			p.FirstMessage = m.Text
			break
		}
	}
	endpoint.WriteJSON(w, http.StatusOK, p)
	return nil
}

// offered returns nil when the task was offered to the actor, else a not
// found error (so another agent's task stays invisible).
func offered(ctx context.Context, cs Store, a interact.Actor, taskID string) error {
	offers, _, err := cs.AgentOffers(ctx, a, interact.AgentSessionFilter{Limit: interact.MaxAgentSessions})
	if err != nil {
		return err
	}
	for _, o := range offers {
		if o.TaskID == taskID {
			return nil
		}
	}
	return interact.Errorf(interact.ENOTFOUND, "No task %q was offered to you.", taskID)
}

// taskFieldLabels returns the labels of the custom pre-chat fields of the
// task's contact (a service or a user) in the asked language, else English,
// else any; keys without a field (removed since) are left out.
func (s *API) taskFieldLabels(w http.ResponseWriter, r *http.Request) error {
	cs := s.store
	a, id, lang := endpoint.ActorFrom(r), r.PathValue("id"), r.URL.Query().Get("lang")
	if lang != "" && !slices.Contains(interact.WidgetLangs, lang) {
		return interact.Errorf(interact.EINVALID, "lang: use en, de, fr or it (got %q).", lang)
	}
	if err := offered(r.Context(), cs, a, id); err != nil {
		return err
	}
	t, err := s.store.Task(r.Context(), id)
	if err != nil {
		return err
	}
	c, err := s.store.ContactByID(r.Context(), a.TenantID, t.ContactID)
	if err != nil {
		return err
	}
	out := fieldLabels{Labels: map[string]string{}}
	saved, err := s.store.ContactWidget(r.Context(), a.TenantID, c.Settings.OwnerID)
	if err != nil {
		return err
	}
	for _, f := range widget.Effective(saved).Fields {
		out.Labels[f.Key] = f.LabelIn(lang)
	}
	endpoint.WriteJSON(w, http.StatusOK, out)
	return nil
}

// taskVisits lists the earlier conversations of a task's visitor, for the
// side panel of the agent who holds it.
func (s *API) taskVisits(w http.ResponseWriter, r *http.Request) error {
	items, err := s.store.EarlierSessions(r.Context(), endpoint.ActorFrom(r), r.PathValue("id"))
	return endpoint.ReplyList(w, items, err)
}
