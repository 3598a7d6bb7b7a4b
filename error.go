package interact

import (
	"errors"
	"fmt"
)

// Error codes. They are part of the public API: the admin REST API and the
// widget endpoints return them in {"error":{"code":…}}; web maps each to one
// HTTP status.
const (
	EINVALID        = "invalid_input"     // malformed or out-of-range input
	ENOTFOUND       = "not_found"         // no such entity visible to the caller
	ECONFLICT       = "conflict"          // duplicate name, entity still in use
	EUNAUTHORIZED   = "unauthorized"      // not signed in, bad credentials
	EFORBIDDEN      = "forbidden"         // signed in, but not allowed
	ECSRF           = "csrf_failed"       // cross-site request refused
	ERATELIMITED    = "rate_limited"      // too many requests, retry later
	ETOOLARGE       = "payload_too_large" // request body over its limit
	EINTERNAL       = "internal"          // a bug or an outage; details only in the log
	EINVALIDORIGIN  = "invalid_origin"    // a domain-template entry breaks the origin grammar
	EOUNOTEMPTY     = "ou_not_empty"      // an OU still holds children or entities
	EOUCYCLE        = "ou_cycle"          // a move would put an OU below itself
	ETEMPLATEREQ    = "template_required" // restrictAccess without a selected template
	ENOTSELECTABLE  = "template_not_selectable"
	EINTERACTOFF    = "interact_disabled" // the tenant's Interact switch is off
	ENOTLICENSED    = "not_licensed"      // no Contact Center licence
	EADDONMISSING   = "addon_missing"     // no Interact add-on (service) or Interact licence (user)
	EMODALITYOFF    = "modality_disabled"
	EORIGINREFUSED  = "origin_not_allowed"
	EUNKNOWNCONTACT = "unknown_contact"
	EINVALIDKEY     = "invalid_widget_key"
	ECAPACITY       = "capacity_reached"
	ETENANTINACTIVE = "tenant_inactive"
	ETENANTREQUIRED = "tenant_required"     // the sign-in fits users of several tenants: send tenantId (Error.Tenants lists them)
	EIMDISABLED     = "im_disabled"         // the tenant's Instant Messaging switch is off
	ESTORAGE        = "storage_unavailable" // the store cannot write now (disk full, database down): retry later
)

// Error codes of opening hours.
const (
	ECLOSED           = "closed"                  // out of hours or closed now: no new task; the visitor may leave a message
	ECALNOTSELECTABLE = "calendar_not_selectable" // a holiday calendar outside the service's OU path (or unknown)
)

// Error codes of e-mail and account links.
const (
	EMAILOFF     = "email_disabled" // no SMTP server is configured: nothing that needs e-mail works
	ELINKINVALID = "link_invalid"   // an invitation or password-reset link that never existed
	ELINKUSED    = "link_used"      // a link that already set a password
	ELINKEXPIRED = "link_expired"   // a link past its validity
)

// Error is an application error: a stable machine-readable Code and a
// Message safe to show users.
type Error struct {
	Code    string
	Message string
	// Tenants, with ETENANTREQUIRED, are the tenants to choose from.
	Tenants []TenantChoice
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for nil,
// and EINTERNAL for any other error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err: the *Error's message, or
// "Internal error." for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}

// ErrorTenants returns the tenants to choose from that err carries (see
// ETENANTREQUIRED), or nil.
func ErrorTenants(err error) []TenantChoice {
	var e *Error
	if errors.As(err, &e) {
		return e.Tenants
	}
	return nil
}
