// Package invsync keeps one collector's inventory in step with the center
// by sending changes only.
//
// The agent remembers the set the center acknowledged last (each item's
// hash, not its content) and its digest. A new inventory is compared with
// it: the items added or changed travel in full, the removed ones by
// name, and an unchanged inventory sends its digest and nothing else. The
// center applies changes only to the set they were computed from (the
// base digest) and only keeps them when the result has the digest the
// agent computed, so a lost or doubled message, a center restored from a
// backup or an agent whose state was wiped never leave the two apart: the
// center answers "resync", the agent reads the center's item hashes and
// sends the difference.
//
// Changes larger than one bus message are sent as a chain of smaller
// changes, each from the state the previous one produced.
package invsync

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/event"
	"google.golang.org/protobuf/proto"
)

// DefaultMaxMessage bounds the encoded size of one request; the bus takes
// up to 1 MiB.
const DefaultMaxMessage = 512 << 10

// maxResyncPages bounds the pages of state read in one resync.
const maxResyncPages = 10000

// Transport sends a request to the center and returns its reply.
type Transport func(ctx context.Context, req *busv1.InventoryRequest) (*busv1.InventoryReply, error)

// ErrRefused wraps the center's refusal of a request.
var ErrRefused = errors.New("refused by the center")

// Syncer synchronises one collector's inventory. It is safe for use by
// one goroutine at a time (the collector's runs are serialised).
type Syncer struct {
	agentID, collector string
	path               string // where the acknowledged state is kept
	send               Transport
	maxMessage         int

	mu     sync.Mutex
	loaded bool
	// known: acked is what the center acknowledged (read from the state
	// file or from the center), not a guess.
	known  bool
	acked  map[string][32]byte // Asset.ID -> hash, as the center holds it
	digest string              // of acked

	stats counters
}

type counters struct {
	items, invalid, duplicates          atomic.Uint64
	reports, unchanged, messages, bytes atomic.Uint64
	added, changed, removed, resyncs    atomic.Uint64
	stateErrors                         atomic.Uint64
}

// New returns a syncer for a collector that keeps its state in the file
// at path (created on the first acknowledgement).
func New(agentID, collector, path string, send Transport) *Syncer {
	return &Syncer{agentID: agentID, collector: collector, path: path, send: send, maxMessage: DefaultMaxMessage}
}

// SetMaxMessage changes the bound on one request's size (tests).
func (s *Syncer) SetMaxMessage(n int) { s.maxMessage = n }

// Result tells what one Sync did.
type Result struct {
	Items                   int      // items in the inventory
	Invalid                 int      // items skipped: invalid or duplicate
	InvalidReasons          []string // why, for the first few
	Unchanged               bool     // only the digest was sent
	Added, Changed, Removed int      // as the center counted them
	Messages                int      // requests sent
	Bytes                   int      // their encoded size
	Resynced                bool     // the center's state was read first
	Digest                  string
}

// Counters returns the syncer's totals, for the collector's status.
func (s *Syncer) Counters() map[string]uint64 {
	c := &s.stats
	return map[string]uint64{
		"assets":             c.items.Load(),
		"invalid_assets":     c.invalid.Load(),
		"duplicate_assets":   c.duplicates.Load(),
		"inventories":        c.reports.Load(),
		"unchanged":          c.unchanged.Load(),
		"inventory_messages": c.messages.Load(),
		"inventory_bytes":    c.bytes.Load(),
		"assets_added":       c.added.Load(),
		"assets_changed":     c.changed.Load(),
		"assets_removed":     c.removed.Load(),
		"resyncs":            c.resyncs.Load(),
		"state_write_errors": c.stateErrors.Load(),
	}
}

// item is one asset ready to send.
type item struct {
	id   string
	hash [32]byte
	wire *busv1.Asset
}

// prepare validates and encodes the inventory. Invalid and duplicate
// items are skipped and counted.
func prepare(assets []event.Asset) (items map[string]item, invalid, dup int, errs []string) {
	items = make(map[string]item, len(assets))
	for i := range assets {
		a := &assets[i]
		if err := a.Validate(); err != nil {
			invalid++
			if len(errs) < 3 {
				errs = append(errs, err.Error())
			}
			continue
		}
		id := a.ID()
		if _, ok := items[id]; ok {
			dup++
			continue
		}
		fields, err := a.FieldsJSON()
		if err != nil {
			invalid++
			continue
		}
		items[id] = item{id: id, hash: event.AssetHash(a.Kind, a.Key, a.Name, a.Version, fields),
			wire: &busv1.Asset{Kind: a.Kind, Key: a.Key, Name: a.Name, Version: a.Version, FieldsJson: fields}}
	}
	return items, invalid, dup, errs
}

