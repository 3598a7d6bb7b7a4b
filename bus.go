package interact

import "strings"

// Bus carries events between interact's parts, and in scale-out between
// nodes. It is a doorbell, not a store: delivery is at most once, in
// publication order per subject from one publisher, and a subscriber that
// missed an event catches up from the store. Durable things are committed
// before they are published.
//
// Subjects are dot-separated tokens ("task.01h…", "agent.01h…"). A
// subscription's subject may use "*" for exactly one token and a final ">"
// for one or more tokens, as in NATS.
//
// Handlers run on the bus's goroutines, one subscription at a time in
// order; they must not block for long. Publish and Subscribe are safe for
// concurrent use.
type Bus interface {
	Publish(subject string, data []byte) error
	Subscribe(subject string, fn func(subject string, data []byte)) (Subscription, error)
	Close() error
}

// Subscription is a live subscription; Unsubscribe stops delivery (a
// handler already running finishes).
type Subscription interface {
	Unsubscribe() error
}

// SubjectMatch reports whether subject matches the subscription pattern.
func SubjectMatch(pattern, subject string) bool {
	for {
		pt, prest, pmore := cut(pattern)
		st, srest, smore := cut(subject)
		switch {
		case pt == ">":
			return st != ""
		case st == "" || (pt != "*" && pt != st):
			return false
		case !pmore || !smore:
			return pmore == smore
		}
		pattern, subject = prest, srest
	}
}

func cut(s string) (token, rest string, more bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// ValidSubject reports whether s is a publishable subject: non-empty
// tokens without wildcards or spaces.
func ValidSubject(s string) bool {
	if s == "" {
		return false
	}
	for {
		t, rest, more := cut(s)
		if t == "" || t == "*" || t == ">" {
			return false
		}
		for i := 0; i < len(t); i++ {
			if t[i] <= ' ' || t[i] == '*' || t[i] == '>' {
				return false
			}
		}
		if !more {
			return true
		}
		s = rest
	}
}

// TaskSubject, AgentSubject and ServiceSubject name the bus subjects.
func TaskSubject(id string) string { return "task." + id }

func AgentSubject(id string) string { return "agent." + id }

func ServiceSubject(id string) string { return "service." + id }

// TenantChangedSubject is where an admin change of a tenant is announced,
// so that every node drops what it cached of the tenant's settings;
// TenantChangedPattern subscribes to every tenant's.
func TenantChangedSubject(tenantID string) string { return "tenant." + tenantID + ".changed" }

// TenantChangedPattern matches every TenantChangedSubject.
const TenantChangedPattern = "tenant.*.changed"

// TenantOfChange returns the tenant of a TenantChangedSubject.
func TenantOfChange(subject string) string {
	return strings.TrimSuffix(strings.TrimPrefix(subject, "tenant."), ".changed")
}
