package event

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// Asset kinds: what an inventory item is. A collector owns one or more
// kinds; the center keeps the current set of each agent's assets and the
// history of their changes.
const (
	AssetHost       = "host"       // the host itself: hardware, OS, cloud
	AssetDisk       = "disk"       // block devices
	AssetMount      = "mount"      // mounted filesystems
	AssetInterface  = "interface"  // network interfaces with MAC and addresses
	AssetUser       = "user"       // local accounts
	AssetGroup      = "group"      // local groups
	AssetProcess    = "process"    // long-running processes
	AssetPort       = "port"       // listening sockets with their process
	AssetPackage    = "package"    // OS packages (dpkg, rpm, apk)
	AssetLibrary    = "library"    // language libraries (PyPI, npm, Maven, Go ...)
	AssetMiddleware = "middleware" // web servers, databases, caches, queues
	AssetWebsite    = "website"    // virtual hosts / server blocks and their frameworks
	AssetService    = "service"    // systemd units and init scripts
	AssetTask       = "task"       // cron entries and timers
	AssetModule     = "module"     // loaded kernel modules
	AssetSysctl     = "sysctl"     // kernel parameters of security interest
	AssetContainer  = "container"  // containers
	AssetImage      = "image"      // container images
	AssetPod        = "pod"        // Kubernetes pods
	// Kubernetes objects other than pods, from the center's cluster
	// inventory.
	AssetK8sNamespace = "k8s_namespace"
	AssetK8sNode      = "k8s_node"
	AssetK8sService   = "k8s_service"
	AssetK8sWorkload  = "k8s_workload" // Deployments, DaemonSets, StatefulSets
	// AssetWeakPassword is a weak credential or an open door found on the
	// host: an account whose password is in a dictionary or empty, a
	// service reachable without authentication. The password itself and
	// its hash never leave the host.
	AssetWeakPassword = "weak-password"
	// AssetCompliance is the result of one check of a compliance policy
	// on the host, with its evidence.
	AssetCompliance = "compliance"
)

// AssetKinds lists every kind, in the order the console shows them.
var AssetKinds = []string{
	AssetHost, AssetDisk, AssetMount, AssetInterface, AssetUser, AssetGroup,
	AssetProcess, AssetPort, AssetPackage, AssetLibrary, AssetMiddleware,
	AssetWebsite, AssetService, AssetTask, AssetModule, AssetSysctl,
	AssetContainer, AssetImage, AssetPod,
	AssetK8sNamespace, AssetK8sNode, AssetK8sService, AssetK8sWorkload,
	AssetWeakPassword, AssetCompliance,
}

// Limits on one asset, checked by Asset.Validate.
const (
	MaxAssetKey    = 1024
	MaxAssetName   = 512
	MaxAssetFields = 64 << 10
)

// Asset is one item of a host's inventory: a package, a listening port, a
// user ... Its Key is unique among the assets of its kind that one
// collector reports for one host, and stable across runs, so that the
// center can tell an added, changed or removed item.
type Asset struct {
	// Kind is one of the Asset* constants.
	Kind string `json:"kind"`
	// Key identifies the item within its kind and collector: "openssl:amd64"
	// for a Debian package, "tcp/0.0.0.0:22" for a listening port.
	Key string `json:"key"`
	// Name is what people search by: the package, product, user or port.
	Name string `json:"name"`
	// Version is the item's version where it has one, as its own
	// ecosystem writes it (Debian "3.0.17-1~deb12u2", Maven "2.14.1").
	Version string `json:"version,omitempty"`
	// Fields is the item as an ECS-style nested document (package.*,
	// process.*, user.*, destination.port ...), for display and queries.
	Fields map[string]any `json:"fields,omitempty"`
}

// Errors of Asset.Validate.
var (
	ErrAssetKind   = errors.New("unknown asset kind")
	ErrAssetKey    = errors.New("invalid asset key")
	ErrAssetName   = errors.New("invalid asset name")
	ErrAssetFields = errors.New("invalid asset fields")
)

// IsAssetKind reports whether kind is a known asset kind.
func IsAssetKind(kind string) bool {
	for _, k := range AssetKinds {
		if k == kind {
			return true
		}
	}
	return false
}

// Validate checks the asset's kind, key, name and the size of its fields.
func (a *Asset) Validate() error {
	if !IsAssetKind(a.Kind) {
		return fmt.Errorf("%w %q", ErrAssetKind, a.Kind)
	}
	if a.Key == "" || len(a.Key) > MaxAssetKey || !utf8.ValidString(a.Key) || strings.ContainsRune(a.Key, 0) {
		return fmt.Errorf("%w: %d bytes, empty, not UTF-8 or with NUL", ErrAssetKey, len(a.Key))
	}
	for _, s := range []string{a.Name, a.Version} {
		if len(s) > MaxAssetName || !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			return fmt.Errorf("%w: name or version too long, not UTF-8 or with NUL", ErrAssetName)
		}
	}
	if b, err := a.FieldsJSON(); err != nil {
		return err
	} else if len(b) > MaxAssetFields {
		return fmt.Errorf("%w: %d bytes, more than %d", ErrAssetFields, len(b), MaxAssetFields)
	}
	return nil
}

// ID returns the asset's identity within its collector: kind and key.
func (a *Asset) ID() string { return a.Kind + "\x00" + a.Key }

// FieldsJSON returns the asset's fields as a JSON object with keys in
// sorted order (as encoding/json writes maps), or nil when it has none.
// It is the form the fields travel in and are hashed in.
func (a *Asset) FieldsJSON() ([]byte, error) {
	if len(a.Fields) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(a.Fields)
	if err != nil {
		return nil, fmt.Errorf("%w: %s/%s: %w", ErrAssetFields, a.Kind, a.Key, err)
	}
	return b, nil
}

// Hash returns the digest of the asset's whole content; see AssetHash.
func (a *Asset) Hash() ([32]byte, error) {
	fields, err := a.FieldsJSON()
	if err != nil {
		return [32]byte{}, err
	}
	return AssetHash(a.Kind, a.Key, a.Name, a.Version, fields), nil
}

// AssetHash is the digest of an asset as it travels: SHA-256 over kind,
// key, name, version and the fields' JSON, each followed by a NUL byte
// (none of them may hold one). The agent and the center compute it alike.
func AssetHash(kind, key, name, version string, fieldsJSON []byte) [32]byte {
	h := sha256.New()
	for _, s := range []string{kind, key, name, version} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(fieldsJSON)
	h.Write([]byte{0})
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// InventoryDigest returns the digest of a set of assets from the hashes of
// its items keyed by Asset.ID (kind, NUL, key): equal sets have equal
// digests whatever their order.
func InventoryDigest(items map[string][32]byte) string {
	ids := make([]string, 0, len(items))
	for id := range items {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	h := sha256.New()
	for _, id := range ids {
		sum := items[id]
		h.Write([]byte(id))
		h.Write([]byte{0})
		h.Write(sum[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}
