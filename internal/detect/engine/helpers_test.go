package engine

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/detect/sigma"
	"github.com/vigilsec/vigil/internal/event"
)

// The events below have the shape the sensors give them (docs/sensors.md):
// nested objects, one event.category, kebab-case event.action,
// event.dataset the sensor's name.

// execEvent is an exec event of the process sensors, with the process
// started by args (args[0] the executable) from a shell of user alice.
func execEvent(exe string, args ...string) event.Event {
	if len(args) == 0 {
		args = []string{exe}
	}
	cmd := strings.Join(args, " ")
	name := exe[strings.LastIndexByte(exe, '/')+1:]
	return event.Event{
		"@timestamp": "2024-06-12T02:38:41.123456789Z",
		"event": map[string]any{"id": "ev-1", "kind": "event", "category": "process", "type": []string{"start"},
			"action": "exec", "dataset": "exec/ebpf"},
		"agent": map[string]any{"id": "agent-1"},
		"host":  map[string]any{"id": "host-1", "name": "oa-web-01"},
		"process": map[string]any{
			"pid": 4242, "entity_id": "host-1:4242:99887766", "name": name, "executable": exe,
			"args": args, "args_count": len(args), "command_line": cmd, "working_directory": "/home/alice",
			"start": "2024-06-12T02:38:41.1Z",
			"user":  map[string]any{"id": "1000", "name": "alice"}, "real_user": map[string]any{"id": "1000", "name": "alice"},
			"group": map[string]any{"id": "1000", "name": "alice"}, "real_group": map[string]any{"id": "1000", "name": "alice"},
			"tty": map[string]any{"name": "pts/0"},
			"parent": map[string]any{"pid": 4200, "entity_id": "host-1:4200:99880000", "name": "bash",
				"executable": "/usr/bin/bash", "args": []string{"-bash"}, "command_line": "-bash"},
		},
		"user":    map[string]any{"id": "1000", "name": "alice", "audit": map[string]any{"id": "1000", "name": "alice"}},
		"message": "bash (pid 4200) executed " + cmd,
		"vigil":   map[string]any{"process": map[string]any{"audit_session": 3}},
	}
}

// networkEvent is a connection event of the network sensors.
func networkEvent(action, direction, srcIP string, srcPort int, dstIP string, dstPort int) event.Event {
	typ := "ipv4"
	if strings.Contains(dstIP, ":") {
		typ = "ipv6"
	}
	return event.Event{
		"@timestamp": "2024-06-12T02:40:00Z",
		"event": map[string]any{"id": "ev-2", "kind": "event", "category": "network", "type": []string{"connection", "start"},
			"action": action, "dataset": "net/ebpf"},
		"network":     map[string]any{"transport": "tcp", "type": typ, "direction": direction},
		"source":      map[string]any{"ip": srcIP, "port": srcPort},
		"destination": map[string]any{"ip": dstIP, "port": dstPort},
		"process": map[string]any{"pid": 4300, "entity_id": "host-1:4300:1", "name": "nc", "executable": "/usr/bin/nc.openbsd",
			"args": []string{"nc", dstIP, "4444"}, "command_line": "nc " + dstIP + " 4444",
			"parent": map[string]any{"pid": 4200, "executable": "/usr/bin/bash"}},
		"user":    map[string]any{"id": "33", "name": "www-data"},
		"message": "nc (pid 4300) connected to " + dstIP + " over tcp",
	}
}

