//go:build linux

package realtime

import (
	"errors"
	"log/slog"
	"sync"
	"syscall"
)

// poller watches idle connections with one epoll instance, so that an
// idle connection needs no goroutine. Each connection is registered
// one-shot: when data arrives the poller starts Conn.serve, which reads
// what has come and registers the connection again (level-triggered, so
// data that arrived meanwhile is reported at once).
type poller struct {
	log  *slog.Logger
	epfd int
	wake [2]int // a pipe whose read end stops run
	done chan struct{}

	mu    sync.Mutex
	conns []*Conn // by file descriptor
	gen   uint32
}

// pollState is a connection's registration with the poller.
type pollState struct {
	raw syscall.RawConn
	fd  int
	gen uint32 // tells a registration from an earlier one of the same fd
}

const pollEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

func newPoller(log *slog.Logger) (*poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	p := &poller{log: log, epfd: epfd, done: make(chan struct{})}
	if err := syscall.Pipe2(p.wake[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		syscall.Close(epfd)
		return nil, err
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p.wake[0]), Pad: -1}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p.wake[0], &ev); err != nil {
		p.closeFDs()
		return nil, err
	}
	return p, nil
}

func (p *poller) closeFDs() {
	syscall.Close(p.wake[0])
	syscall.Close(p.wake[1])
	syscall.Close(p.epfd)
}

var errNotPollable = errors.New("connection has no file descriptor")

// add registers c; on an error the caller reads c with a goroutine.
func (p *poller) add(c *Conn) error {
	sc, ok := c.in.conn.(syscall.Conn)
	if !ok {
		return errNotPollable
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	fd := -1
	if err := raw.Control(func(f uintptr) { fd = int(f) }); err != nil {
		return err
	}
	p.mu.Lock()
	p.gen++
	c.poll = pollState{raw: raw, fd: fd, gen: p.gen}
	if fd >= len(p.conns) {
		p.conns = append(p.conns, make([]*Conn, fd+1-len(p.conns))...)
	}
	p.conns[fd] = c
	p.mu.Unlock()
	if err := p.ctl(c, syscall.EPOLL_CTL_ADD); err != nil {
		p.mu.Lock()
		if p.conns[fd] == c {
			p.conns[fd] = nil
		}
		p.mu.Unlock()
		return err
	}
	return nil
}

// rearm registers c again after serve.
func (p *poller) rearm(c *Conn) error {
	return p.ctl(c, syscall.EPOLL_CTL_MOD)
}

func (p *poller) ctl(c *Conn, op int) error {
	ev := syscall.EpollEvent{Events: pollEvents, Fd: int32(c.poll.fd), Pad: int32(c.poll.gen)}
	var err error
	cerr := c.poll.raw.Control(func(fd uintptr) { err = syscall.EpollCtl(p.epfd, op, int(fd), &ev) })
	if cerr != nil {
		return cerr
	}
	return err
}

// remove forgets c before its socket is closed.
func (p *poller) remove(c *Conn) {
	if p == nil {
		return
	}
	p.mu.Lock()
	st := c.poll
	if st.raw != nil && st.fd < len(p.conns) && p.conns[st.fd] == c {
		p.conns[st.fd] = nil
	}
	p.mu.Unlock()
	if st.raw != nil {
		st.raw.Control(func(fd uintptr) { syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil) })
	}
}

// run waits for data on the registered connections and serves them.
func (p *poller) run() {
	defer close(p.done)
	events := make([]syscall.EpollEvent, 256)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			p.log.Error("websocket poller stopped", "err", err)
			return
		}
		for _, ev := range events[:n] {
			if ev.Pad == -1 && int(ev.Fd) == p.wake[0] {
				return
			}
			p.mu.Lock()
			var c *Conn
			if fd := int(ev.Fd); fd < len(p.conns) && p.conns[fd] != nil && p.conns[fd].poll.gen == uint32(ev.Pad) {
				c = p.conns[fd]
			}
			p.mu.Unlock()
			if c != nil {
				go c.serve()
			}
		}
	}
}

// close stops run and releases the poller.
func (p *poller) close() {
	syscall.Write(p.wake[1], []byte{0})
	<-p.done
	p.closeFDs()
}
