package baseline

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// The stored baseline is one file:
//
//	magic   "VGFIMB" 0x00, then the version: 0x02 (0x01 is read too)
//	records uvarint length (> 0), then that many bytes:
//	          uvarint shared   bytes shared with the previous record's path
//	          uvarint n, n bytes  the rest of the path
//	          byte type, byte flags (Flags, and recordCaps)
//	          uvarint mode, uid, gid, size, inode, dev
//	          varint mtime, ctime (ns)
//	          32 bytes SHA-256 when flags has FlagHashed
//	          uvarint n, n bytes  symlink target, for symlinks
//	          when flags has recordCaps (version 2), the file
//	          capabilities: uvarint permitted, inheritable, byte
//	          effective (0 or 1), uvarint root id
//	end     uvarint 0, then the CRC-32C (Castagnoli, little endian) of
//	        every byte before it
//
// Version 1 did not record capabilities: its regular files are read with
// FlagCapsUnknown. Paths are in ComparePaths order, each once. The file is
// written beside its final name and renamed over it once synced, so a
// crash leaves the previous baseline whole.
var magic = []byte("VGFIMB\x00\x02")

// Versions of the stored format.
const (
	version1       = 1
	currentVersion = 2
)

// recordCaps, in a record's flags byte, says that file capabilities
// follow.
const recordCaps = 0x80

// version returns the format version of a file that begins with head,
// false when it is not a baseline this package reads.
func version(head []byte) (int, bool) {
	if len(head) < len(magic) || string(head[:len(magic)-1]) != string(magic[:len(magic)-1]) {
		return 0, false
	}
	v := int(head[len(magic)-1])
	return v, v == version1 || v == currentVersion
}

// Limits of the decoder.
const (
	maxRecord  = 16 << 10 // bytes of one record
	maxPathLen = 4096     // PATH_MAX
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is returned for a stored baseline that is not well formed.
var ErrCorrupt = errors.New("corrupt baseline")

// Writer writes a baseline file.
type Writer struct {
	path, tmp string
	f         *os.File
	w         *bufio.Writer
	crc       hash.Hash32
	prev      string
	buf       []byte
	count     int
	err       error
}

// Create starts writing the baseline that will replace path on Commit.
func Create(path string) (*Writer, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	w := &Writer{path: path, tmp: tmp, f: f, crc: crc32.New(castagnoli)}
	w.w = bufio.NewWriterSize(io.MultiWriter(f, w.crc), 64<<10)
	if _, err := w.w.Write(magic); err != nil {
		w.Abort()
		return nil, fmt.Errorf("baseline: %w", err)
	}
	return w, nil
}

// Add appends an entry; entries must come in ComparePaths order.
func (w *Writer) Add(e *Entry) error {
	if w.err != nil {
		return w.err
	}
	if w.count > 0 && ComparePaths(w.prev, e.Path) >= 0 {
		w.err = fmt.Errorf("baseline: %q after %q: out of order", e.Path, w.prev)
		return w.err
	}
	w.buf = appendRecord(w.buf[:0], w.prev, e)
	var n [binary.MaxVarintLen64]byte
	if _, err := w.w.Write(n[:binary.PutUvarint(n[:], uint64(len(w.buf)))]); err != nil {
		w.err = fmt.Errorf("baseline: %w", err)
		return w.err
	}
	if _, err := w.w.Write(w.buf); err != nil {
		w.err = fmt.Errorf("baseline: %w", err)
		return w.err
	}
	w.prev = e.Path
	w.count++
	return nil
}

// Count returns the number of entries added.
func (w *Writer) Count() int { return w.count }

// Commit ends the file, syncs it and renames it over the previous one.
func (w *Writer) Commit() error {
	if w.err != nil {
		w.Abort()
		return w.err
	}
	err := w.w.WriteByte(0)
	if err == nil {
		err = w.w.Flush()
	}
	if err == nil {
		var sum [4]byte
		binary.LittleEndian.PutUint32(sum[:], w.crc.Sum32())
		_, err = w.f.Write(sum[:])
	}
	if err == nil {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.tmp, w.path)
	}
	if err != nil {
		_ = os.Remove(w.tmp)
		return fmt.Errorf("baseline: save %s: %w", w.path, err)
	}
	if d, err := os.Open(filepath.Dir(w.path)); err == nil {
		_ = d.Sync() // the rename itself survives a crash
		_ = d.Close()
	}
	return nil
}

// Abort drops what was written; the previous baseline stays.
func (w *Writer) Abort() {
	_ = w.f.Close()
	_ = os.Remove(w.tmp)
}

