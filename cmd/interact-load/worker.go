package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// A worker runs a share of the visitors. The coordinator sends it one JSON
// command per line and reads one JSON reply per command: init, chat,
// idle-tasks, idle-open, pages, pages-open,
// pages-close, run, verify, close. A worker is a goroutine (with
// --workers 1) or a child process `interact-load --worker`, a re-execution
// of this binary.

type workerCmd struct {
	Cmd      string        `json:"cmd"`
	Init     *workerInit   `json:"init,omitempty"`
	Rate     float64       `json:"rate,omitempty"`  // messages per second per visitor
	Start    int64         `json:"start,omitempty"` // unix ns
	Duration time.Duration `json:"duration,omitempty"`
	EndIdle  bool          `json:"endIdle,omitempty"`
	// Patience is how long the chat phase waits without a new connection.
	Patience time.Duration `json:"patience,omitempty"`
	// Pages and Interval: the pages phase (pages polling the config).
	Pages    int           `json:"pages,omitempty"`
	Interval time.Duration `json:"interval,omitempty"`
}

type workerInit struct {
	Index    int          `json:"index"`
	URL      string       `json:"url"`
	Origin   string       `json:"origin"`
	Addrs    []string     `json:"addrs"`
	Chat     []serviceRef `json:"chat"` // the contact of each chatting visitor
	Idle     []serviceRef `json:"idle"` // the contact of each idle visitor
	TextSize int          `json:"textSize"`
}

type workerReply struct {
	Err    string       `json:"err,omitempty"`
	Chat   chatResult   `json:"chat"`
	Idle   idleResult   `json:"idle"`
	Run    runResult    `json:"run"`
	Verify verifyResult `json:"verify"`
	Pages  pagesResult  `json:"pages"`
}

type chatResult struct {
	Open, Connected, Failed int
	Errors                  map[string]int64
}

func (r *chatResult) add(o chatResult) {
	r.Open += o.Open
	r.Connected += o.Connected
	r.Failed += o.Failed
	r.Errors = addCodes(r.Errors, o.Errors)
}

type idleResult struct {
	Tasks, Failed, Open, OpenFailed, Ended int
	Errors                                 map[string]int64
}

func (r *idleResult) add(o idleResult) {
	r.Tasks += o.Tasks
	r.Failed += o.Failed
	r.Open += o.Open
	r.OpenFailed += o.OpenFailed
	r.Ended += o.Ended
	r.Errors = addCodes(r.Errors, o.Errors)
}

type runResult struct {
	Sent, Acked, AckedInWindow, DupAcks, Throttled, Errors int64
	AckedConnected                                         int64 // from visitors an agent had taken
	ErrorCodes                                             map[string]int64
	AckHist                                                map[int]int64
}

func (r *runResult) add(o runResult) {
	r.Sent += o.Sent
	r.Acked += o.Acked
	r.AckedInWindow += o.AckedInWindow
	r.AckedConnected += o.AckedConnected
	r.DupAcks += o.DupAcks
	r.Throttled += o.Throttled
	r.Errors += o.Errors
	r.ErrorCodes = addCodes(r.ErrorCodes, o.ErrorCodes)
	if r.AckHist == nil {
		r.AckHist = map[int]int64{}
	}
	for k, v := range o.AckHist {
		r.AckHist[k] += v
	}
}

type verifyResult struct {
	Tasks, Acknowledged, Stored, Missing, Duplicates, Gaps, UnackedStored, FetchErrors int64
	Pending                                                                            int64 // sent, neither acknowledged nor refused when verified
}

func (r *verifyResult) add(o verifyResult) {
	r.Tasks += o.Tasks
	r.Acknowledged += o.Acknowledged
	r.Stored += o.Stored
	r.Missing += o.Missing
	r.Duplicates += o.Duplicates
	r.Gaps += o.Gaps
	r.UnackedStored += o.UnackedStored
	r.FetchErrors += o.FetchErrors
	r.Pending += o.Pending
}

func addCodes(a, b map[string]int64) map[string]int64 {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		a = map[string]int64{}
	}
	for k, v := range b {
		a[k] += v
	}
	return a
}

// runWorker serves the coordinator's commands until close or end of input.
func runWorker(ctx context.Context, in io.Reader, out io.Writer) error {
	dec := json.NewDecoder(bufio.NewReader(in))
	enc := json.NewEncoder(out)
	var w *worker
	defer func() {
		if w != nil {
			w.close(ctx, false)
		}
	}()
	for {
		var c workerCmd
		if err := dec.Decode(&c); err != nil {
			if err == io.EOF {
				return nil
			}
			return fmt.Errorf("worker: read command: %w", err)
		}
		var rep workerReply
		if c.Cmd != "init" && w == nil {
			rep.Err = "worker: init first"
		} else {
			switch c.Cmd {
			case "init":
				w = newWorker(*c.Init)
			case "chat":
				rep.Chat = w.startChats(ctx, c.Patience)
			case "idle-tasks":
				rep.Idle = w.idleTasks(ctx)
			case "idle-open":
				rep.Idle = w.idleOpen(ctx)
			case "pages":
				rep.Pages = w.pages(ctx, c.Pages, c.Interval, c.Duration)
			case "pages-open":
				rep.Pages = w.openPageSockets(ctx, c.Pages)
			case "pages-close":
				rep.Pages = w.closePageSockets()
			case "run":
				rep.Run = w.run(c.Rate, time.Unix(0, c.Start), c.Duration)
			case "verify":
				rep.Verify = w.verify(ctx)
			case "close":
				w.close(ctx, c.EndIdle)
				w = nil
			default:
				rep.Err = fmt.Sprintf("worker: unknown command %q", c.Cmd)
			}
		}
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("worker: write reply: %w", err)
		}
		if c.Cmd == "close" {
			return nil
		}
	}
}

