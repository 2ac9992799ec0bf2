package engine

import (
	"testing"

	"github.com/vigilsec/vigil/internal/event"
)

// stdioEntry is one element of process.stdio as the exec sensors make
// it: fd and type always, transport and endpoints for sockets.
func stdioEntry(fd int, typ, transport, local, remote string) map[string]any {
	m := map[string]any{"fd": fd, "type": typ}
	if transport != "" {
		m["transport"] = transport
	}
	if local != "" {
		m["local"] = local
	}
	if remote != "" {
		m["remote"] = remote
	}
	if typ == "socket" || typ == "pipe" {
		m["inode"] = uint64(811234 + fd)
	}
	return m
}

// ancestor is one element of process.ancestry.
func ancestor(pid int, name, exe string) map[string]any {
	return map[string]any{"entity_id": "host-1:" + name, "pid": pid, "name": name, "executable": exe}
}

// reverseShell is bash -i started by a web server's PHP worker, with
// stdin and stdout a TCP connection to 203.0.113.9:4444 and stderr a
// pipe.
var reverseShell = with(execEvent("/usr/bin/bash", "bash", "-i"), map[string]any{
	"process.stdio": []any{
		stdioEntry(0, "socket", "tcp", "10.0.0.5:51234", "203.0.113.9:4444"),
		stdioEntry(1, "socket", "tcp", "10.0.0.5:51234", "203.0.113.9:4444"),
		stdioEntry(2, "pipe", "", "", ""),
	},
	"process.ancestry": []any{
		ancestor(3100, "sh", "/usr/bin/dash"),
		ancestor(3001, "php-fpm8.2", "/usr/sbin/php-fpm8.2"),
		ancestor(1, "systemd", "/usr/lib/systemd/systemd"),
	},
})

// socketActivated is a service whose stdin is a listening socket and
// whose stderr is the journal's unix socket, under systemd.
var socketActivated = with(execEvent("/usr/libexec/cups/daemon/cups-lpd", "cups-lpd"), map[string]any{
	"process.stdio": []map[string]any{
		stdioEntry(0, "socket", "tcp", "0.0.0.0:515", ""),
		stdioEntry(2, "socket", "unix", "/run/systemd/journal/stdout", ""),
	},
	"process.ancestry": []any{ancestor(1, "systemd", "/usr/lib/systemd/systemd")},
})

