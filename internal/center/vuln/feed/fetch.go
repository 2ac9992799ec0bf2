package feed

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Defaults of a Fetcher.
const (
	// DefaultMaxSize bounds one download (osv.dev's largest export, all
	// ecosystems together, is about 1 GiB).
	DefaultMaxSize = 4 << 30
	// maxDigestFile bounds a published digest file.
	maxDigestFile = 1 << 20
)

// ErrIntegrity is wrapped by the errors of a fetch whose file does not
// match a digest or length it should have.
var ErrIntegrity = errors.New("integrity check failed")

// State is what the last fetch of a source left, so that an unchanged
// source is not fetched and imported again.
type State struct {
	ETag         string
	LastModified string
	SHA256       string
}

// Result is one fetch.
type Result struct {
	// Path is the file or folder to import. A download is a temporary
	// file the caller removes (Temporary).
	Path      string
	Temporary bool
	// NotModified: the source did not change since State; Path is empty.
	NotModified bool
	// SHA256 is the file's digest (a folder's: over its files' names,
	// sizes and times).
	SHA256 string
	Size   int64
	// ETag and LastModified are the server's validators.
	ETag         string
	LastModified string
	// Checks names the integrity checks that passed.
	Checks []string
}

// Fetcher fetches sources.
type Fetcher struct {
	// Client is the HTTP client (see NewFetcher).
	Client *http.Client
	// TempDir holds the downloads.
	TempDir string
	// MaxSize bounds one download.
	MaxSize int64
	// Progress, when set, is called as a download advances (total is -1
	// when the server does not say).
	Progress func(done, total int64)
}

// NewFetcher returns a fetcher for the configuration's sources: TLS 1.2
// or later, the configured roots (or the system's), no redirect from
// https to http, downloads in tempDir.
func NewFetcher(cfg Config, tempDir string) (*Fetcher, error) {
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("vulnerability sources: ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("vulnerability sources: ca_file %s: no PEM certificate", cfg.CAFile)
		}
		tlsConf.RootCAs = pool
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.TLSClientConfig = tlsConf
	transport.ResponseHeaderTimeout = time.Minute
	client := &http.Client{
		Transport: transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("more than 5 redirects")
			}
			if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect from https to %s refused", req.URL.Scheme)
			}
			return nil
		},
	}
	return &Fetcher{Client: client, TempDir: tempDir, MaxSize: DefaultMaxSize}, nil
}

// Fetch fetches a source, checks it and returns where it is.
func (f *Fetcher) Fetch(ctx context.Context, src Source, prev State) (Result, error) {
	loc, err := src.location()
	if err != nil {
		return Result{}, fmt.Errorf("source %s: %w", src.Name, err)
	}
	var res Result
	if loc.remote != nil {
		res, err = f.download(ctx, src, loc, prev)
	} else {
		res, err = f.local(src, loc.path, prev)
	}
	if err != nil {
		return Result{}, fmt.Errorf("source %s: %w", src.Name, err)
	}
	return res, nil
}

// local checks a file or folder on this machine.
func (f *Fetcher) local(src Source, path string, prev State) (Result, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return Result{}, err
	}
	if fi.IsDir() {
		return localFolder(src, path, prev)
	}
	if !fi.Mode().IsRegular() {
		return Result{}, fmt.Errorf("%s is not a regular file or a folder", path)
	}
	sum, size, err := fileSHA256(path)
	if err != nil {
		return Result{}, err
	}
	res := Result{Path: path, SHA256: sum, Size: size}
	if err := checkPinned(src, sum, &res); err != nil {
		return Result{}, err
	}
	published, err := localPublished(path)
	if err != nil {
		return Result{}, err
	}
	if published != "" {
		if published != sum {
			return Result{}, fmt.Errorf("%w: %s has SHA-256 %s, the mirror publishes %s", ErrIntegrity, path, sum, published)
		}
		res.Checks = append(res.Checks, "sha256 published")
	}
	if prev.SHA256 == sum {
		return Result{NotModified: true, SHA256: sum, Size: size, Checks: res.Checks}, nil
	}
	return res, nil
}

