package web

import (
	"net/http"

	"github.com/interact-oss/interact"
)

type authMode int

const (
	authNone   authMode = iota // public
	authLogin                  // public, but same-origin only (sign-in)
	authUser                   // any signed-in user or API token
	authAdmin                  // an administrator: operator, tenant admin, OU admin or service owner
	authWidget                 // public widget endpoint: contact, origin (CORS) and rate checks
)

// route is one endpoint. The table below registers the handlers and
// describes the API in /api/v1/openapi.json, so the two cannot drift.
type route struct {
	method, path string
	tag, summary string
	auth         authMode
	in, out      any  // request and response body types, for OpenAPI; nil for none
	optionalIn   bool // the request body may be omitted
	query        []string
	status       int // success status; default 200
	h            func(http.ResponseWriter, *http.Request) error
}

// routeTable is the whole HTTP surface on one screen.
func (s *Server) routeTable() []route {
	const v1 = "/api/v1"
	type (
		tenants   = list[interact.Tenant]
		ous       = list[interact.OU]
		users     = list[interact.User]
		services  = list[interact.Service]
		members   = list[interact.Member]
		templates = list[interact.DomainTemplate]
		tokens    = list[interact.APIToken]
		audit     = list[interact.AuditEntry]
	)
	routes := []route{
		{method: "GET", path: "/healthz", tag: "ops", summary: "Liveness: the process serves HTTP.", h: s.healthz},
		{method: "GET", path: "/readyz", tag: "ops", summary: "Readiness: the store answers.", h: s.readyz},

		{method: "GET", path: "/widget.js", tag: "widget", summary: "The widget loader: the snippet's script.", h: s.widgetLoader},
		{method: "GET", path: "/widget/{file}", tag: "widget", summary: "The widget's UI bundle, at a content-hashed name.", h: s.widgetFile},
		{method: "GET", path: "/demo", tag: "demo", summary: "The demo page embedding the demo service's widget (with --demo).", h: s.demo},
		{method: "GET", path: "/widget/v1/config", tag: "widget", summary: "What the widget may show now.", auth: authWidget, h: s.widgetConfigHandler},
		{method: "POST", path: "/widget/v1/tasks", tag: "widget", summary: "Start (or resume) a chat or call task.", auth: authWidget, h: s.startTask},
		{method: "POST", path: "/widget/v1/token", tag: "widget", summary: "Refresh a visitor token.", auth: authWidget, h: s.refreshToken},
		{method: "GET", path: "/widget/v1/tasks/{id}/transcript", tag: "widget", summary: "A task's transcript.", auth: authWidget, h: s.transcript},
		{method: "POST", path: "/widget/v1/tasks/{id}/leave-message", tag: "widget", summary: "Leave a message after no agent could take the contact.", auth: authWidget, h: s.leaveMessage},
		{method: "GET", path: "/widget/v1/ws", tag: "widget", summary: "The visitor's WebSocket.", auth: authWidget, h: s.visitorSocket},
		{method: "GET", path: "/agent/v1/ws", tag: "agent", summary: "The agent console's WebSocket.", auth: authUser, h: s.agentSocket},
		{method: "GET", path: v1 + "/openapi.json", tag: "ops", summary: "This API description.", h: s.openapi},

		{method: "POST", path: v1 + "/session", tag: "session", summary: "Sign in with e-mail and password; sets the session cookie.", auth: authLogin, in: loginRequest{}, out: sessionInfo{}, h: s.login},
		{method: "GET", path: v1 + "/session", tag: "session", summary: "The signed-in user and the CSRF token for state-changing requests.", auth: authUser, out: sessionInfo{}, h: s.session},
		{method: "DELETE", path: v1 + "/session", tag: "session", summary: "Sign out.", auth: authUser, status: 204, h: s.logout},

		{method: "GET", path: v1 + "/tenants", tag: "tenants", summary: "List all tenants (operators).", auth: authAdmin, out: tenants{}, h: s.listTenants},
		{method: "POST", path: v1 + "/tenants", tag: "tenants", summary: "Create a tenant with its root OU and first tenant admin (operators).", auth: authAdmin, in: newTenantRequest{}, out: newTenantResponse{}, status: 201, h: s.createTenant},
		{method: "GET", path: v1 + "/tenants/{id}", tag: "tenants", summary: "Get a tenant (operators).", auth: authAdmin, out: interact.Tenant{}, h: s.getTenant},
		{method: "PATCH", path: v1 + "/tenants/{id}", tag: "tenants", summary: "Change a tenant, including its state (operators).", auth: authAdmin, in: interact.TenantUpdate{}, out: interact.Tenant{}, h: s.patchTenant},
		{method: "GET", path: v1 + "/tenant", tag: "tenants", summary: "The caller's tenant and its settings.", auth: authAdmin, out: interact.Tenant{}, h: s.getOwnTenant},
		{method: "PATCH", path: v1 + "/tenant", tag: "tenants", summary: "Change the caller's tenant settings (tenant admins).", auth: authAdmin, in: interact.TenantUpdate{}, out: interact.Tenant{}, h: s.patchOwnTenant},

		{method: "GET", path: v1 + "/ous", tag: "ous", summary: "List the OUs the caller can read.", auth: authAdmin, out: ous{}, h: s.listOUs},
		{method: "POST", path: v1 + "/ous", tag: "ous", summary: "Create an OU below a parent.", auth: authAdmin, in: interact.OU{}, out: interact.OU{}, status: 201, h: s.createOU},
		{method: "GET", path: v1 + "/ous/{id}", tag: "ous", summary: "Get an OU.", auth: authAdmin, out: interact.OU{}, h: s.getOU},
		{method: "PATCH", path: v1 + "/ous/{id}", tag: "ous", summary: "Rename or move an OU (no cycles).", auth: authAdmin, in: interact.OUUpdate{}, out: interact.OU{}, h: s.patchOU},
		{method: "DELETE", path: v1 + "/ous/{id}", tag: "ous", summary: "Delete an empty OU.", auth: authAdmin, status: 204, h: s.deleteOU},

		{method: "GET", path: v1 + "/users", tag: "users", summary: "List the users the caller can read.", auth: authAdmin, out: users{}, h: s.listUsers},
		{method: "POST", path: v1 + "/users", tag: "users", summary: "Create a user with licences and roles.", auth: authAdmin, in: newUserRequest{}, out: interact.User{}, status: 201, h: s.createUser},
		{method: "GET", path: v1 + "/users/{id}", tag: "users", summary: "Get a user.", auth: authAdmin, out: interact.User{}, h: s.getUser},
		{method: "PATCH", path: v1 + "/users/{id}", tag: "users", summary: "Change a user: name, e-mail, OU, licences, roles, password.", auth: authAdmin, in: interact.UserUpdate{}, out: interact.User{}, h: s.patchUser},
		{method: "DELETE", path: v1 + "/users/{id}", tag: "users", summary: "Delete a user.", auth: authAdmin, status: 204, h: s.deleteUser},
		{method: "GET", path: v1 + "/users/{id}/tokens", tag: "users", summary: "List a user's API tokens.", auth: authUser, out: tokens{}, h: s.listTokens},
		{method: "POST", path: v1 + "/users/{id}/tokens", tag: "users", summary: "Create an API token; the secret is returned once.", auth: authUser, in: newTokenRequest{}, out: newTokenResponse{}, status: 201, h: s.createToken},
		{method: "DELETE", path: v1 + "/users/{id}/tokens/{tokenId}", tag: "users", summary: "Revoke an API token.", auth: authUser, status: 204, h: s.deleteToken},
		{method: "GET", path: v1 + "/users/{id}/interact", tag: "interact", summary: "A user's Interact tab (direct contact).", auth: authAdmin, out: interact.InteractSettings{}, h: s.getInteract(interact.OwnerUser)},
		{method: "PUT", path: v1 + "/users/{id}/interact", tag: "interact", summary: "Change a user's Interact settings.", auth: authAdmin, in: interact.InteractUpdate{}, out: interact.InteractSettings{}, h: s.putInteract(interact.OwnerUser)},
		{method: "POST", path: v1 + "/users/{id}/interact/rotate-key", tag: "interact", summary: "Give a user's snippet a new widget key.", auth: authAdmin, in: rotateRequest{}, optionalIn: true, out: interact.InteractSettings{}, h: s.rotateKey(interact.OwnerUser)},
		{method: "GET", path: v1 + "/users/{id}/widget", tag: "interact", summary: "The widget settings of a user's direct contact: pre-chat form and text overrides (the built-in defaults when none are saved).", auth: authAdmin, out: widgetSettingsResponse{}, h: s.getWidget(interact.OwnerUser)},
		{method: "PUT", path: v1 + "/users/{id}/widget", tag: "interact", summary: "Replace the widget settings of a user's direct contact; an error names the bad field and changes nothing.", auth: authAdmin, in: interact.WidgetSettings{}, out: widgetSettingsResponse{}, h: s.putWidget(interact.OwnerUser)},
		{method: "DELETE", path: v1 + "/users/{id}/widget", tag: "interact", summary: "Reset the widget settings of a user's direct contact to the built-in defaults.", auth: authAdmin, out: widgetSettingsResponse{}, h: s.deleteWidget(interact.OwnerUser)},

		{method: "GET", path: v1 + "/services", tag: "services", summary: "List the services the caller can see.", auth: authAdmin, out: services{}, h: s.listServices},
		{method: "POST", path: v1 + "/services", tag: "services", summary: "Create a service.", auth: authAdmin, in: interact.Service{}, out: interact.Service{}, status: 201, h: s.createService},
		{method: "GET", path: v1 + "/services/{id}", tag: "services", summary: "Get a service.", auth: authAdmin, out: interact.Service{}, h: s.getService},
		{method: "PATCH", path: v1 + "/services/{id}", tag: "services", summary: "Change a service; licences need a tenant admin.", auth: authAdmin, in: interact.ServiceUpdate{}, out: interact.Service{}, h: s.patchService},
		{method: "DELETE", path: v1 + "/services/{id}", tag: "services", summary: "Delete a service.", auth: authAdmin, status: 204, h: s.deleteService},
		{method: "GET", path: v1 + "/services/{id}/members", tag: "services", summary: "List a service's members.", auth: authAdmin, out: members{}, h: s.listMembers},
		{method: "PUT", path: v1 + "/services/{id}/members/{userId}", tag: "services", summary: "Add a member or set their active toggle.", auth: authAdmin, in: memberRequest{}, out: interact.Member{}, h: s.putMember},
		{method: "DELETE", path: v1 + "/services/{id}/members/{userId}", tag: "services", summary: "Remove a member.", auth: authAdmin, status: 204, h: s.deleteMember},
		{method: "GET", path: v1 + "/services/{id}/interact", tag: "interact", summary: "A service's Interact tab: settings, snippet and selectable templates.", auth: authAdmin, out: interact.InteractSettings{}, h: s.getInteract(interact.OwnerService)},
		{method: "PUT", path: v1 + "/services/{id}/interact", tag: "interact", summary: "Change a service's Interact settings.", auth: authAdmin, in: interact.InteractUpdate{}, out: interact.InteractSettings{}, h: s.putInteract(interact.OwnerService)},
		{method: "POST", path: v1 + "/services/{id}/interact/rotate-key", tag: "interact", summary: "Give a service's snippet a new widget key; the old one stays valid for the grace period.", auth: authAdmin, in: rotateRequest{}, optionalIn: true, out: interact.InteractSettings{}, h: s.rotateKey(interact.OwnerService)},
		{method: "GET", path: v1 + "/services/{id}/widget", tag: "interact", summary: "The widget settings of a service: pre-chat form and text overrides (the built-in defaults when none are saved).", auth: authAdmin, out: widgetSettingsResponse{}, h: s.getWidget(interact.OwnerService)},
		{method: "PUT", path: v1 + "/services/{id}/widget", tag: "interact", summary: "Replace the widget settings of a service; an error names the bad field and changes nothing.", auth: authAdmin, in: interact.WidgetSettings{}, out: widgetSettingsResponse{}, h: s.putWidget(interact.OwnerService)},
		{method: "DELETE", path: v1 + "/services/{id}/widget", tag: "interact", summary: "Reset the widget settings of a service to the built-in defaults.", auth: authAdmin, out: widgetSettingsResponse{}, h: s.deleteWidget(interact.OwnerService)},

		{method: "GET", path: v1 + "/domain-templates", tag: "domain-templates", summary: "List the domain templates the caller can read.", auth: authAdmin, out: templates{}, h: s.listTemplates},
		{method: "POST", path: v1 + "/domain-templates", tag: "domain-templates", summary: "Create a domain template; each origin entry is validated.", auth: authAdmin, in: interact.DomainTemplate{}, out: interact.DomainTemplate{}, status: 201, h: s.createTemplate},
		{method: "GET", path: v1 + "/domain-templates/{id}", tag: "domain-templates", summary: "Get a domain template.", auth: authAdmin, out: interact.DomainTemplate{}, h: s.getTemplate},
		{method: "PATCH", path: v1 + "/domain-templates/{id}", tag: "domain-templates", summary: "Change a domain template.", auth: authAdmin, in: interact.DomainTemplateUpdate{}, out: interact.DomainTemplate{}, h: s.patchTemplate},
		{method: "DELETE", path: v1 + "/domain-templates/{id}", tag: "domain-templates", summary: "Delete a domain template no one selects.", auth: authAdmin, status: 204, h: s.deleteTemplate},
		{method: "POST", path: v1 + "/origin-check", tag: "interact", summary: "Would a web page at this origin be allowed to contact this Contact ID, and by which entry?", auth: authAdmin, in: originCheckRequest{}, out: originCheckResponse{}, h: s.originCheck},

		{method: "GET", path: v1 + "/sessions", tag: "sessions", summary: "Service sessions (tasks) with their outcome and user sessions (offers) with their codes and tags.", auth: authAdmin, out: list[interact.Session]{},
			query: []string{"serviceId", "outcome", "code", "tag", "since", "until", "cursor", "limit"}, h: s.listSessions},
		{method: "GET", path: v1 + "/audit", tag: "audit", summary: "The audit log, newest first (tenant admins).", auth: authAdmin, out: audit{},
			query: []string{"entityKind", "entityId", "actorId", "action", "since", "until", "cursor", "limit"}, h: s.listAudit},
	}
	routes = append(routes, s.agentConsoleRoutes()...)
	return append(append(routes, s.adminConsoleRoutes()...), s.adminCodesRoutes()...)
}
