package spool

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Defaults and limits of Options.
const (
	DefaultMaxBytes     int64 = 256 << 20
	DefaultSegmentBytes int64 = 8 << 20
	DefaultSyncInterval       = time.Second
	MinSegmentBytes     int64 = 256
	MaxSegmentBytes     int64 = 1 << 30
)

// SyncMode says when the spool fsyncs its files.
type SyncMode int

const (
	// SyncPeriodic fsyncs at segment rotation, every SyncInterval from a
	// background flusher and on Close. It is the default.
	SyncPeriodic SyncMode = iota
	// SyncAlways fsyncs every Append and every Commit.
	SyncAlways
	// SyncNone never fsyncs: the operating system writes back when it likes.
	SyncNone
)

// String names the mode for logs and configuration.
func (m SyncMode) String() string {
	switch m {
	case SyncPeriodic:
		return "periodic"
	case SyncAlways:
		return "always"
	case SyncNone:
		return "none"
	}
	return fmt.Sprintf("SyncMode(%d)", int(m))
}

// Options configure a spool; the zero value gives the defaults.
type Options struct {
	// MaxBytes bounds the uncommitted records (headers included); 0 means
	// DefaultMaxBytes. It can be changed later with SetMaxBytes.
	MaxBytes int64
	// SegmentBytes is the size at which the tail segment is rotated, and
	// so the largest group one Append can write; 0 means DefaultSegmentBytes.
	SegmentBytes int64
	// Sync is the fsync policy.
	Sync SyncMode
	// SyncInterval is the period of the background flusher; 0 means
	// DefaultSyncInterval.
	SyncInterval time.Duration
	// Logger receives recovery warnings; nil means slog.Default().
	Logger *slog.Logger
}

// withDefaults fills in the defaults and checks the values.
func (o Options) withDefaults() (Options, error) {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.SegmentBytes == 0 {
		o.SegmentBytes = DefaultSegmentBytes
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = DefaultSyncInterval
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	var errs []error
	if o.SegmentBytes < MinSegmentBytes || o.SegmentBytes > MaxSegmentBytes {
		errs = append(errs, fmt.Errorf("SegmentBytes %d outside [%d, %d]", o.SegmentBytes, MinSegmentBytes, MaxSegmentBytes))
	}
	if o.Sync < SyncPeriodic || o.Sync > SyncNone {
		errs = append(errs, fmt.Errorf("unknown Sync mode %d", int(o.Sync)))
	}
	if err := errors.Join(errs...); err != nil {
		return o, fmt.Errorf("spool options: %w", err)
	}
	return o, nil
}