var listCases = []matchCase{
	// One field: any element.
	{"object list equal", lsProc, "    s:\n        process.stdio.transport: tcp\n    condition: s\n", reverseShell, true},
	{"object list equal no", lsProc, "    s:\n        process.stdio.transport: udp\n    condition: s\n", reverseShell, false},
	{"object list later element", lsProc, "    s:\n        process.stdio.type: pipe\n    condition: s\n", reverseShell, true},
	{"object list contains", lsProc, "    s:\n        process.stdio.remote|contains: ':4444'\n    condition: s\n", reverseShell, true},
	{"object list ancestor name", lsProc, "    s:\n        process.ancestry.name|startswith: php-fpm\n    condition: s\n", reverseShell, true},
	{"object list ancestor executable", lsProc, "    s:\n        process.ancestry.executable|endswith: /sshd\n    condition: s\n", reverseShell, false},
	{"object list number", lsProc, "    s:\n        process.stdio.fd: 2\n    condition: s\n", reverseShell, true},
	{"object list number range", lsProc, "    s:\n        process.stdio.fd|gt: 2\n    condition: s\n", reverseShell, false},
	{"object list decoded", lsProc, "    s:\n        process.stdio.fd: 1\n        process.stdio.transport: tcp\n    condition: s\n", decoded(reverseShell), true},
	{"object list of maps", lsProc, "    s:\n        process.stdio.local: '/run/systemd/journal/stdout'\n    condition: s\n", socketActivated, true},
	{"object list re", lsProc, "    s:\n        process.stdio.remote|re: '^203\\.0\\.113\\.[0-9]+:4444$'\n    condition: s\n", reverseShell, true},
	{"object list cased", lsProc, "    s:\n        process.stdio.transport|cased: TCP\n    condition: s\n", reverseShell, false},
	{"object list keyword field", lsProc, "    s:\n        process.stdio: tcp\n    condition: s\n", reverseShell, false},
	{"object list windash", lsProc, "    s:\n        process.ancestry.name|windash: php-fpm8.2\n    condition: s\n", reverseShell, true},
	{"object list fieldref", lsProc, "    s:\n        process.parent.pid|fieldref: process.ancestry.pid\n    condition: s\n", with(reverseShell, map[string]any{"process.parent.pid": 3001}), true},
	{"object list expand", lsProc, "    s:\n        process.ancestry.name|expand: '%Servers%'\n    condition: s\n", reverseShell, true},

	// all: every value, each in any element.
	{"object list all", lsProc, "    s:\n        process.stdio.type|all:\n            - socket\n            - pipe\n    condition: s\n", reverseShell, true},
	{"object list all no", lsProc, "    s:\n        process.stdio.type|all:\n            - socket\n            - fifo\n    condition: s\n", reverseShell, false},
	{"object list ancestry all", lsProc, "    s:\n        process.ancestry.name|all:\n            - sh\n            - systemd\n    condition: s\n", reverseShell, true},

	// exists, null and neq.
	{"object list exists", lsProc, "    s:\n        process.stdio.remote|exists: true\n    condition: s\n", reverseShell, true},
	{"object list exists in none", lsProc, "    s:\n        process.stdio.remote|exists: true\n    condition: s\n", socketActivated, false},
	{"object list exists false", lsProc, "    s:\n        process.stdio.remote|exists: false\n    condition: s\n", socketActivated, true},
	{"object list exists without list", lsProc, "    s:\n        process.stdio.fd|exists: false\n    condition: s\n", curlPost, true},
	{"object list null", lsProc, "    s:\n        process.stdio.remote: null\n    condition: s\n", socketActivated, true},
	{"object list null no", lsProc, "    s:\n        process.stdio.remote: null\n    condition: s\n", reverseShell, false},
	{"object list null value", lsProc, "    s:\n        process.stdio.remote: null\n    condition: s\n", with(curlPost, map[string]any{"process.stdio": []any{map[string]any{"fd": 0, "remote": nil}}}), true},
	{"object list neq", lsProc, "    s:\n        process.stdio.transport|neq: unix\n    condition: s\n", socketActivated, false},
	{"object list neq none", lsProc, "    s:\n        process.stdio.transport|neq: udp\n    condition: s\n", reverseShell, true},
	{"object list missing", lsProc, "    s:\n        process.stdio.transport: tcp\n    condition: s\n", curlPost, false},

	// A selection's fields under one list hold for the same element.
	{"same element", lsProc, "    s:\n        process.stdio.fd:\n            - 0\n            - 1\n        process.stdio.transport:\n            - tcp\n            - udp\n    condition: s\n", reverseShell, true},
	{"same element needed", lsProc, "    s:\n        process.stdio.fd: 2\n        process.stdio.type: socket\n    condition: s\n", reverseShell, false},
	{"same element negated", lsProc, "    s:\n        process.stdio.type: socket\n        process.stdio.transport|neq: tcp\n    condition: s\n", socketActivated, true},
	{"same element exists", lsProc, "    s:\n        process.stdio.transport: tcp\n        process.stdio.remote|exists: false\n    condition: s\n", socketActivated, true},
	{"same element exists no", lsProc, "    s:\n        process.stdio.transport: tcp\n        process.stdio.remote|exists: false\n    condition: s\n", reverseShell, false},
	{"same ancestor", lsProc, "    s:\n        process.ancestry.name: sh\n        process.ancestry.executable|endswith: /dash\n    condition: s\n", reverseShell, true},
	{"same ancestor needed", lsProc, "    s:\n        process.ancestry.name: sh\n        process.ancestry.executable|endswith: /systemd\n    condition: s\n", reverseShell, false},
	{"same element and other fields", lsProc, "    s:\n        process.name: bash\n        process.stdio.fd: 0\n        process.stdio.type: socket\n        process.parent.pid: 4200\n    condition: s\n", reverseShell, true},
	{"same element all", lsProc, "    s:\n        process.stdio.fd: 0\n        process.stdio.remote|contains|all:\n            - '203.0.113.'\n            - ':4444'\n    condition: s\n", reverseShell, true},
	{"separate selections any elements", lsProc, "    a:\n        process.stdio.fd: 2\n    b:\n        process.stdio.type: socket\n    condition: a and b\n", reverseShell, true},
	{"two elements by two selections", lsProc, "    in:\n        process.stdio.fd: 0\n        process.stdio.transport: tcp\n    out:\n        process.stdio.fd: 1\n        process.stdio.transport: tcp\n    condition: in and out\n", reverseShell, true},
	{"filter on an element", lsProc, "    s:\n        process.stdio.transport: tcp\n    f:\n        process.stdio.fd: 0\n        process.stdio.remote|exists: false\n    condition: s and not f\n", socketActivated, false},
	{"same element decoded", lsProc, "    s:\n        process.stdio.fd: 2\n        process.stdio.type: socket\n    condition: s\n", decoded(reverseShell), false},
	{"same element list of maps", lsProc, "    s:\n        process.stdio.fd: 2\n        process.stdio.transport: unix\n    condition: s\n", socketActivated, true},
	{"no list: one object", lsProc, "    s:\n        process.parent.name: bash\n        process.parent.pid: 4200\n    condition: s\n", curlPost, true},

	// Lists inside lists, and objects inside list elements.
	{"object in element", lsProc, "    s:\n        process.ancestry.user.name: www-data\n    condition: s\n", withAncestryUsers(), true},
	{"object in element same", lsProc, "    s:\n        process.ancestry.user.name: www-data\n        process.ancestry.name: php-fpm8.2\n    condition: s\n", withAncestryUsers(), true},
	{"object in element same no", lsProc, "    s:\n        process.ancestry.user.name: root\n        process.ancestry.name: php-fpm8.2\n    condition: s\n", withAncestryUsers(), false},
	{"list in element", lsProc, "    s:\n        vigil.netcfg.route.nexthops.gateway: 192.0.2.1\n    condition: s\n", withNexthops(), true},
	{"list of lists", lsProc, "    s:\n        dns.answers.data|cidr: 198.51.100.0/24\n    condition: s\n", with(curlPost, map[string]any{"dns.answers": []any{[]any{map[string]any{"data": "198.51.100.7"}}}}), true},
}

