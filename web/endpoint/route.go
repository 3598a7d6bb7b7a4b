// Package endpoint is the HTTP vocabulary every audience of interact's web
// surface shares: the route descriptor (from which the one route table is
// registered and the OpenAPI document generated), authentication modes,
// JSON decoding and answers, the error → status map, the signed-in actor
// of a request, the client's address and rate limiters.
//
// It holds no routes and no business rules; audiences (adminapi,
// adminconsole, agentapi, widgetapi) import it, and web assembles them.
package endpoint

import (
	"context"
	"net/http"
	"strings"

	"github.com/interact-oss/interact"
)

// Auth is how a route authenticates its requests.
type Auth int

// Authentication modes.
const (
	AuthNone   Auth = iota // public
	AuthLogin              // public, but same-origin only (sign-in)
	AuthUser               // any signed-in user or API token
	AuthAdmin              // an administrator: operator, tenant admin, OU admin or service owner
	AuthWidget             // public widget endpoint: contact, origin (CORS) and rate checks
)

// Route is one endpoint. The route table registers the handlers and
// describes the API in /api/v1/openapi.json, so the two cannot drift.
type Route struct {
	Method, Path string
	Tag, Summary string
	Auth         Auth
	In, Out      any  // request and response body types, for OpenAPI; nil for none
	OptionalIn   bool // the request body may be omitted
	Query        []string
	// Formats are the other media types the route answers with, by the
	// value of its format query parameter (Out is the JSON answer, also
	// format=json).
	Formats map[string]string
	Status  int // success status; default 200
	H       func(http.ResponseWriter, *http.Request) error
}

// Session cookie and CSRF header of signed-in browsers.
const (
	SessionCookie = "interact_session"
	CSRFHeader    = "X-CSRF-Token"
)

type actorKey struct{}

// WithActor returns ctx carrying the authenticated actor.
func WithActor(ctx context.Context, a interact.Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom is the actor web authenticated for r (zero when none).
func ActorFrom(r *http.Request) interact.Actor {
	a, _ := r.Context().Value(actorKey{}).(interact.Actor)
	return a
}

// Credential is what authenticated a request: a session cookie's value or
// an API token's secret (one of them), kept by long-lived connections to
// re-check it when credentials may have changed.
type Credential struct {
	Session, Token string
}

type credentialKey struct{}

// WithCredential returns ctx carrying the request's credential.
func WithCredential(ctx context.Context, c Credential) context.Context {
	return context.WithValue(ctx, credentialKey{}, c)
}

// CredentialFrom is the credential web authenticated r with.
func CredentialFrom(r *http.Request) Credential {
	c, _ := r.Context().Value(credentialKey{}).(Credential)
	return c
}

// SafeMethod reports whether m changes nothing (GET, HEAD, OPTIONS).
func SafeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// OriginOf returns the scheme://host[:port] part of a URL.
func OriginOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		if j := strings.IndexByte(u[i+3:], '/'); j >= 0 {
			return u[:i+3+j]
		}
	}
	return u
}
