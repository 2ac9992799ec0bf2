// Package spool is the agent's bounded on-disk event queue.
//
// Every event the agent produces is appended to the spool; a single sender
// reads the oldest events with Peek, publishes them and only then removes
// them with Commit. While the center is unreachable the events stay on disk,
// across agent restarts. The spool is bounded: when it is full the oldest
// events are dropped and counted in a persisted counter (Stats.DroppedTotal)
// so that the loss can be reported upstream; events are never lost silently.
//
// # On-disk layout
//
// A spool directory holds numbered segment files (0000000000000001.seg, ...),
// a small state file and a lock file. A segment starts with an 8-byte header
// ("VGSPOOL" and a format version byte) followed by records:
//
//	length uint32 LE   payload length; bit 31 set means "the group goes on"
//	crc    uint32 LE   CRC-32C of the 4 length bytes and the payload
//	payload [length]byte
//
// The records of one Append form a group: they are written with one write
// call into one segment, and every record of the group but the last has
// bit 31 set, so that recovery can tell a group cut short by a crash.
//
// The state file holds the read position (segment number and offset) and the
// dropped counter, checksummed, in two slots written in turn with a rising
// counter: a write cut by a crash leaves the other slot whole, and Open takes
// the newest good slot, so the file changes atomically with a single pwrite
// per Commit. Segments before the read position are deleted.
//
// # Bound
//
// MaxBytes bounds the bytes of uncommitted records (headers included). An
// Append that would exceed it first drops the oldest records, exactly as many
// as needed; SetMaxBytes drops at once when it shrinks the bound. The files
// on disk may hold up to one segment more than MaxBytes: the committed or
// dropped prefix of the oldest segment is freed when the whole segment is.
//
// # Durability and the crash-loss window
//
// Append returns once the records are in the operating system's page cache:
// if the agent process dies, nothing appended is lost. Commit writes the
// state file before it returns, so a restarted agent resumes after the last
// commit. Drops made by the bound are persisted with the next Commit, the next
// flush or Close; if the process dies before that, the dropped records come
// back together with the old counter, so the count always matches.
//
// With the default SyncPeriodic mode, segments are fsynced when they are
// rotated, by a background flusher at most every SyncInterval (1s by default)
// and on Close; the state file is fsynced by the same flusher. If the machine
// itself crashes or loses power, up to one SyncInterval of appended records
// may be lost, and up to one SyncInterval of commits may be undone (those
// records are sent again: delivery is at least once). SyncAlways fsyncs every
// Append and Commit and closes the window at a large cost in throughput;
// SyncNone leaves everything to the operating system.
//
// # Recovery
//
// Open checks every record's length and checksum. A torn tail (a record or a
// group cut short, or a damaged last record) is truncated; a damaged record
// followed by good ones drops the rest of its segment. Good records before the
// damage are always kept, and the records dropped are added to DroppedTotal.
// The count is exact when only payload bytes are damaged; when a length field
// is damaged (or a tail is cut or zero-filled) the records behind it cannot be
// told apart, and their number is estimated from the segment's average record
// size, at least one. A damaged record met while reading drops the rest of
// its segment too, with an exact count.
package spool
