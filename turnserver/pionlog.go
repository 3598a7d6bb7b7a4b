package turnserver

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLog routes pion's logs into slog. pion logs at Info per dropped
// packet, so its Trace, Debug and Info all become Debug.
type pionLog struct{ log *slog.Logger }

func (f pionLog) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With("scope", "pion-"+scope)}
}

type pionLogger struct{ log *slog.Logger }

func (l pionLogger) at(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, msg)
}

func (l pionLogger) atf(level slog.Level, format string, args ...any) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, args...))
	}
}

func (l pionLogger) Trace(msg string)                  { l.at(slog.LevelDebug, msg) }
func (l pionLogger) Tracef(format string, args ...any) { l.atf(slog.LevelDebug, format, args...) }
func (l pionLogger) Debug(msg string)                  { l.at(slog.LevelDebug, msg) }
func (l pionLogger) Debugf(format string, args ...any) { l.atf(slog.LevelDebug, format, args...) }
func (l pionLogger) Info(msg string)                   { l.at(slog.LevelDebug, msg) }
func (l pionLogger) Infof(format string, args ...any)  { l.atf(slog.LevelDebug, format, args...) }
func (l pionLogger) Warn(msg string)                   { l.at(slog.LevelWarn, msg) }
func (l pionLogger) Warnf(format string, args ...any)  { l.atf(slog.LevelWarn, format, args...) }
func (l pionLogger) Error(msg string)                  { l.at(slog.LevelError, msg) }
func (l pionLogger) Errorf(format string, args ...any) { l.atf(slog.LevelError, format, args...) }
