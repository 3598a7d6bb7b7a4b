// Package interact holds the domain of the interact website contact service:
// tenants, organization units, users and their licences and roles, services,
// domain templates and the origin-pattern grammar, the Interact settings of a
// service or user, a service's opening hours and the holiday calendars
// (their arithmetic in hoursweek.go and hoursschedule.go), tasks with their
// messages and events (a call's start, connection and end), session
// transcripts, audit entries and the application error codes.
//
// It does no I/O. Adapters (sqlstore, web, cmd/interact) depend on it; it
// depends on none of them.
package interact
