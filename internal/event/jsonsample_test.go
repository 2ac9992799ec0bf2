package event

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// sampleEvent is one encoded event of the kind sensors send.
type sampleEvent struct {
	name string
	data []byte
}

// sampleEvents returns events as the sensors make them (docs/sensors.md):
// a process exec with its parent and ancestry, a network connection, a
// file change and an authentication log line.
func sampleEvents(tb testing.TB) []sampleEvent {
	tb.Helper()
	list := []struct {
		name string
		ev   Event
	}{
		{"exec", sampleExec()},
		{"network", sampleNetwork()},
		{"file", sampleFile()},
		{"authlog", sampleAuthlog()},
	}
	out := make([]sampleEvent, 0, len(list))
	for _, s := range list {
		data, err := json.Marshal(s.ev)
		if err != nil {
			tb.Fatalf("encode %s: %v", s.name, err)
		}
		out = append(out, sampleEvent{s.name, data})
	}
	return out
}

// sampleProc is a process of the sample host.
type sampleProc struct {
	pid    int
	entity string
	exe    string
	args   []string
	parent *sampleProc
}

func (p *sampleProc) name() string { return p.exe[strings.LastIndexByte(p.exe, '/')+1:] }

func (p *sampleProc) brief(withArgs bool) map[string]any {
	m := map[string]any{"pid": p.pid, "entity_id": p.entity, "name": p.name(), "executable": p.exe}
	if withArgs {
		m["args"] = stringList(p.args)
		m["command_line"] = strings.Join(p.args, " ")
	}
	return m
}

func stringList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// sampleTree is systemd, sshd, a session of root's and its shell.
func sampleTree() *sampleProc {
	systemd := &sampleProc{1, "aW5pdC1lbnRpdHktaWQtMDAx", "/usr/lib/systemd/systemd", []string{"/sbin/init"}, nil}
	sshd := &sampleProc{811, "c3NoZC1lbnRpdHktaWQtMDAx", "/usr/sbin/sshd", []string{"sshd:", "/usr/sbin/sshd", "-D", "[listener]", "0", "of", "10-100", "startups"}, systemd}
	priv := &sampleProc{20411, "cHJpdi1lbnRpdHktaWQtMDAx", "/usr/sbin/sshd", []string{"sshd:", "root", "[priv]"}, sshd}
	sess := &sampleProc{20418, "c2Vzcy1lbnRpdHktaWQtMDAx", "/usr/sbin/sshd", []string{"sshd:", "root@pts/3"}, priv}
	return &sampleProc{20419, "c2hlbGwtZW50aXR5LWlkLTAx", "/usr/bin/bash", []string{"-bash"}, sess}
}

func sampleBase(id, category, action, dataset string, types ...string) Event {
	const at = "2026-03-02T09:14:07.123456789Z"
	return Event{
		"@timestamp": at,
		"event": map[string]any{"id": "bench-agent-0007-" + id, "kind": "event", "category": category,
			"action": action, "dataset": dataset, "type": stringList(types), "created": at},
		"agent": map[string]any{"id": "bench-agent-0007", "version": "0.9.0"},
		"host":  map[string]any{"id": "5f0c8a4e2b7d41c39e6a1f2d3c4b5a69", "name": "web-07", "hostname": "web-07"},
	}
}

func sampleExec() Event {
	shell := sampleTree()
	p := &sampleProc{20517, "Z3JlcC1lbnRpdHktaWQtMDAx", "/usr/bin/grep", []string{"grep", "-rn", "upstream", "/etc/nginx"}, shell}
	root := map[string]any{"id": "0", "name": "root"}
	var lineage []any
	for a := shell; a != nil; a = a.parent {
		lineage = append(lineage, a.brief(false))
	}
	ev := sampleBase("1042", "process", "exec", "exec/ebpf", "start")
	ev["process"] = map[string]any{
		"pid": p.pid, "entity_id": p.entity, "name": p.name(), "executable": p.exe,
		"args": stringList(p.args), "args_count": len(p.args), "command_line": strings.Join(p.args, " "),
		"working_directory": "/root", "start": "2026-03-02T09:14:07.120001Z",
		"user": root, "real_user": root, "group": root, "real_group": root,
		"tty": map[string]any{"name": "pts/3"}, "parent": shell.brief(true), "ancestry": lineage,
	}
	ev["user"] = root
	ev["message"] = fmt.Sprintf("bash (pid %d) executed %s", p.pid, strings.Join(p.args, " "))
	return ev
}

