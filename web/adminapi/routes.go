package adminapi

import (
	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/web/endpoint"
)

// Routes are the admin REST API's endpoints under /api/v1.
func (s *API) Routes() []endpoint.Route {
	const v1 = "/api/v1"
	type (
		tenants   = endpoint.List[interact.Tenant]
		ous       = endpoint.List[interact.OU]
		users     = endpoint.List[interact.User]
		services  = endpoint.List[interact.Service]
		members   = endpoint.List[interact.Member]
		templates = endpoint.List[interact.DomainTemplate]
		tokens    = endpoint.List[interact.APIToken]
		audit     = endpoint.List[interact.AuditEntry]
		calendars = endpoint.List[interact.HolidayCalendar]
		kpis      = endpoint.List[interact.KPI]
	)
	return []endpoint.Route{
		{Method: "GET", Path: v1 + "/tenants", Tag: "tenants", Summary: "List all tenants (operators).", Auth: endpoint.AuthAdmin, Out: tenants{}, H: s.listTenants},
		{Method: "POST", Path: v1 + "/tenants", Tag: "tenants", Summary: "Create a tenant with its root OU and first tenant admin (operators).", Auth: endpoint.AuthAdmin, In: newTenantRequest{}, Out: newTenantResponse{}, Status: 201, H: s.createTenant},
		{Method: "GET", Path: v1 + "/tenants/{id}", Tag: "tenants", Summary: "Get a tenant (operators).", Auth: endpoint.AuthAdmin, Out: interact.Tenant{}, H: s.getTenant},
		{Method: "PATCH", Path: v1 + "/tenants/{id}", Tag: "tenants", Summary: "Change a tenant, including its state (operators).", Auth: endpoint.AuthAdmin, In: interact.TenantUpdate{}, Out: interact.Tenant{}, H: s.patchTenant},
		{Method: "GET", Path: v1 + "/tenant", Tag: "tenants", Summary: "The caller's tenant and its settings.", Auth: endpoint.AuthAdmin, Out: interact.Tenant{}, H: s.getOwnTenant},
		{Method: "PATCH", Path: v1 + "/tenant", Tag: "tenants", Summary: "Change the caller's tenant settings (tenant admins).", Auth: endpoint.AuthAdmin, In: interact.TenantUpdate{}, Out: interact.Tenant{}, H: s.patchOwnTenant},

		{Method: "GET", Path: v1 + "/ous", Tag: "ous", Summary: "List the OUs the caller can read.", Auth: endpoint.AuthAdmin, Out: ous{}, H: s.listOUs},
		{Method: "POST", Path: v1 + "/ous", Tag: "ous", Summary: "Create an OU below a parent.", Auth: endpoint.AuthAdmin, In: interact.OU{}, Out: interact.OU{}, Status: 201, H: s.createOU},
		{Method: "GET", Path: v1 + "/ous/{id}", Tag: "ous", Summary: "Get an OU.", Auth: endpoint.AuthAdmin, Out: interact.OU{}, H: s.getOU},
		{Method: "PATCH", Path: v1 + "/ous/{id}", Tag: "ous", Summary: "Rename or move an OU (no cycles).", Auth: endpoint.AuthAdmin, In: interact.OUUpdate{}, Out: interact.OU{}, H: s.patchOU},
		{Method: "DELETE", Path: v1 + "/ous/{id}", Tag: "ous", Summary: "Delete an empty OU.", Auth: endpoint.AuthAdmin, Status: 204, H: s.deleteOU},

		{Method: "GET", Path: v1 + "/users", Tag: "users", Summary: "List the users the caller can read.", Auth: endpoint.AuthAdmin, Out: users{}, H: s.listUsers},
		{Method: "POST", Path: v1 + "/users", Tag: "users", Summary: "Create a user with licences and roles.", Auth: endpoint.AuthAdmin, In: newUserRequest{}, Out: interact.User{}, Status: 201, H: s.createUser},
		{Method: "GET", Path: v1 + "/users/{id}", Tag: "users", Summary: "Get a user.", Auth: endpoint.AuthAdmin, Out: interact.User{}, H: s.getUser},
		{Method: "PATCH", Path: v1 + "/users/{id}", Tag: "users", Summary: "Change a user: name, e-mail, OU, licences, roles, password.", Auth: endpoint.AuthAdmin, In: interact.UserUpdate{}, Out: interact.User{}, H: s.patchUser},
		{Method: "DELETE", Path: v1 + "/users/{id}", Tag: "users", Summary: "Delete a user.", Auth: endpoint.AuthAdmin, Status: 204, H: s.deleteUser},
		{Method: "GET", Path: v1 + "/users/{id}/tokens", Tag: "users", Summary: "List a user's API tokens.", Auth: endpoint.AuthUser, Out: tokens{}, H: s.listTokens},
		{Method: "POST", Path: v1 + "/users/{id}/tokens", Tag: "users", Summary: "Create an API token; the secret is returned once.", Auth: endpoint.AuthUser, In: newTokenRequest{}, Out: newTokenResponse{}, Status: 201, H: s.createToken},
		{Method: "DELETE", Path: v1 + "/users/{id}/tokens/{tokenId}", Tag: "users", Summary: "Revoke an API token.", Auth: endpoint.AuthUser, Status: 204, H: s.deleteToken},
		{Method: "GET", Path: v1 + "/users/{id}/interact", Tag: "interact", Summary: "A user's Interact tab (direct contact).", Auth: endpoint.AuthAdmin, Out: interact.InteractSettings{}, H: s.getInteract(interact.OwnerUser)},
		{Method: "PUT", Path: v1 + "/users/{id}/interact", Tag: "interact", Summary: "Change a user's Interact settings.", Auth: endpoint.AuthAdmin, In: interact.InteractUpdate{}, Out: interact.InteractSettings{}, H: s.putInteract(interact.OwnerUser)},
		{Method: "POST", Path: v1 + "/users/{id}/interact/rotate-key", Tag: "interact", Summary: "Give a user's snippet a new widget key.", Auth: endpoint.AuthAdmin, In: rotateRequest{}, OptionalIn: true, Out: interact.InteractSettings{}, H: s.rotateKey(interact.OwnerUser)},
		{Method: "GET", Path: v1 + "/users/{id}/widget", Tag: "interact", Summary: "The widget settings of a user's direct contact: pre-chat form and text overrides (the built-in defaults when none are saved).", Auth: endpoint.AuthAdmin, Out: widgetSettingsResponse{}, H: s.getWidget(interact.OwnerUser)},
		{Method: "PUT", Path: v1 + "/users/{id}/widget", Tag: "interact", Summary: "Replace the widget settings of a user's direct contact; an error names the bad field and changes nothing.", Auth: endpoint.AuthAdmin, In: interact.WidgetSettings{}, Out: widgetSettingsResponse{}, H: s.putWidget(interact.OwnerUser)},
		{Method: "DELETE", Path: v1 + "/users/{id}/widget", Tag: "interact", Summary: "Reset the widget settings of a user's direct contact to the built-in defaults.", Auth: endpoint.AuthAdmin, Out: widgetSettingsResponse{}, H: s.deleteWidget(interact.OwnerUser)},

		{Method: "GET", Path: v1 + "/services", Tag: "services", Summary: "List the services the caller can see.", Auth: endpoint.AuthAdmin, Out: services{}, H: s.listServices},
		{Method: "POST", Path: v1 + "/services", Tag: "services", Summary: "Create a service.", Auth: endpoint.AuthAdmin, In: interact.Service{}, Out: interact.Service{}, Status: 201, H: s.createService},
		{Method: "GET", Path: v1 + "/services/{id}", Tag: "services", Summary: "Get a service.", Auth: endpoint.AuthAdmin, Out: interact.Service{}, H: s.getService},
		{Method: "PATCH", Path: v1 + "/services/{id}", Tag: "services", Summary: "Change a service; licences need a tenant admin.", Auth: endpoint.AuthAdmin, In: interact.ServiceUpdate{}, Out: interact.Service{}, H: s.patchService},
		{Method: "DELETE", Path: v1 + "/services/{id}", Tag: "services", Summary: "Delete a service.", Auth: endpoint.AuthAdmin, Status: 204, H: s.deleteService},
		{Method: "GET", Path: v1 + "/services/{id}/members", Tag: "services", Summary: "List a service's members.", Auth: endpoint.AuthAdmin, Out: members{}, H: s.listMembers},
		{Method: "PUT", Path: v1 + "/services/{id}/members/{userId}", Tag: "services", Summary: "Add a member or set their active toggle.", Auth: endpoint.AuthAdmin, In: memberRequest{}, Out: interact.Member{}, H: s.putMember},
		{Method: "DELETE", Path: v1 + "/services/{id}/members/{userId}", Tag: "services", Summary: "Remove a member.", Auth: endpoint.AuthAdmin, Status: 204, H: s.deleteMember},
		{Method: "GET", Path: v1 + "/services/{id}/interact", Tag: "interact", Summary: "A service's Interact tab: settings, snippet and selectable templates.", Auth: endpoint.AuthAdmin, Out: interact.InteractSettings{}, H: s.getInteract(interact.OwnerService)},
		{Method: "PUT", Path: v1 + "/services/{id}/interact", Tag: "interact", Summary: "Change a service's Interact settings.", Auth: endpoint.AuthAdmin, In: interact.InteractUpdate{}, Out: interact.InteractSettings{}, H: s.putInteract(interact.OwnerService)},
		{Method: "POST", Path: v1 + "/services/{id}/interact/rotate-key", Tag: "interact", Summary: "Give a service's snippet a new widget key; the old one stays valid for the grace period.", Auth: endpoint.AuthAdmin, In: rotateRequest{}, OptionalIn: true, Out: interact.InteractSettings{}, H: s.rotateKey(interact.OwnerService)},
		{Method: "GET", Path: v1 + "/services/{id}/widget", Tag: "interact", Summary: "The widget settings of a service: pre-chat form and text overrides (the built-in defaults when none are saved).", Auth: endpoint.AuthAdmin, Out: widgetSettingsResponse{}, H: s.getWidget(interact.OwnerService)},
		{Method: "PUT", Path: v1 + "/services/{id}/widget", Tag: "interact", Summary: "Replace the widget settings of a service; an error names the bad field and changes nothing.", Auth: endpoint.AuthAdmin, In: interact.WidgetSettings{}, Out: widgetSettingsResponse{}, H: s.putWidget(interact.OwnerService)},
		{Method: "DELETE", Path: v1 + "/services/{id}/widget", Tag: "interact", Summary: "Reset the widget settings of a service to the built-in defaults.", Auth: endpoint.AuthAdmin, Out: widgetSettingsResponse{}, H: s.deleteWidget(interact.OwnerService)},

		{Method: "GET", Path: v1 + "/services/{id}/hours", Tag: "hours", Summary: "A service's opening hours, whether it is open now and when it opens next, and the holiday calendars it may select (a service without hours is always open).", Auth: endpoint.AuthAdmin, Out: hoursResponse{}, H: s.getHours},
		{Method: "PUT", Path: v1 + "/services/{id}/hours", Tag: "hours", Summary: "Replace a service's opening hours: timeZone, weekly (null: around the clock), holidayCalendarIds, closedNow; bad input changes nothing.", Auth: endpoint.AuthAdmin, In: interact.ServiceHours{}, Out: hoursResponse{}, H: s.putHours},
		{Method: "GET", Path: v1 + "/holiday-calendars", Tag: "hours", Summary: "List the holiday calendars the caller can read.", Auth: endpoint.AuthAdmin, Out: calendars{}, H: s.listCalendars},
		{Method: "POST", Path: v1 + "/holiday-calendars", Tag: "hours", Summary: "Create a holiday calendar in an OU; services in that OU or below may select it.", Auth: endpoint.AuthAdmin, In: interact.HolidayCalendar{}, Out: interact.HolidayCalendar{}, Status: 201, H: s.createCalendar},
		{Method: "GET", Path: v1 + "/holiday-calendars/{id}", Tag: "hours", Summary: "Get a holiday calendar.", Auth: endpoint.AuthAdmin, Out: interact.HolidayCalendar{}, H: s.getCalendar},
		{Method: "PATCH", Path: v1 + "/holiday-calendars/{id}", Tag: "hours", Summary: "Change a holiday calendar.", Auth: endpoint.AuthAdmin, In: interact.HolidayCalendarUpdate{}, Out: interact.HolidayCalendar{}, H: s.patchCalendar},
		{Method: "DELETE", Path: v1 + "/holiday-calendars/{id}", Tag: "hours", Summary: "Delete a holiday calendar no service selects.", Auth: endpoint.AuthAdmin, Status: 204, H: s.deleteCalendar},

		{Method: "GET", Path: v1 + "/domain-templates", Tag: "domain-templates", Summary: "List the domain templates the caller can read.", Auth: endpoint.AuthAdmin, Out: templates{}, H: s.listTemplates},
		{Method: "POST", Path: v1 + "/domain-templates", Tag: "domain-templates", Summary: "Create a domain template; each origin entry is validated.", Auth: endpoint.AuthAdmin, In: interact.DomainTemplate{}, Out: interact.DomainTemplate{}, Status: 201, H: s.createTemplate},
		{Method: "GET", Path: v1 + "/domain-templates/{id}", Tag: "domain-templates", Summary: "Get a domain template.", Auth: endpoint.AuthAdmin, Out: interact.DomainTemplate{}, H: s.getTemplate},
		{Method: "PATCH", Path: v1 + "/domain-templates/{id}", Tag: "domain-templates", Summary: "Change a domain template.", Auth: endpoint.AuthAdmin, In: interact.DomainTemplateUpdate{}, Out: interact.DomainTemplate{}, H: s.patchTemplate},
		{Method: "DELETE", Path: v1 + "/domain-templates/{id}", Tag: "domain-templates", Summary: "Delete a domain template no one selects.", Auth: endpoint.AuthAdmin, Status: 204, H: s.deleteTemplate},
		{Method: "POST", Path: v1 + "/origin-check", Tag: "interact", Summary: "Would a web page at this origin be allowed to contact this Contact ID, and by which entry?", Auth: endpoint.AuthAdmin, In: originCheckRequest{}, Out: originCheckResponse{}, H: s.originCheck},

		{Method: "GET", Path: v1 + "/sessions", Tag: "sessions", Summary: "Service sessions (tasks) with their outcome and user sessions (offers) with their codes and tags.", Auth: endpoint.AuthAdmin, Out: endpoint.List[interact.Session]{},
			Query: []string{"serviceId", "outcome", "code", "tag", "since", "until", "cursor", "limit"}, H: s.listSessions},
		{Method: "GET", Path: v1 + "/sessions/{id}/transcript", Tag: "sessions", Summary: "The transcript of an ended session: every message, system message and call event in order, each with its author's kind and name, time and seq. format=txt answers a plain-text download, format=html a printable page. For tenant admins, OU admins of the session's service's OU subtree, the service's owners and members, and the agents who handled it; anyone else gets not_found.", Auth: endpoint.AuthUser,
			Out: interact.Transcript{}, Formats: transcriptFormats, H: s.transcript},
		{Method: "GET", Path: v1 + "/reports/services", Tag: "reports", Summary: "KPIs per service and bucket (hour or day in tz, default UTC) for the period [since, until), at most 366 days: offered, answered, abandoned, shortAbandoned, reachability, serviceLevel (answered within slaSeconds, default 20), asaSeconds, avgWaitSeconds, p90WaitSeconds, ahtSeconds, acwSeconds, transfers, rona. A session counts in the bucket it entered the queue in. The services the caller can see, as in the sessions list; serviceId narrows to one. format=csv answers a CSV download.",
			Auth: endpoint.AuthAdmin, Out: kpis{}, Formats: reportFormats, Query: append([]string{"serviceId"}, reportQuery...), H: s.serviceReport()},
		{Method: "GET", Path: v1 + "/reports/agents", Tag: "reports", Summary: "KPIs per agent and bucket from their user sessions (offers): offered, answered (accepted), rona, declined, transfers, asaSeconds (ring time), serviceLevel (accepted within slaSeconds), ahtSeconds. Administrators see the offers in the services they can see; an agent sees only their own row. userId narrows to one agent. format=csv answers a CSV download.",
			Auth: endpoint.AuthUser, Out: kpis{}, Formats: reportFormats, Query: append([]string{"userId"}, reportQuery...), H: s.agentReport()},
		{Method: "GET", Path: v1 + "/reports/ous", Tag: "reports", Summary: "The service KPIs rolled up per OU and bucket: an OU's row counts the visible services in its subtree. ouId narrows to one OU. format=csv answers a CSV download.",
			Auth: endpoint.AuthAdmin, Out: kpis{}, Formats: reportFormats, Query: append([]string{"ouId"}, reportQuery...), H: s.ouReport()},
		{Method: "GET", Path: v1 + "/audit", Tag: "audit", Summary: "The audit log, newest first (tenant admins).", Auth: endpoint.AuthAdmin, Out: audit{},
			Query: []string{"entityKind", "entityId", "actorId", "action", "since", "until", "cursor", "limit"}, H: s.listAudit},
		{Method: "GET", Path: v1 + "/outbox", Tag: "outbox", Summary: "The tenant's queued, sent and failed mails, newest first, without their bodies (tenant admins): state (queued — with attempts and lastError while failing —, sending, sent, failed with the server's answer), attempts, nextAttemptAt; mailOn says whether e-mail is configured.",
			Auth: endpoint.AuthAdmin, Out: outboxPage{}, Query: []string{"state", "cursor", "limit"}, H: s.listOutbox},
	}
}
