package baseline

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
	"golang.org/x/time/rate"

	"github.com/vigilsec/vigil/internal/agent/sense/fim/filecap"
)

// Options configure a scan.
type Options struct {
	// Root is where the host's root is in this process's view ("/").
	Root string
	// Paths are the host paths to record, each with everything below it.
	// Symlinks are recorded, never followed. Paths that do not exist are
	// skipped.
	Paths []string
	// Exclude reports whether a host path is left out (a directory with
	// everything below it); nil excludes nothing.
	Exclude func(path string) bool
	// Hash turns content hashing on.
	Hash bool
	// MaxFileSize is the largest file hashed, in bytes (0: no limit).
	// Larger files get FlagTooLarge.
	MaxFileSize int64
	// ReadRate bounds the bytes per second that hashing reads from
	// storage (reads served from the page cache are free); 0 is no limit.
	ReadRate int64
	// Workers is the number of hashing threads (default 1). Each runs at
	// the lowest CPU priority and the lowest best-effort I/O priority.
	Workers int
	// Previous fills prev with the earlier entry of a host path and
	// reports whether there is one. A file whose inode, size, mtime and
	// ctime are unchanged keeps its earlier hash and capabilities without
	// being read (setting capabilities changes the ctime). It is called
	// from the scan's own goroutine, while fn runs.
	Previous func(path string, prev *Entry) bool
	// ContentMax is the size up to which WantContent is asked.
	ContentMax int64
	// WantContent is asked, for regular files of at most ContentMax
	// bytes, whether the scan hands over the file's content (read even
	// when its hash could be kept). prev is the Previous entry or nil.
	WantContent func(e, prev *Entry) bool
	// OnDir is called for each directory before its entries are listed,
	// with its path in this process's view: the place to watch it, so
	// that nothing created while it is listed is missed.
	OnDir func(localPath string, e *Entry)
}

// Stats are the figures of one scan.
type Stats struct {
	Entries     int
	Dirs        int
	Files       int
	Hashed      int   // files read and hashed
	Reused      int   // files whose earlier hash was kept
	TooLarge    int   // files over MaxFileSize
	Unreadable  int   // files that could not be read to be hashed (FlagUnreadable)
	Errors      int   // paths that could not be listed, read or stat'ed
	HashedBytes int64 // bytes hashed
	// StorageBytes is what hashing read from storage (from the threads'
	// I/O accounting; equal to HashedBytes where the kernel lacks it).
	StorageBytes int64
	// Throttled is the time hashing waited for the read rate limit.
	Throttled time.Duration
	Duration  time.Duration
	// FirstError describes the first error counted in Errors.
	FirstError string
}

// item is one entry on its way from the walker to the caller.
type item struct {
	e       Entry
	local   string
	content []byte
	want    bool
	done    chan struct{} // closed when hashed; nil when there is nothing to hash
}

type scanner struct {
	opt     Options
	limiter *rate.Limiter
	stats   Stats
	mu      sync.Mutex // guards the error fields of stats from workers
	hashed  atomic.Int64
	reused  atomic.Int64
	bytes   atomic.Int64
	storage atomic.Int64
	waited  atomic.Int64
}

// Scan walks opt.Paths and calls fn with each entry in ComparePaths
// order, together with the file's content when WantContent asked for it.
// It returns when the walk ends, fn fails or ctx is done.
func Scan(ctx context.Context, opt Options, fn func(e *Entry, content []byte) error) (Stats, error) {
	start := time.Now()
	if opt.Root == "" {
		opt.Root = "/"
	}
	if opt.Workers <= 0 {
		opt.Workers = 1
	}
	s := &scanner{opt: opt}
	if opt.ReadRate > 0 {
		burst := int(min(max(opt.ReadRate/4, 256<<10), 16<<20))
		s.limiter = rate.NewLimiter(rate.Limit(opt.ReadRate), burst)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	order := make(chan *item, 128)
	jobs := make(chan *item, 32)
	var workers sync.WaitGroup
	for range opt.Workers {
		workers.Go(func() { s.worker(ctx, jobs) })
	}
	walkErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(jobs)
		walkErr <- s.walkRoots(ctx, order, jobs)
	}()
	var fnErr error
	for it := range order {
		if it.done != nil {
			select {
			case <-it.done:
			case <-ctx.Done():
			}
		}
		if fnErr != nil || ctx.Err() != nil {
			continue // drain so that the walker ends
		}
		s.count(&it.e)
		if err := fn(&it.e, it.content); err != nil {
			fnErr = err
			cancel()
		}
	}
	werr := <-walkErr
	workers.Wait()
	st := s.stats
	st.Hashed, st.Reused = int(s.hashed.Load()), int(s.reused.Load())
	st.HashedBytes, st.StorageBytes = s.bytes.Load(), s.storage.Load()
	st.Throttled = time.Duration(s.waited.Load())
	st.Duration = time.Since(start)
	switch {
	case fnErr != nil:
		return st, fnErr
	case werr != nil:
		return st, werr
	}
	return st, nil
}

