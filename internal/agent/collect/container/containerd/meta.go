package containerd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The metadata database: <root>/io.containerd.metadata.v1.bolt/meta.db, a
// bbolt file. containerd holds an exclusive lock on it while it runs, so
// it is read from a private copy; a copy during which the file changed is
// made again.

const (
	metaFile = "io.containerd.metadata.v1.bolt/meta.db"
	// maxMeta bounds the database copied.
	maxMeta = 256 << 20
	// copyTries bounds the copies of a database that keeps changing.
	copyTries = 5
	// maxRecord bounds one value read from the database.
	maxRecord = maxSpec
)

// ErrMetaBusy: the database changed during every copy.
var ErrMetaBusy = errors.New("containerd metadata kept changing while copied")

// metaDB is what the collector reads of the metadata database.
type metaDB struct {
	// containers by namespace and id.
	containers map[string]map[string]*metaContainer
	// images by namespace, in the database's (name) order.
	images map[string][]*metaImage
	// malformed counts records that could not be read and were skipped.
	malformed int
}

type metaContainer struct {
	Image   string
	Runtime string
	Labels  map[string]string
	Created time.Time
	// Spec is the runtime spec's JSON; nil when unreadable.
	Spec []byte
}

type metaImage struct {
	Name      string
	Digest    string
	MediaType string
	Size      int64
	Created   time.Time
	Labels    map[string]string
}

// readMeta copies the database at file into a private file in tmpDir and
// reads it. A missing file is (nil, nil).
func readMeta(file, tmpDir string) (*metaDB, error) {
	var lastErr error
	for try := 0; try < copyTries; try++ {
		if try > 0 {
			time.Sleep(time.Duration(try) * 50 * time.Millisecond)
		}
		cp, stable, err := copyMeta(file, tmpDir)
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		db, err := readMetaFile(cp)
		os.Remove(cp)
		if err == nil && stable {
			return db, nil
		}
		if err == nil {
			err = ErrMetaBusy
		}
		lastErr = err
	}
	return nil, fmt.Errorf("%s: %w", file, lastErr)
}

// copyMeta copies file to a new file in tmpDir and reports whether the
// file stayed the same (size and modification time) during the copy.
func copyMeta(file, tmpDir string) (string, bool, error) {
	in, err := os.OpenFile(file, os.O_RDONLY|oNoFollow|oNonBlock, 0)
	if err != nil {
		return "", false, err
	}
	defer in.Close()
	before, err := in.Stat()
	if err != nil {
		return "", false, err
	}
	if !before.Mode().IsRegular() {
		return "", false, fmt.Errorf("%s: not a regular file", file)
	}
	if before.Size() > maxMeta {
		return "", false, fmt.Errorf("%s: %d bytes, more than the %d read", file, before.Size(), maxMeta)
	}
	if err := os.MkdirAll(tmpDir, 0o700); err != nil {
		return "", false, err
	}
	out, err := os.CreateTemp(tmpDir, "meta-*.db")
	if err != nil {
		return "", false, err
	}
	_, err = io.Copy(out, io.LimitReader(in, maxMeta+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", false, fmt.Errorf("copy %s: %w", file, err)
	}
	after, err := os.Stat(file)
	stable := err == nil && after.Size() == before.Size() && after.ModTime().Equal(before.ModTime())
	return out.Name(), stable, nil
}

// readMetaFile reads a database that nothing else uses. bbolt may panic on
// a damaged file, or touch memory past the file's end through its memory
// map (a page number beyond the file): both are an error here, not the
// end of the agent. The fault turns into a panic in this goroutine only,
// where bbolt reads (Open and View run their work in the caller's
// goroutine).
func readMetaFile(file string) (m *metaDB, err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("%w: damaged database: %v", ErrMalformed, r)
		}
	}()
	db, err := bolt.Open(file, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return nil, fmt.Errorf("%w: open %s: %w", ErrMalformed, filepath.Base(file), err)
	}
	defer db.Close()
	m = &metaDB{containers: map[string]map[string]*metaContainer{}, images: map[string][]*metaImage{}}
	err = db.View(func(tx *bolt.Tx) error {
		v1 := tx.Bucket([]byte("v1"))
		if v1 == nil {
			return nil // a database no namespace was ever made in
		}
		return v1.ForEach(func(ns, v []byte) error {
			nb := v1.Bucket(ns)
			if v != nil || nb == nil {
				return nil // "version"
			}
			m.readNamespace(string(ns), nb)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return m, nil
}

func (m *metaDB) readNamespace(ns string, nb *bolt.Bucket) {
	if cb := nb.Bucket([]byte("containers")); cb != nil {
		cs := map[string]*metaContainer{}
		cb.ForEach(func(id, v []byte) error {
			b := cb.Bucket(id)
			if v != nil || b == nil {
				m.malformed++
				return nil
			}
			c := &metaContainer{
				Image:   string(b.Get([]byte("image"))),
				Labels:  readLabels(b, "labels"),
				Created: readTime(b.Get([]byte("createdat"))),
			}
			if rb := b.Bucket([]byte("runtime")); rb != nil {
				c.Runtime = string(rb.Get([]byte("name")))
			}
			if raw := b.Get([]byte("spec")); raw != nil {
				if len(raw) > maxRecord {
					m.malformed++
				} else if js, err := decodeSpecAny(raw); err == nil {
					c.Spec = append([]byte(nil), js...)
				} else {
					m.malformed++
				}
			}
			cs[string(id)] = c
			return nil
		})
		m.containers[ns] = cs
	}
	if ib := nb.Bucket([]byte("images")); ib != nil {
		ib.ForEach(func(name, v []byte) error {
			b := ib.Bucket(name)
			if v != nil || b == nil {
				m.malformed++
				return nil
			}
			im := &metaImage{
				Name:    string(name),
				Labels:  readLabels(b, "labels"),
				Created: readTime(b.Get([]byte("createdat"))),
			}
			tb := b.Bucket([]byte("target"))
			if tb == nil {
				m.malformed++
				return nil
			}
			im.Digest = string(tb.Get([]byte("digest")))
			im.MediaType = string(tb.Get([]byte("mediatype")))
			if sz, n := binary.Varint(tb.Get([]byte("size"))); n > 0 {
				im.Size = sz
			}
			if !validDigest(im.Digest) {
				m.malformed++
				return nil
			}
			m.images[ns] = append(m.images[ns], im)
			return nil
		})
	}
}

// readLabels reads a bucket of string values.
func readLabels(b *bolt.Bucket, name string) map[string]string {
	lb := b.Bucket([]byte(name))
	if lb == nil {
		return nil
	}
	out := map[string]string{}
	lb.ForEach(func(k, v []byte) error {
		if v != nil {
			out[string(k)] = string(v)
		}
		return nil
	})
	return out
}

// readTime decodes a time written by time.Time.MarshalBinary; the zero
// time when it cannot.
func readTime(b []byte) time.Time {
	var t time.Time
	if len(b) == 0 || t.UnmarshalBinary(b) != nil {
		return time.Time{}
	}
	return t
}

// validDigest reports whether d is "sha256:" and 64 lowercase hex digits
// (or another algorithm's "algo:hex").
func validDigest(d string) bool {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok || algo == "" || len(hex) < 32 || len(hex) > 128 {
		return false
	}
	if algo == "sha256" && len(hex) != 64 {
		return false
	}
	for i := 0; i < len(hex); i++ {
		c := hex[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	for i := 0; i < len(algo); i++ {
		c := algo[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