// localFolder checks a folder: every file a SHA256SUMS in it lists must
// match; its digest covers its files' names, sizes and times.
func localFolder(src Source, dir string, prev State) (Result, error) {
	if src.SHA256 != "" {
		return Result{}, fmt.Errorf("%s is a folder: sha256 pins a file", dir)
	}
	res := Result{Path: dir}
	sums, err := readSums(filepath.Join(dir, "SHA256SUMS"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Result{}, err
	}
	names := make([]string, 0, len(sums))
	for name := range sums {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !filepath.IsLocal(name) {
			return Result{}, fmt.Errorf("%s/SHA256SUMS names %q, outside the folder", dir, name)
		}
		sum, _, err := fileSHA256(filepath.Join(dir, name))
		if err != nil {
			return Result{}, fmt.Errorf("%s/SHA256SUMS: %w", dir, err)
		}
		if sum != sums[name] {
			return Result{}, fmt.Errorf("%w: %s has SHA-256 %s, SHA256SUMS says %s", ErrIntegrity, filepath.Join(dir, name), sum, sums[name])
		}
	}
	if len(sums) > 0 {
		res.Checks = append(res.Checks, fmt.Sprintf("sha256 published (%d files)", len(sums)))
	}
	h := sha256.New()
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		fmt.Fprintf(h, "%s\x00%d\x00%d\n", rel, fi.Size(), fi.ModTime().UnixNano())
		res.Size += fi.Size()
		return nil
	})
	if err != nil {
		return Result{}, fmt.Errorf("read %s: %w", dir, err)
	}
	res.SHA256 = hex.EncodeToString(h.Sum(nil))
	if prev.SHA256 == res.SHA256 {
		return Result{NotModified: true, SHA256: res.SHA256, Size: res.Size, Checks: res.Checks}, nil
	}
	return res, nil
}

// localPublished returns the digest a mirror publishes for a file:
// FILE.sha256, else its line in SHA256SUMS in the same folder; "" when
// there is none.
func localPublished(path string) (string, error) {
	data, err := readLimited(path + ".sha256")
	switch {
	case err == nil:
		return parseDigestFile(data, filepath.Base(path))
	case !errors.Is(err, fs.ErrNotExist):
		return "", err
	}
	sums, err := readSums(filepath.Join(filepath.Dir(path), "SHA256SUMS"))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return sums[filepath.Base(path)], nil
}

// readLimited reads a small file.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxDigestFile+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxDigestFile {
		return nil, fmt.Errorf("%s: more than %d bytes", path, maxDigestFile)
	}
	return data, nil
}

// readSums reads a SHA256SUMS file (sha256sum's output: "DIGEST  NAME"
// or "DIGEST *NAME" per line).
func readSums(path string) (map[string]string, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, err
	}
	sums, err := ParseSums(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sums, nil
}

// ParseSums parses sha256sum's output: one "DIGEST  NAME" (or
// "DIGEST *NAME") per line; blank lines and # comments are skipped.
func ParseSums(data []byte) (map[string]string, error) {
	sums := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		digest, name, ok := strings.Cut(text, " ")
		name = strings.TrimPrefix(strings.TrimLeft(name, " "), "*")
		if !ok || name == "" || !isDigest(digest) {
			return nil, fmt.Errorf("line %d: want \"SHA256  NAME\"", line)
		}
		if prev, dup := sums[name]; dup && prev != strings.ToLower(digest) {
			return nil, fmt.Errorf("line %d: %s listed twice with different digests", line, name)
		}
		sums[name] = strings.ToLower(digest)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return sums, nil
}

