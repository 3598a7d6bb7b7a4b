// Package membus is the in-process Bus: the default when interact runs as a
// single node. Each subscription has its own ordered queue and goroutine, so
// a slow handler delays only its own subscription.
package membus

import (
	"errors"
	"sync"

	"github.com/interact-oss/interact"
)

// ErrClosed is returned after Close.
var ErrClosed = errors.New("membus: closed")

// Bus is an in-process interact.Bus.
type Bus struct {
	mu     sync.RWMutex
	subs   map[*sub]struct{}
	closed bool
	wg     sync.WaitGroup
}

// New returns an empty bus.
func New() *Bus { return &Bus{subs: map[*sub]struct{}{}} }

type sub struct {
	b       *Bus
	pattern string
	fn      func(string, []byte)

	mu    sync.Mutex
	cond  *sync.Cond
	queue []msg
	done  bool
}

type msg struct {
	subject string
	data    []byte
}

// Publish delivers data to every matching subscription.
func (b *Bus) Publish(subject string, data []byte) error {
	if !interact.ValidSubject(subject) {
		return errors.New("membus: invalid subject " + subject)
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return ErrClosed
	}
	for s := range b.subs {
		if interact.SubjectMatch(s.pattern, subject) {
			s.push(msg{subject, data})
		}
	}
	return nil
}

// Subscribe calls fn for every message published to a matching subject.
func (b *Bus) Subscribe(pattern string, fn func(subject string, data []byte)) (interact.Subscription, error) {
	if pattern == "" {
		return nil, errors.New("membus: empty subject")
	}
	s := &sub{b: b, pattern: pattern, fn: fn}
	s.cond = sync.NewCond(&s.mu)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	b.subs[s] = struct{}{}
	b.wg.Add(1)
	go s.loop()
	return s, nil
}

func (s *sub) push(m msg) {
	s.mu.Lock()
	if !s.done {
		s.queue = append(s.queue, m)
		s.cond.Signal()
	}
	s.mu.Unlock()
}

func (s *sub) loop() {
	defer s.b.wg.Done()
	for {
		s.mu.Lock()
		for len(s.queue) == 0 && !s.done {
			s.cond.Wait()
		}
		if s.done {
			s.mu.Unlock()
			return
		}
		batch := s.queue
		s.queue = nil
		s.mu.Unlock()
		for _, m := range batch {
			s.mu.Lock()
			done := s.done
			s.mu.Unlock()
			if done {
				return
			}
			s.fn(m.subject, m.data)
		}
	}
}

// Unsubscribe stops delivery to this subscription.
func (s *sub) Unsubscribe() error {
	s.b.mu.Lock()
	delete(s.b.subs, s)
	s.b.mu.Unlock()
	s.stop()
	return nil
}

func (s *sub) stop() {
	s.mu.Lock()
	s.done = true
	s.queue = nil
	s.cond.Signal()
	s.mu.Unlock()
}

// Close ends every subscription and waits for running handlers to return.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	subs := b.subs
	b.subs = nil
	b.mu.Unlock()
	for s := range subs {
		s.stop()
	}
	b.wg.Wait()
	return nil
}
