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

		{Method: "GET", Path: v1 + "/openapi.json", Tag: "ops", Summary: "This API description.", H: s.openapi},

		{Method: "POST", Path: v1 + "/session", Tag: "session", Summary: "Sign in with e-mail and password; sets the session cookie. When the address and password fit users of several tenants, the answer is 409 tenant_required with error.tenants ([{id, name}], only those tenants): send tenantId to choose one.", Auth: endpoint.AuthLogin, In: loginRequest{}, Out: sessionInfo{}, H: s.login},
		{Method: "GET", Path: v1 + "/session", Tag: "session", Summary: "The signed-in user and the CSRF token for state-changing requests.", Auth: endpoint.AuthUser, Out: sessionInfo{}, H: s.session},
		{Method: "DELETE", Path: v1 + "/session", Tag: "session", Summary: "Sign out.", Auth: endpoint.AuthUser, Status: 204, H: s.logout},
	}
	routes = append(routes, s.account.Routes()...)
	routes = append(routes, s.widget.Routes()...)
	routes = append(routes, s.admin.Routes()...)
	routes = append(routes, s.agent.Routes()...)
	return append(routes, s.console.Routes()...)
}
