package engine

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
)

// gen makes varied, realistic rules and events from one seed: the rules
// of a large rule set (different fields, literals, modifiers and log
// sources) and the events of a busy host, some of which the rules catch.
type gen struct {
	r *rand.Rand
	// tokens are rare words (tool names, implant paths, flags) that rules
	// look for and that some events carry.
	tokens []string
	// logsources are the log sources of the rules made, by number.
	logsources map[int]string
}

var (
	genBinaries = []string{"/usr/bin/bash", "/usr/bin/sh", "/usr/bin/dash", "/usr/bin/curl", "/usr/bin/wget", "/usr/bin/python3",
		"/usr/bin/perl", "/usr/bin/nc.openbsd", "/usr/bin/ncat", "/usr/bin/socat", "/usr/bin/ssh", "/usr/bin/scp",
		"/usr/bin/tar", "/usr/bin/base64", "/usr/bin/chmod", "/usr/bin/chown", "/usr/bin/crontab", "/usr/sbin/useradd",
		"/usr/bin/passwd", "/usr/bin/systemctl", "/usr/bin/journalctl", "/usr/bin/find", "/usr/bin/grep", "/usr/bin/awk",
		"/usr/bin/sed", "/usr/bin/cat", "/usr/bin/ls", "/usr/bin/ps", "/usr/bin/id", "/usr/bin/whoami", "/usr/bin/uname",
		"/usr/sbin/iptables", "/usr/sbin/ip", "/usr/bin/docker", "/usr/bin/kubectl", "/usr/bin/openssl", "/usr/bin/gcc",
		"/usr/bin/make", "/usr/bin/git", "/usr/bin/rsync", "/usr/bin/dd", "/usr/sbin/insmod", "/usr/bin/java", "/usr/bin/node",
		"/opt/app/bin/server", "/tmp/.cache/kworker", "/dev/shm/x"}
	genParents = []string{"/usr/bin/bash", "/usr/sbin/sshd", "/usr/sbin/cron", "/usr/lib/systemd/systemd", "/usr/sbin/nginx",
		"/usr/bin/python3", "/usr/bin/java", "/usr/bin/containerd-shim-runc-v2", "/usr/sbin/apache2", "/usr/bin/sudo"}
	genArgs = []string{"-c", "-e", "-i", "-d", "-o", "-x", "--help", "-la", "-rf", "/etc/passwd", "/etc/shadow", "/tmp/",
		"http://203.0.113.7/a.sh", "https://example.org/", "|", "sh", "bash", "-p", "4444", "0.0.0.0", "/dev/tcp/198.51.100.3/443",
		"base64", "--decode", "echo", "id", "whoami", "/var/log/auth.log", "-N", "-R", "8080:localhost:80", "/root/.ssh/authorized_keys",
		"+x", "777", "--no-check-certificate", "-q", "-O-", "-s", "cron", "*/5", "nohup", "&"}
	genUsers = []string{"root", "alice", "bob", "www-data", "postgres", "nobody", "deploy"}
	genPaths = []string{"/etc/cron.d/", "/etc/systemd/system/", "/usr/bin/", "/usr/lib/", "/root/.ssh/", "/home/alice/.ssh/",
		"/var/www/html/", "/tmp/", "/dev/shm/", "/etc/ld.so.preload", "/etc/sudoers.d/", "/etc/profile.d/", "/boot/"}
)

func newGen(seed uint64) *gen {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), logsources: map[int]string{}}
	for i := 0; i < 400; i++ {
		g.tokens = append(g.tokens, g.word(4+g.r.IntN(6)))
	}
	return g
}

func (g *gen) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g *gen) word(n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789_"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[g.r.IntN(len(letters))]
	}
	return string(b)
}