func (s *scanner) count(e *Entry) {
	s.stats.Entries++
	switch e.Type {
	case TypeDir:
		s.stats.Dirs++
	case TypeFile:
		s.stats.Files++
		if e.Flags&FlagTooLarge != 0 {
			s.stats.TooLarge++
		}
		if e.Flags&FlagUnreadable != 0 {
			s.stats.Unreadable++
		}
	}
}

func (s *scanner) fail(path string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Errors++
	if s.stats.FirstError == "" {
		s.stats.FirstError = fmt.Sprintf("%s: %v", path, err)
	}
}

// Roots returns paths cleaned, sorted, without duplicates and without
// paths inside others.
func Roots(paths []string) []string {
	var out []string
	for _, p := range paths {
		out = append(out, filepath.Clean("/"+p))
	}
	slices.SortFunc(out, ComparePaths)
	out = slices.Compact(out)
	kept := out[:0]
	for _, p := range out {
		if len(kept) > 0 && Within(p, kept[len(kept)-1]) {
			continue
		}
		kept = append(kept, p)
	}
	return kept
}

// Local returns where host path p is in this process's view.
func Local(root, p string) string {
	if root == "/" || root == "" {
		return p
	}
	return filepath.Join(root, p)
}

func (s *scanner) walkRoots(ctx context.Context, order, jobs chan<- *item) error {
	for _, p := range Roots(s.opt.Paths) {
		if s.excluded(p) {
			continue
		}
		var st unix.Stat_t
		local := Local(s.opt.Root, p)
		if err := unix.Lstat(local, &st); err != nil {
			if !errors.Is(err, unix.ENOENT) && !errors.Is(err, unix.ENOTDIR) {
				s.fail(p, err)
			}
			continue
		}
		if err := s.visit(ctx, p, local, &st, order, jobs); err != nil {
			return err
		}
	}
	return nil
}

func (s *scanner) excluded(p string) bool { return s.opt.Exclude != nil && s.opt.Exclude(p) }

// visit records one path and, for a directory, everything below it.
func (s *scanner) visit(ctx context.Context, p, local string, st *unix.Stat_t, order, jobs chan<- *item) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	it := &item{e: FromStat(p, st), local: local}
	switch it.e.Type {
	case TypeSymlink:
		if t, err := os.Readlink(local); err == nil {
			it.e.Target = t
		} else if !errors.Is(err, os.ErrNotExist) {
			s.fail(p, err)
		}
	case TypeFile:
		s.prepare(it)
	case TypeDir:
		if s.opt.OnDir != nil {
			s.opt.OnDir(local, &it.e)
		}
	}
	// The item belongs to the workers and the caller once sent.
	isDir := it.e.Type == TypeDir
	if it.done != nil {
		select {
		case jobs <- it:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	select {
	case order <- it:
	case <-ctx.Done():
		return ctx.Err()
	}
	if !isDir {
		return nil
	}
	names, err := readNames(local)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.fail(p, err)
		}
		return nil
	}
	for _, name := range names {
		cp := p + "/" + name
		if p == "/" {
			cp = "/" + name
		}
		if s.excluded(cp) {
			continue
		}
		cl := cp // the host's root is this process's
		if s.opt.Root != "/" {
			cl = local + "/" + name
		}
		var cst unix.Stat_t
		if err := unix.Lstat(cl, &cst); err != nil {
			if !errors.Is(err, unix.ENOENT) {
				s.fail(cp, err)
			}
			continue
		}
		if err := s.visit(ctx, cp, cl, &cst, order, jobs); err != nil {
			return err
		}
	}
	return nil
}

func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

// prepare decides what the hashing workers do with a regular file, and
// finds the capabilities of one they will not open.
func (s *scanner) prepare(it *item) {
	var before Entry
	var prev *Entry
	if s.opt.Previous != nil && s.opt.Previous(it.e.Path, &before) {
		prev = &before
	}
	s.planHash(it, prev)
	if it.done != nil {
		return // the worker reads the capabilities from the open file
	}
	if prev != nil && prev.CapsKnown() && Unchanged(prev, &it.e) {
		it.e.Caps = prev.Caps
		return
	}
	caps, err := filecap.Read(it.local)
	s.setCaps(&it.e, caps, err)
}

