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
