package fim

import (
	"sync/atomic"

	"github.com/vigilsec/vigil/internal/agent/sense/fim/notify"
)

// counters are the sensor's own figures, totals since it was made.
type counters struct {
	// overflows counts the kernel's queue overflows (FAN_Q_OVERFLOW,
	// IN_Q_OVERFLOW); malformed the reads that could not be decoded.
	// Each is followed by a rescan.
	overflows, malformed atomic.Uint64
	// rescans counts the full rescans of the watched trees: after an
	// overflow and every rescan_interval.
	rescans atomic.Uint64
	// scanErrors counts the paths scans could not list, read or stat;
	// unreadable the files that could not be read to be hashed, by scans
	// and on changes.
	scanErrors, unreadable atomic.Uint64
	// unwatched counts the directories no mechanism could watch.
	unwatched atomic.Uint64
	// saveErrors counts the failed writes of the stored baseline.
	saveErrors atomic.Uint64
	// fanReads and fanRecords are the reads and events of the fanotify
	// sources of the runs before the last one.
	fanReads, fanRecords atomic.Uint64
	// webRootErrors counts the failed searches for web roots.
	webRootErrors atomic.Uint64
}

func (c *counters) addFanotify(st notify.FanotifyStats) {
	c.fanReads.Add(st.Reads)
	c.fanRecords.Add(st.Records)
}

// Counters implements plugin.Counted: overflows of the kernel's queue,
// rescans, undecodable reads, scan errors, unreadable files, directories
// left unwatched and failed baseline saves since the sensor was made;
// fanotify wake-ups and events read; and, while it runs, the entries
// and bytes of the in-memory index, the fanotify marks, the inotify
// watches and the bytes of earlier contents kept for diffs.
func (s *Sensor) Counters() map[string]uint64 {
	c := &s.count
	out := map[string]uint64{
		"overflows":         c.overflows.Load(),
		"malformed_records": c.malformed.Load(),
		"rescans":           c.rescans.Load(),
		"scan_errors":       c.scanErrors.Load(),
		"unreadable_files":  c.unreadable.Load(),
		"unwatched_dirs":    c.unwatched.Load(),
		"save_errors":       c.saveErrors.Load(),
		"fanotify_reads":    c.fanReads.Load(),
		"fanotify_records":  c.fanRecords.Load(),
		"web_root_errors":   c.webRootErrors.Load(),
	}
	s.mu.Lock()
	out["web_roots"] = uint64(len(s.discovered))
	s.mu.Unlock()
	if f := s.fan.Load(); f != nil {
		st := f.Stats()
		out["fanotify_reads"] += st.Reads
		out["fanotify_records"] += st.Records
		if s.running.Load() {
			out["inode_marks"] = uint64(st.InodeMarks)
			out["filesystem_marks"] = uint64(st.FilesystemMarks)
		}
	}
	if x := s.index.Load(); x != nil {
		out["index_entries"] = uint64(x.Len())
		out["index_bytes"] = uint64(x.Bytes())
	}
	if ino := s.ino.Load(); ino != nil {
		out["inotify_watches"] = uint64(ino.Watches())
	}
	if st := s.store.Load(); st != nil {
		out["content_bytes"] = uint64(max(st.Size(), 0))
	}
	return out
}