// setCaps records the capabilities read for e, or that they could not
// be read.
func (s *scanner) setCaps(e *Entry, caps filecap.Set, err error) {
	if err != nil {
		e.Flags |= FlagCapsUnknown
		if !errors.Is(err, unix.ENOENT) { // gone meanwhile: the watcher reports it
			s.fail(e.Path, err)
		}
		return
	}
	e.Caps = caps
}

// planHash decides whether the workers read a regular file: to hash it
// (unless its earlier hash holds) or to hand over its content.
func (s *scanner) planHash(it *item, prev *Entry) {
	e := &it.e
	it.want = s.opt.WantContent != nil && e.Size <= s.opt.ContentMax && s.opt.WantContent(e, prev)
	if !s.opt.Hash {
		if it.want {
			it.done = make(chan struct{})
		}
		return
	}
	if s.opt.MaxFileSize > 0 && e.Size > s.opt.MaxFileSize {
		e.Flags |= FlagTooLarge
		return
	}
	if prev != nil && prev.Hashed() && Unchanged(prev, e) && !it.want {
		e.Flags |= FlagHashed
		e.SHA256 = prev.SHA256
		s.reused.Add(1)
		return
	}
	it.done = make(chan struct{})
}

// worker hashes files on a thread of its own at the lowest priority. The
// thread is never handed back to the runtime: it ends with the goroutine,
// and its priority with it.
func (s *scanner) worker(ctx context.Context, jobs <-chan *item) {
	runtime.LockOSThread()
	lowerThreadPriority()
	meter := newIOMeter()
	defer meter.close()
	h := &Hasher{buf: make([]byte, 128<<10), h: sha256.New(), limiter: s.limiter, meter: meter}
	for it := range jobs {
		if ctx.Err() == nil {
			s.hashItem(ctx, h, it)
		}
		close(it.done)
	}
}

func (s *scanner) hashItem(ctx context.Context, h *Hasher, it *item) {
	max := int64(-1)
	if it.want {
		max = s.opt.ContentMax
	}
	res, err := h.hashFile(ctx, it.local, s.opt.Hash, max)
	s.storage.Add(res.storage)
	s.waited.Add(int64(res.waited))
	if err != nil {
		if errors.Is(err, unix.ENOENT) || ctx.Err() != nil {
			it.e.Flags |= FlagCapsUnknown
			return // gone meanwhile: the watcher reports it
		}
		it.e.Flags |= FlagUnreadable
		s.fail(it.e.Path, err)
		caps, err := filecap.Read(it.local)
		s.setCaps(&it.e, caps, err)
		return
	}
	if res.stat != nil {
		// Describe the file that was read, which may have replaced the one
		// listed.
		keep := it.e.Path
		it.e = FromStat(keep, res.stat)
	}
	s.setCaps(&it.e, res.caps, res.capsErr)
	s.bytes.Add(res.size)
	if s.opt.Hash {
		if s.opt.MaxFileSize > 0 && it.e.Size > s.opt.MaxFileSize {
			it.e.Flags |= FlagTooLarge
		} else {
			it.e.Flags |= FlagHashed
			it.e.SHA256 = res.sum
			s.hashed.Add(1)
		}
	}
	it.content = res.content
}

// Hasher reads and hashes files under a read rate limit. It is not safe
// for concurrent use.
type Hasher struct {
	buf     []byte
	h       hash.Hash
	limiter *rate.Limiter
	meter   *ioMeter
}

// NewHasher returns a hasher whose reads from storage are limited to
// readRate bytes per second (0: no limit). It is meant for the occasional
// file (a change seen as it happens); scans make their own.
func NewHasher(readRate int64) *Hasher {
	h := &Hasher{buf: make([]byte, 64<<10), h: sha256.New()}
	if readRate > 0 {
		h.limiter = rate.NewLimiter(rate.Limit(readRate), int(min(max(readRate/4, 256<<10), 16<<20)))
	}
	return h
}

// Result is what Hash found.
type Result struct {
	// Entry describes the file that was read (from fstat on the open
	// file). FlagHashed is set when the hash was computed.
	Entry Entry
	// Content holds the whole content when it was asked for and fits.
	Content []byte
}

