package main

import (
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/metrics"
	"time"
)

// serveDebug serves Go's profiles, execution traces and runtime metrics
// (/debug/metrics) on a loopback
// listener of their own (--debug-addr), never on the public one, until
// stop is called.
func serveDebug(addr string, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/metrics", runtimeMetrics)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			log.Warn("debug listener stopped", "err", err)
		}
	}()
	log.Info("serving profiles", "addr", ln.Addr().String())
	return func() { srv.Close() }, nil
}

// runtimeMetrics writes every metric of the Go runtime (runtime/metrics),
// one per line: a histogram (GC pauses, scheduler latencies) as its
// count, p50, p99 and maximum, in the metric's unit.
func runtimeMetrics(w http.ResponseWriter, r *http.Request) {
	descs := metrics.All()
	samples := make([]metrics.Sample, len(descs))
	for i := range descs {
		samples[i].Name = descs[i].Name
	}
	metrics.Read(samples)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, s := range samples {
		switch s.Value.Kind() {
		case metrics.KindUint64:
			fmt.Fprintf(w, "%s %d\n", s.Name, s.Value.Uint64())
		case metrics.KindFloat64:
			fmt.Fprintf(w, "%s %g\n", s.Name, s.Value.Float64())
		case metrics.KindFloat64Histogram:
			h := s.Value.Float64Histogram()
			n, p50, p99, top := quantiles(h)
			fmt.Fprintf(w, "%s count=%d p50=%g p99=%g max=%g\n", s.Name, n, p50, p99, top)
		}
	}
}

// quantiles returns a histogram's count, the upper bounds of the buckets
// holding its p50 and p99, and that of its highest non-empty bucket.
func quantiles(h *metrics.Float64Histogram) (n uint64, p50, p99, top float64) {
	for _, c := range h.Counts {
		n += c
	}
	var seen uint64
	for i, c := range h.Counts {
		if c == 0 {
			continue
		}
		seen += c
		upper := h.Buckets[i+1]
		if math.IsInf(upper, 1) {
			upper = h.Buckets[i]
		}
		if p50 == 0 && seen*2 >= n {
			p50 = upper
		}
		if p99 == 0 && seen*100 >= n*99 {
			p99 = upper
		}
		top = upper
	}
	return n, p50, p99, top
}
