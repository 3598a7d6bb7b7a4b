// Package eventually is the tests' one way to wait until something holds:
// it polls a condition, at a short interval, until it is true or a
// deadline passes, and then fails the test.
//
// It is for outcomes that arrive on their own time (a message over a
// socket, a node taking a lease, a port freed after Close). It is not for
// proving that something did not happen: waiting a while and seeing
// nothing proves nothing on a loaded machine. Wait instead for a later
// event that must come after it (a barrier), or use an injectable clock.
//
// It imports only the standard library and is used only by tests.
package eventually

import (
	"testing"
	"time"
)

// Timeout is how long True waits. It is long so that a loaded machine
// does not fail a test that would pass; a condition that holds returns as
// soon as it does.
const Timeout = 20 * time.Second

// maxInterval bounds the polling interval, which starts at a millisecond
// and doubles: a quick outcome is seen within a few milliseconds, and a
// slow one is checked every 20 ms, so that a condition that costs a
// request (50 a second at most) does not flood the server or trip its
// rate limits, nor keep a core busy.
const maxInterval = 20 * time.Millisecond

// True waits until cond returns true, for at most Timeout; then it fails
// the test with t.Fatalf("timed out waiting: %s", what). what says what
// is awaited ("node b to own the lease").
//
// cond runs on the caller's goroutine, so it may itself call t.Fatal.
func True(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Within(t, Timeout, what, cond)
}

// Within is True with a deadline of d instead of Timeout. cond is called
// at least once, however short d is.
func Within(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for wait := time.Millisecond; !cond(); wait = min(2*wait, maxInterval) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
			return // a testing.TB whose Fatalf returns
		}
		time.Sleep(wait) // polling interval
	}
}
