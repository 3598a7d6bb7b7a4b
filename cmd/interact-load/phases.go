package main

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// The worker's phases, one per coordinator command.

// startChats starts the chatting visitors' tasks, opens their sockets and
// waits until agents took them: all of them, or no progress for patience.
func (w *worker) startChats(ctx context.Context, patience time.Duration) chatResult {
	var r chatResult
	var mu sync.Mutex
	fail := func(err error) {
		mu.Lock()
		r.Failed++
		r.Errors = addCodes(r.Errors, map[string]int64{errCode(err): 1})
		mu.Unlock()
	}
	open := make([]bool, len(w.chats))
	parallel(len(w.chats), 32, func(i int) error {
		v := w.chats[i]
		if err := v.start(ctx); err != nil {
			fail(err)
			return nil
		}
		if err := v.open(ctx, w.chatDial, 0); err != nil {
			fail(err)
			return nil
		}
		open[i] = true
		return nil
	})
	for _, ok := range open {
		if ok {
			r.Open++
		}
	}
	countConnected := func() int {
		n := 0
		for i, v := range w.chats {
			if !open[i] {
				continue
			}
			select {
			case <-v.connected:
				n++
			default:
			}
		}
		return n
	}
	last, lastChange, deadline := -1, time.Now(), time.Now().Add(2*time.Minute)
	for time.Now().Before(deadline) {
		n := countConnected()
		if n == r.Open {
			break
		}
		if n != last {
			last, lastChange = n, time.Now()
		} else if time.Since(lastChange) > patience {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	r.Connected = countConnected()
	return r
}

// idleTasks starts the idle visitors' tasks (no sockets yet).
func (w *worker) idleTasks(ctx context.Context) idleResult {
	var r idleResult
	var failed atomic.Int64
	var mu sync.Mutex
	parallel(len(w.idles), 32, func(i int) error {
		if err := w.idles[i].start(ctx); err != nil {
			failed.Add(1)
			mu.Lock()
			r.Errors = addCodes(r.Errors, map[string]int64{errCode(err): 1})
			mu.Unlock()
			w.idles[i].grant.TaskID = ""
		}
		return nil
	})
	r.Failed = int(failed.Load())
	r.Tasks = len(w.idles) - r.Failed
	return r
}

// idleOpen opens the idle visitors' sockets and keeps them open.
func (w *worker) idleOpen(ctx context.Context) idleResult {
	var r idleResult
	var open, failed, ended atomic.Int64
	var mu sync.Mutex
	parallel(len(w.idles), 64, func(i int) error {
		v := w.idles[i]
		if v.grant.TaskID == "" {
			return nil
		}
		if err := v.open(ctx, w.idleDial, 0); err != nil {
			failed.Add(1)
			mu.Lock()
			r.Errors = addCodes(r.Errors, map[string]int64{errCode(err): 1})
			mu.Unlock()
			return nil
		}
		open.Add(1)
		if v.helloState == "ended" {
			ended.Add(1)
		}
		return nil
	})
	r.Open, r.OpenFailed, r.Ended = int(open.Load()), int(failed.Load()), int(ended.Load())
	return r
}

// run sends messages from every chatting visitor at rate (per visitor)
// from start for d, then waits up to 15 s for the outstanding acks.
func (w *worker) run(rate float64, start time.Time, d time.Duration) runResult {
	end := start.Add(d)
	w.runEnd.Store(end.UnixNano())
	w.ackHist.reset()
	interval := time.Duration(float64(time.Second) / rate)
	var wg sync.WaitGroup
	for _, v := range w.chats {
		if v.ws == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			next := start.Add(time.Duration(rand.Int64N(int64(interval) + 1)))
			for next.Before(end) {
				time.Sleep(time.Until(next))
				if !v.send(w.cfg.TextSize) {
					w.stats.throttled.Add(1)
				}
				next = next.Add(interval)
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(15 * time.Second)
	for _, v := range w.chats {
		for v.pending() > 0 && time.Now().Before(deadline) {
			select {
			case <-v.drained:
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	s := &w.stats
	s.mu.Lock()
	codes := s.codes
	s.codes = map[string]int64{}
	s.mu.Unlock()
	var connected int64
	for _, v := range w.chats {
		select {
		case <-v.connected:
			v.mu.Lock()
			for _, m := range v.msgs {
				if m.status == msgAcked {
					connected++
				}
			}
			v.mu.Unlock()
		default:
		}
	}
	return runResult{Sent: s.sent.Load(), Acked: s.acked.Load(), AckedConnected: connected, AckedInWindow: s.inWindow.Load(), DupAcks: s.dupAcks.Load(),
		Throttled: s.throttled.Load(), Errors: s.errors.Load(), ErrorCodes: codes, AckHist: w.ackHist.sparse()}
}

// verify reads every chatting visitor's transcript back and compares it
// with what was acknowledged.
func (w *worker) verify(ctx context.Context) verifyResult {
	var r verifyResult
	var mu sync.Mutex
	parallel(len(w.chats), 16, func(i int) error {
		v := w.chats[i]
		if v.grant.TaskID == "" || v.at.IsZero() {
			return nil
		}
		// Judge the acknowledgements seen before the transcript is read: an
		// ack arriving later is for a message that may commit after it.
		acks := v.snapshot()
		msgs, err := v.transcript(ctx)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			r.FetchErrors++
			return nil
		}
		r.add(check(v.id, acks, msgs))
		return nil
	})
	return r
}

// close closes every socket, ending the chat tasks (and the idle ones when
// endIdle) so that a server that lives on is not left with full services.
func (w *worker) close(ctx context.Context, endIdle bool) {
	parallel(len(w.chats), 64, func(i int) error {
		w.chats[i].closeSocket(true)
		return nil
	})
	parallel(len(w.idles), 64, func(i int) error {
		w.idles[i].closeSocket(endIdle)
		return nil
	})
	w.hc.CloseIdleConnections()
}