// Hash reads the file at local (this process's view) recorded as host path
// p: its metadata, a regular file's capabilities and, when hash is set and
// it is a regular file of at most maxSize bytes (0: no limit), its
// SHA-256; with contentMax >= 0 the content too when it has at most
// contentMax bytes. Symlinks are not followed. Capabilities that cannot
// be read leave FlagCapsUnknown.
func (h *Hasher) Hash(ctx context.Context, p, local string, hash bool, maxSize, contentMax int64) (Result, error) {
	var st unix.Stat_t
	if err := unix.Lstat(local, &st); err != nil {
		return Result{}, err
	}
	e := FromStat(p, &st)
	switch e.Type {
	case TypeSymlink:
		t, err := os.Readlink(local)
		if err != nil {
			return Result{}, err
		}
		e.Target = t
		return Result{Entry: e}, nil
	case TypeFile:
	default:
		return Result{Entry: e}, nil
	}
	if caps, err := filecap.Read(local); err != nil {
		e.Flags |= FlagCapsUnknown
	} else {
		e.Caps = caps
	}
	tooLarge := maxSize > 0 && e.Size > maxSize
	if tooLarge {
		e.Flags |= FlagTooLarge
		if contentMax < 0 || e.Size > contentMax {
			return Result{Entry: e}, nil
		}
	}
	if !hash && (contentMax < 0 || e.Size > contentMax) {
		return Result{Entry: e}, nil
	}
	res, err := h.hashFile(ctx, local, hash && !tooLarge, contentMax)
	if err != nil {
		return Result{Entry: e}, err
	}
	if res.stat != nil {
		// The file that was read, with the capabilities it had then.
		flags := e.Flags &^ FlagCapsUnknown
		e = FromStat(p, res.stat)
		e.Flags = flags
		if res.capsErr != nil {
			e.Flags |= FlagCapsUnknown
		} else {
			e.Caps = res.caps
		}
	}
	if hash && !(maxSize > 0 && e.Size > maxSize) {
		e.Flags |= FlagHashed
		e.SHA256 = res.sum
	}
	return Result{Entry: e, Content: res.content}, nil
}

type hashResult struct {
	stat    *unix.Stat_t
	caps    filecap.Set
	capsErr error
	sum     [32]byte
	size    int64
	content []byte
	storage int64
	waited  time.Duration
}

// hashFile reads a regular file once: hashing it when hash is set and
// keeping its content when it has at most contentMax bytes (contentMax <
// 0: never), with its capabilities. It does not follow symlinks, does not block on a fifo put in
// the file's place and leaves the access time alone where it may.
func (h *Hasher) hashFile(ctx context.Context, local string, hash bool, contentMax int64) (hashResult, error) {
	var res hashResult
	fd, err := unix.Open(local, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_NOATIME, 0)
	if errors.Is(err, unix.EPERM) {
		fd, err = unix.Open(local, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	}
	if err != nil {
		return res, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return res, err
	}
	res.stat = &st
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return res, fmt.Errorf("not a regular file any more")
	}
	res.caps, res.capsErr = filecap.ReadFD(fd)
	_ = unix.Fadvise(fd, 0, 0, unix.FADV_SEQUENTIAL)
	keep := contentMax >= 0 && st.Size <= contentMax
	if keep {
		res.content = make([]byte, 0, st.Size)
	}
	if hash {
		h.h.Reset()
	}
	if h.meter != nil {
		h.meter.mark()
	}
	var sinceCharge int64
	for {
		n, err := unix.Read(fd, h.buf)
		if err == unix.EINTR || err == unix.EAGAIN {
			continue
		}
		if err != nil {
			return res, err
		}
		if n == 0 {
			break
		}
		chunk := h.buf[:n]
		if hash {
			h.h.Write(chunk)
		}
		if keep {
			if int64(len(res.content)+n) > contentMax {
				keep, res.content = false, nil // it grew meanwhile
			} else {
				res.content = append(res.content, chunk...)
			}
		}
		res.size += int64(n)
		sinceCharge += int64(n)
		if sinceCharge >= 1<<20 {
			if err := h.charge(ctx, &res, sinceCharge); err != nil {
				return res, err
			}
			sinceCharge = 0
		}
	}
	if err := h.charge(ctx, &res, sinceCharge); err != nil {
		return res, err
	}
	if hash {
		h.h.Sum(res.sum[:0])
	}
	var after unix.Stat_t
	if unix.Fstat(fd, &after) == nil {
		res.stat = &after
		if after.Size != res.size && keep {
			res.content = nil
		}
	}
	return res, nil
}

// charge waits for the rate limit to cover what was read from storage
// since the last charge; read is what was read meanwhile, counted instead
// where the thread's I/O accounting cannot be read.
func (h *Hasher) charge(ctx context.Context, res *hashResult, read int64) error {
	n := int64(-1)
	if h.meter != nil {
		n = h.meter.delta()
	}
	if n < 0 {
		n = read
	}
	res.storage += n
	if h.limiter == nil || n == 0 {
		return nil
	}
	start := time.Now()
	defer func() { res.waited += time.Since(start) }()
	burst := int64(h.limiter.Burst())
	for n > 0 {
		step := min(n, burst)
		if err := h.limiter.WaitN(ctx, int(step)); err != nil {
			return err
		}
		n -= step
	}
	return nil
}