// fileEvent is a fim event with the acting process (fanotify).
func fileEvent(action, path string) event.Event {
	dir, name := path[:strings.LastIndexByte(path, '/')], path[strings.LastIndexByte(path, '/')+1:]
	return event.Event{
		"@timestamp": "2024-06-12T02:41:00Z",
		"event": map[string]any{"id": "ev-3", "kind": "event", "category": "file", "type": []any{"creation"},
			"action": action, "dataset": "fim", "outcome": "success"},
		"file": map[string]any{"path": path, "name": name, "directory": dir, "type": "file", "mode": "0644",
			"size": 120, "hash": map[string]any{"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}},
		"process": map[string]any{"pid": 5100, "name": "tee", "executable": "/usr/bin/tee",
			"args": []any{"tee", "-a", path}, "command_line": "tee -a " + path, "parent": map[string]any{"pid": 5000}},
		"user":    map[string]any{"id": "0", "name": "root"},
		"vigil":   map[string]any{"fim": map[string]any{"mechanism": "fanotify"}, "file": map[string]any{"previous": map[string]any{"path": "/tmp/x"}}},
		"message": "tee (pid 5100) " + strings.TrimPrefix(action, "file-") + " " + path,
	}
}

// authEvent is an authlog event of an sshd line.
func authEvent(action, service, user, ip, message string) event.Event {
	return event.Event{
		"@timestamp": "2024-06-12T02:30:00Z",
		"event": map[string]any{"id": "ev-4", "kind": "event", "category": "authentication", "type": []string{"start"},
			"action": action, "dataset": "authlog", "outcome": "failure", "provider": "syslog"},
		"user":    map[string]any{"name": user},
		"source":  map[string]any{"ip": ip, "port": 51234},
		"process": map[string]any{"pid": 811, "name": service},
		"vigil":   map[string]any{"auth": map[string]any{"service": service, "method": "password"}},
		"message": message,
	}
}

// dnsEvent is a DNS event of net/ebpf.
func dnsEvent(action, name string, resolved ...string) event.Event {
	e := event.Event{
		"@timestamp": "2024-06-12T02:42:00Z",
		"event":      map[string]any{"id": "ev-5", "kind": "event", "category": "network", "action": action, "dataset": "net/ebpf"},
		"dns":        map[string]any{"question": map[string]any{"name": name, "type": "A"}},
		"process":    map[string]any{"pid": 4300, "executable": "/usr/bin/curl", "command_line": "curl https://" + name},
		"message":    "curl asked for " + name,
	}
	if len(resolved) > 0 {
		ips := make([]any, len(resolved))
		for i, r := range resolved {
			ips[i] = r
		}
		e.Set("dns.resolved_ip", ips)
		e.Set("dns.response_code", "NOERROR")
	}
	return e
}

// kmodEvent is a module-loaded event of the kmod sensor.
func kmodEvent(name, path string, signed bool) event.Event {
	return event.Event{
		"@timestamp": "2024-06-12T02:43:00Z",
		"event":      map[string]any{"id": "ev-6", "kind": "event", "category": "driver", "action": "module-loaded", "dataset": "kmod"},
		"vigil":      map[string]any{"kmod": map[string]any{"name": name, "path": path, "signed": signed}},
		"process":    map[string]any{"pid": 6000, "executable": "/usr/sbin/insmod", "command_line": "insmod " + path},
		"message":    "insmod (pid 6000) loaded module " + name,
	}
}

// with returns a copy of ev with the dotted fields set.
func with(ev event.Event, fields map[string]any) event.Event {
	out := event.Event(deepCopy(ev).(map[string]any))
	for k, v := range fields {
		if v == nil {
			deleteField(out, k)
			continue
		}
		out.Set(k, v)
	}
	return out
}

// deleteField removes a dotted field.
func deleteField(ev event.Event, path string) {
	parts := strings.Split(path, ".")
	m := map[string]any(ev)
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			return
		}
		m = next
	}
	delete(m, parts[len(parts)-1])
}

// decoded returns ev as the center reads it from the bus: encoded as
// JSON and decoded with numbers kept as json.Number and lists as []any.
func decoded(ev event.Event) event.Event {
	data, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	out, err := event.Decode(data)
	if err != nil {
		// Test events may lack agent.id; decode without validation.
		var e event.Event
		dec := json.NewDecoder(strings.NewReader(string(data)))
		dec.UseNumber()
		if err := dec.Decode(&e); err != nil {
			panic(err)
		}
		return e
	}
	return out
}