// quote writes a YAML single-quoted string.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// rule returns rule number i as a YAML document.
func (g *gen) rule(i int) string {
	var logsource string
	var fieldMatches func() string
	switch x := g.r.IntN(100); {
	case x < 60:
		logsource = "{product: linux, category: process_creation}"
		fieldMatches = g.processMatch
	case x < 75:
		logsource = "{product: linux, category: network_connection}"
		fieldMatches = g.networkMatch
	case x < 88:
		logsource = "{product: linux, category: file_event}"
		fieldMatches = g.fileMatch
	case x < 94:
		logsource = "{product: linux, service: auditd}"
		fieldMatches = g.auditdMatch
	default:
		logsource = "{product: linux, service: sshd}"
		fieldMatches = nil
	}
	var det strings.Builder
	var cond string
	if fieldMatches == nil {
		fmt.Fprintf(&det, "    keywords:\n        - %s\n        - %s\n", quote("Failed password for "+g.pick(g.tokens)), quote("Invalid user "+g.pick(g.tokens)))
		cond = "keywords"
	} else {
		nsel := 1 + g.r.IntN(2)
		for s := 0; s < nsel; s++ {
			fmt.Fprintf(&det, "    selection_%d:\n", s)
			keys := map[string]bool{}
			for m := 0; m < 1+g.r.IntN(3); m++ {
				match := fieldMatches()
				if !newKeys(match, keys) {
					continue
				}
				det.WriteString(match)
			}
		}
		switch c := g.r.IntN(10); {
		case c < 3:
			cond = "selection_0"
			if nsel > 1 {
				cond = "all of selection_*"
			}
		case c < 5:
			cond = "1 of selection_*"
		case c < 8:
			fmt.Fprintf(&det, "    filter_main:\n        user.name: %s\n", quote(g.pick(genUsers)))
			cond = "all of selection_* and not filter_main"
		default:
			fmt.Fprintf(&det, "    filter_parent:\n        - process.parent.executable: %s\n        - process.working_directory|startswith: %s\n", quote(g.pick(genParents)), quote("/opt/"+g.pick(g.tokens)))
			cond = "1 of selection_* and not 1 of filter_*"
		}
	}
	fmt.Fprintf(&det, "    condition: %s\n", cond)
	g.logsources[i] = logsource
	return fmt.Sprintf("title: Generated rule %d\nid: gen-%04d\nstatus: experimental\nlevel: %s\ntags:\n    - attack.t%04d\nlogsource: %s\ndetection:\n%s",
		i, i, g.pick([]string{"low", "medium", "high", "critical"}), 1000+g.r.IntN(600), logsource, det.String())
}

// newKeys reports whether the keys of a field match text are not in
// keys yet, and adds them (a search has each key once).
func newKeys(match string, keys map[string]bool) bool {
	var found []string
	for _, line := range strings.Split(match, "\n") {
		if strings.HasPrefix(line, "        ") && !strings.HasPrefix(line, "         ") {
			k, _, _ := strings.Cut(strings.TrimSpace(line), ":")
			if keys[k] {
				return false
			}
			found = append(found, k)
		}
	}
	for _, k := range found {
		keys[k] = true
	}
	return true
}

// literal returns a rare token, sometimes dressed as a path or flag.
func (g *gen) literal() string {
	t := g.pick(g.tokens)
	switch g.r.IntN(4) {
	case 0:
		return "/tmp/." + t
	case 1:
		return "--" + t
	case 2:
		return t + ".sh"
	}
	return t
}

