package authlog

import (
	"bytes"
	"time"

	"github.com/vigilsec/vigil/internal/agent/sense/authlog/parse"
)

// lineConsumer splits a log file into lines and hands each to the
// sensor's line handler with the file's parser.
type lineConsumer struct {
	parser parse.Parser
	handle func(p *parse.Parser, line []byte, truncated bool)
}

func (lc *lineConsumer) lastTime() time.Time     { return lc.parser.Last() }
func (lc *lineConsumer) setLastTime(t time.Time) { lc.parser.SetLast(t) }

// consume implements consumer. A line longer than the buffer is handed
// over cut to the buffer's size and the rest of it skipped.
func (lc *lineConsumer) consume(of *openFile, data []byte, full, final bool) int {
	used := 0
	for used < len(data) {
		i := bytes.IndexByte(data[used:], '\n')
		if i < 0 {
			break
		}
		if of.skipping {
			of.skipping = false
		} else {
			lc.handle(&lc.parser, data[used:used+i], false)
		}
		used += i + 1
	}
	if used < len(data) && (final || full && used == 0) {
		if !of.skipping {
			lc.handle(&lc.parser, data[used:], !final)
		}
		of.skipping = !final
		used = len(data)
	}
	return used
}

// recordConsumer splits an accounting file into fixed-size records.
type recordConsumer struct {
	size   int
	handle func(rec []byte)
	// partial is called for an incomplete record at the end of a file
	// that will not grow any more.
	partial func()
}

func (rc *recordConsumer) lastTime() time.Time   { return time.Time{} }
func (rc *recordConsumer) setLastTime(time.Time) {}

// consume implements consumer.
func (rc *recordConsumer) consume(_ *openFile, data []byte, _, final bool) int {
	n := len(data) / rc.size * rc.size
	for i := 0; i < n; i += rc.size {
		rc.handle(data[i : i+rc.size])
	}
	if final && n < len(data) {
		rc.partial()
		return len(data)
	}
	return n
}