// withAncestryUsers is reverseShell with a user object in each ancestor.
func withAncestryUsers() event.Event {
	ev := with(reverseShell, nil)
	users := []string{"www-data", "www-data", "root"}
	list := ev["process"].(map[string]any)["ancestry"].([]any)
	for i, a := range list {
		a.(map[string]any)["user"] = map[string]any{"name": users[i]}
	}
	return ev
}

// withNexthops is an event with a list of routes, each with its list
// of next hops.
func withNexthops() event.Event {
	return with(curlPost, map[string]any{"vigil.netcfg.route.nexthops": []any{
		map[string]any{"gateway": "192.0.2.254", "interface": "eth0"},
		map[string]any{"gateway": "192.0.2.1", "interface": "eth1"},
	}})
}

func TestMatchListsOfObjects(t *testing.T) {
	opts := Options{Placeholders: map[string][]string{"Servers": {"nginx", "php-fpm*"}}}
	for _, tc := range listCases {
		t.Run(tc.name, func(t *testing.T) {
			e, problems := compileRules(t, ruleText("r-1", tc.logsource, tc.detection), opts)
			if len(problems) > 0 {
				t.Fatalf("problems: %v", problems)
			}
			got := e.Match(tc.event, nil)
			if (len(got) == 1) != tc.want {
				t.Errorf("Match = %q, want match %v", ids(got), tc.want)
			}
			if brute := e.matchAll(tc.event, nil); ids(brute) != ids(got) {
				t.Errorf("index gave %q, every rule %q", ids(got), ids(brute))
			}
			// The same event read from the bus.
			if got := e.Match(decoded(tc.event), nil); (len(got) == 1) != tc.want {
				t.Errorf("decoded: Match = %q, want match %v", ids(got), tc.want)
			}
		})
	}
}

// TestListLiteralsAreIndexed checks that a literal found in a field of
// a list's objects makes its rule a candidate: the rule is not among
// those evaluated for every event.
func TestListLiteralsAreIndexed(t *testing.T) {
	src := ruleText("r-1", lsProc, "    s:\n        process.ancestry.executable|endswith: /php-fpm8.2\n    condition: s\n") + "---\n" +
		ruleText("r-2", lsProc, "    s:\n        process.stdio.fd: 0\n        process.stdio.remote|contains: ':4444'\n    condition: s\n")
	e, problems := compileRules(t, src, Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	for _, g := range e.groups {
		if len(g.always) > 0 {
			t.Errorf("rules %v are evaluated for every event", g.always)
		}
	}
	if got := ids(e.Match(reverseShell, nil)); got != "r-1,r-2" {
		t.Errorf("Match = %q", got)
	}
	if got := ids(e.Match(curlPost, nil)); got != "" {
		t.Errorf("Match = %q", got)
	}
}
