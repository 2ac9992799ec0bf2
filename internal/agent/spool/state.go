package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// The state file holds two slots. Each write goes to the slot not holding
// the newest state, with a higher counter, so that a write cut by a crash
// leaves the other slot intact: Open takes the valid slot with the highest
// counter. A slot write is one pwrite, far cheaper than writing a new file
// and renaming it on every Commit.
const (
	stateName    = "state"
	stateMagic   = "VGST"
	stateVersion = 1
	stateLen     = 4 + 4 + 8 + 8 + 8 + 8 + 4
	stateSlot    = 64 // bytes reserved per slot
)

// state is what the state file keeps: the read position and the dropped
// counter, always written together.
type state struct {
	Counter uint64 // orders the two slots; higher is newer
	HeadSeq uint64 // segment holding the oldest uncommitted record
	HeadOff int64  // offset of that record in the segment
	Dropped uint64 // records dropped since the spool was created
}

// marshal encodes st with a trailing CRC-32C.
func (st state) marshal() []byte {
	b := make([]byte, 0, stateLen)
	b = append(b, stateMagic...)
	b = binary.LittleEndian.AppendUint32(b, stateVersion)
	b = binary.LittleEndian.AppendUint64(b, st.Counter)
	b = binary.LittleEndian.AppendUint64(b, st.HeadSeq)
	b = binary.LittleEndian.AppendUint64(b, uint64(st.HeadOff))
	b = binary.LittleEndian.AppendUint64(b, st.Dropped)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// errBadState reports a state file that cannot be trusted.
var errBadState = errors.New("malformed state file")

// unmarshalState decodes one slot written by marshal.
func unmarshalState(b []byte) (state, error) {
	if len(b) != stateLen || string(b[:4]) != stateMagic {
		return state{}, errBadState
	}
	if v := binary.LittleEndian.Uint32(b[4:8]); v != stateVersion {
		return state{}, fmt.Errorf("%w: version %d", errBadState, v)
	}
	if crc32.Checksum(b[:stateLen-4], castagnoli) != binary.LittleEndian.Uint32(b[stateLen-4:]) {
		return state{}, fmt.Errorf("%w: checksum mismatch", errBadState)
	}
	st := state{
		Counter: binary.LittleEndian.Uint64(b[8:16]),
		HeadSeq: binary.LittleEndian.Uint64(b[16:24]),
		HeadOff: int64(binary.LittleEndian.Uint64(b[24:32])),
		Dropped: binary.LittleEndian.Uint64(b[32:40]),
	}
	if st.HeadOff < 0 {
		return state{}, fmt.Errorf("%w: negative offset", errBadState)
	}
	return st, nil
}

// decodeStateFile picks the newest valid slot of a state file's content.
// Empty content is a new spool.
func decodeStateFile(b []byte) (state, error) {
	if len(b) == 0 {
		return state{}, nil
	}
	var best state
	var errs []error
	found := false
	for off := 0; off+stateLen <= len(b) && off < 2*stateSlot; off += stateSlot {
		st, err := unmarshalState(b[off : off+stateLen])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !found || st.Counter > best.Counter {
			best, found = st, true
		}
	}
	if !found {
		return state{}, errors.Join(append(errs, errBadState)...)
	}
	return best, nil
}

// stateFile is the open state file.
type stateFile struct {
	f       *os.File
	counter uint64 // counter of the newest slot
}

// openStateFile opens or creates the state file of dir and returns the
// state it holds. On errBadState the file is still returned, ready to be
// overwritten.
func openStateFile(dir string) (*stateFile, state, error) {
	path := filepath.Join(dir, stateName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, state{}, fmt.Errorf("open spool state: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(f, 2*stateSlot))
	if err != nil {
		f.Close()
		return nil, state{}, fmt.Errorf("read spool state: %w", err)
	}
	st, err := decodeStateFile(b)
	sf := &stateFile{f: f, counter: st.Counter}
	if err != nil {
		return sf, st, fmt.Errorf("spool state %s: %w", path, err)
	}
	return sf, st, nil
}

// write stores st in the older slot; with sync it is flushed to stable
// storage before write returns.
func (sf *stateFile) write(st state, sync bool) error {
	sf.counter++
	st.Counter = sf.counter
	if _, err := sf.f.WriteAt(st.marshal(), int64(sf.counter%2)*stateSlot); err != nil {
		return fmt.Errorf("write spool state: %w", err)
	}
	if sync {
		if err := sf.f.Sync(); err != nil {
			return fmt.Errorf("sync spool state: %w", err)
		}
	}
	return nil
}
