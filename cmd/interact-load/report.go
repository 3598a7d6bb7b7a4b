package main

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"math"
	"math/bits"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// hist is a log-linear histogram of microseconds: exact below 64 µs, then
// 32 buckets per power of two (at most ~3% error). It is safe for
// concurrent use and cheap to merge across processes.
type hist struct {
	c [histBuckets]atomic.Int64
}

const histBuckets = 40 * 32

func histIndex(us int64) int {
	if us < 0 {
		us = 0
	}
	v := uint64(us)
	if v < 64 {
		return int(v)
	}
	e := bits.Len64(v) - 6
	i := e*32 + int(v>>e)
	return min(i, histBuckets-1)
}

// histValue is the middle of bucket i, in microseconds.
func histValue(i int) float64 {
	if i < 64 {
		return float64(i)
	}
	e := i/32 - 1
	m := i - e*32
	lo := float64(uint64(m) << e)
	return lo + float64(uint64(1)<<e)/2
}

func (h *hist) add(d time.Duration) { h.c[histIndex(d.Microseconds())].Add(1) }

// sparse returns the non-empty buckets, for sending to the coordinator.
func (h *hist) sparse() map[int]int64 {
	m := map[int]int64{}
	for i := range h.c {
		if n := h.c[i].Load(); n > 0 {
			m[i] = n
		}
	}
	return m
}

func (h *hist) merge(m map[int]int64) {
	for i, n := range m {
		if i >= 0 && i < histBuckets {
			h.c[i].Add(n)
		}
	}
}

func (h *hist) reset() {
	for i := range h.c {
		h.c[i].Store(0)
	}
}

func (h *hist) count() int64 {
	var n int64
	for i := range h.c {
		n += h.c[i].Load()
	}
	return n
}

// quantile returns the q-quantile (0..1).
func (h *hist) quantile(q float64) time.Duration {
	total := h.count()
	if total == 0 {
		return 0
	}
	rank := int64(q*float64(total-1)) + 1
	var seen int64
	for i := range h.c {
		seen += h.c[i].Load()
		if seen >= rank {
			return time.Duration(histValue(i) * float64(time.Microsecond))
		}
	}
	return 0
}

func (h *hist) max() time.Duration {
	for i := histBuckets - 1; i >= 0; i-- {
		if h.c[i].Load() > 0 {
			return time.Duration(histValue(i) * float64(time.Microsecond))
		}
	}
	return 0
}

