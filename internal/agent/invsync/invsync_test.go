package invsync_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/invsync"
	"github.com/vigilsec/vigil/internal/event"
)

// modelCenter follows the center's rules for one collector's set: changes
// apply only to their base digest and are kept only when they lead to
// their digest. The center's real implementation is tested against the
// same protocol in internal/center/inventory.
type modelCenter struct {
	items    map[string][32]byte
	versions map[string]string
	pageSize int
	fail     func(req *busv1.InventoryRequest) error
	requests []*busv1.InventoryRequest
}

func newModel() *modelCenter {
	return &modelCenter{items: map[string][32]byte{}, versions: map[string]string{}, pageSize: 2}
}

func (m *modelCenter) digest() string { return event.InventoryDigest(m.items) }

func (m *modelCenter) send(_ context.Context, req *busv1.InventoryRequest) (*busv1.InventoryReply, error) {
	m.requests = append(m.requests, req)
	if m.fail != nil {
		if err := m.fail(req); err != nil {
			return nil, err
		}
	}
	if q := req.GetState(); q != nil {
		ids := make([]string, 0, len(m.items))
		for id := range m.items {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		start := 0
		if q.GetCursor() != "" {
			fmt.Sscan(q.GetCursor(), &start)
		}
		reply := &busv1.InventoryReply{Ok: true, Digest: m.digest()}
		end := min(start+m.pageSize, len(ids))
		for _, id := range ids[start:end] {
			kind, key, _ := strings.Cut(id, "\x00")
			h := m.items[id]
			reply.Items = append(reply.Items, &busv1.AssetDigest{Kind: kind, Key: key, Hash: h[:]})
		}
		if end < len(ids) {
			reply.NextCursor = fmt.Sprint(end)
		}
		return reply, nil
	}
	c := req.GetChanges()
	if c.GetBaseDigest() != m.digest() {
		return &busv1.InventoryReply{Resync: true, Digest: m.digest()}, nil
	}
	next := map[string][32]byte{}
	for k, v := range m.items {
		next[k] = v
	}
	reply := &busv1.InventoryReply{Ok: true}
	for _, r := range c.GetRemoved() {
		id := r.GetKind() + "\x00" + r.GetKey()
		if _, ok := next[id]; ok {
			delete(next, id)
			reply.Removed++
		}
	}
	for _, a := range c.GetUpserts() {
		id := a.GetKind() + "\x00" + a.GetKey()
		h := event.AssetHash(a.GetKind(), a.GetKey(), a.GetName(), a.GetVersion(), a.GetFieldsJson())
		old, ok := next[id]
		switch {
		case !ok:
			reply.Added++
		case old != h:
			reply.Changed++
		}
		next[id] = h
		m.versions[id] = a.GetVersion()
	}
	if event.InventoryDigest(next) != c.GetDigest() {
		return &busv1.InventoryReply{Resync: true, Digest: m.digest()}, nil
	}
	m.items = next
	reply.Digest = m.digest()
	return reply, nil
}

func pkgs(n int, version string) []event.Asset {
	out := make([]event.Asset, n)
	for i := range out {
		name := fmt.Sprintf("pkg%03d", i)
		out[i] = event.Asset{Kind: event.AssetPackage, Key: name + ":amd64", Name: name, Version: version,
			Fields: map[string]any{"package": map[string]any{"name": name, "version": version, "description": strings.Repeat("x", 200)}}}
	}
	return out
}

var kinds = []string{event.AssetPackage}

func TestSync(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	center := newModel()
	s := invsync.New("a1", "os/packages", filepath.Join(dir, "os_packages.json"), center.send)

	// The first inventory sends every item.
	inv := pkgs(50, "1.0")
	res, err := s.Sync(ctx, inv, kinds, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 50 || res.Unchanged || res.Messages != 1 || !res.Resynced || len(center.items) != 50 || res.Digest != center.digest() {
		t.Fatalf("first sync: %+v; center holds %d", res, len(center.items))
	}

	// Unchanged: the digest alone.
	res, err = s.Sync(ctx, inv, kinds, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Unchanged || res.Messages != 1 || res.Bytes > 200 || res.Added+res.Changed+res.Removed != 0 {
		t.Fatalf("unchanged sync: %+v", res)
	}

	// One upgraded, one new, one removed: three items travel.
	inv2 := slices.Clone(inv[1:])
	inv2[0].Version = "1.1"
	inv2 = append(inv2, pkgs(51, "1.0")[50])
	res, err = s.Sync(ctx, inv2, kinds, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	last := center.requests[len(center.requests)-1].GetChanges()
	if res.Added != 1 || res.Changed != 1 || res.Removed != 1 || len(last.GetUpserts()) != 2 || len(last.GetRemoved()) != 1 {
		t.Fatalf("delta: %+v, sent %d upserts %d removals", res, len(last.GetUpserts()), len(last.GetRemoved()))
	}

	// A new syncer on the same file carries on from the saved state.
	s2 := invsync.New("a1", "os/packages", filepath.Join(dir, "os_packages.json"), center.send)
	if res, err = s2.Sync(ctx, inv2, kinds, time.Now()); err != nil || !res.Unchanged {
		t.Fatalf("after a restart: %+v, %v", res, err)
	}
}

// TestSplit: changes larger than one message go as a chain of parts,
// each applied from the state the previous one produced.
func TestSplit(t *testing.T) {
	ctx := context.Background()
	center := newModel()
	s := invsync.New("a1", "os/packages", filepath.Join(t.TempDir(), "s.json"), center.send)
	s.SetMaxMessage(4 << 10)
	res, err := s.Sync(ctx, pkgs(200, "1.0"), kinds, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Messages < 10 || res.Added != 200 || len(center.items) != 200 {
		t.Fatalf("split sync: %+v, center %d", res, len(center.items))
	}
	if center.requests[0].GetState() == nil {
		t.Fatal("a syncer without a saved state did not read the center's first")
	}
	center.requests = center.requests[1:]
	for i, r := range center.requests {
		if n := len(r.GetChanges().GetUpserts()); n == 0 {
			t.Errorf("part %d carries nothing", i)
		}
		if r.GetChanges().GetLast() != (i == len(center.requests)-1) {
			t.Errorf("part %d: last = %v", i, r.GetChanges().GetLast())
		}
	}

	// A failure in the middle of a chain: the parts accepted stay, and the
	// next sync sends the rest.
	center.requests = nil
	sent := 0
	center.fail = func(req *busv1.InventoryRequest) error {
		if sent++; sent == 3 {
			return errors.New("connection lost")
		}
		return nil
	}
	if _, err := s.Sync(ctx, pkgs(200, "2.0"), kinds, time.Now()); err == nil {
		t.Fatal("a lost part was not reported")
	}
	center.fail = nil
	changedBefore := 0
	for _, v := range center.versions {
		if v == "2.0" {
			changedBefore++
		}
	}
	if changedBefore == 0 || changedBefore == 200 {
		t.Fatalf("%d of 200 upgraded before the failure, want some", changedBefore)
	}
	res, err = s.Sync(ctx, pkgs(200, "2.0"), kinds, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed != 200-changedBefore || res.Resynced {
		t.Fatalf("after the failure: %+v, want %d changed without a resync", res, 200-changedBefore)
	}
}

// TestResync: a center that lost its state, and an agent that lost its
// own, end up in step with only the difference sent.
func TestResync(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	center := newModel()
	s := invsync.New("a1", "os/packages", filepath.Join(dir, "s.json"), center.send)
	inv := pkgs(20, "1.0")
	if _, err := s.Sync(ctx, inv, kinds, time.Now()); err != nil {
		t.Fatal(err)
	}

	// The center was restored from an old backup: it holds nothing.
	center.items = map[string][32]byte{}
	res, err := s.Sync(ctx, inv, kinds, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Resynced || res.Added != 20 || center.digest() != res.Digest {
		t.Fatalf("center reset: %+v", res)
	}

	// The agent lost its state file: it reads the center's and sends
	// nothing more than the digest.
	if err := os.Remove(filepath.Join(dir, "s.json")); err != nil {
		t.Fatal(err)
	}
	center.requests = nil
	fresh := invsync.New("a1", "os/packages", filepath.Join(dir, "s.json"), center.send)
	res, err = fresh.Sync(ctx, inv, kinds, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !res.Resynced || res.Added+res.Changed+res.Removed != 0 {
		t.Fatalf("agent state lost: %+v", res)
	}
	for _, r := range center.requests {
		if n := len(r.GetChanges().GetUpserts()); n != 0 {
			t.Errorf("%d items sent again after the resync", n)
		}
	}

	// A corrupt state file is an empty state, never a crash.
	if err := os.WriteFile(filepath.Join(dir, "s.json"), []byte(`{"version":1,"collector":"os/packages","digest":"x","items":{"a":"zz"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	corrupt := invsync.New("a1", "os/packages", filepath.Join(dir, "s.json"), center.send)
	if res, err = corrupt.Sync(ctx, inv, kinds, time.Now()); err != nil || !res.Resynced {
		t.Fatalf("corrupt state: %+v, %v", res, err)
	}
}

// TestInvalidItems: invalid and duplicate items are skipped and counted;
// the valid ones are sent.
func TestInvalidItems(t *testing.T) {
	center := newModel()
	s := invsync.New("a1", "os/users", filepath.Join(t.TempDir(), "s.json"), center.send)
	inv := []event.Asset{
		{Kind: event.AssetUser, Key: "alice", Name: "alice"},
		{Kind: event.AssetUser, Key: "alice", Name: "alice again"},
		{Kind: "spaceship", Key: "x", Name: "x"},
		{Kind: event.AssetUser, Key: "", Name: "nobody"},
		{Kind: event.AssetUser, Key: "bob", Name: "bob", Fields: map[string]any{"bad": func() {}}},
	}
	res, err := s.Sync(context.Background(), inv, []string{event.AssetUser}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 1 || res.Invalid != 4 || len(res.InvalidReasons) == 0 {
		t.Fatalf("result %+v", res)
	}
	c := s.Counters()
	if c["invalid_assets"] != 3 || c["duplicate_assets"] != 1 || c["assets"] != 1 {
		t.Errorf("counters %v", c)
	}
}

// TestRefused: a refusal is an error that names the center's reason.
func TestRefused(t *testing.T) {
	s := invsync.New("a1", "os/users", filepath.Join(t.TempDir(), "s.json"),
		func(context.Context, *busv1.InventoryRequest) (*busv1.InventoryReply, error) {
			return &busv1.InventoryReply{Error: "too many items"}, nil
		})
	_, err := s.Sync(context.Background(), []event.Asset{{Kind: event.AssetUser, Key: "a", Name: "a"}}, nil, time.Now())
	if !errors.Is(err, invsync.ErrRefused) || !strings.Contains(err.Error(), "too many items") {
		t.Fatalf("err %v", err)
	}
}

// FuzzStateFile: whatever the saved state file holds, the syncer ends in
// step with the center.
func FuzzStateFile(f *testing.F) {
	f.Add([]byte(`{"version":1,"collector":"os/users","digest":"","items":{}}`))
	f.Add([]byte(`{"version":1,"collector":"os/users","digest":"x","items":{"user\u0000a":"00"}}`))
	f.Add([]byte(`not json`))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "s.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		center := newModel()
		center.items["user\x00a"] = [32]byte{1}
		s := invsync.New("a1", "os/users", path, center.send)
		inv := []event.Asset{{Kind: event.AssetUser, Key: "b", Name: "b"}}
		res, err := s.Sync(context.Background(), inv, []string{event.AssetUser}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if center.digest() != res.Digest || len(center.items) != 1 {
			t.Fatalf("not in step: %+v, center holds %d", res, len(center.items))
		}
	})
}