// parseDigestFile reads FILE.sha256: a digest alone, or sha256sum's line
// for the file.
func parseDigestFile(data []byte, base string) (string, error) {
	text := strings.TrimSpace(string(data))
	if isDigest(text) {
		return strings.ToLower(text), nil
	}
	sums, err := ParseSums(data)
	if err != nil {
		return "", fmt.Errorf("%s.sha256: %w", base, err)
	}
	if d, ok := sums[base]; ok {
		return d, nil
	}
	if len(sums) == 1 {
		for _, d := range sums {
			return d, nil
		}
	}
	return "", fmt.Errorf("%s.sha256 does not list %s", base, base)
}

// isDigest reports whether s is 64 hex digits.
func isDigest(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// checkPinned checks the digest the source pins.
func checkPinned(src Source, sum string, res *Result) error {
	if src.SHA256 == "" {
		return nil
	}
	if !strings.EqualFold(src.SHA256, sum) {
		return fmt.Errorf("%w: SHA-256 %s, the source pins %s", ErrIntegrity, sum, strings.ToLower(src.SHA256))
	}
	res.Checks = append(res.Checks, "sha256 pinned")
	return nil
}

// fileSHA256 returns a file's digest and size.
func fileSHA256(path string) (string, int64, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// download fetches a remote file into a temporary file and checks it.
func (f *Fetcher) download(ctx context.Context, src Source, loc location, prev State) (res Result, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.remote.String(), nil)
	if err != nil {
		return Result{}, err
	}
	if prev.ETag != "" {
		req.Header.Set("If-None-Match", prev.ETag)
	}
	if prev.LastModified != "" {
		req.Header.Set("If-Modified-Since", prev.LastModified)
	}
	resp, err := f.Client.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		return Result{NotModified: true, SHA256: prev.SHA256, ETag: prev.ETag, LastModified: prev.LastModified}, nil
	}
	if resp.StatusCode != http.StatusOK {
		return Result{}, fmt.Errorf("download %s: %s", loc.remote.Redacted(), resp.Status)
	}
	maxSize := f.MaxSize
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if resp.ContentLength > maxSize {
		return Result{}, fmt.Errorf("download %s: %d bytes, more than %d", loc.remote.Redacted(), resp.ContentLength, maxSize)
	}
	tmp, err := os.CreateTemp(f.TempDir, "vulndb-*.download")
	if err != nil {
		return Result{}, fmt.Errorf("download: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
			_ = os.Remove(tmp.Name() + ".zip")
			_ = os.Remove(tmp.Name() + ".json")
		}
	}()
	sha := sha256.New()
	md := md5.New()
	crc := crc32.New(crc32.MakeTable(crc32.Castagnoli))
	dst := io.MultiWriter(tmp, sha, md, crc)
	n, err := copyProgress(ctx, dst, io.LimitReader(resp.Body, maxSize+1), resp.ContentLength, f.Progress)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Result{}, fmt.Errorf("download %s: %w", loc.remote.Redacted(), err)
	}
	if n > maxSize {
		return Result{}, fmt.Errorf("download %s: more than %d bytes", loc.remote.Redacted(), maxSize)
	}
	named, err := nameByContent(tmp.Name())
	if err != nil {
		return Result{}, fmt.Errorf("download %s: %w", loc.remote.Redacted(), err)
	}
	res = Result{Path: named, Temporary: true, SHA256: hex.EncodeToString(sha.Sum(nil)), Size: n,
		ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	if resp.ContentLength >= 0 {
		if n != resp.ContentLength {
			return Result{}, fmt.Errorf("%w: %d bytes, the server announced %d", ErrIntegrity, n, resp.ContentLength)
		}
		res.Checks = append(res.Checks, "length")
	}
	if err := checkGoogHash(resp.Header.Values("X-Goog-Hash"), md, crc, &res); err != nil {
		return Result{}, err
	}
	if err := checkPinned(src, res.SHA256, &res); err != nil {
		return Result{}, err
	}
	published, err := f.published(ctx, loc)
	if err != nil {
		return Result{}, err
	}
	if published != "" {
		if published != res.SHA256 {
			return Result{}, fmt.Errorf("%w: SHA-256 %s, the mirror publishes %s", ErrIntegrity, res.SHA256, published)
		}
		res.Checks = append(res.Checks, "sha256 published")
	}
	if loc.remote.Scheme == "http" && src.SHA256 == "" && published == "" {
		return Result{}, fmt.Errorf("%w: a plain http source needs a pinned sha256 or a published %s.sha256", ErrIntegrity, filepath.Base(loc.remote.Path))
	}
	return res, nil
}

