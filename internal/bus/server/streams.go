package server

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/internal/bus"
)

// ensureStreams creates or updates the events stream and the policy bucket.
func (s *Server) ensureStreams(ctx context.Context) error {
	js, err := jetstream.New(s.conn)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, s.eventsStreamConfig()); err != nil {
		return fmt.Errorf("ensure stream %s: %w", bus.EventsStream, err)
	}
	_, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bus.PolicyBucket,
		Description: "agent policies, key agent.<id>",
		History:     1,
		Storage:     jetstream.FileStorage,
	})
	if err != nil {
		return fmt.Errorf("ensure bucket %s: %w", bus.PolicyBucket, err)
	}
	return nil
}

// eventsStreamConfig is the events stream: every agent's event batches,
// kept within the configured age and size, oldest dropped first.
func (s *Server) eventsStreamConfig() jetstream.StreamConfig {
	maxBytes := s.cfg.EventsMaxBytes
	if maxBytes <= 0 {
		maxBytes = -1
	}
	dup := DuplicateWindow
	if s.cfg.EventsMaxAge > 0 && s.cfg.EventsMaxAge < dup {
		dup = s.cfg.EventsMaxAge
	}
	return jetstream.StreamConfig{
		Name:        bus.EventsStream,
		Description: "event batches from agents",
		Subjects:    []string{bus.AllEvents},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      s.cfg.EventsMaxAge,
		MaxBytes:    maxBytes,
		MaxMsgSize:  MaxPayload,
		Duplicates:  dup,
	}
}
