package server

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
)

// slogAdapter passes the NATS server's warnings and errors to slog; its
// notices go to slog's debug level. It keeps the last fatal message, which
// the server logs when it cannot start (a port in use).
type slogAdapter struct {
	log   *slog.Logger
	fatal *atomic.Pointer[string]
}

func (a slogAdapter) logf(level slog.Level, format string, v []any) {
	if a.log.Enabled(context.Background(), level) {
		a.log.Log(context.Background(), level, fmt.Sprintf(format, v...), "component", "nats-server")
	}
}

// Noticef logs at debug level.
func (a slogAdapter) Noticef(format string, v ...any) { a.logf(slog.LevelDebug, format, v) }

// Warnf logs at warn level.
func (a slogAdapter) Warnf(format string, v ...any) { a.logf(slog.LevelWarn, format, v) }

// Fatalf logs at error level and keeps the message for Start to report.
func (a slogAdapter) Fatalf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	a.fatal.Store(&msg)
	a.logf(slog.LevelError, "%s", []any{msg})
}

// Errorf logs at error level.
func (a slogAdapter) Errorf(format string, v ...any) { a.logf(slog.LevelError, format, v) }

// Debugf logs at debug level.
func (a slogAdapter) Debugf(format string, v ...any) { a.logf(slog.LevelDebug, format, v) }

// Tracef logs at debug level.
func (a slogAdapter) Tracef(format string, v ...any) { a.logf(slog.LevelDebug, format, v) }