func appendRecord(b []byte, prev string, e *Entry) []byte {
	shared := 0
	for shared < len(prev) && shared < len(e.Path) && prev[shared] == e.Path[shared] {
		shared++
	}
	b = binary.AppendUvarint(b, uint64(shared))
	b = binary.AppendUvarint(b, uint64(len(e.Path)-shared))
	b = append(b, e.Path[shared:]...)
	flags := byte(e.Flags)
	if !e.Caps.IsZero() && e.CapsKnown() {
		flags |= recordCaps
	}
	b = append(b, byte(e.Type), flags)
	for _, v := range []uint64{uint64(e.Mode), uint64(e.UID), uint64(e.GID), uint64(e.Size), e.Inode, e.Dev} {
		b = binary.AppendUvarint(b, v)
	}
	b = binary.AppendVarint(b, e.MTime)
	b = binary.AppendVarint(b, e.CTime)
	if e.Flags&FlagHashed != 0 {
		b = append(b, e.SHA256[:]...)
	}
	if e.Type == TypeSymlink {
		b = binary.AppendUvarint(b, uint64(len(e.Target)))
		b = append(b, e.Target...)
	}
	if flags&recordCaps != 0 {
		b = binary.AppendUvarint(b, e.Caps.Permitted)
		b = binary.AppendUvarint(b, e.Caps.Inheritable)
		effective := byte(0)
		if e.Caps.Effective {
			effective = 1
		}
		b = append(b, effective)
		b = binary.AppendUvarint(b, uint64(e.Caps.RootID))
	}
	return b
}

// Load reads the baseline file at path and calls fn for each entry in
// order. A missing file returns an error satisfying errors.Is(err,
// fs.ErrNotExist); a damaged one ErrCorrupt, before any call of fn.
func Load(path string, fn func(*Entry) error) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	return Decode(data, fn)
}

// Decode checks and decodes a baseline file's content, calling fn for each
// entry in order. The checksum is verified first: fn sees nothing of a
// damaged file. The Entry passed to fn is reused; fn copies what it keeps.
func Decode(data []byte, fn func(*Entry) error) error {
	ver, ok := version(data)
	if !ok || len(data) < len(magic)+5 {
		return fmt.Errorf("%w: bad header", ErrCorrupt)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	d := decoder{b: body[len(magic):]}
	var e Entry
	prev := ""
	for n := 0; ; n++ {
		size, ok := d.uvarint()
		if !ok {
			return fmt.Errorf("%w: record %d: truncated length", ErrCorrupt, n)
		}
		if size == 0 {
			if len(d.b) != 0 {
				return fmt.Errorf("%w: %d bytes after the end", ErrCorrupt, len(d.b))
			}
			return nil
		}
		if size > maxRecord || size > uint64(len(d.b)) {
			return fmt.Errorf("%w: record %d: length %d", ErrCorrupt, n, size)
		}
		rec := decoder{b: d.b[:size], version: ver}
		d.b = d.b[size:]
		if err := rec.entry(&e, prev); err != nil {
			return fmt.Errorf("%w: record %d: %v", ErrCorrupt, n, err)
		}
		if n > 0 && ComparePaths(prev, e.Path) >= 0 {
			return fmt.Errorf("%w: record %d: %q out of order", ErrCorrupt, n, e.Path)
		}
		prev = e.Path
		if err := fn(&e); err != nil {
			return err
		}
	}
}

// Load replaces what x holds with the baseline file at path. The file is
// read as a stream, so that loading needs no more memory than the index
// itself; its checksum is checked at its end, so on any error (a missing
// file satisfying errors.Is(err, fs.ErrNotExist), a damaged one
// ErrCorrupt) x is left empty.
func (x *Index) Load(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	defer f.Close()
	x.Reset()
	err = DecodeStream(f, func(e *Entry) error {
		if err := x.Put(e); err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		return nil
	})
	if err != nil {
		x.Reset()
		return fmt.Errorf("baseline: %s: %w", path, err)
	}
	return nil
}

// DecodeStream decodes a baseline file from r as Decode does, calling fn
// for each entry in order, but checks the checksum only at the end: fn
// may have seen entries of a file that turns out damaged (ErrCorrupt).
// The Entry passed to fn is reused; fn copies what it keeps.
func DecodeStream(r io.Reader, fn func(*Entry) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	cr := &crcReader{r: br}
	head := make([]byte, len(magic))
	_, err := io.ReadFull(cr, head)
	ver, ok := version(head)
	if err != nil || !ok {
		return fmt.Errorf("%w: bad header", ErrCorrupt)
	}
	var e Entry
	prev := ""
	buf := make([]byte, 0, 512)
	for n := 0; ; n++ {
		size, err := binary.ReadUvarint(cr)
		if err != nil {
			return fmt.Errorf("%w: record %d: truncated length", ErrCorrupt, n)
		}
		if size == 0 {
			var sum [4]byte
			if _, err := io.ReadFull(br, sum[:]); err != nil {
				return fmt.Errorf("%w: truncated checksum", ErrCorrupt)
			}
			if binary.LittleEndian.Uint32(sum[:]) != cr.crc {
				return fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
			}
			if _, err := br.ReadByte(); err != io.EOF {
				return fmt.Errorf("%w: bytes after the end", ErrCorrupt)
			}
			return nil
		}
		if size > maxRecord {
			return fmt.Errorf("%w: record %d: length %d", ErrCorrupt, n, size)
		}
		if uint64(cap(buf)) < size {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := io.ReadFull(cr, buf); err != nil {
			return fmt.Errorf("%w: record %d: length %d", ErrCorrupt, n, size)
		}
		rec := decoder{b: buf, version: ver}
		if err := rec.entry(&e, prev); err != nil {
			return fmt.Errorf("%w: record %d: %v", ErrCorrupt, n, err)
		}
		if n > 0 && ComparePaths(prev, e.Path) >= 0 {
			return fmt.Errorf("%w: record %d: %q out of order", ErrCorrupt, n, e.Path)
		}
		prev = e.Path
		if err := fn(&e); err != nil {
			return err
		}
	}
}

// crcReader reads through a CRC-32C of every byte read.
type crcReader struct {
	r   *bufio.Reader
	crc uint32
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.crc = crc32.Update(c.crc, castagnoli, p[:n])
	return n, err
}

func (c *crcReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.crc = crc32.Update(c.crc, castagnoli, []byte{b})
	}
	return b, err
}

// decoder reads the records of a file of the given format version.
type decoder struct {
	b       []byte
	version int
}

func (d *decoder) uvarint() (uint64, bool) {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		return 0, false
	}
	d.b = d.b[n:]
	return v, true
}