// workerSet is the coordinator's end of its workers.
type workerSet struct {
	links []*workerLink
	pids  []int // of child workers
}

type workerLink struct {
	enc  *json.Encoder
	dec  *json.Decoder
	in   io.Closer // the worker's input
	done chan error
	pid  int
	kill func()
}

// startWorkers starts cfg.Workers workers and gives each its share of the
// visitors and source addresses.
func startWorkers(ctx context.Context, cfg *loadConfig, base string, plan *loadPlan, logw io.Writer) (*workerSet, error) {
	n := cfg.Workers
	inits := make([]workerInit, n)
	for w := range inits {
		inits[w] = workerInit{Index: w, URL: base, Origin: cfg.Origin, TextSize: cfg.TextSize}
	}
	for i, a := range cfg.Addrs {
		inits[i%n].Addrs = append(inits[i%n].Addrs, a)
	}
	for w := range inits {
		if len(inits[w].Addrs) == 0 {
			inits[w].Addrs = []string{cfg.Addrs[w%len(cfg.Addrs)]}
		}
	}
	// Chat visitor i goes to chat service i % S (at most 50 each); idle
	// visitor i to idle service i / 50, which holds 50 tasks.
	for i := range cfg.Visitors {
		inits[i%n].Chat = append(inits[i%n].Chat, plan.ChatServices[i%len(plan.ChatServices)])
	}
	for i := range cfg.Idle {
		inits[i%n].Idle = append(inits[i%n].Idle, plan.IdleServices[i/tasksPerService])
	}
	ws := &workerSet{}
	self := ""
	if n > 1 {
		var err error
		if self, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("find this executable for the workers: %w", err)
		}
	}
	for w := range n {
		var l *workerLink
		if n == 1 {
			l = inProcessWorker(ctx)
		} else {
			var err error
			if l, err = childWorker(self, logw); err != nil {
				ws.close(logw)
				return nil, err
			}
			ws.pids = append(ws.pids, l.pid)
		}
		ws.links = append(ws.links, l)
		init := inits[w]
		if _, err := ws.callOne(ctx, l, workerCmd{Cmd: "init", Init: &init}, 30*time.Second); err != nil {
			ws.close(logw)
			return nil, fmt.Errorf("worker %d: %w", w, err)
		}
	}
	return ws, nil
}

func inProcessWorker(ctx context.Context) *workerLink {
	cr, cw := io.Pipe() // coordinator → worker
	wr, ww := io.Pipe() // worker → coordinator
	l := &workerLink{enc: json.NewEncoder(cw), dec: json.NewDecoder(wr), in: cw, done: make(chan error, 1)}
	wctx, cancel := context.WithCancel(ctx)
	l.kill = func() { cancel(); cw.Close(); wr.Close() }
	go func() {
		err := runWorker(wctx, cr, ww)
		ww.CloseWithError(io.EOF)
		cr.Close()
		l.done <- err
	}()
	return l
}

func childWorker(bin string, logw io.Writer) (*workerLink, error) {
	cmd := exec.Command(bin, "--worker")
	cmd.Env = os.Environ()
	cmd.Stderr = logw
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start worker %s: %w", bin, err)
	}
	l := &workerLink{enc: json.NewEncoder(in), dec: json.NewDecoder(out), in: in, done: make(chan error, 1), pid: cmd.Process.Pid}
	l.kill = func() { cmd.Process.Kill() }
	go func() { l.done <- cmd.Wait() }()
	return l, nil
}

// call sends c to every worker and collects their replies.
func (ws *workerSet) call(ctx context.Context, c workerCmd, timeout time.Duration) ([]workerReply, error) {
	reps := make([]workerReply, len(ws.links))
	errs := make([]error, len(ws.links))
	var wg sync.WaitGroup
	for i, l := range ws.links {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i], errs[i] = ws.callOne(ctx, l, c, timeout)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return reps, fmt.Errorf("worker %d: %w", i, err)
		}
	}
	return reps, nil
}

func (ws *workerSet) callOne(ctx context.Context, l *workerLink, c workerCmd, timeout time.Duration) (workerReply, error) {
	type result struct {
		rep workerReply
		err error
	}
	rc := make(chan result, 1)
	go func() {
		var r result
		if r.err = l.enc.Encode(c); r.err == nil {
			r.err = l.dec.Decode(&r.rep)
		}
		rc <- r
	}()
	select {
	case r := <-rc:
		if r.err == nil && r.rep.Err != "" {
			r.err = fmt.Errorf("%s", r.rep.Err)
		}
		return r.rep, r.err
	case <-time.After(timeout):
		l.kill()
		return workerReply{}, fmt.Errorf("%s: no answer within %s", c.Cmd, timeout)
	case <-ctx.Done():
		l.kill()
		return workerReply{}, ctx.Err()
	}
}

// close ends the workers: their input closes (a worker exits at the end of
// its input), and a worker still running after 30 s is killed.
func (ws *workerSet) close(logw io.Writer) {
	for _, l := range ws.links {
		l.in.Close()
	}
	for i, l := range ws.links {
		select {
		case err := <-l.done:
			if err != nil {
				fmt.Fprintf(logw, "interact-load: worker %d: %v\n", i, err)
			}
		case <-time.After(30 * time.Second):
			l.kill()
			<-l.done
		}
	}
	ws.links = nil
}
