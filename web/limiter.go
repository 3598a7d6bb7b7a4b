package web

import (
	"sync"
	"time"
)

// limiter is a fixed-window rate limiter keyed by string (a client address,
// a widget key, an e-mail). It forgets keys whose window has passed.
type limiter struct {
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

func newLimiter(limit int, per time.Duration) *limiter {
	return &limiter{limit: limit, window: per, now: time.Now, counts: map[string]*window{}}
}

// allow counts one event for key. It reports whether the event is within
// the limit and, if not, how long until the window resets.
func (l *limiter) allow(key string) (bool, time.Duration) {
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

// peek reports whether key is within its limit without counting an event.
func (l *limiter) peek(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := l.counts[key]
	if w == nil || now.Sub(w.start) >= l.window || w.n < l.limit {
		return true, 0
	}
	return false, w.start.Add(l.window).Sub(now)
}
