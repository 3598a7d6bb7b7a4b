package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Pages: visible web pages with the widget, which poll the contact's
// config. Each page holds a keep-alive connection of its own, as a
// browser tab does, and revalidates the config with the validator of its
// last answer (the browser's HTTP cache does this for the widget).

type pagesResult struct {
	Requests, NotModified, Errors int64
	Sockets, Pushed               int64 // socket pages: open, config frames received after the first
}

func (r *pagesResult) add(o pagesResult) {
	r.Requests += o.Requests
	r.NotModified += o.NotModified
	r.Errors += o.Errors
	r.Sockets += o.Sockets
	r.Pushed += o.Pushed
}

// openPageSockets opens n config sockets (the widget's way: the server
// pushes changes) and reads them until closePageSockets.
func (w *worker) openPageSockets(ctx context.Context, n int) pagesResult {
	refs := w.cfg.Chat
	if len(refs) == 0 {
		refs = w.cfg.Idle
	}
	var res pagesResult
	if len(refs) == 0 {
		return res
	}
	hdr := http.Header{"Origin": {w.cfg.Origin}}
	base := "ws" + strings.TrimPrefix(w.cfg.URL, "http")
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range n {
		ref := refs[i%len(refs)]
		u := base + "/widget/v1/config/ws?contactId=" + url.QueryEscape(ref.ContactID) + "&widgetKey=" + url.QueryEscape(ref.WidgetKey)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ws, _, err := w.idleDial.DialContext(ctx, u, hdr)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				res.Errors++
				return
			}
			res.Sockets++
			w.pageSockets = append(w.pageSockets, ws)
			go func() {
				first := true
				for {
					if _, _, err := ws.ReadMessage(); err != nil {
						return
					}
					if !first {
						w.pushed.Add(1)
					}
					first = false
				}
			}()
		}()
	}
	wg.Wait()
	return res
}

// closePageSockets closes the config sockets and says how many config
// frames they were pushed.
func (w *worker) closePageSockets() pagesResult {
	for _, ws := range w.pageSockets {
		ws.Close()
	}
	w.pageSockets = nil
	return pagesResult{Pushed: w.pushed.Swap(0)}
}

// pages runs n pages for d, each asking every interval (the first asks
// spread over one interval, so the server sees a steady rate).
func (w *worker) pages(ctx context.Context, n int, interval, d time.Duration) pagesResult {
	refs := w.cfg.Chat
	if len(refs) == 0 {
		refs = w.cfg.Idle
	}
	if len(refs) == 0 || n == 0 {
		return pagesResult{}
	}
	tr := &http.Transport{DialContext: roundRobin(w.cfg.Addrs), MaxIdleConns: n, MaxIdleConnsPerHost: n,
		MaxConnsPerHost: n, IdleConnTimeout: interval + time.Minute}
	defer tr.CloseIdleConnections()
	// One client per page would not pin a connection to a page; with as
	// many idle connections allowed as pages, each request finds one.
	hc := &http.Client{Timeout: 30 * time.Second, Transport: tr}
	var res struct{ requests, notModified, errors atomic.Int64 }
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for i := range n {
		ref := refs[i%len(refs)]
		u := w.cfg.URL + "/widget/v1/config?contactId=" + url.QueryEscape(ref.ContactID) + "&widgetKey=" + url.QueryEscape(ref.WidgetKey)
		wg.Add(1)
		go func() {
			defer wg.Done()
			etag := ""
			t := time.NewTimer(interval * time.Duration(i) / time.Duration(n))
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
				if time.Now().After(end) {
					return
				}
				t.Reset(interval)
				req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
				if err != nil {
					res.errors.Add(1)
					continue
				}
				req.Header.Set("Origin", w.cfg.Origin)
				if etag != "" {
					req.Header.Set("If-None-Match", etag)
				}
				resp, err := hc.Do(req)
				res.requests.Add(1)
				if err != nil {
					res.errors.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
					etag = resp.Header.Get("ETag")
				case http.StatusNotModified:
					res.notModified.Add(1)
				default:
					res.errors.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return pagesResult{Requests: res.requests.Load(), NotModified: res.notModified.Load(), Errors: res.errors.Load()}
}

// runPages is the pages phase: the server's CPU while the pages follow the
// config (socket pages: after they are open, so what is measured is the
// steady cost), and with sockets the RSS each holds.
func runPages(ctx context.Context, cfg *loadConfig, workers *workerSet, rep *loadReport, serverCPU func() time.Duration, rss func() int64, logf func(string, ...any)) error {
	per := ceilDiv(cfg.Pages, cfg.Workers)
	if cfg.PagesVia == "socket" {
		before := rss()
		start := time.Now()
		res, err := workers.call(ctx, workerCmd{Cmd: "pages-open", Pages: per}, 10*time.Minute)
		if err != nil {
			return fmt.Errorf("pages: %w", err)
		}
		for _, r := range res {
			rep.pages.add(r.Pages)
		}
		logf("pages: %d config sockets open, %d failed (%s)", rep.pages.Sockets, rep.pages.Errors, time.Since(start).Round(time.Millisecond))
		if before > 0 && rep.pages.Sockets > 0 {
			rep.pagesRSS = float64(rss()-before) / float64(rep.pages.Sockets)
		}
		cpu0 := serverCPU()
		logf("pages: holding them for %s", cfg.PagesFor)
		select {
		case <-time.After(cfg.PagesFor):
		case <-ctx.Done():
			return ctx.Err()
		}
		rep.pagesCPU = serverCPU() - cpu0
		res, err = workers.call(ctx, workerCmd{Cmd: "pages-close"}, time.Minute)
		if err != nil {
			return fmt.Errorf("pages: %w", err)
		}
		for _, r := range res {
			rep.pages.add(r.Pages)
		}
		return nil
	}
	cpu0 := serverCPU()
	logf("pages: %d polling the config every %s for %s", cfg.Pages, cfg.PageInterval, cfg.PagesFor)
	res, err := workers.call(ctx, workerCmd{Cmd: "pages", Pages: per, Interval: cfg.PageInterval, Duration: cfg.PagesFor}, cfg.PagesFor+2*time.Minute)
	if err != nil {
		return fmt.Errorf("pages: %w", err)
	}
	for _, r := range res {
		rep.pages.add(r.Pages)
	}
	rep.pagesCPU = serverCPU() - cpu0
	return nil
}
