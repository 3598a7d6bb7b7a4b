//go:build !linux

package realtime

import (
	"errors"
	"log/slog"
)

// Without epoll every connection is read by its own goroutine (readLoop).
type poller struct{}

type pollState struct{}

func newPoller(*slog.Logger) (*poller, error) {
	return nil, errors.New("no poller on this system")
}

func (p *poller) run()              {}
func (p *poller) add(*Conn) error   { return errors.New("no poller") }
func (p *poller) rearm(*Conn) error { return errors.New("no poller") }
func (p *poller) remove(*Conn)      {}
func (p *poller) close()            {}
