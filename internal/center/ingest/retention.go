package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// RetentionInterval is how often RunRetention deletes old events.
const RetentionInterval = time.Hour

// RunRetention deletes events older than keep now and then every
// RetentionInterval until ctx is done; keep <= 0 keeps events forever and
// returns at once. A failed delete is logged and tried again at the next
// interval. It returns nil after ctx is done.
func RunRetention(ctx context.Context, events store.EventStore, keep time.Duration) error {
	if keep <= 0 {
		return nil
	}
	log := slog.Default().With("service", "retention")
	tick := time.NewTicker(RetentionInterval)
	defer tick.Stop()
	for {
		if n, err := deleteOld(ctx, events, keep); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			log.Warn("event retention", "err", err)
		} else if n > 0 {
			log.Info("event retention", "deleted", n, "keep", keep)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// deleteOld deletes the events older than keep.
func deleteOld(ctx context.Context, events store.EventStore, keep time.Duration) (int64, error) {
	n, err := events.DeleteBefore(ctx, time.Now().Add(-keep))
	if err != nil {
		return 0, fmt.Errorf("delete events older than %s: %w", keep, err)
	}
	return n, nil
}