// deepCopy copies maps and slices, keeping the Go types of the leaves.
func deepCopy(v any) any {
	switch t := v.(type) {
	case event.Event:
		return deepCopy(map[string]any(t))
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = deepCopy(x)
		}
		return out
	case []string:
		return append([]string(nil), t...)
	}
	return v
}

// ruleText returns a rule document with the logsource and detection.
func ruleText(id, logsource, detection string) string {
	return "title: Rule " + id + "\nid: " + id + "\nstatus: test\nlevel: medium\nlogsource: " + logsource + "\ndetection:\n" + detection
}

// compileRules parses src and compiles its rules.
func compileRules(t testing.TB, src string, opts Options) (*Engine, []Problem) {
	t.Helper()
	set := sigma.Parse("test.yml", []byte(src))
	if len(set.Errors) > 0 {
		t.Fatalf("parse: %v", set.Errors[0])
	}
	return New(set.Rules, opts)
}

// ids returns the ids of rules.
func ids(rules []*Rule) string {
	var out []string
	for _, r := range rules {
		out = append(out, r.ID)
	}
	return strings.Join(out, ",")
}

// matchAll is Match without the index: every rule of every group that
// applies is evaluated. Tests compare the two.
func (e *Engine) matchAll(ev event.Event, dst []*Rule) []*Rule {
	if len(e.compiled) == 0 {
		return dst
	}
	s := e.pool.Get().(*scratch)
	s.reset(ev)
	e.visitGroups(s, func(g *group) {
		for _, r := range g.rules {
			s.candidate(r)
		}
	})
	slices.Sort(s.cands)
	for _, r := range s.cands {
		if c := e.compiled[r]; c.root.eval(s) && c.passes(s) {
			dst = append(dst, c.pub)
		}
	}
	s.release()
	e.pool.Put(s)
	return dst
}

// candidates returns the number of rules Match evaluates in full for
// ev: those the index leaves after its scan.
func (e *Engine) candidates(ev event.Event) int {
	s := e.pool.Get().(*scratch)
	s.reset(ev)
	e.visitGroups(s, func(g *group) {
		for _, r := range g.always {
			s.candidate(r)
		}
		for _, fs := range g.scans {
			if v, ok := s.get(fs.field); ok {
				scanValue(s, fs, v)
			}
		}
	})
	n := len(s.cands)
	s.release()
	e.pool.Put(s)
	return n
}

// filterEvaluations returns the number of meta filter conditions Match
// evaluates for ev: those of the rules whose own condition held, up to
// the first that leaves the event out.
func (e *Engine) filterEvaluations(ev event.Event) int {
	s := e.pool.Get().(*scratch)
	s.reset(ev)
	e.visitGroups(s, func(g *group) {
		for _, r := range g.always {
			s.candidate(r)
		}
		for _, fs := range g.scans {
			if v, ok := s.get(fs.field); ok {
				scanValue(s, fs, v)
			}
		}
	})
	n := 0
	for _, r := range s.cands {
		c := e.compiled[r]
		if !c.root.eval(s) {
			continue
		}
		for _, f := range c.filters {
			n++
			if !f.root.eval(s) {
				break
			}
		}
	}
	s.release()
	e.pool.Put(s)
	return n
}

// selected returns the number of rules matchAll evaluates for the
// events: every rule of the groups that select each.
func (e *Engine) selected(events []event.Event) int {
	n := 0
	for _, ev := range events {
		s := e.pool.Get().(*scratch)
		s.reset(ev)
		e.visitGroups(s, func(g *group) { n += len(g.rules) })
		s.release()
		e.pool.Put(s)
	}
	return n
}

// states returns the number of states.
func (a *automaton) states() int { return len(a.outStart) - 1 }

// findAll returns the ids of the patterns found in text, each once, in
// the order first found (for tests; the engine steps itself to avoid the
// slice).
func (a *automaton) findAll(text string) []int32 {
	seen := make([]bool, a.npat)
	var ids []int32
	s := int32(0)
	for i := 0; i < len(text); i++ {
		s = a.step(s, text[i])
		for _, id := range a.outputs(s) {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	return ids
}
