package outbox_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/interact-oss/interact"
	"github.com/interact-oss/interact/outbox/smtptest"
)

// BenchmarkOutbox measures mails per second from a SQLite outbox to the
// local test SMTP server: b.N mails queued, then sent by one sender.
func BenchmarkOutbox(b *testing.B) {
	db := open(b, "sqlite:"+filepath.Join(b.TempDir(), "bench.db"))
	srv := smtptest.Start(b, smtptest.Options{})
	queue(b, db, interact.NewID(), b.N)
	b.ResetTimer()
	start(b, db, srv)
	srv.Wait(b, b.N, 10*time.Minute)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
}

// BenchmarkOutboxRestart measures a restart with 1,000 mails queued: the
// store is reopened (as after a restart) and a new sender drains it. It
// reports the time to the first delivered mail and to the last.
func BenchmarkOutboxRestart(b *testing.B) {
	for range b.N {
		url := "sqlite:" + filepath.Join(b.TempDir(), "restart.db")
		before := open(b, url)
		queue(b, before, interact.NewID(), 1000)
		before.Close()
		srv := smtptest.Start(b, smtptest.Options{})
		t0 := time.Now()
		db := open(b, url)
		start(b, db, srv)
		srv.Wait(b, 1, time.Minute)
		first := time.Since(t0)
		srv.Wait(b, 1000, 10*time.Minute)
		b.ReportMetric(first.Seconds()*1000, "ms-to-first")
		b.ReportMetric(time.Since(t0).Seconds(), "s-to-all-1000")
	}
}
