package endpoint

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/interact-oss/interact"
)

// Limiter is a fixed-window rate limiter keyed by string (a client address,
// a widget key, an e-mail). It forgets keys whose window has passed.
type Limiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	counts map[string]*window
	swept  time.Time
}

type window struct {
	start time.Time
	n     int
}

// NewLimiter allows limit events per key in each window of length per.
func NewLimiter(limit int, per time.Duration) *Limiter {
	return &Limiter{limit: limit, window: per, now: time.Now, counts: map[string]*window{}}
}

// Allow counts one event for key. It reports whether the event is within
// the limit and, if not, how long until the window resets.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.swept) > l.window {
		for k, w := range l.counts {
			if now.Sub(w.start) >= l.window {
				delete(l.counts, k)
			}
		}
		l.swept = now
	}
	w := l.counts[key]
	if w == nil || now.Sub(w.start) >= l.window {
		w = &window{start: now}
		l.counts[key] = w
	}
	if w.n >= l.limit {
		return false, w.start.Add(l.window).Sub(now)
	}
	w.n++
	return true, 0
}

// Peek reports whether key is within its limit without counting an event.
func (l *Limiter) Peek(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := l.counts[key]
	if w == nil || now.Sub(w.start) >= l.window || w.n < l.limit {
		return true, 0
	}
	return false, w.start.Add(l.window).Sub(now)
}

// TooManySignIns is the answer to a sign-in over its limit: Retry-After is
// set on w, and the error says when to try again.
func TooManySignIns(w http.ResponseWriter, wait time.Duration) error {
	secs := int(wait.Seconds()) + 1
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return interact.Errorf(interact.ERATELIMITED, "Too many sign-in attempts; try again in %d seconds.", secs)
}

// SignInGuard limits sign-in attempts, so that guessing passwords is slow
// and a stranger cannot lock a user out: every attempt counts against the
// client address; failures count against the e-mail address from that
// client address; and failures from all addresses together meet a much
// slower ceiling per e-mail address (a guess from many addresses).
type SignInGuard struct {
	attempts, failures, ceiling *Limiter
}

// NewSignInGuard allows rate attempts a minute per client address, rate
// failures per e-mail address and client address in 15 minutes, and ten
// times that per e-mail address an hour.
func NewSignInGuard(rate int) *SignInGuard {
	return &SignInGuard{
		attempts: NewLimiter(rate, time.Minute),
		failures: NewLimiter(rate, 15*time.Minute),
		ceiling:  NewLimiter(10*rate, time.Hour),
	}
}

// Check counts an attempt of client addr for email; over a limit it sets
// Retry-After and returns rate_limited.
func (g *SignInGuard) Check(w http.ResponseWriter, email, addr string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if ok, wait := g.attempts.Allow(addr); !ok {
		return TooManySignIns(w, wait)
	}
	if ok, wait := g.failures.Peek(email + " " + addr); !ok {
		return TooManySignIns(w, wait)
	}
	if ok, wait := g.ceiling.Peek(email); !ok {
		return TooManySignIns(w, wait)
	}
	return nil
}

// Failed counts a failed sign-in of client addr for email.
func (g *SignInGuard) Failed(email, addr string) {
	email = strings.ToLower(strings.TrimSpace(email))
	g.failures.Allow(email + " " + addr)
	g.ceiling.Allow(email)
}