func (g *gen) processMatch() string {
	x := g.r.IntN(18)
	switch x {
	case 14:
		// A field of a list's objects, alone: any element.
		return fmt.Sprintf("        process.ancestry.executable|endswith: %s\n", quote("/"+g.literal()))
	case 15:
		// Two fields of one element.
		return fmt.Sprintf("        process.ancestry.name: %s\n        process.ancestry.executable|contains: %s\n", quote(g.pick(g.tokens)), quote(g.pick(genPaths)))
	case 16:
		// A socket as stdin or stdout, with its peer.
		return fmt.Sprintf("        process.stdio.fd:\n            - 0\n            - 1\n        process.stdio.transport: %s\n        process.stdio.remote|startswith: %s\n",
			quote(g.pick([]string{"tcp", "udp"})), quote(fmt.Sprintf("198.51.100.%d:", g.r.IntN(255))))
	case 17:
		// An unbound unix socket (no peer) of a named path.
		return fmt.Sprintf("        process.stdio.transport: unix\n        process.stdio.local|startswith: %s\n        process.stdio.remote|exists: false\n", quote("/run/"+g.pick(g.tokens)))
	}
	switch x {
	case 0, 1:
		return fmt.Sprintf("        Image|endswith: %s\n", quote("/"+g.literal()))
	case 2, 3:
		return fmt.Sprintf("        CommandLine|contains: %s\n", quote(g.literal()))
	case 4:
		return fmt.Sprintf("        CommandLine|contains|all:\n            - %s\n            - %s\n", quote(g.literal()), quote(g.pick(genArgs)))
	case 5:
		return fmt.Sprintf("        ParentImage|endswith:\n            - %s\n            - %s\n", quote("/"+g.literal()), quote("/"+g.literal()))
	case 6:
		return fmt.Sprintf("        CommandLine|re: %s\n", quote(`(curl|wget) .*`+g.pick(g.tokens)))
	case 7:
		return fmt.Sprintf("        CommandLine|windash|contains: %s\n", quote(" -"+g.pick(g.tokens)))
	case 8:
		return fmt.Sprintf("        CommandLine|base64offset|contains: %s\n", quote(g.literal()))
	case 9:
		return fmt.Sprintf("        Image: %s\n", quote("*/"+g.literal()+"*"))
	case 10:
		return fmt.Sprintf("        process.args: %s\n", quote(g.literal()))
	case 11:
		return fmt.Sprintf("        CurrentDirectory|startswith: %s\n", quote(g.pick(genPaths)+g.pick(g.tokens)))
	case 12:
		// Common values: many rules share them.
		b := g.pick(genBinaries)
		return fmt.Sprintf("        Image|endswith: %s\n", quote(b[strings.LastIndexByte(b, '/'):]))
	}
	return fmt.Sprintf("        CommandLine|contains|cased: %s\n", quote(g.literal()))
}

func (g *gen) networkMatch() string {
	switch g.r.IntN(8) {
	case 0:
		return fmt.Sprintf("        DestinationPort: %d\n", 1024+g.r.IntN(60000))
	case 1:
		return fmt.Sprintf("        DestinationIp|cidr: '198.51.%d.0/24'\n", g.r.IntN(256))
	case 2:
		return fmt.Sprintf("        Image|endswith: %s\n", quote("/"+g.literal()))
	case 3:
		return "        Initiated: 'true'\n"
	case 4:
		return fmt.Sprintf("        DestinationPort|gt: %d\n", 30000+g.r.IntN(30000))
	case 5:
		return fmt.Sprintf("        DestinationHostname|endswith: %s\n", quote("."+g.pick(g.tokens)+".example"))
	case 6:
		return fmt.Sprintf("        CommandLine|contains: %s\n", quote(g.literal()))
	}
	return fmt.Sprintf("        User: %s\n", quote(g.pick(genUsers)))
}

func (g *gen) fileMatch() string {
	switch g.r.IntN(5) {
	case 0, 1:
		return fmt.Sprintf("        TargetFilename|startswith: %s\n", quote(g.pick(genPaths)+g.pick(g.tokens)))
	case 2:
		return fmt.Sprintf("        TargetFilename|endswith: %s\n", quote("/"+g.literal()))
	case 3:
		return fmt.Sprintf("        Image|endswith: %s\n", quote("/"+g.literal()))
	}
	return fmt.Sprintf("        TargetFilename|contains: %s\n", quote(g.literal()))
}

func (g *gen) auditdMatch() string {
	switch g.r.IntN(4) {
	case 0:
		return fmt.Sprintf("        type: EXECVE\n        a0: %s\n", quote(g.pick(g.tokens)))
	case 1:
		return fmt.Sprintf("        a1|contains: %s\n", quote(g.literal()))
	case 2:
		return fmt.Sprintf("        type: PATH\n        name|startswith: %s\n", quote(g.pick(genPaths)+g.pick(g.tokens)))
	}
	return fmt.Sprintf("        exe|endswith: %s\n", quote("/"+g.literal()))
}

// rules returns n generated rules as one multi-document file.
func (g *gen) rules(n int) string {
	docs := make([]string, n)
	for i := range docs {
		docs[i] = g.rule(i)
	}
	return strings.Join(docs, "---\n")
}