// Sync sends the inventory's changes since the state the center
// acknowledged. On an error the acknowledged state is that of the last
// part the center accepted, and the next Sync goes on from there.
func (s *Syncer) Sync(ctx context.Context, assets []event.Asset, kinds []string, takenAt time.Time) (Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.load()
	items, invalid, dup, errs := prepare(assets)
	s.stats.items.Store(uint64(len(items)))
	s.stats.invalid.Add(uint64(invalid))
	s.stats.duplicates.Add(uint64(dup))
	s.stats.reports.Add(1)
	// Invalid items are not fatal: the valid ones are a trustworthy set,
	// and the collector's status counts the others.
	res := Result{Items: len(items), Invalid: invalid + dup, InvalidReasons: errs}
	hashes := make(map[string][32]byte, len(items))
	for id, it := range items {
		hashes[id] = it.hash
	}
	target := event.InventoryDigest(hashes)
	res.Digest = target
	if !s.known {
		// Without a saved state the center may hold anything: read it
		// first rather than send everything to have it refused.
		if err := s.resync(ctx); err != nil {
			return res, err
		}
		res.Resynced = true
		s.stats.resyncs.Add(1)
	}
	for attempt := 0; ; attempt++ {
		err := s.push(ctx, items, hashes, target, kinds, takenAt, &res)
		if !errors.Is(err, errResync) || attempt > 0 {
			return res, err
		}
		if err := s.resync(ctx); err != nil {
			return res, err
		}
		res.Resynced = true
		s.stats.resyncs.Add(1)
	}
}

var errResync = errors.New("the center holds another state")

// push sends the difference between the acknowledged state and items.
func (s *Syncer) push(ctx context.Context, items map[string]item, hashes map[string][32]byte, target string, kinds []string, takenAt time.Time, res *Result) error {
	var upserts []item
	for id, it := range items {
		if h, ok := s.acked[id]; !ok || h != it.hash {
			upserts = append(upserts, it)
		}
	}
	var removed []string
	for id := range s.acked {
		if _, ok := hashes[id]; !ok {
			removed = append(removed, id)
		}
	}
	slices.SortFunc(upserts, func(a, b item) int { return strings.Compare(a.id, b.id) })
	slices.Sort(removed)
	if len(upserts) == 0 && len(removed) == 0 && s.digest == target {
		res.Unchanged = true
		s.stats.unchanged.Add(1)
		return s.sendPart(ctx, &busv1.InventoryChanges{BaseDigest: target, Digest: target, Kinds: kinds,
			TakenAtUnixNano: takenAt.UnixNano(), Last: true}, s.acked, res)
	}
	// Removals first, in the first part: they are small.
	state := maps(s.acked)
	part := &busv1.InventoryChanges{BaseDigest: s.digest, Kinds: kinds, TakenAtUnixNano: takenAt.UnixNano()}
	for _, id := range removed {
		kind, key, _ := strings.Cut(id, "\x00")
		part.Removed = append(part.Removed, &busv1.AssetRef{Kind: kind, Key: key})
		delete(state, id)
	}
	size := proto.Size(part)
	for _, it := range upserts {
		n := proto.Size(it.wire) + 8
		if size+n > s.maxMessage && (len(part.Upserts) > 0 || len(part.Removed) > 0) {
			part.Digest = event.InventoryDigest(state)
			if err := s.sendPart(ctx, part, state, res); err != nil {
				return err
			}
			state = maps(state)
			part = &busv1.InventoryChanges{BaseDigest: part.Digest, Kinds: kinds, TakenAtUnixNano: takenAt.UnixNano()}
			size = proto.Size(part)
		}
		part.Upserts = append(part.Upserts, it.wire)
		state[it.id] = it.hash
		size += n
	}
	part.Digest = event.InventoryDigest(state)
	part.Last = true
	if part.Digest != target {
		return fmt.Errorf("inventory %s: internal error: changes lead to %s, want %s", s.collector, part.Digest, target)
	}
	return s.sendPart(ctx, part, state, res)
}