// nameByContent renames a download after what it holds, as the readers
// of records choose by the name: a zip archive ends in .zip, anything
// else in .json. It returns the new path.
func nameByContent(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	f.Close()
	ext := ".json"
	if n == 4 && string(head) == "PK\x03\x04" {
		ext = ".zip"
	}
	if err := os.Rename(p, p+ext); err != nil {
		return "", err
	}
	return p + ext, nil
}

// published fetches URL.sha256; "" when the server has none (404).
func (f *Fetcher) published(ctx context.Context, loc location) (string, error) {
	u := *loc.remote
	u.Path += ".sha256"
	u.RawPath = ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	resp, err := f.Client.Do(req)
	if err != nil {
		return "", fmt.Errorf("digest %s: %w", u.Redacted(), err)
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusForbidden:
		// Google Cloud Storage answers 403 for a missing object of a
		// bucket that is not listable.
		return "", nil
	default:
		return "", fmt.Errorf("digest %s: %s", u.Redacted(), resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxDigestFile+1))
	if err != nil {
		return "", fmt.Errorf("digest %s: %w", u.Redacted(), err)
	}
	if len(data) > maxDigestFile {
		return "", fmt.Errorf("digest %s: more than %d bytes", u.Redacted(), maxDigestFile)
	}
	return parseDigestFile(data, filepath.Base(loc.remote.Path))
}

// checkGoogHash checks the digests Google Cloud Storage sends:
// "x-goog-hash: crc32c=BASE64" and "x-goog-hash: md5=BASE64" (one header
// or several, values separated by commas).
func checkGoogHash(values []string, md, crc hash.Hash, res *Result) error {
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			name, b64, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok {
				continue
			}
			want, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return fmt.Errorf("%w: x-goog-hash %s: %v", ErrIntegrity, name, err)
			}
			var got []byte
			switch strings.ToLower(name) {
			case "md5":
				got = md.Sum(nil)
			case "crc32c":
				got = crc.Sum(nil)
			default:
				continue
			}
			if string(got) != string(want) {
				return fmt.Errorf("%w: %s is %s, the server sent %s", ErrIntegrity, name,
					base64.StdEncoding.EncodeToString(got), b64)
			}
			res.Checks = append(res.Checks, "x-goog-hash "+strings.ToLower(name))
		}
	}
	return nil
}

// copyProgress copies src to dst, calling progress as it goes and
// stopping when ctx ends.
func copyProgress(ctx context.Context, dst io.Writer, src io.Reader, total int64, progress func(done, total int64)) (int64, error) {
	buf := make([]byte, 256<<10)
	var done int64
	last := time.Now()
	for {
		if err := ctx.Err(); err != nil {
			return done, err
		}
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return done, werr
			}
			done += int64(n)
			if progress != nil && time.Since(last) > 200*time.Millisecond {
				progress(done, total)
				last = time.Now()
			}
		}
		if errors.Is(err, io.EOF) {
			if progress != nil {
				progress(done, total)
			}
			return done, nil
		}
		if err != nil {
			return done, err
		}
	}
}

// String describes the result for a log line or a job's message: its
// size and the checks that passed.
func (r Result) String() string {
	if r.NotModified {
		return "not modified"
	}
	return strings.Join(append([]string{strconv.FormatInt(r.Size, 10) + " bytes"}, r.Checks...), ", ")
}
