package containerd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"unicode/utf8"
)

// The content store: <root>/io.containerd.content.v1.content/blobs/<algo>/<hex>,
// one file per blob. An image's target is a manifest, or an index of
// manifests for several platforms; the manifest names the image's config
// (whose digest is the image id Kubernetes shows) and its layers.

const (
	contentDir = "io.containerd.content.v1.content/blobs"
	// maxManifest bounds a manifest or index read.
	maxManifest = 4 << 20
)

// Media types of manifests and indexes, OCI and Docker.
var (
	manifestTypes = []string{"application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"}
	indexTypes    = []string{"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"}
)

// descriptor is an OCI content descriptor.
type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	Platform  *struct {
		Architecture string `json:"architecture"`
		OS           string `json:"os"`
	} `json:"platform"`
}

// manifest is an image manifest or an index, as far as read.
type manifest struct {
	MediaType string       `json:"mediaType"`
	Config    *descriptor  `json:"config"`
	Layers    []descriptor `json:"layers"`
	Manifests []descriptor `json:"manifests"`
}

// imageInfo is what the content store tells of an image: its config
// digest (the image id) and size (config and layers, compressed).
type imageInfo struct {
	ConfigDigest string
	Size         int64
}

// decodeManifest decodes a manifest or index blob.
func decodeManifest(b []byte) (*manifest, error) {
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%w: manifest is not UTF-8", ErrMalformed)
	}
	var m manifest
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: manifest: %w", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: manifest: data after the document", ErrMalformed)
	}
	if m.Config != nil && !validDigest(m.Config.Digest) {
		return nil, fmt.Errorf("%w: manifest: config digest %.80q", ErrMalformed, m.Config.Digest)
	}
	return &m, nil
}

// resolveImage follows an image's target through the content store under
// root to the manifest of this host's platform. ok is false when the
// blobs are not there (an image pulled for another platform only, or a
// store being cleaned).
func resolveImage(root, digest, mediaType string) (info imageInfo, ok bool, err error) {
	for depth := 0; depth < 3; depth++ {
		isIndex := slices.Contains(indexTypes, mediaType)
		if !isIndex && !slices.Contains(manifestTypes, mediaType) {
			return imageInfo{}, false, nil
		}
		b, err := readBlob(root, digest)
		if os.IsNotExist(err) {
			return imageInfo{}, false, nil
		}
		if err != nil {
			return imageInfo{}, false, err
		}
		m, err := decodeManifest(b)
		if err != nil {
			return imageInfo{}, false, err
		}
		if !isIndex {
			if m.Config == nil {
				return imageInfo{}, false, fmt.Errorf("%w: manifest %s without config", ErrMalformed, digest)
			}
			info := imageInfo{ConfigDigest: m.Config.Digest, Size: m.Config.Size}
			for _, l := range m.Layers {
				if l.Size > 0 {
					info.Size += l.Size
				}
			}
			return info, true, nil
		}
		next := pickPlatform(root, m.Manifests)
		if next == nil {
			return imageInfo{}, false, nil
		}
		digest, mediaType = next.Digest, next.MediaType
	}
	return imageInfo{}, false, fmt.Errorf("%w: indexes nested too deep at %s", ErrMalformed, digest)
}

// pickPlatform chooses the manifest of linux on this architecture among
// an index's, the first one present in the store.
func pickPlatform(root string, ms []descriptor) *descriptor {
	for i := range ms {
		d := &ms[i]
		if d.Platform == nil || d.Platform.OS != "linux" || d.Platform.Architecture != runtime.GOARCH || !validDigest(d.Digest) {
			continue
		}
		if _, err := os.Stat(blobPath(root, d.Digest)); err == nil {
			return d
		}
	}
	return nil
}

func blobPath(root, digest string) string {
	algo, hex, _ := strings.Cut(digest, ":")
	return filepath.Join(root, contentDir, algo, hex)
}

// readBlob reads a small blob of the content store.
func readBlob(root, digest string) ([]byte, error) {
	if !validDigest(digest) {
		return nil, fmt.Errorf("%w: digest %.80q", ErrMalformed, digest)
	}
	return readSmall(blobPath(root, digest), maxManifest)
}

// readSmall reads a regular file of at most max bytes, without following
// a link or blocking on a FIFO.
func readSmall(p string, max int64) ([]byte, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|oNoFollow|oNonBlock, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", p)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes", p, max)
	}
	return b, nil
}