func (h *hist) summary() string {
	if h.count() == 0 {
		return "no samples"
	}
	return fmt.Sprintf("p50=%s p90=%s p99=%s max=%s (n=%d)", fmtDur(h.quantile(.5)), fmtDur(h.quantile(.9)),
		fmtDur(h.quantile(.99)), fmtDur(h.max()), h.count())
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

// loadReport is what a load test measured.
type loadReport struct {
	cfg    *loadConfig
	pid    int
	agents int
	chat   chatResult
	idle   idleResult
	run    runResult
	verify verifyResult

	verified                      bool
	rssBefore, rssTasks, rssAfter int64 // bytes
	metricsBefore, metricsTasks   map[string]float64
	metricsAfter                  map[string]float64
	delivered                     int64
	agentLat                      *hist
	sameNodeLat                   *hist // --agents-on split: agents on the visitors' node
	agentErrors                   int64
	preHello                      int64              // agent frames that overtook hello
	serverCPU, toolCPU            time.Duration      // used during the run
	runMetrics0, runMetrics1      map[string]float64 // the server's metrics before and after the run
	serverWrites                  int64              // bytes written to storage during the run; -1: unknown
	runSeconds                    float64
	pages                         pagesResult
	pagesCPU                      time.Duration // server CPU during the pages phase
	pagesRSS                      float64       // bytes of server RSS per config socket
}

func (r *loadReport) print(w io.Writer) {
	holder := ""
	if r.cfg.Idle > 0 {
		holder = " (+1 holding the idle queues)"
	}
	fmt.Fprintf(w, "connections: visitors=%d (connected to an agent %d, failed %d) agents=%d%s idle=%d (failed %d)\n",
		r.chat.Open, r.chat.Connected, r.chat.Failed, r.agents, holder, r.idle.Open, r.idle.Failed+r.idle.OpenFailed)
	if r.cfg.Idle > 0 {
		if r.rssBefore > 0 {
			per := float64(r.rssAfter-r.rssBefore) / float64(max(r.idle.Open, 1))
			sock := float64(r.rssAfter-r.rssTasks) / float64(max(r.idle.Open, 1))
			fmt.Fprintf(w, "server rss: before_idle=%s after_idle_tasks=%s after_idle_sockets=%s\n",
				mib(r.rssBefore), mib(r.rssTasks), mib(r.rssAfter))
			fmt.Fprintf(w, "rss per idle connection: %.1f KiB (task and socket; socket alone %.1f KiB)\n", per/1024, sock/1024)
		} else {
			fmt.Fprintf(w, "server rss: unavailable (pass --server-pid or --spawn)\n")
		}
		if r.metricsBefore != nil && r.metricsAfter != nil {
			n := float64(max(r.idle.Open, 1))
			d := func(k string, m map[string]float64) float64 { return (r.metricsAfter[k] - m[k]) / n / 1024 }
			free := func(m map[string]float64) float64 {
				return m["go_memstats_heap_idle_bytes"] - m["go_memstats_heap_released_bytes"]
			}
			for _, c := range []struct {
				what string
				from map[string]float64
			}{{"task and socket", r.metricsBefore}, {"socket alone", r.metricsTasks}} {
				fmt.Fprintf(w, "go runtime per idle connection (%s): heap_inuse=%.1f KiB stack_inuse=%.1f KiB heap_free_unreturned=%.1f KiB gc_and_other_sys=%.1f KiB goroutines=%.2f\n",
					c.what, d("go_memstats_heap_inuse_bytes", c.from), d("go_memstats_stack_inuse_bytes", c.from),
					(free(r.metricsAfter)-free(c.from))/n/1024,
					d("go_memstats_gc_sys_bytes", c.from)+d("go_memstats_other_sys_bytes", c.from)+d("go_memstats_mspan_inuse_bytes", c.from),
					d("go_goroutines", c.from)*1024)
			}
		}
		if r.idle.Ended > 0 {
			fmt.Fprintf(w, "warning: %d idle tasks had ended before their socket opened (visitor grace too short?)\n", r.idle.Ended)
		}
	}
	if r.cfg.Pages > 0 {
		intervals := float64(r.cfg.Pages) * r.cfg.PagesFor.Seconds() / r.cfg.PageInterval.Seconds()
		if r.cfg.PagesVia == "socket" {
			fmt.Fprintf(w, "pages following the config: %d on sockets (%d failed), %d configs pushed; rss per config socket %.1f KiB\n",
				r.pages.Sockets, r.pages.Errors, r.pages.Pushed, r.pagesRSS/1024)
			intervals = float64(r.pages.Sockets) * r.cfg.PagesFor.Seconds() / r.cfg.PageInterval.Seconds()
		} else {
			fmt.Fprintf(w, "pages polling the config: %d every %s: %d requests (%d not modified, %d errors)\n",
				r.cfg.Pages, r.cfg.PageInterval, r.pages.Requests, r.pages.NotModified, r.pages.Errors)
		}
		if r.pagesCPU > 0 && intervals > 0 {
			fmt.Fprintf(w, "server cpu per page per %s interval: %.1f µs (%.1f%% of one core for the pages)\n",
				r.cfg.PageInterval, float64(r.pagesCPU.Nanoseconds())/1e3/intervals, 100*r.pagesCPU.Seconds()/r.cfg.PagesFor.Seconds())
		}
	}
	if r.runSeconds > 0 {
		if strings.HasPrefix(r.cfg.DatabaseURL, "postgres") {
			fmt.Fprintf(w, "durable messages on PostgreSQL: %.0f/s acknowledged in the window over %d node(s)\n", float64(r.run.AckedInWindow)/r.runSeconds, r.cfg.Nodes)
		}
		fmt.Fprintf(w, "messages: target=%.0f/s sent=%d acknowledged=%d (%.0f/s in the window) throttled=%d errors=%d %s\n",
			r.cfg.Rate, r.run.Sent, r.run.Acked, float64(r.run.AckedInWindow)/r.runSeconds, r.run.Throttled, r.run.Errors, fmtCodes(r.run.ErrorCodes))
		if r.serverCPU > 0 || r.toolCPU > 0 {
			fmt.Fprintf(w, "cpu during the run: server %.1fs (%.0f%% of one core), load tool %.1fs (%.0f%%)\n",
				r.serverCPU.Seconds(), 100*r.serverCPU.Seconds()/r.runSeconds, r.toolCPU.Seconds(), 100*r.toolCPU.Seconds()/r.runSeconds)
		}
		if r.serverCPU > 0 && r.run.Acked > 0 {
			fmt.Fprintf(w, "server cpu per acknowledged message: %.0f µs\n", float64(r.serverCPU.Microseconds())/float64(r.run.Acked))
		}
		if r.runMetrics0 != nil && r.runMetrics1 != nil {
			m0, m1 := r.runMetrics0, r.runMetrics1
			pauses := m1["go_sched_pauses_total_gc_seconds_count"] - m0["go_sched_pauses_total_gc_seconds_count"]
			mean := 0.0
			if pauses > 0 {
				mean = (m1["go_sched_pauses_total_gc_seconds_sum"] - m0["go_sched_pauses_total_gc_seconds_sum"]) / pauses
			}
			fmt.Fprintf(w, "server runtime during the run: gc pauses %.0f (mean %s, p99 ≤ %s), goroutine scheduling latency p99 ≤ %s; heap in use after %s\n",
				pauses, fmtSeconds(mean), fmtSeconds(histQuantile(m0, m1, "go_sched_pauses_total_gc_seconds", .99)),
				fmtSeconds(histQuantile(m0, m1, "go_sched_latencies_seconds", .99)), mib(int64(m1["go_memstats_heap_inuse_bytes"])))
		}
		if r.serverWrites >= 0 && r.run.Acked > 0 {
			fmt.Fprintf(w, "server storage writes during the run: %s (%.1f KiB per acknowledged message)\n",
				mib(r.serverWrites), float64(r.serverWrites)/1024/float64(r.run.Acked))
		}
		fmt.Fprintf(w, "delivered to agents: %d of %d acknowledged in chats an agent had taken (agent errors %d)\n", r.delivered, r.run.AckedConnected, r.agentErrors)
		if r.agentLat != nil {
			where := ""
			switch {
			case r.cfg.Nodes == 2 && r.cfg.AgentsOn == "a":
				where = " (same node)"
			case r.cfg.Nodes == 2:
				where = " (visitor on node A, agent on node B)"
			}
			fmt.Fprintf(w, "latency visitor→agent%s: %s\n", where, r.agentLat.summary())
		}
		if r.sameNodeLat != nil {
			fmt.Fprintf(w, "latency visitor→agent (both on node A): %s\n", r.sameNodeLat.summary())
			if r.agentLat.count() > 0 && r.sameNodeLat.count() > 0 {
				fmt.Fprintf(w, "cross-node hop adds: p50=%s p99=%s (node B agents minus node A agents, same run)\n",
					fmtDur(r.agentLat.quantile(.5)-r.sameNodeLat.quantile(.5)), fmtDur(r.agentLat.quantile(.99)-r.sameNodeLat.quantile(.99)))
			}
		}
		ack := &hist{}
		ack.merge(r.run.AckHist)
		fmt.Fprintf(w, "latency ack: %s\n", ack.summary())
	}
	if r.preHello > 0 {
		fmt.Fprintf(w, "protocol: %d agent sockets received a frame before hello\n", r.preHello)
	}
	if r.verified {
		fmt.Fprintf(w, "transcripts: tasks=%d seq_gaps=%d unacknowledged_stored=%d still_pending=%d duplicate_acks=%d fetch_errors=%d\n",
			r.verify.Tasks, r.verify.Gaps, r.verify.UnackedStored, r.verify.Pending, r.run.DupAcks, r.verify.FetchErrors)
		fmt.Fprintf(w, "acknowledged=%d stored=%d missing=%d duplicates=%d\n",
			r.verify.Acknowledged, r.verify.Stored, r.verify.Missing, r.verify.Duplicates)
	}
}

// verdict fails the run when an acknowledged message is missing or stored
// twice, or when nothing could be verified.
func (r *loadReport) verdict() error {
	if !r.verified {
		if r.cfg.Visitors > 0 && r.cfg.Duration > 0 && r.cfg.Rate > 0 {
			return fmt.Errorf("%w: the run was not verified", errLoadFailed)
		}
		return nil
	}
	var why []string
	if r.verify.Missing > 0 {
		why = append(why, fmt.Sprintf("%d acknowledged messages missing", r.verify.Missing))
	}
	if r.verify.Duplicates > 0 {
		why = append(why, fmt.Sprintf("%d messages stored twice", r.verify.Duplicates))
	}
	if r.verify.Gaps > 0 {
		why = append(why, fmt.Sprintf("%d gaps in sequence numbers", r.verify.Gaps))
	}
	if r.verify.FetchErrors > 0 {
		why = append(why, fmt.Sprintf("%d transcripts could not be read", r.verify.FetchErrors))
	}
	if r.run.DupAcks > 0 {
		why = append(why, fmt.Sprintf("%d fresh messages acknowledged as duplicates", r.run.DupAcks))
	}
	if r.run.Acked == 0 {
		why = append(why, "no message was acknowledged")
	}
	if len(why) > 0 {
		return fmt.Errorf("%w: %s", errLoadFailed, strings.Join(why, "; "))
	}
	return nil
}

func mib(b int64) string { return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20)) }

