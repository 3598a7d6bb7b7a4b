package web

import (
	"github.com/interact-oss/interact/web/endpoint"
)

// routeTable is the whole HTTP surface on one screen.
func (s *Server) routeTable() []endpoint.Route {
	const v1 = "/api/v1"
	routes := []endpoint.Route{
		{Method: "GET", Path: "/healthz", Tag: "ops", Summary: "Liveness: the process serves HTTP.", H: s.healthz},
		{Method: "GET", Path: "/readyz", Tag: "ops", Summary: "Readiness: the store answers.", H: s.readyz},

		{Method: "GET", Path: "/widget.js", Tag: "widget", Summary: "The widget loader: the snippet's script.", H: s.widgetLoader},
		{Method: "GET", Path: "/widget/{file}", Tag: "widget", Summary: "The widget's UI bundle, at a content-hashed name.", H: s.widgetFile},
		{Method: "GET", Path: "/demo", Tag: "demo", Summary: "The demo page embedding the demo service's widget (with --demo).", H: s.demo},
		{Method: "GET", Path: "/widget/v1/config", Tag: "widget", Summary: "What the widget may show now.", Auth: endpoint.AuthWidget, H: s.widgetConfigHandler},
		{Method: "POST", Path: "/widget/v1/tasks", Tag: "widget", Summary: "Start (or resume) a chat or call task.", Auth: endpoint.AuthWidget, H: s.startTask},
		{Method: "POST", Path: "/widget/v1/token", Tag: "widget", Summary: "Refresh a visitor token.", Auth: endpoint.AuthWidget, H: s.refreshToken},
		{Method: "GET", Path: "/widget/v1/tasks/{id}/transcript", Tag: "widget", Summary: "A task's transcript.", Auth: endpoint.AuthWidget, H: s.transcript},
		{Method: "POST", Path: "/widget/v1/tasks/{id}/leave-message", Tag: "widget", Summary: "Leave a message after no agent could take the contact.", Auth: endpoint.AuthWidget, H: s.leaveMessage},
		{Method: "GET", Path: "/widget/v1/ws", Tag: "widget", Summary: "The visitor's WebSocket.", Auth: endpoint.AuthWidget, H: s.visitorSocket},
		{Method: "GET", Path: "/agent/v1/ws", Tag: "agent", Summary: "The agent console's WebSocket.", Auth: endpoint.AuthUser, H: s.agentSocket},
		{Method: "GET", Path: v1 + "/openapi.json", Tag: "ops", Summary: "This API description.", H: s.openapi},

		{Method: "POST", Path: v1 + "/session", Tag: "session", Summary: "Sign in with e-mail and password; sets the session cookie.", Auth: endpoint.AuthLogin, In: loginRequest{}, Out: sessionInfo{}, H: s.login},
		{Method: "GET", Path: v1 + "/session", Tag: "session", Summary: "The signed-in user and the CSRF token for state-changing requests.", Auth: endpoint.AuthUser, Out: sessionInfo{}, H: s.session},
		{Method: "DELETE", Path: v1 + "/session", Tag: "session", Summary: "Sign out.", Auth: endpoint.AuthUser, Status: 204, H: s.logout},
	}
	routes = append(routes, s.admin.Routes()...)
	routes = append(routes, s.agentConsoleRoutes()...)
	return append(routes, s.console.Routes()...)
}
