// Package ingest moves event batches from the bus into the event store.
//
// Agents publish busv1.EventBatch messages (newline-delimited ECS JSON,
// optionally zstd-compressed) to bus.EventsSubject(id), which the EVENTS
// stream keeps. The Service reads them through the durable pull consumer
// bus.IngestConsumer with explicit acks, decodes and checks them on several
// goroutines, and stores the valid events of many messages in one
// EventStore.Insert call. Only after that call returned are those messages
// acknowledged, so a center stopped at any point loses nothing (unacked
// messages are delivered again) and, since Insert skips events whose
// event.id is already stored, duplicates nothing.
//
// Untrusted input is checked at every level by package eventbatch (the
// subject's agent, compression bombs, event.Validate). A message that
// fails is terminated (never delivered again) and counted by reason; a bad
// event inside a good batch is dropped and counted; the service keeps
// running either way.
package ingest
