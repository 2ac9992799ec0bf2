package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// RetentionInterval is how often RunRetention deletes old records.
const RetentionInterval = time.Hour

// DeleteBefore deletes the records older than a time and says how many.
type DeleteBefore func(ctx context.Context, t time.Time) (int64, error)

// RunRetention deletes the records (what names them in logs) older than
// keep now and then every RetentionInterval until ctx is done; keep <= 0
// keeps them forever and returns at once. A failed delete is logged and
// tried again at the next interval. It returns nil after ctx is done.
func RunRetention(ctx context.Context, what string, del DeleteBefore, keep time.Duration) error {
	if keep <= 0 {
		return nil
	}
	log := slog.Default().With("service", "retention", "of", what)
	tick := time.NewTicker(RetentionInterval)
	defer tick.Stop()
	for {
		if n, err := del(ctx, time.Now().Add(-keep)); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Warn("retention", "err", fmt.Errorf("delete %s older than %s: %w", what, keep, err))
		} else if n > 0 {
			log.Info("retention", "deleted", n, "keep", keep)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
