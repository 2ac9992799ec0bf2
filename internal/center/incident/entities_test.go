package incident

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

func ancestor(entity string, pid int, exe string) map[string]any {
	return map[string]any{"entity_id": entity, "pid": float64(pid), "executable": exe}
}

func TestEntities(t *testing.T) {
	tests := []struct {
		name   string
		fields map[string]any
		want   []store.Entity
	}{{
		name: "reverse shell in an ssh session",
		fields: map[string]any{
			"process.entity_id": "p-bash", "process.executable": "/usr/bin/bash",
			"process.hash.sha256": "AA", "user.name": "alice", "user.id": "1001",
			"process.ancestry": []any{
				ancestor("p-sh", 900, "/usr/bin/sh"),
				ancestor("p-sshd-session", 880, "/usr/sbin/sshd"),
				ancestor("p-sshd", 600, "/usr/sbin/sshd"),
				ancestor("p-init", 1, "/usr/lib/systemd/systemd"),
			},
			"destination.ip": "203.0.113.7", "network.direction": "outbound",
		},
		want: []store.Entity{
			{Kind: "process", Value: "p-bash"}, {Kind: "process", Value: "p-sh"},
			{Kind: "process", Value: "p-sshd-session"},
			{Kind: "ip", Value: "203.0.113.7"}, {Kind: "user", Value: "alice"},
		},
	}, {
		name: "dropped binary, root, inbound login source",
		fields: map[string]any{
			"process.entity_id": "p-x", "process.executable": "/tmp/.x/kworker",
			"process.hash.sha256": "ABCDEF", "user.name": "root", "user.id": "0",
			"source.ip": "::ffff:198.51.100.9", "destination.ip": "10.0.0.5",
			"network.direction": "inbound", "host.ip": []any{"10.0.0.5"},
		},
		want: []store.Entity{
			{Kind: "process", Value: "p-x"}, {Kind: "ip", Value: "198.51.100.9"},
			{Kind: "user", Value: "root@a1"}, {Kind: "file_hash", Value: "abcdef"},
		},
	}, {
		name: "no direction: both peers but loopback and own addresses",
		fields: map[string]any{
			"source.ip": "127.0.0.1", "destination.ip": "192.0.2.1", "host.ip": "192.0.2.1",
			"client.ip": "fe80::1", "server.ip": "198.51.100.20",
		},
		want: []store.Entity{{Kind: "ip", Value: "198.51.100.20"}},
	}, {
		name: "web shell written to a web root",
		fields: map[string]any{
			"file.path": "/var/www/html/up.php", "file.hash.sha256": "CC",
			"process.executable": "/usr/sbin/php-fpm8.2", "process.hash.sha256": "DD",
			"user.name": "www-data", "user.id": "33", "dns.question.name": "Pool.Example.COM.",
		},
		want: []store.Entity{
			{Kind: "user", Value: "www-data@a1"}, {Kind: "file", Value: "a1:/var/www/html/up.php"},
			{Kind: "file_hash", Value: "cc"}, {Kind: "domain", Value: "pool.example.com"},
		},
	}, {
		name:   "system file: path but no hash",
		fields: map[string]any{"file.path": "/usr/bin/ls", "file.hash.sha256": "EE"},
		want:   []store.Entity{{Kind: "file", Value: "a1:/usr/bin/ls"}},
	}, {
		name:   "nothing",
		fields: map[string]any{"message": "hello"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev := event.Event{}
			for k, v := range tc.fields {
				ev.Set(k, v)
			}
			if diff := cmp.Diff(tc.want, Entities("a1", ev)); diff != "" {
				t.Errorf("entities (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEntitiesBounded(t *testing.T) {
	ev := event.Event{}
	var anc []any
	for i := range 100 {
		anc = append(anc, ancestor("p"+string(rune('a'+i%26))+string(rune('a'+i/26)), 1000+i, "/x"))
	}
	ev.Set("process.ancestry", anc)
	if n := len(Entities("a1", ev)); n != maxEntities {
		t.Errorf("%d entities, want the bound %d", n, maxEntities)
	}
}