func sampleNetwork() Event {
	ev := sampleBase("1043", "network", "connection-accepted", "net/ebpf", "connection", "start")
	ev["event"].(map[string]any)["outcome"] = "success"
	ev["network"] = map[string]any{"transport": "tcp", "type": "ipv4", "direction": "ingress"}
	ev["source"] = map[string]any{"ip": "10.8.3.41", "port": 51234}
	ev["destination"] = map[string]any{"ip": "10.0.0.9", "port": 443}
	ev["process"] = map[string]any{"pid": 1207, "entity_id": "bmdpbngtZW50aXR5LWlkLTAx", "name": "nginx",
		"executable": "/usr/sbin/nginx", "command_line": "nginx: worker process", "start": "2026-03-02T08:00:00Z",
		"vigil": map[string]any{"network": map[string]any{"owner_source": "listener"}}}
	ev["user"] = map[string]any{"id": "33", "name": "www-data"}
	ev["message"] = "nginx (pid 1207) accepted a connection from 10.8.3.41 on port 443"
	return ev
}

func sampleFile() Event {
	ev := sampleBase("1044", "file", "file-modified", "fim", "change")
	ev["event"].(map[string]any)["outcome"] = "success"
	ev["file"] = map[string]any{"path": "/etc/nginx/sites-available/app", "name": "app",
		"directory": "/etc/nginx/sites-available", "type": "file", "mode": "0644", "uid": "0", "gid": "0",
		"owner": "root", "group": "root", "size": 2291, "mtime": "2026-03-02T09:14:06.5Z",
		"ctime": "2026-03-02T09:14:06.5Z", "inode": "3145821",
		"hash": map[string]any{"sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}}
	ev["vigil"] = map[string]any{
		"fim": map[string]any{"mechanism": "fanotify", "marks": "inode", "changes": []any{"content", "mtime"}},
		"file": map[string]any{"previous": map[string]any{"mode": "0644", "uid": "0", "gid": "0", "size": 2250,
			"hash": map[string]any{"sha256": "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"}}},
	}
	shell := sampleTree()
	ev["process"] = map[string]any{"pid": 20530, "entity_id": "dmltLWVudGl0eS1pZC0wMDAx", "name": "vim.basic",
		"executable": "/usr/bin/vim.basic", "command_line": "vim /etc/nginx/sites-available/app",
		"parent": shell.brief(true)}
	ev["user"] = map[string]any{"id": "0", "name": "root"}
	ev["message"] = "vim.basic (pid 20530) modified /etc/nginx/sites-available/app"
	return ev
}

func sampleAuthlog() Event {
	ev := sampleBase("1045", "authentication", "logged-in", "authlog", "start")
	e := ev["event"].(map[string]any)
	e["outcome"], e["provider"] = "success", "syslog"
	fp := "SHA256:q3Rk0mZ8yW1vB5nX7cL2pJ9tH4gF6dS0aE8uI1oY3rT"
	ev["process"] = map[string]any{"pid": 20688, "name": "sshd"}
	ev["user"] = map[string]any{"name": "alice"}
	ev["source"] = map[string]any{"ip": "10.20.1.77", "port": 50122}
	ev["vigil"] = map[string]any{"auth": map[string]any{"service": "sshd", "method": "publickey",
		"key": map[string]any{"type": "ED25519", "fingerprint": fp}}}
	ev["message"] = "Accepted publickey for alice from 10.20.1.77 port 50122 ssh2: ED25519 " + fp
	return ev
}