// lineage gives an exec event its ancestry and, for some, the sockets
// and pipes of its fds 0-2, as lists of objects (in the sensors' []any,
// or []map[string]any as other producers make them).
func (g *gen) lineage(e event.Event) {
	var ancestry []any
	for i := 0; i < g.r.IntN(5); i++ {
		exe := g.pick(genParents)
		if g.r.IntN(6) == 0 {
			exe = g.pick(genPaths) + g.pick(g.tokens)
		}
		name := exe[strings.LastIndexByte(exe, '/')+1:]
		if g.r.IntN(6) == 0 {
			name = g.pick(g.tokens)
		}
		ancestry = append(ancestry, map[string]any{"entity_id": g.word(22), "pid": 100 + i, "name": name, "executable": exe})
	}
	if len(ancestry) > 0 {
		e.Set("process.ancestry", ancestry)
	}
	if g.r.IntN(3) != 0 {
		return
	}
	var stdio []map[string]any
	for fd := 0; fd < 3; fd++ {
		switch g.r.IntN(4) {
		case 0:
			stdio = append(stdio, map[string]any{"fd": fd, "type": "pipe", "inode": uint64(9000 + fd)})
		case 1:
			transport := g.pick([]string{"tcp", "udp", "unix"})
			m := map[string]any{"fd": fd, "type": "socket", "transport": transport}
			switch {
			case transport == "unix":
				m["local"] = "/run/" + g.pick(g.tokens) + ".sock"
			case g.r.IntN(3) != 0:
				m["local"] = "10.0.0.5:" + fmt.Sprint(30000+g.r.IntN(30000))
				m["remote"] = fmt.Sprintf("198.51.100.%d:%d", g.r.IntN(255), []int{443, 4444, 8080}[g.r.IntN(3)])
			default:
				m["local"] = "0.0.0.0:" + fmt.Sprint(1024+g.r.IntN(30000))
			}
			stdio = append(stdio, m)
		}
	}
	if len(stdio) == 0 {
		return
	}
	if g.r.IntN(2) == 0 {
		e.Set("process.stdio", stdio)
		return
	}
	list := make([]any, len(stdio))
	for i, m := range stdio {
		list[i] = m
	}
	e.Set("process.stdio", list)
}

// event returns an event of a busy host: mostly process executions, then
// connections, file changes and logins. About one in five carries a rare
// token.
func (g *gen) event() event.Event {
	spice := func(s string) string {
		if g.r.IntN(5) == 0 {
			return s + g.literal()
		}
		return s
	}
	switch x := g.r.IntN(100); {
	case x < 65:
		exe := g.pick(genBinaries)
		args := []string{exe[strings.LastIndexByte(exe, '/')+1:]}
		for i := 0; i < 1+g.r.IntN(6); i++ {
			args = append(args, g.pick(genArgs))
		}
		if g.r.IntN(5) == 0 {
			args = append(args, g.literal())
		}
		e := execEvent(spice(exe), args...)
		e.Set("process.parent.executable", g.pick(genParents))
		g.lineage(e)
		e.Set("user.name", g.pick(genUsers))
		e.Set("process.working_directory", spice(g.pick(genPaths)))
		return e
	case x < 80:
		dir := "egress"
		if g.r.IntN(3) == 0 {
			dir = "ingress"
		}
		e := networkEvent(g.pick([]string{"connection-attempted", "connection-accepted", "udp-peer"}), dir,
			fmt.Sprintf("10.0.%d.%d", g.r.IntN(4), g.r.IntN(255)), 1024+g.r.IntN(60000),
			fmt.Sprintf("198.51.%d.%d", g.r.IntN(256), g.r.IntN(255)), []int{22, 53, 80, 443, 4444, 8080, 31337}[g.r.IntN(7)])
		e.Set("process.executable", spice(g.pick(genBinaries)))
		if g.r.IntN(4) == 0 {
			e.Set("destination.domain", spice("cdn.")+".example")
		}
		return e
	case x < 95:
		e := fileEvent(g.pick([]string{"file-created", "file-modified", "file-deleted", "file-renamed"}), spice(g.pick(genPaths)+"f"))
		return e
	}
	return authEvent("login-failed", "sshd", g.pick(genUsers), "203.0.113.5", spice("Failed password for invalid user "))
}