func fmtCodes(m map[string]int64) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return "(" + strings.Join(parts, " ") + ")"
}

// readRSS returns a process's resident set size in bytes.
func readRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// settledRSS waits at least settle, then until the process's RSS stopped
// moving (the Go scavenger returns freed memory to the OS gradually, e.g.
// after the argon2 hashing of setup): less than 256 KiB of change over 2 s,
// or 30 s at most. With settle 0 it reads once.
func settledRSS(pid int, settle time.Duration) (int64, error) {
	if settle <= 0 {
		return readRSS(pid)
	}
	time.Sleep(settle)
	var samples []int64
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, err := readRSS(pid)
		if err != nil {
			return 0, err
		}
		samples = append(samples, v)
		if n := len(samples); n >= 5 {
			d := samples[n-1] - samples[n-5]
			if d < 0 {
				d = -d
			}
			if d < 256<<10 || time.Now().After(deadline) {
				return v, nil
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// nudgeGC makes the server run cycles garbage collections: it reads its
// (generated) OpenAPI document, which allocates, until /metrics counts the
// collections, or timeout.
func nudgeGC(base string, cycles int, timeout time.Duration) error {
	count := func() float64 {
		return fetchMetrics(base)["go_gc_duration_seconds_count"]
	}
	start := count()
	deadline := time.Now().Add(timeout)
	for count() < start+float64(cycles) {
		if time.Now().After(deadline) {
			return fmt.Errorf("no %d collections within %s", cycles, timeout)
		}
		err := parallel(16, 4, func(int) error {
			resp, err := http.Get(base + "/api/v1/openapi.json")
			if err != nil {
				return err
			}
			io.Copy(io.Discard, resp.Body)
			return resp.Body.Close()
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// procCPU returns the CPU time (user + system) a process has used.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: count from its ")".
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// procWriteBytes returns the bytes a process caused to be written to
// storage (/proc/<pid>/io write_bytes), or -1.
func procWriteBytes(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "write_bytes:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}

// findServerPID finds the process listening on the URL's port: the
// listening socket's inode in /proc/net/tcp{,6}, then the process holding
// that inode among /proc/*/fd.
func findServerPID(base string) (int, error) {
	i := strings.LastIndexByte(base, ':')
	port, err := strconv.ParseUint(strings.TrimRight(base[i+1:], "/"), 10, 16)
	if err != nil {
		return 0, fmt.Errorf("no port in %q", base)
	}
	inodes := map[string]bool{}
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" { // 0A: LISTEN
				continue
			}
			j := strings.LastIndexByte(f[1], ':')
			if p, err := strconv.ParseUint(f[1][j+1:], 16, 16); err == nil && p == port {
				inodes["socket:["+f[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return 0, fmt.Errorf("no listening socket on port %d", port)
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		if l, err := os.Readlink(fd); err == nil && inodes[l] {
			pid, _ := strconv.Atoi(strings.Split(fd, "/")[2])
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no visible process holds the socket on port %d", port)
}

// fetchMetrics reads a few Go runtime gauges from the server's /metrics.
func fetchMetrics(base string) map[string]float64 {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	want := map[string]bool{"go_memstats_heap_inuse_bytes": true, "go_memstats_stack_inuse_bytes": true,
		"go_goroutines": true, "go_memstats_sys_bytes": true, "process_resident_memory_bytes": true,
		"go_gc_duration_seconds_count": true, "go_memstats_heap_idle_bytes": true, "go_memstats_heap_released_bytes": true,
		"go_memstats_gc_sys_bytes": true, "go_memstats_other_sys_bytes": true, "go_memstats_mspan_inuse_bytes": true}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && (want[f[0]] || strings.HasPrefix(f[0], "go_sched_")) {
			if v, err := strconv.ParseFloat(f[1], 64); err == nil {
				out[f[0]] = v
			}
		}
	}
	return out
}

// histQuantile returns the upper bound of the bucket holding quantile q of
// what a Prometheus histogram counted between two scrapes (m0, m1).
func histQuantile(m0, m1 map[string]float64, name string, q float64) float64 {
	type bucket struct{ le, n float64 }
	var bs []bucket
	prefix := name + `_bucket{le="`
	for k, v := range m1 {
		if le, ok := strings.CutPrefix(k, prefix); ok {
			b, err := strconv.ParseFloat(strings.TrimSuffix(le, `"}`), 64)
			if err == nil {
				bs = append(bs, bucket{b, v - m0[k]})
			}
		}
	}
	slices.SortFunc(bs, func(a, b bucket) int { return cmp.Compare(a.le, b.le) })
	if len(bs) == 0 || bs[len(bs)-1].n == 0 {
		return 0
	}
	total := bs[len(bs)-1].n // cumulative: the +Inf bucket counts all
	for _, b := range bs {
		if b.n >= q*total {
			return b.le
		}
	}
	return math.Inf(1)
}

// fmtSeconds formats a duration in seconds as ms or µs.
func fmtSeconds(s float64) string {
	switch {
	case math.IsInf(s, 1):
		return "∞"
	case s >= 1e-3:
		return fmt.Sprintf("%.2fms", s*1e3)
	}
	return fmt.Sprintf("%.0fµs", s*1e6)
}
