package sqlstore

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/store"
)

func TestJoinEntities(t *testing.T) {
	ip := store.Entity{Kind: store.EntityIP, Value: "203.0.113.7"}
	user := store.Entity{Kind: store.EntityUser, Value: "deploy@web-01"}
	many := make([]store.Entity, store.MaxIncidentEntities+20)
	for i := range many {
		many[i] = store.Entity{Kind: store.EntityDomain, Value: fmt.Sprintf("c%d.example", i)}
	}
	tests := []struct {
		name string
		in   []store.Entity
		want []store.Entity
	}{
		{"none", nil, []store.Entity{}},
		{"kept in order", []store.Entity{user, ip}, []store.Entity{user, ip}},
		{"repeats", []store.Entity{ip, user, ip, user}, []store.Entity{ip, user}},
		{"empty kind or value", []store.Entity{{Value: "x"}, ip, {Kind: store.EntityIP}}, []store.Entity{ip}},
		{"same value, other kind", []store.Entity{ip, {Kind: store.EntityDomain, Value: ip.Value}},
			[]store.Entity{ip, {Kind: store.EntityDomain, Value: ip.Value}}},
		{"bounded", many, many[:store.MaxIncidentEntities]},
		{"bound counts kept ones", append([]store.Entity{ip, ip, {}}, many...),
			append([]store.Entity{ip}, many[:store.MaxIncidentEntities-1]...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, joinEntities(tt.in)); d != "" {
				t.Fatalf("joinEntities (-want +got):\n%s", d)
			}
		})
	}
}

func TestPaddedSize(t *testing.T) {
	tests := []struct{ n, want int }{
		{1, 4}, {4, 4}, {5, 16}, {16, 16}, {17, 64}, {65, 256}, {257, store.MaxIncidentEntities},
		{store.MaxIncidentEntities, store.MaxIncidentEntities},
	}
	for _, tt := range tests {
		if got := paddedSize(tt.n); got != tt.want {
			t.Errorf("paddedSize(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
	if last := entityListSizes[len(entityListSizes)-1]; last < store.MaxIncidentEntities {
		t.Fatalf("largest entity list %d holds fewer than MaxIncidentEntities", last)
	}
}

func TestEntityLockKey(t *testing.T) {
	a := entityLockKey(store.Entity{Kind: "ip", Value: "1.2.3.4"})
	if a != entityLockKey(store.Entity{Kind: "ip", Value: "1.2.3.4"}) {
		t.Fatal("key of one entity changes")
	}
	// The separator keeps kind and value apart.
	if a == entityLockKey(store.Entity{Kind: "ip1", Value: ".2.3.4"}) {
		t.Fatal("entities that concatenate alike share a key")
	}
}

func TestHostLockKey(t *testing.T) {
	k := hostLockKey("agent-1")
	if k != hostLockKey("agent-1") || k == hostLockKey("agent-2") {
		t.Fatal("host keys do not tell hosts apart")
	}
	for _, kind := range []string{store.EntityProcess, store.EntityIP, store.EntityUser, store.EntityFileHash,
		store.EntityFile, store.EntityDomain} {
		if k == entityLockKey(store.Entity{Kind: kind, Value: "agent-1"}) {
			t.Errorf("host key equals the key of a %s entity of the same value", kind)
		}
	}
	if k == attachLockKey {
		t.Fatal("host key is the key every Attach shares")
	}
}