// maps copies a state.
func maps(m map[string][32]byte) map[string][32]byte {
	out := make(map[string][32]byte, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// sendPart sends one part and, once the center accepted it, makes state
// the acknowledged one.
func (s *Syncer) sendPart(ctx context.Context, part *busv1.InventoryChanges, state map[string][32]byte, res *Result) error {
	req := &busv1.InventoryRequest{AgentId: s.agentID, Collector: s.collector, Body: &busv1.InventoryRequest_Changes{Changes: part}}
	size := proto.Size(req)
	res.Messages++
	res.Bytes += size
	s.stats.messages.Add(1)
	s.stats.bytes.Add(uint64(size))
	reply, err := s.send(ctx, req)
	if err != nil {
		return fmt.Errorf("inventory %s: send: %w", s.collector, err)
	}
	if reply.GetResync() {
		return errResync
	}
	if !reply.GetOk() {
		return fmt.Errorf("inventory %s: %w: %s", s.collector, ErrRefused, reply.GetError())
	}
	if reply.GetDigest() != part.GetDigest() {
		return fmt.Errorf("inventory %s: the center acknowledged digest %q, want %q", s.collector, reply.GetDigest(), part.GetDigest())
	}
	res.Added += int(reply.GetAdded())
	res.Changed += int(reply.GetChanged())
	res.Removed += int(reply.GetRemoved())
	s.stats.added.Add(uint64(reply.GetAdded()))
	s.stats.changed.Add(uint64(reply.GetChanged()))
	s.stats.removed.Add(uint64(reply.GetRemoved()))
	if part.GetBaseDigest() == part.GetDigest() && len(part.GetUpserts()) == 0 && len(part.GetRemoved()) == 0 {
		return nil // nothing changed: nothing to save
	}
	s.acked, s.digest = state, part.GetDigest()
	s.save()
	return nil
}

// resync reads the items the center holds, which become the acknowledged
// state.
func (s *Syncer) resync(ctx context.Context) error {
	state := map[string][32]byte{}
	cursor := ""
	var digest string
	for page := 0; ; page++ {
		if page >= maxResyncPages {
			return fmt.Errorf("inventory %s: resync: more than %d pages", s.collector, maxResyncPages)
		}
		req := &busv1.InventoryRequest{AgentId: s.agentID, Collector: s.collector,
			Body: &busv1.InventoryRequest_State{State: &busv1.InventoryStateQuery{Cursor: cursor}}}
		s.stats.messages.Add(1)
		s.stats.bytes.Add(uint64(proto.Size(req)))
		reply, err := s.send(ctx, req)
		if err != nil {
			return fmt.Errorf("inventory %s: resync: %w", s.collector, err)
		}
		if !reply.GetOk() {
			return fmt.Errorf("inventory %s: resync: %w: %s", s.collector, ErrRefused, reply.GetError())
		}
		if page == 0 {
			digest = reply.GetDigest()
		} else if reply.GetDigest() != digest {
			// The set changed while it was read (another run?): start over
			// at the next Sync.
			return fmt.Errorf("inventory %s: resync: the center's set changed while it was read", s.collector)
		}
		for _, it := range reply.GetItems() {
			if len(it.GetHash()) != 32 {
				return fmt.Errorf("inventory %s: resync: item %s/%s has a %d-byte hash", s.collector, it.GetKind(), it.GetKey(), len(it.GetHash()))
			}
			state[it.GetKind()+"\x00"+it.GetKey()] = [32]byte(it.GetHash())
		}
		cursor = reply.GetNextCursor()
		if cursor == "" {
			break
		}
	}
	if got := event.InventoryDigest(state); got != digest {
		return fmt.Errorf("inventory %s: resync: the center's items have digest %s, it says %s", s.collector, got, digest)
	}
	s.acked, s.digest, s.known = state, digest, true
	s.save()
	return nil
}

// stateFile is the acknowledged state on disk.
type stateFile struct {
	Version   int               `json:"version"`
	Collector string            `json:"collector"`
	Digest    string            `json:"digest"`
	Items     map[string]string `json:"items"` // Asset.ID -> hex hash
}

const stateVersion = 1

// load reads the acknowledged state once. A missing or unreadable file
// means an empty state: the center answers resync if it holds more.
func (s *Syncer) load() {
	if s.loaded {
		return
	}
	s.loaded = true
	s.acked, s.digest = map[string][32]byte{}, event.InventoryDigest(nil)
	b, err := os.ReadFile(s.path)
	if err != nil {
		return
	}
	var f stateFile
	if json.Unmarshal(b, &f) != nil || f.Version != stateVersion || f.Collector != s.collector {
		return
	}
	state := make(map[string][32]byte, len(f.Items))
	for id, h := range f.Items {
		raw, err := hex.DecodeString(h)
		if err != nil || len(raw) != 32 {
			return
		}
		state[id] = [32]byte(raw)
	}
	if event.InventoryDigest(state) != f.Digest {
		return
	}
	s.acked, s.digest, s.known = state, f.Digest, true
}

// save writes the acknowledged state; a failure is counted and costs a
// resync later, nothing else.
func (s *Syncer) save() {
	f := stateFile{Version: stateVersion, Collector: s.collector, Digest: s.digest, Items: make(map[string]string, len(s.acked))}
	for id, h := range s.acked {
		f.Items[id] = hex.EncodeToString(h[:])
	}
	b, err := json.Marshal(f)
	if err == nil {
		err = writeAtomic(s.path, b)
	}
	if err != nil {
		s.stats.stateErrors.Add(1)
	}
}

// writeAtomic replaces path with data.
func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".inventory-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