func (d *decoder) varint() (int64, bool) {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		return 0, false
	}
	d.b = d.b[n:]
	return v, true
}

func (d *decoder) bytes(n uint64) ([]byte, bool) {
	if n > uint64(len(d.b)) {
		return nil, false
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out, true
}

func (d *decoder) entry(e *Entry, prev string) error {
	shared, ok := d.uvarint()
	if !ok || shared > uint64(len(prev)) {
		return errors.New("bad shared prefix")
	}
	n, ok := d.uvarint()
	if !ok || shared+n > maxPathLen {
		return errors.New("bad path length")
	}
	suffix, ok := d.bytes(n)
	if !ok {
		return errors.New("truncated path")
	}
	path := prev[:shared] + string(suffix)
	if !strings.HasPrefix(path, "/") || strings.IndexByte(path, 0) >= 0 {
		return fmt.Errorf("path %q is not absolute", path)
	}
	head, ok := d.bytes(2)
	if !ok {
		return errors.New("truncated type")
	}
	flags := head[1]
	if d.version == version1 && flags&^byte(FlagHashed|FlagTooLarge|FlagUnreadable) != 0 ||
		flags&^(byte(flagsKnown)|recordCaps) != 0 {
		return fmt.Errorf("unknown flags %#x", flags)
	}
	*e = Entry{Path: path, Type: Type(head[0]), Flags: Flags(flags &^ recordCaps)}
	if e.Type < TypeFile || e.Type > TypeOther {
		return fmt.Errorf("unknown type %d", head[0])
	}
	if d.version == version1 && e.Type == TypeFile {
		e.Flags |= FlagCapsUnknown
	}
	var v [6]uint64
	for i := range v {
		if v[i], ok = d.uvarint(); !ok {
			return errors.New("truncated attributes")
		}
	}
	if v[0] > 0o7777 || v[1] > 1<<32-1 || v[2] > 1<<32-1 || v[3] > 1<<63-1 {
		return errors.New("attribute out of range")
	}
	e.Mode, e.UID, e.GID, e.Size, e.Inode, e.Dev = uint32(v[0]), uint32(v[1]), uint32(v[2]), int64(v[3]), v[4], v[5]
	if e.MTime, ok = d.varint(); !ok {
		return errors.New("truncated mtime")
	}
	if e.CTime, ok = d.varint(); !ok {
		return errors.New("truncated ctime")
	}
	if e.Flags&FlagHashed != 0 {
		sum, ok := d.bytes(32)
		if !ok {
			return errors.New("truncated hash")
		}
		copy(e.SHA256[:], sum)
	}
	if e.Type == TypeSymlink {
		n, ok := d.uvarint()
		if !ok || n > maxPathLen {
			return errors.New("bad target length")
		}
		target, ok := d.bytes(n)
		if !ok {
			return errors.New("truncated target")
		}
		e.Target = string(target)
	}
	if flags&recordCaps != 0 {
		if err := d.caps(e); err != nil {
			return err
		}
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%d stray bytes", len(d.b))
	}
	return nil
}

// caps reads the file capabilities of a record.
func (d *decoder) caps(e *Entry) error {
	if e.Type != TypeFile || !e.CapsKnown() {
		return errors.New("capabilities recorded for an entry that cannot have them")
	}
	var ok bool
	if e.Caps.Permitted, ok = d.uvarint(); !ok {
		return errors.New("truncated capabilities")
	}
	if e.Caps.Inheritable, ok = d.uvarint(); !ok {
		return errors.New("truncated capabilities")
	}
	effective, ok := d.bytes(1)
	if !ok || effective[0] > 1 {
		return errors.New("bad effective capability flag")
	}
	e.Caps.Effective = effective[0] == 1
	root, ok := d.uvarint()
	if !ok || root > 1<<32-1 {
		return errors.New("bad capabilities root id")
	}
	e.Caps.RootID = uint32(root)
	if e.Caps.Permitted|e.Caps.Inheritable == 0 {
		return errors.New("empty capabilities recorded")
	}
	return nil
}
